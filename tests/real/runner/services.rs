//! Services: names, endpoints and routing.
//! - Names (kubernetes.io/docs/concepts/services-networking/dns-pod-service/): every Service is `<svc>`,
//!   `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local`; a ClusterIP Service resolves to its
//!   ClusterIP, a headless one to its endpoints' pod IPs, and a pod with `hostname` and `subdomain` naming a
//!   headless Service is `<hostname>.<subdomain>.<ns>.svc.cluster.local`; a pod's own /etc/hosts has its
//!   hostname (the kubelet writes that line). Stand-in, named: there is no DNS server; each pod's /etc/hosts is
//!   regenerated in place whenever endpoints change (the resolver reads it at every lookup), and resolv.conf
//!   has the cluster's search path with a nameserver that refuses at once.
//! - Endpoints (kubernetes.io/docs/concepts/services-networking/service/ and the ServiceSpec API reference):
//!   the pods whose labels (as the API has them now: scripts relabel pods) match the selector, Ready ones only
//!   unless `publishNotReadyAddresses`; a port's `targetPort` is a number or a container port's name.
//! - Routing: a userspace proxy per ClusterIP and port, TCP and UDP, round robin over the endpoints, as
//!   kube-proxy's userspace mode did (kubernetes.io/docs/reference/networking/virtual-ips/); a Service without
//!   endpoints refuses connections. A `LoadBalancer` Service also gets a load balancer's address
//!   (`status.loadBalancer.ingress[0].ip`, as a cloud provider's controller sets it) with the same proxies, the
//!   only address a host outside the cluster reaches (`net::OutsideHost`); it stops routing when the Service is
//!   no longer a `LoadBalancer`. A pod cut off from another (`Cluster::cut`) cannot reach it through a
//!   Service either.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Inner;
use super::env::ServiceEnv;
use super::pod::Pod;
use super::probes::resolve;

/// A Service of the cluster, with its ClusterIP (None: headless) and its load balancer's address (`LoadBalancer`).
pub struct Svc {
    pub name: String,
    pub service: Service,
    pub ip: Option<Ipv4Addr>,
    pub external: Option<Ipv4Addr>,
}

/// The Services as the environment variables of a new container see them.
pub fn env_services(inner: &Inner) -> Vec<ServiceEnv> {
    let state = inner.state.lock().unwrap();
    let mut out = vec![ServiceEnv {
        name: "kubernetes".into(),
        ip: inner.api.addr.to_string(),
        ports: vec![(Some("https".into()), 443, "TCP".into())],
    }];
    for s in state.services.values() {
        let Some(ip) = s.ip else { continue };
        let spec = s.service.spec.clone().unwrap_or_default();
        let ports = spec
            .ports
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.name, p.port, p.protocol.unwrap_or("TCP".into())))
            .collect();
        out.push(ServiceEnv { name: s.name.clone(), ip: ip.to_string(), ports });
    }
    out
}

/// The labels of a pod as the API has them now (falls back to the pod's own).
fn labels_of(inner: &Inner, pod: &Pod) -> BTreeMap<String, String> {
    inner.state.lock().unwrap().labels.get(&pod.name).cloned().unwrap_or_else(|| pod.labels.clone())
}

fn selects(service: &Service, labels: &BTreeMap<String, String>) -> bool {
    match service.spec.as_ref().and_then(|s| s.selector.as_ref()) {
        Some(sel) if !sel.is_empty() => sel.iter().all(|(k, v)| labels.get(k) == Some(v)),
        _ => false,
    }
}

/// The endpoints of a Service now: the pods it routes to.
pub fn endpoints(inner: &Inner, service: &Service) -> Vec<Arc<Pod>> {
    let not_ready = service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses) == Some(true);
    let pods: Vec<Arc<Pod>> = inner.pods.lock().unwrap().values().cloned().collect();
    pods.into_iter()
        .filter(|p| p.net_pid.lock().unwrap().is_some() && !p.deleting.load(Ordering::SeqCst))
        .filter(|p| selects(service, &labels_of(inner, p)))
        .filter(|p| not_ready || p.ready())
        .collect()
}

/// Rewrites a pod's /etc/hosts (in place: containers bind-mount the file).
pub fn write_hosts(inner: &Inner, pod: &Pod) {
    let ns = &inner.namespace;
    let mut lines = vec!["127.0.0.1\tlocalhost".to_string(), "::1\tlocalhost ip6-localhost ip6-loopback".into()];
    let names = |n: &str| format!("{n}.{ns}.svc.cluster.local {n}.{ns}.svc {n}.{ns} {n}");
    match &pod.spec.subdomain {
        Some(sub) => lines.push(format!("{}\t{}.{sub}.{ns}.svc.cluster.local {}", pod.ip, pod.hostname, pod.hostname)),
        None => lines.push(format!("{}\t{}", pod.ip, pod.hostname)),
    }
    lines.push(format!(
        "{}\t{} {}",
        inner.api.addr, "kubernetes.default.svc.cluster.local kubernetes.default.svc", "kubernetes.default kubernetes"
    ));
    let services: Vec<(String, Service, Option<Ipv4Addr>)> =
        inner.state.lock().unwrap().services.values().map(|s| (s.name.clone(), s.service.clone(), s.ip)).collect();
    for (name, service, ip) in services {
        match ip {
            Some(ip) => lines.push(format!("{ip}\t{}", names(&name))),
            None => {
                for p in endpoints(inner, &service) {
                    lines.push(format!("{}\t{}", p.ip, names(&name)));
                    if p.spec.subdomain.as_deref() == Some(&name) {
                        lines.push(format!("{}\t{}", p.ip, names(&format!("{}.{name}", p.hostname))));
                    }
                }
            }
        }
    }
    let text = lines.join("\n") + "\n";
    let path = pod.dir.join("hosts");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(&text) {
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
    }
}

