//! `onechart lint`: values files merged over their profile, checked by the schema and the rules; and rendered
//! manifests of any chart, checked by the rules' manifest checks.

use std::io::Write;
use std::path::Path;

use crate::cli::{Format, LintArgs};
use crate::commands::{FINDINGS, INPUT, OK, Style};
use crate::compile::{self, Failure};
use crate::layers::{Layer, Merged};
use crate::lint::{Finding, Severity, rules};
use crate::profile::{DEFAULT_PROFILE, Profile};
use crate::report;
use crate::source::{InputError, Location};

/// Runs `onechart lint`.
pub fn lint(args: &LintArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    if args.inputs.is_empty() && args.manifests.is_empty() {
        writeln!(err, "error: nothing to lint: give values files or chart directories, or --manifests FILE")?;
        return Ok(INPUT);
    }
    if let Some(msg) = unknown_ignore(&args.ignore) {
        writeln!(err, "error: {msg}")?;
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
    let mut not_checked = 0;
    let mut unreadable = Vec::new();
    if !args.manifests.is_empty() {
        match crate::manifest::input::read_all(&args.manifests) {
            Ok(stream) => {
                not_checked = stream.not_checked();
                unreadable = stream.unreadable();
                let mut f = crate::lint::check_manifests(&stream.objects);
                let extra = crate::lint::suppress::apply(&mut f, &stream.sources, &args.ignore);
                findings.extend(f);
                findings.extend(extra);
            }
            Err(e) => input_errors.extend(e),
        }
    }
    findings.sort_by(|a, b| (&a.location, a.rule_id, &a.message).cmp(&(&b.location, b.rule_id, &b.message)));
    findings.dedup();
    match args.format {
        Format::Human => {
            for e in &input_errors {
                writeln!(err, "{e}")?;
            }
            for note in &unreadable {
                writeln!(err, "note: {}", report::printable(note))?;
            }
            if input_errors.is_empty() || !findings.is_empty() {
                let opts = report::HumanOptions {
                    color: style.color,
                    summary: !style.quiet,
                    not_checked,
                    unreadable: unreadable.len(),
                };
                report::human_with(&findings, out, &opts)?;
            }
        }
        Format::Json => {
            let doc = report::json::report_with(&findings, &input_errors, not_checked + unreadable.len());
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
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

/// The message for the first `--ignore` that names no rule, with a suggestion.
fn unknown_ignore(ignores: &[String]) -> Option<String> {
    let bad = ignores.iter().find(|i| crate::lint::find_rule(i).is_none())?;
    let mut msg = format!("--ignore {bad}: no rule has this ID or name");
    if let Some(s) = crate::suggest::did_you_mean(bad, rules::ALL.iter().flat_map(|r| [r.id, r.name])) {
        msg.push_str(&format!("; did you mean `{s}`?"));
    }
    msg.push_str(&format!(" (rules {}; `onechart rules` lists them)", id_ranges()));
    Some(msg)
}

/// The registered IDs as ranges: `ONE001-ONE027, ONE030-ONE033, ONE100-ONE103`.
fn id_ranges() -> String {
    let nums: Vec<u32> = rules::ALL.iter().filter_map(|r| r.id.strip_prefix("ONE")?.parse().ok()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        while i + 1 < nums.len() && nums[i + 1] == nums[i] + 1 {
            i += 1;
        }
        out.push(if start == nums[i] { format!("ONE{start:03}") } else { format!("ONE{start:03}-ONE{:03}", nums[i]) });
        i += 1;
    }
    out.join(", ")
}

fn lint_values(input: &Path, profile: Option<&str>, ignores: &[String]) -> Result<Vec<Finding>, Vec<InputError>> {
    let path = if input.is_dir() { values_of_chart(input)? } else { input.to_path_buf() };
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

/// The values file of a chart directory onechart generated. Any other Helm chart is linted through what it
/// renders: its values mean nothing to onechart's rules.
fn values_of_chart(dir: &Path) -> Result<std::path::PathBuf, Vec<InputError>> {
    let here = Location::file(&dir.display().to_string());
    if dir.join("Chart.yaml").is_file() && !dir.join(crate::output::MANIFEST).is_file() {
        return Err(vec![InputError::new(
            here,
            format!(
                "is a Helm chart onechart did not generate: lint what it renders, `helm template RELEASE {} -f VALUES | onechart lint --manifests -`",
                dir.display()
            ),
        )]);
    }
    let path = dir.join("values.yaml");
    if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(vec![InputError::new(
            Location::file(&path.display().to_string()),
            "is a symbolic link: onechart never reads a chart's files through a symbolic link; give the file it \
             points to explicitly"
                .to_string(),
        )]);
    }
    if !path.is_file() {
        return Err(vec![InputError::new(
            here,
            "is a directory without a values.yaml: give a values file or a chart directory".to_string(),
        )]);
    }
    Ok(path)
}
