//! `onechart lint`: every rule fires on its failing fixture with the right ID, severity and location, and is
//! silent on its passing fixture; output formats; suppression; bad input.

use crate::common;

use std::path::Path;

use common::{onechart, root, text};
use serde_json::Value;

fn lint_json(dir: &Path, file: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["lint", "--format", "json", file];
    args.extend_from_slice(extra);
    let o = onechart(&args, dir);
    let (out, err) = text(&o);
    let v: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}/{file}: not JSON ({e}): {out}{err}", dir.display()));
    (o.status.code(), v)
}

fn fixture_dirs(kind: &str) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> =
        std::fs::read_dir(root().join("tests/fixtures").join(kind)).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

fn fixtures() -> Vec<std::path::PathBuf> {
    fixture_dirs("lint")
}

/// Checks the `# expect: ID severity file[:line:col]` header of a failing fixture against JSON output.
fn assert_expected(dir: &Path, v: &Value, code: Option<i32>) {
    let bad = std::fs::read_to_string(dir.join("bad.yaml")).unwrap();
    let expect =
        bad.lines().next().unwrap().strip_prefix("# expect: ").expect("first line: # expect: ID severity location");
    let mut parts = expect.split_whitespace();
    let (id, severity, location) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let hit = v["findings"].as_array().unwrap().iter().find(|f| {
        let loc = match (f["file"].as_str(), f["line"].as_u64(), f["column"].as_u64()) {
            (Some(file), Some(l), Some(c)) if location.contains(':') => format!("{file}:{l}:{c}"),
            (Some(file), _, _) => file.to_string(),
            _ => String::new(),
        };
        f["ruleId"] == id && f["severity"] == severity && loc == location
    });
    assert!(hit.is_some(), "{id}: no `{severity}` finding at {location}:\n{v:#}");
    let expected_code = if v["summary"]["errors"].as_u64().unwrap() > 0 { 1 } else { 0 };
    assert_eq!(code, Some(expected_code), "{id}: exit code");
}

#[test]
fn every_rule_has_a_failing_and_a_passing_fixture() {
    let ids: Vec<String> = fixtures().iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let rules: Vec<&str> = onechart::lint::rules::ALL.iter().filter(|r| !r.manifests_only).map(|r| r.id).collect();
    assert_eq!(ids, rules, "tests/fixtures/lint/<ID>/ must exist for exactly the rules that check values");
    for d in fixtures() {
        assert!(d.join("bad.yaml").is_file() && d.join("ok.yaml").is_file(), "{}", d.display());
    }
}

#[test]
fn rules_fire_on_failing_fixtures_with_id_severity_and_location() {
    for dir in fixtures() {
        let (code, v) = lint_json(&dir, "bad.yaml", &[]);
        assert_expected(&dir, &v, code);
    }
}

#[test]
fn rules_are_silent_on_passing_fixtures() {
    for dir in fixtures() {
        let (code, v) = lint_json(&dir, "ok.yaml", &["--deny-warnings"]);
        let active: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["suppressed"] == false).collect();
        assert!(active.is_empty(), "{}: ok.yaml has findings: {active:#?}", dir.display());
        assert_eq!(code, Some(0), "{}", dir.display());
    }
}

#[test]
fn manifest_rules_fire_on_failing_fixtures_and_are_silent_on_passing_ones() {
    let with_checks: Vec<&str> =
        onechart::lint::rules::ALL.iter().filter(|r| r.manifests.is_some()).map(|r| r.id).collect();
    let dirs = fixture_dirs("manifests");
    let ids: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        ids, with_checks,
        "tests/fixtures/manifests/<ID>/ must exist for exactly the rules with manifest checks"
    );
    for dir in dirs {
        let (code, v) = lint_json(&dir, "--manifests", &["bad.yaml"]);
        assert_expected(&dir, &v, code);
        let (code, v) = lint_json(&dir, "--manifests", &["ok.yaml", "--deny-warnings"]);
        let active: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["suppressed"] == false).collect();
        assert!(active.is_empty(), "{}: ok.yaml has findings: {active:#?}", dir.display());
        assert_eq!(code, Some(0), "{}", dir.display());
    }
}

#[test]
fn manifests_from_stdin() {
    let dir = root().join("tests/fixtures/manifests/ONE015");
    let input = std::fs::read(dir.join("bad.yaml")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["lint", "--manifests", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("<stdin>:18:25: warning[ONE015]"), "{out}");
    assert_eq!(o.status.code(), Some(0), "warnings alone exit 0");
}

#[test]
fn shipped_examples_and_emitted_charts_lint_clean() {
    let tmp = tempfile::tempdir().unwrap();
    for profile in ["dev-sqlite", "prod-mysql", "ha-raft"] {
        let ex = common::example(profile);
        let o = onechart(&["lint", "--deny-warnings", "--profile", profile, ex.to_str().unwrap()], &root());
        assert_eq!(o.status.code(), Some(0), "{profile}: {:?}", text(&o));
        let chart = tmp.path().join(profile);
        common::generate(profile, &[], &chart);
        // The emitted values.yaml names its profile, so no --profile is needed.
        let o = onechart(&["lint", "--deny-warnings", chart.to_str().unwrap()], &root());
        assert_eq!(o.status.code(), Some(0), "{profile} chart: {:?}", text(&o));
    }
}

#[test]
fn human_output_has_a_code_frame_and_a_footer() {
    let dir = root().join("tests/fixtures/lint/ONE004");
    let o = onechart(&["lint", "bad.yaml"], &dir);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.contains("bad.yaml:8:19: error[ONE004]: `monitord.monitorAddress` is `auto` with 3 Raft members"),
        "{out}"
    );
    assert!(out.contains("8 |   monitorAddress: auto\n  |                   ^^^^"), "{out}");
    assert!(out.trim_end().ends_with("Found 1 error, 0 warnings"), "{out}");
}

