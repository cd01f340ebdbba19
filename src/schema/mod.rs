//! `values.schema.json`: generated from the typed model, narrowed by the profile's safety envelope, and used to
//! validate merged values before anything else runs.
//!
//! The schema is draft-07 with an explicit `$schema`, fully inlined (no `$ref`, so nothing can ever be fetched),
//! with plain `enum`s: the only form Helm 3.17 (gojsonschema) and Helm 4 (santhosh-tekuri) read the same way.

pub mod quick;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use serde_json::{Map, Value, json};

use crate::model::OneVersion;
use crate::pointer::dotted;
use crate::profile::Envelope;
use crate::suggest::did_you_mean;

pub use quick::{Pattern, Quick};

type Key = (Envelope, Option<OneVersion>, Vec<&'static str>);

/// The schema of the typed model, generated at build time by `build.rs` (schemars over `src/model.rs`).
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/values.schema.json"));

/// The model's schema as onechart publishes it: draft-07, no `format`s schemars invents.
fn base() -> &'static Value {
    static BASE: OnceLock<Value> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(GENERATED).expect("build.rs writes valid JSON");
        strip_formats(&mut schema);
        let obj = schema.as_object_mut().expect("root schema is an object");
        obj.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
        obj.insert("title".into(), json!("onechart values"));
        schema
    })
}

/// Schemas by envelope, version and waivers, built once per process (narrowing the base schema is a few JSON
/// edits).
fn schema_for(envelope: Envelope, version: Option<OneVersion>, waived: &[&'static str]) -> Arc<Value> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Value>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (envelope, version, waived.to_vec());
    if let Some(s) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return s;
    }
    let schema = Arc::new(build_schema(envelope, version, waived));
    if let Ok(mut m) = cache.lock() {
        m.insert(key, schema.clone());
    }
    schema
}

/// Compiled validators, only for values that fail the quick check (to explain each violation); compiled once
/// per envelope and version.
fn validator_for(envelope: Envelope, version: Option<OneVersion>) -> Arc<Validator> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (envelope, version, Vec::new());
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return v;
    }
    let validator =
        Arc::new(jsonschema::draft7::new(&schema_for(envelope, version, &[])).expect("onechart's own schema compiles"));
    if let Ok(mut m) = cache.lock() {
        m.insert(key, validator.clone());
    }
    validator
}

/// The values schema for a profile's envelope. `version` locks `opennebula.version` to the version a chart
/// was generated for (its templates are version-specific); `None` accepts every supported version.
pub fn values_schema(envelope: Envelope, version: Option<OneVersion>) -> Value {
    (*schema_for(envelope, version, &[])).clone()
}

