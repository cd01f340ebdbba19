//! ONE054 `duplicate-inventory-name`: a host or datastore is declared twice.

use std::collections::BTreeSet;

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags a second `hosts` entry with the same `name`, and a second `datastores` entry with the same `name`.
///
/// ## Why is this bad?
/// OpenNebula names are unique per pool. The inventory job would create the first entry and then update it with
/// the second at every run, flipping its settings back and forth; lint rules would judge a datastore that never
/// exists as declared.
///
/// ## In rendered manifests
/// No manifest check: the inventory is onechart values (`hosts`, `datastores`), not Kubernetes objects.
///
/// ## Example
/// ```yaml
/// hosts:
///   - name: kvm1.example.com
///   - name: kvm1.example.com
///     cluster: edge
/// ```
///
/// Use instead:
/// ```yaml
/// hosts:
///   - name: kvm1.example.com
///     cluster: edge
/// ```
    pub static ONE054 = {
        id: "ONE054",
        name: "duplicate-inventory-name",
        level: Error,
        summary: "A host or datastore is declared twice",
        fix: "Keep one entry per name in `hosts` and in `datastores`.",
        check: check,
        install: Install::Template(
            r#"{{- $seen := dict -}}
{{- range $v.hosts -}}
{{- if hasKey $seen (printf "host/%s" .name) -}}{{- $errors = append $errors (printf "ONE054 duplicate-inventory-name: host %s is declared twice" .name) -}}{{- end -}}
{{- $_ := set $seen (printf "host/%s" .name) true -}}
{{- end -}}
{{- range $v.datastores -}}
{{- if hasKey $seen (printf "ds/%s" .name) -}}{{- $errors = append $errors (printf "ONE054 duplicate-inventory-name: datastore %s is declared twice" .name) -}}{{- end -}}
{{- $_ := set $seen (printf "ds/%s" .name) true -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, h) in v.hosts.iter().enumerate() {
        if !seen.insert(h.name.as_str()) {
            hits.push(Hit::at_pointer(format!("/hosts/{i}/name"), format!("host `{}` is declared twice", h.name)));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, d) in v.datastores.iter().enumerate() {
        if !seen.insert(d.name.as_str()) {
            hits.push(Hit::at_pointer(
                format!("/datastores/{i}/name"),
                format!("datastore `{}` is declared twice", d.name),
            ));
        }
    }
    hits
}
