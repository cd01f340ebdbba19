//! Rendered manifests (`helm template` output) as typed Kubernetes objects (k8s-openapi), each value with its
//! position in the rendered file, for the checks that only show after rendering.
//!
//! - this file: one stream of objects (empty and comment-only documents skipped, `kind: List` and `*List`
//!   items unpacked, custom resources and CRDs kept for reference but not checked);
//! - [`input`]: several files, directories and stdin read as one deployment;
//! - [`ctx`]: the analysis of a stream, built once per run and handed to every rule ([`ManifestCtx`]): indexes
//!   of the objects by kind and name, the embedded files, the mounts, the OpenNebula components;
//! - [`embedded`]: the text files held in ConfigMaps and Secrets, decoded, with positions mapped back into the
//!   rendered file;
//! - [`deploy`]: what the pods see (which file a ConfigMap key becomes, through volumes, `subPath` and
//!   `items`), the OpenNebula front-end, its database backend, replicas and persistence;
//! - [`components`]: which containers run an OpenNebula component, recognised by what they run.

pub mod components;
pub mod ctx;
pub mod deploy;
pub mod embedded;
pub mod input;

pub use ctx::ManifestCtx;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Service};
use serde_json::Value;

use crate::source::{InputError, Location, SourceFile};
use crate::yaml::{self, Node, Pos, QuirkAt};

/// One object of the stream.
#[derive(Debug)]
pub struct Manifest {
    /// `kind`.
    pub kind: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when the object sets it.
    pub namespace: Option<String>,
    /// A custom resource or a CustomResourceDefinition: kept so references to it resolve, never checked.
    pub custom: bool,
    /// Why a Kubernetes object the rules look into could not be read with its typed model (a wrongly typed
    /// field, `containerPort: "80"`): it is not checked, and the report says so.
    pub not_checked: Option<String>,
    /// The file it is in.
    pub source: Arc<SourceFile>,
    /// Duplicate keys and other YAML quirks of the object's document.
    pub quirks: Vec<QuirkAt>,
    /// The object as JSON.
    pub raw: Value,
    /// Where each value of `raw` is in the file (a tree of positions shaped like `raw`).
    positions: Positions,
    /// Where the document starts.
    pub location: Location,
    /// The typed view.
    pub typed: Typed,
}

/// The kinds the rules look into.
#[derive(Debug)]
pub enum Typed {
    /// A ConfigMap.
    ConfigMap(Box<ConfigMap>),
    /// A Service.
    Service(Box<Service>),
    /// Anything with a pod template: the pod spec, its JSON pointer, and the pod's labels.
    Workload { spec: Box<PodSpec>, pointer: String, labels: BTreeMap<String, String> },
    /// Other kinds (and objects the typed model could not read).
    Other,
}

impl Manifest {
    /// `Kind/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The location of a pointer inside this object (or of its nearest ancestor), found by walking the object:
    /// no table of every key's position is kept.
    pub fn location(&self, pointer: &str) -> Location {
        match self.walk(pointer) {
            (Some(at), _) => Location::in_source(&self.source, at.pos.line, at.pos.column),
            (None, _) => self.location.clone(),
        }
    }

    /// The locations of the values of a mapping or list at `pointer`, in order (one walk for all of them).
    pub fn child_locations(&self, pointer: &str) -> Vec<Location> {
        let (Some(at), Some(_)) = self.walk(pointer) else { return Vec::new() };
        let kids = match &at.inner {
            Inner::Map(kids) | Inner::Seq(kids) => kids,
            Inner::Leaf => return Vec::new(),
        };
        kids.iter().map(|k| Location::in_source(&self.source, k.pos.line, k.pos.column)).collect()
    }