#[test]
fn suppressions_are_kept_in_machine_output() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("v.yaml");
    std::fs::write(
        &f,
        "securityContext:\n  # onechart:ignore ONE015 needed for the DRBD module on these nodes\n  privileged: true\n  runAsUser: 0\n",
    )
    .unwrap();
    let (code, v) = lint_json(tmp.path(), "v.yaml", &["--ignore", "runs-as-root"]);
    assert_eq!(code, Some(0), "{v:#}");
    let findings = v["findings"].as_array().unwrap();
    let one015 = findings.iter().find(|f| f["ruleId"] == "ONE015").unwrap();
    assert_eq!(one015["suppressed"], true);
    assert_eq!(one015["suppressionReason"], "needed for the DRBD module on these nodes");
    let one016 = findings.iter().find(|f| f["ruleId"] == "ONE016").unwrap();
    assert_eq!(one016["suppressionReason"], "--ignore runs-as-root");
    assert_eq!(v["summary"]["suppressed"], 2);
    let o = onechart(&["lint", "v.yaml", "--ignore", "ONE016"], tmp.path());
    let (out, _) = text(&o);
    assert!(out.contains("Found 0 errors, 0 warnings (2 suppressed)"), "{out}");
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    // The published rtm.5 schema has one malformed regex (`run.language`, which onechart never emits) that the
    // validator's meta-schema check rejects; it is corrected here to what its description says it means.
    let text = std::fs::read_to_string(common::tool("sarif-2.1.0.json"))
        .unwrap()
        .replace(r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("v.yaml");
    std::fs::write(&f, "securityContext:\n  privileged: true # onechart:ignore ONE015 lab nodes\n  runAsUser: 0\noned:\n  replicas: 2\n").unwrap();
    let o = onechart(&["lint", "--format", "sarif", "v.yaml"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), onechart::lint::rules::ALL.len());
    let results = run["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "ONE003").unwrap();
    assert_eq!(r["locations"][0]["physicalLocation"]["region"], serde_json::json!({"startLine": 5, "startColumn": 13}));
    assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "v.yaml");
    assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert!(base.starts_with("file:///") && base.ends_with('/'), "{base}");
    let s = results.iter().find(|r| r["ruleId"] == "ONE015").unwrap();
    assert_eq!(s["suppressions"][0]["kind"], "inSource");
    // Issue 18, item 11: an absolute path is a file:// URI; standard input and --set are no URI at all.
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: oned\n      image: x:1\n      securityContext: {privileged: true}\n";
    let abs = tmp.path().join("my dir");
    std::fs::create_dir_all(&abs).unwrap();
    std::fs::write(abs.join("p.yaml"), manifest).unwrap();
    let o = onechart(&["lint", "--format", "sarif", "--manifests", abs.join("p.yaml").to_str().unwrap()], tmp.path());
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
    assert_eq!(uri, Some(format!("file://{}/my%20dir/p.yaml", tmp.path().display()).as_str()));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["lint", "--format", "sarif", "--manifests", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), manifest.as_bytes()).unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let loc = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc, &serde_json::json!({"description": {"text": "standard input"}}), "{log:#}");
    assert!(!o.stdout.windows(7).any(|w| w == b"<stdin>"), "no <stdin> URI");
    // The schema itself is not a rubber stamp.
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]})));
}

#[test]
fn github_annotations() {
    let dir = root().join("tests/fixtures/lint/ONE001");
    let o = onechart(&["lint", "--format", "github", "bad.yaml"], &dir);
    let (out, _) = text(&o);
    assert!(out.starts_with("::error file=bad.yaml,line=8,col=12,title=ONE001 sqlite-in-production::"), "{out}");
}

#[test]
fn bad_input_is_one_clear_error_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("malformed.yaml"), "a: [1, 2\nb: 3\n").unwrap();
    std::fs::write(d.join("multi.yaml"), "a: 1\n---\nb: 2\n").unwrap();
    std::fs::write(d.join("latin1.yaml"), b"a: caf\xe9\n").unwrap();
    std::fs::write(d.join("list.yaml"), "- a\n- b\n").unwrap();
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (p, n) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"]) {
        bomb.push_str(&format!("{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"));
    }
    std::fs::write(d.join("bomb.yaml"), bomb).unwrap();
    std::fs::write(d.join("huge.yaml"), "a: ".to_string() + &"x".repeat(50 * 1024 * 1024)).unwrap();
    std::fs::create_dir(d.join("novalues")).unwrap();
    for (file, expect) in [
        ("malformed.yaml", "malformed.yaml:"),
        ("multi.yaml", "multi.yaml:2:1: error: a second YAML document"),
        ("latin1.yaml", "latin1.yaml:1:7: error: invalid UTF-8"),
        ("list.yaml", "list.yaml:1:1: error: values must be a mapping"),
        ("bomb.yaml", "excessive aliasing"),
        ("huge.yaml", "larger than the"),
        ("novalues", "novalues: error: is a directory without a values.yaml"),
        ("missing.yaml", "missing.yaml: error: no such file"),
    ] {
        let o = onechart(&["lint", file], d);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(expect), "{file}: expected `{expect}` in: {err}");
        assert_eq!(err.lines().filter(|l| l.contains("error")).count(), 1, "{file}: one error: {err}");
    }
}

