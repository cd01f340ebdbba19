//! Values lint is whole: a schema error hides no rule, unknown enum values are located findings, empty files are
//! valid values, built-in profile values are shown in the user's terms, `--ignore` is validated, `-q` prints
//! findings only, and `--set` is parsed as Helm parses it.

use crate::common;

use std::path::Path;

use common::{onechart, text};
use serde_json::Value;

fn lint(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let o = onechart(&all, dir);
    let (out, err) = text(&o);
    (o.status.code(), serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")))
}

fn at(v: &Value, id: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == id)
        .map(|f| match (f["line"].as_u64(), f["column"].as_u64()) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", f["file"].as_str().unwrap()),
            _ => f["file"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[test]
fn a_schema_error_hides_no_rule() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("site.yaml"),
        "profile: ha-raft\noned:\n  replcas: 3\n  hostname: localhost\nmonitord:\n  monitorAddress: auto\nonegate:\n  endpoint: http://one-opennebula-onegate.cloud.svc:5030\nimage:\n  repository: registry.example.org/one/frontend\n",
    )
    .unwrap();
    let (code, v) = lint(tmp.path(), &["site.yaml"]);
    assert_eq!(code, Some(1));
    assert_eq!(at(&v, "ONE100"), ["site.yaml:3:3"], "{v:#}");
    assert_eq!(at(&v, "ONE004"), ["site.yaml:6:19"], "{v:#}");
    assert_eq!(at(&v, "ONE025"), ["site.yaml:4:13"], "{v:#}");
    // One problem, one finding: the typo is not also reported as a missing or wrong member count.
    assert_eq!(v["findings"].as_array().unwrap().len(), 3, "{v:#}");
}

#[test]
fn unknown_enum_values_are_located_findings() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pg.yaml"), "database:\n  backend: postgresql\n").unwrap();
    std::fs::write(tmp.path().join("typo.yaml"), "database:\n  backend: mysq\n").unwrap();
    let (code, v) = lint(tmp.path(), &["pg.yaml"]);
    assert_eq!(code, Some(1));
    assert_eq!(at(&v, "ONE024"), ["pg.yaml:2:12"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["inputErrors"], serde_json::json!([]));
    let (_, v) = lint(tmp.path(), &["typo.yaml"]);
    assert_eq!(at(&v, "ONE100"), ["typo.yaml:2:12"]);
    assert!(v["findings"][0]["message"].as_str().unwrap().ends_with("did you mean `mysql`?"), "{v:#}");
    // generate reports the same, and writes nothing.
    let o = onechart(&["generate", "-f", "pg.yaml", "-o", "chart"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("pg.yaml:2:12: error[ONE024]"), "{err}");
    assert!(!tmp.path().join("chart").exists());
}

#[test]
fn empty_and_comment_only_values_files_are_valid() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, content) in [("empty.yaml", ""), ("comments.yaml", "# nothing here yet\n"), ("null.yaml", "~\n")] {
        std::fs::write(tmp.path().join(name), content).unwrap();
        let o = onechart(&["lint", name], tmp.path());
        assert_eq!(o.status.code(), Some(0), "{name}: {:?}", text(&o));
    }
    let o = onechart(&["generate", "-f", "empty.yaml", "-o", "chart"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn built_in_profile_values_are_shown_in_the_users_terms() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("site.yaml"), "profile: prod-mysql\noned:\n  replicas: 1\n").unwrap();
    let (code, v) = lint(tmp.path(), &["site.yaml"]);
    assert_eq!(code, Some(1));
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("profiles/"), "a path users of the binary do not have: {v:#}");
    // oned.hostname is empty in the profile: shown at the user's `oned:` key, where it can be added.
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["ruleId"] == "ONE025").unwrap();
    assert_eq!((f["file"].as_str(), f["line"].as_u64(), f["column"].as_u64()), (Some("site.yaml"), Some(2), Some(1)));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with("(value from profile prod-mysql (built-in): `oned.hostname`; set it in site.yaml to change it)"),
        "{f:#}"
    );
    // No key of the path in the file: the file itself.
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["ruleId"] == "ONE018").unwrap();
    assert_eq!((f["file"].as_str(), f["line"].as_u64()), (Some("site.yaml"), None));
}

#[test]
fn ignore_names_a_known_rule() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("v.yaml"), "oned:\n  replicas: 1\n").unwrap();
    let o = onechart(&["lint", "v.yaml", "--ignore", "ONE9999"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("--ignore ONE9999: no rule has this ID or name (rules ONE001-ONE0"), "{err}");
    let o = onechart(&["lint", "v.yaml", "--ignore", "runs-as-rot"], tmp.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("did you mean `runs-as-root`?"), "{err}");
    let o = onechart(&["lint", "v.yaml", "--ignore", "one016"], tmp.path());
    assert_eq!(o.status.code(), Some(0), "IDs are case-insensitive: {:?}", text(&o));
}

#[test]
fn quiet_prints_findings_only() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("v.yaml"), "securityContext:\n  privileged: true\n").unwrap();
    let (out, _) = text(&onechart(&["-q", "lint", "v.yaml"], tmp.path()));
    assert!(out.contains("warning[ONE015]"), "{out}");
    assert!(!out.contains("Found"), "{out}");
}

