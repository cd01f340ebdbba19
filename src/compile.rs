//! From a profile and the user's values to validated, typed values: the front half of `generate` and `lint`.
//!
//! Order matters, and each step reports with exact locations:
//! 1. read and merge the layers (profile defaults, `-f` files, `--set`);
//! 2. validate against the unrestricted schema: structural problems (unknown keys, wrong types) are input
//!    errors;
//! 3. deserialize into the typed model;
//! 4. check the profile's required site values (one message listing every missing one);
//! 5. run the lint rules, then the profile's envelope schema (a violation a rule already reported is dropped:
//!    one problem, one finding).

use std::path::PathBuf;

use serde_json::Value;

use crate::layers::{Layer, Merged, dotted, parse_set, pointer};
use crate::lint::{self, Ctx, Finding, Severity};
use crate::model::{OneVersion, Values};
use crate::profile::{Envelope, Profile};
use crate::schema::{self, Violation};
use crate::source::{InputError, Location};
use crate::yaml::QuirkAt;

/// What the user asked to compile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Built-in profile name or path (`--profile`, or a project environment's `profile`); `None`: the
    /// `profile:` key of the values, as `lint` reads it, else the default profile.
    pub profile: Option<String>,
    /// Who asks for `profile`, for messages.
    pub profile_asked: ProfileAsked,
    /// Values files, in order.
    pub values: Vec<PathBuf>,
    /// `--set` arguments, in order.
    pub set: Vec<String>,
}

/// Who asks for a request's profile: what a message about it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProfileAsked {
    /// `--profile` on the command line.
    #[default]
    Flag,
    /// A project file's `environments.NAME.profile`, at this location (its value).
    Project {
        /// The environment's name.
        environment: String,
        /// Where the project file names the profile.
        at: Location,
    },
}

impl ProfileAsked {
    /// `the command line asks for profile `X` (`--profile X`)`, or the project file's environment.
    pub fn asks(&self, profile: &str) -> String {
        match self {
            ProfileAsked::Flag => format!("the command line asks for profile `{profile}` (`--profile {profile}`)"),
            ProfileAsked::Project { environment: env, at } => format!(
                "the project file's environment `{env}` asks for profile `{profile}` (`environments.{env}.profile` at \
                 {at})"
            ),
        }
    }
}

/// Compiled, validated values.
#[derive(Debug)]
pub struct Compiled {
    /// The profile.
    pub profile: Profile,
    /// Merged values with provenance.
    pub merged: Merged,
    /// Typed values.
    pub values: Values,
    /// Lint findings (warnings only when compilation succeeded).
    pub findings: Vec<Finding>,
    /// Errors the values suppress with a reason: the chart is generated without enforcing these rules.
    pub waived: Vec<Waiver>,
}

impl Compiled {
    /// The chart's values.schema.json (envelope applied, version locked, waived rules' constraints relaxed):
    /// built when a chart is rendered, never for `lint`.
    pub fn schema(&self) -> Value {
        let ids: Vec<&'static str> = self.waived.iter().map(|w| w.id).collect();
        schema::chart_schema(self.profile.envelope(), self.values.opennebula.version, &ids)
    }
}

/// A rule error accepted because the values suppress it with a reason (`# onechart:ignore ONE017 reason`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiver {
    /// Rule ID.
    pub id: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// Dotted values path.
    pub path: String,
    /// The reason given.
    pub reason: String,
}

/// Why compilation stopped.
#[derive(Debug)]
pub enum Failure {
    /// Unreadable or malformed input, missing site values: exit 2.
    Input(Vec<InputError>),
    /// Values rejected by lint errors: exit 1.
    Rejected(Vec<Finding>),
}

/// Compiles a request as `generate` does: the profile's site values are required.
pub fn compile(req: &Request) -> Result<Compiled, Failure> {
    let input = read(req)?;
    let merged = Merged::from_defaults_and_user([&input.profile.defaults, &input.profile.layer], input.layers.iter());
    let given = given_passwords(&merged);
    if !given.is_empty() {
        return Err(Failure::Input(given));
    }
    compile_read(input, &Options { require_site_values: true, ignores: &[], profile_defaulted: false })
}

/// Compiles a request: the one path of `generate` and `lint` ([`read`], then [`compile_read`]).
pub fn compile_with(req: &Request, opts: &Options<'_>) -> Result<Compiled, Failure> {
    let input = read(req)?;
    compile_read(input, opts)
}

