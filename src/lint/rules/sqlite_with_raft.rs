//! ONE002 `sqlite-with-raft`: sQLite database with more than one oned member.

use crate::declare_rule;
use crate::lint::install::{Cond, Install, Lit};
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::model::Backend;

declare_rule! {
/// ## What it does
/// Flags `database.backend: sqlite` when `oned.replicas` is greater than 1.
///
/// ## Why is this bad?
/// Raft HA replicates SQL statements that every member applies to its own MySQL/MariaDB database; the SQLite
/// backend is a local file of a single front-end and OpenNebula's HA setup requires MySQL.
///
/// ## In rendered manifests
/// Checked: a workload running oned with more than one replica whose database backend is SQLite, read from the
/// container's `DB_BACKEND` variable (the start scripts of kvaps/kube-opennebula, pablodelarco/opennebula-helm and
/// onechart's chart rewrite oned.conf's `DB` from it) or else from `DB = [ BACKEND = ... ]` in the oned.conf it
/// mounts. Reported at that value.
///
/// ## Example
/// ```yaml
/// oned:
///   replicas: 3
/// database:
///   backend: sqlite
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   replicas: 3
/// database:
///   backend: mysql
/// ```
    pub static ONE002 = {
        id: "ONE002",
        name: "sqlite-with-raft",
        level: Error,
        summary: "SQLite database with more than one oned member",
        fix: "Set `database.backend: mysql`; each Raft member then gets its own MariaDB database.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Run more than one oned member only on MySQL/MariaDB (`DB_BACKEND=mysql`, or `BACKEND = \"mysql\"` in oned.conf's `DB`), or set the workload's `replicas` to 1.",
        install: Install::When {
            when: Cond::And(&[Cond::Ha, Cond::Eq("database.backend", Lit::Str("sqlite"))]),
            message: "oned.replicas > 1 needs one MySQL/MariaDB database per member; set database.backend=mysql",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.oned.replicas > 1 && v.database.backend == Backend::Sqlite {
        return vec![Hit::at(
            "database.backend",
            format!("`database.backend` is `sqlite` with `oned.replicas: {}`", v.oned.replicas),
        )];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for fe in d.frontends() {
        let Some((n, _)) = d.replicas(fe.object).filter(|(n, _)| *n > 1) else { continue };
        let Some((backend, origin)) = d.backend(fe).filter(|(b, _)| b.eq_ignore_ascii_case("sqlite")) else {
            continue;
        };
        hits.push(hit_at(d, &origin, |note| {
            format!(
                "`{}` runs {n} oned members on SQLite (`{backend}`){note}: each member writes its own database file",
                objects[fe.object].id()
            )
        }));
    }
    hits
}
