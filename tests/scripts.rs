//! The chart's start, Raft, hook and backup scripts, run for real against stub `oned`, `onedb`, `onezone`,
//! `oneuser` and Raft-helper commands that emulate a zone and record every call: a three-member bootstrap, a
//! restart, a lost-database rejoin, a removed member coming back, ordering and split-brain guards, a leader
//! change, backups with retention, and the pre-upgrade guard.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Stub commands. They share state in $CLUSTER: `zone` ("<id> <name>" lines), `next-id`, `leader`, `running/<pod>`
/// and `calls` (one line per call, prefixed with the calling member).
const STUBS: &[(&str, &str)] = &[
    (
        "one-raft",
        r#"pod=$(echo "$2" | sed -e 's|^http://||' -e 's|[.:].*||')
[ "$pod" = localhost ] && pod=$POD_NAME
[ -f "$CLUSTER/running/$pod" ] || exit 1
case $1 in
  status)
    if [ "$(cat "$CLUSTER/leader" 2>/dev/null)" = "$pod" ]; then echo "leader 2 40 40 0"
    else echo "follower 2 ${FOLLOWER_INDEX:-40} 40 1"; fi ;;
  servers) cat "$CLUSTER/zone" 2>/dev/null || true ;;
esac"#,
    ),
    (
        "onezone",
        r#"echo "$POD_NAME: onezone $*" >> "$CLUSTER/calls"
case $1 in
  server-add)
    name=""
    while [ $# -gt 0 ]; do [ "$1" = --name ] && name=$2; shift; done
    id=$(cat "$CLUSTER/next-id" 2>/dev/null || echo 0)
    echo $((id + 1)) > "$CLUSTER/next-id"
    echo "$id $name" >> "$CLUSTER/zone" ;;
esac"#,
    ),
    (
        "onedb",
        r#"echo "$POD_NAME: onedb $*" >> "$CLUSTER/calls"
case $1 in
  version) case $(cat "$ONE_VAR/db-state" 2>/dev/null || echo empty) in
             ready) exit 0 ;; empty) exit 1 ;; upgrade) exit 2 ;; newer) exit 3 ;; esac ;;
  backup) for last; do :; done; echo "-- dump" > "$last" ;;
  restore|upgrade) echo ready > "$ONE_VAR/db-state" ;;
