//! `dev-sqlite`: a single front-end on SQLite. Install (the secrets hook job, the StatefulSet pod, the
//! post-install hook), `helm test` (the self-test deploys a VM on OpenNebula's dummy drivers), then the two
//! ways a pod's processes go away in a cluster: oned's container killed (restarted in place by the kubelet)
//! and the pod deleted (made again by the StatefulSet controller on the same claim). After each, OpenNebula
//! itself must still list what was made before: a dummy host MONITORED, a VM RUNNING on it, a user.
//!
//! Stand-ins beyond the runner's own (tests/real/README.md): FireEdge, guacd and the Prometheus exporter are
//! switched off (`runner::image::MISSING`), so the self-test skips its FireEdge step.

use std::time::Duration;

use super::Timer;
use crate::runner::Cluster;
use crate::runner::helm::Chart;

const NS: &str = "opennebula";
const POD: &str = "one-opennebula-0";

#[test]
fn dev_sqlite() {
    for release in crate::releases() {
        scenario(&release);
    }
}

/// The first `<TAG>` of an OpenNebula XML document, CDATA or not.
fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    let v = &xml[start..end];
    Some(v.strip_prefix("<![CDATA[").and_then(|v| v.strip_suffix("]]>")).unwrap_or(v).to_string())
}

/// The ID a create command prints ("ID: 12", OpenNebula/one@release-7.4.0:src/cli/one_helper.rb).
fn id_of(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("ID:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no ID in {out:?}"))
}

/// OpenNebula's CLI in the oned container, as oneadmin (ONE_AUTH is the member's one_auth).
fn one(c: &Cluster, args: &[&str]) -> String {
    let mut argv = vec!["env", "ONE_AUTH=/var/lib/one/.one/one_auth"];
    argv.extend_from_slice(args);
    c.exec_ok(POD, "oned", &argv)
}

/// Waits until `onevm`/`onehost show -x` reports the states wanted (what OpenNebula says, not a log line).
fn wait_state(c: &Cluster, what: &str, cmd: &[&str], wanted: &[(&str, &str)]) {
    crate::runner::sh::wait_for(what, Duration::from_secs(240), Duration::from_secs(3), || {
        let xml = one(c, cmd);
        wanted.iter().all(|(tag, v)| xml_value(&xml, tag).as_deref() == Some(*v)).then_some(())
    });
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
        Chart::generate("dev-sqlite", release, &[], work.path(), NS)
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
    }
    {
        let _t = Timer::start("helm test");
        let results = c.helm_test(&chart);
        assert!(!results.is_empty(), "the chart has helm test pods");
        for (name, ok, log) in &results {
            assert!(ok, "helm test pod {name} failed:\n{log}");
        }
        let selftest = results.iter().find(|(n, _, _)| n.ends_with("test-self")).expect("the self-test pod ran");
        assert!(selftest.2.contains("monitored") && selftest.2.contains("RUNNING"), "{}", selftest.2);
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
    }
}
