//! The project file (`onechart.yaml`): the values layers of each environment of a site, so that `onechart lint
//! --project` (and its pre-commit hook) checks each environment as `generate` compiles it, instead of each partial
//! file alone.
//!
//! ```yaml
//! environments:
//!   staging:
//!     profile: prod-mysql
//!     values: [common.yaml, staging.yaml]
//!   prod:
//!     profile: ha-raft
//!     values: [common.yaml, prod.yaml]
//!     set: [oned.podAntiAffinity=hard]
//! ```
//!
//! Paths are relative to the project file's directory. `profile` is optional (the files' `profile:` key, as for
//! `-f`); `values` is required; `set` is optional.

use std::path::{Component, Path, PathBuf};

use crate::compile::{ProfileAsked, Request};
use crate::source::{InputError, Location, SourceFile};
use crate::suggest::did_you_mean;
use crate::yaml::{self, Node, NodeKind};

/// One environment of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its name (the key under `environments`).
    pub name: String,
    /// What to compile: the profile (with where the environment names it), the layers and `--set` values.
    pub request: Request,
}

impl Environment {
    /// `--profile` over this environment: taken when the environment names no profile or the same one; another
    /// is refused at the environment's `profile` key, as a values file's `profile:` is (never silently replaced:
    /// `--profile dev-sqlite` would lint and generate a production environment as development).
    pub fn with_profile_flag(mut self, flag: Option<&String>) -> Result<Environment, InputError> {
        let Some(flag) = flag else { return Ok(self) };
        if let (Some(named), ProfileAsked::Project { at, .. }) = (&self.request.profile, &self.request.profile_asked) {
            let same = |a: &str, b: &str| {
                a == b || matches!((Path::new(a).canonicalize(), Path::new(b).canonicalize()), (Ok(x), Ok(y)) if x == y)
            };
            if !same(named, flag) {
                return Err(InputError::new(
                    at.clone(),
                    format!(
                        "the project file's environment `{env}` uses profile `{named}` (`environments.{env}.profile`, \
                         here), but {asks}; onechart never replaces an environment's profile: drop --profile, or change \
                         `environments.{env}.profile`",
                        env = self.name,
                        asks = ProfileAsked::Flag.asks(flag)
                    ),
                ));
            }
        }
        self.request.profile = Some(flag.clone());
        self.request.profile_asked = ProfileAsked::Flag;
        Ok(self)
    }
}

const ENV_KEYS: &[&str] = &["profile", "values", "set"];

/// Reads a project file.
pub fn read(path: &Path) -> Result<Vec<Environment>, InputError> {
    let source = SourceFile::read(path)?;
    let (root, _) = yaml::parse_mapping(source.clone())?;
    let name = source.name.clone();
    let at = |n: &Node| Location::at(&name, n.pos.line, n.pos.column);
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for e in root.as_map().unwrap_or_default() {
        if e.key != "environments" {
            return Err(InputError::new(
                Location::at(&name, e.key_pos.line, e.key_pos.column),
                format!("unknown project key `{}`; a project file has `environments`", e.key),
            ));
        }
    }
    let Some(envs) = root.get("environments") else {
        return Err(InputError::new(
            Location::file(&name),
            "a project file needs `environments`, for example `environments: {prod: {profile: ha-raft, values: [common.yaml, prod.yaml]}}`".to_string(),
        ));
    };
    let Some(entries) = envs.value.as_map().filter(|m| !m.is_empty()) else {
        return Err(InputError::new(
            at(&envs.value),
            "`environments` must be a mapping of names to environments".into(),
        ));
    };
    let mut out = Vec::new();
    for env in entries {
        let here = format!("environments.{}", env.key);
        let Some(keys) = env.value.as_map() else {
            return Err(InputError::new(at(&env.value), format!("`{here}` must be a mapping of profile, values, set")));
        };
        for k in keys {
            if !ENV_KEYS.contains(&k.key.as_str()) {
                let mut msg = format!("unknown key `{here}.{}`", k.key);
                if let Some(s) = did_you_mean(&k.key, ENV_KEYS.iter().copied()) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                return Err(InputError::new(Location::at(&name, k.key_pos.line, k.key_pos.column), msg));
            }
        }
        let strings = |key: &str| -> Result<Vec<String>, InputError> {
            let Some(e) = env.value.get(key) else { return Ok(Vec::new()) };
            let bad = || InputError::new(at(&e.value), format!("`{here}.{key}` must be a list of strings"));
            let NodeKind::Seq(items) = &e.value.kind else { return Err(bad()) };
            items
                .iter()
                .map(|i| match &i.kind {
                    NodeKind::Str(s) if !s.is_empty() => {
                        if key == "values" {
                            inside_project(&base, s)
                                .map_err(|m| InputError::new(at(i), format!("`{here}.{key}`: {m}")))?;
                        }
                        Ok(s.clone())
                    }
                    _ => Err(InputError::new(at(i), format!("`{here}.{key}` must be a list of strings"))),
                })
                .collect()
        };
        let values = strings("values")?;
        if values.is_empty() {
            return Err(InputError::new(
                Location::at(&name, env.key_pos.line, env.key_pos.column),
                format!("`{here}.values` must list the values files of the environment, in layering order"),
            ));
        }
        let named = env.value.get("profile");
        let profile_asked = named
            .map_or(ProfileAsked::Flag, |e| ProfileAsked::Project { environment: env.key.clone(), at: at(&e.value) });
        let profile = match named {
            None => None,
            Some(e) => match &e.value.kind {
                NodeKind::Str(s) if !s.is_empty() => {
                    if !crate::profile::builtin_names().contains(&s.as_str()) {
                        inside_project(&base, s)
                            .map_err(|m| InputError::new(at(&e.value), format!("`{here}.profile`: {m}")))?;
                    }
                    Some(profile_spec(&base, s))
                }
                _ => return Err(InputError::new(at(&e.value), format!("`{here}.profile` must be a profile name"))),
            },
        };
        let values = values.iter().map(|v| join(&base, v)).collect();
        let request = Request { profile, profile_asked, values, set: strings("set")? };
        out.push(Environment { name: env.key.clone(), request });
    }
    Ok(out)
}

