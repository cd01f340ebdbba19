//! What the pods of a stream see: the files ConfigMap and Secret keys become (through `volumes`,
//! `volumeMounts`, `subPath`, `items` and projected volumes), where each mount's storage comes from, the
//! OpenNebula front-end containers, their database backend and their replica count.
//!
//! Foreign charts name things their own way, so the front-end is recognised by what it does: a container
//! called `oned` or `opennebula`, one that mounts an `oned.conf`, or an `opennebula` image that is given a
//! `DB_BACKEND` (the variable kvaps/kube-opennebula, pablodelarco/opennebula-helm and onechart's chart all use
//! to override oned.conf's `DB` section at start).

use serde_json::Value;

use super::embedded::{self, Embedded};
use super::{Manifest, Typed};
use crate::oneconf::{self, Kind, service, template};
use crate::source::Location;
use crate::yaml::Pos;

/// Where a mount's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// `emptyDir`: gone when the pod is deleted.
    EmptyDir,
    /// A PersistentVolumeClaim by name.
    Claim(String),
    /// A StatefulSet `volumeClaimTemplates` entry.
    ClaimTemplate,
    /// A node directory.
    HostPath,
    /// A ConfigMap by name.
    ConfigMap(String),
    /// A Secret by name.
    Secret(String),
    /// A projected volume (ConfigMaps, Secrets, tokens).
    Projected,
    /// A generic ephemeral volume: deleted with the pod.
    Ephemeral,
    /// Anything else (NFS, CSI, cloud disks): assumed persistent.
    Other,
}

impl Storage {
    /// True when data written there outlives the pod.
    pub fn persistent(&self) -> bool {
        matches!(self, Storage::Claim(_) | Storage::ClaimTemplate | Storage::HostPath | Storage::Other)
    }
}

/// One `volumeMounts` entry resolved to its volume.
#[derive(Debug, Clone)]
pub struct Mount {
    /// `mountPath`.
    pub path: String,
    /// `subPath`, if any.
    pub sub_path: Option<String>,
    /// The volume's name.
    pub volume: String,
    /// Where the data lives.
    pub storage: Storage,
    /// JSON pointer of the volume's definition (`.../volumes/3`), when the pod defines it.
    pub volume_pointer: Option<String>,
    /// JSON pointer of the mount.
    pub pointer: String,
}

impl Mount {
    /// Where to change the storage: the volume's `emptyDir` (or `ephemeral`) when the pod defines it, else the
    /// volume or the mount.
    pub fn source_pointer(&self) -> String {
        match (&self.volume_pointer, &self.storage) {
            (Some(v), Storage::EmptyDir) => format!("{v}/emptyDir"),
            (Some(v), Storage::Ephemeral) => format!("{v}/ephemeral"),
            (Some(v), _) => v.clone(),
            (None, _) => self.pointer.clone(),
        }
    }
}

/// A ConfigMap or Secret key as a file in a container.
#[derive(Debug, Clone)]
pub struct FileMount {
    /// Index of the file in [`Deployment::files`].
    pub file: usize,
    /// The workload.
    pub object: usize,
    /// The container's name.
    pub container: String,
    /// The container's JSON pointer.
    pub container_pointer: String,
    /// The path the container sees.
    pub path: String,
}

/// A container running oned.
#[derive(Debug, Clone)]
pub struct Frontend {
    /// The workload.
    pub object: usize,
    /// The container's name.
    pub container: String,
    /// The container's JSON pointer.
    pub pointer: String,
}

/// Where a setting was found.
#[derive(Debug, Clone)]
pub enum Origin {
    /// An environment variable's value in an object.
    Env {
        /// The object.
        object: usize,
        /// JSON pointer of the value.
        pointer: String,
    },
    /// The whole value of a ConfigMap or Secret key (a password, a token).
    Key {
        /// Index in [`Deployment::files`].
        file: usize,
    },
    /// A value inside an embedded file.
    File {
        /// Index in [`Deployment::files`].
        file: usize,
        /// Position inside the file's text.
        pos: Pos,
    },
}

