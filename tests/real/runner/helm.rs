//! The chart, as Helm renders and installs it: `onechart generate` (the crate's own binary), `helm template` with
//! Helm 4 (and Helm 3, which must render the same objects), then what `helm install` and `helm test` do with
//! the objects (helm.sh/docs/topics/charts_hooks/, helm.sh/docs/topics/chart_tests/):
//! - hooks of an event run in order of `helm.sh/hook-weight`, then name, then Helm's install order of kinds;
//!   each is created and, for a Job or a Pod, waited for: a failed hook fails the install;
//! - `helm.sh/hook-delete-policy`: `before-hook-creation` (the default when none is given) deletes the previous
//!   hook object first, `hook-failed` deletes it when it failed, `hook-succeeded` once every hook of the event
//!   succeeded, in reverse order (helm/helm@v3.17.3:pkg/action/hooks.go, execHook);
//! - the release's other objects are created after the pre-install hooks and before the post-install ones.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::sh::{run, text};
use super::{Cluster, Pod};

/// A generated and rendered chart.
pub struct Chart {
    pub dir: PathBuf,
    pub release: String,
    pub namespace: String,
    pub objects: Vec<Value>,
}

/// The release line of a release (`opennebula.version`): 7.4.0 -> 7.4.
pub fn line(release: &str) -> String {
    release.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// A pinned Helm binary (scripts/install-tools.sh); missing is a failure, never a skip.
pub fn helm(version: &str) -> PathBuf {
    let p = crate::root().join(".tools/bin").join(version);
    assert!(p.exists(), "{} is missing: run scripts/install-tools.sh (scripts/test.sh does)", p.display());
    p
}

impl Chart {
    /// `onechart generate --profile PROFILE` for OpenNebula `release` with `args` (e.g. `--set k=v`), into
    /// `work`, rendered as release `one` in `namespace`.
    pub fn generate(profile: &str, release: &str, args: &[&str], work: &Path, namespace: &str) -> Chart {
        let dir = work.join("chart");
        let version = format!("opennebula.version={}", line(release));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_onechart"));
        cmd.args(["generate", "--profile", profile, "--set", &version]);
        for (set, _) in super::image::MISSING {
            cmd.args(["--set", set]);
        }
        cmd.args(args).arg("-o").arg(&dir);
        run(&mut cmd);
        let render = |helm_bin: &str| {
            let o =
                run(Command::new(helm(helm_bin)).args(["template", "one"]).arg(&dir).args(["--namespace", namespace]));
            super::yaml::documents(&text(&o.stdout))
        };
        let objects = render("helm4");
        let mut h3 = render("helm3");
        let mut h4 = objects.clone();
        let key = |v: &Value| format!("{}/{}", v["kind"], v["metadata"]["name"]);
        h3.sort_by_key(key);
        h4.sort_by_key(key);
        assert_eq!(h3.len(), h4.len(), "Helm 3 and Helm 4 render different numbers of objects");
        for (a, b) in h3.iter().zip(&h4) {
            assert_eq!(a, b, "Helm 3 and Helm 4 render {} differently", key(a));
        }
        Chart { dir, release: release.into(), namespace: namespace.into(), objects }
    }

    fn hooks(&self, event: &str) -> Vec<&Value> {
        let mut hooks: Vec<&Value> =
            self.objects.iter().filter(|o| hook_events(o).iter().any(|e| e == event)).collect();
        hooks.sort_by_key(|o| {
            let weight: i64 = annotation(o, "helm.sh/hook-weight").and_then(|w| w.trim().parse().ok()).unwrap_or(0);
            let kind = o["kind"].as_str().unwrap_or_default();
            (weight, o["metadata"]["name"].as_str().unwrap_or_default().to_string(), install_order(kind))
        });
        hooks
    }

    /// The release's objects that are not hooks.
    pub fn resources(&self) -> Vec<&Value> {
        let mut out: Vec<&Value> = self.objects.iter().filter(|o| hook_events(o).is_empty()).collect();
        out.sort_by_key(|o| install_order(o["kind"].as_str().unwrap_or_default()));
        out
    }

    /// The first rendered object of a kind and name.
    pub fn object(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("the chart renders no {kind} {name}"))
    }
}

fn annotation<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o["metadata"]["annotations"][key].as_str()
}

