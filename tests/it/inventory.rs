//! The inventory hook job (`files/inventory.rb`) run for real against stub `onehost`, `onedatastore` and
//! `onecluster` commands (`tests/stubs/inventory/`), whose behaviours cite the OpenNebula CLI and core source
//! they reproduce. The spec comes from a rendered chart (`helm template`), so the template and the script are
//! tested together.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

struct Cloud {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Cloud {
    fn new() -> Cloud {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::write(dir.join("oneadmin-password"), "pw\n").unwrap();
        std::fs::write(dir.join("one_auth"), "oneadmin:pw").unwrap();
        std::fs::write(dir.join("calls"), "").unwrap();
        Cloud { _tmp: tmp, dir }
    }

    fn run(&self, spec: &Value) -> Output {
        self.run_with(spec, &[])
    }

    /// The job with more environment (the Secret-sourced datastore attributes).
    fn run_with(&self, spec: &Value, env: &[(&str, &str)]) -> Output {
        std::fs::write(self.dir.join("calls"), "").unwrap();
        let stubs = common::root().join("tests/stubs/inventory");
        Command::new("ruby")
            .arg(common::root().join("chart-templates/files/inventory.rb"))
            .env("PATH", format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()))
            .env("CLUSTER", &self.dir)
            .env("ONE_AUTH", self.dir.join("one_auth"))
            .env("INVENTORY", spec.to_string())
            .env("INVENTORY_WAIT", "2")
            .env("INVENTORY_POLL", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("one.json")).unwrap()).unwrap()
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.join("calls")).unwrap()
    }

    fn host<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
        state["hosts"].as_array().unwrap().iter().find(|h| h["NAME"] == name)
    }

    fn datastore<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
        state["datastores"].as_array().unwrap().iter().find(|h| h["NAME"] == name)
    }
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The INVENTORY spec of a chart generated with `values` and rendered by Helm.
fn rendered_spec(values: &str, dir: &Path) -> Value {
    let file = dir.join("site.yaml");
    std::fs::write(&file, values).unwrap();
    let chart = dir.join("chart");
    common::generate("prod-mysql", &["-f", file.to_str().unwrap()], &chart);
    let o = Command::new(common::tool("helm3")).args(["template", "one", "-n", "cloud"]).arg(&chart).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let line =
        text.lines().find(|l| l.contains("{name: INVENTORY, value: ")).expect("the chart renders the inventory job");
    let quoted = line.split_once("value: ").unwrap().1.trim_end_matches('}');
    let json: String = serde_json::from_str(quoted).unwrap();
    serde_json::from_str(&json).unwrap()
}

const SITE: &str = r#"
hosts:
  - {name: kvm1.example.com, sshHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1"}
  - {name: kvm2.example.com, cluster: edge}
datastores:
  - {name: system, type: system, tmMad: ceph}
  - {name: ceph-images, type: image, tmMad: ceph, attributes: {POOL_NAME: one, CEPH_HOST: "mon1 mon2"}}
"#;

#[test]
fn creates_what_is_missing_then_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = rendered_spec(SITE, tmp.path());
    assert_eq!(spec["release"], "cloud/one");
    let cloud = Cloud::new();
    let o = cloud.run(&spec);
    assert!(o.status.success(), "{}", out(&o));
    let s = cloud.state();
    // Cluster `edge` is created for kvm2; kvm1 goes to `default` (ID 0).
    let edge = s["clusters"].as_array().unwrap().iter().find(|c| c["NAME"] == "edge").expect("cluster edge");
    let kvm1 = Cloud::host(&s, "kvm1.example.com").expect("kvm1 created");
    assert_eq!(
        (kvm1["IM_MAD"].as_str(), kvm1["VM_MAD"].as_str(), kvm1["CLUSTER_ID"].as_i64()),
        (Some("kvm"), Some("kvm"), Some(0))
    );
    assert_eq!(kvm1["TEMPLATE"]["ONECHART_RELEASE"], "cloud/one");
    let kvm2 = Cloud::host(&s, "kvm2.example.com").expect("kvm2 created");
    assert_eq!(kvm2["CLUSTER_ID"], edge["ID"]);
    // The existing system datastore is updated in place (same ID), the Ceph one created with its attributes.
    let system = Cloud::datastore(&s, "system").unwrap();
    assert_eq!(
        (system["ID"].as_i64(), system["TM_MAD"].as_str(), system["DS_MAD"].as_str()),
        (Some(0), Some("ceph"), Some("-"))
    );
    // Updated, not created here: untagged, so never pruned.
    assert_eq!(system["TEMPLATE"].get("ONECHART_RELEASE"), None);
    let ceph = Cloud::datastore(&s, "ceph-images").expect("ceph-images created");
    assert_eq!(
        (ceph["TYPE"].as_i64(), ceph["TM_MAD"].as_str(), ceph["DS_MAD"].as_str()),
        (Some(0), Some("ceph"), Some("ceph"))
    );
    assert_eq!(ceph["TEMPLATE"]["CEPH_HOST"], "mon1 mon2");
    assert_eq!(ceph["TEMPLATE"]["ONECHART_RELEASE"], "cloud/one");
    // Untouched defaults stay as they were.
    assert_eq!(Cloud::datastore(&s, "default").unwrap()["TEMPLATE"], json!({}));
    // A second run (the next upgrade) lists and changes nothing.
    let o = cloud.run(&spec);
    assert!(o.status.success(), "{}", out(&o));
    let calls = cloud.calls();
    assert!(calls.lines().all(|l| l.ends_with(" list -x")), "the second run changed something:\n{calls}\n{}", out(&o));
    assert_eq!(cloud.state(), s);
}

