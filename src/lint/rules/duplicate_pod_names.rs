//! ONE058 `duplicate-pod-names`: an extension point repeats a name a pod spec must hold once.

use std::collections::BTreeMap;

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit, ManifestHit};
use crate::manifest::{ManifestCtx, Typed};
use crate::model::{EnvVar, JsonObject, Values};

// The names the chart's own pod specs use, over every profile and OpenNebula version (a name reserved in one
// version stays reserved in all: a site file outlives an upgrade). Each list is written once and used by the
// values check and by the chart's install-time check (`concat!` below).

/// Containers and init containers of the members' pods.
macro_rules! member_containers {
    () => {
        "check-image mariadb prepare database oned sshd hem scheduler tls-proxy"
    };
}
/// Volumes of the members' pods (the claim templates' names included).
macro_rules! member_volumes {
    () => {
        "config scripts auth ssh db etc log lock run tmp vartmp mariadb-run mariadb serviceaccount datastores data tls tls-config"
    };
}
/// Mount paths of the oned container and the `database` init container.
macro_rules! oned_mounts {
    () => {
        "/var/lib/one /var/lib/one/datastores /var/lib/one/vms /etc/one /var/log/one /var/lock/one /run/one /tmp /var/tmp /run/onechart/auth /run/onechart/scripts /run/onechart/db /run/onechart/serviceaccount"
    };
}
/// Environment of the oned container and the `database` init container.
macro_rules! oned_env {
    () => {
        "ONED_PHASE DB_BACKEND DB_HOST DB_PORT DB_BUNDLED DB_USER DB_NAME DB_PASSWORD_FILE RAFT_MEMBERS POD_NAME STATEFULSET PEERS_DOMAIN GRPC PATH HOME MAINTENANCE ONE_LOGS_FOLLOWED"
    };
}
/// Environment of the hook manager (and 6.10's mm_sched).
macro_rules! hem_env {
    () => {
        "ONE_AUTH HOME APP_ENV RAFT_MEMBERS LEADER_ONLY"
    };
}
/// Environment of the sshd container.
macro_rules! ssh_env {
    () => {
        "HOME"
    };
}
/// Environment of every add-on's daemon container (templates/_addon.tpl).
macro_rules! addon_env {
    () => {
        "HOME APP_ENV ONECHART_API ONE_XMLRPC ADDON_LOGS ADDON_ROTATED ADDON_VM_LOGS ONE_AUTH ONECHART_BIND"
    };
}

/// Environment of the container of `backup.offsite.container` (templates/_backup-pod.tpl).
macro_rules! offsite_env {
    () => {
        "HOME BACKUP_DIR BACKUP_LATEST_FILE BACKUP_PENDING_FILE"
    };
}
/// Volumes of an add-on's pod (templates/_addon.tpl and each add-on's own), over every add-on.
macro_rules! addon_volumes {
    () => {
        "config scripts auth etc dotone log tmp tls-config tls datastores vnc-tokens lock oneform"
    };
}
/// Mount paths of an add-on's daemon container (templates/_addon.tpl and each add-on's own), over every add-on.
macro_rules! addon_mounts {
    () => {
        "/etc/one /var/lib/one/.one /var/log/one /tmp /run/onechart/scripts /run/onechart/auth /var/lib/one/vms /var/lib/one/sunstone_vnc_tokens /var/lock/one /var/lib/one/oneform /var/lib/one/remotes/etc/vnm/OpenNebulaNetwork.conf"
    };
}

