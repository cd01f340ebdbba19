//! The command line end to end: exit codes, messages with file:line:column, determinism, atomic output.

use crate::common;

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
        "templates/_names.tpl",
        "templates/_validate.tpl",
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
    // One finding, which names the YAML 1.1 reading that caused it (not a second ONE102 at the same column).
    assert!(
        err.contains(
            ":2:26: error[ONE100]: `ssh.strictHostKeyChecking` must be a string, found the boolean `false`: the unquoted `no` is read by Helm as the boolean false; quote it"
        ),
        "{err}"
    );
    assert!(!err.contains("ONE102") && err.contains("Found 1 error, 0 warnings"), "{err}");
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
    // --force writes beside the files it finds and removes none: one in the way of a chart file moves aside.
    std::fs::write(out.join("Chart.yaml"), "name: hand-made\n").unwrap();
    let o = onechart(&["generate", "-o", out.to_str().unwrap(), "--force"], tmp.path());
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(out.join("Chart.yaml.onechart-orig")).unwrap(), "name: hand-made\n");
    assert!(
        err.contains("Chart.yaml was not written by onechart and was in the way: moved to Chart.yaml.onechart-orig"),
        "{err}"
    );
    assert!(stdout.contains("kept 2 path(s) onechart did not write: Chart.yaml.onechart-orig, notes.txt"), "{stdout}");
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
    std::fs::remove_file(out.join("templates/NOTES.txt")).unwrap();
    let o = onechart(&args, &root());
    let (diff, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{diff}");
    assert!(diff.contains("--- values.yaml (on disk)\n+++ values.yaml (generated)"), "{diff}");
    assert!(diff.contains("-  size: \"21Gi\"\n+  size: \"20Gi\""), "{diff}");
    assert!(diff.contains("+++ templates/NOTES.txt (generated)"), "{diff}");
    // A file onechart did not write is the user's: never compared, but part of the chart's version.
    assert!(!diff.contains("extra.yaml"), "{diff}");
    assert!(diff.contains("--- Chart.yaml (on disk)"), "{diff}");
    assert!(err.contains("stale (2 changed, 1 missing; files onechart did not write are not compared)"), "{err}");
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

/// `generate` for a built-in profile with its example values and extra args; returns (code, stdout, stderr).
fn regen(profile: &str, out: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let ex = example(profile);
    let mut args = vec!["generate", "--profile", profile, "-f", ex.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = onechart(&args, &root());
    let (stdout, stderr) = text(&o);
    (o.status.code(), stdout, stderr)
}

#[test]
fn regeneration_keeps_what_onechart_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("prod-mysql", &[], &out);
    let user = [
        (".git/config", "[core]\n"),
        (".git/objects/ab/cdef", "blob"),
        ("ci/test-values.yaml", "oned:\n  hostname: ci.example.com\n"),
        ("templates/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"),
        ("site.values.yaml", "persistence:\n  size: 30Gi\n"),
    ];
    for (rel, content) in user {
        let p = out.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    // A file the previous chart had and this one does not (say, a template a newer onechart dropped).
    let manifest = out.join(".onechart-manifest");
    let listed = std::fs::read_to_string(&manifest).unwrap() + "templates/dropped.yaml\n";
    std::fs::write(&manifest, listed).unwrap();
    std::fs::write(out.join("templates/dropped.yaml"), "kind: ConfigMap\n").unwrap();
    let (code, _, err) = regen("prod-mysql", &out, &["--check"]);
    assert_eq!(code, Some(1), "{err}");
    // The chart's version follows the files kept beside it too (Helm packages them): Chart.yaml is stale.
    assert!(err.contains("stale (2 changed, 1 to remove;"), "{err}");

    let (code, stdout, err) = regen("prod-mysql", &out, &["--set", "oned.replicas=1"]);
    assert_eq!(code, Some(0), "{err}");
    for (rel, content) in user {
        assert_eq!(std::fs::read_to_string(out.join(rel)).unwrap(), content, "{rel} changed");
    }
    assert!(!out.join("templates/dropped.yaml").exists(), "a file of the previous chart stayed");
    assert!(stdout.contains("removed 1 file(s) of the previous chart: templates/dropped.yaml"), "{stdout}");
    assert!(
        stdout.contains("kept 4 path(s) onechart did not write: .git/, ci/, site.values.yaml, templates/extra.yaml"),
        "{stdout}"
    );
    let (code, stdout, err) = regen("prod-mysql", &out, &["--check"]);
    assert_eq!(code, Some(0), "user files are not compared: {stdout}{err}");
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".onechart-") && n != ".onechart-manifest")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_user_file_in_the_way_is_refused_or_moved_aside_never_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("dev-sqlite", &[], &out);
    // README.md is no longer listed as onechart's: the user's now.
    let manifest = out.join(".onechart-manifest");
    let listed: String = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .filter(|l| *l != "README.md")
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, listed).unwrap();
    std::fs::write(out.join("README.md"), "our own notes\n").unwrap();
    let before = tree(&out);
    let (code, _, err) = regen("dev-sqlite", &out, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "a file is not written by onechart (not in .onechart-manifest) but this chart writes that path: README.md"
        ),
        "{err}"
    );
    assert_eq!(tree(&out), before, "a refused generate changed the directory");
    let (code, _, err) = regen("dev-sqlite", &out, &["--force"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("README.md.onechart-orig")).unwrap(), "our own notes\n");
    assert!(std::fs::read_to_string(out.join("README.md")).unwrap().starts_with("# OpenNebula"));
}

