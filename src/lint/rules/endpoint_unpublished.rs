//! ONE057 `endpoint-unpublished`: an address hypervisors or VMs must reach is outside the cluster, but nothing
//! publishes what it names.

use crate::declare_rule;
use crate::lint::{Ctx, Hit, ManifestHit, Severity};
use crate::manifest::deploy::{Api, Found};
use crate::manifest::{ManifestCtx, Typed};
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags an address the front-end hands out to hosts outside the cluster while the Service it names stays
/// inside it (`ClusterIP`): `oned.hostname` (the hypervisors copy images over SSH from `<oned.hostname>:22`, the
/// `-ssh` Service), `onegate.endpoint` (VMs reach OneGate there, the `-onegate` Service) and
/// `monitord.monitorAddress` (hypervisors send monitoring there, the `-monitord` Service). An address is inside
/// the cluster when it is a Service name: a single label, or a name under `.svc` (`<svc>.<namespace>.svc`,
/// `...svc.cluster.local`).
///
/// ## Why is this bad?
/// Transfer drivers name every image `<HOSTNAME>:<path>` (OpenNebula/one@release-7.4.0:src/tm/TransferManager.cc:181)
/// and on 7.x the hypervisor runs `ssh -n <HOSTNAME>` in PROLOG (src/tm_mad/local/clone:152-214); a VM with
/// `TOKEN = "YES"` is given `ONEGATE_ENDPOINT` (src/vm/VirtualMachineContext.cc). A name that resolves to an
/// external address while the Service behind it is `ClusterIP` reaches nothing: deployments fail in PROLOG,
/// OneFlow services and appliances never report, hosts stay in `ERROR`, while every pod is Ready.
///
/// ## In rendered manifests
/// Checked: oned.conf's `HOSTNAME` and `ONEGATE_ENDPOINT` and monitord.conf's `NETWORK/MONITOR_ADDRESS`, when they
/// name an address outside the cluster, against the stream's Services: a `LoadBalancer` or `NodePort` Service
/// with an SSH port (named `ssh*`, or port 22), one that publishes OneGate (by port name or number, or an
/// Ingress), one with a `monitord*` port. The stream cannot show a publication made outside it (a load balancer
/// of your own, host networking): a warning, which a suppression with the reason silences.
///
/// ## Example
/// ```yaml
/// oned:
///   hostname: opennebula.example.com
/// ssh:
///   service:
///     type: ClusterIP
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   hostname: opennebula.example.com   # resolves to the -ssh Service's load balancer address
/// ssh:
///   service:
///     type: LoadBalancer
/// ```
    pub static ONE057 = {
        id: "ONE057",
        name: "endpoint-unpublished",
        level: Warning,
        summary: "An address hypervisors or VMs must reach is outside the cluster, but its Service is not published",
        fix: "Publish the Service the address names (`ssh.service.type`, `onegate.service.type` or `monitord.service.type`: `LoadBalancer` or `NodePort`, with TLS for OneGate), or give the Service's in-cluster name where the clients run in the cluster.",
        check: check,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "Publish the Service outside the cluster (`type: LoadBalancer` or `NodePort`) and make the address resolve to it, or set the address to the Service's in-cluster name.",
    }
}

/// True when an address names something outside the cluster: not a Service name (a single label, or a name
/// under `.svc`).
fn external(address: &str) -> bool {
    let host = address.trim().trim_end_matches('.');
    if host.is_empty() {
        return false;
    }
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    is_ip || (host.contains('.') && !(host.ends_with(".svc") || host.contains(".svc.")))
}

