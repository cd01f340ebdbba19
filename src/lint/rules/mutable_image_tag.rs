//! ONE023 `mutable-image-tag`: the image tag is empty or `latest`.

use crate::declare_rule;
use crate::lint::{Ctx, Hit};

declare_rule! {
/// ## What it does
/// Flags an empty or `latest` `image.tag` (and `database.mariadb.tag`).
///
/// ## Why is this bad?
/// A mutable tag lets a node pull a different OpenNebula version on reschedule; a version change needs a database
/// upgrade, which then happens unplanned, without a backup.
///
/// ## Example
/// ```yaml
/// image:
///   tag: latest
/// ```
///
/// Use instead:
/// ```yaml
/// image:
///   tag: "7.4.0"
/// ```
    pub static ONE023 = {
        id: "ONE023",
        name: "mutable-image-tag",
        level: Warning,
        summary: "The image tag is empty or `latest`",
        fix: "Pin `image.tag` to a release, for example `7.4.0`.",
        check: check,
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    [("image.tag", &v.image.tag), ("database.mariadb.tag", &v.database.mariadb.tag)]
        .into_iter()
        .filter(|(_, t)| t.is_empty() || t.as_str() == "latest")
        .map(|(path, t)| Hit::at(path, format!("`{path}` is `{t}`, not a pinned release")))
        .collect()
}
