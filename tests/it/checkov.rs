//! Security posture, measured: checkov (framework kubernetes) on the rendered chart of every profile. Every
//! failed check is fixed in the chart or listed in checkov-allowlist.txt with a reason; an unlisted failure, a
//! line without a reason, or a line that matches nothing fails this test.

use crate::common;

use std::process::Command;

use common::{generate, root, tool};
use serde_json::Value;

struct Allowed {
    check: String,
    pattern: String,
    used: bool,
}

fn allowlist() -> Vec<Allowed> {
    let text = std::fs::read_to_string(root().join("checkov-allowlist.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let (check, pattern) = (parts.next().unwrap(), parts.next().expect("a KIND/NAME pattern"));
            let reason: Vec<&str> = parts.collect();
            assert!(reason.len() >= 3, "allowlist line without a reason: {l}");
            Allowed { check: check.to_string(), pattern: pattern.to_string(), used: false }
        })
        .collect()
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head) && (0..=text.len() - head.len()).any(|i| glob(tail, &text[head.len() + i..]))
        }
    }
}

#[test]
fn glob_matches() {
    assert!(glob("Pod/one-*-test-*", "Pod/one-opennebula-test-api"));
    assert!(!glob("Pod/one-*-test-*", "StatefulSet/one-opennebula"));
    assert!(glob("*/*", "Service/x"));
}

#[test]
fn checkov_finds_nothing_outside_the_allowlist() {
    let tmp = tempfile::tempdir().unwrap();
    let rendered = tmp.path().join("rendered");
    std::fs::create_dir(&rendered).unwrap();
    // Every profile, and an HA chart with the day-one options on: TLS proxy, cert-manager Certificate, exporter
    // with its ServiceMonitor, inventory job.
    let day_one: &[&str] = &[
        "--set",
        "tls.enabled=true",
        "--set",
        "tls.certManager.issuerName=ca",
        "--set",
        "oned.service.type=LoadBalancer",
        "--set",
        "hosts[0].name=kvm1.example.com",
        "--set",
        "datastores[0].name=images",
        "--set",
        "datastores[0].type=image",
        "--set",
        "datastores[0].tmMad=shared",
    ];
    let cases: [(&str, &str, &[&str]); 4] = [
        ("dev-sqlite", "dev-sqlite", &[]),
        ("prod-mysql", "prod-mysql", &[]),
        ("ha-raft", "ha-raft", &[]),
        ("day-one", "ha-raft", day_one),
    ];
    for (label, profile, extra) in cases {
        let chart = tmp.path().join(label);
        generate(profile, extra, &chart);
        let o = Command::new(tool("helm3"))
            .args(["template", "one"])
            .arg(&chart)
            .args(["--namespace", "cloud"])
            .args([
                "--api-versions",
                "cert-manager.io/v1/Certificate",
                "--api-versions",
                "monitoring.coreos.com/v1/ServiceMonitor",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{label}: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::write(rendered.join(format!("{label}.yaml")), &o.stdout).unwrap();
    }
    let helm_dir = tool("helm3").parent().unwrap().to_path_buf();
    let o = Command::new(tool("checkov"))
        .args(["-d", ".", "--framework", "kubernetes", "--skip-download", "--compact", "--quiet", "-o", "json"])
        .current_dir(&rendered)
        .env("PATH", format!("{}:{}", helm_dir.display(), std::env::var("PATH").unwrap_or_default()))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
    let runs = match report {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut allowed = allowlist();
    let mut unlisted = Vec::new();
    let mut passed = 0;
    for run in &runs {
        passed += run["summary"]["passed"].as_u64().unwrap_or(0);
        for f in run["results"]["failed_checks"].as_array().into_iter().flatten() {
            let check = f["check_id"].as_str().unwrap();
            let resource = f["resource"].as_str().unwrap();
            let mut parts = resource.split('.');
            let (kind, name) = (parts.next().unwrap_or(""), parts.nth(1).unwrap_or(""));
            let id = format!("{kind}/{name}");
            match allowed.iter_mut().find(|a| a.check == check && glob(&a.pattern, &id)) {
                Some(a) => a.used = true,
                None => unlisted.push(format!("{check} {id} ({})", f["check_name"].as_str().unwrap_or(""))),
            }
        }
    }
    assert!(passed > 1000, "checkov ran only {passed} passing checks: {runs:?}");
    unlisted.sort();
    unlisted.dedup();
    assert!(unlisted.is_empty(), "checkov failures not in checkov-allowlist.txt:\n{}", unlisted.join("\n"));
    let stale: Vec<String> = allowed.iter().filter(|a| !a.used).map(|a| format!("{} {}", a.check, a.pattern)).collect();
    assert!(stale.is_empty(), "allowlist lines that match nothing (remove them): {stale:?}");
}
