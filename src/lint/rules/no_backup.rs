//! ONE017 `no-backup`: no scheduled database backup in production.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `backup.enabled: false` in production.
///
/// ## Why is this bad?
/// OpenNebula does not back up its database by itself. Without a scheduled backup, a corrupted database or a
/// failed upgrade loses every VM, host and user record.
///
/// ## In rendered manifests
/// No manifest check: backups are often taken outside the chart (Velero, a database operator, a managed database), so the absence of a backup CronJob in the stream proves nothing.
///
/// ## Example
/// ```yaml
/// environment: production
/// backup:
///   enabled: false
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// backup:
///   enabled: true
///   schedule: "0 3 * * *"
/// ```
    pub static ONE017 = {
        id: "ONE017",
        name: "no-backup",
        level: OnlyInProduction,
        summary: "No scheduled database backup in production",
        fix: "Set `backup.enabled: true`.",
        check: check,
        install: Install::When {
            when: Cond::And(&[Cond::Production, Cond::Falsy("backup.enabled")]),
            message: "production without scheduled backups; set backup.enabled=true",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.backup.enabled {
        return vec![Hit::at("backup.enabled", "`backup.enabled` is false")];
    }
    vec![]
}
