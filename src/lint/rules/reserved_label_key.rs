//! ONE060 `reserved-label-key`: a label or annotation key of the values is one the chart owns.

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::pointer::escape;

/// Prefixes of the keys the chart sets itself (selectors, Helm's bookkeeping, onechart's, config checksums).
const RESERVED: [&str; 4] = ["app.kubernetes.io/", "helm.sh/", "onechart.io/", "checksum/"];

declare_rule! {
/// ## What it does
/// Flags a key of `commonLabels`, `podLabels`, `commonAnnotations` or `podAnnotations` under `app.kubernetes.io/`,
/// `helm.sh/`, `onechart.io/` or `checksum/`.
///
/// ## Why is this bad?
/// The chart sets those keys itself: the selectors (`app.kubernetes.io/instance`, `.../component`), Helm's
/// hooks and resource policy, the Raft leader label, the configuration checksums that roll the pods. The same key
/// twice in one map is a YAML duplicate that a strict parser refuses and Kubernetes resolves silently, and a
/// selector label changed on a StatefulSet makes `helm upgrade` fail (the selector is immutable).
///
/// ## In rendered manifests
/// No manifest check: every render holds those keys, set by the chart; which of them came from the values cannot
/// be told from the render. The chart refuses them at `helm install` (this rule's install-time check).
///
/// ## Example
/// ```yaml
/// commonLabels:
///   app.kubernetes.io/part-of: cloud
/// ```
///
/// Use instead:
/// ```yaml
/// commonLabels:
///   example.com/part-of: cloud
/// ```
    pub static ONE060 = {
        id: "ONE060",
        name: "reserved-label-key",
        level: Error,
        summary: "A label or annotation key of the values is one the chart owns",
        fix: "Choose a key under your own prefix (`example.com/team`); the chart sets the `app.kubernetes.io/`, `helm.sh/`, `onechart.io/` and `checksum/` keys itself.",
        check: check,
        install: Install::Template(
            r#"{{- range $key, $_ := merge (dict) $v.commonLabels $v.podLabels $v.commonAnnotations $v.podAnnotations -}}
{{- if or (hasPrefix "app.kubernetes.io/" $key) (hasPrefix "helm.sh/" $key) (hasPrefix "onechart.io/" $key) (hasPrefix "checksum/" $key) -}}
{{- $errors = append $errors (printf "ONE060 reserved-label-key: label or annotation %s: app.kubernetes.io/, helm.sh/, onechart.io/ and checksum/ keys are the chart's own; choose another key in commonLabels, podLabels, commonAnnotations or podAnnotations" $key) -}}
{{- end -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits = Vec::new();
    for (at, map) in [
        ("commonLabels", &v.common_labels),
        ("podLabels", &v.pod_labels),
        ("commonAnnotations", &v.common_annotations),
        ("podAnnotations", &v.pod_annotations),
    ] {
        for key in map.keys().filter(|k| RESERVED.iter().any(|p| k.starts_with(p))) {
            hits.push(Hit::at_pointer(
                format!("/{at}/{}", escape(key)),
                format!("`{key}` in {at} is a key the chart sets itself"),
            ));
        }
    }
    hits
}
