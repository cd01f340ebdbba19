//! ONE021 `fireedge-public-endpoint-missing`: fireEdge is exposed without a public endpoint.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags FireEdge published outside the cluster (NodePort, LoadBalancer or Ingress) while
/// `fireedge.publicEndpoint` is empty.
///
/// ## Why is this bad?
/// FireEdge builds console and websocket URLs for the browser; without the public endpoint they point at the
/// pod's internal address and consoles fail to open.
///
/// ## Example
/// ```yaml
/// fireedge:
///   service:
///     type: LoadBalancer
///   publicEndpoint: ""
/// ```
///
/// Use instead:
/// ```yaml
/// fireedge:
///   service:
///     type: LoadBalancer
///   publicEndpoint: https://cloud.example.com
/// ```
    pub static ONE021 = {
        id: "ONE021",
        name: "fireedge-public-endpoint-missing",
        level: Error,
        summary: "FireEdge is exposed without a public endpoint",
        fix: "Set `fireedge.publicEndpoint` to the URL browsers use (for example `https://cloud.example.com`).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let f = &v.fireedge;
    if f.enabled && (f.service.type_.is_external() || v.ingress.enabled) && f.public_endpoint.is_empty() {
        return vec![Hit::at(
            "fireedge.publicEndpoint",
            "FireEdge is exposed outside the cluster but `fireedge.publicEndpoint` is empty",
        )];
    }
    vec![]
}
