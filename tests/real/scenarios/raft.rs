//! What the Raft scenarios share: the chart of a test zone, and what OpenNebula, the chart's helper, the pod labels
//! and the leader Services say about the zone, compared.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::{Duration, Instant};

use super::xml_value;
use crate::runner::Cluster;
use crate::runner::helm::Chart;
use crate::runner::sh::wait_for;

pub const NS: &str = "opennebula";
pub const STS: &str = "one-opennebula";
/// The Services that must route to the leader only (service-api, -leader, -ssh, -monitord, and -db with the
/// bundled MariaDB).
pub const LEADER_SERVICES: &[&str] =
    &["one-opennebula", "one-opennebula-leader", "one-opennebula-ssh", "one-opennebula-monitord", "one-opennebula-db"];
pub const LABEL: &str = "onechart.io/raft-role";
pub const HELPER: &str = "/run/onechart/scripts/one-raft.rb";
pub const LOCAL: &str = "http://localhost:2633/RPC2";

pub fn member(i: usize) -> String {
    format!("{STS}-{i}")
}

/// The site values of the test zone: the addresses the production profile requires, named as the cluster names
/// its Services (the -ssh Service for oned.hostname, the monitord Service for the dummy probes, OneGate's), then
/// `extra` (`--set k=v` pairs).
pub fn chart(release: &str, work: &std::path::Path, extra: &[&str]) -> Chart {
    let mut args: Vec<&str> = vec![
        "--set",
        "image.repository=localhost/opennebula-frontend",
        "--set",
        "oned.hostname=one-opennebula-ssh.opennebula.svc",
        "--set",
        "monitord.monitorAddress=one-opennebula-monitord.opennebula.svc",
        "--set",
        "onegate.endpoint=http://one-opennebula-onegate.opennebula.svc:5030",
    ];
    args.extend_from_slice(extra);
    Chart::generate("ha-raft", release, &args, work, NS)
}

/// `one-raft.rb status` of a member's own oned: (state, term, log index, commit, server ID).
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub state: String,
    pub term: u64,
    pub log_index: i64,
    pub commit: i64,
    pub server_id: String,
}

/// A command in a member's oned container, or None when the container does not run.
pub fn try_oned(c: &Cluster, pod: &str, argv: &[&str]) -> Option<Output> {
    let p = c.inner.pods.lock().unwrap().get(pod).cloned()?;
    p.try_exec("oned", argv, Duration::from_secs(120))
}

/// The Raft status of a member, as its own oned says (None: oned does not answer).
pub fn status(c: &Cluster, pod: &str) -> Option<Status> {
    let o = try_oned(c, pod, &["ruby", HELPER, "status", LOCAL])?;
    if !o.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let f: Vec<&str> = text.split_whitespace().collect();
    (f.len() == 5).then(|| Status {
        state: f[0].into(),
        term: f[1].parse().unwrap_or(0),
        log_index: f[2].parse().unwrap_or(-1),
        commit: f[3].parse().unwrap_or(-1),
        server_id: f[4].into(),
    })
}

/// The pods' `onechart.io/raft-role` labels, as the API has them.
pub fn labels(c: &Cluster) -> BTreeMap<String, String> {
    c.api()
        .list("v1", "Pod")
        .iter()
        .filter_map(|p| {
            let name = p["metadata"]["name"].as_str()?.to_string();
            name.starts_with(&format!("{STS}-"))
                .then(|| (name, p["metadata"]["labels"][LABEL].as_str().unwrap_or_default().to_string()))
        })
        .collect()
}

/// The pods a Service routes to now (Ready, selected by the labels the API has).
pub fn endpoints(c: &Cluster, service: &str) -> Vec<String> {
    let svc = c.inner.state.lock().unwrap().services.get(service).map(|s| s.service.clone());
    let svc = svc.unwrap_or_else(|| panic!("no Service {service}"));
    let mut names: Vec<String> =
        crate::runner::services::endpoints(&c.inner, &svc).iter().map(|p| p.name.clone()).collect();
    names.sort();
    names
}

/// The members that are Ready and labelled leader: what the leader Services route to.
#[allow(dead_code)] // for the ha-raft scenarios still in progress (branch real-raft)
pub fn ready_leaders(c: &Cluster) -> Vec<String> {
    endpoints(c, "one-opennebula-leader")
}

