//! ONE053 `host-key-missing`: strict host key checking with a declared host whose key is unknown.

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::model::HostKeyChecking;

declare_rule! {
/// ## What it does
/// Flags each `hosts` entry without `sshHostKey` when `ssh.strictHostKeyChecking` is `yes`.
///
/// ## Why is this bad?
/// With `yes`, OpenSSH refuses a host whose key is not in oneadmin's `known_hosts`. The inventory job would
/// register the host, and every driver call to it would fail (`Host key verification failed`), so the host goes
/// to `ERROR` on its first monitoring cycle.
///
/// ## In rendered manifests
/// No manifest check: the hosts to register are onechart values (`hosts`), not Kubernetes objects.
///
/// ## Example
/// ```yaml
/// ssh:
///   strictHostKeyChecking: "yes"
/// hosts:
///   - name: kvm1.example.com
/// ```
///
/// Use instead:
/// ```yaml
/// ssh:
///   strictHostKeyChecking: "yes"
/// hosts:
///   - name: kvm1.example.com
///     sshHostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1...
/// ```
    pub static ONE053 = {
        id: "ONE053",
        name: "host-key-missing",
        level: Error,
        summary: "Strict host key checking with a declared host whose key is unknown",
        fix: "Add the host's public key (`cat /etc/ssh/ssh_host_ed25519_key.pub` on the host) as `sshHostKey`, or use `ssh.strictHostKeyChecking: accept-new`.",
        check: check,
        install: Install::Template(
            r#"{{- if eq $v.ssh.strictHostKeyChecking "yes" -}}
{{- range $v.hosts -}}
{{- if not .sshHostKey -}}
{{- $errors = append $errors (printf "ONE053 host-key-missing: ssh.strictHostKeyChecking=yes but hosts entry %s has no sshHostKey; the front-end would refuse to connect" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.ssh.strict_host_key_checking != HostKeyChecking::Yes {
        return vec![];
    }
    v.hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.ssh_host_key.is_empty())
        .map(|(i, h)| {
            Hit::at_pointer(
                format!("/hosts/{i}"),
                format!("host `{}` has no `sshHostKey` and `ssh.strictHostKeyChecking` is `yes`", h.name),
            )
        })
        .collect()
}
