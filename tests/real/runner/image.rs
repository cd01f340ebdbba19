//! The image stand-in. The chart's image (image/Containerfile) is Debian 12 with OpenNebula's packages, Debian's
//! MariaDB, sshd and HAProxy, oneadmin as uid/gid 9869 with home /var/lib/one, `USER 9869`, `WORKDIR
//! /var/lib/one`. Here a container's root filesystem is this machine's Debian 12 (which has the Debian packages:
//! `scripts/opennebula-build.sh` installs them) with OpenNebula built from its release source in the packaged
//! layout laid over /usr, /etc and /var (overlayfs), and /etc/passwd and /etc/group with oneadmin added
//! (`container.rs` assembles it). Stand-ins, named: Debian's ruby-* gems for opennebula-rubygems (the build
//! links their specifications into /usr/share/one/gems; Ruby's bundled rexml is linked there by the stand-in layer
//! below); no FireEdge, guacd or Prometheus exporter (not built, or their gems are not packaged by Debian), nor
//! OneFlow, OneForm and OneKS (their gems: see `MISSING`), so
//! scenarios switch them off (`MISSING`), and the stand-in layer puts placeholders at the paths the chart's
//! start-up check (files/check-image.sh) requires of every image (`PLACEHOLDERS`: they only fail if run);
//! oned without gRPC.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::sh::text;

/// What the build lacks, and the chart values that switch each off (every scenario passes them).
pub const MISSING: &[(&str, &str)] = &[
    ("fireedge.enabled=false", "FireEdge and guacd: FireEdge needs its npm dependencies and a webpack build"),
    ("metrics.enabled=false", "the Prometheus exporter: Debian packages no prometheus-client gem"),
    (
        "oneflow.enabled=false",
        "OneFlow: it reads Gem.loaded_specs['treetop'] (src/flow/lib/models/role.rb:22), and Debian's ruby-treetop is loaded \
         from Ruby's load path, never activated as a gem",
    ),
    ("oneform.enabled=false", "OneForm: its dry-rb gems (dry-validation...) are not packaged by Debian"),
    ("oneks.enabled=false", "OneKS: the same dry-rb gems, through ODS"),
];

/// Image settings from the recipe: user and working directory (image/Containerfile: USER 9869, WORKDIR).
pub const IMAGE_UID: u32 = 9869;
pub const IMAGE_WORKDIR: &str = "/var/lib/one";
/// The image's PATH (Debian's default: the recipe sets no ENV).
pub const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Paths the image contract requires whatever the values (one image per OpenNebula version), which the build
/// cannot provide: placeholders that say so when run.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "usr/share/one/guacd/sbin/guacd",
        "#!/bin/sh\necho 'onechart real tier: guacd is not built (stand-in)' >&2\nexit 1\n",
    ),
    (
        "usr/lib/one/fireedge/dist/index.js",
        "throw new Error('onechart real tier: FireEdge is not built (stand-in)');\n",
    ),
    (
        "usr/share/one/gems/specifications/prometheus-client-0.0.0.gemspec",
        "Gem::Specification.new do |s|\n  s.name = 'prometheus-client'\n  s.version = '0.0.0'\n  \
         s.summary = 'onechart real tier: placeholder, the exporter is off'\n  s.files = []\nend\n",
    ),
];

pub struct Image {
    pub release: String,
    /// The root of the packaged layout (usr/, etc/, var/, run/).
    pub root: PathBuf,
    /// The stand-in layer over it (placeholders, links to Debian's gems).
    pub layer: PathBuf,
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
        let layer = dir.join("layer");
        for (path, text) in PLACEHOLDERS {
            let p = layer.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(layer.join("usr/share/one/guacd/lib")).unwrap();
        // load_opennebula_paths.rb's Gem.use_paths(/usr/share/one/gems) hides Debian's gems; the build copies
        // their specifications there, but a specification alone activates nothing: RubyGems looks for the gem's
        // files in gems/NAME-VERSION and, for a native extension, for gems/../extensions/PLATFORM/API/NAME-VERSION
        // with gem.build_complete (rubygems/specification.rb: missing_extensions?), else it ignores the gem (ffi,
        // hence ffi-rzmq, which oned's hook manager needs: "hook_exe: expected INIT SUCCESS"). Link Debian's, and
        // Ruby's bundled rexml with its specification.
        let platform = super::sh::run(
            Command::new("ruby").args(["-e", "print Gem::Platform.local.to_s, '/', Gem.extension_api_version"]),
        );
        let platform = text(&platform.stdout);
        let gems = layer.join("usr/share/one/gems");
        for d in ["specifications", "gems"] {
            std::fs::create_dir_all(gems.join(d)).unwrap();
        }
        std::fs::create_dir_all(gems.join("extensions").join(&platform)).unwrap();
        let mut sources: Vec<PathBuf> = vec![PathBuf::from("/usr/share/rubygems-integration/all")];
        for pattern in ["/usr/lib/x86_64-linux-gnu/rubygems-integration", "/usr/lib/ruby/gems"] {
            sources.extend(std::fs::read_dir(pattern).into_iter().flatten().flatten().map(|e| e.path()));
        }
        for src in sources {
            for e in std::fs::read_dir(src.join("specifications")).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(gem) = name.strip_suffix(".gemspec") else { continue };
                if gem.starts_with("rexml-") {
                    std::fs::copy(e.path(), gems.join("specifications").join(&name)).unwrap();
                }
                let _ = std::os::unix::fs::symlink(src.join("gems").join(gem), gems.join("gems").join(gem));
                let ext = src.join("extensions").join(&platform).join(gem);
                if ext.is_dir() {
                    let _ = std::os::unix::fs::symlink(ext, gems.join("extensions").join(&platform).join(gem));
                }
            }
        }
        Image { release: release.into(), root: root.into(), layer, passwd, group }
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

/// The image stand-in for a container's image reference: a tag that names an OpenNebula release (`...:7.2.0`,
/// as the chart's image.tag does) gets that release's build, anything else the cluster's.
pub fn image_for(inner: &super::Inner, reference: &str) -> std::sync::Arc<Image> {
    let tag = reference.rsplit_once(':').map(|(_, t)| t).filter(|t| !t.contains('/')).unwrap_or_default();
    let is_release =
        tag.split('.').count() == 3 && tag.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !is_release || tag == inner.image.release {
        return inner.image.clone();
    }
    let mut images = inner.images.lock().unwrap();
    images
        .entry(tag.to_string())
        .or_insert_with(|| std::sync::Arc::new(Image::new(tag, &inner.dir.join(format!("image-{tag}")))))
        .clone()
}
