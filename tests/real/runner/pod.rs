//! A pod, run as the kubelet runs it (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/):
//! - volumes first; a pod whose Secret or ConfigMap does not exist yet waits (ContainerCreating);
//! - its network namespace (`net.rs`), then init containers one at a time, in order, each to completion; a failed
//!   one is retried (restartPolicy Always/OnFailure) or fails the pod (Never)
//!   (kubernetes.io/docs/concepts/workloads/pods/init-containers/);
//! - native sidecars (kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/, KEP-753
//!   kubernetes/enhancements@master:keps/sig-node/753-sidecar-containers/README.md; beta and on by default from
//!   Kubernetes 1.29, GA in 1.33): an init container with `restartPolicy: Always` is started in its place in the
//!   init order and left running; the next init container starts once it has *started* (its startupProbe
//!   succeeded, or at once without one); it is restarted whenever it exits, whatever the pod's restartPolicy, with
//!   the same back-off; its startup, liveness and readiness probes run, and its readiness counts for the pod's;
//!   when the regular containers are done (a Job's pod) or the pod is deleted, the sidecars are stopped after
//!   every regular container has exited, in the reverse order of their definition, with what remains of the
//!   grace period (at least the kubelet's minimum of 2 s: kubernetes/kubernetes@v1.33.0:
//!   pkg/kubelet/kuberuntime/kuberuntime_container.go, minimumGracePeriodInSeconds);
//! - then every container at once, each restarted after it exits according to `restartPolicy`, with the
//!   kubelet's back-off: 10 s, doubled each time, capped at 300 s, reset after 10 minutes of running
//!   (pod-lifecycle/#container-restarts);
//! - startup, liveness and readiness probes (`probes.rs`): liveness and readiness wait for the startup probe; a
//!   failed startup or liveness probe kills the container (with its grace period) and the restart policy
//!   applies; readiness decides whether the pod is Ready, hence in its Services' endpoints;
//! - deletion: SIGTERM to every container's main process, SIGKILL after `terminationGracePeriodSeconds`
//!   (default 30: pod-lifecycle/#pod-termination), then the sandbox and the emptyDir volumes go; claims stay;
//! - every container's stdout and stderr, one pipe (daemons open /dev/stdout), go to a log file per container,
//!   across restarts (`Cluster::logs`); kubelet events (probe failures, restarts) to `events.log` in the same
//!   directory.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde_json::json;

use super::Inner;
use super::container::{self, DEFAULT_CAPS, Mount};
use super::env;
use super::image::{IMAGE_PATH, IMAGE_UID, IMAGE_WORKDIR};
use super::probes::{self, ProbeState};
use super::sh::{children, signal, wait_for};
use super::volumes::{self, PodFacts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// What created the pod.
#[derive(Clone, Debug)]
pub enum Owner {
    StatefulSet { name: String, ordinal: u32 },
    Job(String),
    Deployment(String),
    Bare,
}

/// The observed state of one container.
#[derive(Default)]
pub struct ContainerState {
    /// Host PID of the container's PID 1 while it runs.
    pub pid: Option<u32>,
    pub spec: Option<Arc<container::Spec>>,
    pub restarts: u32,
    pub started: bool,
    pub ready: bool,
    pub last_exit: Option<i32>,
    /// No more restarts (restart policy) or the pod is going.
    pub finished: bool,
    pub waiting: Option<String>,
}

pub struct Pod {
    pub name: String,
    pub uid: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
    pub owner: Owner,
    pub ip: Ipv4Addr,
    pub hostname: String,
    pub dir: PathBuf,
    pub logs: PathBuf,
    pub phase: Mutex<Phase>,
    pub init_done: AtomicBool,
    pub containers: Mutex<BTreeMap<String, ContainerState>>,
    pub deleting: AtomicBool,
    pub gone: AtomicBool,
    /// Host PID of the pause process (the pod's network namespace) while the sandbox exists.
    pub net_pid: Mutex<Option<u32>>,
    /// Container PIDs the runner sent SIGKILL: unshare (util-linux 2.38) cannot re-raise SIGKILL and exits 1
    /// ("sigprocmask unblock failed"), so such an exit is reported as 137, as a runtime reports it.
    pub sigkilled: Mutex<std::collections::BTreeSet<u32>>,
    /// Native sidecars told to stop (the regular containers are done or the pod is going).
    sidecars_stop: Mutex<std::collections::BTreeSet<String>>,
    /// When the termination grace period of a pod being deleted ends (set when its deletion is first seen).
    term_deadline: Mutex<Option<Instant>>,
    inner: std::sync::Weak<Inner>,
}

/// A native sidecar: an init container with `restartPolicy: Always`.
pub fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// What a container is to its pod: how it stops, how it restarts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Sidecar,
}

