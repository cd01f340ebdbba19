//! ONE023 `mutable-image-tag`: the image tag is empty or `latest`.

use crate::declare_rule;
use crate::lint::ManifestHit;
use crate::lint::{Ctx, Hit};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::image_tag;

declare_rule! {
/// ## What it does
/// Flags an empty or `latest` `image.tag` (and `database.mariadb.tag`), unless a digest pins that image
/// (`image.digest`, `database.mariadb.digest`).
///
/// ## Why is this bad?
/// A mutable tag lets a node pull a different OpenNebula version on reschedule; a version change needs a database
/// upgrade, which then happens unplanned, without a backup.
///
/// ## In rendered manifests
/// Checked: every OpenNebula image (init containers too) without a tag or digest, or tagged `latest`: an image
/// whose name says it is OpenNebula's, or the image an OpenNebula component of the stream runs. Other images
/// (Helm's test pod, a sidecar of another project) are not judged.
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
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Pin the image to a release tag of the image you built and pushed (for example `registry.example.com/opennebula/frontend:7.4.0`, from onechart's `image/` recipe) or to a digest.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let Some(v) = ctx.values else { return vec![] };
    // A digest pins the image whatever its tag says.
    [
        ("image.tag", &v.image.tag, &v.image.digest),
        ("database.mariadb.tag", &v.database.mariadb.tag, &v.database.mariadb.digest),
    ]
    .into_iter()
    .filter(|(_, t, digest)| digest.is_empty() && (t.is_empty() || t.as_str() == "latest"))
    .map(|(path, t, _)| Hit::at(path, format!("`{path}` is `{t}`, not a pinned release")))
    .collect()
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        for (ptr, c) in d.containers(i) {
            // OpenNebula's images only: Helm's test pod or a sidecar of another project is not judged here.
            let Some(image) = c.image.as_deref().filter(|im| d.is_opennebula_image(im)) else { continue };
            if image.contains('@') {
                continue;
            }
            let tag = image_tag(image);
            if tag.is_none_or(|t| t.is_empty() || t == "latest") {
                let shown = tag.map_or("has no tag".to_string(), |t| format!("is tagged `{t}`"));
                hits.push(ManifestHit::new(
                    i,
                    format!("{ptr}/image"),
                    format!("image `{image}` of container `{}` in `{}` {shown}, not a pinned release", c.name, m.id()),
                ));
            }
        }
    }
    hits
}
