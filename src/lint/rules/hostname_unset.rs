//! ONE025 `hostname-unset`: oned's HOSTNAME is not set in production.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, Severity};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags an empty `oned.hostname` in production, or a loopback one (`localhost`, `127.0.0.1`).
///
/// ## Why is this bad?
/// Transfer drivers run commands of the form `<frontend>:<path>` with oned's HOSTNAME; unset, it is the pod's own
/// hostname, which hypervisors outside the cluster cannot resolve.
///
/// ## In rendered manifests
/// Checked: the `HOSTNAME` of an embedded oned.conf. A loopback name (`localhost`, `127.0.0.1`, `::1`) is an error
/// in any environment: hypervisors would connect to themselves. No `HOSTNAME`, or an empty one, is a warning: oned
/// then uses the pod's canonical name (`gethostname`, OpenNebula/one@release-7.4.0:src/nebula/Nebula.cc:254-266),
/// which only resolves inside the cluster; the image's entrypoint may still set it, which the stream does not show.
///
/// ## Example
/// ```yaml
/// environment: production
/// oned:
///   hostname: ""
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// oned:
///   hostname: opennebula.example.com
/// ```
    pub static ONE025 = {
        id: "ONE025",
        name: "hostname-unset",
        level: OnlyInProduction,
        summary: "oned's HOSTNAME is not set in production",
        fix: "Set `oned.hostname` to the name or address the hypervisors use to reach the front-end.",
        check: check,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "Set `HOSTNAME` in oned.conf to a name the hypervisors resolve to the front-end (the address of its Service, reachable from the hosts).",
        install: Install::When {
            when: Cond::And(&[Cond::Production, Cond::Falsy("oned.hostname")]),
            message: "hypervisors cannot reach the front-end; set oned.hostname",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.oned.hostname.is_empty() {
        return vec![Hit::at("oned.hostname", "`oned.hostname` is empty")];
    }
    if loopback(&v.oned.hostname) {
        return vec![Hit::at(
            "oned.hostname",
            format!("`oned.hostname` is `{}`: hypervisors would reach themselves, not the front-end", v.oned.hostname),
        )];
    }
    vec![]
}

fn loopback(host: &str) -> bool {
    let h = host.trim().to_ascii_lowercase();
    h == "localhost" || h.starts_with("localhost.") || h.starts_with("127.") || h == "::1" || h == "0.0.0.0"
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for file in d.files_of(Kind::Oned) {
        let Some(t) = d.template(file) else { continue };
        let f = &d.files[file];
        let hit = match t.single("HOSTNAME") {
            Some(h) if loopback(&h.text) => {
                let (object, pointer, location, note) = d.locate(&Found::File { file, pos: h.pos });
                ManifestHit::new(
                    object,
                    pointer,
                    format!("oned.conf sets `HOSTNAME = \"{}\"`{note}: hypervisors would reach themselves, not the front-end", h.text),
                )
                .at(location)
                .severity(Severity::Error)
            }
            Some(h) if !h.text.trim().is_empty() => continue,
            _ => {
                let (object, pointer, location, _) = d.locate(&Found::Key { file });
                ManifestHit::new(
                    object,
                    pointer,
                    format!(
                        "oned.conf in `{}` (key `{}`) sets no `HOSTNAME`: oned uses the pod's own name, which hosts outside the cluster cannot resolve",
                        objects[f.object].id(),
                        f.key
                    ),
                )
                .at(location)
                .severity(Severity::Warning)
            }
        };
        hits.push(hit);
    }
    hits
}
