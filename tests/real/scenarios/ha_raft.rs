//! `ha-raft`: three members started together, each with its bundled MariaDB (a native sidecar), the add-ons
//! (OneGate) as a Deployment reaching the leader through the -leader Service. What OpenNebula says about its zone
//! (`onezone show 0 -x`, each member's raftstatus) must agree with the chart's helper (`one-raft.rb`), the pod
//! labels and the leader Services' endpoints (`raft::agreement`) after each of:
//! - the first install (bootstrap, one leader, `helm test`), and oned's events reaching an add-on pod over ZeroMQ
//!   through -leader:2101;
//! - the leader's oned killed: a new leader among the others, in a later term; the old one rejoins as follower;
//! - a member whose volumes are lost (pod deleted, StatefulSet paused, both claims removed, resumed): it joins again
//!   with the leader's data, under its old server ID, and never bootstraps a second cloud;
//! - `helm upgrade` with `oned.replicas=5`: members 3 and 4 join, the zone lists five;
//! - oneadmin's password changed in the Secret (issue 16 major 7): no election (the same term before and after, no
//!   member starting one), never two pods labelled leader, every member's one_auth rewritten, the new password
//!   accepted through the leader Service, the old one refused.
//!
//! Stand-ins beyond the runner's own (tests/real/README.md): MariaDB is Debian 12's 10.11 in place of the
//! official 11.4 image; oned without gRPC (`oned.grpc.enabled=false`), FireEdge, OneFlow, OneForm, OneKS and the
//! exporter off (`runner::image::MISSING`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::raft::{self, NS, STS, member};
use super::{Timer, helm_test_passes};
use crate::runner::Cluster;
use crate::runner::sh::wait_for;

#[test]
fn ha_raft() {
    for release in crate::releases() {
        scenario(&release);
    }
}

/// A user, made through the leader, is on every member's own database (a follower answers reads itself).
fn assert_user_everywhere(c: &Cluster, n: usize, user: &str, after: &str) {
    for i in 0..n {
        let m = member(i);
        wait_for(&format!("user {user} on {m} {after}"), Duration::from_secs(120), Duration::from_secs(2), || {
            let o = raft::try_oned(c, &m, &["oneuser", "show", user, "-x"])?;
            o.status.success().then_some(())
        });
    }
}

/// oned's hook manager publishes `EVENT API <call> <result>` for each API call (OpenNebula/one@release-7.4.0:
/// src/hm_mad/one_hm.rb:136-145, 196-201): an add-on pod subscribes through -leader:2101, as OneFlow and FireEdge
/// do, while users are made until one event arrives.
fn assert_events_reach_addons(c: &Cluster, leader: &str, tag: &str) {
    let onegate = c.deployment_pods("one-opennebula-onegate");
    let addon = onegate.first().expect("the OneGate Deployment has a pod").clone();
    let sub = "require 'ffi-rzmq'\nc = ZMQ::Context.new\ns = c.socket(ZMQ::SUB)\n\
               s.setsockopt(ZMQ::SUBSCRIBE, 'EVENT API one.user.allocate 1')\ns.setsockopt(ZMQ::RCVTIMEO, 90_000)\n\
               s.connect('tcp://one-opennebula-leader.opennebula.svc:2101')\nm = ''\nexit 1 if s.recv_string(m) < 0\nputs m\n";
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let subscriber = std::thread::spawn(move || {
        let o = addon.try_exec("onegate", &["ruby", "-e", sub], Duration::from_secs(120));
        d.store(true, Ordering::SeqCst);
        o
    });
    let mut i = 0;
    while !done.load(Ordering::SeqCst) {
        i += 1;
        raft::one(c, leader, &["oneuser", "create", &format!("zmq-{tag}-{i}"), "not-a-secret-here"]);
        std::thread::sleep(Duration::from_secs(2));
    }
    let o = subscriber.join().unwrap().expect("the subscriber ran in the OneGate pod");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.starts_with("EVENT API one.user.allocate 1"), "no event through -leader:2101: {o:?}");
}

