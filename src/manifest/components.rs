//! Which containers of a stream run an OpenNebula component, and which objects belong to the OpenNebula
//! deployment. A chart that is not OpenNebula yields no finding, so every check is scoped to what really runs
//! OpenNebula: a container is a component when what it runs says so (its program, its name, an OpenNebula
//! image, or an OpenNebula daemon's configuration mounted or handed to it), never by a port number alone.
//!
//! Hypervisor-side containers (libvirt, a node configurator), Helm's test pods and the charts around OpenNebula
//! in a platform stream are not components: the rules about the front-end's pods do not judge them.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::Container;
use serde_json::Value;

use super::deploy::image_name;
use super::{ManifestCtx, Typed};
use crate::oneconf::Kind;

/// An OpenNebula daemon a container runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Daemon {
    /// oned, the core (with monitord and the scheduler it starts).
    Oned,
    /// onemonitord on its own.
    Monitord,
    /// FireEdge (the 7.x web UI; the 6.x VNC and guacamole proxy).
    Fireedge,
    /// Ruby Sunstone (up to 6.10) and its noVNC proxy.
    Sunstone,
    /// OneGate.
    Onegate,
    /// OneFlow.
    Oneflow,
    /// OneForm (7.2 and later).
    Oneform,
    /// OneKS (7.4).
    Oneks,
    /// The hook execution manager.
    Hem,
    /// The Prometheus exporter.
    Exporter,
}

impl Daemon {
    /// The daemon whose configuration file this is.
    pub fn of_config(kind: Kind) -> Option<Daemon> {
        Some(match kind {
            Kind::Oned | Kind::VmmExecKvm => Daemon::Oned,
            Kind::Monitord => Daemon::Monitord,
            Kind::OnegateServer => Daemon::Onegate,
            Kind::OneflowServer => Daemon::Oneflow,
            Kind::SunstoneServer => Daemon::Sunstone,
            Kind::FireedgeServer => Daemon::Fireedge,
            Kind::SshConfig => return None,
        })
    }

    /// The daemon a program (a word of a command line) is: `oned`, `/usr/bin/oned`, `onegate-server.rb`,
    /// `/usr/lib/one/fireedge/dist/index.js`.
    fn of_program(word: &str) -> Option<Daemon> {
        let word = word.trim_matches(|c: char| c == '"' || c == '\'' || c == ';' || c == '&');
        if word.contains("/fireedge/") {
            return Some(Daemon::Fireedge);
        }
        let base = word.rsplit('/').next().unwrap_or(word);
        let base = base.strip_suffix(".rb").unwrap_or(base);
        Some(match base {
            "oned" => Daemon::Oned,
            "onemonitord" => Daemon::Monitord,
            "fireedge-server" | "fireedge" => Daemon::Fireedge,
            "sunstone-server" | "novnc-server" => Daemon::Sunstone,
            "onegate-server" => Daemon::Onegate,
            "oneflow-server" => Daemon::Oneflow,
            "oneform-server" => Daemon::Oneform,
            "oneks-server" => Daemon::Oneks,
            "onehem-server" => Daemon::Hem,
            "opennebula-exporter" | "opennebula_exporter" => Daemon::Exporter,
            _ => return None,
        })
    }

    /// The daemon a container name says it runs (the names the OpenNebula charts give their containers).
    fn of_container_name(name: &str) -> Option<Daemon> {
        Some(match name.to_ascii_lowercase().as_str() {
            "oned" | "opennebula" | "opennebula-frontend" | "opennebula-oned" => Daemon::Oned,
            "onemonitord" | "monitord" => Daemon::Monitord,
            "fireedge" | "opennebula-fireedge" => Daemon::Fireedge,
            "sunstone" | "opennebula-sunstone" => Daemon::Sunstone,
            "onegate" | "opennebula-gate" | "opennebula-onegate" => Daemon::Onegate,
            "oneflow" | "opennebula-flow" | "opennebula-oneflow" => Daemon::Oneflow,
            "oneform" => Daemon::Oneform,
            "oneks" => Daemon::Oneks,
            "opennebula-exporter" => Daemon::Exporter,
            _ => return None,
        })
    }

    /// The daemon an image says it runs: OpenNebula's own (`opennebula/opennebula`) and the community images
    /// named after a component (`opennebula-gate`, `opennebula-flow`, `opennebula-sunstone`, `opennebula-exporter`).
    /// Hypervisor images (`opennebula-node-kvm`) are not front-end components.
    fn of_image(image: &str) -> Option<Daemon> {
        let name = image_name(image).to_ascii_lowercase();
        let rest = name.strip_prefix("opennebula")?;
        if rest.contains("node") || rest.contains("kvm") || rest.contains("lxc") || rest.contains("hypervisor") {
            return None;
        }
        let rest = rest.trim_start_matches(['-', '_']);
        Some(match rest {
            "gate" | "onegate" => Daemon::Onegate,
            "flow" | "oneflow" => Daemon::Oneflow,
            "sunstone" => Daemon::Sunstone,
            "fireedge" => Daemon::Fireedge,
            "exporter" => Daemon::Exporter,
            _ => Daemon::Oned,
        })
    }

    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Daemon::Oned => "oned",
            Daemon::Monitord => "monitord",
            Daemon::Fireedge => "FireEdge",
            Daemon::Sunstone => "Sunstone",
            Daemon::Onegate => "OneGate",
            Daemon::Oneflow => "OneFlow",
            Daemon::Oneform => "OneForm",
            Daemon::Oneks => "OneKS",
            Daemon::Hem => "the hook manager",
            Daemon::Exporter => "the Prometheus exporter",
        }
    }
}