/// The schema of a generated chart: the envelope, less the constraints of the rules the values waived (an
/// error suppressed with a reason at generate time: the chart must render the values it was generated from).
/// Only the waived rule's constraint is relaxed; `environment: production` never is.
pub fn chart_schema(envelope: Envelope, version: OneVersion, waived: &[&'static str]) -> Value {
    (*schema_for(envelope, version.into(), waived)).clone()
}

/// One constraint a profile's envelope (or the chart's version) adds to a property of the model's schema.
#[derive(Debug, Clone)]
pub struct Narrowing {
    /// Dotted values path.
    pub path: String,
    /// Schema keywords merged into the property (`enum`, `not`, `minLength`).
    pub fragment: Map<String, Value>,
    /// Appended to the property's description.
    pub why: String,
}

impl Narrowing {
    fn new(path: &str, fragment: Value, why: impl Into<String>) -> Narrowing {
        let Value::Object(fragment) = fragment else { unreachable!("fragments are objects") };
        Narrowing { path: path.to_string(), fragment, why: why.into() }
    }
}

/// What the envelope of a profile and the chart's version add to the model's schema: `environment` stays
/// production in a production profile; each rule's install-time constraint that holds under the envelope and
/// concerns one value narrows that value (derived from the rule's declaration, [`crate::lint::install`]), unless
/// the rule is waived; the version is locked and an image is required.
pub fn narrowings(envelope: Envelope, version: Option<OneVersion>, waived: &[&str]) -> Vec<Narrowing> {
    use crate::lint::install::{Install, narrowing};
    let mut out = Vec::new();
    if envelope.production {
        out.push(Narrowing::new(
            "environment",
            json!({"enum": ["production"]}),
            "This profile is production: it stays production, with the production rules on.",
        ));
    }
    for rule in crate::lint::rules::ALL {
        let Some(Install::When { when, .. }) = rule.install else { continue };
        if waived.contains(&rule.id) {
            continue;
        }
        if let Some((path, fragment)) = narrowing(&when, envelope) {
            let why = format!("Refused by this profile: {} ({} {}).", rule.summary, rule.id, rule.name);
            out.push(Narrowing::new(&path, fragment, why));
        }
    }
    if let Some(v) = version {
        out.push(Narrowing::new(
            "opennebula.version",
            json!({"enum": [v.as_str()]}),
            "This chart was generated for this version; regenerate it with onechart to change it.",
        ));
        // A chart needs an image. Production profiles ask for the repository as a site value, so the structural
        // check (no version) leaves an empty one to the chart's schema, which reports it after the lint rules.
        out.push(Narrowing::new("image.repository", json!({"minLength": 1}), ""));
    }
    out
}

fn build_schema(envelope: Envelope, version: Option<OneVersion>, waived: &[&str]) -> Value {
    let mut schema = base().clone();
    for n in narrowings(envelope, version, waived) {
        let p = prop(&mut schema, &n.path);
        for (k, v) in n.fragment {
            // Two rules narrowing one value: only what both accept.
            let merged = match (p.get(&k), &v) {
                (Some(Value::Array(old)), Value::Array(new)) if k == "enum" && !old.is_empty() => {
                    Value::Array(new.iter().filter(|x| old.contains(x)).cloned().collect())
                }
                _ => v,
            };
            p.insert(k, merged);
        }
        if !n.why.is_empty() {
            append_description(p, &n.why);
        }
    }
    schema
}

/// Like [`validate`], for values already known to satisfy the model's own schema (only the envelope and the
/// version are checked quickly).
pub fn validate_narrowed(envelope: Envelope, version: Option<OneVersion>, instance: &Value) -> Vec<Violation> {
    if narrowings_hold(envelope, version, instance) { Vec::new() } else { validate(envelope, version, instance) }
}

fn narrowings_hold(envelope: Envelope, version: Option<OneVersion>, instance: &Value) -> bool {
    narrowings(envelope, version, &[]).iter().all(|n| {
        let fragment = Value::Object(n.fragment.clone());
        instance.pointer(&crate::pointer::pointer(&n.path)).is_none_or(|v| quick::check(&fragment, v) == Quick::Valid)
    })
}

/// True when values are valid, decided without building or compiling the schema: the model's constraints
/// (static data from `build.rs`) and the envelope's narrowings, walked next to the values.
fn quick_valid(envelope: Envelope, version: Option<OneVersion>, instance: &Value) -> bool {
    quick::model::ROOT.is_valid(instance) && narrowings_hold(envelope, version, instance)
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
    if quick_valid(envelope, version, instance) {
        return Vec::new();
    }
    let schema = schema_for(envelope, version, &[]);
    let schema: &Value = &schema;
    let validator = validator_for(envelope, version);
    if validator.is_valid(instance) {
        return Vec::new();
    }
    // A violation the unrestricted schema would not report comes from the profile's envelope.
    let base = validator_for(Envelope { production: false, ha: false }, None);
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
                        pointer: format!("{ptr}/{}", crate::pointer::escape(key)),
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
            // An empty mapping where one key at least is needed (a NetworkPolicy peer): the keys it takes.
            K::MinProperties { .. } => {
                let keys: Vec<String> = known_properties(schema, &ptr).iter().map(|k| format!("`{k}`")).collect();
                out.push(v(&ptr, format!("`{path}` must not be empty: give at least one of {}", keys.join(", ")), envelope))
            }
            K::MaxLength { limit } => {
                out.push(v(&ptr, format!("`{path}` must be at most {limit} characters"), envelope))
            }
            K::MaxItems { limit } => out.push(v(&ptr, format!("`{path}` must have at most {limit} items"), envelope)),
            K::Pattern { pattern } => {
                out.push(v(&ptr, format!("`{path}` must be {}, found {}", pattern_meaning(pattern), show(value)), envelope));
            }
            // Keys that must not come together (a NetworkPolicy peer's `ipBlock` beside a selector).
            K::Not { schema } if schema.get("required").is_some() => {
                let keys = |s: &Value| -> Vec<String> {
                    s.get("required").and_then(Value::as_array).into_iter().flatten().map(show).collect()
                };
                let with: Vec<String> =
                    schema.get("anyOf").and_then(Value::as_array).into_iter().flatten().flat_map(keys).collect();
                let mut message = format!("`{path}` must not give {}", keys(schema).join(" and "));
                if !with.is_empty() {
                    message.push_str(&format!(" together with {}", with.join(" or ")));
                }
                out.push(v(&ptr, message, envelope))
            }
            K::Not { .. } => out.push(v(&ptr, format!("`{path}` must not be {}", show(value)), envelope)),
            // A key of a free map (`config.oned`, `config.remotes`) its `propertyNames` refuse: at the key.
            K::PropertyNames { error } => {
                let key = error.instance().as_str().unwrap_or_default();
                out.push(Violation {
                    pointer: format!("{ptr}/{}", crate::pointer::escape(key)),
                    message: key_message(&path, key, error.kind()),
                    at_key: true,
                    envelope,
                });
            }
            // `backup.offsite.container` with a `command` or an `env` and no `image`: at what the user gave.
            K::AnyOf { .. } if ptr == "/backup/offsite/container" => {
                let given = |k: &str| value.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
                let key = if given("command") { "command" } else { "env" };
                out.push(v(
                    &format!("{ptr}/{key}"),
                    format!(
                        "`{path}.{key}` is given but `{path}.image` is empty: no container would run and no backup \
                         would be shipped; set `{path}.image` (or remove `command` and `env`)"
                    ),
                    envelope,
                ))
            }
            K::AnyOf { .. } => {
                let shape = schema_at(schema, &ptr).map_or_else(|| "of another form".to_string(), |s| noun(s).0);
                out.push(v(&ptr, format!("`{path}` must be {shape}, found {}", describe(value)), envelope));
            }
            // The schema uses no other keyword (a test checks it); were one added, still no raw schema text.
            _ => out.push(v(
                &ptr,
                format!("`{path}` is refused, found {} (`onechart schema` describes it)", describe(value)),
                envelope,
            )),
        }
    }
    out
}

