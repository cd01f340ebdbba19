//! A YAML reader that reads values the way Helm does, and remembers where every key and value is.
//!
//! Helm reads values files with YAML 1.1 rules (go-yaml v2 behind `sigs.k8s.io/yaml`): `yes`, `on`, `y` are
//! booleans, `0755` is octal, duplicate keys silently keep the last value, and `<<` merge keys are expanded.
//! saphyr's parser gives us events with spans; this module builds its own tree from them so that typing,
//! duplicates, merge keys and alias expansion follow Helm, with limits that make hostile input harmless.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::source::{InputError, Location, SourceFile};

/// Deepest nesting accepted. Real values files stay under 10; 64 leaves room and bounds recursion.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a document may expand to, counting every alias expansion (defeats "billion laughs").
pub const MAX_NODES: usize = 200_000;

/// How a merge key (`<<`) is held while its mapping is read: no YAML key can contain a NUL character.
const MERGE_KEY: &str = "\0<<";

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Pos {
    fn from_span(span: &Span) -> Pos {
        Pos { line: span.start.line(), column: span.start.col() + 1 }
    }
}

/// A node of the values tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value, typed as Helm types it.
    pub kind: NodeKind,
    /// Where the value starts.
    pub pos: Pos,
}

/// The typed content of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `~`, `null`, or nothing.
    Null,
    /// A boolean (including YAML 1.1 `yes`/`no`/`on`/`off`/`y`/`n`).
    Bool(bool),
    /// An integer (decimal, YAML 1.1 octal `0755`, `0o`, hex, binary, with `_` separators).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order, keys unique (the last duplicate wins, as in Helm).
    Map(Vec<Entry>),
}

/// One key of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as Helm reads it (`on` becomes `true`).
    pub key: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The entries of a mapping node, or `None`.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Looks up a key of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) | NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// Converts to JSON, the form the schema validator, the merge and the typed model use.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::Number((*i).into()),
            NodeKind::Float(f) => Number::from_f64(*f).map_or_else(|| Value::String(f.to_string()), Value::Number),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => {
                let mut m = Map::new();
                for e in entries {
                    m.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(m)
            }
        }
    }

    fn count(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Seq(items) => items.iter().map(Node::count).sum(),
            NodeKind::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
            _ => 0,
        }
    }
}

/// Something legal in YAML that Helm reads differently from how it looks. The linter reports these.
#[derive(Debug, Clone, PartialEq)]
pub enum Quirk {
    /// A key appears twice in one mapping; Helm keeps the last value.
    DuplicateKey {
        /// The key.
        key: String,
        /// Where it first appeared.
        first: Pos,
    },
    /// A plain scalar that YAML 1.1 types unexpectedly (`on` is a boolean, `0755` is 493).
    Ambiguous {
        /// The text as written.
        raw: String,
        /// What Helm reads, for example `boolean true` or `number 493`.
        reads_as: String,
    },
}

/// A quirk, its position and the dotted path of the key or value it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct QuirkAt {
    /// What it is.
    pub quirk: Quirk,
    /// Where.
    pub pos: Pos,
    /// Dotted values path (`database.backend`, `datastores[0].name`).
    pub path: String,
}

/// A parsed document.
#[derive(Debug)]
pub struct Document {
    /// The file it came from.
    pub source: Arc<SourceFile>,
    /// The root node; `None` for an empty document (only comments or nothing).
    pub root: Option<Node>,
    /// Duplicate keys and ambiguous scalars, in file order.
    pub quirks: Vec<QuirkAt>,
}

/// Parses a single YAML document. Multiple documents, excessive aliasing, deep nesting and syntax errors are
/// input errors with the position where they occur.
pub fn parse(source: Arc<SourceFile>) -> Result<Document, InputError> {
    let mut docs = parse_stream(source.clone(), false)?;
    let (root, quirks) = docs.pop().unwrap_or((None, Vec::new()));
    Ok(Document { source, root, quirks })
}

