//! The pitfall linter: a registry of rules, one file per rule, each declared with its documentation.
//!
//! Rules read the merged values (profile defaults, user files, `--set`): the raw JSON, and the typed model once
//! the values pass the schema. A rule reports hits by JSON pointer; the engine turns them into findings with
//! the severity for the environment and the `file:line:column` of whoever set the value.

pub mod install;
pub mod rules;
pub mod suppress;

use serde::Serialize;
use serde_json::Value;

use crate::layers::Merged;
use crate::manifest::ctx::Reads;
use crate::manifest::deploy::{Found, ServicePort};
use crate::manifest::{Manifest, ManifestCtx};
use crate::model::{Environment, Values};
use crate::pointer::dotted;
use crate::source::Location;
use crate::yaml::QuirkAt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails `onechart lint` and `onechart generate` (exit 1).
    Error,
    /// Reported; fails only with `--deny-warnings`.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A rule's default severity and how the environment changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Always an error.
    Error,
    /// Always a warning.
    Warning,
    /// An error in production, a warning in development.
    ErrorInProduction,
    /// An error in production, not reported in development.
    OnlyInProduction,
}

impl Level {
    /// The severity in an environment, or `None` when the rule does not apply there.
    pub fn severity(self, env: Environment) -> Option<Severity> {
        match (self, env) {
            (Level::Error, _) | (Level::ErrorInProduction | Level::OnlyInProduction, Environment::Production) => {
                Some(Severity::Error)
            }
            (Level::Warning, _) | (Level::ErrorInProduction, Environment::Development) => Some(Severity::Warning),
            (Level::OnlyInProduction, Environment::Development) => None,
        }
    }

    /// How the catalogue describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::ErrorInProduction => "error in production, warning in development",
            Level::OnlyInProduction => "error in production",
        }
    }
}

/// What a rule sees.
pub struct Ctx<'a> {
    /// Merged values as JSON (always present).
    pub raw: &'a Value,
    /// Typed values (present when the values pass the schema).
    pub values: Option<&'a Values>,
    /// Provenance of every merged value.
    pub merged: &'a Merged,
    /// YAML quirks (duplicate keys, ambiguous scalars) of the user's files, with the file each is in.
    pub quirks: &'a [(std::sync::Arc<crate::source::SourceFile>, QuirkAt)],
}

impl Ctx<'_> {
    /// True when the value at `pointer` was set by a profile or values file, not by onechart's defaults.
    pub fn explicitly_set(&self, pointer: &str) -> bool {
        self.merged.origins.get(pointer).is_some_and(|o| o.value.file != crate::profile::DEFAULTS_SOURCE)
    }
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// Lowercase message naming the values path, no trailing period.
    pub message: String,
    /// An explicit location; by default the location of whoever set the value at `pointer`.
    pub location: Option<Location>,
    /// A severity below the rule's, for a lesser form of its problem (ONE059 warns where the values run OneKS
    /// but cut its transparent proxy off); by default the rule's severity in the values' environment.
    pub severity: Option<Severity>,
}

impl Hit {
    /// A hit at a dotted path.
    pub fn at(path: &str, message: impl Into<String>) -> Hit {
        Hit { pointer: crate::pointer::pointer(path), message: message.into(), location: None, severity: None }
    }

    /// A hit at a JSON pointer.
    pub fn at_pointer(pointer: String, message: impl Into<String>) -> Hit {
        Hit { pointer, message: message.into(), location: None, severity: None }
    }

    /// A warning, whatever the rule's level says.
    pub fn warning(mut self) -> Hit {
        self.severity = Some(Severity::Warning);
        self
    }
}

/// The check of rules whose findings the engine itself produces (schema violations, suppressions).
pub fn reported_by_engine(_: &Ctx<'_>) -> Vec<Hit> {
    Vec::new()
}

/// The manifest check of rules whose findings the engine itself produces in manifest mode too (suppressions).
pub fn reported_by_engine_in_manifests(_: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    Vec::new()
}

/// A lint rule. Declared with [`declare_rule!`], one per file in `rules/`.
pub struct Rule {
    /// Stable ID, `ONEnnn`.
    pub id: &'static str,
    /// Kebab-case name of the bad pattern.
    pub name: &'static str,
    /// Default severity and how the environment changes it.
    pub level: Level,
    /// One-line summary.
    pub summary: &'static str,
    /// One sentence saying how to fix it, ending with a period.
    pub fix: &'static str,
    /// Full documentation: What it does / Why is this bad? / Example / Use instead.
    pub docs: &'static str,
    /// Checks merged values.
    pub check: fn(&Ctx<'_>) -> Vec<Hit>,
    /// Checks rendered manifests (`lint --manifests`), for the rules that can see something there.
    pub manifests: Option<ManifestCheck>,
    /// The kinds of object the manifest check reads: it runs only on a stream that has one of them.
    pub reads: &'static [Reads],
    /// How to fix a finding in rendered manifests, in a foreign chart's terms (defaults to `fix`).
    pub manifest_fix: Option<&'static str>,
    /// True for rules that only check rendered manifests (their values check finds nothing).
    pub manifests_only: bool,
    /// What the generated chart refuses at install time (`_validate.tpl`, and under a profile's envelope the
    /// schema), declared once here.
    pub install: Option<install::Install>,
}

impl Rule {
    /// The help of a finding in rendered manifests.
    pub fn manifest_help(&self) -> &'static str {
        self.manifest_fix.unwrap_or(self.fix)
    }

