//! Backups and restores: `backup.sh`, `pre-upgrade.sh` and `restore.sh`.

use super::*;

/// A bootstrapped cluster and a backups directory holding nine scheduled backups, the oldest 20260100.
fn with_nine_old_backups() -> (Cluster, std::path::PathBuf) {
    let c = Cluster::bootstrapped();
    let dir = c.file("backups");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..9 {
        std::fs::write(dir.join(format!("onedb-scheduled-2026010{i}T000000Z.sql")), "old").unwrap();
    }
    (c, dir)
}

#[test]
fn backups_keep_the_newest_retention_files() {
    let (c, dir) = with_nine_old_backups();
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
    assert!(c.calls().contains("mysqldump --protocol=TCP -h 127.0.0.1 -P 3306 -u oneadmin"), "{}", c.calls());
}

#[test]
fn a_failed_backup_leaves_no_part_file_and_prunes_nothing() {
    // The dump is written to FILE.part and renamed once complete (the real tier's disk-full scenario found an
    // empty .part left behind): a failure leaves nothing that looks like a backup, and retention removes nothing.
    let (c, dir) = with_nine_old_backups();
    c.write("cluster/mysql/one-0/down", "");
    let o = backup_command(&c, "backup.sh", &dir).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("backup failed") && out(&o).contains("older backups"), "{}", out(&o));
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 9, "a file was left or an old backup pruned: {names:?}");
}

/// Names in a directory, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn backups_are_copied_off_site_owner_only_with_their_own_retention() {
    // Issue 18, item 9: backup.offsite.volume, mounted at OFFSITE_DIR. The copy is the local backup byte for byte,
    // mode 0600, and the off-site retention (OFFSITE_RETENTION) is its own: 3 there while 7 stay locally.
    let (c, dir) = with_nine_old_backups();
    let offsite = c.file("offsite");
    std::fs::create_dir_all(&offsite).unwrap();
    for i in 0..5 {
        std::fs::write(offsite.join(format!("onedb-scheduled-2025010{i}T000000Z.sql")), "old").unwrap();
    }
    std::fs::write(offsite.join("onedb-pre-upgrade-20250101T000000Z.sql"), "keep: another label").unwrap();
    let o = backup_command(&c, "backup.sh", &dir)
        .env("OFFSITE_DIR", &offsite)
        .env("OFFSITE_RETENTION", "3")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let made = std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let copy = offsite.join(made.file_name().unwrap());
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&made).unwrap(), "the off-site copy is the backup");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let there = listing(&offsite);
    assert_eq!(there.iter().filter(|n| n.starts_with("onedb-scheduled-")).count(), 3, "{there:?}");
    assert!(there.contains(&"onedb-pre-upgrade-20250101T000000Z.sql".to_string()), "{there:?}");
    assert!(!there.iter().any(|n| n.ends_with(".part")), "{there:?}");
    assert_eq!(listing(&dir).len(), 7, "the local retention is backup.retention");
    assert!(out(&o).contains("copied off-site"), "{}", out(&o));
}

#[test]
fn a_failed_off_site_copy_fails_the_job_and_keeps_the_local_backup() {
    // A target that is not mounted or not writable (here: a file where the directory should be, which even root
    // cannot write into) fails the job visibly; the local backup is made and kept, and no local backup is pruned
    // while the target is down (each failed run, retried by the Job, would otherwise thin the local history).
    let (c, dir) = with_nine_old_backups();
    c.write("offsite", "not a directory");
    let o = backup_command(&c, "backup.sh", &dir).env("OFFSITE_DIR", c.file("offsite")).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("off-site copy failed") && out(&o).contains("is kept"), "{}", out(&o));
    let names = listing(&dir);
    assert_eq!(names.len(), 10, "nothing pruned locally: {names:?}");
    let missed = names.iter().find(|n| !n.starts_with("onedb-scheduled-2026010")).unwrap().clone();
    // The target is back: the next run copies the backup the failed run missed, then its own, and prunes.
    std::fs::remove_file(c.file("offsite")).unwrap();
    std::fs::create_dir_all(c.file("offsite")).unwrap();
    std::fs::write(c.file("offsite").join("onedb-scheduled-20260109T000000Z.sql"), "copied before").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = backup_command(&c, "backup.sh", &dir).env("OFFSITE_DIR", c.file("offsite")).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let made = std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let there = listing(&c.file("offsite"));
    assert!(there.contains(&missed), "the missed backup is copied: {there:?}");
    assert!(there.contains(&made.file_name().unwrap().to_string_lossy().into_owned()), "{there:?}");
    assert_eq!(there.len(), 3, "only what was newer than the newest copy there: {there:?}");
    assert_eq!(listing(&dir).len(), 7, "the local retention applies again");
}

