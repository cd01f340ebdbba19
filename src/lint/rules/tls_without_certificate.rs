//! ONE050 `tls-without-certificate`: `tls.enabled` with no certificate to serve.

use crate::declare_rule;
use crate::lint::install::{Cond, Install};
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `tls.enabled: true` when neither `tls.secretName` nor `tls.certManager.issuerName` is set.
///
/// ## Why is this bad?
/// The TLS proxy of every member (and the Ingress) needs a certificate. Without a Secret of your own or a
/// cert-manager issuer to make one, the chart would mount a Secret nobody creates and the members would never
/// start.
///
/// ## In rendered manifests
/// No manifest check: in rendered manifests a missing certificate Secret is a reference the stream does not hold, which ONE030 reports.
///
/// ## Example
/// ```yaml
/// tls:
///   enabled: true
/// ```
///
/// Use instead:
/// ```yaml
/// tls:
///   enabled: true
///   certManager:
///     issuerName: letsencrypt
/// ```
    pub static ONE050 = {
        id: "ONE050",
        name: "tls-without-certificate",
        level: Error,
        summary: "TLS is enabled without a certificate",
        fix: "Set `tls.secretName` to a `kubernetes.io/tls` Secret, or `tls.certManager.issuerName` to a cert-manager Issuer or ClusterIssuer.",
        check: check,
        install: Install::When {
            when: Cond::And(&[
                Cond::Truthy("tls.enabled"),
                Cond::Falsy("tls.secretName"),
                Cond::Falsy("tls.certManager.issuerName"),
            ]),
            message: "tls.enabled needs a certificate; set tls.secretName to a kubernetes.io/tls Secret or tls.certManager.issuerName",
            args: &[],
            only_if: None,
        },
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    if v.tls.enabled && v.tls.secret_name.is_empty() && v.tls.cert_manager.issuer_name.is_empty() {
        return vec![Hit::at(
            "tls.enabled",
            "`tls.enabled` is true but neither `tls.secretName` nor `tls.certManager.issuerName` is set",
        )];
    }
    vec![]
}