/// `config.*` (OpenNebula's configuration files, rendered into a ConfigMap) is an escape hatch, never a place for
/// a credential: a setting named like one with a literal value is ONE007 at its value (a leading `:` of a Ruby
/// symbol key does not hide it), paths to key files (monitord's PUBKEY/PRIKEY) are not credentials, and oned.conf's
/// `DB` (whose password the chart takes from the Secret) is refused by the schema.
#[test]
fn credentials_in_configuration_overrides_are_one007() {
    let found = site_findings(
        "profile: dev-sqlite\nconfig:\n  remotes:\n    datastore/ceph/ceph.conf:\n      CEPH_SECRET: abc\n  monitord:\n    NETWORK:\n      PUBKEY: /etc/one/p.pem\n      PRIKEY: /etc/one/k.pem\n  onegate:\n    \":password\": hunter2\n  oned:\n    DB: {BACKEND: mysql}\n",
    );
    assert!(found.contains(&"ONE007 5:20".to_string()) && found.contains(&"ONE007 11:18".to_string()), "{found:?}");
    assert_eq!(found.iter().filter(|f| f.starts_with("ONE007")).count(), 2, "{found:?}");
    assert!(found.iter().any(|f| f.starts_with("ONE100 13:")), "config.oned.DB refused: {found:?}");
}

/// Issue 18: every `extraEnv` (the add-ons', sshd's, the hook manager's) is judged like `oned.extraEnv`: a literal
/// credential is ONE007, a `valueFrom` is not.
#[test]
fn literal_credentials_in_any_extra_env_are_one007() {
    let found = site_findings(
        "profile: dev-sqlite\nonegate:\n  extraEnv: [{name: API_TOKEN, value: s3cr3t-v4lue-x}]\nssh:\n  extraEnv: [{name: LDAP_PASSWORD, valueFrom: {secretKeyRef: {name: l, key: p}}}]\noned:\n  hemExtraEnv: [{name: HOOK_SECRET, value: s3cr3t-v4lue-y}]\n",
    );
    assert_eq!(found, vec!["ONE007 3:39".to_string(), "ONE007 7:44".to_string()], "{found:?}");
}

/// Lints a site file that must fail (exit 1): its findings as `ID line:column`.
fn site_findings(yaml: &str) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("site.yaml"), yaml).unwrap();
    let (code, v) = lint_json(tmp.path(), "site.yaml", &[]);
    assert_eq!(code, Some(1), "{v}");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}:{}", f["ruleId"].as_str().unwrap(), f["line"], f["column"]))
        .collect()
}

/// Issue 18: the schema check of the free-form `config.*` overrides says in words what a key or value must be
/// (never a raw regular expression, a schema fragment or the validator's `anyOf` wording), reports every refused
/// key at the key, and credits each to where it came from: the values file's line and column, or the `--set`
/// that gave it (not the profile whose map it lands in).
#[test]
fn configuration_override_messages_are_words_at_their_origin() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("site.yaml"),
        "profile: dev-sqlite\nconfig:\n  oned:\n    DB: {BACKEND: mysql}\n    lower_case: 1\n    HOOK: [1]\n  remotes:\n    \"vmm/../x\": {A: 1}\n    Bad: {A: 1}\n",
    )
    .unwrap();
    let (code, v) =
        lint_json(tmp.path(), "site.yaml", &["--set", "config.monitord.bad=1", "--set", "config.scheduler.MAX[0]=1"]);
    assert_eq!(code, Some(1), "{v}");
    let found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = match f["line"].as_u64() {
                Some(l) => format!("{}:{l}:{}", f["file"].as_str().unwrap(), f["column"]),
                None => f["file"].as_str().unwrap().to_string(),
            };
            (f["path"].as_str().unwrap().to_string(), at, f["message"].as_str().unwrap().to_string())
        })
        .collect();
    let upper = "must be an attribute name in upper case (`MONITOR_ADDRESS`: letters, digits and `_`)";
    let attribute = "must be a single value (a string, a number or a boolean), a mapping of single values or a list \
                     of mappings of single values, found a list";
    let expected = [
        ("config.oned.DB", "site.yaml:4:5", "key `DB` of `config.oned` is not allowed: the chart writes oned's `DB`"),
        ("config.oned.lower_case", "site.yaml:5:5", &format!("key `lower_case` of `config.oned` {upper}")),
        ("config.oned.HOOK", "site.yaml:6:11", &format!("`config.oned.HOOK` {attribute}")),
        (
            "config.remotes.vmm/../x",
            "site.yaml:8:5",
            "key `vmm/../x` of `config.remotes` must not be a path with a `..` component",
        ),
        ("config.remotes.Bad", "site.yaml:9:5", "key `Bad` of `config.remotes` must be a file under `remotes/etc`"),
        ("config.monitord.bad", "--set config.monitord.bad=1", &format!("key `bad` of `config.monitord` {upper}")),
        ("config.scheduler.MAX", "--set config.scheduler.MAX[0]=1", &format!("`config.scheduler.MAX` {attribute}")),
    ];
    for (path, at, message) in expected {
        assert!(
            found.iter().any(|(p, a, m)| p == path && a == at && m.starts_with(message)),
            "{path} at {at}: {message}\n{found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (_, _, m) in &found {
        assert!(
            !["^", "$\"", "{\"", "anyOf", "pattern", "profile", "not allowed for"].iter().any(|raw| m.contains(raw)),
            "raw schema text or a wrong origin in {m}"
        );
    }
}