    /// What the rule checks: `values`, `values, manifests` or `manifests`.
    pub fn scope(&self) -> &'static str {
        match (self.manifests.is_some(), self.manifests_only) {
            (false, _) => "values",
            (true, false) => "values, manifests",
            (true, true) => "manifests",
        }
    }
}

/// The values check of a rule that only checks rendered manifests.
pub fn manifests_only(_: &Ctx<'_>) -> Vec<Hit> {
    Vec::new()
}

/// A rule's check of rendered manifests: it reads the stream's analysis, built once per run.
pub type ManifestCheck = fn(&ManifestCtx<'_>) -> Vec<ManifestHit>;

/// A problem found in a rendered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHit {
    /// Index of the object in the stream.
    pub object: usize,
    /// JSON pointer inside the object.
    pub pointer: String,
    /// Lowercase message, no trailing period.
    pub message: String,
    /// The severity, when what the stream shows (replicas, exposure) decides it; else the rule's production
    /// severity.
    pub severity: Option<Severity>,
    /// An explicit location (inside an embedded configuration file); else the location of `pointer`.
    pub location: Option<Location>,
}

impl ManifestHit {
    /// A hit at a pointer of an object, with the rule's severity.
    pub fn new(object: usize, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        ManifestHit { object, pointer: pointer.into(), message: message.into(), severity: None, location: None }
    }

    /// With a severity decided by what the stream shows.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// At an explicit location.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }
}

/// A hit at a value a manifest check found (an environment variable, a key, a line inside an embedded file): the
/// message is made with the note that names the line inside a decoded text, when the location cannot.
pub fn hit_at(d: &ManifestCtx<'_>, found: &Found, message: impl FnOnce(&str) -> String) -> ManifestHit {
    let (object, pointer, location, note) = d.locate(found);
    ManifestHit::new(object, pointer, message(&note)).at(location)
}

/// Declares a rule: the `///` doc comment is the rule's user-facing documentation (clippy's model).
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $NAME:ident = {
            id: $id:literal,
            name: $name:literal,
            level: $level:ident,
            summary: $summary:literal,
            fix: $fix:literal,
            check: $check:path
            $(, manifests: $manifests:path, reads: [$($reads:ident),* $(,)?])?
            $(, manifest_fix: $manifest_fix:literal)?
            $(, manifests_only: $manifests_only:literal)?
            $(, install: $install:expr)? $(,)?
        }
    ) => {
        $vis static $NAME: $crate::lint::Rule = $crate::lint::Rule {
            id: $id,
            name: $name,
            level: $crate::lint::Level::$level,
            summary: $summary,
            fix: $fix,
            docs: concat!($($doc, "\n"),*),
            check: $check,
            manifests: $crate::lint::optional_check!($($manifests)?),
            reads: &[$($($crate::manifest::ctx::Reads::$reads),*)?],
            manifest_fix: $crate::lint::optional_fix!($($manifest_fix)?),
            manifests_only: $crate::lint::optional_flag!($($manifests_only)?),
            install: $crate::lint::optional_install!($($install)?),
        };
    };
}

/// A published Service port must be the port the daemon listens on and advertises: the container port it
/// reaches, and its node port when it has one. Hits for `what` (`monitord`, `noVNC`) at Service object `object`.
pub fn published_port_hits(object: usize, p: &ServicePort, what: &str) -> Vec<ManifestHit> {
    let mut hits = Vec::new();
    if let Some(cp) = p.container_port.filter(|cp| *cp != p.port) {
        hits.push(ManifestHit::new(
            object,
            format!("/spec/ports/{}/port", p.index),
            format!("{what} is published on port {} but listens on and advertises container port {cp}", p.port),
        ));
    }
    if let Some(np) = p.node_port.filter(|np| *np != p.port) {
        hits.push(ManifestHit::new(
            object,
            format!("/spec/ports/{}/nodePort", p.index),
            format!("{what} node port {np} differs from the port {} it advertises", p.port),
        ));
    }
    hits
}

/// `Some(check)` or `None` (helper of [`declare_rule!`]).
#[macro_export]
#[doc(hidden)]
macro_rules! optional_check {
    () => {
        None
    };
    ($p:path) => {
        Some($p)
    };
}
pub use optional_check;

