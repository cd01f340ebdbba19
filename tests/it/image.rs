//! The image contract (`src/image/contract.rs`) against what the chart really runs, and the recipe and start-up
//! check made from it:
//!
//! - coverage: every command the rendered chart's containers (command, args, probes, hooks) and its scripts
//!   (`files/*.sh`, through functions, `exec`, `$(...)`, `trap`, `sh -c`, wrapper scripts) call, and every Ruby
//!   library its helpers require, is a checked entry of the table, a shell builtin or a function of the scripts;
//! - the start-up check (`files/check-image.sh`) passes on a complete stub image (a directory laid out like the
//!   image's root) and names each kind of defect of a broken one;
//! - the recipe (`image/Containerfile`) installs exactly the table's packages and passes hadolint; the generated
//!   check passes shellcheck.
//!
//! The stub images are the table made into directories; the table's entries cite OpenNebula's source for every
//! path, and `/var/lib/one/remotes/VERSION` holds the release as `OpenNebula/one@release-7.4.0:
//! src/im_mad/remotes/VERSION` does (`7.4.0`; installed there by install.sh:628,1306).

use crate::common;
mod shell;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::{root, tool};
use onechart::image::contract::{self, Kind, Origin, RUBY_REQUIRES, SHELL_BUILTINS};
use onechart::manifest::{self, Manifest, Typed};
use onechart::model::OneVersion;
use onechart::source::SourceFile;
use shell::{Part, Word};

/// The charts whose commands are collected: every profile, every version, every optional workload.
const CASES: &[(&str, OneVersion, &[&str])] = &[
    ("dev-sqlite", OneVersion::V7_4, &["backup.enabled=true"]),
    ("prod-mysql", OneVersion::V7_4, &["backup.enabled=true"]),
    (
        "ha-raft",
        OneVersion::V7_4,
        &[
            "backup.enabled=true",
            "tls.enabled=true",
            "tls.secretName=one-tls",
            "oned.service.type=LoadBalancer",
            "hosts[0].name=kvm1.example.com",
            "oneks.enabled=true",
            "oneks.tproxy.onegate.address=192.0.2.5",
            "oneks.tproxy.oned.address=192.0.2.6",
        ],
    ),
    (
        "prod-mysql",
        OneVersion::V6_10,
        &["opennebula.version=6.10", "image.tag=6.10.5", "oned.grpc.enabled=false", "sunstone.enabled=true"],
    ),
    ("ha-raft", OneVersion::V7_0, &["opennebula.version=7.0", "image.tag=7.0.2", "oned.grpc.enabled=false"]),
    ("prod-mysql", OneVersion::V7_2, &["opennebula.version=7.2", "image.tag=7.2.0", "backup.enabled=true"]),
];

/// A generated chart and its `helm template` output.
struct Chart {
    label: String,
    version: OneVersion,
    files: BTreeMap<String, String>,
    rendered: String,
}

fn chart(profile: &str, version: OneVersion, set: &[&str], dir: &Path) -> Chart {
    let mut extra = Vec::new();
    for s in set {
        extra.extend(["--set", s]);
    }
    common::generate(profile, &extra, dir);
    let files = common::tree(dir).into_iter().map(|(k, v)| (k, String::from_utf8(v).unwrap())).collect();
    let o = Command::new(tool("helm3")).args(["template", "one"]).arg(dir).output().unwrap();
    assert!(o.status.success(), "helm template {profile}: {}", String::from_utf8_lossy(&o.stderr));
    Chart {
        label: format!("{profile} {}", version.as_str()),
        version,
        files,
        rendered: String::from_utf8(o.stdout).unwrap(),
    }
}

fn charts(tmp: &Path) -> Vec<Chart> {
    CASES
        .iter()
        .enumerate()
        .map(|(i, (profile, version, set))| chart(profile, *version, set, &tmp.join(format!("c{i}"))))
        .collect()
}

// ---- what the chart calls ----

/// Something the chart needs from the image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// A command run by name.
    Command(String),
    /// An executable, file or directory by absolute path.
    Path(String),
    /// One of the chart's own scripts (`/run/onechart/scripts/NAME`).
    Script(String),
    /// A Ruby library (`require`, `ruby -r`).
    RubyLib(String),
}

/// An argument after expansion.
#[derive(Debug, Clone)]
enum Arg {
    Known(String),
    /// A positional parameter (`"$@"`, `$1`): a callback or a wrapped command, analysed where it is given.
    Positional,
    /// Anything else this reader cannot expand: the test fails on it as a command word.
    Unknown(String),
}

