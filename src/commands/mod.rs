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

/// Standard input can be read once: a command given `-` more than once among its file arguments (`lint - -`,
/// `-f - -f -`, `--manifests -` beside `-`) is refused before anything is read, naming them. So is one stream
/// under two names (`lint /dev/stdin /dev/stdin`, `-` beside `/dev/fd/0`, a FIFO given twice): arguments that
/// are pipes, character devices or sockets are compared by device and inode: the second reading of a pipe or a
/// socket would find it empty, and what is typed on a terminal goes to one reading only. Another character
/// device given twice (`/dev/null`, or `-` beside `/dev/stdin` with standard input on it) is refused too, as no
/// device is a values file or manifest.
fn stdin_once<'a>(paths: impl IntoIterator<Item = (&'a str, &'a std::path::Path)>) -> Result<(), String> {
    let paths: Vec<(&str, &std::path::Path)> = paths.into_iter().collect();
    let given: Vec<&str> = paths.iter().filter(|(_, p)| *p == std::path::Path::new("-")).map(|(a, _)| *a).collect();
    if given.len() >= 2 {
        return Err(format!(
            "`-` (standard input) is given {} times ({}): standard input can be read only once; save it to a file \
             and give that file for all but one of them",
            given.len(),
            given.join(", ")
        ));
    }
    // Few arguments: each compared with each.
    let ids: Vec<Option<((u64, u64), &str)>> = paths.iter().map(|(_, p)| crate::input::stream_identity(p)).collect();
    let twice = |id: &(u64, u64)| ids.iter().flatten().filter(|(i, _)| i == id).count() > 1;
    let Some(&(id, what)) = ids.iter().flatten().find(|(id, _)| twice(id)) else { return Ok(()) };
    let names: Vec<&(&str, &std::path::Path)> =
        paths.iter().zip(&ids).filter(|(_, i)| i.is_some_and(|(i, _)| i == id)).map(|(p, _)| p).collect();
    let shown: Vec<String> =
        names.iter().map(|(_, p)| format!("`{}`", crate::source::printable(&p.display().to_string()))).collect();
    let args: Vec<&str> = names.iter().map(|(a, _)| *a).collect();
    let what = if what == "character device" && crate::input::is_terminal(names[0].1) { "terminal" } else { what };
    let why = if what == "character device" {
        let times = if names.len() == 2 { "twice".to_string() } else { format!("{} times", names.len()) };
        format!(
            "given {times}; a device is not a values file or manifest: give a regular file, a pipe or `-` for \
             standard input"
        )
    } else {
        "which can be read only once; save it to a file and give that file for all but one of them".to_string()
    };
    Err(format!("{} ({}) are one {what}, {why}", shown.join(" and "), args.join(", ")))
}

/// Output settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Colour human output.
    pub color: bool,
    /// Only findings and errors.
    pub quiet: bool,
}

/// A writer that, once its reader has gone (a broken pipe: `onechart lint bad.yaml | head -0`), drops the rest
/// of the output instead of failing: the command still runs to its end and exits with its own code (1 for
/// findings), so a closed pipe never turns a failing lint into a pass, nor a pass into an error.
struct PipeTolerant<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl Write for PipeTolerant<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let out = &mut PipeTolerant { inner: out, closed: false };
    let err = &mut PipeTolerant { inner: err, closed: false };
    let code = run_command(cli, out, err);
    let _ = out.flush();
    code
}

fn run_command(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => report::use_color(),
    };
    let style = Style { color, quiet: cli.quiet };
    // The commands that read files (values, profiles, manifests, a project) refuse a bad pipe timeout before
    // reading anything, rather than wait 10 s where the user asked for something else.
    if matches!(cli.command, Command::Generate(_) | Command::Lint(_) | Command::Schema { .. })
        && let Err(msg) = crate::input::pipe_timeout_setting()
    {
        let _ = writeln!(err, "error: {msg}");
        return INPUT;
    }
    let result = match cli.command {
        Command::Generate(args) => generate::generate(&args, style, out, err),
        Command::Lint(args) => lint::lint(&args, style, out, err),
        Command::Completions { shell } => docs::completions(shell, out),
        Command::Manpage { dir } => docs::manpage(dir.as_deref(), out),
        Command::Rules { format } => rules::list(format, out),
        Command::Explain { rule } => rules::explain(&rule, out, err),
        Command::Profiles => profiles::list(out),
        Command::Schema { profile, site } => schema::print(&profile, site, out, err),
    };
    result.unwrap_or_else(|e| {
        let _ = writeln!(err, "error: {e:#}");
        INPUT
    })
}