/// A pod to create: what a controller (or a test) asks the kubelet to run.
pub struct NewPod {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
    pub owner: Owner,
}

impl Pod {
    pub fn start(inner: &Arc<Inner>, new: NewPod) -> Arc<Pod> {
        let NewPod { name, labels, annotations, spec, owner } = new;
        let name = name.as_str();
        let n = inner.instances.fetch_add(1, Ordering::SeqCst);
        let uid = format!("{}-{n:04}", inner.net.id);
        let dir = inner.dir.join("pods").join(format!("{name}.{n}"));
        let logs = inner.dir.join("logs").join(format!("{name}.{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&logs).unwrap();
        let hostname = spec.hostname.clone().unwrap_or_else(|| name.to_string());
        let containers = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten().filter(|c| is_sidecar(c)))
            .map(|c| (c.name.clone(), ContainerState::default()))
            .collect();
        let pod = Arc::new(Pod {
            name: name.into(),
            uid,
            namespace: inner.namespace.clone(),
            labels,
            annotations,
            spec,
            owner,
            ip: inner.net.pod_ip(),
            hostname,
            dir,
            logs,
            phase: Mutex::new(Phase::Pending),
            init_done: AtomicBool::new(false),
            containers: Mutex::new(containers),
            deleting: AtomicBool::new(false),
            gone: AtomicBool::new(false),
            net_pid: Mutex::new(None),
            sigkilled: Mutex::new(Default::default()),
            sidecars_stop: Mutex::new(Default::default()),
            term_deadline: Mutex::new(None),
            inner: Arc::downgrade(inner),
        });
        let p = pod.clone();
        let i = inner.clone();
        std::thread::Builder::new().name(format!("pod {name}")).spawn(move || pod_main(&i, &p)).unwrap();
        pod
    }

    pub fn phase(&self) -> Phase {
        *self.phase.lock().unwrap()
    }

    /// Ready: initialized and every container ready, native sidecars included (pod-lifecycle/#pod-conditions;
    /// sidecar-containers/: "the readiness of sidecar containers contributes to the pod's readiness").
    pub fn ready(&self) -> bool {
        !self.deleting.load(Ordering::SeqCst) && self.init_done.load(Ordering::SeqCst) && {
            let cs = self.containers.lock().unwrap();
            self.spec.containers.iter().chain(self.sidecars()).all(|c| cs.get(&c.name).is_some_and(|s| s.ready))
        }
    }

    /// The pod's native sidecars, in their order in the spec.
    pub fn sidecars(&self) -> impl Iterator<Item = &Container> {
        self.spec.init_containers.iter().flatten().filter(|c| is_sidecar(c))
    }

    /// The end of the termination grace period of a pod being deleted (fixed when first asked).
    fn deadline(&self) -> Instant {
        *self.term_deadline.lock().unwrap().get_or_insert_with(|| Instant::now() + self.grace())
    }

    fn stopping(&self, c: &Container, kind: Kind) -> bool {
        match kind {
            Kind::Regular => self.deleting.load(Ordering::SeqCst),
            Kind::Sidecar => self.sidecars_stop.lock().unwrap().contains(&c.name),
        }
    }

    pub fn event(&self, msg: &str) {
        let t = chrono_like();
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(self.logs.join("events.log")) {
            let _ = writeln!(f, "{t} {msg}");
        }
    }

    pub fn facts(&self, inner: &Inner) -> PodFacts<'_> {
        PodFacts {
            name: &self.name,
            namespace: &self.namespace,
            uid: &self.uid,
            labels: &self.labels,
            annotations: &self.annotations,
            service_account: self.spec.service_account_name.as_deref().unwrap_or("default"),
            pod_ip: self.ip.to_string(),
            host_ip: inner.net.gateway().to_string(),
            node_name: "node-0".into(),
        }
    }

    fn restart_policy(&self) -> &str {
        self.spec.restart_policy.as_deref().unwrap_or("Always")
    }

    fn grace(&self) -> Duration {
        Duration::from_secs(self.spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64)
    }