/// Collects the needs of a chart: its containers and its scripts.
struct Collector {
    scripts: BTreeMap<String, shell::Script>,
    functions: BTreeSet<String>,
    vars: BTreeMap<String, Word>,
    found: BTreeMap<Need, BTreeSet<String>>,
    problems: Vec<String>,
}

impl Collector {
    fn new(files: &BTreeMap<String, String>) -> Collector {
        let scripts: BTreeMap<String, shell::Script> = files
            .iter()
            .filter_map(|(p, text)| Some((p.strip_prefix("files/")?.to_string(), text)))
            .filter(|(name, _)| name.ends_with(".sh"))
            .map(|(name, text)| (name, shell::parse(text)))
            .collect();
        let functions = scripts.values().flat_map(|s| s.functions.iter().cloned()).collect();
        let vars = scripts.values().flat_map(|s| s.vars.clone()).collect();
        Collector { scripts, functions, vars, found: BTreeMap::new(), problems: Vec::new() }
    }

    fn need(&mut self, need: Need, at: &str) {
        self.found.entry(need).or_default().insert(at.to_string());
    }

    /// A wrapper script runs its arguments after `shift`ing its own: their count.
    fn wrapper_arity(&self, script: &str) -> Option<usize> {
        let s = self.scripts.get(script)?;
        let is_positional = |w: &Word| matches!(w.parts.as_slice(), [Part::Param(p)] if p == "@");
        let runs_args = s.commands.iter().any(|c| {
            let words: Vec<&Word> = c.words.iter().skip_while(|w| w.literal().is_some_and(|t| t == "exec")).collect();
            words.first().is_some_and(|w| is_positional(w))
        });
        let shifts = s
            .commands
            .iter()
            .filter(|c| c.words.len() == 1 && c.words[0].literal().as_deref() == Some("shift"))
            .count();
        runs_args.then_some(shifts)
    }

    fn file_arg(&mut self, path: &str, at: &str) -> Option<String> {
        if let Some(name) = path.strip_prefix("/run/onechart/scripts/") {
            self.need(Need::Script(name.to_string()), at);
            Some(name.to_string())
        } else {
            self.need(Need::Path(path.to_string()), at);
            None
        }
    }

    fn inline_shell(&mut self, code: &str, at: &str, depth: usize) {
        let s = shell::parse(code);
        self.functions.extend(s.functions.iter().cloned());
        for c in &s.commands {
            let args = self.args(&c.words, &s.vars);
            self.argv(&args, &format!("{at} (inline line {})", c.line), depth + 1);
        }
    }

    /// What one command line (argv) needs.
    fn argv(&mut self, args: &[Arg], at: &str, depth: usize) {
        assert!(depth < 20, "{at}: wrappers nest too deep");
        let Some(first) = args.first() else { return };
        let cmd = match first {
            Arg::Known(s) => s.clone(),
            Arg::Positional => return,
            Arg::Unknown(raw) => {
                self.problems.push(format!("{at}: cannot tell which command `{raw}` runs"));
                return;
            }
        };
        let rest = &args[1..];
        let known = |a: &Arg| if let Arg::Known(s) = a { Some(s.clone()) } else { None };
        match cmd.as_str() {
            "exec" | "nohup" => return self.argv(rest, at, depth),
            "command" => {
                if rest.first().and_then(known).is_some_and(|o| o == "-v" || o == "-V") {
                    return; // a lookup, not a call
                }
                return self.argv(rest, at, depth);
            }
            _ => {}
        }
        if cmd.starts_with('/') {
            self.need(Need::Path(cmd.clone()), at);
        } else {
            self.need(Need::Command(cmd.clone()), at);
        }
        let base = cmd.rsplit('/').next().unwrap_or_default();
        match base {
            "sh" | "bash" | "dash" => {
                let mut i = 0;
                while let Some(a) = rest.get(i).and_then(known) {
                    if a.starts_with('-') {
                        if a.contains('c') {
                            if let Some(code) = rest.get(i + 1).and_then(known) {
                                self.inline_shell(&code, at, depth);
                            }
                            return;
                        }
                        i += 1;
                        continue;
                    }
                    if let Some(script) = self.file_arg(&a, at)
                        && let Some(n) = self.wrapper_arity(&script)
                    {
                        // A wrapper takes its own arguments, then the command it runs: after a `--` when there
                        // is one (files/addon.sh CREDENTIAL... -- COMMAND...), else after the ones it shifts.
                        let dash = rest[i + 1..].iter().position(|a| matches!(a, Arg::Known(s) if s == "--"));
                        let start = dash.map_or(i + 1 + n, |d| i + 1 + d + 1);
                        if rest.len() > start {
                            let wrapped = rest[start..].to_vec();
                            self.argv(&wrapped, &format!("{at} via {script}"), depth + 1);
                        }
                    }
                    return;
                }
            }
            "." => {
                if let Some(a) = rest.first().and_then(known) {
                    self.file_arg(&a, at);
                }
            }
            "ruby" => {
                let mut i = 0;
                while let Some(a) = rest.get(i).and_then(known) {
                    if a == "-e" {
                        if let Some(code) = rest.get(i + 1).and_then(known) {
                            self.ruby_code(&code, at, false);
                        }
                        return;
                    } else if let Some(lib) = a.strip_prefix("-r") {
                        let lib = if lib.is_empty() {
                            rest.get(i + 1).and_then(known).unwrap_or_default()
                        } else {
                            lib.to_string()
                        };
                        if lib.starts_with('/') {
                            // A file of the chart preloaded by path (files/bind.rb).
                            self.file_arg(&lib, at);
                        } else {
                            self.need(Need::RubyLib(lib), at);
                        }
                    } else if !a.starts_with('-') {
                        self.file_arg(&a, at);
                        return;
                    }
                    i += 1;
                }
            }
            "node" => {
                if let Some(a) = rest.iter().filter_map(known).find(|a| !a.starts_with('-')) {
                    self.file_arg(&a, at);
                }
            }
            "trap" | "eval" => {
                // `trap - SIGNAL` resets a trap: no code.
                if let Some(code) = rest.first().and_then(known).filter(|c| base != "trap" || c != "-") {
                    self.inline_shell(&code, at, depth);
                }
            }
            _ => {}
        }
    }

