//! The image the chart runs: the build recipe (`image/` of every chart) and the start-up check, both made from
//! the contract table ([`contract`]).
//!
//! Debian 12 is the base: it is a front-end platform of every OpenNebula release the chart supports. OpenNebula
//! builds its Ruby gems for it at every release tag (`OpenNebula/one@release-6.10.5`, `release-7.0.2`,
//! `release-7.2.0`, `release-7.4.0`: `share/install_gems/Debian12/Gemfile.lock`), and its installer lists it from
//! 6.10 to 7.4 (`OpenNebula/minione@105c806:minione:115`, `[Debian12]='6.10 7.4'`).
//!
//! The Community Edition repository is `https://downloads.opennebula.io/repo/<x.y>/Debian/12`, signed with
//! `repo2.key` (`OpenNebula/docs@one-6.10-maintenance:source/installation_and_configuration/
//! frontend_installation/opennebula_repository_configuration.rst:217,232`; `OpenNebula/one-deploy:roles/
//! repository/defaults/main.yml`, `opennebula_repo_url_defaults` and `opennebula_repo_key_url_defaults`).

pub mod contract;

use serde_json::{Value, json};

use crate::model::OneVersion;
use contract::{Kind, Origin};

/// The base image of the recipe, pinned by tag (a digest can be added through the `BASE_IMAGE` build argument).
pub const BASE_IMAGE: &str = "docker.io/library/debian:12.11-slim";

/// The Debian release the recipe targets, as OpenNebula's repository paths name it.
pub const DISTRIBUTION: &str = "Debian/12";

/// The signing key of OpenNebula's package repositories.
pub const REPO_KEY_URL: &str = "https://downloads.opennebula.io/repo/repo2.key";

/// The Community Edition repository of a release line.
pub fn repo_url(version: OneVersion) -> String {
    format!("https://downloads.opennebula.io/repo/{}/{DISTRIBUTION}", version.as_str())
}

/// The values of the recipe templates (`chart-templates/image/`) and of the start-up check.
pub fn recipe_context(version: OneVersion) -> Value {
    let entries: Vec<&contract::Entry> = contract::entries(version).collect();
    let checked = |kind: Kind| -> Vec<Value> {
        entries
            .iter()
            .filter(|e| e.checked && e.kind == kind)
            .map(|e| json!({"name": e.name, "package": e.package}))
            .collect()
    };
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "what": match e.kind {
                    Kind::Command => format!("`{}` (command)", e.name),
                    Kind::Gem => format!("Ruby gem `{}`", e.name),
                    Kind::Package => "(the package itself)".to_string(),
                    Kind::Executable | Kind::File | Kind::Dir => format!("`{}`", e.name),
                },
                "package": e.package,
                "origin": match e.origin {
                    Origin::Essential => "base image",
                    Origin::Debian => "Debian 12",
                    Origin::OpenNebula => "OpenNebula, pinned",
                },
                "checked": e.checked,
                // Markdown table cells: a `|` would end the cell.
                "why": e.why.replace('|', "\\|"),
            })
        })
        .collect();
    json!({
        "base_image": BASE_IMAGE,
        "repo_url": repo_url(version),
        "repo_key_url": REPO_KEY_URL,
        "opennebula_packages": contract::packages(version, Origin::OpenNebula),
        "debian_packages": contract::packages(version, Origin::Debian),
        "essential_packages": contract::packages(version, Origin::Essential),
        "check": {
            "commands": checked(Kind::Command),
            "executables": checked(Kind::Executable),
            "files": checked(Kind::File),
            "dirs": checked(Kind::Dir),
            "gems": checked(Kind::Gem),
        },
        "rows": rows,
    })
}