/// Which profile a request is compiled with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileFrom {
    /// `--profile`.
    Flag,
    /// The `profile:` key of a values file, at this location.
    Key(Location),
    /// Neither: the default profile.
    Default,
}

impl ProfileFrom {
    /// How reports say it: `--profile`, `the profile: key at site.yaml:1:10`, `default: no profile named`.
    pub fn describe(&self) -> String {
        match self {
            ProfileFrom::Flag => "--profile".to_string(),
            ProfileFrom::Key(at) => format!("`profile:` at {at}"),
            ProfileFrom::Default => "the default: no --profile and no `profile:` key".to_string(),
        }
    }

    /// `flag`, `key` or `default` (JSON and SARIF).
    pub fn kind(&self) -> &'static str {
        match self {
            ProfileFrom::Flag => "flag",
            ProfileFrom::Key(_) => "key",
            ProfileFrom::Default => "default",
        }
    }
}

/// A request read: its layers and its profile, loaded.
#[derive(Debug)]
pub struct Read {
    /// The profile.
    pub profile: Profile,
    /// Why this profile.
    pub from: ProfileFrom,
    /// The user's layers: each `-f` file, then `--set`.
    pub layers: Vec<Layer>,
}

/// Reads a request's files and `--set`, and resolves and loads its profile: `--profile`, else the `profile:` key
/// of the values (files that name one must agree, and must agree with `--profile`), else the default profile.
pub fn read(req: &Request) -> Result<Read, Failure> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut errors = Vec::new();
    // Every input is bounded, the layers together too: one file may be named again and again (`-f`, a project
    // file's `values`), and each costs its size many times over once parsed.
    let mut total = 0u64;
    for path in &req.values {
        match Layer::read(path) {
            Ok(l) => {
                total += l.source.as_ref().map_or(0, |s| s.text.len() as u64);
                if total > crate::source::MAX_INPUT_BYTES {
                    let mib = crate::source::MAX_INPUT_BYTES / (1024 * 1024);
                    return Err(Failure::Input(vec![InputError::new(
                        crate::source::Location::file(&path.display().to_string()),
                        format!(
                            "the values files together are larger than the {mib} MiB limit for values (this one \
                             brings them past it); a site's layers are a few kilobytes"
                        ),
                    )]));
                }
                layers.push(l);
            }
            Err(e) => errors.push(e),
        }
    }
    match parse_set(&req.set) {
        Ok(l) => layers.push(l),
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return Err(Failure::Input(errors));
    }
    let named = named_profiles(&layers);
    let spec = resolve_profile(req.profile.as_deref(), &layers).map_err(|e| Failure::Input(vec![e]))?;
    let from = match (&req.profile, named.first()) {
        (Some(_), _) => ProfileFrom::Flag,
        (None, Some(n)) => ProfileFrom::Key(n.at.clone()),
        (None, None) => ProfileFrom::Default,
    };
    let profile = Profile::load(&spec).map_err(|e| {
        // A typo in a file's `profile:` key is reported there, not as `--profile`.
        let e = match &from {
            ProfileFrom::Key(at) => {
                let value = layers
                    .iter()
                    .find_map(|l| l.origins.get("/profile").filter(|o| o.key == *at).map(|o| o.value.clone()));
                crate::source::InputError { location: value.unwrap_or_else(|| at.clone()), ..e }
            }
            _ => e,
        };
        Failure::Input(vec![e])
    })?;
    if req.profile.is_some() {
        // `--profile ./mine.yaml` and a file naming the profile `mine` agree.
        if let Some(n) = named.iter().find(|n| n.name != spec && n.name != profile.name) {
            return Err(Failure::Input(vec![conflict(n, &req.profile_asked.asks(&spec))]));
        }
    }
    Ok(Read { profile, from, layers })
}

/// Compiles a request read by [`read`].
pub fn compile_read(input: Read, opts: &Options<'_>) -> Result<Compiled, Failure> {
    let Read { profile, from, layers } = input;
    let merged = Merged::from_defaults_and_user([&profile.defaults, &profile.layer], layers.iter());
    let opts = Options { profile_defaulted: from == ProfileFrom::Default, ..*opts };
    compile_merged(profile, merged, &layers, &opts)
}

