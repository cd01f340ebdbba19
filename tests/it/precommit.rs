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
    commit_all(dir)
}

/// Makes `dir` a git repository with one commit of everything in it; returns the commit.
fn commit_all(dir: &Path) -> String {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "hooks"]);
    let o = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(dir).output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// A scratch site repository (not yet a git repository) whose .pre-commit-config.yaml uses one hook of the hook
/// repository at `hooks` (a copy of `hooks_from`), with extra lines of hook configuration.
fn site_using(tmp: &Path, hooks_from: &dyn Fn(&Path) -> String, hook: &str, extra: &str) -> std::path::PathBuf {
    let hooks = tmp.join("hooks");
    let rev = hooks_from(&hooks);
    let repo = tmp.join("site");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n{extra}", hooks.display()),
    )
    .unwrap();
    repo
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
    let repo = site_using(tmp.path(), &hook_repo, "onechart-lint-system", "");
    std::fs::create_dir_all(repo.join("env")).unwrap();
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
    let args = "        args: [--profile, dev-sqlite, -o, chart]\n";
    let repo = site_using(tmp.path(), &hook_repo, "onechart-generate-check-system", args);
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

/// A layered site: onechart.yaml names the profile and the layers of each environment; the project hook lints
/// each environment layered, passes a complete site and fails when a layer breaks one environment.
#[test]
fn project_hook_lints_a_layered_site() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = site_using(tmp.path(), &hook_repo, "onechart-lint-project-system", "");
    std::fs::create_dir_all(repo.join("env")).unwrap();
    std::fs::write(
        repo.join("onechart.yaml"),
        "environments:\n  staging:\n    profile: prod-mysql\n    values: [env/common.yaml, env/staging.yaml]\n  prod:\n    profile: ha-raft\n    values: [env/common.yaml, env/prod.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("env/common.yaml"),
        "image:\n  repository: registry.example.com/opennebula/frontend\noned:\n  hostname: one.example.com\nonegate:\n  endpoint: http://onegate.example.com:5030\n",
    )
    .unwrap();
    std::fs::write(repo.join("env/staging.yaml"), "monitord:\n  service:\n    type: LoadBalancer\n").unwrap();
    std::fs::write(
        repo.join("env/prod.yaml"),
        "monitord:\n  monitorAddress: 192.0.2.10\n  service:\n    loadBalancerIP: 192.0.2.10\npersistence:\n  datastores:\n    storageClass: nfs-client\n",
    )
    .unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let home = tmp.path().join("pre-commit-home");
    let (ok, out) = pre_commit(&repo, &home);
    assert!(ok, "the project hook failed on a good layered site:\n{out}");
    assert!(out.contains("onechart lint (project)") && out.contains("Passed"), "{out}");

    // A change in one layer breaks the environment that uses it, reported at the layer's line.
    std::fs::write(repo.join("env/prod.yaml"), "monitord:\n  monitorAddress: auto\n").unwrap();
    git(&repo, &["add", "."]);
    let (ok, out) = pre_commit(&repo, &home);
    assert!(!ok, "the project hook passed a broken layer:\n{out}");
    assert!(out.contains("env/prod.yaml:2:19: error[ONE004]"), "{out}");
    assert!(!out.contains("environment staging") || !out.contains("staging.yaml:"), "{out}");
}

/// The onechart wheel (maturin, `bindings = "bin"`), built from this repository into `dir`.
fn build_wheel(dir: &Path) -> std::path::PathBuf {
    // A target directory of its own: maturin rebuilds the binary, and in target/debug it would replace the
    // onechart every other test of this binary is running (they saw no file while it was written).
    let o = Command::new(tool("maturin"))
        .args(["build", "--quiet", "-o"])
        .arg(dir)
        .env("CARGO_TARGET_DIR", root().join("target/maturin"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "maturin build: {}", String::from_utf8_lossy(&o.stderr));
    let wheel = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("onechart-{}-py3-none-", env!("CARGO_PKG_VERSION"))), "{name}");
    wheel
}

