//! ONE007 `credentials-in-configmap`: a credential would be stored in a ConfigMap or a plain environment value.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::{Manifest, Typed};

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
        manifests: check_manifests,
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

/// True for names like `DB_PASSWORD`, `apiToken`, `ONE_KEY`; false for references to one (`DB_PASSWORD_FILE`).
pub(crate) fn looks_like_credential(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if ["_FILE", "_PATH", "_DIR"].iter().any(|s| n.ends_with(s)) {
        return false;
    }
    ["PASSWORD", "PASSWD", "PASS", "TOKEN", "SECRET", "CREDENTIAL", "PRIVATE_KEY", "API_KEY"]
        .iter()
        .any(|w| n.contains(w))
        || n.ends_with("_KEY")
        || n == "KEY"
}

/// ConfigMaps holding credentials (by key name, a `PASSWD = "..."` literal or a private key), and containers
/// with a literal credential in an environment variable.
fn check_manifests(objects: &[Manifest]) -> Vec<ManifestHit> {
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        if let Typed::ConfigMap(cm) = &m.typed {
            for (key, value) in cm.data.iter().flatten() {
                let reason = if !value.trim().is_empty() && (looks_like_credential(key) || is_one_secret_file(key)) {
                    Some(format!("key `{key}` holds a credential"))
                } else if value.contains("PRIVATE KEY-----") {
                    Some(format!("key `{key}` holds a private key"))
                } else if has_literal_passwd(value) {
                    Some(format!("key `{key}` holds a literal database `PASSWD`"))
                } else {
                    None
                };
                if let Some(r) = reason {
                    hits.push(ManifestHit::new(i, format!("/data/{}", crate::layers::escape(key)), format!("ConfigMap `{}`: {r}", m.name)));
                }
            }
        }
        for (ptr, c) in m.containers() {
            for (j, e) in c.env.iter().flatten().enumerate() {
                if e.value.as_deref().is_some_and(|v| !v.is_empty()) && looks_like_credential(&e.name) {
                    hits.push(ManifestHit::new(i, format!("{ptr}/env/{j}/value"), format!("container `{}` has a literal credential in `{}`", c.name, e.name)));
                }
            }
        }
    }
    hits
}

/// OpenNebula's secret files (`/var/lib/one/.one/*`, SSH keys).
fn is_one_secret_file(key: &str) -> bool {
    key.ends_with("_auth") || ["one_key", "fireedge_key", "id_rsa", "id_ed25519", "id_ecdsa"].contains(&key)
}

/// `PASSWD = "something"` anywhere in the text, with a literal (not a shell expansion) inside the quotes.
fn has_literal_passwd(text: &str) -> bool {
    text.match_indices("PASSWD").any(|(i, _)| {
        let rest = text[i + "PASSWD".len()..].trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix('=') else { return false };
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.strip_prefix('"').is_some_and(|r| !r.starts_with('"') && !r.starts_with('$'))
    })
}