/// Parses a multi-document stream (`helm template` output); empty documents are dropped.
pub fn parse_documents(source: Arc<SourceFile>) -> Result<Vec<Node>, InputError> {
    Ok(parse_documents_with_quirks(source)?.into_iter().map(|(root, _)| root).collect())
}

/// Parses a multi-document stream, keeping each document's YAML quirks (duplicate keys); empty and
/// comment-only documents are dropped. The alias budget ([`MAX_NODES`]) applies to each document.
pub fn parse_documents_with_quirks(source: Arc<SourceFile>) -> Result<Vec<(Node, Vec<QuirkAt>)>, InputError> {
    Ok(parse_stream(source, true)?.into_iter().filter_map(|(root, quirks)| Some((root?, quirks))).collect())
}

type Parsed = (Option<Node>, Vec<QuirkAt>);

fn parse_stream(source: Arc<SourceFile>, multi: bool) -> Result<Vec<Parsed>, InputError> {
    let mut b = Builder {
        source: source.clone(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        documents: 0,
        root: None,
        quirks: Vec::new(),
        multi,
        done: Vec::new(),
        merge_scalar: false,
    };
    let text: &str = &source.text;
    if !multi {
        directives(&source)?;
    }
    let parser = Parser::new_from_str(text);
    for ev in parser {
        let (event, span) = ev.map_err(|e| {
            let (line, column) = within_text(text, e.marker().line(), e.marker().col() + 1);
            InputError::new(Location::at(&source.name, line, column), format!("invalid YAML: {}", e.info()))
        })?;
        b.on_event(event, span)?;
    }
    b.finish_document();
    Ok(b.done)
}

/// A parser position clamped to the text: an error found at the end of the stream (an unclosed `[`, a quote that
/// never ends) is reported just after the last character of the last line that has one, where the missing part
/// belongs, never on a line past the end of the file.
fn within_text(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let past_end = line > lines.len() || lines.get(line.wrapping_sub(1)).is_some_and(|l| l.trim().is_empty());
    if !past_end || line == 0 {
        return (line.max(1), column.max(1));
    }
    match lines.iter().take(line.min(lines.len())).rposition(|l| !l.trim().is_empty()) {
        Some(i) => (i + 1, lines[i].trim_end().chars().count() + 1),
        None => (1, 1),
    }
}

/// Parses a document whose root must be a mapping (a values file or a profile). An empty document is an
/// error: a values file that sets nothing is almost always the wrong file.
pub fn parse_mapping(source: Arc<SourceFile>) -> Result<(Node, Vec<QuirkAt>), InputError> {
    let doc = parse(source.clone())?;
    match doc.root {
        None => Err(InputError::new(
            Location::file(&source.name),
            "file is empty: a values file must be a YAML mapping of keys to values".to_string(),
        )),
        Some(root) if root.as_map().is_some() => Ok((root, doc.quirks)),
        Some(root) => Err(InputError::new(
            Location::at(&source.name, root.pos.line, root.pos.column),
            format!("values must be a mapping of keys to values, found {}", root.type_name()),
        )),
    }
}

/// Refuses the directives (`%YAML`, `%TAG`) at the start of a values file: Helm 3's YAML library reads only
/// `%YAML 1.1` ("found incompatible YAML document", `kubernetes-sigs/yaml@v1.4.0:goyaml.v2/parserc.go:1032`), and
/// Helm 4 refuses a file with any directive (it splits the file into documents before parsing each).
fn directives(source: &SourceFile) -> Result<(), InputError> {
    for (i, line) in source.text.lines().enumerate() {
        let t = line.trim_start_matches('\u{feff}');
        if t.trim().is_empty() || t.starts_with('#') {
            continue;
        }
        if !t.starts_with('%') {
            return Ok(());
        }
        let directive = t.split('#').next().unwrap_or(t).trim();
        return Err(InputError::new(
            Location::at(&source.name, i + 1, 1),
            format!(
                "`{directive}`: Helm refuses a values file with a YAML directive (Helm 3 reads only `%YAML 1.1`, Helm \
                 4 none); remove the line"
            ),
        ));
    }
    Ok(())
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// Index of each key in `entries`: duplicates are found in constant time (99,000 keys stay linear).
        index: HashMap<String, usize>,
        pos: Pos,
        anchor: usize,
        key: Option<(String, Pos)>,
        merges: Vec<Node>,
    },
}

