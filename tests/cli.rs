//! The command line end to end: exit codes, messages with file:line:column, determinism, atomic output.

mod common;

use common::{example, generate, onechart, root, text, tree};

/// `generate --profile prod-mysql -f <example> -f <values> -o <out>` in `cwd`.
fn generate_prod_with(values: &std::path::Path, out: &str, cwd: &std::path::Path) -> std::process::Output {
    let ex = example("prod-mysql");
    onechart(
        &["generate", "--profile", "prod-mysql", "-f", ex.to_str().unwrap(), "-f", values.to_str().unwrap(), "-o", out],
        cwd,
    )
}

#[test]
fn generate_dev_sqlite_needs_no_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    let o = onechart(&["generate", "-o", out.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    for f in [
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "README.md",
        "templates/NOTES.txt",
        "templates/_helpers.tpl",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(out.join("templates/tests").read_dir().unwrap().count() >= 2);
}

#[test]
fn output_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    for profile in ["dev-sqlite", "prod-mysql", "ha-raft"] {
        let (a, b) = (tmp.path().join(format!("{profile}-a")), tmp.path().join(format!("{profile}-b")));
        generate(profile, &[], &a);
        generate(profile, &[], &b);
        assert_eq!(tree(&a), tree(&b), "{profile}: two runs differ");
    }
}

#[test]
fn missing_site_values_are_listed_in_one_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    let o = onechart(&["generate", "--profile", "ha-raft", "-o", out.to_str().unwrap()], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("needs 4 site value(s)"), "{err}");
    for path in ["image.repository", "oned.hostname", "monitord.monitorAddress", "onegate.endpoint"] {
        assert!(err.contains(&format!("  {path}: ")), "{path} not listed: {err}");
    }
    assert!(!out.exists(), "a failed generate created the output directory");
}

#[test]
fn unknown_keys_name_file_line_column_and_suggest() {
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("v.yaml");
    std::fs::write(&values, "oned:\n  replicas: 1\n  hostnme: a.example.com\n").unwrap();
    let o = onechart(&["generate", "-f", values.to_str().unwrap(), "-o", "out"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3:3: error[ONE100]: unknown key `oned.hostnme`; did you mean `hostname`? (invalid-value)",
            values.display()
        )),
        "{err}"
    );
}

