//! ONE025 `hostname-unset`: oned's HOSTNAME is not set in production.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags an empty `oned.hostname` in production.
///
/// ## Why is this bad?
/// Transfer drivers run commands of the form `<frontend>:<path>` with oned's HOSTNAME; unset, it is the pod's own
/// hostname, which hypervisors outside the cluster cannot resolve.
///
/// ## Example
/// ```yaml
/// environment: production
/// oned:
///   hostname: ""
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// oned:
///   hostname: opennebula.example.com
/// ```
    pub static ONE025 = {
        id: "ONE025",
        name: "hostname-unset",
        level: OnlyInProduction,
        summary: "oned's HOSTNAME is not set in production",
        fix: "Set `oned.hostname` to the name or address the hypervisors use to reach the front-end.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.oned.hostname.is_empty() {
        return vec![Hit::at("oned.hostname", "`oned.hostname` is empty")];
    }
    vec![]
}