    /// Runs argv in a running container (`kubectl exec`): its output, or None after `timeout`.
    pub fn exec(&self, container: &str, argv: &[&str], timeout: Duration) -> Option<std::process::Output> {
        let (pid, spec) = {
            let cs = self.containers.lock().unwrap();
            let c = cs.get(container).unwrap_or_else(|| panic!("pod {} has no container {container}", self.name));
            (
                c.pid.unwrap_or_else(|| panic!("container {container} of {} is not running", self.name)),
                c.spec.clone().unwrap(),
            )
        };
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        super::sh::output_within(&mut spec.exec_command(pid, &argv), timeout)
    }
}

impl Pod {
    /// `exec`, or None when the container does not run (now, or any more before the command ends) or the
    /// command did not end within `timeout`: for scenarios that poll members that may be restarting.
    pub fn try_exec(&self, container: &str, argv: &[&str], timeout: Duration) -> Option<std::process::Output> {
        if self.gone.load(Ordering::SeqCst) {
            return None;
        }
        let (pid, spec) = {
            let cs = self.containers.lock().unwrap();
            let c = cs.get(container)?;
            (c.pid?, c.spec.clone()?)
        };
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        super::sh::output_within(&mut spec.exec_command(pid, &argv), timeout)
    }
}

pub fn chrono_like() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let s = d.as_secs() % 86400;
    format!("{:02}:{:02}:{:02}.{:03}", s / 3600, s % 3600 / 60, s % 60, d.subsec_millis())
}