#[test]
fn updates_what_differs_and_prunes_only_with_the_flag_and_only_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = rendered_spec(SITE, tmp.path());
    let cloud = Cloud::new();
    assert!(cloud.run(&spec).status.success());
    // A host registered by hand, with the same tag format but another release, and a datastore changed by hand.
    let mut s = cloud.state();
    s["hosts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"ID": 500, "NAME": "manual", "IM_MAD": "kvm", "VM_MAD": "kvm", "CLUSTER_ID": 0, "TEMPLATE": {}}));
    s["hosts"].as_array_mut().unwrap().push(json!({"ID": 501, "NAME": "other", "IM_MAD": "kvm", "VM_MAD": "kvm", "CLUSTER_ID": 0, "TEMPLATE": {"ONECHART_RELEASE": "cloud/other"}}));
    for d in s["datastores"].as_array_mut().unwrap() {
        if d["NAME"] == "ceph-images" {
            d["TEMPLATE"]["POOL_NAME"] = json!("changed");
        }
    }
    std::fs::write(cloud.dir.join("one.json"), s.to_string()).unwrap();

    // kvm2 moves to `default`, kvm1 leaves the values, POOL_NAME goes back to `one`.
    let mut next = spec.clone();
    next["hosts"] = json!([{"name": "kvm2.example.com", "imMad": "kvm", "vmMad": "kvm", "cluster": "default"}]);
    let o = cloud.run(&next);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    let s = cloud.state();
    assert_eq!(Cloud::host(&s, "kvm2.example.com").unwrap()["CLUSTER_ID"], 0);
    assert!(Cloud::host(&s, "kvm1.example.com").is_some(), "deleted without inventory.pruneHosts");
    assert!(
        text.contains("host kvm1.example.com is no longer declared; kept (inventory.pruneHosts is false)"),
        "{text}"
    );
    assert_eq!(Cloud::datastore(&s, "ceph-images").unwrap()["TEMPLATE"]["POOL_NAME"], "one");
    assert!(cloud.calls().contains("onedatastore update"), "{}", cloud.calls());
    assert!(text.contains("datastore ceph-images updated (POOL_NAME)"), "{text}");

    // With the flag: kvm1 (tagged by this release) goes; the hand-made host and another release's stay.
    next["pruneHosts"] = json!(true);
    let o = cloud.run(&next);
    assert!(o.status.success(), "{}", out(&o));
    let s = cloud.state();
    assert!(Cloud::host(&s, "kvm1.example.com").is_none(), "{}", out(&o));
    assert!(Cloud::host(&s, "manual").is_some() && Cloud::host(&s, "other").is_some());

    // Datastores: dropped from the values, kept without the flag, deleted with it.
    next["datastores"] = json!([]);
    assert!(cloud.run(&next).status.success());
    assert!(Cloud::datastore(&cloud.state(), "ceph-images").is_some());
    next["pruneDatastores"] = json!(true);
    let o = cloud.run(&next);
    assert!(o.status.success(), "{}", out(&o));
    let s = cloud.state();
    assert!(Cloud::datastore(&s, "ceph-images").is_none());
    // OpenNebula's own system datastore, updated by the job but not created by it, stays.
    assert_eq!(Cloud::datastore(&s, "system").unwrap()["ID"], 0);
}