/// A container that runs OpenNebula.
#[derive(Debug, Clone)]
pub struct Component {
    /// The workload.
    pub object: usize,
    /// The container's JSON pointer.
    pub pointer: String,
    /// The daemons it runs, as far as what it runs says; several for an all-in-one container.
    pub daemons: Vec<Daemon>,
    /// The daemons whose configuration it is given (mounted or through its environment).
    pub configured: Vec<Daemon>,
    /// True when it runs OpenNebula's command-line tools (`onedb`, `onezone`, ...), as hook Jobs and test pods
    /// do.
    pub tools: bool,
}

impl Component {
    /// Every daemon the container may run: the ones it says it runs, and the ones whose configuration it is
    /// given.
    pub fn candidates(&self) -> Vec<Daemon> {
        let mut all: Vec<Daemon> = self.daemons.iter().chain(&self.configured).copied().collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The daemons a container says it runs, by its program, its name and its image.
pub(super) fn daemons_of(c: &Container) -> Vec<Daemon> {
    let mut out: Vec<Daemon> = c
        .command
        .iter()
        .chain(c.args.iter())
        .flatten()
        .flat_map(|a| a.split_whitespace())
        .filter_map(Daemon::of_program)
        .collect();
    out.extend(Daemon::of_container_name(&c.name));
    // The image decides only what its own entrypoint runs: a container of OpenNebula's image with a command of
    // its own (an add-on, sshd, a hook manager beside oned) runs what that command names.
    if out.is_empty() && c.command.is_none() {
        out.extend(c.image.as_deref().and_then(Daemon::of_image));
    }
    out.sort();
    out.dedup();
    out
}

/// OpenNebula's own credential files (`/var/lib/one/.one/*`): a ConfigMap or Secret key with one of these
/// names is OpenNebula's, whatever else is in the stream.
fn is_opennebula_data(key: &str) -> bool {
    matches!(
        key,
        "one_auth"
            | "one_key"
            | "fireedge_key"
            | "sunstone_auth"
            | "oneflow_auth"
            | "onegate_auth"
            | "oneks_auth"
            | "occi_auth"
            | "ec2_auth"
    )
}

/// True for an image whose name says it is OpenNebula's (a front-end component's).
pub fn is_opennebula_image(image: &str) -> bool {
    Daemon::of_image(image).is_some()
}

/// OpenNebula's command-line tools.
const TOOLS: &[&str] = &[
    "onedb",
    "onezone",
    "oneuser",
    "onegroup",
    "onehost",
    "onevm",
    "onedatastore",
    "oneimage",
    "onetemplate",
    "onevnet",
    "onecluster",
    "oneacl",
    "onemarket",
    "onemarketapp",
    "onesecgroup",
    "onevdc",
    "onevrouter",
    "oneshowback",
    "onebackupjob",
    "onehook",
    "oneflow",
    "oneflow-template",
    "oneprovision",
];

/// True when a container runs one of OpenNebula's command-line tools.
pub(super) fn runs_tools(c: &Container) -> bool {
    c.command.iter().chain(c.args.iter()).flatten().flat_map(|a| a.split_whitespace()).any(|w| {
        let w = w.trim_matches(|c: char| c == '"' || c == '\'' || c == ';' || c == '(' || c == ')');
        TOOLS.contains(&w.rsplit('/').next().unwrap_or(w))
    })
}

/// The release an object belongs to: Helm's `app.kubernetes.io/instance` label (or the older `release`), with
/// the namespace.
pub(super) fn release_of(raw: &Value) -> Option<(String, String)> {
    let labels = raw.pointer("/metadata/labels")?;
    let release = labels
        .get("app.kubernetes.io/instance")
        .or_else(|| labels.get("release"))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())?;
    let ns = raw.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    Some((ns.to_string(), release.to_string()))
}

impl ManifestCtx<'_> {
    /// The objects that belong to the OpenNebula deployment: the workloads that run a component, the objects of
    /// their Helm releases, what they mount or read (ConfigMaps, Secrets, claims, service accounts), the
    /// Services that select them and the Ingresses in front of those, and ConfigMaps or Secrets that carry an
    /// OpenNebula daemon's configuration. A stream with neither belongs to another application: nothing in it
    /// gets a finding.
    pub(super) fn scope(&self) -> Vec<bool> {
        let n = self.objects.len();
        let mut scope = vec![false; n];
        let workloads: HashSet<usize> = self.components.iter().map(|c| c.object).collect();
        let releases: HashSet<(String, String)> =
            workloads.iter().filter_map(|w| release_of(&self.objects[*w].raw)).collect();
        for (i, m) in self.objects.iter().enumerate() {
            scope[i] = workloads.contains(&i) || release_of(&m.raw).is_some_and(|r| releases.contains(&r));
        }
        // OpenNebula's configuration and credential files, wherever they are.
        for (f, file) in self.files.iter().enumerate() {
            if self.kind_of(f).and_then(Daemon::of_config).is_some() || is_opennebula_data(&file.key) {
                scope[file.object] = true;
            }
        }
        // What the workloads in scope read.
        let in_scope_workloads: Vec<usize> =
            (0..n).filter(|i| scope[*i] && matches!(self.objects[*i].typed, Typed::Workload { .. })).collect();
        for w in in_scope_workloads {
            for r in self.references_of(w) {
                scope[r] = true;
            }
            // The database and the other services a workload in scope connects to (`DB_HOST`, `*_HOST`).
            for svc in self.services_named_in_env(w) {
                scope[svc] = true;
                for selected in self.selected_by(svc) {
                    scope[selected] = true;
                }
            }
        }
        // Services selecting a workload in scope, and Ingresses in front of those Services.
        for s in self.of_kind("Service") {
            if self.selected_by(s).iter().any(|w| scope[*w]) {
                scope[s] = true;
            }
        }
        for i in self.of_kind("Ingress") {
            if self.ingress_backends(i).iter().any(|(_, _, svc)| svc.is_some_and(|s| scope[s])) {
                scope[i] = true;
            }
        }
        scope
    }

