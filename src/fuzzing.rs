//! Entry points shared by the fuzz targets (`fuzz/`) and the regression tests that replay their crashers: each
//! drives a whole user-facing path on arbitrary input and must never panic.

use crate::compile::{self, Options};
use crate::layers::{Layer, Merged, parse_set};
use crate::profile::Profile;
use crate::render::{RenderInput, render_chart};
use crate::source::SourceFile;
use crate::yaml;

/// Bytes as a values file: parsed, merged over each profile, validated, linted, rendered when accepted.
pub fn values(data: &[u8]) {
    let Ok(source) = SourceFile::from_bytes("fuzz.yaml".to_string(), data.to_vec()) else { return };
    let Ok((root, quirks)) = yaml::parse_mapping(source.clone()) else { return };
    let layer = Layer::from_node(source, &root, quirks);
    for name in ["dev-sqlite", "ha-raft"] {
        let profile = Profile::load(name).expect("built-in profile");
        let merged = Merged::from_layers([&profile.defaults, &profile.layer, &layer]);
        let opts = Options { require_site_values: false, ignores: &[], profile_defaulted: false };
        if let Ok(c) = compile::compile_merged(profile, merged, std::slice::from_ref(&layer), &opts) {
            let _ = render_chart(&RenderInput {
                profile: &c.profile,
                values: &c.merged.value,
                version: c.values.opennebula.version,
                schema: &c.schema(),
                waived: &c.waived,
                chart_version: None,
                previous: None,
                kept: &Default::default(),
            });
        }
    }
}

/// Bytes as rendered manifests.
pub fn manifests(data: &[u8]) {
    let Ok(source) = SourceFile::from_bytes("fuzz-manifests.yaml".to_string(), data.to_vec()) else { return };
    if let Ok(objects) = crate::manifest::read(source) {
        let _ = crate::lint::check_manifests(&objects);
    }
}

/// Bytes as an OpenNebula configuration, read by every reader: the template parser (oned.conf), the services'
/// YAML reader and the ssh config reader; and as a ConfigMap key in a stream, through the embedded-file mapping.
pub fn oneconf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::oneconf::template::parse(text);
    let _ = crate::oneconf::service::parse(text);
    let _ = crate::oneconf::ssh::parse(text);
    let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
    let stream = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  oned.conf: |\n{indented}");
    if let Ok(source) = SourceFile::from_bytes("fuzz-oneconf.yaml".to_string(), stream.into_bytes())
        && let Ok(objects) = crate::manifest::read(source)
    {
        let _ = crate::lint::check_manifests(&objects);
    }
}

/// Bytes as `--set` arguments (split on newlines), merged over the default profile.
pub fn set(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let args: Vec<String> = text.lines().map(str::to_string).collect();
    if let Ok(layer) = parse_set(&args) {
        let profile = Profile::load("dev-sqlite").expect("built-in profile");
        let merged = Merged::from_layers([&profile.defaults, &profile.layer, &layer]);
        let opts = Options { require_site_values: false, ignores: &[], profile_defaulted: false };
        let _ = compile::compile_merged(profile, merged, &[], &opts);
    }
}
