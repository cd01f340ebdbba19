//! `--format json`: a stable document (schema version 1, documented in docs/json-output.md).

use serde::Serialize;

use crate::lint::{Finding, Severity};
use crate::source::InputError;

/// The whole document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    /// Version of this document's schema; bumped only on incompatible changes.
    pub schema_version: u32,
    /// `onechart`.
    pub tool: &'static str,
    /// onechart's version.
    pub tool_version: &'static str,
    /// Counts.
    pub summary: Summary,
    /// Findings, sorted by file, line and column.
    pub findings: Vec<JsonFinding<'a>>,
    /// Inputs that could not be read or parsed (exit code 2).
    pub input_errors: Vec<JsonInputError<'a>>,
    /// The values inputs linted, each with the profile used (added in onechart 0.1: additive).
    pub inputs: &'a [super::Linted],
}

impl<'a> Report<'a> {
    /// With the values inputs linted and their profiles.
    pub fn with_inputs(mut self, inputs: &'a [super::Linted]) -> Self {
        self.inputs = inputs;
        self
    }
}

/// Counts of unsuppressed errors and warnings, and of suppressed findings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Unsuppressed errors.
    pub errors: usize,
    /// Unsuppressed warnings.
    pub warnings: usize,
    /// Suppressed findings.
    pub suppressed: usize,
    /// Custom resources and CustomResourceDefinitions read from `--manifests` but not checked.
    pub not_checked: usize,
}

/// One finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonFinding<'a> {
    /// `ONE001`.
    pub rule_id: &'a str,
    /// `sqlite-in-production`.
    pub rule_name: &'a str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: &'a str,
    /// Dotted values path, or the Kubernetes object in manifest mode.
    pub path: &'a str,
    /// File, or `null`.
    pub file: Option<&'a str>,
    /// 1-based line, or `null`.
    pub line: Option<usize>,
    /// 1-based column, or `null`.
    pub column: Option<usize>,
    /// How to fix it.
    pub help: &'a str,
    /// True when suppressed.
    pub suppressed: bool,
    /// Why, when suppressed.
    pub suppression_reason: Option<&'a str>,
}

/// An input error.
#[derive(Debug, Serialize)]
pub struct JsonInputError<'a> {
    /// File (or `--set ...`).
    pub file: &'a str,
    /// 1-based line, or `null`.
    pub line: Option<usize>,
    /// 1-based column, or `null`.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: &'a str,
}

/// Builds the document.
pub fn report<'a>(findings: &'a [Finding], errors: &'a [InputError]) -> Report<'a> {
    report_with(findings, errors, 0)
}

/// Builds the document, with the number of custom resources read but not checked.
pub fn report_with<'a>(findings: &'a [Finding], errors: &'a [InputError], not_checked: usize) -> Report<'a> {
    let active = findings.iter().filter(|f| f.suppressed.is_none());
    let summary = Summary {
        errors: active.clone().filter(|f| f.severity == Severity::Error).count(),
        warnings: active.filter(|f| f.severity == Severity::Warning).count(),
        suppressed: findings.iter().filter(|f| f.suppressed.is_some()).count(),
        not_checked,
    };
    let pos = |n: usize| (n > 0).then_some(n);
    Report {
        schema_version: 1,
        tool: "onechart",
        tool_version: env!("CARGO_PKG_VERSION"),
        summary,
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                rule_id: f.rule_id,
                rule_name: f.rule_name,
                severity: f.severity,
                message: &f.message,
                path: &f.path,
                file: f.location.as_ref().map(|l| l.file.as_str()),
                line: f.location.as_ref().and_then(|l| pos(l.line)),
                column: f.location.as_ref().and_then(|l| pos(l.column)),
                help: f.help,
                suppressed: f.suppressed.is_some(),
                suppression_reason: f.suppressed.as_deref(),
            })
            .collect(),
        input_errors: errors
            .iter()
            .map(|e| JsonInputError {
                file: &e.location.file,
                line: pos(e.location.line),
                column: pos(e.location.column),
                message: &e.message,
            })
            .collect(),
        inputs: &[],
    }
}