#[test]
fn a_manifest_never_reaches_outside_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("dev-sqlite", &[], &out);
    let outside = tmp.path().join("outside.txt");
    std::fs::write(&outside, "not yours").unwrap();
    let manifest = out.join(".onechart-manifest");
    let hostile = format!(
        "{}../outside.txt\n{}\ntemplates/../../outside.txt\n./x\n",
        std::fs::read_to_string(&manifest).unwrap(),
        outside.display()
    );
    std::fs::write(&manifest, hostile).unwrap();
    let (code, _, err) = regen("dev-sqlite", &out, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "not yours");
}

#[test]
fn immutable_statefulset_changes_are_named_with_the_procedure() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("prod-mysql", &[], &out);
    let (code, _, err) = regen("prod-mysql", &out, &["--set", "persistence.size=30Gi", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("`helm upgrade` to this chart will be refused by the API server"), "{err}");
    assert!(
        err.contains(
            "spec.volumeClaimTemplates[data].spec.resources.requests.storage: 20Gi -> 30Gi (persistence.size)"
        ),
        "{err}"
    );
    assert!(err.contains("kubectl delete statefulset <release>-opennebula -n <namespace> --cascade=orphan"), "{err}");
    assert!(err.contains("kubectl patch pvc data-<release>-opennebula-0"), "{err}");
    let (code, _, err) = regen("prod-mysql", &out, &["--set", "persistence.storageClass=fast", "--check"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("storageClassName: (empty) -> fast (persistence.storageClass)"), "{err}");
    assert!(err.contains("a claim never changes class or access mode"), "{err}");
    // The bundled MariaDB goes away: its claim template with it. Written anyway, with the warning.
    let (code, _, err) = regen("prod-mysql", &out, &["--set", "database.mysql.host=db.example.com"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("spec.volumeClaimTemplates: [data, mariadb] -> [data]"), "{err}");
    assert!(err.contains("a removed one leaves its claims behind"), "{err}");
    // Nothing changes: nothing to say.
    let (code, _, err) = regen("prod-mysql", &out, &["--set", "database.mysql.host=db.example.com"]);
    assert_eq!((code, err.contains("warning")), (Some(0), false), "{err}");
    let (_, _, err) =
        regen("prod-mysql", &out, &["--set", "database.mysql.host=db.example.com,fullnameOverride=cloud"]);
    assert!(
        err.contains("`fullnameOverride` renames the release's objects: StatefulSet <release>-opennebula -> cloud"),
        "{err}"
    );
    assert!(err.contains("EMPTY volumes (claims data-cloud-N)") && err.contains("NEW credentials"), "{err}");
}

#[test]
fn chart_version_is_given_or_derived_from_the_content() {
    let tmp = tempfile::tempdir().unwrap();
    let version = |dir: &std::path::Path| {
        let chart = std::fs::read_to_string(dir.join("Chart.yaml")).unwrap();
        chart.lines().find_map(|l| l.strip_prefix("version: ")).unwrap().to_string()
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    // A new chart is a release (chart repositories hide pre-releases), the same in two directories.
    generate("dev-sqlite", &[], &a);
    generate("dev-sqlite", &[], &b);
    assert_eq!(version(&a), "0.1.0");
    assert_eq!(version(&b), "0.1.0", "same inputs, same version");
    // Regenerated unchanged: the same version, and --check agrees.
    generate("dev-sqlite", &[], &a);
    assert_eq!(version(&a), "0.1.0");
    // New content bumps the patch, again and again; --check of the new content is up to date.
    generate("dev-sqlite", &["--set", "persistence.size=11Gi"], &a);
    assert_eq!(version(&a), "0.1.1");
    generate("dev-sqlite", &["--set", "persistence.size=12Gi"], &a);
    assert_eq!(version(&a), "0.1.2");
    generate("dev-sqlite", &["--set", "persistence.size=12Gi", "--check"], &a);
    // A template of the user's own, kept in the chart, is part of its content.
    std::fs::write(a.join("templates/extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n").unwrap();
    let (code, _, _) = regen("dev-sqlite", &a, &["--set", "persistence.size=12Gi", "--check"]);
    assert_eq!(code, Some(1), "a changed kept template leaves the version stale");
    generate("dev-sqlite", &["--set", "persistence.size=12Gi"], &a);
    assert_eq!(version(&a), "0.1.3");
    std::fs::write(a.join("templates/extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n").unwrap();
    generate("dev-sqlite", &["--set", "persistence.size=12Gi"], &a);
    assert_eq!(version(&a), "0.1.4");
    // A chart of the old scheme (a pre-release) moves to its release; a given version is used as given,
    // `v1.4.0` too (Helm accepts it), and the next derived one follows it.
    let chart = std::fs::read_to_string(b.join("Chart.yaml"))
        .unwrap()
        .replace("version: 0.1.0", "version: 0.1.0-h0123456789ab");
    std::fs::write(b.join("Chart.yaml"), chart).unwrap();
    generate("dev-sqlite", &["--set", "persistence.size=11Gi"], &b);
    assert_eq!(version(&b), "0.1.0");
    let d = tmp.path().join("d");
    generate("dev-sqlite", &["--chart-version", "1.4.0-rc.1"], &d);
    assert_eq!(version(&d), "1.4.0-rc.1");
    generate("dev-sqlite", &["--chart-version", "v1.4.0"], &d);
    assert_eq!(version(&d), "v1.4.0");
    generate("dev-sqlite", &["--set", "persistence.size=11Gi"], &d);
    assert_eq!(version(&d), "v1.4.1");
    for bad in ["1.4", "vv1.4.0", "1.4.0-01"] {
        let (code, _, err) = regen("dev-sqlite", &tmp.path().join("e"), &["--chart-version", bad]);
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(err.starts_with(&format!("error: --chart-version `{bad}` is not a SemVer 2.0.0 version (")), "{err}");
        assert!(!tmp.path().join("e").exists());
    }
}

#[test]
fn generate_honours_the_profile_key_of_a_values_file() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.yaml");
    let ha = std::fs::read_to_string(example("ha-raft")).unwrap().replace("profile: ha-raft\n", "");
    std::fs::write(&site, format!("profile: ha-raft\n{ha}")).unwrap();
    let out = tmp.path().join("chart");
    let o = onechart(&["generate", "-f", site.to_str().unwrap(), "-o", out.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.contains("(profile ha-raft,"), "{:?}", text(&o));
    assert!(std::fs::read_to_string(out.join("Chart.yaml")).unwrap().contains("onechart.io/profile: ha-raft"));
    // The same profile named twice is fine; another one is refused, naming the key.
    let o = onechart(&["generate", "--profile", "ha-raft", "-f", site.to_str().unwrap(), "-o", "x"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = onechart(&["generate", "--profile", "prod-mysql", "-f", site.to_str().unwrap(), "-o", "y"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "{}:1:1: error: this values file names profile `ha-raft` (its `profile:` key, here), but the command \
             line asks for profile `prod-mysql` (`--profile prod-mysql`)",
            site.display()
        )),
        "{err}"
    );
    assert!(!tmp.path().join("y").exists());
    let other = tmp.path().join("other.yaml");
    std::fs::write(&other, "# a second file\nprofile: prod-mysql\n").unwrap();
    let o = onechart(&["generate", "-f", site.to_str().unwrap(), "-f", other.to_str().unwrap(), "-o", "z"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}:2:1: error: this values file names profile `prod-mysql` (its `profile:` key, here), but the values \
             file at {}:1:1 names profile `ha-raft`",
            other.display(),
            site.display()
        )),
        "{err}"
    );
}

#[test]
fn a_rule_suppressed_with_a_reason_is_waived_in_that_chart_only() {
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("v.yaml");
    std::fs::write(
        &values,
        "backup:\n  enabled: false # onechart:ignore ONE017 the storage array snapshots the database volume\n",
    )
    .unwrap();
    let out = tmp.path().join("chart");
    let o = generate_prod_with(&values, out.to_str().unwrap(), tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let chart = std::fs::read_to_string(out.join("Chart.yaml")).unwrap();
    assert!(chart.contains("onechart.io/waived-rules: \"ONE017\""), "{chart}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("| ONE017 `no-backup` | `backup.enabled` | the storage array snapshots the database volume |"),
        "{readme}"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("values.schema.json")).unwrap()).unwrap();
    assert!(schema["properties"]["backup"]["properties"]["enabled"].get("enum").is_none());
    assert_eq!(schema["properties"]["persistence"]["properties"]["keep"]["enum"], serde_json::json!([true]));
    // The profile's environment is not a rule: no comment waives it.
    std::fs::write(&values, "environment: development # onechart:ignore ONE100 just testing\n").unwrap();
    let o = generate_prod_with(&values, "other", tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("`environment` must be one of `production`, found `development`"), "{err}");
    assert!(err.contains("the profile's envelope cannot be suppressed"), "{err}");
}

#[test]
fn passwords_given_to_generate_are_refused_and_never_written() {
    // The chart is meant to be committed and published: a password in values.yaml or the README's values table
    // is a leak. Refused (exit 2) with the ways that keep it out: empty, at install time, or an existingSecret.
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.yaml");
    std::fs::write(&site, "database:\n  mysql:\n    password: Canary-Db-4712\n").unwrap();
    let ex = example("prod-mysql");
    let ex = ex.to_str().unwrap();
    for (args, path, at) in [
        (vec!["--set", "auth.oneadminPassword=Canary-Pw-4711"], "auth.oneadminPassword", "--set auth.oneadminPassword"),
        (vec!["--set", "auth.serveradminPassword=Canary-Pw-4713"], "auth.serveradminPassword", "--set auth."),
        (vec!["-f", site.to_str().unwrap()], "database.mysql.password", "site.yaml:3:15"),
    ] {
        let out = tmp.path().join("chart");
        let o = generate_prod_with(&example("prod-mysql"), out.to_str().unwrap(), tmp.path());
        assert_eq!(o.status.code(), Some(0));
        let before = tree(&out);
        let mut all = vec!["generate", "--profile", "prod-mysql", "-f", ex, "-o", "chart"];
        all.extend(args.iter().copied());
        let o = onechart(&all, tmp.path());
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{path}: {err}");
        assert!(err.contains(&format!("`{path}` is a password")) && err.contains(at), "{path}: {err}");
        assert!(err.contains("existingSecret") && err.contains("helm install"), "{path}: {err}");
        assert_eq!(tree(&out), before, "{path}: the chart changed");
        assert!(!tree(&out).values().any(|b| String::from_utf8_lossy(b).contains("Canary-")), "{path}: leaked");
    }
    // Empty passwords (the profile's defaults) and existingSecret are fine.
    let o = onechart(
        &["generate", "--profile", "prod-mysql", "-f", ex, "-o", "ok", "--set", "auth.existingSecret=one-auth"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

// Issue 18, item 1: lint resolves the profile as generate does, and says which profile it used.
#[test]
fn lint_refuses_a_profile_flag_against_the_files_profile_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("site.yaml"), "profile: prod-mysql\ndatabase:\n  backend: sqlite\n").unwrap();
    let o = common::onechart(&["lint", "--profile", "dev-sqlite", "site.yaml"], tmp.path());
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.contains(
            "site.yaml:1:1: error: this values file names profile `prod-mysql` (its `profile:` key, here), but the \
             command line asks for profile `dev-sqlite` (`--profile dev-sqlite`)"
        ),
        "{err}"
    );
    // The same pair, through generate: the same refusal.
    let o = common::onechart(&["generate", "--profile", "dev-sqlite", "-f", "site.yaml", "-o", "chart"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(common::text(&o).1.contains("site.yaml:1:1: error: this values file names profile `prod-mysql`"));
}

#[test]
fn lint_says_which_profile_it_used_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("named.yaml"), "profile: dev-sqlite\n").unwrap();
    std::fs::write(tmp.path().join("plain.yaml"), "persistence:\n  size: 5Gi\n").unwrap();
    let o = common::onechart(&["lint", "named.yaml", "plain.yaml"], tmp.path());
    let (out, _) = common::text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("named.yaml: profile dev-sqlite (`profile:` at named.yaml:1:1)"), "{out}");
    assert!(out.contains("plain.yaml: profile dev-sqlite (the default: no --profile and no `profile:` key)"), "{out}");
    let o = common::onechart(&["lint", "--format", "json", "--profile", "dev-sqlite", "plain.yaml"], tmp.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["inputs"],
        serde_json::json!([{"values": ["plain.yaml"], "set": [], "environment": null, "profile": "dev-sqlite", "profileFrom": "flag"}])
    );
    let o = common::onechart(&["lint", "--format", "sarif", "named.yaml"], tmp.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"][0]["properties"]["onechart"]["inputs"][0]["profile"], "dev-sqlite");
    assert_eq!(v["runs"][0]["properties"]["onechart"]["inputs"][0]["profileFrom"], "key");
}

#[test]
fn a_typo_in_the_profile_key_is_reported_at_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("site.yaml"), "# site\nprofile: prod-mysq\n").unwrap();
    for args in [&["lint", "site.yaml"][..], &["generate", "-f", "site.yaml", "-o", "chart"][..]] {
        let o = common::onechart(args, tmp.path());
        let err = common::text(&o).1;
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("site.yaml:2:10: error: unknown profile `prod-mysq`; did you mean `prod-mysql`?"),
            "{err}"
        );
        assert!(!err.contains("--profile:"), "{err}");
    }
}

#[test]
fn production_values_that_name_no_profile_are_not_passed_as_development() {
    let tmp = tempfile::tempdir().unwrap();
    // The prod example as it shipped (no `profile:`), with SQLite, no backups and volumes not kept.
    let example = std::fs::read_to_string(common::example("prod-mysql")).unwrap().replace("profile: prod-mysql\n", "");
    let broken =
        format!("{example}database:\n  backend: sqlite\nbackup:\n  enabled: false\npersistence:\n  keep: false\n");
    std::fs::write(tmp.path().join("prod.values.yaml"), &broken).unwrap();
    let o = common::onechart(&["lint", "prod.values.yaml"], tmp.path());
    let (out, _) = common::text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = broken.lines().position(|l| l.starts_with("  hostname:")).unwrap() + 1;
    assert!(out.contains(&format!("prod.values.yaml:{line}:3: error[ONE055]")), "{out}");
    // Named, it is linted as what it is.
    std::fs::write(tmp.path().join("prod.values.yaml"), format!("profile: prod-mysql\n{broken}")).unwrap();
    let out = common::text(&common::onechart(&["lint", "prod.values.yaml"], tmp.path())).0;
    for id in ["ONE001", "ONE017", "ONE022"] {
        assert!(out.contains(&format!("error[{id}]")), "{id}: {out}");
    }
    assert!(!out.contains("ONE055"), "{out}");
    // A development file without the key stays clean; every shipped example names its profile.
    std::fs::write(tmp.path().join("dev.yaml"), "persistence:\n  size: 5Gi\n").unwrap();
    assert_eq!(common::onechart(&["lint", "dev.yaml"], tmp.path()).status.code(), Some(0));
    for p in onechart::profile::builtin_names() {
        let text = std::fs::read_to_string(common::example(p)).unwrap();
        assert!(text.lines().any(|l| l == format!("profile: {p}")), "{p} example names no profile");
    }
}

/// ONE055 widened: several oned members (Raft HA, only `ha-raft` runs it) are production evidence too, in a file
/// or a `--set`; a blank site value and `monitorAddress: AUTO` (`auto` misspelt, its own finding) are not.
#[test]
fn one055_sees_ha_members_and_ignores_blank_or_auto_values() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let one055 = |args: &[&str]| -> Vec<String> {
        let o = common::onechart(&[&["lint", "--format", "json"], args].concat(), d);
        let v: serde_json::Value = serde_json::from_str(&common::text(&o).0).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"] == "ONE055")
            .map(|f| format!("{} {}:{}", f["path"].as_str().unwrap(), f["file"].as_str().unwrap(), f["line"]))
            .collect()
    };
    std::fs::write(d.join("ha.yaml"), "# three members\noned:\n  replicas: 3\n").unwrap();
    assert_eq!(one055(&["ha.yaml"]), ["oned.replicas ha.yaml:3"]);
    std::fs::write(d.join("ha.yaml"), "profile: ha-raft\noned:\n  replicas: 3\n").unwrap();
    assert!(one055(&["ha.yaml"]).is_empty());
    let dev = "oned:\n  replicas: 1\n  hostname: \"  \"\nmonitord:\n  monitorAddress: AUTO\n";
    std::fs::write(d.join("dev.yaml"), dev).unwrap();
    assert!(one055(&["dev.yaml"]).is_empty());
    assert_eq!(one055(&["dev.yaml", "--set", "oned.replicas=5"]), ["oned.replicas --set oned.replicas=5:null"]);
    assert_eq!(
        one055(&["dev.yaml", "--set", "onegate.endpoint=http://og.example.com:5030"]),
        ["onegate.endpoint --set onegate.endpoint=http://og.example.com:5030:null"]
    );
}

