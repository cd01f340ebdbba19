//! `prod-mysql` on an external MariaDB (its own StatefulSet and Service, as a DBA would run it: the database and
//! the user made by the image from MARIADB_DATABASE/USER/PASSWORD), and the faults a production front-end meets,
//! each followed by the front-end coming back with its data:
//!
//! - the backups volume full during a scheduled backup (a size-limited claim): the job fails and says so, the
//!   older backup stays, no `.part` file is left to pass for a backup; space freed, the next backup works;
//! - the database unreachable when the front-end starts: it waits, never bootstraps or re-seeds; when the
//!   database is back the front-end comes up with its data;
//! - a wrong database password in the Secret: a clear message, nothing bootstrapped, nothing written; with the
//!   password fixed in the Secret the front-end comes back by itself;
//! - a partial database (one of oned's two version tables missing, as an interrupted load leaves it): refused,
//!   nothing dropped or written; repaired, the front-end comes back.
//!
//! "Nothing written" is checked by MariaDB itself: CHECKSUM TABLE of every table, before and after, with oned
//! stopped.

use std::time::Duration;

use serde_json::json;

use super::prod_mysql::{BACKUPS, NS, POD, backups, generate, set_secret};
use super::{Timer, one};
use crate::runner::Cluster;
use crate::runner::sh::{text, wait_for};

pub const DB: &str = "ext-mariadb";
pub const DB_POD: &str = "ext-mariadb-0";
pub const DB_SECRET: &str = "one-db";
const STS: &str = "one-opennebula";
const PASSWORD: &str = "Ext3rnalDbPassw0rd";

#[test]
fn prod_mysql_faults() {
    for release in crate::releases() {
        faults(&release);
    }
}

/// The external server: a Secret, a Service and a one-member StatefulSet with its own claim; the image makes
/// user oneadmin and, when `database` names one, that database with every privilege on it (MARIADB_DATABASE).
pub fn external_database(c: &Cluster, database: Option<&str>) {
    let labels = json!({"app": DB});
    c.apply(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": DB},
                    "stringData": {"root-password": "Ext3rnalR00t", "password": PASSWORD}}));
    c.apply(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": DB},
                    "spec": {"selector": labels, "ports": [{"name": "mysql", "port": 3306, "targetPort": "mysql"}]}}));
    let secret = |key: &str| json!({"secretKeyRef": {"name": DB, "key": key}});
    c.apply(&json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": DB}, "spec": {
        "replicas": 1, "serviceName": DB, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {
            "securityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
            "terminationGracePeriodSeconds": 30,
            "containers": [{"name": "mariadb", "image": "docker.io/library/mariadb:11.4.4",
                "env": [{"name": "MARIADB_ROOT_PASSWORD", "valueFrom": secret("root-password")},
                        {"name": "MARIADB_DATABASE", "value": database.unwrap_or_default()},
                        {"name": "MARIADB_USER", "value": "oneadmin"},
                        {"name": "MARIADB_PASSWORD", "valueFrom": secret("password")}],
                "ports": [{"name": "mysql", "containerPort": 3306}],
                "readinessProbe": {"exec": {"command": ["mariadb-admin", "ping", "-h", "127.0.0.1", "--silent"]},
                                   "periodSeconds": 5},
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"},
                                 {"name": "run", "mountPath": "/run/mysqld"}, {"name": "tmp", "mountPath": "/tmp"}]}],
            "volumes": [{"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}));
    // The chart's Secret for it (database.mysql.existingSecret), as the operator makes it.
    c.apply(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": DB_SECRET},
                    "stringData": {"mysql-password": PASSWORD}}));
}

/// SQL as root on the external server.
pub fn sql(c: &Cluster, q: &str) -> String {
    c.exec_ok(
        DB_POD,
        "mariadb",
        &["sh", "-c", "MYSQL_PWD=$MARIADB_ROOT_PASSWORD mariadb -uroot -h127.0.0.1 -N -B -e \"$1\"", "sh", q],
    )
}

