//! ONE030 `dangling-reference`: a workload or an Ingress refers to an object the rendered stream does not
//! contain.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::declare_rule;
use crate::lint::{ManifestHit, Severity};
use crate::manifest::ManifestCtx;
use crate::manifest::deploy::claim_templates;
use crate::manifest::{Manifest, Typed};
use crate::oneconf::Kind;

declare_rule! {
/// ## What it does
/// In rendered manifests, flags a reference to a Secret, ConfigMap, PersistentVolumeClaim, ServiceAccount or
/// Service that the stream does not contain: pod volumes and projected sources, `env[].valueFrom` and `envFrom`,
/// `serviceAccountName`, a StatefulSet's `serviceName`, Ingress backends and TLS Secrets, and the in-cluster
/// host names a pod is told to connect to (a `*_HOST` or `*_SERVER` variable, a URL in a variable or in a
/// service's YAML configuration: `db`, `one-oned:2633`, `http://one-oned:2633/RPC2`, `x.ns.svc.cluster.local`).
///
/// ## Why is this bad?
/// A pod that mounts or reads a missing Secret or ConfigMap never starts (`CreateContainerConfigError`), a
/// missing claim keeps it `Pending`, a missing Service makes every connection to that name fail, and an Ingress
/// TLS Secret nobody creates makes the controller serve its default certificate. The chart renders and installs
/// without a word.
///
/// ## In rendered manifests
/// This is a manifest-only check (values files have no references to resolve). Objects Kubernetes provides
/// (`kube-root-ca.crt`, the `default` ServiceAccount, the `kubernetes` Service), optional references, Secrets a Job
/// of the stream creates (its commands, arguments, variables or mounted scripts name the Secret, or a Role lists
/// it in `resourceNames`, and a Role grants `create` on Secrets) and TLS Secrets requested from cert-manager (an
/// issuer annotation or a `Certificate` in the stream) count as present. A missing object is a warning, since it
/// may be created outside the chart (an `existingSecret`, a secrets operator); it is an error when the stream
/// holds a near miss that shows a wrong name: an object of the same kind with a similar name or holding the
/// referenced key, or a misspelt cert-manager annotation.
///
/// ## Example
/// ```yaml
/// env:
///   - name: DB_PASSWORD
///     valueFrom:
///       secretKeyRef: {name: one-opennebula-mariadb, key: mariadb-password}   # the Secret is `one-mariadb`
/// ```
///
/// Use instead:
/// ```yaml
/// env:
///   - name: DB_PASSWORD
///     valueFrom:
///       secretKeyRef: {name: one-mariadb, key: mariadb-password}
/// ```
    pub static ONE030 = {
        id: "ONE030",
        name: "dangling-reference",
        level: Warning,
        summary: "A workload or Ingress refers to an object the rendered manifests do not contain",
        fix: "Render the object with the chart or correct the name; when it is created outside the chart, suppress the finding with a reason.",
        check: crate::lint::manifests_only,
        manifests: check_manifests, reads: [Workloads, Ingresses],
        manifest_fix: "Correct the name, or render the object with the chart; when it is created outside the chart (an existingSecret, cert-manager, a secrets operator), suppress it with `# onechart:ignore ONE030 <reason>` in the template or `--ignore ONE030`.",
        manifests_only: true,
    }
}

/// Objects Kubernetes itself provides in every namespace.
const PROVIDED: &[(&str, &str)] = &[
    ("ConfigMap", "kube-root-ca.crt"),
    ("ConfigMap", "openshift-service-ca.crt"),
    ("ServiceAccount", "default"),
    ("Service", "kubernetes"),
];

