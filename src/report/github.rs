//! `--format github`: GitHub Actions workflow commands, one annotation per unsuppressed finding.

use std::io::Write;

use crate::lint::{Finding, Severity};
use crate::source::InputError;

/// Writes `::error file=F,line=L,col=C,title=ID name::message` lines.
pub fn write(findings: &[Finding], errors: &[InputError], w: &mut dyn Write) -> std::io::Result<()> {
    for e in errors {
        writeln!(w, "::error {}::{}", props(&e.location, "input error"), escape_data(&e.message))?;
    }
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let level = if f.severity == Severity::Error { "error" } else { "warning" };
        let title = format!("{} {}", f.rule_id, f.rule_name);
        let props = f.location.as_ref().map_or_else(|| format!("title={}", escape_prop(&title)), |l| props(l, &title));
        writeln!(w, "::{level} {props}::{}", escape_data(&format!("{} ({})", f.message, f.help)))?;
    }
    Ok(())
}

fn props(l: &crate::source::Location, title: &str) -> String {
    let mut p = format!("file={}", escape_prop(&l.file));
    if l.line > 0 {
        p.push_str(&format!(",line={},col={}", l.line, l.column));
    }
    p.push_str(&format!(",title={}", escape_prop(title)));
    p
}

/// GitHub's own encoding of a workflow command's data (`%` first, then CR and LF, so that no `%0A` is encoded
/// twice), then every other control character shown escaped: the log is read in a terminal too, and an ESC from
/// a values file must not reach it raw. [`crate::source::printable`] adds no `%`, so the order is safe.
fn escape_data(s: &str) -> String {
    let github = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    crate::source::printable(&github).into_owned()
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
