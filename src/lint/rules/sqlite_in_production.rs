//! ONE001 `sqlite-in-production`: sQLite database in a production environment.

use crate::declare_rule;
use crate::lint::install::{Cond, Install, Lit};
use crate::lint::{Ctx, Hit};
use crate::model::{Backend, Environment};

declare_rule! {
/// ## What it does
/// Flags `database.backend: sqlite` when `environment: production`.
///
/// ## Why is this bad?
/// OpenNebula's own documentation says SQLite "is not recommended for production use": it takes a file lock for
/// every write, so oned and monitord contend under load ("database is locked"), and it cannot serve more than one
/// front-end.
///
/// ## In rendered manifests
/// No manifest check: whether a deployment is production is a decision the rendered objects do not show. What breaks whatever the environment, SQLite under several oned members, is checked by ONE002, and a SQLite database on a volume that does not persist by ONE010.
///
/// ## Example
/// ```yaml
/// environment: production
/// database:
///   backend: sqlite
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// database:
///   backend: mysql
/// ```
    pub static ONE001 = {
        id: "ONE001",
        name: "sqlite-in-production",
        level: Error,
        summary: "SQLite database in a production environment",
        fix: "Set `database.backend: mysql` (bundled MariaDB, or an external server with `database.mysql.host`).",
        check: check,
        install: Install::When {
            when: Cond::And(&[Cond::Production, Cond::Eq("database.backend", Lit::Str("sqlite"))]),
            message: "environment is production but database.backend is sqlite; set database.backend=mysql",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.environment == Environment::Production && v.database.backend == Backend::Sqlite {
        return vec![Hit::at("database.backend", "`database.backend` is `sqlite` but `environment` is `production`")];
    }
    vec![]
}
