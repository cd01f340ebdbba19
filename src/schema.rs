//! `values.schema.json`: generated from the typed model, narrowed by the profile's safety envelope, and used to
//! validate merged values before anything else runs.
//!
//! The schema is draft-07 with an explicit `$schema`, fully inlined (no `$ref`, so nothing can ever be fetched),
//! with plain `enum`s: the only form Helm 3.17 (gojsonschema) and Helm 4 (santhosh-tekuri) read the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use serde_json::{Map, Value, json};

use crate::layers::dotted;
use crate::model::{OneVersion, Values};
use crate::profile::Envelope;
use crate::suggest::did_you_mean;

type Key = (Envelope, Option<OneVersion>, Vec<&'static str>);
type Compiled = (Arc<Value>, Arc<Validator>);

/// Schemas and their compiled validators, built once per envelope and version (linting 1,000 files compiles
/// them once, not 4,000 times).
fn compiled(envelope: Envelope, version: Option<OneVersion>) -> Compiled {
    compiled_waiving(envelope, version, &[])
}

fn compiled_waiving(envelope: Envelope, version: Option<OneVersion>, waived: &[&'static str]) -> Compiled {
    static CACHE: OnceLock<Mutex<HashMap<Key, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (envelope, version, waived.to_vec());
    if let Some(c) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return c;
    }
    let schema = build_schema(envelope, version, waived);
    let validator = jsonschema::draft7::new(&schema).expect("onechart's own schema compiles");
    let c = (Arc::new(schema), Arc::new(validator));
    if let Ok(mut m) = cache.lock() {
        m.insert(key, c.clone());
    }
    c
}

/// The values schema for a profile's envelope. `version` locks `opennebula.version` to the version a chart
/// was generated for (its templates are version-specific); `None` accepts every supported version.
pub fn values_schema(envelope: Envelope, version: Option<OneVersion>) -> Value {
    (*compiled(envelope, version).0).clone()
}

/// The schema of a generated chart: the envelope, less the constraints of the rules the values waived (an
/// error suppressed with a reason at generate time: the chart must render the values it was generated from).
/// Only the waived rule's constraint is relaxed; `environment: production` never is.
pub fn chart_schema(envelope: Envelope, version: OneVersion, waived: &[&'static str]) -> Value {
    (*compiled_waiving(envelope, version.into(), waived).0).clone()
}

/// A production or HA envelope constraint: (rule, values path, accepted values). Each holds unless its rule is
/// waived.
const PRODUCTION_RULES: &[(&str, &str, &str)] = &[
    ("ONE010", "persistence.enabled", "production data lives on volumes"),
    ("ONE017", "backup.enabled", "production takes scheduled backups"),
    ("ONE022", "persistence.keep", "production volumes survive `helm uninstall`"),
];

fn build_schema(envelope: Envelope, version: Option<OneVersion>, waived: &[&str]) -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut schema: Value = settings.into_generator().into_root_schema_for::<Values>().into();
    strip_formats(&mut schema);
    let obj = schema.as_object_mut().expect("root schema is an object");
    obj.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    obj.insert("title".into(), json!("onechart values"));
    if envelope.production {
        let env = prop(&mut schema, "environment");
        env.insert("enum".into(), json!(["production"]));
        append_description(env, "This profile is production: it stays production, with the production rules on.");
        for (rule, path, why) in PRODUCTION_RULES {
            if !waived.contains(rule) {
                let p = prop(&mut schema, path);
                p.insert("enum".into(), json!([true]));
                append_description(p, &format!("This profile is production: always true ({why}; {rule})."));
            }
        }
    }
    let sqlite_allowed =
        (!envelope.production || waived.contains(&"ONE001")) && (!envelope.ha || waived.contains(&"ONE002"));
    if !sqlite_allowed {
        let backend = prop(&mut schema, "database.backend");
        backend.insert("enum".into(), json!(["mysql"]));
        append_description(backend, "This profile is production or HA: only `mysql` is accepted (ONE001, ONE002).");
    }
    if envelope.ha && !waived.contains(&"ONE003") {
        let replicas = prop(&mut schema, "oned.replicas");
        replicas.insert("enum".into(), json!([3, 5, 7]));
        append_description(replicas, "This HA profile accepts only an odd member count of 3 or more (ONE003).");
    }
    if envelope.ha && !waived.contains(&"ONE004") {
        let addr = prop(&mut schema, "monitord.monitorAddress");
        addr.insert("minLength".into(), json!(1));
        addr.insert("not".into(), json!({"enum": ["auto"]}));
        append_description(addr, "Under HA it must be the stable leader address, never `auto` (ONE004).");
        let shared = prop(&mut schema, "persistence.datastores.shared");
        shared.insert("enum".into(), json!([true]));
        append_description(shared, "Under HA every member must see the same datastores (ONE028).");
    }
    if let Some(v) = version {
        let ver = prop(&mut schema, "opennebula.version");
        ver.insert("enum".into(), json!([v.as_str()]));
        append_description(ver, "This chart was generated for this version; regenerate it with onechart to change it.");
        // A chart needs an image. Production profiles ask for the repository as a site value, so the structural
        // check (no version) leaves an empty one to the chart's schema, which reports it after the lint rules.
        prop(&mut schema, "image.repository").insert("minLength".into(), json!(1));
    }
    schema
}

/// The schema object of a dotted property path.
fn prop<'a>(schema: &'a mut Value, path: &str) -> &'a mut Map<String, Value> {
    let mut cur = schema;
    for seg in path.split('.') {
        cur = &mut cur["properties"][seg];
    }
    cur.as_object_mut().unwrap_or_else(|| panic!("schema has no property {path}"))
}