// Issue 18, item 2: layered values are linted as generate layers them.
#[test]
fn lint_layers_values_like_generate() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("common.yaml"), "profile: prod-mysql\noned:\n  hostname: one.example.com\n").unwrap();
    std::fs::write(
        d.join("prod.yaml"),
        "image:\n  repository: registry.example.com/one\nonegate:\n  endpoint: http://og.example.com:5030\n",
    )
    .unwrap();
    // Alone, each layer is incomplete (false errors); layered, they are clean, as generate compiles them.
    let alone = common::onechart(&["lint", "prod.yaml"], d);
    assert_eq!(alone.status.code(), Some(1), "{:?}", common::text(&alone));
    let o = common::onechart(&["lint", "-f", "common.yaml", "-f", "prod.yaml"], d);
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("common.yaml + prod.yaml: profile prod-mysql (`profile:` at common.yaml:1:1)"), "{out}");
    let g = common::onechart(&["generate", "-f", "common.yaml", "-f", "prod.yaml", "-o", "chart"], d);
    assert_eq!(g.status.code(), Some(0), "{:?}", common::text(&g));
    // --set is layered last, and findings point at whoever set the value.
    let o = common::onechart(&["lint", "-f", "common.yaml", "-f", "prod.yaml", "--set", "backup.enabled=false"], d);
    let out = common::text(&o).0;
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("--set backup.enabled=false: error[ONE017]"), "{out}");
    std::fs::write(d.join("override.yaml"), "oned:\n  hostname: \"\"\n").unwrap();
    let o = common::onechart(&["lint", "-f", "common.yaml", "-f", "prod.yaml", "-f", "override.yaml"], d);
    let out = common::text(&o).0;
    assert!(out.contains("override.yaml:2:13: error[ONE025]"), "{out}");
}

