//! Precision on deployments onechart did not write (`tests/fixtures/precision/`, one fixture per class of false
//! alarm or miss, written for these tests): each fixture's `# expect: ID severity file:line:col` lines (or
//! `# expect: none`) are exactly what `lint --manifests` reports.
//!
//! - false alarms: on/off switches taken for credentials (`switches.yaml`), tag hygiene on Helm's own test pod
//!   (`helm-test-pod.yaml`), the privileged rule on a hypervisor agent (`hypervisor.yaml`), OpenNebula's own
//!   published images called unpublished (`published-images.yaml`), TLS judged by the Service's port rather than
//!   the port it reaches (`tls-target-port.yaml`), and any finding at all on a chart that is not OpenNebula
//!   (`not-opennebula.yaml`);
//! - misses: credentials in ConfigMap data read through `envFrom` (`envfrom-credentials.yaml`), oned.conf handed
//!   over through the environment (`oned-conf-env.yaml`), a daemon known only by the configuration mounted
//!   beside it (`daemon-by-config.yaml`), an SSH client configuration known only by its content
//!   (`ssh-config-content.yaml`).

use crate::common::{onechart, root, text};
use serde_json::Value;

#[test]
fn each_fixture_reports_exactly_what_it_expects() {
    let dir = root().join("tests/fixtures/precision");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let fixture = std::fs::read_to_string(dir.join(&name)).unwrap();
        let mut expected: Vec<String> = fixture
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .filter(|e| *e != "none")
            .map(str::to_string)
            .collect();
        assert!(fixture.contains("# expect: "), "{name}: no `# expect:` line");
        let o = onechart(&["lint", "--format", "json", "--manifests", &name], &dir);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {:?}", text(&o)));
        let mut found: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}:{}:{}",
                    f["ruleId"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    f["file"].as_str().unwrap(),
                    f["line"],
                    f["column"]
                )
            })
            .collect();
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{name}");
    }
}
