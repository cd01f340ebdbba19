//! One container: its root filesystem, user, environment and mounts, as a container runtime sets them up (runc
//! through containerd), and the commands to start it and to run a command inside it (probes, `kubectl exec`).
//!
//! A container is `nsenter` into its pod's network, UTS and IPC namespaces, then `unshare` of a mount and a PID
//! namespace of its own (Kubernetes gives each container its own PID namespace unless shareProcessNamespace:
//! kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/), in which a generated shell script
//! assembles the root filesystem (`image.rs`: host /usr, /etc and /var with OpenNebula's layout over them),
//! bind-mounts the volumes, makes the root read-only when `readOnlyRootFilesystem`, `pivot_root`s into it and
//! executes the command with `setpriv` as the container's user and groups, with its capabilities bounding set,
//! `no_new_privs` when `allowPrivilegeEscalation: false`, and exactly its environment. The main process is PID 1
//! of its namespace: like in a container, it ignores signals it has no handler for, and when it exits the
//! kernel kills everything else in the container. Stand-ins, named: seccomp and AppArmor profiles are not
//! applied, resource limits are not enforced.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::sh::quote;

/// A bind mount into the container: host source, container path, read-only.
pub struct Mount {
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
}

/// Everything the runtime needs to create a container.
pub struct Spec {
    /// Scratch directory of this container instance (root filesystem and overlay layers are mounted here).
    pub dir: PathBuf,
    /// The image's layers over the host, top first.
    pub layers: Vec<PathBuf>,
    pub passwd: PathBuf,
    pub group: PathBuf,
    pub hosts: PathBuf,
    pub resolv: PathBuf,
    pub hostname: String,
    pub mounts: Vec<Mount>,
    pub read_only_root: bool,
    pub workdir: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    /// Capabilities kept in the bounding set ("all" when none is dropped).
    pub caps: Vec<String>,
    pub no_new_privs: bool,
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

/// The default capabilities of a container (containerd's and Docker's default set), when none are dropped.
pub const DEFAULT_CAPS: &[&str] = &[
    "chown",
    "dac_override",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "net_bind_service",
    "net_raw",
    "sys_chroot",
    "mknod",
    "audit_write",
    "setfcap",
];

impl Spec {
    /// `setpriv ... env -i ... COMMAND`: the user, privileges and environment of the container's processes. The
    /// parent-death signal (set after the user change, which would clear it) ends the container with its runtime
    /// process, so nothing outlives a test process that died.
    fn exec_prefix(&self) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "setpriv".into(),
            "--pdeathsig=KILL".into(),
            format!("--reuid={}", self.uid),
            format!("--regid={}", self.gid),
        ];
        if self.groups.is_empty() {
            v.push("--clear-groups".into());
        } else {
            v.push(format!("--groups={}", self.groups.iter().map(u32::to_string).collect::<Vec<_>>().join(",")));
        }
        let caps: String = std::iter::once("-all".to_string())
            .chain(self.caps.iter().map(|c| format!("+{c}")))
            .collect::<Vec<_>>()
            .join(",");
        v.push(format!("--bounding-set={caps}"));
        v.push(format!("--inh-caps={}", if self.uid == 0 { caps.clone() } else { "-all".into() }));
        if self.no_new_privs {
            v.push("--no-new-privs".into());
        }
        v.push("--".into());
        v.push("env".into());
        v.push("-i".into());
        v.extend(self.env.iter().map(|(k, val)| format!("{k}={val}")));
        v
    }

    /// The script that creates the container and executes its command (run as root in the new namespaces).
    pub fn create_script(&self) -> String {
        let r = self.dir.join("root");
        let l = self.dir.join("layers");
        std::fs::create_dir_all(&r).unwrap();
        std::fs::create_dir_all(&l).unwrap();
        let q = |p: &Path| quote(&p.display().to_string());
        let (rq, lq) = (q(&r), q(&l));
        let mut s = String::from("set -eu\n");
        let _ = writeln!(s, "mount -t tmpfs -o mode=0755 rootfs {rq}");
        let _ = writeln!(s, "mount -t tmpfs -o mode=0755 layers {lq}");
        // The image: OpenNebula's packaged layout over the host's Debian, one overlay per top directory. The
        // upper layers (on a tmpfs) take the mount points only; they are read-only with the root below.
        for d in ["usr", "etc", "var"] {
            let mut lowers: Vec<String> =
                self.layers.iter().map(|l| l.join(d)).filter(|l| l.is_dir()).map(|l| l.display().to_string()).collect();
            lowers.push(format!("/{d}"));
            let lowers = lowers.join(":");
            let _ = writeln!(
                s,
                "mkdir -p {rq}/{d} {lq}/{d}/u {lq}/{d}/w && mount -t overlay overlay -o {} {rq}/{d}",
                quote(&format!("lowerdir={lowers},upperdir={}/{d}/u,workdir={}/{d}/w", l.display(), l.display()))
            );
        }
        // Debian's merged /usr: /bin, /lib, /lib64 and /sbin are links into it.
        for e in std::fs::read_dir("/").unwrap().flatten() {
            if let Ok(target) = std::fs::read_link(e.path()) {
                let _ = writeln!(
                    s,
                    "ln -s {} {rq}/{}",
                    quote(&target.display().to_string()),
                    e.file_name().to_string_lossy()
                );
            }
        }
        s.push_str(&format!(
            "mkdir -p {rq}/proc {rq}/sys {rq}/dev {rq}/run/lock {rq}/tmp {rq}/root {rq}/home {rq}/mnt {rq}/opt \
             {rq}/srv {rq}/media {rq}/boot\nchmod 1777 {rq}/tmp {rq}/run/lock\nchmod 0700 {rq}/root\n"
        ));
        // The image's /run content (the packages' /run/one), then a minimal /dev as runc makes it.
        for layer in self.layers.iter().rev() {
            let run = layer.join("run");
            if run.is_dir() {
                let _ = writeln!(s, "cp -a {}/. {rq}/run/", q(&run));
            }
        }
        let _ = writeln!(s, "mount -t tmpfs -o mode=0755,nosuid dev {rq}/dev");
        for d in ["null", "zero", "full", "random", "urandom", "tty"] {
            let _ = writeln!(s, "touch {rq}/dev/{d} && mount --bind /dev/{d} {rq}/dev/{d}");
        }
        let _ = writeln!(
            s,
            "ln -s /proc/self/fd {rq}/dev/fd && ln -s /proc/self/fd/0 {rq}/dev/stdin && ln -s /proc/self/fd/1 \
             {rq}/dev/stdout && ln -s /proc/self/fd/2 {rq}/dev/stderr\nmkdir {rq}/dev/pts {rq}/dev/shm {rq}/dev/mqueue\n\
             mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts {rq}/dev/pts && ln -s pts/ptmx {rq}/dev/ptmx\n\
             mount -t tmpfs -o mode=1777,nosuid,nodev shm {rq}/dev/shm\nmount -t sysfs -o ro,nosuid,nodev,noexec sysfs {rq}/sys"
        );
        // Files the kubelet and the runtime manage in every container.
        for (src, dst) in [
            (&self.passwd, "etc/passwd"),
            (&self.group, "etc/group"),
            (&self.hosts, "etc/hosts"),
            (&self.resolv, "etc/resolv.conf"),
        ] {
            let _ = writeln!(s, "touch {rq}/{dst} && mount --bind {} {rq}/{dst}", q(src));
        }
        let _ = writeln!(s, "echo {} > {rq}/etc/hostname", quote(&self.hostname));
        // Volumes, parents before children (containerd sorts mounts by the depth of their destination).
        let mut mounts: Vec<&Mount> = self.mounts.iter().collect();
        mounts.sort_by_key(|m| m.target.trim_end_matches('/').matches('/').count());
        for m in mounts {
            let t = format!("{rq}{}", quote(&m.target));
            if m.source.is_dir() {
                let _ = writeln!(s, "mkdir -p {t}");
            } else {
                let _ = writeln!(s, "mkdir -p \"$(dirname {t})\" && touch {t}");
            }
            let _ = writeln!(s, "mount --bind {} {t}", q(&m.source));
            if m.read_only {
                let _ = writeln!(s, "mount -o remount,bind,ro {t}");
            }
        }
        let wd = quote(&self.workdir);
        let _ = writeln!(s, "mkdir -p {rq}{wd}");
        // Into the new root: the old one is detached (runc's pivot_root(".", ".") and lazy unmount).
        // (/proc first: umount reads /proc/self/mountinfo.)
        let _ =
            writeln!(s, "cd {rq}\npivot_root . .\nmount -t proc -o nosuid,nodev,noexec proc /proc\numount -l .\ncd /");
        if self.read_only_root {
            s.push_str("mount -o remount,ro /\nfor d in /usr /etc /var; do mount -o remount,ro \"$d\"; done\n");
        }
        let _ = writeln!(s, "cd {wd}");
        // runc gives the container's user its stdout and stderr (libcontainer/init_linux.go: fixStdioPermissions),
        // so a daemon can open /dev/stdout (a link to the pipe) after dropping root. Never /dev/null (fd 0).
        let _ = writeln!(s, "chown {}:{} /proc/self/fd/1 /proc/self/fd/2", self.uid, self.gid);
        let argv: Vec<String> = self.exec_prefix().iter().chain(&self.argv).map(|a| quote(a)).collect();
        let _ = writeln!(s, "exec {}", argv.join(" "));
        s
    }

    /// A command that runs `argv` inside the running container whose PID 1 is `pid` (host PID), as its user
    /// with its environment, in its working directory (what `kubectl exec` and exec probes do).
    pub fn exec_command(&self, pid: u32, argv: &[String]) -> Command {
        let mut c = Command::new("nsenter");
        c.args(["--target", &pid.to_string(), "--mount", "--pid", "--net", "--uts", "--ipc", "--wd", "--"]);
        c.args(self.exec_prefix()).args(argv);
        c
    }
}
