//! ONE010 `database-not-persisted`: `/var/lib/one` and the database are not persisted.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `persistence.enabled: false`.
///
/// ## Why is this bad?
/// Without volumes, the database, the `.one` keys and the SSH keys live in the pod and are lost when it is
/// recreated: every VM, host and user record disappears with it.
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
