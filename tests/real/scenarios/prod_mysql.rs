//! `prod-mysql` with the bundled MariaDB (a MariaDB container beside oned, `database.mysql.host` empty): install
//! and `helm test`; a scheduled backup (the CronJob, triggered) that is a real dump: loaded into a scratch
//! database, OpenNebula's own `onedb version` reads it; then the restore of the README (Backups and restore):
//! maintenance mode, `restore.sh FILE`, maintenance off. Between the backup and the restore both admin passwords
//! rotate (the Secret changes, `sync-admin-users.sh` follows it), as they would between a backup and a disaster:
//! after the restore, what was made before the backup is there, what was made after is gone, and oneadmin and
//! serveradmin log in with the Secret's passwords, not the backup's.
//!
//! Stand-ins beyond the runner's own (tests/real/README.md): the MariaDB image is Debian 12's MariaDB 10.11 with
//! an entrypoint written for the tier (`runner::image::Image::mariadb`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::{Timer, one, xml_value};
use crate::runner::Cluster;
use crate::runner::helm::{Chart, line};
use crate::runner::image::IMAGE_UID;
use crate::runner::sh::wait_for;

pub const NS: &str = "opennebula";
pub const POD: &str = "one-opennebula-0";
pub const BACKUPS: &str = "one-opennebula-backups";
pub const AUTH_SECRET: &str = "one-opennebula-auth";

#[test]
fn prod_mysql_bundled() {
    for release in crate::releases() {
        bundled(&release);
    }
}

/// `onechart generate --profile prod-mysql` with the example site values, for OpenNebula `release` on the image
/// of that release, plus `extra` (`--set k=v`...). The example's `monitord.monitorAddress` is a name of the
/// example's own network; here it is the monitord Service as the cluster names it, since the self-test's dummy
/// probes run on the front-end and send their results there.
pub fn generate(release: &str, work: &std::path::Path, extra: &[&str]) -> Chart {
    let site = crate::root().join("profiles/examples/prod-mysql.values.yaml");
    let tag = format!("image.tag={release}");
    let monitor = format!("monitord.monitorAddress=one-opennebula-monitord.{NS}.svc");
    let mut args = vec!["-f", site.to_str().unwrap(), "--set", &tag, "--set", &monitor];
    args.extend_from_slice(extra);
    Chart::generate("prod-mysql", release, &args, work, NS)
}

/// The TLS Secret the example site values name (`tls.secretName: opennebula-tls`), as an operator or
/// cert-manager makes it: a self-signed certificate for the OneGate name (a VM outside the cluster verifies it:
/// `reached_from_outside`). The chart's in-cluster clients (helm tests, hooks) do not verify it (`ONE_DISABLE_SSL_VERIFY`, `curl -k`): they reach the Services by names a
/// public certificate does not carry.
pub fn tls_secret(c: &Cluster) {
    let dir = tempfile::tempdir().unwrap();
    let (key, crt) = (dir.path().join("tls.key"), dir.path().join("tls.crt"));
    crate::runner::sh::run(
        std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=onegate.example.com"])
            .args(["-addext", "subjectAltName=DNS:onegate.example.com"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&crt),
    );
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    c.api().apply(&json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                          "metadata": {"name": "opennebula-tls"},
                          "stringData": {"tls.crt": read(&crt), "tls.key": read(&key)}}));
}

