//! A chart's identity: its SemVer `version`. Given with `--chart-version`, or derived from the content so that
//! two charts with different files never share a version.
//!
//! The derived version is `<onechart version>-h<12 hex digits>`: the first 48 bits of a SHA-256 over every file
//! of the chart (path and content, Chart.yaml with the version left out). A SemVer pre-release, not build
//! metadata: build metadata (`+...`) is ignored when versions are compared, and OCI registries store `+` as `_`,
//! so two charts that differ only there would be the same chart to Helm, a registry or Argo CD's cache. The `h`
//! keeps the identifier alphanumeric (an all-digit identifier with a leading zero is not SemVer).

use sha2::{Digest, Sha256};

use super::ChartFiles;

/// Checks a `--chart-version`: SemVer 2.0.0 (`MAJOR.MINOR.PATCH`, optional `-pre.release` and `+build`), which
/// Helm requires of Chart.yaml `version`. Returns why not.
pub fn check_semver(v: &str) -> Result<(), String> {
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

/// The SHA-256 (hex) of a chart's files: each path and content, length-framed, in path order.
pub fn content_hash(files: &ChartFiles) -> String {
    let mut h = Sha256::new();
    for (path, content) in files {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((content.len() as u64).to_be_bytes());
        h.update(content.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The version of a chart whose content hash is `hash`, when none is given.
pub fn derived_version(hash: &str) -> String {
    format!("{}-h{}", env!("CARGO_PKG_VERSION"), &hash[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_is_checked_like_the_spec() {
        for ok in ["0.1.0", "1.4.0", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha-a.b-c", "1.0.0+build.001", "1.0.0-0.3.7"] {
            assert_eq!(check_semver(ok), Ok(()), "{ok}");
        }
        for bad in ["1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+a_b", "1.2.x", ""] {
            assert!(check_semver(bad).is_err(), "{bad} accepted");
        }
        let derived = derived_version(&"0".repeat(64));
        assert_eq!(check_semver(&derived), Ok(()), "{derived}");
    }

    #[test]
    fn the_hash_sees_paths_and_contents() {
        let mut a = ChartFiles::new();
        a.insert("a".into(), "bc".into());
        let mut b = ChartFiles::new();
        b.insert("ab".into(), "c".into());
        assert_ne!(content_hash(&a), content_hash(&b));
        assert_eq!(content_hash(&a).len(), 64);
    }
}
