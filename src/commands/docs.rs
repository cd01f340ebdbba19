//! `onechart completions` and `onechart manpage`: generated from the command-line definition.

use std::io::Write;

use super::OK;
use crate::cli::Cli;

/// Runs `onechart completions SHELL`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> anyhow::Result<u8> {
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "onechart", out);
    Ok(OK)
}

/// Runs `onechart manpage`.
pub fn manpage(out: &mut dyn Write) -> anyhow::Result<u8> {
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)?;
    Ok(OK)
}