/// The pod a proxied connection comes from (by its source address), and whether it is cut from `to`.
fn cut(inner: &Inner, from: Ipv4Addr, to: &Pod) -> bool {
    let state = inner.state.lock().unwrap();
    let Some(src) = inner.pods.lock().unwrap().values().find(|p| p.ip == from).map(|p| p.name.clone()) else {
        return false;
    };
    state.cuts.contains(&(src.clone(), to.name.clone())) || state.cuts.contains(&(to.name.clone(), src))
}

/// Picks an endpoint for a Service port reached at `at` (its ClusterIP or load balancer): (pod, target port).
/// None when no endpoint serves it, or `at` is no longer one of the Service's addresses.
fn pick(
    inner: &Inner,
    name: &str,
    at: Ipv4Addr,
    port: i32,
    from: Ipv4Addr,
    rr: &Mutex<usize>,
) -> Option<(Arc<Pod>, u16)> {
    let service = {
        let state = inner.state.lock().unwrap();
        let svc = state.services.get(name)?;
        if svc.ip != Some(at) && svc.external != Some(at) {
            return None;
        }
        svc.service.clone()
    };
    let sp = service.spec.as_ref()?.ports.as_ref()?.iter().find(|p| p.port == port)?.clone();
    let eps: Vec<Arc<Pod>> = endpoints(inner, &service).into_iter().filter(|p| !cut(inner, from, p)).collect();
    if eps.is_empty() {
        return None;
    }
    let mut i = rr.lock().unwrap();
    *i = i.wrapping_add(1);
    let pod = eps[*i % eps.len()].clone();
    let target = sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port));
    let ports: Vec<_> = pod.spec.containers.iter().flat_map(|c| c.ports.clone().unwrap_or_default()).collect();
    Some((pod, resolve(&target, &ports)))
}

/// Starts the proxy of one Service port (threads that end when the cluster stops).
pub fn proxy(inner: &Arc<Inner>, name: &str, ip: Ipv4Addr, port: i32, udp: bool) {
    let rr = Arc::new(Mutex::new(0usize));
    let (i, name) = (inner.clone(), name.to_string());
    if udp {
        let sock = UdpSocket::bind((ip, port as u16)).unwrap_or_else(|e| panic!("proxy {name} {ip}:{port}/UDP: {e}"));
        sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        std::thread::spawn(move || udp_proxy(&i, &name, ip, port, sock, &rr));
        return;
    }
    let listener = TcpListener::bind((ip, port as u16)).unwrap_or_else(|e| panic!("proxy {name} {ip}:{port}/TCP: {e}"));
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while !i.stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((client, SocketAddr::V4(from))) => {
                    let _ = client.set_nonblocking(false);
                    let Some((pod, target)) = pick(&i, &name, ip, port, *from.ip(), &rr) else {
                        proxy_log(&i, &format!("{name}:{port} from {from}: no endpoint"));
                        continue;
                    };
                    let i2 = i.clone();
                    let name2 = name.clone();
                    std::thread::spawn(move || {
                        let to = SocketAddr::from((pod.ip, target));
                        let upstream = match TcpStream::connect_timeout(&to, Duration::from_secs(5)) {
                            Ok(u) => u,
                            Err(e) => {
                                proxy_log(&i2, &format!("{name2}:{port} from {from} to {to}: {e}"));
                                return;
                            }
                        };
                        proxy_log(&i2, &format!("{name2}:{port} from {from} to {to}: connected"));
                        splice(client, upstream);
                        proxy_log(&i2, &format!("{name2}:{port} from {from} to {to}: closed"));
                    });
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
}

/// One line per proxied connection in the cluster's `logs/services/events.log` (printed with a failure).
fn proxy_log(inner: &Inner, msg: &str) {
    let dir = inner.dir.join("logs").join("services");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("events.log")) {
        let _ = writeln!(f, "{} {msg}", super::pod::chrono_like());
    }
}

fn splice(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    let (mut a, mut b) = (a, b);
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}

fn udp_proxy(inner: &Arc<Inner>, name: &str, at: Ipv4Addr, port: i32, sock: UdpSocket, rr: &Mutex<usize>) {
    let sock = Arc::new(sock);
    let mut flows: BTreeMap<SocketAddr, Arc<UdpSocket>> = BTreeMap::new();
    let mut buf = vec![0u8; 65536];
    while !inner.stop.load(Ordering::SeqCst) {
        let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
        let SocketAddr::V4(v4) = from else { continue };
        let up = match flows.get(&from) {
            Some(u) => u.clone(),
            None => {
                let Some((pod, target)) = pick(inner, name, at, port, *v4.ip(), rr) else { continue };
                let u = Arc::new(UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap());
                if u.connect((pod.ip, target)).is_err() {
                    continue;
                }
                u.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
                let (u2, s2, i2) = (u.clone(), sock.clone(), inner.clone());
                std::thread::spawn(move || {
                    let mut b = vec![0u8; 65536];
                    let mut idle = 0;
                    while !i2.stop.load(Ordering::SeqCst) && idle < 120 {
                        match u2.recv(&mut b) {
                            Ok(n) => {
                                idle = 0;
                                let _ = s2.send_to(&b[..n], from);
                            }
                            Err(_) => idle += 1,
                        }
                    }
                });
                flows.insert(from, u.clone());
                u
            }
        };
        let _ = up.send(&buf[..n]);
    }
}

pub fn _read_all(mut s: TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v);
    v
}