#[test]
fn set_is_parsed_as_helm_parses_it() {
    let tmp = tempfile::tempdir().unwrap();
    for (arg, msg) in [
        ("oned..replicas=3", "--set oned..replicas=3: error: key map \"oned\" has no value"),
        ("oned.replicas", "key \"replicas\" has no value"),
        ("oned.replicas=1,oned.replicas.x=2", "unable to parse key"),
    ] {
        let o = onechart(&["generate", "--set", arg, "-o", "chart"], tmp.path());
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(msg), "{arg}: {err}");
    }
    assert!(!tmp.path().join("chart").exists());
}

#[test]
fn values_and_manifests_agree_on_when_a_loadbalancer_api_is_plain() {
    // `tls.enabled` puts the chart's TLS proxy in front of every port a NodePort or LoadBalancer Service
    // publishes: the values rule, the chart's own validation and the manifest check agree on it.
    let tmp = tempfile::tempdir().unwrap();
    let site = |tls: bool| {
        format!(
            "profile: prod-mysql\noned:\n  hostname: one.example.com\n  service:\n    type: LoadBalancer\nonegate:\n  endpoint: http://gate.example.com:5030\ntls:\n  enabled: {tls}\n  secretName: one-tls\nimage:\n  repository: registry.example.org/one/frontend\n"
        )
    };
    std::fs::write(tmp.path().join("site.yaml"), site(false)).unwrap();
    let (code, v) = lint(tmp.path(), &["site.yaml"]);
    assert_eq!(code, Some(1));
    assert_eq!(at(&v, "ONE013"), ["site.yaml:5:11"], "{v:#}");
    std::fs::write(tmp.path().join("site.yaml"), site(true)).unwrap();
    let (_, v) = lint(tmp.path(), &["site.yaml"]);
    assert!(at(&v, "ONE013").is_empty(), "{v:#}");
    let chart = tmp.path().join("chart");
    common::generate("prod-mysql", &[], &chart);
    let render = |set: &str| {
        std::process::Command::new(common::tool("helm3"))
            .args(["template", "one"])
            .arg(&chart)
            .args(["--set", set])
            .output()
            .unwrap()
    };
    // The example site values publish OneGate with TLS: without TLS the chart refuses it.
    let o = render("oned.service.type=LoadBalancer,tls.enabled=false");
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("ONE013 api-without-tls"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = render("oned.service.type=LoadBalancer,tls.enabled=true,tls.secretName=one-tls");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rendered = tmp.path().join("rendered.yaml");
    std::fs::write(&rendered, &o.stdout).unwrap();
    let (_, v) = lint(tmp.path(), &["--manifests", rendered.to_str().unwrap()]);
    assert!(at(&v, "ONE013").is_empty(), "the TLS proxy's ports are TLS: {v:#}");
}

/// Issue 18, item 6: one mistake, one finding. A mistyped value is explained once, and the rules that depend on
/// it read what the user evidently meant, so they add nothing elsewhere.
#[test]
fn one_mistake_one_finding() {
    let tmp = tempfile::tempdir().unwrap();
    // `tls.enabled: "true"` with oned and OneGate published: before, two ONE013 more ("exposed without TLS"), as
    // `tls.enabled: false` gives.
    let site = "profile: prod-mysql\nimage:\n  repository: registry.example.com/opennebula/frontend\noned:\n  hostname: one.example.com\n  service:\n    type: LoadBalancer\nssh:\n  service:\n    type: LoadBalancer\nonegate:\n  endpoint: https://onegate.example.com:5030\n  service:\n    type: LoadBalancer\ntls:\n  enabled: \"true\"\n  secretName: one-tls\n";
    std::fs::write(tmp.path().join("off.yaml"), site.replace("\"true\"", "false")).unwrap();
    let (_, v) = lint(tmp.path(), &["off.yaml"]);
    assert_eq!(at(&v, "ONE013").len(), 2, "{v:#}");
    std::fs::write(tmp.path().join("tls.yaml"), site).unwrap();
    let (code, v) = lint(tmp.path(), &["tls.yaml"]);
    assert_eq!(code, Some(1));
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    let line = site.lines().position(|l| l == "  enabled: \"true\"").unwrap() + 1;
    assert_eq!(at(&v, "ONE100"), [format!("tls.yaml:{line}:12")], "{v:#}");
    // `strictHostKeyChecking: yes`, as YAML 1.1 reads it: before, three findings at one column (ONE100 type,
    // ONE100 enum, ONE102). Now one error, which says why and how to write it.
    std::fs::write(tmp.path().join("ssh.yaml"), "profile: dev-sqlite\nssh:\n  strictHostKeyChecking: yes\n").unwrap();
    let (code, v) = lint(tmp.path(), &["ssh.yaml"]);
    assert_eq!(code, Some(1));
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(at(&v, "ONE100"), ["ssh.yaml:3:26"]);
    let msg = findings[0]["message"].as_str().unwrap();
    assert!(msg.contains("the unquoted `yes` is read by Helm as the boolean true; quote it (`\"yes\"`)"), "{msg}");
    // `no` unquoted: one finding too (ONE026 reads the meant `no` but the value is already reported).
    std::fs::write(tmp.path().join("no.yaml"), "profile: dev-sqlite\nssh:\n  strictHostKeyChecking: no\n").unwrap();
    let (_, v) = lint(tmp.path(), &["no.yaml"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v:#}");
    // The README's own example is quoted.
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(!readme.contains("strictHostKeyChecking: yes"), "README.md writes an unquoted yes");
}
