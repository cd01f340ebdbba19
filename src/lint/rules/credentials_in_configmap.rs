//! ONE007 `credentials-in-configmap`: a credential would be stored in a ConfigMap or a plain environment value.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::pointer::escape;
use crate::yaml::{self, Pos};

declare_rule! {
/// ## What it does
/// Flags an `extraEnv` entry (`oned.extraEnv`, `onegate.extraEnv`, ...) whose name looks like a credential (password, token, secret, key, `PASSWD`)
/// with a literal `value`, a setting of OpenNebula's configuration files (`config.*`: oned.conf,
/// monitord.conf, the drivers' remotes/etc, the services' YAML) named like one with a literal value (those files
/// are ConfigMap data), and a datastore attribute named like one (`RESTIC_PASSWORD`: use `secretAttributes`). A URL
/// with a literal password in its user information (`https://ACCESSKEY:SECRETKEY@host`, as the MinIO client reads
/// `MC_HOST_<alias>`) is a credential whatever the variable's name, in any `extraEnv` value and in
/// `backup.offsite.container.command`. In manifest mode it flags ConfigMaps whose keys or contents hold credentials.
///
/// ## Why is this bad?
/// ConfigMaps and literal env values are readable by anyone who can read the pod spec, are not encrypted at rest,
/// and end up in `helm get values` and CI logs. Kubernetes Secrets exist for this.
///
/// ## In rendered manifests
/// Checked: ConfigMap keys named like a credential (`*_auth`, `one_key`, `id_rsa`, `*password*`...) or holding a private key; a literal password inside a ConfigMap's configuration file (a `PASSWD`/`PASSWORD` attribute of an OpenNebula template, whose comments are not read; a `password` key of a service's YAML; `PASSWD = "..."` on an uncommented line elsewhere), reported at its line; literal values of environment variables named like a credential; and a URL with a literal password (`scheme://user:password@host`) in any container's environment value, `command` or `args`.
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
///
/// A URL's password the same way: `MC_HOST_s3` whole from a Secret (`valueFrom.secretKeyRef`), or the password
/// alone in a variable from a Secret that the URL names as `$(S3_SECRET_KEY)` (Kubernetes fills in `$(NAME)` in
/// `value`, `command` and `args`; in a `value`, only from variables defined earlier in the same `env` list).
    pub static ONE007 = {
        id: "ONE007",
        name: "credentials-in-configmap",
        level: Error,
        summary: "A credential would be stored in a ConfigMap or a plain environment value",
        fix: "Put the credential in a Secret and reference it (`valueFrom.secretKeyRef`, written `$(NAME)` inside a URL or a command, or the chart's `existingSecret` values).",
        check: check,
        manifests: check_manifests, reads: [ConfigData, Workloads],
        manifest_fix: "Move the credential into a Secret and reference it (`valueFrom.secretKeyRef`, written `$(NAME)` inside a URL or a command, a Secret volume, or a `*_FILE` variable pointing at a mounted Secret key).",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let mut hits: Vec<Hit> = crate::lint::rules::duplicate_pod_names::extra_envs(v)
        .into_iter()
        .flat_map(|(at, list, _)| {
            list.iter().enumerate().filter_map(move |(i, e)| {
                let value = e.value.as_deref()?;
                let what = if holds_credential(&e.name, value) {
                    "a literal credential"
                } else if url_password(value).is_some() {
                    "a URL with a literal password (`user:password@`)"
                } else {
                    return None;
                };
                Some(Hit::at_pointer(
                    format!("{at}/{i}/value"),
                    format!("environment variable `{}` holds {what}", e.name),
                ))
            })
        })
        .collect();
    for (i, arg) in v.backup.offsite.container.command.iter().enumerate() {
        if url_password(arg).is_some() {
            hits.push(Hit::at_pointer(
                format!("/backup/offsite/container/command/{i}"),
                format!(
                    "`backup.offsite.container.command[{i}]` holds a URL with a literal password (`user:password@`), \
                     which anyone who can read the pod spec reads"
                ),
            ));
        }
    }
    if let Ok(config) = serde_json::to_value(&v.config) {
        config_credentials(&config, "/config", &mut hits);
    }
    for (i, d) in v.datastores.iter().enumerate() {
        for (k, value) in &d.attributes {
            if holds_credential(k, value) {
                hits.push(Hit::at_pointer(
                    format!("/datastores/{i}/attributes/{}", escape(k)),
                    format!("datastore attribute `{k}` holds a literal credential (use `secretAttributes`)"),
                ));
            }
        }
    }
    hits
}

/// Settings of `config.*` named like a credential with a literal value (a key's leading `:`, a Ruby symbol, does
/// not count; an on/off switch or a policy, `PASSWORD_MIN_LENGTH: 8`, is no credential: [`holds_credential`]).
fn config_credentials(node: &serde_json::Value, pointer: &str, hits: &mut Vec<Hit>) {
    use serde_json::Value;
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{pointer}/{}", escape(k));
                let literal = match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                if literal.is_some_and(|text| holds_credential(k.trim_start_matches(':'), &text)) {
                    hits.push(Hit::at_pointer(
                        here,
                        format!("configuration setting `{k}` holds a literal credential in a ConfigMap"),
                    ));
                } else {
                    config_credentials(v, &here, hits);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                config_credentials(v, &format!("{pointer}/{i}"), hits);
            }
        }
        _ => {}
    }
}

