//! ONE031 `host-namespace`: a pod that is not a node agent shares the node's network, process or IPC namespace.

use serde_json::Value;

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;

declare_rule! {
/// ## What it does
/// In rendered manifests, flags `hostNetwork`, `hostPID` or `hostIPC` set on a pod that is not a node agent
/// (anything but a DaemonSet): the front-end, its database, services and jobs.
///
/// ## Why is this bad?
/// The front-end needs none of them: its daemons talk through Services. With the node's namespaces, a
/// compromised OpenNebula daemon sees every process and socket of the node (hostPID, hostIPC) or binds its ports
/// on the node's addresses (hostNetwork), where two members scheduled on one node collide, and NetworkPolicies
/// no longer apply. Hypervisor agents, which run as DaemonSets on the nodes they manage, are left alone.
///
/// ## In rendered manifests
/// This is a manifest-only check: onechart's values have no setting for host namespaces. It judges the
/// front-end's pods (not DaemonSets, and not a hypervisor agent).
///
/// ## Example
/// ```yaml
/// kind: StatefulSet
/// spec:
///   template:
///     spec:
///       hostNetwork: true
/// ```
///
/// Use instead:
/// ```yaml
/// kind: StatefulSet
/// spec:
///   template:
///     spec:
///       hostNetwork: false   # publish ports through a Service
/// ```
    pub static ONE031 = {
        id: "ONE031",
        name: "host-namespace",
        level: Warning,
        summary: "A pod that is not a node agent shares the node's network, process or IPC namespace",
        fix: "Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod, and publish its ports through a Service.",
        check: crate::lint::manifests_only,
        manifests: check_manifests, reads: [Workloads],
        manifests_only: true,
    }
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    // The front-end's pods only: a hypervisor agent, a test pod or another chart's workload is not judged.
    for i in d.opennebula_workloads() {
        let m = &objects[i];
        let Typed::Workload { pointer, .. } = &m.typed else { continue };
        if m.kind == "DaemonSet" {
            continue;
        }
        for (field, what) in [("hostNetwork", "network"), ("hostPID", "process"), ("hostIPC", "IPC")] {
            let ptr = format!("{pointer}/{field}");
            if m.raw.pointer(&ptr).and_then(Value::as_bool) == Some(true) {
                hits.push(ManifestHit::new(
                    i,
                    ptr,
                    format!("`{}` shares the node's {what} namespace (`{field}: true`)", m.id()),
                ));
            }
        }
    }
    hits
}
