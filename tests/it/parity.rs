//! One rule, one answer everywhere: every rule's failing values fixture (`tests/fixtures/lint/<ID>/bad.yaml`)
//! goes through `onechart generate`, through `helm template` (Helm 3 and 4) of a chart generated from the same
//! profile, and through `onechart lint --manifests` of what Helm renders, and each says the same rule:
//!
//! - `generate` refuses an error (exit 1, or exit 2 when the fixture leaves out a site value the rule is about)
//!   and accepts a warning;
//! - Helm refuses, naming the rule, exactly when the rule declares an install-time constraint the chart's version
//!   carries; otherwise it renders, and `lint --manifests` of the render reports the rule, exactly when the rule
//!   has a manifest check (a rule without one says in its documentation why rendered manifests cannot show it);
//! - waived at generate time (`# onechart:ignore ID reason` on the fixture's line), the rule's constraint is
//!   waived everywhere: `generate` writes the chart, Helm renders it, and `lint --manifests` reports the rule, if
//!   at all, as suppressed.
//!
//! Helm refuses either in the chart's `_validate.tpl` (its message names the rule) or, for a constraint the
//! profile's envelope puts in `values.schema.json`, in the schema (its message names the value). The chart the
//! fixture's values are given to is generated from the same profile with its example site values (and, for a
//! fixture of another OpenNebula version, with the rule's passing fixture: a chart of that version). A fixture
//! may say, on a line of its own:
//!
//! - `# helm: ARGS`: what the chart's values must also say for the fixture to be wrong at install time (a site
//!   value the fixture leaves out is set in the chart by its example);
//! - `# chart: ARGS`: arguments of the `generate` that makes the chart (an OpenNebula version);
//! - `# manifests: WHY`: why this chart's render cannot show the problem, for a rule whose manifest check looks
//!   for it in other charts' renders.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, onechart, root, text, tool};
use onechart::lint::install::Install;
use onechart::lint::rules::ALL;
use serde_json::Value;

struct Fixture {
    id: String,
    severity: String,
    line: Option<usize>,
    profile: String,
    text: String,
    helm_args: Vec<String>,
    chart_args: Vec<String>,
    not_rendered: Option<String>,
}

