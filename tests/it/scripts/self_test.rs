//! The `helm test` self-test (`self-test.sh`): a VM on a dummy host, and cleaning up after itself.

use super::*;

/// Runs the `helm test` self-test against the cluster, from a test pod (no member of its own).
fn self_test(c: &Cluster, env: &[(&str, &str)]) -> Output {
    // The front-end's monitord.conf registers the dummy IM driver when selfTest is on: take the line from the
    // chart's own configuration template.
    let config = std::fs::read_to_string(common::root().join("chart-templates/templates/_config.tpl")).unwrap();
    let im: String = config
        .lines()
        .filter(|l| l.contains("IM_MAD = [ NAME = \"dummy\""))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    assert!(!im.is_empty(), "the chart registers no dummy IM driver");
    if !c.exists("cluster/monitord.conf") {
        c.write("cluster/monitord.conf", &im);
    }
    c.write("cluster/calls", "");
    let mut cmd = c.command("self-test.sh", "selftest");
    cmd.env_remove("POD_NAME")
        .env("HOME", c.file("selftest-home"))
        .env("SELFTEST_NAME", "onechart-selftest-one")
        .env("ONE_XMLRPC", "http://one.cloud.svc:2633/RPC2")
        .env("SELFTEST_ONEGATE", "http://one-onegate.cloud.svc:5030")
        .env("SELFTEST_FIREEDGE", "http://one-fireedge.cloud.svc:2616")
        .env("SELFTEST_WAIT", "6");
    for (k, v) in env {
        cmd.env(k, v);
    }
    std::fs::create_dir_all(c.file("selftest-home")).unwrap();
    cmd.output().unwrap()
}

fn leftovers(c: &Cluster) -> Vec<String> {
    ["cluster", "datastore", "host", "vm"]
        .iter()
        .flat_map(|k| std::fs::read_dir(c.file(&format!("cluster/one/{k}"))).into_iter().flatten())
        .map(|e| e.unwrap().path().display().to_string())
        .collect()
}

#[test]
fn the_self_test_runs_a_vm_on_a_dummy_host_and_removes_everything() {
    let c = Cluster::bootstrapped();
    c.write("cluster/onegate-env", "production");
    // A cluster left by an interrupted run is removed first.
    std::fs::create_dir_all(c.file("cluster/one/cluster")).unwrap();
    c.write("cluster/one/cluster/99", "name=onechart-selftest-one\n");
    for version in ["7.4", "7.0"] {
        let o = self_test(&c, &[("ONE_VERSION", version)]);
        assert!(o.status.success(), "{version}: {}", out(&o));
        let calls = c.calls();
        for expect in
            ["onehost create onechart-selftest-one -i dummy -v dummy -c ", "onevm create ", "--hold", "onevm deploy "]
        {
            assert!(calls.contains(expect), "{version}: `{expect}` missing: {calls}");
        }
        let text = out(&o);
        for expect in [
            "every Raft member follows one leader",
            "RUNNING on the dummy host",
            "OneGate serves VM",
            "FireEdge serves VM",
        ] {
            assert!(text.contains(expect), "{version}: {text}");
        }
        assert!(leftovers(&c).is_empty(), "{version}: left behind: {:?}", leftovers(&c));
        // Tokens and JWTs go to curl in header files, never on its command line (ps shows every argument).
        let curl: Vec<&str> = calls.lines().filter(|l| l.contains(": curl ")).collect();
        assert!(!curl.is_empty() && curl.iter().all(|l| !l.contains("TOKEN:") && !l.contains("Bearer")), "{curl:?}");
    }
}

#[test]
fn a_failing_self_test_says_why_and_still_cleans_up() {
    let c = Cluster::bootstrapped();
    c.write("cluster/onegate-env", "production");
    // No dummy IM driver in monitord.conf: the host is never monitored.
    c.write("cluster/monitord.conf", "");
    let o = self_test(&c, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains(
            "is not MONITORED: is IM_MAD dummy in monitord.conf, and does monitord.monitorAddress reach monitord"
        ),
        "{}",
        out(&o)
    );
    assert!(leftovers(&c).is_empty(), "left behind: {:?}", leftovers(&c));
    std::fs::remove_file(c.file("cluster/monitord.conf")).unwrap();
    // OneGate of 7.2 in Sinatra's development mode refuses the Service's DNS name (403).
    c.write("cluster/onegate-env", "development");
    let o = self_test(&c, &[("ONE_VERSION", "7.2")]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("OneGate answered HTTP 403"), "{}", out(&o));
    assert!(leftovers(&c).is_empty(), "left behind: {:?}", leftovers(&c));
    // A member in another term: the Raft check fails before anything is created.
    c.write("cluster/onegate-env", "production");
    c.write("cluster/term/one-2", "3");
    let o = self_test(&c, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("do not agree on one leader"), "{}", out(&o));
    assert!(!c.calls().contains("onecluster create"), "{}", c.calls());
}
