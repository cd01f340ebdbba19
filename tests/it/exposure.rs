//! Rendered exposure: every port a Service publishes outside the cluster is TLS when `tls.enabled`, for each
//! exposure mode (NodePort, LoadBalancer, Ingress) and version; the placement and exposure values reach every
//! pod and Service they should; the optional custom resources follow the cluster's API versions.

use crate::common;

use std::path::Path;
use std::process::Command;

use onechart::manifest::{self, Manifest};
use onechart::source::SourceFile;
use serde_json::{Value, json};

/// Generates a chart for `profile` with its example values plus `values`, and renders it with Helm 3
/// (`api_versions` as `--api-versions`).
fn render(profile: &str, values: &str, api_versions: &[&str], dir: &Path) -> Vec<Manifest> {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("site.yaml");
    std::fs::write(&file, values).unwrap();
    let chart = dir.join("chart");
    common::generate(profile, &["-f", file.to_str().unwrap()], &chart);
    let mut cmd = Command::new(common::tool("helm3"));
    cmd.args(["template", "one", "-n", "cloud"]).arg(&chart);
    for a in api_versions {
        cmd.args(["--api-versions", a]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "helm template: {}", String::from_utf8_lossy(&o.stderr));
    manifest::read(SourceFile::from_text("rendered.yaml", String::from_utf8(o.stdout).unwrap())).unwrap()
}

fn find<'a>(objects: &'a [Manifest], kind: &str, suffix: &str) -> Option<&'a Manifest> {
    objects.iter().find(|m| m.kind == kind && m.name.ends_with(suffix))
}