/// The passwords the values may carry: (pointer, the Secret key the chart's hook job would make from it, the
/// `existingSecret` that brings it instead).
const PASSWORDS: [(&str, &str, &str); 3] = [
    ("/auth/oneadminPassword", "oneadmin-password", "auth.existingSecret"),
    ("/auth/serveradminPassword", "serveradmin-password", "auth.existingSecret"),
    ("/database/mysql/password", "mysql-password", "database.mysql.existingSecret"),
];

/// `generate` refuses a password in the values: it would be written into the chart's values.yaml and README,
/// which are meant to be committed and published. Refused rather than warned about: a warning does not keep it
/// out of the repository, and nothing is lost, since `existingSecret` and install-time values (a private values
/// file, `--set-file`: the value reaches the cluster only) give the same password. `lint` reads values files that `helm install -f` may use, and
/// leaves them alone.
fn given_passwords(merged: &Merged) -> Vec<InputError> {
    PASSWORDS
        .iter()
        .filter(|(ptr, _, _)| merged.value.pointer(ptr).and_then(Value::as_str).is_some_and(|v| !v.is_empty()))
        .map(|(ptr, key, existing)| {
            let path = dotted(ptr);
            let at = merged.origin(ptr).map_or_else(|| Location::file("values"), |o| o.value.clone());
            InputError::new(
                at,
                format!(
                    "`{path}` is a password: `generate` would write it into the chart's values.yaml and README, \
                     which are meant to be committed and published, so it refuses it. Leave it empty (the chart's \
                     secrets hook job makes one inside the cluster, once, and keeps it), put it in a Secret of your \
                     own under the key `{key}` and set `{existing}` (chart README, Credentials: `kubectl create \
                     secret generic ...`), or give it at install time from a file, not on a command line: a \
                     private values file (`helm install -f`) or `helm install --set-file {path}=FILE`"
                ),
            )
        })
        .collect()
}

/// A `profile:` key of a user layer.
struct Named {
    /// The profile it names.
    name: String,
    /// Where the key is (a file's line, or the `--set` argument).
    at: Location,
    /// Given by `--set profile=...`, not by a values file.
    set: bool,
}

impl Named {
    /// How a message names it, from elsewhere.
    fn said(&self) -> String {
        let (name, at) = (&self.name, &self.at);
        if self.set {
            format!("`{at}` names profile `{name}`")
        } else {
            format!("the values file at {at} names profile `{name}`")
        }
    }
}

/// The `profile:` keys of the user's layers (string values only; the schema reports others), with the location
/// of each key.
fn named_profiles(layers: &[Layer]) -> Vec<Named> {
    layers
        .iter()
        .filter_map(|l| {
            let name = l.value.get("profile")?.as_str()?.to_string();
            let at = l.origins.get("/profile").map_or_else(|| Location::file("values"), |o| o.key.clone());
            Some(Named { name, at, set: l.source.is_none() })
        })
        .collect()
}

/// Two profiles asked for: one by the `profile:` key `named` (reported there), the other as `other` says (who,
/// where, and which).
fn conflict(named: &Named, other: &str) -> InputError {
    let name = &named.name;
    let this = if named.set {
        format!("this `--set` names profile `{name}`")
    } else {
        format!("this values file names profile `{name}` (its `profile:` key, here)")
    };
    InputError::new(
        named.at.clone(),
        format!(
            "{this}, but {other}; onechart uses one profile and never picks one of two: remove one of them or make \
             them name the same profile"
        ),
    )
}

/// The profile to compile: `--profile`, else the `profile:` key of the values files (as `lint` reads it; files
/// that name one must agree), else the default profile.
pub fn resolve_profile(explicit: Option<&str>, layers: &[Layer]) -> Result<String, InputError> {
    if let Some(p) = explicit {
        return Ok(p.to_string());
    }
    let named = named_profiles(layers);
    let Some(first) = named.first() else {
        return Ok(crate::profile::DEFAULT_PROFILE.to_string());
    };
    if let Some(other) = named.iter().find(|n| n.name != first.name) {
        return Err(conflict(other, &first.said()));
    }
    Ok(first.name.clone())
}