#[test]
fn lint_project_checks_each_environment_layered() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(d.join("deploy/common.yaml"), "oned:\n  hostname: one.example.com\n").unwrap();
    std::fs::write(
        d.join("deploy/prod.yaml"),
        "image:\n  repository: registry.example.com/one\nonegate:\n  endpoint: http://og.example.com:5030\n",
    )
    .unwrap();
    std::fs::write(d.join("deploy/dev.yaml"), "persistence:\n  size: 5Gi\n").unwrap();
    std::fs::write(
        d.join("deploy/onechart.yaml"),
        "environments:\n  prod:\n    profile: prod-mysql\n    values: [common.yaml, prod.yaml]\n  dev:\n    profile: dev-sqlite\n    values: [dev.yaml]\n",
    )
    .unwrap();
    let o = common::onechart(&["lint", "--project", "deploy/onechart.yaml"], d);
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains("environment prod (deploy/common.yaml + deploy/prod.yaml): profile prod-mysql (environments.prod.profile in deploy/onechart.yaml)"),
        "{out}"
    );
    std::fs::write(d.join("deploy/prod.yaml"), "image:\n  repository: registry.example.com/one\n").unwrap();
    let o = common::onechart(&["lint", "--project", "deploy/onechart.yaml", "--env", "prod"], d);
    let out = common::text(&o).0;
    assert_eq!(o.status.code(), Some(0), "a warning only: {out}");
    assert!(out.contains("warning[ONE018]") && !out.contains("environment dev"), "{out}");
    let o = common::onechart(&["lint", "--project", "deploy/onechart.yaml", "--env", "prd"], d);
    let err = common::text(&o).1;
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("--env prd: the project has no such environment; did you mean `prod`?"), "{err}");
    // generate compiles an environment of the same file, as lint checked it (--set layered last).
    let generate_prod = [
        "generate",
        "--project",
        "deploy/onechart.yaml",
        "--env",
        "prod",
        "--set",
        "onegate.endpoint=http://og.example.com:5030",
    ];
    let o = common::onechart(&[&generate_prod[..], &["-o", "chart"]].concat(), d);
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("(profile prod-mysql, OpenNebula 7.4.0)"), "{out}");
    let values = std::fs::read_to_string(d.join("chart/values.yaml")).unwrap();
    assert!(values.contains("hostname: \"one.example.com\""), "the common layer is in the chart");
    let o = common::onechart(&[&generate_prod[..], &["-o", "chart", "--check"]].concat(), d);
    assert_eq!(o.status.code(), Some(0), "{:?}", common::text(&o));
    let o = common::onechart(&["generate", "--project", "deploy/onechart.yaml", "--env", "prd", "-o", "x"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::text(&o).1.contains("did you mean `prod`?"));
}

