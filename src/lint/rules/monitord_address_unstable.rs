//! ONE051 `monitord-address-unstable`: under Raft HA, the monitord Service gives hypervisors no stable address.

use std::net::IpAddr;

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::{ServiceType, TrafficPolicy};

declare_rule! {
/// ## What it does
/// Under Raft HA (`oned.replicas` > 1) with an explicit `monitord.monitorAddress`, flags a monitord Service whose
/// address can move away from it: a `ClusterIP` Service (hypervisors outside the cluster cannot reach it), a
/// `NodePort` with `externalTrafficPolicy: Local` (only the leader's node answers, and the leader moves), a
/// `LoadBalancer` whose `loadBalancerIP` differs from an IP `monitorAddress`, or one with no `loadBalancerIP` at
/// all while `monitorAddress` is an IP the provider may not give it (accepted when a Service annotation names
/// that IP, as MetalLB's `metallb.universe.tf/loadBalancerIPs` does).
///
/// ## Why is this bad?
/// Every hypervisor sends its monitoring data to `monitorAddress`. When the Service's address is not that one,
/// hosts stay in `MONITORED` only until the next fail-over or Service recreation, then go to `ERROR` with no
/// obvious cause. A DNS name kept up to date (external-dns) is accepted as stable.
///
/// ## In rendered manifests
/// No manifest check: which address hypervisors reach depends on the cluster's load balancer, which manifests do not show; `MONITOR_ADDRESS = "auto"` under Raft is ONE004's.
///
/// ## Example
/// ```yaml
/// oned:
///   replicas: 3
/// monitord:
///   monitorAddress: 192.0.2.10
///   service:
///     type: LoadBalancer
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
    pub static ONE051 = {
        id: "ONE051",
        name: "monitord-address-unstable",
        level: Warning,
        summary: "Under Raft HA, the monitord Service gives hypervisors no stable address",
        fix: "Publish monitord as a `LoadBalancer` pinned with `monitord.service.loadBalancerIP` equal to `monitord.monitorAddress` (or a DNS name that follows it).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let addr = v.monitord.monitor_address.as_str();
    // `auto` and empty are ONE004's.
    if v.oned.replicas <= 1 || addr.is_empty() || addr == "auto" {
        return vec![];
    }
    let svc = &v.monitord.service;
    let ip = addr.parse::<IpAddr>().is_ok();
    let message = match svc.type_ {
        ServiceType::ClusterIP => Some(format!(
            "the monitord Service is `ClusterIP`: hypervisors outside the cluster cannot reach `{addr}` through it"
        )),
        ServiceType::NodePort if svc.external_traffic_policy == TrafficPolicy::Local => Some(
            "the monitord Service is a `NodePort` with `externalTrafficPolicy: Local`: only the leader's node \
             answers, and the leader moves"
                .to_string(),
        ),
        ServiceType::NodePort => None,
        ServiceType::LoadBalancer if !svc.load_balancer_ip.is_empty() => {
            (ip && svc.load_balancer_ip != addr).then(|| {
                format!("hypervisors send to `{addr}` but the monitord Service asks for `{}`", svc.load_balancer_ip)
            })
        }
        ServiceType::LoadBalancer => (ip && !svc.annotations.values().any(|a| a.split([',', ' ']).any(|x| x == addr)))
            .then(|| {
                format!(
                    "hypervisors send to `{addr}` but the monitord LoadBalancer has no `loadBalancerIP`: the provider \
                     may give it another address"
                )
            }),
    };
    message.map(|m| vec![Hit::at("monitord.service.type", m)]).unwrap_or_default()
}