/// How strict compilation is.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Stop with one input error listing the profile's missing site values (`generate`). `lint` leaves them to
    /// the rules, which point at the file and line (ONE025, ONE018, ONE004).
    pub require_site_values: bool,
    /// `--ignore` rule IDs or names.
    pub ignores: &'a [String],
    /// No profile was named (ONE055 checks that the values do not look like production).
    pub profile_defaulted: bool,
}

/// The YAML quirks of user layers, with the file each is in.
pub fn user_quirks(layers: &[Layer]) -> Vec<(std::sync::Arc<crate::source::SourceFile>, QuirkAt)> {
    layers
        .iter()
        .filter_map(|l| l.source.as_ref().map(|s| (s, &l.quirks)))
        .flat_map(|(s, qs)| qs.iter().map(move |q| (s.clone(), q.clone())))
        .collect()
}

/// Compiles already merged values (also used by `lint`). `user` are the user's layers (for YAML quirks and
/// inline suppressions).
///
/// Lint is whole: a schema violation does not hide the rules. The rules run on the best typed reading of the
/// values, where each value the schema refuses (or a rule on the raw values already reports) is replaced by the
/// profile's default and an unknown key is dropped; a rule's finding about such a replaced value is dropped, since
/// the ONE100 (or that rule's) finding already covers it: one problem, one finding.
pub fn compile_merged(
    profile: Profile,
    mut merged: Merged,
    user: &[Layer],
    opts: &Options<'_>,
) -> Result<Compiled, Failure> {
    default_image_tag(&mut merged);
    let ignores = opts.ignores;
    let quirks = &user_quirks(user);
    let sources: Vec<_> = user.iter().filter_map(|l| l.source.clone()).collect();
    let user_file = sources.last().map(|s| s.name.clone());
    let finish = |findings: Vec<Finding>| {
        let findings: Vec<Finding> =
            findings.into_iter().map(|f| shown_in_user_terms(f, &profile.name, user_file.as_deref(), user)).collect();
        lint::finish(findings, &sources, ignores)
    };
    // Rules that read raw values (ONE024 on `database.backend: postgresql`, the YAML quirks) run before the
    // typed model exists; a schema violation at a value such a rule already reports is dropped.
    let untyped = lint::check_values(&Ctx { raw: &merged.value, values: None, merged: &merged, quirks });
    let base = Envelope { production: false, ha: false };
    let raw_violations = schema::validate(base, None, &merged.value);
    let structural = violations(&merged, &raw_violations, &untyped, None);
    let mut replaced: Vec<String> = raw_violations.iter().map(|v| v.pointer.clone()).collect();
    replaced.extend(untyped.iter().filter(|f| f.severity == Severity::Error).map(|f| pointer(&f.path)));
    let keys = raw_violations.iter().filter(|v| v.at_key).map(|v| v.pointer.clone()).collect();
    let Some((values, reading, replaced)) = best_reading(&profile, &merged, replaced, keys, quirks) else {
        if structural.is_empty() {
            return Err(Failure::Input(vec![InputError::new(
                Location::file("values"),
                "values do not match the model".to_string(),
            )]));
        }
        let mut all = untyped;
        all.extend(structural);
        return Err(Failure::Rejected(finish(one_finding_per_mistake(all))));
    };
    let missing = profile.missing_site_values(&merged);
    if structural.is_empty() && opts.require_site_values && !missing.is_empty() {
        let details = missing.iter().map(|sv| format!("{}: {}", sv.path, sv.description)).collect();
        return Err(Failure::Input(vec![
            InputError::new(
                Location::file(&format!("--profile {}", profile.name)),
                format!(
                    "profile `{}` needs {} site value(s) no profile can know; set them in a values file (see profiles/examples/{}.values.yaml)",
                    profile.name,
                    missing.len(),
                    profile.name
                ),
            )
            .with_details(details),
        ]));
    }
    let typed = lint::check_values(&Ctx { raw: &merged.value, values: Some(&values), merged: &merged, quirks });
    let replaced_set: std::collections::HashSet<&str> = replaced.iter().map(String::as_str).collect();
    let is_replaced = |f: &Finding| {
        // The pointer or one of its ancestors was replaced: a lookup per ancestor, not a scan per finding.
        let p = pointer(&f.path);
        replaced_set.contains(p.as_str()) || p.match_indices('/').any(|(i, _)| replaced_set.contains(&p[..i]))
    };
    let mut findings = untyped;
    findings.extend(structural);
    findings.extend(typed.into_iter().filter(|f| !is_replaced(f)));
    let version = values.opennebula.version;
    // Values that passed the model's schema as they are need only the envelope's narrowings checked.
    let unchanged = raw_violations.is_empty() && matches!(reading, std::borrow::Cow::Borrowed(_));
    let envelope_violations = if unchanged {
        schema::validate_narrowed(profile.envelope(), Some(version), &reading)
    } else {
        schema::validate(profile.envelope(), Some(version), &reading)
    };
    let envelope = violations(&merged, &envelope_violations, &findings, Some(&profile.name));
    let envelope_paths: Vec<String> = envelope.iter().map(|f| f.path.clone()).collect();
    findings.extend(envelope);
    let mut findings = one_finding_per_mistake(findings);
    if opts.profile_defaulted && profile.environment == "development" {
        findings.extend(production_evidence(&profile.name, user));
    }
    let mut findings = finish(findings);
    // The profile's envelope and the structure (unknown keys, wrong types) are the chart's schema, which Helm
    // enforces whatever a comment says: a suppression cannot waive them (a rule's own constraint is waived with
    // the rule instead). A suppressed unknown key let `generate` write a chart Helm then refused.
    for f in findings.iter_mut().filter(|f| f.rule_id == "ONE100") {
        if f.suppressed.take().is_some() {
            f.message.push_str(if envelope_paths.contains(&f.path) {
                "; the profile's envelope cannot be suppressed"
            } else {
                "; the chart's values.schema.json refuses it (so does Helm), so it cannot be suppressed"
            });
        }
    }
    if findings.iter().any(|f| f.severity == Severity::Error && f.suppressed.is_none()) {
        return Err(Failure::Rejected(findings));
    }
    let mut waived: Vec<Waiver> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| {
            let reason = f.suppressed.clone()?;
            Some(Waiver { id: f.rule_id, name: f.rule_name, path: f.path.clone(), reason })
        })
        .collect();
    waived.sort_by(|a, b| (a.id, &a.path).cmp(&(b.id, &b.path)));
    waived.dedup();
    Ok(Compiled { profile, merged, values, findings, waived })
}

