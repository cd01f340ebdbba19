//! `values.yaml` with every key documented (Bitnami `## @param` style) and the chart README's values table, both
//! produced by walking the schema (for descriptions) alongside the merged values (for defaults).

use serde_json::Value;

/// Renders `values.yaml`.
pub fn values_yaml(schema: &Value, values: &Value, header: &str) -> String {
    let mut out = String::new();
    out.push_str("# yaml-language-server: $schema=values.schema.json\n");
    for line in header.lines() {
        out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
    }
    let Value::Object(map) = values else {
        return out;
    };
    for (key, value) in map {
        let prop = &schema["properties"][key];
        out.push('\n');
        if value.is_object() && !is_free_map(prop) {
            out.push_str(&format!("## @section {key}\n"));
            out.push_str(&format!("## {}\n", description(prop)));
        }
        emit_entry(&mut out, prop, key, key, value, 0);
    }
    out
}

/// A mapping whose keys are not fixed by the schema (`ingress.annotations`): documented as one value.
fn is_free_map(prop: &Value) -> bool {
    prop.get("properties").is_none() && prop.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false))
}

fn description(prop: &Value) -> String {
    prop.get("description").and_then(Value::as_str).unwrap_or("").replace('\n', " ")
}

fn emit_entry(out: &mut String, prop: &Value, path: &str, key: &str, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() && !is_free_map(prop) => {
            out.push_str(&format!("{pad}{}:\n", scalar_key(key)));
            for (k, v) in map {
                emit_entry(out, &prop["properties"][k], &format!("{path}.{k}"), k, v, indent + 2);
            }
        }
        _ => {
            out.push_str(&format!("{pad}## @param {path} {}\n", description(prop)));
            out.push_str(&format!("{pad}{}:", scalar_key(key)));
            emit_value(out, value, indent);
        }
    }
}

/// Emits a value after `key:` (inline for scalars and empty collections, block style otherwise).
fn emit_value(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            for (k, v) in map {
                out.push_str(&format!("{pad}{}:", scalar_key(k)));
                emit_value(out, v, indent + 2);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        let mut first = true;
                        for (k, v) in map {
                            let lead = if first { format!("{pad}- ") } else { format!("{pad}  ") };
                            first = false;
                            out.push_str(&format!("{lead}{}:", scalar_key(k)));
                            emit_value(out, v, indent + 4);
                        }
                    }
                    other => {
                        out.push_str(&format!("{pad}- {}\n", scalar(other)));
                    }
                }
            }
        }
        other => out.push_str(&format!(" {}\n", scalar(other))),
    }
}

/// A mapping key: plain when YAML 1.1 reads it back as the same string, quoted otherwise (`y`, `on`, `0755`).
fn scalar_key(k: &str) -> String {
    let plain_ok = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && matches!(crate::yaml::resolve_plain(k).0, crate::yaml::NodeKind::Str(_));
    if plain_ok { k.to_string() } else { serde_json::to_string(k).unwrap_or_default() }
}

/// A scalar in YAML: strings always double-quoted (JSON escaping is valid YAML), so `no`, `on` or `0755`
/// can never be read as anything but strings.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "{}".to_string(),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The README values table: one row per documented key.
pub fn values_table(schema: &Value, values: &Value) -> String {
    let mut rows = Vec::new();
    collect_rows(schema, values, "", &mut rows);
    rows.iter()
        .map(|(k, d, v)| format!("| `{k}` | {} | `{}` |", d.replace('|', "\\|"), v.replace('|', "\\|")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn collect_rows(prop: &Value, value: &Value, path: &str, rows: &mut Vec<(String, String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() && !is_free_map(prop) => {
            for (k, v) in map {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                collect_rows(&prop["properties"][k], v, &p, rows);
            }
        }
        other => rows.push((path.to_string(), description(prop), scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emitted_yaml_reads_back_identically() {
        let schema = json!({"properties": {
            "a": {"description": "A.", "properties": {"b": {"description": "B."}, "c": {"description": "C."}}},
            "d": {"description": "D."},
            "e": {"description": "E.", "type": "object", "additionalProperties": {"type": "string"}}
        }});
        let values = json!({"a": {"b": "no", "c": [{"x": 1, "y": "0755"}, {"x": 2}]}, "d": [], "e": {"k/x": "v"}});
        let text = values_yaml(&schema, &values, "header");
        assert!(text.contains("## @param a.b B.\n  b: \"no\"\n"), "{text}");
        let src = crate::source::SourceFile::from_text("v.yaml", text.clone());
        let back = crate::yaml::parse(src).unwrap().root.unwrap().to_json();
        assert_eq!(back, values, "{text}");
    }
}
