//! `dev-sqlite`: a single front-end on SQLite. Install (the secrets hook job, the StatefulSet pod, the
//! post-install hook), `helm test` (the self-test deploys a VM on OpenNebula's dummy drivers), then the two
//! ways a pod's processes go away in a cluster: oned's container killed (restarted in place by the kubelet)
//! and the pod deleted (made again by the StatefulSet controller on the same claim). After each, OpenNebula
//! itself must still list what was made before: a dummy host MONITORED, a VM RUNNING on it, a user.
//!
//! On the way, two promises of issue 16:
//! - a failing add-on never takes the API away (major 1): OneGate, a Deployment of its own, crashes (the
//!   kubelet restarts it after its back-off), then stays down; the oned pod stays Ready, the API, -ssh and -monitord Services keep it as their endpoint
//!   and oned answers XML-RPC through the API Service; OneGate then comes back;
//! - serveradmin's password rotated in the Secret (a minor): oned and OneGate follow it;
//! - configuration survives a restart (major 2): typed oned.conf attributes (`config.oned`) and driver files
//!   (`config.remotes`: a shell file and a YAML file under remotes/etc) set in the values are what oned runs
//!   with (`one.system.config`) and what its drivers read, after the container restart and the pod
//!   recreation too; an edit by hand of a driver file does not survive the pod; a re-render with other values
//!   (`helm upgrade`) rolls the pod and the new values win: the ConfigMap is the only truth.
//!
//! Stand-ins beyond the runner's own (tests/real/README.md): FireEdge, guacd and the Prometheus exporter are
//! switched off (`runner::image::MISSING`), so the self-test skips its FireEdge step.

use std::path::Path;
use std::time::Duration;

use super::prod_mysql::{AUTH_SECRET, set_secret};
use super::{Timer, id_of, xml_value, xmlrpc};
use crate::runner::Cluster;
use crate::runner::helm::Chart;

const NS: &str = "opennebula";
const POD: &str = "one-opennebula-0";
const ONEGATE: &str = "one-opennebula-onegate";

/// The settings of the values this scenario checks (config.oned, config.remotes).
struct Config {
    /// oned.conf's MAX_BACKUPS (packaged: 5, OpenNebula/one@release-7.4.0:share/etc/oned.conf:99).
    max_backups: u32,
    /// oned.conf's DEFAULT_DEVICE_PREFIX (packaged: "sd", share/etc/oned.conf:399).
    prefix: &'static str,
    /// remotes/etc/vmm/kvm/kvmrc's MIGRATE_OPTIONS (a shell file; packaged commented out,
    /// src/vmm_mad/remotes/kvm/kvmrc:42).
    migrate: &'static str,
    /// remotes/etc/vnm/OpenNebulaNetwork.conf's :arp_cache_poisoning (YAML; packaged true,
    /// src/vnm_mad/remotes/OpenNebulaNetwork.conf:25).
    arp: bool,
}

const FIRST: Config = Config { max_backups: 7, prefix: "vd", migrate: "--unsafe", arp: false };
const SECOND: Config = Config { max_backups: 9, prefix: "hd", migrate: "--unsafe --compressed", arp: true };

fn generate(release: &str, work: &Path, cfg: &Config) -> Chart {
    let values = work.join("values.yaml");
    std::fs::create_dir_all(work).unwrap();
    std::fs::write(
        &values,
        format!(
            "config:\n  oned:\n    MAX_BACKUPS: {}\n    DEFAULT_DEVICE_PREFIX: {}\n  remotes:\n    vmm/kvm/kvmrc:\n      \
             MIGRATE_OPTIONS: \"{}\"\n    vnm/OpenNebulaNetwork.conf:\n      \":arp_cache_poisoning\": {}\n",
            cfg.max_backups, cfg.prefix, cfg.migrate, cfg.arp
        ),
    )
    .unwrap();
    Chart::generate("dev-sqlite", release, &["-f", values.to_str().unwrap()], work, NS)
}

