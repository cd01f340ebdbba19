//! ONE101 `duplicate-key`: a key appears twice in one mapping.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::oneconf::Kind;
use crate::source::Location;
use crate::yaml::Quirk;

declare_rule! {
    /// ## What it does
    /// Flags a key that appears twice in the same mapping of a values file.
    ///
    /// ## Why is this bad?
    /// Helm keeps the last value without a word (`helm lint` does not report it), so the first one, often the one
    /// a reviewer reads, has no effect.
    ///
    /// ## In rendered manifests
    /// Checked too: a key repeated in one mapping of a rendered object (Helm and kubectl keep the last one, so
    /// the first is silently dropped: a chart that renders `lifecycle:` twice loses its first hook), and in the YAML
    /// configuration files a ConfigMap carries.
    ///
    /// ## Example
    /// ```yaml
    /// database:
    ///   backend: mysql
    ///   backend: sqlite
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// database:
    ///   backend: mysql
    /// ```
    pub static ONE101 = {
        id: "ONE101",
        name: "duplicate-key",
        level: Warning,
        summary: "A key appears twice in one mapping",
        fix: "Keep one of the two entries; Helm uses the last one.",
        check: check,
        manifests: check_manifests, reads: [Any],
        manifest_fix: "Keep one of the two entries in the template that renders them; Kubernetes uses the last one.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    ctx.quirks
        .iter()
        .filter_map(|(file, q)| match &q.quirk {
            Quirk::DuplicateKey { key, first } => Some(Hit {
                pointer: crate::pointer::pointer(&q.path),
                message: format!("key `{key}` is repeated (first at line {}); Helm keeps this last value", first.line),
                location: Some(Location::in_source(file, q.pos.line, q.pos.column)),
                severity: None,
            }),
            Quirk::Ambiguous { .. } => None,
        })
        .collect()
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        for q in &m.quirks {
            if let Quirk::DuplicateKey { key, first } = &q.quirk {
                hits.push(
                    ManifestHit::new(
                        i,
                        crate::pointer::pointer(&q.path),
                        format!(
                            "key `{key}` of `{}` is repeated (first at line {}); Helm and kubectl keep this last one and drop the first",
                            m.id(),
                            first.line
                        ),
                    )
                    .at(Location::at(&m.source.name, q.pos.line, q.pos.column)),
                );
            }
        }
    }
    for file in 0..d.files.len() {
        if !d.kind_of(file).is_some_and(Kind::is_service_yaml) {
            continue;
        }
        let Some(conf) = d.service_conf(file) else { continue };
        for q in &conf.quirks {
            if let Quirk::DuplicateKey { key, first } = &q.quirk {
                hits.push(hit_at(d, &Found::File { file, pos: q.pos }, |note| format!(
                            "key `{key}` of `{}` is repeated{note} (first at line {} of it); the service keeps the last one",
                            d.files[file].key,
                            first.line
                        )));
            }
        }
    }
    hits
}
