//! ONE015 `privileged-container`: the OpenNebula containers run privileged.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;

declare_rule! {
/// ## What it does
/// Flags `securityContext.privileged: true`.
///
/// ## Why is this bad?
/// A privileged container has every capability and all host devices, so an escape from any daemon owns the node.
/// The front-end needs no privilege: its daemons run as oneadmin, and where a capability is needed, for the
/// mounts of marketplace image creation (ONE008), `SYS_ADMIN` is enough.
///
/// ## In rendered manifests
/// Checked: `securityContext.privileged: true` on a container of the front-end's pods (those that run an
/// OpenNebula component); a hypervisor agent, which needs it, or another chart's pod is not judged.
///
/// ## Example
/// ```yaml
/// securityContext:
///   privileged: true
/// ```
///
/// Use instead:
/// ```yaml
/// securityContext:
///   privileged: false
///   capabilities:
///     drop: [ALL]
/// ```
    pub static ONE015 = {
        id: "ONE015",
        name: "privileged-container",
        level: Warning,
        summary: "The OpenNebula containers run privileged",
        fix: "Set `securityContext.privileged: false`; where a capability is needed (marketplace image creation, ONE008), add `SYS_ADMIN` to `securityContext.capabilities.add` instead.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Set the container's `securityContext.privileged: false` and add only the capability a task needs (`SYS_ADMIN` for the mounts of marketplace image creation; the daemons need none).",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.security_context.privileged {
        return vec![Hit::at("securityContext.privileged", "`securityContext.privileged` is true")];
    }
    vec![]
}

/// Privileged containers.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    // The front-end's pods only: a hypervisor agent, a test pod or another chart's workload is not judged.
    for i in d.opennebula_workloads() {
        let m = &objects[i];
        for (ptr, c) in d.containers(i) {
            if c.security_context.as_ref().and_then(|s| s.privileged) == Some(true) {
                hits.push(ManifestHit::new(
                    i,
                    format!("{ptr}/securityContext/privileged"),
                    format!("container `{}` of `{}` is privileged", c.name, m.id()),
                ));
            }
        }
    }
    hits
}
