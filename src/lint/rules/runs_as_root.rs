//! ONE016 `runs-as-root`: the OpenNebula containers run as root.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;

declare_rule! {
/// ## What it does
/// Flags `securityContext.runAsUser: 0`.
///
/// ## Why is this bad?
/// Every OpenNebula daemon runs as oneadmin (uid 9869) on a package install; root adds nothing but the blast
/// radius of a compromise.
///
/// ## In rendered manifests
/// Checked: `runAsUser: 0` on a container of the front-end's pods, or on such a pod for containers that do not
/// set their own (a hypervisor agent or another chart's pod is not judged).
///
/// ## Example
/// ```yaml
/// securityContext:
///   runAsUser: 0
/// ```
///
/// Use instead:
/// ```yaml
/// securityContext:
///   runAsUser: 9869
/// ```
    pub static ONE016 = {
        id: "ONE016",
        name: "runs-as-root",
        level: Warning,
        summary: "The OpenNebula containers run as root",
        fix: "Set `securityContext.runAsUser: 9869` (oneadmin).",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Set `securityContext.runAsUser: 9869` (oneadmin) on the pod or the container.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.security_context.run_as_user == 0 {
        return vec![Hit::at("securityContext.runAsUser", "`securityContext.runAsUser` is 0 (root)")];
    }
    vec![]
}

/// Containers whose effective `runAsUser` (their own, else the pod's) is 0.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    // The front-end's pods only: a hypervisor agent, a test pod or another chart's workload is not judged.
    for i in d.opennebula_workloads() {
        let m = &objects[i];
        let Typed::Workload { spec, pointer, .. } = &m.typed else { continue };
        let pod_user = spec.security_context.as_ref().and_then(|s| s.run_as_user);
        for (ptr, c) in d.containers(i) {
            let own = c.security_context.as_ref().and_then(|s| s.run_as_user);
            let at = match (own, pod_user) {
                (Some(0), _) => format!("{ptr}/securityContext/runAsUser"),
                (None, Some(0)) => format!("{pointer}/securityContext/runAsUser"),
                _ => continue,
            };
            hits.push(ManifestHit::new(i, at, format!("container `{}` of `{}` runs as root (uid 0)", c.name, m.id())));
        }
    }
    hits
}