    /// Expands a script's words into arguments (unquoted expansions split on blanks, as the shell does).
    fn args(&self, words: &[Word], local: &BTreeMap<String, Word>) -> Vec<Arg> {
        let mut vars = self.vars.clone();
        vars.extend(local.clone());
        let mut out = Vec::new();
        for w in words {
            let positional = matches!(w.parts.as_slice(), [Part::Param(p)] if p == "@" || p == "*"
                || p.chars().all(|c| c.is_ascii_digit())
                || p.strip_prefix(|c: char| c.is_ascii_digit()).is_some_and(|r| r.starts_with(":-") || r.starts_with('-')));
            match shell::expand(w, &vars) {
                Some(text) if w.literal().is_some() => out.push(Arg::Known(text)),
                Some(text) => out.extend(text.split_whitespace().map(|t| Arg::Known(t.to_string()))),
                None if positional => out.push(Arg::Positional),
                None => out.push(Arg::Unknown(format!("{:?}", w.parts))),
            }
        }
        out
    }

    fn scripts(&mut self) {
        let scripts: Vec<(String, Vec<shell::Command>, BTreeMap<String, Word>)> =
            self.scripts.iter().map(|(n, s)| (n.clone(), s.commands.clone(), s.vars.clone())).collect();
        for (name, commands, vars) in scripts {
            for c in commands {
                let args = self.args(&c.words, &vars);
                self.argv(&args, &format!("files/{name}:{}", c.line), 0);
            }
        }
    }

    fn ruby_helpers(&mut self, files: &BTreeMap<String, String>) {
        for (path, text) in files.iter().filter(|(p, _)| p.starts_with("files/") && p.ends_with(".rb")) {
            self.ruby_code(text, path, true);
        }
    }

