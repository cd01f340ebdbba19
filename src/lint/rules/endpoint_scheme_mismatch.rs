//! ONE052 `endpoint-scheme-mismatch`: an advertised endpoint is `http://` while its Service is published with TLS.

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// With `tls.enabled`, flags `onegate.endpoint` when the OneGate Service is a `NodePort` or `LoadBalancer`, and
/// `fireedge.publicEndpoint` when FireEdge is published by such a Service or the Ingress, if the URL does not
/// start with `https://`.
///
/// ## Why is this bad?
/// Published with TLS, these Services serve only TLS. VMs read `ONEGATE_ENDPOINT` from their context and would
/// speak plain HTTP to a TLS port; browsers would be sent to a URL that does not answer.
///
/// ## In rendered manifests
/// No manifest check: whether a Service port is served with TLS is known only for the chart's own values; a foreign chart's `ONEGATE_ENDPOINT` is checked by ONE018.
///
/// ## Example
/// ```yaml
/// tls:
///   enabled: true
///   secretName: opennebula-tls
/// onegate:
///   endpoint: http://onegate.example.com:5030
///   service:
///     type: LoadBalancer
/// ```
///
/// Use instead:
/// ```yaml
/// tls:
///   enabled: true
///   secretName: opennebula-tls
/// onegate:
///   endpoint: https://onegate.example.com:5030
///   service:
///     type: LoadBalancer
/// ```
    pub static ONE052 = {
        id: "ONE052",
        name: "endpoint-scheme-mismatch",
        level: Error,
        summary: "An advertised endpoint is `http://` while its Service is published with TLS",
        fix: "Write the endpoint with `https://` (the Service publishes only TLS), or keep the Service `ClusterIP`.",
        check: check,
        install: Install::Template(
            r#"{{- if and $v.onegate.enabled $v.onegate.endpoint (include "opennebula.tlsExposed" (dict "root" . "type" $v.onegate.service.type)) (not (hasPrefix "https://" $v.onegate.endpoint)) -}}
{{- $errors = append $errors "ONE052 endpoint-scheme-mismatch: OneGate is published with TLS but onegate.endpoint is not https://; VMs would speak plain HTTP to a TLS port" -}}
{{- end -}}
{{- if and $v.fireedge.enabled $v.fireedge.publicEndpoint (or $v.ingress.enabled (include "opennebula.tlsExposed" (dict "root" . "type" $v.fireedge.service.type))) $v.tls.enabled (not (hasPrefix "https://" $v.fireedge.publicEndpoint)) -}}
{{- $errors = append $errors "ONE052 endpoint-scheme-mismatch: FireEdge is published with TLS but fireedge.publicEndpoint is not https://" -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if !v.tls.enabled {
        return vec![];
    }
    let mut hits = Vec::new();
    let plain = |url: &str| !url.is_empty() && !url.starts_with("https://");
    if v.onegate.enabled && v.onegate.service.type_.is_external() && plain(&v.onegate.endpoint) {
        hits.push(Hit::at(
            "onegate.endpoint",
            format!("`onegate.endpoint` is `{}` but OneGate is published with TLS", v.onegate.endpoint),
        ));
    }
    let fireedge_tls = v.fireedge.service.type_.is_external() || v.ingress.enabled;
    if v.fireedge.enabled && fireedge_tls && plain(&v.fireedge.public_endpoint) {
        hits.push(Hit::at(
            "fireedge.publicEndpoint",
            format!("`fireedge.publicEndpoint` is `{}` but FireEdge is published with TLS", v.fireedge.public_endpoint),
        ));
    }
    hits
}