struct Builder {
    source: Arc<SourceFile>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    documents: usize,
    root: Option<Node>,
    quirks: Vec<QuirkAt>,
    multi: bool,
    done: Vec<Parsed>,
    /// The scalar being completed is YAML's merge key: a plain `<<` (or tagged `!!merge`), not a quoted "<<".
    merge_scalar: bool,
}

impl Builder {
    fn finish_document(&mut self) {
        let mut quirks = std::mem::take(&mut self.quirks);
        quirks.sort_by_key(|q| q.pos);
        let root = self.root.take();
        if root.is_some() || !quirks.is_empty() || self.done.is_empty() {
            self.done.push((root, quirks));
        }
        self.anchors.clear();
        if self.multi {
            self.nodes = 0;
        }
    }

    fn err(&self, pos: Pos, message: String) -> InputError {
        InputError::new(Location::at(&self.source.name, pos.line, pos.column), message)
    }

    fn path(&self) -> String {
        let mut out = String::new();
        for f in &self.stack {
            match f {
                Frame::Seq { items, .. } => out.push_str(&format!("[{}]", items.len())),
                Frame::Map { key: Some((k, _)), .. } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(if k == MERGE_KEY { "<<" } else { k });
                }
                Frame::Map { .. } => {}
            }
        }
        out
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), InputError> {
        let pos = Pos::from_span(&span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.multi {
                    if self.documents > 1 {
                        self.finish_document();
                    }
                } else if self.documents > 1 {
                    return Err(self.err(
                        pos,
                        "a second YAML document starts here; a values file holds exactly one document".to_string(),
                    ));
                }
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Frame::Seq { items: Vec::new(), pos, anchor }, pos)?;
            }
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map {
                    entries: Vec::new(),
                    index: HashMap::new(),
                    pos,
                    anchor,
                    key: None,
                    merges: Vec::new(),
                };
                self.open(frame, pos)?;
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, pos, anchor }) = self.stack.pop() {
                    self.complete(Node { kind: NodeKind::Seq(items), pos }, anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { mut entries, index, pos, anchor, merges, .. }) = self.stack.pop() {
                    apply_merges(&mut entries, index, merges);
                    self.complete(Node { kind: NodeKind::Map(entries), pos }, anchor)?;
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let merge_tag = tag
                    .as_deref()
                    .is_some_and(|t| (t.handle == "tag:yaml.org,2002:" || t.handle == "!!") && t.suffix == "merge");
                self.merge_scalar = text == "<<" && (style == ScalarStyle::Plain || merge_tag);
                let node = self.scalar(&text, style, tag.as_deref(), pos);
                self.complete(node, anchor)?;
                self.merge_scalar = false;
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(self.err(pos, "alias refers to an unknown anchor".to_string()));
                };
                let mut node = node.clone();
                node.pos = pos;
                self.budget(node.count(), pos, true)?;
                self.push(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), InputError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(pos, format!("values nest deeper than {MAX_DEPTH} levels")));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn budget(&mut self, n: usize, pos: Pos, alias: bool) -> Result<(), InputError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self.err(
                pos,
                if alias {
                    format!("document contains excessive aliasing (expands to more than {MAX_NODES} values)")
                } else {
                    format!("document has more than {MAX_NODES} keys and values; onechart reads no more than that")
                },
            ));
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), InputError> {
        self.budget(1, node.pos, false)?;
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node)
    }

    fn push(&mut self, node: Node) -> Result<(), InputError> {
        // The dotted path is built only for a quirk (an ambiguous key, a duplicate): most nodes never need it.
        let needs_path = match self.stack.last() {
            Some(Frame::Map { key: None, .. }) => key_text(&node).is_some_and(|(_, quirk)| quirk.is_some()),
            Some(Frame::Map { index, key: Some((k, _)), .. }) => index.contains_key(k),
            _ => false,
        };
        let path = if needs_path { self.path() } else { String::new() };
        let merge_scalar = std::mem::take(&mut self.merge_scalar);
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { key: key @ None, .. }) => {
                let (text, quirk) = key_text(&node).ok_or_else(|| {
                    InputError::new(
                        Location::at(&self.source.name, node.pos.line, node.pos.column),
                        format!("mapping keys must be plain scalars, found {}", node.type_name()),
                    )
                })?;
                if let Some(reads_as) = quirk {
                    let p = if path.is_empty() { text.clone() } else { format!("{path}.{text}") };
                    self.quirks.push(QuirkAt {
                        quirk: Quirk::Ambiguous { raw: raw_key(&self.source, node.pos), reads_as },
                        pos: node.pos,
                        path: p,
                    });
                }
                // A quoted "<<" is a plain key for Helm; only YAML's merge key merges (kept apart by a NUL).
                *key = Some((if text == "<<" && merge_scalar { MERGE_KEY.to_string() } else { text }, node.pos));
            }
            Some(Frame::Map { entries, index, key, merges, .. }) => {
                let (k, key_pos) = key.take().unwrap_or_default();
                if k == MERGE_KEY {
                    let maps = match &node.kind {
                        NodeKind::Map(_) => true,
                        NodeKind::Seq(items) => items.iter().all(|i| matches!(i.kind, NodeKind::Map(_))),
                        _ => false,
                    };
                    if !maps {
                        // go-yaml v2 (behind sigs.k8s.io/yaml, Helm 3 and 4) fails the whole file here.
                        return Err(InputError::new(
                            Location::at(&self.source.name, node.pos.line, node.pos.column),
                            format!(
                                "`<<` (YAML's merge key) takes a mapping or a list of mappings, found {}; Helm \
                                 refuses the file (\"map merge requires map or sequence of maps as the value\")",
                                if matches!(node.kind, NodeKind::Seq(_)) {
                                    "a list with an item that is not a mapping"
                                } else {
                                    node.type_name()
                                }
                            ),
                        ));
                    }
                    merges.push(node);
                    return Ok(());
                }
                if let Some(existing) = index.get(&k).map(|&i| &mut entries[i]) {
                    self.quirks.push(QuirkAt {
                        quirk: Quirk::DuplicateKey { key: k.clone(), first: existing.key_pos },
                        pos: key_pos,
                        path,
                    });
                    existing.key_pos = key_pos;
                    existing.value = node;
                } else {
                    index.insert(k.clone(), entries.len());
                    entries.push(Entry { key: k, key_pos, value: node });
                }
            }
        }
        Ok(())
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&Tag>, pos: Pos) -> Node {
        let kind = match (style, tag) {
            (_, Some(t)) if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" => match t.suffix.as_str() {
                "str" => NodeKind::Str(text.to_string()),
                "null" => NodeKind::Null,
                _ => resolve_plain(text).0,
            },
            (ScalarStyle::Plain, _) => {
                let (kind, quirk) = resolve_plain(text);
                if let Some(reads_as) = quirk {
                    let in_key_position = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                    if !in_key_position {
                        let path = self.path();
                        self.quirks.push(QuirkAt {
                            quirk: Quirk::Ambiguous { raw: text.to_string(), reads_as },
                            pos,
                            path,
                        });
                    }
                }
                kind
            }
            _ => NodeKind::Str(text.to_string()),
        };
        Node { kind, pos }
    }
}

