//! ONE006 `console-port-mismatch`: the published console port differs from the one OpenNebula advertises.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, published_port_hits};
use crate::manifest::ManifestCtx;
use crate::model::ServiceType;

declare_rule! {
/// ## What it does
/// On OpenNebula 6.10 with Ruby Sunstone, flags a noVNC Service port that differs from `sunstone.vncProxyPort`.
/// On 7.x, flags a FireEdge Service (NodePort or LoadBalancer, without Ingress) whose published port differs from
/// the port in `fireedge.publicEndpoint`.
///
/// ## Why is this bad?
/// Browsers open the console on the port the GUI advertises (`:vnc_proxy_port` in 6.x, the public FireEdge URL in
/// 7.x). If the Service publishes another port, the page loads but every VNC console fails to connect.
///
/// ## In rendered manifests
/// Checked: a Service port named `novnc` or `vnc` whose port, container port and node port differ.
///
/// ## Example
/// ```yaml
/// sunstone:
///   enabled: true
///   vncProxyPort: 29876
///   service:
///     vncPort: 443
/// ```
///
/// Use instead:
/// ```yaml
/// sunstone:
///   enabled: true
///   vncProxyPort: 29876
///   service:
///     vncPort: 29876
/// ```
    pub static ONE006 = {
        id: "ONE006",
        name: "console-port-mismatch",
        level: Error,
        summary: "The published console port differs from the one OpenNebula advertises",
        fix: "Publish the console on the port OpenNebula advertises: `sunstone.service.vncPort` equal to `sunstone.vncProxyPort` (6.10), or the FireEdge published port equal to the port in `fireedge.publicEndpoint` (7.x).",
        check: check,
        manifests: check_manifests, reads: [Services],
        manifest_fix: "Publish the noVNC proxy on the port Sunstone advertises (`:vnc_proxy_port:` of sunstone-server.conf), with equal container and node ports.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    if v.opennebula.version.has_ruby_sunstone()
        && v.sunstone.enabled
        && v.sunstone.service.vnc_port != v.sunstone.vnc_proxy_port
    {
        hits.push(Hit::at(
            "sunstone.service.vncPort",
            format!(
                "noVNC is published on port {} but Sunstone tells browsers to use `sunstone.vncProxyPort` {}",
                v.sunstone.service.vnc_port, v.sunstone.vnc_proxy_port
            ),
        ));
    }
    let f = &v.fireedge;
    if f.enabled && f.service.type_.is_external() && !v.ingress.enabled {
        let published = match f.service.type_ {
            ServiceType::NodePort => f.service.node_port,
            _ => Some(f.service.port),
        };
        if let (Some(published), Some(url_port)) = (published, url_port(&f.public_endpoint))
            && published != url_port
        {
            hits.push(Hit::at(
                "fireedge.publicEndpoint",
                format!("`fireedge.publicEndpoint` uses port {url_port} but FireEdge is published on port {published}"),
            ));
        }
    }
    hits
}

/// The explicit port of a URL, or the scheme's default.
fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host_port.starts_with('[') => port.parse().ok(),
        _ => match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        },
    }
}

/// Services publishing noVNC (a port named `novnc`): the published port (and node port) equal to the container
/// port, which is the `:vnc_proxy_port` Sunstone advertises.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let _objects = d.objects;
    let mut hits = Vec::new();
    for i in d.of_kind("Service") {
        for p in d.service_ports(i).iter().filter(|p| p.name == "novnc" || p.name == "vnc") {
            hits.extend(published_port_hits(i, p, "noVNC"));
        }
    }
    hits
}
