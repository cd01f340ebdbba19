//! The text files a stream carries in ConfigMaps (`data`) and Secrets (`data`, base64, and `stringData`), with
//! a map from a position inside the text back to the rendered file.
//!
//! A literal block scalar (`key: |`) keeps its lines: line N of the text is line N below the `|`, shifted by the
//! block's indentation, so a finding points at the exact line and column in the rendered file. Where the text is
//! not visible line by line (base64 in a Secret's `data`, a folded or multi-line quoted scalar), the location is
//! the value's start and the message names the line inside the decoded text.

use std::sync::Arc;

use serde_json::Value;

use super::Manifest;
use crate::source::{Location, SourceFile};
use crate::yaml::Pos;

/// One key of a ConfigMap or Secret holding text.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// Index of the ConfigMap or Secret in the stream.
    pub object: usize,
    /// JSON pointer of the key's value inside the object (`/data/oned.conf`).
    pub pointer: String,
    /// The key.
    pub key: String,
    /// The text (decoded from base64 for a Secret's `data`).
    pub text: String,
    /// True when the text was decoded from base64.
    pub decoded: bool,
    map: TextMap,
}

#[derive(Debug, Clone)]
enum TextMap {
    /// A literal block scalar: text line N is rendered line `first_line + N - 1`, column `indent + column`.
    Block { file: Arc<SourceFile>, first_line: usize, indent: usize },
    /// A one-line scalar whose text starts at this rendered position.
    Line { file: Arc<SourceFile>, line: usize, column: usize },
    /// Only where the value starts is known.
    Value(Location),
}

impl Embedded {
    /// The rendered location of a position inside the text, and a note for the message when the location is
    /// only the value's start (`" (line 3 of the decoded `config`)"`).
    pub fn locate(&self, pos: Pos) -> (Location, String) {
        match &self.map {
            TextMap::Block { file, first_line, indent } => {
                (Location::in_source(file, first_line + pos.line - 1, indent + pos.column), String::new())
            }
            TextMap::Line { file, line, column } if pos.line == 1 => {
                (Location::in_source(file, *line, column + pos.column - 1), String::new())
            }
            TextMap::Line { file, line, column } => (Location::in_source(file, *line, *column), self.note(pos)),
            TextMap::Value(loc) => (loc.clone(), self.note(pos)),
        }
    }

    fn note(&self, pos: Pos) -> String {
        let decoded = if self.decoded { "the decoded " } else { "" };
        format!(" (line {} of {decoded}`{}`)", pos.line, self.key)
    }
}

/// Every text value of every ConfigMap and Secret in the stream.
pub fn collect(objects: &[Manifest]) -> Vec<Embedded> {
    let mut out = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        if m.custom || m.api_version != "v1" {
            continue;
        }
        let fields: &[(&str, bool)] = match m.kind.as_str() {
            "ConfigMap" => &[("data", false)],
            "Secret" => &[("data", true), ("stringData", false)],
            _ => continue,
        };
        for (field, base64) in fields {
            let Some(map) = m.raw.get(*field).and_then(Value::as_object) else { continue };
            let locations = m.child_locations(&format!("/{field}"));
            for ((key, value), loc) in map.iter().zip(locations) {
                let Some(raw) = value.as_str() else { continue };
                let pointer = format!("/{field}/{}", crate::pointer::escape(key));
                let (text, map) = if *base64 {
                    match decode_base64(raw).and_then(|b| String::from_utf8(b).ok()) {
                        Some(t) => (t, TextMap::Value(loc)),
                        None => continue,
                    }
                } else {
                    (raw.to_string(), text_map(&m.source, &loc, raw))
                };
                out.push(Embedded { object: i, pointer, key: key.clone(), text, decoded: *base64, map });
            }
        }
    }
    out
}

/// Where a string scalar of an object lies in the rendered file, as a map from positions inside its text (for
/// a command's script, or any text that is not a ConfigMap or Secret key).
pub fn scalar_locator(
    m: &Manifest,
    pointer: &str,
    text: &str,
    what: &str,
) -> impl Fn(Pos) -> (Location, String) + use<> {
    let map = text_map(&m.source, &m.location(pointer), text);
    let e = Embedded {
        object: 0,
        pointer: pointer.to_string(),
        key: what.to_string(),
        text: String::new(),
        decoded: false,
        map,
    };
    move |pos| e.locate(pos)
}