/// The host of a URL (`https://onegate.example.com:5030/x` gives `onegate.example.com`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    if external(&v.oned.hostname) && !v.ssh.service.type_.is_external() {
        hits.push(Hit::at(
            "oned.hostname",
            format!(
                "`{}` is an address outside the cluster, but the `-ssh` Service the hypervisors copy images through (`<oned.hostname>:22`) is `ClusterIP`",
                v.oned.hostname
            ),
        ));
    }
    let gate = host_of(&v.onegate.endpoint);
    if v.onegate.enabled && external(gate) && !v.onegate.service.type_.is_external() {
        hits.push(Hit::at(
            "onegate.endpoint",
            format!("`{gate}` is an address outside the cluster, but the `-onegate` Service VMs reach OneGate at is `ClusterIP`"),
        ));
    }
    let monitor = &v.monitord.monitor_address;
    if monitor != "auto" && external(monitor) && !v.monitord.service.type_.is_external() {
        hits.push(Hit::at(
            "monitord.monitorAddress",
            format!("`{monitor}` is an address outside the cluster, but the `-monitord` Service hypervisors send monitoring to is `ClusterIP`"),
        ));
    }
    hits
}

/// The Service ports of the stream published outside the cluster (`LoadBalancer`, `NodePort`): (name, port).
fn published_ports(d: &ManifestCtx<'_>) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for s in d.of_kind("Service") {
        let Typed::Service(svc) = &d.objects[s].typed else { continue };
        let ty = svc.spec.as_ref().and_then(|s| s.type_.as_deref()).unwrap_or_default();
        if ty == "LoadBalancer" || ty == "NodePort" {
            out.extend(d.service_ports(s).iter().map(|p| (p.name.to_ascii_lowercase(), p.port)));
        }
    }
    out
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let ports = published_ports(d);
    let ssh = ports.iter().any(|(n, p)| n.starts_with("ssh") || *p == 22);
    let monitord = ports.iter().any(|(n, _)| n.starts_with("monitord"));
    let onegate = d.published_apis().iter().any(|p| p.api == Api::Onegate);
    let mut hits = Vec::new();
    let mut report = |file: usize, pos, what: &str, address: &str, service: &str| {
        let f = &d.files[file];
        let (object, pointer, location, note) = d.locate(&Found::File { file, pos });
        hits.push(
            ManifestHit::new(
                object,
                pointer,
                format!(
                    "{} in `{}` (key `{}`) sets {what} `{address}`{note}, an address outside the cluster, but no Service of the stream publishes {service} outside it",
                    f.key,
                    objects[f.object].id(),
                    f.key
                ),
            )
            .at(location)
            .severity(Severity::Warning),
        );
    };
    for file in d.files_of(Kind::Oned) {
        let Some(t) = d.template(file) else { continue };
        if let Some(h) = t.single("HOSTNAME")
            && external(&h.text)
            && !ssh
        {
            report(file, h.pos, "`HOSTNAME`", &h.text, "SSH (port 22, which the hypervisors copy images through)");
        }
        if let Some(e) = t.single("ONEGATE_ENDPOINT")
            && external(host_of(&e.text))
            && !onegate
        {
            report(file, e.pos, "`ONEGATE_ENDPOINT`", &e.text, "OneGate");
        }
    }
    for file in d.files_of(Kind::Monitord) {
        let Some(t) = d.template(file) else { continue };
        if let Some(a) = t.vector("NETWORK").and_then(|n| n.get("MONITOR_ADDRESS"))
            && a.text != "auto"
            && external(&a.text)
            && !monitord
        {
            report(file, a.pos, "`MONITOR_ADDRESS`", &a.text.clone(), "monitord");
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_and_outside_the_cluster() {
        for inside in ["one-opennebula-ssh", "one-opennebula-ssh.cloud.svc", "x.cloud.svc.cluster.local", ""] {
            assert!(!external(inside), "{inside}");
        }
        for outside in ["opennebula.example.com", "192.0.2.10", "2001:db8::1"] {
            assert!(external(outside), "{outside}");
        }
        assert_eq!(host_of("https://onegate.example.com:5030/path"), "onegate.example.com");
        assert_eq!(host_of("http://[2001:db8::1]:5030"), "2001:db8::1");
        assert_eq!(host_of("http://one-opennebula-onegate.cloud.svc:5030"), "one-opennebula-onegate.cloud.svc");
    }
}
