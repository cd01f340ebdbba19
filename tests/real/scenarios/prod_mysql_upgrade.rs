//! `prod-mysql` (bundled MariaDB) across a schema upgrade with the real `onedb upgrade`: installed on the older
//! release's build, regenerated for the newer one and `helm upgrade`d (the pre-upgrade hook backs up, the roll-out
//! runs the new release's image, oned.sh sees the older schema and upgrades it). On the way it meets the two ways
//! such an upgrade really fails, each while what was made before the upgrade must survive:
//!
//! - the database user lost a privilege the upgrade needs (CREATE, revoked by a DBA after the install): the
//!   upgrade is refused before anything is touched, and retried at each start until the grant is back;
//! - a migrator fails on the data (upgrades to 7.4: a OneKS group document whose GROUP_BODY is not JSON, which
//!   any API client can write and which the 7.2.0 to 7.4.0 local migrator parses with `JSON.parse`,
//!   OpenNebula/one@release-7.4.0:src/onedb/local/7.2.0_to_7.4.0.rb `bug7244`): by then onedb has dropped oned's
//!   indexes and moved the shared schema version (src/onedb/onedb.rb:276-290), so the backup must be loaded back;
//!   the failure marker stops retries, the previous release runs again on the loaded-back database, the document
//!   is deleted, and the upgrade then succeeds.
//!
//! - (7.2 to 7.4) the `database` init container SIGKILLed from outside in the middle of the real `onedb upgrade`
//!   (issue 16 major 4: a node lost, an OOM kill): the migrators held on a table lock until the database is
//!   half-migrated (oned's indexes dropped, the shared schema version moved, a new table made), then killed; the
//!   next attempt of the init container loads the pre-upgrade backup back and upgrades again with that same
//!   backup (no second dump), and says so in its log; an interruption is not a failure (no failure marker).
//!
//! At the end: the schema is the new release's, the objects are there, the pre-upgrade backups exist and load
//! (OpenNebula's own `onedb version` reads them as the older schema), `helm test` passes.

use std::time::Duration;

use super::prod_mysql::{NS, POD, backups, generate, load_backup, oneadmin_logs_in_with_secret, sql_root};
use super::{OCA, Timer, one};
use crate::runner::Cluster;
use crate::runner::helm::line;
use crate::runner::sh::wait_for;

#[test]
fn prod_mysql_upgrade() {
    for (from, to) in crate::upgrades() {
        upgrade(&from, &to);
    }
}

/// oned's shared and local schema versions as the database records them (the last row of each version table).
fn schema(c: &Cluster) -> (String, String) {
    let last = |t: &str| sql_root(c, POD, &format!("SELECT version FROM opennebula.{t} ORDER BY oid DESC LIMIT 1"));
    (last("db_versioning").trim().to_string(), last("local_db_versioning").trim().to_string())
}

/// oned's indexes that `onedb upgrade` drops and re-creates (OpenNebula/one@release-7.4.0:
/// src/onedb/database_schema.rb:108-110, `index_sql`).
fn indexes(c: &Cluster) -> String {
    sql_root(
        c,
        POD,
        "SELECT GROUP_CONCAT(DISTINCT index_name ORDER BY index_name) FROM information_schema.statistics \
         WHERE table_schema = 'opennebula' AND index_name IN ('state_oid_idx', 'applied_idx', 'fed_index_idx')",
    )
    .trim()
    .to_string()
}

fn tables(c: &Cluster) -> String {
    sql_root(
        c,
        POD,
        "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'opennebula'",
    )
}

fn marker(c: &Cluster) -> Option<String> {
    std::fs::read_to_string(c.dir().join("claims/data-one-opennebula-0/.onechart/upgrade-failed")).ok()
}

