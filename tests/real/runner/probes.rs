//! Probes as the kubelet runs them (kubernetes.io/docs/tasks/configure-pod-container/
//! configure-liveness-readiness-startup-probes/ and kubernetes.io/docs/concepts/workloads/pods/
//! pod-lifecycle/#container-probes): `exec` inside the container (its namespaces, user and environment), with
//! `timeoutSeconds`; `tcpSocket` and `httpGet` from the node (here the host) to the pod's IP, a named port
//! resolved against the container's ports; `httpGet` succeeds on a status in 200..400, and HTTPS is not verified.
//! Defaults: periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3, initialDelaySeconds 0.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ContainerPort, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::sh::output_within;

/// The state of one probe of one container instance.
pub struct ProbeState {
    pub probe: Probe,
    pub next: Instant,
    pub successes: i32,
    pub failures: i32,
}

impl ProbeState {
    pub fn new(probe: &Probe, started: Instant) -> ProbeState {
        let delay = probe.initial_delay_seconds.unwrap_or(0).max(0) as u64;
        ProbeState { probe: probe.clone(), next: started + Duration::from_secs(delay), successes: 0, failures: 0 }
    }

    pub fn due(&self) -> bool {
        Instant::now() >= self.next
    }

    pub fn period(&self) -> Duration {
        Duration::from_secs(self.probe.period_seconds.unwrap_or(10).max(1) as u64)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.probe.timeout_seconds.unwrap_or(1).max(1) as u64)
    }

    /// Records a result: Some(true) when the success threshold is reached, Some(false) when the failure
    /// threshold is, None while undecided.
    pub fn record(&mut self, ok: bool) -> Option<bool> {
        self.next = Instant::now() + self.period();
        if ok {
            self.failures = 0;
            self.successes += 1;
            (self.successes >= self.probe.success_threshold.unwrap_or(1)).then_some(true)
        } else {
            self.successes = 0;
            self.failures += 1;
            (self.failures >= self.probe.failure_threshold.unwrap_or(3)).then_some(false)
        }
    }
}

/// Runs a probe once. `exec` builds the command that runs argv inside the container.
pub fn run(
    probe: &Probe,
    pod_ip: Ipv4Addr,
    ports: &[ContainerPort],
    exec: &dyn Fn(&[String]) -> Command,
    timeout: Duration,
) -> (bool, String) {
    if let Some(e) = &probe.exec {
        let argv = e.command.clone().unwrap_or_default();
        return match output_within(&mut exec(&argv), timeout) {
            Some(o) if o.status.success() => (true, String::new()),
            Some(o) => (
                false,
                format!("exec {argv:?}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
            ),
            None => (false, format!("exec {argv:?}: timed out after {timeout:?}")),
        };
    }
    if let Some(t) = &probe.tcp_socket {
        let port = resolve(&t.port, ports);
        let addr = SocketAddr::from((pod_ip, port));
        return match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => (true, String::new()),
            Err(e) => (false, format!("tcpSocket {addr}: {e}")),
        };
    }
    if let Some(h) = &probe.http_get {
        let port = resolve(&h.port, ports);
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_lowercase();
        let url = format!("{scheme}://{pod_ip}:{port}{}", h.path.as_deref().unwrap_or("/"));
        let mut c = Command::new("curl");
        c.args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", &timeout.as_secs().to_string()]);
        for header in h.http_headers.iter().flatten() {
            c.arg("-H").arg(format!("{}: {}", header.name, header.value));
        }
        c.arg(&url);
        let code = output_within(&mut c, timeout + Duration::from_secs(1))
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let ok = code.parse::<u16>().is_ok_and(|c| (200..400).contains(&c));
        return (ok, if ok { String::new() } else { format!("httpGet {url}: status {code:?}") });
    }
    panic!("probe kind not supported by the runner (grpc?): {probe:?}");
}

/// A port number or the number of a named container port.
pub fn resolve(port: &IntOrString, ports: &[ContainerPort]) -> u16 {
    match port {
        IntOrString::Int(n) => *n as u16,
        IntOrString::String(name) => ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port as u16)
            .unwrap_or_else(|| name.parse().unwrap_or_else(|_| panic!("no container port named {name}"))),
    }
}
