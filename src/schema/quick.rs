//! Validation without compiling the schema: the values are checked by walking the schema's JSON next to them,
//! for the keywords onechart's schema uses (`type`, `properties`, `additionalProperties`, `propertyNames`,
//! `required`, `minProperties`, `items`, `maxItems`, `enum`, `not`, `anyOf`, `minimum`, `maximum`, `minLength`,
//! `maxLength`, `pattern`). Valid values, the usual case,
//! cost a walk of the values; only invalid values pay for compiling the schema with `jsonschema`, to explain
//! every violation with its path (see [`super::validate`]).
//!
//! The answer is three-valued: a keyword or a pattern syntax this walker does not know makes it say
//! [`Quick::Unknown`], and the full validator decides. A test checks that onechart's schemas use nothing else.

use serde_json::Value;

/// What the walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quick {
    /// The values are valid.
    Valid,
    /// Something is invalid (the full validator says what).
    Invalid,
    /// The schema uses something the walker does not know.
    Unknown,
}

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &["$schema", "title", "description", "default", "examples", "$comment"];

/// Checks an instance against a schema.
pub fn check(schema: &Value, instance: &Value) -> Quick {
    let Some(s) = schema.as_object() else {
        return match schema {
            Value::Bool(true) => Quick::Valid,
            Value::Bool(false) => Quick::Invalid,
            _ => Quick::Unknown,
        };
    };
    let mut result = Quick::Valid;
    for (k, v) in s {
        let r = match k.as_str() {
            k if ANNOTATIONS.contains(&k) => Quick::Valid,
            // Checked with `properties`.
            "additionalProperties" => Quick::Valid,
            "type" => ok(type_matches(v, instance)),
            "enum" => ok(v.as_array().is_some_and(|opts| opts.iter().any(|o| equal(o, instance)))),
            "not" => match check(v, instance) {
                Quick::Valid => Quick::Invalid,
                Quick::Invalid => Quick::Valid,
                Quick::Unknown => Quick::Unknown,
            },
            "minimum" => bound(v, instance, |x, b| x >= b),
            "maximum" => bound(v, instance, |x, b| x <= b),
            "minLength" => length(v, instance, |n, b| n >= b),
            "maxLength" => length(v, instance, |n, b| n <= b),
            "maxItems" => match (v.as_u64(), instance.as_array()) {
                (Some(n), Some(items)) => ok(items.len() as u64 <= n),
                (Some(_), None) => Quick::Valid,
                _ => Quick::Unknown,
            },
            "pattern" => match (v.as_str(), instance.as_str()) {
                (Some(p), Some(text)) => match Pattern::parse(p) {
                    Some(p) => ok(p.is_match(text)),
                    None => Quick::Unknown,
                },
                (Some(_), None) => Quick::Valid,
                _ => Quick::Unknown,
            },
            "required" => match (v.as_array(), instance.as_object()) {
                (Some(req), Some(obj)) => ok(req.iter().all(|r| r.as_str().is_some_and(|r| obj.contains_key(r)))),
                (Some(_), None) => Quick::Valid,
                _ => Quick::Unknown,
            },
            "minProperties" => match (v.as_u64(), instance.as_object()) {
                (Some(n), Some(obj)) => ok(obj.len() as u64 >= n),
                (Some(_), None) => Quick::Valid,
                _ => Quick::Unknown,
            },
            "properties" => properties(s, v, instance),
            "items" => match (v, instance.as_array()) {
                (Value::Object(_) | Value::Bool(_), Some(items)) => all(items.iter().map(|i| check(v, i))),
                (_, None) => Quick::Valid,
                _ => Quick::Unknown,
            },
            "propertyNames" => match instance.as_object() {
                Some(obj) => all(obj.keys().map(|k| check(v, &Value::String(k.clone())))),
                None => Quick::Valid,
            },
            "anyOf" => match v.as_array() {
                Some(options) => any(options.iter().map(|o| check(o, instance))),
                None => Quick::Unknown,
            },
            _ => Quick::Unknown,
        };
        result = combine(result, r);
        if result == Quick::Unknown {
            return result;
        }
    }
    if !s.contains_key("properties")
        && let (Some(extra), Some(obj)) = (s.get("additionalProperties"), instance.as_object())
    {
        result = combine(result, all(obj.values().map(|v| check(extra, v))));
    }
    result
}

fn ok(b: bool) -> Quick {
    if b { Quick::Valid } else { Quick::Invalid }
}

fn combine(a: Quick, b: Quick) -> Quick {
    match (a, b) {
        (Quick::Unknown, _) | (_, Quick::Unknown) => Quick::Unknown,
        (Quick::Invalid, _) | (_, Quick::Invalid) => Quick::Invalid,
        _ => Quick::Valid,
    }
}

