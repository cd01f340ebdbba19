//! ONE021 `fireedge-public-endpoint-missing`: Ruby Sunstone (6.10) is exposed without FireEdge's public endpoint.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// On OpenNebula 6.10 with Ruby Sunstone, flags FireEdge or Sunstone published outside the cluster (NodePort,
/// LoadBalancer or Ingress) while `fireedge.publicEndpoint` is empty. On 7.x it never fires.
///
/// ## Why is this bad?
/// Ruby Sunstone (6.10) sends browsers to FireEdge at `:public_fireedge_endpoint`
/// (OpenNebula/one@release-6.10.5:src/sunstone/etc/sunstone-server.conf:247, read in sunstone-server.rb:427-430);
/// left at its default, it names `localhost` and the FireEdge views and consoles fail. FireEdge itself (6.10 and
/// 7.x) reads no public-endpoint setting: it builds its URLs from the browser's own address under `/fireedge`
/// (OpenNebula/one@release-7.4.0:src/fireedge/src/client/bootstrap.js:19,134), so on 7.x there is nothing to set.
///
/// ## Example
/// ```yaml
/// opennebula:
///   version: "6.10"
/// sunstone:
///   enabled: true
/// fireedge:
///   service:
///     type: LoadBalancer
///   publicEndpoint: ""
/// ```
///
/// Use instead:
/// ```yaml
/// opennebula:
///   version: "6.10"
/// sunstone:
///   enabled: true
/// fireedge:
///   service:
///     type: LoadBalancer
///   publicEndpoint: https://cloud.example.com
/// ```
    pub static ONE021 = {
        id: "ONE021",
        name: "fireedge-public-endpoint-missing",
        level: Error,
        summary: "Ruby Sunstone (6.10) is exposed without FireEdge's public endpoint",
        fix: "Set `fireedge.publicEndpoint` to the URL browsers use (for example `https://cloud.example.com`).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let f = &v.fireedge;
    let exposed = f.service.type_.is_external() || v.sunstone.service.type_.is_external() || v.ingress.enabled;
    if v.opennebula.version.has_ruby_sunstone()
        && v.sunstone.enabled
        && f.enabled
        && exposed
        && f.public_endpoint.is_empty()
    {
        return vec![Hit::at(
            "fireedge.publicEndpoint",
            "Ruby Sunstone is exposed outside the cluster but `fireedge.publicEndpoint` is empty: it sends browsers to FireEdge at localhost",
        )];
    }
    vec![]
}
