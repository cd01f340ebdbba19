//! The real-OpenNebula tier: the emitted chart runs for real. OpenNebula is built from its release source
//! (`scripts/opennebula-build.sh`), the chart is rendered by Helm, and its pods run as processes on this machine
//! through a small pod runner that does what the kubelet, the controllers, kube-proxy and the API server would
//! do for them (`runner/`). Scenarios (`scenarios/`) compare what OpenNebula says with what the chart promises.
//!
//! Needs root (namespaces, mounts, veth pairs), the Debian packages the build script installs, and the pinned
//! Helm binaries (`scripts/install-tools.sh`). It fails, never skips, when one of them is missing. The releases
//! come from `ONECHART_REAL_RELEASES` (space or comma separated, default `7.4.0`): `scripts/real-tests.sh 6.10.5
//! 7.0.2` runs the same scenarios on other releases; `ONECHART_REAL_HA_RELEASES` narrows the Raft scenarios to some
//! of them. The upgrade scenarios take their pairs from `ONECHART_REAL_UPGRADES` (`FROM:TO`, space or comma
//! separated, default `7.2.0:7.4.0`). See `tests/real/README.md` for the runner's API.

mod runner;
mod scenarios;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn list(var: &str) -> Option<Vec<String>> {
    let list = std::env::var(var).ok()?;
    Some(list.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// The OpenNebula releases the scenarios run on.
pub fn releases() -> Vec<String> {
    let releases = list("ONECHART_REAL_RELEASES").unwrap_or_else(|| vec!["7.4.0".to_string()]);
    assert!(!releases.is_empty(), "ONECHART_REAL_RELEASES names no release");
    releases
}

/// The OpenNebula upgrades the upgrade scenarios run: (from, to) release pairs.
pub fn upgrades() -> Vec<(String, String)> {
    let list = std::env::var("ONECHART_REAL_UPGRADES").unwrap_or_else(|_| "7.2.0:7.4.0".to_string());
    let pairs: Vec<(String, String)> = list
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|p| {
            let (from, to) = p.split_once(':').unwrap_or_else(|| panic!("ONECHART_REAL_UPGRADES: {p} is not FROM:TO"));
            (from.to_string(), to.to_string())
        })
        .collect();
    assert!(!pairs.is_empty(), "ONECHART_REAL_UPGRADES names no upgrade");
    pairs
}

/// The releases the Raft (`ha-raft`) scenarios run on: those of `releases()` that `ONECHART_REAL_HA_RELEASES`
/// names, when it is set (CI runs them on 7.4.0 only: its time budget, scripts/test.sh), else all of them.
pub fn ha_releases() -> Vec<String> {
    let all = releases();
    match list("ONECHART_REAL_HA_RELEASES") {
        Some(ha) => all.into_iter().filter(|r| ha.contains(r)).collect(),
        None => all,
    }
}
