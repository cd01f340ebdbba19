//! The commands, one file each. Each returns the process exit code; output goes to the writers given, so tests
//! can run them. `main.rs` only parses the command line and calls [`run`].

mod docs;
mod generate;
mod lint;
mod profiles;
mod rules;
mod schema;

use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command};
use crate::report;

pub use exit::{FINDINGS, INPUT, OK};

/// The exit codes every command shares (README.md, Exit codes).
pub mod exit {
    /// Success: written, clean (warnings allowed), up to date.
    pub const OK: u8 = 0;
    /// Findings at error level, values rejected, or a stale chart.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error: unreadable or malformed input, nothing written.
    pub const INPUT: u8 = 2;
}

/// Output settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Colour human output.
    pub color: bool,
    /// Only findings and errors.
    pub quiet: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => report::use_color(),
    };
    let style = Style { color, quiet: cli.quiet };
    let result = match cli.command {
        Command::Generate(args) => generate::generate(&args, style, out, err),
        Command::Lint(args) => lint::lint(&args, style, out, err),
        Command::Completions { shell } => docs::completions(shell, out),
        Command::Manpage => docs::manpage(out),
        Command::Rules { format } => rules::list(format, out),
        Command::Explain { rule } => rules::explain(&rule, out, err),
        Command::Profiles => profiles::list(out),
        Command::Schema { profile } => schema::print(&profile, out, err),
    };
    result.unwrap_or_else(|e| {
        // A closed stdout (`onechart rules | head`) is not an error.
        if e.chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
        {
            return OK;
        }
        let _ = writeln!(err, "error: {e:#}");
        INPUT
    })
}
