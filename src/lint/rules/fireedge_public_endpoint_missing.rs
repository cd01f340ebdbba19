//! ONE021 `fireedge-public-endpoint-missing`: Ruby Sunstone (6.10) is exposed without FireEdge's public endpoint.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::{Api, Found};
use crate::model::OneVersion;
use crate::oneconf::Kind;

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
/// ## In rendered manifests
/// Checked: a sunstone-server.conf whose `:public_fireedge_endpoint:` is empty or a loopback address
/// (`localhost`, `127.0.0.1`) while a `LoadBalancer` or `NodePort` Service or an Ingress publishes FireEdge or
/// Sunstone: the browser is then sent to its own machine for consoles.
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
        manifests: check_manifests, reads: [Services, Ingresses],
        manifest_fix: "Set `:public_fireedge_endpoint:` in sunstone-server.conf to the URL browsers use to reach FireEdge (for example `https://cloud.example.com`).",
        install: Install::When {
            when: Cond::And(&[
                Cond::Truthy("sunstone.enabled"),
                Cond::Truthy("fireedge.enabled"),
                Cond::Template(
                    r#"or (ne $v.fireedge.service.type "ClusterIP") (ne $v.sunstone.service.type "ClusterIP") $v.ingress.enabled"#,
                ),
                Cond::Falsy("fireedge.publicEndpoint"),
            ]),
            message: "Ruby Sunstone is exposed outside the cluster; set fireedge.publicEndpoint to the URL browsers use to reach FireEdge",
            args: &[],
            only_if: Some(OneVersion::has_ruby_sunstone),
        },
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

fn loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or_default();
    host.is_empty() || host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let exposed = d.published_apis().iter().find(|p| matches!(p.api, Api::Fireedge | Api::Sunstone));
    let Some(exposed) = exposed else { return Vec::new() };
    // Only Ruby Sunstone reads the setting: a configuration no container runs it with sends no browser anywhere.
    let runs_sunstone = (0..objects.len()).any(|i| {
        d.containers(i)
            .iter()
            .any(|(_, c)| c.command.iter().chain(c.args.iter()).flatten().any(|w| w.contains("sunstone-server.rb")))
    });
    if !runs_sunstone {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for file in d.files_of(Kind::SunstoneServer) {
        let Some(c) = d.service_conf(file) else { continue };
        let Some((url, pos)) = c.text(&["public_fireedge_endpoint"]) else { continue };
        if !loopback(&url) {
            continue;
        }
        hits.push(hit_at(d, &Found::File { file, pos }, |note| format!(
                    "`:public_fireedge_endpoint:` is `{url}`{note} while `{}` publishes {} outside the cluster: browsers are sent to their own machine for consoles",
                    objects[exposed.object].id(),
                    exposed.api.describe()
                )));
    }
    hits
}
