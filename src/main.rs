//! onechart's entry point: parse the command line, run the command, exit with its code.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = onechart::cli::Cli::parse();
    ExitCode::from(onechart::commands::run(cli, &mut std::io::stdout().lock(), &mut std::io::stderr().lock()))
}
