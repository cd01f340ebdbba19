//! The pod runner: runs the pods of a rendered chart on this machine as Kubernetes would (see README.md in
//! tests/real for the API). One `Cluster` per test: its own bridge and addresses, API server, pods, volumes and
//! logs in a temporary directory; dropping it (also on panic) stops every process and removes everything, and
//! prints every container's log when the test failed.
// The API is for every scenario; not each uses all of it.
#![allow(dead_code)]

pub mod api;
pub mod container;
pub mod deployments;
pub mod env;
pub mod helm;
pub mod image;
pub mod net;
pub mod pod;
pub mod probes;
pub mod services;
pub mod sh;
pub mod volumes;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, Service, Volume};
use serde_json::{Value, json};

use api::ApiServer;
use image::Image;
use net::Network;
pub use pod::{NewPod, Owner, Phase, Pod};
use services::Svc;

/// Shared by the cluster's threads.
pub struct Inner {
    pub dir: PathBuf,
    pub namespace: String,
    pub net: Network,
    pub api: ApiServer,
    /// The image stand-in of the cluster's release; containers whose image tag names another release get that
    /// release's (`image_for`), so an upgrade runs the new release's layout.
    pub image: Arc<Image>,
    pub images: Mutex<BTreeMap<String, Arc<Image>>>,
    pub state: Mutex<State>,
    pub pods: Mutex<BTreeMap<String, Arc<Pod>>>,
    pub stop: AtomicBool,
    /// Endpoints may have changed: /etc/hosts files are rewritten.
    pub dirty: AtomicBool,
    pub instances: AtomicU32,
}

#[derive(Default)]
pub struct State {
    /// Deployments by name, as applied (the controller in `deployments.rs` keeps their pods).
    pub deployments: BTreeMap<String, Value>,
    /// Containers (pod, container) whose image pull the test holds (`Cluster::hold_image_pull`).
    pub held: BTreeSet<(String, String)>,
    pub services: BTreeMap<String, Svc>,
    /// Pod labels as the API has them (scripts relabel pods).
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Pairs of pods cut from each other.
    pub cuts: BTreeSet<(String, String)>,
    pub statefulsets: BTreeMap<String, StatefulSet>,
    /// StatefulSets whose controller is paused (`Cluster::pause_statefulset`).
    pub paused: BTreeSet<String>,
    /// Roll-outs under way: StatefulSet name and the generation of its template being rolled out (a newer
    /// template takes the roll-out over).
    pub rolling: BTreeMap<String, u64>,
    pub generation: u64,
}

/// A test cluster. See tests/real/README.md.
pub struct Cluster {
    pub inner: Arc<Inner>,
    controller: Option<std::thread::JoinHandle<()>>,
    _tmp: tempfile::TempDir,
}

/// Fails (never skips) when the tier cannot run here.
pub fn preflight() {
    let uid = sh::text(&sh::run(Command::new("id").arg("-u")).stdout);
    assert_eq!(uid.trim(), "0", "the real-OpenNebula tier needs root (namespaces, mounts, veth pairs): run it as root");
    let tools = ["nsenter", "unshare", "setpriv", "ip", "mount", "pivot_root", "openssl", "python3", "curl", "kill"];
    // ssh and ssh-keygen: the hypervisor outside the cluster (scenarios::Outside).
    for tool in tools.iter().chain(&["ssh", "ssh-keygen", "bash"]) {
        assert!(
            sh::try_run(Command::new("sh").args(["-c", &format!("command -v {tool}")])),
            "{tool} is missing (Debian packages util-linux, iproute2, openssl, python3, curl, openssh-client, bash)"
        );
    }
}

impl Cluster {
    /// A new, empty cluster with namespace `namespace`, running the image stand-in of OpenNebula `release`.
    pub fn new(release: &str, namespace: &str) -> Cluster {
        Cluster::with_image(namespace, |dir| Image::new(release, &dir.join("image")))
    }