    /// Ruby code (a helper file, or `ruby -e CODE`): every library it requires, and every command it runs. A
    /// way of running a command the scanner cannot resolve to a program is a problem, never skipped.
    fn ruby_code(&mut self, text: &str, at: &str, numbered: bool) {
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            let at = if numbered { format!("{at}:{}", n + 1) } else { at.to_string() };
            for (i, shell_out) in ruby_shell_outs(code) {
                // `system('cmd', ...)` and `IO.popen(['cmd', ...])`: the program is the first literal.
                let literal = code[i + shell_out.len()..]
                    .trim_start_matches(['(', '[', ' '])
                    .strip_prefix(['\'', '"'])
                    .and_then(|r| r.split(['\'', '"']).next())
                    .filter(|p| !p.is_empty() && !p.contains(' '));
                match literal {
                    Some(program) if matches!(shell_out, "system" | "IO.popen") => {
                        self.need(Need::Command(program.to_string()), &at)
                    }
                    _ => self.problems.push(format!("{at}: runs a command ({shell_out}); add it to the coverage test")),
                }
            }
            for kw in ["require '", "require \""] {
                if let Some(rest) = code.strip_prefix(kw) {
                    let lib: String = rest.chars().take_while(|c| *c != '\'' && *c != '"').collect();
                    self.need(Need::RubyLib(lib), &at);
                }
            }
        }
    }

    /// Containers of the chart's image, with every command they run.
    fn manifests(&mut self, label: &str, rendered: &str) -> usize {
        let objects = manifest::read(SourceFile::from_text(format!("{label}.yaml"), rendered)).unwrap();
        let image = objects
            .iter()
            .find(|m| m.kind == "StatefulSet")
            .and_then(|m| m.containers().into_iter().find(|(_, c)| c.name == "oned"))
            .and_then(|(_, c)| c.image.clone())
            .expect("the StatefulSet runs oned");
        let mut containers = 0;
        for m in &objects {
            if ["Pod", "Job", "CronJob", "StatefulSet", "Deployment", "DaemonSet"].contains(&m.kind.as_str()) {
                assert!(matches!(m.typed, Typed::Workload { .. }), "{label}: {} has no readable pod spec", m.id());
            }
            self.hooks(m);
            for (ptr, c) in m.containers() {
                if c.image.as_deref() != Some(image.as_str()) {
                    continue;
                }
                containers += 1;
                let at = format!("{label}: {} {ptr} ({})", m.id(), c.name);
                let mut argv: Vec<String> = c.command.clone().unwrap_or_default();
                assert!(!argv.is_empty(), "{at}: no command (the image has no entrypoint: the chart names each)");
                argv.extend(c.args.clone().unwrap_or_default());
                self.argv(&argv.into_iter().map(Arg::Known).collect::<Vec<_>>(), &at, 0);
                let probes = [&c.liveness_probe, &c.readiness_probe, &c.startup_probe];
                for (i, p) in probes.into_iter().enumerate() {
                    if let Some(cmd) = p.as_ref().and_then(|p| p.exec.as_ref()).and_then(|e| e.command.clone()) {
                        self.argv(&cmd.into_iter().map(Arg::Known).collect::<Vec<_>>(), &format!("{at} probe {i}"), 0);
                    }
                }
                let hooks = c.lifecycle.as_ref().map(|l| [&l.post_start, &l.pre_stop]);
                for h in hooks.into_iter().flatten().flatten() {
                    if let Some(cmd) = h.exec.as_ref().and_then(|e| e.command.clone()) {
                        self.argv(&cmd.into_iter().map(Arg::Known).collect::<Vec<_>>(), &format!("{at} hook"), 0);
                    }
                }
            }
        }
        containers
    }

    /// oned's hooks (`COMMAND = "..."` in the configuration ConfigMap) run in the oned container.
    fn hooks(&mut self, m: &Manifest) {
        let Typed::ConfigMap(cm) = &m.typed else { return };
        for text in cm.data.iter().flatten().map(|(_, v)| v) {
            for line in text.lines() {
                let Some(rest) = line.split("COMMAND").nth(1) else { continue };
                let Some(path) = rest.trim_start().strip_prefix('=').map(str::trim).and_then(|r| r.strip_prefix('"'))
                else {
                    continue;
                };
                let path = path.split('"').next().unwrap_or_default();
                if path.starts_with('/') {
                    self.file_arg(path, &format!("{} hook {path}", m.id()));
                }
            }
        }
    }
}

/// Why a need is not covered, or `None` when the table (or the shell, or the scripts) covers it.
fn uncovered(
    need: &Need,
    version: OneVersion,
    functions: &BTreeSet<String>,
    files: &BTreeMap<String, String>,
) -> Option<String> {
    let path_dirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    match need {
        Need::Command(c) => (!SHELL_BUILTINS.contains(&c.as_str())
            && !functions.contains(c)
            && contract::checked_command(version, c).is_none())
        .then(|| format!("command `{c}` is not a checked entry of src/image/contract.rs")),
        Need::Path(p) => {
            let (dir, base) = p.rsplit_once('/').unwrap_or_default();
            let on_path = path_dirs.contains(&dir) && contract::checked_command(version, base).is_some();
            (contract::checked_path(version, p).is_none() && !on_path)
                .then(|| format!("path `{p}` is not a checked entry of src/image/contract.rs"))
        }
        Need::Script(s) => (!files.contains_key(&format!("files/{s}")))
            .then(|| format!("script `/run/onechart/scripts/{s}` is not a file of the chart")),
        Need::RubyLib(l) => match RUBY_REQUIRES.iter().find(|(name, _, _)| name == l) {
            Some((_, kind, by)) if contract::checked(version, *kind, by).is_some() => None,
            _ => Some(format!("Ruby library `{l}` is not in RUBY_REQUIRES of src/image/contract.rs")),
        },
    }
}