    /// The Services a workload's containers name in a `*_HOST` or `*_SERVER` variable.
    fn services_named_in_env(&self, w: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for (cptr, _) in self.containers(w) {
            for e in self.objects[w].raw.pointer(&format!("{cptr}/env")).and_then(Value::as_array).into_iter().flatten()
            {
                let name = e.get("name").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
                let Some(value) = e.get("value").and_then(Value::as_str) else { continue };
                if !(name.ends_with("_HOST") || name.ends_with("_SERVER") || name == "HOST") {
                    continue;
                }
                let host = value.split(['.', ':']).next().unwrap_or_default();
                out.extend(self.find_near("Service", host, w));
            }
        }
        out
    }

    /// The objects a workload refers to by name and that the stream has: ConfigMaps and Secrets (volumes,
    /// `env`, `envFrom`), claims, its service account.
    fn references_of(&self, w: usize) -> Vec<usize> {
        let m = &self.objects[w];
        let Typed::Workload { pointer: pod, .. } = &m.typed else { return Vec::new() };
        let mut out = Vec::new();
        let mut add = |kind: &str, name: Option<&str>| {
            if let Some(i) = name.and_then(|n| self.find_near(kind, n, w)) {
                out.push(i);
            }
        };
        for vol in m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).into_iter().flatten() {
            add("ConfigMap", vol.pointer("/configMap/name").and_then(Value::as_str));
            add("Secret", vol.pointer("/secret/secretName").and_then(Value::as_str));
            add("PersistentVolumeClaim", vol.pointer("/persistentVolumeClaim/claimName").and_then(Value::as_str));
            for s in vol.pointer("/projected/sources").and_then(Value::as_array).into_iter().flatten() {
                add("ConfigMap", s.pointer("/configMap/name").and_then(Value::as_str));
                add("Secret", s.pointer("/secret/name").and_then(Value::as_str));
            }
        }
        add("ServiceAccount", m.raw.pointer(&format!("{pod}/serviceAccountName")).and_then(Value::as_str));
        for (cptr, _) in self.containers(w) {
            let c = m.raw.pointer(cptr).unwrap_or(&Value::Null);
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                add("ConfigMap", e.pointer("/valueFrom/configMapKeyRef/name").and_then(Value::as_str));
                add("Secret", e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str));
            }
            for e in c.get("envFrom").and_then(Value::as_array).into_iter().flatten() {
                add("ConfigMap", e.pointer("/configMapRef/name").and_then(Value::as_str));
                add("Secret", e.pointer("/secretRef/name").and_then(Value::as_str));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemons_by_program_name_and_image() {
        assert_eq!(Daemon::of_program("/usr/bin/oned"), Some(Daemon::Oned));
        assert_eq!(Daemon::of_program("/usr/lib/one/onegate/onegate-server.rb"), Some(Daemon::Onegate));
        assert_eq!(Daemon::of_program("/usr/lib/one/fireedge/dist/index.js"), Some(Daemon::Fireedge));
        assert_eq!(Daemon::of_program("/usr/sbin/libvirtd"), None);
        assert_eq!(Daemon::of_image("ghcr.io/kvaps/opennebula-gate:v5.12.0.4-1"), Some(Daemon::Onegate));
        assert_eq!(Daemon::of_image("docker.io/opennebula/opennebula:6.2.1"), Some(Daemon::Oned));
        assert_eq!(Daemon::of_image("example.org/opennebula-node-kvm:6.10"), None);
        assert_eq!(Daemon::of_image("docker.io/library/busybox"), None);
        assert_eq!(Daemon::of_container_name("configurator"), None);
    }
}
