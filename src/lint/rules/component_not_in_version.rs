//! ONE024 `component-not-in-version`: a setting needs a component the chosen OpenNebula version does not have.

use serde_json::Value;

use crate::declare_rule;
use crate::lint::{Ctx, Hit};
use crate::lint::{ManifestHit, hit_at};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::{Found, one_release};
use crate::model::OneVersion;
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// Flags `database.backend: postgresql` (removed in 6.10), `sunstone.enabled: true` on 7.0 and later (Ruby
/// Sunstone, noVNC and mm_sched were removed), and an explicitly enabled `oned.grpc` before 7.2.
///
/// ## Why is this bad?
/// The chart would configure a daemon or backend the packages no longer ship: oned refuses to start with an
/// unknown DB BACKEND, and a missing daemon leaves its port dead.
///
/// ## In rendered manifests
/// Checked: the database backend of an oned container (its `DB_BACKEND`, else the `DB` of its oned.conf) other
/// than `sqlite` and `mysql`, which oned refuses at start ("DB BACKEND must be sqlite or mysql",
/// OpenNebula/one@release-6.10.5:src/nebula/Nebula.cc:478-489; PostgreSQL was removed in 6.10); and a
/// sunstone-server.conf mounted by a container whose image is OpenNebula 7.0 or later, which has no Ruby Sunstone.
///
/// ## Example
/// ```yaml
/// opennebula:
///   version: "7.4"
/// sunstone:
///   enabled: true
/// ```
///
/// Use instead:
/// ```yaml
/// opennebula:
///   version: "7.4"
/// sunstone:
///   enabled: false   # FireEdge serves the UI from 7.0
/// ```
    pub static ONE024 = {
        id: "ONE024",
        name: "component-not-in-version",
        level: Error,
        summary: "A setting needs a component the chosen OpenNebula version does not have",
        fix: "Use what the version has: `database.backend: mysql` (no supported version has PostgreSQL; 6.10 removed it), FireEdge instead of `sunstone.enabled` from 7.0 on (Ruby Sunstone exists only in 6.10), `oned.grpc.enabled` only from 7.2 on.",
        check: check,
        manifests: check_manifests, reads: [Workloads],
        manifest_fix: "Use a component the image's OpenNebula release has: `DB_BACKEND`/`BACKEND` `mysql` or `sqlite`, FireEdge instead of Ruby Sunstone from 7.0.",
    }
}

fn check(ctx: &Ctx<'_>) -> Vec<Hit> {
    let version = ctx.raw.pointer("/opennebula/version").and_then(Value::as_str).and_then(OneVersion::parse);
    let mut hits = Vec::new();
    if ctx.raw.pointer("/database/backend").and_then(Value::as_str) == Some("postgresql") {
        hits.push(Hit::at(
            "database.backend",
            "the PostgreSQL backend was removed in OpenNebula 6.10, and no supported version has it: use `mysql`",
        ));
    }
    let Some(version) = version else { return hits };
    if !version.has_ruby_sunstone() && ctx.raw.pointer("/sunstone/enabled") == Some(&Value::Bool(true)) {
        hits.push(Hit::at(
            "sunstone.enabled",
            format!("Ruby Sunstone and noVNC do not exist in OpenNebula {}", version.as_str()),
        ));
    }
    if !version.has_grpc()
        && ctx.raw.pointer("/oned/grpc/enabled") == Some(&Value::Bool(true))
        && ctx.explicitly_set("/oned/grpc/enabled")
    {
        hits.push(Hit::at(
            "oned.grpc.enabled",
            format!("oned has no gRPC API before 7.2 (version is {})", version.as_str()),
        ));
    }
    hits
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let objects = d.objects;
    let mut hits = Vec::new();
    for fe in d.frontends() {
        let Some((backend, origin)) = d.backend(fe) else { continue };
        if backend == "sqlite" || backend == "mysql" {
            continue;
        }
        let (object, pointer, location, note) = d.locate(&origin);
        let why = if backend.eq_ignore_ascii_case("postgresql") {
            "the PostgreSQL backend was removed in OpenNebula 6.10".to_string()
        } else {
            "oned accepts only `sqlite` and `mysql` (lower case) and refuses to start".to_string()
        };
        hits.push(
            ManifestHit::new(
                object,
                pointer,
                format!("oned in `{}` uses the database backend `{backend}`{note}: {why}", objects[fe.object].id()),
            )
            .at(location),
        );
    }
    for file in d.files_of(Kind::SunstoneServer) {
        for mount in d.mounts_of(file) {
            let m = &objects[mount.object];
            let Some((_, c)) = d.containers(mount.object).iter().find(|(p, _)| *p == mount.container_pointer) else {
                continue;
            };
            let Some(image) = c.image.as_deref() else { continue };
            let Some((major, minor)) = one_release(image).filter(|(major, _)| *major >= 7) else { continue };
            hits.push(hit_at(d, &Found::Key { file }, |_| format!(
                        "container `{}` of `{}` mounts sunstone-server.conf but runs OpenNebula {major}.{minor} (`{image}`), which has no Ruby Sunstone",
                        c.name,
                        m.id()
                    )));
            break;
        }
    }
    hits
}
