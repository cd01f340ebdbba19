//! ONE019 `hardcoded-emulator-path`: the QEMU emulator path is distribution-specific.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags `hypervisor.emulator` set to a distribution-specific QEMU path (`/usr/libexec/qemu-kvm`, `/usr/bin/qemu-
/// kvm`, `/usr/bin/qemu-system-*`, `/usr/bin/kvm`).
///
/// ## Why is this bad?
/// The emulator path differs between RHEL (`/usr/libexec/qemu-kvm`) and Debian/Ubuntu (`/usr/bin/qemu-
/// system-x86_64`); a fixed path breaks VMs on every hypervisor of the other family (OpenNebula issue 5167).
///
/// ## In rendered manifests
/// Checked: `EMULATOR` in an embedded vmm_exec_kvm.conf, or an `EMULATOR` environment variable of any container
/// of the front-end's pods (init containers too), set to one of the paths above.
///
/// ## Example
/// ```yaml
/// hypervisor:
///   emulator: /usr/libexec/qemu-kvm
/// ```
///
/// Use instead:
/// ```yaml
/// hypervisor:
///   emulator: ""
/// ```
    pub static ONE019 = {
        id: "ONE019",
        name: "hardcoded-emulator-path",
        level: Warning,
        summary: "The QEMU emulator path is distribution-specific",
        fix: "Leave `hypervisor.emulator` empty: OpenNebula's `/usr/bin/qemu-kvm-one` is linked to the right binary on every node.",
        check: check,
        manifests: check_manifests, reads: [ConfigData, Workloads],
        manifest_fix: "Remove `EMULATOR` from vmm_exec_kvm.conf (and the `EMULATOR` variable): OpenNebula's `/usr/bin/qemu-kvm-one` is linked to the right binary on every node.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let e = v.hypervisor.emulator.as_str();
    if specific(e) {
        return vec![Hit::at(
            "hypervisor.emulator",
            format!("`hypervisor.emulator` is the distribution-specific path `{e}`"),
        )];
    }
    vec![]
}

fn specific(e: &str) -> bool {
    ["/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm", "/usr/bin/kvm"].contains(&e)
        || e.starts_with("/usr/bin/qemu-system-")
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let mut found: Vec<(Found, String)> = Vec::new();
    for file in d.files_of(Kind::VmmExecKvm) {
        if let Some(e) = d.template(file).and_then(|t| t.single("EMULATOR").cloned()) {
            found.push((Found::File { file, pos: e.pos }, e.text));
        }
    }
    // `EMULATOR` given to any container of the front-end's pods (an init container writes vmm_exec_kvm.conf).
    for w in d.opennebula_workloads() {
        for (ptr, _) in d.containers(w) {
            if let Some((v, origin @ Found::Env { .. })) = d.env_value(w, ptr, "EMULATOR") {
                found.push((origin, v));
            }
        }
    }
    found
        .into_iter()
        .filter(|(_, e)| specific(e))
        .map(|(origin, e)| {
            let (object, pointer, location, note) = d.locate(&origin);
            ManifestHit::new(
                object,
                pointer,
                format!("the QEMU emulator is the distribution-specific path `{e}`{note}"),
            )
            .at(location)
        })
        .collect()
}
