//! ONE012 `onedb-unsafe-password`: the database password contains characters that break `onedb`.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::install::Install;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::Found;
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags a `database.mysql.password` containing `'`, `"`, `\\`, whitespace, `$` or a backtick.
///
/// ## Why is this bad?
/// `onedb backup`, `restore` and `upgrade` pass the password to `mysqldump`/`mysql` inside single quotes on a
/// shell command line, and onedb reads `PASSWD` from oned.conf without unescaping `\"`. Such a password works for
/// oned but makes the pre-upgrade backup fail.
///
/// ## In rendered manifests
/// Checked: the database password an oned container gets (`DB_PASSWD`, `DB_PASSWORD` or `DB_PASSWORD_FILE`,
/// resolved to the Secret key or mounted file when the stream holds it; else the `PASSWD` of the oned.conf it
/// mounts), reported at the Secret key or the value; and a database password key (`mysql-password`,
/// `MARIADB_PASSWORD`, `db-password`, not a root password) of a Secret of the deployment, such as the initial
/// credentials a job copies into the Secret oned reads.
///
/// ## At install time
/// The chart refuses such a `database.mysql.password` given at install time, as `generate` does.
///
/// ## Example
/// ```yaml
/// database:
///   mysql:
///     password: "it's-secret"
/// ```
///
/// Use instead:
/// ```yaml
/// database:
///   mysql:
///     password: ""   # generated, letters and digits only
/// ```
    pub static ONE012 = {
        id: "ONE012",
        name: "onedb-unsafe-password",
        level: Error,
        summary: "The database password contains characters that break `onedb`",
        fix: "Use a password of letters, digits and `-_.+=@%` only, or leave it empty to have one generated.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Use a database password of letters, digits and `-_.+=@%` only (change it in the database too).",
        install: Install::Template(
            r#"{{- if regexMatch "['\"\\\\$\x60\\s]" (toString ($v.database.mysql.password | default "")) -}}
{{- $errors = append $errors "ONE012 onedb-unsafe-password: database.mysql.password contains a quote, a backslash, $, a backtick or whitespace, which break onedb backup, restore and upgrade; use letters, digits and -_.+=@% only" -}}
{{- end -}}"#,
        ),
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let pw = &v.database.mysql.password;
    match unsafe_char(pw) {
        Some(c) => vec![Hit::at(
            "database.mysql.password",
            format!("`database.mysql.password` contains {}, which breaks `onedb`", describe_char(c)),
        )],
        None => vec![],
    }
}

/// The first character of a password that breaks onedb's shell command lines.
/// Whitespace is what Go's `\s` is (`[\t\n\f\r ]`), so that the chart's install-time check agrees.
fn unsafe_char(pw: &str) -> Option<char> {
    pw.chars().find(|c| matches!(c, '\'' | '"' | '\\' | '$' | '`' | ' ' | '\t' | '\n' | '\x0c' | '\r'))
}

fn describe_char(c: char) -> String {
    match c {
        ' ' | '\t' | '\n' | '\x0c' | '\r' => "whitespace".to_string(),
        c => format!("`{c}`"),
    }
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for fe in d.frontends() {
        let from_env = ["DB_PASSWD", "DB_PASSWORD", "DB_PASSWORD_FILE"]
            .iter()
            .find_map(|n| d.env_value(fe.object, &fe.pointer, n));
        let from_conf = || {
            d.mounts.iter().filter(|f| f.object == fe.object && f.container_pointer == fe.pointer).find_map(|f| {
                if Kind::of_path(&f.path) != Some(Kind::Oned) {
                    return None;
                }
                let pw = d.template(f.file)?.vector("DB")?.get("PASSWD")?.clone();
                Some((pw.text, Found::File { file: f.file, pos: pw.pos }))
            })
        };
        let Some((pw, origin)) = from_env.or_else(from_conf) else { continue };
        let Some(c) = unsafe_char(pw.trim_end_matches(['\n', '\r'])) else {
            continue;
        };
        let (object, pointer, location, note) = d.locate(&origin);
        let key = format!("{object}{pointer}");
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        hits.push(
            ManifestHit::new(
                object,
                pointer,
                format!(
                    "the database password of oned in `{}`{note} contains {}, which breaks `onedb`",
                    objects[fe.object].id(),
                    describe_char(c)
                ),
            )
            .at(location),
        );
    }
    // A database password the stream holds in a Secret of the deployment that no container reads directly: the
    // initial credentials a job or an operator copies into the Secret oned reads (this chart's
    // `-initial-credentials`), or a Secret created beside a chart that names it only by file.
    for file in &d.files {
        let m = &objects[file.object];
        if m.kind != "Secret" || !d.in_scope(file.object) || !is_database_password_key(&file.key) {
            continue;
        }
        let key = format!("{}{}", file.object, file.pointer);
        if seen.contains(&key) {
            continue;
        }
        let Some(c) = unsafe_char(file.text.trim_end_matches(['\n', '\r'])) else {
            continue;
        };
        seen.push(key);
        hits.push(ManifestHit::new(
            file.object,
            file.pointer.clone(),
            format!(
                "the database password in Secret `{}` (key `{}`) contains {}, which breaks `onedb`",
                m.name,
                file.key,
                describe_char(c)
            ),
        ));
    }
    hits
}

/// A Secret key that names a MySQL/MariaDB password (`mysql-password`, `MARIADB_PASSWORD`, `db-password`,
/// `database_password`), not a root password of the database server (which onedb never uses).
fn is_database_password_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('_', "-");
    !k.contains("root")
        && ["mysql-password", "mariadb-password", "db-password", "database-password", "db-passwd", "mysql-passwd"]
            .iter()
            .any(|n| k == *n || k.ends_with(&format!("-{n}")))
}
