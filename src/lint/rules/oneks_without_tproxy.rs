//! ONE059 `oneks-without-tproxy`: OneKS is on without the transparent proxy addresses it needs.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::model::OneVersion;

declare_rule! {
/// ## What it does
/// Flags `oneks.enabled: true` (OpenNebula 7.4 and later) without both `oneks.tproxy.onegate.address` and
/// `oneks.tproxy.oned.address`.
///
/// ## Why is this bad?
/// `oneks-server.rb` exits at start unless the transparent proxy of `OpenNebulaNetwork.conf` serves ports 5030
/// and 2633 (OpenNebula/one@release-7.4.0:src/oneks/oneks-server.rb:33-41, `validate_conf!`;
/// `src/oneks/app/models/dependencies/cluster_router.rb:125-156`): the VMs of the Kubernetes clusters OneKS
/// creates reach OneGate and oned through it. The chart writes those entries from `oneks.tproxy`, and cannot
/// guess the addresses the hypervisors reach the front-end at.
///
/// ## In rendered manifests
/// No manifest check: the chart refuses these values at `helm install` (this rule's install-time check), and
/// another chart's render carries no `oneks.tproxy` values to compare with.
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
    pub static ONE059 = {
        id: "ONE059",
        name: "oneks-without-tproxy",
        level: Error,
        summary: "OneKS is on without the transparent proxy addresses it needs",
        fix: "Set `oneks.tproxy.onegate.address` and `oneks.tproxy.oned.address` to the addresses the hypervisors reach OneGate (5030) and oned's XML-RPC API (2633) at, in plain HTTP.",
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
    if missing.is_empty() {
        return vec![];
    }
    vec![Hit::at(
        "oneks.enabled",
        format!("OneKS is on without {}: oneks-server.rb exits at start", missing.join(" and ")),
    )]
}
