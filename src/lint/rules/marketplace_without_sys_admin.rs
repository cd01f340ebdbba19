//! ONE008 `marketplace-without-sys-admin`: the marketplace is enabled without `SYS_ADMIN` or privilege.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::Typed;

declare_rule! {
/// ## What it does
/// Flags `marketplace.enabled: true` without `SYS_ADMIN` in `securityContext.capabilities.add` and without
/// `securityContext.privileged`: marketplace image creation mounts filesystem images. In manifest mode it flags
/// containers that mount `/dev/fuse` without `SYS_ADMIN` and without privilege.
///
/// ## Why is this bad?
/// Marketplace image creation, the Linux Containers imports (`lxd://`), mounts the image it builds (`fuse2fs`,
/// else `mount`: OpenNebula/one@release-7.4.0:src/mad/sh/create_container_image.sh:66-82), and a mount, FUSE
/// included, needs `CAP_SYS_ADMIN`. Give that capability, `SYS_ADMIN`, rather than `privileged`, which gives every
/// capability and every host device (ONE015). The capability is what this rule checks; the import needs more
/// than that: it runs through `sudo -n` as root (`src/datastore_mad/remotes/lxd_downloader.sh:330`, sudoers
/// `ONE_MARKET` in `share/pkgs/sudoers/opennebula-server`), then `chown`s and `chroot`s into the image, so it
/// also needs root in the pod, which the chart's oneadmin (uid 9869, no privilege escalation without
/// `privileged`) does not have. The default OpenNebula Public marketplace (plain HTTPS downloads,
/// `src/market_mad/remotes/one/monitor`) and http/s3 marketplaces need neither; the Linux Containers
/// marketplace is created disabled (`src/market/MarketPlacePool.cc:46`). Either fix, `SYS_ADMIN` or `privileged`,
/// fails the Pod Security Standards `baseline` and `restricted` levels (baseline allows only a fixed list of added
/// capabilities, without `SYS_ADMIN`; restricted only `NET_BIND_SERVICE`): a namespace enforcing them refuses the pod.
///
/// ## In rendered manifests
/// Checked: a container of the front-end's pods that mounts `/dev/fuse` (directly or through a hostPath volume)
/// without the `SYS_ADMIN` capability or `privileged`.
///
/// ## Example
/// ```yaml
/// marketplace:
///   enabled: true
/// ```
///
/// Use instead:
/// ```yaml
/// marketplace:
///   enabled: true
/// securityContext:
///   capabilities:
///     add: [SYS_ADMIN]   # not privileged (ONE015)
/// ```
    pub static ONE008 = {
        id: "ONE008",
        name: "marketplace-without-sys-admin",
        level: Error,
        summary: "The marketplace is enabled without `SYS_ADMIN` or privilege",
        fix: "Add `SYS_ADMIN` to `securityContext.capabilities.add` (rather than `privileged`, ONE015), or keep `marketplace.enabled: false`: the OpenNebula Public, http and s3 marketplaces need neither.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Add `SYS_ADMIN` to the container's `securityContext.capabilities.add` (rather than `privileged`), or drop the `/dev/fuse` mount: only marketplace image creation uses FUSE; the OpenNebula Public, http and s3 marketplaces need neither.",
        install: Install::When {
            when: Cond::And(&[
                Cond::Truthy("marketplace.enabled"),
                Cond::Falsy("securityContext.privileged"),
                Cond::Template(r#"not (has "SYS_ADMIN" $v.securityContext.capabilities.add)"#),
            ]),
            message: "marketplace image creation mounts filesystem images, which needs SYS_ADMIN; add it to securityContext.capabilities.add, written SYS_ADMIN (not CAP_SYS_ADMIN, which Kubernetes refuses beside allowPrivilegeEscalation false; rather than privileged, ONE015), or set marketplace.enabled=false",
            args: &[],
            only_if: None,
        },
    }
}

/// `SYS_ADMIN` among added capabilities, spelt as Kubernetes takes it: the runtime adds the `CAP_` prefix itself
/// (containerd's `"CAP_" + strings.ToUpper(c)`), and the API server refuses `CAP_SYS_ADMIN` in a container with
/// `allowPrivilegeEscalation: false`, as the chart's are (`ValidateSecurityContext`, pkg/apis/core/validation).
fn adds_sys_admin<S: AsRef<str>>(add: &[S]) -> bool {
    add.iter().any(|a| a.as_ref() == "SYS_ADMIN")
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let sc = &v.security_context;
    if v.marketplace.enabled && !sc.privileged && !adds_sys_admin(&sc.capabilities.add) {
        // A misspelt SYS_ADMIN is reported where it is written, saying how Kubernetes spells it.
        let misspelt = sc
            .capabilities
            .add
            .iter()
            .position(|a| a.eq_ignore_ascii_case("CAP_SYS_ADMIN") || a.eq_ignore_ascii_case("SYS_ADMIN"));
        return vec![match misspelt {
            Some(i) => Hit::at(
                &format!("securityContext.capabilities.add[{i}]"),
                format!(
                    "`marketplace.enabled` is true and `securityContext.capabilities.add` has `{}`, not `SYS_ADMIN`: Kubernetes takes capability names without `CAP_`, in upper case (the runtime adds the prefix, and the API server refuses `CAP_SYS_ADMIN` beside `allowPrivilegeEscalation: false`); write `SYS_ADMIN`",
                    sc.capabilities.add[i]
                ),
            ),
            None => Hit::at(
                "marketplace.enabled",
                "`marketplace.enabled` is true without `SYS_ADMIN` in `securityContext.capabilities.add` or `securityContext.privileged`: marketplace image creation mounts filesystem images (`fuse2fs`, else `mount`), which needs SYS_ADMIN",
            ),
        }];
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
                .is_some_and(|add| adds_sys_admin(add));
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