    /// A new cluster whose image stand-in `image` makes (given the cluster's directory).
    pub fn with_image(namespace: &str, image: impl FnOnce(&Path) -> Image) -> Cluster {
        preflight();
        remove_stale_dirs();
        let tmp = tempfile::Builder::new().prefix("onechart-real-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::write(dir.join("owner-pid"), std::process::id().to_string()).unwrap();
        let image = image(&dir);
        let net = Network::new();
        let api_ip = net.service_ip();
        let api = ApiServer::start(&dir.join("api"), api_ip, namespace);
        std::fs::write(
            dir.join("resolv.conf"),
            format!("search {namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n"),
        )
        .unwrap();
        let inner = Arc::new(Inner {
            dir,
            namespace: namespace.into(),
            net,
            api,
            image: Arc::new(image),
            images: Mutex::new(BTreeMap::new()),
            state: Mutex::new(State::default()),
            pods: Mutex::new(BTreeMap::new()),
            stop: AtomicBool::new(false),
            dirty: AtomicBool::new(true),
            instances: AtomicU32::new(0),
        });
        // What the control plane makes in every namespace: the root CA ConfigMap and the default ServiceAccount
        // (kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts; kube-root-ca.crt:
        // kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#root-ca-certificate-configmap).
        inner.api.apply(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt"},
                                "data": {"ca.crt": inner.api.ca()}}));
        inner.api.apply(&json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}));
        let i = inner.clone();
        let controller = std::thread::Builder::new().name("controllers".into()).spawn(move || controllers(&i)).unwrap();
        Cluster { inner, controller: Some(controller), _tmp: tmp }
    }

    pub fn api(&self) -> &ApiServer {
        &self.inner.api
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Creates an object as `kubectl apply`/Helm would, and acts on it as the controllers would: a Service gets
    /// its ClusterIP and proxy, a StatefulSet its pods and claims, a claim its directory, a bare Pod runs.
    pub fn apply(&self, obj: &Value) {
        let (_, kind, name) = api::ids(obj);
        let mut obj = obj.clone();
        if kind == "Service" {
            let service: Service = serde_json::from_value(obj.clone()).unwrap();
            let spec = service.spec.clone().unwrap_or_default();
            let headless = spec.cluster_ip.as_deref() == Some("None");
            let balanced = spec.type_.as_deref() == Some("LoadBalancer");
            // An existing Service keeps its ClusterIP, load balancer and proxies (a port or an address it did not
            // have gets one).
            let (old_ip, old_external, old_ports) = match self.inner.state.lock().unwrap().services.get(&name) {
                Some(old) => {
                    (old.ip, old.external, old.service.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default())
                }
                None => (None, None, vec![]),
            };
            let ip = (!headless).then(|| old_ip.unwrap_or_else(|| self.inner.net.service_ip()));
            let external =
                (balanced && ip.is_some()).then(|| old_external.unwrap_or_else(|| self.inner.net.external_ip()));
            for p in spec.ports.clone().unwrap_or_default() {
                let udp = p.protocol.as_deref() == Some("UDP");
                let had = old_ports.iter().any(|o| o.port == p.port && o.protocol == p.protocol);
                if let Some(ip) = ip
                    && !had
                {
                    services::proxy(&self.inner, &name, ip, p.port, udp);
                }
                if let Some(e) = external
                    && (!had || old_external.is_none())
                {
                    services::proxy(&self.inner, &name, e, p.port, udp);
                }
            }
            if let Some(ip) = ip {
                obj["spec"]["clusterIP"] = json!(ip.to_string());
            }
            if let Some(e) = external {
                obj["status"] = json!({"loadBalancer": {"ingress": [{"ip": e.to_string()}]}});
            } else {
                obj["status"] = json!({"loadBalancer": {}});
            }
            self.inner
                .state
                .lock()
                .unwrap()
                .services
                .insert(name.clone(), Svc { name: name.clone(), service, ip, external });
            self.inner.dirty.store(true, Ordering::SeqCst);
        }
        self.inner.api.apply(&obj);
        match kind.as_str() {
            "StatefulSet" => {
                let sts: StatefulSet = serde_json::from_value(obj.clone()).unwrap();
                let mut state = self.inner.state.lock().unwrap();
                let old = state.statefulsets.insert(name.clone(), sts.clone());
                if old.is_some_and(|o| o.spec.template != sts.spec.template) {
                    state.generation += 1;
                    let generation = state.generation;
                    state.rolling.insert(name.clone(), generation);
                    drop(state);
                    let inner = self.inner.clone();
                    std::thread::Builder::new()
                        .name(format!("roll-out {name}"))
                        .spawn(move || roll_out(&inner, &sts, generation))
                        .unwrap();
                }
            }
            "PersistentVolumeClaim" => self.claim(&name),
            "Deployment" => {
                self.inner.state.lock().unwrap().deployments.insert(name.clone(), obj.clone());
            }
            "Pod" => {
                self.start_pod(new_pod(&name, &obj["metadata"], &obj["spec"], Owner::Bare));
            }
            _ => {}
        }
    }

    /// Waits until every StatefulSet roll-out is done (each pod made again and Ready), as `helm upgrade --wait`
    /// and `kubectl rollout status` do.
    pub fn wait_rolled_out(&self, timeout: Duration) {
        sh::wait_for("the StatefulSet roll-outs", timeout, Duration::from_millis(500), || {
            self.inner.state.lock().unwrap().rolling.is_empty().then_some(())
        });
    }

    /// A claim's volume directory (dynamic provisioning: made at once, kept until the test ends).
    pub fn claim(&self, name: &str) {
        claim_dir(&self.inner, name);
    }

    /// A claim whose volume holds `size` bytes (tmpfs `size=` syntax: `4m`, `512k`) and no more: writing past it
    /// fails with ENOSPC, as on a full volume. Call it before anything makes the claim (before `install` for a
    /// chart's claim: the chart's PersistentVolumeClaim then binds to it). Stand-in: a tmpfs (memory) mounted at
    /// the claim's directory, unmounted when the cluster goes.
    pub fn claim_sized(&self, name: &str, size: &str) {
        let d = self.inner.dir.join("claims").join(name);
        assert!(!d.exists(), "claim {name} exists already: size it before anything makes it");
        std::fs::create_dir_all(&d).unwrap();
        sh::run(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0777"), "onechart-claim"])
                .arg(&d),
        );
        self.inner.api.apply(&json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                                     "status": {"phase": "Bound", "capacity": {"storage": size}}}));
    }

    /// Writes `data` to `path` in a container, as its user (`kubectl cp FILE POD:PATH -c CONTAINER`, which
    /// unpacks a tar stream with the container's own `tar` as its user; here `cat`).
    pub fn cp_in(&self, pod: &str, container: &str, data: &[u8], path: &str) {
        let src = self.inner.dir.join(format!("cp-{}", self.inner.instances.load(Ordering::SeqCst)));
        std::fs::write(&src, data).unwrap();
        let p = self.pod(pod);
        let (pid, spec) = {
            let cs = p.containers.lock().unwrap();
            let c = &cs[container];
            (c.pid.unwrap_or_else(|| panic!("{pod}/{container} is not running")), c.spec.clone().unwrap())
        };
        let argv: Vec<String> = ["sh", "-c", "cat > \"$1\"", "sh", path].iter().map(|s| s.to_string()).collect();
        let o = sh::output_with_input(
            &mut spec.exec_command(pid, &argv),
            std::fs::File::open(&src).unwrap().into(),
            Duration::from_secs(120),
        )
        .expect("kubectl cp timed out");
        let _ = std::fs::remove_file(&src);
        assert!(o.status.success(), "kubectl cp to {pod}:{path} failed: {}", sh::text(&o.stderr));
    }

    /// Starts a pod (most tests get pods from controllers: `apply`, `run_job`).
    pub fn start_pod(&self, new: NewPod) -> Arc<Pod> {
        start_pod(&self.inner, new)
    }

    /// Holds (or releases) the image pull of a container of a pod, by name, whether the pod exists yet or not:
    /// the kubelet does not start that container meanwhile (its state is Waiting, reason ContainerCreating), as
    /// on a node where pulling its image is slow. The pod's other containers go on as far as they can (an init
    /// container after it waits with it).
    pub fn hold_image_pull(&self, pod: &str, container: &str, held: bool) {
        let key = (pod.to_string(), container.to_string());
        let mut s = self.inner.state.lock().unwrap();
        if held {
            s.held.insert(key);
        } else {
            s.held.remove(&key);
        }
    }

    /// The live pods of a Deployment (their names are generated: `<deployment>-<hash>-<suffix>`).
    pub fn deployment_pods(&self, deployment: &str) -> Vec<Arc<Pod>> {
        deployments::pods_of(&self.inner, deployment)
    }

    /// The endpoints of a Service now (`kubectl get endpoints`): the names of the pods it routes to, sorted.
    pub fn endpoints(&self, service: &str) -> Vec<String> {
        let svc = self.inner.state.lock().unwrap().services.get(service).map(|s| s.service.clone());
        let svc = svc.unwrap_or_else(|| panic!("no Service {service}"));
        let mut names: Vec<String> = services::endpoints(&self.inner, &svc).iter().map(|p| p.name.clone()).collect();
        names.sort();
        names
    }

    /// A host outside the cluster whose resolver knows `names` (`net::Network::outside_host`): it reaches the
    /// load balancers of `LoadBalancer` Services and nothing else of the cluster.
    pub fn outside_host(&self, names: &[(&str, std::net::Ipv4Addr)]) -> net::OutsideHost {
        self.inner.net.outside_host(names)
    }

    /// The current pod of that name.
    pub fn pod(&self, name: &str) -> Arc<Pod> {
        self.inner.pods.lock().unwrap().get(name).cloned().unwrap_or_else(|| panic!("no pod {name}"))
    }

    /// Waits until the pod (the current one of that name) is Ready.
    pub fn wait_ready(&self, name: &str, timeout: Duration) {
        sh::wait_for(&format!("pod {name} Ready"), timeout, Duration::from_millis(500), || {
            let pod = self.inner.pods.lock().unwrap().get(name).cloned()?;
            (!pod.gone.load(Ordering::SeqCst) && pod.ready()).then_some(())
        });
    }

    /// Runs argv in a container of a pod, as `kubectl exec` (panics after 5 minutes).
    pub fn exec(&self, pod: &str, container: &str, argv: &[&str]) -> Output {
        self.pod(pod)
            .exec(container, argv, Duration::from_secs(300))
            .unwrap_or_else(|| panic!("kubectl exec {pod} -c {container} {argv:?} timed out"))
    }

    /// Like `exec`, and fails the test unless the command succeeds: its stdout.
    pub fn exec_ok(&self, pod: &str, container: &str, argv: &[&str]) -> String {
        let o = self.exec(pod, container, argv);
        assert!(
            o.status.success(),
            "{argv:?} in {pod}/{container} failed: {}{}",
            sh::text(&o.stdout),
            sh::text(&o.stderr)
        );
        sh::text(&o.stdout)
    }

    /// Sends a signal (TERM, KILL...) to the main process of a container; the kubelet's restart policy applies.
    pub fn kill(&self, pod: &str, container: &str, sig: &str) {
        let p = self.pod(pod);
        let pid =
            p.containers.lock().unwrap()[container].pid.unwrap_or_else(|| panic!("{pod}/{container} is not running"));
        if sig == "KILL" || sig == "9" {
            p.sigkilled.lock().unwrap().insert(pid);
        }
        p.event(&format!("container {container}: SIG{sig} sent by the test"));
        sh::signal(pid, sig);
    }

    /// How many times a container was restarted.
    pub fn restarts(&self, pod: &str, container: &str) -> u32 {
        self.pod(pod).containers.lock().unwrap()[container].restarts
    }

    /// Deletes a pod (`kubectl delete pod`): graceful termination, then its sandbox and emptyDirs go. A
    /// StatefulSet makes it again, with the same name and claims.
    pub fn delete_pod(&self, name: &str) {
        let pod = self.pod(name);
        pod::delete(&pod, pod_grace(&pod) + Duration::from_secs(30));
    }

    /// Stops the StatefulSet controller from recreating `name`'s pods (to delete one for good), or lets it again.
    pub fn pause_statefulset(&self, name: &str, paused: bool) {
        let mut s = self.inner.state.lock().unwrap();
        if paused {
            s.paused.insert(name.into())
        } else {
            s.paused.remove(name)
        };
    }

    /// Cuts `pod` from each of `peers` (both directions, pod IPs and Services alike), or heals the cut. The API
    /// server and the node stay reachable, as when a network partition separates nodes from each other only.
    pub fn cut(&self, pod: &str, peers: &[&str], cut: bool) {
        let a = self.pod(pod);
        for peer in peers {
            let b = self.pod(peer);
            {
                let mut s = self.inner.state.lock().unwrap();
                let key = (a.name.clone(), b.name.clone());
                if cut {
                    s.cuts.insert(key)
                } else {
                    s.cuts.remove(&key)
                };
            }
            for (x, y) in [(&a, &b), (&b, &a)] {
                if let Some(pid) = *x.net_pid.lock().unwrap() {
                    net_blackhole(pid, y.ip, cut);
                }
            }
        }
    }

    /// The log of a container of the current pod of that name (all its restarts).
    pub fn logs(&self, pod: &str, container: &str) -> String {
        std::fs::read_to_string(self.pod(pod).logs.join(format!("{container}.log"))).unwrap_or_default()
    }

    /// The same for a pod that may not exist yet (a controller makes it later): empty until it does.
    pub fn logs_if_any(&self, pod: &str, container: &str) -> String {
        let file = self.inner.pods.lock().unwrap().get(pod).map(|p| p.logs.join(format!("{container}.log")));
        file.and_then(|f| std::fs::read_to_string(f).ok()).unwrap_or_default()
    }

    /// Every log file of every pod this cluster ran, events included, for a failure report.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let mut dirs: Vec<_> =
            std::fs::read_dir(self.inner.dir.join("logs")).into_iter().flatten().flatten().map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            let mut files: Vec<_> = std::fs::read_dir(&d).into_iter().flatten().flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                out.push_str(&format!(
                    "===== {} ({} lines) =====\n{}\n",
                    f.strip_prefix(self.inner.dir.join("logs")).unwrap().display(),
                    lines.len(),
                    log_excerpt(&lines)
                ));
            }
        }
        out.push_str("===== API requests from pods =====\n");
        out.push_str(&self.inner.api.requests().join("\n"));
        out
    }

    /// Runs a Job as the Job controller does: a pod per attempt until one succeeds or `backoffLimit` failures
    /// (default 6), 10 s back-off doubled between attempts, `activeDeadlineSeconds` for the whole Job
    /// (kubernetes.io/docs/concepts/workloads/controllers/job/). Returns whether it succeeded and its pods.
    pub fn run_job(&self, job: &Value) -> (bool, Vec<Arc<Pod>>) {
        let name = job["metadata"]["name"].as_str().unwrap().to_string();
        let spec = &job["spec"];
        let limit = spec["backoffLimit"].as_u64().unwrap_or(6);
        let deadline =
            spec["activeDeadlineSeconds"].as_u64().map(Duration::from_secs).unwrap_or(Duration::from_secs(3600));
        let start = std::time::Instant::now();
        let template = &spec["template"];
        let mut pods = Vec::new();
        let mut failures = 0;
        // The Job controller labels its pods with the Job's UID (`batch.kubernetes.io/controller-uid` and the
        // older `controller-uid`, kubernetes.io/docs/reference/labels-annotations-taints/): one UID per Job run
        // here, the same for every retry of it.
        static JOBS: AtomicU32 = AtomicU32::new(0);
        let uid =
            format!("00000000-0000-4000-8000-{:06x}{:06x}", std::process::id(), JOBS.fetch_add(1, Ordering::SeqCst));
        loop {
            let suffix: String =
                format!("{:05x}", (self.inner.instances.load(Ordering::SeqCst) as u64 * 2654435761) % 0xfffff);
            let pod_name = format!("{name}-{suffix}");
            let mut new = new_pod(&pod_name, &template["metadata"], &template["spec"], Owner::Job(name.clone()));
            new.labels.insert("job-name".into(), name.clone());
            new.labels.insert("batch.kubernetes.io/job-name".into(), name.clone());
            new.labels.insert("controller-uid".into(), uid.clone());
            new.labels.insert("batch.kubernetes.io/controller-uid".into(), uid.clone());
            let pod = self.start_pod(new);
            pods.push(pod.clone());
            let phase = sh::wait_for(
                &format!("job {name} pod {pod_name}"),
                deadline + Duration::from_secs(60),
                Duration::from_millis(300),
                || {
                    let p = pod.phase();
                    (matches!(p, Phase::Succeeded | Phase::Failed) || start.elapsed() > deadline).then_some(p)
                },
            );
            if phase == Phase::Succeeded {
                return (true, pods);
            }
            if start.elapsed() > deadline {
                pod::delete(&pod, pod_grace(&pod) + Duration::from_secs(30));
                return (false, pods);
            }
            failures += 1;
            if failures > limit {
                return (false, pods);
            }
            std::thread::sleep(Duration::from_secs(10u64 << (failures - 1).min(5)).min(Duration::from_secs(360)));
        }
    }

    /// Runs a pod to completion (Helm test and hook pods): whether it succeeded.
    pub fn run_pod(&self, obj: &Value, timeout: Duration) -> (bool, Arc<Pod>) {
        let name = obj["metadata"]["name"].as_str().unwrap();
        let pod = self.start_pod(new_pod(name, &obj["metadata"], &obj["spec"], Owner::Bare));
        let phase = sh::wait_for(&format!("pod {name} to complete"), timeout, Duration::from_millis(300), || {
            let p = pod.phase();
            matches!(p, Phase::Succeeded | Phase::Failed).then_some(p)
        });
        (phase == Phase::Succeeded, pod)
    }

    /// Runs a Job made from a CronJob's template now (`kubectl create job --from=cronjob/NAME`).
    pub fn trigger_cronjob(&self, cronjob: &Value, job_name: &str) -> (bool, Vec<Arc<Pod>>) {
        let job = json!({"metadata": {"name": job_name}, "spec": cronjob["spec"]["jobTemplate"]["spec"]});
        self.run_job(&job)
    }

    /// Deletes an object from the API (a Job's, a Deployment's or a Pod's pods and processes too).
    pub fn delete(&self, obj: &Value) {
        let (av, kind, name) = api::ids(obj);
        self.inner.api.delete(&av, &kind, &name);
        if kind == "Deployment" {
            self.inner.state.lock().unwrap().deployments.remove(&name);
        }
        let doomed: Vec<Arc<Pod>> = self
            .inner
            .pods
            .lock()
            .unwrap()
            .values()
            .filter(|p| match (&p.owner, kind.as_str()) {
                (Owner::Job(j), "Job") => *j == name,
                (Owner::Deployment(d), "Deployment") => *d == name,
                (Owner::Bare, "Pod") => p.name == name,
                _ => false,
            })
            .cloned()
            .collect();
        for p in doomed {
            pod::delete(&p, pod_grace(&p) + Duration::from_secs(30));
        }
    }
}