/// Issue 18: `backup.offsite.container` learns which backup to ship from the file `BACKUP_HANDOFF` names: the
/// path of the backup just taken, written only once it is complete; a failed backup writes none (the shipper,
/// the job's container after the backup's init container, then never runs).
#[test]
fn the_backup_hands_its_path_to_the_offsite_container() {
    let (c, dir) = with_nine_old_backups();
    let handoff = c.file("handoff-latest");
    let o = backup_command(&c, "backup.sh", &dir).env("BACKUP_HANDOFF", &handoff).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let made = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(std::fs::read_to_string(&handoff).unwrap(), format!("{made}\n"));
    assert!(std::fs::read_to_string(&made).unwrap().contains("TABLE db_versioning"));
    std::fs::remove_file(&handoff).unwrap();
    c.write("cluster/mysql/one-0/down", "");
    let o = backup_command(&c, "backup.sh", &dir).env("BACKUP_HANDOFF", &handoff).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(!handoff.exists(), "a failed backup hands nothing over");
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
        "/*!40000 DROP DATABASE IF EXISTS `opennebula`*/;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `opennebula`;\nUSE `opennebula`;\nTABLE db_versioning 1\nTABLE local_db_versioning 1\nTABLE data restored-data\nTABLE user_pool <USER><ID>0</ID><NAME>oneadmin</NAME><PASSWORD><![CDATA[0ld0ld]]></PASSWORD><AUTH_DRIVER><![CDATA[core]]></AUTH_DRIVER></USER>\nTABLE user_pool.1 <USER><ID>1</ID><NAME>serveradmin</NAME><PASSWORD><![CDATA[0ld5a]]></PASSWORD><AUTH_DRIVER><![CDATA[server_cipher]]></AUTH_DRIVER></USER>\n",
    );
    // Maintenance: nothing runs.
    std::fs::remove_dir_all(c.file("cluster/running")).unwrap();
    std::fs::create_dir_all(c.file("cluster/running")).unwrap();
    let maintenance = [("MAINTENANCE", "true")];
    let backup = c.file("backup.sql");
    let o = restore(&c, "one-0", &[backup.to_str().unwrap()], &maintenance);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(c.read("cluster/mysql/one-0/opennebula/data"), "restored-data\n");
    // The backup held the admin passwords of its time, as oned stores them (CDATA: User.cc:261,
    // include/NebulaUtil.h:292-295); the Secret owns them: the restored database gets sha256 of the Secret's
    // (OpenNebula/one@release-7.4.0:src/um/User.cc:369-382).
    let want = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"; // sha256("pw")
    let user_pool = c.read("cluster/mysql/one-0/opennebula/user_pool");
    assert!(user_pool.contains(&format!("<PASSWORD><![CDATA[{want}]]></PASSWORD>")), "{user_pool}");
    let want = "fb0288872031fc4818c03a7253bd3a78de192d05e6bccd09ceabeda65b4d7c6f"; // sha256("c0ffee"), the serveradmin token
    let user_pool = c.read("cluster/mysql/one-0/opennebula/user_pool.1");
    assert!(user_pool.contains(&format!("<PASSWORD><![CDATA[{want}]]></PASSWORD>")), "{user_pool}");
    // Neither hash, new or old, was on a command line (issue 19, closing note, item 5): `ps` shows those.
    for hash in ["30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4", want, "0ld0ld", "0ld5a"] {
        assert!(!c.calls().contains(hash), "{hash} on a command line: {}", c.calls());
    }
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
    // The zone gives the highest existing ID + 1, recomputed each time oned loads the zone from its database
    // (OpenNebula/one@release-7.4.0:include/ZoneServer.h:84-108): 1 and 2 again, freed by the server-del above.
    for (pod, id) in [("one-1", "1"), ("one-2", "2")] {
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
    let handoff = c.file("handoff-latest");
    let run = |api: &FakeApi, new: &str| {
        let mut cmd = backup_command(&c, "pre-upgrade.sh", &dir);
        cmd.env("STATEFULSET", "one-opennebula").env("NEW_VERSION", new).env("ALLOW_MAJOR", "false");
        cmd.env("BACKUP_HANDOFF", &handoff);
        let o = api.env(&mut cmd).output().unwrap();
        (o.status.code(), out(&o))
    };
    let backups = || std::fs::read_dir(&dir).map_or(0, |d| d.count());

    // A first install (Argo CD runs pre-upgrade hooks as PreSync at every sync): nothing to back up yet, and
    // backup.offsite.container, which runs after this script, finds an empty hand-off: nothing to ship.
    let api = FakeApi::start(&json!({"rules": rules}));
    let (code, text) = run(&api, "7.4.0");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("does not exist yet (a first install)"), "{text}");
    assert_eq!(backups(), 0);
    assert_eq!(std::fs::read_to_string(&handoff).ok().as_deref(), Some(""), "an empty hand-off: nothing to ship");
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