fn upgrade(from: &str, to: &str) {
    let _all = Timer::start(&format!("prod-mysql upgrade {from} -> {to}"));
    let work = tempfile::tempdir().unwrap();
    let major = from.split('.').next() != to.split('.').next();
    let allow: &[&str] = if major { &["--set", "upgrade.allowMajorVersionChange=true"] } else { &[] };
    let old = generate(from, &work.path().join("old"), &[]);
    let new = generate(to, &work.path().join("new"), allow);
    // The 7.2.0 to 7.4.0 migrator is the one that parses OneKS group documents.
    let broken_doc = line(to) == "7.4" && line(from) == "7.2";
    let c = Cluster::new(from, NS);
    super::prod_mysql::tls_secret(&c);
    {
        let _t = Timer::start(&format!("helm install {from}, pod Ready"));
        c.install(&old);
        c.wait_ready(POD, Duration::from_secs(900));
        one(&c, POD, &["oneuser", "create", "before-upgrade", "not-a-secret-here"]);
        one(&c, POD, &["onetemplate", "create", "--name", "tpl-before-upgrade", "--cpu", "1", "--memory", "64"]);
    }
    let doc = broken_doc.then(|| {
        // document.allocate(template, type) (OpenNebula/one@release-7.2.0:src/rm/RequestManagerAllocate.cc,
        // DocumentAllocate); OneKS groups are documents of type 121 (src/onedb/local/7.2.0_to_7.4.0.rb:87).
        let out = c.exec_ok(
            POD,
            "oned",
            &["env", "ONE_AUTH=/var/lib/one/.one/one_auth", "ruby", "-e",
              &format!("{OCA} rc = client.call('document.allocate', %(NAME = \"broken-group\"\\nGROUP_BODY = \"not json\"), 121); \
                        abort(rc.message) if OpenNebula.is_error?(rc); print rc")],
        );
        out.trim().to_string()
    });
    let tables_before = tables(&c);
    let from_schema = schema(&c);
    let indexes_before = indexes(&c);
    assert!(from_schema.0.starts_with(&line(from)), "schema of {from}: {from_schema:?}");
    {
        let _t = Timer::start("a DBA revokes CREATE; helm upgrade: the upgrade is refused, nothing touched");
        sql_root(&c, POD, "REVOKE CREATE ON `opennebula`.* FROM 'oneadmin'@'%'");
        c.begin_upgrade(&new);
        let (pre, all) = backups(&c, "pre-upgrade");
        assert_eq!(pre.len(), 1, "the pre-upgrade hook took a backup: {all:?}");
        wait_for("oned.sh refuses the upgrade, or fails it", Duration::from_secs(600), Duration::from_secs(2), || {
            let log = c.logs(POD, "database");
            (log.contains("lacks a privilege") || marker(&c).is_some() || log.contains("onedb upgrade failed"))
                .then_some(())
        });
        let log = c.logs(POD, "database");
        assert!(
            marker(&c).is_none() && !log.contains("onedb upgrade failed"),
            "the upgrade ran without CREATE:\n{log}"
        );
        assert!(log.contains("CREATE command denied"), "{log}");
        assert_eq!(tables(&c), tables_before, "the refused upgrade changed the tables");
        assert_eq!(schema(&c), from_schema);
        assert_eq!(indexes(&c), indexes_before);
        assert!(!c.pod(POD).ready());
    }
    if let Some(doc) = &doc {
        let _t = Timer::start("CREATE granted again: onedb upgrade fails on the data, the backup is loaded back");
        sql_root(&c, POD, "GRANT CREATE ON `opennebula`.* TO 'oneadmin'@'%'");
        wait_for("the failed upgrade's marker", Duration::from_secs(900), Duration::from_secs(2), || marker(&c));
        let log = c.logs(POD, "database");
        assert!(log.contains("onedb upgrade failed: loading the backup"), "{log}");
        let backup = marker(&c).unwrap();
        let backup = backup.trim();
        assert!(backup.starts_with("/var/lib/one/backups/db/onedb-pre-schema-upgrade-"), "{backup}");
        let on_claim = c.dir().join("claims/data-one-opennebula-0").join(backup.trim_start_matches("/var/lib/one/"));
        assert!(on_claim.is_file(), "the marker names {backup}, which is not there");
        // Loaded back: the schema versions, oned's indexes (dropped by onedb before the migrators ran), the tables
        // and what was made before the upgrade.
        assert_eq!(schema(&c), from_schema, "{log}");
        assert_eq!(indexes(&c), indexes_before, "{log}");
        assert_eq!(tables(&c), tables_before, "{log}");
        let users = sql_root(&c, POD, "SELECT name FROM opennebula.user_pool");
        assert!(users.lines().any(|u| u == "before-upgrade"), "{users}");
        let docs = sql_root(&c, POD, "SELECT oid FROM opennebula.document_pool");
        assert!(docs.lines().any(|d| d == doc), "document {doc} lost: {docs}");
        wait_for("the next start refuses to retry", Duration::from_secs(600), Duration::from_secs(2), || {
            c.logs(POD, "database").contains("the schema upgrade failed before").then_some(())
        });
        assert!(!c.pod(POD).ready());
    }
    if let Some(doc) = &doc {
        let _t = Timer::start(&format!(
            "back to {from} (helm upgrade): it runs on the loaded-back database; the document goes"
        ));
        c.upgrade(&old);
        c.wait_ready(POD, Duration::from_secs(900));
        assert!(marker(&c).is_none(), "oned.sh keeps the marker on a database of its own schema");
        let users = one(&c, POD, &["oneuser", "list", "--csv"]);
        assert!(users.contains("before-upgrade"), "{users}");
        c.exec_ok(
            POD,
            "oned",
            &[
                "env",
                "ONE_AUTH=/var/lib/one/.one/one_auth",
                "ruby",
                "-e",
                &format!(
                    "{OCA} rc = client.call('document.delete', {doc}); abort(rc.message) if OpenNebula.is_error?(rc)"
                ),
            ],
        );
    } else {
        sql_root(&c, POD, "GRANT CREATE ON `opennebula`.* TO 'oneadmin'@'%'");
    }
    {
        let _t = Timer::start(&format!("helm upgrade to {to}: the schema upgraded, Ready"));
        if doc.is_some() {
            c.begin_upgrade(&new);
            killed_mid_upgrade(&c, &from_schema, &indexes_before, to);
            c.finish_upgrade(&new);
        } else {
            c.finish_upgrade(&new);
        }
        c.wait_ready(POD, Duration::from_secs(900));
        let now = schema(&c);
        assert!(now.0.starts_with(&line(to)) && now.1.starts_with(&line(to)), "schema after the upgrade: {now:?}");
        assert_eq!(indexes(&c), indexes_before);
        assert!(oneadmin_logs_in_with_secret(&c, POD));
        let users = one(&c, POD, &["oneuser", "list", "--csv"]);
        assert!(users.contains("before-upgrade"), "{users}");
        let templates = one(&c, POD, &["onetemplate", "list", "--csv"]);
        assert!(templates.contains("tpl-before-upgrade"), "{templates}");
        let version = c.exec_ok(POD, "oned", &["oned", "--version"]);
        assert!(version.contains(to), "{version}");
    }
    {
        let _t = Timer::start("the backups of the upgrade load, as the older schema");
        let (pre, all) = backups(&c, "pre-upgrade");
        let first = pre.first().unwrap_or_else(|| panic!("no pre-upgrade backup: {all:?}"));
        let data = c.dir().join("claims/data-one-opennebula-0/backups/db");
        let mut own: Vec<_> = std::fs::read_dir(&data).unwrap().flatten().map(|e| e.path()).collect();
        own.sort();
        assert!(!own.iter().any(|p| p.extension().is_some_and(|e| e == "part")), "{own:?}");
        // A backup of its own for each `onedb upgrade` run (the failed one and the one that worked: `--backup
        // FILE` would abort on an existing FILE, src/onedb/onedb.rb:154-164), none for the refused attempts.
        assert_eq!(own.len(), if doc.is_some() { 2 } else { 1 }, "{own:?}");
        for b in
            [first.clone(), own.last().unwrap_or_else(|| panic!("no backup of oned.sh in {}", data.display())).clone()]
        {
            let (rc, version, names) = load_backup(&c, POD, &std::fs::read(&b).unwrap());
            // onedb version: 2 = the database is older than this onedb (src/onedb/onedb:386-402).
            assert!(rc == 2 && version.contains(&line(from)), "{}: onedb version {rc}: {version}", b.display());
            assert!(names.lines().any(|n| n == "before-upgrade"), "{}: {names}", b.display());
        }
    }
    {
        let _t = Timer::start("helm test");
        super::helm_test_passes(&c, &new);
    }
}

