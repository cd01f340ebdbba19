//! A chart's identity: its SemVer `version`. Given with `--chart-version`, or derived so that chart
//! repositories order it and two charts with different content never share a version.
//!
//! The derived version follows the chart already in the output directory: the same content keeps its version, new
//! content bumps its patch (`1.4.0` -> `1.4.1`; a pre-release `0.1.0-h1a2b` or `1.0.0-rc.1` becomes its release,
//! `0.1.0` or `1.0.0`, which SemVer orders after it); a new directory starts at `0.1.0`. Releases only, never a
//! pre-release: `helm search repo` hides pre-releases and `helm pull` refuses them without `--devel`. The content
//! is a SHA-256 over every file of the chart (path and content, Chart.yaml with its version and hash left out)
//! and the files in the directory onechart did not write that Helm packages (your own templates), kept in
//! Chart.yaml's `onechart.io/content-hash` annotation: a change to a kept template changes the version too.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::ChartFiles;

/// The first version of a chart.
pub const INITIAL: &str = "0.1.0";

/// The version and content hash of the chart already in an output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// Chart.yaml `version`.
    pub version: String,
    /// Chart.yaml `onechart.io/content-hash`.
    pub hash: String,
}

/// The version and content hash a Chart.yaml's text records.
pub fn previous_in(text: &str) -> Option<Previous> {
    let field =
        |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().trim_matches('"').to_string());
    let version = field("version: ")?;
    let hash = field("  onechart.io/content-hash: ")?;
    (check_semver(&version).is_ok() && !hash.is_empty()).then_some(Previous { version, hash })
}

/// The version of a chart whose content hash is `hash`, after `previous`: the same content keeps its version,
/// other content the next patch release.
pub fn next_version(previous: Option<&Previous>, hash: &str) -> String {
    match previous {
        None => INITIAL.to_string(),
        Some(p) if p.hash == hash => p.version.clone(),
        Some(p) => bump(&p.version).unwrap_or_else(|| INITIAL.to_string()),
    }
}

/// The next release after `v`: a release bumps its patch, a pre-release becomes its release; build metadata is
/// dropped; a leading `v` is kept.
pub fn bump(v: &str) -> Option<String> {
    let (prefix, rest) = match v.strip_prefix('v') {
        Some(r) => ("v", r),
        None => ("", v),
    };
    let rest = rest.split('+').next()?;
    let (core, pre) = match rest.split_once('-') {
        Some((c, _)) => (c, true),
        None => (rest, false),
    };
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    let patch = if pre { patch } else { patch.checked_add(1)? };
    Some(format!("{prefix}{major}.{minor}.{patch}"))
}

/// The SHA-256 of a file, read in pieces: a kept file of any size counts in the content hash, and none is ever
/// held in memory whole (40 files of 8 MB took 340 MB).
fn digest(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(h.finalize().to_vec())
}

/// The files in `dir` that Helm packages with the chart but onechart did not write (`ours`: the files of the
/// previous and the new chart): their paths and the SHA-256 of their contents. Symbolic links are not followed, and what the chart's
/// .helmignore excludes (onechart's own state, editor and backup files) is left out.
pub fn kept_files(dir: &Path, ours: &dyn Fn(&str) -> bool) -> BTreeMap<String, Vec<u8>> {
    fn ignored(rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        rel.split('/').any(|c| c == ".git" || c.starts_with(".onechart-"))
            || [".swp", ".bak", ".tmp"].iter().any(|e| name.ends_with(e))
            || name.contains(".onechart-orig")
    }
    fn walk(root: &Path, dir: &Path, ours: &dyn Fn(&str) -> bool, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(rel) = path.strip_prefix(root) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            if ignored(&rel) {
                continue;
            }
            if meta.is_dir() {
                walk(root, &path, ours, out);
            } else if meta.is_file()
                && !ours(&rel)
                && let Some(digest) = digest(&path)
            {
                out.insert(rel, digest);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, ours, &mut out);
    out
}

/// Checks a `--chart-version`: SemVer 2.0.0 (`MAJOR.MINOR.PATCH`, optional `-pre.release` and `+build`), which
/// Helm requires of Chart.yaml `version`. Returns why not.
pub fn check_semver(v: &str) -> Result<(), String> {
    // Helm reads a leading `v` as it reads `1.4.0` (Masterminds/semver).
    let v = v.strip_prefix('v').unwrap_or(v);
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 {
        return Err("needs MAJOR.MINOR.PATCH".into());
    }
    for p in parts {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("`{p}` is not a number"));
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(format!("`{p}` has a leading zero"));
        }
    }
    let identifiers = |text: &str, what: &str, numeric_rule: bool| -> Result<(), String> {
        for id in text.split('.') {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("{what} identifier `{id}` must be letters, digits and `-`"));
            }
            if numeric_rule && id.len() > 1 && id.starts_with('0') && id.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("{what} identifier `{id}` has a leading zero"));
            }
        }
        Ok(())
    };
    if let Some(p) = pre {
        identifiers(p, "pre-release", true)?;
    }
    if let Some(b) = build {
        identifiers(b, "build", false)?;
    }
    Ok(())
}

/// The SHA-256 (hex) of a chart's files and the kept files beside them: each path and content, length-framed,
/// in path order (the kept files after onechart's, marked apart).
pub fn content_hash(files: &ChartFiles, kept: &BTreeMap<String, Vec<u8>>) -> String {
    let mut h = Sha256::new();
    let mut frame = |path: &str, content: &[u8]| {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((content.len() as u64).to_be_bytes());
        h.update(content);
    };
    for (path, content) in files {
        frame(path, content.as_bytes());
    }
    for (path, content) in kept {
        frame(&format!("kept:{path}"), content);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_is_checked_like_the_spec() {
        for ok in ["0.1.0", "1.4.0", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha-a.b-c", "1.0.0+build.001", "1.0.0-0.3.7"] {
            assert_eq!(check_semver(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_semver("v1.4.0"), Ok(()), "Helm accepts a leading v");
        for bad in ["1.2", "vv1.2.3", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+a_b", "1.2.x", ""] {
            assert!(check_semver(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn versions_are_releases_that_increase() {
        assert_eq!(next_version(None, "h"), "0.1.0");
        let p = |v: &str| Previous { version: v.to_string(), hash: "old".to_string() };
        assert_eq!(next_version(Some(&p("1.4.0")), "old"), "1.4.0");
        assert_eq!(next_version(Some(&p("1.4.0")), "new"), "1.4.1");
        assert_eq!(next_version(Some(&p("v1.4.9")), "new"), "v1.4.10");
        assert_eq!(next_version(Some(&p("0.1.0-h0123456789ab")), "new"), "0.1.0");
        assert_eq!(next_version(Some(&p("1.0.0-rc.1+build.5")), "new"), "1.0.0");
        assert_eq!(bump("1.2"), None);
    }

    #[test]
    fn the_hash_sees_paths_and_contents() {
        let mut a = ChartFiles::new();
        a.insert("a".into(), "bc".into());
        let mut b = ChartFiles::new();
        b.insert("ab".into(), "c".into());
        let none = BTreeMap::new();
        assert_ne!(content_hash(&a, &none), content_hash(&b, &none));
        assert_eq!(content_hash(&a, &none).len(), 64);
        let kept: BTreeMap<String, Vec<u8>> = [("templates/mine.yaml".to_string(), b"x".to_vec())].into();
        assert_ne!(content_hash(&a, &none), content_hash(&a, &kept));
    }
}
