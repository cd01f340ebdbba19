//! `onechart profiles`: the built-in profiles, one line each.

use std::io::Write;

use super::OK;
use crate::profile::{self, Profile};

/// Runs `onechart profiles`.
pub fn list(out: &mut dyn Write) -> anyhow::Result<u8> {
    for name in profile::builtin_names() {
        let p = Profile::load(name).map_err(|e| anyhow::anyhow!("{e}"))?;
        writeln!(out, "{:<11} {:<12} {}", p.name, p.environment, p.summary)?;
    }
    Ok(OK)
}