/// How the text of a scalar whose value starts at `loc` lies in the rendered file. For a block scalar the
/// parser reports where the content starts, and the `|` is on the nearest non-blank line above. Every mapping is
/// checked against the file; if the text is not found where the mapping says, only the value's start is used.
fn text_map(source: &Arc<SourceFile>, loc: &Location, text: &str) -> TextMap {
    let fallback = TextMap::Value(loc.clone());
    let line_chars =
        |n: usize| -> Option<Vec<char>> { source.line_text(n).map(|l| l.trim_end_matches('\r').chars().collect()) };
    let Some(first) = line_chars(loc.line) else { return fallback };
    if text.contains('\n') {
        let Some((header_line, literal, explicit)) = block_header(&line_chars, loc, &first) else { return fallback };
        if !literal {
            return fallback;
        }
        let indent = match explicit {
            Some(d) => line_chars(header_line).map_or(0, |l| l.iter().take_while(|c| **c == ' ').count()) + d,
            None => loc.column - 1,
        };
        for (i, tl) in text.split('\n').enumerate() {
            if tl.is_empty() {
                continue;
            }
            let Some(l) = line_chars(header_line + 1 + i) else { return fallback };
            let content: String = l.iter().skip(indent).collect();
            if content != tl || l.iter().take(indent).any(|c| *c != ' ') {
                return fallback;
            }
        }
        return TextMap::Block { file: source.clone(), first_line: header_line + 1, indent };
    }
    let Some(&c) = first.get(loc.column.saturating_sub(1)) else { return fallback };
    let (column, rest): (usize, String) = match c {
        '"' | '\'' => (loc.column + 1, first[loc.column..].iter().collect()),
        _ => (loc.column, first[loc.column - 1..].iter().collect()),
    };
    if rest.starts_with(text) { TextMap::Line { file: source.clone(), line: loc.line, column } } else { fallback }
}

/// The line of a block scalar's header (`key: |`, `- |2`, `>-`) for content starting at `loc`: whether it is
/// literal (`|`) and its explicit indentation indicator.
fn block_header(
    line_chars: &dyn Fn(usize) -> Option<Vec<char>>,
    loc: &Location,
    first: &[char],
) -> Option<(usize, bool, Option<usize>)> {
    // The content starts its line: nothing but indentation before it.
    if first.iter().take(loc.column - 1).any(|c| *c != ' ') {
        return None;
    }
    let mut n = loc.line.checked_sub(1)?;
    let header = loop {
        let l = line_chars(n)?;
        if l.iter().any(|c| !c.is_whitespace()) {
            break l;
        }
        n = n.checked_sub(1)?;
    };
    let text: String = header.iter().collect();
    let without_comment = match text.find(" #") {
        Some(i) => &text[..i],
        None => &text,
    };
    let last = without_comment.split_whitespace().last()?;
    let mut chars = last.chars();
    let literal = match chars.next()? {
        '|' => true,
        '>' => false,
        _ => return None,
    };
    let indicators: Vec<char> = chars.collect();
    if indicators.len() > 2 || !indicators.iter().all(|c| matches!(c, '+' | '-' | '1'..='9')) {
        return None;
    }
    Some((n, literal, indicators.iter().find_map(|c| c.to_digit(10)).map(|d| d as usize)))
}

/// Decodes standard base64 (Kubernetes' encoding of Secret `data`), ignoring whitespace.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits, mut padding) = (0u32, 0u32, 0usize);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (padding <= 2).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_like_kubernetes() {
        assert_eq!(decode_base64("b3Blbm5lYnVsYQ==").unwrap(), b"opennebula");
        assert_eq!(decode_base64("SG9zdCAq\nCg==").unwrap(), b"Host *\n");
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn block_scalars_map_line_by_line_and_base64_names_the_line() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  monitord.conf: |+\n\n    NETWORK = [\n      MONITOR_ADDRESS = \"auto\" ]\n  inline: \"A = 1\"\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  config: SG9zdCAqClN0cmljdEhvc3RLZXlDaGVja2luZyBubwo=\n";
        let objects = crate::manifest::read(SourceFile::from_text("e.yaml", text)).unwrap();
        let files = collect(&objects);
        let mon = files.iter().find(|f| f.key == "monitord.conf").unwrap();
        assert_eq!(mon.locate(Pos { line: 3, column: 21 }).0.to_string(), "e.yaml:8:25");
        let inline = files.iter().find(|f| f.key == "inline").unwrap();
        assert_eq!(inline.locate(Pos { line: 1, column: 5 }).0.to_string(), "e.yaml:9:16");
        let cfg = files.iter().find(|f| f.key == "config").unwrap();
        assert_eq!(cfg.text, "Host *\nStrictHostKeyChecking no\n");
        let (loc, note) = cfg.locate(Pos { line: 2, column: 23 });
        assert_eq!(loc.to_string(), "e.yaml:15:11");
        assert_eq!(note, " (line 2 of the decoded `config`)");
    }
}