/// Issue 18: the caret under a finding covers the value (or key) only, also inside a flow collection: `7`, not
/// `7}`; `20GB`, not `20GB,`; a quoted value to its closing quote, spaces and all; a key up to its `:`, and a
/// plain value with a `:` in it (a URL) whole.
#[test]
fn the_caret_covers_the_node_in_flow_collections() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("site.yaml"),
        "profile: dev-sqlite\npersistence: {size: 20GB, keep: true}\npodLabels: {team: 7}\noned: {replicas: \"three or four\", hostname: x}\ndatabase: {backnd: mysql}\nhosts: [{name: \"a b\", imMad: kvm}]\nimage: {repository: http://reg.example/one, pullPolicy: IfNotPresent}  # a comment\n",
    )
    .unwrap();
    let o = onechart(&["lint", "--color", "never", "site.yaml"], tmp.path());
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    insta::with_settings!({snapshot_path => root().join("tests/it/snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("lint__caret_in_flow_collections", out);
    });
}

/// A digest pins an image whatever its tag says: ONE023 is quiet for `latest` with `image.digest` or
/// `database.mariadb.digest`, and says so for the other image; a malformed MariaDB digest is ONE100 at its value.
#[test]
fn a_digest_pins_the_mariadb_image_as_it_pins_opennebulas() {
    let tmp = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let cases = [
        ("database: {mariadb: {tag: latest}}\n".to_string(), vec!["database.mariadb.tag"]),
        (format!("database: {{mariadb: {{tag: latest, digest: \"{digest}\"}}}}\n"), vec![]),
        (
            format!("image: {{tag: latest, digest: \"{digest}\"}}\ndatabase: {{mariadb: {{tag: latest}}}}\n"),
            vec!["database.mariadb.tag"],
        ),
    ];
    for (i, (yaml, expected)) in cases.iter().enumerate() {
        let file = format!("v{i}.yaml");
        std::fs::write(tmp.path().join(&file), format!("profile: dev-sqlite\n{yaml}")).unwrap();
        let (_, v) = lint_json(tmp.path(), &file, &[]);
        let paths: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"] == "ONE023")
            .map(|f| f["path"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(paths, *expected, "{yaml}: {v:#}");
    }
    std::fs::write(tmp.path().join("bad.yaml"), "database: {mariadb: {digest: \"sha256:abc\"}}\n").unwrap();
    let (code, v) = lint_json(tmp.path(), "bad.yaml", &["--profile", "dev-sqlite"]);
    assert_eq!(code, Some(1), "{v:#}");
    let f = &v["findings"][0];
    assert_eq!(
        (&f["ruleId"], &f["path"], &f["line"], &f["column"]),
        (&"ONE100".into(), &"database.mariadb.digest".into(), &1.into(), &30.into()),
        "{v:#}"
    );
    assert!(f["message"].as_str().unwrap().contains("an image digest"), "{v:#}");
}

/// ONE008 as the contract words it: `marketplace.enabled` without `SYS_ADMIN` (as Kubernetes spells it: not
/// `CAP_SYS_ADMIN`, which the API server refuses beside `allowPrivilegeEscalation: false`, nor lower case) in
/// `securityContext.capabilities.add` and without `privileged` is an error; with SYS_ADMIN it is silent, and with
/// privilege ONE015 warns instead.
#[test]
fn marketplace_needs_sys_admin_or_privilege() {
    let tmp = tempfile::tempdir().unwrap();
    for (yaml, expected) in [
        ("marketplace: {enabled: true}\n", vec!["ONE008"]),
        ("marketplace: {enabled: true}\nsecurityContext: {capabilities: {add: [NET_ADMIN]}}\n", vec!["ONE008"]),
        ("marketplace: {enabled: true}\nsecurityContext: {capabilities: {add: [SYS_ADMIN]}}\n", vec![]),
        ("marketplace: {enabled: true}\nsecurityContext: {capabilities: {add: [CAP_SYS_ADMIN]}}\n", vec!["ONE008"]),
        ("marketplace: {enabled: true}\nsecurityContext: {capabilities: {add: [sys_admin]}}\n", vec!["ONE008"]),
        ("marketplace: {enabled: true}\nsecurityContext: {privileged: true}\n", vec!["ONE015"]),
        ("marketplace: {enabled: false}\n", vec![]),
    ] {
        std::fs::write(tmp.path().join("v.yaml"), format!("profile: dev-sqlite\n{yaml}")).unwrap();
        let (_, v) = lint_json(tmp.path(), "v.yaml", &[]);
        let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["ruleId"].as_str().unwrap()).collect();
        assert_eq!(ids, expected, "{yaml}: {v:#}");
        if yaml.contains("CAP_SYS_ADMIN") {
            let f = &v["findings"][0];
            let m = f["message"].as_str().unwrap();
            assert!(m.contains("has `CAP_SYS_ADMIN`, not `SYS_ADMIN`") && m.ends_with("write `SYS_ADMIN`"), "{m}");
            // At the misspelt entry (line 3 of the file: `profile:` comes first), not at `marketplace.enabled`.
            assert_eq!(f["line"], 3, "{v:#}");
        }
    }
}

/// The findings of one rule for a values file: (severity, line, column, message).
fn findings_of(v: &Value, id: &str) -> Vec<(String, u64, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == id)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("severity"), f["line"].as_u64().unwrap_or(0), f["column"].as_u64().unwrap_or(0), s("message"))
        })
        .collect()
}