/// One environment of a project file; an unknown name is an error with a suggestion.
pub fn environment(path: &Path, name: &str) -> Result<Environment, InputError> {
    let envs = read(path)?;
    if let Some(e) = envs.iter().find(|e| e.name == name) {
        return Ok(e.clone());
    }
    let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
    let mut msg = format!("--env {name}: the project has no such environment");
    if let Some(s) = did_you_mean(name, names.iter().copied()) {
        msg.push_str(&format!("; did you mean `{s}`?"));
    }
    msg.push_str(&format!(" (environments: {})", names.join(", ")));
    Err(InputError::new(Location::file(&path.display().to_string()), msg))
}

/// A file a project file names stays inside the project file's directory: not absolute, no `..`, and no symbolic
/// link on the way that leads out of it (lint quotes the lines of the files it reads, so a project file in a pull
/// request could otherwise print a file of the CI machine, a Docker configuration say).
fn inside_project(base: &Path, rel: &str) -> Result<(), String> {
    let path = Path::new(rel);
    let leaves = || format!("`{rel}` leaves the project file's directory; name a file inside it, by a relative path");
    if path.is_absolute() || path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(leaves());
    }
    let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    // A file that does not exist is reported when it is read; one that exists must resolve inside the directory.
    if let (Ok(dir), Ok(file)) = (dir.canonicalize(), dir.join(path).canonicalize())
        && !file.starts_with(&dir)
    {
        return Err(format!("{} (a symbolic link on the way leads out of it)", leaves()));
    }
    Ok(())
}

fn join(base: &Path, rel: &str) -> PathBuf {
    if base.as_os_str().is_empty() { PathBuf::from(rel) } else { base.join(rel) }
}

/// A built-in profile name as is; a path to a profile file, relative to the project.
fn profile_spec(base: &Path, spec: &str) -> String {
    if crate::profile::builtin_names().contains(&spec) {
        spec.to_string()
    } else {
        join(base, spec).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_read_relative_to_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("onechart.yaml");
        std::fs::write(
            &p,
            "environments:\n  prod:\n    profile: ha-raft\n    values: [common.yaml, prod.yaml]\n    set: [a=b]\n  dev:\n    values: [dev.yaml]\n",
        )
        .unwrap();
        let envs = read(&p).unwrap();
        assert_eq!(envs.len(), 2);
        assert_eq!(envs[0].name, "prod");
        assert_eq!(envs[0].request.profile.as_deref(), Some("ha-raft"));
        assert_eq!(envs[0].request.values, [dir.path().join("common.yaml"), dir.path().join("prod.yaml")]);
        assert_eq!(envs[0].request.set, ["a=b"]);
        assert_eq!(envs[1].request.profile, None);
        std::fs::write(&p, "environments:\n  prod:\n    valus: [a.yaml]\n").unwrap();
        let e = read(&p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}:3:5: error: unknown key `environments.prod.valus`; did you mean `values`?", p.display())
        );
    }
}