/// Issue 16, major 6: the example site values' names work from outside the cluster, where the hypervisors and the
/// VMs are. A host outside it (`Cluster::outside_host`: it reaches the load balancers and nothing else), whose DNS
/// maps the example's names to the load balancers of the Services behind them, as the operator's DNS must:
/// - as a hypervisor in a qcow2 PROLOG (`ssh -n <HOSTNAME>` then `tar`: OpenNebula/one@release-7.4.0:
///   src/tm_mad/local/clone:166-185; oned names images `<HOSTNAME>:<path>`, src/tm/TransferManager.cc:181), it
///   copies a file of the datastores from `oned.hostname` with oneadmin's key, checking the host key the SSH
///   Secret holds;
/// - as a VM, it calls OneGate at the `ONEGATE_ENDPOINT` oned put in its context (src/vm/VirtualMachineContext.cc),
///   verifying the TLS certificate of `tls.secretName`, with its token (OneGateCloudAuth.rb): HTTP 200, its VM;
/// - monitord holds a connection made to the example's `monitord.monitorAddress` (TCP; the dummy probes of the
///   self-test use the in-cluster name, UDP);
/// - and the same host reaches neither the API's ClusterIP nor the pod itself, so nothing above went around the
///   published Services.
fn reached_from_outside(c: &Cluster) {
    use crate::runner::sh::quote;
    let example = std::fs::read_to_string(crate::root().join("profiles/examples/prod-mysql.values.yaml")).unwrap();
    let values = crate::runner::yaml::documents(&example).remove(0);
    let text_of = |v: &serde_json::Value| v.as_str().unwrap_or_else(|| panic!("the example lacks {v}")).to_string();
    let hostname = text_of(&values["oned"]["hostname"]);
    let endpoint = text_of(&values["onegate"]["endpoint"]);
    let monitor = text_of(&values["monitord"]["monitorAddress"]);
    let onegate_host = endpoint.split("://").nth(1).and_then(|r| r.split([':', '/']).next()).unwrap().to_string();
    let outside = super::Outside::new(
        c,
        &[
            (&hostname, "one-opennebula-ssh"),
            (&onegate_host, "one-opennebula-onegate"),
            (&monitor, "one-opennebula-monitord"),
        ],
        &hostname,
    );

    // oned hands the hypervisors `oned.hostname`.
    let conf = c.exec_ok(POD, "oned", &["cat", "/etc/one/oned.conf"]);
    assert!(
        conf.lines().any(|l| l.trim() == format!("HOSTNAME = \"{hostname}\"")),
        "oned.conf's HOSTNAME is not {hostname}"
    );

    // The hypervisor's PROLOG copy of a file of the datastores.
    let sum = c.exec_ok(
        POD,
        "oned",
        &["sh", "-c", "mkdir -p /var/lib/one/datastores/1 && head -c 262144 /dev/urandom > /var/lib/one/datastores/1/outside-probe && \
                       sha256sum < /var/lib/one/datastores/1/outside-probe"],
    );
    let dst = outside.dir().join("vm-dir");
    std::fs::create_dir(&dst).unwrap();
    let (ok, out) = outside.run(&format!(
        "set -e -o pipefail; {} {} | tar -x -f - -C {}; sha256sum < {}/outside-probe",
        outside.ssh(),
        quote("tar -C /var/lib/one/datastores/1 -c -f - outside-probe"),
        dst.display(),
        dst.display()
    ));
    assert!(ok && out.trim() == sum.trim(), "the hypervisor's PROLOG copy from {hostname}:22 failed: {out}");
    c.exec_ok(POD, "oned", &["rm", "-f", "/var/lib/one/datastores/1/outside-probe"]);

    // The VM: a held VM with a OneGate token in its context (no host needed: OneGate checks the VM's ID and STIME).
    let tpl = "NAME = \"outside\"\nCPU = \"0.1\"\nMEMORY = \"32\"\nCONTEXT = [ TOKEN = \"YES\" ]\n";
    c.cp_in(POD, "oned", tpl.as_bytes(), "/tmp/outside-vm.tpl");
    let vm = super::id_of(&one(c, POD, &["onevm", "create", "--hold", "/tmp/outside-vm.tpl"]));
    let xml = one(c, POD, &["onevm", "show", &vm, "-x"]);
    assert_eq!(xml_value(&xml, "ONEGATE_ENDPOINT").as_deref(), Some(endpoint.as_str()), "the VM's context");
    let stime = xml_value(&xml, "STIME").unwrap();
    // The token oned writes into the context: AES-256-CBC of "<ID>:<STIME>" keyed with the first 32 characters of
    // the owner's TOKEN_PASSWORD, zero IV (src/vm/VirtualMachineContext.cc:290-292, src/common/NebulaUtil.cc).
    let password = xml_value(&one(c, POD, &["oneuser", "show", "0", "-x"]), "TOKEN_PASSWORD").unwrap();
    const TOKEN_RB: &str = "require 'openssl'; require 'base64'; c = OpenSSL::Cipher.new('aes-256-cbc'); c.encrypt; \
                            c.key = ARGV[0][0, 32]; c.iv = \"\\0\" * 16; print Base64.strict_encode64(c.update(ARGV[1]) + c.final)";
    let token = c.exec_ok(POD, "oned", &["ruby", "-e", TOKEN_RB, &password, &format!("{vm}:{stime}")]);
    assert!(!token.trim().is_empty(), "no OneGate token for VM {vm}");
    let headers =
        outside.file("onegate.headers", &format!("X-ONEGATE-TOKEN: {}\nX-ONEGATE-VMID: {vm}\n", token.trim()));
    let ca = outside.file("ca.crt", &super::secret_value(c, "opennebula-tls", "tls.crt"));
    let (ok, out) = outside.run(&format!(
        "curl -sS --max-time 30 --cacert {ca} -H @{headers} -w '\\n%{{http_code}}' {}",
        quote(&format!("{endpoint}/vm"))
    ));
    assert!(
        ok && out.trim_end().ends_with("\n200") && out.contains(&format!("\"ID\":\"{vm}\"")),
        "a VM calling OneGate at {endpoint}: {out}"
    );
    one(c, POD, &["onevm", "recover", "--delete", &vm]);

    // monitord behind the example's monitord name: a connection that stays open (monitord waits for the
    // hypervisor's messages; a load balancer without an endpoint accepts, then closes at once). This chart hands
    // the hypervisors the in-cluster name (`generate`: the self-test's dummy probes run on the front-end), so what
    // is checked here is the example's publication of monitord, not oned's MONITOR_ADDRESS.
    let port = c.api().get("v1", "Service", "one-opennebula-monitord").unwrap()["spec"]["ports"][0]["port"].to_string();
    let (ok, out) = outside.run(&format!(
        "timeout 20 bash -c {}",
        quote(&format!(
            "exec 3<>/dev/tcp/{monitor}/{port}; read -r -t 3 -u 3 line; rc=$?; echo read=$rc; [ $rc -gt 128 ]"
        ))
    ));
    assert!(ok, "monitord at {monitor}:{port}/TCP from outside, kept open for 3 s: {out}");

    // Nothing else of the cluster is reachable from there.
    let cluster_ip = text_of(&c.api().get("v1", "Service", "one-opennebula").unwrap()["spec"]["clusterIP"]);
    for (what, url) in [
        ("the API's ClusterIP", format!("http://{cluster_ip}:2633/RPC2")),
        ("the pod", format!("http://{}:2633/RPC2", c.pod(POD).ip)),
    ] {
        let (ok, out) = outside.run(&format!("curl -sS --max-time 3 {url}"));
        assert!(!ok, "{what} is reachable from outside the cluster: {out}");
    }
}

