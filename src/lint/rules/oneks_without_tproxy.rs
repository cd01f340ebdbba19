//! ONE059 `oneks-without-tproxy`: OneKS is on without the transparent proxy addresses it needs.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::model::{OneVersion, Values};

declare_rule! {
/// ## What it does
/// Flags `oneks.enabled: true` (OpenNebula 7.4 and later) without both `oneks.tproxy.onegate.address` and
/// `oneks.tproxy.oned.address`.
///
/// Warns, with the addresses set, when the chart's NetworkPolicy cuts the transparent proxy off: with
/// `networkPolicy.enabled` and `tls.enabled`, the plain port behind a published TLS port (oned's XML-RPC, 2633,
/// when `oned.service.type` is NodePort or LoadBalancer; OneGate's, when `onegate.service.type` is) admits only
/// the release's own pods and `networkPolicy.tproxyFrom`, so an empty `tproxyFrom` leaves the hypervisors
/// outside. A warning, not an error: the release installs and OneKS starts, and a cluster whose network plugin
/// does not enforce NetworkPolicy admits the proxy anyway.
///
/// ## Why is this bad?
/// `oneks-server.rb` exits at start unless the transparent proxy of `OpenNebulaNetwork.conf` serves ports 5030
/// and 2633 (OpenNebula/one@release-7.4.0:src/oneks/oneks-server.rb:33-41, `validate_conf!`;
/// `src/oneks/app/models/dependencies/cluster_router.rb:125-156`): the VMs of the Kubernetes clusters OneKS
/// creates reach OneGate and oned through it. The chart writes those entries from `oneks.tproxy`, and cannot
/// guess the addresses the hypervisors reach the front-end at. With the addresses set and `tproxyFrom` empty, the
/// hypervisors' proxies connect and the NetworkPolicy drops them: the VMs' OneGate calls and the OneKS clusters'
/// XML-RPC calls time out, with nothing in oned's or OneGate's logs.
///
/// ## In rendered manifests
/// No manifest check: the chart refuses the missing addresses at `helm install` (this rule's install-time
/// check; the warning is no reason to refuse a release), and another chart's render carries no `oneks.tproxy`
/// values to compare with, nor says which addresses the hypervisors' proxies connect from.
///
/// ## Example
/// ```yaml
/// oneks:
///   enabled: true
/// ```
///
/// Use instead:
/// ```yaml
/// oneks:
///   enabled: true
///   tproxy:
///     onegate: {address: 192.0.2.10}
///     oned: {address: one.example.com}
/// ```
///
/// and, with `tls.enabled`, a published API or OneGate Service and the NetworkPolicy on, the hypervisors in
/// `networkPolicy.tproxyFrom`:
/// ```yaml
/// networkPolicy:
///   tproxyFrom: [{ipBlock: {cidr: 192.0.2.0/24}}]
/// ```
    pub static ONE059 = {
        id: "ONE059",
        name: "oneks-without-tproxy",
        level: Error,
        summary: "OneKS is on without the transparent proxy addresses it needs",
        fix: "Set `oneks.tproxy.onegate.address` and `oneks.tproxy.oned.address` to the addresses the hypervisors reach OneGate (5030) and oned's XML-RPC API (2633) at, in plain HTTP, and list the hypervisors in `networkPolicy.tproxyFrom` when a TLS port fronts those plain ports.",
        check: check,
        install: Install::When {
            when: Cond::And(&[
                Cond::Truthy("oneks.enabled"),
                Cond::Or(&[Cond::Falsy("oneks.tproxy.onegate.address"), Cond::Falsy("oneks.tproxy.oned.address")]),
            ]),
            message: "oneks.enabled needs oneks.tproxy.onegate.address and oneks.tproxy.oned.address: the addresses hypervisors use to reach OneGate and oned's XML-RPC API in plain HTTP",
            args: &[],
            only_if: Some(has_oneks),
        },
    }
}

/// OneKS exists from 7.4.
fn has_oneks(version: OneVersion) -> bool {
    version >= OneVersion::V7_4
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.oneks.enabled || !has_oneks(v.opennebula.version) {
        return vec![];
    }
    let missing: Vec<&str> = [
        ("oneks.tproxy.onegate.address", &v.oneks.tproxy.onegate.address),
        ("oneks.tproxy.oned.address", &v.oneks.tproxy.oned.address),
    ]
    .into_iter()
    .filter(|(_, a)| a.is_empty())
    .map(|(p, _)| p)
    .collect();
    if !missing.is_empty() {
        return vec![Hit::at(
            "oneks.enabled",
            format!("OneKS is on without {}: oneks-server.rb exits at start", missing.join(" and ")),
        )];
    }
    tproxy_cut(ctx, v).into_iter().collect()
}

/// The warning when the chart's NetworkPolicy admits only the release's own pods to a plain port the transparent
/// proxy sends to (templates/networkpolicy.yaml: the port's Service publishes a TLS port, `opennebula.tlsExposed`)
/// and `networkPolicy.tproxyFrom` adds no one.
fn tproxy_cut(ctx: &Ctx<'_>, v: &Values) -> Option<Hit> {
    let np = &v.network_policy;
    if !np.enabled || !v.tls.enabled || !np.tproxy_from.is_empty() {
        return None;
    }
    let mut cut = Vec::new();
    if v.oned.service.type_.is_external() {
        cut.push("oned's XML-RPC port (2633)".to_string());
    }
    if v.onegate.enabled && v.onegate.service.type_.is_external() {
        cut.push(format!("OneGate's plain port ({})", v.onegate.port));
    }
    if cut.is_empty() {
        return None;
    }
    // At the empty list when the values set it, else at what turned OneKS on.
    let at = if ctx.explicitly_set("/networkPolicy/tproxyFrom") { "networkPolicy.tproxyFrom" } else { "oneks.enabled" };
    Some(
        Hit::at(
            at,
            format!(
                "with tls.enabled and networkPolicy.enabled, {} admit{} only the release's own pods and \
                 networkPolicy.tproxyFrom, which is empty: the hypervisors' transparent proxy (oneks.tproxy) cannot \
                 reach {}, and the VMs' calls through it are cut",
                cut.join(" and "),
                if cut.len() == 1 { "s" } else { "" },
                if cut.len() == 1 { "it" } else { "them" },
            ),
        )
        .warning(),
    )
}
