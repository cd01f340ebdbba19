//! Consistency of the project itself: the template list, the rule catalogue and the shipped profiles.

use crate::common;

use std::collections::BTreeSet;

use onechart::lint::rules::ALL;

#[test]
fn every_chart_template_file_is_rendered() {
    let dir = common::root().join("chart-templates");
    let on_disk: BTreeSet<String> = common::tree(&dir).into_keys().collect();
    let known: BTreeSet<String> = onechart::render::known_template_paths().into_iter().map(String::from).collect();
    assert_eq!(on_disk, known, "chart-templates/ and the renderer's list (src/render/mod.rs) differ");
}

#[test]
fn rule_ids_are_unique_ordered_and_match_the_contract() {
    let ids: Vec<u32> = ALL.iter().map(|r| r.id.strip_prefix("ONE").unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "rule IDs must be unique and in order: {ids:?}");
    for id in (1..=27).chain(100..=103) {
        assert!(
            ids.contains(&id),
            "ONE{id:03} is missing: ONE001-ONE027 are the contract's catalogue, ONE100-ONE103 the engine's"
        );
    }
    assert!(ids.iter().all(|i| *i <= 99 || (100..=199).contains(i)), "{ids:?}");
    for r in ALL {
        assert_eq!(r.id.len(), 6, "{}: IDs are ONE and three digits", r.id);
    }
    let names: BTreeSet<&str> = ALL.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), ALL.len(), "duplicate rule names");
    for r in ALL {
        assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", r.name);
    }
}

#[test]
fn every_rule_is_documented() {
    for r in ALL {
        for section in
            ["## What it does", "## Why is this bad?", "## In rendered manifests", "## Example", "Use instead:"]
        {
            assert!(r.docs.contains(section), "{} lacks `{section}`", r.id);
        }
        assert!(r.fix.ends_with('.'), "{}: the fix must be a sentence ending with a period", r.id);
        assert!(!r.summary.ends_with('.'), "{}: the summary has no trailing period", r.id);
        // Every rule says whether it has a manifest check, and why not when it has none.
        let section = r.docs.split("## In rendered manifests").nth(1).unwrap_or_default();
        if r.manifests.is_none() {
            assert!(
                section.trim_start().starts_with("No manifest check"),
                "{}: say why there is no manifest check",
                r.id
            );
        }
        if let Some(f) = r.manifest_fix {
            assert!(f.ends_with('.'), "{}: the manifest fix must be a sentence", r.id);
        }
    }
}

#[test]
fn manifest_help_fits_a_foreign_chart() {
    // A finding in rendered manifests must not tell a foreign chart's user to set an onechart value.
    for r in ALL.iter().filter(|r| r.manifests.is_some()) {
        let help = r.manifest_help();
        for key in [
            "oned.",
            "monitord.",
            "database.",
            "persistence.",
            "tls.",
            "ssh.",
            "auth.",
            "fireedge.",
            "onegate.",
            "oneflow.",
            "image.",
            "hypervisor.",
            "ingress.",
            "backup.",
            "sunstone.",
            "marketplace.",
        ] {
            assert!(!help.contains(&format!("`{key}")), "{}: manifest help names an onechart value: {help}", r.id);
        }
    }
}

#[test]
fn shipped_profiles_with_their_examples_have_no_findings() {
    for profile in onechart::profile::builtin_names() {
        let req = onechart::compile::Request {
            profile: Some(profile.to_string()),
            values: vec![common::example(profile)],
            set: vec![],
            ..Default::default()
        };
        let c = onechart::compile::compile(&req).unwrap_or_else(|e| panic!("{profile}: {e:?}"));
        assert!(c.findings.is_empty(), "{profile}: {:?}", c.findings);
    }
}

