//! Suppressions with accountability: `# onechart:ignore ONE014 reason` on the offending line or the line above,
//! `# onechart:waive ONE017 reason` anywhere in an input (the rule is waived in every input of the run: the line
//! a chart generated with a waived rule renders into its stream), and `--ignore ID` on the command line. A
//! suppressed finding stays in the results, marked with its reason; a suppression without a reason does not
//! apply and is itself a finding (ONE103).

use std::sync::Arc;

use crate::lint::{Finding, Severity, find_rule};
use crate::source::{Location, SourceFile};

const MARKER: &str = "onechart:ignore";
const WAIVE: &str = "onechart:waive";

/// One `# onechart:ignore` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Where the comment is.
    pub location: Location,
    /// Rule IDs it names (names are resolved to IDs).
    pub ids: Vec<String>,
    /// The reason, if given.
    pub reason: Option<String>,
    /// True when the comment is alone on its line (it then covers the next line).
    pub own_line: bool,
    /// True for `# onechart:waive`: it covers every input of the run, not a line.
    pub waive: bool,
}

/// Finds the directives of a file.
pub fn directives(source: &Arc<SourceFile>) -> Vec<Directive> {
    let mut out = Vec::new();
    for (i, line) in source.text.lines().enumerate() {
        let Some(hash) = comment_start(line) else { continue };
        let comment = line[hash + 1..].trim_start();
        let (rest, waive) = match (comment.strip_prefix(MARKER), comment.strip_prefix(WAIVE)) {
            (Some(rest), _) => (rest, false),
            (None, Some(rest)) => (rest, true),
            (None, None) => continue,
        };
        let mut ids = Vec::new();
        let mut words = rest.split_whitespace().peekable();
        while let Some(w) = words.peek() {
            let candidates: Vec<&str> = w.split(',').filter(|s| !s.is_empty()).collect();
            let resolved: Vec<String> =
                candidates.iter().filter_map(|c| find_rule(c).map(|r| r.id.to_string())).collect();
            if resolved.is_empty() || resolved.len() != candidates.len() {
                break;
            }
            ids.extend(resolved);
            words.next();
        }
        let reason: String = words.collect::<Vec<_>>().join(" ");
        let column = line[..hash].chars().count() + 1;
        out.push(Directive {
            location: Location::in_source(source, i + 1, column),
            ids,
            reason: (!reason.is_empty()).then_some(reason),
            own_line: line[..hash].trim().is_empty(),
            waive,
        });
    }
    out
}

/// The byte offset of a `#` that starts a YAML comment (not inside quotes).
fn comment_start(line: &str) -> Option<usize> {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '#' if !single && !double && (i == 0 || prev.is_whitespace()) => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

/// Marks findings covered by a directive or an `--ignore`, and returns ONE103 findings for directives without
/// a reason.
pub fn apply(findings: &mut [Finding], sources: &[Arc<SourceFile>], cli_ignores: &[String]) -> Vec<Finding> {
    let all: Vec<Directive> = sources.iter().flat_map(directives).collect();
    // A waiver covers every input; a line directive its line (and the next, on a line of its own): a lookup per
    // finding, not a scan of every directive (99,000 directives and findings in one file stay linear).
    let waivers: Vec<&Directive> = all.iter().filter(|d| d.waive).collect();
    let mut by_line: std::collections::HashMap<(&str, usize), Vec<&Directive>> = std::collections::HashMap::new();
    for d in all.iter().filter(|d| !d.waive) {
        by_line.entry((d.location.file.as_str(), d.location.line)).or_default().push(d);
        if d.own_line {
            by_line.entry((d.location.file.as_str(), d.location.line + 1)).or_default().push(d);
        }
    }
    for f in findings.iter_mut() {
        if let Some(i) = cli_ignores.iter().find(|i| find_rule(i).is_some_and(|r| r.id == f.rule_id)) {
            f.suppressed = Some(format!("--ignore {i}"));
            continue;
        }
        let Some(loc) = &f.location else { continue };
        let covering = by_line
            .get(&(loc.file.as_str(), loc.line))
            .into_iter()
            .flatten()
            .chain(waivers.iter())
            .find(|d| d.ids.iter().any(|id| id == f.rule_id));
        if let Some(d) = covering
            && let Some(reason) = &d.reason
        {
            f.suppressed = Some(reason.clone());
        }
    }
    let rule = find_rule("ONE103").expect("ONE103 is registered");
    all.into_iter()
        .filter(|d| d.reason.is_none() || d.ids.is_empty())
        .map(|d| {
            let marker = if d.waive { WAIVE } else { MARKER };
            let message = if d.ids.is_empty() {
                format!("`# {marker}` names no known rule ID or name")
            } else {
                format!("`# {marker} {}` gives no reason, so it does not apply", d.ids.join(","))
            };
            Finding::new(rule, Severity::Warning, String::new(), message, Some(d.location))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_names_and_reasons() {
        let src = SourceFile::from_text(
            "s.yaml",
            "a: 1 # onechart:ignore ONE014,privileged-container nodes lack AppArmor\n# onechart:ignore ONE016\nb: \"#x\" # not a directive\n",
        );
        let d = directives(&src);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].ids, ["ONE014", "ONE015"]);
        assert_eq!(d[0].reason.as_deref(), Some("nodes lack AppArmor"));
        assert!(!d[0].own_line);
        assert_eq!(d[1].ids, ["ONE016"]);
        assert_eq!(d[1].reason, None);
        assert!(d[1].own_line);
        assert_eq!(d[0].location.to_string(), "s.yaml:1:6");
        let w = directives(&SourceFile::from_text("r.yaml", "# onechart:waive ONE017 storage snapshots\nkind: X\n"));
        assert!(w[0].waive && w[0].ids == ["ONE017"]);
    }
}