fn append_description(obj: &mut Map<String, Value>, text: &str) {
    let d = obj.get("description").and_then(Value::as_str).unwrap_or_default();
    obj.insert("description".into(), json!(format!("{d} {text}").trim().to_string()));
}

/// schemars adds `format: uint16` and friends, which are not JSON Schema formats; drop them.
fn strip_formats(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("format").and_then(Value::as_str).is_some_and(|f| f.starts_with("int") || f.starts_with("uint")) {
                m.remove("format");
            }
            m.values_mut().for_each(strip_formats);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_formats),
        _ => {}
    }
}

/// One way the values fail the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value (for an unknown key: the key itself).
    pub pointer: String,
    /// Lowercase message naming the dotted path.
    pub message: String,
    /// True when the problem is the key (unknown key): point at the key rather than the value.
    pub at_key: bool,
    /// True when the schema keyword is one the profile envelope added (a lint rule covers it).
    pub envelope: bool,
}

/// Validates values against the schema of an envelope and version, and describes every violation in user
/// terms, in document order.
pub fn validate(envelope: Envelope, version: Option<OneVersion>, instance: &Value) -> Vec<Violation> {
    let (schema, validator) = compiled(envelope, version);
    let schema: &Value = &schema;
    if validator.is_valid(instance) {
        return Vec::new();
    }
    // A violation the unrestricted schema would not report comes from the profile's envelope.
    let (_, base) = compiled(Envelope { production: false, ha: false }, None);
    let base_pointers: std::collections::HashSet<String> =
        base.iter_errors(instance).map(|e| e.instance_path().as_str().to_string()).collect();
    let mut out = Vec::new();
    for err in validator.iter_errors(instance) {
        let ptr = err.instance_path().as_str().to_string();
        let path = dotted(&ptr);
        let value = instance.pointer(&ptr).unwrap_or(&Value::Null);
        let envelope = !base_pointers.contains(&ptr);
        use jsonschema::error::ValidationErrorKind as K;
        match err.kind() {
            K::AdditionalProperties { unexpected } => {
                let known = known_properties(schema, &ptr);
                for (n, key) in unexpected.iter().enumerate() {
                    let full = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    let mut message = format!("unknown key `{full}`");
                    // Suggestions for the first hundred unknown keys of a mapping: past that nobody reads them,
                    // and a file of 99,000 unknown keys stays fast.
                    if n < 100
                        && let Some(s) = did_you_mean(key, known.iter().map(String::as_str))
                    {
                        message.push_str(&format!("; did you mean `{s}`?"));
                    }
                    out.push(Violation {
                        pointer: format!("{ptr}/{}", crate::layers::escape(key)),
                        message,
                        at_key: true,
                        envelope: false,
                    });
                }
                continue;
            }
            K::Type { .. } => {
                let expected = expected_type(schema, &ptr);
                out.push(v(&ptr, format!("`{path}` must be {expected}, found {}", describe(value)), envelope));
            }
            K::Enum { options } => {
                let opts: Vec<String> = options.as_array().map_or_else(Vec::new, |a| a.iter().map(show).collect());
                let mut message = format!("`{path}` must be one of {}, found {}", opts.join(", "), show(value));
                let words: Vec<&str> = options.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                if let Some(s) = value.as_str().and_then(|w| did_you_mean(w, words.iter().copied())) {
                    message.push_str(&format!("; did you mean `{s}`?"));
                }
                out.push(v(&ptr, message, envelope));
            }
            K::Required { property } => {
                let p = property.as_str().unwrap_or_default();
                let full = if path.is_empty() { p.to_string() } else { format!("{path}.{p}") };
                out.push(v(&ptr, format!("`{full}` is missing"), envelope));
            }
            K::Minimum { limit } => {
                out.push(v(&ptr, format!("`{path}` must be at least {limit}, found {}", show(value)), envelope))
            }
            K::Maximum { limit } => {
                out.push(v(&ptr, format!("`{path}` must be at most {limit}, found {}", show(value)), envelope))
            }
            K::MinLength { .. } if ptr == "/image/repository" => out.push(v(
                &ptr,
                "`image.repository` must not be empty: set the image built from the chart's `image/` recipe (image/README.md)"
                    .to_string(),
                envelope,
            )),
            K::MinLength { .. } => out.push(v(&ptr, format!("`{path}` must not be empty"), envelope)),
            K::MaxLength { limit } => {
                out.push(v(&ptr, format!("`{path}` must be at most {limit} characters"), envelope))
            }
            K::Pattern { pattern } => {
                out.push(v(&ptr, format!("`{path}` must be {}, found {}", pattern_meaning(pattern), show(value)), envelope));
            }
            K::Not { .. } => out.push(v(&ptr, format!("`{path}` must not be {}", show(value)), envelope)),
            _ => out.push(v(&ptr, format!("`{path}`: {err}"), envelope)),
        }
    }
    out
}

