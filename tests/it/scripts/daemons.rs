//! The daemons' start and supervision: `health.sh` (readiness that only the serving oned passes, process
//! checks that never match themselves), `leader-only.sh` and 6.10's `mm_sched` (restarted on a new one_auth),
//! `addon.sh` (an add-on in its own pod), `oneks.sh` (OneKS waits for its proxy and appliance) and the exporter.

use super::*;

#[test]
fn a_leader_only_daemon_restarts_when_its_credentials_change() {
    // onehem reads one_auth once, at start (OpenNebula/one@release-7.4.0:src/hem/onehem-server.rb:272).
    restarts_on_new_one_auth(&Cluster::new(), "one-0", &[("RAFT_MEMBERS", "1")]);
}

/// A daemon stand-in that logs `started` and, on TERM, `stopped` to a file.
struct DaemonLog(PathBuf);

impl DaemonLog {
    fn script(&self) -> String {
        format!(
            "echo started >> {0}; trap 'echo stopped >> {0}; exit 0' TERM; while :; do sleep 0.1; done",
            self.0.display()
        )
    }

    fn count(&self, text: &str) -> usize {
        std::fs::read_to_string(&self.0).unwrap_or_default().matches(text).count()
    }

    /// Waits up to 10 s until `text` was logged `n` times.
    fn wait_for(&self, text: &str, n: usize) -> bool {
        (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            self.count(text) >= n
        })
    }
}

/// files/leader-only.sh on member `pod` with `env`: the daemon starts, and restarts when one_auth changes.
fn restarts_on_new_one_auth(c: &Cluster, pod: &str, env: &[(&str, &str)]) {
    let m = c.member(pod);
    std::fs::write(m.join("run/onechart-ready"), "").unwrap();
    let log = DaemonLog(m.join("daemon.log"));
    let mut cmd = c.command("leader-only.sh", pod);
    cmd.env("LEADER_POLL", "0.2").args(["one_auth", "sh", "-c", &log.script()]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    assert!(log.wait_for("started", 1), "{pod}: the daemon did not start");
    std::fs::write(m.join("var/.one/one_auth"), "oneadmin:n3w\n").unwrap();
    assert!(log.wait_for("stopped", 1) && log.wait_for("started", 2), "{pod}: no restart: {}", log.count("started"));
    // TERM, as the kubelet sends it: leader-only.sh stops its daemon and exits.
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    let _ = child.wait();
    assert!(log.wait_for("stopped", 2), "{pod}: the daemon outlived leader-only.sh");
}

/// oned's readiness on a single front-end (`health.sh oned`): the port answering is not enough while oned.sh
/// bootstraps with a solo oned on that same port (the real tier saw a member Ready, and `helm test` fail, in the
/// gap between the solo oned and the serving one); only once oned.sh touched onechart-ready.
#[test]
fn a_single_front_end_is_ready_only_with_the_oned_that_serves() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let probe = || {
        Command::new("sh")
            .arg(files().join("health.sh"))
            .arg("oned")
            .env("ONE_RUN", dir.path())
            .env("ONED_PORT", &port)
            .status()
            .unwrap()
            .success()
    };
    assert!(!probe(), "the port answers, but oned.sh has not started the serving oned yet");
    std::fs::write(dir.path().join("onechart-ready"), "").unwrap();
    assert!(probe(), "the serving oned answers");
    drop(listener);
    assert!(!probe(), "nothing answers");
}