/// Where a text holds a URL whose user information has a literal password (`https://ACCESSKEY:SECRETKEY@host`,
/// the MinIO client's `MC_HOST_<alias>`, `mysql://user:pw@db/one`): the byte range of the password. A password
/// that is a reference is none (`$(NAME)`, which Kubernetes fills in; `${NAME}`, `$NAME`, the shell's), nor is
/// a user alone (`ssh://oneadmin@host`), a port (`https://host:8443/a@b`) or an IPv6 address (`http://[::1]:80/a@b`).
pub(crate) fn url_password(text: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let scheme = text[..from + i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
        let start = from + i + 3;
        from = start;
        // The authority ends at a space or a quote; a password may hold `/` (an S3 secret key does).
        let rest = &text[start..];
        let rest =
            &rest[..rest.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`')).unwrap_or(rest.len())];
        let Some(at) = rest.find('@') else { continue };
        let Some(colon) = rest[..at].find(':') else { continue };
        let (user, password) = (&rest[..colon], &rest[colon + 1..at]);
        // `host:8443/a@b`: a port, then a path holding `@`. An all-digit password with no path after it
        // (`https://AK:123456@s3`) is a password.
        let port =
            password.split_once('/').is_some_and(|(p, _)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        // `http://[::1]:8080/x@y`: an IPv6 address, not a user.
        let user_like = !user.contains(['/', '?', '#', '[']);
        if scheme && user_like && !password.is_empty() && !password.starts_with('$') && !port {
            return Some(start + colon + 1..start + at);
        }
    }
    None
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

/// True when a name and value hold a credential: the name looks like one, and it is not a setting about
/// credentials (`ALLOW_EMPTY_PASSWORD=no`, `PASSWORD_CHANGE=YES`, `TOKEN_EXPIRATION=3600`): an on/off switch or
/// a policy, whose value is no secret.
pub(crate) fn holds_credential(name: &str, value: &str) -> bool {
    if value.trim().is_empty() || !looks_like_credential(name) {
        return false;
    }
    // The name's words (`ALLOW_EMPTY_PASSWORD`, `passwordMinLength`, `TOKEN-EXPIRY`).
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev = ' ';
    for c in name.chars() {
        let camel = c.is_ascii_uppercase() && prev.is_ascii_lowercase();
        if !c.is_ascii_alphanumeric() || camel {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_uppercase());
        }
        prev = c;
    }
    words.extend((!word.is_empty()).then_some(word));
    let setting = [
        "ALLOW",
        "ALLOWED",
        "ENABLE",
        "ENABLED",
        "DISABLE",
        "DISABLED",
        "SKIP",
        "REQUIRE",
        "REQUIRED",
        "FORCE",
        "LENGTH",
        "EXPIRE",
        "EXPIRES",
        "EXPIRY",
        "EXPIRATION",
        "POLICY",
        "CHANGE",
        "RESET",
        "COMPLEXITY",
        "MIN",
        "MAX",
        "TTL",
        "TIMEOUT",
        "ROTATION",
        "HASH",
        "ALGORITHM",
    ];
    let switch = matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "yes" | "no" | "true" | "false" | "on" | "off" | "y" | "n" | "0" | "1" | "enabled" | "disabled"
    );
    !(switch || words.iter().any(|w| setting.contains(&w.as_str())))
}

/// ConfigMaps holding credentials (by key name, a private key, or a literal password inside a configuration
/// file, at its line), and containers with a literal credential in an environment variable.
fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (f, file) in d.files.iter().enumerate() {
        let m = &objects[file.object];
        if m.kind != "ConfigMap" {
            continue;
        }
        let (key, value) = (&file.key, &file.text);
        let whole = if holds_credential(key, value) || (!value.trim().is_empty() && is_one_secret_file(key)) {
            Some(format!("key `{key}` holds a credential"))
        } else if value.contains("PRIVATE KEY-----") {
            Some(format!("key `{key}` holds a private key"))
        } else {
            None
        };
        if let Some(r) = whole {
            hits.push(ManifestHit::new(file.object, file.pointer.clone(), format!("ConfigMap `{}`: {r}", m.name)));
            continue;
        }
        for (pos, name) in literal_passwords(d, f) {
            let (location, note) = file.locate(pos);
            hits.push(
                ManifestHit::new(
                    file.object,
                    file.pointer.clone(),
                    format!("ConfigMap `{}`: key `{key}` holds a literal `{name}`{note}", m.name),
                )
                .at(location),
            );
        }
    }
    for (i, _) in objects.iter().enumerate() {
        for (ptr, c) in d.containers(i) {
            for (j, e) in c.env.iter().flatten().enumerate() {
                let Some(value) = e.value.as_deref() else { continue };
                let what = if holds_credential(&e.name, value) {
                    "a literal credential"
                } else if url_password(value).is_some() {
                    "a URL with a literal password"
                } else {
                    continue;
                };
                hits.push(ManifestHit::new(
                    i,
                    format!("{ptr}/env/{j}/value"),
                    format!("container `{}` has {what} in `{}`", c.name, e.name),
                ));
            }
            for (field, list) in [("command", &c.command), ("args", &c.args)] {
                for (j, arg) in list.iter().flatten().enumerate() {
                    if url_password(arg).is_some() {
                        hits.push(ManifestHit::new(
                            i,
                            format!("{ptr}/{field}/{j}"),
                            format!("container `{}` has a URL with a literal password in its {field}", c.name),
                        ));
                    }
                }
            }
        }
    }
    hits
}

