//! What the pods of a stream see: the files ConfigMap and Secret keys become (through `volumes`,
//! `volumeMounts`, `subPath`, `items` and projected volumes), where each mount's storage comes from, the
//! OpenNebula front-end containers, their database backend and their replica count.
//!
//! Foreign charts name things their own way, so the front-end is recognised by what it does: a container
//! that runs oned (its program, its name, an OpenNebula image), or one that is given an `oned.conf` (mounted,
//! or through its environment). `DB_BACKEND` (the variable kvaps/kube-opennebula, pablodelarco/opennebula-helm
//! and onechart's chart all use to override oned.conf's `DB` section at start) decides the backend.

use serde_json::Value;

use super::components::Daemon;
use super::{Manifest, ManifestCtx, Typed};
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
    /// Index of the file in [`ManifestCtx::files`].
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

/// A ConfigMap or Secret key a container reads through an environment variable (`valueFrom`, `envFrom`).
#[derive(Debug, Clone)]
pub struct EnvFile {
    /// Index of the file in [`ManifestCtx::files`].
    pub file: usize,
    /// The workload.
    pub object: usize,
    /// The container's JSON pointer.
    pub container_pointer: String,
    /// The variable's name.
    pub var: String,
}

/// One environment variable of a container, as the kubelet sets it.
#[derive(Debug, Clone)]
pub struct EnvVar {
    /// The name.
    pub name: String,
    /// The value, when the stream shows it (a literal, or a ConfigMap or Secret key in the stream).
    pub value: Option<String>,
    /// Where the value is: the literal, or the key.
    pub found: Option<Found>,
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

/// Where a setting was found in the stream.
#[derive(Debug, Clone)]
pub enum Found {
    /// An environment variable's value in an object.
    Env {
        /// The object.
        object: usize,
        /// JSON pointer of the value.
        pointer: String,
    },
    /// The whole value of a ConfigMap or Secret key (a password, a token).
    Key {
        /// Index in [`ManifestCtx::files`].
        file: usize,
    },
    /// A value inside an embedded file.
    File {
        /// Index in [`ManifestCtx::files`].
        file: usize,
        /// Position inside the file's text.
        pos: Pos,
    },
}

impl<'a> ManifestCtx<'a> {
    /// The location of a value found in the stream, and a note for the message.
    pub fn locate(&self, found: &Found) -> (usize, String, Location, String) {
        match found {
            Found::Env { object, pointer } => {
                (*object, pointer.clone(), self.objects[*object].location(pointer), String::new())
            }
            Found::Key { file } => {
                let f = &self.files[*file];
                (f.object, f.pointer.clone(), self.objects[f.object].location(&f.pointer), String::new())
            }
            Found::File { file, pos } => {
                let f = &self.files[*file];
                let (loc, note) = f.locate(*pos);
                (f.object, f.pointer.clone(), loc, note)
            }
        }
    }

    /// The environment of a container as the kubelet builds it: `envFrom` sources in order (with their
    /// `prefix`), then `env`; a later entry of the same name wins. Values from ConfigMaps and Secrets of the
    /// stream are resolved to their keys.
    pub fn env(&self, object: usize, container_pointer: &str) -> Vec<EnvVar> {
        let m = &self.objects[object];
        let Some(c) = m.raw.pointer(container_pointer) else { return Vec::new() };
        let mut out: Vec<EnvVar> = self
            .env_from(object, c)
            .into_iter()
            .map(|(name, f)| EnvVar {
                name,
                value: Some(self.files[f].text.clone()),
                found: Some(Found::Key { file: f }),
            })
            .collect();
        for (j, e) in c.get("env").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let Some(name) = e.get("name").and_then(Value::as_str) else { continue };
            let (value, found) = if let Some(v) = e.get("value").and_then(Value::as_str) {
                let pointer = format!("{container_pointer}/env/{j}/value");
                (Some(v.to_string()), Some(Found::Env { object, pointer }))
            } else {
                match self.env_ref(object, e) {
                    Some(file) => (Some(self.files[file].text.clone()), Some(Found::Key { file })),
                    None => (None, None),
                }
            };
            out.push(EnvVar { name: name.to_string(), value, found });
        }
        out
    }

