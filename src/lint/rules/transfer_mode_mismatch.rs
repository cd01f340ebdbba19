//! ONE027 `transfer-mode-mismatch`: an image datastore's transfer mode cannot serve the system datastore.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::{DatastoreType, TmMad};

declare_rule! {
/// ## What it does
/// Flags a `ceph` system datastore beside a non-ceph image datastore, and a `ceph` image datastore beside a
/// `shared` or `qcow2` system datastore.
///
/// ## Why is this bad?
/// The system datastore's transfer driver must be able to take disks from every image datastore; an incompatible
/// pair deploys nothing (the VM fails in PROLOG).
///
/// ## In rendered manifests
/// No manifest check: datastores and their transfer modes are created through OpenNebula's API at run time, not in manifests.
///
/// ## Example
/// ```yaml
/// datastores:
///   - {name: system, type: system, tmMad: ceph}
///   - {name: images, type: image, tmMad: shared}
/// ```
///
/// Use instead:
/// ```yaml
/// datastores:
///   - {name: system, type: system, tmMad: ceph}
///   - {name: images, type: image, tmMad: ceph}
/// ```
    pub static ONE027 = {
        id: "ONE027",
        name: "transfer-mode-mismatch",
        level: Error,
        summary: "An image datastore's transfer mode cannot serve the system datastore",
        fix: "Pair compatible transfer modes: a `ceph` system datastore with `ceph` image datastores; `ceph` images with a `ceph` or `ssh` system datastore.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let system: Vec<TmMad> =
        v.datastores.iter().filter(|d| d.type_ == DatastoreType::System).filter_map(|d| d.tm_mad).collect();
    let mut hits = Vec::new();
    for (i, d) in v.datastores.iter().enumerate().filter(|(_, d)| d.type_ == DatastoreType::Image) {
        let Some(tm) = d.tm_mad else { continue };
        let bad = system.iter().find(|s| match (**s, tm) {
            (TmMad::Ceph, img) => img != TmMad::Ceph,
            (TmMad::Shared | TmMad::Qcow2, TmMad::Ceph) => true,
            _ => false,
        });
        if let Some(s) = bad {
            hits.push(Hit::at_pointer(
                format!("/datastores/{i}/tmMad"),
                format!("image datastore `{}` (`{:?}`) cannot serve a `{:?}` system datastore", d.name, tm, s)
                    .to_lowercase(),
            ));
        }
    }
    hits
}