/// Issue 19 (closing note, item 4): a project file names only files inside its own directory: an absolute path,
/// `..` or a symbolic link leading out is refused with exit 2 at the entry's file:line:column, and nothing of the
/// outside file (a Docker configuration, say) is printed; a link that stays inside is followed.
/// `--profile` never silently replaces the profile a project environment names (it made `lint --project
/// --profile dev-sqlite` pass a production environment, and `generate` write a development chart for it): the
/// same profile is fine, another is refused at the environment's `profile` key, in lint and generate alike.
#[test]
fn profile_flag_never_replaces_a_project_environments_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("env")).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/examples/prod-mysql.values.yaml"),
        d.join("env/prod.yaml"),
    )
    .unwrap();
    std::fs::write(
        d.join("onechart.yaml"),
        "environments:\n  prod:\n    profile: prod-mysql\n    values: [env/prod.yaml]\n",
    )
    .unwrap();
    let expected = "onechart.yaml:3:14: error: the project file's environment `prod` uses profile `prod-mysql` \
                    (`environments.prod.profile`, here), but the command line asks for profile `dev-sqlite` \
                    (`--profile dev-sqlite`)";
    let o = common::onechart(&["lint", "--project", "onechart.yaml", "--profile", "dev-sqlite"], d);
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.contains(expected), "{err}");
    let o = common::onechart(
        &["generate", "--project", "onechart.yaml", "--env", "prod", "--profile", "dev-sqlite", "-o", "chart"],
        d,
    );
    let (out, err) = common::text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.contains(expected) && !d.join("chart").exists(), "{err}");
    // The same profile on both sides is no conflict.
    let o = common::onechart(&["lint", "--project", "onechart.yaml", "--profile", "prod-mysql"], d);
    assert_eq!(o.status.code(), Some(0), "{:?}", common::text(&o));
}