#[test]
fn a_host_with_other_drivers_is_reported_never_replaced() {
    let cloud = Cloud::new();
    let spec = json!({"release": "cloud/one", "pruneHosts": true, "pruneDatastores": false, "datastores": [],
        "hosts": [{"name": "kvm1", "imMad": "kvm", "vmMad": "kvm", "cluster": "default"}]});
    assert!(cloud.run(&spec).status.success());
    let mut changed = spec.clone();
    changed["hosts"][0]["imMad"] = json!("lxc");
    let o = cloud.run(&changed);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("drivers cannot change"), "{}", out(&o));
    let s = cloud.state();
    assert_eq!(Cloud::host(&s, "kvm1").unwrap()["IM_MAD"], "kvm");
    assert!(!cloud.calls().contains("onehost delete"));
}

#[test]
fn waits_for_the_api_and_fails_when_it_never_answers_or_refuses_the_password() {
    let cloud = Cloud::new();
    let spec = json!({"release": "cloud/one", "pruneHosts": false, "pruneDatastores": false, "datastores": [],
        "hosts": [{"name": "kvm1", "imMad": "kvm", "vmMad": "kvm", "cluster": "default"}]});
    std::fs::write(cloud.dir.join("api-down"), "").unwrap();
    let o = cloud.run(&spec);
    assert!(!o.status.success());
    assert!(out(&o).contains("waiting for OpenNebula's API") && out(&o).contains("did not answer"), "{}", out(&o));
    std::fs::remove_file(cloud.dir.join("api-down")).unwrap();
    std::fs::write(cloud.dir.join("oneadmin-password"), "rotated\n").unwrap();
    let o = cloud.run(&spec);
    assert!(!o.status.success());
    assert!(out(&o).contains("couldn't be authenticated"), "{}", out(&o));
    std::fs::write(cloud.dir.join("oneadmin-password"), "pw\n").unwrap();
    let o = cloud.run(&spec);
    assert!(o.status.success(), "{}", out(&o));
}

#[test]
fn a_failed_command_fails_the_job() {
    let cloud = Cloud::new();
    // No TM_MAD: oned refuses the datastore (the stub reproduces the allocate error).
    let spec = json!({"release": "cloud/one", "pruneHosts": false, "pruneDatastores": false, "hosts": [],
        "datastores": [{"name": "bad", "type": "image", "tmMad": "", "dsMad": "fs", "attributes": {}}]});
    let o = cloud.run(&spec);
    assert!(!o.status.success());
    assert!(out(&o).contains("FAILED datastore bad created") && out(&o).contains("1 command(s) failed"), "{}", out(&o));
}