/// OneKS (7.4) exits at start unless its transparent proxy is configured and its appliance is in a marketplace
/// (OpenNebula/one@release-7.4.0:src/oneks/oneks-server.rb:33-41): `files/oneks.sh` refuses a configuration
/// without the proxy with what to set, and waits (instead of crash-looping) until a marketplace lists the
/// appliance of every family, read from the family specs (`src/oneks/specs/*/general/*.conf`).
#[test]
fn oneks_starts_only_once_its_proxy_and_appliance_are_there() {
    let c = Cluster::new();
    let m = c.member("one-0");
    c.write("cluster/running/one-0", "");
    let conf = m.join("var/remotes/etc/vnm/OpenNebulaNetwork.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(&conf, ":tproxy:\n  - :service_port: 5030\n    :remote_addr: 192.0.2.5\n").unwrap();
    c.write(
        "one-0/var/oneks/controlplanes/general/controlplane.conf",
        "dependencies:\n  - object: seed_vm\n    options:\n      appliance_id: c3ecb387-e726-49fe-975d-fa39c6d40d05\n  - object: cluster_router\n",
    );
    let oneks = |extra: &[(&str, &str)]| {
        let mut cmd = c.command("oneks.sh", "one-0");
        cmd.env("ONE_AUTH", m.join("var/.one/one_auth")).env("ONEKS_POLL", "1");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.args(["sh", "-c", "echo ONEKS STARTED"]);
        cmd
    };
    let o = oneks(&[]).output().unwrap();
    assert!(!o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("no :tproxy: entry for port 2633: set oneks.tproxy.onegate and oneks.tproxy.oned"),
        "{}",
        out(&o)
    );
    std::fs::write(
        &conf,
        ":tproxy:\n  - :service_port: 5030\n    :remote_addr: 192.0.2.5\n  - :service_port: 2633\n    :remote_addr: 192.0.2.6\n",
    )
    .unwrap();
    // No marketplace lists the appliance yet: it waits, says what for, and starts once one does.
    let child = oneks(&[]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    // Two lookups made: the first one (which found nothing) is over and its message printed, whatever the load.
    let start = std::time::Instant::now();
    while c.calls().matches("onemarketapp list -x").count() < 2 {
        assert!(start.elapsed() < std::time::Duration::from_secs(120), "oneks.sh never asked twice: {}", c.calls());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    c.write("cluster/marketapps", "c3ecb387-e726-49fe-975d-fa39c6d40d05\n");
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("waiting for a marketplace to list the OneKS appliance c3ecb387"), "{text}");
    assert!(text.ends_with("ONEKS STARTED\n"), "{text}");
    assert!(c.calls().contains("one-0: onemarketapp list -x"), "{}", c.calls());
}

/// An add-on in its own pod (files/addon.sh): its credential files come from the mounted Secret, owner-only
/// (`FILE=user` is `user:<password>`, `FILE=@key` the key as it is), its log files are links to its output,
/// including the names FireEdge's winston moves on to after each 5 MB, and it restarts its daemon with the new
/// value when the Secret changes (the daemons read these files once, at start).
#[test]
fn an_add_on_gets_its_credentials_from_the_secret_and_restarts_on_a_new_one() {
    let c = Cluster::new();
    let m = c.member("one-0");
    c.write("auth/fireedge-key", "FEKEY");
    let log = m.join("daemon.log");
    let daemon = format!(
        "echo \"started $(cat {0}/.one/sunstone_auth)\" >> {1}; trap 'echo stopped >> {1}; exit 0' TERM; while :; do sleep 0.1; done",
        m.join("var").display(),
        log.display()
    );
    let mut child = c
        .command("addon.sh", "one-0")
        .env("ADDON_POLL", "0.2")
        .env("ADDON_LOGS", "fireedge.log fireedge.error")
        .env("ADDON_ROTATED", "fireedge.log")
        .env("ADDON_ROTATED_AHEAD", "20")
        .args(["sunstone_auth=serveradmin", "fireedge_key=@fireedge-key", "--", "sh", "-c", &daemon])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    let wait_for = |what: &str, n: usize| {
        (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            text().matches(what).count() >= n
        })
    };
    assert!(wait_for("started serveradmin:c0ffee", 1), "{}", text());
    assert_eq!(c.read("one-0/var/.one/fireedge_key"), "FEKEY");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(m.join("var/.one/sunstone_auth")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o077, 0, "credential files are owner-only");
    for f in ["fireedge.log", "fireedge.error", "fireedge1.log", "fireedge20.log"] {
        assert_eq!(std::fs::read_link(m.join("log").join(f)).unwrap().to_str(), Some("/dev/stdout"), "{f}");
    }
    // The window of links stays as wide as asked, poll after poll (links are not counted as winston's files)...
    let rotated = || {
        std::fs::read_dir(m.join("log"))
            .unwrap()
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with("fireedge") && n.ends_with(".log") && n != "fireedge.log"
            })
            .count()
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(rotated(), 20, "links made beyond ADDON_ROTATED_AHEAD");
    // ...and moves only when winston got past it and wrote a regular file.
    std::fs::write(m.join("log/fireedge21.log"), "written by winston\n").unwrap();
    assert!(
        (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            m.join("log/fireedge41.log").is_symlink()
        }),
        "no links past a regular file"
    );
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert_eq!(rotated(), 41);
    assert!(!m.join("log/fireedge21.log").is_symlink() && !m.join("log/fireedge42.log").exists());
    // A new token in the Secret: the files follow and the daemon restarts with it.
    c.write("auth/serveradmin-password", "n3wt0ken");
    assert!(wait_for("stopped", 1) && wait_for("started serveradmin:n3wt0ken", 1), "{}", text());
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    let _ = child.wait();
    assert!(wait_for("stopped", 2), "the daemon outlived addon.sh");
}