/// Why a key of a free map is refused, in words: `inner` is the violation of the key (as a string) against the
/// map's `propertyNames`.
fn key_message(path: &str, key: &str, inner: &jsonschema::error::ValidationErrorKind) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let at = format!("key `{key}` of `{path}`");
    match inner {
        K::Pattern { pattern } => format!("{at} must be {}", pattern_meaning(pattern)),
        K::Not { schema } if path == "config.oned" && key == "DB" && schema.get("enum").is_some() => format!(
            "{at} is not allowed: the chart writes oned's `DB` itself, from `database` (its password comes from the \
             Secret); set the database there"
        ),
        K::Not { schema } => match (schema.get("pattern").and_then(Value::as_str), schema.get("enum")) {
            (Some(p), _) => format!("{at} must not be {}", pattern_meaning(p)),
            (None, Some(Value::Array(words))) => {
                let words: Vec<String> = words.iter().map(show).collect();
                format!("{at} is not allowed (none of: {})", words.join(", "))
            }
            _ => format!("{at} is not allowed"),
        },
        K::Enum { options } => {
            let words: Vec<String> = options.as_array().into_iter().flatten().map(show).collect();
            format!("{at} must be one of: {}", words.join(", "))
        }
        K::MinLength { .. } => format!("{at} must not be empty"),
        K::MaxLength { limit } => format!("{at} must be at most {limit} characters"),
        _ => format!("{at} is not allowed (`onechart schema` describes the keys `{path}` takes)"),
    }
}

