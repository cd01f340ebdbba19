//! Golden files: every file onechart emits, for each profile (with its example site values) and for every
//! supported OpenNebula version of `prod-mysql`. Review changes with `cargo insta review`.
//!
//! A file the chart carries unchanged from `chart-templates/` (the scripts of `files/`, templates with nothing
//! to fill in) is compared with its source instead of being snapshotted: a snapshot of it would be a second copy
//! of the source to keep in step, and would hide which emitted files a profile changes.

use crate::common;

use onechart::compile::{self, Request};
use onechart::output::with_manifest;
use onechart::render::{RenderInput, render_chart};

/// Every snapshotted case: (case name, profile, --set values).
const CASES: &[(&str, &str, &[&str])] = &[
    ("dev-sqlite", "dev-sqlite", &[]),
    ("prod-mysql", "prod-mysql", &[]),
    ("ha-raft", "ha-raft", &[]),
    (
        "prod-mysql@6.10",
        "prod-mysql",
        &["opennebula.version=6.10", "image.tag=6.10.5", "oned.grpc.enabled=false", "sunstone.enabled=true"],
    ),
    ("prod-mysql@7.0", "prod-mysql", &["opennebula.version=7.0", "image.tag=7.0.2", "oned.grpc.enabled=false"]),
    ("prod-mysql@7.2", "prod-mysql", &["opennebula.version=7.2", "image.tag=7.2.0"]),
];

fn chart_files(case: &str, profile: &str, set: &[&str]) -> onechart::render::ChartFiles {
    let req = Request {
        profile: Some(profile.to_string()),
        values: vec![common::example(profile)],
        set: set.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let c = compile::compile(&req).unwrap_or_else(|e| panic!("{case}: {e:?}"));
    with_manifest(
        render_chart(&RenderInput {
            profile: &c.profile,
            values: &c.merged.value,
            version: compile::version(&c),
            schema: &c.schema(),
            waived: &c.waived,
            chart_version: None,
            previous: None,
            kept: &Default::default(),
        })
        .unwrap(),
    )
}

fn snapshot_name(case: &str, path: &str) -> String {
    format!("{case}__{}", path.replace('/', "__"))
}

fn snapshot_dir() -> std::path::PathBuf {
    common::root().join("tests/it/snapshots")
}

/// What an emitted file is a copy of, if anything: its source under `chart-templates/` when rendering left it
/// byte for byte unchanged, and the start-up check (`files/check-image.sh` is the rendered
/// `image/check-image.sh`, one script in two places).
fn copy_of(files: &onechart::render::ChartFiles, path: &str) -> Option<String> {
    if path == "files/check-image.sh" {
        return files.get("image/check-image.sh").cloned();
    }
    let source = std::fs::read_to_string(common::root().join("chart-templates").join(path)).ok()?;
    (files[path] == source).then_some(source)
}

fn snapshot_chart(case: &str) {
    let (_, profile, set) = CASES.iter().find(|c| c.0 == case).unwrap();
    let files = chart_files(case, profile, set);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshot_dir());
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (path, content) in &files {
            match copy_of(&files, path) {
                Some(source) => assert_eq!(content, &source, "{case}: {path} differs from what it copies"),
                // The scripts are copied, never rendered: one that changes in the chart is a renderer bug.
                None if path.starts_with("files/") => panic!("{case}: {path} is not a verbatim copy of its source"),
                None => insta::assert_snapshot!(snapshot_name(case, path), content),
            }
        }
    });
}

#[test]
fn dev_sqlite() {
    snapshot_chart("dev-sqlite");
}

#[test]
fn prod_mysql() {
    snapshot_chart("prod-mysql");
}

#[test]
fn ha_raft() {
    snapshot_chart("ha-raft");
}

#[test]
fn prod_mysql_6_10() {
    snapshot_chart("prod-mysql@6.10");
}

#[test]
fn prod_mysql_7_0() {
    snapshot_chart("prod-mysql@7.0");
}

#[test]
fn prod_mysql_7_2() {
    snapshot_chart("prod-mysql@7.2");
}

/// A stored snapshot that no case produces any more is stale: it fails the build (like
/// `cargo insta test --unreferenced reject`).
#[test]
fn no_orphan_snapshots() {
    let mut expected = std::collections::BTreeSet::new();
    for (case, profile, set) in CASES {
        let files = chart_files(case, profile, set);
        for path in files.keys().filter(|p| copy_of(&files, p).is_none()) {
            expected.insert(format!("{}.snap", snapshot_name(case, path)));
        }
    }
    let dir = snapshot_dir();
    let stored: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap") && CASES.iter().any(|(case, ..)| n.starts_with(&format!("{case}__"))))
        .collect();
    let orphans: Vec<_> = stored.difference(&expected).collect();
    assert!(orphans.is_empty(), "snapshots no test produces (delete them): {orphans:?}");
}
