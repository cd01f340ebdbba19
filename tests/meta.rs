//! Consistency of the project itself: the template list, the rule catalogue and the shipped profiles.

mod common;

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
    let ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
    let expected: Vec<String> = (1..=27).chain(30..=33).chain(100..=103).map(|i| format!("ONE{i:03}")).collect();
    assert_eq!(
        ids, expected,
        "ONE001-ONE027 are the contract's catalogue, ONE030-ONE033 manifest-only rules; engine rules start at ONE100"
    );
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
            profile: profile.to_string(),
            values: vec![common::example(profile)],
            set: vec![],
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
