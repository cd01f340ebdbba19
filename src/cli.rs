//! The command line (clap). Parsing only: every command's work lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compiles typed OpenNebula deployment profiles into Helm charts, and lints values files and rendered manifests
/// for the pitfalls of running OpenNebula on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "onechart", version, about, propagate_version = true, disable_help_subcommand = true)]
pub struct Cli {
    /// Colour human output: `auto` (on a terminal, unless NO_COLOR is set), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings and errors (no progress or summary lines).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a profile and values into a Helm chart (exit 0 written, 1 values rejected by a lint error,
    /// 2 usage or input error; with --check: 0 up to date, 1 stale).
    Generate(GenerateArgs),
    /// Lint values files or rendered manifests (exit 0 clean, 1 errors, 2 unreadable input).
    Lint(LintArgs),
    /// List the rule catalogue.
    Rules {
        /// `text` (one line per rule) or `markdown` (the whole catalogue with explanations, as in docs/rules.md).
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print the full explanation of a rule, by ID or name.
    Explain {
        /// Rule ID (`ONE004`) or name (`monitor-address-auto-in-ha`).
        rule: String,
    },
    /// List the built-in profiles.
    Profiles,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with --dir write it and one page per command (onechart-lint.1, ...).
    Manpage {
        /// Write onechart.1 and a page for each command into this directory (e.g. /usr/local/share/man/man1).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the values.schema.json of a profile (every key required, as a chart's values are complete), or with
    /// --site the schema of a site values file (nothing required: a file sets only what differs).
    Schema {
        /// Built-in profile name or path to a profile file.
        #[arg(long, default_value = crate::profile::DEFAULT_PROFILE)]
        profile: String,
        /// The schema of a partial site values file, for editors (yaml-language-server): no key is required.
        #[arg(long)]
        site: bool,
    },
}

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One line per rule.
    Text,
    /// Markdown: the catalogue table and every rule's explanation.
    Markdown,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Built-in profile name (dev-sqlite, prod-mysql, ha-raft) or path to a profile file (default: the
    /// `profile:` key of the values files, else dev-sqlite). A values file naming another profile is an error.
    #[arg(long)]
    pub profile: Option<String>,
    /// Values file merged over the profile (repeatable; later files win).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// A value on the command line, Helm syntax (repeatable; wins over files).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A project file naming the profile and the values layers of each environment (as `lint --project`):
    /// compile the environment --env names, its `set` before any --set given here.
    #[arg(long, value_name = "FILE", requires = "env", conflicts_with = "values")]
    pub project: Option<PathBuf>,
    /// With --project: the environment to compile.
    #[arg(long, value_name = "NAME", requires = "project")]
    pub env: Option<String>,
    /// Output chart directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
    /// Compare with DIR instead of writing; print a unified diff and exit 1 when DIR is stale.
    #[arg(long)]
    pub check: bool,
    /// Write into DIR even if onechart did not create it. Files onechart did not write are never removed: one
    /// in the way of a chart file is moved aside to `<name>.onechart-orig`.
    #[arg(long)]
    pub force: bool,
    /// Write a chart for an older OpenNebula release line than the chart in DIR (its database cannot go back:
    /// restore a backup taken before the upgrade).
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Chart.yaml `version` (SemVer 2.0.0, e.g. 1.4.0); default: the previous chart's version, its patch bumped
    /// when the content changed.
    #[arg(long, value_name = "SEMVER")]
    pub chart_version: Option<String>,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Code frames for people, with a summary line.
    Human,
    /// A stable JSON document (see docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Values files, or chart directories (their values.yaml), each linted alone.
    #[arg(value_name = "FILE|CHART_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Values files layered as `generate -f` layers them (repeatable; later files win), linted as one.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// A value on the command line, Helm syntax (repeatable), layered over the -f files (without -f, over each
    /// FILE).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A project file naming the profile and the values layers of each environment (see README.md, Layered
    /// values); every environment is linted as `generate` would compile it.
    #[arg(long, value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// With --project: lint only this environment (repeatable).
    #[arg(long = "env", value_name = "NAME", requires = "project")]
    pub envs: Vec<String>,
    /// Profile to merge the values over (default: the `profile:` key of the files, else dev-sqlite). A file
    /// naming another profile is an error.
    #[arg(long)]
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Rendered manifests (`helm template` output) to lint: a file, a directory (every .yaml, .yml and .json
    /// below it) or `-` for stdin; repeatable, all of them read as one deployment.
    #[arg(long, value_name = "FILE|DIR")]
    pub manifests: Vec<PathBuf>,
    /// Suppress a rule, by ID or name (repeatable).
    #[arg(long = "ignore", value_name = "ID")]
    pub ignore: Vec<String>,
}