/// Keys from `<<: *anchor` (or a list of anchors) are added where the mapping does not set them itself.
fn apply_merges(entries: &mut Vec<Entry>, mut index: HashMap<String, usize>, merges: Vec<Node>) {
    for m in merges {
        let sources: Vec<Node> = match m.kind {
            NodeKind::Seq(items) => items,
            _ => vec![m],
        };
        for src in sources {
            if let NodeKind::Map(src_entries) = src.kind {
                for e in src_entries {
                    if !index.contains_key(&e.key) {
                        index.insert(e.key.clone(), entries.len());
                        entries.push(e);
                    }
                }
            }
        }
    }
}

fn raw_key(source: &SourceFile, pos: Pos) -> String {
    source
        .line_text(pos.line)
        .map(|l| {
            let rest: String = l.chars().skip(pos.column - 1).collect();
            rest.split(':').next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_default()
}

/// The key string Helm uses for a scalar key, and a quirk description when the key is not a string.
fn key_text(node: &Node) -> Option<(String, Option<String>)> {
    match &node.kind {
        NodeKind::Str(s) => Some((s.clone(), None)),
        NodeKind::Bool(b) => Some((b.to_string(), Some(format!("the key `{b}`")))),
        NodeKind::Int(i) => Some((i.to_string(), Some(format!("the key `{i}`")))),
        NodeKind::Float(f) => Some((f.to_string(), Some(format!("the key `{f}`")))),
        NodeKind::Null => Some(("null".to_string(), Some("the key `null`".to_string()))),
        NodeKind::Seq(_) | NodeKind::Map(_) => None,
    }
}

/// Resolves a plain scalar with YAML 1.1 rules. Returns the value and, when a reader would likely expect
/// something else (a word that is a boolean, a number with a leading zero), a description of what Helm reads.
pub fn resolve_plain(s: &str) -> (NodeKind, Option<String>) {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return (NodeKind::Null, None),
        "true" | "True" | "TRUE" => return (NodeKind::Bool(true), None),
        "false" | "False" | "FALSE" => return (NodeKind::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return (NodeKind::Bool(true), Some("boolean true".to_string()));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return (NodeKind::Bool(false), Some("boolean false".to_string()));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (NodeKind::Float(f64::INFINITY), None);
        }
        "-.inf" | "-.Inf" | "-.INF" => return (NodeKind::Float(f64::NEG_INFINITY), None),
        ".nan" | ".NaN" | ".NAN" => return (NodeKind::Float(f64::NAN), None),
        _ => {}
    }
    if let Some((i, surprising)) = parse_int(s) {
        let quirk = surprising.then(|| format!("number {i}"));
        return (NodeKind::Int(i), quirk);
    }
    if is_float(s) {
        let cleaned: String = s.chars().filter(|c| *c != '_').collect();
        if let Ok(f) = cleaned.parse::<f64>() {
            let quirk = s.contains('_').then(|| format!("number {f}"));
            return (NodeKind::Float(f), quirk);
        }
    }
    (NodeKind::Str(s.to_string()), None)
}

/// YAML 1.1 integers. The flag says whether the reading is surprising (octal, hex, binary, underscores).
fn parse_int(s: &str) -> Option<(i64, bool)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits, surprising) = if let Some(d) = body.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d, true)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..], true)
    } else {
        (10, body, body.contains('_'))
    };
    if digits.is_empty() || digits.starts_with('_') || !digits.chars().all(|c| c == '_' || c.is_digit(radix)) {
        return None;
    }
    let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
    let v = i64::from_str_radix(&cleaned, radix).ok()?;
    Some((if neg { -v } else { v }, surprising))
}

