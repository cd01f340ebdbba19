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
use crate::lint::{self, Ctx, Finding, Severity, suppress};
use crate::model::{OneVersion, Values};
use crate::profile::{Envelope, Profile};
use crate::schema::{self, Violation};
use crate::source::{InputError, Location};
use crate::yaml::QuirkAt;

/// What the user asked to compile.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Built-in profile name or path (`--profile`); `None`: the `profile:` key of the values, as `lint` reads
    /// it, else the default profile.
    pub profile: Option<String>,
    /// Values files, in order.
    pub values: Vec<PathBuf>,
    /// `--set` arguments, in order.
    pub set: Vec<String>,
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
    /// The chart's values.schema.json (envelope applied, version locked).
    pub schema: Value,
    /// Lint findings (warnings only when compilation succeeded).
    pub findings: Vec<Finding>,
    /// Errors the values suppress with a reason: the chart is generated without enforcing these rules.
    pub waived: Vec<Waiver>,
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

/// Compiles a request.
pub fn compile(req: &Request) -> Result<Compiled, Failure> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut errors = Vec::new();
    for path in &req.values {
        match Layer::read(path) {
            Ok(l) => layers.push(l),
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
    let spec = resolve_profile(req.profile.as_deref(), &layers).map_err(|e| Failure::Input(vec![e]))?;
    let profile = Profile::load(&spec).map_err(|e| Failure::Input(vec![e]))?;
    if req.profile.is_some() {
        // `--profile ./mine.yaml` and a file naming the profile `mine` agree.
        if let Some((named, at)) = named_profiles(&layers).into_iter().find(|(n, _)| *n != spec && *n != profile.name) {
            return Err(Failure::Input(vec![conflict(at, &named, &format!("--profile is `{spec}`"))]));
        }
    }
    let merged = Merged::from_layers([&profile.defaults, &profile.layer].into_iter().chain(layers.iter()));
    compile_merged(profile, merged, &layers, &Options { require_site_values: true, ignores: &[] })
}

/// The `profile:` keys of the user's layers (string values only; the schema reports others), with the location
/// of each key.
fn named_profiles(layers: &[Layer]) -> Vec<(String, Location)> {
    layers
        .iter()
        .filter_map(|l| {
            let name = l.value.get("profile")?.as_str()?.to_string();
            let at = l.origins.get("/profile").map_or_else(|| Location::file("values"), |o| o.key.clone());
            Some((name, at))
        })
        .collect()
}

fn conflict(at: Location, named: &str, other: &str) -> InputError {
    InputError::new(at, format!("the values name profile `{named}` but {other}; remove one of them or make them agree"))
}

/// The profile to compile: `--profile`, else the `profile:` key of the values files (as `lint` reads it; files
/// that name one must agree), else the default profile.
pub fn resolve_profile(explicit: Option<&str>, layers: &[Layer]) -> Result<String, InputError> {
    if let Some(p) = explicit {
        return Ok(p.to_string());
    }
    let named = named_profiles(layers);
    let Some((first, first_at)) = named.first() else {
        return Ok(crate::profile::DEFAULT_PROFILE.to_string());
    };
    if let Some((other, at)) = named.iter().find(|(n, _)| n != first) {
        return Err(conflict(at.clone(), other, &format!("{first_at} names `{first}`")));
    }
    Ok(first.clone())
}

/// How strict compilation is.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Stop with one input error listing the profile's missing site values (`generate`). `lint` leaves them to
    /// the rules, which point at the file and line (ONE025, ONE018, ONE004).
    pub require_site_values: bool,
    /// `--ignore` rule IDs or names.
    pub ignores: &'a [String],
}

/// The YAML quirks of user layers, with the name of the file each is in.
pub fn user_quirks(layers: &[Layer]) -> Vec<(String, QuirkAt)> {
    layers
        .iter()
        .filter_map(|l| l.source.as_ref().map(|s| (s, &l.quirks)))
        .flat_map(|(s, qs)| qs.iter().map(move |q| (s.name.clone(), q.clone())))
        .collect()
}

