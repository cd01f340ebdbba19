//! `helm template` output as JSON objects, typed as the API server's YAML decoder types it (sigs.k8s.io/yaml on
//! go-yaml v2, YAML 1.1: `0555` is octal, `yes`/`on` are booleans), so `defaultMode: 0440` is 288 here as there.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

/// Every non-empty document of a multi-document stream.
pub fn documents(text: &str) -> Vec<Value> {
    enum Frame {
        Seq(Vec<Value>),
        Map(Map<String, Value>, Option<String>),
    }
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, Value> = Default::default();
    let mut pending_anchor: Vec<usize> = Vec::new();
    let push = |stack: &mut Vec<Frame>, out: &mut Vec<Value>, v: Value| match stack.last_mut() {
        Some(Frame::Seq(items)) => items.push(v),
        Some(Frame::Map(m, key)) => match key.take() {
            Some(k) => {
                m.insert(k, v);
            }
            None => *key = Some(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())),
        },
        None => {
            if !v.is_null() {
                out.push(v)
            }
        }
    };
    for ev in Parser::new_from_str(text) {
        let (event, _) = ev.unwrap_or_else(|e| panic!("helm template printed invalid YAML: {}", e.info()));
        match event {
            Event::SequenceStart(a, _) => {
                pending_anchor.push(a);
                stack.push(Frame::Seq(Vec::new()));
            }
            Event::MappingStart(a, _) => {
                pending_anchor.push(a);
                stack.push(Frame::Map(Map::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let v = match stack.pop().unwrap() {
                    Frame::Seq(items) => Value::Array(items),
                    Frame::Map(m, _) => Value::Object(m),
                };
                let a = pending_anchor.pop().unwrap_or(0);
                if a > 0 {
                    anchors.insert(a, v.clone());
                }
                push(&mut stack, &mut out, v);
            }
            Event::Scalar(text, style, a, tag) => {
                let v = if style == ScalarStyle::Plain && tag.is_none() {
                    typed(&text)
                } else {
                    Value::String(text.to_string())
                };
                if a > 0 {
                    anchors.insert(a, v.clone());
                }
                push(&mut stack, &mut out, v);
            }
            Event::Alias(id) => {
                let v = anchors.get(&id).cloned().unwrap_or(Value::Null);
                push(&mut stack, &mut out, v);
            }
            _ => {}
        }
    }
    out
}

/// A plain scalar, YAML 1.1.
fn typed(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => return Value::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    let (neg, digits) = s.strip_prefix('-').map_or((false, s.strip_prefix('+').unwrap_or(s)), |d| (true, d));
    let int = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        digits.replace('_', "").parse().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Value::from(if neg { -i } else { i });
    }
    if s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && let Ok(f) = s.parse::<f64>()
    {
        return serde_json::Number::from_f64(f).map_or(Value::String(s.into()), Value::Number);
    }
    Value::String(s.to_string())
}
