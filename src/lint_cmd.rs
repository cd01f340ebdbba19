//! `onechart lint`: values files merged over their profile, checked by the schema and the rules.

use std::io::{Read, Write};
use std::path::Path;

use crate::cli::{Format, LintArgs};
use crate::commands::{FINDINGS, INPUT, OK, Style};
use crate::compile::{self, Failure};
use crate::layers::{Layer, Merged};
use crate::lint::{Finding, Severity};
use crate::profile::{DEFAULT_PROFILE, Profile};
use crate::report;

/// Runs `onechart lint`.
pub fn lint(args: &LintArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    if args.inputs.is_empty() && args.manifests.is_none() {
        writeln!(err, "error: nothing to lint: give values files or chart directories, or --manifests FILE")?;
        return Ok(INPUT);
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut input_errors = Vec::new();
    for input in &args.inputs {
        match lint_values(input, args.profile.as_deref(), &args.ignore) {
            Ok(f) => findings.extend(f),
            Err(e) => input_errors.extend(e),
        }
    }
    if let Some(m) = &args.manifests {
        match lint_manifests(m) {
            Ok(mut f) => {
                let extra = crate::lint::suppress::apply(&mut f, &[], &args.ignore);
                findings.extend(f);
                findings.extend(extra);
            }
            Err(e) => input_errors.push(e),
        }
    }
    findings.sort_by(|a, b| (&a.location, a.rule_id).cmp(&(&b.location, b.rule_id)));
    match args.format {
        Format::Human => {
            for e in &input_errors {
                writeln!(err, "{e}")?;
            }
            let clean = findings.iter().all(|f| f.suppressed.is_some());
            if (input_errors.is_empty() || !findings.is_empty()) && !(style.quiet && clean) {
                report::human_styled(&findings, out, style.color)?;
            }
        }
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&report::json::report(&findings, &input_errors))?)?;
        }
        Format::Sarif => {
            writeln!(out, "{}", serde_json::to_string_pretty(&report::sarif::log(&findings, &input_errors))?)?;
        }
        Format::Github => report::github::write(&findings, &input_errors, out)?,
    }
    if !input_errors.is_empty() {
        return Ok(INPUT);
    }
    let failing =
        findings.iter().filter(|f| f.suppressed.is_none()).any(|f| f.severity == Severity::Error || args.deny_warnings);
    Ok(if failing { FINDINGS } else { OK })
}

fn lint_values(
    input: &Path,
    profile: Option<&str>,
    ignores: &[String],
) -> Result<Vec<Finding>, Vec<crate::source::InputError>> {
    let path = if input.is_dir() { input.join("values.yaml") } else { input.to_path_buf() };
    if input.is_dir() && !path.is_file() {
        return Err(vec![crate::source::InputError::new(
            crate::source::Location::file(&input.display().to_string()),
            "is a directory without a values.yaml: give a values file or a chart directory".to_string(),
        )]);
    }
    let layer = Layer::read(&path).map_err(|e| vec![e])?;
    let named = layer.value.get("profile").and_then(|v| v.as_str()).map(str::to_string);
    let spec = profile.map(str::to_string).or(named).unwrap_or_else(|| DEFAULT_PROFILE.to_string());
    let p = Profile::load(&spec).map_err(|e| vec![e])?;
    let merged = Merged::from_layers([&p.defaults, &p.layer, &layer]);
    let opts = compile::Options { require_site_values: false, ignores };
    match compile::compile_merged(p, merged, std::slice::from_ref(&layer), &opts) {
        Ok(c) => Ok(c.findings),
        Err(Failure::Rejected(f)) => Ok(f),
        Err(Failure::Input(e)) => Err(e),
    }
}

/// Lints rendered manifests (a file, or stdin for `-`).
fn lint_manifests(path: &Path) -> Result<Vec<Finding>, crate::source::InputError> {
    let source = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::take(std::io::stdin(), crate::source::MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| crate::source::InputError::new(crate::source::Location::file("<stdin>"), e.to_string()))?;
        crate::source::SourceFile::from_bytes("<stdin>".to_string(), bytes)?
    } else {
        crate::source::SourceFile::read(path)?
    };
    let objects = crate::manifest::read(source)?;
    Ok(crate::lint::check_manifests(&objects))
}
