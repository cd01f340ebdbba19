//! Renders a chart: the files under `chart-templates/` through minijinja (delimiters `<% %>`, `<%= %>`,
//! `<%# %>`, which cannot collide with Helm's `{{ }}`, bash `[[ ]]` or YAML flow lists), plus the files onechart
//! generates from the typed model (`values.yaml`, `values.schema.json`).
//!
//! Rendering is pure: inputs in, a sorted map of file contents out. Writing is `crate::output`'s job.

pub mod identity;
pub mod validate;
pub mod values_doc;

use std::collections::BTreeMap;

use anyhow::Context;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Value, json};

use crate::compile::Waiver;
use crate::model::OneVersion;
use crate::profile::Profile;

/// A template file of `chart-templates/`, rendered through minijinja.
struct Template {
    path: &'static str,
    text: &'static str,
}

/// A file copied verbatim into the chart's `files/` (scripts), with the versions that need it.
struct Verbatim {
    path: &'static str,
    text: &'static str,
    needed: fn(OneVersion) -> bool,
}

macro_rules! verbatim {
    ($path:literal, $needed:expr) => {
        Verbatim { path: $path, text: include_str!(concat!("../../chart-templates/", $path)), needed: $needed }
    };
}

macro_rules! template {
    ($path:literal) => {
        Template { path: $path, text: include_str!(concat!("../../chart-templates/", $path)) }
    };
}

/// Every template, in the chart's layout. A test checks this list against the directory.
const TEMPLATES: &[Template] = &[
    template!(".helmignore"),
    template!("Chart.yaml"),
    template!("README.md"),
    template!("image/Containerfile"),
    template!("image/README.md"),
    template!("image/check-image.sh"),
    template!("templates/NOTES.txt"),
    template!("templates/_addon.tpl"),
    template!("templates/_backup-pod.tpl"),
    template!("templates/_config.tpl"),
    template!("templates/_env.tpl"),
    template!("templates/_features.tpl"),
    template!("templates/_images.tpl"),
    template!("templates/_labels.tpl"),
    template!("templates/_names.tpl"),
    template!("templates/_placement.tpl"),
    template!("templates/_rbac.tpl"),
    template!("templates/_security.tpl"),
    template!("templates/_services.tpl"),
    template!("templates/_volumes.tpl"),
    template!("templates/certificate.yaml"),
    template!("templates/configmap-config.yaml"),
    template!("templates/configmap-hook-scripts.yaml"),
    template!("templates/configmap-scripts.yaml"),
    template!("templates/cronjob-backup.yaml"),
    template!("templates/cronjob-showback.yaml"),
    template!("templates/deployment-exporter.yaml"),
    template!("templates/deployment-fireedge.yaml"),
    template!("templates/deployment-oneflow.yaml"),
    template!("templates/deployment-oneform.yaml"),
    template!("templates/deployment-onegate.yaml"),
    template!("templates/deployment-oneks.yaml"),
    template!("templates/deployment-sunstone.yaml"),
    template!("templates/deployment-tls-proxy.yaml"),
    template!("templates/ingress.yaml"),
    template!("templates/job-inventory.yaml"),
    template!("templates/job-pre-upgrade.yaml"),
    template!("templates/job-publish-ssh-key.yaml"),
    template!("templates/job-secrets.yaml"),
    template!("templates/networkpolicy.yaml"),
    template!("templates/poddisruptionbudget.yaml"),
    template!("templates/pvc-backup.yaml"),
    template!("templates/pvc-datastores.yaml"),
    template!("templates/rbac.yaml"),
    template!("templates/service-api.yaml"),
    template!("templates/service-db.yaml"),
    template!("templates/service-fireedge.yaml"),
    template!("templates/service-leader.yaml"),
    template!("templates/service-metrics.yaml"),
    template!("templates/service-monitord.yaml"),
    template!("templates/service-oneflow.yaml"),
    template!("templates/service-oneform.yaml"),
    template!("templates/service-onegate.yaml"),
    template!("templates/service-oneks.yaml"),
    template!("templates/service-peers.yaml"),
    template!("templates/service-ssh.yaml"),
    template!("templates/service-sunstone.yaml"),
    template!("templates/serviceaccount.yaml"),
    template!("templates/servicemonitor.yaml"),
    template!("templates/statefulset.yaml"),
    template!("templates/tests/test-api.yaml"),
    template!("templates/tests/test-self.yaml"),
    template!("templates/tests/test-services.yaml"),
];

fn always(_: OneVersion) -> bool {
    true
}

const VERBATIM: &[Verbatim] = &[
    verbatim!("files/addon.sh", always),
    verbatim!("files/apply-configmap.rb", always),
    verbatim!("files/backup.sh", always),
    verbatim!("files/bind.rb", always),
    verbatim!("files/common.sh", always),
    verbatim!("files/ensure-identity.rb", always),
    verbatim!("files/sync-admin-users.sh", always),
    verbatim!("files/health.sh", always),
    verbatim!("files/inventory.rb", always),
    verbatim!("files/kube-api.rb", always),
    verbatim!("files/label-pod.rb", always),
    verbatim!("files/leader-only.sh", always),
    verbatim!("files/merge-remotes.rb", always),
    verbatim!("files/merge-yaml.rb", always),
    verbatim!("files/novnc.sh", OneVersion::has_ruby_sunstone),
    verbatim!("files/one-raft.rb", always),
    verbatim!("files/oneks.sh", |v| v >= OneVersion::V7_4),
    verbatim!("files/oned.sh", always),
    verbatim!("files/pre-upgrade.sh", always),
    verbatim!("files/prepare.sh", always),
    verbatim!("files/publish-ssh-key.sh", always),
    verbatim!("files/raft-hook.sh", always),
    verbatim!("files/raft-label.sh", always),
    verbatim!("files/raft.sh", always),
    verbatim!("files/restore.sh", always),
    verbatim!("files/running-version.rb", always),
    verbatim!("files/self-test.sh", always),
    verbatim!("files/tls-proxy.sh", always),
    verbatim!("files/wait-for-oned.sh", always),
];

