//! `ha-raft` on one external MariaDB server (the chart's README, "Raft HA"): every member has its own database on
//! it, `<name>_<ordinal>` (`database.mysql.name` opennebula: `opennebula_0`...), and the database user has every
//! privilege on `opennebula\_%` as the README tells the operator to grant. Three members start together, then
//! `oned.replicas` goes to 5 (`raft::scale_up`). Each joining member copies the leader's database into its own
//! (`files/raft.sh`, `seed_from_leader`: a dump of the tables without `--databases`, loaded by `load_dump`, which
//! drops and re-creates the member's own database only). What it must never do is what `onedb backup`'s dump
//! would do when loaded under another name: drop and refill the leader's database (`--add-drop-database
//! --databases <db>`: OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:265). Proven by MariaDB itself:
//! - its general query log (every statement, with the connection's database) shows no DROP or CREATE DATABASE,
//!   DROP TABLE, TRUNCATE or RENAME TABLE on the leader's database while the members join, and shows the
//!   joiners' own DROP DATABASE (the check sees what it looks for);
//! - across the scale-up, the tables of the three first members' databases keep their creation times (a table
//!   dropped and loaded again gets a new one) and oned's version tables their checksums;
//! - the server holds exactly `opennebula_0` to `opennebula_<n-1>`, no database shared by two members.
//!
//! Stand-ins beyond the runner's (tests/real/README.md): the external server is Debian 12's MariaDB 10.11 behind
//! the tier's entrypoint for the official image (`runner/mariadb-entrypoint.sh`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::Timer;
use super::prod_mysql_faults::{DB, DB_POD, DB_SECRET, external_database, sql};
use super::raft::{self, NS, member};
use crate::runner::Cluster;

#[test]
fn ha_raft_external() {
    for release in crate::ha_releases() {
        scenario(&release);
    }
}

/// The general query log of the external server (on its claim), as MariaDB writes it.
const GENERAL_LOG: &str = "/var/lib/mysql/general.log";

/// A statement of the general log: its byte offset in the log, the connection's database when it ran, and its
/// text. (The client's address says nothing here: every connection comes through a Service's proxy.)
#[derive(Debug)]
struct Statement {
    offset: usize,
    db: String,
    text: String,
}

/// The statements of MariaDB's general log (`<yymmdd hh:mm:ss>\t` or `\t\t`, then `<thread id> <command>\t<argument>`,
/// a statement's further lines unprefixed), each with the database its connection was using: the one named at
/// `Connect` ("user@host on <db> using TCP/IP"), changed by `Init DB` and `USE`.
fn statements(log: &str) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    let mut threads: BTreeMap<String, String> = BTreeMap::new();
    let mut offset = 0;
    for line in log.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let line = line.trim_end_matches('\n');
        let rest = match line.split_once('\t') {
            Some((time, rest)) if time.is_empty() || time.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => {
                if let Some(last) = out.last_mut() {
                    last.text.push('\n');
                    last.text.push_str(line);
                }
                continue;
            }
        };
        let head = rest.trim_start_matches('\t').trim_start();
        let Some((id, after)) = head.split_once(' ') else { continue };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (command, arg) = after.split_once('\t').unwrap_or((after, ""));
        let entry = threads.entry(id.to_string()).or_default();
        match command.trim() {
            "Connect" => {
                *entry = arg
                    .split_once(" on ")
                    .map(|(_, d)| d.split(" using").next().unwrap_or_default().trim().to_string())
                    .unwrap_or_default();
            }
            "Init DB" => *entry = arg.trim().to_string(),
            "Query" => {
                let q = arg.trim();
                if let Some(db) = q.strip_prefix("use ").or_else(|| q.strip_prefix("USE ")) {
                    *entry = db.trim().trim_matches('`').trim_end_matches(';').trim_matches('`').to_string();
                }
                out.push(Statement { offset: at, db: entry.clone(), text: q.to_string() });
            }
            _ => {}
        }
    }
    out
}