/// An object store for `backup.offsite.container`: an HTTP server on the host's bridge address (which pods reach)
/// storing each PUT under its name in `dir` (and the name in `dir/puts.log`), answering 503 while `dir/fail`
/// exists. Stopped on drop.
struct ObjectStore {
    child: std::process::Child,
    url: String,
}

impl ObjectStore {
    fn start(c: &Cluster, dir: &std::path::Path) -> ObjectStore {
        const SERVER: &str = "import http.server, os, sys\n\
            class H(http.server.BaseHTTPRequestHandler):\n\
            \x20   def do_PUT(self):\n\
            \x20       data = self.rfile.read(int(self.headers['Content-Length']))\n\
            \x20       if os.path.exists(os.path.join(sys.argv[3], 'fail')):\n\
            \x20           self.send_response(503); self.end_headers(); return\n\
            \x20       with open(os.path.join(sys.argv[3], os.path.basename(self.path)), 'wb') as f: f.write(data)\n\
            \x20       with open(os.path.join(sys.argv[3], 'puts.log'), 'a') as f: f.write(os.path.basename(self.path) + '\\n')\n\
            \x20       self.send_response(201); self.end_headers()\n\
            s = http.server.HTTPServer((sys.argv[1], 0), H)\n\
            print(s.server_port, flush=True)\n\
            s.serve_forever()\n";
        // Port 0: the kernel's free port, which the server prints.
        let gateway = c.inner.net.gateway().to_string();
        let mut child = std::process::Command::new("python3")
            .args(["-c", SERVER, &gateway, "0"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| panic!("the object store did not start: {line:?}"));
        ObjectStore { child, url: format!("http://{gateway}:{port}") }
    }
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `backup.offsite.container` run for real (its contract in the chart README, Backups): an operator's shipper
/// that PUTs every backup it is handed (`BACKUP_PENDING_FILE`) to an object store, the scheduled CronJob of a
/// chart with it (one attempt per Job, `backup.retention` 1). A Job whose shipment fails marks nothing as shipped
/// and prunes no unshipped backup; the next Job hands its shipper that backup too (catching up), and the one after
/// only its own, the retention pruning the shipped ones then. Stand-in: the shipper's image is the
/// cluster's image stand-in (Debian's sh and curl).
fn shipper(c: &Cluster, release: &str, work: &std::path::Path) {
    let store_dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::start(c, store_dir.path());
    let values = work.join("shipper.yaml");
    std::fs::write(
        &values,
        format!(
            "backup:\n  retention: 1\n  offsite:\n    container:\n      image: registry.example.com/tools/shipper:1\n      command:\n\
             \x20       - sh\n        - -c\n        - 'while read -r f <&3; do curl -fsS -T \"$f\" \"{}/${{f##*/}}\" || exit 1; done 3< \"$BACKUP_PENDING_FILE\"'\n",
            store.url
        ),
    )
    .unwrap();
    let chart = generate(release, &work.join("shipper"), &["-f", values.to_str().unwrap()]);
    let mut cron = chart.object("CronJob", "one-opennebula-backup").clone();
    cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] = json!(0);
    let shipped = || listing(store_dir.path()).into_iter().filter(|f| f.ends_with(".sql")).collect::<Vec<_>>();
    let markers = || listing(&c.dir().join("claims").join(BACKUPS).join(".shipped"));
    let (before, _) = backups(c, "scheduled");

    std::fs::write(store_dir.path().join("fail"), "").unwrap();
    let (ok, pods) = c.trigger_cronjob(&cron, "one-opennebula-backup-ship-1");
    let log = pods.iter().map(|p| c.logs_if_any(&p.name, "offsite")).collect::<Vec<_>>().join("\n");
    assert!(!ok, "the Job succeeded while its shipment failed:\n{log}");
    // backup.retention is 1 here: none of them is shipped, so none is pruned.
    let (after_failure, all) = backups(c, "scheduled");
    assert_eq!(after_failure.len(), before.len() + 1, "an unshipped backup was pruned (retention 1): {all:?}");
    assert!(shipped().is_empty() && markers().is_empty(), "shipped {:?}, marked {:?}", shipped(), markers());
    let missed = after_failure.last().unwrap().file_name().unwrap().to_string_lossy().into_owned();

    std::fs::remove_file(store_dir.path().join("fail")).unwrap();
    let (ok, pods) = c.trigger_cronjob(&cron, "one-opennebula-backup-ship-2");
    let log = pods.iter().map(|p| c.logs_if_any(&p.name, "offsite")).collect::<Vec<_>>().join("\n");
    assert!(ok, "the second Job failed:\n{log}");
    let (now, all) = backups(c, "scheduled");
    let names: Vec<String> = now.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(shipped().contains(&missed), "the missed backup {missed} was not shipped: {:?}", shipped());
    assert_eq!(shipped(), names, "every local backup not shipped yet is shipped: {all:?}");
    assert_eq!(markers(), names, "each shipped backup is marked");
    for name in &names {
        let (a, b) = (
            std::fs::read(store_dir.path().join(name)).unwrap(),
            std::fs::read(c.dir().join("claims").join(BACKUPS).join(name)).unwrap(),
        );
        assert!(a == b, "the shipped {name} differs from the backup");
    }

    let puts = || std::fs::read_to_string(store_dir.path().join("puts.log")).unwrap_or_default();
    let before_third = puts().lines().count();
    let (ok, _) = c.trigger_cronjob(&cron, "one-opennebula-backup-ship-3");
    assert!(ok, "the third Job failed");
    let (last, all) = backups(c, "scheduled");
    let newest = last.last().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let mut want = names.clone();
    want.push(newest.clone());
    assert_eq!(shipped(), want, "the third Job's backup is shipped");
    let third: Vec<String> = puts().lines().skip(before_third).map(str::to_string).collect();
    assert_eq!(third, vec![newest.clone()], "the third Job ships its own backup only");
    // Once shipped, the retention (1) applies again: the older ones are pruned locally, their markers with them.
    assert_eq!(last.len(), 1, "the shipped backups beyond backup.retention are not pruned: {all:?}");
    assert_eq!(markers(), vec![newest], "markers of pruned backups stay");
}

/// SQL as MariaDB's root in the bundled `mariadb` container of `pod` (the root password of the db Secret).
pub fn sql_root(c: &Cluster, pod: &str, sql: &str) -> String {
    c.exec_ok(
        pod,
        "mariadb",
        &[
            "sh",
            "-c",
            "MYSQL_PWD=$(cat /run/onechart/db/mysql-root-password) mariadb -uroot -h127.0.0.1 -N -B -e \"$1\"",
            "sh",
            sql,
        ],
    )
}

/// The backups of `label` on the backups claim, oldest first, and every file there.
pub fn backups(c: &Cluster, label: &str) -> (Vec<PathBuf>, Vec<String>) {
    let dir = c.dir().join("claims").join(BACKUPS);
    let mut all: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    all.sort();
    let prefix = format!("onedb-{label}-");
    let mine = all.iter().filter(|f| f.starts_with(&prefix) && f.ends_with(".sql")).map(|f| dir.join(f)).collect();
    (mine, all)
}

/// The names in a directory, sorted.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Sets keys of a Secret (as `kubectl edit secret` would); the kubelet refreshes mounted copies.
pub fn set_secret(c: &Cluster, name: &str, keys: &[(&str, &str)]) {
    let mut s = c.api().get("v1", "Secret", name).unwrap_or_else(|| panic!("no Secret {name}"));
    let string_data: serde_json::Map<String, serde_json::Value> =
        keys.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    s["stringData"] = json!(string_data);
    c.api().apply(&s);
}

/// Whether oneadmin logs in with the password of the Secret as the pod mounts it (not with one_auth).
pub fn oneadmin_logs_in_with_secret(c: &Cluster, pod: &str) -> bool {
    c.exec(
        pod,
        "oned",
        &[
            "sh",
            "-c",
            "umask 077; printf 'oneadmin:%s' \"$(cat /run/onechart/auth/oneadmin-password)\" > /tmp/try-auth; \
                       ONE_AUTH=/tmp/try-auth oneuser show 0 > /dev/null; rc=$?; rm -f /tmp/try-auth; exit $rc",
        ],
    )
    .status
    .success()
}

/// Whether serveradmin logs in with the token of the Secret, as OneGate and FireEdge do: a login token
/// encrypted with it (OpenNebula/one@release-7.4.0:src/authm_mad/remotes/server_cipher/server_cipher_auth.rb,
/// `new_client`, `login_token`).
pub fn serveradmin_logs_in_with_secret(c: &Cluster, pod: &str) -> bool {
    const RUBY: &str = "lib = '/usr/lib/one/ruby'; paths = File.join(lib, 'load_opennebula_paths.rb'); \
        if File.exist?(paths) then require paths else require 'rubygems'; Gem.use_paths('/usr/share/one/gems') end; \
        $LOAD_PATH << lib; require 'opennebula'; require 'opennebula/server_cipher_auth'; \
        auth = OpenNebula::ServerCipherAuth.new_client('serveradmin', File.read('/run/onechart/auth/serveradmin-password').strip); \
        client = OpenNebula::Client.new(auth.login_token(Time.now.to_i + 300)); \
        user = OpenNebula::User.new_with_id(-1, client); rc = user.info; \
        if OpenNebula.is_error?(rc) then warn rc.message; exit 1 end; \
        exit(user['NAME'] == 'serveradmin' ? 0 : 1)";
    let o = c.exec(pod, "oned", &["ruby", "-e", RUBY]);
    if !o.status.success() {
        eprintln!("real: serveradmin login: {}", crate::runner::sh::text(&o.stderr).trim());
    }
    o.status.success()
}

/// The stored serveradmin password (sha256 of the token, `oneuser passwd 1 --sha256`).
fn serveradmin_stored(c: &Cluster) -> String {
    xml_value(&one(c, POD, &["oneuser", "show", "1", "-x"]), "PASSWORD").unwrap_or_default()
}

fn users(c: &Cluster) -> String {
    one(c, POD, &["oneuser", "list", "--csv"])
}

/// A backup loaded into a scratch database of the bundled server of `pod`, then read by OpenNebula's own
/// `onedb version -v` from the oned container: its exit code (0 up to date, 2 older than this onedb) and output,
/// and the names in the loaded user pool. Only a real dump of a bootstrapped OpenNebula database gets through.
pub fn load_backup(c: &Cluster, pod: &str, dump: &[u8]) -> (i32, String, String) {
    c.cp_in(pod, "mariadb", dump, "/tmp/verify.sql");
    sql_root(c, pod, "DROP DATABASE IF EXISTS verify; CREATE DATABASE verify");
    c.exec_ok(
        pod,
        "mariadb",
        &[
            "sh",
            "-c",
            "MYSQL_PWD=$(cat /run/onechart/db/mysql-root-password) mariadb -uroot -h127.0.0.1 verify < /tmp/verify.sql",
        ],
    );
    let o = c.exec(
        pod,
        "oned",
        &[
            "sh",
            "-c",
            "ONE_DB_PASSWORD=$(cat /run/onechart/db/mysql-root-password) onedb version -v -t mysql -S 127.0.0.1 \
                       -P 3306 -u root -d verify",
        ],
    );
    let version = format!("{}{}", crate::runner::sh::text(&o.stdout), crate::runner::sh::text(&o.stderr));
    let names = sql_root(c, pod, "SELECT name FROM verify.user_pool ORDER BY oid");
    sql_root(c, pod, "DROP DATABASE verify");
    c.exec_ok(pod, "mariadb", &["rm", "-f", "/tmp/verify.sql"]);
    (o.status.code().unwrap_or(-1), version, names)
}

fn bundled(release: &str) {
    let _all = Timer::start(&format!("prod-mysql bundled {release}"));
    let work = tempfile::tempdir().unwrap();
    // backup.offsite.volume: a hostPath directory stands for the operator's NFS export, writable by uid 9869 only.
    let offsite = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(offsite.path(), Some(IMAGE_UID), Some(IMAGE_UID)).unwrap();
    let offsite_set = format!("backup.offsite.volume.hostPath.path={}", offsite.path().display());
    let chart = {
        let _t = Timer::start("generate and render (Helm 4 and Helm 3)");
        generate(release, work.path(), &["--set", &offsite_set, "--set", "backup.offsite.keep=3"])
    };
    let maintenance = generate(
        release,
        &work.path().join("maintenance"),
        &["--set", "maintenance.enabled=true", "--set", &offsite_set, "--set", "backup.offsite.keep=3"],
    );
    let c = Cluster::new(release, NS);
    tls_secret(&c);
    {
        let _t = Timer::start("helm install, pod Ready");
        c.install(&chart);
        c.wait_ready(POD, Duration::from_secs(900));
        // The database phase runs in the `database` init container (ONED_PHASE=init), oned in `oned`.
        let log = c.logs(POD, "database");
        assert!(log.contains("empty database: bootstrapping"), "{log}");
    }
    {
        let _t = Timer::start("helm test");
        super::helm_test_passes(&c, &chart);
    }
    {
        let _t = Timer::start("from outside the cluster: a hypervisor copies over SSH, a VM reaches OneGate");
        reached_from_outside(&c);
    }
    one(&c, POD, &["oneuser", "create", "before-backup", "not-a-secret-here"]);
    one(&c, POD, &["onetemplate", "create", "--name", "tpl-before", "--cpu", "1", "--memory", "64"]);
    let backup = {
        let _t = Timer::start("scheduled backup (the CronJob, triggered)");
        let (ok, pods) =
            c.trigger_cronjob(chart.object("CronJob", "one-opennebula-backup"), "one-opennebula-backup-manual");
        let log = pods.iter().map(|p| c.logs(&p.name, "backup")).collect::<Vec<_>>().join("\n");
        assert!(ok, "the backup job failed:\n{log}");
        let (mine, all) = backups(&c, "scheduled");
        assert_eq!(mine.len(), 1, "one scheduled backup: {all:?}");
        assert!(!all.iter().any(|f| f.ends_with(".part")), "a .part file was left: {all:?}");
        mine[0].clone()
    };
    {
        let _t = Timer::start("the backup loads, and onedb reads it");
        let (rc, version, names) = load_backup(&c, POD, &std::fs::read(&backup).unwrap());
        assert!(rc == 0 && version.contains(&line(release)), "onedb version of the loaded backup: {rc} {version}");
        assert!(names.lines().any(|n| n == "before-backup"), "the backup lacks user before-backup: {names}");
    }
    {
        let _t = Timer::start("the off-site copy: there, owner-only, loads");
        let name = backup.file_name().unwrap();
        let there = listing(offsite.path());
        assert_eq!(there, vec![name.to_string_lossy().into_owned()], "the off-site volume holds the copy alone");
        let copy = offsite.path().join(name);
        let md = std::fs::metadata(&copy).unwrap();
        assert_eq!(md.permissions().mode() & 0o777, 0o600, "off-site copy mode {:o}", md.permissions().mode());
        assert_eq!(md.uid(), IMAGE_UID, "written by the backup job's user");
        let bytes = std::fs::read(&copy).unwrap();
        assert_eq!(bytes, std::fs::read(&backup).unwrap(), "the off-site copy is the backup");
        let (rc, version, names) = load_backup(&c, POD, &bytes);
        assert!(rc == 0 && version.contains(&line(release)), "onedb version of the off-site copy: {rc} {version}");
        assert!(names.lines().any(|n| n == "before-backup"), "the off-site copy lacks before-backup: {names}");
    }
    {
        let _t = Timer::start(
            "an off-site target the job cannot write: the Job fails, its retry takes no second backup, the local \
             backup stays",
        );
        // A directory of root's, 0755: the job's user (9869) cannot write there, as on an NFS export with the
        // wrong owner. The CronJob of the chart with only that volume's path changed; two attempts: the retry
        // (a new pod of the same Job) reuses the backup the first took (recorded under the Job's UID).
        let denied = tempfile::tempdir().unwrap();
        std::fs::set_permissions(denied.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut cron = chart.object("CronJob", "one-opennebula-backup").clone();
        let spec = &mut cron["spec"]["jobTemplate"]["spec"];
        spec["backoffLimit"] = json!(1);
        for v in spec["template"]["spec"]["volumes"].as_array_mut().unwrap() {
            if v["name"] == "offsite" {
                v["hostPath"]["path"] = json!(denied.path().to_str().unwrap());
            }
        }
        let (ok, pods) = c.trigger_cronjob(&cron, "one-opennebula-backup-denied");
        let log = pods.iter().map(|p| c.logs(&p.name, "backup")).collect::<Vec<_>>().join("\n");
        assert!(!ok, "the Job succeeded without its off-site copy:\n{log}");
        assert!(log.contains("off-site copy failed") && log.contains("is kept"), "{log}");
        assert_eq!(pods.len(), 2, "backoffLimit 1: two attempts");
        let retry = c.logs(&pods[1].name, "backup");
        assert!(retry.contains("an earlier attempt of this job took"), "the retry took a backup of its own:\n{retry}");
        let (mine, all) = backups(&c, "scheduled");
        assert_eq!(
            mine.len(),
            2,
            "the failed Job's local backup (one for its two attempts) is kept beside the first: {all:?}"
        );
        assert!(mine.contains(&backup), "{all:?}");
        assert!(!all.iter().any(|f| f.ends_with(".part")), "{all:?}");
        assert!(listing(denied.path()).is_empty(), "{:?}", listing(denied.path()));
        assert_eq!(listing(offsite.path()).len(), 1, "the good target is untouched");
    }
    // The shipper's step prunes the first backup (retention 1 once shipped): the restore below loads these bytes.
    let backup_bytes = std::fs::read(&backup).unwrap();
    {
        let _t = Timer::start(
            "backup.offsite.container: a failed shipment is handed over again by the next Job, then only what is new",
        );
        shipper(&c, release, work.path());
        assert!(!backup.exists(), "retention 1 pruned the first backup once shipped");
    }
    let (oneadmin, serveradmin) =
        ("rotated-after-backup-1", "b7c4f3e2a1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4");
    {
        let _t = Timer::start("after the backup: new objects, both admin passwords rotated");
        one(&c, POD, &["oneuser", "create", "after-backup", "not-a-secret-here"]);
        set_secret(&c, AUTH_SECRET, &[("oneadmin-password", oneadmin), ("serveradmin-password", serveradmin)]);
        let want = crate::runner::sh::text(
            &crate::runner::sh::run(
                std::process::Command::new("sh").args(["-c", &format!("printf %s {serveradmin} | sha256sum")]),
            )
            .stdout,
        );
        let want = want.split_whitespace().next().unwrap().to_string();
        wait_for("the members follow the rotated Secret", Duration::from_secs(300), Duration::from_secs(5), || {
            (oneadmin_logs_in_with_secret(&c, POD) && serveradmin_stored(&c) == want).then_some(())
        });
    }
    {
        let _t = Timer::start("maintenance mode on (helm upgrade)");
        c.upgrade(&maintenance);
        let log = c.logs(POD, "oned");
        assert!(log.contains("maintenance mode: oned is not started"), "{log}");
        let log = c.logs(POD, "database");
        assert!(log.contains("maintenance mode: the database is left as it is"), "{log}");
        let (pre, all) = backups(&c, "pre-upgrade");
        assert_eq!(pre.len(), 1, "the pre-upgrade hook took a backup: {all:?}");
        let there = listing(offsite.path());
        assert!(there.contains(&pre[0].file_name().unwrap().to_string_lossy().into_owned()), "{there:?}");
    }
    {
        let _t = Timer::start("restore.sh the scheduled backup");
        c.exec_ok(POD, "oned", &["mkdir", "-p", "/var/lib/one/backups"]);
        c.cp_in(POD, "oned", &backup_bytes, "/var/lib/one/backups/restore.sql");
        let o = c.exec(POD, "oned", &["/run/onechart/scripts/restore.sh", "/var/lib/one/backups/restore.sql"]);
        let out = format!("{}{}", crate::runner::sh::text(&o.stdout), crate::runner::sh::text(&o.stderr));
        assert!(o.status.success(), "restore.sh failed: {out}");
        assert!(out.contains("restored. Leave maintenance mode"), "{out}");
    }
    {
        let _t = Timer::start("maintenance mode off (helm upgrade): Ready");
        c.upgrade(&chart);
        c.wait_ready(POD, Duration::from_secs(900));
        // Every container of the pods that went (the running one, the one in maintenance mode) stopped on
        // SIGTERM: none waited for the kubelet's SIGKILL.
        let killed = super::sigkilled(&c, POD);
        assert!(killed.is_empty(), "containers that ignored SIGTERM: {killed:?}");
    }
    {
        let _t = Timer::start("after the restore: the backup's objects, the Secret's passwords");
        assert!(
            oneadmin_logs_in_with_secret(&c, POD),
            "oneadmin cannot log in with the Secret's password after the restore"
        );
        let list = users(&c);
        assert!(list.contains("before-backup"), "user before-backup lost by the restore: {list}");
        assert!(!list.contains("after-backup"), "user after-backup survived the restore of an older backup: {list}");
        let templates = one(&c, POD, &["onetemplate", "list", "--csv"]);
        assert!(templates.contains("tpl-before"), "{templates}");
        assert!(
            serveradmin_logs_in_with_secret(&c, POD),
            "serveradmin cannot log in with the Secret's token after the restore"
        );
        let log = c.logs(POD, "oned");
        assert!(!log.contains("authenticates neither"), "{log}");
    }
    {
        let _t = Timer::start("helm test after the restore");
        super::helm_test_passes(&c, &chart);
    }
    no_log_holds_a_database_password(&c);
    let mode = c.exec_ok(POD, "oned", &["stat", "-c", "%a", "/var/lib/one/config"]);
    assert_eq!(mode.trim(), "600", "oned's copy of its configuration is owner-only");
}

/// No container log of the whole run holds a database password of the db Secret (oned hides its database
/// settings when it prints its configuration, OpenNebula/one@release-7.4.0:include/NebulaTemplate.h:33-35; the
/// chart masks the rest).
pub fn no_log_holds_a_database_password(c: &Cluster) {
    let secret = c.api().get("v1", "Secret", "one-opennebula-db").expect("the db Secret");
    let mut leaks = Vec::new();
    for key in ["mysql-password", "mysql-root-password"] {
        let Some(value) = secret["data"][key].as_str() else { continue };
        let password = String::from_utf8(crate::runner::volumes::base64(value).unwrap()).unwrap();
        assert!(password.len() >= 8, "{key} is too short to search for");
        for dir in std::fs::read_dir(c.dir().join("logs")).unwrap().flatten() {
            for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
                if std::fs::read_to_string(f.path()).unwrap_or_default().contains(&password) {
                    leaks.push(format!("{key} in {}", f.path().display()));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "database passwords in the logs: {leaks:?}");
    let oned = c.logs(POD, "oned");
    assert!(oned.contains("PASSWD=***"), "oned no longer hides its database settings itself:\n{oned}");
}