fn collect(c: &Chart) -> Collector {
    let mut col = Collector::new(&c.files);
    let containers = col.manifests(&c.label, &c.rendered);
    assert!(containers >= 8, "{}: only {containers} containers of the chart's image", c.label);
    col.scripts();
    col.ruby_helpers(&c.files);
    col
}

#[test]
fn every_command_the_chart_runs_is_in_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for c in charts(tmp.path()) {
        let col = collect(&c);
        failures.extend(col.problems.iter().map(|p| format!("{}: {p}", c.label)));
        for (need, at) in &col.found {
            if let Some(why) = uncovered(need, c.version, &col.functions, &c.files) {
                failures.push(format!("{}: {why}; called at {}", c.label, at.iter().next().unwrap()));
            }
        }
        // The reader must see what the chart is known to run (a reader that finds nothing would pass).
        let mut expected = vec![
            Need::Command("oned".into()),
            Need::Command("onedb".into()),
            Need::Command("oneuser".into()),
            Need::Command("ssh-keygen".into()),
            Need::Command("ssh-agent".into()),
            Need::Command("node".into()),
            Need::Command("awk".into()),
            Need::Command("id".into()),
            Need::Path("/usr/lib/one/fireedge/dist/index.js".into()),
            Need::Path("/usr/share/one/guacd/sbin/guacd".into()),
            Need::Path("/usr/lib/one/onegate/onegate-server.rb".into()),
            Need::Path("/usr/lib/one/onehem/onehem-server.rb".into()),
            Need::Script("check-image.sh".into()),
            Need::Script("one-raft.rb".into()),
            Need::RubyLib("opennebula".into()),
            Need::RubyLib("socket".into()),
        ];
        if c.version == OneVersion::V6_10 {
            expected.extend([Need::Path("/usr/bin/mm_sched".into()), Need::Command("novnc-server".into())]);
        }
        if c.label.starts_with("ha-raft") {
            // oned runs the Raft hooks of the configuration ConfigMap.
            expected.push(Need::Script("raft-hook.sh".into()));
        }
        if c.label == "ha-raft 7.4" {
            // The TLS proxy and the inventory job (issue 12).
            expected.extend([
                Need::Script("tls-proxy.sh".into()),
                Need::Command("haproxy".into()),
                Need::Script("inventory.rb".into()),
                Need::Command("onehost".into()),
                Need::Command("onedatastore".into()),
                Need::Path("/usr/lib/one/opennebula_exporter/opennebula_exporter.rb".into()),
            ]);
        }
        for e in expected {
            assert!(col.found.contains_key(&e), "{}: the reader did not find {e:?}", c.label);
        }
    }
    assert!(failures.is_empty(), "not covered by the image contract:\n{}", failures.join("\n"));
}