/// cert-manager's ingress-shim annotations that make it create an Ingress's TLS Secrets.
const CERT_MANAGER: &[&str] = &["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

#[derive(Debug, Clone)]
struct Ref {
    kind: &'static str,
    name: String,
    key: Option<String>,
    object: usize,
    pointer: String,
    /// What refers to it, for the message.
    by: String,
    /// What goes wrong without it.
    effect: &'static str,
}

fn check_manifests(d: &ManifestCtx<'_>) -> Vec<ManifestHit> {
    let refs = references(d);
    // Secrets nothing in the stream renders: whether the cluster will create them is decided only for these.
    let missing: std::collections::HashSet<&str> = refs
        .iter()
        .filter(|r| r.kind == "Secret" && d.find(r.kind, &r.name).is_none())
        .map(|r| r.name.as_str())
        .collect();
    let created = created_in_cluster(d, &missing);
    let mut counts: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    for r in &refs {
        *counts.entry((r.kind, r.name.as_str())).or_default() += 1;
    }
    let mut hits = Vec::new();
    let mut reported: BTreeSet<(&str, String)> = BTreeSet::new();
    for r in &refs {
        let present = d.find(r.kind, &r.name).is_some()
            || PROVIDED.contains(&(r.kind, r.name.as_str()))
            || (r.kind == "Secret" && created.contains(&r.name))
            || (r.kind == "PersistentVolumeClaim" && claimed_by_statefulset(d, &r.name));
        if present || !reported.insert((r.kind, r.name.clone())) {
            continue;
        }
        let count = counts[&(r.kind, r.name.as_str())];
        let more = if count > 1 { format!(" (and {} more reference(s))", count - 1) } else { String::new() };
        let (severity, hint) = match near_miss(d, r) {
            Some(h) => (Severity::Error, format!("; {h}")),
            None => (Severity::Warning, String::new()),
        };
        hits.push(
            ManifestHit::new(
                r.object,
                r.pointer.clone(),
                format!(
                    "{} `{}`, used by {}{more}, is not in the rendered manifests: {}{hint}",
                    r.kind, r.name, r.by, r.effect
                ),
            )
            .severity(severity),
        );
    }
    hits
}

/// A claim the StatefulSet controller creates: `<template>-<statefulset>-<ordinal>`.
fn claimed_by_statefulset(d: &ManifestCtx<'_>, claim: &str) -> bool {
    d.of_kind("StatefulSet").into_iter().map(|i| &d.objects[i]).any(|m| {
        claim_templates(m).iter().any(|t| {
            claim
                .strip_prefix(&format!("{t}-{}-", m.name))
                .is_some_and(|ordinal| !ordinal.is_empty() && ordinal.chars().all(|c| c.is_ascii_digit()))
        })
    })
}

/// Why a missing reference is most likely a wrong name.
fn near_miss(d: &ManifestCtx<'_>, r: &Ref) -> Option<String> {
    let objects = d.objects;
    if let Some(hint) = misspelt_cert_manager(objects, r) {
        return Some(hint);
    }
    // Candidates of the same kind in the referring object's namespace and Helm release: in a platform stream of
    // many charts, a name of another chart is no near miss (and comparing with all of them would be quadratic).
    let from = &objects[r.object];
    let release = release_label(from);
    let same_kind: Vec<&Manifest> = d
        .of_kind(r.kind)
        .into_iter()
        .map(|i| &objects[i])
        .filter(|m| {
            let same_ns = m.namespace.is_none() || from.namespace.is_none() || m.namespace == from.namespace;
            same_ns && (release.is_none() || release_label(m) == release)
        })
        .collect();
    if let Some(key) = &r.key {
        let holder = same_kind
            .iter()
            .find(|m| ["data", "stringData"].iter().any(|f| m.raw.get(*f).and_then(|d| d.get(key.as_str())).is_some()));
        if let Some(m) = holder {
            return Some(format!("{} `{}` holds key `{key}`: did you mean it?", r.kind, m.name));
        }
    }
    let names: Vec<&str> = same_kind.iter().map(|m| m.name.as_str()).collect();
    // The same last word (`one-opennebula-mariadb` for `one-mariadb`): a release-name prefix gone wrong.
    let last = r.name.rsplit('-').next().unwrap_or_default();
    if last.len() >= 3 && last != r.name {
        let same_tail: Vec<&&str> = names.iter().filter(|n| n.rsplit('-').next() == Some(last)).collect();
        if let [one] = same_tail.as_slice() {
            return Some(format!("did you mean `{one}`?"));
        }
    }
    crate::suggest::did_you_mean(&r.name, names.iter().copied()).map(|s| format!("did you mean `{s}`?"))
}

/// An Ingress TLS Secret that a misspelt cert-manager annotation on the same Ingress was meant to request.
fn misspelt_cert_manager(objects: &[Manifest], r: &Ref) -> Option<String> {
    if r.kind != "Secret" || objects[r.object].kind != "Ingress" {
        return None;
    }
    let annotations = objects[r.object].raw.pointer("/metadata/annotations").and_then(Value::as_object)?;
    annotations.keys().find_map(|k| {
        let close = crate::suggest::did_you_mean(k, CERT_MANAGER.iter().copied())?;
        (close != k.as_str()).then(|| {
            format!("the annotation `{k}` is misspelt (did you mean `{close}`?), so cert-manager never creates it")
        })
    })
}

/// Secrets the stream makes exist: created by a Job of the stream, requested from cert-manager.
/// The Helm release an object belongs to, by its labels.
fn release_label(m: &Manifest) -> Option<&str> {
    let labels = m.raw.pointer("/metadata/labels")?;
    labels.get("app.kubernetes.io/instance").or_else(|| labels.get("release")).and_then(Value::as_str)
}

/// The Secrets among `missing` that something in the stream makes in the cluster: a Job allowed to create
/// Secrets that names them (in its pod spec or the ConfigMaps it mounts), an Ingress cert-manager serves, a
/// cert-manager `Certificate`.
fn created_in_cluster(d: &ManifestCtx<'_>, missing: &std::collections::HashSet<&str>) -> BTreeSet<String> {
    let objects = d.objects;
    let mut out = BTreeSet::new();
    if missing.is_empty() {
        return out;
    }
    let rules = || {
        objects
            .iter()
            .filter(|m| matches!(m.kind.as_str(), "Role" | "ClusterRole"))
            .flat_map(|m| m.raw.get("rules").and_then(Value::as_array).cloned().unwrap_or_default())
            .filter(|r| {
                r.get("resources")
                    .and_then(Value::as_array)
                    .is_some_and(|res| res.iter().any(|x| x.as_str().is_some_and(|s| s == "secrets" || s == "*")))
            })
            .collect::<Vec<_>>()
    };
    let can_create = rules().iter().any(|r| {
        r.get("verbs")
            .and_then(Value::as_array)
            .is_some_and(|v| v.iter().any(|x| x.as_str().is_some_and(|s| s == "create" || s == "*")))
    });
    if can_create {
        for r in rules() {
            for n in r.get("resourceNames").and_then(Value::as_array).into_iter().flatten() {
                if let Some(n) = n.as_str().filter(|n| missing.contains(n)) {
                    out.insert(n.to_string());
                }
            }
        }
        // Every word of the Jobs' pod specs (and of the ConfigMaps they mount): a Secret named there is one
        // the Job creates or reads, and it can create it.
        // Most words are not a missing name: compare lengths before hashing.
        let mut lengths = [false; 254];
        for n in missing {
            if let Some(l) = lengths.get_mut(n.len()) {
                *l = true;
            }
        }
        let mut found = |v: &Value| {
            words(v, &mut |w| {
                if lengths.get(w.len()).copied().unwrap_or(false) && missing.contains(w) {
                    out.insert(w.to_string());
                }
            })
        };
        let mut scanned = std::collections::HashSet::new();
        for m in objects.iter().filter(|m| matches!(m.kind.as_str(), "Job" | "CronJob" | "Pod")) {
            if let Typed::Workload { pointer, .. } = &m.typed {
                found(m.raw.pointer(pointer).unwrap_or(&Value::Null));
                for cm in m.raw.pointer(&format!("{pointer}/volumes")).and_then(Value::as_array).into_iter().flatten() {
                    let Some(name) = cm.pointer("/configMap/name").and_then(Value::as_str) else { continue };
                    // Each ConfigMap once, however many Jobs mount it.
                    if let Some(c) = d.find("ConfigMap", name).filter(|c| scanned.insert(*c)) {
                        found(&objects[c].raw);
                    }
                }
            }
        }
    }
    for m in objects {
        if m.kind == "Ingress" {
            let annotated = m
                .raw
                .pointer("/metadata/annotations")
                .and_then(Value::as_object)
                .is_some_and(|a| CERT_MANAGER.iter().any(|k| a.contains_key(*k)));
            if annotated {
                for t in m.raw.pointer("/spec/tls").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(s) = t.get("secretName").and_then(Value::as_str) {
                        out.insert(s.to_string());
                    }
                }
            }
        }
        if m.kind == "Certificate"
            && m.api_version.starts_with("cert-manager.io/")
            && let Some(s) = m.raw.pointer("/spec/secretName").and_then(Value::as_str)
        {
            out.insert(s.to_string());
        }
    }
    out
}