fn all(results: impl Iterator<Item = Quick>) -> Quick {
    results.fold(Quick::Valid, combine)
}

/// `anyOf`: valid when one option is; unknown when none is and one could not be decided.
fn any(results: impl Iterator<Item = Quick>) -> Quick {
    let mut out = Quick::Invalid;
    for r in results {
        match r {
            Quick::Valid => return Quick::Valid,
            Quick::Unknown => out = Quick::Unknown,
            Quick::Invalid => {}
        }
    }
    out
}

fn properties(s: &serde_json::Map<String, Value>, props: &Value, instance: &Value) -> Quick {
    let (Some(props), Some(obj)) = (props.as_object(), instance.as_object()) else {
        return if props.is_object() { Quick::Valid } else { Quick::Unknown };
    };
    let extra = s.get("additionalProperties");
    all(obj.iter().map(|(k, v)| match props.get(k) {
        Some(p) => check(p, v),
        None => match extra {
            None => Quick::Valid,
            Some(e) => check(e, v),
        },
    }))
}

fn type_matches(t: &Value, instance: &Value) -> bool {
    match t {
        Value::String(name) => type_is(name, instance),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(|n| type_is(n, instance)),
        _ => false,
    }
}

/// True when a value is of a JSON Schema type (an `integer` is any number without a fraction, as in draft 6+).
fn type_is(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_i64().is_some() || v.as_u64().is_some() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

fn bound(limit: &Value, instance: &Value, holds: fn(f64, f64) -> bool) -> Quick {
    match (limit.as_f64(), instance.as_f64()) {
        (Some(b), Some(x)) => ok(holds(x, b)),
        (Some(_), None) => Quick::Valid,
        _ => Quick::Unknown,
    }
}

fn length(limit: &Value, instance: &Value, holds: fn(u64, u64) -> bool) -> Quick {
    match (limit.as_u64(), instance.as_str()) {
        // JSON Schema counts characters (code points).
        (Some(b), Some(s)) => ok(holds(s.chars().count() as u64, b)),
        (Some(_), None) => Quick::Valid,
        _ => Quick::Unknown,
    }
}

/// The constraints of a schema as static data (`checks.rs`, generated by `build.rs` from the model).
#[derive(Debug)]
pub struct Check {
    /// `type`: the JSON types accepted (empty: any).
    pub types: &'static [&'static str],
    /// `properties`, sorted by name.
    pub props: &'static [(&'static str, &'static Check)],
    /// `additionalProperties`.
    pub additional: Additional,
    /// `propertyNames`: what every key of an object satisfies.
    pub property_names: Option<&'static Check>,
    /// `required`.
    pub required: &'static [&'static str],
    /// `minProperties`.
    pub min_properties: Option<u64>,
    /// `items`.
    pub items: Option<&'static Check>,
    /// `enum`.
    pub values: Option<&'static [Lit]>,
    /// `not`.
    pub not: Option<&'static Check>,
    /// `anyOf` (empty: none).
    pub any_of: &'static [&'static Check],
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `maxLength`.
    pub max_length: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `pattern`.
    pub pattern: Option<&'static str>,
}

/// `additionalProperties`.
#[derive(Debug)]
pub enum Additional {
    /// Any other key is accepted.
    Any,
    /// No other key (`false`).
    Never,
    /// Other keys are checked against a schema.
    Schema(&'static Check),
}

/// A scalar of an `enum` (the model's enums are strings today; the others keep the generator general).
#[derive(Debug)]
#[allow(dead_code)]
pub enum Lit {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(&'static str),
}

impl Lit {
    /// The literal as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Num(n) if n.fract() == 0.0 => Value::from(*n as i64),
            Lit::Num(n) => serde_json::json!(n),
            Lit::Str(s) => Value::String((*s).to_string()),
        }
    }

    fn is(&self, v: &Value) -> bool {
        match self {
            Lit::Null => v.is_null(),
            Lit::Bool(b) => v.as_bool() == Some(*b),
            Lit::Num(n) => v.as_f64() == Some(*n),
            Lit::Str(s) => v.as_str() == Some(*s),
        }
    }
}

impl Check {
    /// A schema that accepts anything (the default of every field).
    pub const ANY: Check = Check {
        types: &[],
        props: &[],
        additional: Additional::Any,
        property_names: None,
        required: &[],
        min_properties: None,
        items: None,
        values: None,
        not: None,
        any_of: &[],
        minimum: None,
        maximum: None,
        min_length: None,
        max_length: None,
        max_items: None,
        pattern: None,
    };