esac"#,
    ),
    (
        "oned",
        r#"echo "$POD_NAME: oned $*" >> "$CLUSTER/calls"
echo ready > "$ONE_VAR/db-state"
mkdir -p "$CLUSTER/running" && touch "$CLUSTER/running/$POD_NAME"
# The final `exec oned -f` comes after oned.sh marks the member ready; the bootstrap run waits for TERM.
[ -f "$ONE_RUN/onechart-ready" ] && exit 0
trap 'exit 0' TERM
while :; do sleep 0.1; done"#,
    ),
    ("oneuser", r#"echo "$POD_NAME: oneuser $*" >> "$CLUSTER/calls""#),
    ("ruby", r#"echo "${POD_NAME:-}: ruby $*" >> "$CLUSTER/calls""#),
    ("ssh-agent", "exit 0"),
    ("ssh-add", "exit 0"),
];

struct Cluster {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    stubs: PathBuf,
}

impl Cluster {
    fn new() -> Cluster {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let stubs = root.join("stubs");
        std::fs::create_dir_all(&stubs).unwrap();
        for (name, body) in STUBS {
            let p = stubs.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            Command::new("chmod").arg("+x").arg(&p).status().unwrap();
        }
        std::fs::create_dir_all(root.join("cluster/running")).unwrap();
        std::fs::create_dir_all(root.join("auth")).unwrap();
        for (k, v) in [("serveradmin-password", "c0ffee"), ("oneadmin-password", "pw")] {
            std::fs::write(root.join("auth").join(k), v).unwrap();
        }
        Cluster { _tmp: tmp, root, stubs }
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_default()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A member's directories, created fresh unless they exist.
    fn member(&self, pod: &str) -> PathBuf {
        let m = self.root.join(pod);
        for d in ["var/.one", "var/.ssh", "run", "lock", "log", "etc"] {
            std::fs::create_dir_all(m.join(d)).unwrap();
        }
        if !m.join("etc/oned.conf").exists() {
            std::fs::write(m.join("etc/oned.conf"), "FEDERATION = [\n  MODE = \"STANDALONE\",\n  SERVER_ID = -1 ]\n")
                .unwrap();
        }
        m
    }

    fn command(&self, script: &str, pod: &str) -> Command {
        let m = self.member(pod);
        let scripts = common::root().join("chart-templates/files");
        let mut c = Command::new("sh");
        c.arg(scripts.join(script))
            .env("PATH", format!("{}:{}", self.stubs.display(), std::env::var("PATH").unwrap()))
            .env("CLUSTER", self.root.join("cluster"))
            .env("POD_NAME", pod)
            .env("STATEFULSET", "one")
            .env("PEERS_DOMAIN", "one-peers.cloud.svc")
            .env("RAFT_MEMBERS", "3")
            .env("GRPC", "true")
            .env("ONE_RAFT", "one-raft")
            .env("RAFT_WAIT", "2")
            .env("RAFT_POLL", "1")
            .env("ONE_VAR", m.join("var"))
            .env("ONE_RUN", m.join("run"))
            .env("ONE_LOCK", m.join("lock"))
            .env("ONE_LOG", m.join("log"))
            .env("ONE_ETC", m.join("etc"))
            .env("ONECHART_AUTH", self.root.join("auth"))
            .env("ONECHART_SCRIPTS", &scripts)
            .env("DB_BACKEND", "mysql")
            .env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", "3306")
            .env("DB_USER", "oneadmin")
            .env("DB_NAME", "opennebula")
            .env("DB_PASSWORD", "dbpw")
            .env("DB_BUNDLED", "true");
        c
    }

    /// Starts member `pod` (oned.sh) and returns its output; the call log is reset first.
    fn start(&self, pod: &str) -> Output {
        self.write("cluster/calls", "");
        self.command("oned.sh", pod).output().unwrap()
    }

    fn calls(&self) -> String {
        self.read("cluster/calls")
    }

    fn server_id(&self, pod: &str) -> String {
        let conf = self.read(&format!("{pod}/etc/oned.conf"));
        conf.lines()
            .find_map(|l| l.trim().strip_prefix("SERVER_ID = "))
            .unwrap_or("")
            .trim_end_matches(" ]")
            .to_string()
    }

    /// The state after a three-member bootstrap: one-0 leads, one-1 and one-2 follow.
    fn bootstrapped() -> Cluster {
        let c = Cluster::new();
        for pod in ["one-0", "one-1", "one-2"] {
            let o = c.start(pod);
            assert!(o.status.success(), "{pod}: {}", out(&o));
            if pod == "one-0" {
                c.write("cluster/leader", "one-0");
            }
        }
        c
    }
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn three_member_bootstrap_registers_each_member_once_in_order() {
    let c = Cluster::new();
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(calls.contains("one-0: oned -f\n"), "{calls}");
    assert!(calls.contains("one-0: oneuser passwd 1 --sha256 c0ffee"), "{calls}");
    assert!(
        calls.contains(
            "one-0: onezone server-add 0 --name one-0 --rpc http://one-0.one-peers.cloud.svc:2633/RPC2 --grpc-endpoint one-0.one-peers.cloud.svc:2634\n"
        ),
        "{calls}"
    );
    assert_eq!(c.server_id("one-0"), "0");
    assert_eq!(c.read("one-0/var/.one/sunstone_auth"), "serveradmin:c0ffee\n");
    c.write("cluster/leader", "one-0");

    for (pod, id) in [("one-1", "1"), ("one-2", "2")] {
        let o = c.start(pod);
        assert!(o.status.success(), "{pod}: {}", out(&o));
        let calls = c.calls();
        assert!(
            calls.contains(&format!(
                "{pod}: onedb backup -t mysql -S one-0.one-peers.cloud.svc -P 3306 -u oneadmin -d opennebula -f"
            )),
            "{pod} did not dump the leader's database: {calls}"
        );
        assert!(calls.contains(&format!("{pod}: onedb restore -t mysql -S 127.0.0.1")), "{calls}");
        assert!(
            calls.contains(&format!("{pod}: onezone server-add 0 --name {pod} --rpc http://{pod}.one-peers.cloud.svc:2633/RPC2 --grpc-endpoint {pod}.one-peers.cloud.svc:2634 --endpoint http://one-0.one-peers.cloud.svc:2633/RPC2")),
            "{calls}"
        );
        assert!(!calls.contains(&format!("{pod}: oned -f\n{pod}: oneuser")), "{pod} must not bootstrap: {calls}");
        assert_eq!(c.server_id(pod), id);
    }
    assert_eq!(c.read("cluster/zone"), "0 one-0\n1 one-1\n2 one-2\n");
}

#[test]
fn a_restarted_member_keeps_its_id_and_registers_nothing() {
    let c = Cluster::bootstrapped();
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(
        !calls.contains("server-add") && !calls.contains("server-reset") && !calls.contains("onedb backup"),
        "{calls}"
    );
    assert_eq!(c.server_id("one-1"), "1");
}

#[test]
fn a_member_that_lost_its_database_rejoins_with_server_reset() {
    let c = Cluster::bootstrapped();
    std::fs::remove_dir_all(c.file("one-1")).unwrap();
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(calls.contains("one-1: onedb backup -t mysql -S one-0.one-peers.cloud.svc"), "{calls}");
    assert!(
        calls.contains("one-1: onezone server-reset 0 1 --endpoint http://one-0.one-peers.cloud.svc:2633/RPC2"),
        "{calls}"
    );
    assert!(!calls.contains("server-add"), "{calls}");
    assert_eq!(c.server_id("one-1"), "1");
    assert_eq!(c.read("one-1/var/.one/oneflow_auth"), "serveradmin:c0ffee\n");
}

#[test]
fn a_removed_member_comes_back_with_a_new_id() {
    let c = Cluster::bootstrapped();
    // The operator scaled down and ran `onezone server-del 0 2`; the volume of one-2 was retained.
    c.write("cluster/zone", "0 one-0\n1 one-1\n");
    let o = c.start("one-2");
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("one-2: onezone server-add 0 --name one-2"), "{}", c.calls());
    assert_eq!(c.server_id("one-2"), "3", "server IDs are never reused");
    assert_eq!(c.read("one-2/var/.onechart/server-id"), "3\n");
}

#[test]
fn members_join_one_at_a_time() {
    let c = Cluster::new();
    assert!(c.start("one-0").status.success());
    c.write("cluster/leader", "one-0");
    // one-1 has not joined yet: one-2 must wait for it (and gives up after RAFT_WAIT, to be restarted).
    let o = c.start("one-2");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("waiting for a leader and for one-1 to join"), "{}", out(&o));
    assert!(!c.calls().contains("server-add"), "{}", c.calls());
}

#[test]
fn member_0_with_an_empty_database_never_bootstraps_a_second_cluster() {
    let c = Cluster::bootstrapped();
    // All members restart; one-0 lost its volume, and the survivors have not elected a leader yet.
    std::fs::remove_dir_all(c.file("one-0")).unwrap();
    c.write("cluster/leader", "");
    let o = c.start("one-0");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let calls = c.calls();
    assert!(!calls.contains("oned -f") && !calls.contains("server-add"), "{calls}");
    // Once one-1 leads, one-0 rejoins under its old ID.
    c.write("cluster/leader", "one-1");
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        c.calls().contains("one-0: onezone server-reset 0 0 --endpoint http://one-1.one-peers.cloud.svc:2633/RPC2")
    );
    assert_eq!(c.server_id("one-0"), "0");
}