/// A server of `onezone show 0 -x` (OpenNebula's CLI asks every server's raftstatus: OpenNebula/one@
/// release-7.4.0:src/oca/ruby/opennebula/zone.rb:81-117, info_extended).
#[derive(Debug)]
pub struct ZoneServer {
    pub id: String,
    pub name: String,
    pub state: String,
    pub term: String,
}

pub fn zone_servers(xml: &str) -> Vec<ZoneServer> {
    xml.split("<SERVER>")
        .skip(1)
        .map(|s| {
            let s = &s[..s.find("</SERVER>").unwrap_or(s.len())];
            let v = |t: &str| xml_value(s, t).unwrap_or_default();
            ZoneServer { id: v("ID"), name: v("NAME"), state: v("STATE"), term: v("TERM") }
        })
        .collect()
}

/// One comparison of everything that says who leads, for a zone of `n` members: every member's own oned (one
/// leader, every member in its term), `onezone show 0 -x` (the zone lists the `n` members, the same leader and
/// term), `one-raft.rb leader` and `ready` on every member, the pod labels and the leader Services' endpoints.
/// Ok((leader, term)) when they all agree, else what disagrees.
pub fn agreement(c: &Cluster, n: usize) -> Result<(String, u64), String> {
    let mut statuses = BTreeMap::new();
    for i in 0..n {
        let m = member(i);
        let s = status(c, &m).ok_or_else(|| format!("{m}: oned does not answer"))?;
        statuses.insert(m, s);
    }
    let leaders: Vec<&String> = statuses.iter().filter(|(_, s)| s.state == "leader").map(|(m, _)| m).collect();
    let [leader] = leaders.as_slice() else { return Err(format!("not exactly one leader: {statuses:?}")) };
    let leader = leader.to_string();
    let term = statuses[&leader].term;
    if let Some((m, s)) =
        statuses.iter().find(|(_, s)| s.term != term || !matches!(s.state.as_str(), "leader" | "follower"))
    {
        return Err(format!("{m} is {} in term {}, the leader {leader} in {term}", s.state, s.term));
    }
    let xml = try_oned(c, &leader, &["onezone", "show", "0", "-x"])
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .ok_or("onezone show 0 -x failed on the leader")?;
    let servers = zone_servers(&xml);
    let mut names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    let wanted: Vec<String> = (0..n).map(member).collect();
    if names != wanted.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(format!("the zone lists {names:?}, not {wanted:?}"));
    }
    // RaftManager::State LEADER = 3 (OpenNebula/one@release-7.4.0:include/RaftManager.h:37-43).
    for s in &servers {
        let st = &statuses[&s.name];
        if s.term != term.to_string() || (s.state == "3") != (s.name == leader) || s.id != st.server_id {
            return Err(format!("onezone show: {s:?}, the member says {st:?} (leader {leader}, term {term})"));
        }
    }
    for m in &wanted {
        let o = try_oned(c, m, &["ruby", HELPER, "leader", LOCAL]).ok_or(format!("{m}: oned container down"))?;
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        if out.split_whitespace().nth(1) != Some(leader.as_str()) {
            return Err(format!("one-raft.rb leader on {m}: {out:?}, not {leader}"));
        }
        let o = try_oned(c, m, &["ruby", HELPER, "ready"]).ok_or(format!("{m}: oned container down"))?;
        if !o.status.success() {
            return Err(format!("one-raft.rb ready fails on {m}: {}", String::from_utf8_lossy(&o.stderr)));
        }
    }
    let labels = labels(c);
    for m in &wanted {
        let want = if *m == leader { "leader" } else { "follower" };
        if labels.get(m).map(String::as_str) != Some(want) {
            return Err(format!("{m} is labelled {:?}, Raft says {want}", labels.get(m)));
        }
    }
    for s in LEADER_SERVICES {
        // The -db Service exists with the bundled MariaDB only.
        if *s == "one-opennebula-db" && !c.inner.state.lock().unwrap().services.contains_key(*s) {
            continue;
        }
        let e = endpoints(c, s);
        if e != [leader.clone()] {
            return Err(format!("Service {s} routes to {e:?}, not to the leader {leader}"));
        }
    }
    Ok((leader, term))
}

