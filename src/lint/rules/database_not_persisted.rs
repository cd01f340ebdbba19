//! ONE010 `database-not-persisted`: `/var/lib/one` and the database are not persisted.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, Severity, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;
use crate::manifest::deploy::{Mount, Storage, image_name};

declare_rule! {
/// ## What it does
/// Flags `persistence.enabled: false`.
///
/// ## Why is this bad?
/// Without volumes, the database, the `.one` keys and the SSH keys live in the pod and are lost when it is
/// recreated: every VM, host and user record disappears with it.
///
/// ## In rendered manifests
/// Checked: a MySQL or MariaDB container (image `mysql`, `mariadb`, `percona`...) whose data directory
/// (`/var/lib/mysql`, `/bitnami/mariadb`, `/bitnami/mysql`) is on an `emptyDir` or ephemeral volume or on no volume
/// at all; an oned container whose `/var/lib/one`, or a directory of it such as `/var/lib/one/vms`, is an
/// `emptyDir` or ephemeral volume; and an oned container on
/// SQLite with no persistent volume at all (the database file is lost with the pod). A StatefulSet's
/// `volumeClaimTemplates` entry replaces a pod volume of the same name, as the StatefulSet controller does. What
/// the stream shows decides the severity: an error when the workload runs several replicas (Raft HA is a
/// production deployment), a warning for a single one, which may be a development setup.
///
/// ## Example
/// ```yaml
/// persistence:
///   enabled: false
/// ```
///
/// Use instead:
/// ```yaml
/// persistence:
///   enabled: true
/// ```
    pub static ONE010 = {
        id: "ONE010",
        name: "database-not-persisted",
        level: ErrorInProduction,
        summary: "`/var/lib/one` and the database are not persisted",
        fix: "Set `persistence.enabled: true`.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Put the directory on a PersistentVolumeClaim (a StatefulSet `volumeClaimTemplates` entry) instead of `emptyDir`.",
        install: Install::When {
            when: Cond::And(&[Cond::Production, Cond::Falsy("persistence.enabled")]),
            message: "production data would be lost with the pod; set persistence.enabled=true",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.persistence.enabled {
        return vec![Hit::at(
            "persistence.enabled",
            "`persistence.enabled` is false: the database is lost with the pod",
        )];
    }
    vec![]
}

/// Database images and where each keeps its data.
fn data_dir(image: &str) -> Option<&'static str> {
    let name = image_name(image);
    let bitnami = image.contains("bitnami/");
    match name {
        "mariadb" if bitnami => Some("/bitnami/mariadb"),
        "mysql" if bitnami => Some("/bitnami/mysql"),
        "mariadb" | "mysql" | "mysql-server" | "percona" | "percona-server" => Some("/var/lib/mysql"),
        _ => None,
    }
}

fn volatile(m: Option<&Mount>) -> bool {
    m.is_none_or(|m| !m.storage.persistent())
}

/// What the stream shows decides the severity: several members (Raft HA) are a production deployment, an error;
/// a single member may be a development one (the rule is a warning in development), a warning.
fn severity_of(d: &ManifestCtx<'_>, object: usize) -> Severity {
    if d.replicas(object).is_some_and(|(n, _)| n > 1) { Severity::Error } else { Severity::Warning }
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        let Typed::Workload { pointer: pod, .. } = &m.typed else { continue };
        for (ptr, c) in d.containers(i) {
            if ptr.starts_with(&format!("{pod}/initContainers/")) {
                continue;
            }
            let Some(dir) = c.image.as_deref().and_then(data_dir) else { continue };
            let mount = d.mount_for(i, ptr, dir);
            if !volatile(mount.as_ref()) {
                continue;
            }
            let (pointer, place) = match &mount {
                Some(mt) => (mt.source_pointer(), format!("the non-persistent volume `{}`", mt.volume)),
                None => (format!("{ptr}/name"), "the container's own filesystem".to_string()),
            };
            hits.push(
                ManifestHit::new(
                    i,
                    pointer,
                    format!(
                        "the database directory `{dir}` of container `{}` in `{}` is on {place}: the database is lost when the pod is deleted",
                        c.name,
                        m.id()
                    ),
                )
                .severity(severity_of(d, i)),
            );
        }
    }
    for fe in d.frontends() {
        let m = &objects[fe.object];
        let state = d.mount_for(fe.object, &fe.pointer, "/var/lib/one/one.db");
        let sqlite = d.backend(fe).filter(|(b, _)| b.eq_ignore_ascii_case("sqlite"));
        let severity = severity_of(d, fe.object);
        // `/var/lib/one` or a directory of it (`vms`, `datastores`) on a volume that goes with the pod; the SSH
        // keys alone are ONE009's.
        let volatile_state: Vec<Mount> = d
            .container_mounts(fe.object, &fe.pointer)
            .into_iter()
            .filter(|mt| {
                let p = mt.path.trim_end_matches('/');
                (p == "/var/lib/one" || p.starts_with("/var/lib/one/"))
                    && !p.starts_with("/var/lib/one/.ssh")
                    && matches!(mt.storage, Storage::EmptyDir | Storage::Ephemeral)
            })
            .collect();
        if let Some(first) = volatile_state.first() {
            let paths: Vec<String> = volatile_state.iter().map(|mt| format!("`{}`", mt.path)).collect();
            hits.push(
                ManifestHit::new(
                    fe.object,
                    first.source_pointer(),
                    format!(
                        "OpenNebula's state under `/var/lib/one` ({}) of container `{}` in `{}` is on the non-persistent volume `{}`: VM files, images, keys and any SQLite database there are lost when the pod is deleted",
                        paths.join(", "),
                        fe.container,
                        m.id(),
                        first.volume
                    ),
                )
                .severity(severity),
            );
            continue;
        }
        let any_persistent = d.container_mounts(fe.object, &fe.pointer).iter().any(|mt| mt.storage.persistent());
        if let Some((_, origin)) = sqlite.filter(|_| volatile(state.as_ref()) && !any_persistent) {
            hits.push(hit_at(d, &origin, |note| format!(
                        "oned in container `{}` of `{}` uses SQLite{note} but mounts no persistent volume: the database is lost when the pod is deleted",
                        fe.container,
                        m.id()
                    )).severity(severity));
        }
    }
    hits
}
