//! ONE011 `default-credentials`: a password is a well-known default.

use crate::declare_rule;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags `auth.oneadminPassword`, `auth.serveradminPassword` or `database.mysql.password` equal to a well-known
/// default such as `opennebula`, `oneadmin`, `password`, `admin` or `changeme`.
///
/// ## Why is this bad?
/// These are the first passwords anyone tries; several OpenNebula images and charts ship them as defaults, so
/// they are in every scanner's list.
///
/// ## In rendered manifests
/// Checked: Secret values (`data`, decoded, and `stringData`) under a key named like a credential (`*password*`,
/// `*passwd*`, `*_auth` files as `user:password`), literal values of environment variables named like one, and
/// literal `PASSWD` attributes of an embedded oned.conf, equal to one of the defaults above.
///
/// ## At install time
/// The chart refuses these passwords given at install time, however given (a values file, `--set-file`),
/// case-insensitively, as `generate` does.
///
/// ## Example
/// ```yaml
/// auth:
///   oneadminPassword: opennebula
/// ```
///
/// Use instead:
/// ```yaml
/// auth:
///   oneadminPassword: ""   # generated at install time and kept
/// ```
    pub static ONE011 = {
        id: "ONE011",
        name: "default-credentials",
        level: Error,
        summary: "A password is a well-known default",
        fix: "Leave the password empty (one is generated and kept) or use an `existingSecret`.",
        check: check,
        manifests: check_manifests, reads: [ConfigData, Workloads],
        manifest_fix: "Replace the default with a generated password (create the Secret outside the chart or from a generator), and change it in OpenNebula too (`oneuser passwd`).",
        install: Install::Template(INSTALL),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    [
        ("auth.oneadminPassword", &v.auth.oneadmin_password),
        ("auth.serveradminPassword", &v.auth.serveradmin_password),
        ("database.mysql.password", &v.database.mysql.password),
    ]
    .into_iter()
    .filter(|(_, pw)| DEFAULTS.contains(&pw.to_lowercase().as_str()))
    .map(|(path, _)| Hit::at(path, format!("`{path}` is a well-known default password")))
    .collect()
}

/// The same check at install time (`helm install --set auth.oneadminPassword=password`): the list is
/// [`DEFAULTS`] (a test keeps them equal).
const INSTALL: &str = r#"{{- $defaults := list "opennebula" "oneadmin" "serveradmin" "password" "passw0rd" "admin" "changeme" "changeme123" "root" "toor" "secret" "123456" "12345678" "mysql" "mariadb" "default" "test" -}}
{{- range $path, $pw := dict "auth.oneadminPassword" $v.auth.oneadminPassword "auth.serveradminPassword" $v.auth.serveradminPassword "database.mysql.password" $v.database.mysql.password -}}
{{- if and $pw (has (lower (toString $pw)) $defaults) -}}
{{- $errors = append $errors (printf "ONE011 default-credentials: %s is a well-known default password; leave it empty (one is generated and kept) or use an existingSecret" $path) -}}
{{- end -}}
{{- end -}}"#;

/// Passwords every scanner tries first.
const DEFAULTS: &[&str] = &[
    "opennebula",
    "oneadmin",
    "serveradmin",
    "password",
    "passw0rd",
    "admin",
    "changeme",
    "changeme123",
    "root",
    "toor",
    "secret",
    "123456",
    "12345678",
    "mysql",
    "mariadb",
    "default",
    "test",
];

/// The password part of a credential value: `user:password` in OpenNebula's `*_auth` files, else the value.
fn password_of<'a>(key: &str, value: &'a str) -> &'a str {
    let v = value.trim_end_matches(['\n', '\r']);
    if key.ends_with("auth") { v.split_once(':').map_or(v, |(_, p)| p) } else { v }
}

/// The Secret keys the Secret part of the check reported.
fn hits_on_secret_keys(d: &ManifestCtx<'_>, hits: &[ManifestHit]) -> std::collections::HashSet<usize> {
    hits.iter().filter_map(|h| d.files.iter().position(|f| f.object == h.object && f.pointer == h.pointer)).collect()
}

fn is_default(pw: &str) -> bool {
    DEFAULTS.contains(&pw.to_lowercase().as_str())
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (f, file) in d.files.iter().enumerate() {
        let m = &objects[file.object];
        let k = file.key.to_ascii_lowercase();
        if m.kind == "Secret" && (k.contains("password") || k.contains("passwd") || k.ends_with("auth")) {
            let pw = password_of(&k, &file.text);
            if is_default(pw) {
                hits.push(ManifestHit::new(
                    file.object,
                    file.pointer.clone(),
                    format!("Secret `{}` key `{}` is the well-known default password `{pw}`", m.name, file.key),
                ));
            }
        }
        if d.kind_of(f) == Some(Kind::Oned)
            && let Some(pw) = d.template(f).and_then(|t| t.vector("DB").and_then(|v| v.get("PASSWD").cloned()))
            && is_default(&pw.text)
        {
            hits.push(hit_at(d, &Found::File { file: f, pos: pw.pos }, |note| {
                format!("oned.conf's database `PASSWD` is the well-known default `{}`{note}", pw.text)
            }));
        }
    }
    // Environment variables: literal values, and keys of ConfigMaps (and Secrets) they read through `valueFrom`
    // or `envFrom`; a Secret key already reported above is not reported again.
    let mut reported: std::collections::HashSet<usize> = hits_on_secret_keys(d, &hits);
    for i in 0..objects.len() {
        for (ptr, c) in d.containers(i) {
            for var in d.env(i, ptr) {
                let (Some(v), Some(found)) = (var.value.as_deref(), var.found.as_ref()) else { continue };
                if !super::credentials_in_configmap::holds_credential(&var.name, v) || !is_default(v) {
                    continue;
                }
                if let Found::Key { file } = found
                    && !reported.insert(*file)
                {
                    continue;
                }
                hits.push(hit_at(d, found, |note| {
                    format!("`{}` of container `{}` is the well-known default password `{v}`{note}", var.name, c.name)
                }));
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_install_check_knows_the_same_defaults() {
        let listed = super::INSTALL.lines().next().unwrap();
        let words: Vec<&str> = listed.split('"').skip(1).step_by(2).collect();
        assert_eq!(words, super::DEFAULTS);
    }
}
