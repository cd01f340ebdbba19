//! ONE008 `marketplace-without-sys-admin`: marketplace enabled without the SYS_ADMIN capability.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::{Manifest, Typed};

declare_rule! {
/// ## What it does
/// Flags `marketplace.enabled: true` when `SYS_ADMIN` is not in `securityContext.capabilities.add` and the
/// container is not privileged.
///
/// ## Why is this bad?
/// Marketplace image creation mounts images with FUSE (`fuse2fs`) or `mount`, which need CAP_SYS_ADMIN. Without
/// it, downloads appear to work but image creation fails with permission errors.
///
/// ## In rendered manifests
/// Checked: a container that mounts `/dev/fuse` (directly or through a hostPath volume) without the `SYS_ADMIN` capability or `privileged`.
///
/// ## Example
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: []
/// ```
///
/// Use instead:
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: [SYS_ADMIN]
/// ```
    pub static ONE008 = {
        id: "ONE008",
        name: "marketplace-without-sys-admin",
        level: Error,
        summary: "Marketplace enabled without the SYS_ADMIN capability",
        fix: "Add `SYS_ADMIN` to `securityContext.capabilities.add` (never `privileged: true`).",
        check: check,
        manifests: check_manifests,
        manifest_fix: "Add `SYS_ADMIN` to the container's `securityContext.capabilities.add`, or drop the `/dev/fuse` mount if no marketplace needs it.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let sc = &v.security_context;
    if v.marketplace.enabled
        && !sc.privileged
        && !sc.capabilities.add.iter().any(|c| c.trim_start_matches("CAP_") == "SYS_ADMIN")
    {
        return vec![Hit::at(
            "marketplace.enabled",
            "`marketplace.enabled` is true but `securityContext.capabilities.add` lacks `SYS_ADMIN`",
        )];
    }
    vec![]
}

/// Containers that mount `/dev/fuse` without `SYS_ADMIN` and without privilege.
fn check_manifests(objects: &[Manifest]) -> Vec<ManifestHit> {
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        let Typed::Workload { spec, .. } = &m.typed else { continue };
        let fuse_volumes: Vec<&str> = spec
            .volumes
            .iter()
            .flatten()
            .filter(|v| v.host_path.as_ref().is_some_and(|h| h.path == "/dev/fuse"))
            .map(|v| v.name.as_str())
            .collect();
        for (ptr, c) in m.containers() {
            let mounts_fuse = c
                .volume_mounts
                .iter()
                .flatten()
                .any(|vm| vm.mount_path == "/dev/fuse" || fuse_volumes.contains(&vm.name.as_str()));
            let sc = c.security_context.as_ref();
            let privileged = sc.and_then(|s| s.privileged).unwrap_or(false);
            let sys_admin = sc
                .and_then(|s| s.capabilities.as_ref())
                .and_then(|c| c.add.as_ref())
                .is_some_and(|add| add.iter().any(|a| a.trim_start_matches("CAP_") == "SYS_ADMIN"));
            if mounts_fuse && !privileged && !sys_admin {
                hits.push(ManifestHit::new(
                    i,
                    ptr,
                    format!("container `{}` mounts /dev/fuse without the SYS_ADMIN capability", c.name),
                ));
            }
        }
    }
    hits
}