declare_rule! {
/// ## What it does
/// Flags a name given twice, or given once where the chart already uses it, through the extension points: a
/// container of `oned.sidecars` or `oned.initContainers`, a volume of an `extraVolumes`, a mount path of an
/// `extraVolumeMounts` (`oned` and each add-on: `fireedge`, `sunstone`, `onegate`, `oneflow`, `oneform`, `oneks`,
/// `metrics`), an environment variable of an `extraEnv` (`oned`, `oned.hemExtraEnv`, `ssh` and each add-on) or of
/// `backup.offsite.container.env`.
///
/// Mount paths are compared as the container runtime reads them: `/etc/one/`, `/etc//one` and `/etc/one/.` are
/// `/etc/one`, the chart's. A mount path with a `..` component is flagged too (`/srv/../etc/one` is `/etc/one`
/// in disguise): write the path without it. A path under one of the chart's (`/etc/one/site-ca`) is a mount of
/// its own, as the chart's `/var/lib/one/datastores` under `/var/lib/one` is: it is not flagged.
///
/// ## Why is this bad?
/// Helm renders the pod all the same, and the API server refuses it: container names are unique across a pod's
/// containers and init containers, volume names within a pod, mount paths within a container
/// (`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/tmp": must be unique`). Environment names
/// are a list keyed by name: a second entry hides the first (the API server warns), and server-side apply
/// (Argo CD with `ServerSideApply=true`, Flux) refuses the object (`duplicate entries for key [name="HOME"]`).
/// The release fails at install, or worse at the next upgrade. The API server compares mount paths as written:
/// `/etc/one/` passes its check, and the runtime mounts it on the same directory as the chart's `/etc/one`, one
/// hiding the other (oned's configuration, or the site's volume, is not what the container sees).
///
/// ## In rendered manifests
/// Checked: in every workload of the front-end, container names (init containers included), volume names, and
/// each container's mount paths (compared as the runtime reads them) and environment names, each given once.
///
/// ## Example
/// ```yaml
/// oned:
///   extraVolumes: [{name: tmp, emptyDir: {}}]
///   extraEnv: [{name: HOME, value: /srv}]
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   extraVolumes: [{name: site-tmp, emptyDir: {}}]
///   extraEnv: [{name: SITE_HOME, value: /srv}]
/// ```
    pub static ONE058 = {
        id: "ONE058",
        name: "duplicate-pod-names",
        level: Error,
        summary: "An extension point repeats a name a pod spec must hold once",
        fix: "Give each extra container, volume, mount path and environment variable a name of its own, not one the chart already uses in that pod or container (`helm template` shows them).",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Keep one container, volume, mount path and environment variable of each name per pod (per container for mounts and environment).",
        install: Install::Template(concat!(
            r#"{{- $checks := list
  (list "container" (concat ($v.oned.initContainers | default list) ($v.oned.sidecars | default list)) "name" ""#,
            member_containers!(),
            r#"" "oned.initContainers and oned.sidecars")
  (list "volume" ($v.oned.extraVolumes | default list) "name" ""#,
            member_volumes!(),
            r#"" "oned.extraVolumes")
  (list "mount path" ($v.oned.extraVolumeMounts | default list) "mountPath" ""#,
            oned_mounts!(),
            r#"" "oned.extraVolumeMounts")
  (list "environment variable" ($v.oned.extraEnv | default list) "name" ""#,
            oned_env!(),
            r#"" "oned.extraEnv")
  (list "environment variable" ($v.oned.hemExtraEnv | default list) "name" ""#,
            hem_env!(),
            r#"" "oned.hemExtraEnv")
  (list "environment variable" ($v.ssh.extraEnv | default list) "name" ""#,
            ssh_env!(),
            r#"" "ssh.extraEnv")
  (list "environment variable" ($v.backup.offsite.container.env | default list) "name" ""#,
            offsite_env!(),
            r#"" "backup.offsite.container.env") -}}
{{- range $c := list "fireedge" "sunstone" "onegate" "oneflow" "oneform" "oneks" "metrics" -}}
{{- $checks = append $checks (list "environment variable" ((get $v $c | default dict).extraEnv | default list) "name" ""#,
            addon_env!(),
            r#"" (printf "%s.extraEnv" $c)) -}}
{{- $checks = append $checks (list "volume" ((get $v $c | default dict).extraVolumes | default list) "name" ""#,
            addon_volumes!(),
            r#"" (printf "%s.extraVolumes" $c)) -}}
{{- $checks = append $checks (list "mount path" ((get $v $c | default dict).extraVolumeMounts | default list) "mountPath" ""#,
            addon_mounts!(),
            r#"" (printf "%s.extraVolumeMounts" $c)) -}}
{{- end -}}
{{- range $c := $checks -}}
{{- $seen := dict -}}
{{- range splitList " " (index $c 3) -}}{{- $_ := set $seen . "the chart" -}}{{- end -}}
{{- range (index $c 1) -}}
{{- $n := toString (get . (index $c 2)) -}}
{{- $shown := $n -}}
{{- $dotdot := false -}}
{{- if eq (index $c 0) "mount path" -}}
{{- /* As the container runtime reads it: `//`, `.` and a trailing `/` dropped (path.Clean); `..` refused. */ -}}
{{- $dotdot = has ".." (splitList "/" $n) -}}
{{- $n = clean $n -}}
{{- if ne $n $shown -}}{{- $shown = printf "%s (that is %s)" $shown $n -}}{{- end -}}
{{- end -}}
{{- if $dotdot -}}{{- $errors = append $errors (printf "ONE058 duplicate-pod-names: mount path %s of %s has a `..` component: write the path without it" (toString (get . (index $c 2))) (index $c 4)) -}}
{{- else -}}
{{- if hasKey $seen $n -}}{{- $errors = append $errors (printf "ONE058 duplicate-pod-names: %s %s of %s is given twice (%s uses it)" (index $c 0) $shown (index $c 4) (get $seen $n)) -}}{{- end -}}
{{- $_ := set $seen $n (index $c 4) -}}
{{- end -}}
{{- end -}}
{{- end -}}"#
        )),
    }
}

const MEMBER_CONTAINERS: &str = member_containers!();
const MEMBER_VOLUMES: &str = member_volumes!();
const ONED_MOUNTS: &str = oned_mounts!();
const ONED_ENV: &str = oned_env!();
const HEM_ENV: &str = hem_env!();
const ADDON_ENV: &str = addon_env!();
const SSH_ENV: &str = ssh_env!();
const OFFSITE_ENV: &str = offsite_env!();
const ADDON_VOLUMES: &str = addon_volumes!();
const ADDON_MOUNTS: &str = addon_mounts!();

/// Every add-on's `extraVolumes` and `extraVolumeMounts`, with the values key they sit under.
fn addon_volume_lists(v: &Values) -> [(&'static str, &Vec<JsonObject>, &Vec<JsonObject>); 7] {
    [
        ("fireedge", &v.fireedge.extra_volumes, &v.fireedge.extra_volume_mounts),
        ("sunstone", &v.sunstone.extra_volumes, &v.sunstone.extra_volume_mounts),
        ("onegate", &v.onegate.extra_volumes, &v.onegate.extra_volume_mounts),
        ("oneflow", &v.oneflow.extra_volumes, &v.oneflow.extra_volume_mounts),
        ("oneform", &v.oneform.extra_volumes, &v.oneform.extra_volume_mounts),
        ("oneks", &v.oneks.extra_volumes, &v.oneks.extra_volume_mounts),
        ("metrics", &v.metrics.extra_volumes, &v.metrics.extra_volume_mounts),
    ]
}

/// Every `extraEnv` list of the values, with its JSON pointer and the names the chart sets in its container.
pub(crate) fn extra_envs(v: &Values) -> Vec<(&'static str, &Vec<EnvVar>, &'static str)> {
    vec![
        ("/oned/extraEnv", &v.oned.extra_env, ONED_ENV),
        ("/oned/hemExtraEnv", &v.oned.hem_extra_env, HEM_ENV),
        ("/ssh/extraEnv", &v.ssh.extra_env, SSH_ENV),
        ("/fireedge/extraEnv", &v.fireedge.extra_env, ADDON_ENV),
        ("/sunstone/extraEnv", &v.sunstone.extra_env, ADDON_ENV),
        ("/onegate/extraEnv", &v.onegate.extra_env, ADDON_ENV),
        ("/oneflow/extraEnv", &v.oneflow.extra_env, ADDON_ENV),
        ("/oneform/extraEnv", &v.oneform.extra_env, ADDON_ENV),
        ("/oneks/extraEnv", &v.oneks.extra_env, ADDON_ENV),
        ("/metrics/extraEnv", &v.metrics.extra_env, ADDON_ENV),
        ("/backup/offsite/container/env", &v.backup.offsite.container.env, OFFSITE_ENV),
    ]
}

/// Flags, in one list, a name given twice or one the chart uses (`own`).
fn names<'a>(
    what: &str,
    at: &str,
    items: impl Iterator<Item = (String, Option<&'a str>)>,
    own: &str,
    hits: &mut Vec<Hit>,
) {
    let mut seen: BTreeMap<&str, String> = own.split(' ').map(|n| (n, "the chart".to_string())).collect();
    let list = at.trim_start_matches('/').replace('/', ".");
    for (pointer, name) in items {
        let Some(name) = name else { continue };
        if let Some(first) = seen.get(name) {
            hits.push(Hit::at_pointer(pointer, format!("{what} `{name}` of {list} is given twice ({first} uses it)")));
        } else {
            seen.insert(name, list.clone());
        }
    }
}

/// A mount path as the container runtime reads it, in the form of Go's `path.Clean` (the install-time check
/// uses Sprig's `clean`): `//` collapsed, `.` components and a trailing `/` dropped, so `/etc//one/.` is
/// `/etc/one`; `None` for a path with a `..` component, which is refused rather than resolved.
pub(crate) fn normal_mount_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.contains(&"..") {
        return None;
    }
    let rooted = path.starts_with('/');
    Some(match (rooted, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".to_string(),
        (false, false) => parts.join("/"),
    })
}

/// How a mount path is named in a message: as written, and as the runtime reads it when that differs.
fn shown_mount_path(path: &str, normal: &str) -> String {
    if path == normal { format!("`{path}`") } else { format!("`{path}` (that is `{normal}`)") }
}

/// Flags, in one `extraVolumeMounts` list, a mount path given twice or one the chart mounts (`own`), compared as
/// the container runtime reads them ([`normal_mount_path`]), and a path with a `..` component. A path under one
/// of the chart's (`/etc/one/site-ca`) is a mount of its own, as the chart's `/var/lib/one/datastores` is.
fn mount_paths(at: &str, list: &[JsonObject], own: &str, hits: &mut Vec<Hit>) {
    let mut seen: BTreeMap<String, String> = own.split(' ').map(|n| (n.to_string(), "the chart".to_string())).collect();
    let name = at.trim_start_matches('/').replace('/', ".");
    for (i, o) in list.iter().enumerate() {
        let Some(path) = o.get("mountPath").and_then(|n| n.as_str()) else { continue };
        let pointer = format!("{at}/{i}/mountPath");
        let Some(normal) = normal_mount_path(path) else {
            hits.push(Hit::at_pointer(
                pointer,
                format!("mount path `{path}` of {name} has a `..` component: write the path without it"),
            ));
            continue;
        };
        if let Some(first) = seen.get(&normal) {
            let shown = shown_mount_path(path, &normal);
            hits.push(Hit::at_pointer(
                pointer,
                format!("mount path {shown} of {name} is given twice ({first} uses it)"),
            ));
        } else {
            seen.insert(normal, name.clone());
        }
    }
}

fn field<'a>(list: &'a [JsonObject], at: &'a str, key: &'a str) -> impl Iterator<Item = (String, Option<&'a str>)> {
    list.iter().enumerate().map(move |(i, o)| (format!("{at}/{i}/{key}"), o.get(key).and_then(|n| n.as_str())))
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    let containers = field(&v.oned.init_containers, "/oned/initContainers", "name").chain(field(
        &v.oned.sidecars,
        "/oned/sidecars",
        "name",
    ));
    names("container", "/oned/initContainers and sidecars", containers, MEMBER_CONTAINERS, &mut hits);
    names(
        "volume",
        "/oned/extraVolumes",
        field(&v.oned.extra_volumes, "/oned/extraVolumes", "name"),
        MEMBER_VOLUMES,
        &mut hits,
    );
    mount_paths("/oned/extraVolumeMounts", &v.oned.extra_volume_mounts, ONED_MOUNTS, &mut hits);
    for (addon, volumes, mounts) in addon_volume_lists(v) {
        let (vat, mat) = (format!("/{addon}/extraVolumes"), format!("/{addon}/extraVolumeMounts"));
        names("volume", &vat, field(volumes, &vat, "name"), ADDON_VOLUMES, &mut hits);
        mount_paths(&mat, mounts, ADDON_MOUNTS, &mut hits);
    }
    for (at, list, own) in extra_envs(v) {
        let items = list.iter().enumerate().map(|(i, e)| (format!("{at}/{i}/name"), Some(e.name.as_str())));
        names("environment variable", at, items, own, &mut hits);
    }
    hits
}

/// The second of two equal names in a list, with its pointer.
fn repeats<'a>(items: impl Iterator<Item = (String, &'a str)>) -> Vec<(String, &'a str)> {
    let mut seen = std::collections::BTreeSet::new();
    items.filter(|(_, n)| !seen.insert(*n)).collect()
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let mut hits = Vec::new();
    for i in d.opennebula_workloads() {
        let m = &d.objects[i];
        let Typed::Workload { spec, pointer, .. } = &m.typed else { continue };
        let mut found = |at: String, what: &str, name: &str, whose: String| {
            hits.push(ManifestHit::new(i, at, format!("{what} {name} is given twice in {whose}")));
        };
        let containers = d.containers(i);
        for (at, name) in repeats(containers.iter().map(|(p, c)| (format!("{p}/name"), c.name.as_str()))) {
            found(at, "container", &format!("`{name}`"), m.id());
        }
        let volumes = spec.volumes.iter().flatten().enumerate();
        for (at, name) in repeats(volumes.map(|(k, v)| (format!("{pointer}/volumes/{k}/name"), v.name.as_str()))) {
            found(at, "volume", &format!("`{name}`"), m.id());
        }
        for (p, c) in containers {
            let whose = format!("container `{}` of {}", c.name, m.id());
            // Compared as the container runtime reads them (`/etc/one/` is `/etc/one`); a path with a `..`
            // component is left as written.
            let mounts: Vec<(String, String, &str)> = c
                .volume_mounts
                .iter()
                .flatten()
                .enumerate()
                .map(|(k, v)| {
                    let path = v.mount_path.as_str();
                    let normal = normal_mount_path(path).unwrap_or_else(|| path.to_string());
                    (format!("{p}/volumeMounts/{k}/mountPath"), normal, path)
                })
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            for (at, normal, path) in &mounts {
                if !seen.insert(normal.as_str()) {
                    found(at.clone(), "mount path", &shown_mount_path(path, normal), whose.clone());
                }
            }
            let env = c.env.iter().flatten().enumerate();
            for (at, name) in repeats(env.map(|(k, e)| (format!("{p}/env/{k}/name"), e.name.as_str()))) {
                found(at, "environment variable", &format!("`{name}`"), whose.clone());
            }
        }
    }
    hits
}
