//! ONE026 `ssh-host-key-checking-disabled`: sSH host key checking is disabled.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::manifest::embedded::scalar_locator;
use crate::model::HostKeyChecking;
use crate::oneconf::{Kind, Pos, ssh};

declare_rule! {
/// ## What it does
/// Flags `ssh.strictHostKeyChecking: "no"`.
///
/// ## Why is this bad?
/// With checking off, the front-end sends its agent-forwarded credentials to whatever answers at a hypervisor's
/// address; `accept-new` keeps first-use convenience and still detects a changed key.
///
/// ## In rendered manifests
/// Checked: `StrictHostKeyChecking no` (or `off`) in an SSH client configuration carried by a ConfigMap or a Secret
/// (a key mounted as `.ssh/config` or named `ssh_config`; base64 Secret data is decoded and the line named),
/// `-o StrictHostKeyChecking=no` in a container's command or arguments, and `ANSIBLE_HOST_KEY_CHECKING` turned off
/// for a provisioning container.
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
        manifests: check_manifests, reads: [ConfigData, Workloads],
        manifest_fix: "Use `StrictHostKeyChecking accept-new` with a known_hosts file that persists (or pre-filled known_hosts), and leave Ansible's host key checking on.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.ssh.strict_host_key_checking == HostKeyChecking::No {
        return vec![Hit::at("ssh.strictHostKeyChecking", "`ssh.strictHostKeyChecking` is `no`")];
    }
    vec![]
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for file in d.files_of(Kind::SshConfig) {
        for s in ssh::parse(&d.files[file].text) {
            if s.keyword != "stricthostkeychecking" || !matches!(s.value.to_ascii_lowercase().as_str(), "no" | "off") {
                continue;
            }
            let (object, pointer, location, note) = d.locate(&Found::File { file, pos: s.pos });
            let scope =
                if s.hosts.is_empty() { "for every host".to_string() } else { format!("for `Host {}`", s.hosts) };
            hits.push(
                ManifestHit::new(
                    object,
                    pointer,
                    format!(
                        "the SSH client configuration `{}` of `{}` sets `StrictHostKeyChecking {}` {scope}{note}",
                        d.files[file].key,
                        objects[d.files[file].object].id(),
                        s.value
                    ),
                )
                .at(location),
            );
        }
    }
    for (i, m) in objects.iter().enumerate() {
        for (ptr, c) in d.containers(i) {
            // Ansible's switch, literal or from a ConfigMap the container reads (`valueFrom`, `envFrom`).
            for var in d.env(i, ptr).into_iter().filter(|v| v.name == "ANSIBLE_HOST_KEY_CHECKING") {
                let off = var
                    .value
                    .as_deref()
                    .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no"));
                if let (true, Some(found)) = (off, var.found.as_ref()) {
                    hits.push(crate::lint::hit_at(d, found, |note| {
                        format!(
                            "container `{}` of `{}` turns Ansible's SSH host key checking off{note}",
                            c.name,
                            m.id()
                        )
                    }));
                }
            }
            let lines =
                c.command.iter().flatten().map(|a| ("command", a)).chain(c.args.iter().flatten().map(|a| ("args", a)));
            let mut index = (0, 0);
            for (field, arg) in lines {
                let k = if field == "command" { &mut index.0 } else { &mut index.1 };
                let pointer = format!("{ptr}/{field}/{k}");
                *k += 1;
                let Some((line, col)) = arg.lines().enumerate().find_map(|(n, l)| {
                    let at = l.find("StrictHostKeyChecking")?;
                    let rest =
                        l[at + "StrictHostKeyChecking".len()..].trim_start_matches(['=', ' ']).to_ascii_lowercase();
                    (rest.starts_with("no") || rest.starts_with("off")).then(|| (n + 1, l[..at].chars().count() + 1))
                }) else {
                    continue;
                };
                let locate = scalar_locator(m, &pointer, arg, field);
                let (location, note) = locate(Pos { line, column: col });
                hits.push(
                    ManifestHit::new(
                        i,
                        pointer,
                        format!(
                            "container `{}` of `{}` runs ssh with `StrictHostKeyChecking=no`{note}",
                            c.name,
                            m.id()
                        ),
                    )
                    .at(location),
                );
            }
        }
    }
    hits
}