/// ONE058 compares mount paths as the container runtime reads them: `/etc/one/`, `/etc//one` and `/etc/one/.`
/// are the chart's `/etc/one` (the API server compares them as written and accepts them, and one mount hides the
/// other), a path with a `..` component is refused, and a path under a chart mount (`/etc/one/site-ca`) is a
/// mount of its own, as the rule's documentation says.
#[test]
fn one058_compares_mount_paths_as_the_runtime_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let twice = |path: &str| {
        format!("mount path `{path}` (that is `/etc/one`) of oned.extraVolumeMounts is given twice (the chart uses it)")
    };
    for (path, expected) in [
        ("/etc/one", Some("mount path `/etc/one` of oned.extraVolumeMounts is given twice (the chart uses it)".into())),
        ("/etc/one/", Some(twice("/etc/one/"))),
        ("/etc//one", Some(twice("/etc//one"))),
        ("/etc/one/.", Some(twice("/etc/one/."))),
        ("/etc/./one//", Some(twice("/etc/./one//"))),
        (
            "/srv/../etc/one",
            Some("mount path `/srv/../etc/one` of oned.extraVolumeMounts has a `..` component: write the path without it".into()),
        ),
        ("/srv/..", Some("mount path `/srv/..` of oned.extraVolumeMounts has a `..` component: write the path without it".into())),
        ("/etc/one/site-ca", None),
        ("/etc/one-site/", None),
        ("/srv/..site", None),
    ] {
        let line = format!("  extraVolumeMounts: [{{name: site, mountPath: \"{path}\"}}]");
        let yaml = format!("profile: dev-sqlite\noned:\n  extraVolumes: [{{name: site, emptyDir: {{}}}}]\n{line}\n");
        std::fs::write(tmp.path().join("v.yaml"), &yaml).unwrap();
        let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
        let found = findings_of(&v, "ONE058");
        match expected {
            Some(message) => {
                let column = line.find('"').unwrap() as u64 + 1;
                assert_eq!(found, vec![("error".to_string(), 4, column, message)], "{path}: {v:#}");
                assert_eq!(code, Some(1), "{path}");
            }
            None => assert_eq!((code, found), (Some(0), vec![]), "{path}: {v:#}"),
        }
    }
    // Two of the site's own mounts, spelt apart, in an add-on: the second is the repeat.
    let yaml = "profile: dev-sqlite\nfireedge:\n  extraVolumes: [{name: a, emptyDir: {}}, {name: b, emptyDir: {}}]\n  extraVolumeMounts:\n    - {name: a, mountPath: /srv/site}\n    - {name: b, mountPath: /srv//site/}\n";
    std::fs::write(tmp.path().join("v.yaml"), yaml).unwrap();
    let (_, v) = lint_json(tmp.path(), "v.yaml", &[]);
    let found = findings_of(&v, "ONE058");
    let message = "mount path `/srv//site/` (that is `/srv/site`) of fireedge.extraVolumeMounts is given twice (fireedge.extraVolumeMounts uses it)";
    assert_eq!(found, vec![("error".to_string(), 6, 28, message.to_string())], "{v:#}");
}