fn pod_main(inner: &Arc<Inner>, pod: &Arc<Pod>) {
    // Volumes (kubelet: before the sandbox's containers start).
    let mut tokens = BTreeMap::new();
    let vols = loop {
        match materialize(inner, pod, &mut tokens) {
            Ok(v) => break v,
            Err(e) => {
                pod.event(&format!("ContainerCreating: {e}"));
                if sleep_unless_deleting(pod, Duration::from_secs(2)) {
                    finish(inner, pod, None);
                    return;
                }
            }
        }
    };
    let net = inner.net.start_pod(&pod.hostname, pod.ip);
    *pod.net_pid.lock().unwrap() = Some(net.pid);
    super::services::write_hosts(inner, pod);
    register(inner, pod);
    *pod.phase.lock().unwrap() = Phase::Pending;
    pod.event(&format!("sandbox up: {} ({})", pod.ip, pod.hostname));

    // Init containers, in order, each to completion; a native sidecar is started and left running.
    let mut sidecars: Vec<(String, std::thread::JoinHandle<()>)> = Vec::new();
    for c in pod.spec.init_containers.iter().flatten() {
        if is_sidecar(c) {
            let (i, p, cc, v, np) = (inner.clone(), pod.clone(), c.clone(), vols.clone(), net.pid);
            let handle = std::thread::Builder::new()
                .name(format!("{} {}", pod.name, c.name))
                .spawn(move || supervise(&i, &p, &cc, &v, np, Kind::Sidecar))
                .unwrap();
            sidecars.push((c.name.clone(), handle));
            // The next init container starts once this one has started (startup probe passed, or running).
            loop {
                if pod.deleting.load(Ordering::SeqCst) {
                    stop_sidecars(pod, sidecars);
                    finish(inner, pod, Some(net));
                    return;
                }
                if pod.containers.lock().unwrap().get(&c.name).is_some_and(|s| s.started) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            continue;
        }
        let mut restarts = 0;
        loop {
            if pod.deleting.load(Ordering::SeqCst) {
                stop_sidecars(pod, sidecars);
                finish(inner, pod, Some(net));
                return;
            }
            // The kubelet syncs a pod's Secret and ConfigMap volumes in every phase, also while an init container
            // is retried (a fixed Secret is what lets it pass): refreshed before each retry.
            if restarts > 0 {
                let _ = refresh_volumes(inner, pod, &mut tokens);
            }
            let code = match launch(inner, pod, c, &vols, net.pid, restarts) {
                Ok(mut run) => watch(inner, pod, c, &mut run, false, Kind::Regular),
                Err(e) => {
                    pod.event(&format!("init container {}: {e}", c.name));
                    Some(-1)
                }
            };
            match code {
                Some(0) => break,
                None => {
                    stop_sidecars(pod, sidecars);
                    finish(inner, pod, Some(net));
                    return;
                }
                Some(code) => {
                    pod.event(&format!("init container {} exited with {code}", c.name));
                    if pod.restart_policy() == "Never" {
                        *pod.phase.lock().unwrap() = Phase::Failed;
                        stop_sidecars(pod, sidecars);
                        wait_deleted(inner, pod, Some(net), &vols, &mut tokens);
                        return;
                    }
                    if sleep_unless_deleting(pod, backoff(restarts)) {
                        stop_sidecars(pod, sidecars);
                        finish(inner, pod, Some(net));
                        return;
                    }
                    restarts += 1;
                }
            }
        }
    }
    pod.init_done.store(true, Ordering::SeqCst);
    *pod.phase.lock().unwrap() = Phase::Running;
    inner.dirty.store(true, Ordering::SeqCst);

    let mut supervisors = Vec::new();
    for c in &pod.spec.containers {
        let (i, p, c, v, np) = (inner.clone(), pod.clone(), c.clone(), vols.clone(), net.pid);
        supervisors.push(
            std::thread::Builder::new()
                .name(format!("{} {}", pod.name, c.name))
                .spawn(move || supervise(&i, &p, &c, &v, np, Kind::Regular))
                .unwrap(),
        );
    }
    let mut last_refresh = Instant::now();
    loop {
        if pod.deleting.load(Ordering::SeqCst) {
            break;
        }
        let (all_finished, ok) = {
            let cs = pod.containers.lock().unwrap();
            let mine = || pod.spec.containers.iter().filter_map(|c| cs.get(&c.name));
            (mine().all(|c| c.finished), mine().all(|c| c.last_exit == Some(0)))
        };
        if all_finished {
            *pod.phase.lock().unwrap() = if ok { Phase::Succeeded } else { Phase::Failed };
            pod.event(&format!("pod {}", if ok { "Succeeded" } else { "Failed" }));
            break;
        }
        if last_refresh.elapsed() > Duration::from_secs(10) {
            let _ = refresh_volumes(inner, pod, &mut tokens);
            last_refresh = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    for s in supervisors {
        let _ = s.join();
    }
    // The sidecars outlive the regular containers, then go too (a Job's pod completes without them).
    stop_sidecars(pod, sidecars);
    wait_deleted(inner, pod, Some(net), &vols, &mut tokens);
}

/// Stops the native sidecars once the regular containers are done: one after the other, the last defined first
/// (sidecar-containers/#termination-of-sidecar-containers), each within what remains of the grace period.
fn stop_sidecars(pod: &Pod, mut sidecars: Vec<(String, std::thread::JoinHandle<()>)>) {
    while let Some((name, handle)) = sidecars.pop() {
        pod.sidecars_stop.lock().unwrap().insert(name);
        let _ = handle.join();
    }
}

/// A finished pod keeps its record (phase, logs) until deleted; its sandbox goes at once.
fn wait_deleted(
    inner: &Arc<Inner>,
    pod: &Arc<Pod>,
    net: Option<super::net::PodNet>,
    _vols: &BTreeMap<String, PathBuf>,
    _tokens: &mut BTreeMap<String, String>,
) {
    drop(net);
    *pod.net_pid.lock().unwrap() = None;
    inner.dirty.store(true, Ordering::SeqCst);
    while !pod.deleting.load(Ordering::SeqCst) && !inner.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(250));
    }
    finish(inner, pod, None);
}

fn finish(inner: &Arc<Inner>, pod: &Arc<Pod>, net: Option<super::net::PodNet>) {
    drop(net);
    *pod.net_pid.lock().unwrap() = None;
    // emptyDir volumes and the containers' scratch directories go with the pod; claims stay.
    let _ = std::fs::remove_dir_all(&pod.dir);
    inner.api.delete("v1", "Pod", &pod.name);
    pod.event("deleted");
    pod.gone.store(true, Ordering::SeqCst);
    inner.dirty.store(true, Ordering::SeqCst);
}

fn sleep_unless_deleting(pod: &Pod, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if pod.deleting.load(Ordering::SeqCst) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pod.deleting.load(Ordering::SeqCst)
}

/// The kubelet's restart back-off after `restarts` restarts: 10 s doubled, capped at 300 s.
fn backoff(restarts: u32) -> Duration {
    Duration::from_secs((10u64 << restarts.min(5)).min(300))
}

/// The pod object in the API (labels there are the truth for Service selectors: scripts patch them).
fn register(inner: &Inner, pod: &Pod) {
    let mut spec = serde_json::to_value(&pod.spec).unwrap();
    spec["nodeName"] = json!("node-0");
    let obj = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid, "labels": pod.labels,
                     "annotations": pod.annotations},
        "spec": spec,
        "status": {"phase": "Pending", "podIP": pod.ip.to_string(), "podIPs": [{"ip": pod.ip.to_string()}],
                   "hostIP": inner.net.gateway().to_string()},
    });
    inner.api.apply(&obj);
}