fn scenario(release: &str) {
    let _all = Timer::start(&format!("ha-raft {release}"));
    let work = tempfile::tempdir().unwrap();
    let chart = raft::chart(release, &work.path().join("three"), &[]);
    let c = Cluster::new(release, NS);
    let (mut leader, mut term) = {
        let _t = Timer::start("helm install, 3 members started together, one leader");
        c.install(&chart);
        let (leader, term) = raft::wait_agreement(&c, 3, Duration::from_secs(1800));
        // Member 0 bootstrapped, the others joined with a copy of its database: nobody else bootstrapped.
        for i in 1..3 {
            let log = c.logs(&member(i), "database");
            assert!(!log.contains("bootstrapping"), "{} bootstrapped:\n{log}", member(i));
            assert!(log.contains("seeding the database from the leader's"), "{} did not copy:\n{log}", member(i));
        }
        (leader, term)
    };
    {
        let _t = Timer::start("helm test; the OneGate Deployment Ready; oned's events through -leader:2101");
        helm_test_passes(&c, &chart);
        wait_for("the OneGate pod Ready", Duration::from_secs(600), Duration::from_secs(2), || {
            c.deployment_pods("one-opennebula-onegate").iter().any(|p| p.ready()).then_some(())
        });
        assert_events_reach_addons(&c, &leader, "install");
        raft::one(&c, &leader, &["oneuser", "create", "before-failover", "not-a-secret-here"]);
        assert_user_everywhere(&c, 3, "before-failover", "after the install");
    }
    {
        let _t = Timer::start("kill the leader's oned: a new leader, the old one follows");
        let old = leader.clone();
        let before = c.restarts(&old, "oned");
        c.kill(&old, "oned", "KILL");
        // The others elect one of them, in a later term (they wait the election timeout first).
        let (new_leader, new_term) = wait_for("a new leader", Duration::from_secs(300), Duration::from_secs(2), || {
            (0..3).map(member).filter(|m| *m != old).find_map(|m| {
                let s = raft::status(&c, &m)?;
                (s.state == "leader" && s.term > term).then_some((m, s.term))
            })
        });
        wait_for("the old leader's oned restarted", Duration::from_secs(300), Duration::from_secs(1), || {
            (c.restarts(&old, "oned") > before).then_some(())
        });
        let (agreed, agreed_term) = raft::wait_agreement(&c, 3, Duration::from_secs(900));
        assert_eq!(agreed, new_leader, "the leader changed again");
        assert!(agreed_term >= new_term);
        assert_eq!(raft::labels(&c)[&old], "follower");
        assert_events_reach_addons(&c, &agreed, "failover");
        assert_user_everywhere(&c, 3, "before-failover", "after the fail-over");
        (leader, term) = (agreed, agreed_term);
    }
    {
        let _t = Timer::start("member 0 loses its volumes: it joins again with the leader's data");
        let lost = member(0);
        let id_before = raft::status(&c, &lost).expect("member 0 answers").server_id;
        raft::one(&c, &leader, &["oneuser", "create", "before-loss", "not-a-secret-here"]);
        c.pause_statefulset(STS, true);
        c.delete_pod(&lost);
        for claim in ["data", "mariadb"] {
            let dir = c.dir().join("claims").join(format!("{claim}-{lost}"));
            std::fs::remove_dir_all(&dir).unwrap();
            c.api().delete("v1", "PersistentVolumeClaim", &format!("{claim}-{lost}"));
        }
        c.pause_statefulset(STS, false);
        let (agreed, agreed_term) = raft::wait_agreement(&c, 3, Duration::from_secs(1800));
        assert!(agreed_term >= term, "the term went back from {term} to {agreed_term}");
        (leader, term) = (agreed, agreed_term);
        assert_eq!(raft::status(&c, &lost).unwrap().server_id, id_before, "member 0 rejoined under another ID");
        let log = c.logs(&lost, "database");
        assert!(!log.contains("bootstrapping"), "member 0 bootstrapped a second cloud:\n{log}");
        assert!(log.contains("resetting it"), "member 0 did not rejoin with server-reset:\n{log}");
        assert_user_everywhere(&c, 3, "before-loss", "after member 0 rejoined");
        assert_user_everywhere(&c, 3, "before-failover", "after member 0 rejoined");
        raft::one(&c, &leader, &["oneuser", "create", "before-scale", "not-a-secret-here"]);
    }
    {
        let _t = Timer::start("helm upgrade oned.replicas=5: members 3 and 4 join");
        let five = raft::chart(release, &work.path().join("five"), &["--set", "oned.replicas=5"]);
        c.upgrade(&five);
        let (agreed, agreed_term) = raft::wait_agreement(&c, 5, Duration::from_secs(2400));
        assert!(agreed_term >= term, "the term went back from {term} to {agreed_term}");
        (leader, term) = (agreed, agreed_term);
        assert_user_everywhere(&c, 5, "before-scale", "after the scale-up");
    }
    {
        let _t = Timer::start("oneadmin's password rotated in the Secret: no election");
        let elections: Vec<usize> = (0..5).map(|i| raft::oned_log_count(&c, &member(i), "Starting election")).collect();
        let old_password = secret_value(&c, "one-opennebula-auth", "oneadmin-password");
        let new_password = "rotated-Pw-0123456789";
        let secret = c.api().path("v1", "Secret", Some("one-opennebula-auth"));
        let (code, body) =
            c.api().request("PATCH", &secret, Some(&json!({"data": {"oneadmin-password": base64(new_password)}})));
        assert_eq!(code, 200, "{body}");
        // Sampled until every member's one_auth holds the new password: never two pods labelled leader.
        let start = Instant::now();
        wait_for("every member's one_auth rewritten", Duration::from_secs(600), Duration::from_millis(500), || {
            let leaders: Vec<String> =
                raft::labels(&c).into_iter().filter(|(_, l)| l == "leader").map(|(m, _)| m).collect();
            assert!(leaders.len() <= 1, "two pods labelled leader during the rotation: {leaders:?}");
            (0..5)
                .all(|i| {
                    raft::try_oned(&c, &member(i), &["cat", "/var/lib/one/.one/one_auth"])
                        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == format!("oneadmin:{new_password}"))
                })
                .then_some(())
        });
        eprintln!("real: every one_auth rewritten {:.0} s after the Secret changed", start.elapsed().as_secs_f64());
        let (after, after_term) = raft::wait_agreement(&c, 5, Duration::from_secs(300));
        assert_eq!((after, after_term), (leader, term), "the rotation changed the leader or the term");
        for (i, before) in elections.iter().enumerate() {
            let n = raft::oned_log_count(&c, &member(i), "Starting election");
            assert_eq!(n, *before, "{} started an election during the rotation", member(i));
        }
        // Through the leader Service, from an add-on pod: the new password logs in, the old one no more.
        let addon = c.deployment_pods("one-opennebula-onegate")[0].clone();
        let login = |password: &str| {
            let script = format!(
                "umask 077; printf 'oneadmin:%s\\n' '{password}' > /tmp/try-auth; \
                 ONE_AUTH=/tmp/try-auth ONE_XMLRPC=http://one-opennebula-leader.{NS}.svc:2633/RPC2 oneuser show 0 -x; \
                 rc=$?; rm -f /tmp/try-auth; exit $rc"
            );
            addon.try_exec("onegate", &["sh", "-c", &script], Duration::from_secs(60)).expect("exec in the OneGate pod")
        };
        let o = login(new_password);
        assert!(o.status.success(), "the new password is refused through -leader: {o:?}");
        let o = login(&old_password);
        assert!(!o.status.success(), "the old password still logs in through -leader: {o:?}");
    }
}

/// A Secret's data value (base64, as the API has it).
fn base64(s: &str) -> serde_json::Value {
    serde_json::to_value(k8s_openapi::ByteString(s.as_bytes().to_vec())).unwrap()
}

/// A Secret's key, decoded.
pub fn secret_value(c: &Cluster, secret: &str, key: &str) -> String {
    let s = c.api().get("v1", "Secret", secret).unwrap_or_else(|| panic!("no Secret {secret}"));
    let b: k8s_openapi::ByteString = serde_json::from_value(s["data"][key].clone()).unwrap();
    String::from_utf8(b.0).unwrap()
}
