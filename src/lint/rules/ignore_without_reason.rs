//! ONE103 `ignore-without-reason`: an inline suppression with no reason.

use crate::declare_rule;
use crate::lint::reported_by_engine;

declare_rule! {
    /// ## What it does
    /// Flags a `# onechart:ignore ONEnnn` comment that gives no reason. The suppression does not apply until it
    /// has one.
    ///
    /// ## Why is this bad?
    /// A suppression is a decision someone will have to revisit; without the reason, nobody can tell whether it
    /// still holds.
    ///
    /// ## In rendered manifests
    /// Checked the same way: Helm keeps template comments, so a `# onechart:ignore ONE030 reason` line above a reference in a template suppresses the finding on the rendered line below it.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile: Unconfined # onechart:ignore ONE014
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile: Unconfined # onechart:ignore ONE014 nodes run without AppArmor (ticket OPS-12)
    /// ```
    pub static ONE103 = {
        id: "ONE103",
        name: "ignore-without-reason",
        level: Warning,
        summary: "An inline suppression without a reason",
        fix: "Add the reason after the rule IDs: `# onechart:ignore ONE014 why this is acceptable`.",
        check: reported_by_engine,
        manifests: crate::lint::reported_by_engine_in_manifests, reads: [Any],
    }
}
