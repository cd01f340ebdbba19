//! A fake Kubernetes API server (`tests/fixtures/fake-kube-api.py`, whose docstring cites the API behaviour it
//! claims) on loopback over TLS with a throwaway certificate, and the environment the chart's Ruby helpers need
//! to reach it as they reach the real one: KUBERNETES_SERVICE_HOST/PORT and a service account directory.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running fake API server; killed when dropped.
pub struct FakeApi {
    child: Child,
    dir: tempfile::TempDir,
    port: String,
}

impl FakeApi {
    /// Starts a server with a config (namespace, token, objects, rules, faults: see the fixture).
    pub fn start(config: &Value) -> FakeApi {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let o = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(d.join("key.pem"))
            .arg("-out")
            .arg(d.join("cert.pem"))
            .output()
            .expect("openssl (Debian package openssl) makes the test certificate");
        assert!(o.status.success(), "openssl: {}", String::from_utf8_lossy(&o.stderr));
        let sa = d.join("serviceaccount");
        std::fs::create_dir(&sa).unwrap();
        std::fs::write(sa.join("token"), config["token"].as_str().unwrap_or("test-token")).unwrap();
        std::fs::write(sa.join("namespace"), config["namespace"].as_str().unwrap_or("cloud")).unwrap();
        std::fs::copy(d.join("cert.pem"), sa.join("ca.crt")).unwrap();
        std::fs::write(d.join("config.json"), config.to_string()).unwrap();
        std::fs::write(d.join("requests.log"), "").unwrap();
        let child = Command::new("python3")
            .arg(super::root().join("tests/fixtures/fake-kube-api.py"))
            .args(["config.json", "state.json", "requests.log", "port", "cert.pem", "key.pem"])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("server.err")).unwrap())
            .spawn()
            .expect("python3 runs the fake API server");
        let mut api = FakeApi { child, dir, port: String::new() };
        for _ in 0..200 {
            if let Ok(p) = std::fs::read_to_string(api.dir.path().join("port")) {
                api.port = p;
                return api;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the fake API server did not start: {}", api.server_errors());
    }

    /// Points a command at the server, as the kubelet and the chart's projected volume do for a pod.
    pub fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", &self.port)
            .env("ONECHART_SA_DIR", self.dir.path().join("serviceaccount"))
    }

    /// The objects now (Secret data decoded): `{resource: {name: {data, labels, annotations, resourceVersion}}}`.
    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.path().join("state.json")).unwrap()).unwrap()
    }

    /// One "METHOD PATH" line per request received, in order.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap().lines().map(str::to_string).collect()
    }

    /// A scratch directory that lives as long as the server.
    pub fn scratch(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn server_errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.err")).unwrap_or_default()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
