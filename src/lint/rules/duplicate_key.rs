//! ONE101 `duplicate-key`: a key appears twice in one mapping.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::source::Location;
use crate::yaml::Quirk;

declare_rule! {
    /// ## What it does
    /// Flags a key that appears twice in the same mapping of a values file.
    ///
    /// ## Why is this bad?
    /// Helm keeps the last value without a word (`helm lint` does not report it), so the first one, often the one
    /// a reviewer reads, has no effect.
    ///
    /// ## Example
    /// ```yaml
    /// database:
    ///   backend: mysql
    ///   backend: sqlite
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// database:
    ///   backend: mysql
    /// ```
    pub static ONE101 = {
        id: "ONE101",
        name: "duplicate-key",
        level: Warning,
        summary: "A key appears twice in one mapping",
        fix: "Keep one of the two entries; Helm uses the last one.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    ctx.quirks
        .iter()
        .filter_map(|(file, q)| match &q.quirk {
            Quirk::DuplicateKey { key, first } => Some(Hit {
                pointer: crate::layers::pointer(&q.path),
                message: format!("key `{key}` is repeated (first at line {}); Helm keeps this last value", first.line),
                location: Some(Location::at(file, q.pos.line, q.pos.column)),
            }),
            Quirk::Ambiguous { .. } => None,
        })
        .collect()
}
