//! Hostile input, no data lost: every malformed input gives exit 2 and one clear message with the file (and the
//! position where there is one), no panic, bounded memory, and an existing chart left byte-identical. Also
//! `generate` onto a full and onto a read-only filesystem, and the fuzzers' regression inputs.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{example, generate, root, tree};

/// Builds each hostile input in `dir`; returns (name, path, text expected in the message).
fn hostile_inputs(dir: &Path) -> Vec<(&'static str, PathBuf, &'static str)> {
    let w = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (p, n) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"]) {
        bomb.push_str(&format!("{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"));
    }
    let mut nested = String::new();
    for i in 0..100 {
        nested.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    let loop_path = dir.join("loop.yaml");
    let _ = std::fs::remove_file(&loop_path);
    std::os::unix::fs::symlink(&loop_path, &loop_path).unwrap();
    std::fs::create_dir_all(dir.join("a-directory.yaml")).unwrap();
    vec![
        ("truncated", w("truncated.yaml", b"oned:\n  replicas: [1, 3\n"), "truncated.yaml:"),
        ("tabs", w("tabs.yaml", b"oned:\n\treplicas: 3\n"), "tabs.yaml:2:"),
        ("alias bomb", w("bomb.yaml", bomb.as_bytes()), "excessive aliasing"),
        ("100-level nesting", w("nested.yaml", nested.as_bytes()), "deeper than 64 levels"),
        ("50 MB", w("huge.yaml", &[b'#'; 50 * 1024 * 1024]), "larger than the"),
        ("NUL bytes", w("nul.yaml", b"oned:\n  hostname: a\0b\n"), "nul.yaml:2:"),
        ("invalid UTF-8", w("latin1.yaml", b"oned:\n  hostname: caf\xe9\n"), "latin1.yaml:2:"),
        ("a directory", dir.join("a-directory.yaml"), "is a directory"),
        ("a symlink loop", loop_path, "loop.yaml: error:"),
        ("a YAML list", w("list.yaml", b"- oned\n- replicas\n"), "list.yaml:1:1: error: values must be a mapping"),
        ("two documents", w("two.yaml", b"a: 1\n---\nb: 2\n"), "two.yaml:2:1:"),
    ]
}

/// Runs onechart with a 1 GiB address-space limit: memory stays bounded on every input.
fn bounded(args: &[&str], cwd: &Path) -> std::process::Output {
    let mut script = String::from("ulimit -v 1048576; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_onechart"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn check_one_error(what: &str, o: &std::process::Output, expect: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{what}: exit code; stderr: {err}");
    assert!(err.contains(expect), "{what}: expected `{expect}` in: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("internal error") && !err.contains("RUST_BACKTRACE"),
        "{what}: {err}"
    );
    assert_eq!(err.lines().filter(|l| l.contains("error")).count(), 1, "{what}: one error: {err}");
}

#[test]
fn lint_refuses_hostile_input_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    for (what, path, expect) in hostile_inputs(tmp.path()) {
        let o = bounded(&["lint", path.to_str().unwrap()], tmp.path());
        check_one_error(what, &o, expect);
    }
}

#[test]
fn generate_refuses_hostile_input_and_keeps_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    generate("prod-mysql", &[], &chart);
    let before = tree(&chart);
    let ex = example("prod-mysql");
    for (what, path, expect) in hostile_inputs(tmp.path()) {
        let args = [
            "generate",
            "--profile",
            "prod-mysql",
            "-f",
            ex.to_str().unwrap(),
            "-f",
            path.to_str().unwrap(),
            "-o",
            "chart",
        ];
        let o = bounded(&args, tmp.path());
        check_one_error(what, &o, expect);
        assert_eq!(tree(&chart), before, "{what}: the chart changed");
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("onechart-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary directories left behind: {leftovers:?}");
}

/// Runs a shell script in a private mount namespace (root), so its tmpfs mounts vanish with it.
fn in_mount_namespace(script: &str, env: &[(&str, &Path)]) -> (bool, String) {
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-ec", script]);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("unshare (util-linux) runs the filesystem tests");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn generate_on_a_full_or_read_only_filesystem_keeps_the_previous_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    generate("ha-raft", &[], &chart);
    // tmpfs counts whole pages: room for the chart and half of it again, so a second copy cannot fit.
    let pages: u64 = tree(&chart).values().map(|b| (b.len() as u64).div_ceil(4096) * 4096).sum();
    let size = pages + pages / 2 + 64 * 1024;
    let script = format!(
        r#"
mnt="$WORK/mnt"; mkdir -p "$mnt"
bin="$ONECHART"; ex="$EXAMPLE"
check() {{ (cd "$mnt/chart" && find . -type f | sort | xargs sha256sum); }}

mount -t tmpfs -o size={size} tmpfs "$mnt"
cp -a "$CHART" "$mnt/chart"
mkdir -p "$mnt/chart/.git" && echo "ref: refs/heads/main" > "$mnt/chart/.git/HEAD"   # a user's file: kept too
before=$(check)
if "$bin" generate --profile ha-raft -f "$ex" -o "$mnt/chart" --set persistence.size=30Gi 2> "$WORK/full.err"; then
  echo "FAIL: generate succeeded on a full filesystem"; exit 1
fi
[ "$(check)" = "$before" ] || {{ echo "FAIL: chart changed on a full filesystem"; exit 1; }}
[ "$(ls -A "$mnt" | grep -c onechart || true)" = 0 ] || {{ echo "FAIL: temporary files left on the full filesystem"; ls -A "$mnt"; exit 1; }}
grep -q "No space left on device" "$WORK/full.err" || {{ echo "FAIL: unclear error"; cat "$WORK/full.err"; exit 1; }}

mount -o remount,ro "$mnt"
if "$bin" generate --profile ha-raft -f "$ex" -o "$mnt/chart" --set persistence.size=30Gi 2> "$WORK/ro.err"; then
  echo "FAIL: generate succeeded on a read-only filesystem"; exit 1
fi
[ "$(check)" = "$before" ] || {{ echo "FAIL: chart changed on a read-only filesystem"; exit 1; }}
grep -q "Read-only file system" "$WORK/ro.err" || {{ echo "FAIL: unclear error"; cat "$WORK/ro.err"; exit 1; }}
echo ok
"#
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_onechart"));
    let ex = example("ha-raft");
    let (ok, out) =
        in_mount_namespace(&script, &[("WORK", tmp.path()), ("ONECHART", &bin), ("EXAMPLE", &ex), ("CHART", &chart)]);
    assert!(ok && out.trim_end().ends_with("ok"), "{out}");
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = root().join("tests/fuzz_regressions");
    let mut replayed = 0;
    for target in ["values", "manifests", "set", "oneconf"] {
        for e in std::fs::read_dir(dir.join(target)).unwrap() {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            match target {
                "values" => onechart::fuzzing::values(&data),
                "manifests" => onechart::fuzzing::manifests(&data),
                "oneconf" => onechart::fuzzing::oneconf(&data),
                _ => onechart::fuzzing::set(&data),
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 3, "only {replayed} regression inputs");
}
