//! ONE102 `ambiguous-yaml-value`: a plain scalar Helm reads differently from how it looks.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::source::Location;
use crate::yaml::Quirk;

declare_rule! {
    /// ## What it does
    /// Flags unquoted values and keys that YAML 1.1, which Helm uses, reads as something else: `yes`, `no`, `on`,
    /// `off`, `y` and `n` are booleans, `0755` is the octal number 493, `1_000` is 1000.
    ///
    /// ## Why is this bad?
    /// `strictHostKeyChecking: no` becomes the boolean `false`, a version `07` becomes 7, and a key `on:` becomes
    /// `true:`. The value looks right in review and is wrong in the cluster.
    ///
    /// ## In rendered manifests
    /// No manifest check: in rendered manifests YAML 1.1 readings are intended as often as not (`defaultMode: 0440` is octal on purpose), and the API server rejects a value of the wrong type.
    ///
    /// ## Example
    /// ```yaml
    /// ssh:
    ///   strictHostKeyChecking: no
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// ssh:
    ///   strictHostKeyChecking: "no"
    /// ```
    pub static ONE102 = {
        id: "ONE102",
        name: "ambiguous-yaml-value",
        level: Warning,
        summary: "A plain YAML value that Helm reads differently from how it looks",
        fix: "Quote the value (`\"no\"`, `\"0755\"`) or write the type you mean (`false`, `493`).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    ctx.quirks
        .iter()
        .filter_map(|(file, q)| match &q.quirk {
            Quirk::Ambiguous { raw, reads_as } => Some(Hit {
                pointer: crate::pointer::pointer(&q.path),
                message: format!("`{raw}` is read by Helm as {reads_as}"),
                location: Some(Location::in_source(file, q.pos.line, q.pos.column)),
                severity: None,
            }),
            Quirk::DuplicateKey { .. } => None,
        })
        .collect()
}
