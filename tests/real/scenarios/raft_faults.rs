//! Faults of a 3-member `ha-raft` zone (bundled MariaDB), each checked against what OpenNebula says:
//! - `raft_partitioned_leader`: the leader's network cut from its peers (the API server still reachable, as when
//!   a node is partitioned from the others only). oned steps down only when it sees a higher term
//!   (OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:398-465 `follower`, called from ZoneAPI::replicate_log
//!   on a newer leader term, src/rm/api/ZoneAPI.cc:391-401), so the isolated leader stays leader: it must stop
//!   being Ready and lose its leader label, the other two elect a new leader, and when the cut heals the old leader
//!   rejoins as a follower; at no time do two Ready members carry the leader label for longer than the readiness
//!   probe's period;
//! - `raft_label_patch_fails`: every PATCH of a pod fails (500, the API server's answer when etcd times out)
//!   during a fail-over (issue 16 major 5): the leader Services may be empty meanwhile, but never route to a
//!   follower, and once the API answers again every member ends with the label Raft gives it;
//! - `raft_slow_database`: a first install where one member's MariaDB comes up two minutes late (its image pull
//!   held, as on a slow node: issue 16 major 3): member 0 bootstraps as soon as that database answers, without
//!   waiting out RAFT_WAIT or being restarted.

use std::time::{Duration, Instant};

use super::Timer;
use super::raft::{self, NS, member};
use crate::runner::Cluster;
use crate::runner::sh::wait_for;

/// The readiness probe period of oned under Raft (the chart's statefulset.yaml).
fn readiness_period(c: &Cluster) -> Duration {
    let p = c.pod(&member(0));
    let oned = p.spec.containers.iter().find(|c| c.name == "oned").unwrap();
    Duration::from_secs(oned.readiness_probe.as_ref().and_then(|r| r.period_seconds).unwrap_or(10) as u64)
}

/// Installs a 3-member zone and waits for it to agree: the cluster, the leader, its term.
fn zone(release: &str, work: &std::path::Path) -> (Cluster, String, u64) {
    let chart = raft::chart(release, work, &[]);
    let c = Cluster::new(release, NS);
    c.install(&chart);
    let (leader, term) = raft::wait_agreement(&c, 3, Duration::from_secs(1800));
    (c, leader, term)
}

