//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod kube_api;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the onechart binary.
pub fn onechart(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onechart")).args(args).current_dir(cwd).output().expect("run onechart")
}

/// stdout and stderr as text.
pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// The example site values of a built-in profile.
pub fn example(profile: &str) -> PathBuf {
    root().join("profiles/examples").join(format!("{profile}.values.yaml"))
}

/// Generates a chart for a built-in profile with its example values (plus extra args) into `out`.
pub fn generate(profile: &str, extra: &[&str], out: &Path) {
    let ex = example(profile);
    let mut args = vec!["generate", "--profile", profile, "-f", ex.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = onechart(&args, &root());
    assert_eq!(o.status.code(), Some(0), "generate {profile} failed: {:?}", text(&o));
}

/// Every file under a directory (relative path → bytes), to compare trees byte for byte.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The directory holding the pinned external tools (installed by scripts/install-tools.sh, which the test
/// command runs first). A missing tool is a test failure, never a skip.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("ONECHART_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from);
    let p = match name {
        "helm3" | "helm4" => dir.join("bin").join(name),
        "sarif-2.1.0.json" => dir.join(name),
        other => dir.join("venv/bin").join(other),
    };
    assert!(
        p.exists(),
        "{} is missing: run scripts/install-tools.sh (scripts/test.sh does this before the tests)",
        p.display()
    );
    p
}