/// Compiles already merged values (also used by `lint`). `user` are the user's layers (for YAML quirks and
/// inline suppressions).
pub fn compile_merged(
    profile: Profile,
    merged: Merged,
    user: &[Layer],
    opts: &Options<'_>,
) -> Result<Compiled, Failure> {
    let ignores = opts.ignores;
    let quirks = &user_quirks(user);
    let sources: Vec<_> = user.iter().filter_map(|l| l.source.clone()).collect();
    let finish = |findings: Vec<Finding>| {
        let mut findings = findings;
        let extra = suppress::apply(&mut findings, &sources, ignores);
        findings.extend(extra);
        sorted(findings)
    };
    // Rules that read raw values (ONE024 on `database.backend: postgresql`, the YAML quirks) run before the
    // typed model exists; a schema violation at a value such a rule already reports is dropped.
    let untyped = lint::check_values(&Ctx { raw: &merged.value, values: None, merged: &merged, quirks });
    let base = Envelope { production: false, ha: false };
    let structural = violations(&merged, &schema::validate(base, None, &merged.value), &untyped, None);
    if !structural.is_empty() {
        let mut all = untyped;
        all.extend(structural);
        return Err(Failure::Rejected(finish(all)));
    }
    let values: Values = serde_json::from_value(merged.value.clone()).map_err(|e| {
        Failure::Input(vec![InputError::new(Location::file("values"), format!("values do not match the model: {e}"))])
    })?;
    let missing = profile.missing_site_values(&merged);
    if opts.require_site_values && !missing.is_empty() {
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
    let mut findings = lint::check_values(&Ctx { raw: &merged.value, values: Some(&values), merged: &merged, quirks });
    let version = values.opennebula.version;
    let envelope = violations(
        &merged,
        &schema::validate(profile.envelope(), Some(version), &merged.value),
        &findings,
        Some(&profile.name),
    );
    let envelope_paths: Vec<String> = envelope.iter().map(|f| f.path.clone()).collect();
    findings.extend(envelope);
    let mut findings = finish(findings);
    // The profile's envelope is the chart's schema, which Helm enforces whatever a comment says: a suppression
    // cannot waive it (a rule's own constraint is waived with the rule instead).
    for f in findings.iter_mut().filter(|f| f.rule_id == "ONE100" && envelope_paths.contains(&f.path)) {
        if f.suppressed.take().is_some() {
            f.message.push_str("; the profile's envelope cannot be suppressed");
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
    let mut ids: Vec<&'static str> = waived.iter().map(|w| w.id).collect();
    ids.dedup();
    let chart_schema = schema::chart_schema(profile.envelope(), version, &ids);
    Ok(Compiled { profile, merged, values, schema: chart_schema, findings, waived })
}

/// The OpenNebula version of compiled values.
pub fn version(c: &Compiled) -> OneVersion {
    c.values.opennebula.version
}

/// Schema violations as ONE100 findings, except where an error of another rule already covers the same value
/// (one problem, one finding: ONE001 rather than a bare enum message).
fn violations(merged: &Merged, vs: &[Violation], covered: &[Finding], profile: Option<&str>) -> Vec<Finding> {
    let rule = lint::find_rule("ONE100").expect("ONE100 is registered");
    vs.iter()
        .filter(|v| !covered.iter().any(|f| f.severity == Severity::Error && pointer(&f.path) == v.pointer))
        .map(|v| {
            let location = merged.origin(&v.pointer).map(|o| if v.at_key { o.key.clone() } else { o.value.clone() });
            let message = match profile {
                Some(p) => format!("{} (refused by the `{p}` profile)", v.message),
                None => v.message.clone(),
            };
            Finding::new(rule, Severity::Error, dotted(&v.pointer), message, location)
        })
        .collect()
}

fn sorted(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| (&a.location, a.rule_id).cmp(&(&b.location, b.rule_id)));
    findings.dedup();
    findings
}
