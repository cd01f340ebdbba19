//! ONE021 `fireedge-public-endpoint-missing`: fireEdge is exposed without a public endpoint.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::Manifest;
use crate::manifest::deploy::{Api, Deployment, Origin};
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags FireEdge published outside the cluster (NodePort, LoadBalancer or Ingress) while
/// `fireedge.publicEndpoint` is empty.
///
/// ## Why is this bad?
/// FireEdge builds console and websocket URLs for the browser; without the public endpoint they point at the
/// pod's internal address and consoles fail to open.
///
/// ## In rendered manifests
/// Checked: a sunstone-server.conf whose `:public_fireedge_endpoint:` is empty or a loopback address
/// (`localhost`, `127.0.0.1`) while a `LoadBalancer` or `NodePort` Service or an Ingress publishes FireEdge or
/// Sunstone: the browser is then sent to its own machine for consoles.
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
        manifests: check_manifests,
        manifest_fix: "Set `:public_fireedge_endpoint:` in sunstone-server.conf to the URL browsers use to reach FireEdge (for example `https://cloud.example.com`).",
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

fn loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or_default();
    host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

fn check_manifests(objects: &[Manifest]) -> Vec<ManifestHit> {
    let d = Deployment::new(objects);
    let exposed = d.published_apis().into_iter().find(|p| matches!(p.api, Api::Fireedge | Api::Sunstone));
    let Some(exposed) = exposed else { return Vec::new() };
    let mut hits = Vec::new();
    for file in d.files_of(Kind::SunstoneServer) {
        let Some(c) = d.service_conf(file) else { continue };
        let Some((url, pos)) = c.text(&["public_fireedge_endpoint"]) else { continue };
        if !loopback(&url) {
            continue;
        }
        hits.push(hit_at(&d, &Origin::File { file, pos }, |note| format!(
                    "`:public_fireedge_endpoint:` is `{url}`{note} while `{}` publishes {} outside the cluster: browsers are sent to their own machine for consoles",
                    objects[exposed.object].id(),
                    exposed.api.describe()
                )));
    }
    hits
}
