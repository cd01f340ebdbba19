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
