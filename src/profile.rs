//! Deployment profiles: data files that name an environment, the site values they cannot know, and defaults.
//!
//! Every profile is layered over `profiles/defaults.yaml`. The built-in profiles are embedded in the binary
//! (so onechart works offline from any directory); `--profile PATH` loads a user's own profile file in the
//! same format. Profile files are checked like values files: unknown keys are errors with a suggestion and an
//! exact position.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::layers::{Layer, Merged, Origin};
use crate::source::{InputError, Location, SourceFile};
use crate::suggest::did_you_mean;
use crate::yaml::{self, Node, NodeKind};

/// A built-in profile file, embedded at build time.
struct Builtin {
    name: &'static str,
    text: &'static str,
}

/// The name of the embedded defaults every profile is layered over, as findings show it. Users of the installed
/// binary have no `profiles/` directory, so built-in files are named for what they are, never by a path.
pub const DEFAULTS_SOURCE: &str = "onechart defaults (built-in)";
const DEFAULTS: &str = include_str!("../profiles/defaults.yaml");

const BUILTINS: &[Builtin] = &[
    Builtin { name: "dev-sqlite", text: include_str!("../profiles/dev-sqlite.yaml") },
    Builtin { name: "prod-mysql", text: include_str!("../profiles/prod-mysql.yaml") },
    Builtin { name: "ha-raft", text: include_str!("../profiles/ha-raft.yaml") },
];

/// The name a built-in profile's values are shown under: `profile prod-mysql (built-in)`.
pub fn builtin_source(name: &str) -> String {
    format!("profile {name} (built-in)")
}

/// True for the name of an embedded file (a built-in profile or the defaults).
pub fn is_builtin_source(file: &str) -> bool {
    file == DEFAULTS_SOURCE || BUILTINS.iter().any(|b| file == builtin_source(b.name))
}

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "dev-sqlite";

/// Names of the built-in profiles, in catalogue order.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|b| b.name).collect()
}

/// A value the site must provide.
#[derive(Debug, Clone)]
pub struct SiteValue {
    /// Dotted values path.
    pub path: String,
    /// What it is and what to put there.
    pub description: String,
}

/// A loaded profile.
#[derive(Debug)]
pub struct Profile {
    /// Profile name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// `development` or `production`.
    pub environment: String,
    /// Values the site must set.
    pub site_values: Vec<SiteValue>,
    /// The defaults layer (the embedded `profiles/defaults.yaml`).
    pub defaults: Layer,
    /// The profile's own values layer.
    pub layer: Layer,
}

const PROFILE_KEYS: &[&str] = &["name", "summary", "environment", "siteValues", "values"];

impl Profile {
    /// Loads a built-in profile by name, or a profile file by path.
    pub fn load(spec: &str) -> Result<Profile, InputError> {
        if let Some(b) = BUILTINS.iter().find(|b| b.name == spec) {
            return Profile::parse(SourceFile::from_text(builtin_source(b.name), b.text));
        }
        let path = Path::new(spec);
        if path.exists() {
            return Profile::parse(SourceFile::read(path)?);
        }
        let mut msg = format!("unknown profile `{spec}`");
        if let Some(s) = did_you_mean(spec, builtin_names()) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        Err(InputError::new(Location::file("--profile"), msg)
            .with_details(vec![format!("built-in profiles: {}", builtin_names().join(", "))]))
    }

