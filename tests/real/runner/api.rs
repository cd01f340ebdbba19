//! The Kubernetes API stand-in: `tests/fixtures/fake-kube-api.py` (its docstring cites each behaviour from the
//! Kubernetes API reference), serving TLS on the `kubernetes` Service's ClusterIP, port 443, where pods reach it
//! through KUBERNETES_SERVICE_HOST/PORT as they reach the real one. The runner (standing for the kubelet, the
//! controllers and Helm) talks to it with an admin token over a plain listener on the host's loopback.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::sh::{run, wait_for};

pub struct ApiServer {
    child: Child,
    dir: PathBuf,
    pub addr: Ipv4Addr,
    admin_port: u16,
    admin_token: String,
    pub namespace: String,
}

impl ApiServer {
    /// Starts the server in `dir` on `addr`:443, for objects in `namespace`.
    pub fn start(dir: &Path, addr: Ipv4Addr, namespace: &str) -> ApiServer {
        std::fs::create_dir_all(dir).unwrap();
        // A throwaway CA-less certificate for the names pods use (the kubelet puts the cluster's CA in every
        // namespace's kube-root-ca.crt ConfigMap; this certificate is that CA here).
        let san = format!(
            "subjectAltName=IP:{addr},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,\
             DNS:kubernetes.default.svc.cluster.local"
        );
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "2", "-subj", "/CN=kubernetes", "-addext", &san, "-keyout"])
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("ca.crt")));
        let admin_token = format!("admin-{:x}", std::process::id() as u64 * 7919 + addr.octets()[1] as u64);
        let config = json!({
            "namespace": namespace, "admin_token": admin_token, "listen": addr.to_string(), "port": 443,
            "admin_port_file": dir.join("admin-port"),
        });
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
        let child = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--", "python3"])
            .arg(crate::root().join("tests/fixtures/fake-kube-api.py"))
            .args(["config.json", "state.json", "requests.log", "port", "ca.crt", "key.pem"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
            .spawn()
            .expect("python3 runs the API server stand-in");
        let mut api =
            ApiServer { child, dir: dir.to_path_buf(), addr, admin_port: 0, admin_token, namespace: namespace.into() };
        api.admin_port =
            wait_for("the API server stand-in", Duration::from_secs(20), Duration::from_millis(50), || {
                std::fs::read_to_string(dir.join("admin-port")).ok()?.trim().parse().ok()
            });
        api
    }

    /// The certificate pods trust (`kube-root-ca.crt`).
    pub fn ca(&self) -> String {
        std::fs::read_to_string(self.dir.join("ca.crt")).unwrap()
    }

    /// Every request the pods made ("METHOD PATH [service account]"), in order.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("requests.log")).unwrap_or_default().lines().map(String::from).collect()
    }

    /// An admin request: status code and JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let ctype = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
        let mut s = TcpStream::connect(("127.0.0.1", self.admin_port)).expect("the API stand-in's admin port");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: {ctype}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.admin_token,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let code = response.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let payload = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (code, serde_json::from_str(payload).unwrap_or(Value::Null))
    }

    /// The API path of an object of `kind`/`api_version` (a name, or the collection when None).
    pub fn path(&self, api_version: &str, kind: &str, name: Option<&str>) -> String {
        let base =
            if api_version.contains('/') { format!("/apis/{api_version}") } else { format!("/api/{api_version}") };
        let mut p = format!("{base}/namespaces/{}/{}", self.namespace, plural(kind));
        if let Some(n) = name {
            p.push('/');
            p.push_str(n);
        }
        p
    }

    /// Creates an object (as Helm does for each rendered object); an existing one is replaced.
    pub fn apply(&self, obj: &Value) {
        let (av, kind, name) = ids(obj);
        let (code, body) = self.request("POST", &self.path(&av, &kind, None), Some(obj));
        if code == 409 {
            let (code, body) = self.request("PUT", &self.path(&av, &kind, Some(&name)), Some(obj));
            assert!(code < 300, "replacing {kind} {name}: {code} {body}");
        } else {
            assert!(code < 300, "creating {kind} {name}: {code} {body}");
        }
    }

    pub fn get(&self, api_version: &str, kind: &str, name: &str) -> Option<Value> {
        let (code, body) = self.request("GET", &self.path(api_version, kind, Some(name)), None);
        (code == 200).then_some(body)
    }

    pub fn delete(&self, api_version: &str, kind: &str, name: &str) {
        self.request("DELETE", &self.path(api_version, kind, Some(name)), None);
    }

    pub fn list(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let (code, body) = self.request("GET", &self.path(api_version, kind, None), None);
        assert_eq!(code, 200, "listing {kind}: {body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// A token for a service account, through the TokenRequest API, as the kubelet gets one for a projected
    /// `serviceAccountToken` volume.
    pub fn token(&self, service_account: &str) -> String {
        let path = self.path("v1", "ServiceAccount", Some(service_account)) + "/token";
        let (code, body) = self.request("POST", &path, Some(&json!({"spec": {}})));
        assert_eq!(code, 201, "TokenRequest for {service_account}: {body}");
        body["status"]["token"].as_str().unwrap().to_string()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// apiVersion, kind and name of an object.
pub fn ids(obj: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&obj["apiVersion"]), s(&obj["kind"]), s(&obj["metadata"]["name"]))
}

/// The resource name of a kind (the API's plural form).
pub fn plural(kind: &str) -> String {
    let lower = kind.to_lowercase();
    match lower.as_str() {
        "networkpolicy" => "networkpolicies".into(),
        "ingress" => "ingresses".into(),
        "endpoints" => "endpoints".into(),
        _ => format!("{lower}s"),
    }
}
