//! ONE026 `ssh-host-key-checking-disabled`: sSH host key checking is disabled.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::model::HostKeyChecking;

declare_rule! {
/// ## What it does
/// Flags `ssh.strictHostKeyChecking: no`.
///
/// ## Why is this bad?
/// With checking off, the front-end sends its agent-forwarded credentials to whatever answers at a hypervisor's
/// address; `accept-new` keeps first-use convenience and still detects a changed key.
///
/// ## Example
/// ```yaml
/// ssh:
///   strictHostKeyChecking: "no"
/// ```
///
/// Use instead:
/// ```yaml
/// ssh:
///   strictHostKeyChecking: accept-new
/// ```
    pub static ONE026 = {
        id: "ONE026",
        name: "ssh-host-key-checking-disabled",
        level: Warning,
        summary: "SSH host key checking is disabled",
        fix: "Use `ssh.strictHostKeyChecking: accept-new` (the default): new hosts are trusted once, changed keys are refused.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.ssh.strict_host_key_checking == HostKeyChecking::No {
        return vec![Hit::at("ssh.strictHostKeyChecking", "`ssh.strictHostKeyChecking` is `no`")];
    }
    vec![]
}
