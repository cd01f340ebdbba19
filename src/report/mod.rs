//! Rendering findings: one renderer per format (human here; `json`, `sarif`, `github` beside it), separate
//! from the rules that produce them.

pub mod github;
pub mod json;
pub mod sarif;

use std::io::Write;

use crate::lint::{Finding, Rule, Severity};
use crate::source::Location;

/// What one values input was linted as: its layers and the profile used, and why (human, JSON and SARIF output
/// say it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Linted {
    /// The values files, in layering order (for a chart directory, its values.yaml).
    pub values: Vec<String>,
    /// `--set` values layered over them.
    pub set: Vec<String>,
    /// The environment of the project file, with `--project`.
    pub environment: Option<String>,
    /// The profile's name.
    pub profile: String,
    /// `flag` (`--profile` or the project file), `key` (a file's `profile:`) or `default`.
    pub profile_from: &'static str,
    /// Why, in words.
    #[serde(skip)]
    pub reason: String,
}

impl std::fmt::Display for Linted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut what: Vec<String> = self.values.clone();
        what.extend(self.set.iter().map(|s| format!("--set {s}")));
        let what = if what.is_empty() { "the profile alone".to_string() } else { what.join(" + ") };
        match &self.environment {
            Some(env) => write!(f, "environment {env} ({what}): profile {} ({})", self.profile, self.reason),
            None => write!(f, "{what}: profile {} ({})", self.profile, self.reason),
        }
    }
}

/// Whether human output should be coloured by default: on a terminal, unless `NO_COLOR` is set.
pub fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub use crate::source::printable;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// Prints findings with code frames and a `Found N errors, M warnings` footer. Suppressed findings are only
/// counted.
pub fn human(findings: &[Finding], w: &mut dyn Write) -> std::io::Result<()> {
    human_styled(findings, w, false)
}

/// Like [`human`], with ANSI colours when `color` is set.
pub fn human_styled(findings: &[Finding], w: &mut dyn Write, color: bool) -> std::io::Result<()> {
    human_with(findings, w, &HumanOptions { color, summary: true, not_checked: 0, unreadable: 0, inputs: &[] })
}

/// How [`human_with`] prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions<'a> {
    /// ANSI colours.
    pub color: bool,
    /// The `Found N errors, M warnings` line (off with `--quiet`).
    pub summary: bool,
    /// Custom resources and CRDs read but not checked (manifest mode), counted in the summary.
    pub not_checked: usize,
    /// Kubernetes objects with a wrongly typed field, not checked (manifest mode; one note each on stderr).
    pub unreadable: usize,
    /// The values inputs and the profile each was linted as, one line each before the summary.
    pub inputs: &'a [Linted],
}

/// Prints findings with code frames and, unless turned off, a summary line.
pub fn human_with(findings: &[Finding], w: &mut dyn Write, opts: &HumanOptions) -> std::io::Result<()> {
    let color = opts.color;
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    let findings: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    for f in &findings {
        let loc = f.location.as_ref().map_or_else(|| "values".to_string(), |l| printable(&l.to_string()).into_owned());
        let label = format!("{}[{}]", f.severity.as_str(), f.rule_id);
        let label = paint(&label, if f.severity == Severity::Error { "1;31" } else { "1;33" }, color);
        writeln!(w, "{}: {label}: {} ({})", paint(&loc, "1", color), printable(&f.message), f.rule_name)?;
        if let Some(l) = &f.location {
            frame(l, w)?;
        }
        writeln!(w, "  = help: {}", f.help)?;
        writeln!(w)?;
    }
    if !opts.summary {
        return Ok(());
    }
    for l in opts.inputs {
        // File names, `--set` values and environment names from the command line or a project file.
        writeln!(w, "{}", printable(&l.to_string()))?;
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    write!(w, "Found {errors} error{}, {warnings} warning{}", plural(errors), plural(warnings))?;
    let mut notes = Vec::new();
    if suppressed > 0 {
        notes.push(format!("{suppressed} suppressed"));
    }
    if opts.not_checked > 0 {
        let n = opts.not_checked;
        notes.push(format!("{n} custom resource{} or CRD{} not checked", plural(n), plural(n)));
    }
    if opts.unreadable > 0 {
        let n = opts.unreadable;
        notes.push(format!("{n} object{} with a wrongly typed field not checked", plural(n)));
    }
    if !notes.is_empty() {
        write!(w, " ({})", notes.join("; "))?;
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
    // The location carries the file it is in; one without it (a `--set` value, a built-in profile) has no frame.
    let Some(line) = l.line_text() else {
        return Ok(());
    };
    let num = l.line.to_string();
    let pad = " ".repeat(num.len());
    // Escaped characters are wider than one column: the caret follows the escaped text.
    let before: String = line.chars().take(l.column.saturating_sub(1)).collect();
    let caret_pad: String = printable(&before).chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let rest: String = line.chars().skip(l.column.saturating_sub(1)).collect();
    let token = yaml_token(&rest, in_flow(&before));
    let width = printable(token).chars().count().max(1);
    writeln!(w, "{pad} |")?;
    writeln!(w, "{num} | {}", printable(line))?;
    writeln!(w, "{pad} | {caret_pad}{}", "^".repeat(width))
}

/// Whether a column whose line starts with `before` is inside a flow collection (`{a: 1, b: 2}`, `[1, 2]`)
/// opened on that line: more `[`/`{` than `]`/`}` outside quotes.
fn in_flow(before: &str) -> bool {
    let (mut depth, mut quote) = (0usize, None::<char>);
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some('\''), '\'') if chars.peek() == Some(&'\'') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, '#') => break,
            _ => {}
        }
    }
    depth > 0
}