    /// True when `v` satisfies every constraint.
    pub fn is_valid(&self, v: &Value) -> bool {
        let numbers = |bound: Option<f64>, holds: fn(f64, f64) -> bool| {
            bound.is_none_or(|b| v.as_f64().is_none_or(|x| holds(x, b)))
        };
        let chars = || v.as_str().map(|s| s.chars().count() as u64);
        (self.types.is_empty() || self.types.iter().any(|t| type_is(t, v)))
            && self.values.is_none_or(|vals| vals.iter().any(|l| l.is(v)))
            && self.not.is_none_or(|n| !n.is_valid(v))
            && (self.any_of.is_empty() || self.any_of.iter().any(|c| c.is_valid(v)))
            && numbers(self.minimum, |x, b| x >= b)
            && numbers(self.maximum, |x, b| x <= b)
            && self.min_length.is_none_or(|b| chars().is_none_or(|n| n >= b))
            && self.max_length.is_none_or(|b| chars().is_none_or(|n| n <= b))
            && self
                .pattern
                .is_none_or(|p| v.as_str().is_none_or(|text| cached(p).is_some_and(|pat| pat.is_match(text))))
            && match v {
                Value::Object(obj) => {
                    self.required.iter().all(|r| obj.contains_key(*r))
                        && self.min_properties.is_none_or(|n| obj.len() as u64 >= n)
                        && self.property_names.is_none_or(|n| obj.keys().all(|k| n.is_valid(&Value::String(k.clone()))))
                        && obj.iter().all(|(k, x)| match self.props.binary_search_by(|(n, _)| (*n).cmp(k.as_str())) {
                            Ok(i) => self.props[i].1.is_valid(x),
                            Err(_) => match self.additional {
                                Additional::Any => true,
                                Additional::Never => false,
                                Additional::Schema(s) => s.is_valid(x),
                            },
                        })
                }
                Value::Array(items) => {
                    self.max_items.is_none_or(|n| items.len() as u64 <= n)
                        && self.items.is_none_or(|s| items.iter().all(|x| s.is_valid(x)))
                }
                _ => true,
            }
    }
}

/// A pattern of the model's schema, parsed once per process.
fn cached(p: &'static str) -> Option<&'static Pattern> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Option<&'static Pattern>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(|| Mutex::new(HashMap::new())).lock().ok()?;
    // Leaked on purpose: a handful of patterns, parsed once, live as long as the process.
    *cache.entry(p).or_insert_with(|| Pattern::parse(p).map(|pat| &*Box::leak(Box::new(pat))))
}

/// The constraints of the model's schema, generated by `build.rs`.
pub mod model {
    use super::{Additional, Check, Lit};
    include!(concat!(env!("OUT_DIR"), "/checks.rs"));
}

/// A regular expression of the subset the schema's patterns use: anchors `^` `$`, literals and `\\` escapes,
/// `.`, `\\s` `\\S` `\\d` `\\D` `\\w` `\\W`, classes `[a-z0-9._-]` (with `^` negation), groups with `|`,
/// and the quantifiers `?` `*` `+` `{n}` `{n,}` `{n,m}`. Matched by backtracking, searching like ECMA-262
/// `RegExp.test`. Anything else is not parsed (`None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Vec<Node>);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Char(char),
    Any,
    Class(Vec<Item>, bool),
    Group(Vec<Vec<Node>>),
    Repeat(Box<Node>, usize, Option<usize>),
    Start,
    End,
}

/// One member of a character class.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Range(char, char),
    /// `\s` (or `\S` when negated).
    Space(bool),
    /// `\d` (or `\D`).
    Digit(bool),
    /// `\w` (or `\W`).
    Word(bool),
}

impl Item {
    fn contains(&self, c: char) -> bool {
        match *self {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            // ECMA-262 WhiteSpace and LineTerminator.
            Item::Space(neg) => (c.is_whitespace() || c == '\u{feff}') != neg,
            Item::Digit(neg) => c.is_ascii_digit() != neg,
            Item::Word(neg) => (c.is_ascii_alphanumeric() || c == '_') != neg,
        }
    }

    /// The class escape `\s`, `\d`, `\w` (or upper case), if `e` is one.
    fn escape(e: char) -> Option<Item> {
        Some(match e {
            's' | 'S' => Item::Space(e == 'S'),
            'd' | 'D' => Item::Digit(e == 'D'),
            'w' | 'W' => Item::Word(e == 'W'),
            _ => return None,
        })
    }
}

