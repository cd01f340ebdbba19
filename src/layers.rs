//! Merging values layers (profile defaults, user files, `--set`) the way Helm does, remembering which layer and
//! which line every value came from.
//!
//! Maps deep-merge, lists and scalars replace, later layers win. Each value's provenance is kept by JSON
//! pointer (`/database/backend`), so a finding about a merged value points at the file and line that set it:
//! the user's file when the user set it, the profile file otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

pub use crate::pointer::{dotted, escape, pointer};
use crate::source::{InputError, Location, SourceFile};
use crate::yaml::{self, Node, NodeKind, QuirkAt};

/// Where a merged value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The location of the key.
    pub key: Location,
    /// The location of the value.
    pub value: Location,
}

/// One input layer: a parsed file (or `--set` values) ready to merge.
#[derive(Debug)]
pub struct Layer {
    /// The file, when the layer is a file.
    pub source: Option<Arc<SourceFile>>,
    /// The values.
    pub value: Value,
    /// Provenance of every key in `value`, by JSON pointer.
    pub origins: BTreeMap<String, Origin>,
    /// YAML quirks found while reading the file (for the linter).
    pub quirks: Vec<QuirkAt>,
}

impl Layer {
    /// A layer from a parsed YAML mapping.
    pub fn from_node(source: Arc<SourceFile>, root: &Node, quirks: Vec<QuirkAt>) -> Layer {
        let mut origins = BTreeMap::new();
        collect_origins(&source, root, String::new(), &mut origins);
        Layer { value: root.to_json(), source: Some(source), origins, quirks }
    }

    /// Reads and parses a values file. An empty file, or one with only comments (or `~`), sets nothing, as
    /// Helm reads it.
    pub fn read(path: &std::path::Path) -> Result<Layer, InputError> {
        let source = SourceFile::read(path)?;
        let doc = yaml::parse(source.clone())?;
        if doc.root.as_ref().is_none_or(|r| r.kind == NodeKind::Null) {
            return Ok(Layer {
                source: Some(source),
                value: Value::Object(Map::new()),
                origins: BTreeMap::new(),
                quirks: doc.quirks,
            });
        }
        let (root, quirks) = yaml::parse_mapping(source.clone())?;
        Ok(Layer::from_node(source, &root, quirks))
    }
}

fn collect_origins(file: &Arc<SourceFile>, node: &Node, pointer: String, out: &mut BTreeMap<String, Origin>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                let p = format!("{pointer}/{}", escape(&e.key));
                out.insert(
                    p.clone(),
                    Origin {
                        key: Location::in_source(file, e.key_pos.line, e.key_pos.column),
                        value: Location::in_source(file, e.value.pos.line, e.value.pos.column),
                    },
                );
                collect_origins(file, &e.value, p, out);
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{pointer}/{i}");
                let loc = Location::in_source(file, item.pos.line, item.pos.column);
                out.insert(p.clone(), Origin { key: loc.clone(), value: loc });
                collect_origins(file, item, p, out);
            }
        }
        _ => {}
    }
}

/// Merged values and the origin of each.
#[derive(Debug, Default, Clone)]
pub struct Merged {
    /// The merged values.
    pub value: Value,
    /// Origin of each key, by JSON pointer.
    pub origins: BTreeMap<String, Origin>,
    /// Keys of the defaults that the user's values deleted with `null`, and where the `null` was set.
    pub deleted: BTreeMap<String, Origin>,
}

impl Merged {
    /// Merges layers in order; later layers win.
    pub fn from_layers<'a>(layers: impl IntoIterator<Item = &'a Layer>) -> Merged {
        let mut m = Merged { value: Value::Object(Map::new()), origins: BTreeMap::new(), deleted: BTreeMap::new() };
        for layer in layers {
            m.merge(layer);
        }
        m
    }

    /// Merges the user's layers over the defaults as Helm does: the user's layers first among themselves
    /// (later wins; a `null` is a value like any other), then over the defaults, where a `null` deletes the
    /// default's key (and a `null` for a key the defaults do not have stays `null`). Helm 3 and 4 do the same:
    /// `--set key=null` or `key: null` removes a chart default.
    pub fn from_defaults_and_user<'a>(
        defaults: impl IntoIterator<Item = &'a Layer>,
        user: impl IntoIterator<Item = &'a Layer>,
    ) -> Merged {
        let mut base = Merged::from_layers(defaults);
        let over = Merged::from_layers(user);
        coalesce(&mut base.value, &over.value, "", &mut base.origins, &over.origins, &mut base.deleted);
        base
    }

    fn merge(&mut self, layer: &Layer) {
        merge_value(&mut self.value, &layer.value, "", &mut self.origins, &layer.origins);
    }

    /// The origin of a pointer; for a map or list that only `--set` made (it records the values it sets, not
    /// the maps and lists around them), the origin of its first value, so a whole value `--set` gave is credited to
    /// the `--set`, not to the profile whose map it sits in; else that of its nearest ancestor that has one.
    pub fn origin(&self, pointer: &str) -> Option<&Origin> {
        if !pointer.is_empty() && !self.origins.contains_key(pointer) {
            let prefix = format!("{pointer}/");
            if let Some((_, o)) = self.origins.range(prefix.clone()..).next().filter(|(k, _)| k.starts_with(&prefix)) {
                return Some(o);
            }
        }
        let mut p = pointer.to_string();
        loop {
            if let Some(o) = self.origins.get(&p) {
                return Some(o);
            }
            let cut = p.rfind('/')?;
            p.truncate(cut);
        }
    }

    /// The value at a dotted path.
    pub fn get(&self, dotted_path: &str) -> Option<&Value> {
        self.value.pointer(&pointer(dotted_path))
    }
}