/// A conflict names who asked for each profile: a project environment's `profile` is the project file's, not
/// `--profile` (the request carries where its profile comes from), and a `--set profile=...` is the `--set`, not
/// "this values file ... its `profile:` key" (issue 18).
#[test]
fn profile_conflicts_credit_the_project_file_and_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("c.yaml"), "database:\n  backend: sqlite\nprofile: dev-sqlite\n").unwrap();
    std::fs::write(d.join("proj.yaml"), "environments:\n  prod:\n    profile: prod-mysql\n    values: [c.yaml]\n")
        .unwrap();
    let expected = "c.yaml:3:1: error: this values file names profile `dev-sqlite` (its `profile:` key, here), but the \
                    project file's environment `prod` asks for profile `prod-mysql` (`environments.prod.profile` at \
                    proj.yaml:3:14); onechart uses one profile";
    for args in [
        vec!["lint", "--project", "proj.yaml"],
        vec!["generate", "--project", "proj.yaml", "--env", "prod", "-o", "out"],
    ] {
        let o = common::onechart(&args, d);
        let (out, err) = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
        assert!(err.contains(expected) && !err.contains("--profile"), "{args:?}: {err}");
    }
    assert!(!d.join("out").exists());
    // `--set profile=...` against a file's key, and against `--profile`: the `--set` is named as such.
    for (args, other) in [
        (
            vec!["lint", "--set", "profile=prod-mysql", "c.yaml"],
            "the values file at c.yaml:3:1 names profile `dev-sqlite`",
        ),
        (
            vec!["generate", "-f", "c.yaml", "--set", "profile=prod-mysql", "-o", "out"],
            "the values file at c.yaml:3:1 names profile `dev-sqlite`",
        ),
        (
            vec!["lint", "--profile", "dev-sqlite", "--set", "profile=prod-mysql", "c.yaml"],
            "the command line asks for profile `dev-sqlite` (`--profile dev-sqlite`)",
        ),
    ] {
        let o = common::onechart(&args, d);
        let (out, err) = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
        let expected =
            format!("--set profile=prod-mysql: error: this `--set` names profile `prod-mysql`, but {other};");
        assert!(err.contains(&expected) && !err.contains("this values file"), "{args:?}: {err}");
    }
    assert!(!d.join("out").exists());
}

