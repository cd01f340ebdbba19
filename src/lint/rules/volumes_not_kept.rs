//! ONE022 `volumes-not-kept`: production volumes are deleted on uninstall.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::manifest::ManifestCtx;
use serde_json::Value;

use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::deploy::{Storage, claim_templates, image_name};

declare_rule! {
/// ## What it does
/// Flags `persistence.keep: false` in production.
///
/// ## Why is this bad?
/// With `keep: false`, `helm uninstall` (and the major-upgrade procedure, which uninstalls) deletes the database
/// and the keys with the release.
///
/// ## In rendered manifests
/// Checked: a StatefulSet with `volumeClaimTemplates` whose `persistentVolumeClaimRetentionPolicy.whenDeleted` is
/// `Delete`, and a PersistentVolumeClaim in the stream (Helm deletes what it created on uninstall) without the
/// `helm.sh/resource-policy: keep` annotation that an oned or database container mounts.
///
/// ## Example
/// ```yaml
/// environment: production
/// persistence:
///   keep: false
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// persistence:
///   keep: true
/// ```
    pub static ONE022 = {
        id: "ONE022",
        name: "volumes-not-kept",
        level: OnlyInProduction,
        summary: "Production volumes are deleted on uninstall",
        fix: "Set `persistence.keep: true`.",
        check: check,
        manifests: check_manifests, reads: [Workloads, Claims],
        manifest_fix: "Set the StatefulSet's `persistentVolumeClaimRetentionPolicy.whenDeleted: Retain`, and annotate chart-created PersistentVolumeClaims with `helm.sh/resource-policy: keep`.",
        install: Install::When {
            when: Cond::And(&[Cond::Production, Cond::Falsy("persistence.keep")]),
            message: "helm uninstall would delete production volumes; set persistence.keep=true",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.persistence.keep {
        return vec![Hit::at("persistence.keep", "`persistence.keep` is false: uninstall deletes the volumes")];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        let ptr = "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted";
        if m.kind == "StatefulSet"
            && !claim_templates(m).is_empty()
            && m.raw.pointer(ptr).and_then(Value::as_str) == Some("Delete")
        {
            hits.push(ManifestHit::new(
                i,
                ptr,
                format!("`{}` deletes its volume claims when it is deleted (`whenDeleted: Delete`)", m.id()),
            ));
        }
    }
    // Claims that hold OpenNebula state: mounted by an oned container or a database container.
    let mut stateful: std::collections::HashSet<String> = std::collections::HashSet::new();
    let frontends: std::collections::HashSet<(usize, &str)> =
        d.frontends().iter().map(|f| (f.object, f.pointer.as_str())).collect();
    for i in 0..objects.len() {
        for (ptr, c) in d.containers(i) {
            let image = c.image.as_deref().map(image_name).unwrap_or_default();
            let is_state = frontends.contains(&(i, ptr.as_str()))
                || ["mysql", "mariadb", "percona", "percona-server", "mysql-server"].contains(&image);
            if !is_state {
                continue;
            }
            for mt in d.container_mounts(i, ptr) {
                if let Storage::Claim(name) = mt.storage {
                    stateful.insert(name);
                }
            }
        }
    }
    for (i, m) in objects.iter().enumerate() {
        if m.kind != "PersistentVolumeClaim" || !stateful.contains(&m.name) {
            continue;
        }
        let keep =
            m.raw.pointer("/metadata/annotations/helm.sh~1resource-policy").and_then(Value::as_str) == Some("keep");
        if !keep {
            hits.push(ManifestHit::new(
                i,
                "/metadata/name",
                format!(
                    "`{}` holds OpenNebula's state but has no `helm.sh/resource-policy: keep`: `helm uninstall` deletes it",
                    m.id()
                ),
            ));
        }
    }
    hits
}