/// The typed values with every `replaced` pointer read as the user evidently meant it (the string `"true"` where
/// a boolean belongs, the unquoted `yes` where a string belongs: see [`intended`]) when the schema accepts that,
/// else restored to the profile's default (or dropped when the profile has none), repeated while the model still
/// refuses something. The rules then see what the user meant, so a value that is only mistyped adds no finding
/// elsewhere (`tls.enabled: "true"` is one ONE100, not also "exposed without TLS"). Returns the values, their JSON
/// and every pointer replaced.
fn best_reading<'m>(
    profile: &Profile,
    merged: &'m Merged,
    mut pending: Vec<String>,
    mut refused_keys: std::collections::HashSet<String>,
    quirks: &[(std::sync::Arc<crate::source::SourceFile>, QuirkAt)],
) -> Option<(Values, std::borrow::Cow<'m, Value>, Vec<String>)> {
    use serde::Deserialize;
    // The usual case: nothing to replace, and the values read as they are (no copy of them).
    if pending.is_empty()
        && let Ok(values) = Values::deserialize(&merged.value)
    {
        return Some((values, std::borrow::Cow::Borrowed(&merged.value), Vec::new()));
    }
    let defaults = profile.merged_defaults().value;
    let base = Envelope { production: false, ha: false };
    let mut reading = merged.value.clone();
    let mut replaced: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Reading a value as meant validates the whole values once per candidate: tried for the first hundred values
    // only (past that nobody reads the findings, and 99,000 of them stay linear), and never for an unknown key,
    // which no reading fixes.
    let mut attempts = 0;
    for _ in 0..16 {
        for p in pending.drain(..) {
            // A key the schema refuses (unknown, or not a name its map takes) goes: no reading of its value fixes it.
            let known = reading.pointer(&p).is_some() && !unknown_key(&p) && !refused_keys.contains(&p);
            let meant = known && attempts < 100 && {
                attempts += 1;
                read_as_meant(&mut reading, &p, quirks)
            };
            let p = if meant { p } else { restore(&mut reading, &defaults, &p) };
            if seen.insert(p.clone()) {
                replaced.push(p);
            }
        }
        if let Ok(values) = Values::deserialize(&reading) {
            return Some((values, std::borrow::Cow::Owned(reading), replaced));
        }
        let again = schema::validate(base, None, &reading);
        refused_keys.extend(again.iter().filter(|v| v.at_key).map(|v| v.pointer.clone()));
        pending = again.into_iter().map(|v| v.pointer).collect();
        pending.retain(|p| !seen.contains(p));
        if pending.is_empty() {
            // The schema accepts what the model refuses: restore whole top-level sections until it reads.
            let top: Vec<String> =
                reading.as_object()?.keys().map(|k| format!("/{}", crate::layers::escape(k))).collect();
            pending = top.into_iter().filter(|t| !seen.contains(t)).take(1).collect();
            if pending.is_empty() {
                return None;
            }
        }
    }
    None
}