/// A Job's command under addon.sh (ADDON_ONCE=true: the showback CronJob's `oneshowback calculate`) runs once
/// and its exit status is the container's: a Job that calculated is Complete, not Failed and retried.
#[test]
fn a_one_shot_add_on_command_exits_with_its_own_status() {
    let c = Cluster::new();
    for (code, expected) in [("0", Some(0)), ("3", Some(3))] {
        let o = c
            .command("addon.sh", "one-0")
            .env("ADDON_ONCE", "true")
            .args(["one_auth=oneadmin", "--", "sh", "-c", &format!("cat \"$ONE_VAR/.one/one_auth\"; exit {code}")])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), expected, "{}", out(&o));
        assert!(out(&o).contains("oneadmin:"), "the credential was written before the command ran: {}", out(&o));
    }
}

/// files/bind.rb, preloaded into a Sinatra daemon that hard-codes `set :bind, '::'` (OpenNebula's exporter,
/// OpenNebula/one@release-7.4.0:src/oneprometheus/opennebula-exporter/src/opennebula_exporter.rb:82), makes it
/// listen on ONECHART_BIND's IPv4 address instead: run against Debian's Sinatra, read back from /proc/net.
#[test]
fn the_exporter_listens_on_ipv4_instead_of_the_ipv6_any_address() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = tmp.path().join("exporter.rb");
    std::fs::write(
        &app,
        format!("require 'sinatra'\nset :port, {port}\nset :bind, '::'\nget('/') {{ 'ok' }}\nset :run, false\nSinatra::Application.run!\n"),
    )
    .unwrap();
    let listening = |table: &str| {
        let hex = format!(":{port:04X} ");
        std::fs::read_to_string(table).unwrap_or_default().lines().any(|l| l.contains(&hex) && l.contains(" 0A "))
    };
    for (preload, v4) in [(true, true), (false, false)] {
        let mut cmd = Command::new("ruby");
        if preload {
            cmd.arg(format!("-r{}", files().join("bind.rb").display())).env("ONECHART_BIND", "0.0.0.0");
        }
        let mut child =
            cmd.arg(&app).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        let seen = (0..100).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if listening("/proc/net/tcp") {
                Some(true)
            } else if listening("/proc/net/tcp6") {
                Some(false)
            } else {
                None
            }
        });
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(seen, Some(v4), "preload {preload}: listening on IPv4 0.0.0.0 = {v4}");
    }
}

/// `health.sh process NAME` (the liveness probe of the hook manager and the TLS proxies) is healthy only when
/// another process runs NAME as its program or script: the probe's own command line, which holds NAME, no
/// longer makes it pass (it always did).
#[test]
fn the_process_probe_does_not_match_itself() {
    let c = Cluster::new();
    let probe = |name: &str, proc_dir: Option<&Path>| {
        let mut cmd = c.command("health.sh", "one-0");
        cmd.env("RAFT_MEMBERS", "1").args(["process", name]);
        if let Some(d) = proc_dir {
            cmd.env("HEALTH_PROC", d);
        }
        cmd.output().unwrap().status.success()
    };
    // On the real /proc: nothing runs this name but the probe, whose arguments hold it.
    assert!(!probe("onechart-no-such-daemon.rb", None));
    // A stand-in /proc: the hook manager as `ruby .../onehem-server.rb`, a probe whose arguments name it.
    let tmp = tempfile::tempdir().unwrap();
    let proc_dir = tmp.path();
    let write = |pid: &str, argv: &[&str]| {
        std::fs::create_dir_all(proc_dir.join(pid)).unwrap();
        std::fs::write(proc_dir.join(pid).join("cmdline"), argv.join("\0") + "\0").unwrap();
    };
    write("41", &["/bin/sh", "/run/onechart/scripts/health.sh", "process", "onehem-server.rb"]);
    write("42", &["haproxy", "-W", "-db", "-f", "/run/onechart/config/haproxy-api.cfg"]);
    assert!(!probe("onehem-server.rb", Some(proc_dir)), "a probe is not the daemon");
    assert!(probe("haproxy", Some(proc_dir)));
    write("43", &["ruby", "/usr/lib/one/onehem/onehem-server.rb"]);
    assert!(probe("onehem-server.rb", Some(proc_dir)));
}

/// 6.10's mm_sched runs on every member under files/leader-only.sh with LEADER_ONLY=false: it starts on a
/// follower too, and restarts with the new one_auth (it reads it once, at start) when sync-admin-users.sh writes
/// a new oneadmin password there.
#[test]
fn mm_sched_runs_on_every_member_and_restarts_on_a_new_one_auth() {
    let c = Cluster::new();
    c.write("one-1/run/raft-role", "follower\n");
    restarts_on_new_one_auth(&c, "one-1", &[("LEADER_ONLY", "false")]);
}
