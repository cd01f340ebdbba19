//! `onechart lint --manifests` on real input: Helm's empty and comment-only documents, `kind: List`, JSON, CRLF,
//! custom resources and CRDs, several files and directories read as one deployment, stdin, and the input errors
//! a failed `helm template` or a wrong argument give.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{onechart, text};
use serde_json::Value;

const PRIVILEGED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: one
spec:
  selector:
    matchLabels: {app: one}
  template:
    metadata:
      labels: {app: one}
    spec:
      containers:
        - name: oned
          image: opennebula/opennebula:7.4.0
          securityContext:
            privileged: true
";

fn json(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let o = onechart(&all, dir);
    let (out, err) = text(&o);
    let v = serde_json::from_str(&out).unwrap_or(Value::Null);
    (o.status.code(), v, err)
}

fn findings(v: &Value, id: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == id)
        .map(|f| format!("{}:{}:{}", f["file"].as_str().unwrap(), f["line"], f["column"]))
        .collect()
}

fn stdin_lint(input: &[u8]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onechart"))
        .args(["lint", "--manifests", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let o = child.wait_with_output().unwrap();
    let (out, err) = text(&o);
    (o.status.code(), out, err)
}

#[test]
fn helm_output_with_empty_and_comment_only_documents_is_read() {
    let stream = format!(
        "---\n# Source: chart/templates/empty.yaml\n---\n---\n# Source: chart/templates/d.yaml\n{PRIVILEGED}---\n"
    );
    let (code, out, err) = stdin_lint(stream.as_bytes());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("<stdin>:21:25: warning[ONE015]"), "{out}");
}

#[test]
fn an_empty_stdin_is_an_input_error() {
    for input in ["", "---\n# Source: chart/templates/x.yaml\n---\n"] {
        let (code, out, err) = stdin_lint(input.as_bytes());
        assert_eq!(code, Some(2), "{input:?}: {out}{err}");
        assert!(
            err.contains("<stdin>: error: no Kubernetes objects in the input; did the command before the pipe"),
            "{err}"
        );
        assert!(!out.contains("Found 0 errors"), "{out}");
    }
}

#[test]
fn list_items_json_and_crlf_are_checked_at_their_positions() {
    let tmp = tempfile::tempdir().unwrap();
    let item: String = PRIVILEGED.lines().map(|l| format!("    {l}\n")).collect();
    let list = format!("apiVersion: v1\nkind: List\nitems:\n  -\n{item}");
    std::fs::write(tmp.path().join("list.yaml"), &list).unwrap();
    let (code, v, err) = json(tmp.path(), &["--manifests", "list.yaml"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(findings(&v, "ONE015"), ["list.yaml:20:29"]);

    let cm_list = "apiVersion: v1\nkind: ConfigMapList\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n    data:\n      one_auth: \"oneadmin:Kfj92jfaLq0x\"\n";
    std::fs::write(tmp.path().join("cms.yaml"), cm_list).unwrap();
    let (_, v, _) = json(tmp.path(), &["--manifests", "cms.yaml"]);
    assert_eq!(findings(&v, "ONE007"), ["cms.yaml:8:17"]);

    // `kubectl get -o json` output.
    let doc: Value = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "one"},
        "spec": {"selector": {"matchLabels": {"app": "one"}}, "template": {"metadata": {"labels": {"app": "one"}},
            "spec": {"containers": [{"name": "oned", "image": "opennebula/opennebula:7.4.0",
                "securityContext": {"privileged": true}}]}}}}]});
    std::fs::write(tmp.path().join("get.json"), serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let (code, v, err) = json(tmp.path(), &["--manifests", "get.json"]);
    assert_eq!(code, Some(0), "{err}");
    let at = findings(&v, "ONE015");
    assert_eq!(at.len(), 1, "{v:#}");
    let line: usize = at[0].split(':').nth(1).unwrap().parse().unwrap();
    let text = std::fs::read_to_string(tmp.path().join("get.json")).unwrap();
    assert!(text.lines().nth(line - 1).unwrap().contains("\"privileged\": true"), "{at:?}");

    std::fs::write(tmp.path().join("crlf.yaml"), PRIVILEGED.replace('\n', "\r\n")).unwrap();
    let (_, v, _) = json(tmp.path(), &["--manifests", "crlf.yaml"]);
    assert_eq!(findings(&v, "ONE015"), ["crlf.yaml:16:25"]);
}