#[test]
fn wrong_types_point_at_the_value() {
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("v.yaml");
    std::fs::write(&values, "ssh:\n  strictHostKeyChecking: no\n").unwrap();
    let o = onechart(&["generate", "-f", values.to_str().unwrap(), "-o", "out"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(":2:26: error[ONE100]: `ssh.strictHostKeyChecking` must be one of"), "{err}");
    assert!(err.contains("found `false`"), "{err}");
    // The YAML 1.1 reading that caused it is reported too.
    assert!(err.contains(":2:26: warning[ONE102]: `no` is read by Helm as boolean false"), "{err}");
}

#[test]
fn lint_errors_reject_values_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("v.yaml");
    std::fs::write(&values, "database:\n  backend: sqlite\n").unwrap();
    let o = generate_prod_with(&values, "out", tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:2:12: error[ONE001]", values.display())), "{err}");
    assert!(err.contains("= help: Set `database.backend: mysql`"), "{err}");
    assert!(!err.contains("must be one of"), "the schema message must give way to the rule: {err}");
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn set_values_are_typed_like_helm_and_located() {
    let tmp = tempfile::tempdir().unwrap();
    let o = onechart(&["generate", "--set", "oned.replicas=2", "-o", "out"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("--set oned.replicas=2: error[ONE003]"), "{err}");
}

#[test]
fn failed_generate_leaves_an_existing_chart_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("prod-mysql", &[], &out);
    let before = tree(&out);
    let bad = tmp.path().join("bad.yaml");
    for content in ["oned: [unclosed\n", "oned:\n  replicas: 2\n", "nope: 1\n", "\u{0}\u{ff}"] {
        std::fs::write(&bad, content).unwrap();
        let o = generate_prod_with(&bad, out.to_str().unwrap(), tmp.path());
        assert_ne!(o.status.code(), Some(0), "{content:?} was accepted");
        assert_eq!(tree(&out), before, "{content:?} changed the chart");
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "temporary directories left behind: {leftovers:?}");
}

#[test]
fn refuses_foreign_directories_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep me").unwrap();
    let o = onechart(&["generate", "-o", out.to_str().unwrap()], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("was not generated by onechart"), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "keep me");
    let o = onechart(&["generate", "-o", out.to_str().unwrap(), "--force"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(!out.join("notes.txt").exists());
    // A chart onechart wrote is regenerated in place without --force.
    let o = onechart(&["generate", "-o", out.to_str().unwrap(), "--set", "persistence.size=5Gi"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn check_reports_stale_charts_with_a_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("ha-raft", &[], &out);
    let ex = example("ha-raft");
    let args = ["generate", "--profile", "ha-raft", "-f", ex.to_str().unwrap(), "-o", out.to_str().unwrap(), "--check"];
    let o = onechart(&args, &root());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let values = out.join("values.yaml");
    let edited = std::fs::read_to_string(&values).unwrap().replace("size: \"20Gi\"", "size: \"21Gi\"");
    std::fs::write(&values, edited).unwrap();
    std::fs::write(out.join("templates/extra.yaml"), "kind: ConfigMap\n").unwrap();
    let o = onechart(&args, &root());
    let (diff, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{diff}");
    assert!(diff.contains("--- values.yaml (on disk)\n+++ values.yaml (generated)"), "{diff}");
    assert!(diff.contains("-  size: \"21Gi\"\n+  size: \"20Gi\""), "{diff}");
    assert!(diff.contains("--- templates/extra.yaml (on disk)"), "{diff}");
}

#[test]
fn profiles_schema_rules_and_explain() {
    let dir = root();
    let (out, _) = text(&onechart(&["profiles"], &dir));
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.starts_with("dev-sqlite  development"), "{out}");
    let o = onechart(&["schema", "--profile", "ha-raft"], &dir);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["properties"]["oned"]["properties"]["replicas"]["enum"], serde_json::json!([3, 5, 7]));
    let (out, _) = text(&onechart(&["rules"], &dir));
    assert_eq!(out.lines().count(), onechart::lint::rules::ALL.len());
    assert!(out.starts_with("ONE001  sqlite-in-production"), "{out}");
    let o = onechart(&["explain", "monitor-address-auto-in-ha"], &dir);
    let (out, _) = text(&o);
    assert!(out.starts_with("# monitor-address-auto-in-ha (ONE004)"), "{out}");
    assert!(out.contains("## Why is this bad?") && out.contains("Use instead:"), "{out}");
    let o = onechart(&["explain", "ONE999"], &dir);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unknown_profile_suggests_a_builtin() {
    let o = onechart(&["generate", "--profile", "prod-mysq", "-o", "x"], &root());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("unknown profile `prod-mysq`; did you mean `prod-mysql`?"), "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_clap_definition() {
    let dir = root();
    for shell in ["bash", "zsh", "fish"] {
        let o = onechart(&["completions", shell], &dir);
        let (out, _) = text(&o);
        assert_eq!(o.status.code(), Some(0));
        for sub in ["generate", "lint", "explain", "profiles"] {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let (man, _) = text(&onechart(&["manpage"], &dir));
    assert!(man.contains(".TH onechart 1") && man.contains("generate"), "{man}");
}

#[test]
fn color_quiet_and_no_color() {
    let dir = root().join("tests/fixtures/lint/ONE015");
    let (out, _) = text(&onechart(&["--color", "always", "lint", "bad.yaml"], &dir));
    assert!(out.contains("\x1b[1;33mwarning[ONE015]\x1b[0m"), "{out:?}");
    let (out, _) = text(&onechart(&["--color", "never", "lint", "bad.yaml"], &dir));
    assert!(!out.contains('\x1b'), "{out:?}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["lint", "bad.yaml"])
        .env("NO_COLOR", "1")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
    // --quiet: nothing on success, findings still shown.
    let (out, _) = text(&onechart(&["--quiet", "lint", "ok.yaml"], &dir));
    assert_eq!(out, "");
    let (out, _) = text(&onechart(&["-q", "lint", "bad.yaml"], &dir));
    assert!(out.contains("warning[ONE015]"), "{out}");
    let tmp = tempfile::tempdir().unwrap();
    let o = onechart(&["--quiet", "generate", "-o", "chart"], tmp.path());
    assert_eq!(text(&o), (String::new(), String::new()));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn errors_print_the_cause_once_without_backtraces() {
    let tmp = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["generate", "-o", "chart", "--check"])
        .env("RUST_BACKTRACE", "1")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: chart: no such chart directory to check"), "{err}");
    assert!(!err.contains("stack backtrace"), "{err}");
}