fn fixture(dir: &Path) -> Fixture {
    let text = std::fs::read_to_string(dir.join("bad.yaml")).unwrap();
    let mut lines = text.lines();
    let expect = lines.next().unwrap().strip_prefix("# expect: ").unwrap();
    let mut parts = expect.split_whitespace();
    let (id, severity, location) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let line = location.split(':').nth(1).map(|l| l.parse().unwrap());
    let helm_args = lines
        .clone()
        .find_map(|l| l.strip_prefix("# helm: "))
        .map(|a| a.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let chart_args = lines
        .clone()
        .find_map(|l| l.strip_prefix("# chart: "))
        .map(|a| a.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let not_rendered = lines.find_map(|l| l.strip_prefix("# manifests: ")).map(str::to_string);
    let profile = text
        .lines()
        .find_map(|l| l.strip_prefix("profile: "))
        .unwrap_or(onechart::profile::DEFAULT_PROFILE)
        .trim()
        .to_string();
    Fixture {
        id: id.to_string(),
        severity: severity.to_string(),
        line,
        profile,
        text,
        helm_args,
        chart_args,
        not_rendered,
    }
}

/// `helm template` of a chart with extra values; (success, stdout, stderr).
fn helm_template(helm: &str, chart: &Path, values: Option<&Path>, extra: &[String]) -> (bool, String, String) {
    let mut cmd = Command::new(tool(helm));
    cmd.args(["template", "one"]).arg(chart);
    if let Some(v) = values {
        cmd.arg("-f").arg(v);
    }
    cmd.args(extra);
    let o = cmd.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The findings of `lint --manifests` on a render: (rule ID, suppressed).
fn manifest_findings(dir: &Path, rendered: &str) -> Vec<(String, bool)> {
    let file = dir.join("rendered.yaml");
    std::fs::write(&file, rendered).unwrap();
    let o = onechart(&["lint", "--format", "json", "--manifests", file.to_str().unwrap()], dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(&o)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["ruleId"].as_str().unwrap().to_string(), !f["suppressed"].is_null()))
        .collect()
}

/// `onechart generate`; with no profile, the values decide it as for a user (`profile:`, else the default).
fn generate(profile: Option<&str>, values: &[&Path], extra: &[String], out: &Path) -> std::process::Output {
    let mut args = vec!["generate".to_string(), "-o".into(), out.display().to_string()];
    if let Some(p) = profile {
        args.extend(["--profile".to_string(), p.to_string()]);
    }
    for v in values {
        args.extend(["-f".to_string(), v.display().to_string()]);
    }
    args.extend_from_slice(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    onechart(&args, &root())
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root().join("tests/fixtures/lint")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

#[test]
fn every_rule_says_the_same_in_generate_helm_and_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let f = fixture(&dir);
        let rule = onechart::lint::find_rule(&f.id).unwrap();
        let work = tmp.path().join(&f.id);
        std::fs::create_dir_all(&work).unwrap();
        let bad = dir.join("bad.yaml");
        // The chart the fixture's values are given to: the same profile with its example site values, and for a
        // fixture of another OpenNebula version, the passing fixture (a chart of that version).
        let chart = work.join("chart");
        let ok = dir.join("ok.yaml");
        let other_version = f.text.contains("opennebula:\n  version:");
        let example = common::example(&f.profile);
        let layers: Vec<&Path> = if other_version { vec![&example, &ok] } else { vec![&example] };
        let o = generate(Some(&f.profile), &layers, &f.chart_args, &chart);
        assert_eq!(o.status.code(), Some(0), "{}: the passing fixture makes no chart: {:?}", f.id, text(&o));
        let envelope = onechart::profile::Profile::load(&f.profile).unwrap().envelope();
        let narrowed = match rule.install {
            Some(Install::When { when, .. }) => onechart::lint::install::narrowing(&when, envelope).map(|(p, _)| p),
            _ => None,
        };
        // 1. generate, as a user gives the file: the profile is the one it names (ONE055's point is a file that
        // names none).
        let o = generate(None, &[&bad], &[], &work.join("gen"));
        let (out, err) = text(&o);
        let said = format!("{out}{err}");
        // A password is never given to `generate` (issue 19: it would land in the chart's values.yaml and README,
        // which are committed and published): it refuses the value itself, whatever a rule says of it. Helm and
        // the render, where such a value is given at install time, are judged below as for any rule.
        let password_refused = o.status.code() == Some(2) && said.contains("is a password: `generate` would write it");
        match (f.severity.as_str(), o.status.code()) {
            ("error", Some(1)) if said.contains(&format!("[{}]", f.id)) => {}
            ("error", Some(2)) if said.contains("site value") => {}
            ("error", Some(2)) if password_refused => {}
            ("warning", Some(0)) => {}
            (s, c) => failures.push(format!("{}: generate of a {s} exited {c:?}:\n{said}", f.id)),
        }
        // 2. helm template (3 and 4), then lint --manifests of the render.
        // Install-time constraints are errors: a warning (a rule that is an error in production only, given a
        // development profile) renders.
        let version = if f.text.contains("version: \"6.10\"") || f.chart_args.iter().any(|a| a.ends_with("=6.10")) {
            onechart::model::OneVersion::V6_10
        } else {
            onechart::model::OneVersion::V7_4
        };
        let install = f.severity == "error"
            && rule.install.is_some_and(|i| match i {
                Install::When { only_if: Some(only), .. } => only(version),
                _ => true,
            });
        for helm in ["helm3", "helm4"] {
            let (ok, rendered, stderr) = helm_template(helm, &chart, Some(&bad), &f.helm_args);
            let schema_refusal = narrowed.as_ref().is_some_and(|p| {
                stderr.contains(&format!("- {p}:"))
                    || stderr.contains(&format!("at '{}'", onechart::layers::pointer(p)))
            });
            match (install, ok) {
                (true, false) if stderr.contains(&f.id) || schema_refusal => {}
                (true, _) => failures.push(format!("{}: {helm} did not refuse naming the rule:\n{stderr}", f.id)),
                (false, false) if rule.id == "ONE100" => {}
                (false, false) => {
                    failures.push(format!("{}: {helm} refused a rule with no install constraint:\n{stderr}", f.id))
                }
                (false, true) => {
                    let found = manifest_findings(&work, &rendered).iter().any(|(id, _)| *id == f.id);
                    let expected = rule.manifests.is_some() && f.not_rendered.is_none();
                    if found != expected {
                        failures.push(format!(
                            "{}: lint --manifests of {helm}'s render {} the rule (manifest check: {})",
                            f.id,
                            if found { "reports" } else { "does not report" },
                            rule.manifests.is_some()
                        ));
                    }
                }
            }
        }
        // 3. The waiver: waived at generate time, waived in Helm and in the render's lint. A value `generate`
        // refuses outright (a password) has no waiver there: no chart is made from it.
        let (Some(line), "error") = (f.line, f.severity.as_str()) else { continue };
        if rule.id == "ONE100" || rule.id == "ONE103" || password_refused {
            continue;
        }
        let mut waived: Vec<&str> = f.text.lines().collect();
        let directive = format!("# onechart:ignore {} the parity test waives it", f.id);
        waived.insert(line - 1, &directive);
        let waived_file = work.join("waived.yaml");
        std::fs::write(&waived_file, waived.join("\n") + "\n").unwrap();
        let wchart = work.join("waived-chart");
        // The profile named, as the chart was made (a fixture without `profile:` that looks like production would also
        // meet ONE055, which judges exactly the missing name: its own fixture is given as it is).
        let profile = (rule.id != "ONE055").then_some(f.profile.as_str());
        let o = generate(profile, &[&waived_file], &[], &wchart);
        if o.status.code() != Some(0) {
            failures.push(format!("{}: generate with the waiver exited {:?}: {:?}", f.id, o.status.code(), text(&o)));
            continue;
        }
        for helm in ["helm3", "helm4"] {
            let (ok, rendered, stderr) = helm_template(helm, &wchart, None, &[]);
            if !ok {
                failures.push(format!("{}: {helm} refused the waived chart:\n{stderr}", f.id));
                continue;
            }
            if manifest_findings(&work, &rendered).iter().any(|(id, suppressed)| *id == f.id && !suppressed) {
                failures.push(format!("{}: lint --manifests of the waived chart's render reports the rule", f.id));
            }
        }
    }
    // Every rule with an install-time constraint has a values fixture here.
    for r in ALL.iter().filter(|r| r.install.is_some()) {
        assert!(root().join("tests/fixtures/lint").join(r.id).join("bad.yaml").is_file(), "{}: no fixture", r.id);
    }
    assert!(failures.is_empty(), "{} disagreement(s):\n\n{}", failures.len(), failures.join("\n\n"));
}
