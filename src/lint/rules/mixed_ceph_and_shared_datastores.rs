//! ONE020 `mixed-ceph-and-shared-datastores`: ceph and shared (NFS) datastores are mixed.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::TmMad;

declare_rule! {
/// ## What it does
/// Flags `datastores` that mix the `ceph` transfer mode with `shared` or `qcow2` (NFS-based) modes.
///
/// ## Why is this bad?
/// VMs cannot be migrated between Ceph and shared-filesystem system datastores, and images cannot be moved
/// between them without conversion; mixed setups fail at the first live migration.
///
/// ## In rendered manifests
/// No manifest check: datastores are created through OpenNebula's API (`onedatastore create`) at run time, not in manifests.
///
/// ## Example
/// ```yaml
/// datastores:
///   - {name: images, type: image, tmMad: ceph}
///   - {name: system, type: system, tmMad: shared}
/// ```
///
/// Use instead:
/// ```yaml
/// datastores:
///   - {name: images, type: image, tmMad: ceph}
///   - {name: system, type: system, tmMad: ceph}
/// ```
    pub static ONE020 = {
        id: "ONE020",
        name: "mixed-ceph-and-shared-datastores",
        level: Warning,
        summary: "Ceph and shared (NFS) datastores are mixed",
        fix: "Use one storage family, or document the migration limits between them.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.datastores.iter().any(|d| d.tm_mad == Some(TmMad::Ceph)) {
        return vec![];
    }
    v.datastores
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.tm_mad, Some(TmMad::Shared | TmMad::Qcow2)))
        .map(|(i, d)| {
            Hit::at_pointer(
                format!("/datastores/{i}/tmMad"),
                format!("datastore `{}` uses a shared-filesystem transfer mode beside a `ceph` datastore", d.name),
            )
        })
        .collect()
}
