//! The Deployment controller (kubernetes.io/docs/concepts/workloads/controllers/deployment/), as far as the
//! chart's add-ons (OneGate, FireEdge, OneFlow..., each a Deployment reaching the leader through the -leader
//! Service) need it:
//! - pods `<deployment>-<pod-template-hash>-<5 characters>`, labelled with the template's labels and
//!   `pod-template-hash` (the ReplicaSet's); the hash is a function of the pod template, so a changed template (a
//!   `helm upgrade`) makes pods of a new hash, as a new ReplicaSet would;
//! - `spec.replicas` pods of the current template kept running: a deleted pod is replaced by a new one, with a
//!   new name;
//! - strategy `RollingUpdate` (the default): new pods up to `replicas + maxSurge`, an old pod deleted whenever the
//!   Ready pods stay at least `replicas - maxUnavailable` without it (defaults 25% each, the surge rounded up, the
//!   unavailable rounded down: deployment/#max-surge, #max-unavailable); `Recreate`: every old pod gone before a
//!   new one is made.
//!
//! Stand-ins, named: no ReplicaSet objects (the pods carry the hash themselves), no `minReadySeconds`,
//! `progressDeadlineSeconds`, `paused` or revision history; a deleted pod gets the pod's grace period, as with
//! `kubectl delete pod`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use super::pod::{self, NewPod, Owner, Pod};
use super::{Inner, labels, pod_grace, start_pod};

/// The characters Kubernetes names generated objects with (k8s.io/apimachinery/pkg/util/rand: SafeEncodeString
/// and String use "bcdfghjklmnpqrstvwxz2456789": no vowels, no 0, 1 or 3).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `pod-template-hash`: FNV-1a (32 bits) of the template, in the safe alphabet, as the Deployment controller
/// names a ReplicaSet (kubernetes/kubernetes@v1.33.0:pkg/controller/controller_utils.go ComputeHash hashes the
/// template with FNV-32a; the runner hashes its JSON).
pub fn template_hash(template: &Value) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in template.to_string().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    let mut out = String::new();
    let mut n = h;
    for _ in 0..10 {
        out.push(ALPHABET[(n % ALPHABET.len() as u32) as usize] as char);
        n /= ALPHABET.len() as u32;
        if n == 0 {
            break;
        }
    }
    out
}

/// Five characters for a pod name (the ReplicaSet's `generateName` suffix), distinct within the cluster.
fn suffix(inner: &Inner) -> String {
    let mut n = (inner.instances.load(Ordering::SeqCst) as u64 + 1).wrapping_mul(2654435761) ^ 0x5bd1e995;
    (0..5)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// An IntOrString of the strategy ("25%" or 1) as a count of `replicas`, rounded up or down.
fn scaled(v: &Value, replicas: i64, default: &str, up: bool) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        other => {
            let s = other.as_str().unwrap_or(default);
            let pct: f64 = s.trim_end_matches('%').parse().unwrap_or(25.0);
            let x = replicas as f64 * pct / 100.0;
            (if up { x.ceil() } else { x.floor() }) as i64
        }
    }
}

/// The live pods of a Deployment (not gone, not being deleted).
pub fn pods_of(inner: &Inner, deployment: &str) -> Vec<Arc<Pod>> {
    inner
        .pods
        .lock()
        .unwrap()
        .values()
        .filter(|p| matches!(&p.owner, Owner::Deployment(d) if d == deployment))
        .filter(|p| !p.gone.load(Ordering::SeqCst) && !p.deleting.load(Ordering::SeqCst))
        .cloned()
        .collect()
}

/// Deletes a pod in the background (the controller's loop goes on meanwhile).
fn delete_later(p: Arc<Pod>) {
    p.deleting.store(true, Ordering::SeqCst);
    std::thread::spawn(move || pod::delete(&p, pod_grace(&p) + Duration::from_secs(30)));
}

/// One pass of the controller over every Deployment.
pub fn reconcile(inner: &Arc<Inner>) {
    let deployments: Vec<(String, Value)> =
        inner.state.lock().unwrap().deployments.iter().map(|(n, d)| (n.clone(), d.clone())).collect();
    for (name, d) in deployments {
        let spec = &d["spec"];
        let template = &spec["template"];
        let hash = template_hash(template);
        let replicas = spec["replicas"].as_i64().unwrap_or(1).max(0);
        let live = pods_of(inner, &name);
        let is_new = |p: &Arc<Pod>| p.labels.get("pod-template-hash") == Some(&hash);
        let (new, old): (Vec<_>, Vec<_>) = live.iter().cloned().partition(is_new);
        // Pods of the Deployment still terminating (Recreate waits for them).
        let terminating = inner.pods.lock().unwrap().values().any(|p| {
            matches!(&p.owner, Owner::Deployment(x) if *x == name)
                && !p.gone.load(Ordering::SeqCst)
                && p.deleting.load(Ordering::SeqCst)
                && !is_new(p)
        });
        let strategy = &spec["strategy"];
        let recreate = strategy["type"].as_str() == Some("Recreate");
        let make = || {
            let meta = &template["metadata"];
            let mut l = labels(&meta["labels"]);
            l.insert("pod-template-hash".into(), hash.clone());
            let pod_name = format!("{name}-{hash}-{}", suffix(inner));
            let spec = serde_json::from_value(template["spec"].clone())
                .unwrap_or_else(|e| panic!("Deployment {name}: pod template: {e}"));
            start_pod(
                inner,
                NewPod {
                    name: pod_name,
                    labels: l,
                    annotations: labels(&meta["annotations"]),
                    spec,
                    owner: Owner::Deployment(name.clone()),
                },
            );
        };
        if recreate {
            if !old.is_empty() {
                old.into_iter().for_each(delete_later);
                continue;
            }
            if terminating {
                continue;
            }
        } else if !old.is_empty() {
            let rolling = &strategy["rollingUpdate"];
            let surge = scaled(&rolling["maxSurge"], replicas, "25%", true);
            let unavailable = scaled(&rolling["maxUnavailable"], replicas, "25%", false);
            let (surge, unavailable) = if surge == 0 && unavailable == 0 { (1, 0) } else { (surge, unavailable) };
            if (new.len() as i64) < replicas && (live.len() as i64) < replicas + surge {
                make();
                continue;
            }
            let ready = live.iter().filter(|p| p.ready()).count() as i64;
            // An old pod that is not Ready costs no availability: it goes first.
            if let Some(p) = old.iter().find(|p| !p.ready()) {
                delete_later(p.clone());
            } else if ready > replicas - unavailable {
                delete_later(old[0].clone());
            }
            continue;
        }
        if (new.len() as i64) < replicas {
            make();
        } else if (new.len() as i64) > replicas {
            // The newest go first when scaling down (the ReplicaSet controller prefers not Ready, then newer pods).
            let mut extra = new.clone();
            extra.sort_by_key(|p| (p.ready(), std::cmp::Reverse(p.uid.clone())));
            extra.into_iter().take((new.len() as i64 - replicas) as usize).for_each(delete_later);
        }
    }
}