/// Literal passwords inside a text file, with their position: `PASSWD`/`PASSWORD` attributes of an OpenNebula
/// template (comments are not read: a commented sample is not a credential), `password` keys of a service's YAML,
/// and in any other file a `PASSWD = "literal"` on a line that is not a comment.
fn literal_passwords(d: &ManifestCtx<'_>, file: usize) -> Vec<(Pos, String)> {
    let text = &d.files[file].text;
    let literal = |v: &str| !v.is_empty() && !v.starts_with('$');
    match d.kind_of(file) {
        Some(k) if k.is_template() => d
            .template(file)
            .map(|t| {
                t.all_values()
                    .into_iter()
                    .filter(|(_, n, v)| matches!(*n, "PASSWD" | "PASSWORD") && literal(&v.text))
                    .map(|(_, n, v)| (v.pos, n.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        Some(k) if k.is_service_yaml() => {
            fn walk(n: &yaml::Node, out: &mut Vec<(Pos, String)>) {
                match &n.kind {
                    yaml::NodeKind::Map(entries) => {
                        for e in entries {
                            let k = e.key.trim_start_matches(':').to_ascii_lowercase();
                            let is_pw = k.contains("password") || k.contains("passwd");
                            match &e.value.kind {
                                yaml::NodeKind::Str(v) if is_pw && !v.is_empty() => {
                                    out.push((e.value.pos, e.key.clone()))
                                }
                                _ => walk(&e.value, out),
                            }
                        }
                    }
                    yaml::NodeKind::Seq(items) => items.iter().for_each(|i| walk(i, out)),
                    _ => {}
                }
            }
            let mut out = Vec::new();
            if let Some(root) = d.service_conf(file).and_then(|c| c.root.as_ref()) {
                walk(root, &mut out);
            }
            out
        }
        _ => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with('#'))
            .filter_map(|(i, l)| {
                let col = literal_passwd_column(l)?;
                Some((Pos { line: i + 1, column: col }, "PASSWD".to_string()))
            })
            .collect(),
    }
}

/// OpenNebula's secret files (`/var/lib/one/.one/*`, SSH keys).
fn is_one_secret_file(key: &str) -> bool {
    key.ends_with("_auth") || ["one_key", "fireedge_key", "id_rsa", "id_ed25519", "id_ecdsa"].contains(&key)
}

/// The column (1-based, in characters) of the opening quote of a `PASSWD = "literal"` on a line, where the
/// literal is not a shell expansion.
fn literal_passwd_column(line: &str) -> Option<usize> {
    line.match_indices("PASSWD").find_map(|(i, _)| {
        let after = &line[i + "PASSWD".len()..];
        let rest = after.trim_start_matches([' ', '\t']);
        let rest = rest.strip_prefix('=')?;
        let value = rest.trim_start_matches([' ', '\t']);
        let inner = value.strip_prefix('"')?;
        if inner.starts_with('"') || inner.starts_with('$') {
            return None;
        }
        let byte = line.len() - value.len();
        Some(line[..byte].chars().count() + 1)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn switches_and_settings_are_not_credentials() {
        for (name, value) in [
            ("ALLOW_EMPTY_PASSWORD", "no"),
            ("MARIADB_SKIP_TEST_DB_PASSWORD", "x1"),
            ("PASSWORD_MIN_LENGTH", "16"),
            ("passwordMaxAge", "90d"),
            ("ONEADMIN_PASSWORD", ""),
        ] {
            assert!(!super::holds_credential(name, value), "{name}={value}");
        }
        for (name, value) in [("ONEADMIN_PASSWORD", "opennebula"), ("DB_PASSWD", "x"), ("apiToken", "abc")] {
            assert!(super::holds_credential(name, value), "{name}={value}");
        }
    }

    #[test]
    fn literal_passwords_of_urls_are_found_and_references_are_not() {
        for (text, password) in [
            ("https://AKIAEXAMPLE:wJalrXUtnFEMI/K7MDENG@s3.example.com", "wJalrXUtnFEMI/K7MDENG"),
            ("https://AK:SK:SESSIONTOKEN@minio.example.com:9000", "SK:SESSIONTOKEN"),
            ("rclone copy /backups \"s3://u:p4ss@host/bucket\"", "p4ss"),
            ("mysql://oneadmin:hunter2@db/opennebula http://x", "hunter2"),
            ("see http://host/ then ftp://a:b@c", "b"),
            ("https://AK:123456@s3.example.com", "123456"),
            ("mysql://root:1234@db", "1234"),
        ] {
            let r = super::url_password(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(&text[r], password, "{text}");
        }
        for text in [
            "https://AK:$(S3_SECRET_KEY)@s3.example.com",
            "https://$AK:${SK}@s3.example.com",
            "ssh://oneadmin@host/path",
            "https://host:8443/a@b",
            "https://host:8443",
            "https://AK:@host",
            "user:password@host",
            "://a:b@c",
            "https://s3.example.com/bucket?x=a:b@c",
            "http://[::1]:8080/x@y",
        ] {
            assert_eq!(super::url_password(text), None, "{text}");
        }
    }
}
