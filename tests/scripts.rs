//! The chart's start, Raft, hook, backup and restore scripts, run for real against stub commands.
//!
//! A stub is a claim about OpenNebula: every behaviour of the stubs in `tests/stubs/` (oned, onedb, onezone,
//! oneuser, and the MySQL client tools) and of the stand-in Ruby OCA in `tests/fixtures/fake-oca/` (which the
//! real `files/one-raft.rb` loads) carries the `OpenNebula/one@<tag>:path:line` it reproduces. The tests below
//! name the behaviour they rely on; the file that emulates it cites the source.
//!
//! The cluster is a directory: `cluster/zone` (servers), `cluster/leader`, `cluster/running/<pod>` (its oned
//! answers), `cluster/mysql/<server>/<database>/<table>` (the MySQL servers), `cluster/calls` (every stub call,
//! prefixed with the calling member). Each member has its own `var` (/var/lib/one), `etc`, `run` and `lock`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Cluster {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn files() -> PathBuf {
    common::root().join("chart-templates/files")
}

impl Cluster {
    fn new() -> Cluster {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let c = Cluster { _tmp: tmp, root };
        c.write("cluster/calls", "");
        c.write("cluster/oneadmin-password", "pw\n");
        c.write("auth/serveradmin-password", "c0ffee");
        c.write("auth/oneadmin-password", "pw");
        c.write("db/mysql-password", "dbpw");
        std::fs::create_dir_all(c.file("cluster/running")).unwrap();
        c
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_default()
    }

    fn exists(&self, rel: &str) -> bool {
        self.file(rel).exists()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A member's directories, as the prepare init container leaves them (created unless they exist): one_auth,
    /// and oned.conf with the database password and a solo FEDERATION section.
    fn member(&self, pod: &str) -> PathBuf {
        let m = self.root.join(pod);
        for d in ["var/.one", "var/.ssh", "run", "lock", "log", "etc"] {
            std::fs::create_dir_all(m.join(d)).unwrap();
        }
        if !m.join("etc/oned.conf").exists() {
            std::fs::write(
                m.join("etc/oned.conf"),
                "DB = [ BACKEND = \"mysql\", PASSWD = \"dbpw\" ]\nFEDERATION = [\n  MODE = \"STANDALONE\",\n  SERVER_ID = -1 ]\n",
            )
            .unwrap();
        }
        if !m.join("var/.one/one_auth").exists() {
            std::fs::write(m.join("var/.one/one_auth"), "oneadmin:pw\n").unwrap();
        }
        m
    }

    /// `sh SCRIPT` of the chart in member `pod`'s oned container.
    fn command(&self, script: &str, pod: &str) -> Command {
        let mut c = self.sh(pod);
        c.arg(files().join(script));
        c
    }

    /// `sh` with the environment of a member's oned container (three Raft members, bundled MariaDB, 7.4).
    fn sh(&self, pod: &str) -> Command {
        let m = self.member(pod);
        let stubs = common::root().join("tests/stubs");
        let mut c = Command::new("sh");
        c.env("PATH", format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()))
            .env("STUBS", &stubs)
            .env("CLUSTER", self.file("cluster"))
            .env("POD_NAME", pod)
            .env("STATEFULSET", "one")
            .env("PEERS_DOMAIN", "one-peers.cloud.svc")
            .env("RAFT_MEMBERS", "3")
            .env("GRPC", "true")
            .env("ONE_VERSION", "7.4")
            .env("ONE_RAFT", format!("ruby {}", files().join("one-raft.rb").display()))
            .env("ONE_RUBY_LIB", common::root().join("tests/fixtures/fake-oca"))
            .env("ONE_GEMS", "/nonexistent")
            .env("RAFT_WAIT", "2")
            .env("RAFT_POLL", "1")
            .env("DB_WAIT", "0")
            .env("ADMIN_SYNC_INTERVAL", "1")
            .env("HOME", m.join("var"))
            .env("ONE_VAR", m.join("var"))
            .env("ONE_RUN", m.join("run"))
            .env("ONE_LOCK", m.join("lock"))
            .env("ONE_LOG", m.join("log"))
            .env("ONE_ETC", m.join("etc"))
            .env("ONECHART_AUTH", self.file("auth"))
            .env("ONECHART_SCRIPTS", files())
            .env("DB_BACKEND", "mysql")
            .env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", "3306")
            .env("DB_USER", "oneadmin")
            .env("DB_NAME", "opennebula")
            .env("DB_PASSWORD_FILE", self.file("db/mysql-password"))
            .env("DB_BUNDLED", "true")
            .env_remove("DB_PASSWORD")
            .env_remove("ONE_AUTH")
            .env_remove("MAINTENANCE");
        c
    }

    /// Starts member `pod` (oned.sh) and returns its output; the call log is reset first.
    fn start(&self, pod: &str) -> Output {
        self.start_with(pod, &[])
    }

    fn start_with(&self, pod: &str, env: &[(&str, &str)]) -> Output {
        self.write("cluster/calls", "");
        let mut cmd = self.command("oned.sh", pod);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
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
    // From the Secret's file, never on a command line (ps shows every argument).
    assert!(calls.contains("one-0: oneuser passwd 1 --sha256 --read-file "), "{calls}");
    assert!(!calls.contains("c0ffee"), "a password on a command line: {calls}");
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
            calls.contains(&format!("{pod}: mysqldump --protocol=TCP --connect-timeout=10 -h one-0.one-peers.cloud.svc -P 3306 -u oneadmin --single-transaction")),
            "{pod} did not copy the leader's database: {calls}"
        );
        assert!(
            !calls.contains("--databases"),
            "a copy made with --databases replays DROP/USE of the leader's: {calls}"
        );
        assert!(
            calls.contains(&format!("{pod}: onezone server-add 0 --name {pod} --rpc http://{pod}.one-peers.cloud.svc:2633/RPC2 --grpc-endpoint {pod}.one-peers.cloud.svc:2634 --endpoint http://one-0.one-peers.cloud.svc:2633/RPC2")),
            "{calls}"
        );
        assert!(!calls.contains(&format!("{pod}: oneuser passwd")), "{pod} must not bootstrap: {calls}");
        assert_eq!(c.server_id(pod), id);
        assert_eq!(c.read(&format!("cluster/mysql/{pod}/opennebula/data")), "one-0\n", "{pod} holds the leader's data");
    }
    assert_eq!(c.read("cluster/zone"), "0 one-0\n1 one-1\n2 one-2\n");
}