/// A NetworkPolicy peer names who it admits (`podSelector`, `namespaceSelector` or `ipBlock` with its `cidr`):
/// the API server refuses an empty one (`must specify a peer`), or an `ipBlock` beside a selector (`may not
/// specify both ipBlock and another peer`), after Helm has rendered the release, so the
/// schema refuses it first, in `ingressFrom`, `tproxyFrom`, `metricsFrom` and the egress rules' `to`, at the
/// file's line and column.
#[test]
fn an_empty_network_policy_peer_is_refused_at_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    for (yaml, at, message) in [
        (
            "networkPolicy:\n  tproxyFrom: [{}]\n",
            (3, 16),
            "`networkPolicy.tproxyFrom[0]` must not be empty: give at least one of `podSelector`, `namespaceSelector`, `ipBlock`",
        ),
        (
            "networkPolicy:\n  ingressFrom:\n    - {ipBlock: {cidr: 192.0.2.0/24}}\n    - {}\n",
            (5, 7),
            "`networkPolicy.ingressFrom[1]` must not be empty: give at least one of `podSelector`, `namespaceSelector`, `ipBlock`",
        ),
        (
            "networkPolicy:\n  metricsFrom: [{}]\n",
            (3, 17),
            "`networkPolicy.metricsFrom[0]` must not be empty: give at least one of `podSelector`, `namespaceSelector`, `ipBlock`",
        ),
        (
            "networkPolicy:\n  egress: {to: [{to: [{}], ports: [{port: 6789}]}]}\n",
            (3, 23),
            "`networkPolicy.egress.to[0].to[0]` must not be empty: give at least one of `podSelector`, `namespaceSelector`, `ipBlock`",
        ),
        (
            "networkPolicy:\n  ingressFrom: [{ipBlock: {except: [192.0.2.1/32]}}]\n",
            (3, 27),
            "`networkPolicy.ingressFrom[0].ipBlock.cidr` is missing",
        ),
        (
            "networkPolicy:\n  tproxyFrom: [{ipBlock: {cidr: 192.0.2.0/24}, namespaceSelector: {}}]\n",
            (3, 16),
            "`networkPolicy.tproxyFrom[0]` must not give `ipBlock` together with `podSelector` or `namespaceSelector`",
        ),
        (
            "networkPolicy:\n  tproxyFrom: [{podselector: {}}]\n",
            (3, 17),
            "unknown key `networkPolicy.tproxyFrom[0].podselector`; did you mean `podSelector`?",
        ),
    ] {
        std::fs::write(tmp.path().join("v.yaml"), format!("profile: dev-sqlite\n{yaml}")).unwrap();
        let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
        assert_eq!(code, Some(1), "{yaml}: {v:#}");
        let found: Vec<(u64, u64, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap(), f["message"].as_str().unwrap()))
            .collect();
        assert_eq!(found, vec![(at.0, at.1, message)], "{yaml}: {v:#}");
    }
    // Every form of peer Kubernetes takes passes.
    let yaml = "profile: dev-sqlite\nnetworkPolicy:\n  ingressFrom:\n    - {ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.1/32]}}\n    - {namespaceSelector: {}}\n    - {podSelector: {matchLabels: {app: web}}, namespaceSelector: {matchLabels: {team: users}}}\n  tproxyFrom: [{ipBlock: {cidr: 2001:db8::/64}}]\n  egress: {to: [{ports: [{port: 6789}]}, {to: [{podSelector: {}}]}]}\n";
    std::fs::write(tmp.path().join("v.yaml"), yaml).unwrap();
    let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
}

/// ONE059 warns when OneKS runs with its transparent proxy's addresses but the chart's NetworkPolicy cuts the
/// proxy off: with `tls.enabled`, a plain port behind a published TLS port (oned's XML-RPC, OneGate's) admits
/// only the release's pods and `networkPolicy.tproxyFrom`, and an empty `tproxyFrom` admits no hypervisor.
#[test]
fn oneks_behind_tls_with_an_empty_tproxy_from_is_a_one059_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let oneks = "oneks:\n  enabled: true\n  tproxy: {onegate: {address: 192.0.2.10}, oned: {address: 192.0.2.10}}\n";
    let both = "with tls.enabled and networkPolicy.enabled, oned's XML-RPC port (2633) and OneGate's plain port (5030) admit only the release's own pods and networkPolicy.tproxyFrom, which is empty: the hypervisors' transparent proxy (oneks.tproxy) cannot reach them, and the VMs' calls through it are cut";
    let oned = "with tls.enabled and networkPolicy.enabled, oned's XML-RPC port (2633) admits only the release's own pods and networkPolicy.tproxyFrom, which is empty: the hypervisors' transparent proxy (oneks.tproxy) cannot reach it, and the VMs' calls through it are cut";
    let tls = "tls: {enabled: true, secretName: one-tls}\n";
    let exposed = "oned: {service: {type: LoadBalancer}}\nonegate: {service: {type: NodePort}}\n";
    for (extra, expected) in [
        (format!("{tls}{exposed}"), Some((3, both))),
        (format!("{tls}oned: {{service: {{type: NodePort}}}}\n"), Some((3, oned))),
        // At the empty list when the values set it.
        (format!("{tls}{exposed}networkPolicy: {{tproxyFrom: []}}\n"), Some((8, both))),
        (format!("{tls}{exposed}networkPolicy: {{tproxyFrom: [{{ipBlock: {{cidr: 192.0.2.0/24}}}}]}}\n"), None),
        (format!("{tls}{exposed}networkPolicy: {{enabled: false}}\n"), None),
        (exposed.to_string(), None),
        (tls.to_string(), None),
    ] {
        let yaml = format!("profile: dev-sqlite\n{oneks}{extra}");
        std::fs::write(tmp.path().join("v.yaml"), &yaml).unwrap();
        let (_, v) = lint_json(tmp.path(), "v.yaml", &[]);
        let found = findings_of(&v, "ONE059");
        match expected {
            Some((line, message)) => {
                assert_eq!(found.len(), 1, "{yaml}: {v:#}");
                let (severity, l, _, m) = &found[0];
                assert_eq!((severity.as_str(), *l, m.as_str()), ("warning", line, message), "{yaml}: {v:#}");
            }
            None => assert_eq!(found, vec![], "{yaml}: {v:#}"),
        }
    }
    // Without the addresses, the error alone.
    std::fs::write(tmp.path().join("v.yaml"), format!("profile: dev-sqlite\noneks: {{enabled: true}}\n{tls}{exposed}"))
        .unwrap();
    let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
    let found = findings_of(&v, "ONE059");
    assert_eq!((code, found.len(), found[0].0.as_str()), (Some(1), 1, "error"), "{v:#}");
}

