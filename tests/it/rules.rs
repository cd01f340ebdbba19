//! Every rule's fixtures, linted in this process (no binary run), with the full human output of each (findings,
//! code frames, help, summary) as an insta snapshot beside the tests (`snapshots/rules__<ID>__<case>.snap`), as
//! ruff records its rules' diagnostics. A changed message, location or frame shows up in review.

use std::path::Path;

use clap::Parser;

use crate::common::root;

/// `onechart ARGS` run in this process: the exit code, then stdout and stderr.
fn run(args: &[&str]) -> String {
    let cli = onechart::cli::Cli::try_parse_from(std::iter::once("onechart").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = onechart::commands::run(cli, &mut out, &mut err);
    format!("exit {code}\n{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err))
}

/// (snapshot name, lint arguments) of every fixture.
fn cases() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (kind, flag) in [("lint", None), ("manifests", Some("--manifests"))] {
        let dir = root().join("tests/fixtures").join(kind);
        let mut ids: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        ids.sort();
        for id in ids {
            for case in ["bad", "ok"] {
                let file = Path::new("tests/fixtures").join(kind).join(&id).join(format!("{case}.yaml"));
                let mut args = vec!["lint".to_string(), "--color".into(), "never".into()];
                args.extend(flag.map(str::to_string));
                args.push(file.display().to_string());
                let what = if flag.is_some() { "manifests" } else { "values" };
                out.push((format!("rules__{id}__{what}_{case}"), args));
            }
        }
    }
    out
}

#[test]
fn every_fixture_output_is_snapshotted() {
    // Paths in the output are relative to the repository, as a user in it would give them.
    assert_eq!(std::env::current_dir().unwrap(), root(), "cargo runs integration tests from the package root");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/it/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, args) in cases() {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            insta::assert_snapshot!(name, run(&args));
        }
    });
}

#[test]
fn no_orphan_rule_snapshots() {
    let expected: std::collections::BTreeSet<String> = cases().into_iter().map(|(n, _)| format!("{n}.snap")).collect();
    let stored: std::collections::BTreeSet<String> = std::fs::read_dir(root().join("tests/it/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rules__") && n.ends_with(".snap"))
        .collect();
    let orphans: Vec<_> = stored.difference(&expected).collect();
    assert!(orphans.is_empty(), "rule snapshots no fixture produces (delete them): {orphans:?}");
}