/// Paths of every file under `chart-templates/` that the renderer knows (for the completeness test).
pub fn known_template_paths() -> Vec<&'static str> {
    TEMPLATES.iter().map(|t| t.path).chain(VERBATIM.iter().map(|v| v.path)).collect()
}

/// What a chart is rendered from: a profile and the validated, merged values.
pub struct RenderInput<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// Merged values (profile defaults, user files, `--set`), already schema-valid.
    pub values: &'a Value,
    /// The OpenNebula version the chart is for.
    pub version: OneVersion,
    /// The chart's `values.schema.json`.
    pub schema: &'a Value,
    /// Rule errors the values waived (the chart does not enforce them).
    pub waived: &'a [Waiver],
    /// Chart.yaml `version` (`--chart-version`, SemVer-checked); `None` derives one from the content and
    /// `previous`.
    pub chart_version: Option<&'a str>,
    /// The version and content hash of the chart already in the output directory.
    pub previous: Option<&'a identity::Previous>,
    /// Files beside the chart that onechart did not write and Helm packages (their content is in the hash).
    pub kept: &'a BTreeMap<String, Vec<u8>>,
}

/// A rendered chart: relative path → content.
pub type ChartFiles = BTreeMap<String, String>;

/// Renders every file of the chart in memory.
pub fn render_chart(input: &RenderInput<'_>) -> anyhow::Result<ChartFiles> {
    let env = environment()?;
    let v = input.version;
    let mut ctx = json!({
        "onechart_version": env!("CARGO_PKG_VERSION"),
        "chart_version": "",
        "content_hash": "",
        "profile": {
            "name": input.profile.name,
            "summary": input.profile.summary,
            "environment": input.profile.environment,
        },
        "one": {
            "version": v.as_str(),
            "release": v.release(),
            "major": v.major(),
            "grpc": v.has_grpc(),
            "ruby_sunstone": v.has_ruby_sunstone(),
            "onegate_server_block": v >= OneVersion::V7_4,
            "oneform": v >= OneVersion::V7_2,
            "oneks": v >= OneVersion::V7_4,
            // FireEdge serves a VM's log from a file from 7.2 (src/fireedge/src/server/routes/api/vm/functions.js).
            "fireedge_vm_logs": v >= OneVersion::V7_2,
        },
        "recipe": crate::image::recipe_context(v),
        "values": input.values,
        "values_table": values_doc::values_table(input.schema, input.values),
        "waived": input.waived,
    });
    let mut files = ChartFiles::new();
    for t in TEMPLATES {
        let tmpl = env.get_template(t.path).with_context(|| format!("chart template {}", t.path))?;
        let text = tmpl
            .render(minijinja::value::Serde(&ctx))
            .with_context(|| format!("rendering chart template {}", t.path))?;
        if !text.trim().is_empty() {
            files.insert(t.path.to_string(), text);
        }
    }
    for f in VERBATIM.iter().filter(|f| (f.needed)(v)) {
        files.insert(f.path.to_string(), f.text.to_string());
    }
    // The values validation, generated from the rules' install-time constraints (one define per rule).
    files.insert("templates/_validate.tpl".into(), validate::validate_tpl(crate::lint::rules::ALL, v, input.waived));
    // The start-up check runs in the chart (first init container, from the scripts ConfigMap) and at the end of
    // the image recipe: one script, two places.
    let check = files.get("image/check-image.sh").cloned().context("image/check-image.sh was not rendered")?;
    files.insert("files/check-image.sh".into(), check);
    let header = format!(
        "Values of the OpenNebula {} chart generated by onechart {} from the `{}` profile.\n\
         Every key is documented; values.schema.json enforces types, ranges and the profile's safety envelope.\n\
         Regenerate with `onechart generate` rather than editing templates.",
        v.release(),
        env!("CARGO_PKG_VERSION"),
        input.profile.name
    );
    files.insert("values.yaml".into(), values_doc::values_yaml(input.schema, input.values, &header));
    files.insert("values.schema.json".into(), serde_json::to_string_pretty(input.schema)? + "\n");
    // Chart.yaml again, with its version: given, or derived from everything rendered so far (Chart.yaml
    // included, with the version and hash left empty).
    let hash = identity::content_hash(&files, input.kept);
    let version = input.chart_version.map_or_else(|| identity::next_version(input.previous, &hash), str::to_string);
    ctx["chart_version"] = json!(version);
    ctx["content_hash"] = json!(hash);
    let chart =
        env.get_template("Chart.yaml")?.render(minijinja::value::Serde(&ctx)).context("rendering Chart.yaml")?;
    files.insert("Chart.yaml".into(), chart);
    Ok(files)
}

fn environment() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .block_delimiters("<%", "%>")
            .variable_delimiters("<%=", "%>")
            .comment_delimiters("<%#", "#%>")
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    for t in TEMPLATES {
        env.add_template(t.path, t.text).with_context(|| format!("parsing chart template {}", t.path))?;
    }
    Ok(env)
}
