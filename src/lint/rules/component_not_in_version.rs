//! ONE024 `component-not-in-version`: a setting needs a component the chosen OpenNebula version does not have.

use serde_json::Value;

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::OneVersion;

declare_rule! {
/// ## What it does
/// Flags `database.backend: postgresql` (removed in 6.10), `sunstone.enabled: true` on 7.0 and later (Ruby
/// Sunstone, noVNC and mm_sched were removed), and an explicitly enabled `oned.grpc` before 7.2.
///
/// ## Why is this bad?
/// The chart would configure a daemon or backend the packages no longer ship: oned refuses to start with an
/// unknown DB BACKEND, and a missing daemon leaves its port dead.
///
/// ## Example
/// ```yaml
/// opennebula:
///   version: "7.4"
/// sunstone:
///   enabled: true
/// ```
///
/// Use instead:
/// ```yaml
/// opennebula:
///   version: "7.4"
/// sunstone:
///   enabled: false   # FireEdge serves the UI from 7.0
/// ```
    pub static ONE024 = {
        id: "ONE024",
        name: "component-not-in-version",
        level: Error,
        summary: "A setting needs a component the chosen OpenNebula version does not have",
        fix: "Remove the setting or choose a version that has the component.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let version = ctx.raw.pointer("/opennebula/version").and_then(Value::as_str).and_then(OneVersion::parse);
    let mut hits = Vec::new();
    if ctx.raw.pointer("/database/backend").and_then(Value::as_str) == Some("postgresql") {
        hits.push(Hit::at("database.backend", "the PostgreSQL backend was removed in OpenNebula 6.10"));
    }
    let Some(version) = version else { return hits };
    if !version.has_ruby_sunstone() && ctx.raw.pointer("/sunstone/enabled") == Some(&Value::Bool(true)) {
        hits.push(Hit::at(
            "sunstone.enabled",
            format!("Ruby Sunstone and noVNC do not exist in OpenNebula {}", version.as_str()),
        ));
    }
    if !version.has_grpc()
        && ctx.raw.pointer("/oned/grpc/enabled") == Some(&Value::Bool(true))
        && ctx.explicitly_set("/oned/grpc/enabled")
    {
        hits.push(Hit::at(
            "oned.grpc.enabled",
            format!("oned has no gRPC API before 7.2 (version is {})", version.as_str()),
        ));
    }
    hits
}