/// Backups under Raft come from the member whose database has applied the most of the Raft log (the leader's, or
/// a follower in sync), read with SQL (`MAX(log_index) WHERE applied`, OpenNebula/one@release-7.4.0:
/// src/sql/LogDB.cc:170) so that they work in maintenance mode too; a member whose database does not answer is
/// skipped. Member 0 lagging behind is no longer dumped blindly.
#[test]
fn raft_backups_come_from_the_most_up_to_date_member() {
    let c = Cluster::bootstrapped();
    let dir = c.file("backups");
    std::fs::create_dir_all(&dir).unwrap();
    for (pod, applied) in [("one-0", "120"), ("one-1", "181"), ("one-2", "180")] {
        c.write(&format!("cluster/mysql/{pod}/opennebula/logdb"), &format!("{applied}\n"));
    }
    c.write("cluster/mysql/one-1/down", "");
    let backup = |c: &Cluster| {
        c.write("cluster/calls", "");
        backup_command(c, "backup.sh", &dir)
            .env("RAFT_MEMBERS", "3")
            .env("DB_HOST", "one-0.one-peers.cloud.svc")
            .output()
            .unwrap()
    };
    // one-1 leads but its database does not answer: one-2, in sync, not member 0, which lags.
    let o = backup(&c);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("backing up opennebula on one-2.one-peers.cloud.svc (last applied Raft entry: 180)"),
        "{}",
        out(&o)
    );
    assert!(
        c.calls().contains("-h one-2.one-peers.cloud.svc -P 3306 -u oneadmin --single-transaction"),
        "{}",
        c.calls()
    );
    std::fs::remove_file(c.file("cluster/mysql/one-1/down")).unwrap();
    let o = backup(&c);
    assert!(
        o.status.success() && out(&o).contains("on one-1.one-peers.cloud.svc (last applied Raft entry: 181)"),
        "{}",
        out(&o)
    );
    // An external server under Raft: the members' `<name>_<N>` databases on it.
    for (n, applied) in [(0, "7"), (1, "9"), (2, "8")] {
        c.write(&format!("cluster/mysql/mysql/opennebula_{n}/db_versioning"), "1\n");
        c.write(&format!("cluster/mysql/mysql/opennebula_{n}/logdb"), &format!("{applied}\n"));
    }
    c.write("cluster/calls", "");
    let o = backup_command(&c, "backup.sh", &dir)
        .env("RAFT_MEMBERS", "3")
        .env("DB_BUNDLED", "")
        .env("DB_HOST", "mysql.example.com")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("backing up opennebula_1 on mysql.example.com (last applied Raft entry: 9)"),
        "{}",
        out(&o)
    );
    assert!(c.calls().contains("-h mysql.example.com -P 3306 -u oneadmin --single-transaction --quick --routines --triggers --add-drop-table opennebula_1"), "{}", c.calls());
}

