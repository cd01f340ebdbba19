//! `onechart schema`: the values.schema.json of a profile.

use std::io::Write;

use serde_json::Value;

use super::{INPUT, OK};
use crate::profile::Profile;

/// Runs `onechart schema --profile NAME|PATH [--site]`.
pub fn print(spec: &str, site: bool, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
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
    let mut schema = crate::schema::values_schema(p.envelope(), version);
    if site {
        optional(&mut schema);
        if let Some(m) = schema.as_object_mut() {
            m.insert("title".into(), Value::from("onechart site values"));
            m.insert(
                "description".into(),
                Value::from(
                    "A site values file layered over an onechart profile: every key is optional. Check the merged \
                     values with `onechart lint`.",
                ),
            );
        }
    }
    writeln!(out, "{}", serde_json::to_string_pretty(&schema)?)?;
    Ok(OK)
}

/// The schema of a site values file: the chart's, with nothing required (a site file sets only what differs
/// from the profile; `generate` and `lint` check the merged values), every type, enum and range kept.
fn optional(schema: &mut Value) {
    match schema {
        Value::Object(m) => {
            m.remove("required");
            m.values_mut().for_each(optional);
        }
        Value::Array(a) => a.iter_mut().for_each(optional),
        _ => {}
    }
}