/// Every table of oned's database with MariaDB's checksum of its content: equal before and after means nothing
/// was written, created or dropped.
fn checksums(c: &Cluster) -> String {
    let tables = sql(
        c,
        "SELECT GROUP_CONCAT(CONCAT('opennebula.', table_name)) FROM information_schema.tables WHERE table_schema = 'opennebula'",
    );
    let tables = tables.trim();
    assert!(!tables.is_empty() && tables != "NULL", "no table in the database");
    sql(c, &format!("CHECKSUM TABLE {tables} EXTENDED"))
}

/// The front-end stopped (its StatefulSet paused, its pod deleted): the database is quiet.
fn stop_front_end(c: &Cluster) {
    c.pause_statefulset(STS, true);
    c.delete_pod(POD);
}

/// The front-end's pod made again by its StatefulSet.
fn start_front_end(c: &Cluster) {
    c.pause_statefulset(STS, false);
    wait_for("the front-end's pod", Duration::from_secs(60), Duration::from_millis(500), || {
        c.inner
            .pods
            .lock()
            .unwrap()
            .get(POD)
            .is_some_and(|p| !p.gone.load(std::sync::atomic::Ordering::SeqCst))
            .then_some(())
    });
}

/// The `database` init container's log (the database phase, ONED_PHASE=init) of the current pod contains
/// `what`, within `timeout`.
fn wait_log(c: &Cluster, what: &str, timeout: Duration) {
    wait_for(&format!("the database phase says {what:?}"), timeout, Duration::from_secs(2), || {
        c.logs(POD, "database").contains(what).then_some(())
    });
}

/// How many times the `database` init container of the current pod started (the runner heads each run's log).
fn database_runs(c: &Cluster) -> usize {
    c.logs(POD, "database").matches("container database started").count()
}

/// The front-end refuses to start with `reason`: the `database` init container exits with it and is retried, oned
/// never starts, the pod is not Ready, and the database is exactly as `before` (nothing bootstrapped, dropped or
/// written).
fn refused(c: &Cluster, reason: &str, before: &str, fault: &str) {
    wait_log(c, reason, Duration::from_secs(300));
    wait_for("the database phase is retried", Duration::from_secs(120), Duration::from_secs(1), || {
        (database_runs(c) >= 2).then_some(())
    });
    assert!(!c.pod(POD).ready(), "Ready with {fault}");
    assert!(!c.logs(POD, "oned").contains("starting oned"), "oned started with {fault}");
    assert_eq!(checksums(c), before, "the front-end changed the database with {fault}");
}

fn assert_data(c: &Cluster, after: &str) {
    let users = one(c, POD, &["oneuser", "list", "--csv"]);
    assert!(users.contains("before-faults"), "user before-faults lost {after}: {users}");
    let log = c.logs(POD, "database");
    assert!(!log.contains("bootstrapping"), "the front-end bootstrapped {after}:\n{log}");
}

