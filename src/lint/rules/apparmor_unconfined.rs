//! ONE014 `apparmor-unconfined`: the containers run without AppArmor confinement.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;

declare_rule! {
/// ## What it does
/// Flags `securityContext.appArmorProfile: Unconfined`.
///
/// ## Why is this bad?
/// The usual advice for marketplace FUSE mounts is to run unconfined, which removes AppArmor's protection from
/// every daemon; a custom profile can allow just the mounts.
///
/// ## In rendered manifests
/// Checked: `appArmorProfile.type: Unconfined` on a pod that runs an OpenNebula component, or on one of its
/// containers.
///
/// ## Example
/// ```yaml
/// securityContext:
///   appArmorProfile: Unconfined
/// ```
///
/// Use instead:
/// ```yaml
/// securityContext:
///   appArmorProfile: Localhost/opennebula-frontend
/// ```
    pub static ONE014 = {
        id: "ONE014",
        name: "apparmor-unconfined",
        level: Warning,
        summary: "The containers run without AppArmor confinement",
        fix: "Load a Localhost AppArmor profile that allows the FUSE mounts and use `appArmorProfile: Localhost/<name>`.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Set `securityContext.appArmorProfile.type: RuntimeDefault` (or a Localhost profile) on the pod or container.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.security_context.app_armor_profile == "Unconfined" {
        return vec![Hit::at("securityContext.appArmorProfile", "`securityContext.appArmorProfile` is `Unconfined`")];
    }
    vec![]
}

/// Pods and containers with an `Unconfined` AppArmor profile.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    // The front-end's pods only: a hypervisor agent, a test pod or another chart's workload is not judged.
    for i in d.opennebula_workloads() {
        let m = &objects[i];
        let Typed::Workload { spec, pointer, .. } = &m.typed else { continue };
        let pod = spec.security_context.as_ref().and_then(|s| s.app_armor_profile.as_ref());
        if pod.is_some_and(|p| p.type_ == "Unconfined") {
            hits.push(ManifestHit::new(
                i,
                format!("{pointer}/securityContext/appArmorProfile/type"),
                format!("`{}` runs its pods without AppArmor confinement", m.id()),
            ));
        }
        for (ptr, c) in d.containers(i) {
            let p = c.security_context.as_ref().and_then(|s| s.app_armor_profile.as_ref());
            if p.is_some_and(|p| p.type_ == "Unconfined") {
                hits.push(ManifestHit::new(
                    i,
                    format!("{ptr}/securityContext/appArmorProfile/type"),
                    format!("container `{}` runs without AppArmor confinement", c.name),
                ));
            }
        }
    }
    hits
}