/// A StatefulSet's new template rolled out with the RollingUpdate strategy, as its controller does in the
/// background: one pod at a time, from the highest ordinal down, each made again and Ready before the next
/// (kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates); a pod already made from the
/// new template (a scale-up's new ordinals) is not made again, but waited for until Ready before any lower
/// ordinal is replaced (the controller's "wait for unhealthy Pods on update", kubernetes/kubernetes@v1.31.0:
/// pkg/controller/statefulset/stateful_set_control.go, updateStatefulSet); a pod that never gets Ready halts the
/// roll-out there (the controller waits for it: `kubectl rollout status` never returns); a newer template takes
/// the roll-out over; `OnDelete` rolls nothing.
fn roll_out(inner: &Arc<Inner>, sts: &StatefulSet, generation: u64) {
    let name = sts.metadata.name.clone().unwrap_or_default();
    let current = || inner.state.lock().unwrap().rolling.get(&name) == Some(&generation);
    let spec = &sts.spec;
    let revision = revision_hash(&name, sts);
    if spec.update_strategy.as_ref().and_then(|u| u.type_.as_deref()) != Some("OnDelete") {
        for ordinal in (0..spec.replicas.unwrap_or(1).max(0)).rev() {
            let pod_name = format!("{name}-{ordinal}");
            // The controller makes a missing ordinal (a scale-up) before it replaces any pod.
            let _ = sh::wait_for_opt(Duration::from_secs(60), || {
                !current() || inner.pods.lock().unwrap().get(&pod_name).is_some_and(|p| !p.gone.load(Ordering::SeqCst))
            });
            let Some(old) = inner.pods.lock().unwrap().get(&pod_name).cloned() else { continue };
            if !current() {
                return;
            }
            if old.labels.get("controller-revision-hash") != Some(&revision) {
                let uid = old.uid.clone();
                pod::delete(&old, pod_grace(&old) + Duration::from_secs(30));
                let made = sh::wait_for_opt(Duration::from_secs(60), || {
                    inner.pods.lock().unwrap().get(&pod_name).is_some_and(|p| p.uid != uid)
                });
                assert!(made, "{pod_name} was not made again");
            }
            while !inner.stop.load(Ordering::SeqCst) && current() {
                let ready = inner
                    .pods
                    .lock()
                    .unwrap()
                    .get(&pod_name)
                    .is_some_and(|p| !p.gone.load(Ordering::SeqCst) && p.ready());
                if ready {
                    break;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    let mut state = inner.state.lock().unwrap();
    if state.rolling.get(&name) == Some(&generation) {
        state.rolling.remove(&name);
    }
}

/// The `controller-revision-hash` label of the pods a StatefulSet's template makes: `<name>-<hash of the
/// template>`, so that a roll-out tells the pods of its template from older ones.
fn revision_hash(name: &str, sts: &StatefulSet) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&sts.spec.template).unwrap_or_default().hash(&mut h);
    format!("{name}-{:010x}", h.finish() & 0xff_ffff_ffff)
}

/// Unmounts whatever is mounted under `dir` (sized claims), deepest first.
fn unmount_under(dir: &Path) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<&str> =
        mounts.lines().filter_map(|l| l.split(' ').nth(4)).filter(|p| Path::new(p).starts_with(dir)).collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        let _ = sh::try_run(Command::new("umount").args(["-l", p]));
    }
}