#[test]
fn lint_project_refuses_files_outside_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("deploy/site")).unwrap();
    std::fs::create_dir_all(d.join("secrets")).unwrap();
    // A Docker configuration is JSON, so YAML: lint would quote its unknown key `auths`, line and all.
    let secret = d.join("secrets/config.json");
    std::fs::write(&secret, "{\"auths\": {\"registry.example.com\": {\"auth\": \"c2VjcmV0LXRva2Vu\"}}}\n").unwrap();
    std::fs::write(d.join("deploy/site/dev.yaml"), "persistence:\n  size: 5Gi\n").unwrap();
    std::os::unix::fs::symlink("../secrets", d.join("deploy/out")).unwrap();
    std::os::unix::fs::symlink("site", d.join("deploy/in")).unwrap();
    let absolute = secret.display().to_string();
    for (entry, key) in [
        (absolute.as_str(), "values"),
        ("../secrets/config.json", "values"),
        ("site/../../secrets/config.json", "values"),
        ("out/config.json", "values"),
        ("out/config.json", "profile"),
    ] {
        let project = if key == "values" {
            format!("environments:\n  dev:\n    profile: dev-sqlite\n    values: [site/dev.yaml, {entry:?}]\n")
        } else {
            format!("environments:\n  dev:\n    profile: {entry:?}\n    values: [site/dev.yaml]\n")
        };
        std::fs::write(d.join("deploy/onechart.yaml"), &project).unwrap();
        let o = common::onechart(&["lint", "--project", "deploy/onechart.yaml"], d);
        let (out, err) = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{entry}: {out}{err}");
        let column = if key == "values" { 29 } else { 14 };
        let line = if key == "values" { 4 } else { 3 };
        assert!(
            err.contains(&format!("deploy/onechart.yaml:{line}:{column}: error: `environments.dev.{key}`: `{entry}` leaves the project file's directory")),
            "{entry}: {err}"
        );
        assert!(
            !out.contains("c2VjcmV0") && !err.contains("c2VjcmV0"),
            "{entry}: the outside file was read: {out}{err}"
        );
    }
    // A link that stays inside the project's directory is fine.
    std::fs::write(
        d.join("deploy/onechart.yaml"),
        "environments:\n  dev:\n    profile: dev-sqlite\n    values: [in/dev.yaml, ./site/dev.yaml]\n",
    )
    .unwrap();
    let o = common::onechart(&["lint", "--project", "deploy/onechart.yaml"], d);
    assert_eq!(o.status.code(), Some(0), "{:?}", common::text(&o));
}

