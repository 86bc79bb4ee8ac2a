//! One module per subcommand.

mod check;
mod dedup;
pub mod dump;
mod dwarf2btf;
mod meta;
mod relocate;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::output::style::Style;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    let style = Style::new(cli.color);
    match cli.command {
        Command::Dump(args) => dump::run(&args, style),
        Command::Dedup(args) => dedup::run(&args),
        Command::Relocate(args) => relocate::run(&args, style),
        Command::Check(args) => check::run(&args),
        Command::Dwarf2btf(args) => dwarf2btf::run(&args),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man { dir } => meta::man(&dir),
    }
}