fn is_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        let int_ok = int.chars().all(|c| c.is_ascii_digit() || c == '_') && !int.starts_with('_');
        let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
        let has_digit = mantissa.chars().any(|c| c.is_ascii_digit());
        int_ok && frac_ok && has_digit && (frac.is_some() || exp.is_some())
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        parse(SourceFile::from_text("v.yaml", text)).unwrap()
    }

    #[test]
    fn yaml_1_1_typing_matches_helm() {
        let d = doc("a: yes\nb: NO\nc: 0755\nd: 0o12\ne: 1_000\nf: ~\ng: \"yes\"\nh: 1.5\ni: 012a\nj: on\n");
        let v = d.root.unwrap().to_json();
        assert_eq!(v["a"], true);
        assert_eq!(v["b"], false);
        assert_eq!(v["c"], 493);
        assert_eq!(v["d"], 10);
        assert_eq!(v["e"], 1000);
        assert_eq!(v["f"], Value::Null);
        assert_eq!(v["g"], "yes");
        assert_eq!(v["h"], 1.5);
        assert_eq!(v["i"], "012a");
        assert_eq!(v["j"], true);
        let raws: Vec<_> = d
            .quirks
            .iter()
            .map(|q| match &q.quirk {
                Quirk::Ambiguous { raw, .. } => raw.clone(),
                Quirk::DuplicateKey { key, .. } => format!("dup {key}"),
            })
            .collect();
        assert_eq!(raws, ["yes", "NO", "0755", "0o12", "1_000", "on"]);
    }

    #[test]
    fn duplicate_keys_last_wins_and_are_reported() {
        let d = doc("x: 1\nw:\n  z: 2\nx: 3\n");
        assert_eq!(d.root.unwrap().to_json()["x"], 3);
        assert_eq!(d.quirks.len(), 1, "{:?}", d.quirks);
        assert_eq!(d.quirks[0].pos, Pos { line: 4, column: 1 });
        assert!(matches!(&d.quirks[0].quirk, Quirk::DuplicateKey { first, .. } if first.line == 1));
    }

    #[test]
    fn boolean_keys_become_strings_like_helm() {
        let d = doc("on: 1\ny: 2\n");
        let v = d.root.unwrap().to_json();
        assert_eq!(v["true"], 2);
        assert_eq!(d.quirks.len(), 3, "{:?}", d.quirks); // two ambiguous keys + one duplicate
    }

    #[test]
    fn merge_keys_expand_and_positions_are_kept() {
        let d = doc("base: &b\n  a: 1\n  b: 2\nx:\n  <<: *b\n  b: 3\n");
        let root = d.root.unwrap();
        let v = root.to_json();
        assert_eq!(v["x"]["a"], 1);
        assert_eq!(v["x"]["b"], 3);
        let x = root.get("x").unwrap();
        assert_eq!(x.key_pos, Pos { line: 4, column: 1 });
        assert_eq!(x.value.get("b").unwrap().value.pos, Pos { line: 6, column: 6 });
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            s.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let e = parse(SourceFile::from_text("bomb.yaml", s)).unwrap_err();
        assert!(e.message.contains("excessive aliasing"), "{e}");
        assert!(e.location.line > 1);
    }

    #[test]
    fn second_document_and_deep_nesting_are_errors() {
        let e = parse(SourceFile::from_text("m.yaml", "a: 1\n---\nb: 2\n")).unwrap_err();
        assert_eq!((e.location.line, e.location.column), (2, 1));
        let deep = "[".repeat(100) + &"]".repeat(100);
        let e = parse(SourceFile::from_text("d.yaml", deep)).unwrap_err();
        assert!(e.message.contains("deeper than"), "{e}");
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let e = parse(SourceFile::from_text("bad.yaml", "a: [1, 2\nb: 3\n")).unwrap_err();
        assert!(e.location.line >= 1 && e.location.column >= 1, "{e}");
        assert!(e.message.starts_with("invalid YAML"));
    }

    #[test]
    fn errors_at_the_end_of_the_stream_point_inside_the_file() {
        for (text, at) in [
            ("a: [1, 2\n", "e.yaml:1:9"),
            ("a:\n  b: {x: 1\n\n\n", "e.yaml:2:11"),
            ("a: \"abc", "e.yaml:1:4"),
            ("a: [\n", "e.yaml:1:5"),
        ] {
            let e = parse(SourceFile::from_text("e.yaml", text)).unwrap_err();
            assert_eq!(e.location.to_string(), at, "{text:?}: {e}");
        }
    }

    #[test]
    fn non_mapping_roots_and_empty_files_are_errors() {
        let e = parse_mapping(SourceFile::from_text("l.yaml", "- a\n- b\n")).unwrap_err();
        assert!(e.message.contains("found a list"), "{e}");
        let e = parse_mapping(SourceFile::from_text("e.yaml", "# nothing\n")).unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
    }
}
