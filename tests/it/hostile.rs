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
        // What Helm's YAML library refuses (go-yaml v2 behind sigs.k8s.io/yaml, Helm 3.17.3 and 4.1.4 alike):
        // a merge key with a scalar (kubernetes-sigs/yaml@v1.4.0:goyaml.v2/decode.go:786-809), a %YAML other
        // than 1.1 (goyaml.v2/parserc.go:1032; Helm 4 refuses 1.1 too).
        ("a scalar merge key", w("merge.yaml", b"oned:\n  <<: 1\n"), "merge.yaml:2:7: error: `<<`"),
        ("a merge of a list of scalars", w("merge2.yaml", b"a: &a 1\noned:\n  <<: [*a]\n"), "merge2.yaml:3:7:"),
        ("%YAML 9.9", w("yaml99.yaml", b"%YAML 9.9\n---\noned: {}\n"), "yaml99.yaml:1:1: error: `%YAML 9.9`"),
        ("%YAML 1.2", w("yaml12.yaml", b"# c\n%YAML 1.2\n---\noned: {}\n"), "yaml12.yaml:2:1:"),
        // Not files: bounded, never read forever or without limit.
        ("/dev/zero", PathBuf::from("/dev/zero"), "/dev/zero: error: is a character device"),
        ("a FIFO without a writer", fifo(dir), "fifo.yaml: error: is a pipe or FIFO that delivered nothing"),
    ]
}

/// A FIFO nobody writes to.
fn fifo(dir: &Path) -> PathBuf {
    let p = dir.join("fifo.yaml");
    let _ = std::fs::remove_file(&p);
    assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
    p
}

/// Runs onechart with a 1 GiB address-space limit: memory stays bounded on every input. A pipe may stay silent
/// 1 s (`ONECHART_PIPE_TIMEOUT`; 10 s by default).
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
        .env("ONECHART_PIPE_TIMEOUT", "1")
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

/// Copies a directory tree (regular files and directories only).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn run_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_onechart"));
    c.args(args).current_dir(root());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn symlinks_in_a_chart_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    generate("dev-sqlite", &[], &base);
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("credentials"), "keep me\n").unwrap();
    let manifest_plus = |chart: &Path, line: &str| {
        let m = chart.join(".onechart-manifest");
        let text = std::fs::read_to_string(&m).unwrap() + line + "\n";
        std::fs::write(m, text).unwrap();
    };
    let expect_refused = |what: &str, o: &std::process::Output, link: &str| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(&format!("{link} is a symbolic link")), "{what}: {err}");
        assert_eq!(std::fs::read_to_string(victim.join("credentials")).unwrap(), "keep me\n", "{what}");
        assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 1, "{what}: wrote into the victim directory");
    };
    let dev = ["generate", "--profile", "dev-sqlite", "-o"];

    // The issue's first attack: a symlinked directory plus a manifest entry through it (generate deleted
    // victim/credentials and reported it removed).
    let c1 = tmp.path().join("c1");
    copy_tree(&base, &c1);
    std::os::unix::fs::symlink("../victim", c1.join("extras")).unwrap();
    manifest_plus(&c1, "extras/credentials");
    let before = tree(&c1);
    let o = run_with(&[&dev[..], &[c1.to_str().unwrap()]].concat(), &[]);
    expect_refused("manifest entry through a symlink", &o, "c1/extras");
    assert_eq!(tree(&c1), before, "the chart changed");

    // The second: `generate --check` (the pre-commit hook, in CI on a pull request) read /proc/self/environ
    // through a symlink and printed the process environment in its diff.
    let c2 = tmp.path().join("c2");
    copy_tree(&base, &c2);
    std::os::unix::fs::symlink("/proc/self", c2.join("p")).unwrap();
    manifest_plus(&c2, "p/environ");
    let o = run_with(&[&dev[..], &[c2.to_str().unwrap(), "--check"]].concat(), &[("CI_CANARY", "Canary-4711")]);
    expect_refused("--check through /proc/self", &o, "c2/p");
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!all.contains("Canary-4711"), "the environment leaked: {all}");

    // A chart directory that is itself a symlink out (templates/), and a chart file that is one (values.yaml,
    // read by --check and by the upgrade checks).
    let c3 = tmp.path().join("c3");
    copy_tree(&base, &c3);
    std::fs::remove_dir_all(c3.join("templates")).unwrap();
    std::os::unix::fs::symlink("../victim", c3.join("templates")).unwrap();
    let o = run_with(&[&dev[..], &[c3.to_str().unwrap()]].concat(), &[]);
    expect_refused("templates/ is a symlink", &o, "c3/templates");
    let c4 = tmp.path().join("c4");
    copy_tree(&base, &c4);
    std::fs::remove_file(c4.join("values.yaml")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", c4.join("values.yaml")).unwrap();
    for check in [true, false] {
        let mut args = vec!["generate", "--profile", "dev-sqlite", "-o", c4.to_str().unwrap()];
        if check {
            args.push("--check");
        }
        let o = run_with(&args, &[("CI_CANARY", "Canary-4711")]);
        expect_refused("values.yaml is a symlink", &o, "c4/values.yaml");
        assert!(!String::from_utf8_lossy(&o.stdout).contains("Canary-4711"));
    }
    // The previous Chart.yaml (read for the chart version and the release line) as a symlink to /dev/zero: never
    // read, so no endless read.
    let c5 = tmp.path().join("c5");
    copy_tree(&base, &c5);
    std::fs::remove_file(c5.join("Chart.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", c5.join("Chart.yaml")).unwrap();
    let o = sh_bounded(&format!("\"$B\" generate --profile dev-sqlite -o {}", c5.display()), tmp.path());
    expect_refused("Chart.yaml is a symlink to /dev/zero", &o, "c5/Chart.yaml");
    // `lint CHART_DIR` reads the chart's values.yaml: not through a symlink either.
    let o = run_with(&["lint", c4.to_str().unwrap()], &[("CI_CANARY", "Canary-4711")]);
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(all.contains("is a symbolic link") && !all.contains("Canary-4711"), "{all}");
}

/// A chart tree with Chart.yaml's `version` blanked: it follows the chart that was there before (a patch bump
/// for new content), which differs with the order of concurrent runs.
fn any_version(mut t: std::collections::BTreeMap<String, Vec<u8>>) -> std::collections::BTreeMap<String, Vec<u8>> {
    if let Some(c) = t.get_mut("Chart.yaml") {
        let text = String::from_utf8_lossy(c)
            .lines()
            .map(|l| if l.starts_with("version: ") { "version: X" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        *c = text.into_bytes();
    }
    t
}

/// The tree of a chart directory without the scratch of a write in flight.
fn chart_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut t = tree(dir);
    t.retain(|k, _| {
        !(k.starts_with(".onechart-new/") || k.starts_with(".onechart-old/") || k.starts_with(".onechart-journal"))
    });
    t
}

#[test]
fn concurrent_runs_into_one_directory_never_mix_two_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let variants: [(&str, Vec<String>); 3] = [
        ("dev-sqlite", vec!["--set".into(), "oned.hostname=one.example".into()]),
        ("prod-mysql", vec!["-f".into(), example("prod-mysql").display().to_string()]),
        ("ha-raft", vec!["-f".into(), example("ha-raft").display().to_string()]),
    ];
    let args = |profile: &str, extra: &[String], out: &Path| -> Vec<String> {
        let mut a: Vec<String> = ["generate", "--profile", profile, "-o"].iter().map(|s| s.to_string()).collect();
        a.push(out.display().to_string());
        a.extend(extra.iter().cloned());
        a
    };
    let refs: Vec<_> = variants
        .iter()
        .enumerate()
        .map(|(i, (p, extra))| {
            let d = tmp.path().join(format!("ref{i}"));
            let o = Command::new(env!("CARGO_BIN_EXE_onechart")).args(args(p, extra, &d)).output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            any_version(tree(&d))
        })
        .collect();
    let start = tmp.path().join("start");
    generate("dev-sqlite", &[], &start);
    for trial in 0..8 {
        let dir = tmp.path().join(format!("trial{trial}"));
        copy_tree(&start, &dir);
        let children: Vec<_> = variants
            .iter()
            .map(|(p, extra)| {
                Command::new(env!("CARGO_BIN_EXE_onechart"))
                    .args(args(p, extra, &dir))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "trial {trial}: {}", String::from_utf8_lossy(&o.stderr));
        }
        let got = any_version(tree(&dir));
        assert!(refs.contains(&got), "trial {trial}: the directory mixes charts (or keeps scratch files)");
    }

    // A run that finds the directory locked (here by flock(1), as another onechart would hold it) waits for it.
    let dir = tmp.path().join("trial0");
    let holder = Command::new("flock").arg(&dir).args(["sleep", "1"]).spawn().expect("flock (util-linux)");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = Command::new(env!("CARGO_BIN_EXE_onechart")).args(args("dev-sqlite", &[], &dir)).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("another onechart is writing this directory; waiting"), "{err}");
    let _ = holder.wait_with_output();
    assert!(!tree(&dir).keys().any(|k| k.contains("lock")), "a lock file was left in the chart");
}

