//! `onechart schema`: the values.schema.json of a profile.

use std::io::Write;

use super::{INPUT, OK};
use crate::profile::Profile;

/// Runs `onechart schema --profile NAME|PATH`.
pub fn print(spec: &str, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let p = match Profile::load(spec) {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "{e}")?;
            return Ok(INPUT);
        }
    };
    let version = p
        .merged_defaults()
        .get("opennebula.version")
        .and_then(|v| v.as_str())
        .and_then(crate::model::OneVersion::parse);
    writeln!(out, "{}", serde_json::to_string_pretty(&crate::schema::values_schema(p.envelope(), version))?)?;
    Ok(OK)
}