/// Watches the leader Services while `f` runs: the longest time two or more members were Ready and labelled
/// leader at once.
fn longest_double_leader<T>(c: &Cluster, f: impl FnOnce() -> T) -> (T, Duration) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (s, inner) = (stop.clone(), c.inner.clone());
    let watcher = std::thread::spawn(move || {
        let mut longest = Duration::ZERO;
        let mut since: Option<Instant> = None;
        while !s.load(std::sync::atomic::Ordering::SeqCst) {
            let svc = inner.state.lock().unwrap().services.get("one-opennebula-leader").map(|s| s.service.clone());
            let n = svc.map_or(0, |svc| crate::runner::services::endpoints(&inner, &svc).len());
            match (n > 1, since) {
                (true, None) => since = Some(Instant::now()),
                (false, Some(t)) => {
                    longest = longest.max(t.elapsed());
                    since = None;
                }
                _ => {}
            }
            if let Some(t) = since {
                longest = longest.max(t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        longest
    });
    let out = f();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    (out, watcher.join().unwrap())
}

#[test]
fn raft_partitioned_leader() {
    for release in crate::releases() {
        let _t = Timer::start(&format!("ha-raft {release}: the leader's network cut from its peers"));
        let work = tempfile::tempdir().unwrap();
        let (c, leader, term) = zone(&release, work.path());
        let period = readiness_period(&c);
        let peers: Vec<String> = (0..3).map(member).filter(|m| *m != leader).collect();
        let peer_refs: Vec<&str> = peers.iter().map(String::as_str).collect();
        let (new_leader, longest) = longest_double_leader(&c, || {
            c.cut(&leader, &peer_refs, true);
            // The isolated leader loses its label and its readiness; the others elect one of them.
            wait_for("the isolated leader labelled follower", Duration::from_secs(300), Duration::from_secs(1), || {
                (raft::labels(&c)[&leader] == "follower").then_some(())
            });
            wait_for("the isolated leader not Ready", Duration::from_secs(300), Duration::from_secs(1), || {
                (!c.pod(&leader).ready()).then_some(())
            });
            let new_leader = wait_for("a leader among the others", Duration::from_secs(300), Duration::from_secs(2), || {
                peers.iter().find_map(|m| {
                    let s = raft::status(&c, m)?;
                    (s.state == "leader" && s.term > term).then(|| m.clone())
                })
            });
            wait_for("the new leader alone behind -leader", Duration::from_secs(300), Duration::from_secs(1), || {
                (raft::endpoints(&c, "one-opennebula-leader") == [new_leader.clone()]).then_some(())
            });
            // Still cut: oned on the isolated member says it leads (it never saw the higher term), and nothing
            // routes to it.
            let s = raft::status(&c, &leader).expect("the isolated oned answers locally");
            assert_eq!((s.state.as_str(), s.term), ("leader", term), "the isolated oned stepped down by itself");
            std::thread::sleep(period * 3);
            assert_eq!(raft::endpoints(&c, "one-opennebula-leader"), std::slice::from_ref(&new_leader));
            c.cut(&leader, &peer_refs, false);
            let (agreed, agreed_term) = raft::wait_agreement(&c, 3, Duration::from_secs(600));
            assert_eq!(agreed, new_leader, "the healed old leader took the lead back");
            assert!(agreed_term > term);
            agreed
        });
        assert_eq!(raft::status(&c, &leader).unwrap().state, "follower", "the old leader rejoined as follower");
        assert!(
            longest <= period,
            "two Ready members labelled leader for {longest:?}, longer than the readiness period {period:?} (new leader {new_leader})"
        );
    }
}

#[test]
fn raft_label_patch_fails() {
    for release in crate::releases() {
        let _t = Timer::start(&format!("ha-raft {release}: every pod PATCH fails during a fail-over"));
        let work = tempfile::tempdir().unwrap();
        let (c, leader, term) = zone(&release, work.path());
        let pods = format!("/api/v1/namespaces/{NS}/pods/");
        let ((), longest) = longest_double_leader(&c, || {
            c.api().fail_requests("PATCH", &pods, -1, 500);
            c.kill(&leader, "oned", "KILL");
            let new_leader = wait_for("a new leader", Duration::from_secs(300), Duration::from_secs(2), || {
                (0..3).map(member).filter(|m| *m != leader).find_map(|m| {
                    let s = raft::status(&c, &m)?;
                    (s.state == "leader" && s.term > term).then_some(m)
                })
            });
            // Its hook and its label loop both fail: the labels stay as they were, and the Services route to
            // nobody (the old leader is not Ready while its oned restarts) rather than to a follower.
            wait_for("failed label PATCHes", Duration::from_secs(120), Duration::from_secs(1), || {
                let failed = c.api().requests().iter().filter(|r| r.contains("(injected 500)")).count();
                (failed >= 3).then_some(())
            });
            for e in raft::endpoints(&c, "one-opennebula-leader") {
                assert_eq!(e, leader, "a member that does not lead is behind -leader");
            }
            std::thread::sleep(Duration::from_secs(20));
            assert_ne!(raft::labels(&c)[&new_leader], "leader", "a PATCH got through the injected failures");
            c.api().clear_faults();
        });
        let (agreed, _) = raft::wait_agreement(&c, 3, Duration::from_secs(600));
        assert_ne!(agreed, leader);
        assert!(longest <= readiness_period(&c), "two Ready members labelled leader for {longest:?}");
    }
}

#[test]
fn raft_slow_database() {
    for release in crate::releases() {
        let _t = Timer::start(&format!("ha-raft {release}: one member's database two minutes late at the first install"));
        let work = tempfile::tempdir().unwrap();
        let chart = raft::chart(&release, work.path(), &[]);
        let c = Cluster::new(&release, NS);
        let slow = member(2);
        c.hold_image_pull(&slow, "mariadb", true);
        c.install(&chart);
        let held = Instant::now();
        // Member 0 waits for that database (it never bootstraps while a peer's database may hold data).
        wait_for("member 0 waiting for the held database", Duration::from_secs(600), Duration::from_secs(2), || {
            c.logs(&member(0), "database").contains(&format!("the database of {slow} does not answer yet")).then_some(())
        });
        while held.elapsed() < Duration::from_secs(120) {
            assert!(!c.logs(&member(0), "database").contains("bootstrapping"), "member 0 bootstrapped without {slow}'s database");
            std::thread::sleep(Duration::from_secs(2));
        }
        c.hold_image_pull(&slow, "mariadb", false);
        let released = Instant::now();
        wait_for("member 0 bootstrapping", Duration::from_secs(300), Duration::from_secs(1), || {
            c.logs(&member(0), "database").contains("bootstrapping a new Raft cluster").then_some(())
        });
        let after = released.elapsed();
        raft::wait_agreement(&c, 3, Duration::from_secs(1800));
        assert_eq!(c.restarts(&member(0), "oned"), 0, "member 0's oned was restarted");
        let events = std::fs::read_dir(c.dir().join("logs"))
            .unwrap()
            .flatten()
            .filter(|d| d.file_name().to_string_lossy().starts_with(&format!("{}.", member(0))))
            .map(|d| std::fs::read_to_string(d.path().join("events.log")).unwrap_or_default())
            .collect::<String>();
        assert!(!events.contains("init container database exited"), "member 0's database phase failed:\n{events}");
        eprintln!("real: member 0 bootstrapped {:.0} s after the late database came up", after.as_secs_f64());
        // A poll is RAFT_POLL (5 s) plus one pass over the peers: well under a minute, never RAFT_WAIT (600 s).
        assert!(after < Duration::from_secs(90), "member 0 bootstrapped only {after:?} after the database came up");
    }
}