/// A command nobody added to the table fails the coverage check, wherever a script hides it.
#[test]
fn a_new_command_anywhere_fails_the_coverage_check() {
    let hiding_places = [
        "frobnicate --now\n",
        "f() {\n  frobnicate\n}\n",
        "x=$(frobnicate | tr a b)\n",
        "echo \"$(cat /x) `frobnicate`\"\n",
        "if true; then exec frobnicate; fi\n",
        "case $1 in\n  a|b) frobnicate ;;\nesac\n",
        "trap 'frobnicate; exit 0' TERM\n",
        "while ! frobnicate -q; do sleep 1; done\n",
        "ok && frobnicate || true\n",
        "FROB=${FROB:-frobnicate --x}\n$FROB run\n",
        "ruby -rfrobnicate -e 1\n",
        "ruby -e \"system('frobnicate', '-q')\"\n",
        "exec /bin/sh /run/onechart/scripts/wait-for-oned.sh one_auth frobnicate\n",
        "/usr/lib/one/frobnicate.rb\n",
    ];
    let base: BTreeMap<String, String> = [(
        "files/wait-for-oned.sh".to_string(),
        std::fs::read_to_string(root().join("chart-templates/files/wait-for-oned.sh")).unwrap(),
    )]
    .into();
    for script in hiding_places {
        let mut files = base.clone();
        files.insert("files/new.sh".into(), format!("#!/bin/sh\nset -eu\n{script}"));
        let mut col = Collector::new(&files);
        col.scripts();
        let missing: Vec<String> =
            col.found.keys().filter_map(|n| uncovered(n, OneVersion::V7_4, &col.functions, &files)).collect();
        assert!(
            missing.iter().any(|m| m.contains("frobnicate")),
            "`{}` was not caught: found {:?}",
            script.trim_end(),
            col.found.keys().collect::<Vec<_>>()
        );
    }
    // Ruby helpers: a command run in any form is resolved to its program, or reported.
    for code in ["system('frobnicate', '-x')\n", "IO.popen(['frobnicate'], &:read)\n"] {
        let mut files = base.clone();
        files.insert("files/new.rb".into(), code.into());
        let mut col = Collector::new(&files);
        col.ruby_helpers(&files);
        let missing: Vec<String> =
            col.found.keys().filter_map(|n| uncovered(n, OneVersion::V7_4, &col.functions, &files)).collect();
        assert!(missing.iter().any(|m| m.contains("frobnicate")), "`{}` was not caught", code.trim_end());
    }
    for code in ["Process.spawn 'frobnicate'\n", "exec 'frobnicate'\n", "x = `frobnicate`\n"] {
        let mut files = base.clone();
        files.insert("files/new.rb".into(), code.into());
        let mut col = Collector::new(&files);
        col.ruby_helpers(&files);
        assert!(!col.problems.is_empty(), "`{}` was not reported", code.trim_end());
    }
    // A container command is checked the same way.
    let mut col = Collector::new(&base);
    col.argv(
        &[
            Arg::Known("/bin/sh".into()),
            Arg::Known("/run/onechart/scripts/wait-for-oned.sh".into()),
            Arg::Known("sunstone_auth".into()),
            Arg::Known("frobnicate".into()),
        ],
        "container",
        0,
    );
    assert!(col.found.keys().any(|n| uncovered(n, OneVersion::V7_4, &col.functions, &base).is_some()));
    // And a word the reader cannot expand is reported, never skipped.
    let mut files = base.clone();
    files.insert("files/new.sh".into(), "#!/bin/sh\n$UNKNOWN_TOOL --x\n".into());
    let mut col = Collector::new(&files);
    col.scripts();
    assert!(col.problems.iter().any(|p| p.contains("cannot tell")), "{:?}", col.problems);
}

// ---- the start-up check on stub images ----

/// A stub image for `version`: every checked entry of the table, oneadmin in /etc/passwd, remotes/VERSION.
fn stub_image(dir: &Path, version: OneVersion) {
    use std::os::unix::fs::PermissionsExt;
    let write = |path: &str, text: &str, mode: u32| {
        let p = dir.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for e in contract::entries(version).filter(|e| e.checked) {
        match e.kind {
            Kind::Command => write(&format!("/usr/bin/{}", e.name), "#!/bin/sh\n", 0o755),
            Kind::Executable => write(e.name, "#!/bin/sh\n", 0o755),
            Kind::File => write(e.name, "# stub\n", 0o644),
            Kind::Dir => std::fs::create_dir_all(dir.join(e.name.trim_start_matches('/'))).unwrap(),
            // Versions as in share/install_gems/Debian12/Gemfile.lock at release-7.4.0 (xmlrpc 0.3.4, rexml 3.4.4).
            Kind::Gem => write(
                &format!(
                    "/usr/share/one/gems/specifications/{}-{}.gemspec",
                    e.name,
                    if e.name == "xmlrpc" { "0.3.4" } else { "3.4.4" }
                ),
                "",
                0o644,
            ),
            Kind::Package => {}
        }
    }
    write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\noneadmin:x:9869:9869::/var/lib/one:/bin/bash\n", 0o644);
    write("/var/lib/one/remotes/VERSION", &format!("{}\n", version.release()), 0o644);
}

/// Runs a chart's check-image.sh against a stub root, as uid `uid` (a stub `id` on PATH).
fn run_check(script: &str, image: &Path, uid: &str) -> (i32, String) {
    let bin = image.parent().unwrap().join(format!("bin-{uid}"));
    std::fs::create_dir_all(&bin).unwrap();
    let id = bin.join("id");
    std::fs::write(&id, format!("#!/bin/sh\n[ \"$1\" = -u ] && echo {uid}\n")).unwrap();
    std::fs::set_permissions(&id, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let o = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg("check-image.sh")
        .env("ONECHART_IMAGE_ROOT", image)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}

fn check_script(version: OneVersion) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chart");
    let set = version_set(version);
    let mut extra = Vec::new();
    for s in &set {
        extra.extend(["--set", s.as_str()]);
    }
    common::generate("dev-sqlite", &extra, &dir);
    let chart = std::fs::read_to_string(dir.join("files/check-image.sh")).unwrap();
    let recipe = std::fs::read_to_string(dir.join("image/check-image.sh")).unwrap();
    assert_eq!(chart, recipe, "the chart and the recipe run the same check");
    chart
}

#[test]
fn the_check_passes_on_a_complete_stub_image_of_each_version() {
    for v in OneVersion::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let image = tmp.path().join("root");
        stub_image(&image, v);
        let (code, out) = run_check(&check_script(v), &image, "9869");
        assert_eq!(code, 0, "{v:?}: {out}");
        assert!(out.contains(&format!("image checked: OpenNebula {}", v.release())), "{out}");
    }
}

