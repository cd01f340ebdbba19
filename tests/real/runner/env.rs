//! A container's environment as the kubelet builds it (kubernetes.io/docs/tasks/inject-data-application/):
//! the image's (PATH, HOSTNAME, HOME from the user's passwd entry when unset: containerd's behaviour), the
//! `kubernetes` Service's variables (always), the Docker-link variables of every Service of the namespace when
//! `enableServiceLinks` is not false (kubernetes.io/docs/concepts/services-networking/service/#environment-variables),
//! `envFrom` (with `prefix`), then `env` in order: `value` with `$(VAR)` references to variables defined before it
//! expanded and `$$` escaping (.../define-interdependent-environment-variables/), `secretKeyRef`,
//! `configMapKeyRef` (`optional`), `fieldRef` and `resourceFieldRef` (.../downward-api/). `command` and `args`
//! expand `$(VAR)` against the result (.../define-command-argument-container/#use-environment-variables-to-define-arguments).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ResourceFieldSelector};

use super::api::ApiServer;
use super::volumes::{PodFacts, base64};

/// A Service as the environment sees it: name, ClusterIP, ports (name, port, protocol).
pub struct ServiceEnv {
    pub name: String,
    pub ip: String,
    pub ports: Vec<(Option<String>, i32, String)>,
}

#[allow(clippy::too_many_arguments)]
pub fn build(
    c: &Container,
    pod: &PodFacts,
    api: &ApiServer,
    services: &[ServiceEnv],
    links: bool,
    home: &str,
    hostname: &str,
    image_path: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
        if let Some(e) = env.iter_mut().find(|(n, _)| *n == k) {
            e.1 = v;
        } else {
            env.push((k, v));
        }
    };
    set(&mut env, "PATH".into(), image_path.into());
    set(&mut env, "HOSTNAME".into(), hostname.into());
    for s in services {
        if s.name != "kubernetes" && !links {
            continue;
        }
        let n = s.name.to_uppercase().replace('-', "_");
        let Some((_, first, proto)) = s.ports.first() else { continue };
        set(&mut env, format!("{n}_SERVICE_HOST"), s.ip.clone());
        set(&mut env, format!("{n}_SERVICE_PORT"), first.to_string());
        set(&mut env, format!("{n}_PORT"), format!("{}://{}:{first}", proto.to_lowercase(), s.ip));
        for (name, port, proto) in &s.ports {
            if let Some(name) = name {
                set(&mut env, format!("{n}_SERVICE_PORT_{}", name.to_uppercase().replace('-', "_")), port.to_string());
            }
            let base = format!("{n}_PORT_{port}_{}", proto.to_uppercase());
            set(&mut env, base.clone(), format!("{}://{}:{port}", proto.to_lowercase(), s.ip));
            set(&mut env, format!("{base}_PROTO"), proto.to_lowercase());
            set(&mut env, format!("{base}_PORT"), port.to_string());
            set(&mut env, format!("{base}_ADDR"), s.ip.clone());
        }
    }
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = match (&from.config_map_ref, &from.secret_ref) {
            (Some(cm), _) => ("ConfigMap", cm.name.clone(), cm.optional),
            (_, Some(s)) => ("Secret", s.name.clone(), s.optional),
            _ => continue,
        };
        match api.get("v1", kind, &name) {
            Some(obj) => {
                for (k, v) in obj["data"].as_object().into_iter().flatten() {
                    set(&mut env, format!("{prefix}{k}"), decode(kind, v.as_str().unwrap_or_default()));
                }
            }
            None if optional == Some(true) => {}
            None => return Err(format!("{kind} {name} not found (envFrom)")),
        }
    }
    for e in c.env.iter().flatten() {
        let value = if let Some(from) = &e.value_from {
            if let Some(r) = &from.secret_key_ref {
                match key_of(api, "Secret", &r.name, &r.key) {
                    Some(v) => v,
                    None if r.optional == Some(true) => continue,
                    None => return Err(format!("Secret {} key {} not found (env {})", r.name, r.key, e.name)),
                }
            } else if let Some(r) = &from.config_map_key_ref {
                match key_of(api, "ConfigMap", &r.name, &r.key) {
                    Some(v) => v,
                    None if r.optional == Some(true) => continue,
                    None => return Err(format!("ConfigMap {} key {} not found (env {})", r.name, r.key, e.name)),
                }
            } else if let Some(f) = &from.field_ref {
                pod.field(f)
            } else if let Some(r) = &from.resource_field_ref {
                resource(c, r)
            } else {
                return Err(format!("env {}: unsupported valueFrom", e.name));
            }
        } else {
            expand(e.value.as_deref().unwrap_or_default(), &env)
        };
        set(&mut env, e.name.clone(), value);
    }
    if !env.iter().any(|(k, _)| k == "HOME") {
        env.push(("HOME".into(), home.into()));
    }
    Ok(env)
}

fn decode(kind: &str, v: &str) -> String {
    if kind == "Secret" { String::from_utf8_lossy(&base64(v).unwrap_or_default()).into_owned() } else { v.into() }
}

fn key_of(api: &ApiServer, kind: &str, name: &str, key: &str) -> Option<String> {
    let obj = api.get("v1", kind, name)?;
    obj["data"][key].as_str().map(|v| decode(kind, v))
}

/// `$(VAR)` expansion: defined variables are replaced, undefined references stay as written, `$$` is `$`.
pub fn expand(s: &str, env: &[(String, String)]) -> String {
    let map: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('(') {
            match body.find(')') {
                Some(j) => {
                    let name = &body[..j];
                    match map.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&format!("$({name})")),
                    }
                    rest = &body[j + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = body;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A resourceFieldRef: the container's limit (or request) in units of the divisor, rounded up.
fn resource(c: &Container, r: &ResourceFieldSelector) -> String {
    let res = c.resources.as_ref();
    let (kind, which) = r.resource.split_once('.').unwrap_or(("limits", &r.resource));
    let q = match kind {
        "requests" => res.and_then(|x| x.requests.as_ref()).and_then(|m| m.get(which)),
        _ => res.and_then(|x| x.limits.as_ref()).and_then(|m| m.get(which)),
    };
    let value = q.map(|q| quantity(&q.0)).unwrap_or(0.0);
    let divisor = r.divisor.as_ref().map(|d| quantity(&d.0)).unwrap_or(1.0);
    ((value / divisor).ceil() as i64).to_string()
}

fn quantity(s: &str) -> f64 {
    let units = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("m", 0.001),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
    ];
    for (u, f) in units {
        if let Some(n) = s.strip_suffix(u) {
            return n.parse::<f64>().unwrap_or(0.0) * f;
        }
    }
    s.parse().unwrap_or(0.0)
}
