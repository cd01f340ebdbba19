//! The YAML configuration files of OpenNebula's services (`onegate-server.conf`, `oneflow-server.conf`,
//! `sunstone-server.conf`, `fireedge-server.conf`), read with onechart's YAML reader so every key keeps its
//! position. The Ruby services load them with `YAML.load_file` and use symbol keys (`:host:` is the symbol
//! `:host`, OpenNebula/one@release-7.4.0:src/onegate/onegate-server.rb:86); FireEdge uses plain keys
//! (`host:`, src/fireedge/etc/fireedge-server.conf). [`Conf::get`] accepts either spelling.

use super::{ParseError, Pos};
use crate::source::SourceFile;
use crate::yaml::{self, Node, NodeKind, QuirkAt};

/// A parsed service configuration.
#[derive(Debug, Clone)]
pub struct Conf {
    /// The root mapping (`None` for an empty file).
    pub root: Option<Node>,
    /// Duplicate keys and ambiguous scalars, with positions inside the text.
    pub quirks: Vec<QuirkAt>,
}

/// Parses a service configuration.
pub fn parse(text: &str) -> Result<Conf, ParseError> {
    // Positions are mapped back into the manifest that embeds the text.
    let source = SourceFile::from_text("<embedded>", text);
    let doc = yaml::parse(source).map_err(|e| ParseError {
        pos: Pos { line: e.location.line.max(1), column: e.location.column.max(1) },
        message: e.message,
    })?;
    if let Some(root) = &doc.root
        && root.as_map().is_none()
    {
        return Err(ParseError {
            pos: root.pos,
            message: format!("the file must be a mapping, found {}", root.type_name()),
        });
    }
    Ok(Conf { root: doc.root, quirks: doc.quirks })
}

/// The entry of `key` in a mapping node, written as a Ruby symbol (`:key`) or a plain key.
pub fn entry<'a>(node: &'a Node, key: &str) -> Option<&'a yaml::Entry> {
    node.get(&format!(":{key}")).or_else(|| node.get(key))
}

impl Conf {
    /// The node at a path of keys (each written `:key` or `key`).
    pub fn get(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self.root.as_ref()?;
        for k in path {
            cur = &entry(cur, k)?.value;
        }
        Some(cur)
    }

    /// The scalar at a path as text, with its position.
    pub fn text(&self, path: &[&str]) -> Option<(String, Pos)> {
        let n = self.get(path)?;
        let s = match &n.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Null => String::new(),
            NodeKind::Seq(_) | NodeKind::Map(_) => return None,
        };
        Some((s, n.pos))
    }

    /// Every string value with its position, depth first (for URLs that name Services).
    pub fn strings(&self) -> Vec<(&str, Pos)> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<(&'a str, Pos)>) {
            match &n.kind {
                NodeKind::Str(s) => out.push((s, n.pos)),
                NodeKind::Seq(items) => items.iter().for_each(|i| walk(i, out)),
                NodeKind::Map(entries) => entries.iter().for_each(|e| walk(&e.value, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Some(r) = &self.root {
            walk(r, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_and_plain_keys_with_positions() {
        let c = parse(":one_xmlrpc: http://oned:2633/RPC2\n:server:\n  :bind: 127.0.0.1\n  :port: 5030\n").unwrap();
        assert_eq!(c.text(&["server", "bind"]).unwrap(), ("127.0.0.1".to_string(), Pos { line: 3, column: 10 }));
        assert_eq!(c.text(&["server", "port"]).unwrap().0, "5030");
        let f = parse("host: '0.0.0.0'\nport: 2616\n").unwrap();
        assert_eq!(f.text(&["host"]).unwrap().0, "0.0.0.0");
        assert_eq!(c.strings()[0].0, "http://oned:2633/RPC2");
    }

    #[test]
    fn errors_and_non_mappings() {
        let e = parse(":a: [1\n:b: 2\n").unwrap_err();
        assert!(e.pos.line >= 1 && e.message.contains("invalid YAML"), "{e:?}");
        assert!(parse("- a\n").is_err());
        assert!(parse("# nothing\n").unwrap().root.is_none());
    }
}