#[test]
fn external_mysql_under_raft_copies_into_the_members_database_and_leaves_the_leaders_alone() {
    // `onedb backup` dumps with --add-drop-database --databases (OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:265):
    // replayed into opennebula_1 it would drop and refill opennebula_0, the leader's live database.
    let c = Cluster::new();
    let external = [("DB_BUNDLED", ""), ("DB_HOST", "db.example.org"), ("DB_NAME_PER_MEMBER", "true")];
    let o = c.start_with("one-0", &external);
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.exists("cluster/mysql/db/opennebula_0/db_versioning"), "member 0 bootstraps opennebula_0");
    c.write("cluster/mysql/db/opennebula_0/vm_pool", "vm-created-after-bootstrap\n");
    c.write("cluster/leader", "one-0");
    let o = c.start_with("one-1", &external);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        c.read("cluster/mysql/db/opennebula_0/vm_pool"),
        "vm-created-after-bootstrap\n",
        "leader's database changed"
    );
    assert_eq!(c.read("cluster/mysql/db/opennebula_1/vm_pool"), "vm-created-after-bootstrap\n", "member 1 got no copy");
    assert!(c.exists("cluster/mysql/db/opennebula_1/db_versioning"));
    assert_eq!(c.server_id("one-1"), "1");
}

#[test]
fn a_restarted_member_keeps_its_id_and_registers_nothing() {
    let c = Cluster::bootstrapped();
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(
        !calls.contains("server-add") && !calls.contains("server-reset") && !calls.contains("mysqldump"),
        "{calls}"
    );
    assert_eq!(c.server_id("one-1"), "1");
}

#[test]
fn a_member_that_lost_its_database_rejoins_with_server_reset() {
    let c = Cluster::bootstrapped();
    std::fs::remove_dir_all(c.file("one-1")).unwrap();
    std::fs::remove_dir_all(c.file("cluster/mysql/one-1")).unwrap();
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    let calls = c.calls();
    assert!(
        calls.contains("one-1: mysqldump --protocol=TCP --connect-timeout=10 -h one-0.one-peers.cloud.svc"),
        "{calls}"
    );
    // server-reset makes the leader resend its log from the start (RaftManager::reset_index,
    // OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:1115-1131).
    assert!(
        calls.contains("one-1: onezone server-reset 0 1 --endpoint http://one-0.one-peers.cloud.svc:2633/RPC2"),
        "{calls}"
    );
    assert!(!calls.contains("server-add"), "{calls}");
    assert_eq!(c.server_id("one-1"), "1");
    assert_eq!(c.read("one-1/var/.one/oneflow_auth"), "serveradmin:c0ffee\n");
}

#[test]
fn a_removed_member_with_data_is_never_dropped_by_itself_and_rejoins_once_dropped() {
    let c = Cluster::bootstrapped();
    // The operator scaled down and ran `onezone server-del 0 2`; the volume of one-2 was retained. Its database
    // holds data: the member refuses to drop it on its own (it could be the survivor of a cluster that a member
    // 0 without its volume re-created empty).
    c.write("cluster/zone", "0 one-0\n1 one-1\n");
    let o = c.start("one-2");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("Refusing to drop it myself"), "{}", out(&o));
    assert!(!c.calls().contains("mysqldump") && !c.calls().contains("server-add"), "{}", c.calls());
    // The operator drops it (maintenance mode), and it joins as a new server.
    std::fs::remove_file(c.file("cluster/running/one-2")).unwrap();
    let o = restore(&c, "one-2", &["--rejoin"], &[("MAINTENANCE", "true")]);
    assert!(o.status.success(), "{}", out(&o));
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
fn a_new_member_waits_for_every_registered_member_to_be_in_sync() {
    // Adding a server raises the quorum (to_commit = num_servers / 2,
    // OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:535): never while a registered member is down.
    let c = Cluster::bootstrapped();
    std::fs::remove_file(c.file("cluster/running/one-2")).unwrap();
    let o = c.command("oned.sh", "one-3").env("RAFT_MEMBERS", "5").output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("did not become healthy"), "{}", out(&o));
    assert!(!c.read("cluster/zone").contains("one-3"), "one-3 registered while one-2 was down");
    std::fs::write(c.file("cluster/running/one-2"), "").unwrap();
    let o = c.command("oned.sh", "one-3").env("RAFT_MEMBERS", "5").output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.server_id("one-3"), "3");
}

#[test]
fn member_0_with_an_empty_database_never_bootstraps_a_second_cluster() {
    let c = Cluster::bootstrapped();
    // All members restart; one-0 lost its volume, and the survivors have not elected a leader yet.
    std::fs::remove_dir_all(c.file("one-0")).unwrap();
    std::fs::remove_dir_all(c.file("cluster/mysql/one-0")).unwrap();
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
        c.calls().contains("one-0: onezone server-reset 0 0 --endpoint http://one-1.one-peers.cloud.svc:2633/RPC2"),
        "{}",
        c.calls()
    );
    assert_eq!(c.server_id("one-0"), "0");
}

#[test]
fn an_unreachable_database_is_never_taken_for_an_empty_one() {
    // `onedb version` exits 255 for a refused connection and 1 for an empty database
    // (OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:445, src/onedb/onedb:386-402): the chart asks the
    // server first and bootstraps only a database that answered and has no version tables.
    for raft in ["1", "3"] {
        let c = Cluster::new();
        c.write("cluster/mysql/one-0/down", "");
        let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", raft).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        assert!(out(&o).contains("no usable database"), "{}", out(&o));
        let calls = c.calls();
        assert!(!calls.contains("oned -f") && !calls.contains("onezone") && !calls.contains("mysqldump"), "{calls}");
        // Refused credentials stop at once, with the reason.
        std::fs::remove_file(c.file("cluster/mysql/one-0/down")).unwrap();
        c.write("cluster/mysql/one-0/password", "another");
        let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", raft).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        assert!(out(&o).contains("refuses user oneadmin"), "{}", out(&o));
        assert!(!c.calls().contains("oned -f"), "{}", c.calls());
    }
}