    /// The positions and value at a pointer (the nearest ancestor's positions when the pointer goes further than
    /// the object; `None` for the object itself).
    fn walk(&self, pointer: &str) -> (Option<&Positions>, Option<&Value>) {
        let (mut raw, mut at) = (&self.raw, &self.positions);
        let mut found = None;
        let mut complete = true;
        for seg in pointer.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            let next = match (raw, &at.inner) {
                (Value::Object(m), Inner::Map(kids)) => {
                    m.iter().zip(kids).find(|((k, _), _)| **k == seg).map(|((_, v), p)| (v, p))
                }
                (Value::Array(a), Inner::Seq(kids)) => {
                    seg.parse::<usize>().ok().and_then(|i| Some((a.get(i)?, kids.get(i)?)))
                }
                _ => None,
            };
            let Some((v, p)) = next else {
                complete = false;
                break;
            };
            (raw, at) = (v, p);
            found = Some(p);
        }
        (found, complete.then_some(raw))
    }

    /// Containers and init containers of a workload, with their JSON pointers.
    pub fn containers(&self) -> Vec<(String, &Container)> {
        let Typed::Workload { spec, pointer, .. } = &self.typed else { return Vec::new() };
        let init = spec
            .init_containers
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| (format!("{pointer}/initContainers/{i}"), c));
        let main = spec.containers.iter().enumerate().map(|(i, c)| (format!("{pointer}/containers/{i}"), c));
        init.chain(main).collect()
    }
}

/// Reads a stream of manifests: empty and comment-only documents (which Helm emits) are skipped, the items of a
/// `kind: List` (or any `*List`) become objects of their own. A document that is not a mapping is an input
/// error.
pub fn read(source: Arc<SourceFile>) -> Result<Vec<Manifest>, InputError> {
    let docs = yaml::parse_documents_with_quirks(source.clone())?;
    let mut out = Vec::new();
    for (node, quirks) in docs {
        let at = |n: &Node| Location::in_source(&source, n.pos.line, n.pos.column);
        // `---` followed by nothing or by comments only: Helm emits these for templates that render empty.
        if node.kind == yaml::NodeKind::Null {
            continue;
        }
        if node.as_map().is_none() {
            return Err(InputError::new(
                at(&node),
                format!("a Kubernetes object must be a mapping, found {}", node.type_name()),
            ));
        }
        let kind = node.get("kind").and_then(|e| e.value.to_json().as_str().map(str::to_string)).unwrap_or_default();
        if kind.is_empty() {
            return Err(InputError::new(
                at(&node),
                "not a Kubernetes object: it has no `kind` (is this a values file? lint it without --manifests)"
                    .to_string(),
            ));
        }
        let items = node.get("items").filter(|_| kind.ends_with("List"));
        match items.map(|e| &e.value.kind) {
            Some(yaml::NodeKind::Seq(list)) => {
                for (n, item) in list.iter().enumerate() {
                    if item.as_map().is_none() || item.get("kind").is_none() {
                        return Err(InputError::new(
                            at(item),
                            format!(
                                "an item of a `{kind}` must be a Kubernetes object with a `kind`, found {}",
                                item.type_name()
                            ),
                        ));
                    }
                    let next = list.get(n + 1).map(|i| i.pos);
                    let inside: Vec<QuirkAt> = quirks
                        .iter()
                        .filter(|q| q.pos >= item.pos && next.is_none_or(|p| q.pos < p))
                        .cloned()
                        .collect();
                    out.push(object(&source, item, inside));
                }
            }
            Some(yaml::NodeKind::Null) => {}
            _ => out.push(object(&source, &node, quirks)),
        }
    }
    Ok(out)
}

/// API groups Kubernetes itself serves: any other group is a custom resource.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "admissionregistration.k8s.io",
    "certificates.k8s.io",
    "node.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "events.k8s.io",
    "apiregistration.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
];

/// Positions of a value and of everything inside it, in the order of the JSON the value becomes.
#[derive(Debug)]
struct Positions {
    pos: Pos,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Leaf,
    Seq(Vec<Positions>),
    /// The values' positions, in the order of the keys of the JSON object (the YAML order, duplicates merged).
    Map(Vec<Positions>),
}

impl Positions {
    fn of(node: &Node) -> Positions {
        let inner = match &node.kind {
            yaml::NodeKind::Seq(items) => Inner::Seq(items.iter().map(Positions::of).collect()),
            yaml::NodeKind::Map(entries) => Inner::Map(entries.iter().map(|e| Positions::of(&e.value)).collect()),
            _ => Inner::Leaf,
        };
        Positions { pos: node.pos, inner }
    }
}

