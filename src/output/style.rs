//! Colour: only on a terminal, never when NO_COLOR is set, never in JSON.

use std::io::IsTerminal;

use owo_colors::{AnsiColors, OwoColorize};

use crate::cli::ColorChoice;

/// Decides colour once and paints byte strings with it.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    enabled: bool,
}

/// What a painted span is, so renderers stay free of colour codes.
#[derive(Clone, Copy, Debug)]
pub enum Role {
    /// A type id.
    Id,
    /// A kind (`STRUCT`).
    Kind,
    /// A name.
    Name,
    /// A number.
    Number,
    /// A warning or failure.
    Bad,
    /// A success.
    Good,
}

impl Style {
    /// Resolves `--color` against the environment and stdout.
    pub fn new(choice: ColorChoice) -> Style {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                let force = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
                force || (!no_color && !dumb && std::io::stdout().is_terminal())
            }
        };
        Style { enabled }
    }

    /// Appends `text`, painted for `role` when colour is on.
    #[inline]
    pub fn push(&self, out: &mut Vec<u8>, role: Role, text: &[u8]) {
        if !self.enabled {
            out.extend_from_slice(text);
            return;
        }
        let color = match role {
            Role::Id => AnsiColors::Yellow,
            Role::Kind => AnsiColors::Cyan,
            Role::Name => AnsiColors::Green,
            Role::Number => AnsiColors::Magenta,
            Role::Bad => AnsiColors::Red,
            Role::Good => AnsiColors::Green,
        };
        let prefix = format!("{}", "".color(color));
        // owo-colors renders `\x1b[3Xm` + text + `\x1b[39m`; reuse its codes
        // around raw bytes, which may not be UTF-8.
        let (open, close) = prefix.split_at(prefix.find("\x1b[39m").unwrap_or(prefix.len()));
        out.extend_from_slice(open.as_bytes());
        out.extend_from_slice(text);
        out.extend_from_slice(close.as_bytes());
    }
}