#[test]
fn a_single_front_end_bootstraps_an_empty_or_missing_database_and_refuses_a_partial_one() {
    let c = Cluster::new();
    // The database does not exist yet: oned creates it (CREATE DATABASE IF NOT EXISTS,
    // OpenNebula/one@release-7.4.0:src/sql/MySqlDB.cc:128).
    let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("one-0: oned -f\n"), "{}", c.calls());
    assert!(c.exists("cluster/mysql/one-0/opennebula/db_versioning"));
    // Only one of the two version tables: an interrupted bootstrap or restore. Nothing is started on it.
    std::fs::remove_file(c.file("cluster/mysql/one-0/opennebula/local_db_versioning")).unwrap();
    c.write("cluster/calls", "");
    let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("interrupted bootstrap or restore"), "{}", out(&o));
    assert!(!c.calls().contains("oned -f"), "{}", c.calls());
}

#[test]
fn schema_upgrades_authenticate_and_back_up_to_a_new_file_each_time() {
    // onedb reads the password from ONE_DB_PASSWORD or stdin (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:78-80);
    // `--backup FILE` aborts when FILE exists (onedb.rb:154-164). Two upgrades in a row must both work.
    let c = Cluster::new();
    assert!(c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap().status.success());
    for round in 1..=2 {
        c.write("cluster/mysql/one-0/opennebula/schema", "old");
        c.write("cluster/calls", "");
        let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap();
        assert!(o.status.success(), "upgrade {round}: {}", out(&o));
        assert_eq!(c.read("cluster/mysql/one-0/opennebula/schema"), "current\n");
        assert!(c.calls().contains("onedb upgrade --no-backup -t mysql"), "{}", c.calls());
        assert!(!out(&o).contains("dbpw"), "the password reached the log: {}", out(&o));
    }
    let backups: Vec<_> = std::fs::read_dir(c.file("one-0/var/backups/db")).unwrap().collect();
    assert_eq!(backups.len(), 2, "one backup per upgrade");
}

#[test]
fn the_database_password_never_reaches_the_log() {
    // oned logs its configuration, DB/PASSWD included, at start
    // (OpenNebula/one@release-7.4.0:src/nebula/Nebula.cc:319-326) and writes it to /var/lib/one/config (:240-245).
    let c = Cluster::new();
    let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let log = out(&o);
    assert!(log.contains("Starting OpenNebula"), "the stub's configuration dump is missing: {log}");
    assert!(!log.contains("dbpw") && log.contains("PASSWD = \"********\""), "{log}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(c.file("one-0/var/config")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "/var/lib/one/config holds the password: owner only, not {mode:o}");
}

#[test]
fn maintenance_mode_prepares_but_never_starts_oned() {
    let c = Cluster::new();
    let mut child = c
        .command("oned.sh", "one-0")
        .env("MAINTENANCE", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "oned.sh must keep running in maintenance mode");
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success(), "TERM ends maintenance mode cleanly");
    let calls = c.calls();
    assert!(!calls.contains("oned") && !calls.contains("mysql"), "{calls}");
    assert!(!c.exists("one-0/lock/one"));
}

#[test]
fn a_raft_cluster_refuses_member_by_member_schema_upgrades() {
    let c = Cluster::bootstrapped();
    c.write("cluster/mysql/one-1/opennebula/schema", "old");
    let o = c.start("one-1");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("never member by member"), "{}", out(&o));
    assert!(!c.calls().contains("onedb upgrade"), "{}", c.calls());
}

#[test]
fn an_empty_server_id_is_never_written() {
    // A server-add that registers nothing must stop the start, not write `SERVER_ID = ,` into oned.conf.
    let c = Cluster::new();
    c.write("cluster/zone", "");
    let mut cmd = c.command("oned.sh", "one-0");
    // The Raft helper cannot load the OCA: every lookup fails, as with a missing opennebula-rubygems.
    cmd.env("ONE_RUBY_LIB", c.file("empty-lib"));
    let o = cmd.output().unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("cannot read the zone"), "{}", out(&o));
    assert_eq!(c.server_id("one-0"), "-1");
    // The zone can be read, but the server-add registered nothing.
    let c = Cluster::new();
    c.write("cluster/server-add-ignored", "");
    let o = c.start("one-0");
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("did not register one-0"), "{}", out(&o));
    assert_eq!(c.server_id("one-0"), "-1");
}