/// A statement that drops or (re)creates a database or a table: what loading a copy into the wrong database runs.
/// Not `CREATE DATABASE IF NOT EXISTS`, which oned runs at every start on its own database
/// (OpenNebula/one@release-7.4.0:src/sql/MySqlDB.cc:128) and which changes nothing that exists.
const REPLACING: &[&str] = &["DROP DATABASE", "CREATE DATABASE", "DROP TABLE", "TRUNCATE", "RENAME TABLE"];

/// The database a statement acts on: the one it names (`opennebula_N`), else its connection's.
fn target(s: &Statement) -> String {
    let named = s.text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).find(|w| w.starts_with("opennebula_"));
    named.map_or_else(|| s.db.clone(), str::to_string)
}

/// The statements after byte `from` of the log that drop or (re)create a table or database in `db`.
fn replacing_in(log: &str, from: usize, db: &str) -> Vec<String> {
    statements(log)
        .into_iter()
        .filter(|s| s.offset >= from && target(s) == db)
        .filter(|s| {
            let t = s.text.trim_start_matches("/*!40000 ").to_ascii_uppercase();
            REPLACING.iter().any(|r| t.starts_with(r))
                && !t.starts_with("CREATE DATABASE IF NOT EXISTS")
                && !t.contains("ONECHART_PRIVILEGE_PROBE")
        })
        .map(|s| format!("at byte {} (connection on {:?}): {}", s.offset, s.db, s.text))
        .collect()
}