/// Whether `pointer` names a key the unrestricted schema does not know (its parent object is closed and lacks
/// it), found in the schema itself rather than by validating the values.
fn unknown_key(pointer: &str) -> bool {
    static KNOWN: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let known = KNOWN.get_or_init(|| schema::values_schema(Envelope { production: false, ha: false }, None));
    let mut node = known;
    for seg in pointer.split('/').skip(1) {
        let key = seg.replace("~1", "/").replace("~0", "~");
        let props = node.get("properties").and_then(Value::as_object);
        match props.and_then(|p| p.get(&key)) {
            Some(sub) => node = sub,
            None if node.get("items").is_some() && key.chars().all(|c| c.is_ascii_digit()) => {
                node = &node["items"];
            }
            None => return props.is_some() && node.get("additionalProperties") == Some(&Value::Bool(false)),
        }
    }
    false
}

/// What a mistyped value evidently means: the string `"true"`/`"false"` a boolean, a numeric string a number,
/// an unquoted YAML 1.1 boolean (`yes`, `no`, `on`, `off`) the text as written, a number its text.
fn intended(v: &Value, raw: Option<&str>) -> Vec<Value> {
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("true") => vec![Value::Bool(true)],
        Value::String(s) if s.eq_ignore_ascii_case("false") => vec![Value::Bool(false)],
        Value::String(s) => s.trim().parse::<i64>().map(Value::from).into_iter().collect(),
        Value::Bool(b) => vec![Value::String(raw.map_or_else(|| b.to_string(), str::to_string))],
        Value::Number(n) => vec![Value::String(raw.map_or_else(|| n.to_string(), str::to_string))],
        _ => Vec::new(),
    }
}

/// Replaces the value at `pointer` with what it evidently means, when the schema accepts that there. Returns
/// whether it did.
fn read_as_meant(
    reading: &mut Value,
    pointer: &str,
    quirks: &[(std::sync::Arc<crate::source::SourceFile>, QuirkAt)],
) -> bool {
    let Some(current) = reading.pointer(pointer).cloned() else { return false };
    let raw = quirks.iter().find_map(|(_, q)| match &q.quirk {
        crate::yaml::Quirk::Ambiguous { raw, .. } if crate::layers::pointer(&q.path) == pointer => Some(raw.as_str()),
        _ => None,
    });
    let base = Envelope { production: false, ha: false };
    for candidate in intended(&current, raw) {
        let refused = match schema::valid_at(pointer, &candidate) {
            Some(valid) => !valid,
            None => {
                *reading.pointer_mut(pointer).expect("the value exists") = candidate.clone();
                schema::validate(base, None, reading)
                    .iter()
                    .any(|v| v.pointer == pointer || v.pointer.starts_with(&format!("{pointer}/")))
            }
        };
        *reading.pointer_mut(pointer).expect("the value exists") = candidate;
        if !refused {
            return true;
        }
    }
    *reading.pointer_mut(pointer).expect("the value exists") = current;
    false
}

