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
                let mut physical = json!({"artifactLocation": artifact(&l.file)});
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
                "locations": [{"physicalLocation": {"artifactLocation": artifact(&e.location.file)}}],
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
            "originalUriBaseIds": {"%SRCROOT%": {"uri": src_root()}},
            "properties": {"onechart": {"inputs": inputs}},
        }],
    })
}

/// Where a finding is, as SARIF wants it: a file as a URI (an absolute path as a `file://` URI, a relative one
/// relative to `%SRCROOT%`, the directory onechart ran in, which GitHub resolves against the repository); what is
/// not a file (standard input, a `--set` argument, a built-in profile) by its description alone, with no URI.
fn artifact(name: &str) -> Value {
    if !is_file(name) {
        let text = if name == "<stdin>" { "standard input" } else { name };
        return json!({"description": {"text": text}});
    }
    let path = name.strip_prefix("./").unwrap_or(name).replace('\\', "/");
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", percent_encode(&path))})
    } else {
        json!({"uri": percent_encode(&path), "uriBaseId": "%SRCROOT%"})
    }
}

/// True for the name of a file (not `<stdin>`, a command-line value or a built-in profile).
fn is_file(name: &str) -> bool {
    !(name.is_empty()
        || name.starts_with('<')
        || name.starts_with("--")
        || name == "values"
        || crate::profile::is_builtin_source(name))
}

/// RFC 3986: unreserved characters and `/` as they are, every other byte as `%XX`.
fn percent_encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The directory onechart runs in, as a `file://` URI ending in `/` (the base of relative URIs).
fn src_root() -> String {
    let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "/".into());
    let cwd = cwd.trim_end_matches('/');
    format!("file://{}/", percent_encode(cwd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_uris_and_the_rest_descriptions() {
        assert_eq!(artifact("site.yaml"), json!({"uri": "site.yaml", "uriBaseId": "%SRCROOT%"}));
        assert_eq!(artifact("./env/my site.yaml"), json!({"uri": "env/my%20site.yaml", "uriBaseId": "%SRCROOT%"}));
        assert_eq!(artifact("/tmp/a#b/v.yaml"), json!({"uri": "file:///tmp/a%23b/v.yaml"}));
        assert_eq!(artifact("<stdin>"), json!({"description": {"text": "standard input"}}));
        assert_eq!(artifact("--set a=b"), json!({"description": {"text": "--set a=b"}}));
        assert!(artifact("profile ha-raft (built-in)").get("uri").is_none());
    }
}