#[test]
fn the_raft_helper_loads_opennebulas_ruby_library_in_each_layout() {
    // 7.x: /usr/lib/one/ruby/load_opennebula_paths.rb sets Gem.use_paths to /usr/share/one/gems
    // (OpenNebula/one@release-7.4.0:share/misc/load_opennebula_paths.rb); 6.10.5 has no such file and every
    // tool sets the gem path inline (OpenNebula/one@release-6.10.5:src/cli/onezone:29-47).
    let c = Cluster::bootstrapped();
    let oca = common::root().join("tests/fixtures/fake-oca/opennebula.rb");
    for layout in ["7.x", "6.10"] {
        let lib = c.file(&format!("lib-{layout}"));
        let gems = c.file(&format!("gems-{layout}"));
        std::fs::create_dir_all(&gems).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::copy(&oca, lib.join("opennebula.rb")).unwrap();
        if layout == "7.x" {
            let marker = c.file("loaded-paths");
            std::fs::write(
                lib.join("load_opennebula_paths.rb"),
                format!(
                    "require 'rubygems'\nGem.use_paths(File.realpath('{}'))\nFile.write('{}', 'yes')\n",
                    gems.display(),
                    marker.display()
                ),
            )
            .unwrap();
        }
        let o = Command::new("ruby")
            .arg(files().join("one-raft.rb"))
            .args(["status", "http://one-0.one-peers.cloud.svc:2633/RPC2"])
            .env("ONE_RUBY_LIB", &lib)
            .env("ONE_GEMS", &gems)
            .env("ONE_AUTH", c.file("one-0/var/.one/one_auth"))
            .env("CLUSTER", c.file("cluster"))
            .env("POD_NAME", "one-0")
            .output()
            .unwrap();
        assert!(o.status.success(), "{layout}: {}", out(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "leader 2 40 40 0", "{layout}");
    }
    assert_eq!(c.read("loaded-paths"), "yes", "the 7.x layout goes through load_opennebula_paths.rb");
    // No library at all: one clear message and exit 3, not a Ruby backtrace.
    let o = Command::new("ruby")
        .arg(files().join("one-raft.rb"))
        .args(["status", "http://localhost:2633/RPC2"])
        .env("ONE_RUBY_LIB", c.file("nothing"))
        .env("ONE_GEMS", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert!(out(&o).contains("cannot load OpenNebula's Ruby library"), "{}", out(&o));
}

#[test]
fn readiness_compares_a_follower_with_the_leader() {
    // A follower's COMMIT is min(leader's commit, its own last index) (OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:649-665):
    // it equals its own LOG_INDEX even when far behind, so only the leader's COMMIT tells.
    let c = Cluster::bootstrapped();
    let ready = |pod: &str| c.command("health.sh", pod).arg("raft").status().unwrap().success();
    c.write("cluster/commit/leader", "1000");
    assert!(ready("one-0"), "the leader is ready");
    c.write("cluster/log/one-1", "950");
    assert!(ready("one-1"), "a follower 50 entries behind is ready");
    c.write("cluster/log/one-1", "40");
    assert!(!ready("one-1"), "a follower 960 entries behind the leader is not ready");
    std::fs::remove_file(c.file("cluster/running/one-2")).unwrap();
    assert!(!ready("one-2"), "a member whose oned does not answer is not ready");
    c.write("cluster/leader", "");
    assert!(!ready("one-1"), "no leader: no member is ready");
}

#[test]
fn leader_change_moves_the_label_and_the_leader_only_services() {
    let c = Cluster::bootstrapped();
    let m = c.member("one-1");
    let label = c.file("label-pod");
    std::fs::write(
        &label,
        format!("#!/bin/sh\necho \"$POD_NAME: label-pod $*\" >> {}\n", c.file("cluster/calls").display()),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&label).status().unwrap();
    // The leader hook records the role and labels the pod.
    let o = c.command("raft-hook.sh", "one-1").arg("leader").env("ONE_LABEL_POD", &label).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("one-1/run/raft-role"), "leader\n");
    assert!(c.calls().contains("one-1: label-pod onechart.io/raft-role leader"), "{}", c.calls());

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
    let o = c.command("raft-hook.sh", "one-1").arg("follower").env("ONE_LABEL_POD", &label).output().unwrap();
    assert!(o.status.success());
    assert!(wait_for("stopped"), "the service kept running on a follower");
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    let _ = child.wait();
}

/// Runs the reconciliation of oneadmin's and serveradmin's passwords once, as member `pod`.
fn sync_admin_users(c: &Cluster, pod: &str) -> Output {
    c.write("cluster/calls", "");
    let script = files().join("sync-admin-users.sh");
    c.sh(pod)
        .env("ONECHART_SOURCE_ONLY", "1")
        .args(["-c", &format!(". {}; reconcile_oneadmin; reconcile_serveradmin", script.display())])
        .output()
        .unwrap()
}

#[test]
fn oneadmins_password_follows_the_secret_on_every_member() {
    // oned re-reads one_auth for every Raft call (OpenNebula/one@release-7.4.0:src/client/Client.cc:149,180,212),
    // so every member's one_auth must follow a password change; `oneuser passwd 0` stores the new password
    // (src/um/User.cc:369-382). The Secret owns the password.
    let c = Cluster::bootstrapped();
    c.write("one-0/run/raft-role", "leader\n");
    c.write("one-1/run/raft-role", "follower\n");
    c.write("auth/oneadmin-password", "n3w");
    // A follower never changes the password itself.
    let o = sync_admin_users(&c, "one-1");
    assert!(o.status.success(), "{}", out(&o));
    assert!(!c.calls().contains("passwd 0"), "{}", c.calls());
    assert_eq!(c.read("one-1/var/.one/one_auth"), "oneadmin:pw\n");
    // The leader changes it with the credentials it replaces, then rewrites its one_auth.
    let o = sync_admin_users(&c, "one-0");
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("one-0: oneuser passwd 0 --read-file "), "{}", c.calls());
    assert!(!c.calls().contains("n3w"), "a password on a command line: {}", c.calls());
    assert_eq!(c.read("cluster/oneadmin-password"), "n3w\n");
    assert_eq!(c.read("one-0/var/.one/one_auth"), "oneadmin:n3w\n");
    // The follower sees that the Secret's password now works and follows.
    let o = sync_admin_users(&c, "one-1");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("one-1/var/.one/one_auth"), "oneadmin:n3w\n");
    assert!(!c.calls().contains("passwd 0"), "{}", c.calls());
    // Changed behind the Secret's back: nothing can log in; say what to do.
    c.write("cluster/oneadmin-password", "manual\n");
    let o = sync_admin_users(&c, "one-0");
    assert!(out(&o).contains("put that password in the Secret"), "{}", out(&o));
}

#[test]
fn serveradmins_password_is_set_whenever_it_differs_from_the_secret() {
    // After an interrupted bootstrap, serveradmin keeps oned's random token (OpenNebula/one@release-7.4.0:src/um/UserPool.cc:134-163)
    // while the *_auth files hold the Secret's: the leader sets it (`oneuser passwd 1 --sha256`).
    let c = Cluster::bootstrapped();
    c.write("one-0/run/raft-role", "leader\n");
    c.write("cluster/serveradmin-hash", "sha256-of-a-random-token\n");
    let o = sync_admin_users(&c, "one-0");
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("one-0: oneuser passwd 1 --sha256 --read-file "), "{}", c.calls());
    assert!(!c.calls().contains("c0ffee"), "a password on a command line: {}", c.calls());
    assert_eq!(c.read("cluster/serveradmin-hash").trim(), sha256_hex("c0ffee"));
    let o = sync_admin_users(&c, "one-0");
    assert!(o.status.success());
    assert!(!c.calls().contains("passwd 1"), "set once: {}", c.calls());
}