fn materialize(
    inner: &Inner,
    pod: &Pod,
    tokens: &mut BTreeMap<String, String>,
) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut out = BTreeMap::new();
    let sc = pod.spec.security_context.as_ref();
    let fs_group = sc.and_then(|s| s.fs_group).map(|g| g as u32);
    let on_mismatch = sc.and_then(|s| s.fs_group_change_policy.as_deref()) == Some("OnRootMismatch");
    let facts = pod.facts(inner);
    for v in pod.spec.volumes.iter().flatten() {
        let dir = pod.dir.join("volumes").join(&v.name);
        let mut token = |sa: &str| tokens.entry(sa.to_string()).or_insert_with(|| inner.api.token(sa)).clone();
        if let Some(files) = volumes::projected_files(&inner.api, &facts, v, &mut token)? {
            volumes::write_atomic(&dir, &files, fs_group);
            out.insert(v.name.clone(), dir);
        } else if v.empty_dir.is_some() {
            out.insert(v.name.clone(), volumes::writable_dir(&dir, fs_group, false));
        } else if let Some(claim) = &v.persistent_volume_claim {
            let d = inner.dir.join("claims").join(&claim.claim_name);
            if !d.exists() {
                return Err(format!("PersistentVolumeClaim {} not found", claim.claim_name));
            }
            out.insert(v.name.clone(), volumes::writable_dir(&d, fs_group, on_mismatch));
        } else if let Some(h) = &v.host_path {
            out.insert(v.name.clone(), PathBuf::from(&h.path));
        } else {
            panic!("volume {} of pod {}: kind not supported by the runner", v.name, pod.name);
        }
    }
    Ok(out)
}

fn refresh_volumes(inner: &Inner, pod: &Pod, tokens: &mut BTreeMap<String, String>) -> Result<(), String> {
    let fs_group = pod.spec.security_context.as_ref().and_then(|s| s.fs_group).map(|g| g as u32);
    let facts = pod.facts(inner);
    for v in pod.spec.volumes.iter().flatten() {
        let mut token = |sa: &str| tokens.entry(sa.to_string()).or_insert_with(|| inner.api.token(sa)).clone();
        if let Some(files) = volumes::projected_files(&inner.api, &facts, v, &mut token)?
            && volumes::write_atomic(&pod.dir.join("volumes").join(&v.name), &files, fs_group)
        {
            pod.event(&format!("volume {} updated", v.name));
        }
    }
    Ok(())
}

/// A started container instance.
struct Running {
    child: Child,
    pid: u32,
    started: Instant,
}

