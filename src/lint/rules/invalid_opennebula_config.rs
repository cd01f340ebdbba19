//! ONE032 `invalid-opennebula-config`: an OpenNebula configuration file in the manifests does not parse.

use crate::declare_rule;
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::{Found, config_error};

declare_rule! {
/// ## What it does
/// In rendered manifests, parses every OpenNebula configuration a ConfigMap or Secret carries (by the file name
/// it is mounted as, or its key): oned.conf, monitord.conf and vmm_exec_kvm.conf with OpenNebula's template
/// grammar, onegate-server.conf, oneflow-server.conf, sunstone-server.conf and fireedge-server.conf as YAML, and
/// reports the first syntax error at its line and column in the rendered file.
///
/// ## Why is this bad?
/// oned stops at start on a template it cannot parse ("Error while parsing configuration file",
/// OpenNebula/one@release-7.4.0:src/template/NebulaTemplate.cc:37-44), and the Ruby services exit on invalid YAML
/// (src/onegate/onegate-server.rb:86-90). Typical slips: a trailing comma before `]`, a missing comma between two
/// pairs of a vector, an unclosed quote, a tab in YAML indentation.
///
/// ## In rendered manifests
/// This is a manifest-only check: onechart writes these files itself from typed values.
///
/// ## Example
/// ```text
/// DB = [ BACKEND = "mysql",
///        SERVER  = "db", ]
/// ```
///
/// Use instead:
/// ```text
/// DB = [ BACKEND = "mysql",
///        SERVER  = "db" ]
/// ```
    pub static ONE032 = {
        id: "ONE032",
        name: "invalid-opennebula-config",
        level: Error,
        summary: "An OpenNebula configuration file in the manifests does not parse",
        fix: "Correct the syntax at the reported line: OpenNebula template syntax (`NAME = value`, `NAME = [ A = \"x\", B = 1 ]`) or YAML.",
        check: crate::lint::manifests_only,
        manifests: check_manifests, reads: [ConfigData],
        manifests_only: true,
    }
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for file in 0..d.files.len() {
        let Some((kind, err)) = config_error(d, file) else { continue };
        hits.push(hit_at(d, &Found::File { file, pos: err.pos }, |note| {
            format!(
                "{} (key `{}` of `{}`) does not parse{note}: {}",
                kind.file_name(),
                d.files[file].key,
                objects[d.files[file].object].id(),
                err.message
            )
        }));
    }
    hits
}