fn general_log(c: &Cluster) -> String {
    let path =
        c.dir().join("claims").join(format!("data-{DB_POD}")).join(GENERAL_LOG.trim_start_matches("/var/lib/mysql/"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The databases of the server that start with `opennebula`.
fn databases(c: &Cluster) -> Vec<String> {
    let mut d: Vec<String> = sql(c, "SHOW DATABASES LIKE 'opennebula%'").lines().map(str::to_string).collect();
    d.sort();
    d
}

/// The creation time of every table of `dbs` (a dropped and re-created table gets a new one), and the checksums
/// of oned's version tables (written at bootstrap and by `onedb upgrade` only).
fn fingerprint(c: &Cluster, dbs: &[String]) -> String {
    let list = dbs.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(",");
    let times = sql(
        c,
        &format!(
            "SELECT table_schema, table_name, create_time FROM information_schema.tables \
             WHERE table_schema IN ({list}) ORDER BY 1, 2"
        ),
    );
    assert!(times.lines().count() > 10 * dbs.len(), "too few tables in {dbs:?}:\n{times}");
    let versions: Vec<String> =
        dbs.iter().flat_map(|d| [format!("{d}.db_versioning"), format!("{d}.local_db_versioning")]).collect();
    let sums = sql(c, &format!("CHECKSUM TABLE {} EXTENDED", versions.join(", ")));
    format!("{times}\n{sums}")
}

/// MariaDB's default `max_connections` (151) holds three members (42 connections each: `files/raft.sh`,
/// `member_connections`), not five. Member 3 must not register while it would not fit: it waits and says why, and
/// the zone stays at three servers, all agreeing. Raised as the chart's README says (42 per member and room for
/// joins and backups: 250 for five), the scale-up goes on.
fn room_for_members(c: &Cluster) {
    assert_eq!(sql(c, "SELECT @@max_connections").trim(), "151");
    let m3 = member(3);
    crate::runner::sh::wait_for(
        "member 3 waiting for room on the database server",
        Duration::from_secs(900),
        Duration::from_secs(2),
        // Member 3's pod is made by the roll-out, maybe after this wait starts.
        || c.logs_if_any(&m3, "database").contains("room for 42 more connections on the database server").then_some(()),
    );
    std::thread::sleep(Duration::from_secs(20));
    let (leader, _) = raft::agreement(c, 3).unwrap_or_else(|e| panic!("the zone of three is not whole: {e}"));
    let zone = raft::zone_servers(&raft::one(c, &leader, &["onezone", "show", "0", "-x"]));
    assert_eq!(zone.len(), 3, "member 3 registered without room on the server: {zone:?}");
    sql(c, "SET GLOBAL max_connections = 250");
}

fn scenario(release: &str) {
    let _all = Timer::start(&format!("ha-raft on one external MariaDB {release}"));
    let work = tempfile::tempdir().unwrap();
    let external =
        ["--set", &format!("database.mysql.host={DB}"), "--set", &format!("database.mysql.existingSecret={DB_SECRET}")];
    let chart = raft::chart(release, &work.path().join("three"), &external);
    let c = Cluster::new(release, NS);
    let mark = {
        let _t = Timer::start("external MariaDB (oneadmin granted opennebula\\_%), helm install, 3 members agree");
        external_database(&c, None);
        c.wait_ready(DB_POD, Duration::from_secs(300));
        // What the chart's README asks of the operator of an external server under Raft.
        sql(&c, "GRANT ALL PRIVILEGES ON `opennebula\\_%`.* TO 'oneadmin'@'%'");
        sql(&c, &format!("SET GLOBAL general_log_file = '{GENERAL_LOG}'; SET GLOBAL general_log = ON"));
        c.install(&chart);
        let (leader, _) = raft::wait_agreement(&c, 3, Duration::from_secs(1800));
        let log0 = c.logs(&member(0), "database");
        assert!(log0.contains("bootstrapping"), "member 0 did not bootstrap:\n{log0}");
        for i in 1..3 {
            let log = c.logs(&member(i), "database");
            assert!(!log.contains("bootstrapping"), "{} bootstrapped:\n{log}", member(i));
            assert!(
                log.contains("seeding the database from the leader's (ext-mariadb/opennebula_"),
                "{} did not copy the leader's database:\n{log}",
                member(i)
            );
        }
        assert_eq!(databases(&c), ["opennebula_0", "opennebula_1", "opennebula_2"], "one database per member");
        // Member 0 bootstrapped and led while 1 and 2 joined: its database was never dropped or re-created, while
        // each joiner dropped and re-created its own (the log sees such statements).
        let log = general_log(&c);
        let touched = replacing_in(&log, 0, "opennebula_0");
        assert!(
            touched.is_empty(),
            "a join dropped or re-created tables of member 0's database:\n{}",
            touched.join("\n")
        );
        for i in 1..3 {
            let own = replacing_in(&log, 0, &format!("opennebula_{i}"));
            assert!(
                own.iter().any(|s| s.contains("DROP DATABASE")),
                "no DROP DATABASE of opennebula_{i} in the general log: the check sees nothing"
            );
        }
        raft::one(&c, &leader, &["oneuser", "create", "before-scale", "not-a-secret-here"]);
        raft::assert_user_everywhere(&c, 3, "before-scale", "after the install");
        log.len()
    };
    let _t = Timer::start("helm upgrade with oned.replicas=5 on the external server: members 3 and 4 join");
    let old: Vec<String> = (0..3).map(|i| format!("opennebula_{i}")).collect();
    let before = fingerprint(&c, &old);
    let scaled =
        raft::chart(release, &work.path().join("five"), &[&external[..], &["--set", "oned.replicas=5"]].concat());
    raft::scale_up(&c, &scaled, 3, 5, || room_for_members(&c));
    assert_eq!(fingerprint(&c, &old), before, "the scale-up re-created tables of the first members' databases");
    let log = general_log(&c);
    for db in &old {
        let touched = replacing_in(&log, mark, db);
        assert!(touched.is_empty(), "the scale-up dropped or re-created tables of {db}:\n{}", touched.join("\n"));
    }
    for i in 3..5 {
        let own = replacing_in(&log, mark, &format!("opennebula_{i}"));
        assert!(own.iter().any(|s| s.contains("DROP DATABASE")), "no DROP DATABASE of opennebula_{i} seen");
    }
    let all: Vec<String> = (0..5).map(|i| format!("opennebula_{i}")).collect();
    assert_eq!(databases(&c), all, "one database per member");
    raft::assert_user_everywhere(&c, 5, "before-scale", "after the scale-up");
}