/// Calls `f` with every word (letters, digits, `-`, `.`) of every key and string in a value.
fn words(v: &Value, f: &mut dyn FnMut(&str)) {
    fn split(text: &str, f: &mut dyn FnMut(&str)) {
        for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
            if !w.is_empty() {
                f(w);
            }
        }
    }
    match v {
        Value::String(s) => split(s, f),
        Value::Array(a) => a.iter().for_each(|x| words(x, f)),
        Value::Object(m) => {
            for (k, x) in m {
                split(k, f);
                words(x, f);
            }
        }
        _ => {}
    }
}

fn references(d: &ManifestCtx<'_>) -> Vec<Ref> {
    let objects = d.objects;
    let namespaces: BTreeSet<&str> = objects.iter().filter_map(|m| m.namespace.as_deref()).collect();
    let mut out = Vec::new();
    for (i, m) in objects.iter().enumerate() {
        if m.custom {
            continue;
        }
        if m.kind == "Ingress" {
            ingress_refs(i, m, &mut out);
            continue;
        }
        let Typed::Workload { pointer: pod, .. } = &m.typed else { continue };
        let id = m.id();
        let optional = |v: &Value| v.get("optional").and_then(Value::as_bool) == Some(true);
        let templates = claim_templates(m);
        for (k, vol) in
            m.raw.pointer(&format!("{pod}/volumes")).and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            let vname = vol.get("name").and_then(Value::as_str).unwrap_or_default();
            let by = format!("volume `{vname}` of `{id}`");
            let base = format!("{pod}/volumes/{k}");
            let mut push = |kind, name: Option<&str>, pointer: String, effect| {
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    out.push(Ref {
                        kind,
                        name: name.to_string(),
                        key: None,
                        object: i,
                        pointer,
                        by: by.clone(),
                        effect,
                    });
                }
            };
            if let Some(c) = vol.get("configMap").filter(|c| !optional(c)) {
                push("ConfigMap", c.get("name").and_then(Value::as_str), format!("{base}/configMap/name"), POD_WAITS);
            }
            if let Some(s) = vol.get("secret").filter(|s| !optional(s)) {
                push(
                    "Secret",
                    s.get("secretName").and_then(Value::as_str),
                    format!("{base}/secret/secretName"),
                    POD_WAITS,
                );
            }
            if let Some(p) = vol.get("persistentVolumeClaim").filter(|_| !templates.iter().any(|t| t == vname)) {
                let name = p.get("claimName").and_then(Value::as_str);
                push(
                    "PersistentVolumeClaim",
                    name,
                    format!("{base}/persistentVolumeClaim/claimName"),
                    "the pod stays Pending",
                );
            }
            for (n, src) in
                vol.pointer("/projected/sources").and_then(Value::as_array).into_iter().flatten().enumerate()
            {
                for (field, kind) in [("configMap", "ConfigMap"), ("secret", "Secret")] {
                    if let Some(s) = src.get(field).filter(|s| !optional(s)) {
                        let pointer = format!("{base}/projected/sources/{n}/{field}/name");
                        push(kind, s.get("name").and_then(Value::as_str), pointer, POD_WAITS);
                    }
                }
            }
        }
        if let Some(sa) =
            m.raw.pointer(&format!("{pod}/serviceAccountName")).and_then(Value::as_str).filter(|s| !s.is_empty())
        {
            out.push(Ref {
                kind: "ServiceAccount",
                name: sa.to_string(),
                key: None,
                object: i,
                pointer: format!("{pod}/serviceAccountName"),
                by: format!("`{id}`"),
                effect: "the workload cannot create its pods",
            });
        }
        if m.kind == "StatefulSet"
            && let Some(svc) = m.raw.pointer("/spec/serviceName").and_then(Value::as_str).filter(|s| !s.is_empty())
        {
            out.push(Ref {
                kind: "Service",
                name: svc.to_string(),
                key: None,
                object: i,
                pointer: "/spec/serviceName".to_string(),
                by: format!("`{id}` (`serviceName`)"),
                effect: "its pods get no DNS names, so members cannot find each other",
            });
        }
        for (cptr, c) in d.containers(i) {
            let raw_c = m.raw.pointer(cptr).cloned().unwrap_or_default();
            for (j, e) in raw_c.get("env").and_then(Value::as_array).into_iter().flatten().enumerate() {
                let ename = e.get("name").and_then(Value::as_str).unwrap_or_default();
                let by = format!("`{ename}` of container `{}` in `{id}`", c.name);
                for (field, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
                    let Some(r) = e.pointer(&format!("/valueFrom/{field}")).filter(|r| !optional(r)) else { continue };
                    let Some(name) = r.get("name").and_then(Value::as_str) else { continue };
                    out.push(Ref {
                        kind,
                        name: name.to_string(),
                        key: r.get("key").and_then(Value::as_str).map(str::to_string),
                        object: i,
                        pointer: format!("{cptr}/env/{j}/valueFrom/{field}/name"),
                        by: by.clone(),
                        effect: POD_WAITS,
                    });
                }
                if let Some(v) = e.get("value").and_then(Value::as_str) {
                    let upper = ename.to_ascii_uppercase();
                    let host_var = upper.ends_with("_HOST") || upper.ends_with("_SERVER") || upper == "HOST";
                    if let Some(svc) = service_of(v, host_var, &namespaces) {
                        out.push(Ref {
                            kind: "Service",
                            name: svc,
                            key: None,
                            object: i,
                            pointer: format!("{cptr}/env/{j}/value"),
                            by: by.clone(),
                            effect: NO_SERVICE,
                        });
                    }
                }
            }
            for (j, e) in raw_c.get("envFrom").and_then(Value::as_array).into_iter().flatten().enumerate() {
                for (field, kind) in [("secretRef", "Secret"), ("configMapRef", "ConfigMap")] {
                    let Some(r) = e.get(field).filter(|r| !optional(r)) else { continue };
                    let Some(name) = r.get("name").and_then(Value::as_str) else { continue };
                    out.push(Ref {
                        kind,
                        name: name.to_string(),
                        key: None,
                        object: i,
                        pointer: format!("{cptr}/envFrom/{j}/{field}/name"),
                        by: format!("`envFrom` of container `{}` in `{id}`", c.name),
                        effect: POD_WAITS,
                    });
                }
            }
        }
    }
    // URLs in the services' configuration files: `:one_xmlrpc: http://one-oned:2633/RPC2`.
    for (f, file) in d.files.iter().enumerate() {
        if !d.kind_of(f).is_some_and(Kind::is_service_yaml) {
            continue;
        }
        let Some(conf) = d.service_conf(f) else { continue };
        for (s, _) in conf.strings() {
            if let Some(svc) = service_of(s, false, &namespaces) {
                out.push(Ref {
                    kind: "Service",
                    name: svc,
                    key: None,
                    object: file.object,
                    pointer: file.pointer.clone(),
                    by: format!("`{}` in `{}`", file.key, objects[file.object].id()),
                    effect: NO_SERVICE,
                });
            }
        }
    }
    out
}

