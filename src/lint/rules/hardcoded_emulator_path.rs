//! ONE019 `hardcoded-emulator-path`: the QEMU emulator path is distribution-specific.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `hypervisor.emulator` set to a distribution-specific QEMU path (`/usr/libexec/qemu-kvm`, `/usr/bin/qemu-
/// kvm`, `/usr/bin/qemu-system-*`, `/usr/bin/kvm`).
///
/// ## Why is this bad?
/// The emulator path differs between RHEL (`/usr/libexec/qemu-kvm`) and Debian/Ubuntu (`/usr/bin/qemu-
/// system-x86_64`); a fixed path breaks VMs on every hypervisor of the other family (OpenNebula issue 5167).
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
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let e = v.hypervisor.emulator.as_str();
    let specific = ["/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm", "/usr/bin/kvm"].contains(&e)
        || e.starts_with("/usr/bin/qemu-system-");
    if specific {
        return vec![Hit::at(
            "hypervisor.emulator",
            format!("`hypervisor.emulator` is the distribution-specific path `{e}`"),
        )];
    }
    vec![]
}
