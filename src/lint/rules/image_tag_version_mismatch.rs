//! ONE034 `image-tag-version-mismatch`: the image tag names another OpenNebula release line.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags an `image.tag` that reads as an OpenNebula release (`7.2.0`, `6.10`) of another line than
/// `opennebula.version`.
///
/// ## Why is this bad?
/// The chart's configuration, daemons and database handling follow `opennebula.version`; an image of another
/// release runs other daemons with another database schema. The chart's start-up check (`check-image`) stops
/// such a pod, but only once it is deployed.
///
/// ## In rendered manifests
/// No manifest check: a foreign chart's version is read from its image tag, so the two cannot disagree there.
///
/// ## Example
/// ```yaml
/// opennebula:
///   version: "7.0"
/// image:
///   tag: "7.4.0"
/// ```
///
/// Use instead:
/// ```yaml
/// opennebula:
///   version: "7.0"
/// image:
///   tag: "7.0.2"
/// ```
    pub static ONE034 = {
        id: "ONE034",
        name: "image-tag-version-mismatch",
        level: Warning,
        summary: "The image tag names another OpenNebula release line",
        fix: "Build the image for `opennebula.version` (the chart's `image/` recipe) and set `image.tag` to its release, or leave `image.tag` unset.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    let tag = v.image.tag.trim_start_matches('v');
    let mut parts = tag.split(['.', '-']);
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else { return vec![] };
    if !(major.chars().all(|c| c.is_ascii_digit()) && minor.chars().all(|c| c.is_ascii_digit()) && !major.is_empty()) {
        return vec![];
    }
    let line = format!("{major}.{minor}");
    if line != v.opennebula.version.as_str() {
        return vec![Hit::at(
            "image.tag",
            format!(
                "`image.tag` is `{}` (OpenNebula {line}) but `opennebula.version` is {}",
                v.image.tag,
                v.opennebula.version.as_str()
            ),
        )];
    }
    vec![]
}
