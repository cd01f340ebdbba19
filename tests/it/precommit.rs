//! The pre-commit hooks, run by the real `pre-commit` (PyPI, pinned by scripts/install-tools.sh) against
//! scratch git repositories: the lint hook passes a good values file and fails a bad one, the generate-check
//! hook fails on a stale chart, and the templates of a chart are never fed to the linter.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{root, tool};

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args([
            "-c",
            "user.name=onechart-test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A git repository holding only onechart's hook manifest, so the test exercises the file users get.
fn hook_repo(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(root().join(".pre-commit-hooks.yaml"), dir.join(".pre-commit-hooks.yaml")).unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "hooks"]);
    let o = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(dir).output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn pre_commit(repo: &Path, home: &Path) -> (bool, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_onechart")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let o = Command::new(tool("pre-commit"))
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .output()
        .unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn manifest_is_valid() {
    let o = Command::new(tool("pre-commit"))
        .args(["validate-manifest"])
        .arg(root().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn lint_hook_passes_good_values_and_fails_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let rev = hook_repo(&tmp.path().join("hooks"));
    let repo = tmp.path().join("site");
    std::fs::create_dir_all(repo.join("env")).unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: onechart-lint-system\n",
            tmp.path().join("hooks").display()
        ),
    )
    .unwrap();
    std::fs::copy(common::example("ha-raft"), repo.join("env/prod.values.yaml")).unwrap();
    // A chart's templates match *.yaml but must never reach the linter.
    std::fs::create_dir_all(repo.join("chart/templates")).unwrap();
    std::fs::write(repo.join("chart/templates/values-configmap.yaml"), "data: {{ .Values | toYaml }}\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let home = tmp.path().join("pre-commit-home");
    let (ok, out) = pre_commit(&repo, &home);
    assert!(ok, "the hook failed on good values:\n{out}");
    assert!(out.contains("onechart lint") && out.contains("Passed"), "{out}");

    std::fs::write(repo.join("env/prod.values.yaml"), "profile: ha-raft\nmonitord:\n  monitorAddress: auto\n").unwrap();
    git(&repo, &["add", "."]);
    let (ok, out) = pre_commit(&repo, &home);
    assert!(!ok, "the hook passed bad values:\n{out}");
    assert!(out.contains("env/prod.values.yaml:3:19: error[ONE004]"), "{out}");

    // The README's own name, site.yaml, is linted; other charts' values (a bare values.yaml, vendored
    // subcharts, chart-testing values) are left alone.
    std::fs::write(repo.join("env/prod.values.yaml"), std::fs::read(common::example("ha-raft")).unwrap()).unwrap();
    std::fs::write(repo.join("site.yaml"), "oned:\n  replcas: 3\n").unwrap();
    let foreign = "server:\n  retention: 15d\nalertmanager:\n  enabled: true\n";
    for f in [
        "values.yaml",
        "charts/prometheus/values.yaml",
        "prometheus/ci/test-values.yaml",
        "prometheus-values.yaml",
        "values-grafana.yaml",
    ] {
        std::fs::create_dir_all(repo.join(f).parent().unwrap()).unwrap();
        std::fs::write(repo.join(f), foreign).unwrap();
    }
    git(&repo, &["add", "."]);
    let (ok, out) = pre_commit(&repo, &home);
    assert!(!ok, "the hook skipped site.yaml:\n{out}");
    assert!(out.contains("site.yaml:2:3: error[ONE100]"), "{out}");
    assert!(!out.contains("retention") && !out.contains("alertmanager"), "another chart's values were linted:\n{out}");
}

#[test]
fn generate_check_hook_fails_on_a_stale_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let rev = hook_repo(&tmp.path().join("hooks"));
    let repo = tmp.path().join("site");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: onechart-generate-check-system\n        args: [--profile, dev-sqlite, -o, chart]\n",
            tmp.path().join("hooks").display()
        ),
    )
    .unwrap();
    let o = common::onechart(&["generate", "--profile", "dev-sqlite", "-o", "chart"], &repo);
    assert!(o.status.success(), "{:?}", common::text(&o));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let home = tmp.path().join("pre-commit-home");
    let (ok, out) = pre_commit(&repo, &home);
    assert!(ok, "fresh chart reported stale:\n{out}");

    let values = repo.join("chart/values.yaml");
    let edited = std::fs::read_to_string(&values).unwrap().replace("replicas: 1", "replicas: 3");
    std::fs::write(&values, edited).unwrap();
    git(&repo, &["add", "."]);
    let (ok, out) = pre_commit(&repo, &home);
    assert!(!ok, "stale chart passed:\n{out}");
    assert!(out.contains("+  replicas: 1"), "{out}");
}