fn backup_command(c: &Cluster, script: &str, dir: &Path) -> Command {
    let mut cmd = c.command(script, "backup");
    cmd.env("BACKUP_DIR", dir).env("BACKUP_RETENTION", "7").env("POD_NAME", "one-0").env("RAFT_MEMBERS", "1");
    cmd
}

#[test]
fn backups_keep_the_newest_retention_files() {
    let c = Cluster::bootstrapped();
    let dir = c.file("backups");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..9 {
        std::fs::write(dir.join(format!("onedb-scheduled-2026010{i}T000000Z.sql")), "old").unwrap();
    }
    std::fs::write(dir.join("onedb-pre-upgrade-20250101T000000Z.sql"), "keep: another label").unwrap();
    c.write("cluster/calls", "");
    let o = backup_command(&c, "backup.sh", &dir).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let made = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(std::fs::read_to_string(&made).unwrap().contains("TABLE db_versioning"));
    // Every credential OpenNebula stores is in a backup: owner-only (it was 0644).
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&made).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "{made}: mode {mode:o}");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.iter().filter(|n| n.starts_with("onedb-scheduled-")).count(), 7, "{names:?}");
    assert!(!names.contains(&"onedb-scheduled-20260100T000000Z.sql".to_string()), "the oldest is removed");
    assert!(names.contains(&"onedb-pre-upgrade-20250101T000000Z.sql".to_string()), "other labels are untouched");
    assert!(
        c.calls().contains("mysqldump --protocol=TCP --connect-timeout=10 -h 127.0.0.1 -P 3306 -u oneadmin"),
        "{}",
        c.calls()
    );
}

