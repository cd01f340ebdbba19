//! ONE002 `sqlite-with-raft`: sQLite database with more than one oned member.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::Backend;

declare_rule! {
/// ## What it does
/// Flags `database.backend: sqlite` when `oned.replicas` is greater than 1.
///
/// ## Why is this bad?
/// Raft HA replicates SQL statements that every member applies to its own MySQL/MariaDB database; the SQLite
/// backend is a local file of a single front-end and OpenNebula's HA setup requires MySQL.
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
