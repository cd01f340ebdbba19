//! ONE008 `marketplace-without-sys-admin`: marketplace enabled without the SYS_ADMIN capability.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `marketplace.enabled: true` when `SYS_ADMIN` is not in `securityContext.capabilities.add` and the
/// container is not privileged.
///
/// ## Why is this bad?
/// Marketplace image creation mounts images with FUSE (`fuse2fs`) or `mount`, which need CAP_SYS_ADMIN. Without
/// it, downloads appear to work but image creation fails with permission errors.
///
/// ## Example
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: []
/// ```
///
/// Use instead:
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: [SYS_ADMIN]
/// ```
    pub static ONE008 = {
        id: "ONE008",
        name: "marketplace-without-sys-admin",
        level: Error,
        summary: "Marketplace enabled without the SYS_ADMIN capability",
        fix: "Add `SYS_ADMIN` to `securityContext.capabilities.add` (never `privileged: true`).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let sc = &v.security_context;
    if v.marketplace.enabled
        && !sc.privileged
        && !sc.capabilities.add.iter().any(|c| c.trim_start_matches("CAP_") == "SYS_ADMIN")
    {
        return vec![Hit::at(
            "marketplace.enabled",
            "`marketplace.enabled` is true but `securityContext.capabilities.add` lacks `SYS_ADMIN`",
        )];
    }
    vec![]
}