/// oned runs with the values' settings (its configuration as `one.system.config` returns it:
/// OpenNebula/one@release-7.4.0:src/rm/api/SystemAPI.cc:34-41, include/NebulaService.h:178-191), and the drivers'
/// files on the member's volume carry the values' driver settings.
fn assert_config(c: &Cluster, cfg: &Config, after: &str) {
    let conf = xmlrpc(c, POD, None, "'system.config'");
    assert_eq!(xml_value(&conf, "MAX_BACKUPS").as_deref(), Some(&*cfg.max_backups.to_string()), "{after}: {conf}");
    assert_eq!(xml_value(&conf, "DEFAULT_DEVICE_PREFIX").as_deref(), Some(cfg.prefix), "{after}: {conf}");
    let kvmrc = c.exec_ok(POD, "oned", &["cat", "/var/lib/one/remotes/etc/vmm/kvm/kvmrc"]);
    let want = format!("MIGRATE_OPTIONS=\"{}\"", cfg.migrate);
    assert_eq!(
        kvmrc.lines().filter(|l| l.starts_with("MIGRATE_OPTIONS=")).collect::<Vec<_>>(),
        [want.as_str()],
        "{after}: kvmrc\n{kvmrc}"
    );
    let net = c.exec_ok(POD, "oned", &["cat", "/var/lib/one/remotes/etc/vnm/OpenNebulaNetwork.conf"]);
    assert!(
        net.lines().any(|l| l == format!(":arp_cache_poisoning: {}", cfg.arp)),
        "{after}: OpenNebulaNetwork.conf\n{net}"
    );
    assert!(net.contains(":vxlan_mtu: 1500"), "{after}: the packaged settings kept\n{net}");
}

#[test]
fn dev_sqlite() {
    for release in crate::releases() {
        scenario(&release);
    }
}

/// OpenNebula's CLI in the front-end's oned container, as oneadmin.
fn one(c: &Cluster, args: &[&str]) -> String {
    super::one(c, POD, args)
}

fn wait_state(c: &Cluster, what: &str, cmd: &[&str], wanted: &[(&str, &str)]) {
    super::wait_state(c, POD, what, cmd, wanted);
}

/// What was made before a restart must still be there, as OpenNebula lists it.
fn assert_data(c: &Cluster, host: &str, vm: &str, after: &str) {
    // HostState MONITORED = 2 (OpenNebula/one@release-7.4.0:include/Host.h); VM ACTIVE = 3, LCM RUNNING = 3
    // (include/VirtualMachine.h).
    wait_state(c, &format!("host {host} MONITORED {after}"), &["onehost", "show", host, "-x"], &[("STATE", "2")]);
    wait_state(
        c,
        &format!("VM {vm} RUNNING {after}"),
        &["onevm", "show", vm, "-x"],
        &[("STATE", "3"), ("LCM_STATE", "3")],
    );
    let users = one(c, &["oneuser", "list", "--csv"]);
    assert!(users.contains("realtier"), "user realtier not listed {after}: {users}");
    let vms = one(c, &["onevm", "list", "--csv"]);
    assert!(vms.contains("real-vm"), "VM real-vm not listed {after}: {vms}");
}

