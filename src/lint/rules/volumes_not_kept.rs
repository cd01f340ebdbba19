//! ONE022 `volumes-not-kept`: production volumes are deleted on uninstall.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `persistence.keep: false` in production.
///
/// ## Why is this bad?
/// With `keep: false`, `helm uninstall` (and the major-upgrade procedure, which uninstalls) deletes the database
/// and the keys with the release.
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
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.persistence.keep {
        return vec![Hit::at("persistence.keep", "`persistence.keep` is false: uninstall deletes the volumes")];
    }
    vec![]
}
