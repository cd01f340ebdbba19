//! ONE004 `monitor-address-auto-in-ha`: `monitord.monitorAddress: auto` under Raft HA.

use crate::declare_rule;
use crate::lint::install::{Cond, Install, Lit};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;

declare_rule! {
/// ## What it does
/// Flags `monitord.monitorAddress: auto` (or empty) when `oned.replicas` is greater than 1.
///
/// ## Why is this bad?
/// With `auto`, each hypervisor sends monitoring data to the source address of the front-end's SSH connection.
/// Only the Raft leader monitors hosts, so after a fail-over the agents keep sending to the old leader;
/// monitord.conf itself says "auto" is not usable for HA. Use the address the monitord LoadBalancer is pinned to
/// (ONE051 checks that the two agree). `auto` is compared exactly, as OpenNebula compares it; `AUTO` is ONE056's.
///
/// ## In rendered manifests
/// Checked: a monitord.conf (a ConfigMap or Secret key mounted as `monitord.conf`, or so named) whose `NETWORK`
/// sets `MONITOR_ADDRESS = "auto"` while the workload that mounts it (or, if none does, the oned workload) runs more
/// than one replica. Reported at the value inside the embedded file.
///
/// ## Example
/// ```yaml
/// oned:
///   replicas: 3
/// monitord:
///   monitorAddress: auto
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   replicas: 3
/// monitord:
///   monitorAddress: 192.0.2.10
///   service:
///     type: LoadBalancer
///     loadBalancerIP: 192.0.2.10
/// ```
    pub static ONE004 = {
        id: "ONE004",
        name: "monitor-address-auto-in-ha",
        level: Error,
        summary: "`monitord.monitorAddress: auto` under Raft HA",
        fix: "Pin the monitord LoadBalancer with `monitord.service.loadBalancerIP` and set `monitord.monitorAddress` to that address (or a DNS name that follows it).",
        check: check,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "In monitord.conf's `NETWORK`, set `MONITOR_ADDRESS` to the stable address of a Service that follows the Raft leader (a LoadBalancer IP or DNS name).",
        install: Install::When {
            when: Cond::And(&[
                Cond::Ha,
                Cond::Or(&[Cond::Eq("monitord.monitorAddress", Lit::Str("auto")), Cond::Falsy("monitord.monitorAddress")]),
            ]),
            message: "monitord.monitorAddress=%q does not follow the Raft leader; set it to the monitord Service address",
            args: &["$v.monitord.monitorAddress"],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let addr = v.monitord.monitor_address.as_str();
    if v.oned.replicas > 1 && (addr == "auto" || addr.is_empty()) {
        return vec![Hit::at(
            "monitord.monitorAddress",
            format!("`monitord.monitorAddress` is `{addr}` with {} Raft members", v.oned.replicas),
        )];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (file, addr) in d.monitor_addresses() {
        // Exactly `auto`, as OpenNebula compares it (another case is ONE056's).
        if addr.text != "auto" {
            continue;
        }
        let mut users = d.mounted_by(file);
        if users.is_empty() {
            users = d.frontends().iter().map(|f| f.object).collect();
        }
        let Some((n, w)) = users.iter().filter_map(|w| d.replicas(*w).map(|(n, _)| (n, *w))).max() else { continue };
        if n <= 1 {
            continue;
        }
        hits.push(hit_at(d, &Found::File { file, pos: addr.pos }, |note| format!(
                    "monitord.conf sets `MONITOR_ADDRESS = \"auto\"`{note} with {n} oned members (`{}`): after a fail-over hosts keep sending to the old leader",
                    objects[w].id()
                )));
    }
    hits
}
