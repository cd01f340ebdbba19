//! Upgrade awareness: what `helm upgrade` from the chart in a directory to a newly rendered one would change in
//! the StatefulSet fields the API server never lets change (it refuses the whole upgrade), and renames that
//! would abandon the volumes and credentials.
//!
//! Both charts are read the same way, from the files onechart writes: the StatefulSet's value-driven parts from
//! `values.yaml` (names, claims, sizes, storage class), its literal parts (pod management policy, access modes)
//! from `templates/statefulset.yaml`. Values given at `helm upgrade` time (`--set`, `-f`) are not seen: the
//! chart README says what they change.

use serde_json::Value;

use crate::render::ChartFiles;

/// The parts of the StatefulSet that cannot change, plus its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// `fullnameOverride`, or empty for the release-based name.
    pub fullname_override: String,
    /// `app.kubernetes.io/name`: `nameOverride`, or the chart name.
    pub name: String,
    /// `volumeClaimTemplates`, in order.
    pub claims: Vec<Claim>,
    /// `spec.podManagementPolicy` (literal in the template).
    pub pod_management_policy: String,
    /// `accessModes` of the claims (literal in the template).
    pub access_modes: String,
    /// The storage class of the backup volume (`<fullname>-backups`, kept on uninstall), when backups are on:
    /// `backup.storageClass`, else `persistence.storageClass`; empty for the cluster default.
    pub backup_class: Option<String>,
}

/// One volume claim template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Template name (`data`, `mariadb`).
    pub name: &'static str,
    /// Requested size.
    pub size: String,
    /// StorageClass; empty for the cluster default.
    pub storage_class: String,
    /// The values key of its size.
    pub size_key: &'static str,
}

impl Shape {
    /// The StatefulSet's name as `helm upgrade` will make it.
    pub fn fullname(&self) -> String {
        if self.fullname_override.is_empty() {
            format!("<release>-{}", self.name)
        } else {
            self.fullname_override.clone()
        }
    }
}

/// The shape of a chart, from its `values.yaml` and `templates/statefulset.yaml`; `None` when they cannot be read.
pub fn shape(values_yaml: &str, statefulset: &str) -> Option<Shape> {
    let source = crate::source::SourceFile::from_text("values.yaml", values_yaml);
    let (root, _) = crate::yaml::parse_mapping(source).ok()?;
    let v = root.to_json();
    let text = |ptr: &str| v.pointer(ptr).and_then(Value::as_str).unwrap_or_default().to_string();
    let on = |ptr: &str| v.pointer(ptr).and_then(Value::as_bool).unwrap_or(false);
    let mut claims = Vec::new();
    if on("/persistence/enabled") {
        let class = text("/persistence/storageClass");
        claims.push(Claim {
            name: "data",
            size: text("/persistence/size"),
            storage_class: class.clone(),
            size_key: "persistence.size",
        });
        if text("/database/backend") == "mysql" && text("/database/mysql/host").is_empty() {
            claims.push(Claim {
                name: "mariadb",
                size: text("/persistence/databaseSize"),
                storage_class: class,
                size_key: "persistence.databaseSize",
            });
        }
    }
    let literal = |key: &str| {
        statefulset.lines().find_map(|l| l.trim().strip_prefix(key).map(|r| r.trim().to_string())).unwrap_or_default()
    };
    let name = text("/nameOverride");
    let backup_class = on("/backup/enabled").then(|| {
        let own = text("/backup/storageClass");
        if own.is_empty() { text("/persistence/storageClass") } else { own }
    });
    Some(Shape {
        fullname_override: text("/fullnameOverride"),
        name: if name.is_empty() { "opennebula".into() } else { name },
        claims,
        pod_management_policy: literal("podManagementPolicy:"),
        access_modes: literal("accessModes:"),
        backup_class,
    })
}

/// The shape of a rendered chart.
pub fn shape_of(files: &ChartFiles) -> Option<Shape> {
    shape(files.get("values.yaml")?, files.get("templates/statefulset.yaml")?)
}

/// What an upgrade from `old` to `new` would do that needs the operator: empty when nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Immutable StatefulSet fields that change: (field, old, new, values key).
    pub immutable: Vec<(String, String, String, String)>,
    /// Renames that abandon volumes and credentials: (values key, old, new).
    pub renames: Vec<(String, String, String)>,
    /// The backup volume's storage class, which a claim never changes: (old, new).
    pub backup_class: Option<(String, String)>,
}

