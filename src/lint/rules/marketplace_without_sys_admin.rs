//! ONE008 `marketplace-without-sys-admin`: Linux Containers marketplace imports (root and sudo) are enabled.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;

declare_rule! {
/// ## What it does
/// Flags `marketplace.enabled: true`: image imports from the Linux Containers marketplace (`lxd://`), which
/// build a filesystem image as root. In manifest mode it flags containers that mount `/dev/fuse` without
/// `SYS_ADMIN` and without privilege.
///
/// ## Why is this bad?
/// The only marketplace action that needs privilege is the Linux Containers import: the downloader runs
/// `sudo -n /usr/lib/one/sh/create_container_image.sh`, which mounts the image (`fuse2fs`, else `mount`),
/// `chown`s and `chroot`s into it (OpenNebula/one@release-7.4.0:src/datastore_mad/remotes/lxd_downloader.sh:330,
/// src/mad/sh/create_container_image.sh:66-82; sudoers `ONE_MARKET`). In the chart's pod oneadmin (uid 9869) has
/// no sudo and no privilege escalation, and capabilities added to a non-root container are not effective, so
/// `SYS_ADMIN` does not make it work: the import fails however the pod is configured. The default OpenNebula
/// Public marketplace (plain HTTPS downloads, `src/market_mad/remotes/one/monitor`) and http/s3 marketplaces need
/// no privilege; the Linux Containers marketplace is created disabled (`src/market/MarketPlacePool.cc:46`).
///
/// ## In rendered manifests
/// Checked: a container of the front-end's pods that mounts `/dev/fuse` (directly or through a hostPath volume)
/// without the `SYS_ADMIN` capability or `privileged`.
///
/// ## Example
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: [SYS_ADMIN]
/// ```
///
/// Use instead:
/// ```yaml
/// marketplace:
///   enabled: false   # OpenNebula Public, http and s3 marketplaces work as they are
/// ```
    pub static ONE008 = {
        id: "ONE008",
        name: "marketplace-without-sys-admin",
        level: Error,
        summary: "Linux Containers marketplace imports, which need root and sudo, are enabled",
        fix: "Keep `marketplace.enabled: false` (the OpenNebula Public, http and s3 marketplaces need no privilege); import Linux Containers images on a host, never by giving the front-end SYS_ADMIN or privilege.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Drop the `/dev/fuse` mount: only Linux Containers imports use FUSE, and they also need root and sudo, which a non-root front-end container does not have; the OpenNebula Public, http and s3 marketplaces need neither.",
        install: Install::When {
            when: Cond::Truthy("marketplace.enabled"),
            message: "Linux Containers imports run sudo -n create_container_image.sh as root, which the non-root front-end cannot do (SYS_ADMIN does not help); set marketplace.enabled=false",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.marketplace.enabled {
        return vec![Hit::at(
            "marketplace.enabled",
            "`marketplace.enabled` is true: Linux Containers imports run `sudo -n create_container_image.sh` as root, which the non-root front-end cannot do, with or without SYS_ADMIN",
        )];
    }
    vec![]
}

/// Containers that mount `/dev/fuse` without `SYS_ADMIN` and without privilege.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    // The front-end's pods only: a hypervisor agent, a test pod or another chart's workload is not judged.
    for i in d.opennebula_workloads() {
        let m = &objects[i];
        let Typed::Workload { spec, .. } = &m.typed else { continue };
        let fuse_volumes: Vec<&str> = spec
            .volumes
            .iter()
            .flatten()
            .filter(|v| v.host_path.as_ref().is_some_and(|h| h.path == "/dev/fuse"))
            .map(|v| v.name.as_str())
            .collect();
        for (ptr, c) in d.containers(i) {
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
