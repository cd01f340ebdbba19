//! `onechart lint`: values files merged over their profile, checked by the schema and the rules; and rendered
//! manifests of any chart, checked by the rules' manifest checks.

use std::io::Write;
use std::path::Path;

use super::{FINDINGS, INPUT, OK, Style};
use crate::cli::{Format, LintArgs};
use crate::compile::{self, Failure, ProfileAsked, Request};
use crate::lint::{Finding, Severity, rules};
use crate::report;
use crate::source::{InputError, Location};

/// Runs `onechart lint`.
pub fn lint(args: &LintArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    if args.inputs.is_empty()
        && args.values.is_empty()
        && args.set.is_empty()
        && args.project.is_none()
        && args.manifests.is_empty()
    {
        writeln!(
            err,
            "error: nothing to lint: give values files or chart directories, -f layers, --project FILE, or --manifests FILE"
        )?;
        return Ok(INPUT);
    }
    let files = (args.inputs.iter().map(|p| ("FILE", p.as_path())))
        .chain(args.values.iter().map(|p| ("-f", p.as_path())))
        .chain(args.manifests.iter().map(|p| ("--manifests", p.as_path())))
        .chain(args.project.iter().map(|p| ("--project", p.as_path())));
    if let Err(msg) = super::stdin_once(files) {
        writeln!(err, "error: {msg}")?;
        return Ok(INPUT);
    }
    if let Some(msg) = unknown_ignore(&args.ignore) {
        writeln!(err, "error: {msg}")?;
        return Ok(INPUT);
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut input_errors = Vec::new();
    let mut linted = Vec::new();
    match targets(args) {
        Ok(targets) => {
            for t in targets {
                match lint_values(&t, &args.ignore) {
                    Ok((f, l)) => {
                        findings.extend(f);
                        linted.push(l);
                    }
                    Err(e) => input_errors.extend(e),
                }
            }
        }
        Err(e) => input_errors.extend(e),
    }
    let mut not_checked = 0;
    let mut unreadable = Vec::new();
    if !args.manifests.is_empty() {
        match crate::manifest::input::read_all(&args.manifests) {
            Ok(stream) => {
                not_checked = stream.not_checked();
                unreadable = stream.unreadable();
                let f = crate::lint::check_manifests(&stream.objects);
                findings.extend(crate::lint::finish(f, &stream.sources, &args.ignore));
            }
            Err(e) => input_errors.extend(e),
        }
    }
    let findings = crate::lint::sort(findings);
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
                    inputs: &linted,
                };
                report::human_with(&findings, out, &opts)?;
            }
        }
        Format::Json => {
            let doc = report::json::report_with(&findings, &input_errors, not_checked + unreadable.len())
                .with_inputs(&linted);
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        Format::Sarif => {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report::sarif::log_with(&findings, &input_errors, &linted))?
            )?;
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

/// One values input to lint: a file alone, the `-f` layers, or an environment of the project.
struct Target {
    environment: Option<String>,
    request: Request,
    /// Where the profile was named when not by `--profile` or a file (the project file).
    named_in: Option<String>,
}

/// What to lint: each FILE alone (with `--set` over it when there is no `-f`), the `-f` layers with `--set`, every
/// environment of `--project` (or those `--env` names).
fn targets(args: &LintArgs) -> Result<Vec<Target>, Vec<InputError>> {
    let mut out = Vec::new();
    let set_over_each = args.values.is_empty();
    for input in &args.inputs {
        let path = if input.is_dir() { values_of_chart(input)? } else { input.to_path_buf() };
        let set = if set_over_each { args.set.clone() } else { Vec::new() };
        out.push(Target {
            environment: None,
            request: Request {
                profile: args.profile.clone(),
                profile_asked: ProfileAsked::Flag,
                values: vec![path],
                set,
            },
            named_in: None,
        });
    }
    if !args.values.is_empty() || (args.inputs.is_empty() && !args.set.is_empty()) {
        let request = Request {
            profile: args.profile.clone(),
            profile_asked: ProfileAsked::Flag,
            values: args.values.clone(),
            set: args.set.clone(),
        };
        out.push(Target { environment: None, request, named_in: None });
    }
    if let Some(project) = &args.project {
        let envs = crate::project::read(project).map_err(|e| vec![e])?;
        for name in &args.envs {
            crate::project::environment(project, name).map_err(|e| vec![e])?;
        }
        for env in envs.into_iter().filter(|e| args.envs.is_empty() || args.envs.contains(&e.name)) {
            let mut named_in = None;
            if args.profile.is_none() && env.request.profile.is_some() {
                named_in = Some(format!("environments.{}.profile in {}", env.name, project.display()));
            }
            let env = env.with_profile_flag(args.profile.as_ref()).map_err(|e| vec![e])?;
            out.push(Target { environment: Some(env.name), request: env.request, named_in });
        }
    }
    Ok(out)
}

fn lint_values(t: &Target, ignores: &[String]) -> Result<(Vec<Finding>, report::Linted), Vec<InputError>> {
    let read = compile::read(&t.request).map_err(|f| match f {
        Failure::Input(e) => e,
        Failure::Rejected(_) => unreachable!("reading values finds no rule"),
    })?;
    let linted = report::Linted {
        values: t.request.values.iter().map(|p| p.display().to_string()).collect(),
        set: t.request.set.clone(),
        environment: t.environment.clone(),
        profile: read.profile.name.clone(),
        profile_from: read.from.kind(),
        reason: t.named_in.clone().unwrap_or_else(|| read.from.describe()),
    };
    let opts = compile::Options { require_site_values: false, ignores, profile_defaulted: false };
    match compile::compile_read(read, &opts) {
        Ok(c) => Ok((c.findings, linted)),
        Err(Failure::Rejected(f)) => Ok((f, linted)),
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
