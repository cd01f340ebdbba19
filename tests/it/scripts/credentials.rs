//! Credentials: `sync-admin-users.sh` (oneadmin and serveradmin follow the Secret), `publish-ssh-key.sh`, and
//! `prepare.sh` never making a key pair of its own.

use super::*;

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

/// oneadmin's password under Raft (issue 16 major 7): the leader changes it only while every member follows in
/// sync, keeps the old password in its one_auth (which its heartbeats carry) until every other member
/// authenticates the new one against its own database (it has applied the change), then switches; before, it
/// switched at once, and followers that had not applied the change refused its heartbeats.
#[test]
fn the_leader_switches_one_auth_only_once_every_member_applied_the_new_password() {
    let c = Cluster::bootstrapped();
    c.write("one-0/run/raft-role", "leader\n");
    c.write("auth/oneadmin-password", "n3w");
    // one-2 has not applied the change yet: its database still holds `pw`.
    c.write("cluster/lagging/one-2", "pw");
    let script = files().join("sync-admin-users.sh");
    c.write("cluster/calls", "");
    let child = c
        .sh("one-0")
        .env("ONECHART_SOURCE_ONLY", "1")
        .env("ADMIN_APPLY_WAIT", "5")
        .args(["-c", &format!(". {}; reconcile_oneadmin", script.display())])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let changed = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        c.read("cluster/oneadmin-password") == "n3w\n"
    });
    assert!(changed, "the leader did not change the password: {}", c.calls());
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(c.read("one-0/var/.one/one_auth"), "oneadmin:pw\n", "switched before one-2 applied the change");
    std::fs::remove_file(c.file("cluster/lagging/one-2")).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(!out(&o).contains("has not applied"), "the leader gave up waiting: {}", out(&o));
    assert!(c.calls().contains("curl -s --max-time 2 -H Content-Type: text/xml"), "{}", c.calls());
    assert_eq!(c.read("one-0/var/.one/one_auth"), "oneadmin:n3w\n");
    // A member out of sync: no change at all, the leader says why and tries again later.
    c.write("auth/oneadmin-password", "n3wer");
    std::fs::remove_file(c.file("cluster/running/one-1")).unwrap();
    let o = sync_admin_users(&c, "one-0");
    assert!(out(&o).contains("a Raft member is not in sync"), "{}", out(&o));
    assert!(!c.calls().contains("passwd 0"), "{}", c.calls());
    assert_eq!(c.read("cluster/oneadmin-password"), "n3w\n");
}

/// The SHA-256 of a text, in hex.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}
