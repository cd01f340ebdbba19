//! `onechart generate`: profile and values compiled into a chart, written atomically into the output
//! directory (or compared with it, `--check`).

use std::io::Write;

use super::{FINDINGS, INPUT, OK, Style};
use crate::cli::GenerateArgs;
use crate::compile::{self, Failure, ProfileAsked, Request};
use crate::output;
use crate::release;
use crate::render::{self, RenderInput};
use crate::report;
use crate::upgrade;

/// Runs `onechart generate`.
pub fn generate(args: &GenerateArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    // The output path as messages print it: control characters escaped for the terminal (issue 19, item 10).
    let shown = crate::source::printable(&args.output.display().to_string()).into_owned();
    if let Some(v) = &args.chart_version
        && let Err(why) = render::identity::check_semver(v)
    {
        writeln!(
            err,
            "error: --chart-version `{v}` is not a SemVer 2.0.0 version ({why}); for example 1.4.0, v1.4.0 or 1.4.0-rc.1"
        )?;
        return Ok(INPUT);
    }
    let files = (args.values.iter().map(|p| ("-f", p.as_path())))
        .chain(args.project.iter().map(|p| ("--project", p.as_path())));
    if let Err(msg) = super::stdin_once(files) {
        writeln!(err, "error: {msg}")?;
        writeln!(err, "onechart: nothing was written to {}", shown)?;
        return Ok(INPUT);
    }
    let req = match (&args.project, &args.env) {
        (Some(project), Some(env)) => {
            match crate::project::environment(project, env).and_then(|e| e.with_profile_flag(args.profile.as_ref())) {
                Ok(e) => {
                    let mut r = e.request;
                    r.set.extend(args.set.iter().cloned());
                    r
                }
                Err(e) => {
                    writeln!(err, "{e}")?;
                    writeln!(err, "onechart: nothing was written to {}", shown)?;
                    return Ok(INPUT);
                }
            }
        }
        _ => Request {
            profile: args.profile.clone(),
            profile_asked: ProfileAsked::Flag,
            values: args.values.clone(),
            set: args.set.clone(),
        },
    };
    let compiled = match compile::compile(&req) {
        Ok(c) => c,
        Err(Failure::Input(errors)) => {
            for e in &errors {
                writeln!(err, "{e}")?;
            }
            writeln!(err, "onechart: nothing was written to {}", shown)?;
            return Ok(INPUT);
        }
        Err(Failure::Rejected(findings)) => {
            report::human_styled(&findings, err, style.color)?;
            writeln!(err, "onechart: the values are rejected; nothing was written to {}", shown)?;
            return Ok(FINDINGS);
        }
    };
    if !compiled.findings.is_empty() {
        report::human_styled(&compiled.findings, err, style.color)?;
    }
    // Locked for the rest of the run, and whole again if an earlier run was interrupted.
    let chart = match output::ChartDir::open(&args.output, !args.check, err) {
        Ok(c) => c,
        Err(e) if e.downcast_ref::<output::Refused>().is_some() => {
            writeln!(err, "error: {e}")?;
            return Ok(INPUT);
        }
        Err(e) => return Err(e),
    };
    for note in chart.iter().flat_map(|c| &c.notes) {
        writeln!(err, "warning: {note}")?;
    }
    // The previous chart, read through the directory handle (never through a symlink, bounded).
    let chart_yaml = chart.as_ref().and_then(|c| c.read("Chart.yaml"));
    if let Some(text) = chart_yaml.as_ref().filter(|_| chart.as_ref().is_some_and(output::ChartDir::has_manifest)) {
        let ha = compiled.values.oned.replicas > 1;
        match release::change(release::line_of(text), &compiled.values, ha) {
            release::Change::None => {}
            release::Change::Upgrade(msg) => write!(err, "{msg}")?,
            // One message, once: what the downgrade means, then what was done about it.
            release::Change::Downgrade(msg) if args.allow_downgrade => {
                writeln!(err, "warning: {shown}: {msg}; written anyway, as --allow-downgrade asks")?;
            }
            release::Change::Downgrade(msg) => {
                writeln!(
                    err,
                    "error: {shown}: {msg}; nothing was written (--allow-downgrade writes this chart anyway)"
                )?;
                if let Some(c) = chart {
                    c.abandon();
                }
                return Ok(INPUT);
            }
        }
    }
    let previous = chart_yaml.as_deref().and_then(render::identity::previous_in);
    let kept = kept_files(chart.as_ref())?;
    let schema = compiled.schema();
    let files = output::with_manifest(render::render_chart(&RenderInput {
        profile: &compiled.profile,
        values: &compiled.merged.value,
        version: compile::version(&compiled),
        schema: &schema,
        waived: &compiled.waived,
        chart_version: args.chart_version.as_deref(),
        previous: previous.as_ref(),
        kept: &kept,
    })?);
    if let Some(c) = &chart {
        upgrade_warnings(c, &files, err)?;
    }
    if args.check {
        let Some(c) = &chart else { return output::no_chart(&args.output) };
        let stale = match c.check(&files) {
            Ok(s) => s,
            Err(e) if e.downcast_ref::<output::Refused>().is_some() => {
                writeln!(err, "error: {e}")?;
                return Ok(INPUT);
            }
            Err(e) => return Err(e),
        };
        if stale.is_empty() {
            if !style.quiet {
                writeln!(out, "{}: up to date", shown)?;
            }
            return Ok(OK);
        }
        write!(out, "{}", stale.diff)?;
        let mut what = Vec::new();
        for (n, word) in
            [(stale.changed.len(), "changed"), (stale.missing.len(), "missing"), (stale.removed.len(), "to remove")]
        {
            if n > 0 {
                what.push(format!("{n} {word}"));
            }
        }
        writeln!(
            err,
            "{}: stale ({}; files onechart did not write are not compared); run the same command without --check \
             to update it",
            shown,
            what.join(", ")
        )?;
        return Ok(FINDINGS);
    }
    let chart = chart.expect("generate creates its output directory");
    let written = match chart.write(&files, args.force) {
        Ok(w) => w,
        Err(e) if e.downcast_ref::<output::Refused>().is_some() => {
            writeln!(err, "error: {e}")?;
            return Ok(INPUT);
        }
        Err(e) => {
            return Err(e.context(format!("writing {} (left as it was)", shown)));
        }
    };
    for w in &written.warnings {
        writeln!(err, "warning: {w}")?;
    }
    for (from, to) in &written.moved_aside {
        writeln!(err, "warning: {from} was not written by onechart and was in the way: moved to {to}")?;
    }
    if style.quiet {
        return Ok(OK);
    }
    writeln!(
        out,
        "wrote {} files to {} (profile {}, OpenNebula {})",
        files.len(),
        shown,
        compiled.profile.name,
        compile::version(&compiled).release()
    )?;
    // Names from the directory, escaped for the terminal.
    let listed = |paths: &[String]| paths.iter().map(|p| crate::source::printable(p)).collect::<Vec<_>>().join(", ");
    if !written.removed.is_empty() {
        writeln!(out, "removed {} file(s) of the previous chart: {}", written.removed.len(), listed(&written.removed))?;
    }
    if !written.kept.is_empty() {
        writeln!(out, "kept {} path(s) onechart did not write: {}", written.kept.len(), listed(&written.kept))?;
    }
    Ok(OK)
}