#[test]
fn pre_upgrade_backs_up_then_refuses_a_major_change_without_the_flag() {
    let c = Cluster::bootstrapped();
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

/// restore.sh in member `pod` with extra environment.
fn restore(c: &Cluster, pod: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = c.command("restore.sh", pod);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn restore_refuses_outside_maintenance_under_a_lock_or_while_oned_answers() {
    // onedb restore refuses while /var/lock/one/one exists or oned answers, even with -f
    // (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:171,599-609); restore.sh keeps those guards.
    let c = Cluster::bootstrapped();
    c.write("dump.sql", "TABLE db_versioning 1\n");
    let dump = c.file("dump.sql");
    let o = restore(&c, "one-0", &[dump.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("maintenance mode is off"), "{}", out(&o));
    c.write("one-0/lock/one", "");
    let o = restore(&c, "one-0", &[dump.to_str().unwrap()], &[("MAINTENANCE", "true")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("lock"), "{}", out(&o));
    std::fs::remove_file(c.file("one-0/lock/one")).unwrap();
    let o = restore(&c, "one-0", &[dump.to_str().unwrap()], &[("MAINTENANCE", "true")]);
    assert_eq!(o.status.code(), Some(1), "oned answers (running/one-0): {}", out(&o));
    assert!(out(&o).contains("oned answers"), "{}", out(&o));
}

#[test]
fn a_raft_cluster_is_restored_on_one_member_and_the_others_rejoin_it() {
    let c = Cluster::bootstrapped();
    // A backup made with `onedb backup` (--add-drop-database --databases: onedb_backend.rb:265) of the database
    // as it was; it names its database, which must not matter.
    c.write(
        "backup.sql",
        "/*!40000 DROP DATABASE IF EXISTS `opennebula`*/;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `opennebula`;\nUSE `opennebula`;\nTABLE db_versioning 1\nTABLE local_db_versioning 1\nTABLE data restored-data\nTABLE user_pool <USER><ID>0</ID><NAME>oneadmin</NAME><PASSWORD>0ld0ld</PASSWORD><AUTH_DRIVER>core</AUTH_DRIVER></USER>\n",
    );
    // Maintenance: nothing runs.
    std::fs::remove_dir_all(c.file("cluster/running")).unwrap();
    std::fs::create_dir_all(c.file("cluster/running")).unwrap();
    let maintenance = [("MAINTENANCE", "true")];
    let backup = c.file("backup.sql");
    let o = restore(&c, "one-0", &[backup.to_str().unwrap()], &maintenance);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("cluster/mysql/one-0/opennebula/data"), "restored-data\n");
    // The backup held oneadmin's password of its time; the Secret owns it: the restored database gets sha256 of
    // the Secret's (OpenNebula/one@release-7.4.0:src/um/User.cc:369-382).
    let want = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"; // sha256("pw")
    assert!(c.read("cluster/mysql/one-0/opennebula/user_pool").contains(&format!("<PASSWORD>{want}</PASSWORD>")));
    for pod in ["one-1", "one-2"] {
        let o = restore(&c, pod, &["--rejoin"], &maintenance);
        assert!(o.status.success(), "{pod}: {}", out(&o));
        assert!(!c.exists(&format!("cluster/mysql/{pod}/opennebula")), "{pod}'s database is dropped");
    }
    // Leaving maintenance: one-0 removes the others from the restored zone and leads alone; they join anew.
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        c.calls().contains("one-0: onezone server-del 0 1") && c.calls().contains("one-0: onezone server-del 0 2"),
        "{}",
        c.calls()
    );
    assert_eq!(c.server_id("one-0"), "0");
    c.write("cluster/leader", "one-0");
    for (pod, id) in [("one-1", "3"), ("one-2", "4")] {
        let o = c.start(pod);
        assert!(o.status.success(), "{pod}: {}", out(&o));
        assert_eq!(c.server_id(pod), id, "{pod} joins as a new server");
        assert_eq!(c.read(&format!("cluster/mysql/{pod}/opennebula/data")), "restored-data\n");
    }
}

#[test]
fn pre_upgrade_reads_the_running_version_from_the_statefulset() {
    use common::kube_api::FakeApi;
    use serde_json::json;
    let c = Cluster::new();
    c.write("cluster/mysql/one-0/opennebula/db_versioning", "1\n");
    // The real Ruby helper (running-version.rb) against a fake API server.
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
    assert!(!c.calls().contains("mysqldump"), "{}", c.calls());
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
    // `ruby apply-configmap.rb ...` talks to the Kubernetes API: a stub ruby records the call instead.
    let fake = c.file("fake-ruby");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("ruby"),
        format!("#!/bin/sh\necho \"$POD_NAME: ruby $*\" >> {}\n", c.file("cluster/calls").display()),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(fake.join("ruby")).status().unwrap();
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap());
    let o = c
        .command("publish-ssh-key.sh", "one-0")
        .env("PATH", &path)
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
        .env("PATH", &path)
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
    let o = c.command("oned.sh", "one-0").env("RAFT_MEMBERS", "1").output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    std::fs::remove_file(c.file("cluster/running/one-0")).unwrap();
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

#[test]
fn prepare_configures_the_member_and_keeps_one_auth_after_the_first_start() {
    let c = Cluster::new();
    // A minimal packaged /etc/one and /var/lib/one (our own text, in OpenNebula's syntax).
    c.write("image/etc/oned.conf", "LOG = [ SYSTEM = \"file\", DEBUG_LEVEL = 3 ]\nDB = [ BACKEND = \"sqlite\",\n       TIMEOUT = 2500 ]\n# DB = [ PASSWD = \"oneadmin\" ]\nFEDERATION = [ MODE = \"STANDALONE\", SERVER_ID = -1 ]\n");
    c.write("image/etc/monitord.conf", "LOG = [\n  system = \"FILE\",\n  debug_level = 3\n]\nNETWORK = [ ADDRESS = \"::\", MONITOR_ADDRESS = \"auto\", PORT = 4124 ]\n");
    c.write("image/var/remotes/VERSION", "7.4.0\n");
    for (k, v) in [
        ("oned.conf", "LOG = [ SYSTEM = \"std\", DEBUG_LEVEL = 3 ]\nHOSTNAME = \"one.example.org\"\n"),
        (
            "monitord.conf",
            "LOG = [ SYSTEM = \"std\", DEBUG_LEVEL = 3 ]\nNETWORK = [ ADDRESS = \"0.0.0.0\", MONITOR_ADDRESS = \"192.0.2.10\", PORT = 4124 ]\n",
        ),
        ("ssh_config", "Host *\n  StrictHostKeyChecking yes\n"),
        ("sshd_config", "Port 2222\n"),
        ("authorized_keys", "ssh-ed25519 AAAAextra hypervisor\n"),
    ] {
        c.write(&format!("config/{k}"), v);
    }
    for (k, v) in [("one-key", "0123"), ("fireedge-key", "ABCD")] {
        c.write(&format!("auth/{k}"), v);
    }
    std::fs::create_dir_all(c.file("ssh")).unwrap();
    for (name, kind) in [("id_rsa", "rsa"), ("ssh_host_ecdsa_key", "ecdsa")] {
        let o = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-f"])
            .arg(c.file(&format!("ssh/{name}")))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
    }
    std::fs::remove_file(c.file("ssh/id_rsa.pub")).unwrap();
    let run = || {
        for d in ["etc", "data", "log"] {
            std::fs::create_dir_all(c.file(&format!("run/{d}"))).unwrap();
        }
        Command::new("sh")
            .arg(files().join("prepare.sh"))
            .env("ONECHART_CONFIG", c.file("config"))
            .env("ONECHART_AUTH", c.file("auth"))
            .env("ONECHART_SSH", c.file("ssh"))
            .env("ONECHART_SCRIPTS", files())
            .env("ONECHART_ETC", c.file("run/etc"))
            .env("ONECHART_DATA", c.file("run/data"))
            .env("ONECHART_LOG", c.file("run/log"))
            .env("ONECHART_IMAGE_ETC", c.file("image/etc"))
            .env("ONECHART_IMAGE_DATA", c.file("image/var"))
            .env("ONE_HOSTNAME", "one.example.org")
            .env("DB_BACKEND", "mysql")
            .env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", "3306")
            .env("DB_USER", "oneadmin")
            .env("DB_NAME", "opennebula")
            .env("DB_PASSWORD_FILE", c.file("db/mysql-password"))
            .output()
            .unwrap()
    };
    let o = run();
    assert!(o.status.success(), "{}", out(&o));
    let oned = c.read("run/etc/oned.conf");
    assert!(oned.contains("PASSWD = \"dbpw\"") && oned.contains("BACKEND = \"mysql\""), "{oned}");
    assert!(!oned.contains("SYSTEM = \"file\"") && oned.contains("SYSTEM = \"std\""), "{oned}");
    let monitord = c.read("run/etc/monitord.conf");
    assert!(
        !monitord.contains("FILE") && monitord.contains("SYSTEM = \"std\"") && !monitord.contains("\"::\""),
        "{monitord}"
    );
    assert_eq!(c.read("run/data/.one/one_auth"), "oneadmin:pw\n");
    let keys = c.read("run/etc/sshd/authorized_keys");
    assert!(keys.starts_with("ssh-rsa ") && keys.contains("ssh-ed25519 AAAAextra hypervisor"), "{keys}");
    assert!(c.read("run/data/.ssh/known_hosts").starts_with("one.example.org ecdsa-sha2-nistp256 "));
    use std::os::unix::fs::PermissionsExt;
    for f in ["run/etc/sshd/ssh_host_ecdsa_key", "run/data/.one/one_auth", "run/data/.ssh/id_rsa"] {
        let mode = std::fs::metadata(c.file(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{f} is {mode:o}");
    }
    for f in ["onegate.log", "fireedge.log", "onehem.log", "oneform.log"] {
        assert_eq!(std::fs::read_link(c.file(&format!("run/log/{f}"))).unwrap(), Path::new("/dev/stdout"), "{f}");
    }
    // The next start keeps one_auth: after the first start it holds the password OpenNebula has.
    c.write("auth/oneadmin-password", "changed");
    std::fs::remove_dir_all(c.file("run/etc")).unwrap();
    let o = run();
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("run/data/.one/one_auth"), "oneadmin:pw\n");
}

/// Runs the `helm test` self-test against the cluster, from a test pod (no member of its own).
fn self_test(c: &Cluster, env: &[(&str, &str)]) -> Output {
    // The front-end's monitord.conf registers the dummy IM driver when selfTest is on: take the line from the
    // chart's own configuration template.
    let config =
        std::fs::read_to_string(common::root().join("chart-templates/templates/configmap-config.yaml")).unwrap();
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
    assert!(out(&o).contains("is not MONITORED: is IM_MAD dummy in monitord.conf?"), "{}", out(&o));
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

#[test]
fn a_raft_cluster_changes_release_line_only_in_maintenance_mode() {
    // A new release line brings a new schema (LATEST_DB_VERSION 7.2.0 -> 7.4.0,
    // OpenNebula/one@release-7.4.0:src/onedb/database_schema.rb:153); a Raft member refuses to upgrade its own.
    let c = Cluster::bootstrapped();
    let dir = c.file("backups");
    let run = |members: &str, maintenance: &str| {
        let o = backup_command(&c, "pre-upgrade.sh", &dir)
            .env("OLD_VERSION", "7.2.0")
            .env("NEW_VERSION", "7.4.0")
            .env("ALLOW_MAJOR", "false")
            .env("RAFT_MEMBERS", members)
            .env("MAINTENANCE", maintenance)
            .output()
            .unwrap();
        (o.status.code(), out(&o))
    };
    let (code, text) = run("3", "false");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("outside maintenance mode"), "{text}");
    assert_eq!(run("3", "true").0, Some(0));
    assert_eq!(run("1", "false").0, Some(0), "a single front-end upgrades its schema itself at start");

    // In maintenance: member 0 upgrades its schema and leads a new cluster; the others rejoin it.
    for pod in ["one-0", "one-1", "one-2"] {
        c.write(&format!("cluster/mysql/{pod}/opennebula/schema"), "old");
    }
    std::fs::remove_dir_all(c.file("cluster/running")).unwrap();
    std::fs::create_dir_all(c.file("cluster/running")).unwrap();
    let maintenance = [("MAINTENANCE", "true")];
    let o = restore(&c, "one-0", &["--upgrade"], &maintenance);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("upgraded"), "{}", out(&o));
    assert_eq!(c.read("cluster/mysql/one-0/opennebula/schema"), "current\n");
    assert!(!out(&o).contains("dbpw"), "{}", out(&o));
    for pod in ["one-1", "one-2"] {
        assert!(restore(&c, pod, &["--rejoin"], &maintenance).status.success());
    }
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    c.write("cluster/leader", "one-0");
    for pod in ["one-1", "one-2"] {
        let o = c.start(pod);
        assert!(o.status.success(), "{pod}: {}", out(&o));
        assert_eq!(
            c.read(&format!("cluster/mysql/{pod}/opennebula/schema")),
            "current\n",
            "{pod} copies the upgraded schema"
        );
    }
}

#[test]
fn member_0_without_its_volume_never_bootstraps_while_a_peers_database_holds_data() {
    // A full restart: no oned answers yet, and member 0 lost its volume. Its peers' databases still hold the
    // cloud: bootstrapping would start a second, empty one.
    let c = Cluster::bootstrapped();
    c.write("cluster/mysql/one-1/opennebula/vm_pool", "precious\n");
    std::fs::remove_dir_all(c.file("cluster/running")).unwrap();
    std::fs::create_dir_all(c.file("cluster/running")).unwrap();
    c.write("cluster/leader", "");
    std::fs::remove_dir_all(c.file("one-0")).unwrap();
    std::fs::remove_dir_all(c.file("cluster/mysql/one-0")).unwrap();
    let o = c.start("one-0");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("the database of one-1 holds data"), "{}", out(&o));
    assert!(!c.calls().contains("oned -f") && !c.calls().contains("server-add"), "{}", c.calls());
    // A peer's database server that does not answer yet is not taken for an empty one either.
    std::fs::remove_dir_all(c.file("cluster/mysql/one-1/opennebula")).unwrap();
    std::fs::remove_dir_all(c.file("cluster/mysql/one-2/opennebula")).unwrap();
    c.write("cluster/mysql/one-2/down", "");
    let o = c.start("one-0");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("the database of one-2 does not answer yet"), "{}", out(&o));
    assert!(!c.calls().contains("oned -f"), "{}", c.calls());
}

