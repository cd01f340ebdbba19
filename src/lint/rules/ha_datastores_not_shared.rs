//! ONE028 `ha-datastores-not-shared`: Raft members keep the datastores on their own volumes.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit, ManifestHit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Storage;

declare_rule! {
/// ## What it does
/// Flags `oned.replicas` greater than 1 with `persistence.datastores.shared: false`.
///
/// ## Why is this bad?
/// OpenNebula's HA guide requires the datastores to be on a filesystem shared by every front-end
/// (`frontend_ha.rst`: "A shared file system"). An image uploaded while one member leads is stored under
/// `/var/lib/one/datastores/<id>` of that member only; after a fail-over the new leader's transfer drivers cannot
/// find it, and VMs using it fail to deploy.
///
/// ## In rendered manifests
/// Flags a workload running oned with more than one replica whose `/var/lib/one/datastores` is on a per-member
/// volume (a StatefulSet `volumeClaimTemplates` entry, or `hostPath`), or on a claim of the stream that is not
/// `ReadWriteMany`. A claim the stream does not contain, and NFS or CSI volumes, are taken as shared.
///
/// ## Example
/// ```yaml
/// oned:
///   replicas: 3
/// persistence:
///   datastores:
///     shared: false
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   replicas: 3
/// persistence:
///   datastores:
///     shared: true
///     storageClass: nfs-client   # a class that offers ReadWriteMany
/// ```
    pub static ONE028 = {
        id: "ONE028",
        name: "ha-datastores-not-shared",
        level: Error,
        summary: "Raft members keep the datastores on their own volumes",
        fix: "Set `persistence.datastores.shared: true` with a ReadWriteMany `storageClass` (or `existingClaim`).",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Mount one ReadWriteMany PersistentVolumeClaim (NFS, CephFS, ...) at `/var/lib/one/datastores` in every front-end pod.",
        install: Install::When {
            when: Cond::And(&[Cond::Ha, Cond::Falsy("persistence.datastores.shared")]),
            message: "Raft members need one shared datastores volume; set persistence.datastores.shared=true with a ReadWriteMany storageClass",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.oned.replicas > 1 && !v.persistence.datastores.shared {
        return vec![Hit::at(
            "persistence.datastores.shared",
            format!(
                "{} Raft members each keep `/var/lib/one/datastores` on their own volume: a new leader cannot see the images",
                v.oned.replicas
            ),
        )];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for fe in d.frontends() {
        let Some((replicas, _)) = d.replicas(fe.object).filter(|(n, _)| *n > 1) else { continue };
        let Some(mount) = d.mount_for(fe.object, &fe.pointer, "/var/lib/one/datastores") else { continue };
        let per_member = match &mount.storage {
            Storage::ClaimTemplate | Storage::HostPath => true,
            Storage::Claim(name) => d.find("PersistentVolumeClaim", name).is_some_and(|pvc| {
                let modes = objects[pvc].raw.pointer("/spec/accessModes").and_then(|m| m.as_array());
                !modes.is_some_and(|m| m.iter().any(|a| a == "ReadWriteMany"))
            }),
            _ => false,
        };
        if per_member {
            hits.push(ManifestHit::new(
                fe.object,
                mount.source_pointer(),
                format!(
                    "`{}` runs {replicas} oned members, each with `/var/lib/one/datastores` on volume `{}` of its own: a new leader cannot see the images",
                    objects[fe.object].id(),
                    mount.volume
                ),
            ));
        }
    }
    hits
}