#[test]
fn a_raft_cluster_refuses_member_by_member_schema_upgrades() {
    let c = Cluster::bootstrapped();
    c.write("one-1/var/db-state", "upgrade");
    let o = c.start("one-1");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("never member by member"), "{}", out(&o));
    assert!(!c.calls().contains("onedb upgrade"), "{}", c.calls());
}

#[test]
fn leader_change_moves_the_label_and_the_leader_only_services() {
    let c = Cluster::bootstrapped();
    let m = c.member("one-1");
    // The leader hook records the role and labels the pod.
    let o = c.command("raft-hook.sh", "one-1").arg("leader").output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("one-1/run/raft-role"), "leader\n");
    assert!(c.calls().contains("one-1: ruby "), "{}", c.calls());
    assert!(c.calls().contains("label-pod.rb onechart.io/raft-role leader"), "{}", c.calls());

    // A leader-only service runs while the member leads and stops when it follows.
    std::fs::write(m.join("run/onechart-ready"), "").unwrap();
    std::fs::write(m.join("var/.one/onegate_auth"), "serveradmin:c0ffee\n").unwrap();
    let log = m.join("service.log");
    let service = format!(
        "echo started >> {0}; trap 'echo stopped >> {0}; exit 0' TERM; while :; do sleep 0.1; done",
        log.display()
    );
    let mut child = c
        .command("leader-only.sh", "one-1")
        .env("LEADER_POLL", "0.2")
        .args(["onegate_auth", "sh", "-c", &service])
        .spawn()
        .unwrap();
    let wait_for = |text: &str| {
        for _ in 0..100 {
            if std::fs::read_to_string(&log).unwrap_or_default().contains(text) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for("started"), "the service did not start on the leader");
    let o = c.command("raft-hook.sh", "one-1").arg("follower").output().unwrap();
    assert!(o.status.success());
    assert!(wait_for("stopped"), "the service kept running on a follower");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn readiness_means_leader_or_follower_in_sync() {
    let c = Cluster::bootstrapped();
    let ready = |pod: &str, index: &str| {
        c.command("health.sh", pod).arg("raft").env("FOLLOWER_INDEX", index).status().unwrap().success()
    };
    assert!(ready("one-0", "40"), "the leader is ready");
    assert!(ready("one-1", "35"), "a follower close to the commit index is ready");
    assert!(!ready("one-1", "-500"), "a follower far behind is not ready");
    std::fs::remove_file(c.file("cluster/running/one-2")).unwrap();
    assert!(!ready("one-2", "40"), "a member whose oned does not answer is not ready");
}

fn backup_command(c: &Cluster, script: &str, dir: &Path) -> Command {
    let mut cmd = c.command(script, "backup");
    cmd.env("BACKUP_DIR", dir).env("BACKUP_RETENTION", "7");
    cmd
}

#[test]
fn backups_keep_the_newest_retention_files() {
    let c = Cluster::new();
    let dir = c.file("backups");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..9 {
        std::fs::write(dir.join(format!("onedb-scheduled-2026010{i}T000000Z.sql")), "old").unwrap();
    }
    std::fs::write(dir.join("onedb-pre-upgrade-20250101T000000Z.sql"), "keep: another label").unwrap();
    let o = backup_command(&c, "backup.sh", &dir).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let made = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(std::fs::read_to_string(&made).unwrap().contains("-- dump"));
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.iter().filter(|n| n.starts_with("onedb-scheduled-")).count(), 7, "{names:?}");
    assert!(!names.contains(&"onedb-scheduled-20260100T000000Z.sql".to_string()), "the oldest is removed");
    assert!(names.contains(&"onedb-pre-upgrade-20250101T000000Z.sql".to_string()), "other labels are untouched");
    assert!(c.calls().contains("onedb backup -t mysql -S 127.0.0.1 -P 3306 -u oneadmin -d opennebula -f"));
}

