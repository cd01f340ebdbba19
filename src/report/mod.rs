//! Rendering findings: one renderer per format (human here; `json`, `sarif`, `github` beside it), separate
//! from the rules that produce them.

pub mod github;
pub mod json;
pub mod sarif;

use std::io::Write;

use crate::lint::{Finding, Rule, Severity};
use crate::source::{self, Location};

/// Prints findings with code frames and a `Found N errors, M warnings` footer. Suppressed findings are only
/// counted.
pub fn human(findings: &[Finding], w: &mut dyn Write) -> std::io::Result<()> {
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    let findings: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    for f in &findings {
        let loc = f.location.as_ref().map_or_else(|| "values".to_string(), Location::to_string);
        writeln!(w, "{loc}: {}[{}]: {} ({})", f.severity.as_str(), f.rule_id, f.message, f.rule_name)?;
        if let Some(l) = &f.location {
            frame(l, w)?;
        }
        writeln!(w, "  = help: {}", f.help)?;
        writeln!(w)?;
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    write!(w, "Found {errors} error{}, {warnings} warning{}", plural(errors), plural(warnings))?;
    if suppressed > 0 {
        write!(w, " ({suppressed} suppressed)")?;
    }
    writeln!(w)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints the source line of a location with a caret under the column.
pub fn frame(l: &Location, w: &mut dyn Write) -> std::io::Result<()> {
    if !l.has_position() {
        return Ok(());
    }
    let Some(src) = source::lookup(&l.file) else {
        return Ok(());
    };
    let Some(line) = src.line_text(l.line) else {
        return Ok(());
    };
    let num = l.line.to_string();
    let pad = " ".repeat(num.len());
    let caret_pad: String =
        line.chars().take(l.column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let width =
        line.chars().skip(l.column.saturating_sub(1)).take_while(|c| !c.is_whitespace() && *c != ':').count().max(1);
    writeln!(w, "{pad} |")?;
    writeln!(w, "{num} | {line}")?;
    writeln!(w, "{pad} | {caret_pad}{}", "^".repeat(width))
}

/// The full explanation of a rule, as `onechart explain` prints it (Markdown).
pub fn explanation(r: &Rule) -> String {
    format!(
        "# {} ({})\n\nSeverity: {}\n\n{}\n\n{}\n## How to fix\n{}\n",
        r.name,
        r.id,
        r.level.describe(),
        r.summary,
        r.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n"),
        r.fix
    )
}
