//! ONE009 `ssh-keys-not-persisted`: oneadmin's SSH key pair is not persisted.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Storage;

declare_rule! {
/// ## What it does
/// Flags `ssh.persistence: false` without `ssh.existingSecret`.
///
/// ## Why is this bad?
/// Hypervisors trust the front-end's public key in their `authorized_keys`. A key pair regenerated on restart or
/// upgrade makes every host go to ERROR with "Permission denied (publickey)".
///
/// ## In rendered manifests
/// Checked: an oned container that mounts `/var/lib/one/.ssh` from an `emptyDir` volume, where a new key pair
/// would be made at every start. When all of `/var/lib/one` is not persisted, ONE010 reports it instead (one
/// problem, one finding).
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
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Mount `/var/lib/one/.ssh` from a Secret that holds the key pair (created once, kept), or keep it on the persistent volume of `/var/lib/one`.",
        install: Install::When {
            when: Cond::And(&[Cond::Falsy("ssh.persistence"), Cond::Falsy("ssh.existingSecret")]),
            message: "the SSH key pair would change on restart; set ssh.persistence=true or ssh.existingSecret",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.ssh.persistence && v.ssh.existing_secret.is_empty() {
        return vec![Hit::at("ssh.persistence", "`ssh.persistence` is false and no `ssh.existingSecret` is given")];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for fe in d.frontends() {
        let Some(m) = d.mount_for(fe.object, &fe.pointer, "/var/lib/one/.ssh") else { continue };
        if m.path.trim_end_matches('/') != "/var/lib/one/.ssh" || m.storage != Storage::EmptyDir {
            continue;
        }
        hits.push(ManifestHit::new(
            fe.object,
            m.source_pointer(),
            format!(
                "oneadmin's SSH keys (`/var/lib/one/.ssh`) of container `{}` in `{}` are on the emptyDir volume `{}`: every restart makes a key pair the hypervisors do not trust",
                fe.container,
                objects[fe.object].id(),
                m.volume
            ),
        ));
    }
    hits
}