/// SIGKILLs `generate` at every point of a write (the `ONECHART_TEST_KILL_AT` checkpoints: each staged file,
/// the journal, every rename, the commit, the cleanup) over an existing chart, and in a new directory: right after
/// the kill the directory holds the old chart or the new one, whole, or a pending journal with `Chart.yaml` out
/// (no chart at all for Helm); the next run undoes it, and nothing is left behind, beside the directory either.
/// On tmpfs (`/dev/shm`): a kill does not lose the page cache, so the syncs are not what is tested.
#[test]
fn a_kill_at_any_point_leaves_the_old_or_the_new_chart_and_the_next_run_recovers() {
    let shm = tempfile::tempdir_in("/dev/shm").expect("a tmpfs at /dev/shm");
    let work = shm.path();
    let prod = example("prod-mysql");
    let old_args = ["generate", "--profile", "prod-mysql", "-f", prod.to_str().unwrap(), "-o"];
    let new_args = ["generate", "--profile", "dev-sqlite", "--set", "oned.hostname=one.example", "-o"];
    let with = |args: &[&str], dir: &Path, more: &[&str]| -> Vec<String> {
        args.iter().chain([&dir.to_str().unwrap()]).chain(more).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>, kill_at: Option<usize>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_onechart"));
        c.args(args);
        if let Some(n) = kill_at {
            c.env("ONECHART_TEST_KILL_AT", n.to_string());
        }
        c.output().unwrap()
    };
    let user = |dir: &Path| {
        std::fs::create_dir_all(dir.join("ci")).unwrap();
        std::fs::write(dir.join("ci/test-values.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("NOTES.md"), "mine\n").unwrap();
    };
    let old_dir = work.join("old");
    assert!(run(with(&old_args, &old_dir, &[]), None).status.success());
    user(&old_dir);
    // Once more: the chart's version and content hash count the files kept beside it.
    assert!(run(with(&old_args, &old_dir, &[]), None).status.success());
    let new_dir = work.join("new");
    copy_tree(&old_dir, &new_dir);
    assert!(run(with(&new_args, &new_dir, &[]), None).status.success());
    let (old, new) = (tree(&old_dir), tree(&new_dir));
    let staged = new.keys().filter(|k| !k.starts_with("ci/") && *k != "NOTES.md").count();
    let others = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !["old", "new", "fresh", "chart"].contains(&n.as_str()))
            .collect()
    };
    let whole_or_pending = |what: &str, dir: &Path| {
        let t = chart_tree(dir);
        let pending = dir.join(".onechart-journal").exists() && !dir.join("Chart.yaml").exists();
        assert!(t == old || t == new || pending, "{what}: a mix of two charts");
        assert_eq!(t.get("NOTES.md").map(Vec::as_slice), Some(&b"mine\n"[..]), "{what}: a user file changed");
        assert!(others(work).is_empty(), "{what}: left beside the directory: {:?}", others(work));
    };
    let chart = work.join("chart");
    let (mut n, mut kills, mut pending_at) = (1, 0, None);
    loop {
        let _ = std::fs::remove_dir_all(&chart);
        copy_tree(&old_dir, &chart);
        let o = run(with(&new_args, &chart, &[]), Some(n));
        if o.status.success() {
            assert!(tree(&chart) == new, "the uninterrupted run");
            break;
        }
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&o.status), Some(9), "point {n}: {o:?}");
        kills += 1;
        whole_or_pending(&format!("killed at point {n}"), &chart);
        if chart.join(".onechart-journal").exists() && pending_at.is_none() && n > staged + 40 {
            pending_at = Some(n);
        }
        // The next run (here `--check`, with the old values) recovers first: the old chart, or the new one when the
        // kill came after the commit; nothing left over.
        let o = run(with(&old_args, &chart, &["--check"]), None);
        let t = tree(&chart);
        assert!(t == old || t == new, "point {n}: not whole after recovery: {o:?}");
        assert_eq!(o.status.code(), Some(if t == old { 0 } else { 1 }), "point {n}: {o:?}");
        // Killing while staging touches nothing in the chart: every fourth point is enough there.
        n += if n < staged { 4 } else { 1 };
    }
    assert!(kills > staged, "only {kills} kill points");
    // A kill during the recovery itself: the run after it finishes the recovery.
    let pending_at = pending_at.expect("a kill point with a pending journal");
    let mut m = 1;
    loop {
        let _ = std::fs::remove_dir_all(&chart);
        copy_tree(&old_dir, &chart);
        assert!(!run(with(&new_args, &chart, &[]), Some(pending_at)).status.success());
        let o = run(with(&old_args, &chart, &["--check"]), Some(m));
        whole_or_pending(&format!("recovery killed at point {m}"), &chart);
        let last = o.status.success();
        let o = run(with(&old_args, &chart, &["--check"]), None);
        assert!(tree(&chart) == old, "recovery killed at point {m}: {o:?}");
        if last {
            break;
        }
        m += 1;
    }
    // A new directory: nothing beside it, and the next run writes the whole chart.
    let fresh_dir = work.join("fresh");
    assert!(run(with(&new_args, &fresh_dir, &[]), None).status.success());
    let fresh = tree(&fresh_dir);
    let mut n = 1;
    loop {
        let _ = std::fs::remove_dir_all(&chart);
        let o = run(with(&new_args, &chart, &[]), Some(n));
        assert!(others(work).is_empty(), "new directory, point {n}: {:?}", others(work));
        let done = o.status.success();
        assert!(run(with(&new_args, &chart, &[]), None).status.success());
        assert!(tree(&chart) == fresh, "new directory, point {n}: not the whole chart");
        if done {
            break;
        }
        n += if n < staged { 5 } else { 1 };
    }
}