/// The YAML node that starts `rest`, on its line: a quoted scalar to its closing quote, a flow collection to its
/// closing bracket, a plain scalar to `: `, whitespace, the end of the line or, inside a flow collection, to the
/// next `,`, `]` or `}` (the caret then covers `1`, not `1,`, under `{a: 1, b: 2}`).
fn yaml_token(rest: &str, flow: bool) -> &str {
    let end = |i: usize| &rest[..i];
    let mut it = rest.char_indices().peekable();
    match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            it.next();
            while let Some((i, c)) = it.next() {
                match c {
                    '\\' if q == '"' => {
                        it.next();
                    }
                    '\'' if q == '\'' && it.peek().map(|p| p.1) == Some('\'') => {
                        it.next();
                    }
                    c if c == q => return end(i + c.len_utf8()),
                    _ => {}
                }
            }
            rest.trim_end()
        }
        Some('[' | '{') => {
            let (mut depth, mut quote) = (0usize, None::<char>);
            while let Some((i, c)) = it.next() {
                match (quote, c) {
                    (Some('"'), '\\') => {
                        it.next();
                    }
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, '[' | '{') => depth += 1,
                    (None, ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            return end(i + 1);
                        }
                    }
                    _ => {}
                }
            }
            rest.trim_end()
        }
        // A plain scalar stops at whitespace too: a position inside a block scalar (oned.conf text in a
        // ConfigMap, `DB = [ ... ]`) is one word, not the rest of its line.
        _ => {
            while let Some((i, c)) = it.next() {
                let next = it.peek().map(|p| p.1);
                let ends_key = c == ':'
                    && (next.is_none_or(char::is_whitespace) || (flow && matches!(next, Some(',' | ']' | '}'))));
                if ends_key || c.is_whitespace() || (flow && matches!(c, ',' | ']' | '}')) {
                    return end(i);
                }
            }
            rest
        }
    }
}

/// The full explanation of a rule, as `onechart explain` prints it (Markdown).
pub fn explanation(r: &Rule) -> String {
    format!(
        "# {} ({})\n\nSeverity: {}\n\nChecks: {}\n\n{}\n\n{}\n\n## How to fix\n{}\n{}",
        r.name,
        r.id,
        r.level.describe(),
        r.scope(),
        r.summary,
        r.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n"),
        r.fix,
        match r.manifest_fix {
            Some(f) if !r.manifests_only => format!("\nIn rendered manifests: {f}\n"),
            _ => String::new(),
        }
    )
}

/// The whole catalogue as Markdown (docs/rules.md is this output; a test keeps it current).
pub fn rules_markdown() -> String {
    let mut md = String::from(
        "# onechart rules\n\n<!-- Generated by `onechart rules --format markdown`; do not edit. -->\n\n\
         Suppress a finding with `# onechart:ignore ID reason` on its line or the line above (the reason is \
         required), or with `--ignore ID`. *Checks* says whether a rule reads values files, rendered manifests \
         (`onechart lint --manifests`), or both; each rule's *In rendered manifests* section says what it looks for \
         there, or why the pitfall cannot be seen after rendering.\n\n| ID | name | severity | checks | summary |\n|---|---|---|---|---|\n",
    );
    for r in crate::lint::rules::ALL {
        md.push_str(&format!(
            "| [{id}](#{anchor}) | `{}` | {} | {} | {} |\n",
            r.name,
            r.level.describe(),
            r.scope(),
            r.summary,
            id = r.id,
            anchor = r.id.to_lowercase()
        ));
    }
    for r in crate::lint::rules::ALL {
        md.push_str(&format!("\n<a id=\"{}\"></a>\n\n", r.id.to_lowercase()));
        md.push_str(&explanation(r).replacen("# ", "## ", 1).replace("\n## ", "\n### "));
    }
    md
}
