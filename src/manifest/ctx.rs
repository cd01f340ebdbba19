//! The analysis of a stream, built once per run and handed to every rule (kube-linter's lint context): the
//! objects indexed by kind, name and pod label; the text files ConfigMaps and Secrets carry, each parsed at most
//! once; the files each container is given (mounted, or through its environment); the OpenNebula components and
//! front-ends; and which objects belong to the OpenNebula deployment.
//!
//! Everything here is linear in the size of the stream (hash indexes, no scan per lookup), so a platform
//! repository's stream of hundreds of charts lints in time proportional to its size.

use std::cell::OnceCell;
use std::collections::HashMap;

use k8s_openapi::api::core::v1::Container;
use serde_json::Value;

use super::components::{Component, Daemon, daemons_of, runs_tools};
use super::deploy::{EnvFile, FileMount, Frontend, Published, ServicePort};
use super::embedded::{self, Embedded};
use super::{Manifest, Typed};
use crate::oneconf::{Kind, service, template};

/// The kinds of object a rule reads; the engine runs a rule only on a stream that has one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Anything with a pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
    Workloads,
    /// Services.
    Services,
    /// Ingresses.
    Ingresses,
    /// ConfigMaps and Secrets (and the files they carry).
    ConfigData,
    /// PersistentVolumeClaims.
    Claims,
    /// Any object (YAML-level checks).
    Any,
}

/// A stream of objects and everything the rules need to know about it, computed once.
pub struct ManifestCtx<'a> {
    /// The objects, in stream order.
    pub objects: &'a [Manifest],
    /// Every text key of every ConfigMap and Secret.
    pub files: Vec<Embedded>,
    /// Every file mounted into a container.
    pub mounts: Vec<FileMount>,
    /// Every file a container reads through an environment variable (`valueFrom`, `envFrom`).
    pub env_files: Vec<EnvFile>,
    file_kinds: Vec<Option<Kind>>,
    templates: Vec<OnceCell<Option<template::Template>>>,
    confs: Vec<OnceCell<Option<service::Conf>>>,
    by_name: HashMap<(&'a str, &'a str), Vec<usize>>,
    by_kind: HashMap<&'a str, Vec<usize>>,
    file_by_key: HashMap<(usize, String), usize>,
    files_of_object: HashMap<usize, Vec<usize>>,
    mounts_of_file: HashMap<usize, Vec<usize>>,
    mounts_of_object: HashMap<usize, Vec<usize>>,
    env_files_of_object: HashMap<usize, Vec<usize>>,
    env_files_of_file: HashMap<usize, Vec<usize>>,
    by_label: HashMap<(&'a str, &'a str), Vec<usize>>,
    containers: Vec<Vec<(String, &'a Container)>>,
    pub(super) components: Vec<Component>,
    components_of_object: HashMap<usize, Vec<usize>>,
    selecting: OnceCell<HashMap<usize, Vec<usize>>>,
    frontends: Vec<Frontend>,
    images: std::collections::HashSet<String>,
    scope: Vec<bool>,
    pub(super) service_ports: Vec<OnceCell<Vec<ServicePort>>>,
    pub(super) published: OnceCell<Vec<Published>>,
}