/// Cluster directories of test processes that died without cleaning up (killed): their processes went with them
/// (parent-death signals), their directories stay until the next run.
fn remove_stale_dirs() {
    for e in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
        let dir = e.path();
        if !e.file_name().to_string_lossy().starts_with("onechart-real-") {
            continue;
        }
        let owner = std::fs::read_to_string(dir.join("owner-pid")).ok().and_then(|p| p.trim().parse::<u32>().ok());
        if owner.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            unmount_under(&dir);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

fn pod_grace(pod: &Pod) -> Duration {
    Duration::from_secs(pod.spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64)
}

fn net_blackhole(pause_pid: u32, peer: std::net::Ipv4Addr, on: bool) {
    let verb = if on { "add" } else { "del" };
    let _ = sh::try_run(Command::new("nsenter").args([
        "--target",
        &pause_pid.to_string(),
        "--net",
        "--",
        "ip",
        "route",
        verb,
        "blackhole",
        &format!("{peer}/32"),
    ]));
}

pub fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect()
}

fn claim_dir(inner: &Inner, name: &str) -> PathBuf {
    let d = inner.dir.join("claims").join(name);
    if !d.exists() {
        volumes::writable_dir(&d, None, false);
        inner.api.apply(&json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                                "status": {"phase": "Bound"}}));
    }
    d
}