const POD_WAITS: &str = "the pod cannot start until it exists";
const NO_SERVICE: &str = "connections to that name fail";

fn ingress_refs(i: usize, m: &Manifest, out: &mut Vec<Ref>) {
    let id = m.id();
    let mut backends: Vec<(String, &Value)> = Vec::new();
    if let Some(b) = m.raw.pointer("/spec/defaultBackend/service") {
        backends.push(("/spec/defaultBackend/service".to_string(), b));
    }
    for (r, rule) in m.raw.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
        for (p, path) in rule.pointer("/http/paths").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(b) = path.pointer("/backend/service") {
                backends.push((format!("/spec/rules/{r}/http/paths/{p}/backend/service"), b));
            }
        }
    }
    for (pointer, b) in backends {
        if let Some(name) = b.get("name").and_then(Value::as_str) {
            out.push(Ref {
                kind: "Service",
                name: name.to_string(),
                key: None,
                object: i,
                pointer: format!("{pointer}/name"),
                by: format!("`{id}`"),
                effect: "the Ingress answers 503",
            });
        }
    }
    for (t, tls) in m.raw.pointer("/spec/tls").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if let Some(name) = tls.get("secretName").and_then(Value::as_str) {
            out.push(Ref {
                kind: "Secret",
                name: name.to_string(),
                key: None,
                object: i,
                pointer: format!("/spec/tls/{t}/secretName"),
                by: format!("the TLS of `{id}`"),
                effect: "the Ingress controller serves its default certificate, which browsers and clients reject",
            });
        }
    }
}

