//! onechart's entry point: parse the command line, run the command, exit with its code.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = onechart::cli::Cli::parse();
    // A bug must not print a Rust backtrace at users: one line, and the input-error exit code.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("onechart: internal error: {info}; please report it with the input that caused it");
    }));
    let code = std::panic::catch_unwind(|| {
        onechart::commands::run(cli, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
    });
    ExitCode::from(code.unwrap_or(onechart::commands::INPUT))
}
