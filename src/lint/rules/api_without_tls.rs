//! ONE013 `api-without-tls`: an OpenNebula API is exposed outside the cluster without TLS.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags oned, FireEdge or OneGate published outside the cluster (a `NodePort` or `LoadBalancer` Service, or the
/// Ingress) while `tls.enabled` is false.
///
/// ## Why is this bad?
/// oned's XML-RPC API, FireEdge and OneGate carry passwords and session tokens in clear text; OpenNebula itself
/// has no TLS on these ports, so TLS must be terminated in front of them. With `tls.enabled` the chart does: each
/// member's TLS proxy serves the exposed Services' ports, and the Ingress terminates TLS for FireEdge.
///
/// ## Example
/// ```yaml
/// oned:
///   service:
///     type: LoadBalancer
/// tls:
///   enabled: false
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   service:
///     type: LoadBalancer
/// tls:
///   enabled: true
///   secretName: opennebula-tls
/// ```
    pub static ONE013 = {
        id: "ONE013",
        name: "api-without-tls",
        level: ErrorInProduction,
        summary: "An OpenNebula API is exposed outside the cluster without TLS",
        fix: "Set `tls.enabled: true` with `tls.secretName` or `tls.certManager.issuerName` (the chart's TLS proxy then serves every exposed port), or keep the Service `ClusterIP`.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.tls.enabled {
        return vec![];
    }
    let mut hits = Vec::new();
    if v.oned.service.type_.is_external() {
        hits.push(Hit::at("oned.service.type", format!("oned is exposed as `{:?}` without TLS", v.oned.service.type_)));
    }
    if v.fireedge.enabled && v.fireedge.service.type_.is_external() {
        hits.push(Hit::at(
            "fireedge.service.type",
            format!("FireEdge is exposed as `{:?}` without TLS", v.fireedge.service.type_),
        ));
    }
    if v.fireedge.enabled && v.ingress.enabled {
        hits.push(Hit::at("ingress.enabled", "FireEdge is exposed through the Ingress without TLS"));
    }
    if v.onegate.enabled && v.onegate.service.type_.is_external() {
        hits.push(Hit::at(
            "onegate.service.type",
            format!("OneGate is exposed as `{:?}` without TLS", v.onegate.service.type_),
        ));
    }
    hits
}