fn start_pod(inner: &Arc<Inner>, new: NewPod) -> Arc<Pod> {
    let name = new.name.clone();
    if let Some(old) = inner.pods.lock().unwrap().get(&name) {
        assert!(old.gone.load(Ordering::SeqCst), "pod {name} already exists");
    }
    inner.state.lock().unwrap().labels.insert(name.clone(), new.labels.clone());
    let pod = Pod::start(inner, new);
    inner.pods.lock().unwrap().insert(name, pod.clone());
    pod
}

/// A pod from an object's `metadata` (labels, annotations) and a spec.
fn new_pod(name: &str, meta: &Value, spec: &Value, owner: Owner) -> NewPod {
    NewPod {
        name: name.into(),
        labels: labels(&meta["labels"]),
        annotations: labels(&meta["annotations"]),
        spec: serde_json::from_value(spec.clone()).unwrap_or_else(|e| panic!("pod {name}: {e}")),
        owner,
    }
}

/// The controllers' loop: pod labels from the API, StatefulSet pods, /etc/hosts files.
fn controllers(inner: &Arc<Inner>) {
    while !inner.stop.load(Ordering::SeqCst) {
        // Labels: the API's (scripts patch them), for Service selectors.
        let mut changed = false;
        for p in inner.api.list("v1", "Pod") {
            let name = p["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let l = labels(&p["metadata"]["labels"]);
            let mut s = inner.state.lock().unwrap();
            if s.labels.get(&name) != Some(&l) {
                s.labels.insert(name, l);
                changed = true;
            }
        }
        if changed {
            inner.dirty.store(true, Ordering::SeqCst);
        }
        statefulsets(inner);
        deployments::reconcile(inner);
        if inner.dirty.swap(false, Ordering::SeqCst) {
            let pods: Vec<Arc<Pod>> = inner.pods.lock().unwrap().values().cloned().collect();
            for p in pods.iter().filter(|p| !p.gone.load(Ordering::SeqCst)) {
                services::write_hosts(inner, p);
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The StatefulSet controller (kubernetes.io/docs/concepts/workloads/controllers/statefulset/): pods
/// `<name>-<ordinal>` with hostname and subdomain (`serviceName`) for stable names, the pod-name and pod-index
/// labels, one claim per volumeClaimTemplate and ordinal (`<template>-<name>-<ordinal>`, kept when pods go),
/// all at once with `podManagementPolicy: Parallel`, else each once the previous is Ready; a deleted pod is made
/// again with the same name and claims.
fn statefulsets(inner: &Arc<Inner>) {
    let sets: Vec<(String, StatefulSet)> = {
        let s = inner.state.lock().unwrap();
        s.statefulsets.iter().filter(|(n, _)| !s.paused.contains(*n)).map(|(n, s)| (n.clone(), s.clone())).collect()
    };
    for (name, sts) in sets {
        let spec = sts.spec.clone();
        let parallel = spec.pod_management_policy.as_deref() == Some("Parallel");
        for ordinal in 0..spec.replicas.unwrap_or(1).max(0) as u32 {
            let pod_name = format!("{name}-{ordinal}");
            let existing = inner.pods.lock().unwrap().get(&pod_name).cloned();
            match existing {
                Some(p) if !p.gone.load(Ordering::SeqCst) => {
                    if !parallel && !p.ready() {
                        break;
                    }
                    continue;
                }
                _ => {}
            }
            let template = spec.template.clone();
            let meta = template.metadata.unwrap_or_default();
            let mut l: BTreeMap<String, String> = meta.labels.unwrap_or_default();
            l.insert("statefulset.kubernetes.io/pod-name".into(), pod_name.clone());
            l.insert("apps.kubernetes.io/pod-index".into(), ordinal.to_string());
            l.insert("controller-revision-hash".into(), revision_hash(&name, &sts));
            let mut pod_spec = template.spec.unwrap_or_default();
            pod_spec.hostname = Some(pod_name.clone());
            pod_spec.subdomain = Some(spec.service_name.clone().unwrap_or_default()).filter(|s| !s.is_empty());
            for t in spec.volume_claim_templates.iter().flatten() {
                let tname = t.metadata.name.clone().unwrap_or_default();
                let claim = format!("{tname}-{name}-{ordinal}");
                claim_dir(inner, &claim);
                pod_spec.volumes.get_or_insert_with(Vec::new).push(Volume {
                    name: tname,
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: claim,
                        read_only: None,
                    }),
                    ..Default::default()
                });
            }
            let owner = Owner::StatefulSet { name: name.clone(), ordinal };
            let annotations = meta.annotations.unwrap_or_default();
            start_pod(inner, NewPod { name: pod_name, labels: l, annotations, spec: pod_spec, owner });
            if !parallel {
                break;
            }
        }
    }
}

/// What a failure report shows of one log: the start and the end of each container run (a run begins with the
/// runner's "---- onechart runner: container" line), so that a run that hung before a later one is not lost.
fn log_excerpt(lines: &[&str]) -> String {
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("---- onechart runner: container"))
        .map(|(i, _)| i)
        .chain(std::iter::once(lines.len()))
        .collect();
    let mut runs: Vec<&[&str]> = Vec::new();
    if starts[0] > 0 {
        runs.push(&lines[..starts[0]]);
    }
    runs.extend(starts.windows(2).map(|w| &lines[w[0]..w[1]]));
    let mut out = Vec::new();
    for run in runs {
        if run.len() <= 200 {
            out.extend(run.iter().map(|l| l.to_string()));
        } else {
            out.extend(run[..40].iter().map(|l| l.to_string()));
            out.push(format!("[... {} lines ...]", run.len() - 200));
            out.extend(run[run.len() - 160..].iter().map(|l| l.to_string()));
        }
    }
    out.join("\n")
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.dump());
            // ONECHART_REAL_KEEP_LOGS=DIR: the logs of a failed scenario are copied there (the cluster directory
            // goes with the test).
            match std::env::var_os("ONECHART_REAL_KEEP_LOGS") {
                Some(keep) => {
                    let to = std::path::Path::new(&keep).join(self.inner.dir.file_name().unwrap());
                    let _ = std::fs::create_dir_all(&to);
                    let _ = Command::new("cp").arg("-a").arg(self.inner.dir.join("logs")).arg(&to).status();
                    eprintln!("(logs kept in {})", to.display());
                }
                None => eprintln!("(cluster directory: {})", self.inner.dir.display()),
            }
        }
        // No more recreation, then every pod goes (with a short grace: the test is over).
        self.inner.state.lock().unwrap().statefulsets.clear();
        self.inner.state.lock().unwrap().deployments.clear();
        let pods: Vec<Arc<Pod>> = self.inner.pods.lock().unwrap().values().cloned().collect();
        for p in &pods {
            p.deleting.store(true, Ordering::SeqCst);
        }
        for p in &pods {
            let _ = sh::wait_for_opt(Duration::from_secs(90), || p.gone.load(Ordering::SeqCst));
        }
        self.inner.stop.store(true, Ordering::SeqCst);
        if let Some(c) = self.controller.take() {
            let _ = c.join();
        }
        unmount_under(&self.inner.dir);
        // The bridge and the API server go with the last reference (proxy and pod threads end on `stop`).
        sh::wait_for_opt(Duration::from_secs(10), || Arc::strong_count(&self.inner) == 1);
    }
}