impl Pattern {
    /// Parses a pattern, or `None` when it uses syntax outside the subset.
    pub fn parse(p: &str) -> Option<Pattern> {
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        let alts = parse_alternatives(&chars, &mut i)?;
        (i == chars.len()).then(|| Pattern(vec![Node::Group(alts)]))
    }

    /// True when the pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        (0..=chars.len()).any(|start| matches(&self.0, &chars, start, &mut |_| true))
    }
}

fn parse_alternatives(p: &[char], i: &mut usize) -> Option<Vec<Vec<Node>>> {
    let mut alts = vec![Vec::new()];
    while *i < p.len() {
        let c = p[*i];
        let atom = match c {
            ')' => break,
            '|' => {
                *i += 1;
                alts.push(Vec::new());
                continue;
            }
            '^' => Node::Start,
            '$' => Node::End,
            '.' => Node::Any,
            '(' => {
                *i += 1;
                if p.get(*i) == Some(&'?') {
                    return None;
                }
                let inner = parse_alternatives(p, i)?;
                if p.get(*i) != Some(&')') {
                    return None;
                }
                Node::Group(inner)
            }
            '[' => parse_class(p, i)?,
            '\\' => {
                *i += 1;
                let e = *p.get(*i)?;
                match Item::escape(e) {
                    Some(item) => Node::Class(vec![item], false),
                    None if e.is_ascii_alphanumeric() => return None,
                    None => Node::Char(e),
                }
            }
            '*' | '+' | '?' | '{' | '}' | ']' => return None,
            c => Node::Char(c),
        };
        *i += 1;
        let node = match p.get(*i) {
            Some('?') => Node::Repeat(Box::new(atom), 0, Some(1)),
            Some('*') => Node::Repeat(Box::new(atom), 0, None),
            Some('+') => Node::Repeat(Box::new(atom), 1, None),
            Some('{') => {
                let (min, max) = parse_braces(p, i)?;
                Node::Repeat(Box::new(atom), min, max)
            }
            _ => {
                alts.last_mut()?.push(atom);
                continue;
            }
        };
        *i += 1;
        if matches!(p.get(*i), Some('?' | '+')) {
            return None;
        }
        alts.last_mut()?.push(node);
    }
    Some(alts)
}

/// `{n}`, `{n,}` or `{n,m}` starting at `p[*i]`; leaves `*i` on the closing brace.
fn parse_braces(p: &[char], i: &mut usize) -> Option<(usize, Option<usize>)> {
    let close = p[*i..].iter().position(|c| *c == '}')? + *i;
    let inner: String = p[*i + 1..close].iter().collect();
    *i = close;
    let bounds = match inner.split_once(',') {
        None => {
            let n = inner.parse().ok()?;
            (n, Some(n))
        }
        Some((lo, "")) => (lo.parse().ok()?, None),
        Some((lo, hi)) => (lo.parse().ok()?, Some(hi.parse().ok()?)),
    };
    bounds.1.is_none_or(|m| m >= bounds.0).then_some(bounds)
}

fn parse_class(p: &[char], i: &mut usize) -> Option<Node> {
    *i += 1;
    let negated = p.get(*i) == Some(&'^');
    if negated {
        *i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(*i)?;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            *i += 1;
            let e = *p.get(*i)?;
            if let Some(item) = Item::escape(e) {
                ranges.push(item);
                *i += 1;
                continue;
            }
            if e.is_ascii_alphanumeric() {
                return None;
            }
            e
        } else if c == '[' {
            return None;
        } else {
            c
        };
        *i += 1;
        if p.get(*i) == Some(&'-') && p.get(*i + 1).is_some_and(|n| *n != ']') {
            let hi = *p.get(*i + 1)?;
            if hi == '\\' || hi == '[' {
                return None;
            }
            ranges.push(Item::Range(lo, hi));
            *i += 2;
        } else {
            ranges.push(Item::Range(lo, lo));
        }
    }
    Some(Node::Class(ranges, negated))
}

/// Matches `nodes` at `at`, calling `k` with each end position until it returns true.
fn matches(nodes: &[Node], text: &[char], at: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = nodes.split_first() else { return k(at) };
    match first {
        Node::Start => at == 0 && matches(rest, text, at, k),
        Node::End => at == text.len() && matches(rest, text, at, k),
        Node::Char(c) => text.get(at) == Some(c) && matches(rest, text, at + 1, k),
        Node::Any => text.get(at).is_some_and(|c| *c != '\n') && matches(rest, text, at + 1, k),
        Node::Class(items, negated) => {
            text.get(at).is_some_and(|c| items.iter().any(|item| item.contains(*c)) != *negated)
                && matches(rest, text, at + 1, k)
        }
        Node::Group(alts) => alts.iter().any(|alt| matches(alt, text, at, &mut |end| matches(rest, text, end, k))),
        Node::Repeat(node, min, max) => repeat(node, *min, *max, rest, text, at, k),
    }
}