impl<'a> ManifestCtx<'a> {
    /// Analyses a stream.
    pub fn new(objects: &'a [Manifest]) -> Self {
        let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut containers = Vec::with_capacity(objects.len());
        for (i, m) in objects.iter().enumerate() {
            containers.push(m.containers());
            if m.custom {
                continue;
            }
            by_name.entry((m.kind.as_str(), m.name.as_str())).or_default().push(i);
            by_kind.entry(m.kind.as_str()).or_default().push(i);
            if let Typed::Workload { labels, .. } = &m.typed {
                for (k, v) in labels {
                    by_label.entry((k.as_str(), v.as_str())).or_default().push(i);
                }
            }
        }
        let files = embedded::collect(objects);
        let mut file_by_key = HashMap::with_capacity(files.len());
        let mut files_of_object: HashMap<usize, Vec<usize>> = HashMap::new();
        for (f, file) in files.iter().enumerate() {
            file_by_key.insert((file.object, file.key.clone()), f);
            files_of_object.entry(file.object).or_default().push(f);
        }
        let n_files = files.len();
        let mut ctx = ManifestCtx {
            objects,
            files,
            mounts: Vec::new(),
            env_files: Vec::new(),
            file_kinds: Vec::new(),
            templates: (0..n_files).map(|_| OnceCell::new()).collect(),
            confs: (0..n_files).map(|_| OnceCell::new()).collect(),
            by_name,
            by_kind,
            file_by_key,
            files_of_object,
            mounts_of_file: HashMap::new(),
            mounts_of_object: HashMap::new(),
            env_files_of_object: HashMap::new(),
            env_files_of_file: HashMap::new(),
            by_label,
            containers,
            components: Vec::new(),
            components_of_object: HashMap::new(),
            selecting: OnceCell::new(),
            frontends: Vec::new(),
            images: Default::default(),
            scope: Vec::new(),
            service_ports: (0..objects.len()).map(|_| OnceCell::new()).collect(),
            published: OnceCell::new(),
        };
        ctx.mounts = ctx.file_mounts();
        ctx.env_files = ctx.files_in_env();
        for (k, m) in ctx.mounts.iter().enumerate() {
            ctx.mounts_of_file.entry(m.file).or_default().push(k);
            ctx.mounts_of_object.entry(m.object).or_default().push(k);
        }
        for (k, e) in ctx.env_files.iter().enumerate() {
            ctx.env_files_of_object.entry(e.object).or_default().push(k);
            ctx.env_files_of_file.entry(e.file).or_default().push(k);
        }
        ctx.file_kinds = (0..n_files).map(|f| ctx.classify(f)).collect();
        ctx.components = ctx.find_components();
        for (k, c) in ctx.components.iter().enumerate() {
            ctx.components_of_object.entry(c.object).or_default().push(k);
        }
        ctx.frontends = ctx.find_frontends();
        ctx.images = ctx
            .components
            .iter()
            .filter_map(|c| ctx.containers(c.object).iter().find(|(p, _)| *p == c.pointer))
            .filter_map(|(_, c)| c.image.as_deref().map(|i| repository(i).to_string()))
            .collect();
        ctx.scope = ctx.scope();
        ctx
    }