/// The workloads (with their pod spec) whose pods a Service selects.
fn selected<'a>(objects: &'a [Manifest], svc: &Manifest) -> Vec<(&'a Manifest, Value)> {
    let selector = svc.raw["spec"]["selector"].as_object().cloned().unwrap_or_default();
    objects
        .iter()
        .filter_map(|m| pod(m).map(|(spec, labels)| (m, spec, labels)))
        .filter(|(_, _, labels)| !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
        .map(|(m, spec, _)| (m, spec))
        .collect()
}

/// Every port published outside the cluster that is not TLS, as `Service/name port`. SSH (encrypted by itself)
/// and monitord (OpenNebula's own protocol, which encrypts with monitord.conf's key pair) are not HTTP endpoints
/// and are left out. A port is TLS when the container it targets in the selected pods is a `tls-proxy` whose
/// own HAProxy configuration (the ConfigMap key its `tls-config` volume shows) binds that port with `ssl`, or
/// noVNC's own TLS (6.10, `:vnc_proxy_support_wss: only`).
fn plain_exposed_ports(objects: &[Manifest]) -> Vec<String> {
    let data = find(objects, "ConfigMap", "-config").unwrap().raw["data"].clone();
    let mut plain = Vec::new();
    for svc in objects.iter().filter(|m| m.kind == "Service") {
        let spec = &svc.raw["spec"];
        if spec["type"].as_str().unwrap_or("ClusterIP") == "ClusterIP" {
            continue;
        }
        let pods = selected(objects, svc);
        for p in spec["ports"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            if name == "ssh" || name.starts_with("monitord-") {
                continue;
            }
            let target = p["targetPort"].as_str().unwrap_or_default();
            let mut tls = false;
            for (_, pod_spec) in &pods {
                for c in pod_spec["containers"].as_array().unwrap() {
                    let Some(cp) = c["ports"].as_array().into_iter().flatten().find(|cp| cp["name"] == target) else {
                        continue;
                    };
                    let port = cp["containerPort"].as_i64().unwrap();
                    if c["name"] == "tls-proxy" {
                        let key = pod_spec["volumes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|v| v["name"] == "tls-config")
                            .and_then(|v| v["configMap"]["items"][0]["key"].as_str())
                            .unwrap_or_default();
                        let cfg = data[key].as_str().unwrap_or_default();
                        tls |= cfg.contains(&format!("bind :{port} ssl crt /run/onechart/tls/tls.crt"));
                    }
                    if target == "novnc" {
                        tls |= data["sunstone-server.conf"]
                            .as_str()
                            .is_some_and(|conf| conf.contains(":vnc_proxy_support_wss: only"));
                    }
                }
            }
            if !tls {
                plain.push(format!("{} port {name} -> {target}", svc.id()));
            }
        }
    }
    if let Some(ing) = find(objects, "Ingress", "")
        && ing.raw["spec"]["tls"].as_array().is_none_or(|t| t.is_empty())
    {
        plain.push(format!("{} has no tls", ing.id()));
    }
    plain
}

const SITE: &str = "
oned:
  hostname: one.example.com
fireedge:
  publicEndpoint: https://one.example.com:2616
onegate:
  endpoint: https://onegate.example.com:5030
  service: {type: ClusterIP}
tls:
  enabled: true
  secretName: one-tls
";

fn exposed(kind: &str) -> String {
    format!(
        "tls: {{enabled: true, secretName: one-tls}}
oned: {{hostname: one.example.com, service: {{type: {kind}}}}}
fireedge: {{publicEndpoint: https://one.example.com:2616, service: {{type: {kind}}}}}
onegate: {{endpoint: https://onegate.example.com:5030, service: {{type: {kind}}}}}
ssh: {{service: {{type: {kind}}}}}
"
    )
}

#[test]
fn every_exposed_port_is_tls_in_every_exposure_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("prod-mysql", exposed("LoadBalancer"), "lb"),
        ("prod-mysql", exposed("NodePort"), "np"),
        ("ha-raft", exposed("LoadBalancer"), "ha-lb"),
        ("prod-mysql", format!("{SITE}\ningress: {{enabled: true, host: one.example.com}}\n"), "ingress"),
        (
            "prod-mysql",
            format!(
                "{}\nopennebula: {{version: \"6.10\"}}\nimage: {{repository: registry.example.com/opennebula/frontend, tag: \"6.10.5\"}}\nsunstone: {{enabled: true, service: {{type: LoadBalancer}}}}\n",
                exposed("LoadBalancer")
            ),
            "6.10-sunstone",
        ),
    ];
    for (profile, values, label) in cases {
        let objects = render(profile, &values, &[], &tmp.path().join(label));
        let plain = plain_exposed_ports(&objects);
        assert!(plain.is_empty(), "{label}: plain ports published outside the cluster: {plain:?}");
        // The core pods never run a TLS proxy (a failing one would take the API, SSH and monitord away).
        let sts = &find(&objects, "StatefulSet", "").unwrap().raw;
        let core: Vec<&str> = sts["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert!(!core.contains(&"tls-proxy"), "{label}: {core:?}");
        let proxies = objects
            .iter()
            .filter_map(pod)
            .filter(|(spec, _)| spec["containers"].as_array().unwrap().iter().any(|c| c["name"] == "tls-proxy"))
            .count();
        if label == "ingress" {
            // Only the Ingress publishes: it terminates TLS, no proxy runs, the Service stays in the cluster.
            assert_eq!(proxies, 0, "{label}");
            let ing = find(&objects, "Ingress", "").unwrap();
            assert_eq!(ing.raw["spec"]["tls"][0]["secretName"], "one-tls");
            continue;
        }
        // The API's own proxy Deployment, FireEdge's and OneGate's sidecars (and Sunstone's on 6.10).
        assert!(proxies >= 3, "{label}: {proxies} pods with a TLS proxy");
        assert!(find(&objects, "Deployment", "-tls-proxy").is_some(), "{label}: no API TLS proxy Deployment");
        // The chart's own clients of the API go through TLS.
        let api_test = find(&objects, "Pod", "-test-api").unwrap();
        let env = &api_test.raw["spec"]["containers"][0]["env"];
        assert!(env.to_string().contains("https://one-opennebula.cloud.svc:2633/RPC2"), "{label}: {env}");
        // The advertised OneGate URL names the TLS endpoint (onegate-server.conf :ssl_server:).
        let cfg = &find(&objects, "ConfigMap", "-config").unwrap().raw["data"];
        assert!(
            cfg["onegate-server.conf"].as_str().unwrap().contains(":ssl_server: \"https://onegate.example.com:5030\"")
        );
        // The add-ons' NetworkPolicy admits every TLS port the proxies serve.
        let np = find(&objects, "NetworkPolicy", "-addons").unwrap().raw.to_string();
        for port in [12633, 12616, 15030] {
            assert!(np.contains(&format!("\"port\":{port}")), "{label}: NetworkPolicy lacks {port}");
        }
    }
}

#[test]
fn the_exposure_check_sees_plain_ports() {
    // Guards the test above: without tls.enabled the same exposures are plain, and the check says so.
    let tmp = tempfile::tempdir().unwrap();
    let values = exposed("LoadBalancer").replace("enabled: true", "enabled: false").replace("https://", "http://");
    let objects = render("dev-sqlite", &values, &[], tmp.path());
    let plain = plain_exposed_ports(&objects);
    for svc in [
        "Service/one-opennebula port xmlrpc",
        "Service/one-opennebula-fireedge port fireedge",
        "Service/one-opennebula-onegate port onegate",
    ] {
        assert!(plain.iter().any(|p| p.starts_with(svc)), "{svc} not reported: {plain:?}");
    }
}

#[test]
fn custom_resources_follow_the_api_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let values = exposed("LoadBalancer")
        .replace("secretName: one-tls", "secretName: \"\", certManager: {issuerName: ca}, dnsNames: [one.example.com]");
    let all = ["cert-manager.io/v1/Certificate", "monitoring.coreos.com/v1/ServiceMonitor"];
    let objects = render("prod-mysql", &values, &all, &tmp.path().join("with"));
    let cert = find(&objects, "Certificate", "").expect("a Certificate");
    assert_eq!(cert.raw["spec"]["secretName"], "one-opennebula-tls");
    let names = cert.raw["spec"]["dnsNames"].to_string();
    assert!(names.contains("one.example.com") && names.contains("one-opennebula.cloud.svc"), "{names}");
    assert!(find(&objects, "ServiceMonitor", "").is_some());
    let proxy = &find(&objects, "Deployment", "-tls-proxy").unwrap().raw;
    let tls_volume =
        proxy["spec"]["template"]["spec"]["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "tls");
    assert_eq!(tls_volume.unwrap()["secret"]["secretName"], "one-opennebula-tls");
    // Without the ServiceMonitor CRD: no ServiceMonitor, the exporter's Service stays.
    let objects = render("prod-mysql", &values, &all[..1], &tmp.path().join("no-monitor"));
    assert!(find(&objects, "ServiceMonitor", "").is_none());
    assert!(find(&objects, "Service", "-metrics").is_some());
    // An issuer without cert-manager in the cluster fails the render with what to do.
    let dir = tmp.path().join("no-cert-manager");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("site.yaml"), &values).unwrap();
    common::generate("prod-mysql", &["-f", dir.join("site.yaml").to_str().unwrap()], &dir.join("chart"));
    let o = Command::new(common::tool("helm3")).args(["template", "one"]).arg(dir.join("chart")).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--api-versions cert-manager.io/v1/Certificate"));
}

const PLACEMENT: &str = r#"
image:
  pullSecrets: [regcred]
commonLabels: {team: cloud}
commonAnnotations: {owner: platform}
podLabels: {tier: frontend}
podAnnotations: {sidecar.example.com/inject: "false"}
nodeSelector: {pool: infra}
tolerations: [{key: infra, operator: Exists, effect: NoSchedule}]
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: other}}}
topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]
priorityClassName: opennebula-critical
monitord:
  service:
    annotations: {metallb.universe.tf/loadBalancerIPs: 192.0.2.10}
    loadBalancerIP: 192.0.2.10
    loadBalancerClass: example.com/lb
    loadBalancerSourceRanges: [192.0.2.0/24]
    externalTrafficPolicy: Cluster