/// The files in the output directory that onechart did not write (neither the previous chart, by its manifest,
/// nor any chart it renders): Helm packages them with the chart, so they are part of its version.
fn kept_files(chart: Option<&output::ChartDir>) -> anyhow::Result<std::collections::BTreeMap<String, Vec<u8>>> {
    let Some(chart) = chart else { return Ok(Default::default()) };
    let dir = chart.path();
    let previous = chart.previous_files()?.unwrap_or_default();
    let ours = |rel: &str| {
        previous.contains(rel)
            || render::known_template_paths().contains(&rel)
            || ["values.yaml", "values.schema.json", "files/check-image.sh", output::MANIFEST].contains(&rel)
    };
    Ok(render::identity::kept_files(dir, &ours))
}

/// Warns when `helm upgrade` from the chart already in `dir` to `files` needs the operator (immutable
/// StatefulSet fields, renames).
fn upgrade_warnings(chart: &output::ChartDir, files: &render::ChartFiles, err: &mut dyn Write) -> anyhow::Result<()> {
    if !chart.has_manifest() {
        return Ok(());
    }
    let dir = chart.path();
    let read = |rel: &str| chart.read(rel);
    let old = match (read("values.yaml"), read("templates/statefulset.yaml")) {
        (Some(v), Some(s)) => upgrade::shape(&v, &s),
        _ => None,
    };
    match (old, upgrade::shape_of(files)) {
        (Some(old), Some(new)) => {
            let changes = upgrade::compare(&old, &new);
            if !changes.is_empty() {
                write!(err, "{}", upgrade::report(&old, &changes))?;
            }
        }
        _ => writeln!(
            err,
            "warning: {}: the previous chart's values.yaml or StatefulSet could not be read: upgrade checks skipped",
            dir.display()
        )?,
    }
    Ok(())
}