fn scenario(release: &str) {
    let _all = Timer::start(&format!("dev-sqlite {release}"));
    let work = tempfile::tempdir().unwrap();
    let chart = {
        let _t = Timer::start("generate and render (Helm 4 and Helm 3)");
        generate(release, &work.path().join("first"), &FIRST)
    };
    let c = Cluster::new(release, NS);
    {
        let _t = Timer::start("helm install, pod Ready");
        c.install(&chart);
        // The secrets hook job made the Secrets the pod mounts: the pod's oneadmin password is the Secret's.
        let secret =
            c.api().get("v1", "Secret", "one-opennebula-auth").expect("the secrets hook job created the auth Secret");
        assert!(secret["data"]["oneadmin-password"].is_string(), "{secret}");
        assert!(
            c.api().get("v1", "ConfigMap", "one-opennebula-ssh-public-key").is_some(),
            "the publish-key hook made its ConfigMap"
        );
        c.wait_ready(POD, Duration::from_secs(900));
        // oned's and monitord's own logs reach the container's output (files/oned.sh logs_to_fifo): "Starting
        // OpenNebula <version>" (OpenNebula/one@release-7.4.0:src/nebula/Nebula.cc:319), "Init Monitor Log system"
        // (src/monitor/src/monitor/Monitor.cc:78).
        crate::runner::sh::wait_for(
            "oned's and monitord's logs",
            Duration::from_secs(60),
            Duration::from_secs(1),
            || {
                let log = c.logs(POD, "oned");
                (log.contains("Starting OpenNebula") && log.contains("Init Monitor Log system")).then_some(())
            },
        );
    }
    {
        let _t = Timer::start("helm test");
        let results = super::helm_test_passes(&c, &chart);
        let selftest = results.iter().find(|(n, _, _)| n.ends_with("test-self")).expect("the self-test pod ran");
        assert!(selftest.2.contains("monitored") && selftest.2.contains("RUNNING"), "{}", selftest.2);
    }
    {
        let _t = Timer::start("the values' oned.conf and driver settings are what runs");
        assert_config(&c, &FIRST, "after the install");
    }
    // Our own objects, checked through OpenNebula: a dummy host, a VM deployed on it, a user.
    let (host, vm) = {
        let _t = Timer::start("dummy host and VM");
        c.exec_ok(POD, "oned", &["sh", "-c", "printf 'NAME = \"real-ds\"\\nTYPE = \"SYSTEM_DS\"\\nTM_MAD = \"dummy\"\\n' > /tmp/ds && \
                                              printf 'NAME = \"real-vm\"\\nCPU = \"0.1\"\\nMEMORY = \"32\"\\n' > /tmp/vm"]);
        let ds = id_of(&one(&c, &["onedatastore", "create", "/tmp/ds"]));
        let host = id_of(&one(&c, &["onehost", "create", "real-host", "-i", "dummy", "-v", "dummy"]));
        wait_state(&c, "host real-host MONITORED", &["onehost", "show", &host, "-x"], &[("STATE", "2")]);
        let vm = id_of(&one(&c, &["onevm", "create", "/tmp/vm", "--hold"]));
        one(&c, &["onevm", "deploy", &vm, &host, &ds]);
        one(&c, &["oneuser", "create", "realtier", "not-a-secret-here"]);
        assert_data(&c, &host, &vm, "after creation");
        (host, vm)
    };
    addon_down(&c, &chart, &vm);
    serveradmin_rotated(&c, &chart);
    {
        let _t = Timer::start("kill oned: restarted in place");
        let before = c.restarts(POD, "oned");
        c.kill(POD, "oned", "KILL");
        crate::runner::sh::wait_for(
            "oned restarted by the kubelet",
            Duration::from_secs(120),
            Duration::from_millis(500),
            || (c.restarts(POD, "oned") > before).then_some(()),
        );
        c.wait_ready(POD, Duration::from_secs(600));
        assert_data(&c, &host, &vm, "after oned's container restarted");
        assert!(c.logs(POD, "oned").matches("container oned started").count() >= 2, "{}", c.logs(POD, "oned"));
        assert_config(&c, &FIRST, "after oned's container restarted");
        // An edit by hand in the pod: the drivers' copy on the member's volume, which outlives the pod.
        c.exec_ok(
            POD,
            "oned",
            &[
                "sed",
                "-i",
                "s/^MIGRATE_OPTIONS=.*/MIGRATE_OPTIONS=\"--by-hand\"/",
                "/var/lib/one/remotes/etc/vmm/kvm/kvmrc",
            ],
        );
    }
    {
        let _t = Timer::start("delete the pod: recreated on the same claim");
        let old = c.pod(POD).uid.clone();
        c.delete_pod(POD);
        crate::runner::sh::wait_for(
            "the StatefulSet made the pod again",
            Duration::from_secs(60),
            Duration::from_millis(500),
            || (c.pod(POD).uid != old).then_some(()),
        );
        c.wait_ready(POD, Duration::from_secs(900));
        assert_data(&c, &host, &vm, "after the pod was recreated");
        let log = c.logs(POD, "oned");
        assert!(!log.contains("bootstrapping"), "the recreated pod bootstrapped a new database:\n{log}");
        // Every container of the old pod stopped on SIGTERM within the grace period.
        let killed = super::sigkilled(&c, POD);
        assert!(killed.is_empty(), "containers outlived the grace period: {killed:?}");
        // The values again, not the edit by hand: the ConfigMap is the only truth.
        assert_config(&c, &FIRST, "after the pod was recreated");
    }
    {
        let _t = Timer::start("re-rendered with other settings (helm upgrade): the new ones win");
        let second = generate(release, &work.path().join("second"), &SECOND);
        let old = c.pod(POD).uid.clone();
        c.upgrade(&second);
        assert_ne!(c.pod(POD).uid, old, "the changed configuration rolled the pod");
        c.wait_ready(POD, Duration::from_secs(900));
        assert_config(&c, &SECOND, "after the re-render");
        assert_data(&c, &host, &vm, "after the re-render");
    }
}

