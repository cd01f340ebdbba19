//! The commands. Each returns the process exit code; output goes to the writers given, so tests can run them.

use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command, GenerateArgs, RulesFormat};
use crate::compile::{self, Failure, Request};
use crate::lint::{self, rules};
use crate::output;
use crate::profile::{self, Profile};
use crate::render::{self, RenderInput};
use crate::report;
use crate::schema;
use crate::upgrade;

/// Exit code: success.
pub const OK: u8 = 0;
/// Exit code: findings at error level, values rejected, or a stale chart.
pub const FINDINGS: u8 = 1;
/// Exit code: usage or input error.
pub const INPUT: u8 = 2;

/// Output settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Colour human output.
    pub color: bool,
    /// Only findings and errors.
    pub quiet: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => report::use_color(),
    };
    let style = Style { color, quiet: cli.quiet };
    let result = match cli.command {
        Command::Generate(args) => generate(&args, style, out, err),
        Command::Lint(args) => crate::lint_cmd::lint(&args, style, out, err),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "onechart", out);
            Ok(OK)
        }
        Command::Manpage => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(out)
            .map(|()| OK)
            .map_err(anyhow::Error::from),
        Command::Rules { format } => rules_list(format, out),
        Command::Explain { rule } => explain(&rule, out, err),
        Command::Profiles => profiles(out),
        Command::Schema { profile } => print_schema(&profile, out, err),
    };
    result.unwrap_or_else(|e| {
        // A closed stdout (`onechart rules | head`) is not an error.
        if e.chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
        {
            return OK;
        }
        let _ = writeln!(err, "error: {e:#}");
        INPUT
    })
}

fn generate(args: &GenerateArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    if let Some(v) = &args.chart_version
        && let Err(why) = render::identity::check_semver(v)
    {
        writeln!(
            err,
            "error: --chart-version `{v}` is not a SemVer 2.0.0 version ({why}); for example 1.4.0 or 1.4.0-rc.1"
        )?;
        return Ok(INPUT);
    }
    let req = Request { profile: args.profile.clone(), values: args.values.clone(), set: args.set.clone() };
    let compiled = match compile::compile(&req) {
        Ok(c) => c,
        Err(Failure::Input(errors)) => {
            for e in &errors {
                writeln!(err, "{e}")?;
            }
            writeln!(err, "onechart: nothing was written to {}", args.output.display())?;
            return Ok(INPUT);
        }
        Err(Failure::Rejected(findings)) => {
            report::human_styled(&findings, err, style.color)?;
            writeln!(err, "onechart: the values are rejected; nothing was written to {}", args.output.display())?;
            return Ok(FINDINGS);
        }
    };
    if !compiled.findings.is_empty() {
        report::human_styled(&compiled.findings, err, style.color)?;
    }
    let files = output::with_manifest(render::render_chart(&RenderInput {
        profile: &compiled.profile,
        values: &compiled.merged.value,
        version: compile::version(&compiled),
        schema: &compiled.schema,
        waived: &compiled.waived,
        chart_version: args.chart_version.as_deref(),
    })?);
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
                writeln!(out, "{}: up to date", args.output.display())?;
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
            args.output.display(),
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
            return Err(e.context(format!("writing {} (left as it was)", args.output.display())));
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
        args.output.display(),
        compiled.profile.name,
        compile::version(&compiled).release()
    )?;
    if !written.removed.is_empty() {
        writeln!(
            out,
            "removed {} file(s) of the previous chart: {}",
            written.removed.len(),
            written.removed.join(", ")
        )?;
    }
    if !written.kept.is_empty() {
        writeln!(out, "kept {} path(s) onechart did not write: {}", written.kept.len(), written.kept.join(", "))?;
    }
    Ok(OK)
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

fn rules_list(format: RulesFormat, out: &mut dyn Write) -> anyhow::Result<u8> {
    if format == RulesFormat::Markdown {
        write!(out, "{}", report::rules_markdown())?;
        return Ok(OK);
    }
    for r in rules::ALL {
        writeln!(out, "{}  {:<34} {:<44} {:<18} {}", r.id, r.name, r.level.describe(), r.scope(), r.summary)?;
    }
    Ok(OK)
}

fn explain(key: &str, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let Some(r) = lint::find_rule(key) else {
        let names = rules::ALL.iter().flat_map(|r| [r.id, r.name]);
        let mut msg = format!("error: unknown rule `{key}`");
        if let Some(s) = crate::suggest::did_you_mean(key, names) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        writeln!(err, "{msg}\n  `onechart rules` lists the catalogue")?;
        return Ok(INPUT);
    };
    write!(out, "{}", report::explanation(r))?;
    Ok(OK)
}

fn profiles(out: &mut dyn Write) -> anyhow::Result<u8> {
    for name in profile::builtin_names() {
        let p = Profile::load(name).map_err(|e| anyhow::anyhow!("{e}"))?;
        writeln!(out, "{:<11} {:<12} {}", p.name, p.environment, p.summary)?;
    }
    Ok(OK)
}

fn print_schema(spec: &str, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let p = match Profile::load(spec) {
        Ok(p) => p,
        Err(e) => {
            writeln!(err, "{e}")?;
            return Ok(INPUT);
        }
    };
    let version = p
        .merged_defaults()
        .get("opennebula.version")
        .and_then(|v| v.as_str())
        .and_then(crate::model::OneVersion::parse);
    writeln!(out, "{}", serde_json::to_string_pretty(&schema::values_schema(p.envelope(), version))?)?;
    Ok(OK)
}