fn object(source: &Arc<SourceFile>, node: &Node, quirks: Vec<QuirkAt>) -> Manifest {
    let raw = node.to_json();
    let text = |p: &str| raw.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = text("/kind");
    let api_version = text("/apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let custom = kind == "CustomResourceDefinition" || !BUILTIN_GROUPS.contains(&group);
    let (typed, not_checked) = if custom { (Typed::Other, None) } else { typed(&kind, &raw) };
    Manifest {
        not_checked,
        name: text("/metadata/name"),
        namespace: raw.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_string),
        kind,
        api_version,
        custom,
        source: source.clone(),
        quirks,
        typed,
        positions: Positions::of(node),
        location: Location::in_source(source, node.pos.line, node.pos.column),
        raw,
    }
}

/// Reads `value` as `T`; the error names the field (`spec.template.spec.containers[0].ports[0].containerPort:
/// invalid type: string "80", expected i32`), `prefix` being where `value` is in the object.
fn read_typed<T: serde::de::DeserializeOwned>(value: Value, prefix: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let path = match (prefix, at.as_str()) {
            (p, ".") => p.to_string(),
            ("", a) => a.to_string(),
            (p, a) if a.starts_with('[') => format!("{p}{a}"),
            (p, a) => format!("{p}.{a}"),
        };
        format!("`{path}`: {}", e.inner())
    })
}

fn typed(kind: &str, raw: &Value) -> (Typed, Option<String>) {
    let pod = |pointer: &str| -> (Typed, Option<String>) {
        let Some(spec) = raw.pointer(pointer).cloned() else { return (Typed::Other, None) };
        let labels_ptr = format!("{}/metadata/labels", pointer.trim_end_matches("/spec"));
        let labels = raw
            .pointer(&labels_ptr)
            .and_then(|l| serde_json::from_value::<BTreeMap<String, String>>(l.clone()).ok())
            .unwrap_or_default();
        match read_typed::<PodSpec>(spec, &crate::layers::dotted(pointer)) {
            Ok(spec) => (Typed::Workload { spec: Box::new(spec), pointer: pointer.to_string(), labels }, None),
            Err(why) => (Typed::Other, Some(why)),
        }
    };
    let whole = |r: Result<Typed, String>| match r {
        Ok(t) => (t, None),
        Err(why) => (Typed::Other, Some(why)),
    };
    match kind {
        "ConfigMap" => whole(read_typed(raw.clone(), "").map(|c| Typed::ConfigMap(Box::new(c)))),
        "Service" => whole(read_typed(raw.clone(), "").map(|s| Typed::Service(Box::new(s)))),
        "Pod" => pod("/spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => pod("/spec/template/spec"),
        "CronJob" => pod("/spec/jobTemplate/spec/template/spec"),
        _ => (Typed::Other, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_stream_with_positions() {
        let src = SourceFile::from_text(
            "r.yaml",
            "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  selector: {}\n  serviceName: s\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n        - name: oned\n          image: i\n",
        );
        let m = read(src).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].id(), "ConfigMap/c");
        assert_eq!(m[0].location("/data/a").to_string(), "r.yaml:8:6");
        let containers = m[1].containers();
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].0, "/spec/template/spec/containers/0");
        assert_eq!(m[1].location("/spec/template/spec/containers/0/image").line, 22);
        assert!(matches!(&m[1].typed, Typed::Workload { labels, .. } if labels["app"] == "x"));
    }

    #[test]
    fn locations_follow_the_yaml_order_of_keys() {
        let src = SourceFile::from_text(
            "o.yaml",
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\ndata:\n  zeta: \"1\"\n  alpha: \"2\"\n  zeta: \"3\"\n",
        );
        let m = &read(src).unwrap()[0];
        assert_eq!(m.location("/data/alpha").to_string(), "o.yaml:6:10");
        assert_eq!(m.location("/data/zeta").to_string(), "o.yaml:7:9", "the last duplicate wins");
        assert_eq!(m.location("/data/zeta/deeper").to_string(), "o.yaml:7:9", "the nearest ancestor");
        assert_eq!(m.location("/nothing").to_string(), "o.yaml:1:1", "the document");
        let kids: Vec<String> = m.child_locations("/data").iter().map(ToString::to_string).collect();
        assert_eq!(kids, ["o.yaml:7:9", "o.yaml:6:10"]);
        assert_eq!(m.location("/data/alpha").line_text(), Some("  alpha: \"2\""));
    }
}