    /// The variables a container's `envFrom` sources give it, in order: (name with the source's `prefix`, the
    /// ConfigMap or Secret key).
    fn env_from(&self, object: usize, container: &Value) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for e in container.get("envFrom").and_then(Value::as_array).into_iter().flatten() {
            let prefix = e.get("prefix").and_then(Value::as_str).unwrap_or_default();
            for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                let Some(name) = e.pointer(&format!("/{field}/name")).and_then(Value::as_str) else { continue };
                let Some(obj) = self.find_near(kind, name, object) else { continue };
                out.extend(self.files_of_object(obj).iter().map(|&f| (format!("{prefix}{}", self.files[f].key), f)));
            }
        }
        out
    }

    /// The ConfigMap or Secret key an `env` entry's `valueFrom` names, when the stream has it.
    fn env_ref(&self, object: usize, e: &Value) -> Option<usize> {
        for (field, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
            if let Some(r) = e.pointer(&format!("/valueFrom/{field}")) {
                let obj = self.find_near(kind, r.get("name")?.as_str()?, object)?;
                return self.file_index(obj, r.get("key")?.as_str()?);
            }
        }
        None
    }

    /// What an environment variable of a container holds, when the stream shows it: a literal value, a Secret
    /// or ConfigMap key (`valueFrom`, `envFrom`), or for `NAME_FILE` variables the mounted key at that path.
    pub fn env_value(&self, object: usize, container_pointer: &str, name: &str) -> Option<(String, Found)> {
        let var = self.env(object, container_pointer).into_iter().rfind(|e| e.name == name)?;
        let (value, found) = (var.value?, var.found?);
        if name.ends_with("_FILE") && matches!(found, Found::Env { .. }) {
            // `DB_PASSWORD_FILE=/run/secrets/db/password`: the value is a path to a mounted key.
            let f = self.mounts_in(object, container_pointer).find(|f| f.path == value)?;
            return Some((self.files[f.file].text.clone(), Found::Key { file: f.file }));
        }
        Some((value, found))
    }

    /// Every OpenNebula API a Service or an Ingress publishes outside the cluster; computed once.
    pub fn published_apis(&self) -> &[Published] {
        self.published.get_or_init(|| {
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
                        for p in self.service_ports(i) {
                            if let Some(api) = self.api_of(i, p) {
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
        })
    }

    /// The backends of an Ingress: the pointer of each `backend.service`, its host, and the Service it names
    /// when the stream has it.
    pub fn ingress_backends(&self, i: usize) -> Vec<(String, Option<String>, Option<usize>)> {
        let m = &self.objects[i];
        let mut backends: Vec<(String, Option<String>, &Value)> = Vec::new();
        if let Some(b) = m.raw.pointer("/spec/defaultBackend/service") {
            backends.push(("/spec/defaultBackend/service".to_string(), None, b));
        }
        for (r, rule) in m.raw.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let host = rule.get("host").and_then(Value::as_str).map(str::to_string);
            for (p, path) in rule.pointer("/http/paths").and_then(Value::as_array).into_iter().flatten().enumerate() {
                if let Some(b) = path.pointer("/backend/service") {
                    backends.push((format!("/spec/rules/{r}/http/paths/{p}/backend/service"), host.clone(), b));
                }
            }
        }
        backends
            .into_iter()
            .map(|(pointer, host, b)| {
                let svc = b.get("name").and_then(Value::as_str).and_then(|n| self.find_near("Service", n, i));
                (pointer, host, svc)
            })
            .collect()
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
        let mut out = Vec::new();
        for (pointer, host, svc) in self.ingress_backends(i) {
            let Some(svc_idx) = svc else { continue };
            let b = m.raw.pointer(&pointer).unwrap_or(&Value::Null);
            let number = b.pointer("/port/number").and_then(Value::as_i64);
            let name = b.pointer("/port/name").and_then(Value::as_str);
            let port = self
                .service_ports(svc_idx)
                .iter()
                .find(|p| number == Some(i64::from(p.port)) || name.is_some_and(|n| n == p.name));
            let Some(port) = port else { continue };
            let Some(api) = self.api_of(svc_idx, port) else { continue };
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

    /// The OpenNebula API a Service port reaches, for Services that select a workload running OpenNebula: by
    /// the port's name, else by what the container behind the port runs (its program, or the configuration of
    /// the one daemon it is given), else by the well-known port numbers.
    fn api_of(&self, service: usize, p: &ServicePort) -> Option<Api> {
        let workloads = self.selected_by(service);
        if !workloads.iter().any(|w| self.runs_opennebula(*w)) {
            return None;
        }
        let name = format!("{} {}", p.name, p.target_name).to_ascii_lowercase();
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
        let by_number = |port: i32| match port {
            2633 | 2634 => Some(Api::Oned),
            2616 => Some(Api::Fireedge),
            5030 | 5031 => Some(Api::Onegate),
            2474 | 2475 => Some(Api::Oneflow),
            9869 => Some(Api::Sunstone),
            _ => None,
        };
        let target = p.container_port.unwrap_or(p.port);
        if let Some((object, pointer)) = &p.target
            && let Some(c) = self.component(*object, pointer)
        {
            // The container behind the port runs OpenNebula: the port is the API of the daemon that listens
            // there (its well-known port, or the port its configuration sets), else something else (monitord,
            // SSH).
            return c
                .candidates()
                .into_iter()
                .filter(|d| self.daemon_ports(*object, pointer, *d).contains(&target))
                .find_map(Api::of_daemon);
        }
        by_number(target)
    }

    /// The ports a daemon listens on in a container: its well-known ports, and the port the configuration the
    /// container is given sets (`PORT` of oned.conf, `:port:` of a service's YAML, 7.4 OneGate's `:server:`
    /// block).
    pub fn daemon_ports(&self, object: usize, container_pointer: &str, daemon: Daemon) -> Vec<i32> {
        let mut ports: Vec<i32> = match daemon {
            Daemon::Oned => vec![2633, 2634],
            Daemon::Fireedge => vec![2616],
            Daemon::Onegate => vec![5030, 5031],
            Daemon::Oneflow => vec![2474, 2475],
            Daemon::Sunstone => vec![9869],
            _ => Vec::new(),
        };
        for f in self.files_used_by(object, container_pointer) {
            let Some(kind) = self.kind_of(f) else { continue };
            if Daemon::of_config(kind) != Some(daemon) {
                continue;
            }
            let configured = if kind.is_template() {
                self.template(f).and_then(|t| t.single("PORT")).map(|p| p.text.clone())
            } else {
                self.service_conf(f)
                    .and_then(|c| c.text(&["server", "port"]).or_else(|| c.text(&["port"])))
                    .map(|(p, _)| p)
            };
            ports.extend(configured.and_then(|p| p.trim().parse::<i32>().ok()));
        }
        ports
    }

    pub(super) fn resolve_service_ports(&self, service: usize) -> Vec<ServicePort> {
        use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
        let Typed::Service(svc) = &self.objects[service].typed else { return Vec::new() };
        let Some(spec) = &svc.spec else { return Vec::new() };
        let selected = self.selected_by(service);
        spec.ports
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, p)| {
                let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".to_string());
                // The container (and its port) the Service port reaches in the selected pods.
                let wanted = |cp: &k8s_openapi::api::core::v1::ContainerPort| match &p.target_port {
                    None => cp.container_port == p.port,
                    Some(IntOrString::Int(i)) => cp.container_port == *i,
                    Some(IntOrString::String(name)) => cp.name.as_deref() == Some(name),
                };
                let reached = selected.iter().find_map(|w| {
                    self.containers(*w).iter().find_map(|(ptr, c)| {
                        let cp = c.ports.iter().flatten().find(|cp| wanted(cp))?;
                        Some(((*w, ptr.clone()), cp.clone(), c.image.clone().unwrap_or_default()))
                    })
                });
                let container_port = match (&p.target_port, &reached) {
                    (_, Some((_, cp, _))) => Some(cp.container_port),
                    (None, None) => Some(p.port),
                    (Some(IntOrString::Int(i)), None) => Some(*i),
                    (Some(IntOrString::String(_)), None) => None,
                };
                let target_name = match (&p.target_port, &reached) {
                    (Some(IntOrString::String(name)), _) => name.clone(),
                    (_, Some((_, cp, _))) => cp.name.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                let says_tls = |n: &str| {
                    let n = n.to_ascii_lowercase();
                    n.starts_with("https") || n.ends_with("tls") || n.ends_with("ssl")
                };
                // OpenNebula's own image (up to 6.2) serves its TLS-secured services on their own ports: 2634
                // (oned), 5031 (OneGate), 2475 (OneFlow), behind the published 2633, 5030 and 2474
                // (OpenNebula/docs@one-6.2-maintenance:source/installation_and_configuration/
                // containerized_deployment/architecture_deployment.rst:516-520).
                let own_tls_port = reached.as_ref().is_some_and(|(_, cp, image)| {
                    image_name(image) == "opennebula" && matches!(cp.container_port, 2634 | 5031 | 2475)
                });
                let tls = p.app_protocol.as_deref().is_some_and(|a| {
                    matches!(a.to_ascii_lowercase().as_str(), "https" | "tls" | "ssl" | "wss" | "grpcs")
                }) || says_tls(p.name.as_deref().unwrap_or_default())
                    || says_tls(&target_name)
                    || own_tls_port;
                ServicePort {
                    index,
                    name: p.name.clone().unwrap_or_default(),
                    target_name,
                    protocol,
                    port: p.port,
                    node_port: p.node_port,
                    container_port,
                    target: reached.map(|(t, _, _)| t),
                    tls,
                }
            })
            .collect()
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

    /// Every main container that runs oned: one whose program, name or image says so, or that is given an
    /// oned.conf.
    pub(super) fn find_frontends(&self) -> Vec<Frontend> {
        self.components
            .iter()
            .filter(|c| c.daemons.contains(&Daemon::Oned) || c.configured.contains(&Daemon::Oned))
            .map(|c| {
                let name = self.containers(c.object).iter().find(|(p, _)| *p == c.pointer).map(|(_, c)| c.name.clone());
                Frontend { object: c.object, container: name.unwrap_or_default(), pointer: c.pointer.clone() }
            })
            .collect()
    }

    /// The database backend oned uses in a front-end container: a literal `DB_BACKEND` wins (the start scripts
    /// of the charts above rewrite oned.conf's `DB` from it), else `DB/BACKEND` of the oned.conf it is given.
    pub fn backend(&self, fe: &Frontend) -> Option<(String, Found)> {
        // Literal, or from a ConfigMap or Secret (`valueFrom`, `envFrom`).
        if let Some((v, found)) = self.env_value(fe.object, &fe.pointer, "DB_BACKEND") {
            return Some((v.trim().to_string(), found));
        }
        self.files_used_by(fe.object, &fe.pointer).filter(|f| self.kind_of(*f) == Some(Kind::Oned)).find_map(|f| {
            let b = self.template(f)?.vector("DB")?.get("BACKEND")?.clone();
            Some((b.text, Found::File { file: f, pos: b.pos }))
        })
    }

    /// The mounts of a container, resolved to their volumes.
    pub fn container_mounts(&self, object: usize, container_pointer: &str) -> Vec<Mount> {
        let m = &self.objects[object];
        let Typed::Workload { pointer: pod, .. } = &m.typed else { return Vec::new() };
        let templates = claim_templates(m);
        let volumes = m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let mounts = m
            .raw
            .pointer(&format!("{container_pointer}/volumeMounts"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
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

    pub(super) fn file_mounts(&self) -> Vec<FileMount> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            let Typed::Workload { pointer: pod, .. } = &m.typed else { continue };
            let volumes =
                m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            for (cptr, c) in self.containers(i) {
                for vm in c.volume_mounts.iter().flatten() {
                    let Some(vol) = volumes.iter().find(|v| v.get("name").and_then(Value::as_str) == Some(&vm.name))
                    else {
                        continue;
                    };
                    for (obj, key, rel) in self.volume_files(i, vol) {
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

    /// The files containers read through their environment: `valueFrom` keys and every key of an `envFrom`
    /// source.
    pub(super) fn files_in_env(&self) -> Vec<EnvFile> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            for (cptr, _) in self.containers(i) {
                let Some(c) = m.raw.pointer(cptr) else { continue };
                for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                    let (Some(var), Some(file)) = (e.get("name").and_then(Value::as_str), self.env_ref(i, e)) else {
                        continue;
                    };
                    out.push(EnvFile { file, object: i, container_pointer: cptr.clone(), var: var.to_string() });
                }
                for (var, file) in self.env_from(i, c) {
                    out.push(EnvFile { file, object: i, container_pointer: cptr.clone(), var });
                }
            }
        }
        out
    }

    /// The (object, key, relative path) of each file a ConfigMap, Secret or projected volume shows.
    fn volume_files(&self, from: usize, vol: &Value) -> Vec<(usize, String, String)> {
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
            let Some(obj) = self.find_near(kind, name, from) else { continue };
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
                    for &f in self.files_of_object(obj) {
                        out.push((obj, self.files[f].key.clone(), self.files[f].key.clone()));
                    }
                }
            }
        }
        out
    }
}

/// One port of a Service, resolved to the container port it reaches.
#[derive(Debug, Clone)]
pub struct ServicePort {
    /// Index of the port in `spec.ports`.
    pub index: usize,
    /// Port name.
    pub name: String,
    /// The name of the container port it reaches (the `targetPort` name, or the name the pod gives the port).
    pub target_name: String,
    /// `TCP` or `UDP`.
    pub protocol: String,
    /// The Service port.
    pub port: i32,
    /// The node port, when set.
    pub node_port: Option<i32>,
    /// The container port it reaches in the selected pods (by number, or by name), when it can be resolved.
    pub container_port: Option<i32>,
    /// The container that declares that port: (workload, container pointer).
    pub target: Option<(usize, String)>,
    /// True when the port says it carries TLS: `appProtocol` `https`, `tls`, `ssl`, `wss` or `grpcs`; a port
    /// name, target port name or container port name that starts with `https` or ends with `tls` or `ssl`; or
    /// a TLS port of OpenNebula's own image.
    pub tls: bool,
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
    /// The API a daemon serves.
    pub fn of_daemon(d: Daemon) -> Option<Api> {
        Some(match d {
            Daemon::Oned => Api::Oned,
            Daemon::Fireedge => Api::Fireedge,
            Daemon::Onegate => Api::Onegate,
            Daemon::Oneflow => Api::Oneflow,
            Daemon::Sunstone => Api::Sunstone,
            _ => return None,
        })
    }

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
pub fn config_error(d: &ManifestCtx<'_>, file: usize) -> Option<(Kind, oneconf::ParseError)> {
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
        let d = ManifestCtx::new(&objects);
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
        let d = ManifestCtx::new(&objects);
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