/// A PATH with the system's tools (git, python3) and no Rust toolchain.
fn path_without_rust() -> String {
    let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string();
    for tool in ["cargo", "rustc"] {
        let found = path.split(':').any(|d| Path::new(d).join(tool).exists());
        assert!(!found, "{tool} is on {path}: the test would not show the hook needs no Rust toolchain");
    }
    path
}

/// Issue 18, item 10: a pre-commit hook that needs no Rust toolchain. The wheel installs into a fresh venv and
/// its `onechart` runs; the `language: python` hooks of packaging/pre-commit, run by the real pre-commit with no
/// cargo or rustc on PATH and no package index (the wheel and the hook package's build backend from a local
/// directory), lint a site.
#[test]
fn wheel_and_python_hook_need_no_rust_toolchain() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let wheel = build_wheel(&dist);
    let path = path_without_rust();
    // A fresh venv, the wheel, nothing else.
    let venv = tmp.path().join("venv");
    let o = Command::new(tool("python3")).args(["-m", "venv"]).arg(&venv).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--disable-pip-version-check"])
        .arg(&wheel)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(venv.join("bin/onechart")).arg("--version").env("PATH", &path).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("onechart {}", env!("CARGO_PKG_VERSION")));
    let o = Command::new(venv.join("bin/onechart"))
        .args(["lint", "--deny-warnings"])
        .arg(common::example("ha-raft"))
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", common::text(&o));

    // The Rust-free hooks: packaging/pre-commit as its own repository, as it is published.
    let packaged = |hooks: &Path| {
        std::fs::create_dir_all(hooks).unwrap();
        for f in [".pre-commit-hooks.yaml", "pyproject.toml", "onechart_pre_commit.py"] {
            std::fs::copy(root().join("packaging/pre-commit").join(f), hooks.join(f)).unwrap();
        }
        commit_all(hooks)
    };
    let repo = site_using(tmp.path(), &packaged, "onechart-lint", "");
    std::fs::copy(common::example("prod-mysql"), repo.join("prod.values.yaml")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let links = format!("{} {}", dist.display(), root().join(".tools/wheels").display());
    let run = || {
        let o = Command::new(tool("pre-commit"))
            .args(["run", "--all-files", "--color", "never"])
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &links)
            .env_remove("CARGO_HOME")
            .env_remove("RUSTUP_HOME")
            .output()
            .unwrap();
        (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    let (ok, out) = run();
    assert!(ok, "the python hook failed on good values:\n{out}");
    assert!(out.contains("onechart lint") && out.contains("Passed"), "{out}");
    std::fs::write(repo.join("prod.values.yaml"), "profile: prod-mysql\nbackup:\n  enabled: false\n").unwrap();
    git(&repo, &["add", "."]);
    let (ok, out) = run();
    assert!(!ok, "the python hook passed bad values:\n{out}");
    assert!(out.contains("prod.values.yaml:3:12: error[ONE017]"), "{out}");
}

/// The Rust-free hooks are the repository's hooks with `language: python`, and pin this onechart.
#[test]
fn python_hooks_follow_the_rust_hooks() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let hooks = |text: &str| -> Vec<String> {
        text.split("\n- id: ")
            .skip(1)
            .map(|h| h.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n"))
            .collect()
    };
    let rust: Vec<String> = hooks(&read(".pre-commit-hooks.yaml"))
        .into_iter()
        .filter(|h| !h.lines().next().unwrap().ends_with("-system"))
        .map(|h| h.replace("language: rust", "language: python"))
        .collect();
    assert_eq!(hooks(&read("packaging/pre-commit/.pre-commit-hooks.yaml")), rust);
    let pyproject = read("packaging/pre-commit/pyproject.toml");
    assert!(pyproject.contains(&format!("dependencies = [\"onechart=={}\"]", env!("CARGO_PKG_VERSION"))));
}