/// Runs a shell script with onechart as `$B`, bounded: 60 s of CPU (a hang detector, not a timing: each run
/// here takes about a second of a debug build's CPU; the quadratic versions took minutes) and 1 GiB of memory.
fn sh_bounded(script: &str, cwd: &Path) -> std::process::Output {
    Command::new("bash")
        .args(["-c", &format!("ulimit -t 60 -v 2097152; {script}")])
        .env("B", env!("CARGO_BIN_EXE_onechart"))
        .env("ONECHART_PIPE_TIMEOUT", "2")
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn large_and_endless_inputs_stay_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, lines: &dyn Fn(usize) -> String| {
        let text: String = (0..99_000).map(lines).collect();
        std::fs::write(dir.join(name), text).unwrap();
    };
    write("dup.yaml", &|_| "oned: {}\n".to_string());
    write("unknown.yaml", &|i| format!("unknown{i}: 1\n"));
    write("on.yaml", &|i| format!("k{i}:\n  on: 1\n"));
    let labels: String =
        std::iter::once("podLabels:\n".to_string()).chain((0..60_000).map(|i| format!("  k{i}: yes\n"))).collect();
    std::fs::write(dir.join("labels.yaml"), labels).unwrap();
    for (file, code, summary) in [
        ("dup.yaml", 0, "Found 0 errors, 98999 warnings"),
        ("unknown.yaml", 1, "Found 99000 errors"),
        ("on.yaml", 2, "on.yaml:100001:1: error: document has more than 200000 keys and values"),
        // 60,000 mistyped values, each read as meant (a validation per value made it quadratic).
        ("labels.yaml", 1, "Found 60000 errors"),
    ] {
        let o = sh_bounded(&format!("\"$B\" lint {file}"), dir);
        let out = String::from_utf8_lossy(&o.stdout) + String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{file}: {:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
        assert!(out.contains(summary), "{file}: {}", &out[out.len().saturating_sub(300)..]);
    }
    // Process substitution and stdin: read up to the limit of their kind (values 8 MiB, a manifest stream 256 MiB),
    // then refused (not 2.1 GB in a second), with the limit worded for that kind.
    let values_limit = "8 MiB (8388608-byte) limit for values files";
    let stream_limit = "256 MiB (268435456-byte) limit for a rendered manifest stream";
    for (what, script, expect) in [
        ("values via <(...)", "\"$B\" lint <(head -c 20000000 /dev/zero | tr '\\0' '#')", values_limit),
        ("values on stdin", "head -c 20000000 /dev/zero | tr '\\0' '#' | \"$B\" lint /dev/stdin", values_limit),
        ("values as `-f -`", "head -c 20000000 /dev/zero | tr '\\0' '#' | \"$B\" lint -f -", values_limit),
        ("manifests via <(...)", "\"$B\" lint --manifests <(head -c 280000000 /dev/zero | tr '\\0' '#')", stream_limit),
        ("manifests on stdin", "head -c 280000000 /dev/zero | tr '\\0' '#' | \"$B\" lint --manifests -", stream_limit),
        ("/dev/zero as values", "\"$B\" lint /dev/zero", "character device"),
        ("/dev/zero as manifests", "\"$B\" lint --manifests /dev/zero", "character device"),
    ] {
        let o = sh_bounded(script, dir);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        if expect == stream_limit {
            assert!(!err.contains("values file"), "{what}: a manifest limit worded for values files: {err}");
        }
    }
    // `-` is standard input for values too, as the /dev/zero message says (issue 19, closing note, item 6): a
    // finding points into `<stdin>`, with `-f -` or `lint -`, for lint and generate alike.
    for script in [
        "printf 'profile: ha-raft\\noned: {replicas: 4}\\n' | \"$B\" lint -f -",
        "printf 'profile: ha-raft\\noned: {replicas: 4}\\n' | \"$B\" lint -",
        "printf 'oned: {replicas: 4}\\n' | \"$B\" generate --profile dev-sqlite -f - -o c",
    ] {
        let o = sh_bounded(script, dir);
        let out = String::from_utf8_lossy(&o.stdout) + String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{script}: {out}");
        assert!(out.contains("<stdin>:") && out.contains("error[ONE003]"), "{script}: {out}");
        assert!(!out.contains("no such file"), "{script}: {out}");
    }
    assert!(!dir.join("c").exists());
    // A FIFO with a writer is read like a file.
    let o = sh_bounded("mkfifo f.yaml; (sleep 0.5; echo 'oned: {replicas: 1}' > f.yaml) & \"$B\" lint -q f.yaml", dir);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // `--set`: each index as Helm bounds it (65536), and all of them together bounded too (2000 of them made 131
    // million list items and aborted at 5.8 GB).
    let many: Vec<String> = (0..2000).map(|i| format!("--set k{i}[65536]=x")).collect();
    let o = sh_bounded(&format!("\"$B\" generate --profile dev-sqlite -o c {}", many.join(" ")), dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("past 200000 items") && !err.contains("Helm refuses this --set too"), "{err}");
    assert!(!dir.join("c").exists());
    let one =
        std::iter::once("a[65536]=1".to_string()).chain((0..6000).map(|i| format!("a[{i}]=1"))).collect::<Vec<_>>();
    let o = sh_bounded(&format!("\"$B\" generate --profile dev-sqlite -o c --set '{}'", one.join(",")), dir);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Standard input is read once: `-` given twice (`lint - -`, `-f -` beside `--manifests -`, `generate -f - -f -`)
/// is refused with exit 2 before anything is read, naming the arguments; generate writes nothing.
#[test]
fn standard_input_given_twice_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, named) in [
        (&["lint", "-", "-"][..], "(FILE, FILE)"),
        (&["lint", "-f", "-", "--manifests", "-"][..], "(-f, --manifests)"),
        (&["generate", "--profile", "dev-sqlite", "-f", "-", "-f", "-", "-o", "c"][..], "(-f, -f)"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(args)
            .current_dir(tmp.path())
            .stdin(std::process::Stdio::piped())
            .output()
            .unwrap();
        check_one_error(&format!("{args:?}"), &o, &format!("`-` (standard input) is given 2 times {named}"));
    }
    assert!(!tmp.path().join("c").exists());
}

/// onechart with ARGS in DIR, its standard input a pipe the test writes (or not), a pipe silent for 1 s refused.
fn onechart_on_a_pipe(args: &[&str], dir: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(args)
        .current_dir(dir)
        .env("ONECHART_PIPE_TIMEOUT", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// One stream under two names is read once, as `-` twice is: `lint /dev/stdin /dev/stdin` (the second reading found
/// the pipe empty and linted empty values), `-` beside `/dev/fd/0`, `-f /dev/stdin` beside `--manifests -`, a FIFO
/// given twice, `generate -f /dev/stdin -f /dev/stdin`: refused with exit 2 before anything is read, naming both
/// (file arguments that are pipes, character devices or sockets are compared by device and inode). A terminal
/// under two names is one terminal, read once; another character device under two names (`/dev/null` twice, `-`
/// beside `/dev/stdin` on `/dev/null`) is no stream read once but a device given twice, and no device is a values
/// file or manifest: refused with exit 2 all the same. A regular file given twice is read twice, as before.
#[test]
fn one_stream_under_two_names_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = fifo(tmp.path());
    let fifo = fifo.to_str().unwrap();
    for (args, named) in [
        (
            vec!["lint", "/dev/stdin", "/dev/stdin"],
            "`/dev/stdin` and `/dev/stdin` (FILE, FILE) are one pipe".to_string(),
        ),
        (vec!["lint", "-", "/dev/fd/0"], "`-` and `/dev/fd/0` (FILE, FILE) are one pipe".to_string()),
        (
            vec!["lint", "-f", "/dev/stdin", "--manifests", "-"],
            "`/dev/stdin` and `-` (-f, --manifests) are one pipe".to_string(),
        ),
        (vec!["lint", fifo, "-f", fifo], format!("`{fifo}` and `{fifo}` (FILE, -f) are one pipe")),
        (
            vec!["generate", "--profile", "dev-sqlite", "-f", "/dev/stdin", "-f", "/dev/stdin", "-o", "c"],
            "`/dev/stdin` and `/dev/stdin` (-f, -f) are one pipe".to_string(),
        ),
    ] {
        let mut child = onechart_on_a_pipe(&args, tmp.path());
        {
            use std::io::Write;
            // Values that lint clean: read once, they would pass; the second name must not read them as empty.
            let mut stdin = child.stdin.take().unwrap();
            let _ = stdin.write_all(b"profile: dev-sqlite\noned: {replicas: 1}\n");
        }
        let o = child.wait_with_output().unwrap();
        check_one_error(&format!("{args:?}"), &o, &format!("{named}, which can be read only once"));
    }
    assert!(!tmp.path().join("c").exists());
    // A character device that is not a terminal: given twice, not read once.
    let device = "are one character device, given twice; a device is not a values file or manifest";
    for (args, named) in [
        (vec!["lint", "/dev/null", "/dev/null"], "`/dev/null` and `/dev/null` (FILE, FILE)"),
        (vec!["lint", "-", "/dev/stdin"], "`-` and `/dev/stdin` (FILE, FILE)"),
        (vec!["lint", "--manifests", "/dev/null", "/dev/null"], "`/dev/null` and `/dev/null` (FILE, --manifests)"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(&args)
            .current_dir(tmp.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        check_one_error(&format!("{args:?}"), &o, &format!("{named} {device}"));
        assert!(!String::from_utf8_lossy(&o.stderr).contains("read only once"), "{args:?}");
    }
    // A terminal (util-linux `script` runs onechart on a pseudo-terminal): read once.
    let o = Command::new("script")
        .args(["-qec", "\"$ONECHART\" lint - /dev/stdin", "/dev/null"])
        .env("ONECHART", env!("CARGO_BIN_EXE_onechart"))
        .current_dir(tmp.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // `script` copies the terminal's output, error included, to its standard output.
    let o = std::process::Output { stderr: o.stdout, stdout: Vec::new(), status: o.status };
    check_one_error(
        "- /dev/stdin on a terminal",
        &o,
        "`-` and `/dev/stdin` (FILE, FILE) are one terminal, which can be read only once",
    );
    // A regular file twice, and /dev/stdin once beside a file: read as before.
    std::fs::write(tmp.path().join("v.yaml"), "profile: dev-sqlite\n").unwrap();
    let o = Command::new("sh")
        .args(["-c", "printf 'profile: dev-sqlite\\n' | \"$0\" lint -q v.yaml v.yaml /dev/stdin"])
        .arg(env!("CARGO_BIN_EXE_onechart"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `ONECHART_PIPE_TIMEOUT` is a whole number of seconds from 1 to 86400: any other value (it was read as 10 s,
/// silently) is refused with exit 2 and one message naming the variable and the value, before anything is read,
/// by every command that reads files; unset or empty, it is 10 s.
#[test]
fn a_bad_pipe_timeout_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("v.yaml"), "profile: dev-sqlite\n").unwrap();
    let run = |args: &[&str], value: &str| {
        Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(args)
            .current_dir(tmp.path())
            .env("ONECHART_PIPE_TIMEOUT", value)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let commands: [&[&str]; 4] = [
        &["lint", "v.yaml"],
        &["lint", "--manifests", "-"],
        &["generate", "--profile", "dev-sqlite", "-o", "c"],
        &["schema", "--profile", "dev-sqlite"],
    ];
    for value in ["abc", "0", "-3", "1.5", "10s", "86401", "99999999999999999999999"] {
        for args in commands {
            let o = run(args, value);
            check_one_error(
                &format!("{value} {args:?}"),
                &o,
                &format!(
                    "error: ONECHART_PIPE_TIMEOUT=`{value}` is not a number of seconds: set it to a whole number from 1 to 86400"
                ),
            );
        }
    }
    assert!(!tmp.path().join("c").exists());
    for value in ["5", " 86400 ", ""] {
        let o = run(&["lint", "-q", "v.yaml"], value);
        assert_eq!(o.status.code(), Some(0), "{value:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// `-` from a pipe whose writer neither writes nor closes (`sleep 1000 | onechart lint -`) is refused after the
/// pipe's silence timeout (`ONECHART_PIPE_TIMEOUT`, 1 s here) with exit 2, as a FIFO without data is, for values
/// and manifests, lint and generate. The writer's end stays open for the whole run; 30 s is the test's bound.
#[test]
fn a_silent_standard_input_is_refused_not_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["lint", "-"][..],
        &["lint", "--manifests", "-"][..],
        &["generate", "--profile", "dev-sqlite", "-f", "-", "-o", "c"][..],
    ] {
        let mut child = onechart_on_a_pipe(args, tmp.path());
        let writer = child.stdin.take();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed() < std::time::Duration::from_secs(30) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?}: still waiting for standard input after 30 s");
        }
        drop(writer);
        let o = child.wait_with_output().unwrap();
        check_one_error(&format!("{args:?}"), &o, "<stdin>: error: is a pipe or FIFO that delivered nothing for 1 s");
    }
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn a_numeric_key_or_a_suppression_hides_no_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let lint = |name: &str, text: &str| {
        std::fs::write(tmp.path().join(name), text).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_onechart")).args(["lint", name]).current_dir(tmp.path()).output();
        let o = o.unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    // `"0": x` was read as a list index: the whole values fell back to the profile's defaults, every finding
    // hidden (and a suppression on it hid the default-password error too).
    for (name, first) in [
        ("numeric.yaml", "\"0\": x\n"),
        ("numeric-suppressed.yaml", "\"0\": x  # onechart:ignore ONE100 testing\n"),
        ("nested.yaml", "oned:\n  \"1\": x\n"),
    ] {
        let (code, out) = lint(name, &format!("{first}auth:\n  oneadminPassword: changeme\n"));
        assert_eq!(code, Some(1), "{name}: {out}");
        assert!(out.contains("ONE011") && out.contains("ONE100"), "{name}: {out}");
    }
    // A suppressed unknown key: the chart's schema (and Helm) refuse it anyway, so no comment waives it, and
    // generate writes no chart that Helm would refuse.
    let (code, out) = lint("unknown.yaml", "unknownKey: 1  # onechart:ignore ONE100 testing\n");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("cannot be suppressed"), "{out}");
    let o = Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["generate", "--profile", "dev-sqlite", "-f", "unknown.yaml", "-o", "chart"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!tmp.path().join("chart").exists());
}

#[test]
fn secret_like_files_in_a_chart_directory_are_never_packaged() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    generate("dev-sqlite", &[], &chart);
    let secrets = [
        "opennebula-repo.conf",
        "auth.conf",
        "enterprise.token",
        "id_rsa",
        "id_rsa.pub",
        "ssh_host_ecdsa_key",
        "ssh_host_ecdsa_key.pub",
        "tls.key",
        "tls.pem",
        ".env",
        "values.yaml.onechart-orig",
        "image/opennebula-repo.conf",
    ];
    for s in secrets {
        std::fs::write(chart.join(s), "secret\n").unwrap();
    }
    let o = Command::new(common::tool("helm3")).args(["package", "-d"]).arg(tmp.path()).arg(&chart).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tgz = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "tgz"));
    let o = Command::new("tar").arg("tzf").arg(tgz.expect("a packaged chart")).output().unwrap();
    let listing = String::from_utf8_lossy(&o.stdout);
    assert!(listing.contains("/values.yaml") && listing.contains("/image/Containerfile"), "{listing}");
    for s in secrets {
        assert!(!listing.lines().any(|l| l.ends_with(&format!("/{s}"))), "{s} was packaged:\n{listing}");
    }
    // The image README writes the Enterprise token outside the chart directory, and the key pairs of the chart
    // README's Secrets recipe too.
    let readme = std::fs::read_to_string(chart.join("image/README.md")).unwrap();
    assert!(readme.contains("auth=$(mktemp)") && readme.contains("src=\"$auth\""), "{readme}");
    assert!(!readme.contains("> opennebula-repo.conf"), "{readme}");
    let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
    assert!(readme.contains("keys=$(mktemp -d)") && !readme.contains("-f ./id_rsa"), "chart README");
}

#[test]
fn the_image_recipe_refuses_an_unpinned_repository_key() {
    // No container engine here: the recipe's own shell, taken from the generated Containerfile, run as the build
    // would run it (build arguments are environment variables in RUN).
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    generate("dev-sqlite", &[], &chart);
    let recipe = std::fs::read_to_string(chart.join("image/Containerfile")).unwrap();
    let block = |start: &str| -> String {
        let lines: Vec<&str> = recipe.lines().collect();
        let from = lines.iter().position(|l| l.contains(start)).unwrap_or_else(|| panic!("no `{start}`"));
        let end = |l: &&str| {
            let t = l.trim().trim_end_matches('\\').trim();
            t == "fi" || t.ends_with("; fi")
        };
        let to = from + lines[from..].iter().position(end).unwrap();
        lines[from..=to]
            .iter()
            .map(|l| l.trim().trim_start_matches("&& ").trim_end_matches('\\').trim_end_matches(" \\"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let key = tmp.path().join("repo2.key");
    std::fs::write(&key, "-----BEGIN PGP PUBLIC KEY BLOCK-----\nnot a real key\n").unwrap();
    let sha = String::from_utf8(Command::new("sha256sum").arg(&key).output().unwrap().stdout).unwrap();
    let sha = sha.split_whitespace().next().unwrap().to_string();
    let script = format!(
        "{}\n{}",
        block("if [ -z \"${ONE_REPO_KEY_SHA256}\" ]"),
        block("if [ -n \"${ONE_REPO_KEY_SHA256}\" ]")
            .replace("/etc/apt/keyrings/opennebula.asc", key.to_str().unwrap())
    );
    let run = |sha: &str, unpinned: &str| {
        let o = Command::new("sh")
            .args(["-ec", &script])
            .env("ONE_REPO_KEY_URL", "https://downloads.opennebula.io/repo/repo2.key")
            .env("ONE_REPO_KEY_SHA256", sha)
            .env("ONE_REPO_KEY_UNPINNED", unpinned)
            .output()
            .unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (ok, err) = run("", "");
    assert!(!ok && err.contains("error: no ONE_REPO_KEY_SHA256"), "unpinned by default: {err}");
    let (ok, err) = run(&sha, "");
    assert!(ok, "the right checksum: {err}");
    let (ok, err) = run(&"0".repeat(64), "");
    assert!(!ok, "a changed key: {err}");
    let (ok, err) = run("", "trust-on-first-use");
    assert!(ok && err.contains(&sha), "explicitly unpinned, with the checksum shown: {err}");
}

#[test]
fn image_values_cannot_inject_yaml() {
    // `image.tag: "7.4.0\nx-injected: |1"` rewrote every pod: the schema (onechart's and the chart's, which Helm
    // enforces) admits only what a registry admits.
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    generate("dev-sqlite", &[], &chart);
    for (key, value) in [
        ("image.tag", "7.4.0\nx-injected: |1"),
        ("image.repository", "registry.example.com/one\n  x: 1"),
        ("database.mariadb.tag", "11.4.4 # x"),
        ("database.mariadb.digest", "sha256:abab\nx-injected: |1"),
    ] {
        let set = format!("{key}={value}");
        let o = Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(["generate", "--profile", "dev-sqlite", "-o", "other", "--set", &set])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{key}: {err}");
        assert!(err.contains(&format!("`{key}` must be an image")), "{key}: {err}");
        assert!(!err.contains("x-injected: |1\n"), "{key}: the value reached the terminal raw: {err}");
        for helm in ["helm3", "helm4"] {
            let o = Command::new(common::tool(helm))
                .args(["template", "one"])
                .arg(&chart)
                .args(["--set", &set])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            let refused = err.contains("does not match pattern") || err.contains("Does not match pattern");
            assert!(!o.status.success() && refused, "{helm} {key}: {err}");
        }
    }
}

#[test]
fn control_characters_from_the_input_never_reach_the_terminal_raw() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ctrl.yaml"),
        "database:\n  backend: \"sq\\e]0;pwned\\alite\"\nunknown\x1b[31mred: 1\noned:\n  replicas: \"3\\r\\nerror: fake\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("bad\x1b[2J.yaml"), "a: [1\n").unwrap();
    for args in [vec!["lint", "--color", "never", "ctrl.yaml"], vec!["lint", "bad\x1b[2J.yaml"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_onechart")).args(&args).current_dir(tmp.path()).output().unwrap();
        let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
        let raw: Vec<u8> =
            all.iter().copied().filter(|b| (*b < 0x20 && *b != b'\n' && *b != b'\t') || *b == 0x7f).collect();
        assert!(raw.is_empty(), "{args:?}: raw control bytes {raw:?} in:\n{}", String::from_utf8_lossy(&all));
        assert!(String::from_utf8_lossy(&all).contains("\\x1b"), "{args:?}: {}", String::from_utf8_lossy(&all));
        assert!(!String::from_utf8_lossy(&all).lines().any(|l| l.starts_with("error: fake")), "a faked output line");
    }
}

/// `--format github` too: workflow commands keep GitHub's own encoding (`%25`, `%0D`, `%0A`), and every other
/// control character of a message or a file name is shown escaped, never printed raw (the log is a terminal).
#[test]
fn github_annotations_escape_control_characters() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("v.yaml"), "oned: {replicas: \"a\x1b[2J 100%0A\\r\\nerror: fake\"}\n").unwrap();
    std::fs::write(tmp.path().join("bad\x1b[2J.yaml"), "a: [1\n").unwrap();
    for (file, shown) in [
        (
            "v.yaml",
            "::error file=v.yaml,line=1,col=18,title=ONE100 invalid-value::`oned.replicas` must be an integer, \
                    found the string `a\\x1b[2J 100%250A%0D%0Aerror: fake`",
        ),
        ("bad\x1b[2J.yaml", "::error file=bad\\x1b[2J.yaml,line=1,col=6,title=input error::invalid YAML"),
    ] {
        let o = onechart_in(tmp.path(), &["lint", "--format", "github", file]);
        let (raw, all) = raw_controls(&o);
        assert!(raw.is_empty(), "{file}: raw control bytes {raw:?} in:\n{all}");
        assert!(all.contains(shown), "{file}: no `{shown}` in:\n{all}");
        assert!(!all.lines().any(|l| l.starts_with("error: fake")), "a faked output line");
    }
}

/// Raw control bytes (other than newline and tab) in a command's output.
fn raw_controls(o: &std::process::Output) -> (Vec<u8>, String) {
    let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    let raw = all.iter().copied().filter(|b| (*b < 0x20 && *b != b'\n' && *b != b'\t') || *b == 0x7f).collect();
    (raw, String::from_utf8_lossy(&all).into_owned())
}

/// Names from the user reach the terminal escaped: the file names and `--set` values in lint's summary, the
/// names in `generate --check`'s diff headers (a `.onechart-manifest` entry of a file to remove), the ID that
/// `onechart explain` does not know.
#[test]
fn names_in_summaries_diffs_and_explain_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "ok\x1b]0;pwned\x07\x1b[2J.yaml";
    std::fs::write(tmp.path().join(name), "profile: dev-sqlite\n").unwrap();
    let lint = onechart_in(tmp.path(), &["lint", "--color", "never", name, "--set", "commonAnnotations.a=b\x1b[31m"]);
    let chart = tmp.path().join("chart");
    generate("dev-sqlite", &[], &chart);
    let planted = "extra\x1b[2J.txt";
    std::fs::write(chart.join(planted), "planted\n").unwrap();
    let mut manifest = std::fs::read_to_string(chart.join(".onechart-manifest")).unwrap();
    manifest.push_str(&format!("{planted}\n"));
    std::fs::write(chart.join(".onechart-manifest"), manifest).unwrap();
    let check = onechart_in(tmp.path(), &["generate", "--profile", "dev-sqlite", "-o", "chart", "--check"]);
    let explain = onechart_in(tmp.path(), &["explain", "ONE\x1b[2J001"]);
    for (what, o, code, shown) in [
        (
            "lint",
            &lint,
            0,
            "ok\\x1b]0;pwned\\x07\\x1b[2J.yaml + --set commonAnnotations.a=b\\x1b[31m: profile dev-sqlite",
        ),
        ("generate --check", &check, 1, "+++ extra\\x1b[2J.txt (generated)"),
        ("explain", &explain, 2, "unknown rule `ONE\\x1b[2J001`"),
    ] {
        let (raw, all) = raw_controls(o);
        assert_eq!(o.status.code(), Some(code), "{what}: {all}");
        assert!(raw.is_empty(), "{what}: raw control bytes {raw:?} in:\n{all}");
        assert!(all.contains(shown), "{what}: no `{shown}` in:\n{all}");
    }
}

fn onechart_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_onechart")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn a_workload_with_a_wrongly_typed_field_is_reported_not_checked() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("m.yaml"),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: one}\nspec:\n  selector: {matchLabels: {app: one}}\n  serviceName: one\n  template:\n    metadata: {labels: {app: one}}\n    spec:\n      containers:\n        - name: oned\n          image: opennebula:7.4.0\n          ports: [{containerPort: \"2633\"}]\n          securityContext: {privileged: true}\n",
    )
    .unwrap();
    let run = |format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_onechart"))
            .args(["lint", "--format", format, "--manifests", "m.yaml"])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (out, err) = run("human");
    assert!(
        err.contains("note: m.yaml:1:1: StatefulSet/one is not checked: `spec.template.spec.containers[0].ports[0].containerPort`: invalid type: string \"2633\", expected i32"),
        "{err}"
    );
    assert!(out.contains("(1 object with a wrongly typed field not checked)"), "{out}");
    let (out, _) = run("json");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["notChecked"], 1, "{out}");
}

/// The fuzz targets' seeds: the lint and manifest fixtures, the example values, the regression inputs.
fn fuzz_seeds(target: &str) -> Vec<Vec<u8>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let fixtures = |sub: &str| -> Vec<PathBuf> {
        std::fs::read_dir(root().join("tests/fixtures").join(sub)).unwrap().map(|e| e.unwrap().path()).collect()
    };
    match target {
        "values" | "set" => {
            dirs.extend(fixtures("lint"));
            dirs.push(root().join("profiles/examples"));
        }
        _ => dirs.extend(fixtures("manifests")),
    }
    dirs.push(root().join("tests/fuzz_regressions").join(target));
    let mut seeds = Vec::new();
    for d in dirs.iter().filter(|d| d.is_dir()) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() && p.extension().is_some_and(|x| x != "md") {
                seeds.push(std::fs::read(p).unwrap());
            }
        }
    }
    if target == "set" {
        seeds = seeds
            .iter()
            .flat_map(|s| {
                String::from_utf8_lossy(s).lines().map(|l| l.replace(": ", "=").into_bytes()).collect::<Vec<_>>()
            })
            .collect();
        seeds.push(
            b"oned.replicas=3\ndatastores[0].name=a,datastores[0].tmMad=ceph\ningress.annotations.a\\.b=c,x={1,2}\n"
                .to_vec(),
        );
    }
    assert!(seeds.len() >= 3, "{target}: no seeds");
    seeds
}

/// A bounded random fuzz of the fuzz targets' entry points (`src/fuzzing.rs`) on stable Rust, in every test run:
/// seeds mutated by byte flips, inserts, deletions, splices and YAML/`--set` tokens (aliases, merge keys, nesting,
/// directives, huge indexes, control characters), from a fixed seed (`ONECHART_FUZZ_SEED` for another one;
/// `ONECHART_FUZZ_ITERATIONS` per target, 300 by default; `ONECHART_FUZZ_SECONDS` instead runs the four targets
/// for that long in all, as `scripts/test.sh` does in CI). No coverage guidance: `scripts/fuzz.sh` runs the
/// coverage-guided cargo-fuzz targets. A panic saves its input to `target/fuzz-failures/` and fails the test,
/// naming the seed.
#[test]
fn fuzz_targets_survive_mutated_seeds() {
    let iterations: usize = std::env::var("ONECHART_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    // A time budget (seconds for all four targets) replaces the iteration count: the work is bounded by the clock.
    let budget = std::env::var("ONECHART_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|s| std::time::Duration::from_secs(s) / 4);
    let seed: u64 = std::env::var("ONECHART_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_1905);
    let mut state = seed.max(1);
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    const TOKENS: &[&[u8]] = &[
        b"<<: ",
        b"*a",
        b"&a ",
        b"[",
        b"]",
        b"{",
        b"}",
        b"\"",
        b"'",
        b"\t",
        b"\n",
        b"- ",
        b": ",
        b"%YAML 1.1\n---\n",
        b"---\n",
        b"65536",
        b"~",
        b"\xc3\xa9",
        b"\x1b[2J",
        b"\0",
        b"0x1F",
        b"!!str ",
        b"? ",
        b"|\n  ",
        b">-\n",
        b"\"0\": ",
        b"[65536]=",
        b".",
        b",",
        b"=",
        b"\\",
        b"kind: List\nitems:\n- ",
        b"apiVersion: apps/v1\n",
    ];
    let failures = root().join("target/fuzz-failures");
    for target in ["values", "manifests", "set", "oneconf"] {
        let seeds = fuzz_seeds(if target == "oneconf" { "manifests" } else { target });
        let start = std::time::Instant::now();
        let more = |i: usize| match budget {
            Some(b) => i == 0 || start.elapsed() < b,
            None => i < iterations,
        };
        let mut i = 0;
        while more(i) {
            let mut data = seeds[next() as usize % seeds.len()].clone();
            for _ in 0..1 + next() % 8 {
                let len = data.len().max(1);
                let at = next() as usize % len;
                match next() % 6 {
                    0 if !data.is_empty() => {
                        let i = at.min(data.len() - 1);
                        data[i] ^= 1 << (next() % 8);
                    }
                    1 => data.insert(at.min(data.len()), next() as u8),
                    2 if !data.is_empty() => {
                        let end = (at + 1 + next() as usize % 16).min(data.len());
                        data.drain(at.min(end)..end);
                    }
                    3 if !data.is_empty() => {
                        let end = (at + 1 + next() as usize % 64).min(data.len());
                        let chunk = data[at.min(end)..end].to_vec();
                        let to = next() as usize % data.len();
                        data.splice(to..to, chunk);
                    }
                    4 => {
                        let other = &seeds[next() as usize % seeds.len()];
                        let from = next() as usize % other.len().max(1);
                        let chunk = other[from.min(other.len())..(from + 64).min(other.len())].to_vec();
                        data.splice(at.min(data.len())..at.min(data.len()), chunk);
                    }
                    _ => {
                        let t = TOKENS[next() as usize % TOKENS.len()];
                        data.splice(at.min(data.len())..at.min(data.len()), t.iter().copied());
                    }
                }
            }
            data.truncate(64 * 1024);
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match target {
                "values" => onechart::fuzzing::values(&data),
                "manifests" => onechart::fuzzing::manifests(&data),
                "set" => onechart::fuzzing::set(&data),
                _ => onechart::fuzzing::oneconf(&data),
            }));
            if run.is_err() {
                std::fs::create_dir_all(&failures).unwrap();
                let file = failures.join(format!("{target}-{i}"));
                std::fs::write(&file, &data).unwrap();
                panic!(
                    "{target}: iteration {i} (ONECHART_FUZZ_SEED={seed}) panicked; input saved in {}",
                    file.display()
                );
            }
            i += 1;
        }
        eprintln!("fuzz {target}: {i} inputs (ONECHART_FUZZ_SEED={seed})");
    }
}

/// Issue 19, item 3 (found in review): a journal that no run of onechart wrote (committed in a pull request, or
/// planted) moves nothing. `generate` and `generate --check` (which recovers an interrupted run, as every run
/// does) refuse it before anything moves: a journal that does not name the directory's own device and inode (a
/// clone or checkout cannot know them; a second review removed `.git` through the planned-looking step
/// `.onechart-new/.git` to `.git`), and one with a step no plan of onechart takes even where it does.
#[test]
fn a_planted_journal_moves_nothing() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    let o = common::onechart(&["generate", "--profile", "dev-sqlite", "-o", chart.to_str().unwrap()], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", common::text(&o));
    std::fs::create_dir_all(chart.join("ci")).unwrap();
    std::fs::write(chart.join("ci/pipeline.yaml"), "mine").unwrap();
    std::fs::create_dir_all(chart.join(".git/objects")).unwrap();
    std::fs::write(chart.join(".git/objects/x"), "history").unwrap();
    let meta = std::fs::metadata(&chart).unwrap();
    let here = format!("[{},{}]", meta.dev(), meta.ino());
    let journal = chart.join(".onechart-journal").display().to_string();
    let not_here = format!("{journal}: this journal was not left by a run of onechart in this directory");
    let step = r#"{"op":"rename","from":".onechart-old/ci","to":"ci"}"#;
    let planned_looking = r#"{"op":"rename","from":".onechart-new/.git","to":".git"}"#;
    for (text, expected) in [
        (format!(r#"{{"version":1,"steps":[{planned_looking}]}}"#), not_here.clone()),
        (format!(r#"{{"version":1,"dir":[1,2],"steps":[{planned_looking}]}}"#), not_here.clone()),
        (format!(r#"{{"version":1,"steps":[{step}]}}"#), not_here.clone()),
        (
            format!(r#"{{"version":1,"dir":{here},"steps":[{step}]}}"#),
            format!(
                "{journal}: this journal was not written by onechart: it asks to rename `.onechart-old/ci` to `ci`"
            ),
        ),
    ] {
        for args in [&["--check"][..], &[][..]] {
            std::fs::create_dir_all(chart.join(".onechart-old")).unwrap();
            std::fs::create_dir_all(chart.join(".onechart-new")).unwrap();
            std::fs::write(chart.join(".onechart-new/.keep"), "").unwrap();
            std::fs::write(chart.join(".onechart-journal"), &text).unwrap();
            let mut all = vec!["generate", "--profile", "dev-sqlite", "-o", chart.to_str().unwrap()];
            all.extend_from_slice(args);
            let o = common::onechart(&all, tmp.path());
            let (_, err) = common::text(&o);
            assert_eq!(o.status.code(), Some(2), "{text} {args:?}: {err}");
            // A plain message with the journal's path (and the step), no Rust debug formatting (it printed
            // `Rename { from: ... }`).
            assert!(err.contains(&expected), "{text} {args:?}: {err}");
            assert!(!err.contains("Rename {") && !err.contains("from:"), "{args:?}: {err}");
            assert_eq!(std::fs::read_to_string(chart.join("ci/pipeline.yaml")).unwrap(), "mine", "{text} {args:?}");
            assert_eq!(std::fs::read_to_string(chart.join(".git/objects/x")).unwrap(), "history", "{text} {args:?}");
        }
    }
}
