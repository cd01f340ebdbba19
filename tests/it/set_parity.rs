//! `--set` parity with Helm: for each argument, the values onechart reads are the values Helm 3 and Helm 4 give
//! a chart (`helm template --set`, dumped with `toJson`), and what Helm refuses onechart refuses.

use crate::common;

use std::process::Command;

use common::tool;
use serde_json::Value;

fn chart(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: dump\nversion: 0.1.0\n").unwrap();
    std::fs::write(dir.join("values.yaml"), "").unwrap();
    std::fs::write(
        dir.join("templates/values.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n  values: {{ toJson .Values | quote }}\n",
    )
    .unwrap();
}

/// The values Helm gives the chart for `--set arg`, or `None` when Helm refuses it.
fn helm_values(helm: &std::path::Path, chart: &std::path::Path, arg: &str) -> Option<Value> {
    let o = Command::new(helm).args(["template", "x"]).arg(chart).args(["--set", arg]).output().unwrap();
    if !o.status.success() {
        return None;
    }
    let text = String::from_utf8(o.stdout).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("values: ")).unwrap();
    let quoted = line.trim_start().strip_prefix("values: ").unwrap();
    let json: String = serde_json::from_str(quoted).unwrap();
    Some(serde_json::from_str(&json).unwrap())
}

#[test]
fn set_parses_like_helm_3_and_4() {
    let tmp = tempfile::tempdir().unwrap();
    chart(tmp.path());
    let cases = [
        "a.b=c",
        "a=1,b=007,c=-5,d=+5,e=1.5,f=TRUE,g=False,h=0,i=9223372036854775808",
        "a={x,y},b=2",
        "list[0]=x,list[2]=z",
        "servers[0].port=80,servers[0].host=h,servers[1].port=81",
        "a\\.b=c,d=x\\,y,e=p\\=q",
        "nested[0][1]=q",
        "a=",
        "k={}",
        "a.b.c.d=deep,a.b.e=1",
        "=1,z=2",
        "a=1,",
        "s=hello world,t=x=y",
        // What Helm refuses.
        "oned..replicas=3",
        "novalue",
        "a,b=1",
        "a=1,,b=2",
        "a={x",
        "a[x]=1",
        "a[-1]=1",
        "a=1,a.b=2",
        "a.b=1,a[0]=2",
        "a.=1",
        "a[0]x=1",
    ];
    let mut refused = 0;
    for helm in ["helm3", "helm4"] {
        let helm = tool(helm);
        for arg in cases {
            let ours = onechart::layers::parse_set(&[arg.to_string()]).map(|l| l.value);
            match (helm_values(&helm, tmp.path(), arg), ours) {
                (Some(h), Ok(o)) => assert_eq!(o, h, "{}: --set {arg}", helm.display()),
                (None, Err(_)) => refused += 1,
                (h, o) => panic!("{}: --set {arg}: Helm gives {h:?}, onechart {o:?}", helm.display()),
            }
        }
    }
    assert_eq!(refused, 2 * 11, "the refused cases are refused by both Helm versions");
}

/// Issue 18, item 5: a `null` in a values file or `--set` deletes a chart default, exactly as Helm 3 and 4
/// coalesce user values over a chart's values.yaml (and a `null` for a key the chart has not stays `null`).
#[test]
fn null_deletes_defaults_like_helm_3_and_4() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chart");
    chart(&dir);
    let defaults =
        "a:\n  b: 1\n  c: 2\n  d:\n    e: 3\nlist: [1, 2]\nres:\n  limits:\n    cpu: \"2\"\n    memory: 4Gi\n";
    std::fs::write(dir.join("values.yaml"), defaults).unwrap();
    let files = [
        ("f1.yaml", "a:\n  c: 5\n"),
        ("f2.yaml", "a:\n  c: null\n"),
        ("f3.yaml", "z: null\na:\n  x: null\n  b: {q: 1}\n"),
        ("f4.yaml", "a: null\n"),
        ("f5.yaml", "res:\n  limits:\n    cpu: null\n"),
    ];
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let cases: [&[&str]; 9] = [
        &["-f", "f2.yaml"],
        &["-f", "f1.yaml", "-f", "f2.yaml"],
        &["-f", "f2.yaml", "-f", "f1.yaml"],
        &["-f", "f3.yaml"],
        &["--set", "a.b=null"],
        &["--set", "a=null"],
        &["-f", "f2.yaml", "--set", "a.c=7"],
        &["-f", "f5.yaml"],
        &["-f", "f4.yaml", "-f", "f1.yaml"],
    ];
    let chart_layer = {
        let src = onechart::source::SourceFile::from_text("values.yaml", defaults);
        let (root, q) = onechart::yaml::parse_mapping(src.clone()).unwrap();
        onechart::layers::Layer::from_node(src, &root, q)
    };
    for helm in ["helm3", "helm4"] {
        let helm = tool(helm);
        for args in cases {
            let o = Command::new(&helm).args(["template", "x"]).arg(&dir).args(args).current_dir(tmp.path()).output();
            let o = o.unwrap();
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
            let text = String::from_utf8(o.stdout).unwrap();
            let line = text.lines().find(|l| l.trim_start().starts_with("values: ")).unwrap();
            let json: String = serde_json::from_str(line.trim_start().strip_prefix("values: ").unwrap()).unwrap();
            let helm_values: Value = serde_json::from_str(&json).unwrap();
            let mut user = Vec::new();
            let mut sets = Vec::new();
            for pair in args.chunks(2) {
                match pair[0] {
                    "-f" => user.push(onechart::layers::Layer::read(&tmp.path().join(pair[1])).unwrap()),
                    _ => sets.push(pair[1].to_string()),
                }
            }
            user.push(onechart::layers::parse_set(&sets).unwrap());
            let ours = onechart::layers::Merged::from_defaults_and_user([&chart_layer], user.iter());
            assert_eq!(ours.value, helm_values, "{}: {args:?}", helm.display());
        }
    }
}
