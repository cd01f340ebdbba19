//! ONE004 `monitor-address-auto-in-ha`: `monitord.monitorAddress: auto` under Raft HA.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `monitord.monitorAddress: auto` (or empty) when `oned.replicas` is greater than 1.
///
/// ## Why is this bad?
/// With `auto`, each hypervisor sends monitoring data to the source address of the front-end's SSH connection.
/// Only the Raft leader monitors hosts, so after a fail-over the agents keep sending to the old leader;
/// monitord.conf itself says "auto" is not usable for HA. Use the address the monitord LoadBalancer is pinned to
/// (ONE051 checks that the two agree).
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
