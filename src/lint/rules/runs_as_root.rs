//! ONE016 `runs-as-root`: the OpenNebula containers run as root.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `securityContext.runAsUser: 0`.
///
/// ## Why is this bad?
/// Every OpenNebula daemon runs as oneadmin (uid 9869) on a package install; root adds nothing but the blast
/// radius of a compromise.
///
/// ## Example
/// ```yaml
/// securityContext:
///   runAsUser: 0
/// ```
///
/// Use instead:
/// ```yaml
/// securityContext:
///   runAsUser: 9869
/// ```
    pub static ONE016 = {
        id: "ONE016",
        name: "runs-as-root",
        level: Warning,
        summary: "The OpenNebula containers run as root",
        fix: "Set `securityContext.runAsUser: 9869` (oneadmin).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.security_context.run_as_user == 0 {
        return vec![Hit::at("securityContext.runAsUser", "`securityContext.runAsUser` is 0 (root)")];
    }
    vec![]
}
