//! ONE014 `apparmor-unconfined`: the containers run without AppArmor confinement.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `securityContext.appArmorProfile: Unconfined`.
///
/// ## Why is this bad?
/// The usual advice for marketplace FUSE mounts is to run unconfined, which removes AppArmor's protection from
/// every daemon; a custom profile can allow just the mounts.
///
/// ## Example
/// ```yaml
/// securityContext:
///   appArmorProfile: Unconfined
/// ```
///
/// Use instead:
/// ```yaml
/// securityContext:
///   appArmorProfile: Localhost/opennebula-frontend
/// ```
    pub static ONE014 = {
        id: "ONE014",
        name: "apparmor-unconfined",
        level: Warning,
        summary: "The containers run without AppArmor confinement",
        fix: "Load a Localhost AppArmor profile that allows the FUSE mounts and use `appArmorProfile: Localhost/<name>`.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.security_context.app_armor_profile == "Unconfined" {
        return vec![Hit::at("securityContext.appArmorProfile", "`securityContext.appArmorProfile` is `Unconfined`")];
    }
    vec![]
}
