//! ONE011 `default-credentials`: a password is a well-known default.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags `auth.oneadminPassword`, `auth.serveradminPassword` or `database.mysql.password` equal to a well-known
/// default such as `opennebula`, `oneadmin`, `password`, `admin` or `changeme`.
///
/// ## Why is this bad?
/// These are the first passwords anyone tries; several OpenNebula images and charts ship them as defaults, so
/// they are in every scanner's list.
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
