//! Completions and man pages, generated from the clap definitions so that
//! packaging never drifts from the real flags.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;

/// Prints completions for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "btfkit", &mut std::io::stdout());
    Ok(crate::exit::SUCCESS)
}

/// Writes `btfkit.1` and one `btfkit-SUB.1` per visible subcommand into `dir`.
pub fn man(dir: &Path) -> Result<i32> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let cmd = Cli::command();
    write_page(dir, "btfkit", cmd.clone())?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("btfkit-{}", sub.get_name());
        write_page(dir, &name, sub.clone().name(name.clone()))?;
    }
    Ok(crate::exit::SUCCESS)
}

fn write_page(dir: &Path, name: &str, cmd: clap::Command) -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    crate::output::write_atomic(&path, &buf)
}
