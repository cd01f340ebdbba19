//! The real-OpenNebula tier: the emitted chart runs for real. OpenNebula is built from its release source
//! (`scripts/opennebula-build.sh`), the chart is rendered by Helm, and its pods run as processes on this machine
//! through a small pod runner that does what the kubelet, the controllers, kube-proxy and the API server would
//! do for them (`runner/`). Scenarios (`scenarios/`) compare what OpenNebula says with what the chart promises.
//!
//! Needs root (namespaces, mounts, veth pairs), the Debian packages the build script installs, and the pinned
//! Helm binaries (`scripts/install-tools.sh`). It fails, never skips, when one of them is missing. The releases
//! come from `ONECHART_REAL_RELEASES` (space or comma separated, default `7.4.0`): `scripts/real-tests.sh 6.10.5
//! 7.0.2` runs the same scenarios on other releases. See `tests/real/README.md` for the runner's API.

mod runner;
mod scenarios;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The OpenNebula releases the scenarios run on.
pub fn releases() -> Vec<String> {
    let list = std::env::var("ONECHART_REAL_RELEASES").unwrap_or_else(|_| "7.4.0".to_string());
    let releases: Vec<String> = list.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_string).collect();
    assert!(!releases.is_empty(), "ONECHART_REAL_RELEASES names no release");
    releases
}