fn launch(
    inner: &Inner,
    pod: &Pod,
    c: &Container,
    vols: &BTreeMap<String, PathBuf>,
    net_pid: u32,
    restarts: u32,
) -> Result<Running, String> {
    // An image pull the test holds (Cluster::hold_image_pull): the container waits, as on a slow node.
    let held = || inner.state.lock().unwrap().held.contains(&(pod.name.clone(), c.name.clone()));
    if held() {
        pod.event(&format!("container {}: Waiting (ContainerCreating): pulling its image, held by the test", c.name));
        while held() && !pod.deleting.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(200));
        }
        pod.event(&format!("container {}: image pulled", c.name));
    }
    let psc = pod.spec.security_context.as_ref();
    let csc = c.security_context.as_ref();
    let uid = csc.and_then(|s| s.run_as_user).or(psc.and_then(|s| s.run_as_user)).map_or(IMAGE_UID, |u| u as u32);
    let gid = csc.and_then(|s| s.run_as_group).or(psc.and_then(|s| s.run_as_group)).map_or(IMAGE_UID, |g| g as u32);
    let non_root = csc.and_then(|s| s.run_as_non_root).or(psc.and_then(|s| s.run_as_non_root)) == Some(true);
    if non_root && uid == 0 {
        return Err("CreateContainerConfigError: container has runAsNonRoot and image will run as root".into());
    }
    let mut groups: Vec<u32> =
        psc.and_then(|s| s.supplemental_groups.clone()).unwrap_or_default().into_iter().map(|g| g as u32).collect();
    if let Some(g) = psc.and_then(|s| s.fs_group) {
        groups.push(g as u32);
    }
    groups.sort();
    groups.dedup();
    let caps = csc.and_then(|s| s.capabilities.as_ref());
    let drop: Vec<String> =
        caps.and_then(|c| c.drop.clone()).unwrap_or_default().iter().map(|s| s.to_lowercase()).collect();
    let add: Vec<String> =
        caps.and_then(|c| c.add.clone()).unwrap_or_default().iter().map(|s| s.to_lowercase()).collect();
    let mut kept: Vec<String> = if drop.iter().any(|d| d == "all") {
        vec![]
    } else {
        DEFAULT_CAPS.iter().map(|s| s.to_string()).filter(|c| !drop.contains(c)).collect()
    };
    kept.extend(add.into_iter().map(|a| a.trim_start_matches("cap_").to_string()));
    let privileged = csc.and_then(|s| s.privileged) == Some(true);
    let no_new_privs = csc.and_then(|s| s.allow_privilege_escalation) == Some(false);
    let services = super::services::env_services(inner);
    let links = pod.spec.enable_service_links != Some(false);
    let home = if uid == 0 {
        "/root"
    } else if uid == IMAGE_UID {
        "/var/lib/one"
    } else {
        "/"
    };
    let env = env::build(c, &pod.facts(inner), &inner.api, &services, links, home, &pod.hostname, IMAGE_PATH)?;
    let image = super::image::image_for(inner, c.image.as_deref().unwrap_or_default());
    // `command` replaces the image's ENTRYPOINT, `args` its CMD; a `command` without `args` drops the CMD
    // (kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#notes).
    let mut argv: Vec<String> = c.command.clone().unwrap_or_else(|| image.entrypoint.clone());
    argv.extend(c.args.clone().unwrap_or_else(|| if c.command.is_some() { vec![] } else { image.cmd.clone() }));
    if argv.is_empty() {
        return Err(format!("container {} has no command, and the image has no entrypoint", c.name));
    }
    let argv = argv.iter().map(|a| env::expand(a, &env)).collect();
    let mut mounts = Vec::new();
    for m in c.volume_mounts.iter().flatten() {
        let src = vols.get(&m.name).ok_or_else(|| format!("no volume {} for mount {}", m.name, m.mount_path))?;
        let source = match m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            Some(sub) => volumes::sub_path(src, sub),
            None => src.clone(),
        };
        mounts.push(Mount { source, target: m.mount_path.clone(), read_only: m.read_only == Some(true) });
    }
    let cdir = pod.dir.join("containers").join(format!("{}.{restarts}", c.name));
    std::fs::create_dir_all(&cdir).unwrap();
    let spec = container::Spec {
        dir: cdir.clone(),
        layers: vec![image.layer.clone(), image.root.clone()],
        passwd: image.passwd.clone(),
        group: image.group.clone(),
        hosts: pod.dir.join("hosts"),
        resolv: inner.dir.join("resolv.conf"),
        hostname: pod.hostname.clone(),
        mounts,
        read_only_root: csc.and_then(|s| s.read_only_root_filesystem) == Some(true),
        workdir: c.working_dir.clone().unwrap_or_else(|| IMAGE_WORKDIR.into()),
        uid,
        gid,
        groups,
        caps: if privileged { vec![] } else { kept },
        no_new_privs,
        env,
        argv,
    };
    let script = cdir.join("create.sh");
    std::fs::write(&script, spec.create_script()).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    let ns = |k: &str| format!("--{k}=/proc/{net_pid}/ns/{k}");
    let child = Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "--", "nsenter", &ns("net"), &ns("uts"), &ns("ipc"), "--"])
        .args(["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--kill-child", "--", "/bin/sh"])
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .map_err(|e| format!("starting container {}: {e}", c.name))?;
    // The log: everything the container writes, as the runtime's log file keeps it.
    let log = pod.logs.join(format!("{}.log", c.name));
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
    let _ = writeln!(
        file,
        "---- onechart runner: container {} started (restart {restarts}) at {} ----",
        c.name,
        chrono_like()
    );
    std::thread::spawn(move || {
        let mut reader = reader;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = file.write_all(&buf[..n]);
        }
    });
    let upid = child.id();
    let mut child = child;
    let pid = match wait_for_child(upid, &mut child) {
        Some(p) => p,
        None => {
            let status = child.wait().unwrap();
            return Err(format!("container {} could not be created (exit {status:?}): see its log", c.name));
        }
    };
    let spec = Arc::new(spec);
    {
        let mut cs = pod.containers.lock().unwrap();
        if let Some(s) = cs.get_mut(&c.name) {
            s.pid = Some(pid);
            s.spec = Some(spec.clone());
            s.restarts = restarts;
            s.waiting = None;
        } else {
            // Init containers are tracked while they run, under their own name.
            cs.insert(
                c.name.clone(),
                ContainerState {
                    pid: Some(pid),
                    spec: Some(spec.clone()),
                    restarts,
                    finished: true,
                    ready: true,
                    ..Default::default()
                },
            );
        }
    }
    pod.event(&format!("container {} started: pid {pid}", c.name));
    Ok(Running { child, pid, started: Instant::now() })
}

