//! Pod volumes as the kubelet makes them (kubernetes.io/docs/concepts/storage/volumes/,
//! .../storage/projected-volumes/, .../storage/ephemeral-volumes/):
//! - `emptyDir`: a directory (mode 0777) created with the pod, kept across container restarts, removed with the
//!   pod. Stand-in, named: `medium: Memory` is a directory on disk and `sizeLimit` is not enforced;
//! - `persistentVolumeClaim`: a directory per claim under the cluster's directory, made when the claim is
//!   (dynamic provisioning), kept when pods go (the StatefulSet's claims outlive its pods: retention policy
//!   Retain);
//! - `configMap`, `secret`, `downwardAPI`, `projected` (incl. `serviceAccountToken` from the TokenRequest API
//!   and the `kube-root-ca.crt` ConfigMap): files with `items`, `defaultMode` and per-item `mode`, laid out as the
//!   kubelet's atomic writer lays them (`..data` links to a timestamped directory, each key a link through it),
//!   refreshed in place when the object changes (not for `subPath` mounts: kubernetes.io/docs/concepts/
//!   configuration/secret/#using-secrets-as-files-from-a-pod). A missing object that is not `optional` keeps the
//!   pod from starting until it exists (ContainerCreating). Stand-in: tokens never expire.
//! - `fsGroup` (kubernetes.io/docs/tasks/configure-pod-container/security-context/): volume files get the group,
//!   group read (and write, except on the read-only projected volumes) and setgid directories; with
//!   `fsGroupChangePolicy: OnRootMismatch` only when the volume's root does not already have them.

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};

use super::api::ApiServer;
use k8s_openapi::api::core::v1::{KeyToPath, ObjectFieldSelector, Volume};

/// A file of a projected volume: relative path, content, mode.
pub type Files = BTreeMap<String, (Vec<u8>, u32)>;

/// What the volumes of a pod need to know about it.
pub struct PodFacts<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub uid: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
    pub service_account: &'a str,
    pub pod_ip: String,
    pub host_ip: String,
    pub node_name: String,
}

impl PodFacts<'_> {
    /// A downward API field (kubernetes.io/docs/concepts/workloads/pods/downward-api/#downwardapi-fieldRef).
    pub fn field(&self, f: &ObjectFieldSelector) -> String {
        let path = f.field_path.as_str();
        let keyed = |prefix: &str, map: &BTreeMap<String, String>| -> Option<String> {
            let key = path.strip_prefix(prefix)?.strip_suffix("']")?;
            Some(map.get(key).cloned().unwrap_or_default())
        };
        let all =
            |map: &BTreeMap<String, String>| -> String { map.iter().map(|(k, v)| format!("{k}=\"{v}\"\n")).collect() };
        match path {
            "metadata.name" => self.name.into(),
            "metadata.namespace" => self.namespace.into(),
            "metadata.uid" => self.uid.into(),
            "metadata.labels" => all(self.labels),
            "metadata.annotations" => all(self.annotations),
            "spec.nodeName" => self.node_name.clone(),
            "spec.serviceAccountName" => self.service_account.into(),
            "status.podIP" | "status.podIPs" => self.pod_ip.clone(),
            "status.hostIP" | "status.hostIPs" => self.host_ip.clone(),
            _ => keyed("metadata.labels['", self.labels)
                .or_else(|| keyed("metadata.annotations['", self.annotations))
                .unwrap_or_else(|| panic!("fieldRef {path} is not supported by the runner")),
        }
    }
}

/// The content of an API-backed volume now, or why the pod cannot start yet.
pub fn projected_files(
    api: &ApiServer,
    pod: &PodFacts,
    vol: &Volume,
    tokens: &mut dyn FnMut(&str) -> String,
) -> Result<Option<Files>, String> {
    let mut files = Files::new();
    if let Some(cm) = &vol.config_map {
        add_object(api, "ConfigMap", &cm.name, &cm.items, cm.default_mode, cm.optional, &mut files)?;
    } else if let Some(sec) = &vol.secret {
        let name = sec.secret_name.clone().unwrap_or_default();
        add_object(api, "Secret", &name, &sec.items, sec.default_mode, sec.optional, &mut files)?;
    } else if let Some(d) = &vol.downward_api {
        for item in d.items.iter().flatten() {
            let mode = item.mode.or(d.default_mode).unwrap_or(0o644) as u32;
            let value = item.field_ref.as_ref().map(|f| pod.field(f)).unwrap_or_default();
            files.insert(item.path.clone(), (value.into_bytes(), mode));
        }
    } else if let Some(p) = &vol.projected {
        for src in p.sources.iter().flatten() {
            if let Some(cm) = &src.config_map {
                add_object(api, "ConfigMap", &cm.name, &cm.items, p.default_mode, cm.optional, &mut files)?;
            }
            if let Some(sec) = &src.secret {
                add_object(api, "Secret", &sec.name, &sec.items, p.default_mode, sec.optional, &mut files)?;
            }
            if let Some(d) = &src.downward_api {
                for item in d.items.iter().flatten() {
                    let mode = item.mode.or(p.default_mode).unwrap_or(0o644) as u32;
                    let value = item.field_ref.as_ref().map(|f| pod.field(f)).unwrap_or_default();
                    files.insert(item.path.clone(), (value.into_bytes(), mode));
                }
            }
            if let Some(t) = &src.service_account_token {
                let mode = p.default_mode.unwrap_or(0o644) as u32;
                files.insert(t.path.clone(), (tokens(pod.service_account).into_bytes(), mode));
            }
        }
    } else {
        return Ok(None);
    }
    Ok(Some(files))
}