hosts: [{name: kvm1.example.com}]
"#;

/// The pod spec and pod labels of a pod-bearing object.
fn pod(m: &Manifest) -> Option<(Value, Value)> {
    let r = &m.raw;
    let t = match m.kind.as_str() {
        "Pod" => r.clone(),
        "StatefulSet" | "Deployment" | "Job" => r["spec"]["template"].clone(),
        "CronJob" => r["spec"]["jobTemplate"]["spec"]["template"].clone(),
        _ => return None,
    };
    Some((t["spec"].clone(), t["metadata"]["labels"].clone()))
}

#[test]
fn placement_values_reach_every_pod_and_service() {
    let tmp = tempfile::tempdir().unwrap();
    let objects = render("ha-raft", PLACEMENT, &[], tmp.path());
    let mut pods = 0;
    for m in &objects {
        // commonLabels and commonAnnotations: every object.
        assert_eq!(m.raw["metadata"]["labels"]["team"], "cloud", "{}", m.id());
        assert_eq!(m.raw["metadata"]["annotations"]["owner"], "platform", "{}", m.id());
        let Some((spec, labels)) = pod(m) else { continue };
        pods += 1;
        let id = m.id();
        assert_eq!(labels["team"], "cloud", "{id}: pod labels");
        assert_eq!(spec["imagePullSecrets"], json!([{"name": "regcred"}]), "{id}");
        assert_eq!(spec["nodeSelector"], json!({"pool": "infra"}), "{id}");
        assert_eq!(
            spec["tolerations"],
            json!([{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}]),
            "{id}"
        );
        for c in
            spec["containers"].as_array().unwrap().iter().chain(spec["initContainers"].as_array().into_iter().flatten())
        {
            assert!(
                c["resources"]["requests"].is_object() && c["resources"]["limits"].is_object(),
                "{id} {}: resources",
                c["name"]
            );
        }
        let backup = m.name.ends_with("-backup") || m.name.ends_with("-pre-upgrade");
        if m.kind == "StatefulSet" || backup {
            assert_eq!(spec["priorityClassName"], "opennebula-critical", "{id}");
        }
    }
    assert!(pods >= 6, "only {pods} pod-bearing objects");
    let sts = find(&objects, "StatefulSet", "").unwrap();
    let (spec, labels) = pod(sts).unwrap();
    assert_eq!(labels["tier"], "frontend");
    assert_eq!(sts.raw["spec"]["template"]["metadata"]["annotations"]["sidecar.example.com/inject"], "false");
    // The selector never carries the extra labels (it is immutable).
    assert_eq!(sts.raw["spec"]["selector"]["matchLabels"].get("team"), None);
    // Affinity: the values' node affinity and anti-affinity term, plus the Raft spread.
    assert_eq!(
        spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
            [0]["key"],
        "zone"
    );
    let anti =
        spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"].as_array().unwrap();
    assert_eq!(anti.len(), 2, "{anti:?}");
    assert!(anti.iter().any(|t| t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"));
    assert_eq!(
        spec["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]["app.kubernetes.io/component"],
        "frontend"
    );
    // Service exposure values.
    let svc = &find(&objects, "Service", "-monitord").unwrap().raw;
    assert_eq!(svc["spec"]["loadBalancerIP"], "192.0.2.10");
    assert_eq!(svc["spec"]["loadBalancerClass"], "example.com/lb");
    assert_eq!(svc["spec"]["loadBalancerSourceRanges"], json!(["192.0.2.0/24"]));
    assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
    assert_eq!(svc["metadata"]["annotations"]["metallb.universe.tf/loadBalancerIPs"], "192.0.2.10");
    assert_eq!(svc["metadata"]["annotations"]["owner"], "platform");
}

/// Child processes of a test, ended when it ends (passed or not).
struct Children(Vec<std::process::Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn self_signed(dir: &Path, cn: &str) {
    let o = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
        .args(["-subj", &format!("/CN={cn}"), "-keyout"])
        .arg(dir.join("new.key"))
        .arg("-out")
        .arg(dir.join("new.crt"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // As the kubelet swaps a Secret volume: both files change together.
    std::fs::rename(dir.join("new.key"), dir.join("tls.key")).unwrap();
    std::fs::rename(dir.join("new.crt"), dir.join("tls.crt")).unwrap();
}

/// A TLS client: sends a line, prints the answer and the certificate's subject.
fn tls_call(port: u16) -> Option<String> {
    let o = Command::new("ruby")
        .args(["-rsocket", "-ropenssl", "-e"])
        .arg(
            "ctx = OpenSSL::SSL::SSLContext.new; ctx.verify_mode = OpenSSL::SSL::VERIFY_NONE; \
             s = OpenSSL::SSL::SSLSocket.new(TCPSocket.new('127.0.0.1', ARGV[0].to_i), ctx); s.connect; \
             s.write(\"ping\\n\"); puts s.gets.to_s.strip + ' ' + s.peer_cert.subject.to_s + ' ' + s.ssl_version",
        )
        .arg(port.to_string())
        .output()
        .unwrap();
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// The rendered HAProxy configuration, run for real on loopback by the chart's files/tls-proxy.sh: it passes
/// validation (`haproxy -c`), serves TLS in front of a plain backend, and reloads a renewed certificate.
#[test]
fn the_tls_proxy_serves_tls_and_reloads_a_renewed_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let objects = render("prod-mysql", &exposed("LoadBalancer"), &[], &tmp.path().join("chart"));
    let cfg =
        find(&objects, "ConfigMap", "-config").unwrap().raw["data"]["haproxy-api.cfg"].as_str().unwrap().to_string();
    let tls = tmp.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    self_signed(&tls, "one-first");
    // Loopback ports instead of the container's, the same configuration otherwise.
    let (front, back) = (free_port(), free_port());
    let mut lines = Vec::new();
    for line in cfg.lines() {
        let line = line.replace("/run/onechart/tls", tls.to_str().unwrap());
        lines.push(if line.contains("bind :12633 ") {
            line.replace("bind :12633 ", &format!("bind 127.0.0.1:{front} "))
        } else if line.contains("bind :") {
            let rest = line.split_once("bind :").unwrap().1.split_once(' ').unwrap().1.to_string();
            format!("  bind 127.0.0.1:{} {rest}", free_port())
        } else if line.contains("server oned one-opennebula-leader.cloud.svc:2633 resolvers cluster") {
            // The -leader Service, resolved at run time; here a loopback backend.
            format!("  server oned 127.0.0.1:{back}")
        } else {
            line
        });
    }
    assert!(lines.iter().any(|l| l.contains(&format!("127.0.0.1:{front} ssl crt"))), "{cfg}");
    let cfg_path = tmp.path().join("haproxy.cfg");
    std::fs::write(&cfg_path, lines.join("\n") + "\n").unwrap();
    let o = Command::new("haproxy").arg("-c").arg("-f").arg(&cfg_path).output().unwrap();
    assert!(
        o.status.success(),
        "haproxy -c: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    let mut children = Children(Vec::new());
    // A plain backend standing in for oned: answers each line with `pong <line>`.
    children.0.push(
        Command::new("ruby")
            .args(["-rsocket", "-e", "s = TCPServer.new('127.0.0.1', ARGV[0].to_i); loop { c = s.accept; c.write(\"pong #{c.gets}\"); c.close }"])
            .arg(back.to_string())
            .spawn()
            .unwrap(),
    );
    let log = tmp.path().join("proxy.log");
    children.0.push(
        Command::new("sh")
            .arg(common::root().join("chart-templates/files/tls-proxy.sh"))
            .env("HAPROXY_CONFIG", &cfg_path)
            .env("TLS_DIR", &tls)
            .env("TLS_RELOAD_INTERVAL", "1")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(tmp.path().join("proxy.err")).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut answer = String::new();
    wait_for("the proxy", || {
        answer = tls_call(front).unwrap_or_default();
        !answer.is_empty()
    });
    assert!(answer.starts_with("pong ping") && answer.contains("CN=one-first"), "{answer}");
    assert!(!answer.contains("TLSv1.1") && !answer.contains("SSLv3"), "{answer}");
    self_signed(&tls, "one-renewed");
    wait_for("the renewed certificate", || tls_call(front).is_some_and(|a| a.contains("CN=one-renewed")));
    assert!(std::fs::read_to_string(&log).unwrap().contains("the certificate changed; reloading HAProxy"));
    // SIGTERM ends the script and HAProxy with it.
    let proxy = children.0.pop().unwrap();
    Command::new("kill").arg(proxy.id().to_string()).status().unwrap();
    let mut proxy = proxy;
    let status = proxy.wait().unwrap();
    assert!(status.success(), "{status:?}");
    wait_for("HAProxy to stop", || tls_call(front).is_none());
}

/// `onechart lint --manifests` understands the chart's own layout: the core StatefulSet's `oned` is the only
/// front-end container (the add-ons are Deployments of their own), and the APIs the add-ons' Services publish
/// without TLS are found there (ONE013 on the FireEdge and OneGate Services).
#[test]
fn lint_understands_the_core_and_add_on_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let values = exposed("LoadBalancer").replace("enabled: true", "enabled: false").replace("https://", "http://");
    let objects = render("dev-sqlite", &values, &[], tmp.path());
    let d = onechart::manifest::ManifestCtx::new(&objects);
    let fronts: Vec<String> =
        d.frontends().iter().map(|f| format!("{} {}", objects[f.object].id(), f.container)).collect();
    assert_eq!(fronts, ["StatefulSet/one-opennebula oned"]);
    let published: Vec<String> =
        d.published_apis().iter().map(|p| format!("{} {}", objects[p.object].id(), p.api.describe())).collect();
    for expect in [
        "Service/one-opennebula-fireedge FireEdge",
        "Service/one-opennebula-onegate OneGate",
        "Service/one-opennebula oned XML-RPC",
    ] {
        assert!(published.iter().any(|p| p == expect), "{expect} not in {published:?}");
    }
}

/// `monitord.separateUdpService`: TCP and UDP on two Services of the same type, address and port, for the load
/// balancers that refuse a Service mixing protocols; `onechart lint` (ONE005) takes the pair for one monitord.
#[test]
fn monitord_udp_can_have_a_service_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let values = "monitord: {separateUdpService: true, service: {type: LoadBalancer, loadBalancerIP: 192.0.2.10}}\n";
    let objects = render(
        "prod-mysql",
        &format!(
            "{values}oned: {{hostname: one.example.com}}\nonegate: {{endpoint: https://onegate.example.com:5030}}\nimage: {{repository: registry.example.com/one}}\n"
        ),
        &[],
        tmp.path(),
    );
    let tcp = find(&objects, "Service", "-monitord").unwrap();
    let udp = find(&objects, "Service", "-monitord-udp").unwrap();
    for (svc, proto) in [(tcp, "TCP"), (udp, "UDP")] {
        let ports = svc.raw["spec"]["ports"].as_array().unwrap();
        assert_eq!(ports.len(), 1, "{}", svc.id());
        assert_eq!(ports[0]["protocol"], proto);
        assert_eq!(ports[0]["port"], 4124);
        assert_eq!(svc.raw["spec"]["loadBalancerIP"], "192.0.2.10");
        assert_eq!(svc.raw["spec"]["type"], "LoadBalancer");
    }
    let rendered = tmp.path().join("rendered.yaml");
    let text: Vec<String> = objects.iter().map(|m| serde_json::to_string(&m.raw).unwrap()).collect();
    std::fs::write(&rendered, text.join("\n---\n")).unwrap();
    let o = common::onechart(&["lint", "--manifests", rendered.to_str().unwrap()], &common::root());
    assert!(!common::text(&o).0.contains("ONE005"), "{:?}", common::text(&o));
}