#[test]
fn custom_resources_and_crds_are_counted_not_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.org}
spec: {group: example.org}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: gate}
spec: {secretName: gate-tls}
---
apiVersion: example.org/v1
kind: Widget
metadata: {name: w}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: x, image: x:latest, securityContext: {privileged: true}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: gate}
spec:
  tls: [{hosts: [gate.example.com], secretName: gate-tls}]
  rules: []
";
    std::fs::write(tmp.path().join("crs.yaml"), stream).unwrap();
    let (code, v, err) = json(tmp.path(), &["--manifests", "crs.yaml", "--deny-warnings"]);
    assert_eq!(code, Some(0), "{v:#}{err}");
    assert_eq!(v["summary"]["notChecked"], 3);
    assert_eq!(v["findings"], serde_json::json!([]), "the Certificate provides the Ingress's TLS Secret");
    let o = onechart(&["lint", "--manifests", "crs.yaml"], tmp.path());
    let (out, _) = text(&o);
    assert!(out.trim_end().ends_with("Found 0 errors, 0 warnings (3 custom resources or CRDs not checked)"), "{out}");
}

#[test]
fn several_files_and_directories_are_one_deployment() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("out/chart/templates")).unwrap();
    std::fs::write(
        d.join("out/chart/templates/secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: one-db}\nstringData: {password: Hx7k2Lq9wZ}\n",
    )
    .unwrap();
    std::fs::write(d.join("out/chart/templates/notes.txt"), "not YAML {{ }}").unwrap();
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: oned
      image: example.org/opennebula:7.4.0
      env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: one-db, key: password}}
";
    std::fs::write(d.join("pod.yaml"), pod).unwrap();
    let (code, v, err) = json(d, &["--manifests", "pod.yaml", "--manifests", "out", "--deny-warnings"]);
    assert_eq!(code, Some(0), "{v:#}{err}");
    let (code, v, _) = json(d, &["--manifests", "pod.yaml"]);
    assert_eq!(code, Some(0));
    assert_eq!(findings(&v, "ONE030"), ["pod.yaml:10:44"], "alone, the Secret is missing");
}

#[test]
fn wrong_arguments_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("prometheus/templates")).unwrap();
    std::fs::write(d.join("prometheus/Chart.yaml"), "apiVersion: v2\nname: prometheus\nversion: 1.0.0\n").unwrap();
    std::fs::write(d.join("prometheus/values.yaml"), "server: {enabled: true}\n").unwrap();
    // A foreign chart given as values: lint what it renders.
    let o = onechart(&["lint", "prometheus"], d);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("prometheus: error: is a Helm chart onechart did not generate: lint what it renders, `helm template RELEASE prometheus -f VALUES | onechart lint --manifests -`"), "{err}");
    // A chart directory given to --manifests.
    let o = onechart(&["lint", "--manifests", "prometheus"], d);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("is a Helm chart, not rendered manifests: render it first"), "{err}");
    // A values file given to --manifests.
    std::fs::write(d.join("site.yaml"), "oned:\n  replicas: 3\n").unwrap();
    let o = onechart(&["lint", "--manifests", "site.yaml"], d);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("site.yaml:1:1: error: not a Kubernetes object: it has no `kind`"), "{err}");
}

