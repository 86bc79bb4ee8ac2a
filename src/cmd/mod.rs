//! One module per subcommand.

pub mod dump;
mod meta;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::output::style::Style;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    let style = Style::new(cli.color);
    match cli.command {
        Command::Dump(args) => dump::run(&args, style),
        Command::Completions { shell } => meta::completions(shell),
        Command::Man { dir } => meta::man(&dir),
    }
}
