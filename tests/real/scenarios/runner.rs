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
    // The same Service made a LoadBalancer (a changed type, as `helm upgrade` applies it): it keeps its ClusterIP
    // and gets a load balancer's address in its status, the only address of the cluster a host outside reaches
    // (TCP and UDP); a ClusterIP, a pod IP and the API server are unreachable from there. Made a ClusterIP again,
    // the load balancer routes nothing.
    let mut web = c.api().get("v1", "Service", "web").unwrap();
    web["spec"]["type"] = json!("LoadBalancer");
    c.apply(&web);
    let now = c.api().get("v1", "Service", "web").unwrap();
    assert_eq!(now["spec"]["clusterIP"], json!(svc_ip), "a Service keeps its ClusterIP when its type changes");
    let lb: std::net::Ipv4Addr = now["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .unwrap_or_else(|| panic!("no load balancer address: {now}"))
        .parse()
        .unwrap();
    let outside = c.outside_host(&[("web.example.com", lb)]);
    let out = |cmd: &str| {
        crate::runner::sh::output_within(outside.command("sh").args(["-c", cmd]), Duration::from_secs(30)).unwrap()
    };
    let o = out("curl -sf --max-time 5 http://web.example.com/");
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("Directory listing"),
        "outside, through the load balancer: {o:?}"
    );
    let udp_out = udp.replace("('web', 53)", "('web.example.com', 53)");
    let o = out(&format!("python3 -c {}", crate::runner::sh::quote(&udp_out)));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "echo ping\n", "UDP from outside, through the load balancer: {o:?}");
    for (what, url) in [
        ("the ClusterIP", format!("http://{svc_ip}/")),
        ("the pod IP", format!("http://{pod_ip}:8080/")),
        ("the API server", format!("https://{}/", c.api().addr)),
    ] {
        let o = out(&format!("curl -sSk --max-time 3 {url}"));
        assert!(!o.status.success(), "{what} is reachable from outside the cluster: {o:?}");
    }
    let mut web = c.api().get("v1", "Service", "web").unwrap();
    web["spec"]["type"] = json!("ClusterIP");
    c.apply(&web);
    assert_eq!(c.api().get("v1", "Service", "web").unwrap()["status"]["loadBalancer"], json!({}));
    assert!(
        !out("curl -sf --max-time 3 http://web.example.com/").status.success(),
        "a ClusterIP again, still published"
    );
    assert!(client("curl -sf --max-time 2 http://web/").status.success(), "a ClusterIP again, in the cluster");
    drop(outside);
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
    // A changed pod template rolls out (helm upgrade), in the background as the controller does it: the pod is
    // made again from it, on the same claim.
    let mut sts = c.api().get("apps/v1", "StatefulSet", "web").unwrap();
    sts["spec"]["template"]["metadata"]["annotations"] = json!({"revision": "2"});
    c.apply(&sts);
    c.wait_rolled_out(Duration::from_secs(120));
    assert_eq!(c.pod("web-0").annotations.get("revision").map(String::as_str), Some("2"));
    assert_eq!(sh("ls /data/x"), "/data/x\n");
}

/// A ZeroMQ publisher (oned's hook manager publishes its events so, on 2101: OpenNebula/one@release-7.4.0:
/// src/hm_mad/one_hm.rb:96-110) and a subscriber, with Debian's ffi-rzmq.
const ZMQ_PUB: &str = "require 'ffi-rzmq'\nc = ZMQ::Context.new\ns = c.socket(ZMQ::PUB)\nraise 'bind' if s.bind('tcp://0.0.0.0:2101') < 0\n\
                       n = 0\nloop { s.send_string(\"EVENT API one.user.allocate 1 #{n += 1}\"); sleep 0.2 }\n";
/// A subscriber that writes its own timeline to /tmp/subscriber.log (stderr), for a miss to be explained.
const ZMQ_SUB: &str = "$stderr.reopen('/tmp/subscriber.log', 'a')\n$stderr.sync = true\n\
                       def t(what) = warn(\"#{Time.now.strftime('%T.%L')} #{what}\")\nt 'started'\n\
                       require 'ffi-rzmq'\nc = ZMQ::Context.new\ns = c.socket(ZMQ::SUB)\n\
                       s.setsockopt(ZMQ::SUBSCRIBE, 'EVENT API')\nt \"connect: #{s.connect(ARGV[0])}\"\n\
                       m = ''\ns.recv_string(m)\nt 'received'\nputs m\n";