/// Review of `backup.offsite.container`, item 4: the CronJob's `backoffLimit` runs a failed Job again in a new pod,
/// whose backup container runs again. A retry of the same Job (the same `BACKUP_JOB_UID`, the Job's UID) takes no
/// second backup: it reuses the one the first attempt recorded, and hands it over again; another Job backs up.
#[test]
fn a_retry_of_the_same_job_takes_no_second_backup() {
    let (c, dir) = with_nine_old_backups();
    let run = |uid: &str| {
        let handoff = c.file("handoff-latest");
        let o = backup_command(&c, "backup.sh", &dir)
            .env("BACKUP_JOB_UID", uid)
            .env("BACKUP_HANDOFF", &handoff)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        let made = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert_eq!(std::fs::read_to_string(&handoff).unwrap(), format!("{made}\n"), "handed over");
        (made, out(&o))
    };
    c.write("cluster/calls", "");
    let dumps = || c.calls().matches("mysqldump").count();
    let (first, _) = run("0b6c7d1e-uid-a");
    assert_eq!(dumps(), 1, "{}", c.calls());
    let (again, text) = run("0b6c7d1e-uid-a");
    assert_eq!(again, first, "the retry ships the first attempt's backup");
    assert!(text.contains("reusing it, no second backup"), "{text}");
    assert_eq!(dumps(), 1, "no second dump: {}", c.calls());
    let backups: Vec<String> = listing(&dir).into_iter().filter(|n| n.starts_with("onedb-")).collect();
    assert_eq!(backups.len(), 7, "one new backup, the retention applied: {backups:?}");
    // Another Job (the next schedule, or the next upgrade's pre-upgrade hook, whose Job has the same name every
    // time but a new UID) takes its own.
    let (other, _) = run("5f2a9c3b-uid-b");
    assert_ne!(other, first);
    assert_eq!(dumps(), 2, "{}", c.calls());
    // A record whose backup is gone (pruned, or removed by hand) is dropped, and that Job would back up anew.
    std::fs::remove_file(&first).unwrap();
    let (third, _) = run("5f2a9c3b-uid-b");
    assert_eq!(third, other);
    assert_eq!(listing(&dir.join(".jobs")), ["5f2a9c3b-uid-b"], "the record of a removed backup is dropped");
}

/// Review of `backup.offsite.container`, item 5: the shipper is handed the list of every backup of the label not
/// shipped yet (`BACKUP_PENDING`, oldest first), and a backup counts as shipped only once the job's last container
/// (`backup.sh --mark-shipped`, which Kubernetes runs only after the shipper exited 0) marked it: what a failed
/// shipper missed is handed over again at the next run, as the `volume` target copies what it missed, and no
/// backup is pruned locally before it was shipped.
#[test]
fn the_shipper_is_handed_every_backup_not_shipped_yet() {
    let (c, dir) = with_nine_old_backups();
    let pending = c.file("handoff-pending");
    let backup = |keep: &str| {
        // A backup's name is the second it was taken in: one second apart, as real runs are.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let o = backup_command(&c, "backup.sh", &dir)
            .env("BACKUP_RETENTION", keep)
            .env("BACKUP_HANDOFF", c.file("handoff-latest"))
            .env("BACKUP_PENDING", &pending)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        let made = String::from_utf8_lossy(&o.stdout).trim().to_string();
        let list: Vec<String> = std::fs::read_to_string(&pending).unwrap().lines().map(str::to_string).collect();
        (made, list)
    };
    let shipped = || {
        let mut cmd = c.command("backup.sh", "backup");
        cmd.arg("--mark-shipped").env("BACKUP_DIR", &dir).env("BACKUP_PENDING", &pending);
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", out(&o));
    };
    let backups = || -> Vec<String> { listing(&dir).into_iter().filter(|n| n.starts_with("onedb-")).collect() };
    let name = |path: &str| path.rsplit('/').next().unwrap().to_string();
    // Nothing was ever shipped: every backup is handed over, oldest first, and none is pruned before.
    let (first, list) = backup("7");
    assert_eq!(list.len(), 10, "{list:?}");
    assert_eq!(list[0], dir.join("onedb-scheduled-20260100T000000Z.sql").to_string_lossy());
    assert_eq!(list[9], first);
    assert_eq!(backups().len(), 10, "nothing pruned before it was shipped");
    shipped();
    assert_eq!(listing(&dir.join(".shipped")).len(), 10);
    // The next run hands over its own backup only, and prunes the shipped ones beyond the retention.
    let (second, list) = backup("7");
    assert_eq!(list, vec![second.clone()]);
    assert_eq!(backups().len(), 7, "{:?}", backups());
    // The shipper fails (no marks): each next run hands over what was missed, then its own; with a retention of 2,
    // the shipped backups beyond it go, the one not shipped stays.
    let (third, list) = backup("2");
    assert_eq!(list, [second.clone(), third.clone()], "the missed backup is handed over again");
    let (fourth, list) = backup("2");
    assert_eq!(list, [second.clone(), third.clone(), fourth.clone()]);
    assert_eq!(backups(), [name(&second), name(&third), name(&fourth)], "not shipped: not pruned");
    // The shipper succeeds again: all three are marked, pruned next time; the markers of pruned backups go.
    shipped();
    let (fifth, list) = backup("2");
    assert_eq!(list, vec![fifth.clone()]);
    assert_eq!(backups(), [name(&fourth), name(&fifth)]);
    shipped();
    assert_eq!(listing(&dir.join(".shipped")), backups(), "one marker per backup still there");
}