/// What a pattern of the model accepts, in words (messages never show a raw regular expression).
fn pattern_meaning(pattern: &str) -> &'static str {
    match pattern {
        r"^[0-9]+(\.[0-9]+)?m?$" => "a CPU quantity such as `500m`, `2` or `0.5`",
        r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$" | r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$" => {
            "a size such as `512Mi`, `20Gi` or `1T`"
        }
        r"^[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?$" => {
            "a host name or address (letters, digits, `.`, `:`, `_`, `-`, starting and ending with a letter or digit)"
        }
        r"^[a-z][a-z0-9_]*$" | r"^([a-z][a-z0-9_]*)?$" => {
            "an OpenNebula driver name in lower case (`kvm`, `ssh`, `ceph`: letters, digits, `_`)"
        }
        r"^[A-Za-z0-9_]+$" => "letters, digits and `_` only",
        r"^[0-9]+(ms|s|m|h)$" => "a duration such as `30s`, `5m` or `1h`",
        r"^[0-9]+h$" => "a duration in hours such as `2160h`",
        r"^(RuntimeDefault|Unconfined|Localhost/[A-Za-z0-9._-]+)$" => {
            "`RuntimeDefault`, `Unconfined` or `Localhost/<profile name>`"
        }
        r"^(@(hourly|daily|weekly|monthly|yearly)|(\S+\s+){4}\S+)$" => {
            "a cron schedule: five fields (`0 3 * * *`) or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`"
        }
        p if p.starts_with("^((ssh-") => "an OpenSSH public key line (`ssh-ed25519 AAAA...`, as in known_hosts)",
        r"^([A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$|^$"
        | r"^([A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$" => {
            "an image repository such as `registry.example.com/opennebula/frontend` (an optional registry host and \
             port, then lower-case path components)"
        }
        r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^$" | r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$" => {
            "an image tag such as `7.4.0` (letters, digits, `_`, `.` and `-`, at most 128)"
        }
        _ => "in the form its description gives (`onechart schema` prints it)",
    }
}

fn v(ptr: &str, message: String, envelope: bool) -> Violation {
    Violation { pointer: ptr.to_string(), message, at_key: false, envelope }
}

/// Whether `value` would be valid at `ptr` of the unrestricted schema, checked against that part of the schema
/// only (a validation of the whole values per candidate made reading 60,000 mistyped values quadratic); `None`
/// when the schema has no part there.
pub fn valid_at(ptr: &str, value: &Value) -> Option<bool> {
    let (schema, _) = compiled(Envelope { production: false, ha: false }, None);
    let sub = schema_at(&schema, ptr)?;
    Some(jsonschema::draft7::new(sub).ok()?.is_valid(value))
}

fn schema_at<'a>(schema: &'a Value, ptr: &str) -> Option<&'a Value> {
    let mut cur = schema;
    for seg in ptr.split('/').skip(1) {
        cur = if seg.chars().all(|c| c.is_ascii_digit()) && cur.get("items").is_some() {
            cur.get("items")?
        } else if let Some(p) = cur.get("properties").and_then(|p| p.get(seg)) {
            p
        } else {
            // A free map (`podLabels`, `annotations`): every key has the schema of `additionalProperties`.
            cur.get("additionalProperties").filter(|a| a.is_object())?
        };
    }
    Some(cur)
}