/// Review of `backup.offsite.container`, item 1: its `image` is an image reference (an optional registry host and
/// port, lower-case path components, an optional tag and `@sha256:` digest), refused with spaces or in another
/// form; a `command` or an `env` without an `image` (no container would run) is refused at what was given; and
/// `backup.activeDeadlineSeconds` is at least 60. Each at the file's line and column, in words.
#[test]
fn the_offsite_container_image_and_the_backup_deadline_are_checked_at_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    let image = "empty or an image reference such as `docker.io/rclone/rclone:1.68` or `registry.example.com/tools/rclone@sha256:<64 hexadecimal digits>` (an optional registry host and port, lower-case path components, an optional tag and digest; no spaces)";
    for (yaml, at, message) in [
        (
            "backup:\n  offsite:\n    container:\n      image: \"docker.io/rclone/rclone:1.68 \"\n",
            (5, 14),
            format!("`backup.offsite.container.image` must be {image}, found `docker.io/rclone/rclone:1.68 `"),
        ),
        (
            "backup:\n  offsite:\n    container:\n      image: rclone/rclone:latest --help\n",
            (5, 14),
            format!("`backup.offsite.container.image` must be {image}, found `rclone/rclone:latest --help`"),
        ),
        (
            "backup:\n  offsite:\n    container:\n      image: Docker.io/Rclone/rclone\n",
            (5, 14),
            format!("`backup.offsite.container.image` must be {image}, found `Docker.io/Rclone/rclone`"),
        ),
        (
            "backup:\n  offsite:\n    container:\n      command: [rclone, copy, /backups, \"s3:bucket\"]\n",
            (5, 16),
            "`backup.offsite.container.command` is given but `backup.offsite.container.image` is empty: no container would run and no backup would be shipped; set `backup.offsite.container.image` (or remove `command` and `env`)".to_string(),
        ),
        (
            "backup:\n  offsite:\n    container:\n      image: \"\"\n      env:\n        - {name: RCLONE_CONFIG_S3_TYPE, value: s3}\n",
            (7, 9),
            "`backup.offsite.container.env` is given but `backup.offsite.container.image` is empty: no container would run and no backup would be shipped; set `backup.offsite.container.image` (or remove `command` and `env`)".to_string(),
        ),
        (
            "backup:\n  activeDeadlineSeconds: 30\n",
            (3, 26),
            "`backup.activeDeadlineSeconds` must be at least 60, found `30`".to_string(),
        ),
    ] {
        std::fs::write(tmp.path().join("v.yaml"), format!("profile: dev-sqlite\n{yaml}")).unwrap();
        let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
        assert_eq!(code, Some(1), "{yaml}: {v:#}");
        let found: Vec<(&str, u64, u64, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let (id, line, column) = (f["ruleId"].as_str().unwrap(), f["line"].as_u64(), f["column"].as_u64());
                (id, line.unwrap(), column.unwrap(), f["message"].as_str().unwrap())
            })
            .collect();
        assert_eq!(found, vec![("ONE100", at.0, at.1, message.as_str())], "{yaml}: {v:#}");
    }
    // Real references pass: a registry with a port, a tag, a digest, both.
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for image in [
        "docker.io/rclone/rclone:1.68".to_string(),
        "rclone/rclone".to_string(),
        format!("registry.example.com:5000/tools/rclone@{digest}"),
        format!("quay.io/minio/mc:RELEASE.2025-01-17T23-25-50Z@{digest}"),
    ] {
        let yaml = format!(
            "profile: dev-sqlite\nbackup:\n  activeDeadlineSeconds: 60\n  offsite:\n    container:\n      image: \"{image}\"\n      command: [/bin/sh, -c, \"exit 0\"]\n"
        );
        std::fs::write(tmp.path().join("v.yaml"), yaml).unwrap();
        let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
        assert_eq!(code, Some(0), "{image}: {v:#}");
    }
}