fn merge_value(
    base: &mut Value,
    over: &Value,
    ptr: &str,
    origins: &mut BTreeMap<String, Origin>,
    over_origins: &BTreeMap<String, Origin>,
) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                let p = format!("{ptr}/{}", escape(k));
                if let Some(o) = over_origins.get(&p) {
                    origins.insert(p.clone(), o.clone());
                }
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        merge_value(existing, v, &p, origins, over_origins);
                    }
                    _ => {
                        replace_origins(origins, over_origins, &p, b.get(k));
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The origins below `p` become those of the layer that replaces the value `old` at `p`: the replaced value's own
/// origins go (only a map or a list has any; they sort together, right after `p/`), then the new value's come in.
fn replace_origins(
    origins: &mut BTreeMap<String, Origin>,
    over_origins: &BTreeMap<String, Origin>,
    p: &str,
    old: Option<&Value>,
) {
    let prefix = format!("{p}/");
    // The replaced value's own origin goes too when the new value has none (a list `--set` gave item by item).
    if !over_origins.contains_key(p) {
        origins.remove(p);
    }
    if old.is_some_and(|e| e.is_object() || e.is_array()) {
        let doomed: Vec<String> = origins
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, _)| key.clone())
            .collect();
        for key in doomed {
            origins.remove(&key);
        }
    }
    for (key, o) in over_origins.range(prefix.clone()..) {
        if !key.starts_with(&prefix) {
            break;
        }
        origins.insert(key.clone(), o.clone());
    }
}

