//! ONE018 `onegate-or-oneflow-disabled`: oneGate or OneFlow is disabled, or OneGate has no endpoint in production.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::Environment;

declare_rule! {
/// ## What it does
/// Flags `onegate.enabled: false` or `oneflow.enabled: false`, and, in production, OneGate enabled with an empty
/// `onegate.endpoint`.
///
/// ## Why is this bad?
/// Services and appliances rely on OneGate and OneFlow; a deployment without them looks complete until the first
/// multi-VM service or a VM with `TOKEN=YES` fails ("onegate endpoint was not defined").
///
/// ## Example
/// ```yaml
/// environment: production
/// onegate:
///   enabled: true
///   endpoint: ""
/// ```
///
/// Use instead:
/// ```yaml
/// environment: production
/// onegate:
///   enabled: true
///   endpoint: http://onegate.example.com:5030
/// ```
    pub static ONE018 = {
        id: "ONE018",
        name: "onegate-or-oneflow-disabled",
        level: Warning,
        summary: "OneGate or OneFlow is disabled, or OneGate has no endpoint in production",
        fix: "Enable OneGate and OneFlow, and set `onegate.endpoint` to the address VMs reach OneGate at.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    if !v.onegate.enabled {
        hits.push(Hit::at("onegate.enabled", "OneGate is disabled"));
    } else if v.environment == Environment::Production && v.onegate.endpoint.is_empty() {
        hits.push(Hit::at("onegate.endpoint", "`onegate.endpoint` is empty: VMs cannot reach OneGate"));
    }
    if !v.oneflow.enabled {
        hits.push(Hit::at("oneflow.enabled", "OneFlow is disabled"));
    }
    hits
}