/// Review of `backup.offsite.container`, item 2: a URL with a literal password in its user information is a
/// credential whatever the variable's name (the MinIO client's `MC_HOST_<alias>`, `https://ACCESSKEY:SECRETKEY@host`),
/// in `backup.offsite.container.env` and any `extraEnv`, and in `backup.offsite.container.command`: ONE007 at the
/// value, with the fix naming `valueFrom.secretKeyRef`. A password Kubernetes fills in (`$(S3_SECRET_KEY)`) or the
/// shell does (`$SK`) is not one, nor is a user alone.
#[test]
fn a_url_with_a_literal_password_is_one007() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "profile: dev-sqlite
backup:
  offsite:
    container:
      image: quay.io/minio/mc:RELEASE.2025-01-17T23-25-50Z
      command: [mc, cp, /backups/x.sql, \"https://AKIAEXAMPLE:wJalrXUtnFEMI/K7MDENG@s3.example.com/bucket/\"]
      env:
        - {name: MC_HOST_s3, value: \"https://AKIAEXAMPLE:wJalrXUtnFEMI/K7MDENG@s3.example.com\"}
        - {name: MC_HOST_ok, value: \"https://AKIAEXAMPLE:$(S3_SECRET_KEY)@s3.example.com\"}
        - {name: S3_SECRET_KEY, valueFrom: {secretKeyRef: {name: s3, key: secret-key}}}
oned:
  extraEnv: [{name: ARCHIVE, value: \"sftp://backup:hunter2@archive.example.com/one\"}, {name: REPO, value: \"ssh://git@example.com/one\"}]
";
    std::fs::write(tmp.path().join("v.yaml"), yaml).unwrap();
    let (code, v) = lint_json(tmp.path(), "v.yaml", &[]);
    assert_eq!(code, Some(1), "{v:#}");
    let found = rule_findings(&v, "ONE007");
    assert_eq!(
        found,
        vec![
            (
                6,
                41,
                "`backup.offsite.container.command[3]` holds a URL with a literal password (`user:password@`), which anyone who can read the pod spec reads"
            ),
            (8, 37, "environment variable `MC_HOST_s3` holds a URL with a literal password (`user:password@`)"),
            (12, 37, "environment variable `ARCHIVE` holds a URL with a literal password (`user:password@`)"),
        ],
        "{v:#}"
    );
    let fix = v["findings"].as_array().unwrap().iter().find(|f| f["ruleId"] == "ONE007").unwrap()["help"].clone();
    assert!(fix.as_str().is_some_and(|f| f.contains("valueFrom.secretKeyRef") && f.contains("Secret")), "{fix}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 3, "nothing else: {v:#}");
}

/// Review of `backup.offsite.container`, item 2, in rendered manifests: a URL with a literal password in any
/// container's environment value (`MC_HOST_s3`), `command` or `args` is ONE007 at the value's line and column; a
/// password Kubernetes fills in from a Secret (`$(S3_SECRET)`) is not.
#[test]
fn a_url_with_a_literal_password_in_rendered_manifests_is_one007() {
    const MANIFEST: &str = r#"apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: one
  labels: {app.kubernetes.io/instance: one, app.kubernetes.io/name: opennebula}
spec:
  serviceName: one
  selector:
    matchLabels: {app.kubernetes.io/instance: one}
  template:
    metadata:
      labels: {app.kubernetes.io/instance: one, app.kubernetes.io/name: opennebula}
    spec:
      containers:
        - name: oned
          image: registry.example.com/opennebula/frontend:7.4.0
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: one-backup
  labels: {app.kubernetes.io/instance: one, app.kubernetes.io/name: opennebula}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {app.kubernetes.io/instance: one, app.kubernetes.io/name: opennebula}
        spec:
          restartPolicy: Never
          initContainers:
            - name: backup
              image: registry.example.com/opennebula/frontend:7.4.0
              command: [/bin/sh, /run/onechart/scripts/backup.sh]
            - name: offsite
              image: quay.io/minio/mc:RELEASE.2025-01-17T23-25-50Z
              command: [mc]
              args: [cp, /backups/x.sql, "s3/one-backups/", "--config-url", "https://AK:wJalrXUtnFEMI/K7MDENG@s3.example.com"]
              env:
                - name: MC_HOST_s3
                  value: https://AK:wJalrXUtnFEMI/K7MDENG@s3.example.com
                - name: MC_HOST_ok
                  value: https://AK:$(S3_SECRET)@s3.example.com
                - name: S3_SECRET
                  valueFrom: {secretKeyRef: {name: s3, key: secret}}
          containers:
            - name: mark-shipped
              image: registry.example.com/opennebula/frontend:7.4.0
"#;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("m.yaml"), MANIFEST).unwrap();
    let (code, v) = lint_json(tmp.path(), "--manifests", &["m.yaml"]);
    assert_eq!(code, Some(1), "{v:#}");
    let found = rule_findings(&v, "ONE007");
    assert_eq!(
        found,
        vec![
            (39, 77, "container `offsite` has a URL with a literal password in its args"),
            (42, 26, "container `offsite` has a URL with a literal password in `MC_HOST_s3`"),
        ],
        "{v:#}"
    );
    let help = v["findings"].as_array().unwrap().iter().find(|f| f["ruleId"] == "ONE007").unwrap()["help"].clone();
    assert!(help.as_str().is_some_and(|h| h.contains("valueFrom.secretKeyRef")), "{help}");
}

/// A rule's findings in `lint --format json` output: (line, column, message).
fn rule_findings<'a>(v: &'a Value, rule: &str) -> Vec<(u64, u64, &'a str)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}