/// Issue 16 minor: serveradmin's password rotated in the Secret. oned's serveradmin follows it
/// (files/sync-admin-users.sh: `oneuser passwd 1 --sha256`), and OneGate, which reads its `onegate_auth` once at
/// start (OpenNebula/one@release-7.4.0:src/onegate/onegate-server.rb:121, server_cipher_auth.rb), is restarted
/// with the new one by files/addon.sh: the self-test's OneGate call (a VM's token, checked by OneGate logging in
/// to oned as serveradmin) succeeds again. FireEdge and OneFlow are not in the image stand-in (`MISSING`).
fn serveradmin_rotated(c: &Cluster, chart: &Chart) {
    let _t = Timer::start("serveradmin's password rotated: oned and OneGate follow the Secret");
    let token = "5e7f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7";
    set_secret(c, AUTH_SECRET, &[("serveradmin-password", token)]);
    let sum = crate::runner::sh::run(
        std::process::Command::new("sh").args(["-c", &format!("printf %s {token} | sha256sum")]),
    );
    let want = crate::runner::sh::text(&sum.stdout).split_whitespace().next().unwrap().to_string();
    crate::runner::sh::wait_for(
        "oned's serveradmin follows the Secret",
        Duration::from_secs(300),
        Duration::from_secs(3),
        || (xml_value(&one(c, &["oneuser", "show", "1", "-x"]), "PASSWORD").as_deref() == Some(&*want)).then_some(()),
    );
    let gate = c.deployment_pods(ONEGATE)[0].name.clone();
    crate::runner::sh::wait_for(
        "OneGate restarted with the new credential",
        Duration::from_secs(120),
        Duration::from_secs(1),
        || c.logs(&gate, "onegate").contains("a credential changed in its Secret: restarting").then_some(()),
    );
    c.wait_ready(&gate, Duration::from_secs(300));
    let results = super::helm_test_passes(c, chart);
    let selftest = results.iter().find(|(n, _, _)| n.ends_with("test-self")).expect("the self-test pod ran");
    assert!(selftest.2.contains("OneGate serves VM"), "{}", selftest.2);
}

