//! Scenarios: one module per profile (or fault family), each a `#[test]` that runs for every release of
//! `crate::releases()`, fails when OpenNebula disagrees with the chart, and prints every container's log then
//! (the `Cluster`'s drop).

mod dev_sqlite;
mod ha_raft;
mod ha_raft_external;
mod prod_mysql;
mod prod_mysql_faults;
mod prod_mysql_upgrade;
mod raft;
mod runner;

use std::time::{Duration, Instant};

use crate::runner::Cluster;

/// Prints how long a step took (shown with `--nocapture`; scripts/test.sh passes it for this tier).
pub struct Timer {
    name: String,
    start: Instant,
}

impl Timer {
    pub fn start(name: &str) -> Timer {
        eprintln!("real: {name} ...");
        Timer { name: name.into(), start: Instant::now() }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            eprintln!("real: {} done in {:.1} s", self.name, self.start.elapsed().as_secs_f64());
        }
    }
}

/// A machine outside the cluster as a hypervisor or a VM sees the front-end (`Cluster::outside_host`): `names` in
/// its DNS, each the load balancer of a Service; oneadmin's private key (the front-end's, which the drivers
/// forward to the hypervisors) and, in its known_hosts for `hostname`, the public half of the SSH Secret's host
/// key (`ssh_host_ecdsa_key`, the same on every member).
pub struct Outside {
    host: crate::runner::net::OutsideHost,
    dir: tempfile::TempDir,
    ssh: String,
}

impl Outside {
    /// `names`: (name, Service) pairs; `hostname` (one of the names) is `oned.hostname`.
    pub fn new(c: &Cluster, names: &[(&str, &str)], hostname: &str) -> Outside {
        let lb = |service: &str| -> std::net::Ipv4Addr {
            let s = c.api().get("v1", "Service", service).unwrap_or_else(|| panic!("no Service {service}"));
            s["status"]["loadBalancer"]["ingress"][0]["ip"]
                .as_str()
                .unwrap_or_else(|| {
                    panic!("Service {service} has no load balancer address to resolve to: {}", s["spec"])
                })
                .parse()
                .unwrap()
        };
        let addresses: Vec<(&str, std::net::Ipv4Addr)> = names.iter().map(|(n, s)| (*n, lb(s))).collect();
        let mut out =
            Outside { host: c.outside_host(&addresses), dir: tempfile::tempdir().unwrap(), ssh: String::new() };
        let secret = "one-opennebula-ssh";
        let key = out.file("id_rsa", &secret_value(c, secret, "id_rsa"));
        let host_key = out.file("host_key", &secret_value(c, secret, "ssh_host_ecdsa_key"));
        let public = crate::runner::sh::run(std::process::Command::new("ssh-keygen").args(["-y", "-f", &host_key]));
        let known_hosts =
            out.file("known_hosts", &format!("{hostname} {}", crate::runner::sh::text(&public.stdout).trim()));
        out.ssh = format!(
            "ssh -n -i {key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
             -o UserKnownHostsFile={known_hosts} -o ConnectTimeout=20 -l oneadmin {hostname}"
        );
        out
    }

    /// A file of the outside host's, mode 0600: its path.
    pub fn file(&self, name: &str, data: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// A directory of the outside host's.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The SSH command of the hypervisor's drivers to `oned.hostname` (`ssh -n <HOSTNAME>`), as oneadmin, the host
    /// key checked; a remote command follows it.
    pub fn ssh(&self) -> &str {
        &self.ssh
    }

    /// A bash script run there as root: its success and output (stdout then stderr).
    pub fn run(&self, script: &str) -> (bool, String) {
        use crate::runner::sh::{output_within, text};
        let o = output_within(self.host.command("bash").args(["-c", script]), Duration::from_secs(120))
            .unwrap_or_else(|| panic!("timed out on the outside host: {script}"));
        (o.status.success(), format!("{}{}", text(&o.stdout), text(&o.stderr)))
    }
}

/// A Secret's key, decoded.
pub fn secret_value(c: &Cluster, secret: &str, key: &str) -> String {
    let s = c.api().get("v1", "Secret", secret).unwrap_or_else(|| panic!("no Secret {secret}"));
    let b: k8s_openapi::ByteString = serde_json::from_value(s["data"][key].clone()).unwrap();
    String::from_utf8(b.0).unwrap()
}

/// The first `<TAG>` of an OpenNebula XML document, CDATA or not.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    let v = &xml[start..end];
    Some(v.strip_prefix("<![CDATA[").and_then(|v| v.strip_suffix("]]>")).unwrap_or(v).to_string())
}