fn faults(release: &str) {
    let _all = Timer::start(&format!("prod-mysql faults {release}"));
    let work = tempfile::tempdir().unwrap();
    let chart = generate(
        release,
        work.path(),
        &[
            "--set",
            &format!("database.mysql.host={DB}"),
            "--set",
            &format!("database.mysql.existingSecret={DB_SECRET}"),
        ],
    );
    let c = Cluster::new(release, NS);
    super::prod_mysql::tls_secret(&c);
    // The backups volume: 4 MiB and no more.
    c.claim_sized(BACKUPS, "4m");
    {
        let _t = Timer::start("external MariaDB, helm install, pod Ready");
        external_database(&c, Some("opennebula"));
        c.wait_ready(DB_POD, Duration::from_secs(300));
        c.install(&chart);
        c.wait_ready(POD, Duration::from_secs(900));
        assert!(c.logs(POD, "database").contains("empty database: bootstrapping"));
        one(&c, POD, &["oneuser", "create", "before-faults", "not-a-secret-here"]);
    }
    let cronjob = chart.object("CronJob", "one-opennebula-backup").clone();
    {
        let _t = Timer::start("backups volume full during a backup");
        let (ok, _) = c.trigger_cronjob(&cronjob, "backup-1");
        assert!(ok, "the first backup failed");
        let (first, _) = backups(&c, "scheduled");
        assert_eq!(first.len(), 1);
        let size = std::fs::metadata(&first[0]).unwrap().len();
        // Fill the volume until less than half a dump fits.
        let dir = c.dir().join("claims").join(BACKUPS);
        let free = text(
            &crate::runner::sh::run(std::process::Command::new("df").args(["-B1", "--output=avail"]).arg(&dir)).stdout,
        );
        let free: u64 = free.lines().nth(1).unwrap().trim().parse().unwrap();
        std::fs::write(dir.join("filler"), vec![0u8; (free - size / 2) as usize]).unwrap();
        let (ok, pods) = c.trigger_cronjob(&cronjob, "backup-2");
        let log = pods.iter().map(|p| c.logs(&p.name, "backup")).collect::<Vec<_>>().join("\n");
        assert!(!ok, "a backup onto a full volume succeeded:\n{log}");
        assert!(log.contains("backup failed") && log.contains("older backups"), "{log}");
        let (now, all) = backups(&c, "scheduled");
        assert_eq!(now, first, "the older backup is gone, or a failed one counts: {all:?}");
        assert!(!all.iter().any(|f| f.ends_with(".part")), "a partial dump was left: {all:?}");
        std::fs::remove_file(dir.join("filler")).unwrap();
        let (ok, _) = c.trigger_cronjob(&cronjob, "backup-3");
        assert!(ok, "the backup after freeing space failed");
        assert_eq!(backups(&c, "scheduled").0.len(), 2);
    }
    {
        let _t = Timer::start("database unreachable at start, then back");
        stop_front_end(&c);
        c.pause_statefulset(DB, true);
        c.delete_pod(DB_POD);
        start_front_end(&c);
        wait_log(&c, "waiting for the database server", Duration::from_secs(300));
        // A while unreachable: the front-end waits, and neither bootstraps nor starts oned.
        std::thread::sleep(Duration::from_secs(30));
        assert!(!c.pod(POD).ready());
        let log = c.logs(POD, "database");
        assert!(!log.contains("bootstrapping"), "{log}");
        assert!(!c.logs(POD, "oned").contains("starting oned"), "oned started without its database");
        c.pause_statefulset(DB, false);
        c.wait_ready(POD, Duration::from_secs(900));
        assert_data(&c, "after the database came back");
    }
    {
        let _t = Timer::start("wrong database password in the Secret, then fixed");
        stop_front_end(&c);
        let before = checksums(&c);
        set_secret(&c, DB_SECRET, &[("mysql-password", "not-the-password")]);
        start_front_end(&c);
        refused(&c, "refuses user oneadmin: check the password in the Secret", &before, "a wrong password");
        // Fixed in the Secret: the kubelet refreshes the mounted file, the oned container's next start uses it.
        set_secret(&c, DB_SECRET, &[("mysql-password", PASSWORD)]);
        let fixed_at = c.logs(POD, "oned").len();
        wait_for(
            "the front-end back with the fixed password",
            Duration::from_secs(900),
            Duration::from_secs(2),
            || {
                if c.pod(POD).ready() {
                    return Some(());
                }
                let log = c.logs(POD, "oned");
                let since = &log[fixed_at.min(log.len())..];
                assert!(
                    since.matches("starting oned").count() < 2,
                    "oned started twice after the fix and stopped each time (the password it was given is not the Secret's?):\n{since}"
                );
                None
            },
        );
        assert_data(&c, "after the password was fixed");
    }
    {
        let _t = Timer::start("a partial database (one version table missing), then repaired");
        stop_front_end(&c);
        sql(&c, "CREATE DATABASE aside; RENAME TABLE opennebula.local_db_versioning TO aside.local_db_versioning");
        let before = checksums(&c);
        start_front_end(&c);
        refused(&c, "holds only one of oned's version tables", &before, "a partial database");
        sql(&c, "RENAME TABLE aside.local_db_versioning TO opennebula.local_db_versioning; DROP DATABASE aside");
        c.wait_ready(POD, Duration::from_secs(900));
        assert_data(&c, "after the partial database was repaired");
    }
}
