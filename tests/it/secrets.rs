//! The secrets hook job (`files/ensure-identity.rb`) and the other Ruby API helpers, run for real (Ruby,
//! ssh-keygen) against a fake Kubernetes API server on loopback: it creates every missing Secret and key in the
//! formats OpenNebula makes them, never changes a value that exists (also under concurrent writers), is a no-op
//! on a second run, uses values.yaml credentials only for keys it creates, prints no credential, and fails
//! clearly when its Role does not allow a call.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::kube_api::FakeApi;
use serde_json::{Value, json};

const AUTH: &str = "one-opennebula-auth";
const DB: &str = "one-opennebula-db";
const SSH: &str = "one-opennebula-ssh";

/// The Role the chart gives the job (templates/job-secrets.yaml): get/patch on its Secrets by name, create.
fn rules(names: &[&str]) -> Value {
    json!([
        {"resource": "secrets", "verbs": ["get", "patch"], "names": names},
        {"resource": "secrets", "verbs": ["create"]},
    ])
}

/// The spec the chart renders for a bundled-MariaDB release.
fn spec(ssh_regenerate: bool) -> String {
    json!([
        {"name": AUTH, "keys": {"fireedge-key": "fireedge-key", "one-key": "hex64", "oneadmin-password": "password",
                                "serveradmin-password": "hex64"}},
        {"name": DB, "keys": {"mysql-password": "password", "mysql-root-password": "password"}},
        {"name": SSH, "keys": {"id_rsa": "ssh-private-key", "id_rsa.pub": "ssh-public-key",
                               "ssh_host_ecdsa_key": "ssh-host-key"}, "regenerate": ssh_regenerate},
    ])
    .to_string()
}

fn run(api: &FakeApi, spec: &str, given: Option<&Path>) -> Output {
    let mut cmd = Command::new("ruby");
    cmd.arg(common::root().join("chart-templates/files/ensure-identity.rb"))
        .env("IDENTITY_SPEC", spec)
        .env("IDENTITY_LABELS", r#"{"app.kubernetes.io/component":"credentials","onechart.io/release":"one"}"#)
        .env("IDENTITY_GIVEN", given.map_or_else(|| api.scratch().join("no-given"), Path::to_path_buf));
    api.env(&mut cmd).output().expect("ruby runs the secrets job")
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn data<'a>(state: &'a Value, secret: &str) -> &'a serde_json::Map<String, Value> {
    state["secrets"][secret]["data"].as_object().unwrap_or_else(|| panic!("no Secret {secret}: {state}"))
}

fn s<'a>(state: &'a Value, secret: &str, key: &str) -> &'a str {
    data(state, secret)[key].as_str().unwrap_or_else(|| panic!("{secret} has no {key}"))
}

fn writes(api: &FakeApi) -> Vec<String> {
    api.requests().into_iter().filter(|r| !r.starts_with("GET ")).collect()
}

/// An RSA key made the way an operator would, in PEM.
fn rsa_key(dir: &Path) -> String {
    let key = dir.join("operator_rsa");
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f"])
        .arg(&key)
        .output();
    assert!(o.unwrap().status.success());
    std::fs::read_to_string(key).unwrap()
}

