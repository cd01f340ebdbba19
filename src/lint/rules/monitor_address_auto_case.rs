//! ONE056 `monitor-address-auto-case`: `monitord.monitorAddress` is `auto` in another case (`AUTO`, `Auto`).

use serde_json::Value;

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;

declare_rule! {
/// ## What it does
/// Flags a `monitord.monitorAddress` that spells `auto` in another case: `AUTO`, `Auto`.
///
/// ## Why is this bad?
/// OpenNebula compares the value with `auto` case-sensitively, at every supported release: the monitoring agent
/// on each hypervisor reads `NETWORK/MONITOR_ADDRESS` from the configuration monitord sends it and tests
/// `host == 'auto'` (OpenNebula/one@release-6.10.5:src/im_mad/remotes/common.d/monitord-client.rb:174,
/// release-7.0.2 line 236, release-7.2.0 line 239, release-7.4.0 line 256); the shell probes test
/// `[[ $mon_address == *"auto"* ]]` (src/mad/sh/scripts_common.sh:1273, 1280, 1279, 1386), which is
/// case-sensitive too; monitord's template parser keeps values as written and upper-cases only names
/// (src/parsers/template_syntax.y:152-177 at release-7.4.0). So `AUTO` is not "auto": every agent sends its
/// monitoring data to a host named `AUTO`, which does not resolve, and no host is ever monitored. onechart's
/// other checks compare exactly as OpenNebula does: `AUTO` is not ONE004's `auto`.
///
/// ## In rendered manifests
/// Checked: a monitord.conf whose `NETWORK` sets `MONITOR_ADDRESS` to `auto` in another case, reported at the
/// value inside the embedded file.
///
/// ## Example
/// ```yaml
/// monitord:
///   monitorAddress: AUTO
/// ```
///
/// Use instead:
/// ```yaml
/// monitord:
///   monitorAddress: auto
/// ```
    pub static ONE056 = {
        id: "ONE056",
        name: "monitor-address-auto-case",
        level: Error,
        summary: "`monitord.monitorAddress` spells `auto` in another case, which OpenNebula reads as a host name",
        fix: "Write `auto` in lower case (a single front-end), or the stable address hypervisors reach monitord at (Raft HA, ONE004).",
        check: check,
        manifests: check_manifests, reads: [ConfigData],
        manifest_fix: "In monitord.conf's `NETWORK`, write `MONITOR_ADDRESS = \"auto\"` in lower case, or an address the hypervisors reach.",
        install: Install::Template(
            r#"{{- $addr := toString ($v.monitord.monitorAddress | default "") -}}
{{- if and (ne $addr "auto") (eq (lower $addr) "auto") -}}
{{- $errors = append $errors (printf "ONE056 monitor-address-auto-case: monitord.monitorAddress=%s is read by OpenNebula as a host name (it compares with auto case-sensitively); write auto, or the address hypervisors reach" $addr) -}}
{{- end -}}"#,
        ),
    }
}

fn miscased(addr: &str) -> bool {
    addr.eq_ignore_ascii_case("auto") && addr != "auto"
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    match ctx.raw.pointer("/monitord/monitorAddress").and_then(Value::as_str) {
        Some(addr) if miscased(addr) => vec![Hit::at(
            "monitord.monitorAddress",
            format!(
                "`monitord.monitorAddress` is `{addr}`: OpenNebula compares it with `auto` case-sensitively, so \
                 hypervisors would send monitoring to a host named `{addr}`"
            ),
        )],
        _ => vec![],
    }
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let mut hits = Vec::new();
    for (file, addr) in d.monitor_addresses() {
        if miscased(&addr.text) {
            hits.push(hit_at(d, &Found::File { file, pos: addr.pos }, |note| {
                format!(
                    "monitord.conf sets `MONITOR_ADDRESS = \"{}\"`{note}: OpenNebula compares it with `auto` \
                     case-sensitively, so hypervisors would send monitoring to a host of that name",
                    addr.text
                )
            }));
        }
    }
    hits
}