/// The Service an in-cluster host name refers to: a bare name (for `*_HOST`/`*_SERVER` variables), the host of
/// a URL (`http://one-oned:2633/RPC2`), or `svc.ns.svc[.cluster.local]` / `pod.svc.ns.svc...` when `ns` is a
/// namespace of the stream. IP addresses, `localhost`, templated values and other domains are not checked.
fn service_of(value: &str, host_var: bool, namespaces: &BTreeSet<&str>) -> Option<String> {
    let v = value.trim();
    if v.contains(['$', '{', ' ', ',']) {
        return None;
    }
    let host = match v.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?']).next()?.rsplit('@').next()?,
        None if host_var => v,
        None => return None,
    };
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let valid = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
    };
    let labels: Vec<&str> = host.split('.').collect();
    if !labels.iter().all(|l| valid(l)) {
        return None;
    }
    if labels.len() == 1 {
        return Some(host);
    }
    let inner = host.strip_suffix(".svc.cluster.local").or_else(|| host.strip_suffix(".svc"))?;
    let parts: Vec<&str> = inner.split('.').collect();
    match parts.as_slice() {
        [svc, ns] | [_, svc, ns] if namespaces.contains(ns) => Some((*svc).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_cluster_host_names() {
        let ns: BTreeSet<&str> = ["cloud"].into_iter().collect();
        assert_eq!(service_of("http://one-oned:2633/RPC2", false, &ns).as_deref(), Some("one-oned"));
        assert_eq!(service_of("one-db", true, &ns).as_deref(), Some("one-db"));
        assert_eq!(service_of("one-db", false, &ns), None);
        assert_eq!(service_of("db.example.org", true, &ns), None);
        assert_eq!(service_of("127.0.0.1", true, &ns), None);
        assert_eq!(service_of("one-0.peers.cloud.svc.cluster.local", true, &ns).as_deref(), Some("peers"));
        assert_eq!(service_of("x.other.svc", true, &ns), None);
        assert_eq!(service_of("tcp://localhost:2101", false, &ns), None);
        assert_eq!(service_of("http://$(HOST):80", false, &ns), None);
    }
}
