//! ONE003 `raft-even-replicas`: even number of Raft members.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;

declare_rule! {
/// ## What it does
/// Flags an even `oned.replicas` (2, 4, 6).
///
/// ## Why is this bad?
/// Raft needs a majority: 4 members tolerate one failure, exactly like 3, but need one more vote for every
/// commit, and 2 members tolerate none. OpenNebula recommends an odd number of servers (three or five).
///
/// ## In rendered manifests
/// Checked: a workload running oned (a container named `oned` or `opennebula`, one that mounts an oned.conf, or an
/// `opennebula` image given `DB_BACKEND`) with an even `spec.replicas`.
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
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Set the oned workload's `spec.replicas` to an odd number: 3, 5 or 7.",
        install: Install::When {
            when: Cond::And(&[Cond::Ha, Cond::Even("oned.replicas")]),
            message: "oned.replicas=%d is even and tolerates no more member failures than %d members do; use an odd count of members ({allowed:oned.replicas})",
            args: &["(int $v.oned.replicas)", "(sub (int $v.oned.replicas) 1)"],
            only_if: None,
        },
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

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut seen = Vec::new();
    let mut hits = Vec::new();
    for fe in d.frontends() {
        if seen.contains(&fe.object) {
            continue;
        }
        seen.push(fe.object);
        let Some((n, pointer)) = d.replicas(fe.object).filter(|(n, _)| *n >= 2 && n % 2 == 0) else { continue };
        hits.push(ManifestHit::new(
            fe.object,
            pointer,
            format!(
                "`{}` runs {n} oned members: a Raft majority is {}, so it survives {} failure(s), no more than {} would",
                objects[fe.object].id(),
                n / 2 + 1,
                (n - 1) / 2,
                n - 1
            ),
        ));
    }
    hits
}