/// `Some(text)` or `None` (helper of [`declare_rule!`]).
#[macro_export]
#[doc(hidden)]
macro_rules! optional_fix {
    () => {
        None
    };
    ($t:literal) => {
        Some($t)
    };
}
pub use optional_fix;

/// `Some(install)` or `None` (helper of [`declare_rule!`]).
#[macro_export]
#[doc(hidden)]
macro_rules! optional_install {
    () => {
        None
    };
    ($i:expr) => {
        Some($i)
    };
}
pub use optional_install;

/// The flag given, or `false` (helper of [`declare_rule!`]).
#[macro_export]
#[doc(hidden)]
macro_rules! optional_flag {
    () => {
        false
    };
    ($t:literal) => {
        $t
    };
}
pub use optional_flag;

/// Runs the manifest checks of every rule over rendered objects: the stream is analysed once ([`ManifestCtx`])
/// and each rule whose kinds the stream has reads that analysis. A hit's severity is what the stream shows
/// (replicas, exposure) when the rule decides it, else the rule's production level: a rendered chart is what
/// gets installed. Only objects of the OpenNebula deployment get findings (a chart that is not OpenNebula gets
/// none); custom resources are never checked.
pub fn check_manifests(objects: &[Manifest]) -> Vec<Finding> {
    let ctx = ManifestCtx::new(objects);
    let mut out = Vec::new();
    for rule in rules::ALL {
        let (Some(check), Some(default)) = (rule.manifests, rule.level.severity(Environment::Production)) else {
            continue;
        };
        if !rule.reads.iter().any(|r| ctx.has(*r)) {
            continue;
        }
        for hit in check(&ctx) {
            let obj = &objects[hit.object];
            if obj.custom || !ctx.in_scope(hit.object) {
                continue;
            }
            let path = format!("{} {}", obj.id(), dotted(&hit.pointer));
            let location = hit.location.unwrap_or_else(|| obj.location(&hit.pointer));
            let mut f = Finding::new(rule, hit.severity.unwrap_or(default), path, hit.message, Some(location));
            f.help = rule.manifest_help();
            out.push(f);
        }
    }
    out
}

/// What every lint run does with its findings, in this one place: the suppressions (`# onechart:ignore`,
/// `# onechart:waive`, `--ignore`) marked, ONE103 added for those without a reason, then [`sort`].
pub fn finish(
    mut findings: Vec<Finding>,
    sources: &[std::sync::Arc<crate::source::SourceFile>],
    ignores: &[String],
) -> Vec<Finding> {
    let extra = suppress::apply(&mut findings, sources, ignores);
    findings.extend(extra);
    sort(findings)
}

/// Findings in report order (by place, then rule, then message), each once.
pub fn sort(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| (&a.location, a.rule_id, &a.message).cmp(&(&b.location, b.rule_id, &b.message)));
    findings.dedup();
    findings
}

/// A finding: a rule hit with its severity and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule ID.
    pub rule_id: &'static str,
    /// Rule name.
    pub rule_name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Message.
    pub message: String,
    /// Dotted values path.
    pub path: String,
    /// Where the offending value was set.
    pub location: Option<Location>,
    /// How to fix it.
    pub help: &'static str,
    /// Why it is suppressed, when an inline `# onechart:ignore` or `--ignore` covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

impl Finding {
    /// A finding of `rule` with its severity in `env`.
    pub fn new(
        rule: &'static Rule,
        severity: Severity,
        path: String,
        message: String,
        location: Option<Location>,
    ) -> Self {
        Finding {
            rule_id: rule.id,
            rule_name: rule.name,
            severity,
            message,
            path,
            location,
            help: rule.fix,
            suppressed: None,
        }
    }
}

/// The environment of merged values.
pub fn environment(raw: &Value) -> Environment {
    match raw.get("environment").and_then(Value::as_str) {
        Some("production") => Environment::Production,
        _ => Environment::Development,
    }
}

/// Finds a rule by ID (`ONE004`) or name (`monitor-address-auto-in-ha`), case-insensitively.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    rules::ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// Runs every rule over merged values.
pub fn check_values(ctx: &Ctx<'_>) -> Vec<Finding> {
    let env = environment(ctx.raw);
    let mut out = Vec::new();
    for rule in rules::ALL {
        let Some(severity) = rule.level.severity(env) else { continue };
        for hit in (rule.check)(ctx) {
            let location = hit.location.or_else(|| ctx.merged.origin(&hit.pointer).map(|o| o.value.clone()));
            // A hit only ever lowers its rule's severity (a warning hit of an error rule is a warning).
            let severity = if hit.severity == Some(Severity::Warning) { Severity::Warning } else { severity };
            out.push(Finding::new(rule, severity, dotted(&hit.pointer), hit.message, location));
        }
    }
    out
}