/// The PID 1 of the container: unshare's child.
fn wait_for_child(upid: u32, child: &mut Child) -> Option<u32> {
    let start = Instant::now();
    loop {
        // unshare (after nsenter exec'd it) forks the container's PID 1.
        if let Some(&p) = children(upid).first() {
            return Some(p);
        }
        if child.try_wait().ok().flatten().is_some() || start.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Watches a running container until it exits (its exit code), or the pod is deleted (None). Runs its probes
/// when `probed`.
fn watch(inner: &Inner, pod: &Pod, c: &Container, run: &mut Running, probed: bool, kind: Kind) -> Option<i32> {
    let mut startup = c.startup_probe.as_ref().filter(|_| probed).map(|p| ProbeState::new(p, run.started));
    let mut liveness = c.liveness_probe.as_ref().filter(|_| probed).map(|p| ProbeState::new(p, run.started));
    let mut readiness = c.readiness_probe.as_ref().filter(|_| probed).map(|p| ProbeState::new(p, run.started));
    let mut started = startup.is_none();
    let ports = c.ports.clone().unwrap_or_default();
    let spec = pod.containers.lock().unwrap()[&c.name].spec.clone().unwrap();
    let pid = run.pid;
    let exec = |argv: &[String]| spec.exec_command(pid, argv);
    let set = |f: &dyn Fn(&mut ContainerState)| {
        if let Some(s) = pod.containers.lock().unwrap().get_mut(&c.name) {
            f(s);
        }
        inner.dirty.store(true, Ordering::SeqCst);
    };
    if probed {
        set(&|s| {
            s.started = started;
            s.ready = started && c.readiness_probe.is_none();
        });
    }
    loop {
        if let Some(status) = run.child.try_wait().unwrap() {
            let mut code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            if code == 1 && pod.sigkilled.lock().unwrap().contains(&run.pid) {
                code = 137;
            }
            set(&|s| {
                s.pid = None;
                s.ready = false;
                s.started = false;
                s.last_exit = Some(code);
            });
            pod.event(&format!("container {} exited with {code}", c.name));
            return Some(code);
        }
        if pod.stopping(c, kind) {
            // A regular container gets the whole grace period; a sidecar, stopped after them, what remains of it,
            // and at least the kubelet's minimum (2 s).
            let grace = match kind {
                Kind::Regular => {
                    let _ = pod.deadline();
                    pod.grace()
                }
                Kind::Sidecar => pod.deadline().saturating_duration_since(Instant::now()).max(Duration::from_secs(2)),
            };
            terminate(pod, c, run, grace);
            set(&|s| {
                s.pid = None;
                s.ready = false;
            });
            return None;
        }
        let mut kill_reason = None;
        if !started {
            if let Some(p) = startup.as_mut().filter(|p| p.due()) {
                let (ok, why) = probes::run(&p.probe, pod.ip, &ports, &exec, p.timeout());
                match p.record(ok) {
                    Some(true) => {
                        started = true;
                        set(&|s| {
                            s.started = true;
                            s.ready = c.readiness_probe.is_none();
                        });
                        pod.event(&format!("container {}: startup probe succeeded", c.name));
                    }
                    Some(false) => kill_reason = Some(format!("startup probe failed: {why}")),
                    None if !ok => pod.event(&format!("container {}: startup probe failed: {why}", c.name)),
                    None => {}
                }
            }
        } else {
            if let Some(p) = liveness.as_mut().filter(|p| p.due()) {
                let (ok, why) = probes::run(&p.probe, pod.ip, &ports, &exec, p.timeout());
                if !ok {
                    pod.event(&format!("container {}: liveness probe failed: {why}", c.name));
                }
                if p.record(ok) == Some(false) {
                    kill_reason = Some(format!("liveness probe failed: {why}"));
                }
            }
            if let Some(p) = readiness.as_mut().filter(|p| p.due()) {
                let (ok, why) = probes::run(&p.probe, pod.ip, &ports, &exec, p.timeout());
                let was = pod.containers.lock().unwrap()[&c.name].ready;
                match p.record(ok) {
                    Some(r) if r != was => {
                        set(&|s| s.ready = r);
                        pod.event(&format!(
                            "container {}: {}",
                            c.name,
                            if r { "ready".to_string() } else { format!("not ready: {why}") }
                        ));
                    }
                    _ => {}
                }
            }
        }
        if let Some(reason) = kill_reason {
            pod.event(&format!("container {}: {reason}: killing it", c.name));
            let probe = if started { &liveness } else { &startup };
            let grace = probe
                .as_ref()
                .and_then(|p| p.probe.termination_grace_period_seconds)
                .map_or(pod.grace(), |g| Duration::from_secs(g as u64));
            terminate(pod, c, run, grace);
            // The exit is then seen by the loop, like any other exit.
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// SIGTERM to the container's main process, SIGKILL after the grace period.
fn terminate(pod: &Pod, c: &Container, run: &mut Running, grace: Duration) {
    signal(run.pid, "TERM");
    let end = Instant::now() + grace;
    while Instant::now() < end {
        if run.child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pod.event(&format!("container {}: still running after {grace:?}: SIGKILL", c.name));
    pod.sigkilled.lock().unwrap().insert(run.pid);
    signal(run.pid, "KILL");
    let _ = run.child.kill();
    let _ = run.child.wait();
}

fn supervise(
    inner: &Arc<Inner>,
    pod: &Arc<Pod>,
    c: &Container,
    vols: &BTreeMap<String, PathBuf>,
    net_pid: u32,
    kind: Kind,
) {
    let mut restarts = 0u32;
    let mut exp = 0u32;
    let stopping = || pod.stopping(c, kind);
    loop {
        if stopping() {
            break;
        }
        let code = match launch(inner, pod, c, vols, net_pid, restarts) {
            Ok(mut run) => {
                let code = watch(inner, pod, c, &mut run, true, kind);
                if run.started.elapsed() > Duration::from_secs(600) {
                    exp = 0;
                }
                code
            }
            Err(e) => {
                pod.event(&format!("container {}: {e}", c.name));
                if let Some(s) = pod.containers.lock().unwrap().get_mut(&c.name) {
                    s.waiting = Some(e);
                }
                Some(-1)
            }
        };
        let Some(code) = code else { break };
        // A sidecar is restarted whatever the pod's restart policy.
        let again = kind == Kind::Sidecar
            || match pod.restart_policy() {
                "Never" => false,
                "OnFailure" => code != 0,
                _ => true,
            };
        if !again {
            break;
        }
        let delay = backoff(exp);
        pod.event(&format!("container {}: back-off {delay:?} before restart {}", c.name, restarts + 1));
        exp += 1;
        let end = Instant::now() + delay;
        while Instant::now() < end && !stopping() {
            std::thread::sleep(Duration::from_millis(100));
        }
        if stopping() {
            break;
        }
        restarts += 1;
    }
    if let Some(s) = pod.containers.lock().unwrap().get_mut(&c.name) {
        s.finished = true;
        s.ready = false;
        s.pid = None;
    }
    inner.dirty.store(true, Ordering::SeqCst);
}

/// Marks a pod for deletion and waits until it is gone (containers stopped, sandbox and emptyDirs removed).
pub fn delete(pod: &Pod, timeout: Duration) {
    pod.deleting.store(true, Ordering::SeqCst);
    wait_for(&format!("pod {} to terminate", pod.name), timeout, Duration::from_millis(100), || {
        pod.gone.load(Ordering::SeqCst).then_some(())
    });
    if let Some(i) = pod.inner.upgrade() {
        i.dirty.store(true, Ordering::SeqCst);
    }
}