/// The analysis of a stream.
pub struct Deployment<'a> {
    /// The objects.
    pub objects: &'a [Manifest],
    /// Every text key of every ConfigMap and Secret.
    pub files: Vec<Embedded>,
    /// Every file mounted into a container.
    pub mounts: Vec<FileMount>,
}

impl<'a> Deployment<'a> {
    /// Analyses a stream.
    pub fn new(objects: &'a [Manifest]) -> Self {
        let files = embedded::collect(objects);
        let mut d = Deployment { objects, files, mounts: Vec::new() };
        d.mounts = d.file_mounts();
        d
    }

    /// The location of a value found by an [`Origin`], and a note for the message.
    pub fn locate(&self, origin: &Origin) -> (usize, String, Location, String) {
        match origin {
            Origin::Env { object, pointer } => {
                (*object, pointer.clone(), self.objects[*object].location(pointer), String::new())
            }
            Origin::Key { file } => {
                let f = &self.files[*file];
                (f.object, f.pointer.clone(), self.objects[f.object].location(&f.pointer), String::new())
            }
            Origin::File { file, pos } => {
                let f = &self.files[*file];
                let (loc, note) = f.locate(*pos);
                (f.object, f.pointer.clone(), loc, note)
            }
        }
    }

    /// What an environment variable of a container holds, when the stream shows it: a literal value, a Secret
    /// or ConfigMap key (`valueFrom`), or for `NAME_FILE` variables the mounted key at that path.
    pub fn env_value(&self, object: usize, container_pointer: &str, name: &str) -> Option<(String, Origin)> {
        let m = &self.objects[object];
        let env = m.raw.pointer(&format!("{container_pointer}/env")).and_then(Value::as_array)?;
        let (j, e) = env.iter().enumerate().rfind(|(_, e)| e.get("name").and_then(Value::as_str) == Some(name))?;
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            // `DB_PASSWORD_FILE=/run/secrets/db/password`: the value is a path to a mounted key.
            if name.ends_with("_FILE") {
                let path = v;
                let f = self
                    .mounts
                    .iter()
                    .find(|f| f.object == object && f.container_pointer == container_pointer && f.path == path)?;
                return Some((self.files[f.file].text.clone(), Origin::Key { file: f.file }));
            }
            return Some((
                v.to_string(),
                Origin::Env { object, pointer: format!("{container_pointer}/env/{j}/value") },
            ));
        }
        for (field, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
            if let Some(r) = e.pointer(&format!("/valueFrom/{field}")) {
                let obj = self.find(kind, r.get("name")?.as_str()?)?;
                let file = self.file_index(obj, r.get("key")?.as_str()?)?;
                return Some((self.files[file].text.clone(), Origin::Key { file }));
            }
        }
        None
    }

    /// Every OpenNebula API a Service or an Ingress publishes outside the cluster.
    pub fn published_apis(&self) -> Vec<Published> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            match &m.typed {
                Typed::Service(svc) => {
                    let ty = svc.spec.as_ref().and_then(|s| s.type_.clone()).unwrap_or_default();
                    let via = match ty.as_str() {
                        "LoadBalancer" => Via::LoadBalancer,
                        "NodePort" => Via::NodePort,
                        _ => continue,
                    };
                    let tls = m.raw.pointer("/metadata/annotations").and_then(Value::as_object).is_some_and(|a| {
                        a.keys().any(|k| {
                            let k = k.to_ascii_lowercase();
                            k.contains("ssl-cert") || k.contains("certificate") || k.contains("tls-cert")
                        })
                    });
                    for p in super::service_ports(self.objects, svc) {
                        if let Some(api) = self.api_of(svc, &p) {
                            out.push(Published {
                                object: i,
                                pointer: format!("/spec/ports/{}", p.index),
                                via,
                                tls: tls || p.tls,
                                api,
                                port: p.port,
                            });
                        }
                    }
                }
                _ if m.kind == "Ingress" && !m.custom => out.extend(self.ingress_apis(i)),
                _ => {}
            }
        }
        out
    }

    fn ingress_apis(&self, i: usize) -> Vec<Published> {
        let m = &self.objects[i];
        let tls_hosts: Option<Vec<String>> = m.raw.pointer("/spec/tls").and_then(Value::as_array).map(|entries| {
            entries
                .iter()
                .flat_map(|t| match t.get("hosts").and_then(Value::as_array) {
                    Some(h) => h.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                    None => vec!["*".to_string()],
                })
                .collect()
        });
        let mut backends: Vec<(String, Option<String>, Value)> = Vec::new();
        if let Some(b) = m.raw.pointer("/spec/defaultBackend/service") {
            backends.push(("/spec/defaultBackend/service".to_string(), None, b.clone()));
        }
        for (r, rule) in m.raw.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let host = rule.get("host").and_then(Value::as_str).map(str::to_string);
            for (p, path) in rule.pointer("/http/paths").and_then(Value::as_array).into_iter().flatten().enumerate() {
                if let Some(b) = path.pointer("/backend/service") {
                    backends.push((format!("/spec/rules/{r}/http/paths/{p}/backend/service"), host.clone(), b.clone()));
                }
            }
        }
        let mut out = Vec::new();
        for (pointer, host, b) in backends {
            let Some(svc_idx) = b.get("name").and_then(Value::as_str).and_then(|n| self.find("Service", n)) else {
                continue;
            };
            let Typed::Service(svc) = &self.objects[svc_idx].typed else { continue };
            let number = b.pointer("/port/number").and_then(Value::as_i64);
            let name = b.pointer("/port/name").and_then(Value::as_str);
            let port = super::service_ports(self.objects, svc)
                .into_iter()
                .find(|p| number == Some(i64::from(p.port)) || name.is_some_and(|n| n == p.name));
            let Some(port) = port else { continue };
            let Some(api) = self.api_of(svc, &port) else { continue };
            let tls = tls_hosts
                .as_ref()
                .is_some_and(|hosts| hosts.iter().any(|h| h == "*" || host.as_deref().is_none_or(|x| x == h)));
            out.push(Published {
                object: i,
                pointer: format!("{pointer}/name"),
                via: Via::Ingress,
                tls,
                api,
                port: port.port,
            });
        }
        out
    }

    /// The OpenNebula API a Service port reaches: by the port's name, else by the well-known port numbers, for
    /// Services whose pods run an OpenNebula image.
    fn api_of(&self, svc: &k8s_openapi::api::core::v1::Service, p: &super::ServicePort) -> Option<Api> {
        let name = p.name.to_ascii_lowercase();
        let by_name = [
            ("xmlrpc", Api::Oned),
            ("oned", Api::Oned),
            ("fireedge", Api::Fireedge),
            ("onegate", Api::Onegate),
            ("oneflow", Api::Oneflow),
            ("sunstone", Api::Sunstone),
        ]
        .into_iter()
        .find(|(n, _)| name.contains(n))
        .map(|(_, a)| a);
        if by_name.is_some() {
            return by_name;
        }
        let selector = svc.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
        let runs_opennebula = !selector.is_empty()
            && self.objects.iter().any(|m| match &m.typed {
                Typed::Workload { labels, .. } if selector.iter().all(|(k, v)| labels.get(k) == Some(v)) => m
                    .containers()
                    .iter()
                    .any(|(_, c)| c.image.as_deref().is_some_and(|i| image_name(i).starts_with("opennebula"))),
                _ => false,
            });
        if !runs_opennebula {
            return None;
        }
        match p.container_port.unwrap_or(p.port) {
            2633 => Some(Api::Oned),
            2616 => Some(Api::Fireedge),
            5030 => Some(Api::Onegate),
            2474 => Some(Api::Oneflow),
            9869 => Some(Api::Sunstone),
            _ => None,
        }
    }

    /// The kind of a file: by the path a container sees, else by its key.
    pub fn kind_of(&self, file: usize) -> Option<Kind> {
        self.mounts
            .iter()
            .filter(|m| m.file == file)
            .find_map(|m| Kind::of_path(&m.path))
            .or_else(|| Kind::of_path(&self.files[file].key))
    }

    /// The files of a kind.
    pub fn files_of(&self, kind: Kind) -> Vec<usize> {
        (0..self.files.len()).filter(|f| self.kind_of(*f) == Some(kind)).collect()
    }

    /// The workloads that mount a file.
    pub fn mounted_by(&self, file: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self.mounts.iter().filter(|m| m.file == file).map(|m| m.object).collect();
        v.dedup();
        v
    }

    /// A file parsed as an OpenNebula template (`None` when it does not parse).
    pub fn template(&self, file: usize) -> Option<template::Template> {
        template::parse(&self.files[file].text).ok()
    }

    /// A file parsed as a service's YAML configuration (`None` when it does not parse).
    pub fn service_conf(&self, file: usize) -> Option<service::Conf> {
        service::parse(&self.files[file].text).ok()
    }

    /// The replica count of a workload and the pointer that sets it: `None` for a DaemonSet (one per node).
    pub fn replicas(&self, object: usize) -> Option<(i64, String)> {
        let m = &self.objects[object];
        match m.kind.as_str() {
            "Deployment" | "StatefulSet" | "ReplicaSet" => Some(match m.raw.pointer("/spec/replicas") {
                Some(v) => (v.as_i64().unwrap_or(1), "/spec/replicas".to_string()),
                None => (1, "/spec".to_string()),
            }),
            "DaemonSet" => None,
            _ => Some((1, String::new())),
        }
    }

    /// Every container running oned.
    pub fn frontends(&self) -> Vec<Frontend> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            let Typed::Workload { pointer, .. } = &m.typed else { continue };
            let main = format!("{pointer}/containers/");
            for (ptr, c) in m.containers() {
                if !ptr.starts_with(&main) {
                    continue;
                }
                let mounts_oned = self
                    .mounts
                    .iter()
                    .any(|f| f.object == i && f.container_pointer == ptr && Kind::of_path(&f.path) == Some(Kind::Oned));
                let image = c.image.as_deref().map(image_name).unwrap_or_default();
                let has_backend = c.env.iter().flatten().any(|e| e.name == "DB_BACKEND");
                if c.name == "oned" || c.name == "opennebula" || mounts_oned || (image == "opennebula" && has_backend) {
                    out.push(Frontend { object: i, container: c.name.clone(), pointer: ptr });
                }
            }
        }
        out
    }

    /// The database backend oned uses in a front-end container: a literal `DB_BACKEND` wins (the start scripts
    /// of the charts above rewrite oned.conf's `DB` from it), else `DB/BACKEND` of the oned.conf it mounts.
    pub fn backend(&self, fe: &Frontend) -> Option<(String, Origin)> {
        let m = &self.objects[fe.object];
        let (_, c) = m.containers().into_iter().find(|(p, _)| *p == fe.pointer)?;
        let env = c.env.iter().flatten().enumerate().filter(|(_, e)| e.name == "DB_BACKEND").last();
        if let Some((j, e)) = env {
            let v = e.value.clone()?;
            return Some((v, Origin::Env { object: fe.object, pointer: format!("{}/env/{j}/value", fe.pointer) }));
        }
        self.mounts
            .iter()
            .filter(|f| f.object == fe.object && f.container_pointer == fe.pointer)
            .filter(|f| Kind::of_path(&f.path) == Some(Kind::Oned))
            .find_map(|f| {
                let t = self.template(f.file)?;
                let b = t.vector("DB")?.get("BACKEND")?.clone();
                Some((b.text, Origin::File { file: f.file, pos: b.pos }))
            })
    }

    /// The mounts of a container, resolved to their volumes.
    pub fn container_mounts(&self, object: usize, container_pointer: &str) -> Vec<Mount> {
        let m = &self.objects[object];
        let Typed::Workload { pointer: pod, .. } = &m.typed else { return Vec::new() };
        let templates = claim_templates(m);
        let volumes = m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).cloned().unwrap_or_default();
        let mounts = m
            .raw
            .pointer(&format!("{container_pointer}/volumeMounts"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        mounts
            .iter()
            .enumerate()
            .filter_map(|(j, vm)| {
                let name = vm.get("name")?.as_str()?.to_string();
                let path = vm.get("mountPath")?.as_str()?.to_string();
                let sub_path = vm.get("subPath").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
                let def = volumes.iter().position(|v| v.get("name").and_then(Value::as_str) == Some(&name));
                // The StatefulSet controller replaces a pod volume by the claim template of the same name.
                let storage = if templates.contains(&name) {
                    Storage::ClaimTemplate
                } else {
                    def.map_or(Storage::Other, |k| storage_of(&volumes[k]))
                };
                let volume_pointer =
                    (!templates.contains(&name)).then_some(def).flatten().map(|k| format!("{pod}/volumes/{k}"));
                Some(Mount {
                    path,
                    sub_path,
                    volume: name,
                    storage,
                    volume_pointer,
                    pointer: format!("{container_pointer}/volumeMounts/{j}"),
                })
            })
            .collect()
    }

    /// The mount that holds `path` in a container (the deepest mount point at or above it).
    pub fn mount_for(&self, object: usize, container_pointer: &str, path: &str) -> Option<Mount> {
        self.container_mounts(object, container_pointer)
            .into_iter()
            .filter(|m| path == m.path || path.starts_with(&format!("{}/", m.path.trim_end_matches('/'))))
            .max_by_key(|m| m.path.len())
    }

    /// Finds an object by kind and name.
    pub fn find(&self, kind: &str, name: &str) -> Option<usize> {
        self.objects.iter().position(|m| m.kind == kind && m.name == name && !m.custom)
    }

    fn file_index(&self, object: usize, key: &str) -> Option<usize> {
        self.files.iter().position(|f| f.object == object && f.key == key)
    }

    fn file_mounts(&self) -> Vec<FileMount> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            let Typed::Workload { pointer: pod, .. } = &m.typed else { continue };
            let volumes =
                m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).cloned().unwrap_or_default();
            for (cptr, c) in m.containers() {
                for vm in c.volume_mounts.iter().flatten() {
                    let Some(vol) = volumes.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(&vm.name))
                    else {
                        continue;
                    };
                    for (obj, key, rel) in self.volume_files(vol) {
                        let Some(file) = self.file_index(obj, &key) else { continue };
                        let path = match vm.sub_path.as_deref().filter(|s| !s.is_empty()) {
                            Some(sp) if sp == rel => vm.mount_path.clone(),
                            Some(_) => continue,
                            None => format!("{}/{rel}", vm.mount_path.trim_end_matches('/')),
                        };
                        out.push(FileMount {
                            file,
                            object: i,
                            container: c.name.clone(),
                            container_pointer: cptr.clone(),
                            path,
                        });
                    }
                }
            }
        }
        out
    }

    /// The (object, key, relative path) of each file a ConfigMap, Secret or projected volume shows.
    fn volume_files(&self, vol: &Value) -> Vec<(usize, String, String)> {
        let mut sources: Vec<(&str, &Value)> = Vec::new();
        if let Some(c) = vol.get("configMap") {
            sources.push(("ConfigMap", c));
        }
        if let Some(s) = vol.get("secret") {
            sources.push(("Secret", s));
        }
        for s in vol.pointer("/projected/sources").and_then(Value::as_array).into_iter().flatten() {
            if let Some(c) = s.get("configMap") {
                sources.push(("ConfigMap", c));
            }
            if let Some(c) = s.get("secret") {
                sources.push(("Secret", c));
            }
        }
        let mut out = Vec::new();
        for (kind, src) in sources {
            let name = src.get("name").or_else(|| src.get("secretName")).and_then(Value::as_str).unwrap_or_default();
            let Some(obj) = self.find(kind, name) else { continue };
            match src.get("items").and_then(Value::as_array) {
                Some(items) => {
                    for it in items {
                        if let (Some(k), Some(p)) =
                            (it.get("key").and_then(Value::as_str), it.get("path").and_then(Value::as_str))
                        {
                            out.push((obj, k.to_string(), p.to_string()));
                        }
                    }
                }
                None => {
                    for f in self.files.iter().filter(|f| f.object == obj) {
                        out.push((obj, f.key.clone(), f.key.clone()));
                    }
                }
            }
        }
        out
    }
}