/// `hosts[].sshHostKey` reaches oneadmin's known_hosts through the ConfigMap (prepare.sh's seed_known_hosts):
/// a declared key replaces the old one for that name, other entries stay, and a rerun changes nothing.
#[test]
fn declared_host_keys_seed_known_hosts() {
    let tmp = tempfile::tempdir().unwrap();
    // The ConfigMap's known_hosts, as the chart renders it.
    let spec_dir = tmp.path().join("render");
    std::fs::create_dir_all(&spec_dir).unwrap();
    std::fs::write(spec_dir.join("site.yaml"), SITE).unwrap();
    let chart = spec_dir.join("chart");
    common::generate("prod-mysql", &["-f", spec_dir.join("site.yaml").to_str().unwrap()], &chart);
    let o = Command::new(common::tool("helm3")).args(["template", "one"]).arg(&chart).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let start = text.find("  known_hosts: |\n").expect("known_hosts in the ConfigMap") + "  known_hosts: |\n".len();
    let known: String =
        text[start..].lines().take_while(|l| l.starts_with("    ")).map(|l| format!("{}\n", &l[4..])).collect();
    assert_eq!(known, "kvm1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1\n");

    let config = tmp.path().join("config");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(data.join(".ssh")).unwrap();
    std::fs::write(config.join("known_hosts"), &known).unwrap();
    std::fs::write(
        data.join(".ssh/known_hosts"),
        "kvm1.example.com ssh-ed25519 OLDKEY\none.example.org ecdsa-sha2-nistp256 AAAAfront\n",
    )
    .unwrap();
    let seed = || {
        let files = common::root().join("chart-templates/files");
        let o = Command::new("sh")
            .args(["-c", &format!(". {}/prepare.sh; seed_known_hosts", files.display())])
            .env("ONECHART_SOURCE_ONLY", "1")
            .env("ONECHART_CONFIG", &config)
            .env("ONECHART_DATA", &data)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        std::fs::read_to_string(data.join(".ssh/known_hosts")).unwrap()
    };
    let first = seed();
    assert_eq!(
        first,
        "one.example.org ecdsa-sha2-nistp256 AAAAfront\nkvm1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1\n"
    );
    assert_eq!(seed(), first);
}

/// Hosts in a named cluster need datastores in that cluster: `datastores[].clusters` adds a datastore to each
/// (created when missing, OpenNebula's own `system`/`default` too), and the job warns about a host cluster left
/// without a system or an image datastore. Backup datastores (`restic`, `rsync`, no transfer driver) and the
/// `fs_lvm`/`fs_lvm_ssh` drivers are accepted; `RESTIC_PASSWORD` comes from a Secret, never from the rendered spec.
#[test]
fn datastores_join_the_clusters_of_their_hosts_and_backup_datastores_take_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = rendered_spec(
        r#"
hosts:
  - {name: kvm1.example.com, cluster: edge}
  - {name: kvm2.example.com, cluster: lab}
datastores:
  - {name: system, type: system, tmMad: ssh, clusters: [default, edge]}
  - {name: default, type: image, tmMad: ssh, clusters: [default, edge]}
  - {name: lvm-system, type: system, tmMad: fs_lvm_ssh}
  - {name: backups, type: backup, dsMad: restic, attributes: {RESTIC_SFTP_SERVER: backup.example.com}, secretAttributes: {RESTIC_PASSWORD: {name: restic, key: password}}}
"#,
        tmp.path(),
    );
    assert!(!spec.to_string().contains("s3cr3t"));
    assert_eq!(spec["datastores"][3]["secretAttributes"]["RESTIC_PASSWORD"], "DATASTORE_3_RESTIC_PASSWORD");
    let cloud = Cloud::new();
    let o = cloud.run_with(&spec, &[("DATASTORE_3_RESTIC_PASSWORD", "s3cr3t")]);
    assert!(o.status.success(), "{}", out(&o));
    let s = cloud.state();
    let id = |name: &str| s["clusters"].as_array().unwrap().iter().find(|c| c["NAME"] == name).unwrap()["ID"].clone();
    let system = Cloud::datastore(&s, "system").unwrap();
    assert_eq!(system["CLUSTERS"], json!([0, id("edge")]));
    assert_eq!(Cloud::datastore(&s, "default").unwrap()["CLUSTERS"], json!([0, id("edge")]));
    assert_eq!(Cloud::datastore(&s, "lvm-system").unwrap()["TM_MAD"], "fs_lvm_ssh");
    let backups = Cloud::datastore(&s, "backups").unwrap();
    assert_eq!(
        (backups["TYPE"].as_i64(), backups["DS_MAD"].as_str(), backups["TM_MAD"].as_str()),
        (Some(3), Some("restic"), Some("-"))
    );
    assert_eq!(backups["TEMPLATE"]["RESTIC_PASSWORD"], "s3cr3t");
    let text = out(&o);
    assert!(text.contains("datastore system added to cluster edge"), "{text}");
    assert!(!text.contains("cluster edge has hosts but no"), "edge has both: {text}");
    assert!(text.contains("WARNING: cluster lab has hosts but no system and no image datastore"), "{text}");
    assert!(!text.contains("s3cr3t"), "the job never prints a secret attribute: {text}");
}