    /// The containers and init containers of an object, with their JSON pointers.
    pub fn containers(&self, object: usize) -> &[(String, &'a Container)] {
        &self.containers[object]
    }

    /// The objects of a kind (custom resources excluded), in stream order.
    pub fn of_kind(&self, kind: &str) -> Vec<usize> {
        self.by_kind.get(kind).cloned().unwrap_or_default()
    }

    /// True when the stream has an object the rule reads.
    pub fn has(&self, reads: Reads) -> bool {
        match reads {
            Reads::Any => !self.objects.is_empty(),
            Reads::Workloads => !self.containers.iter().all(Vec::is_empty),
            Reads::Services => self.by_kind.contains_key("Service"),
            Reads::Ingresses => self.by_kind.contains_key("Ingress"),
            Reads::ConfigData => !self.files.is_empty(),
            Reads::Claims => self.by_kind.contains_key("PersistentVolumeClaim"),
        }
    }

    /// Finds an object by kind and name (the first, when several namespaces hold one).
    pub fn find(&self, kind: &str, name: &str) -> Option<usize> {
        self.by_name.get(&(kind, name)).and_then(|v| v.first().copied())
    }

    /// Finds an object by kind and name as seen from object `from`: in its namespace when the stream says.
    pub fn find_near(&self, kind: &str, name: &str, from: usize) -> Option<usize> {
        let all = self.by_name.get(&(kind, name))?;
        let ns = self.objects[from].namespace.as_deref();
        all.iter().copied().find(|i| self.objects[*i].namespace.as_deref() == ns).or_else(|| all.first().copied())
    }

    /// The workloads a label selector selects (none for an empty selector), in their namespace when the
    /// selecting object names one.
    pub fn select(&self, selector: &std::collections::BTreeMap<String, String>, from: usize) -> Vec<usize> {
        let candidates = selector
            .iter()
            .map(|(k, v)| self.by_label.get(&(k.as_str(), v.as_str())).map_or(&[][..], Vec::as_slice))
            .min_by_key(|c| c.len());
        let Some(candidates) = candidates else { return Vec::new() };
        let ns = self.objects[from].namespace.as_deref();
        candidates
            .iter()
            .copied()
            .filter(|w| {
                let Typed::Workload { labels, .. } = &self.objects[*w].typed else { return false };
                let other = self.objects[*w].namespace.as_deref();
                selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                    && (ns.is_none() || other.is_none() || ns == other)
            })
            .collect()
    }

    /// The workloads a Service selects.
    pub fn selected_by(&self, service: usize) -> Vec<usize> {
        let Typed::Service(svc) = &self.objects[service].typed else { return Vec::new() };
        let selector = svc.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
        self.select(&selector, service)
    }

    /// The file of a ConfigMap or Secret key.
    pub fn file_index(&self, object: usize, key: &str) -> Option<usize> {
        self.file_by_key.get(&(object, key.to_string())).copied()
    }

    /// The files of a ConfigMap or Secret, in key order.
    pub fn files_of_object(&self, object: usize) -> &[usize] {
        self.files_of_object.get(&object).map_or(&[], Vec::as_slice)
    }

    /// The mounts of a file.
    pub fn mounts_of(&self, file: usize) -> impl Iterator<Item = &FileMount> {
        self.mounts_of_file.get(&file).into_iter().flatten().map(|k| &self.mounts[*k])
    }

    /// The kind of a file: by the path a container sees, else by its key, else by the environment variable a
    /// container reads it through, else by its content.
    pub fn kind_of(&self, file: usize) -> Option<Kind> {
        self.file_kinds[file]
    }

    fn classify(&self, file: usize) -> Option<Kind> {
        self.mounts_of(file)
            .find_map(|m| Kind::of_path(&m.path))
            .or_else(|| Kind::of_path(&self.files[file].key))
            .or_else(|| {
                let uses = self.env_files_of_file.get(&file).into_iter().flatten();
                uses.map(|k| &self.env_files[*k]).find_map(|e| Kind::of_env_name(&e.var))
            })
            .or_else(|| Kind::of_env_name(&self.files[file].key))
            .or_else(|| Kind::of_content(&self.files[file].text))
    }

    /// The files of a kind.
    pub fn files_of(&self, kind: Kind) -> Vec<usize> {
        (0..self.files.len()).filter(|f| self.file_kinds[*f] == Some(kind)).collect()
    }

    /// The `NETWORK` `MONITOR_ADDRESS` of every monitord.conf the stream carries, with the file it is in.
    pub fn monitor_addresses(&self) -> Vec<(usize, template::Scalar)> {
        self.files_of(Kind::Monitord)
            .into_iter()
            .filter_map(|file| {
                let addr = self.template(file)?.vector("NETWORK")?.get("MONITOR_ADDRESS")?.clone();
                Some((file, addr))
            })
            .collect()
    }

    /// The workloads that mount a file.
    pub fn mounted_by(&self, file: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self.mounts_of(file).map(|m| m.object).collect();
        v.dedup();
        v
    }

    /// A file parsed as an OpenNebula template (`None` when it does not parse); parsed once.
    pub fn template(&self, file: usize) -> Option<&template::Template> {
        self.templates[file].get_or_init(|| template::parse(&self.files[file].text).ok()).as_ref()
    }

    /// A file parsed as a service's YAML configuration (`None` when it does not parse); parsed once.
    pub fn service_conf(&self, file: usize) -> Option<&service::Conf> {
        self.confs[file].get_or_init(|| service::parse(&self.files[file].text).ok()).as_ref()
    }

    /// Every container running oned.
    pub fn frontends(&self) -> &[Frontend] {
        &self.frontends
    }

    /// Every container that runs an OpenNebula component.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The component a container is, if it is one.
    pub fn component(&self, object: usize, container_pointer: &str) -> Option<&Component> {
        let of_object = self.components_of_object.get(&object)?;
        of_object.iter().map(|k| &self.components[*k]).find(|c| c.pointer == container_pointer)
    }

    /// True when a workload runs an OpenNebula component.
    pub fn runs_opennebula(&self, object: usize) -> bool {
        self.components_of_object.contains_key(&object)
    }

    /// The Services that select a workload; computed once for the whole stream.
    pub fn services_selecting(&self, workload: usize) -> &[usize] {
        let index = self.selecting.get_or_init(|| {
            let mut index: HashMap<usize, Vec<usize>> = HashMap::new();
            for s in self.of_kind("Service") {
                for w in self.selected_by(s) {
                    index.entry(w).or_default().push(s);
                }
            }
            index
        });
        index.get(&workload).map_or(&[], Vec::as_slice)
    }

    /// The workloads whose pods run an OpenNebula component (the front-end's pods), in stream order.
    pub fn opennebula_workloads(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.components.iter().map(|c| c.object).collect();
        v.dedup();
        v
    }

    /// True for an OpenNebula image: one that says so by its name (`opennebula/opennebula`, `opennebula-gate`),
    /// or the image an OpenNebula component of the stream runs (`registry.example.org/cloud/frontend`).
    pub fn is_opennebula_image(&self, image: &str) -> bool {
        super::components::is_opennebula_image(image) || self.images.contains(repository(image))
    }

    /// True when an object belongs to the OpenNebula deployment (see [`super::components`]): only such
    /// objects get findings.
    pub fn in_scope(&self, object: usize) -> bool {
        self.scope.get(object).copied().unwrap_or(false)
    }

    fn find_components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        for (i, m) in self.objects.iter().enumerate() {
            let Typed::Workload { pointer, .. } = &m.typed else { continue };
            let main = format!("{pointer}/containers/");
            for (ptr, c) in self.containers(i) {
                if !ptr.starts_with(&main) {
                    continue;
                }
                let daemons = daemons_of(c);
                let mut configured: Vec<Daemon> =
                    self.files_used_by(i, ptr).filter_map(|f| self.kind_of(f).and_then(Daemon::of_config)).collect();
                configured.sort();
                configured.dedup();
                let tools = runs_tools(c);
                if daemons.is_empty() && configured.is_empty() && !tools {
                    continue;
                }
                out.push(Component { object: i, pointer: ptr.clone(), daemons, configured, tools });
            }
        }
        out
    }

