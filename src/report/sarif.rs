//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it: rule metadata with help text (GitHub shows
//! `help`, not `helpUri`), results with regions, suppressed findings marked `inSource` or `external`.

use serde_json::{Value, json};

use crate::lint::{Finding, Severity, rules};
use crate::report::explanation;
use crate::source::InputError;

/// The SARIF log.
pub fn log(findings: &[Finding], errors: &[InputError]) -> Value {
    log_with(findings, errors, &[])
}

/// The SARIF log, with the values inputs linted and their profiles in the run's property bag
/// (`runs[0].properties.onechart.inputs`, as in the JSON output).
pub fn log_with(findings: &[Finding], errors: &[InputError], inputs: &[super::Linted]) -> Value {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let level = match r.level {
                crate::lint::Level::Warning => "warning",
                _ => "error",
            };
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": format!("{}. {}", r.summary, r.fix)},
                "help": {"text": explanation(r), "markdown": explanation(r)},
                "defaultConfiguration": {"level": level},
                "properties": {"tags": ["opennebula", "kubernetes", "helm"]},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules::ALL.iter().position(|r| r.id == f.rule_id).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule_id,
                "ruleIndex": index,
                "level": if f.severity == Severity::Error { "error" } else { "warning" },
                "message": {"text": format!("{} ({})", f.message, f.help)},
            });
            if let Some(l) = &f.location {
                let mut region = json!({});
                if l.line > 0 {
                    region = json!({"startLine": l.line, "startColumn": l.column.max(1)});
                }
                let mut physical = json!({"artifactLocation": {"uri": uri(&l.file)}});
                if l.line > 0 {
                    physical["region"] = region;
                }
                result["locations"] =
                    json!([{"physicalLocation": physical, "logicalLocations": [{"fullyQualifiedName": f.path}]}]);
            }
            if let Some(reason) = &f.suppressed {
                let kind = if reason.starts_with("--ignore") { "external" } else { "inSource" };
                result["suppressions"] = json!([{"kind": kind, "justification": reason}]);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.location.file)}}}],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "onechart",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {"onechart": {"inputs": inputs}},
        }],
    })
}

/// A relative URI for a file name (SARIF wants URIs; GitHub resolves relative ones against the repository).
fn uri(file: &str) -> String {
    let rel = file.strip_prefix("./").unwrap_or(file);
    rel.replace('\\', "/").replace(' ', "%20")
}
