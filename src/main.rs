//! btfkit: a BTF toolkit.

mod cli;
mod cmd;
mod exit;
mod input;
mod logger;
mod output;

use clap::Parser;

fn main() {
    logger::init();
    let cli = cli::Cli::parse();
    let status = match cmd::run(cli) {
        Ok(code) => code,
        Err(err) if exit::is_broken_pipe(&err) => exit::SUCCESS,
        Err(err) => {
            eprintln!("btfkit: error: {err:#}");
            exit::ERROR
        }
    };
    std::process::exit(status);
}
