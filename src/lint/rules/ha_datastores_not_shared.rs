//! ONE028 `ha-datastores-not-shared`: Raft members keep the datastores on their own volumes.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

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