/// The ID a create command prints ("ID: 12", OpenNebula/one@release-7.4.0:src/cli/one_helper.rb).
pub fn id_of(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("ID:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no ID in {out:?}"))
}

/// OpenNebula's CLI in the oned container of `pod`, as oneadmin (ONE_AUTH is the member's one_auth).
pub fn one(c: &Cluster, pod: &str, args: &[&str]) -> String {
    let mut argv = vec!["env", "ONE_AUTH=/var/lib/one/.one/one_auth"];
    argv.extend_from_slice(args);
    c.exec_ok(pod, "oned", &argv)
}

/// The OpenNebula Ruby library as the CLI loads it (7.x: load_opennebula_paths.rb), and a client as oneadmin.
pub const OCA: &str = "lib = '/usr/lib/one/ruby'; paths = File.join(lib, 'load_opennebula_paths.rb'); \
    if File.exist?(paths) then require paths else require 'rubygems'; Gem.use_paths('/usr/share/one/gems') end; \
    $LOAD_PATH << lib; require 'opennebula'; client = OpenNebula::Client.new; ";

/// An XML-RPC call of oned's API as oneadmin, from the oned container of `pod`, with the Ruby OCA: the body of the
/// answer (`call`: the method without its `one.` prefix, which OCA adds, then its arguments, as Ruby literals). `endpoint` is the XML-RPC URL (None: the container's own
/// ONE_XMLRPC, else OpenNebula's default localhost:2633).
pub fn xmlrpc(c: &Cluster, pod: &str, endpoint: Option<&str>, call: &str) -> String {
    let env_xmlrpc = endpoint.map(|e| format!("ONE_XMLRPC={e}"));
    let mut argv = vec!["env", "ONE_AUTH=/var/lib/one/.one/one_auth"];
    if let Some(e) = &env_xmlrpc {
        argv.push(e);
    }
    let script = format!("{OCA} rc = client.call({call}); abort(rc.message) if OpenNebula.is_error?(rc); print rc");
    argv.extend_from_slice(&["ruby", "-e", &script]);
    c.exec_ok(pod, "oned", &argv)
}

/// Waits until `onevm`/`onehost show -x` reports the states wanted (what OpenNebula says, not a log line).
pub fn wait_state(c: &Cluster, pod: &str, what: &str, cmd: &[&str], wanted: &[(&str, &str)]) {
    crate::runner::sh::wait_for(what, Duration::from_secs(240), Duration::from_secs(3), || {
        let xml = one(c, pod, cmd);
        wanted.iter().all(|(tag, v)| xml_value(&xml, tag).as_deref() == Some(*v)).then_some(())
    });
}

/// Every `helm test` pod of the chart succeeded (their logs in the failure message).
pub fn helm_test_passes(c: &Cluster, chart: &crate::runner::helm::Chart) -> Vec<(String, bool, String)> {
    let results = c.helm_test(chart);
    assert!(!results.is_empty(), "the chart has helm test pods");
    for (name, ok, log) in &results {
        assert!(ok, "helm test pod {name} failed:\n{log}");
    }
    results
}

/// The "still running after the grace period: SIGKILL" kubelet events of every instance of pod `name`.
pub fn sigkilled(c: &Cluster, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(c.dir().join("logs")).unwrap().flatten() {
        if !d.file_name().to_string_lossy().starts_with(&format!("{name}.")) {
            continue;
        }
        let events = std::fs::read_to_string(d.path().join("events.log")).unwrap_or_default();
        out.extend(
            events.lines().filter(|l| l.contains("SIGKILL") && !l.contains("sent by the test")).map(str::to_string),
        );
    }
    out
}