/// `ssh-keygen -y` of a private key (type and key material).
fn public_of(private: &str, dir: &Path) -> String {
    let f = dir.join("check_key");
    std::fs::write(&f, private).unwrap();
    Command::new("chmod").arg("600").arg(&f).status().unwrap();
    let o = Command::new("ssh-keygen").arg("-y").arg("-f").arg(&f).output().unwrap();
    assert!(o.status.success(), "not a private key: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn bits(public: &str, dir: &Path) -> String {
    let f = dir.join("check_key.pub");
    std::fs::write(&f, public).unwrap();
    let o = Command::new("ssh-keygen").arg("-l").arg("-f").arg(&f).output().unwrap();
    String::from_utf8_lossy(&o.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

fn all(text: &str, ok: impl Fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().all(ok)
}

#[test]
fn creates_every_missing_secret_in_opennebulas_formats_and_prints_none() {
    let api = FakeApi::start(&json!({"rules": rules(&[AUTH, DB, SSH])}));
    let o = run(&api, &spec(false), None);
    assert!(o.status.success(), "{}", out(&o));
    let st = api.state();
    // one_key and serveradmin's token: one_util::random_password(), a SHA-256 hex digest
    // (OpenNebula/one@release-7.4.0:src/common/NebulaUtil.cc:266).
    for key in ["one-key", "serveradmin-password"] {
        let v = s(&st, AUTH, key);
        assert!(v.len() == 64 && all(v, |c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{key}: {v}");
    }
    // fireedge_key: a UUIDv4 without dashes, upper case (src/fireedge/src/server/utils/server.js:468-484).
    let fk = s(&st, AUTH, "fireedge-key");
    assert!(fk.len() == 32 && all(fk, |c| c.is_ascii_digit() || ('A'..='F').contains(&c)), "{fk}");
    assert_eq!(&fk[12..13], "4", "a version 4 UUID: {fk}");
    // Passwords: letters and digits only (ONE012: no quote, backslash, dollar, backtick or space).
    for (secret, key) in [(AUTH, "oneadmin-password"), (DB, "mysql-password"), (DB, "mysql-root-password")] {
        let v = s(&st, secret, key);
        assert!(v.len() >= 24 && all(v, |c| c.is_ascii_alphanumeric()), "{key}: {v}");
    }
    assert_ne!(s(&st, DB, "mysql-password"), s(&st, DB, "mysql-root-password"));
    // oneadmin's key pair: RSA 4096 in PEM, and the public key that goes with it.
    let private = s(&st, SSH, "id_rsa");
    assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{private:.40}");
    let public = s(&st, SSH, "id_rsa.pub");
    assert!(public.starts_with(&public_of(private, &api.scratch())), "{public}");
    assert!(public.trim_end().ends_with(" oneadmin@opennebula"), "{public}");
    assert_eq!(bits(public, &api.scratch()), "4096");
    // The sshd host key (files/prepare.sh refuses to start without it): an ECDSA private key, not the pair's.
    let host = s(&st, SSH, "ssh_host_ecdsa_key");
    assert!(host.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"), "{host:.40}");
    assert!(public_of(host, &api.scratch()).starts_with("ecdsa-sha2-nistp256 "), "the host key is ECDSA");
    // Labelled for people, not for Argo CD's instance tracking (which would prune them).
    let labels = &st["secrets"][AUTH]["labels"];
    assert_eq!(labels["onechart.io/release"], "one");
    assert!(labels.get("app.kubernetes.io/instance").is_none(), "{labels}");
    assert!(st["secrets"][AUTH]["annotations"]["onechart.io/created-by"].as_str().unwrap().contains("never changed"));
    // Three creations, nothing else; no credential in the output.
    assert_eq!(writes(&api), vec!["POST /api/v1/namespaces/cloud/secrets"; 3]);
    let text = out(&o);
    for secret in [AUTH, DB, SSH] {
        for (key, v) in data(&st, secret) {
            let v = v.as_str().unwrap();
            let probe = v.lines().nth(1).unwrap_or(v);
            assert!(!text.contains(probe.trim()), "{key} printed: {text}");
        }
    }
    assert!(text.contains(&format!("created Secret {AUTH} with fireedge-key, one-key")), "{text}");
}

#[test]
fn never_changes_an_existing_value_and_a_second_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let operator_key = rsa_key(dir.path());
    let api = FakeApi::start(&json!({
        "rules": rules(&[AUTH, DB, SSH]),
        "objects": {"secrets": {
            // Made by an earlier chart (or by hand): some keys only, one of them empty.
            AUTH: {"data": {"oneadmin-password": "kept-pw", "one-key": "0123abcd", "fireedge-key": ""}},
            SSH: {"data": {"id_rsa": operator_key}},
        }},
    }));
    let o = run(&api, &spec(false), None);
    assert!(o.status.success(), "{}", out(&o));
    let st = api.state();
    assert_eq!(s(&st, AUTH, "oneadmin-password"), "kept-pw");
    assert_eq!(s(&st, AUTH, "one-key"), "0123abcd");
    assert_eq!(s(&st, AUTH, "fireedge-key").len(), 32, "an empty key counts as missing");
    assert_eq!(s(&st, AUTH, "serveradmin-password").len(), 64);
    assert_eq!(s(&st, SSH, "id_rsa"), operator_key, "the private key is never replaced");
    assert!(s(&st, SSH, "id_rsa.pub").starts_with(&public_of(&operator_key, dir.path())), "derived from it");
    let text = out(&o);
    assert!(text.contains(&format!("Secret {AUTH}: added the missing fireedge-key, serveradmin-password")), "{text}");
    assert!(text.contains(&format!("Secret {SSH}: added the missing id_rsa.pub")), "{text}");

    let before = api.state();
    let requests = api.requests().len();
    let o = run(&api, &spec(false), None);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(api.state(), before, "a second run changed a Secret");
    assert!(api.requests()[requests..].iter().all(|r| r.starts_with("GET ")), "{:?}", api.requests());
    assert!(out(&o).contains(&format!("Secret {DB} has every key")), "{}", out(&o));
}

#[test]
fn values_yaml_credentials_are_used_only_for_keys_it_creates() {
    let api = FakeApi::start(&json!({
        "rules": rules(&[AUTH, DB, SSH]),
        "objects": {"secrets": {DB: {"data": {"mysql-password": "InUseByMariaDB"}}}},
    }));
    let given = api.scratch().join("given");
    std::fs::create_dir(&given).unwrap();
    std::fs::write(given.join("oneadmin-password"), "FromValues1").unwrap();
    std::fs::write(given.join("mysql-password"), "ChangedInValues").unwrap();
    let o = run(&api, &spec(false), Some(&given));
    assert!(o.status.success(), "{}", out(&o));
    let st = api.state();
    assert_eq!(s(&st, AUTH, "oneadmin-password"), "FromValues1");
    assert_eq!(s(&st, DB, "mysql-password"), "InUseByMariaDB", "a changed value in values.yaml changes nothing");
    let text = out(&o);
    assert!(text.contains("(oneadmin-password from values.yaml)"), "{text}");
    assert!(text.contains(&format!("Secret {DB}: kept the existing mysql-password")), "{text}");
    assert!(!text.contains("FromValues1") && !text.contains("ChangedInValues"), "{text}");
}

#[test]
fn concurrent_writers_win_and_nothing_is_overwritten() {
    let api = FakeApi::start(&json!({
        "rules": rules(&[AUTH, DB, SSH]),
        "objects": {"secrets": {DB: {"data": {"mysql-root-password": "root1"}}}},
        "faults": {
            // Another run creates the auth Secret between this job's read and its create (409 AlreadyExists)...
            "created_meanwhile": {AUTH: {"oneadmin-password": "theirs"}},
            // ...and adds the database password between this job's read and its patch (409 Conflict).
            "conflict_once": {DB: {"mysql-password": "racer"}},
        },
    }));
    let o = run(&api, &spec(false), None);
    assert!(o.status.success(), "{}", out(&o));
    let st = api.state();
    assert_eq!(s(&st, AUTH, "oneadmin-password"), "theirs");
    assert_eq!(s(&st, AUTH, "one-key").len(), 64, "the keys still missing are added");
    assert_eq!(s(&st, DB, "mysql-password"), "racer");
    assert_eq!(s(&st, DB, "mysql-root-password"), "root1");
    let patches = api.requests().iter().filter(|r| r.starts_with("PATCH ")).count();
    assert_eq!(patches, 2, "one patch refused on the stale resourceVersion, one retry for the auth Secret");
}

#[test]
fn refused_calls_fail_the_hook_with_the_secret_named() {
    // A Role that does not name the SSH Secret (a renamed release with a stale Role, say).
    let api = FakeApi::start(&json!({"rules": rules(&[AUTH, DB])}));
    let o = run(&api, &spec(false), None);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains(&format!("reading Secret {SSH} failed: HTTP 403 Forbidden")), "{}", out(&o));
    // A wrong token is refused as well.
    let api = FakeApi::start(&json!({"rules": rules(&[AUTH]), "token": "other"}));
    std::fs::write(api.scratch().join("serviceaccount/token"), "stale").unwrap();
    let o = run(&api, &json!([{"name": AUTH, "keys": {"one-key": "hex64"}}]).to_string(), None);
    assert!(out(&o).contains("HTTP 401"), "{}", out(&o));
}

#[test]
fn ssh_persistence_false_makes_a_new_key_pair_every_run() {
    // ONE009's case, taken on purpose: the key pair changes at every install and upgrade.
    let api = FakeApi::start(&json!({"rules": rules(&[AUTH, DB, SSH])}));
    let ssh_only = |regenerate: bool| {
        json!([{"name": SSH, "keys": {"id_rsa": "ssh-private-key", "id_rsa.pub": "ssh-public-key"},
                "regenerate": regenerate}])
        .to_string()
    };
    assert!(run(&api, &ssh_only(true), None).status.success());
    let first = s(&api.state(), SSH, "id_rsa").to_string();
    let o = run(&api, &ssh_only(true), None);
    assert!(out(&o).contains("regenerated (ssh.persistence is false)"), "{}", out(&o));
    let st = api.state();
    assert_ne!(s(&st, SSH, "id_rsa"), first);
    assert!(s(&st, SSH, "id_rsa.pub").starts_with(&public_of(s(&st, SSH, "id_rsa"), &api.scratch())));
}

#[test]
fn pod_labels_and_configmaps_go_through_the_same_client() {
    let api = FakeApi::start(&json!({
        "rules": [
            {"resource": "pods", "verbs": ["get", "patch"]},
            {"resource": "configmaps", "verbs": ["get", "patch"], "names": ["one-ssh-public-key"]},
            {"resource": "configmaps", "verbs": ["create"]},
        ],
        "objects": {"pods": {"one-1": {"labels": {"app.kubernetes.io/name": "opennebula"}}}},
    }));
    let files = common::root().join("chart-templates/files");
    let mut label = Command::new("ruby");
    label.arg(files.join("label-pod.rb")).args(["onechart.io/raft-role", "leader"]).env("POD_NAME", "one-1");
    let o = api.env(&mut label).output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let mut publish = Command::new("ruby");
    publish.arg(files.join("apply-configmap.rb")).args(["one-ssh-public-key", "id_rsa.pub=ssh-ed25519 AAAA"]);
    for _ in 0..2 {
        let o = api.env(&mut publish).output().unwrap();
        assert!(o.status.success(), "{}", out(&o));
    }
    let st = api.state();
    assert_eq!(st["pods"]["one-1"]["labels"]["onechart.io/raft-role"], "leader");
    assert_eq!(st["pods"]["one-1"]["labels"]["app.kubernetes.io/name"], "opennebula", "a merge patch keeps labels");
    assert_eq!(st["configmaps"]["one-ssh-public-key"]["data"]["id_rsa.pub"], "ssh-ed25519 AAAA");
    assert_eq!(
        api.requests(),
        [
            "PATCH /api/v1/namespaces/cloud/pods/one-1",
            "PATCH /api/v1/namespaces/cloud/configmaps/one-ssh-public-key",
            "POST /api/v1/namespaces/cloud/configmaps",
            "PATCH /api/v1/namespaces/cloud/configmaps/one-ssh-public-key",
        ]
    );
}
