//! Merging values layers (profile defaults, user files, `--set`) the way Helm does, remembering which layer and
//! which line every value came from.
//!
//! Maps deep-merge, lists and scalars replace, later layers win. Each value's provenance is kept by JSON
//! pointer (`/database/backend`), so a finding about a merged value points at the file and line that set it:
//! the user's file when the user set it, the profile file otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

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
        collect_origins(&source.name, root, String::new(), &mut origins);
        Layer { value: root.to_json(), source: Some(source), origins, quirks }
    }

    /// Reads and parses a values file.
    pub fn read(path: &std::path::Path) -> Result<Layer, InputError> {
        let source = SourceFile::read(path)?;
        let (root, quirks) = yaml::parse_mapping(source.clone())?;
        Ok(Layer::from_node(source, &root, quirks))
    }
}

fn collect_origins(file: &str, node: &Node, pointer: String, out: &mut BTreeMap<String, Origin>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                let p = format!("{pointer}/{}", escape(&e.key));
                out.insert(
                    p.clone(),
                    Origin {
                        key: Location::at(file, e.key_pos.line, e.key_pos.column),
                        value: Location::at(file, e.value.pos.line, e.value.pos.column),
                    },
                );
                collect_origins(file, &e.value, p, out);
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{pointer}/{i}");
                let loc = Location::at(file, item.pos.line, item.pos.column);
                out.insert(p.clone(), Origin { key: loc.clone(), value: loc });
                collect_origins(file, item, p, out);
            }
        }
        _ => {}
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Turns a JSON pointer into the dotted values path users write (`/datastores/0/name` → `datastores[0].name`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// Turns a dotted path (`database.backend`) into a JSON pointer.
pub fn pointer(dotted: &str) -> String {
    dotted.split('.').map(|s| format!("/{}", escape(s))).collect()
}

/// Merged values and the origin of each.
#[derive(Debug, Default, Clone)]
pub struct Merged {
    /// The merged values.
    pub value: Value,
    /// Origin of each key, by JSON pointer.
    pub origins: BTreeMap<String, Origin>,
}

impl Merged {
    /// Merges layers in order; later layers win.
    pub fn from_layers<'a>(layers: impl IntoIterator<Item = &'a Layer>) -> Merged {
        let mut m = Merged { value: Value::Object(Map::new()), origins: BTreeMap::new() };
        for layer in layers {
            m.merge(layer);
        }
        m
    }

    fn merge(&mut self, layer: &Layer) {
        merge_value(&mut self.value, &layer.value, "", &mut self.origins, &layer.origins);
    }

    /// The origin of a pointer, or of its nearest ancestor that has one.
    pub fn origin(&self, pointer: &str) -> Option<&Origin> {
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
                        let prefix = format!("{p}/");
                        origins.retain(|key, _| !key.starts_with(&prefix));
                        for (key, o) in over_origins.range(prefix.clone()..) {
                            if !key.starts_with(&prefix) {
                                break;
                            }
                            origins.insert(key.clone(), o.clone());
                        }
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Parses `--set` arguments with Helm's rules: `a.b=c,d=e`, list indexes `a[0]=x`, lists `{x,y}`, `\,` and
/// `\.` escapes; `true`/`false` are booleans, `null` is null, integers without a leading zero are numbers,
/// everything else is a string.
pub fn parse_set(args: &[String]) -> Result<Layer, InputError> {
    let mut value = Value::Object(Map::new());
    let mut origins = BTreeMap::new();
    for arg in args {
        let here = Location::file(&format!("--set {arg}"));
        for assignment in split_unescaped(arg, ',', true) {
            let Some((key, raw)) = assignment.split_once('=') else {
                return Err(InputError::new(here, format!("`{assignment}` is not of the form key=value")));
            };
            let path = parse_set_key(key).map_err(|m| InputError::new(here.clone(), m))?;
            let v = if raw.starts_with('{') && raw.ends_with('}') {
                Value::Array(split_unescaped(&raw[1..raw.len() - 1], ',', false).iter().map(|s| typed(s)).collect())
            } else {
                typed(&unescape(raw))
            };
            let ptr = insert_path(&mut value, &path, v).map_err(|m| InputError::new(here.clone(), m))?;
            origins.insert(ptr, Origin { key: here.clone(), value: here.clone() });
        }
    }
    Ok(Layer { source: None, value, origins, quirks: Vec::new() })
}

/// Splits a `--set` list while keeping `{a,b}` list literals whole when `keep_braces` is set.
fn split_unescaped(s: &str, sep: char, keep_braces: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '{' if keep_braces => {
                depth += 1;
                cur.push(c);
            }
            '}' if keep_braces => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if c == sep && depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_set_key(key: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let mut idx = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    idx.push(d);
                }
                let i: usize = idx.parse().map_err(|_| format!("list index `[{idx}]` in `{key}` is not a number"))?;
                if i > 1000 {
                    return Err(format!("list index {i} in `{key}` is larger than 1000"));
                }
                segs.push(Seg::Index(i));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        segs.push(Seg::Key(cur));
    }
    if segs.is_empty() {
        return Err(format!("empty key in `--set {key}=...`"));
    }
    Ok(segs)
}

fn typed(s: &str) -> Value {
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "0" => Value::Number(0.into()),
        _ if !s.starts_with('0') && !s.starts_with("-0") => {
            s.parse::<i64>().map_or_else(|_| Value::String(s.to_string()), |i| Value::Number(i.into()))
        }
        _ => Value::String(s.to_string()),
    }
}

fn insert_path(root: &mut Value, path: &[Seg], v: Value) -> Result<String, String> {
    let mut cur = root;
    let mut ptr = String::new();
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match seg {
            Seg::Key(k) => {
                ptr.push_str(&format!("/{}", escape(k)));
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                let obj = cur.as_object_mut().ok_or("not a mapping")?;
                let next = obj.entry(k.clone()).or_insert(Value::Null);
                if last {
                    *next = v;
                    return Ok(ptr);
                }
                cur = next;
            }
            Seg::Index(idx) => {
                ptr.push_str(&format!("/{idx}"));
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let arr = cur.as_array_mut().ok_or("not a list")?;
                while arr.len() <= *idx {
                    arr.push(Value::Null);
                }
                if last {
                    arr[*idx] = v;
                    return Ok(ptr);
                }
                cur = &mut arr[*idx];
            }
        }
    }
    Ok(ptr)
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
    fn set_follows_helm_typing() {
        let l = parse_set(&["a.b=true,c=007,d=12,e={x,y},f[1]=z,g=null,h=a\\,b".to_string()]).unwrap();
        assert_eq!(
            l.value,
            serde_json::json!({"a": {"b": true}, "c": "007", "d": 12, "e": ["x", "y"], "f": [null, "z"], "g": null, "h": "a,b"})
        );
        assert!(parse_set(&["novalue".to_string()]).is_err());
    }

    #[test]
    fn dotted_and_pointer_round_trip() {
        assert_eq!(dotted("/datastores/0/tmMad"), "datastores[0].tmMad");
        assert_eq!(pointer("database.backend"), "/database/backend");
    }
}