/// Waits until `agreement` holds (every member Ready first): the leader and its term.
pub fn wait_agreement(c: &Cluster, n: usize, timeout: Duration) -> (String, u64) {
    let start = Instant::now();
    loop {
        let last;
        let ready = (0..n).all(|i| c.inner.pods.lock().unwrap().get(&member(i)).is_some_and(|p| p.ready()));
        if ready {
            match agreement(c, n) {
                Ok(v) => return v,
                Err(e) => last = e,
            }
        } else {
            last = format!("not every member is Ready: {:?}", ready_members(c, n));
        }
        assert!(start.elapsed() < timeout, "no agreement on the zone's leader after {timeout:?}: {last}");
        std::thread::sleep(Duration::from_secs(3));
    }
}

pub fn ready_members(c: &Cluster, n: usize) -> Vec<String> {
    (0..n).map(member).filter(|m| c.inner.pods.lock().unwrap().get(m).is_some_and(|p| p.ready())).collect()
}

/// OpenNebula's CLI on a member, as oneadmin (the member's one_auth).
pub fn one(c: &Cluster, pod: &str, args: &[&str]) -> String {
    super::one(c, pod, args)
}

/// The oned log lines of a member (every instance of its pod) that match `needle`.
pub fn oned_log_count(c: &Cluster, pod: &str, needle: &str) -> usize {
    let mut n = 0;
    for d in std::fs::read_dir(c.dir().join("logs")).into_iter().flatten().flatten() {
        if d.file_name().to_string_lossy().starts_with(&format!("{pod}.")) {
            n += std::fs::read_to_string(d.path().join("oned.log")).unwrap_or_default().matches(needle).count();
        }
    }
    n
}

/// A user, made through the leader, is on every member's own database (a follower answers reads itself).
pub fn assert_user_everywhere(c: &Cluster, n: usize, user: &str, after: &str) {
    for i in 0..n {
        let m = member(i);
        wait_for(&format!("user {user} on {m} {after}"), Duration::from_secs(120), Duration::from_secs(2), || {
            let o = try_oned(c, &m, &["oneuser", "show", user, "-x"])?;
            o.status.success().then_some(())
        });
    }
}

/// Every member's server ID, as its own oned says.
pub fn server_ids(c: &Cluster, n: usize) -> BTreeMap<String, String> {
    (0..n).map(|i| (member(i), status(c, &member(i)).expect("the member answers").server_id)).collect()
}

/// The zone scaled from `from` to `to` members as the chart's README says (`oned.replicas` raised, `helm
/// upgrade`; `chart` is the re-render): the new members join one at a time, each with a copy of the leader's
/// database (`files/raft.sh`: `wait_for_turn`, `seed_from_leader`, `onezone server-add`), never bootstrapping;
/// the StatefulSet's new template (RAFT_MEMBERS) rolls over the old members, which keep their server IDs; then
/// `onezone show 0` lists `to` servers with one leader, and `one-raft.rb`, the labels and the leader Services
/// agree with it on every member (`agreement`); a user made on the leader is on all `to`.
/// `meanwhile` runs once the re-render is applied, while the roll-out goes on.
pub fn scale_up(c: &Cluster, chart: &Chart, from: usize, to: usize, meanwhile: impl FnOnce()) -> (String, u64) {
    let before = server_ids(c, from);
    c.begin_upgrade(chart);
    meanwhile();
    c.finish_upgrade(chart);
    let (leader, term) = wait_agreement(c, to, Duration::from_secs(1800));
    let after = server_ids(c, to);
    for (m, id) in &before {
        assert_eq!(&after[m], id, "{m} runs under another server ID after the scale-up");
    }
    let distinct: std::collections::BTreeSet<&String> = after.values().collect();
    assert_eq!(distinct.len(), to, "two members run under one server ID: {after:?}");
    for i in from..to {
        let log = c.logs(&member(i), "database");
        assert!(!log.contains("bootstrapping"), "{} bootstrapped:\n{log}", member(i));
        assert!(log.contains("seeding the database from the leader's"), "{} did not copy:\n{log}", member(i));
    }
    one(c, &leader, &["oneuser", "create", "after-scale-up", "not-a-secret-here"]);
    assert_user_everywhere(c, to, "after-scale-up", "after the scale-up");
    (leader, term)
}