fn repeat(
    node: &Node,
    min: usize,
    max: Option<usize>,
    rest: &[Node],
    text: &[char],
    at: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    // Greedy: one more repetition first, then the rest. An empty repetition counts only towards the minimum, so
    // the recursion always ends.
    let more = max.is_none_or(|m| m > 0)
        && matches(std::slice::from_ref(node), text, at, &mut |end| {
            (end > at || min > 0) && repeat(node, min.saturating_sub(1), max.map(|m| m - 1), rest, text, end, k)
        });
    more || (min == 0 && matches(rest, text, at, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_match_as_regular_expressions_do() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                r"^[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?$",
                &["a", "kvm-1.example.com", "a:b"],
                &["", "-a", "a-", "a b"],
            ),
            (r"^[0-9]+(ms|s|m|h)$", &["5s", "100ms", "3h"], &["s", "5", "5d", "5 s"]),
            (r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$", &["20Gi", "1.5", "512Mi", "3"], &["1.", "Gi", "20GB"]),
            (
                r"^((ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?)?$",
                &["", "ssh-ed25519 AAAAC3Nz", "ecdsa-sha2-nistp256 AAAA= host@x"],
                &["ssh-ed25519", "rsa AAAA", "ssh-ed25519 AA AA\n"],
            ),
            ("b", &["abc"], &["xyz"]),
            (
                r"^(@(hourly|daily|weekly|monthly|yearly)|(\S+\s+){4}\S+)$",
                &["@daily", "0 3 * * *", "*/5  1 2\t3 4"],
                &["@often", "0 3 * *", "0 3 * * * *", ""],
            ),
            (r"^[0-9]+(\.[0-9]+)?m?$", &["500m", "2", "0.5"], &["m", "1.5.5"]),
            (r"^x{2,3}$", &["xx", "xxx"], &["x", "xxxx"]),
        ];
        for (p, good, bad) in cases {
            let pat = Pattern::parse(p).unwrap_or_else(|| panic!("{p} parses"));
            for g in *good {
                assert!(pat.is_match(g), "{p} matches {g:?}");
            }
            for b in *bad {
                assert!(!pat.is_match(b), "{p} does not match {b:?}");
            }
        }
        for unsupported in [r"\bx", r"\p{L}", "(?=x)", "[[:alpha:]]", "a*?", "a{2,1}"] {
            assert_eq!(Pattern::parse(unsupported), None, "{unsupported}");
        }
    }

    #[test]
    fn the_walk_agrees_with_the_keywords() {
        let s = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["a"],
            "properties": {
                "a": {"type": "integer", "minimum": 1, "maximum": 7},
                "b": {"type": ["string", "null"], "minLength": 1, "pattern": "^x"},
                "c": {"type": "array", "items": {"enum": ["p", "q"]}},
                "d": {"type": "object", "additionalProperties": {"type": "string"}},
                "e": {"type": "string", "not": {"enum": ["auto"]}},
                "f": {
                    "type": "object",
                    "propertyNames": {"pattern": "^[A-Z]+$", "not": {"pattern": "X"}},
                    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer"}}]}
                },
                "g": {"type": "array", "items": {"type": "object", "minProperties": 1}}
            }
        });
        assert_eq!(
            check(
                &s,
                &json!({"a": 3, "b": "xy", "c": ["p"], "d": {"k": "v"}, "e": "10.0.0.1", "f": {"A": "v", "B": [1]}, "g": [{"x": {}}]})
            ),
            Quick::Valid
        );
        for bad in [
            json!({}),
            json!({"a": 8}),
            json!({"a": 1.5}),
            json!({"a": 1, "z": 0}),
            json!({"a": 1, "b": ""}),
            json!({"a": 1, "b": "y"}),
            json!({"a": 1, "c": ["r"]}),
            json!({"a": 1, "d": {"k": 1}}),
            json!({"a": 1, "e": "auto"}),
            json!({"a": 1, "f": {"a": "v"}}),
            json!({"a": 1, "f": {"AXB": "v"}}),
            json!({"a": 1, "f": {"A": 1}}),
            json!({"a": 1, "f": {"A": ["x"]}}),
            json!({"a": 1, "g": [{"x": 1}, {}]}),
        ] {
            assert_eq!(check(&s, &bad), Quick::Invalid, "{bad}");
        }
        assert_eq!(check(&json!({"if": {}}), &json!(1)), Quick::Unknown);
    }
}
