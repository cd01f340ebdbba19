//! Release-line changes between the chart in the output directory and the one `generate` renders: a new line (7.2
//! to 7.4) brings a new database schema and is told with what the upgrade needs; going back a line is refused
//! unless asked for, since OpenNebula's database never goes back (`onedb` has no downgrade: only a backup taken
//! before the upgrade does), and oned refuses any schema version but its own: "Database version mismatch"
//! (OpenNebula/one@release-7.2.0:src/nebula/SystemDB.cc:164-172, stopping oned at src/nebula/Nebula.cc:526).

use crate::model::{OneVersion, Values};

/// The OpenNebula release line and release of a chart, from its Chart.yaml text (`appVersion`).
pub fn line_of(text: &str) -> Option<(OneVersion, String)> {
    let release = text.lines().find_map(|l| l.strip_prefix("appVersion:"))?.trim().trim_matches('"').to_string();
    let mut parts = release.split('.');
    let line = format!("{}.{}", parts.next()?, parts.next()?);
    Some((OneVersion::parse(&line)?, release))
}

/// What the chart in `dir` and the new one mean for an upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// No previous chart, or the same release line.
    None,
    /// A newer release line: the message says what the upgrade needs.
    Upgrade(String),
    /// An older release line: refused without `--allow-downgrade`; the message says why (the caller says what it
    /// did about it: refused, or written as `--allow-downgrade` asks).
    Downgrade(String),
}

/// Compares the previous chart's release line with the new chart's values.
pub fn change(previous: Option<(OneVersion, String)>, new: &Values, ha: bool) -> Change {
    let Some((old, old_release)) = previous else { return Change::None };
    let to = new.opennebula.version;
    if old == to {
        return Change::None;
    }
    if to < old {
        return Change::Downgrade(format!(
            "the chart in the output directory runs OpenNebula {old_release}; this one is for {}: a downgrade. \
             OpenNebula's database never goes back a release line (onedb upgrades, it has no downgrade), so the \
             {} pods would refuse the {} schema: restore a backup taken before the upgrade instead (README.md, \
             Maintenance mode, backups and restore)",
            to.release(),
            to.as_str(),
            old.as_str()
        ));
    }
    let mut steps: Vec<String> = Vec::new();
    steps.push(
        "back up first: the pre-upgrade hook takes a backup too, but keep one of your own off the cluster \
         (README.md, Maintenance mode, backups and restore)"
            .into(),
    );
    if old.major() != to.major() && !new.upgrade.allow_major_version_change {
        steps.push(format!(
            "{} to {} changes the major version: set `upgrade.allowMajorVersionChange: true`, or the pre-upgrade \
             hook refuses the upgrade",
            old.as_str(),
            to.as_str()
        ));
    }
    if ha {
        let state = if new.maintenance.enabled {
            "these values have it on"
        } else {
            "set `maintenance.enabled: true` in these values (or `--set`) for the first `helm upgrade`"
        };
        steps.push(format!(
            "under Raft the schema upgrade runs in maintenance mode ({state}): `helm upgrade`, then \
             `restore.sh --upgrade` on member 0 and `restore.sh --rejoin` on the others, then `helm upgrade` with \
             maintenance off (README.md, Upgrades)"
        ));
    } else {
        steps.push(
            "`helm upgrade`: oned backs the database up and runs `onedb upgrade` at start (README.md, Upgrades)".into(),
        );
    }
    steps.push(format!(
        "hypervisors: upgrade the OpenNebula node packages on every host to {} (opennebula-node-kvm or your \
         driver's), then run `onehost sync --force` in the front-end so every host gets the new probes and \
         drivers (README.md, Upgrades)",
        to.release()
    ));
    steps.push(
        "with Argo CD or Flux, suspend automatic sync while you do this, and commit the maintenance steps as \
         separate revisions (README.md, Upgrades)"
            .into(),
    );
    let mut msg = format!(
        "note: this chart moves OpenNebula from {old_release} to {}, a new release line with a new database \
         schema. Before and during `helm upgrade`:\n",
        to.release()
    );
    for (i, s) in steps.iter().enumerate() {
        msg.push_str(&format!("  {}. {s}\n", i + 1));
    }
    Change::Upgrade(msg)
}