// Issue 18, item 4: a new release line is told with what the upgrade needs; an older one is refused.
#[test]
fn release_line_changes_are_told_and_downgrades_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    // The examples pin image.tag; without it the tag follows opennebula.version.
    let site = |p: &str| {
        let f = tmp.path().join(format!("{p}.yaml"));
        let text = std::fs::read_to_string(example(p)).unwrap().replace("  tag: \"7.4.0\"\n", "");
        std::fs::write(&f, text).unwrap();
        f.display().to_string()
    };
    let ha_site = site("ha-raft");
    let ha = |extra: &[&str]| {
        let o =
            onechart(&[&["generate", "-f", ha_site.as_str(), "-o", out.to_str().unwrap()], extra].concat(), tmp.path());
        let (out, err) = text(&o);
        (o.status.code(), out, err)
    };
    let (code, _, err) = ha(&["--set", "opennebula.version=7.2"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("new release line"), "a new chart is no upgrade: {err}");
    let (code, _, err) = ha(&[]);
    assert_eq!(code, Some(0), "{err}");
    for part in [
        "note: this chart moves OpenNebula from 7.2.0 to 7.4.0, a new release line with a new database schema",
        "set `maintenance.enabled: true`",
        "`restore.sh --upgrade` on member 0",
        "run `onehost sync --force`",
        "Argo CD or Flux",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    // Regenerated on the same line: nothing to tell.
    let (_, _, err) = ha(&[]);
    assert!(!err.contains("new release line"), "{err}");
    let before = common::tree(&out);
    let (code, _, err) = ha(&["--set", "opennebula.version=7.2"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("runs OpenNebula 7.4.0; this one is for 7.2.0: a downgrade"), "{err}");
    // One message, once: the refusal and its way out in one line, nothing repeated.
    assert!(err.contains("; nothing was written (--allow-downgrade writes this chart anyway)\n"), "{err}");
    assert_eq!(err.matches("--allow-downgrade").count(), 1, "{err}");
    assert_eq!(err.matches("a downgrade").count(), 1, "{err}");
    assert_eq!(common::tree(&out), before, "a refused downgrade writes nothing");
    let (code, _, err) = ha(&["--set", "opennebula.version=7.2", "--check"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.matches("--allow-downgrade").count(), 1, "{err}");
    let (code, _, err) = ha(&["--set", "opennebula.version=7.2", "--allow-downgrade"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("a downgrade. ") && err.contains("; written anyway, as --allow-downgrade asks\n"), "{err}");
    assert_eq!(err.matches("--allow-downgrade").count(), 1, "{err}");
    assert!(!err.contains("Pass --allow-downgrade"), "no hint to pass the flag given: {err}");
    assert!(std::fs::read_to_string(out.join("Chart.yaml")).unwrap().contains("appVersion: \"7.2.0\""));
    // 6.10 to 7.x is a major change: the flag the pre-upgrade hook wants is named.
    let prod_site = site("prod-mysql");
    let prod = |extra: &[&str]| {
        let o = onechart(&[&["generate", "-f", prod_site.as_str(), "-o", "single"], extra].concat(), tmp.path());
        text(&o).1
    };
    prod(&["--set", "opennebula.version=6.10"]);
    let err = prod(&[]);
    assert!(err.contains("set `upgrade.allowMajorVersionChange: true`"), "{err}");
    assert!(err.contains("oned backs the database up and runs `onedb upgrade` at start"), "{err}");
}

// Issue 18, item 11: the smaller things.
#[test]
fn a_closed_pipe_never_changes_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.yaml"), "profile: prod-mysql\nbackup:\n  enabled: false\n").unwrap();
    let closed = |args: &[&str]| {
        // The reader is gone before onechart writes: every write is a broken pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(args)
            .current_dir(tmp.path())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    assert_eq!(closed(&["lint", "bad.yaml"]).0, Some(1), "`onechart lint bad.yaml | head -0` must not pass");
    assert_eq!(closed(&["lint", "--format", "json", "bad.yaml"]).0, Some(1));
    let (code, err) = closed(&["rules"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "a closed pipe is no error to report: {err}");
    std::fs::write(tmp.path().join("good.yaml"), "profile: dev-sqlite\n").unwrap();
    assert_eq!(closed(&["lint", "good.yaml"]).0, Some(0));
}

#[test]
fn the_man_page_names_only_pages_that_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let o = onechart(&["manpage", "--dir", dir.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let main = std::fs::read_to_string(dir.join("onechart.1")).unwrap();
    let mut named: Vec<String> = main
        .split("onechart\\-")
        .skip(1)
        .filter_map(|s| s.split_once("(1)").map(|(n, _)| n.to_string()))
        .filter(|n| n.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    named.sort();
    named.dedup();
    assert!(named.contains(&"lint".to_string()) && named.len() >= 8, "{named:?}");
    for n in &named {
        let page = dir.join(format!("onechart-{n}.1"));
        assert!(page.is_file(), "onechart.1 names onechart-{n}(1), which was not written");
    }
    assert!(!named.contains(&"help".to_string()), "{named:?}");
    let (stdout, _) = text(&onechart(&["manpage"], tmp.path()));
    assert_eq!(stdout, main, "stdout is the main page");
}

#[test]
fn help_texts_point_at_what_exists() {
    let rule = |id: &str| onechart::lint::find_rule(id).unwrap();
    // ONE023's manifest help must not recommend the image ONE029 says is unpublished.
    assert!(!rule("ONE023").manifest_help().contains("opennebula/opennebula"), "{}", rule("ONE023").manifest_help());
    // ONE024's help for PostgreSQL must not send users to a version that has it: none has.
    let fix = rule("ONE024").fix;
    assert!(!fix.contains("choose a version that has"), "{fix}");
    assert!(fix.contains("`database.backend: mysql`"), "{fix}");
}

#[test]
fn yaml_errors_at_the_end_of_a_file_point_inside_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("v.yaml"), "oned:\n  service: {type: NodePort\n\n").unwrap();
    let o = onechart(&["lint", "v.yaml"], tmp.path());
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2));
    assert!(err.starts_with("v.yaml:2:27: error: invalid YAML"), "{err}");
}

#[test]
fn the_image_readme_pushes_the_image_it_built() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chart");
    generate("prod-mysql", &["--set", "image.repository=ghcr.io/acme/one-frontend", "--set", "image.tag=7.4.0"], &out);
    let readme = std::fs::read_to_string(out.join("image/README.md")).unwrap();
    let push = readme.split("## Push").nth(1).unwrap().split("## Use it").next().unwrap();
    assert!(push.contains("podman push ghcr.io/acme/one-frontend:7.4.0"), "{push}");
    assert!(push.contains("podman login ghcr.io"), "{push}");
    assert!(!push.contains("registry.example.com"), "{push}");
}

#[test]
fn the_site_schema_requires_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let full: serde_json::Value =
        serde_json::from_slice(&onechart(&["schema", "--profile", "prod-mysql"], tmp.path()).stdout).unwrap();
    let site: serde_json::Value =
        serde_json::from_slice(&onechart(&["schema", "--profile", "prod-mysql", "--site"], tmp.path()).stdout).unwrap();
    assert!(full.to_string().contains("\"required\""));
    assert!(!site.to_string().contains("\"required\""));
    let partial = serde_json::json!({"profile": "prod-mysql", "oned": {"hostname": "one.example.com"}});
    assert!(!jsonschema::is_valid(&full, &partial), "the chart's schema wants complete values");
    assert!(jsonschema::is_valid(&site, &partial), "an editor must accept a partial site file");
    let typo = serde_json::json!({"oned": {"hostnme": "x"}});
    assert!(!jsonschema::is_valid(&site, &typo), "the site schema still refuses unknown keys");
}