#[test]
fn the_corpus_shapes_are_reported_inside_embedded_files() {
    // A stock-looking oned.conf: a commented sample password is not a credential; the live attributes are
    // reported at their own line inside the block scalar.
    let tmp = tempfile::tempdir().unwrap();
    let stream = "apiVersion: v1
kind: ConfigMap
metadata: {name: one}
data:
  oned.conf: |+

    #  DB = [ BACKEND = \"mysql\",
    #         PASSWD  = \"oneadmin\" ]
    DB = [ BACKEND = \"sqlite\" ]
    HOSTNAME = \"localhost\"
  monitord.conf: |
    NETWORK = [ ADDRESS = \"0.0.0.0\", MONITOR_ADDRESS = \"auto\" ]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: one}
spec:
  replicas: 3
  serviceName: one
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: one}}
    spec:
      containers:
        - name: oned
          image: opennebula/opennebula:7.4.0
          env: [{name: DB_BACKEND, value: mysql}]
          volumeMounts:
            - {name: config, mountPath: /config}
            - {name: config, mountPath: /etc/one/monitord.conf, subPath: monitord.conf}
            - {name: shared, mountPath: /var/lib/one/vms}
      volumes:
        - name: config
          configMap: {name: one}
        - name: shared
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata: {name: one}
spec: {clusterIP: None, selector: {app: one}, ports: [{name: xmlrpc, port: 2633}]}
";
    std::fs::write(tmp.path().join("s.yaml"), stream).unwrap();
    let (code, v, err) = json(tmp.path(), &["--manifests", "s.yaml"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(findings(&v, "ONE007"), Vec::<String>::new(), "a commented sample is not a credential");
    assert_eq!(findings(&v, "ONE025"), ["s.yaml:10:16"]);
    assert_eq!(findings(&v, "ONE004"), ["s.yaml:12:56"]);
    assert_eq!(findings(&v, "ONE002"), Vec::<String>::new(), "DB_BACKEND overrides oned.conf's DB");
    assert_eq!(findings(&v, "ONE010"), ["s.yaml:36:21"], "VM files on an emptyDir, as kvaps's `shared`");
}

#[test]
fn secrets_a_job_of_the_stream_creates_are_not_dangling() {
    // The shape of an install-time job that creates the chart's Secrets in the cluster: a Role that may create
    // Secrets and names the ones it manages, and pods that mount them.
    let tmp = tempfile::tempdir().unwrap();
    let stream = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: one-secrets}
rules:
  - apiGroups: [\"\"]
    resources: [secrets]
    verbs: [create]
  - apiGroups: [\"\"]
    resources: [secrets]
    resourceNames: [one-auth, one-db]
    verbs: [get, patch]
---
apiVersion: batch/v1
kind: Job
metadata: {name: one-secrets}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: make, image: example.org/kubectl:1.31, args: [--names, one-auth,one-db]}]
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: oned
      image: example.org/opennebula:7.4.0
      volumeMounts: [{name: auth, mountPath: /auth}]
      env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: one-db, key: password}}
  volumes:
    - name: auth
      secret: {secretName: one-auth}
";
    std::fs::write(tmp.path().join("s.yaml"), stream).unwrap();
    let (code, v, err) = json(tmp.path(), &["--manifests", "s.yaml", "--deny-warnings"]);
    assert_eq!(code, Some(0), "{v:#}{err}");
    // Without the Role, nothing says the Secrets will exist: each is a warning.
    let without: String = stream.split("---\n").skip(1).collect::<Vec<_>>().join("---\n");
    std::fs::write(tmp.path().join("s.yaml"), without).unwrap();
    let (code, v, _) = json(tmp.path(), &["--manifests", "s.yaml"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["summary"]["warnings"], 2, "{v:#}");
}

#[test]
fn manifest_findings_are_valid_sarif() {
    let text = std::fs::read_to_string(common::tool("sarif-2.1.0.json"))
        .unwrap()
        .replace(r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = common::root().join("tests/fixtures/manifests");
    let o = onechart(
        &["lint", "--format", "sarif", "--manifests", "ONE026/bad.yaml", "--manifests", "ONE004/bad.yaml"],
        &dir,
    );
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "ONE004").unwrap();
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 11, "startColumn": 25})
    );
}
