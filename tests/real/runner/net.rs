//! The cluster network: one Linux bridge per cluster, one network namespace per pod joined to it by a veth pair,
//! private addresses (pods in 10.N.0.0/24, Service ClusterIPs in 10.N.1.0/24 on the bridge itself, where the
//! userspace proxy of `services.rs` listens; load balancers' addresses in 10.N.2.0/24, on the bridge too). A host
//! outside the cluster (`OutsideHost`: a hypervisor, a VM's network) is a network namespace of its own with a route
//! to the load balancers' range and to nothing else. The pod's namespaces (network, UTS for its hostname, IPC) are held
//! by a sleeping "pause" process, as the pause container holds them in Kubernetes
//! (kubernetes.io/docs/concepts/workloads/pods/#how-pods-manage-multiple-containers: containers of a pod share
//! its network namespace, IP address and ports, and reach each other on localhost).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use super::sh::{ip, run, try_run};

static TAKEN: Mutex<BTreeSet<u8>> = Mutex::new(BTreeSet::new());
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The bridge and the address plan of one cluster; the bridge is deleted on drop.
pub struct Network {
    pub bridge: String,
    /// Unique for this cluster on this machine: the prefix of every interface name.
    pub id: String,
    pub prefix: u8,
    next_pod: AtomicU32,
    next_service: AtomicU32,
    next_external: AtomicU32,
}

impl Network {
    pub fn new() -> Network {
        remove_stale_bridges();
        let id = format!("oc{:06x}{:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst) % 16);
        let used = ip(&["-o", "-4", "addr", "show"]);
        let used = String::from_utf8_lossy(&used.stdout).into_owned();
        let prefix = {
            let mut taken = TAKEN.lock().unwrap();
            let p = (64u8..=250)
                .find(|p| !taken.contains(p) && !used.contains(&format!(" 10.{p}.")))
                .expect("a free 10.N.0.0/16 for the test cluster");
            taken.insert(p);
            p
        };
        let bridge = format!("{id}b");
        ip(&["link", "add", "name", &bridge, "type", "bridge"]);
        let net = Network {
            bridge,
            id,
            prefix,
            next_pod: AtomicU32::new(2),
            next_service: AtomicU32::new(1),
            next_external: AtomicU32::new(1),
        };
        ip(&["addr", "add", &format!("{}/24", net.gateway()), "dev", &net.bridge]);
        ip(&["link", "set", &net.bridge, "up"]);
        net
    }

    /// The bridge's address: the pods' default gateway, and how the host is reached.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.prefix, 0, 1)
    }

    /// A new pod address (never reused within a cluster, as a CNI's allocator would not reuse one at once).
    pub fn pod_ip(&self) -> Ipv4Addr {
        let n = self.next_pod.fetch_add(1, Ordering::SeqCst);
        assert!(n < 255, "too many pods in one test cluster");
        Ipv4Addr::new(10, self.prefix, 0, n as u8)
    }

    /// A new ClusterIP, added to the bridge so that the host's proxy can listen on it.
    pub fn service_ip(&self) -> Ipv4Addr {
        let n = self.next_service.fetch_add(1, Ordering::SeqCst);
        let addr = Ipv4Addr::new(10, self.prefix, 1, n as u8);
        ip(&["addr", "add", &format!("{addr}/32"), "dev", &self.bridge]);
        addr
    }

    /// A new load balancer address (a `LoadBalancer` Service's `status.loadBalancer.ingress`), on the bridge like
    /// a ClusterIP; only an `OutsideHost` has a route to that range, and no pod needs one.
    pub fn external_ip(&self) -> Ipv4Addr {
        let n = self.next_external.fetch_add(1, Ordering::SeqCst);
        assert!(n < 255, "too many load balancers in one test cluster");
        let addr = Ipv4Addr::new(10, self.prefix, 2, n as u8);
        ip(&["addr", "add", &format!("{addr}/32"), "dev", &self.bridge]);
        addr
    }

