//! ONE033 `unreachable-daemon`: a published OpenNebula service listens only on loopback, or not where its
//! configuration is read from.

use serde_json::Value;

use crate::declare_rule;
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::Manifest;
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::{FileMount, Found, one_release};
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// In rendered manifests, reads the listening address of each service whose configuration a container mounts
/// and flags it when a Service of the stream publishes that container yet the daemon listens only on loopback
/// (`127.0.0.1`, `localhost`, `::1`): OneGate, OneFlow and Ruby Sunstone bind to `:host:`/`:port:`
/// (OpenNebula/one@release-7.2.0:src/onegate/onegate-server.rb:93-94, release-7.4.0:src/flow/oneflow-server.rb:127-128,
/// release-6.10.5:src/sunstone/sunstone-server.rb:193-194), FireEdge to `host:`/`port:`
/// (release-7.4.0:src/fireedge/src/server/index.js:79-80). From 7.4, OneGate reads only its `:server:` block
/// (`:bind:`, `:port:`, release-7.4.0:src/onegate/onegate-server.rb:93-102): a 7.4 image with an older
/// onegate-server.conf that sets a top-level `:host:` and no `:server:` is flagged too.
///
/// ## Why is this bad?
/// The stock configurations bind OneGate and OneFlow to `127.0.0.1`. Published as they are, the Service
/// connects to a port nobody listens on from outside the pod: VMs cannot reach OneGate and Sunstone cannot reach
/// OneFlow, while every pod reports Running.
///
/// ## In rendered manifests
/// This is a manifest-only check: onechart writes these files itself with the address its Services reach.
///
/// ## Example
/// ```yaml
/// onegate-server.conf: |
///   :server:
///     :bind: 127.0.0.1
///     :port: 5030
/// ```
///
/// Use instead:
/// ```yaml
/// onegate-server.conf: |
///   :server:
///     :bind: 0.0.0.0
///     :port: 5030
/// ```
    pub static ONE033 = {
        id: "ONE033",
        name: "unreachable-daemon",
        level: Error,
        summary: "A published OpenNebula service listens only on loopback, or where its configuration does not say",
        fix: "Make the service listen on all addresses (`0.0.0.0`) in its configuration, using the keys its version reads.",
        check: crate::lint::manifests_only,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "Set the service's listening address to `0.0.0.0` (`:server:` → `:bind:` for OneGate 7.4 and later, `:host:` for OneFlow, Sunstone and older OneGate, `host:` for FireEdge).",
        manifests_only: true,
    }
}

fn loopback(h: &str) -> bool {
    let h = h.trim().to_ascii_lowercase();
    h == "localhost" || h.starts_with("127.") || h == "::1"
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    let kinds = [
        (Kind::OnegateServer, "OneGate"),
        (Kind::OneflowServer, "OneFlow"),
        (Kind::SunstoneServer, "Sunstone"),
        (Kind::FireedgeServer, "FireEdge"),
    ];
    for (kind, what) in kinds {
        for file in d.files_of(kind) {
            let Some(conf) = d.service_conf(file) else { continue };
            let mounts: Vec<&FileMount> = d.mounts.iter().filter(|m| m.file == file).collect();
            let Some(mount) = mounts.first() else { continue };
            let release = container_image(objects, mount).and_then(one_release);
            let server_block = kind == Kind::OnegateServer && conf.get(&["server"]).is_some();
            let new_onegate = kind == Kind::OnegateServer && release.is_some_and(|r| r >= (7, 4));
            if new_onegate
                && !server_block
                && let Some((host, pos)) = conf.text(&["host"])
            {
                hits.push(hit_at(d, &Found::File { file, pos }, |note| format!(
                            "onegate-server.conf sets `:host: {host}`{note} but OneGate {}.{} reads only its `:server:` block, so it ignores the address and port",
                            release.map_or(7, |r| r.0),
                            release.map_or(4, |r| r.1)
                        )));
                continue;
            }
            let bind = if server_block || new_onegate { conf.text(&["server", "bind"]) } else { conf.text(&["host"]) };
            let port = if server_block || new_onegate { conf.text(&["server", "port"]) } else { conf.text(&["port"]) };
            let Some((host, pos)) = bind.filter(|(h, _)| loopback(h)) else { continue };
            let port: Option<i32> = port.and_then(|(p, _)| p.parse().ok());
            let Some(svc) = mounts.iter().find_map(|m| publishing_service(d, m.object, port)) else { continue };
            hits.push(hit_at(d, &Found::File { file, pos }, |note| format!(
                        "{what} listens on `{host}`{note}, only inside its pod, but `{}` publishes it: connections through the Service are refused",
                        objects[svc].id()
                    )));
        }
    }
    hits
}

fn container_image<'a>(objects: &'a [Manifest], m: &FileMount) -> Option<&'a str> {
    objects[m.object].raw.pointer(&format!("{}/image", m.container_pointer)).and_then(Value::as_str)
}

/// A Service that selects the workload's pods and reaches `port` (any port when unknown).
fn publishing_service(d: &ManifestCtx<'_>, workload: usize, port: Option<i32>) -> Option<usize> {
    d.services_selecting(workload)
        .iter()
        .copied()
        .find(|s| d.service_ports(*s).iter().any(|p| port.is_none_or(|want| p.container_port == Some(want))))
}