/// How an API is published outside the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A `LoadBalancer` Service: an address reachable from outside, often the internet.
    LoadBalancer,
    /// A `NodePort` Service: a port on every node.
    NodePort,
    /// An Ingress rule.
    Ingress,
}

/// The OpenNebula daemons that carry credentials over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// oned's XML-RPC API (2633).
    Oned,
    /// FireEdge (2616).
    Fireedge,
    /// OneGate (5030).
    Onegate,
    /// OneFlow (2474).
    Oneflow,
    /// Ruby Sunstone (9869).
    Sunstone,
}

impl Api {
    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Api::Oned => "oned XML-RPC",
            Api::Fireedge => "FireEdge",
            Api::Onegate => "OneGate",
            Api::Oneflow => "OneFlow",
            Api::Sunstone => "Sunstone",
        }
    }
}

/// An API published by a Service or an Ingress.
#[derive(Debug, Clone)]
pub struct Published {
    /// The Service or Ingress.
    pub object: usize,
    /// JSON pointer of the port (Service) or the backend's service name (Ingress).
    pub pointer: String,
    /// How.
    pub via: Via,
    /// True when TLS is terminated in front of it (an Ingress `tls` entry for the host, a load balancer
    /// certificate annotation).
    pub tls: bool,
    /// Which API.
    pub api: Api,
    /// The Service port.
    pub port: i32,
}

