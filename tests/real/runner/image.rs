//! The image stand-in. The chart's image (image/Containerfile) is Debian 12 with OpenNebula's packages, Debian's
//! MariaDB, sshd and HAProxy, oneadmin as uid/gid 9869 with home /var/lib/one, `USER 9869`, `WORKDIR
//! /var/lib/one`. Here a container's root filesystem is this machine's Debian 12 (which has the Debian packages:
//! `scripts/opennebula-build.sh` installs them) with OpenNebula built from its release source in the packaged
//! layout laid over /usr, /etc and /var (overlayfs), and /etc/passwd and /etc/group with oneadmin added
//! (`container.rs` assembles it). Stand-ins, named: Debian's ruby-* gems for opennebula-rubygems (the build
//! links their specifications into /usr/share/one/gems); no FireEdge, guacd or Prometheus exporter (not built,
//! or their gems are not packaged by Debian), so scenarios switch them off (`MISSING`); oned without gRPC.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::sh::text;

/// What the build lacks, and the chart values that switch each off (every scenario passes them).
pub const MISSING: &[(&str, &str)] = &[
    ("fireedge.enabled=false", "FireEdge and guacd: FireEdge needs its npm dependencies and a webpack build"),
    ("metrics.enabled=false", "the Prometheus exporter: Debian packages no prometheus-client gem"),
];

/// Image settings from the recipe: user and working directory (image/Containerfile: USER 9869, WORKDIR).
pub const IMAGE_UID: u32 = 9869;
pub const IMAGE_WORKDIR: &str = "/var/lib/one";
/// The image's PATH (Debian's default: the recipe sets no ENV).
pub const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub struct Image {
    pub release: String,
    /// The root of the packaged layout (usr/, etc/, var/, run/).
    pub root: PathBuf,
    pub passwd: PathBuf,
    pub group: PathBuf,
}

impl Image {
    /// Builds (or takes from the cache) OpenNebula `release` and writes the user database into `dir`.
    pub fn new(release: &str, dir: &Path) -> Image {
        Image::from_root(release, &build(release), dir)
    }

    pub fn from_root(release: &str, root: &Path, dir: &Path) -> Image {
        std::fs::create_dir_all(dir).unwrap();
        // useradd --system --uid 9869 --gid 9869 --home-dir /var/lib/one --shell /bin/bash oneadmin (the recipe).
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        let mut p = std::fs::read_to_string("/etc/passwd").unwrap();
        p.push_str("oneadmin:x:9869:9869::/var/lib/one:/bin/bash\n");
        std::fs::write(&passwd, p).unwrap();
        let mut g = std::fs::read_to_string("/etc/group").unwrap();
        g.push_str("oneadmin:x:9869:\n");
        std::fs::write(&group, g).unwrap();
        Image { release: release.into(), root: root.into(), passwd, group }
    }
}

/// `scripts/opennebula-build.sh RELEASE`: the root of the packaged layout (built once per source checksum).
pub fn build(release: &str) -> PathBuf {
    let o = Command::new(crate::root().join("scripts/opennebula-build.sh"))
        .arg(release)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("scripts/opennebula-build.sh runs");
    assert!(o.status.success(), "building OpenNebula {release} failed: {}", text(&o.stdout));
    let root = PathBuf::from(text(&o.stdout).lines().last().expect("the build prints its root").trim());
    assert!(root.join("usr/bin/oned").is_file(), "{} has no usr/bin/oned", root.display());
    root
}