#[test]
fn pre_upgrade_backs_up_then_refuses_a_major_change_without_the_flag() {
    let c = Cluster::new();
    let dir = c.file("backups");
    let run = |old: &str, new: &str, allow: &str| {
        let o = backup_command(&c, "pre-upgrade.sh", &dir)
            .env("OLD_VERSION", old)
            .env("NEW_VERSION", new)
            .env("ALLOW_MAJOR", allow)
            .output()
            .unwrap();
        (o.status.code(), out(&o))
    };
    let (code, text) = run("6.10.5", "7.4.0", "false");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refusing the major version change 6.10.5 -> 7.4.0"), "{text}");
    let backups = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(backups, 1, "the backup is taken before the refusal");

    let (code, text) = run("7.2.0", "7.4.0", "false");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("same major version"), "{text}");

    let (code, text) = run("6.10.5", "7.4.0", "true");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("allowed by upgrade.allowMajorVersionChange"), "{text}");

    let (code, text) = run("", "7.4.0", "false");
    assert_eq!(code, Some(0), "a fresh install has nothing to compare: {text}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4, "every run took a backup");
}

#[test]
fn pre_upgrade_reads_the_running_version_from_the_statefulset() {
    use common::kube_api::FakeApi;
    use serde_json::json;
    let c = Cluster::new();
    // The real Ruby helper (running-version.rb) against a fake API server, instead of the recording stub.
    std::fs::remove_file(c.stubs.join("ruby")).unwrap();
    let dir = c.file("backups");
    // The Role the chart gives the hook (templates/job-pre-upgrade.yaml): get on its own StatefulSet only.
    let rules = json!([{"resource": "statefulsets", "verbs": ["get"], "names": ["one-opennebula"]}]);
    let run = |api: &FakeApi, new: &str| {
        let mut cmd = backup_command(&c, "pre-upgrade.sh", &dir);
        cmd.env("STATEFULSET", "one-opennebula").env("NEW_VERSION", new).env("ALLOW_MAJOR", "false");
        let o = api.env(&mut cmd).output().unwrap();
        (o.status.code(), out(&o))
    };
    let backups = || std::fs::read_dir(&dir).map_or(0, |d| d.count());

    // A first install (Argo CD runs pre-upgrade hooks as PreSync at every sync): nothing to back up yet.
    let api = FakeApi::start(&json!({"rules": rules}));
    let (code, text) = run(&api, "7.4.0");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("does not exist yet (a first install)"), "{text}");
    assert_eq!(backups(), 0);
    assert!(!c.calls().contains("onedb backup"), "{}", c.calls());
    assert_eq!(api.requests(), ["GET /apis/apps/v1/namespaces/cloud/statefulsets/one-opennebula"]);

    let running = |version: &str| {
        FakeApi::start(&json!({"rules": rules, "objects": {"statefulsets": {"one-opennebula": {
            "labels": {"app.kubernetes.io/version": version, "app.kubernetes.io/name": "opennebula"}}}}}))
    };
    let (code, text) = run(&running("6.10.5"), "7.4.0");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refusing the major version change 6.10.5 -> 7.4.0"), "{text}");
    assert_eq!(backups(), 1, "the backup is taken before the refusal");
    let (code, text) = run(&running("7.2.0"), "7.4.0");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("OpenNebula 7.2.0 -> 7.4.0: same major version"), "{text}");

    // The API refuses (a Role naming another StatefulSet): never upgrade blind.
    let api = FakeApi::start(&json!({"rules": [{"resource": "statefulsets", "verbs": ["get"], "names": ["other"]}]}));
    let (code, text) = run(&api, "7.4.0");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("HTTP 403 Forbidden") && text.contains("refusing to upgrade blind"), "{text}");
}