fn known_properties(schema: &Value, ptr: &str) -> Vec<String> {
    schema_at(schema, ptr)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map_or_else(Vec::new, |m| m.keys().cloned().collect())
}

fn expected_type(schema: &Value, ptr: &str) -> String {
    let t = schema_at(schema, ptr).and_then(|s| s.get("type"));
    let names: Vec<&str> = match t {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let words: Vec<&str> = names
        .iter()
        .map(|n| match *n {
            "string" => "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "a boolean",
            "array" => "a list",
            "object" => "a mapping",
            "null" => "null",
            other => other,
        })
        .collect();
    if words.is_empty() { "of another type".to_string() } else { words.join(" or ") }
}

/// A value as it appears in messages: strings quoted, with their type for non-strings.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string `{s}`"),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::Null => "null".to_string(),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Value {
        crate::profile::Profile::load("dev-sqlite").unwrap().merged_defaults().value
    }

    #[test]
    fn schema_is_strict_draft07_without_refs() {
        let s = values_schema(Envelope { production: false, ha: false }, None);
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        let text = s.to_string();
        assert!(!text.contains("$ref") && !text.contains("oneOf") && !text.contains("\"format\""));
        assert_eq!(s["additionalProperties"], false);
        assert!(jsonschema::meta::is_valid(&s));
    }

    #[test]
    fn profile_defaults_are_valid_and_typos_get_suggestions() {
        let none = Envelope { production: false, ha: false };
        assert_eq!(validate(none, None, &defaults()), vec![]);
        let mut bad = defaults();
        bad["databse"] = json!({});
        bad["oned"]["replicas"] = json!("three");
        let v = validate(none, None, &bad);
        assert!(v.iter().any(|v| v.message == "unknown key `databse`; did you mean `database`?" && v.at_key), "{v:?}");
        assert!(v.iter().any(|v| v.message == "`oned.replicas` must be an integer, found the string `three`"), "{v:?}");
    }

    #[test]
    fn messages_name_types_and_patterns_in_words() {
        fn patterns(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(p) = m.get("pattern").and_then(Value::as_str) {
                        out.push(p.to_string());
                    }
                    m.values().for_each(|x| patterns(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        patterns(&values_schema(Envelope { production: false, ha: false }, None), &mut all);
        assert!(!all.is_empty());
        for p in all {
            assert!(!pattern_meaning(&p).contains("its description"), "no words for the pattern {p}");
        }
        let mut bad = defaults();
        bad["podLabels"] = json!({"team": 7});
        bad["persistence"]["size"] = json!("20GB");
        let v = validate(Envelope { production: false, ha: false }, None, &bad);
        let text: Vec<&str> = v.iter().map(|v| v.message.as_str()).collect();
        assert!(text.contains(&"`podLabels.team` must be a string, found the number `7`"), "{text:?}");
        assert!(
            text.contains(&"`persistence.size` must be a size such as `512Mi`, `20Gi` or `1T`, found `20GB`"),
            "{text:?}"
        );
        assert!(!text.iter().any(|t| t.contains("another type") || t.contains('^')), "{text:?}");
    }

    #[test]
    fn envelope_refuses_what_the_profile_forbids() {
        let mut bad = defaults();
        bad["oned"]["replicas"] = json!(4);
        bad["monitord"]["monitorAddress"] = json!("auto");
        let v = validate(Envelope { production: true, ha: true }, Some(OneVersion::V7_4), &bad);
        let paths: Vec<_> = v.iter().map(|v| (v.pointer.as_str(), v.envelope)).collect();
        assert!(paths.contains(&("/database/backend", true)), "{v:?}");
        assert!(paths.contains(&("/oned/replicas", true)), "{v:?}");
        assert!(paths.contains(&("/monitord/monitorAddress", true)), "{v:?}");
    }

    #[test]
    fn production_stays_production_unless_one_rule_is_waived() {
        let mut off = defaults();
        off["environment"] = json!("development");
        off["backup"]["enabled"] = json!(false);
        off["persistence"]["keep"] = json!(false);
        let prod = Envelope { production: true, ha: false };
        let v = validate(prod, Some(OneVersion::V7_4), &off);
        let mut paths: Vec<_> = v.iter().map(|v| v.pointer.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["/backup/enabled", "/database/backend", "/environment", "/persistence/keep"], "{v:?}");
        let waived = chart_schema(prod, OneVersion::V7_4, &["ONE017"]);
        assert!(waived["properties"]["backup"]["properties"]["enabled"].get("enum").is_none());
        assert_eq!(waived["properties"]["persistence"]["properties"]["keep"]["enum"], json!([true]));
        assert_eq!(waived["properties"]["environment"]["enum"], json!(["production"]));
    }
}
