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

use crate::layers::{Layer, Merged, parse_set};
use crate::lint::{self, Ctx, Finding, Severity};
use crate::model::{OneVersion, Values};
use crate::profile::Profile;
use crate::schema::{self, Violation};
use crate::source::{InputError, Location};

/// What the user asked to compile.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Built-in profile name or path.
    pub profile: String,
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
}

/// Why compilation stopped.
#[derive(Debug)]
pub enum Failure {
    /// Unreadable or malformed input, unknown keys, wrong types, missing site values: exit 2.
    Input(Vec<InputError>),
    /// Values rejected by lint errors: exit 1.
    Rejected(Vec<Finding>),
}

/// Compiles a request.
pub fn compile(req: &Request) -> Result<Compiled, Failure> {
    let profile = Profile::load(&req.profile).map_err(|e| Failure::Input(vec![e]))?;
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
    let merged = Merged::from_layers([&profile.defaults, &profile.layer].into_iter().chain(layers.iter()));
    compile_merged(profile, merged)
}

/// Compiles already merged values (also used by `lint`).
pub fn compile_merged(profile: Profile, merged: Merged) -> Result<Compiled, Failure> {
    // Findings of rules that read raw values (like ONE024 on `database.backend: postgresql`) replace the bare
    // schema message for the same value.
    let raw_findings = lint::check_values(&Ctx { raw: &merged.value, values: None, merged: &merged });
    let base = schema::values_schema(crate::profile::Envelope { production: false, ha: false }, None);
    let structural: Vec<InputError> = schema::validate(&base, &merged.value)
        .into_iter()
        .filter(|v| !raw_findings.iter().any(|f| crate::layers::pointer(&f.path) == v.pointer))
        .map(|v| violation_error(&merged, &v))
        .collect();
    if !structural.is_empty() {
        if raw_findings.iter().any(|f| f.severity == Severity::Error) {
            return Err(Failure::Rejected(raw_findings));
        }
        return Err(Failure::Input(structural));
    }
    let values: Values = match serde_json::from_value(merged.value.clone()) {
        Ok(v) => v,
        Err(e) => {
            return Err(Failure::Input(vec![InputError::new(
                Location::file("values"),
                format!("values do not match the model: {e}"),
            )]));
        }
    };
    let missing = profile.missing_site_values(&merged);
    if !missing.is_empty() {
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
    let mut findings = lint::check_values(&Ctx { raw: &merged.value, values: Some(&values), merged: &merged });
    let version = values.opennebula.version;
    let chart_schema = schema::values_schema(profile.envelope(), Some(version));
    for v in schema::validate(&chart_schema, &merged.value) {
        if findings.iter().any(|f| crate::layers::pointer(&f.path) == v.pointer) {
            continue;
        }
        let e = violation_error(&merged, &v);
        findings.push(Finding {
            rule_id: "ONE100",
            rule_name: "profile-envelope",
            severity: Severity::Error,
            message: format!("{} (refused by the `{}` profile)", v.message, profile.name),
            path: crate::layers::dotted(&v.pointer),
            location: Some(e.location),
            help: "Keep the value inside the profile's safety envelope, or generate from another profile.",
        });
    }
    findings.sort_by(|a, b| (&a.location, a.rule_id).cmp(&(&b.location, b.rule_id)));
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(Failure::Rejected(findings));
    }
    Ok(Compiled { profile, merged, values, schema: chart_schema, findings })
}

/// The OpenNebula version of compiled values.
pub fn version(c: &Compiled) -> OneVersion {
    c.values.opennebula.version
}

fn violation_error(merged: &Merged, v: &Violation) -> InputError {
    let location = merged
        .origin(&v.pointer)
        .map(|o| if v.at_key { o.key.clone() } else { o.value.clone() })
        .unwrap_or_else(|| Location::file("values"));
    InputError::new(location, v.message.clone())
}