#[test]
fn prepare_never_makes_an_ssh_key_of_its_own() {
    let c = Cluster::new();
    let m = c.member("one-0");
    for key in ["one-key", "fireedge-key"] {
        c.write(&format!("auth/{key}"), "k");
    }
    std::fs::create_dir_all(c.file("ssh-secret")).unwrap();
    let files = common::root().join("chart-templates/files");
    // prepare.sh's identity step alone (ONECHART_SOURCE_ONLY: its functions, not main), in a member's environment.
    let member = c.command("prepare.sh", "one-0");
    let o = Command::new("sh")
        .args(["-c", &format!(". {}/prepare.sh; install_identity", files.display())])
        .envs(member.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("ONECHART_SOURCE_ONLY", "1")
        .env("ONECHART_SSH", c.file("ssh-secret"))
        .env("ONECHART_DATA", m.join("var"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("the SSH Secret has no id_rsa"), "{}", out(&o));
    assert!(!m.join("var/.ssh/id_rsa").exists(), "a member generated a key of its own");
}

#[test]
fn the_public_key_is_published_from_the_private_key() {
    let c = Cluster::new();
    let key = c.file("id_rsa");
    let o =
        Command::new("ssh-keygen").args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"]).arg(&key).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let expected = std::fs::read_to_string(c.file("id_rsa.pub")).unwrap();
    let expected = expected.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    std::fs::remove_file(c.file("id_rsa.pub")).unwrap();
    let o = c
        .command("publish-ssh-key.sh", "one-0")
        .env("SSH_KEY_FILE", &key)
        .env("SSH_PUB_FILE", c.file("missing.pub"))
        .env("CONFIGMAP", "one-opennebula-ssh-public-key")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(calls.contains("apply-configmap.rb one-opennebula-ssh-public-key id_rsa.pub=ssh-rsa "), "{calls}");
    assert!(calls.contains(&format!("authorized_keys={expected} oneadmin@opennebula")), "{calls}");
    // A Secret holding garbage publishes nothing.
    std::fs::write(&key, "not a key").unwrap();
    let o = c
        .command("publish-ssh-key.sh", "one-0")
        .env("SSH_KEY_FILE", &key)
        .env("SSH_PUB_FILE", c.file("x"))
        .env("CONFIGMAP", "x")
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn a_single_front_end_grows_into_member_0() {
    let c = Cluster::new();
    // A prod-mysql front-end ran for a while with SERVER_ID -1: its database exists, it has no Raft ID.
    c.member("one-0");
    c.write("one-0/var/db-state", "ready");
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(calls.contains("one-0: oned -f\n"), "a solo oned registers the member: {calls}");
    assert!(calls.contains("one-0: onezone server-add 0 --name one-0"), "{calls}");
    assert!(!calls.contains("oneuser passwd"), "an existing database keeps its serveradmin password: {calls}");
    assert_eq!(c.server_id("one-0"), "0");
    c.write("cluster/leader", "one-0");
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.server_id("one-1"), "1");
}
