//! The runner's own claims, on a tiny workload of its own (no OpenNebula, no chart): a StatefulSet behind a
//! ClusterIP and a headless Service, a Secret and a ConfigMap, a client pod. What the kubelet, kube-proxy and
//! the cluster DNS would do is checked from inside the containers, so a runner that drifts from Kubernetes fails
//! here before it misleads a scenario.

use std::time::Duration;

use serde_json::json;

use super::Timer;
use crate::runner::Cluster;
use crate::runner::image::Image;

/// A UDP echo server (monitord's port is UDP too).
const ECHO: &str = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 5353))\n\
                    while True:\n    d, a = s.recvfrom(512)\n    s.sendto(b'echo ' + d, a)\n";

#[test]
fn runner_behaves_like_kubernetes() {
    let _t = Timer::start("runner self-check");
    // An empty layout over the host: the runner's behaviour does not depend on OpenNebula.
    let c = Cluster::with_image("cloud", |dir| {
        std::fs::create_dir_all(dir.join("layout")).unwrap();
        Image::from_root("none", &dir.join("layout"), &dir.join("image"))
    });
    let labels = json!({"app": "web"});
    for o in [
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "data": {"password": "czNjcjN0"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a.conf": "A=1\n", "b.conf": "B=2\n"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                                                      {"name": "echo", "port": 53, "targetPort": 5353, "protocol": "UDP"}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-peers"},
               "spec": {"clusterIP": "None", "publishNotReadyAddresses": true, "selector": labels, "ports": [{"port": 8080}]}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}, "spec": {
            "replicas": 1, "serviceName": "web-peers", "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {
                "securityContext": {"runAsUser": 9869, "runAsGroup": 9869, "fsGroup": 9869, "runAsNonRoot": true},
                "terminationGracePeriodSeconds": 5,
                "initContainers": [{"name": "init", "image": "x", "command": ["sh", "-c", "echo seeded > /data/seed; echo init-ran"],
                                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                "containers": [{"name": "web", "image": "x",
                    "command": ["sh", "-c", "echo started $(POD_NAME); cd /srv && exec python3 -m http.server 8080"],
                    "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
                            {"name": "GREETING", "value": "hello $(POD_NAME) $$(NOT)"}],
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
                    "livenessProbe": {"exec": {"command": ["test", "-d", "/srv"]}, "periodSeconds": 2},
                    "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                                        "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "srv", "mountPath": "/srv"},
                                     {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": true},
                                     {"name": "cfg", "mountPath": "/etc/b.conf", "subPath": "b.conf"},
                                     {"name": "creds", "mountPath": "/run/creds", "readOnly": true}]},
                    {"name": "echo", "image": "x", "command": ["python3", "-c", ECHO],
                     "ports": [{"containerPort": 5353, "protocol": "UDP"}]}],
                "volumes": [{"name": "srv", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 0o440}},
                            {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}}),
    ] {
        c.apply(&o);
    }
    c.wait_ready("web-0", Duration::from_secs(60));
    let sh = |cmd: &str| c.exec_ok("web-0", "web", &["sh", "-c", cmd]);
    assert_eq!(sh("id -u; id -g; id -G"), "9869\n9869\n9869\n", "user, group and fsGroup");
    assert_eq!(sh("echo $PASSWORD $POD_NAME; echo \"$GREETING\""), "s3cr3t web-0\nhello web-0 $(NOT)\n");
    assert_eq!(sh("echo $POD_IP").trim(), c.pod("web-0").ip.to_string());
    assert_eq!(sh("cat /data/seed"), "seeded\n", "the init container ran first, on the same claim");
    assert_eq!(
        sh("stat -L -c '%a %g' /etc/cfg/a.conf /run/creds/password /etc/b.conf"),
        "440 9869\n440 9869\n440 9869\n"
    );
    assert!(sh("ls -a /etc/cfg").contains("..data"), "atomic writer layout");
    assert!(!c.exec("web-0", "web", &["touch", "/usr/x"]).status.success(), "readOnlyRootFilesystem");
    sh("touch /srv/x /data/x");
    assert_eq!(
        sh("cat /proc/1/cmdline | tr '\\0' ' '"),
        "python3 -m http.server 8080 ",
        "the command is PID 1 of its own namespace"
    );
    assert_eq!(sh("hostname"), "web-0\n");
    assert_eq!(
        sh("grep -c Cap /proc/self/status >/dev/null; grep CapBnd /proc/self/status"),
        "CapBnd:\t0000000000000000\n"
    );
    // Names and routing, from another pod.
    c.apply(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"}, "spec": {
        "containers": [{"name": "c", "image": "x", "command": ["sleep", "3600"]}]}}));
    c.wait_ready("client", Duration::from_secs(30));
    let client = |cmd: &str| c.exec("client", "c", &["sh", "-c", cmd]);
    let svc_ip = c.inner.state.lock().unwrap().services["web"].ip.unwrap().to_string();
    for name in ["web", "web.cloud", "web.cloud.svc", "web.cloud.svc.cluster.local"] {
        let o = client(&format!("getent hosts {name}"));
        assert!(String::from_utf8_lossy(&o.stdout).starts_with(&svc_ip), "{name}: {o:?}");
    }
    let pod_ip = c.pod("web-0").ip.to_string();
    let o = client("getent hosts web-0.web-peers.cloud.svc.cluster.local");
    assert!(String::from_utf8_lossy(&o.stdout).starts_with(&pod_ip), "headless pod name: {o:?}");
    let o = client("curl -sf http://web/ && curl -sf http://web.cloud.svc.cluster.local:80/");
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("Directory listing"),
        "Service routing: {o:?}"
    );
    assert!(client("printenv KUBERNETES_SERVICE_HOST WEB_SERVICE_HOST").status.success(), "service links");
    let udp = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.settimeout(3)\n\
               s.sendto(b'ping', ('web', 53))\nprint(s.recvfrom(512)[0].decode())";
    let o = c.exec("client", "c", &["python3", "-c", udp]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "echo ping\n", "UDP through the Service: {o:?}");
    // A pod label changed through the API takes the pod out of the selector, hence of the Service.
    let (code, _) = c.api().request(
        "PATCH",
        &c.api().path("v1", "Pod", Some("web-0")),
        Some(&json!({"metadata": {"labels": {"app": "other"}}})),
    );
    assert_eq!(code, 200);
    crate::runner::sh::wait_for(
        "the relabelled pod out of the Service",
        Duration::from_secs(10),
        Duration::from_millis(200),
        || (!client("curl -sf --max-time 2 http://web/").status.success()).then_some(()),
    );
    c.api().request(
        "PATCH",
        &c.api().path("v1", "Pod", Some("web-0")),
        Some(&json!({"metadata": {"labels": {"app": "web"}}})),
    );
    crate::runner::sh::wait_for(
        "the pod back in the Service",
        Duration::from_secs(10),
        Duration::from_millis(200),
        || client("curl -sf --max-time 2 http://web/").status.success().then_some(()),
    );
    // RBAC: a service account token may do what its Role allows, nothing else (403).
    let api = |token: &str, path: &str| {
        let o = crate::runner::sh::run(
            std::process::Command::new("curl")
                .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
                .arg(format!("Authorization: Bearer {token}"))
                .arg(format!("https://{}{path}", c.api().addr)),
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for o in [
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"},
               "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["creds"], "verbs": ["get"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "cloud"}]}),
    ] {
        c.apply(&o);
    }
    let (reader, other) = (c.api().token("reader"), c.api().token("default"));
    assert_eq!(api(&reader, "/api/v1/namespaces/cloud/secrets/creds"), "200");
    assert_eq!(api(&reader, "/api/v1/namespaces/cloud/secrets/other"), "403", "resourceNames");
    assert_eq!(api(&reader, "/api/v1/namespaces/cloud/secrets"), "403", "list has no name");
    assert_eq!(api(&other, "/api/v1/namespaces/cloud/secrets/creds"), "403", "no Role bound");
    assert_eq!(api("forged", "/api/v1/namespaces/cloud/secrets/creds"), "401");
    // A cut pod cannot reach its peer, directly or through the Service.
    c.cut("client", &["web-0"], true);
    assert!(!client(&format!("curl -sf --max-time 2 http://{pod_ip}:8080/")).status.success(), "cut: pod IP");
    assert!(!client("curl -sf --max-time 2 http://web/").status.success(), "cut: Service");
    c.cut("client", &["web-0"], false);
    assert!(client(&format!("curl -sf --max-time 2 http://{pod_ip}:8080/")).status.success(), "healed");
    // A killed container is restarted in place (emptyDir kept); a deleted pod is made again (claim kept).
    c.kill("web-0", "web", "KILL");
    crate::runner::sh::wait_for("restart", Duration::from_secs(30), Duration::from_millis(200), || {
        (c.restarts("web-0", "web") == 1).then_some(())
    });
    c.wait_ready("web-0", Duration::from_secs(60));
    assert_eq!(sh("ls /data/x /srv/x"), "/data/x\n/srv/x\n", "emptyDir and claim survive a container restart");
    assert_eq!(c.pod("web-0").containers.lock().unwrap()["web"].last_exit, Some(137), "SIGKILL is exit 137");
    c.delete_pod("web-0");
    crate::runner::sh::wait_for("recreated", Duration::from_secs(30), Duration::from_millis(200), || {
        (!c.pod("web-0").gone.load(std::sync::atomic::Ordering::SeqCst)).then_some(())
    });
    c.wait_ready("web-0", Duration::from_secs(60));
    assert_eq!(sh("ls /data/x; ls /srv"), "/data/x\n", "the claim outlives the pod, the emptyDir does not");
    assert!(c.logs("web-0", "init").contains("init-ran"));
    // A changed pod template rolls out (helm upgrade): the pod is made again from it, on the same claim.
    let mut sts = c.api().get("apps/v1", "StatefulSet", "web").unwrap();
    sts["spec"]["template"]["metadata"]["annotations"] = json!({"revision": "2"});
    c.apply(&sts);
    assert_eq!(c.pod("web-0").annotations.get("revision").map(String::as_str), Some("2"));
    assert_eq!(sh("ls /data/x"), "/data/x\n");
}