fn hook_events(o: &Value) -> Vec<String> {
    annotation(o, "helm.sh/hook").map(|h| h.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default()
}

/// Helm's InstallOrder (pkg/release/util/kind_sorter.go).
fn install_order(kind: &str) -> usize {
    const ORDER: &[&str] = &[
        "PriorityClass",
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "PodSecurityPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Secret",
        "SecretList",
        "ConfigMap",
        "StorageClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleList",
        "ClusterRoleBinding",
        "ClusterRoleBindingList",
        "Role",
        "RoleList",
        "RoleBinding",
        "RoleBindingList",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "CronJob",
        "IngressClass",
        "Ingress",
        "APIService",
    ];
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// What a hook run did: the hook objects that ran pods, with their pods.
pub struct HookRun {
    pub name: String,
    pub ok: bool,
    pub pods: Vec<Arc<Pod>>,
}

impl Cluster {
    /// Runs the hooks of `event` (pre-install, post-install, pre-upgrade, test...) as Helm does. Panics when a
    /// hook fails, unless `event` is `test` (see `helm_test`).
    pub fn run_hooks(&self, chart: &Chart, event: &str) -> Vec<HookRun> {
        let mut runs = Vec::new();
        let mut succeeded = Vec::new();
        for h in chart.hooks(event) {
            let policy: Vec<&str> = annotation(h, "helm.sh/hook-delete-policy")
                .map_or(vec!["before-hook-creation"], |p| p.split(',').map(str::trim).collect());
            let kind = h["kind"].as_str().unwrap_or_default();
            let name = h["metadata"]["name"].as_str().unwrap_or_default().to_string();
            if policy.contains(&"before-hook-creation") {
                self.delete(h);
            }
            let (ok, pods) = match kind {
                "Job" => {
                    self.api().apply(h);
                    self.run_job(h)
                }
                "Pod" => {
                    let (ok, pod) = self.run_pod(h, Duration::from_secs(1800));
                    (ok, vec![pod])
                }
                _ => {
                    self.apply(h);
                    (true, vec![])
                }
            };
            if !ok && policy.contains(&"hook-failed") {
                self.delete(h);
            }
            if !ok && event != "test" {
                panic!("the {event} hook {kind} {name} failed: Helm stops the release here");
            }
            succeeded.push((h, policy.contains(&"hook-succeeded") && ok));
            if kind == "Job" || kind == "Pod" {
                runs.push(HookRun { name, ok, pods });
            }
        }
        // `hook-succeeded` objects go once every hook of the event ran, last first (Helm's execHook).
        for (h, delete) in succeeded.into_iter().rev() {
            if delete {
                self.delete(h);
            }
        }
        runs
    }

    /// `helm install`: pre-install hooks, the release's objects, post-install hooks (Helm does not wait for pods
    /// to be Ready without `--wait`; use `wait_ready`).
    pub fn install(&self, chart: &Chart) {
        assert_eq!(chart.namespace, self.inner.namespace, "the chart was rendered for another namespace");
        self.run_hooks(chart, "pre-install");
        for o in chart.resources() {
            self.apply(o);
        }
        self.run_hooks(chart, "post-install");
    }

    /// `helm upgrade` to `chart`: pre-upgrade hooks, the release's objects applied again (a Service keeps its
    /// ClusterIP; a StatefulSet whose pod template changed rolls out, each pod Ready before the next, its
    /// containers on the image stand-in their image tag names), post-upgrade hooks.
    pub fn upgrade(&self, chart: &Chart) {
        assert_eq!(chart.namespace, self.inner.namespace, "the chart was rendered for another namespace");
        self.run_hooks(chart, "pre-upgrade");
        for o in chart.resources() {
            self.apply(o);
        }
        self.run_hooks(chart, "post-upgrade");
    }

    /// `helm test`: every test hook pod, in order; (name, succeeded, log of its containers).
    pub fn helm_test(&self, chart: &Chart) -> Vec<(String, bool, String)> {
        self.run_hooks(chart, "test")
            .into_iter()
            .map(|r| {
                let log = r
                    .pods
                    .iter()
                    .flat_map(|p| {
                        p.spec.containers.iter().map(move |c| (p.logs.join(format!("{}.log", c.name)), c.name.clone()))
                    })
                    .map(|(f, c)| format!("--- {c} ---\n{}", std::fs::read_to_string(f).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n");
                (r.name, r.ok, log)
            })
            .collect()
    }
}
