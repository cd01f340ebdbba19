//! ONE009 `ssh-keys-not-persisted`: oneadmin's SSH key pair is not persisted.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `ssh.persistence: false` without `ssh.existingSecret`.
///
/// ## Why is this bad?
/// Hypervisors trust the front-end's public key in their `authorized_keys`. A key pair regenerated on restart or
/// upgrade makes every host go to ERROR with "Permission denied (publickey)".
///
/// ## Example
/// ```yaml
/// ssh:
///   persistence: false
///   existingSecret: ""
/// ```
///
/// Use instead:
/// ```yaml
/// ssh:
///   persistence: true
/// ```
    pub static ONE009 = {
        id: "ONE009",
        name: "ssh-keys-not-persisted",
        level: Error,
        summary: "oneadmin's SSH key pair is not persisted",
        fix: "Set `ssh.persistence: true` (the generated key pair is kept) or provide `ssh.existingSecret`.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.ssh.persistence && v.ssh.existing_secret.is_empty() {
        return vec![Hit::at("ssh.persistence", "`ssh.persistence` is false and no `ssh.existingSecret` is given")];
    }
    vec![]
}
