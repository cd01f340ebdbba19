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
    })?);
    if args.check {
        let diff = output::check_chart(&args.output, &files)?;
        if diff.is_empty() {
            if !style.quiet {
                writeln!(out, "{}: up to date", args.output.display())?;
            }
            return Ok(OK);
        }
        write!(out, "{diff}")?;
        writeln!(err, "{}: stale; run the same command without --check to update it", args.output.display())?;
        return Ok(FINDINGS);
    }
    match output::write_chart(&args.output, &files, args.force) {
        Ok(()) => {}
        Err(e) if e.downcast_ref::<output::Refused>().is_some() => {
            writeln!(err, "error: {e}")?;
            return Ok(INPUT);
        }
        Err(e) => {
            return Err(e.context(format!("writing {} (left as it was)", args.output.display())));
        }
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
    Ok(OK)
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
