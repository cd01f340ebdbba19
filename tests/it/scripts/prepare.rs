//! The member's start: `prepare.sh` configures the member from the chart's ConfigMap, Secrets and the packaged
//! image, and merges the configuration overrides from the values again at every start.

use super::*;

/// `sh prepare.sh` with the cluster's ConfigMap (`config/`), Secrets, a packaged image (`image/etc`, `image/var`)
/// and the member's volumes under `run/` (created).
/// The ssh Secret's key pair and host key, made by ssh-keygen into the cluster's `ssh/` directory.
fn ssh_secret_keys(c: &Cluster) {
    std::fs::create_dir_all(c.file("ssh")).unwrap();
    for (name, kind) in [("id_rsa", "rsa"), ("ssh_host_ecdsa_key", "ecdsa")] {
        let o = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-f"])
            .arg(c.file(&format!("ssh/{name}")))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
    }
}

fn prepare_command(c: &Cluster) -> Command {
    for d in ["etc", "data", "log"] {
        std::fs::create_dir_all(c.file(&format!("run/{d}"))).unwrap();
    }
    let mut cmd = Command::new("sh");
    cmd.arg(files().join("prepare.sh"))
        .env("ONECHART_CONFIG", c.file("config"))
        .env("ONECHART_AUTH", c.file("auth"))
        .env("ONECHART_SSH", c.file("ssh"))
        .env("ONECHART_SCRIPTS", files())
        .env("ONECHART_ETC", c.file("run/etc"))
        .env("ONECHART_DATA", c.file("run/data"))
        .env("ONECHART_LOG", c.file("run/log"))
        .env("ONECHART_IMAGE_ETC", c.file("image/etc"))
        .env("ONECHART_IMAGE_DATA", c.file("image/var"));
    cmd
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
    ssh_secret_keys(&c);
    std::fs::remove_file(c.file("ssh/id_rsa.pub")).unwrap();
    let run = || {
        prepare_command(&c)
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

/// Configuration that survives a restart (issue 16 major 2): the ConfigMap's files, rendered from `config.*`, are
/// merged at every start over the image's packaged files, whatever was edited in the pod: oned.conf and
/// monitord.conf attribute by attribute (the `# onechart replaces:` line names what they replace, the rest stays),
/// 7.x's schedulers/rank.conf and one_drs.conf, the services' YAML (`":host"` is the symbol `:host:`), and the
/// drivers' remotes/etc (refreshed from the image, then YAML deep-merged or shell variables replaced).
#[test]
fn configuration_from_the_values_is_merged_again_at_every_start() {
    let c = Cluster::new();
    c.write("image/etc/oned.conf", "LOG = [ SYSTEM = \"file\" ]\nDEFAULT_DEVICE_PREFIX = \"hd\"\nVM_MAD = [ NAME = \"kvm\" ]\nDB = [ BACKEND = \"sqlite\" ]\n");
    c.write(
        "image/etc/monitord.conf",
        "NETWORK = [ ADDRESS = \"::\", PUBKEY = \"\" ]\nPROBES_PERIOD = [ SYSTEM_HOST = 600 ]\n",
    );
    c.write("image/etc/schedulers/rank.conf", "MAX_HOST = 1\nDEFAULT_SCHED = [ POLICY = 1 ]\n");
    c.write("image/etc/schedulers/one_drs.conf", "PLACE:\n  POLICY: \"BALANCE\"\nPREDICTIVE: 0\n");
    c.write("image/etc/onegate-server.conf", ":host: 127.0.0.1\n:port: 5030\n:auth: onegate\n");
    c.write(
        "image/var/remotes/etc/vmm/kvm/kvmrc",
        "# kvm\nexport LIBVIRT_URI=qemu:///system\nQEMU_PROTOCOL=qemu+ssh\n",
    );
    c.write("image/var/remotes/etc/vnm/OpenNebulaNetwork.conf", ":validate_vlan_id: false\n:tproxy_debug_level: 2\n");
    for (k, v) in [
        (
            "oned.conf",
            "# onechart replaces: DEFAULT_DEVICE_PREFIX LOG\nDEFAULT_DEVICE_PREFIX = \"sd\"\nLOG = [ SYSTEM = \"std\" ]\n",
        ),
        (
            "monitord.conf",
            "# onechart replaces: NETWORK\nNETWORK = [ ADDRESS = \"0.0.0.0\", PRIKEY = \"/etc/one/k.pem\", PUBKEY = \"/etc/one/p.pem\" ]\n",
        ),
        ("rank.conf", "# onechart replaces: MAX_HOST\nMAX_HOST = 4\n"),
        ("one_drs.conf", "PLACE:\n  POLICY: PACK\n"),
        ("onegate-server.conf", ":host: 0.0.0.0\n"),
        ("values-onegate-server.conf", "\":auth\": opennebula\n"),
        (
            "remotes.yaml",
            // As Helm's toYaml writes `":tproxy"` of the values: unquoted, which Ruby reads as a symbol (the
            // real tier's dev_sqlite found prepare refusing it).
            "vmm/kvm/kvmrc:\n  LIBVIRT_URI: qemu+tcp://localhost/system\n  MIGRATE_OPTIONS: --unsafe\nvnm/OpenNebulaNetwork.conf:\n  :tproxy:\n  - :remote_addr: 192.0.2.5\n    :service_port: 5030\n",
        ),
        ("ssh_config", "Host *\n"),
        ("sshd_config", "Port 2222\n"),
    ] {
        c.write(&format!("config/{k}"), v);
    }
    for (k, v) in [("one-key", "0123"), ("fireedge-key", "ABCD")] {
        c.write(&format!("auth/{k}"), v);
    }
    ssh_secret_keys(&c);
    let run = || prepare_command(&c).env("DB_BACKEND", "sqlite").output().unwrap();
    for start in 0..2 {
        // Edits made by hand in the pod last only until the next start: the values win again.
        if start == 1 {
            std::fs::remove_dir_all(c.file("run/etc")).unwrap();
            c.write("run/data/remotes/etc/vmm/kvm/kvmrc", "LIBVIRT_URI=edited-by-hand\n");
        }
        let o = run();
        assert!(o.status.success(), "start {start}: {}", out(&o));
        let oned = c.read("run/etc/oned.conf");
        assert!(oned.contains("DEFAULT_DEVICE_PREFIX = \"sd\"") && !oned.contains("\"hd\""), "{oned}");
        assert!(oned.contains("VM_MAD = [ NAME = \"kvm\" ]"), "what the values do not name stays: {oned}");
        assert_eq!(oned.matches("DB = [").count(), 1, "{oned}");
        let monitord = c.read("run/etc/monitord.conf");
        assert!(monitord.contains("PRIKEY = \"/etc/one/k.pem\"") && !monitord.contains("\"::\""), "{monitord}");
        assert!(monitord.contains("PROBES_PERIOD"), "{monitord}");
        let rank = c.read("run/etc/schedulers/rank.conf");
        assert!(
            rank.contains("MAX_HOST = 4") && !rank.contains("MAX_HOST = 1") && rank.contains("DEFAULT_SCHED"),
            "{rank}"
        );
        let drs = c.read("run/etc/schedulers/one_drs.conf");
        assert!(drs.contains("POLICY: PACK") && drs.contains("PREDICTIVE: 0"), "{drs}");
        let onegate = c.read("run/etc/onegate-server.conf");
        assert!(
            onegate.contains(":host: 0.0.0.0")
                && onegate.contains(":auth: opennebula")
                && onegate.contains(":port: 5030"),
            "{onegate}"
        );
        let kvmrc = c.read("run/data/remotes/etc/vmm/kvm/kvmrc");
        assert!(kvmrc.contains("export LIBVIRT_URI=\"qemu+tcp://localhost/system\"\n"), "{kvmrc}");
        assert!(kvmrc.contains("QEMU_PROTOCOL=qemu+ssh") && kvmrc.contains("MIGRATE_OPTIONS=\"--unsafe\""), "{kvmrc}");
        assert!(!kvmrc.contains("edited-by-hand"), "{kvmrc}");
        let net = c.read("run/data/remotes/etc/vnm/OpenNebulaNetwork.conf");
        assert!(
            net.contains(":tproxy:\n- :remote_addr: 192.0.2.5\n  :service_port: 5030")
                && net.contains(":validate_vlan_id: false"),
            "{net}"
        );
    }
    // A path outside remotes/etc, or a file the image does not have, stops the start with its name.
    c.write("config/remotes.yaml", "vmm/kvm/nosuchrc:\n  A: b\n");
    let o = run();
    assert!(
        !o.status.success() && out(&o).contains("config.remotes 'vmm/kvm/nosuchrc': the image ships no"),
        "{}",
        out(&o)
    );
}