/// The names of a StatefulSet's `volumeClaimTemplates`.
pub fn claim_templates(m: &Manifest) -> Vec<String> {
    m.raw
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn storage_of(vol: &Value) -> Storage {
    let s =
        |k: &str, n: &str| vol.get(k).and_then(|v| v.get(n)).and_then(Value::as_str).unwrap_or_default().to_string();
    if vol.get("emptyDir").is_some() {
        Storage::EmptyDir
    } else if vol.get("persistentVolumeClaim").is_some() {
        Storage::Claim(s("persistentVolumeClaim", "claimName"))
    } else if vol.get("hostPath").is_some() {
        Storage::HostPath
    } else if vol.get("configMap").is_some() {
        Storage::ConfigMap(s("configMap", "name"))
    } else if vol.get("secret").is_some() {
        Storage::Secret(s("secret", "secretName"))
    } else if vol.get("projected").is_some() || vol.get("downwardAPI").is_some() {
        Storage::Projected
    } else if vol.get("ephemeral").is_some() {
        Storage::Ephemeral
    } else {
        Storage::Other
    }
}

/// An image's repository base name: `docker.io/opennebula/opennebula:7.4.0` gives `opennebula`.
pub fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let base = no_digest.rsplit('/').next().unwrap_or(no_digest);
    base.split(':').next().unwrap_or(base)
}