#[test]
fn a_member_that_lost_only_its_server_id_waits_for_the_leader_instead_of_registering_again() {
    // Zone server names are not unique: registering again would add a second one-0.
    let c = Cluster::bootstrapped();
    std::fs::remove_file(c.file("one-0/var/.onechart/server-id")).unwrap();
    std::fs::remove_dir_all(c.file("cluster/running")).unwrap();
    std::fs::create_dir_all(c.file("cluster/running")).unwrap();
    c.write("cluster/leader", "");
    let o = c.start("one-0");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("belongs to a Raft cluster"), "{}", out(&o));
    assert!(!c.calls().contains("server-add"), "{}", c.calls());
    for pod in ["one-1", "one-2"] {
        c.write(&format!("cluster/running/{pod}"), "");
    }
    c.write("cluster/leader", "one-1");
    let o = c.start("one-0");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.server_id("one-0"), "0");
    assert_eq!(c.read("cluster/zone").matches("one-0").count(), 1, "{}", c.read("cluster/zone"));
}

#[test]
fn a_single_front_end_on_an_external_server_keeps_its_database_as_member_0() {
    // As a single front-end it used `opennebula`; as Raft member 0 it uses `opennebula_0`.
    let c = Cluster::new();
    let single = [("RAFT_MEMBERS", "1"), ("DB_BUNDLED", ""), ("DB_HOST", "db.example.org")];
    let o = c.start_with("one-0", &single);
    assert!(o.status.success(), "{}", out(&o));
    c.write("cluster/mysql/db/opennebula/vm_pool", "the-cloud\n");
    std::fs::remove_file(c.file("cluster/running/one-0")).unwrap();
    let o = c.start_with("one-0", &[("DB_BUNDLED", ""), ("DB_HOST", "db.example.org"), ("DB_NAME_PER_MEMBER", "true")]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("becomes member 0's"), "{}", out(&o));
    assert_eq!(c.read("cluster/mysql/db/opennebula_0/vm_pool"), "the-cloud\n");
    assert!(!c.calls().contains("oneuser passwd 1"), "no bootstrap: {}", c.calls());
    assert_eq!(c.server_id("one-0"), "0");
}