#[test]
fn docs_rules_md_is_current() {
    let committed = std::fs::read_to_string(common::root().join("docs/rules.md")).unwrap();
    assert!(
        committed == onechart::report::rules_markdown(),
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

/// Helm functions whose result depends on the cluster, the clock, the host or chance. A chart that calls one
/// renders differently at every `helm template` (Argo CD and Flux render at every sync) or differently with and
/// without a cluster. Credentials are made in the cluster by the secrets hook job instead.
const NOT_DETERMINISTIC: &[&str] = &[
    "lookup",
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
    "randAscii",
    "randBytes",
    "randInt",
    "shuffle",
    "uuidv4",
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "bcrypt",
    "htpasswd",
    "now",
    "date",
    "dateInZone",
    "date_in_zone",
    "htmlDate",
    "htmlDateInZone",
    "unixEpoch",
    "ago",
    "getHostByName",
    "env",
    "expandenv",
    ".Capabilities",
];

/// The one reading of the cluster the chart allows, in `_features.tpl` only: whether the API server serves an
/// optional custom resource (cert-manager's Certificate, the Prometheus Operator's ServiceMonitor), which decides
/// whether that object is rendered, never a value. `helm template` takes it from `--api-versions` (default: none),
/// so the same flags still give the same bytes.
const ALLOWED_CAPABILITIES: &[(&str, &str)] = &[("_features.tpl", ".Capabilities.APIVersions.Has")];

/// The identifiers called in a Go template file's actions (`{{ ... }}`), comments excluded.
fn template_calls(text: &str) -> Vec<String> {
    let mut calls = Vec::new();
    for action in text.split("{{").skip(1).filter_map(|a| a.split_once("}}").map(|(a, _)| a)) {
        let action = action.trim_matches(|c: char| c == '-' || c.is_whitespace());
        if action.starts_with("/*") {
            continue;
        }
        let mut in_string = false;
        let mut word = String::new();
        for c in action.chars().chain([' ']) {
            if c == '"' || c == '`' {
                in_string = !in_string;
            } else if !in_string && (c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$') {
                word.push(c);
                continue;
            }
            let w = std::mem::take(&mut word);
            // Variables ($x) and numbers are not calls.
            if !w.is_empty() && !w.starts_with('$') && !w.starts_with(|c: char| c.is_ascii_digit()) {
                calls.push(w);
            }
        }
    }
    calls
}

#[test]
fn chart_templates_call_nothing_that_reads_the_cluster_or_makes_a_random_value() {
    let dir = common::root().join("chart-templates/templates");
    let mut found = Vec::new();
    let mut checked = 0;
    for (path, bytes) in common::tree(&dir) {
        let calls = template_calls(&String::from_utf8(bytes).unwrap());
        checked += calls.len();
        for call in calls {
            let forbidden =
                NOT_DETERMINISTIC.iter().find(|f| if f.starts_with('.') { call.starts_with(*f) } else { call == **f });
            let allowed = ALLOWED_CAPABILITIES.iter().any(|(file, c)| path == *file && call == *c);
            if let Some(f) = forbidden.filter(|_| !allowed) {
                found.push(format!("templates/{path}: {f}"));
            }
        }
    }
    assert!(checked > 1000, "only {checked} identifiers found: the scan is broken");
    assert!(found.is_empty(), "non-deterministic template functions: {found:?}");
}

#[test]
fn the_scan_sees_calls_and_skips_strings_and_comments() {
    let calls = template_calls(
        r#"{{- $k := genPrivateKey "rsa" }} {{/* lookup */}} {{ printf "now %s" (randAlphaNum 3) | b64enc }} {{ .Capabilities.KubeVersion }}"#,
    );
    assert_eq!(calls, ["genPrivateKey", "printf", "randAlphaNum", "b64enc", ".Capabilities.KubeVersion"]);
}

/// Issue 19: no document recommends a password on a command line (`ps` and the shell history show it): not the
/// READMEs (the project's, the chart's, the image's), the docs, the examples, the generated chart's values.yaml
/// and README, nor `generate`'s refusal of a password, which points at `existingSecret`, a private values file
/// and `--set-file`.
#[test]
fn no_document_puts_a_password_on_a_command_line() {
    let root = common::root();
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    common::generate("prod-mysql", &["-f", common::example("prod-mysql").to_str().unwrap()], &chart);
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut files = vec![root.join("README.md"), root.join("CONTRIBUTING.md"), chart.join("README.md")];
    files.push(chart.join("values.yaml"));
    for dir in ["docs", "chart-templates", "profiles"] {
        files.extend(
            common::tree(&root.join(dir))
                .into_keys()
                .filter(|p| p.ends_with(".md") || p.ends_with(".yaml"))
                .map(|p| root.join(dir).join(p)),
        );
    }
    for f in files {
        texts.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
    }
    for key in ["auth.oneadminPassword", "auth.serveradminPassword", "database.mysql.password"] {
        let o = common::onechart(
            &["generate", "--profile", "dev-sqlite", "-o", "c", "--set", &format!("{key}=x")],
            tmp.path(),
        );
        let (_, err) = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("existingSecret") && err.contains(&format!("--set-file {key}=FILE")), "{err}");
        // The message itself (its location is the user's own `--set`).
        let message = err.split_once("error: ").map(|(_, m)| m.to_string()).unwrap_or(err);
        texts.push((format!("generate --set {key}"), message));
    }
    for (name, text) in &texts {
        let flat = text.replace(['\n', '`'], " ").replace("  ", " ");
        for key in ["auth.oneadminPassword", "auth.serveradminPassword", "database.mysql.password"] {
            for flag in ["--set", "--set-string"] {
                assert!(!flat.contains(&format!("{flag} {key}=")), "{name} recommends `{flag} {key}=...`");
            }
        }
        // Nor a Secret made from literals: `kubectl create secret --from-literal=KEY=VALUE` puts VALUE in the
        // arguments that `ps` shows.
        for line in text.lines().filter(|l| l.contains("--from-literal=")) {
            let lower = line.to_ascii_lowercase();
            assert!(
                !["password", "key", "token", "secret="].iter().any(|w| lower.contains(w)),
                "{name} makes a Secret from a literal on a command line: {line}"
            );
        }
    }
}