/// An image's tag, if it has one (`None` for a digest-only or untagged reference).
pub fn image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let base = no_digest.rsplit('/').next().unwrap_or(no_digest);
    base.split_once(':').map(|(_, t)| t)
}

/// The OpenNebula release (`(7, 4)`) an image tag names: `7.4.0`, `v5.12.0.4-1`, `7.2`.
pub fn one_release(image: &str) -> Option<(u32, u32)> {
    let tag = image_tag(image)?.trim_start_matches('v');
    let mut parts = tag.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    (5..20).contains(&major).then_some((major, minor))
}

/// A parse error of an embedded OpenNebula configuration, if the file is one and does not parse.
pub fn config_error(d: &Deployment<'_>, file: usize) -> Option<(Kind, oneconf::ParseError)> {
    let kind = d.kind_of(file)?;
    let text = &d.files[file].text;
    let err = if kind.is_template() {
        template::parse(text).err()
    } else if kind.is_service_yaml() {
        service::parse(text).err()
    } else {
        None
    }?;
    Some((kind, err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    const STREAM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  oned.conf: |
    DB = [ BACKEND = "sqlite" ]
  monitord.conf: |
    NETWORK = [ MONITOR_ADDRESS = "auto" ]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: one}
spec:
  replicas: 3
  serviceName: one
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: one}}
    spec:
      containers:
        - name: front
          image: registry.example.org/team/opennebula:v7.2.0-1
          volumeMounts:
            - {name: config, mountPath: /config}
            - {name: config, mountPath: /etc/one/monitord.conf, subPath: monitord.conf}
            - {name: data, mountPath: /var/lib/one}
            - {name: scratch, mountPath: /var/lib/one/vms}
      volumes:
        - name: config
          configMap: {name: cfg}
        - name: data
          emptyDir: {}
        - name: scratch
          emptyDir: {}
  volumeClaimTemplates:
    - metadata: {name: data}
