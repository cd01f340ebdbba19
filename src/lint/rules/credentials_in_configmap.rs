//! ONE007 `credentials-in-configmap`: a credential would be stored in a ConfigMap or a plain environment value.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags an `oned.extraEnv` entry whose name looks like a credential (password, token, secret, key, `PASSWD`)
/// with a literal `value`. In manifest mode it flags ConfigMaps whose keys or contents hold credentials.
///
/// ## Why is this bad?
/// ConfigMaps and literal env values are readable by anyone who can read the pod spec, are not encrypted at rest,
/// and end up in `helm get values` and CI logs. Kubernetes Secrets exist for this.
///
/// ## Example
/// ```yaml
/// oned:
///   extraEnv:
///     - name: LDAP_PASSWORD
///       value: hunter2
/// ```
///
/// Use instead:
/// ```yaml
/// oned:
///   extraEnv:
///     - name: LDAP_PASSWORD
///       valueFrom:
///         secretKeyRef: {name: ldap, key: password}
/// ```
    pub static ONE007 = {
        id: "ONE007",
        name: "credentials-in-configmap",
        level: Error,
        summary: "A credential would be stored in a ConfigMap or a plain environment value",
        fix: "Put the credential in a Secret and reference it (`valueFrom.secretKeyRef`, or the chart's `existingSecret` values).",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    v.oned
        .extra_env
        .iter()
        .enumerate()
        .filter(|(_, e)| e.value.as_deref().is_some_and(|s| !s.is_empty()) && looks_like_credential(&e.name))
        .map(|(i, e)| {
            Hit::at_pointer(
                format!("/oned/extraEnv/{i}/value"),
                format!("environment variable `{}` holds a literal credential", e.name),
            )
        })
        .collect()
}

/// True for names like `DB_PASSWORD`, `apiToken`, `ONE_KEY`.
pub(crate) fn looks_like_credential(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["PASSWORD", "PASSWD", "PASS", "TOKEN", "SECRET", "CREDENTIAL", "PRIVATE_KEY", "API_KEY"]
        .iter()
        .any(|w| n.contains(w))
        || n.ends_with("_KEY")
        || n == "KEY"
}
