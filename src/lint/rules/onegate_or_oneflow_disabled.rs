//! ONE018 `onegate-or-oneflow-disabled`: oneGate or OneFlow is disabled, or OneGate has no endpoint in production.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::model::Environment;
use crate::oneconf::{Kind, Pos};

declare_rule! {
/// ## What it does
/// Flags `onegate.enabled: false` or `oneflow.enabled: false`, and, in production, OneGate enabled with an empty
/// `onegate.endpoint`.
///
/// ## Why is this bad?
/// Services and appliances rely on OneGate and OneFlow; a deployment without them looks complete until the first
/// multi-VM service or a VM with `TOKEN=YES` fails ("onegate endpoint was not defined").
///
/// ## In rendered manifests
/// Checked: an oned.conf (a ConfigMap or Secret key mounted as `oned.conf`, or so named) that sets no
/// `ONEGATE_ENDPOINT`, or an empty one: a VM whose context asks for OneGate (`TOKEN = "YES"`, as OneFlow services
/// and appliances do) then fails to start with "TOKEN set, but onegate endpoint was not defined in oned.conf"
/// (OpenNebula/one@release-7.4.0:src/vm/VirtualMachineContext.cc:689-694). Whether OneGate or OneFlow run is not
/// something the manifests of a foreign chart show reliably, so only the endpoint is checked.
///
/// ## Example
/// ```yaml
/// environment: production
/// onegate:
///   enabled: true
///   endpoint: ""
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// onegate:
///   enabled: true
///   endpoint: http://onegate.example.com:5030
/// ```
    pub static ONE018 = {
        id: "ONE018",
        name: "onegate-or-oneflow-disabled",
        level: Warning,
        summary: "OneGate or OneFlow is disabled, or OneGate has no endpoint in production",
        fix: "Enable OneGate and OneFlow, and set `onegate.endpoint` to the address VMs reach OneGate at.",
        check: check,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "Set `ONEGATE_ENDPOINT` in oned.conf to the OneGate URL the VMs can reach, for example `http://onegate.example.com:5030`.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    if !v.onegate.enabled {
        hits.push(Hit::at("onegate.enabled", "OneGate is disabled"));
    } else if v.environment == Environment::Production && v.onegate.endpoint.is_empty() {
        hits.push(Hit::at("onegate.endpoint", "`onegate.endpoint` is empty: VMs cannot reach OneGate"));
    }
    if !v.oneflow.enabled {
        hits.push(Hit::at("oneflow.enabled", "OneFlow is disabled"));
    }
    hits
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for file in d.files_of(Kind::Oned) {
        let Some(t) = d.template(file) else { continue };
        let (pos, what) = match t.single("ONEGATE_ENDPOINT") {
            Some(v) if !v.text.trim().is_empty() => continue,
            Some(v) => (v.pos, "an empty `ONEGATE_ENDPOINT`"),
            None => (Pos { line: 1, column: 1 }, "no `ONEGATE_ENDPOINT`"),
        };
        let f = &d.files[file];
        let (object, pointer, location, note) =
            if what.starts_with("no") { d.locate(&Found::Key { file }) } else { d.locate(&Found::File { file, pos }) };
        hits.push(
            ManifestHit::new(
                object,
                pointer,
                format!(
                    "oned.conf in `{}` (key `{}`) sets {what}{note}: VMs that ask for OneGate (`TOKEN = \"YES\"`, OneFlow services) fail to start",
                    objects[f.object].id(),
                    f.key
                ),
            )
            .at(location),
        );
    }
    hits
}