/// The shape a part of the schema accepts, in words, as a noun phrase in the singular and in the plural: `a
/// single value (a string, a number or a boolean), a mapping of single values or a list of mappings of single
/// values` for an attribute of `config.oned`.
fn noun(s: &Value) -> (String, String) {
    fn scalar(t: &str) -> Option<(&'static str, &'static str)> {
        match t {
            "string" => Some(("a string", "strings")),
            "number" => Some(("a number", "numbers")),
            "integer" => Some(("an integer", "integers")),
            "boolean" => Some(("a boolean", "booleans")),
            "null" => Some(("null", "nulls")),
            _ => None,
        }
    }
    fn either(words: Vec<String>) -> String {
        match words.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => words.concat(),
        }
    }
    if let Some(alts) = s.get("anyOf").and_then(Value::as_array) {
        let scalars: Option<Vec<&str>> =
            alts.iter().map(|a| a.get("type").and_then(Value::as_str).and_then(scalar).map(|w| w.0)).collect();
        if let Some(words) = scalars {
            let words = either(words.into_iter().map(str::to_string).collect());
            return (format!("a single value ({words})"), "single values".to_string());
        }
        let singular = either(alts.iter().map(|a| noun(a).0).collect());
        return (singular.clone(), singular);
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let words: Vec<(String, String)> = types
        .iter()
        .map(|t| match (*t, s.get("additionalProperties"), s.get("items")) {
            ("object", Some(ap @ Value::Object(m)), _) if !m.is_empty() => {
                let inner = noun(ap).1;
                (format!("a mapping of {inner}"), format!("mappings of {inner}"))
            }
            ("object", ..) => ("a mapping".to_string(), "mappings".to_string()),
            ("array", _, Some(items)) => {
                let inner = noun(items).1;
                (format!("a list of {inner}"), format!("lists of {inner}"))
            }
            ("array", ..) => ("a list".to_string(), "lists".to_string()),
            (t, ..) => scalar(t).map_or_else(|| (t.to_string(), t.to_string()), |(a, b)| (a.into(), b.into())),
        })
        .collect();
    if words.is_empty() {
        return ("a value".to_string(), "values".to_string());
    }
    let (one, many): (Vec<String>, Vec<String>) = words.into_iter().unzip();
    (either(one), either(many))
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
        r"^([A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?)?$" => {
            "empty or a host name or address (letters, digits, `.`, `:`, `_`, `-`, starting and ending with a letter or digit)"
        }
        r"^[A-Z][A-Z0-9_]*$" => "an attribute name in upper case (`MONITOR_ADDRESS`: letters, digits and `_`)",
        r"^[a-z0-9_-]+(/[A-Za-z0-9_.-]+)+$" => {
            "a file under `remotes/etc`, by path (`vmm/kvm/kvmrc`: a driver directory, then its file)"
        }
        r"(^|/)\.\.(/|$)" => "a path with a `..` component",
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
        r"^([A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$|^$" => {
            "empty or an image reference such as `docker.io/rclone/rclone:1.68` or \
             `registry.example.com/tools/rclone@sha256:<64 hexadecimal digits>` (an optional registry host and port, \
             lower-case path components, an optional tag and digest; no spaces)"
        }
        r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^$" | r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$" => {
            "an image tag such as `7.4.0` (letters, digits, `_`, `.` and `-`, at most 128)"
        }
        r"^sha256:[a-f0-9]{64}$|^$" | r"^sha256:[a-f0-9]{64}$" => {
            "an image digest: `sha256:` and 64 lower-case hexadecimal digits (`docker buildx imagetools inspect` prints it)"
        }
        _ => "in the form its description gives (`onechart schema` prints it)",
    }
}

fn v(ptr: &str, message: String, envelope: bool) -> Violation {
    Violation { pointer: ptr.to_string(), message, at_key: false, envelope }
}