/// Issue 16 major 1: OneGate, an add-on in a Deployment of its own, crashes (restarted after the kubelet's
/// back-off), then stays down (its container's
/// image pull held, as on a node that cannot pull it); meanwhile the oned pod stays Ready, every Service that
/// routed to it before (the API, -ssh, -monitord) still does, and oned answers XML-RPC through the API Service
/// and SSH through -ssh. Then OneGate comes back and answers through its own Service.
fn addon_down(c: &Cluster, chart: &Chart, vm: &str) {
    let _t = Timer::start("OneGate crashes, then stays down: the API stays");
    let gate = || {
        let pods = c.deployment_pods(ONEGATE);
        assert_eq!(pods.len(), 1, "one OneGate pod");
        pods[0].name.clone()
    };
    let pod = gate();
    c.wait_ready(&pod, Duration::from_secs(300));
    // The Services whose endpoint is the oned pod, as the chart renders them.
    let services: Vec<String> = chart
        .objects
        .iter()
        .filter(|o| o["kind"] == "Service")
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .filter(|s| c.endpoints(s).iter().any(|p| p == POD))
        .collect();
    for want in ["one-opennebula", "one-opennebula-ssh", "one-opennebula-monitord"] {
        assert!(services.iter().any(|s| s == want), "{want} does not route to {POD}: {services:?}");
    }
    assert_eq!(c.endpoints(ONEGATE), std::slice::from_ref(&pod));
    let api = "http://one-opennebula:2633/RPC2";
    let ssh_port = chart.object("Service", "one-opennebula-ssh")["spec"]["ports"][0]["port"].to_string();
    let core_serves = |when: &str| {
        assert!(c.pod(POD).ready(), "{POD} not Ready {when}");
        for s in &services {
            assert!(c.endpoints(s).iter().any(|p| p == POD), "{s} lost {POD} {when}");
        }
        // one.vm.info (OCA's client.call adds the `one.` prefix) through the API Service: the VM is there (VM ACTIVE = 3, OpenNebula/one@release-7.4.0:
        // include/VirtualMachine.h).
        let xml = xmlrpc(c, POD, Some(api), &format!("'vm.info', {vm}"));
        assert_eq!(xml_value(&xml, "STATE").as_deref(), Some("3"), "{when}: {xml}");
        let version = xmlrpc(c, POD, Some(api), "'system.version'");
        assert!(version.starts_with(&crate::runner::helm::line(&chart.release)), "{when}: {version}");
        let keys = c.exec_ok(POD, "oned", &["ssh-keyscan", "-T", "5", "-p", &ssh_port, "one-opennebula-ssh"]);
        assert!(keys.contains("ecdsa-sha2"), "{when}: sshd through -ssh: {keys}");
    };
    // Crashed: killed, restarted by the kubelet after its back-off.
    {
        let before = c.restarts(&pod, "onegate");
        c.kill(&pod, "onegate", "KILL");
        crate::runner::sh::wait_for("OneGate not Ready", Duration::from_secs(60), Duration::from_millis(200), || {
            (!c.pod(&pod).ready()).then_some(())
        });
        core_serves("while OneGate is restarted");
        crate::runner::sh::wait_for("OneGate restarted", Duration::from_secs(120), Duration::from_millis(500), || {
            (c.restarts(&pod, "onegate") > before).then_some(())
        });
    }
    // Then down for good: its next start waits for an image pull that does not come.
    c.hold_image_pull(&pod, "onegate", true);
    c.kill(&pod, "onegate", "KILL");
    crate::runner::sh::wait_for("OneGate not Ready", Duration::from_secs(60), Duration::from_millis(200), || {
        (!c.pod(&pod).ready()).then_some(())
    });
    // Longer than oned's readiness period and failure threshold: nothing of OneGate's state reaches oned's pod.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < until {
        assert!(c.endpoints(ONEGATE).is_empty(), "OneGate's Service kept its endpoint while it is down");
        core_serves("while OneGate is down");
        std::thread::sleep(Duration::from_secs(3));
    }
    c.hold_image_pull(&pod, "onegate", false);
    c.wait_ready(&pod, Duration::from_secs(300));
    assert_eq!(c.endpoints(ONEGATE), std::slice::from_ref(&pod));
    // OneGate answers through its Service again (401 without a token: OpenNebula/one@release-7.4.0:src/onegate/onegate-server.rb:152-162).
    let port = chart.object("Service", ONEGATE)["spec"]["ports"][0]["port"].to_string();
    let code = c.exec_ok(
        POD,
        "oned",
        &["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("http://{ONEGATE}:{port}/vm")],
    );
    assert_eq!(code, "401", "OneGate's answer once back");
    assert_eq!(gate(), pod, "the same OneGate pod came back (restarted in place)");
    core_serves("after OneGate came back");
}
