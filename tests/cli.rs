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
    // A file onechart did not write is the user's: never compared.
    assert!(!diff.contains("extra.yaml"), "{diff}");
    assert!(err.contains("stale (1 changed, 1 missing; files onechart did not write are not compared)"), "{err}");
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
    assert!(err.contains("stale (1 changed, 1 to remove;"), "{err}");

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
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    generate("dev-sqlite", &[], &a);
    generate("dev-sqlite", &[], &b);
    generate("dev-sqlite", &["--set", "persistence.size=11Gi"], &c);
    let derived = version(&a);
    let (base, hash) = derived.split_once("-h").unwrap();
    assert_eq!(base, env!("CARGO_PKG_VERSION"));
    assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{derived}");
    assert_eq!(version(&b), derived, "same inputs, same version");
    assert_ne!(version(&c), derived, "different content, different version");
    let d = tmp.path().join("d");
    generate("dev-sqlite", &["--chart-version", "1.4.0-rc.1"], &d);
    assert_eq!(version(&d), "1.4.0-rc.1");
    for bad in ["1.4", "v1.4.0", "1.4.0-01"] {
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
    let ha = std::fs::read_to_string(example("ha-raft")).unwrap();
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
            "{}:1:1: error: the values name profile `ha-raft` but --profile is `prod-mysql`",
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
            "{}:2:1: error: the values name profile `prod-mysql` but {}:1:1 names `ha-raft`",
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
