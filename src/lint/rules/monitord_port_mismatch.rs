//! ONE005 `monitord-port-mismatch`: monitord's published port differs from the port it listens on.

use std::collections::{BTreeMap, HashMap};

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, published_port_hits};
use crate::manifest::{ManifestCtx, Typed};
use crate::model::ServiceType;

declare_rule! {
/// ## What it does
/// Flags a monitord Service whose published port (the service port, or the nodePort for `NodePort`) differs from
/// `monitord.port`. In manifest mode it also flags a monitord Service or container missing TCP or UDP.
///
/// ## Why is this bad?
/// monitord's PORT is both the port it binds and the port it tells the agents to send to, so a published port
/// that differs from it is never used and monitoring data is lost. The agents use UDP for most probes and TCP for
/// VM state, so both protocols must be published.
///
/// ## In rendered manifests
/// Checked: a Service port named `monitord*` that reaches a container port other than its own port, a node port other than that port, or monitord published without UDP or without TCP (by the Service, or by a Service of its own for the same pods and port).
///
/// ## Example
/// ```yaml
/// monitord:
///   port: 4124
///   service:
///     type: NodePort
///     port: 4124
///     nodePort: 32156
/// ```
///
/// Use instead:
/// ```yaml
/// monitord:
///   port: 32156
///   service:
///     type: NodePort
///     port: 32156
///     nodePort: 32156
/// ```
    pub static ONE005 = {
        id: "ONE005",
        name: "monitord-port-mismatch",
        level: Error,
        summary: "monitord's published port differs from the port it listens on",
        fix: "Make `monitord.service.port` (and `monitord.service.nodePort` for NodePort) equal to `monitord.port`.",
        check: check,
        manifests: check_manifests, reads: [Services],
        manifest_fix: "Publish monitord on the port it listens on (the `PORT` of monitord.conf's `NETWORK`), over both TCP and UDP, with the node port equal to it.",
        install: Install::Template(
            r#"{{- $published := ternary $v.monitord.service.nodePort $v.monitord.service.port (eq $v.monitord.service.type "NodePort") -}}
{{- if and $published (ne (int $published) (int $v.monitord.port)) -}}
{{- $errors = append $errors (printf "ONE005 monitord-port-mismatch: hypervisors send to port %d but monitord listens on %d; make monitord.service.port (and nodePort) equal monitord.port" (int $published) (int $v.monitord.port)) -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let s = &v.monitord.service;
    let mut hits = Vec::new();
    if s.port != v.monitord.port {
        hits.push(Hit::at(
            "monitord.service.port",
            format!(
                "`monitord.service.port` is {} but monitord listens on `monitord.port` {}",
                s.port, v.monitord.port
            ),
        ));
    }
    if s.type_ == ServiceType::NodePort
        && let Some(np) = s.node_port.filter(|np| *np != v.monitord.port)
    {
        hits.push(Hit::at(
            "monitord.service.nodePort",
            format!(
                "hypervisors would send to node port {np} but monitord listens on `monitord.port` {}",
                v.monitord.port
            ),
        ));
    }
    hits
}

/// Services publishing monitord (a port named `monitord*`): TCP and UDP both published, and every published port
/// (and node port) equal to the container port it reaches.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let selector = |i: usize| match &objects[i].typed {
        Typed::Service(svc) => svc.spec.as_ref().and_then(|s| s.selector.clone()),
        _ => None,
    };
    // The Services of the stream by selector, once: a Service of its own for the same pods is found by its
    // selector without comparing every pair.
    let mut by_selector: HashMap<Option<BTreeMap<String, String>>, Vec<usize>> = HashMap::new();
    for i in d.of_kind("Service") {
        by_selector.entry(selector(i)).or_default().push(i);
    }
    let mut hits = Vec::new();
    for i in d.of_kind("Service") {
        let m = &objects[i];
        let ports: Vec<_> = d.service_ports(i).iter().filter(|p| p.name.starts_with("monitord")).collect();
        if ports.is_empty() {
            continue;
        }
        let same_pods = by_selector.get(&selector(i)).map_or(&[][..], Vec::as_slice);
        for proto in ["TCP", "UDP"] {
            // The other protocol may come from a Service of its own for the same pods and port: several load
            // balancer providers refuse a Service that mixes TCP and UDP.
            let sibling = same_pods.iter().any(|&o| {
                objects[o].name != m.name
                    && d.service_ports(o)
                        .iter()
                        .any(|p| p.name.starts_with("monitord") && p.protocol == proto && p.port == ports[0].port)
            });
            if !sibling && !ports.iter().any(|p| p.protocol == proto) {
                // At the monitord port that is there, so that the location names it.
                hits.push(ManifestHit::new(
                    i,
                    format!("/spec/ports/{}", ports[0].index),
                    format!("Service `{}` publishes monitord without {proto}", m.name),
                ));
            }
        }
        for p in &ports {
            hits.extend(published_port_hits(i, p, "monitord"));
        }
    }
    hits
}