"#;

    #[test]
    fn files_mounts_frontends_and_backends() {
        let objects = crate::manifest::read(SourceFile::from_text("d.yaml", STREAM)).unwrap();
        let d = Deployment::new(&objects);
        let paths: Vec<&str> = d.mounts.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["/config/oned.conf", "/config/monitord.conf", "/etc/one/monitord.conf"]);
        assert_eq!(d.files_of(Kind::Monitord).len(), 1);
        let fe = d.frontends();
        assert_eq!(fe.len(), 1, "mounting an oned.conf makes the container a front-end");
        let (backend, origin) = d.backend(&fe[0]).unwrap();
        assert_eq!(backend, "sqlite");
        assert_eq!(d.locate(&origin).2.to_string(), "d.yaml:6:22");
        assert_eq!(d.replicas(1).unwrap().0, 3);
        let data = d.mount_for(1, &fe[0].pointer, "/var/lib/one/one.db").unwrap();
        assert_eq!(data.storage, Storage::ClaimTemplate, "the claim template replaces the pod volume");
        assert_eq!(d.mount_for(1, &fe[0].pointer, "/var/lib/one/vms/0").unwrap().storage, Storage::EmptyDir);
    }

    #[test]
    fn items_and_projected_volumes_name_the_files() {
        let text = r#"apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {config: "Host *", id_rsa: k}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: x:1
      volumeMounts:
        - {name: ssh, mountPath: /var/lib/one/.ssh}
        - {name: all, mountPath: /etc/all}
  volumes:
    - name: ssh
      secret:
        secretName: keys
        items: [{key: config, path: config}]
    - name: all
      projected:
        sources:
          - configMap: {name: cfg, items: [{key: a, path: sub/a.conf}]}
          - secret: {name: keys}
"#;
        let objects = crate::manifest::read(SourceFile::from_text("p.yaml", text)).unwrap();
        let d = Deployment::new(&objects);
        let mut paths: Vec<&str> = d.mounts.iter().map(|m| m.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["/etc/all/config", "/etc/all/id_rsa", "/etc/all/sub/a.conf", "/var/lib/one/.ssh/config"]);
        assert_eq!(d.files_of(Kind::SshConfig).len(), 1, "`config` under .ssh is an SSH client configuration");
    }

    #[test]
    fn image_names_and_releases() {
        assert_eq!(image_name("docker.io/opennebula/opennebula:7.4.0"), "opennebula");
        assert_eq!(image_name("ghcr.io/kvaps/opennebula-gate:v5.12.0.4-1"), "opennebula-gate");
        assert_eq!(image_name("localhost:5000/opennebula@sha256:ab"), "opennebula");
        assert_eq!(one_release("ghcr.io/kvaps/opennebula:v5.12.0.4-1"), Some((5, 12)));
        assert_eq!(one_release("opennebula/opennebula:7.4.0"), Some((7, 4)));
        assert_eq!(one_release("opennebula:latest"), None);
    }
}