    /// Parses a profile file.
    pub fn parse(source: Arc<SourceFile>) -> Result<Profile, InputError> {
        let (root, quirks) = yaml::parse_mapping(source.clone())?;
        let at = |pos: yaml::Pos| Location::at(&source.name, pos.line, pos.column);
        for e in root.as_map().unwrap_or_default() {
            if !PROFILE_KEYS.contains(&e.key.as_str()) {
                let mut msg = format!("unknown profile key `{}`", e.key);
                if let Some(s) = did_you_mean(&e.key, PROFILE_KEYS.iter().copied()) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                return Err(InputError::new(at(e.key_pos), msg)
                    .with_details(vec![format!("profile keys: {}", PROFILE_KEYS.join(", "))]));
            }
        }
        let string = |key: &str| -> Result<(String, Location), InputError> {
            match root.get(key) {
                Some(e) => match &e.value.kind {
                    NodeKind::Str(s) if !s.is_empty() => Ok((s.clone(), at(e.value.pos))),
                    _ => Err(InputError::new(at(e.value.pos), format!("profile `{key}` must be a non-empty string"))),
                },
                None => Err(InputError::new(Location::file(&source.name), format!("profile has no `{key}`"))),
            }
        };
        let (name, name_loc) = string("name")?;
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(InputError::new(
                name_loc,
                format!("profile name `{name}` must be lowercase letters, digits and `-`"),
            ));
        }
        let (summary, _) = string("summary")?;
        let (environment, env_loc) = string("environment")?;
        if environment != "development" && environment != "production" {
            return Err(InputError::new(
                env_loc,
                format!("profile environment `{environment}` must be `development` or `production`"),
            ));
        }
        let site_values = parse_site_values(&root, &source)?;
        let values_node = match root.get("values") {
            Some(e) if e.value.as_map().is_some() => e.value.clone(),
            Some(e) => {
                return Err(InputError::new(at(e.value.pos), "profile `values` must be a mapping".to_string()));
            }
            None => Node { kind: NodeKind::Map(Vec::new()), pos: yaml::Pos::default() },
        };
        let quirks = quirks
            .into_iter()
            .filter_map(|mut q| {
                q.path = q.path.strip_prefix("values.")?.to_string();
                Some(q)
            })
            .collect();
        let mut layer = Layer::from_node(source.clone(), &values_node, quirks);
        // The profile's name and environment are values too (`profile`, `environment`).
        let obj = layer.value.as_object_mut().expect("values is a mapping");
        for (key, v, loc) in [("profile", &name, &name_loc), ("environment", &environment, &env_loc)] {
            if !obj.contains_key(key) {
                obj.insert(key.to_string(), Value::String(v.clone()));
                layer.origins.insert(format!("/{key}"), Origin { key: loc.clone(), value: loc.clone() });
            }
        }
        let defaults_src = SourceFile::from_text(DEFAULTS_SOURCE, DEFAULTS);
        let (defaults_root, _) = yaml::parse_mapping(defaults_src.clone())?;
        let defaults = Layer::from_node(defaults_src, &defaults_root, Vec::new());
        Ok(Profile { name, summary, environment, site_values, defaults, layer })
    }

    /// The profile's own defaults merged (no user values).
    pub fn merged_defaults(&self) -> Merged {
        Merged::from_layers([&self.defaults, &self.layer])
    }

    /// The safety envelope the chart's schema enforces, derived from the profile's defaults.
    pub fn envelope(&self) -> Envelope {
        let m = self.merged_defaults();
        Envelope {
            production: self.environment == "production",
            ha: m.get("oned.replicas").and_then(Value::as_u64).unwrap_or(1) > 1,
        }
    }

    /// Site values that are missing (absent, null or empty) in the merged values.
    pub fn missing_site_values(&self, merged: &Merged) -> Vec<&SiteValue> {
        self.site_values
            .iter()
            .filter(|sv| match merged.get(&sv.path) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            })
            .collect()
    }
}

fn parse_site_values(root: &Node, source: &Arc<SourceFile>) -> Result<Vec<SiteValue>, InputError> {
    let Some(e) = root.get("siteValues") else {
        return Ok(Vec::new());
    };
    let bad = |pos: yaml::Pos| {
        InputError::new(
            Location::at(&source.name, pos.line, pos.column),
            "profile `siteValues` must be a list of `{path, description}`".to_string(),
        )
    };
    let NodeKind::Seq(items) = &e.value.kind else {
        return Err(bad(e.value.pos));
    };
    items
        .iter()
        .map(|item| {
            let get = |k: &str| match item.get(k).map(|e| &e.value.kind) {
                Some(NodeKind::Str(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            };
            match (get("path"), get("description"), item.as_map().map(<[_]>::len)) {
                (Some(path), Some(description), Some(2)) => Ok(SiteValue { path, description }),
                _ => Err(bad(item.pos)),
            }
        })
        .collect()
}

/// What a profile forbids, enforced by the chart's schema so `helm install --set` cannot undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// Production: no SQLite.
    pub production: bool,
    /// Raft HA: odd replicas of at least 3, no `monitorAddress: auto`, no SQLite.
    pub ha: bool,
}