/// One mistake, one finding: of several schema findings at one value, the first (its type before its enum);
/// an ambiguous-YAML warning (ONE102) at a value the schema refuses is folded into that finding's message.
fn one_finding_per_mistake(findings: Vec<Finding>) -> Vec<Finding> {
    // Sets and maps, not scans: 99,000 findings in one file stay linear.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        if f.rule_id == "ONE100" && !seen.insert(f.path.clone()) {
            continue;
        }
        out.push(f);
    }
    let mut errors_at: std::collections::HashMap<Location, usize> = std::collections::HashMap::new();
    for (i, f) in out.iter().enumerate() {
        if let (true, Some(l)) = (f.rule_id == "ONE100", &f.location) {
            errors_at.entry(l.clone()).or_insert(i);
        }
    }
    let ambiguous: Vec<Finding> = out.iter().filter(|f| f.rule_id == "ONE102").cloned().collect();
    let mut folded = std::collections::HashSet::new();
    for a in &ambiguous {
        if let Some(&i) = a.location.as_ref().and_then(|l| errors_at.get(l)) {
            let raw = a.message.split('`').nth(1).unwrap_or_default();
            out[i].message.push_str(&format!(
                ": the unquoted {}; quote it (`\"{raw}\"`) to keep the text",
                a.message.replace(" is read by Helm as ", " is read by Helm as the ")
            ));
            folded.insert(a.location.clone());
        }
    }
    out.retain(|f| f.rule_id != "ONE102" || !folded.contains(&f.location));
    out
}

/// Puts the default value at `pointer` (a whole list when the pointer is inside one), or removes the key when
/// the defaults have none. Returns the pointer actually restored.
fn restore(reading: &mut Value, defaults: &Value, pointer: &str) -> String {
    let mut target = pointer.to_string();
    // Inside a list, restore the list: items have no defaults of their own. A digit segment is a list index only
    // where the value is a list: `"0": x` is a key, and taking it for an index restored the whole values (every
    // finding hidden behind the profile's defaults).
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut at = &*reading;
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 && at.is_array() {
            target = segments[..i].iter().map(|s| format!("/{s}")).collect();
            break;
        }
        match at.get(seg.replace("~1", "/").replace("~0", "~").as_str()) {
            Some(next) => at = next,
            None => break,
        }
    }
    match defaults.pointer(&target) {
        Some(d) => {
            if let Some(slot) = reading.pointer_mut(&target) {
                *slot = d.clone();
            } else if let Some((parent, key)) = target.rsplit_once('/')
                && let Some(Value::Object(m)) = reading.pointer_mut(parent)
            {
                m.insert(key.replace("~1", "/").replace("~0", "~"), d.clone());
            }
        }
        None => {
            if let Some((parent, key)) = target.rsplit_once('/')
                && let Some(Value::Object(m)) = reading.pointer_mut(parent)
            {
                m.remove(&key.replace("~1", "/").replace("~0", "~"));
            }
        }
    }
    target
}

/// A finding located in a built-in profile, which users of the installed binary do not have as a file, shown as
/// `profile prod-mysql (built-in): key.path` and placed in the user's file: at the deepest key of the path the
/// user's file sets (where a value can be added), else on the file itself.
fn shown_in_user_terms(mut f: Finding, profile: &str, user_file: Option<&str>, user: &[Layer]) -> Finding {
    let Some(loc) = &f.location else { return f };
    if !crate::profile::is_builtin_source(&loc.file) {
        return f;
    }
    let shown = if loc.file == crate::profile::DEFAULTS_SOURCE && !crate::profile::builtin_names().contains(&profile) {
        crate::profile::DEFAULTS_SOURCE.to_string()
    } else {
        crate::profile::builtin_source(profile)
    };
    let path = if f.path.is_empty() { String::new() } else { format!(": `{}`", f.path) };
    match user_file {
        Some(file) => {
            let layer = user.iter().rev().find(|l| l.source.as_ref().is_some_and(|s| s.name == file));
            let mut p = pointer(&f.path);
            let mut at = Location::file(file);
            while !p.is_empty() {
                if let Some(o) = layer.and_then(|l| l.origins.get(&p)) {
                    at = o.key.clone();
                    break;
                }
                p.truncate(p.rfind('/').unwrap_or(0));
            }
            f.message = format!("{} (value from {shown}{path}; set it in {file} to change it)", f.message);
            f.location = Some(at);
        }
        None => {
            f.message = format!("{} (value from {shown}{path})", f.message);
            f.location = Some(Location::file(&shown));
        }
    }
    f
}