#[test]
fn the_check_names_each_defect_in_one_message() {
    let v = OneVersion::V7_4;
    let script = check_script(v);
    type Break = fn(&Path);
    let defects: &[(&str, Break, &str)] = &[
        (
            "missing command",
            |r| std::fs::remove_file(r.join("usr/bin/onezone")).unwrap(),
            "command onezone (package opennebula-tools)",
        ),
        (
            "command not executable",
            |r| {
                std::fs::set_permissions(
                    r.join("usr/bin/mysqldump"),
                    std::os::unix::fs::PermissionsExt::from_mode(0o644),
                )
                .unwrap()
            },
            "command mysqldump (package mariadb-client)",
        ),
        (
            "missing executable",
            |r| std::fs::remove_file(r.join("usr/share/one/guacd/sbin/guacd")).unwrap(),
            "executable /usr/share/one/guacd/sbin/guacd (package opennebula-guacd)",
        ),
        (
            "missing Ruby library",
            |r| std::fs::remove_file(r.join("usr/lib/one/ruby/opennebula.rb")).unwrap(),
            "file /usr/lib/one/ruby/opennebula.rb (package opennebula-libs)",
        ),
        (
            "missing gem directory",
            |r| std::fs::remove_dir_all(r.join("usr/share/one/gems")).unwrap(),
            "directory /usr/share/one/gems (package opennebula-rubygems)",
        ),
        (
            "missing gem",
            |r| std::fs::remove_file(r.join("usr/share/one/gems/specifications/xmlrpc-0.3.4.gemspec")).unwrap(),
            "Ruby gem xmlrpc in /usr/share/one/gems (package opennebula-rubygems)",
        ),
        (
            "oneadmin with another uid and home",
            |r| std::fs::write(r.join("etc/passwd"), "oneadmin:x:1000:1000::/home/oneadmin:/bin/sh\n").unwrap(),
            "/etc/passwd entry oneadmin with uid:gid 9869:9869 and home /var/lib/one (found: 1000:1000:/home/oneadmin)",
        ),
        (
            "no oneadmin",
            |r| std::fs::write(r.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap(),
            "(found: none)",
        ),
        (
            "another OpenNebula version",
            |r| std::fs::write(r.join("var/lib/one/remotes/VERSION"), "7.2.0\n").unwrap(),
            "OpenNebula 7.2.0 is installed (/var/lib/one/remotes/VERSION), this chart runs 7.4 (opennebula.version)",
        ),
        (
            "no OpenNebula",
            |r| std::fs::remove_file(r.join("var/lib/one/remotes/VERSION")).unwrap(),
            "file /var/lib/one/remotes/VERSION (package opennebula): is OpenNebula installed?",
        ),
        (
            "a baked SSH key",
            |r| {
                std::fs::create_dir_all(r.join("var/lib/one/.ssh")).unwrap();
                std::fs::write(r.join("var/lib/one/.ssh/id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\n").unwrap();
            },
            "no /var/lib/one/.ssh/id_rsa in the image",
        ),
        (
            "a 6.10 image under a 7.4 chart",
            |r| {
                std::fs::remove_file(r.join("usr/lib/one/mads/one_sched")).unwrap();
                std::fs::write(r.join("var/lib/one/remotes/VERSION"), "6.10.5\n").unwrap();
            },
            "executable /usr/lib/one/mads/one_sched (package opennebula)",
        ),
    ];
    for (what, break_it, expected) in defects {
        let tmp = tempfile::tempdir().unwrap();
        let image = tmp.path().join("root");
        stub_image(&image, v);
        break_it(&image);
        let (code, out) = run_check(&script, &image, "9869");
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains(expected), "{what}: expected `{expected}` in:\n{out}");
        assert!(out.contains("image/README.md"), "{what}: the message points at the recipe:\n{out}");
    }
    // Running as another user, and several defects at once: one message lists them all.
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("root");
    stub_image(&image, v);
    std::fs::remove_file(image.join("usr/bin/node")).unwrap();
    std::fs::remove_file(image.join("usr/bin/sqlite3")).unwrap();
    let (code, out) = run_check(&script, &image, "0");
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("onechart: this image cannot run").count(), 1, "{out}");
    for expected in
        ["runs as uid 0, not oneadmin's 9869", "command node (package nodejs)", "command sqlite3 (package sqlite3)"]
    {
        assert!(out.contains(expected), "expected `{expected}` in:\n{out}");
    }
}

