//! `onechart completions` and `onechart manpage`: generated from the command-line definition.

use std::io::Write;

use anyhow::Context;

use super::OK;
use crate::cli::Cli;

/// Runs `onechart completions SHELL`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> anyhow::Result<u8> {
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "onechart", out);
    Ok(OK)
}

/// Runs `onechart manpage`: the main page on stdout, or every page (the main one lists one per command, as
/// `onechart-lint(1)`) into `dir`.
pub fn manpage(dir: Option<&std::path::Path>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        clap_mangen::Man::new(cmd).render(out)?;
        return Ok(OK);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    clap_mangen::generate_to(cmd, dir).with_context(|| format!("writing man pages to {}", dir.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("onechart") && n.ends_with(".1"))
        .collect();
    pages.sort();
    writeln!(out, "wrote {} man pages to {}: {}", pages.len(), dir.display(), pages.join(", "))?;
    Ok(OK)
}