/// `image.tag` follows `opennebula.version` unless someone set it: the built-in default names the newest
/// release of the default version, which a chart for another version would otherwise run (and lint would then
/// read the wrong version from the image).
fn default_image_tag(merged: &mut Merged) {
    let from_defaults =
        merged.origins.get("/image/tag").is_some_and(|o| o.value.file == crate::profile::DEFAULTS_SOURCE);
    let version = merged.value.pointer("/opennebula/version").and_then(Value::as_str).and_then(OneVersion::parse);
    if let (true, Some(v)) = (from_defaults, version)
        && let Some(tag) = merged.value.pointer_mut("/image/tag")
    {
        *tag = Value::String(v.release().to_string());
    }
}

/// The OpenNebula version of compiled values.
pub fn version(c: &Compiled) -> OneVersion {
    c.values.opennebula.version
}

/// Schema violations as ONE100 findings, except where an error of another rule already covers the same value
/// (one problem, one finding: ONE001 rather than a bare enum message).
fn violations(merged: &Merged, vs: &[Violation], covered: &[Finding], profile: Option<&str>) -> Vec<Finding> {
    let rule = lint::find_rule("ONE100").expect("ONE100 is registered");
    let covered: std::collections::HashSet<String> =
        covered.iter().filter(|f| f.severity == Severity::Error).map(|f| pointer(&f.path)).collect();
    vs.iter()
        .filter(|v| !covered.contains(&v.pointer))
        .map(|v| {
            let mut location =
                merged.origin(&v.pointer).map(|o| if v.at_key { o.key.clone() } else { o.value.clone() });
            let mut message = match profile {
                Some(p) => format!("{} (refused by the `{p}` profile)", v.message),
                None => v.message.clone(),
            };
            let mut path = dotted(&v.pointer);
            // A required key a `null` deleted: point at the `null`.
            let missing = v.message.strip_prefix('`').and_then(|m| m.strip_suffix("` is missing"));
            if let Some((ptr, o)) = missing.map(pointer).and_then(|p| merged.deleted.get_key_value(&p)) {
                location = Some(o.key.clone());
                path = dotted(ptr);
                message.push_str(": a `null` deletes a key (as in Helm), and this one is required");
            }
            Finding::new(rule, Severity::Error, path, message, location)
        })
        .collect()
}

/// ONE055: the first key of the user's layers that shows the values are for production, when they name no
/// profile and are compiled as the development default.
fn production_evidence(profile: &str, user: &[Layer]) -> Option<Finding> {
    let evidence = |l: &Layer| -> Option<(String, String)> {
        let get = |p: &str| l.value.pointer(p);
        // Blank is unset (a value left empty, or only spaces).
        let text = |p: &str| get(p).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
        let mut found: Vec<(String, String)> = Vec::new();
        if text("/environment") == Some("production") {
            found.push(("/environment".into(), "`environment: production`".into()));
        }
        for (p, what) in [("/oned/hostname", "oned.hostname"), ("/onegate/endpoint", "onegate.endpoint")] {
            if text(p).is_some() {
                found.push((p.into(), format!("`{what}`, a production site value")));
            }
        }
        // `AUTO` is `auto` misspelt (its own finding), not a site address.
        if text("/monitord/monitorAddress").is_some_and(|a| !a.trim().eq_ignore_ascii_case("auto")) {
            found
                .push(("/monitord/monitorAddress".into(), "`monitord.monitorAddress`, a production site value".into()));
        }
        // Several members: a Raft HA front-end, which only the production profile `ha-raft` runs (the
        // development profile has one member).
        if let Some(n) = get("/oned/replicas").and_then(Value::as_u64).filter(|n| *n > 1) {
            found.push((
                "/oned/replicas".into(),
                format!("`oned.replicas: {n}`, a Raft HA front-end, which only the production profile `ha-raft` runs"),
            ));
        }
        // The first in the file.
        found.into_iter().min_by_key(|(p, _)| l.origins.get(p).map(|o| (o.key.line, o.key.column)))
    };
    let (layer, (ptr, what)) = user.iter().find_map(|l| evidence(l).map(|e| (l, e)))?;
    let rule = lint::find_rule("ONE055").expect("ONE055 is registered");
    let location = layer.origins.get(&ptr).map(|o| o.key.clone());
    let message = format!(
        "these values name no profile, so they are checked as `{profile}` (development), but they set {what}: \
         production rules (SQLite, backups, kept volumes) would not apply"
    );
    Some(Finding::new(rule, Severity::Error, dotted(&ptr), message, location))
}