// ---- the recipe ----

/// `--set` values of a chart for `version`.
fn version_set(v: OneVersion) -> Vec<String> {
    let mut set = vec![format!("opennebula.version={}", v.as_str()), format!("image.tag={}", v.release())];
    if v < OneVersion::V7_2 {
        set.push("oned.grpc.enabled=false".into());
    }
    set
}

fn recipe_cases() -> Vec<(String, Vec<String>, OneVersion)> {
    let mut out = Vec::new();
    for profile in ["dev-sqlite", "prod-mysql", "ha-raft"] {
        for v in OneVersion::ALL {
            out.push((profile.to_string(), version_set(v), v));
        }
    }
    out
}

#[test]
fn recipes_pass_hadolint_and_install_exactly_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let hadolint = tool("hadolint");
    for (i, (profile, set, v)) in recipe_cases().into_iter().enumerate() {
        let dir = tmp.path().join(format!("c{i}"));
        let mut extra = Vec::new();
        for s in &set {
            extra.extend(["--set", s.as_str()]);
        }
        common::generate(&profile, &extra, &dir);
        let file = dir.join("image/Containerfile");
        // No finding at any level: every accepted warning carries an inline `# hadolint ignore=` with its reason.
        let o = Command::new(&hadolint).arg("--no-color").arg(&file).current_dir(&dir).output().unwrap();
        assert!(
            o.status.success() && o.stdout.is_empty(),
            "hadolint {profile} {v:?}:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&format!("ARG ONE_VERSION={}\n", v.release())), "{profile} {v:?}");
        assert!(
            text.contains(&format!("ARG ONE_REPO_URL=https://downloads.opennebula.io/repo/{}/Debian/12\n", v.as_str()))
        );
        assert!(text.contains("\nUSER 9869\n") && text.contains("rm -rf /var/lib/apt/lists/*"));
        for forbidden in ["supervisor", "apt-get upgrade", "ENTRYPOINT", "CMD ", "ENV ", "systemctl"] {
            let used = text.lines().filter(|l| !l.trim_start().starts_with('#')).any(|l| l.contains(forbidden));
            assert!(!used, "{profile} {v:?}: the recipe uses {forbidden}");
        }
        // The install list, in order, is the table's: OpenNebula's pinned, Debian's as they are.
        let installed: Vec<String> = text
            .lines()
            .map(str::trim)
            .skip_while(|l| !l.starts_with("&& apt-get install -y --no-install-recommends \\"))
            .skip(1)
            .take_while(|l| !l.starts_with("&&"))
            .map(|l| l.trim_end_matches('\\').trim().to_string())
            .collect();
        let mut expected: Vec<String> = contract::packages(v, Origin::OpenNebula)
            .into_iter()
            .map(|p| format!("{p}=\"${{ONE_VERSION}}-*\""))
            .collect();
        expected.extend(contract::packages(v, Origin::Debian).into_iter().map(String::from));
        assert_eq!(installed, expected, "{profile} {v:?}");
        assert!(!installed.iter().any(|p| p.contains("systemd")), "{profile} {v:?}: no systemd");
    }
}

#[test]
fn generated_checks_pass_shellcheck() {
    for v in OneVersion::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("check-image.sh");
        std::fs::write(&p, check_script(v)).unwrap();
        let o = Command::new("shellcheck").args(["-s", "sh", "-S", "style"]).arg(&p).output().unwrap();
        assert!(o.status.success(), "shellcheck {v:?}:\n{}", String::from_utf8_lossy(&o.stdout));
    }
}

/// Where a line of Ruby runs a command: `system`, `exec`, `spawn` (as words, with or without parentheses),
/// backquotes, `%x`, Open3 and IO.popen.
fn ruby_shell_outs(code: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for word in ["system", "exec", "spawn"] {
        for (i, _) in code.match_indices(word) {
            let before = code[..i].chars().next_back();
            let after = code[i + word.len()..].chars().next();
            // A word of its own, not part of a name or a string (`'system'`).
            let word_start = before.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '\'' | '"' | ':')));
            let call = after.is_some_and(|c| matches!(c, '(' | ' ' | '\'' | '"'));
            if word_start && call {
                out.push((i, word));
            }
        }
    }
    for marker in ["`", "%x", "Open3", "IO.popen"] {
        if let Some(i) = code.find(marker) {
            out.push((i, marker));
        }
    }
    out
}