    /// The files a container is given: mounted, or through its environment.
    pub fn files_used_by<'s>(&'s self, object: usize, container_pointer: &'s str) -> impl Iterator<Item = usize> + 's {
        self.mounts_in(object, container_pointer).map(|m| m.file).chain(
            self.env_files_of_object
                .get(&object)
                .into_iter()
                .flatten()
                .map(|k| &self.env_files[*k])
                .filter(move |e| e.container_pointer == container_pointer)
                .map(|e| e.file),
        )
    }

    /// The files mounted into a container.
    pub fn mounts_in<'s>(
        &'s self,
        object: usize,
        container_pointer: &'s str,
    ) -> impl Iterator<Item = &'s FileMount> + 's {
        self.mounts_of_object
            .get(&object)
            .into_iter()
            .flatten()
            .map(|k| &self.mounts[*k])
            .filter(move |m| m.container_pointer == container_pointer)
    }

    /// The ports of a Service, each resolved against the workloads its selector selects; computed once.
    pub fn service_ports(&self, service: usize) -> &[ServicePort] {
        self.service_ports[service].get_or_init(|| self.resolve_service_ports(service))
    }

    /// The value of a pointer in an object, as a string.
    pub fn text(&self, object: usize, pointer: &str) -> Option<&'a str> {
        self.objects[object].raw.pointer(pointer).and_then(Value::as_str)
    }
}

/// An image reference without its tag or digest: `registry.example.org:5000/cloud/frontend`.
pub fn repository(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or(image);
    match (name.rfind(':'), name.rfind('/')) {
        (Some(colon), Some(slash)) if colon > slash => &name[..colon],
        (Some(colon), None) => &name[..colon],
        _ => name,
    }
}