/// Helm's coalescing of user values over chart defaults: maps merge, a `null` deletes the default's key, anything
/// else replaces.
fn coalesce(
    base: &mut Value,
    over: &Value,
    ptr: &str,
    origins: &mut BTreeMap<String, Origin>,
    over_origins: &BTreeMap<String, Origin>,
    deleted: &mut BTreeMap<String, Origin>,
) {
    let (Value::Object(b), Value::Object(o)) = (base, over) else { return };
    for (k, v) in o {
        let p = format!("{ptr}/{}", escape(k));
        let prefix = format!("{p}/");
        match (b.get_mut(k), v) {
            (Some(_), Value::Null) => {
                b.remove(k);
                origins.retain(|key, _| *key != p && !key.starts_with(&prefix));
                if let Some(o) = over_origins.get(&p) {
                    deleted.insert(p, o.clone());
                }
            }
            (Some(existing), Value::Object(_)) if existing.is_object() => {
                if let Some(o) = over_origins.get(&p) {
                    origins.insert(p.clone(), o.clone());
                }
                coalesce(existing, v, &p, origins, over_origins, deleted);
            }
            _ => {
                replace_origins(origins, over_origins, &p, b.get(k));
                if let Some(o) = over_origins.get(&p) {
                    origins.insert(p.clone(), o.clone());
                }
                b.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Parses `--set` arguments exactly as Helm does (see [`crate::strvals`]): later arguments go into the same map,
/// and each value remembers the argument that set it.
pub fn parse_set(args: &[String]) -> Result<Layer, InputError> {
    let mut data = Map::new();
    let mut origins = BTreeMap::new();
    let mut budget = crate::strvals::MAX_LIST_ITEMS;
    for arg in args {
        // Every value the argument sets carries this location: a long argument is shown shortened, so thousands
        // of assignments in one argument do not copy it thousands of times.
        let shown: String =
            if arg.chars().count() > 120 { arg.chars().take(100).chain("...".chars()).collect() } else { arg.clone() };
        let here = Location::file(&format!("--set {shown}"));
        crate::strvals::parse_bounded(
            arg,
            &mut data,
            &mut |ptr| {
                origins.insert(ptr, Origin { key: here.clone(), value: here.clone() });
            },
            &mut budget,
        )
        .map_err(|e| {
            let why = if e.helm_refuses { " (Helm refuses this --set too)" } else { "" };
            InputError::new(here.clone(), format!("{}{why}", e.message))
        })?;
    }
    Ok(Layer { source: None, value: Value::Object(data), origins, quirks: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, text: &str) -> Layer {
        let src = SourceFile::from_text(name, text);
        let (root, q) = yaml::parse_mapping(src.clone()).unwrap();
        Layer::from_node(src, &root, q)
    }

    #[test]
    fn maps_merge_lists_replace_and_origins_follow_the_winner() {
        let base = layer("p.yaml", "a:\n  b: 1\n  c: [1, 2]\nd: x\n");
        let user = layer("u.yaml", "a:\n  c: [3]\n");
        let m = Merged::from_layers([&base, &user]);
        assert_eq!(m.value, serde_json::json!({"a": {"b": 1, "c": [3]}, "d": "x"}));
        assert_eq!(m.origin("/a/b").unwrap().value.file, "p.yaml");
        assert_eq!(m.origin("/a/c").unwrap().value.to_string(), "u.yaml:2:6");
        assert!(!m.origins.contains_key("/a/c/1"), "stale origin of a replaced list item");
        assert_eq!(m.origin("/a/c/0").unwrap().value.file, "u.yaml");
    }

    #[test]
    fn set_follows_helm_typing_and_keeps_origins() {
        let l = parse_set(&["a.b=true,c=007,f[1]=z".to_string()]).unwrap();
        assert_eq!(l.value, serde_json::json!({"a": {"b": true}, "c": "007", "f": [null, "z"]}));
        assert_eq!(l.origins["/f/1"].value.file, "--set a.b=true,c=007,f[1]=z");
        let e = parse_set(&["oned..replicas=3".to_string()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--set oned..replicas=3: error: key map \"oned\" has no value (Helm refuses this --set too)"
        );
    }

    #[test]
    fn null_deletes_a_default_as_helm_does() {
        // The cases checked against helm3 and helm4 `template` (issue 18): -f f1 -f f2, --set over files.
        let chart = layer("values.yaml", "a:\n  b: 1\n  c: 2\n  d:\n    e: 3\nlist: [1, 2]\n");
        let f1 = layer("f1.yaml", "a:\n  c: 5\n");
        let f2 = layer("f2.yaml", "a:\n  c: null\n");
        let m = Merged::from_defaults_and_user([&chart], [&f1, &f2]);
        assert_eq!(m.value, serde_json::json!({"a": {"b": 1, "d": {"e": 3}}, "list": [1, 2]}));
        assert_eq!(m.deleted["/a/c"].key.to_string(), "f2.yaml:2:3");
        let m = Merged::from_defaults_and_user([&chart], [&f2, &f1]);
        assert_eq!(m.value["a"]["c"], 5);
        let f3 = layer("f3.yaml", "z: null\na:\n  x: null\n  b: {q: 1}\n");
        let m = Merged::from_defaults_and_user([&chart], [&f3]);
        assert_eq!(m.value["z"], Value::Null);
        assert_eq!(m.value["a"], serde_json::json!({"b": {"q": 1}, "c": 2, "d": {"e": 3}, "x": null}));
        let set = parse_set(&["a=null".to_string()]).unwrap();
        let m = Merged::from_defaults_and_user([&chart], [&set]);
        assert_eq!(m.value, serde_json::json!({"list": [1, 2]}));
        assert!(!m.origins.keys().any(|k| k.starts_with("/a")), "{:?}", m.origins);
        // A null, then a map: the map merges over the defaults.
        let again = layer("g.yaml", "a:\n  b: 2\n");
        let null_a = layer("n.yaml", "a: null\n");
        let m = Merged::from_defaults_and_user([&chart], [&null_a, &again]);
        assert_eq!(m.value["a"], serde_json::json!({"b": 2, "c": 2, "d": {"e": 3}}));
    }

    #[test]
    fn dotted_and_pointer_round_trip() {
        assert_eq!(dotted("/datastores/0/tmMad"), "datastores[0].tmMad");
        assert_eq!(pointer("database.backend"), "/database/backend");
        assert_eq!(pointer("datastores[1].tmMad"), "/datastores/1/tmMad");
        assert_eq!(pointer("a[x]"), "/a[x]");
    }
}
