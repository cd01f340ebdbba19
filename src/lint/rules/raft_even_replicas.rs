//! ONE003 `raft-even-replicas`: even number of Raft members.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags an even `oned.replicas` (2, 4, 6).
///
/// ## Why is this bad?
/// Raft needs a majority: 4 members tolerate one failure, exactly like 3, but need one more vote for every
/// commit, and 2 members tolerate none. OpenNebula recommends an odd number of servers (three or five).
///
/// ## Example
/// ```yaml
/// oned:
///   replicas: 4
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   replicas: 3
/// ```
    pub static ONE003 = {
        id: "ONE003",
        name: "raft-even-replicas",
        level: Error,
        summary: "Even number of Raft members",
        fix: "Use an odd member count: 3 (tolerates one failure) or 5 (tolerates two).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.oned.replicas % 2 == 0 {
        return vec![Hit::at(
            "oned.replicas",
            format!("`oned.replicas` is {}, an even number of Raft members", v.oned.replicas),
        )];
    }
    vec![]
}