#[test]
fn runner_runs_native_sidecars_and_deployments() {
    let _t = Timer::start("runner self-check: native sidecars, Deployments, ZeroMQ through a Service");
    let c = Cluster::with_image("cloud", |dir| {
        std::fs::create_dir_all(dir.join("layout")).unwrap();
        Image::from_root("none", &dir.join("layout"), &dir.join("image"))
    });
    let record = c.dir().join("order");
    std::fs::create_dir_all(&record).unwrap();
    std::fs::set_permissions(&record, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let record_path = record.display().to_string();
    // A pod whose native sidecar ("db") must be started before the next init container, outlives it, is
    // restarted although the pod's restartPolicy is Never, gates the pod's readiness and stops after the app.
    let db = "trap 'echo db-stopped >> /order/log; exit 0' TERM; echo db-start >> /order/log; sleep 2; \
              touch /shared/up; while :; do sleep 0.2; done";
    let app = "trap 'echo app-stopped >> /order/log; sleep 1; exit 0' TERM; echo app-start >> /order/log; \
               while :; do sleep 0.2; done";
    let volumes = json!([{"name": "shared", "emptyDir": {}}, {"name": "order", "hostPath": {"path": record_path}}]);
    let mounts = json!([{"name": "shared", "mountPath": "/shared"}, {"name": "order", "mountPath": "/order"}]);
    c.apply(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "side"}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 10,
        "initContainers": [
            {"name": "db", "image": "x", "restartPolicy": "Always", "command": ["sh", "-c", db], "volumeMounts": mounts,
             "startupProbe": {"exec": {"command": ["test", "-f", "/shared/up"]}, "periodSeconds": 1, "failureThreshold": 30},
             "readinessProbe": {"exec": {"command": ["test", "-f", "/shared/ready"]}, "periodSeconds": 1}},
            {"name": "after", "image": "x", "volumeMounts": mounts,
             "command": ["sh", "-c", "if test -f /shared/up; then echo after-saw-db-up >> /order/log; fi"]}],
        "containers": [{"name": "app", "image": "x", "command": ["sh", "-c", app], "volumeMounts": mounts}],
        "volumes": volumes}}));
    let log = || std::fs::read_to_string(record.join("log")).unwrap_or_default();
    crate::runner::sh::wait_for("the app started", Duration::from_secs(60), Duration::from_millis(200), || {
        log().contains("app-start").then_some(())
    });
    assert_eq!(
        log(),
        "db-start\nafter-saw-db-up\napp-start\n",
        "init order: the sidecar started (its startup probe passed) first"
    );
    assert!(!c.pod("side").ready(), "a sidecar that is not ready keeps the pod from Ready");
    c.exec_ok("side", "db", &["touch", "/shared/ready"]);
    c.wait_ready("side", Duration::from_secs(30));
    c.kill("side", "db", "KILL");
    crate::runner::sh::wait_for("the sidecar restarted", Duration::from_secs(60), Duration::from_millis(200), || {
        (c.restarts("side", "db") == 1 && c.pod("side").containers.lock().unwrap()["db"].started).then_some(())
    });
    assert_eq!(c.restarts("side", "app"), 0, "the app kept running");
    c.delete(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "side"}}));
    assert!(log().ends_with("app-stopped\ndb-stopped\n"), "the sidecar stops after the app: {}", log());
    // A pod whose regular container completes: Succeeded although its sidecar would run forever, which is stopped.
    c.apply(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "job-like"}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 5,
        "initContainers": [{"name": "helper", "image": "x", "restartPolicy": "Always", "command": ["sleep", "3600"]}],
        "containers": [{"name": "main", "image": "x", "command": ["true"]}]}}));
    crate::runner::sh::wait_for(
        "the job-like pod Succeeded",
        Duration::from_secs(60),
        Duration::from_millis(200),
        || (c.pod("job-like").phase() == crate::runner::Phase::Succeeded).then_some(()),
    );
    crate::runner::sh::wait_for("its sidecar stopped", Duration::from_secs(30), Duration::from_millis(200), || {
        c.pod("job-like").containers.lock().unwrap()["helper"].finished.then_some(())
    });

    // A Deployment behind a Service: generated names, replaced pods, a rolling update that keeps it available.
    let labels = json!({"app": "gate"});
    let deployment = |revision: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "gate"}, "spec": {
            "replicas": 2, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels, "annotations": {"revision": revision}}, "spec": {
                "terminationGracePeriodSeconds": 5,
                "containers": [{"name": "web", "image": "x", "command": ["python3", "-m", "http.server", "8080"],
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1}}]}}}})
    };
    c.apply(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gate"},
                    "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http"}]}}));
    c.apply(&deployment("1"));
    let ready_pods = || c.deployment_pods("gate").into_iter().filter(|p| p.ready()).collect::<Vec<_>>();
    crate::runner::sh::wait_for("2 gate pods Ready", Duration::from_secs(60), Duration::from_millis(300), || {
        (ready_pods().len() == 2).then_some(())
    });
    let first: Vec<String> = c.deployment_pods("gate").iter().map(|p| p.name.clone()).collect();
    let hash = c.deployment_pods("gate")[0].labels["pod-template-hash"].clone();
    for name in &first {
        assert!(name.starts_with(&format!("gate-{hash}-")) && name.len() == "gate-".len() + hash.len() + 6, "{name}");
    }
    c.delete_pod(&first[0]);
    crate::runner::sh::wait_for(
        "the deleted pod replaced",
        Duration::from_secs(60),
        Duration::from_millis(300),
        || {
            let now: Vec<String> = ready_pods().iter().map(|p| p.name.clone()).collect();
            (now.len() == 2 && !now.contains(&first[0])).then_some(())
        },
    );
    c.apply(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"}, "spec": {
        "containers": [{"name": "c", "image": "x", "command": ["sleep", "3600"]}]}}));
    c.wait_ready("client", Duration::from_secs(30));
    c.apply(&deployment("2"));
    // maxUnavailable 25% of 2 is 0: two pods stay Ready, and the Service answers, through the whole roll-out.
    crate::runner::sh::wait_for(
        "the rolling update done",
        Duration::from_secs(120),
        Duration::from_millis(300),
        || {
            assert!(ready_pods().len() >= 2, "a rolling update with maxUnavailable 0 went below 2 Ready pods");
            let pods = c.deployment_pods("gate");
            (pods.len() == 2 && pods.iter().all(|p| p.ready() && p.labels["pod-template-hash"] != hash)).then_some(())
        },
    );
    let o = c.exec("client", "c", &["curl", "-sf", "--max-time", "5", "http://gate/"]);
    assert!(o.status.success(), "the Service routes to the new pods: {o:?}");

    // ZeroMQ between pods through a Service (the add-ons subscribe to oned's events through -leader:2101).
    c.apply(&json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "events"},
                    "spec": {"selector": {"app": "publisher"}, "ports": [{"name": "events", "port": 2101, "targetPort": "events"}]}}));
    c.apply(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "publisher", "labels": {"app": "publisher"}}, "spec": {
        "containers": [{"name": "pub", "image": "x", "command": ["ruby", "-e", ZMQ_PUB],
                        "ports": [{"name": "events", "containerPort": 2101}]}]}}));
    c.wait_ready("publisher", Duration::from_secs(30));
    // Three subscribers at most, 30 s each. Under load (CI, a scenario beside it) a first subscriber got nothing
    // in 60 s three times in about ten runs, while a second one, from the same pod through the same Service, got
    // an event at once; the cause is not known (the proxy's log, `logs/services/events.log`, and the subscriber's
    // own timeline are printed on a miss). What this check proves stays the same: events cross a Service.
    let mut misses = Vec::new();
    let o = (1..=3)
        .find_map(|attempt| {
            let o = c.pod("client").exec("c", &["ruby", "-e", ZMQ_SUB, "tcp://events:2101"], Duration::from_secs(30));
            if o.is_none() {
                let timeline = c.exec("client", "c", &["cat", "/tmp/subscriber.log"]);
                let miss =
                    format!("subscriber {attempt}: no event in 30 s: {}", String::from_utf8_lossy(&timeline.stdout));
                eprintln!("{miss}");
                misses.push(miss);
            }
            o
        })
        .unwrap_or_else(|| panic!("no subscriber got an event through the Service: {misses:#?}"));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("EVENT API one.user.allocate 1"), "{o:?}");
}
