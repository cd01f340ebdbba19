//! ONE013 `api-without-tls`: an OpenNebula API is exposed outside the cluster without TLS.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, Severity};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Via;

declare_rule! {
/// ## What it does
/// Flags oned, FireEdge or OneGate published by a `NodePort` or `LoadBalancer` Service, or FireEdge published by
/// the Ingress, while `tls.enabled` is false. With `tls.enabled` every port those Services publish is the TLS
/// proxy's, and the Ingress terminates TLS.
///
/// ## Why is this bad?
/// oned's XML-RPC API, FireEdge and OneGate carry passwords and session tokens in clear text; OpenNebula itself
/// has no TLS on these ports, so TLS must be terminated in front of them. With `tls.enabled` the chart does: each
/// member's TLS proxy serves the exposed Services' ports, and the Ingress terminates TLS for FireEdge.
///
/// ## In rendered manifests
/// Checked: a `LoadBalancer` or `NodePort` Service, or an Ingress rule, that reaches oned's XML-RPC (2633),
/// FireEdge (2616), OneGate (5030), OneFlow (2474) or Sunstone (9869) — by port name, or by port number on pods
/// running an OpenNebula image — without TLS in front: no Ingress `tls` entry for the rule's host, no load
/// balancer certificate annotation, and a Service port that does not say it carries TLS (`appProtocol: https`,
/// or a port or target port name starting with `https` or ending with `tls`, as the chart's TLS proxy ports do). What the stream shows decides the severity: a `LoadBalancer` or an Ingress is
/// an error, a `NodePort` (reachable on the nodes' network) a warning.
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
///     type: LoadBalancer   # the TLS proxy serves its port
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
        manifests: check_manifests, reads: [Services, Ingresses],
        manifest_fix: "Terminate TLS in front of the daemon (an Ingress with `spec.tls` and a certificate, or a load balancer with a TLS listener), or keep its Service `ClusterIP`.",
        install: Install::When {
            when: Cond::And(&[
                Cond::Production,
                Cond::Falsy("tls.enabled"),
                Cond::Template(
                    r#"or (ne $v.oned.service.type "ClusterIP") (and $v.fireedge.enabled (or (ne $v.fireedge.service.type "ClusterIP") $v.ingress.enabled)) (and $v.onegate.enabled (ne $v.onegate.service.type "ClusterIP"))"#,
                ),
            ]),
            message: "an API is exposed outside the cluster without TLS; set tls.enabled=true with tls.secretName or tls.certManager.issuerName (the TLS proxy then serves every exposed port), or keep the Services ClusterIP",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    // With `tls.enabled` the chart's TLS proxy serves every port a NodePort or LoadBalancer Service publishes,
    // and the Ingress terminates TLS with the same certificate.
    if v.tls.enabled {
        return hits;
    }
    let exposed = [
        (true, "oned.service.type", "oned", v.oned.service.type_),
        (v.fireedge.enabled, "fireedge.service.type", "FireEdge", v.fireedge.service.type_),
        (v.onegate.enabled, "onegate.service.type", "OneGate", v.onegate.service.type_),
    ];
    for (on, path, what, ty) in exposed {
        if on && ty.is_external() {
            hits.push(Hit::at(path, format!("{what} is exposed as `{ty:?}` without TLS")));
        }
    }
    if v.fireedge.enabled && v.ingress.enabled {
        hits.push(Hit::at("ingress.enabled", "FireEdge is exposed through the Ingress without TLS"));
    }
    hits
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits: Vec<ManifestHit> = Vec::new();
    let published: Vec<_> = d.published_apis().iter().filter(|p| !p.tls).collect();
    let mut objects_seen: Vec<usize> = Vec::new();
    for p in &published {
        if objects_seen.contains(&p.object) {
            continue;
        }
        objects_seen.push(p.object);
        let same: Vec<_> = published.iter().filter(|q| q.object == p.object).collect();
        let mut apis: Vec<String> = same.iter().map(|q| format!("{} ({})", q.api.describe(), q.port)).collect();
        apis.dedup();
        let m = &objects[p.object];
        let (how, severity, pointer) = match p.via {
            Via::LoadBalancer => ("a LoadBalancer Service", Severity::Error, "/spec/type".to_string()),
            Via::NodePort => ("a NodePort Service", Severity::Warning, "/spec/type".to_string()),
            Via::Ingress => ("an Ingress without TLS for its host", Severity::Error, p.pointer.clone()),
        };
        hits.push(
            ManifestHit::new(
                p.object,
                pointer,
                format!(
                    "`{}` is {how} publishing {} in clear text: passwords and session tokens cross the network unencrypted",
                    m.id(),
                    apis.join(", ")
                ),
            )
            .severity(severity),
        );
    }
    hits
}