    /// A host outside the cluster, whose resolver knows `names` (what the operator's DNS would say: a name and
    /// its address each). Its network namespace is joined to the host by a veth pair (10.N.3.2, the host's end
    /// 10.N.3.1) and routes to the load balancers' range (10.N.2.0/24) only: a pod address or a ClusterIP is
    /// unreachable from it ("Network is unreachable"), as from a machine outside a real cluster, which reaches a
    /// Service only where a load balancer publishes it. One per cluster.
    pub fn outside_host(&self, names: &[(&str, Ipv4Addr)]) -> OutsideHost {
        let name = format!("{}x", self.id);
        let etc = std::path::Path::new("/etc/netns").join(&name);
        assert!(!etc.exists(), "one outside host per cluster");
        ip(&["netns", "add", &name]);
        let host = OutsideHost { name: name.clone(), etc: etc.clone() };
        // `ip netns exec` binds every file of /etc/netns/NAME over its namesake in /etc: the host's resolver reads
        // these, and a name not listed fails at once (no nameserver answers on the host's loopback).
        std::fs::create_dir_all(&etc).unwrap();
        let mut hosts = "127.0.0.1\tlocalhost\n".to_string();
        for (n, a) in names {
            hosts.push_str(&format!("{a}\t{n}\n"));
        }
        std::fs::write(etc.join("hosts"), hosts).unwrap();
        std::fs::write(etc.join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n").unwrap();
        let (outer, inner) = (format!("{name}0"), format!("{name}1"));
        ip(&["link", "add", &outer, "type", "veth", "peer", "name", &inner, "netns", &name]);
        ip(&["addr", "add", &format!("10.{}.3.1/30", self.prefix), "dev", &outer]);
        ip(&["link", "set", &outer, "up"]);
        host.ip(&["link", "set", "lo", "up"]);
        host.ip(&["addr", "add", &format!("10.{}.3.2/30", self.prefix), "dev", &inner]);
        host.ip(&["link", "set", &inner, "up"]);
        host.ip(&["route", "add", &format!("10.{}.2.0/24", self.prefix), "via", &format!("10.{}.3.1", self.prefix)]);
        host
    }

    /// Starts a pod's pause process (its network, UTS and IPC namespaces, hostname set) and wires it to the
    /// bridge with `addr`. The caller's thread must outlive the pod: the pause process dies with it
    /// (parent-death signal), so nothing outlives a test that crashed.
    pub fn start_pod(&self, hostname: &str, addr: Ipv4Addr) -> PodNet {
        let pause = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--", "unshare", "--net", "--uts", "--ipc", "--"])
            .args(["/bin/sh", "-c", "hostname \"$1\" && exec sleep infinity", "pause", hostname])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) starts the pod's pause process");
        let pid = pause.id();
        // The namespaces exist once unshare has exec'd the shell: wait for the hostname to be set.
        let ns = format!("/proc/{pid}/ns/net");
        super::sh::wait_for(
            "the pause process",
            std::time::Duration::from_secs(10),
            std::time::Duration::from_millis(20),
            || {
                let own = std::fs::read_link(&ns).ok()?;
                let host = std::fs::read_link("/proc/self/ns/net").ok()?;
                let uts = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).ok()?;
                (own != host && uts.contains("sleep")).then_some(())
            },
        );
        let host_if = format!("{}v{}", self.id, addr.octets()[3]);
        ip(&["link", "add", &host_if, "type", "veth", "peer", "name", "eth0", "netns", &pid.to_string()]);
        ip(&["link", "set", &host_if, "master", &self.bridge, "up"]);
        let pod = PodNet { pause, pid, addr, host_if };
        pod.ip(&["link", "set", "lo", "up"]);
        pod.ip(&["addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
        pod.ip(&["link", "set", "eth0", "up"]);
        pod.ip(&["route", "add", "default", "via", &self.gateway().to_string()]);
        pod
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = try_run(Command::new("ip").args(["link", "del", &self.bridge]));
        TAKEN.lock().unwrap().remove(&self.prefix);
    }
}

/// A pod's network namespace, held by its pause process.
pub struct PodNet {
    pause: Child,
    /// The pause process: `nsenter --target PID --net --uts --ipc` enters the pod.
    pub pid: u32,
    pub addr: Ipv4Addr,
    pub host_if: String,
}

impl PodNet {
    /// `ip ARGS...` inside the pod's network namespace.
    pub fn ip(&self, args: &[&str]) {
        run(Command::new("nsenter").args(["--target", &self.pid.to_string(), "--net", "--", "ip"]).args(args));
    }
}

impl Drop for PodNet {
    fn drop(&mut self) {
        // The veth pair goes with the namespace, which goes with its last process.
        let _ = self.pause.kill();
        let _ = self.pause.wait();
        let _ = try_run(Command::new("ip").args(["link", "del", &self.host_if]));
    }
}

/// A host outside the cluster (`Network::outside_host`): a named network namespace (`ip netns`), deleted on drop.
pub struct OutsideHost {
    name: String,
    etc: std::path::PathBuf,
}

impl OutsideHost {
    /// A command run on the outside host (`ip netns exec NAME PROGRAM`), as root, with its /etc/hosts.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    fn ip(&self, args: &[&str]) {
        run(Command::new("ip").args(["-n", &self.name]).args(args));
    }
}

impl Drop for OutsideHost {
    fn drop(&mut self) {
        // What still runs there (an ssh or curl left by a command that timed out) would keep the namespace alive.
        if let Ok(o) = Command::new("ip").args(["netns", "pids", &self.name]).output() {
            for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = try_run(Command::new("kill").args(["-KILL", pid]));
            }
        }
        // The veth pair goes with the namespace.
        let _ = try_run(Command::new("ip").args(["netns", "del", &self.name]));
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

/// Whether `name` is one of ours (`oc<pid><n><suffix>`) left by a test process that is gone.
fn stale(name: &str, suffix: char) -> bool {
    name.len() == 10
        && name.starts_with("oc")
        && name.ends_with(suffix)
        && u32::from_str_radix(&name[2..8], 16).is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Bridges left by a test process that died without cleaning up (its PID is in the name).
fn remove_stale_bridges() {
    let out = ip(&["-o", "link", "show", "type", "bridge"]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(name) = line.split(": ").nth(1).map(|n| n.split('@').next().unwrap_or(n)) else { continue };
        if stale(name, 'b') {
            let _ = try_run(Command::new("ip").args(["link", "del", name]));
        }
    }
    // Outside hosts likewise (`{id}x`: the same PID in the name).
    let out = ip(&["netns", "list"]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if stale(name, 'x') {
            let _ = try_run(Command::new("ip").args(["netns", "del", name]));
            let _ = std::fs::remove_dir_all(std::path::Path::new("/etc/netns").join(name));
        }
    }
}