/// Whether `value` would be valid at `ptr` of the unrestricted schema, checked against that part of the schema
/// only (a validation of the whole values per candidate made reading 60,000 mistyped values quadratic), by the
/// quick walk (the part is compiled only when the walk cannot decide); `None` when the schema has no part there.
pub fn valid_at(ptr: &str, value: &Value) -> Option<bool> {
    let schema = schema_for(Envelope { production: false, ha: false }, None, &[]);
    let sub = schema_at(&schema, ptr)?;
    match quick::check(sub, value) {
        Quick::Valid => Some(true),
        Quick::Invalid => Some(false),
        Quick::Unknown => Some(jsonschema::draft7::new(sub).ok()?.is_valid(value)),
    }
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
    match (words.is_empty(), schema_at(schema, ptr)) {
        (false, _) => words.join(" or "),
        (true, Some(s)) => noun(s).0,
        (true, None) => "a value of the form `onechart schema` describes".to_string(),
    }
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
    fn the_generated_schema_is_the_models() {
        let mut settings = schemars::generate::SchemaSettings::draft07();
        settings.inline_subschemas = true;
        let now: Value = settings.into_generator().into_root_schema_for::<crate::model::Values>().into();
        assert_eq!(serde_json::from_str::<Value>(GENERATED).unwrap(), now, "build.rs generates the model's schema");
    }

    /// Every `pattern` of a schema.
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

    #[test]
    fn the_quick_check_knows_every_keyword_and_pattern_of_every_schema() {
        for production in [false, true] {
            for ha in [false, true] {
                let envelope = Envelope { production, ha };
                for version in [None, Some(OneVersion::V6_10), Some(OneVersion::V7_4)] {
                    let s = schema_for(envelope, version, &[]);
                    // The profile's defaults decide quickly, valid or not: the walker never gives up.
                    assert_ne!(quick::check(&s, &defaults()), Quick::Unknown, "{envelope:?} {version:?}");
                    let mut ps = Vec::new();
                    patterns(&s, &mut ps);
                    for p in ps {
                        let quick = Pattern::parse(&p).unwrap_or_else(|| panic!("the quick check cannot read {p}"));
                        // The same answer as the schema validator's regex engine, on strings near the pattern's
                        // edges.
                        let full = jsonschema::draft7::new(&json!({"pattern": p})).unwrap();
                        let samples = [
                            "",
                            " ",
                            "a",
                            "A1",
                            "a b",
                            "-a",
                            "a-",
                            "kvm",
                            "kvm_2",
                            "Kvm",
                            "1",
                            "20Gi",
                            "1.5",
                            "1.",
                            "500m",
                            "20GB",
                            "3h",
                            "5s",
                            "100ms",
                            "@daily",
                            "@often",
                            "0 3 * * *",
                            "0 3 * *",
                            "*/5 1 2 3 4 5",
                            "RuntimeDefault",
                            "Localhost/my.profile",
                            "Localhost/",
                            "ssh-ed25519 AAAA",
                            "ssh-rsa AAA= x",
                            "ecdsa-sha2-nistp384 AB",
                            "sk-x@y AA",
                            "ssh-ed25519",
                            "host.example.com",
                            "a:b",
                            "é",
                            "x\ny",
                            "docker.io/rclone/rclone:1.68",
                            "x/y:1",
                            "localhost:5000/x",
                            "rclone/rclone@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            "Rclone/rclone:1.68",
                            "rclone/rclone: 1.68",
                            "rclone/rclone:",
                        ];
                        for t in samples {
                            assert_eq!(quick.is_match(t), full.is_valid(&json!(t)), "pattern {p} on {t:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_quick_check_and_the_validator_agree() {
        let none = Envelope { production: false, ha: false };
        let ha = Envelope { production: true, ha: true };
        let mut cases = vec![defaults()];
        for (ptr, v) in [
            ("/oned/replicas", json!(4)),
            ("/oned/replicas", json!("three")),
            ("/monitord/monitorAddress", json!("auto")),
            ("/database/backend", json!("postgresql")),
            ("/persistence/size", json!("20GB")),
            ("/monitord/service/nodePort", json!(80)),
            // `propertyNames`, `not` with a pattern and `anyOf` (the configuration overrides).
            ("/config/oned", json!({"LISTEN_ADDRESS": "0.0.0.0", "VNC_PORTS": {"START": 5900}})),
            ("/config/oned", json!({"listen_address": "0.0.0.0"})),
            ("/config/oned", json!({"DB": {"BACKEND": "mysql"}})),
            ("/config/oned", json!({"HOOK": [{"NAME": "x"}, {"NAME": "y"}]})),
            ("/config/oned", json!({"HOOK": [1]})),
            ("/config/oned", json!({"HOOK": null})),
            ("/config/remotes", json!({"vmm/kvm/kvmrc": {"X": "1"}})),
            ("/config/remotes", json!({"vmm/../kvmrc": {"X": "1"}})),
            // `minProperties` and `required` (a NetworkPolicy peer).
            ("/networkPolicy/tproxyFrom", json!([{"ipBlock": {"cidr": "192.0.2.0/24"}}])),
            ("/networkPolicy/tproxyFrom", json!([{}])),
            ("/networkPolicy/tproxyFrom", json!([{"ipBlock": {"cidr": "192.0.2.0/24"}, "podSelector": {}}])),
            ("/networkPolicy/tproxyFrom", json!([{"namespaceSelector": {}, "podSelector": {}}])),
            ("/networkPolicy/ingressFrom", json!([{"ipBlock": {"except": ["192.0.2.1/32"]}}])),
            ("/networkPolicy/egress/to", json!([{"to": [{"podSelector": {}}]}, {"to": [{}]}])),
            // `maxItems` in an `anyOf`, and an image reference (backup.offsite.container).
            ("/backup/offsite/container", json!({"image": "", "command": ["rclone"], "env": []})),
            ("/backup/offsite/container", json!({"image": "", "command": [], "env": [{"name": "A", "value": "b"}]})),
            ("/backup/offsite/container", json!({"image": "x/y:1", "command": ["rclone"], "env": []})),
            (
                "/backup/offsite/container/image",
                json!(
                    "registry.example.com:5000/tools/rclone:1.68@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                ),
            ),
            ("/backup/offsite/container/image", json!("rclone/rclone:1.68 ")),
            ("/databse", json!({})),
        ] {
            let mut c = defaults();
            match c.pointer_mut(ptr) {
                Some(slot) => *slot = v,
                None => {
                    c["databse"] = v;
                }
            }
            cases.push(c);
        }
        for envelope in [none, ha] {
            let validator = validator_for(envelope, None);
            let schema = schema_for(envelope, None, &[]);
            for c in &cases {
                let quick = quick::check(&schema, c);
                assert_eq!(quick == Quick::Valid, validator.is_valid(c), "{envelope:?}: {c}");
                assert_eq!(quick_valid(envelope, None, c), validator.is_valid(c), "{envelope:?}: {c}");
            }
        }
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

    /// Every keyword of every schema.
    fn keywords(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "properties" {
                        x.as_object().into_iter().flatten().for_each(|(_, p)| keywords(p, out));
                    } else if k != "default" && k != "enum" {
                        out.insert(k.clone());
                        keywords(x, out);
                    } else {
                        out.insert(k.clone());
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| keywords(x, out)),
            _ => {}
        }
    }

    /// `validate` words each keyword the schemas use (its catch-all is for a keyword added later).
    #[test]
    fn every_keyword_of_the_schemas_has_its_own_message() {
        let worded = [
            "$schema",
            "title",
            "description",
            "default",
            "type",
            "properties",
            "additionalProperties",
            "items",
            "required",
            "minProperties",
            "enum",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "maxItems",
            "pattern",
            "not",
            "anyOf",
            "propertyNames",
        ];
        for production in [false, true] {
            for ha in [false, true] {
                let mut all = std::collections::BTreeSet::new();
                keywords(&values_schema(Envelope { production, ha }, Some(OneVersion::V7_4)), &mut all);
                let unworded: Vec<&String> = all.iter().filter(|k| !worded.contains(&k.as_str())).collect();
                assert!(unworded.is_empty(), "no message of its own for {unworded:?}");
            }
        }
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
        // ONE025's constraint (a production front-end needs `oned.hostname`) holds under the envelope too.
        assert_eq!(
            paths,
            ["/backup/enabled", "/database/backend", "/environment", "/oned/hostname", "/persistence/keep"],
            "{v:?}"
        );
        let waived = chart_schema(prod, OneVersion::V7_4, &["ONE017"]);
        assert!(waived["properties"]["backup"]["properties"]["enabled"].get("enum").is_none());
        assert_eq!(waived["properties"]["persistence"]["properties"]["keep"]["enum"], json!([true]));
        assert_eq!(waived["properties"]["environment"]["enum"], json!(["production"]));
    }
}