impl Changes {
    /// True when the upgrade needs nothing special.
    pub fn is_empty(&self) -> bool {
        self.immutable.is_empty() && self.renames.is_empty() && self.backup_class.is_none()
    }
}

/// Compares two shapes.
pub fn compare(old: &Shape, new: &Shape) -> Changes {
    let mut c = Changes::default();
    let mut immutable = Vec::new();
    let mut field = |f: String, o: &str, n: &str, key: &str| {
        if o != n {
            immutable.push((f, shown(o), shown(n), key.to_string()));
        }
    };
    field(
        "spec.podManagementPolicy".into(),
        &old.pod_management_policy,
        &new.pod_management_policy,
        "the chart template",
    );
    field(
        "spec.selector.matchLabels[app.kubernetes.io/name] (and the claim templates' labels)".into(),
        &old.name,
        &new.name,
        "nameOverride",
    );
    let names = |s: &Shape| s.claims.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    if names(old) != names(new) {
        field(
            "spec.volumeClaimTemplates".into(),
            &format!("[{}]", names(old)),
            &format!("[{}]", names(new)),
            "persistence.enabled, database.backend, database.mysql.host",
        );
    }
    for n in &new.claims {
        let Some(o) = old.claims.iter().find(|o| o.name == n.name) else { continue };
        let at = format!("spec.volumeClaimTemplates[{}].spec", n.name);
        field(format!("{at}.resources.requests.storage"), &o.size, &n.size, n.size_key);
        field(format!("{at}.storageClassName"), &o.storage_class, &n.storage_class, "persistence.storageClass");
        if !old.access_modes.is_empty() {
            field(format!("{at}.accessModes"), &old.access_modes, &new.access_modes, "the chart template");
        }
    }
    c.immutable = immutable;
    if let (Some(o), Some(n)) = (&old.backup_class, &new.backup_class)
        && o != n
    {
        c.backup_class = Some((shown(o), shown(n)));
    }
    if old.fullname() != new.fullname() {
        let key = if old.fullname_override != new.fullname_override { "fullnameOverride" } else { "nameOverride" };
        c.renames.push((key.into(), old.fullname(), new.fullname()));
    }
    c
}

fn shown(v: &str) -> String {
    if v.is_empty() { "(empty)".into() } else { v.to_string() }
}