#[test]
fn an_interrupted_copy_is_taken_for_a_partial_database() {
    // mysqldump writes the version tables first: a load killed halfway looks bootstrapped.
    let c = Cluster::bootstrapped();
    c.write("one-1/var/.onechart/loading", "");
    std::fs::remove_file(c.file("cluster/mysql/one-1/opennebula/data")).unwrap();
    let o = c.start("one-1");
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("a load into this database was interrupted"), "{}", out(&o));
    assert!(c.calls().contains("one-1: mysqldump"), "the member copies the leader's again: {}", c.calls());
    assert_eq!(c.read("cluster/mysql/one-1/opennebula/data"), "one-0\n");
    assert!(!c.exists("one-1/var/.onechart/loading"));
}

#[test]
fn a_failed_schema_upgrade_loads_the_backup_back_and_is_not_retried_by_itself() {
    // With --no-backup onedb restores nothing when a migrator fails (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:341-362).
    let c = Cluster::new();
    let single = [("RAFT_MEMBERS", "1")];
    assert!(c.start_with("one-0", &single).status.success());
    c.write("cluster/mysql/one-0/opennebula/schema", "old");
    c.write("cluster/mysql/one-0/opennebula/vm_pool", "good\n");
    c.write("cluster/upgrade-fails", "");
    for attempt in 1..=3 {
        let o = c.start_with("one-0", &single);
        assert_eq!(o.status.code(), Some(1), "attempt {attempt}: {}", out(&o));
        assert_eq!(c.read("cluster/mysql/one-0/opennebula/vm_pool"), "good\n", "attempt {attempt}");
        assert_eq!(c.read("cluster/mysql/one-0/opennebula/schema"), "old\n", "attempt {attempt}");
    }
    assert_eq!(c.calls().matches("onedb upgrade").count(), 0, "the last starts did not try again: {}", c.calls());
    let backups = std::fs::read_dir(c.file("one-0/var/backups/db")).unwrap().count();
    assert_eq!(backups, 1, "the backup is kept, and no new one replaced it");
}

#[test]
fn a_leader_only_daemon_restarts_when_its_credentials_change() {
    // onehem reads one_auth once, at start (OpenNebula/one@release-7.4.0:src/hem/onehem-server.rb:272).
    let c = Cluster::new();
    let m = c.member("one-0");
    std::fs::write(m.join("run/onechart-ready"), "").unwrap();
    let log = m.join("hem.log");
    let daemon = format!(
        "echo started >> {0}; trap 'echo stopped >> {0}; exit 0' TERM; while :; do sleep 0.1; done",
        log.display()
    );
    let mut child = c
        .command("leader-only.sh", "one-0")
        .env("RAFT_MEMBERS", "1")
        .env("LEADER_POLL", "0.2")
        .args(["one_auth", "sh", "-c", &daemon])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let count = |text: &str| std::fs::read_to_string(&log).unwrap_or_default().matches(text).count();
    let wait_for = |text: &str, n: usize| {
        (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            count(text) >= n
        })
    };
    assert!(wait_for("started", 1), "the daemon did not start");
    std::fs::write(m.join("var/.one/one_auth"), "oneadmin:n3w\n").unwrap();
    assert!(wait_for("stopped", 1) && wait_for("started", 2), "the daemon did not restart: {}", count("started"));
    // TERM, as the kubelet sends it: leader-only.sh stops its daemon and exits.
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    let _ = child.wait();
    assert!(wait_for("stopped", 2), "the daemon outlived leader-only.sh");
}

#[test]
fn the_sqlite_front_end_bootstraps_backs_up_upgrades_and_restores() {
    let c = Cluster::new();
    let sqlite = [("RAFT_MEMBERS", "1"), ("DB_BACKEND", "sqlite"), ("DB_BUNDLED", "")];
    let o = c.start_with("one-0", &sqlite);
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("one-0: oned -f\n") && c.exists("one-0/var/sqlite/db_versioning"), "{}", c.calls());
    // Restart: nothing to do.
    let o = c.start_with("one-0", &sqlite);
    assert!(o.status.success(), "{}", out(&o));
    assert!(!c.calls().contains("oneuser passwd 1"), "{}", c.calls());
    // Upgrade: onedb with --sqlite, after a backup of its own.
    c.write("one-0/var/sqlite/schema", "old");
    let o = c.start_with("one-0", &sqlite);
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("onedb upgrade --no-backup --sqlite"), "{}", c.calls());
    // Restore in maintenance mode, and the Secret's oneadmin password in the restored database.
    let backup = std::fs::read_dir(c.file("one-0/var/backups/db")).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(c.file("cluster/running/one-0")).unwrap();
    c.write("one-0/var/sqlite/data", "changed-since\n");
    let mut cmd = c.command("restore.sh", "one-0");
    for (k, v) in sqlite.iter().chain([("MAINTENANCE", "true")].iter()) {
        cmd.env(k, v);
    }
    let o = cmd.arg(&backup).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(c.calls().contains("onedb restore -f"), "{}", c.calls());
    assert_eq!(c.read("one-0/var/sqlite/data"), "one-0\n");
}

/// The SHA-256 of a text, in hex.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}