fn add_object(
    api: &ApiServer,
    kind: &str,
    name: &str,
    items: &Option<Vec<KeyToPath>>,
    default_mode: Option<i32>,
    optional: Option<bool>,
    files: &mut Files,
) -> Result<(), String> {
    let Some(obj) = api.get("v1", kind, name) else {
        if optional == Some(true) {
            return Ok(());
        }
        return Err(format!("{kind} {name} not found"));
    };
    let mut data: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (k, v) in obj["data"].as_object().into_iter().flatten() {
        let s = v.as_str().unwrap_or_default();
        let bytes = if kind == "Secret" {
            base64(s).ok_or_else(|| format!("{kind} {name}: bad base64"))?
        } else {
            s.as_bytes().to_vec()
        };
        data.insert(k.clone(), bytes);
    }
    for (k, v) in obj["binaryData"].as_object().into_iter().flatten() {
        data.insert(k.clone(), base64(v.as_str().unwrap_or_default()).unwrap());
    }
    let mode = default_mode.unwrap_or(0o644) as u32;
    match items {
        Some(items) => {
            for item in items {
                let Some(bytes) = data.get(&item.key) else {
                    if optional == Some(true) {
                        continue;
                    }
                    return Err(format!("{kind} {name} has no key {}", item.key));
                };
                files.insert(item.path.clone(), (bytes.clone(), item.mode.map_or(mode, |m| m as u32)));
            }
        }
        None => {
            for (k, bytes) in data {
                files.insert(k, (bytes, mode));
            }
        }
    }
    Ok(())
}

/// Writes `files` into `dir` as the kubelet's atomic writer does; returns whether anything changed.
pub fn write_atomic(dir: &Path, files: &Files, fs_group: Option<u32>) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    let data = dir.join("..data");
    if let Ok(current) = std::fs::read_link(&data) {
        let cur = dir.join(&current);
        let same = files.iter().all(|(p, (b, m))| {
            std::fs::read(cur.join(p)).is_ok_and(|x| &x == b)
                && std::fs::metadata(cur.join(p))
                    .is_ok_and(|md| md.permissions().mode() & 0o7777 == effective_mode(*m, fs_group))
        }) && count_files(&cur) == files.len();
        if same {
            return false;
        }
    }
    let stamp = format!("..{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let ts = dir.join(&stamp);
    std::fs::create_dir(&ts).unwrap();
    for (p, (bytes, mode)) in files {
        let f = ts.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, bytes).unwrap();
        if let Some(g) = fs_group {
            chown(&f, None, Some(g)).unwrap();
        }
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(effective_mode(*mode, fs_group))).unwrap();
    }
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    symlink(&stamp, &tmp).unwrap();
    let old = std::fs::read_link(&data).ok();
    std::fs::rename(&tmp, &data).unwrap();
    // The user-visible names: one link per top-level entry, through ..data.
    for top in files.keys().filter_map(|p| p.split('/').next()).collect::<std::collections::BTreeSet<_>>() {
        let link = dir.join(top);
        if std::fs::symlink_metadata(&link).is_err() {
            symlink(format!("..data/{top}"), &link).unwrap();
        }
    }
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(dir.join(old));
    }
    true
}

/// Projected volumes are read-only: fsGroup adds group read, never write (pkg/volume/volume_linux.go, roMask).
fn effective_mode(mode: u32, fs_group: Option<u32>) -> u32 {
    if fs_group.is_some() { mode | 0o440 } else { mode }
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { n += count_files(&p) } else { n += 1 }
    }
    n
}

/// A writable volume directory (emptyDir, claim) with fsGroup applied as the kubelet applies it.
pub fn writable_dir(dir: &Path, fs_group: Option<u32>, on_root_mismatch: bool) -> PathBuf {
    if !dir.exists() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    if let Some(g) = fs_group {
        use std::os::unix::fs::MetadataExt;
        let md = std::fs::metadata(dir).unwrap();
        let matches = md.gid() == g && md.mode() & 0o2070 == 0o2070;
        if !(on_root_mismatch && matches) {
            apply_group(dir, g);
        }
    }
    dir.to_path_buf()
}

fn apply_group(p: &Path, g: u32) {
    let Ok(md) = std::fs::symlink_metadata(p) else { return };
    if md.file_type().is_symlink() {
        return;
    }
    let _ = chown(p, None, Some(g));
    let mode = md.permissions().mode() & 0o7777;
    let new = if md.is_dir() { mode | 0o2070 } else { mode | 0o060 | if mode & 0o100 != 0 { 0o010 } else { 0 } };
    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(new));
    if md.is_dir() {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            apply_group(&e.path(), g);
        }
    }
}

/// The real path a `subPath` names inside a volume (the kubelet resolves the links of atomic-writer volumes).
pub fn sub_path(volume: &Path, sub: &str) -> PathBuf {
    let p = volume.join(sub);
    if !p.exists() && volume.join("..data").exists() {
        panic!("subPath {sub} does not exist in {}", volume.display());
    }
    if !p.exists() {
        // A missing subPath of a writable volume is created as a directory (kubelet behaviour).
        std::fs::create_dir_all(&p).unwrap();
    }
    std::fs::canonicalize(p).unwrap()
}

/// Standard base64 (Secret `data`).
pub fn base64(s: &str) -> Option<Vec<u8>> {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | ABC.iter().position(|&x| x == c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