/// The warnings and procedures for `changes`, as printed by `generate`.
pub fn report(old: &Shape, changes: &Changes) -> String {
    let mut out = String::new();
    let sts = old.fullname();
    if !changes.immutable.is_empty() {
        out.push_str(
            "warning: `helm upgrade` to this chart will be refused by the API server: StatefulSet fields that \
             cannot change would change\n",
        );
        for (f, o, n, key) in &changes.immutable {
            out.push_str(&format!("  {f}: {o} -> {n} ({key})\n"));
        }
        out.push_str(&format!(
            "  To apply it (README.md, Changes the API server refuses):\n\
             \x20   1. kubectl delete statefulset {sts} -n <namespace> --cascade=orphan   # the pods keep running\n\
             \x20   2. helm upgrade <release> <chart> -n <namespace>   # a new StatefulSet adopts the pods and rolls them\n\
             \x20 Existing claims (data-{sts}-N) are kept and reused by name, with their old size and class:\n"
        ));
        let has = |part: &str| changes.immutable.iter().any(|(f, ..)| f.contains(part));
        if has("storage") {
            out.push_str(&format!(
                "    - a size change is not applied to them: expand each claim by hand, if its StorageClass allows\n\
                 \x20     it: kubectl patch pvc data-{sts}-0 -n <namespace> -p \
                 '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"<size>\"}}}}}}}}' (each member, each claim);\n\
                 \x20     a claim never shrinks: a smaller size needs a backup, new claims and a restore\n"
            ));
        }
        if has("storageClassName") || has("accessModes") {
            out.push_str(
                "    - a claim never changes class or access mode: back up, delete the claim and its pod, let the\n\
                 \x20     StatefulSet make a new one, restore (README.md, Backups and restore)\n",
            );
        }
        if changes.immutable.iter().any(|(f, ..)| f == "spec.volumeClaimTemplates") {
            out.push_str(
                "    - a new claim template starts empty on every member; a removed one leaves its claims behind,\n\
                 \x20     unused (delete them once their data is safe)\n",
            );
        }
    }
    if let Some((o, n)) = &changes.backup_class {
        out.push_str(&format!(
            "warning: `helm upgrade` to this chart will be refused by the API server: the backup volume \
             {sts}-backups would change its storage class: {o} -> {n} (backup.storageClass, \
             persistence.storageClass)\n\
             \x20 A claim never changes class. Copy the backups out of it, then `kubectl delete pvc {sts}-backups -n \
             <namespace>` (it is kept on uninstall, so Helm never deletes it) and `helm upgrade`: a new, empty \
             volume is made in the new class; copy the backups back (README.md, Changes the API server refuses).\n"
        ));
    }
    for (key, o, n) in &changes.renames {
        out.push_str(&format!(
            "warning: `{key}` renames the release's objects: StatefulSet {o} -> {n}\n\
             \x20 The new StatefulSet starts with EMPTY volumes (claims data-{n}-N), and its Secrets ({n}-auth, \
             {n}-ssh, ...) do not exist yet, so the secrets job makes NEW credentials: a new oneadmin password, \
             one_key and SSH key, which the hypervisors reject. The old claims and Secrets stay, abandoned.\n\
             \x20 Keep the old name; or move deliberately: back up the database, copy each Secret to its new name \
             before `helm upgrade`, restore (README.md, Renames). A new release name (`helm install <other>`) does \
             the same; onechart cannot see it.\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(extra: &str) -> String {
        format!(
            "nameOverride: \"\"\nfullnameOverride: \"\"\ndatabase:\n  backend: mysql\n  mysql:\n    host: \"\"\n\
             persistence:\n  enabled: true\n  storageClass: \"\"\n  size: 20Gi\n  databaseSize: 10Gi\n{extra}"
        )
    }

    const STS: &str = "spec:\n  podManagementPolicy: Parallel\n        accessModes: [\"ReadWriteOnce\"]\n";

    #[test]
    fn the_backup_volume_class_is_told_apart() {
        let with = |extra: &str| shape(&values(&format!("backup:\n  enabled: true\n{extra}")), STS).unwrap();
        let old = with("  storageClass: \"\"\n");
        // The volume follows persistence.storageClass when backup.storageClass is empty: the same class, nothing.
        assert!(compare(&old, &with("  storageClass: \"\"\n")).is_empty());
        let c = compare(&old, &with("  storageClass: offsite\n"));
        assert_eq!(c.backup_class, Some(("(empty)".to_string(), "offsite".to_string())));
        assert!(c.immutable.is_empty(), "the StatefulSet is not concerned");
        let text = report(&old, &c);
        assert!(text.contains("kubectl delete pvc <release>-opennebula-backups"), "{text}");
        // Backups turned on or off: a volume made or left behind, no class change.
        let off = shape(&values("backup:\n  enabled: false\n  storageClass: other\n"), STS).unwrap();
        assert!(compare(&off, &old).is_empty() && compare(&old, &off).is_empty());
    }

    #[test]
    fn sizes_classes_claims_and_names_are_named_by_field() {
        let old = shape(&values(""), STS).unwrap();
        assert!(compare(&old, &old).is_empty());
        let bigger = shape(&values("").replace("size: 20Gi", "size: 30Gi"), STS).unwrap();
        let c = compare(&old, &bigger);
        assert_eq!(
            c.immutable,
            [(
                "spec.volumeClaimTemplates[data].spec.resources.requests.storage".to_string(),
                "20Gi".to_string(),
                "30Gi".to_string(),
                "persistence.size".to_string()
            )]
        );
        let text = report(&old, &c);
        assert!(
            text.contains("kubectl delete statefulset <release>-opennebula -n <namespace> --cascade=orphan"),
            "{text}"
        );
        assert!(text.contains("kubectl patch pvc data-<release>-opennebula-0"), "{text}");
        let external = shape(&values("").replace("host: \"\"", "host: db.example.com"), STS).unwrap();
        assert_eq!(compare(&old, &external).immutable[0].0, "spec.volumeClaimTemplates");
        let renamed = shape(&values("").replace("fullnameOverride: \"\"", "fullnameOverride: cloud"), STS).unwrap();
        let c = compare(&old, &renamed);
        assert_eq!(c.renames, [("fullnameOverride".into(), "<release>-opennebula".into(), "cloud".into())]);
        let ordered = shape(&values(""), &STS.replace("Parallel", "OrderedReady")).unwrap();
        assert_eq!(compare(&ordered, &old).immutable[0].0, "spec.podManagementPolicy");
    }
}
