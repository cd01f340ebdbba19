//! ONE012 `onedb-unsafe-password`: the database password contains characters that break `onedb`.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags a `database.mysql.password` containing `'`, `"`, `\\`, whitespace, `$` or a backtick.
///
/// ## Why is this bad?
/// `onedb backup`, `restore` and `upgrade` pass the password to `mysqldump`/`mysql` inside single quotes on a
/// shell command line, and onedb reads `PASSWD` from oned.conf without unescaping `\"`. Such a password works for
/// oned but makes the pre-upgrade backup fail.
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
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let pw = &v.database.mysql.password;
    match pw.chars().find(|c| matches!(c, '\'' | '"' | '\\' | '$' | '`') || c.is_whitespace()) {
        Some(c) => vec![Hit::at(
            "database.mysql.password",
            format!("`database.mysql.password` contains {}, which breaks `onedb`", describe_char(c)),
        )],
        None => vec![],
    }
}

fn describe_char(c: char) -> String {
    match c {
        c if c.is_whitespace() => "whitespace".to_string(),
        c => format!("`{c}`"),
    }
}