/// Issue 16 major 4: the `database` init container (oned.sh's database phase, where no probe reaches it) is
/// SIGKILLed in the middle of the real `onedb upgrade`. To be sure it is the middle, a session of MariaDB's root
/// holds a WRITE lock on `network_pool` from the moment the upgrade marker appears (written after the backup,
/// right before onedb runs: files/common.sh upgrade_schema): onedb drops oned's indexes
/// (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:275-276), moves the shared schema version (:288-291, the
/// shared 7.2.0_to_7.4.0 migrator does nothing, src/onedb/shared/7.2.0_to_7.4.0.rb:31-33), the local migrator
/// creates `group_vlans` (src/onedb/local/7.2.0_to_7.4.0.rb:136-138) and then waits on `network_pool`
/// (`feature_7490_vnet_template_id`, :141-143). Killed there, the lock released: the next attempt must load the
/// backup back and upgrade with it.
fn killed_mid_upgrade(c: &Cluster, from_schema: &(String, String), indexes_before: &str, to: &str) {
    let _t = Timer::start("the database init container SIGKILLed in the middle of onedb upgrade: resumed");
    let onechart = c.dir().join("claims/data-one-opennebula-0/.onechart");
    let progress = onechart.join("upgrading");
    wait_for("the schema upgrade under way (its marker)", Duration::from_secs(900), Duration::from_millis(20), || {
        std::fs::read_to_string(&progress).ok().filter(|b| !b.trim().is_empty())
    });
    let backup = std::fs::read_to_string(&progress).unwrap().trim().to_string();
    let lock = "LOCK TABLES opennebula.network_pool WRITE; SELECT SLEEP(300)";
    std::thread::scope(|s| {
        let holder = s.spawn(|| {
            c.exec(
                POD,
                "mariadb",
                &[
                    "sh",
                    "-c",
                    "MYSQL_PWD=$(cat /run/onechart/db/mysql-root-password) mariadb -uroot -h127.0.0.1 -e \"$1\"",
                    "sh",
                    lock,
                ],
            )
        });
        wait_for(
            "onedb upgrade waiting on network_pool, half-way through the migrators",
            Duration::from_secs(300),
            Duration::from_millis(300),
            || {
                let waiting = sql_root(
                    c,
                    POD,
                    "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'oneadmin' \
                     AND state LIKE 'Waiting for table%'",
                );
                (waiting.trim() != "0").then_some(())
            },
        );
        // Half-migrated: oned's indexes gone, the shared version moved, the local one not, a new table there.
        let half = schema(c);
        assert!(half.0.starts_with(&line(to)) && half.1 == from_schema.1, "not half-migrated: {half:?}");
        assert_ne!(indexes(c), indexes_before, "onedb had not dropped oned's indexes yet");
        assert!(tables(c).split(',').any(|t| t.trim() == "group_vlans"), "no group_vlans yet: {}", tables(c));
        let log = c.logs(POD, "database");
        c.kill(POD, "database", "KILL");
        wait_for("the database init container gone", Duration::from_secs(60), Duration::from_millis(200), || {
            c.pod(POD).containers.lock().unwrap().get("database").is_some_and(|s| s.pid.is_none()).then_some(())
        });
        let holders =
            sql_root(c, POD, "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(300)'");
        for id in holders.split_whitespace() {
            sql_root(c, POD, &format!("KILL {id}"));
        }
        let _ = holder.join();
        assert!(!log.contains("onedb upgrade failed"), "{log}");
    });
    // The next attempt: it loads the backup back (or, were the interruption missed, fails or upgrades the
    // half-migrated database after dumping it again: either ends the wait, and the assertions below say which).
    wait_for("the next attempt of the database phase", Duration::from_secs(900), Duration::from_secs(1), || {
        let log = c.logs(POD, "database");
        (log.contains("a schema upgrade was interrupted: loading its backup")
            || log.contains("onedb upgrade failed")
            || onechart.join("upgrade-failed").exists()
            || c.pod(POD).ready())
        .then_some(())
    });
    let log = c.logs(POD, "database");
    assert!(log.contains("a schema upgrade was interrupted: loading its backup"), "{log}");
    c.wait_ready(POD, Duration::from_secs(900));
    let log = c.logs(POD, "database");
    assert!(log.contains(&format!("loading its backup {backup} back before trying again")), "{log}");
    assert!(log.contains(&format!("backup before the schema upgrade: {backup}")), "{log}");
    assert!(!progress.exists(), "the upgrade marker outlived the upgrade");
    assert!(!onechart.join("upgrade-failed").exists(), "an interrupted upgrade is not a failed one");
}
