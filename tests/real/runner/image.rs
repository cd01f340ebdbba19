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
    (
        "oned.grpc.enabled=false",
        "gRPC: oned is built with grpc=no, and a zone server registered with a gRPC endpoint would get its Raft calls \
         over XML-RPC on the gRPC port (OpenNebula/one@release-7.4.0:src/client/Client.cc:170-190, is_grpc only \
         #ifdef GRPC; RaftManager.cc rpc_replicate_log prefers the gRPC endpoint)",
    ),
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
    /// The image's ENTRYPOINT and CMD (a container without `command` runs them: `args` replaces CMD).
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
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
        let mut sources: Vec<PathBuf> = vec![];
        for pattern in
            ["/usr/share/rubygems-integration", "/usr/lib/x86_64-linux-gnu/rubygems-integration", "/usr/lib/ruby/gems"]
        {
            sources.extend(std::fs::read_dir(pattern).into_iter().flatten().flatten().map(|e| e.path()));
        }
        sources.sort();
        let mut bare = Vec::new();
        for src in sources {
            for e in std::fs::read_dir(src.join("specifications")).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(gem) = name.strip_suffix(".gemspec") else { continue };
                // The build copies the specifications of some of these directories (scripts/opennebula-build.sh
                // post_install); the rest (rexml, sqlite3, mysql2 from rubygems-integration/3.1.0) come from here.
                if !root.join("usr/share/one/gems/specifications").join(&name).exists() {
                    let _ = std::fs::copy(e.path(), gems.join("specifications").join(&name));
                }
                if src.join("gems").join(gem).exists() {
                    let _ = std::os::unix::fs::symlink(src.join("gems").join(gem), gems.join("gems").join(gem));
                } else {
                    bare.push(e.path());
                }
                let ext = src.join("extensions").join(&platform).join(gem);
                if ext.is_dir() {
                    let _ = std::os::unix::fs::symlink(ext, gems.join("extensions").join(&platform).join(gem));
                }
            }
        }
        link_vendor_gems(&gems, &platform, &bare);
        Image { release: release.into(), root: root.into(), layer, passwd, group, entrypoint: vec![], cmd: vec![] }
    }

    /// The stand-in for the official MariaDB image (docker.io/library/mariadb, what `database.mariadb` names; see
    /// MariaDB/mariadb-docker 11.4/Dockerfile): this machine's Debian 12 MariaDB 10.11 instead of 11.4, with what
    /// the image changes in it: the user `mysql` as uid/gid 999 (its first `groupadd -r`/`useradd -r`),
    /// `bind-address` commented out of every configuration file, `05-skipcache.cnf` (skip-name-resolve), the
    /// `conf.d` directory read after `mariadb.conf.d` (so the chart's `conf.d/onechart.cnf` wins),
    /// ENTRYPOINT `docker-entrypoint.sh` (our stand-in, `mariadb-entrypoint.sh`) and CMD `mariadbd`.
    pub fn mariadb(dir: &Path) -> Image {
        let layer = dir.join("layer");
        let root = dir.join("root");
        std::fs::create_dir_all(&root).unwrap();
        let write = |path: &str, text: &str, mode: u32| {
            let p = layer.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
        };
        write("usr/local/bin/docker-entrypoint.sh", include_str!("mariadb-entrypoint.sh"), 0o755);
        write("etc/mysql/mariadb.conf.d/05-skipcache.cnf", "[mariadb]\nhost-cache-size=0\nskip-name-resolve\n", 0o644);
        // sed -Ei 's/^(bind-address|log|user\s)/#&/' on every file that has such a line (the Dockerfile).
        let problematic = |l: &str| {
            l.starts_with("bind-address")
                || l.starts_with("log")
                || l.strip_prefix("user").is_some_and(|r| r.starts_with(char::is_whitespace))
        };
        for e in std::fs::read_dir("/etc/mysql/mariadb.conf.d").into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if text.lines().any(problematic) {
                let commented: String =
                    text.lines().map(|l| if problematic(l) { format!("#{l}\n") } else { format!("{l}\n") }).collect();
                write(&format!("etc/mysql/mariadb.conf.d/{}", e.file_name().to_string_lossy()), &commented, 0o644);
            }
        }
        write(
            "etc/mysql/mariadb.cnf",
            "[client-server]\nsocket = /run/mysqld/mysqld.sock\n\n!includedir /etc/mysql/mariadb.conf.d/\n!includedir /etc/mysql/conf.d/\n",
            0o644,
        );
        let users = |file: &str, line: &str| {
            let mut text: String = std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("mysql:"))
                .map(|l| format!("{l}\n"))
                .collect();
            text.push_str(line);
            let p = dir.join(file.trim_start_matches("/etc/"));
            std::fs::write(&p, text).unwrap();
            p
        };
        let passwd = users("/etc/passwd", "mysql:x:999:999::/var/lib/mysql:/bin/sh\n");
        let group = users("/etc/group", "mysql:x:999:\n");
        Image {
            release: "mariadb".into(),
            root,
            layer,
            passwd,
            group,
            entrypoint: vec!["docker-entrypoint.sh".into()],
            cmd: vec!["mariadbd".into()],
        }
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
    let repository = reference.rsplit_once(':').map_or(reference, |(r, t)| if t.contains('/') { reference } else { r });
    if repository.rsplit('/').next() == Some("mariadb") {
        let mut images = inner.images.lock().unwrap();
        return images
            .entry("mariadb".to_string())
            .or_insert_with(|| std::sync::Arc::new(Image::mariadb(&inner.dir.join("image-mariadb"))))
            .clone();
    }
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

/// Debian installs some gems' files only under vendor_ruby (ffi-rzmq, xmlrpc, sequel, sqlite3, mysql2...), with a
/// specification and no gems/NAME-VERSION. Release 6.10's drivers and onedb drop vendor_ruby from the load path
/// before their requires (OpenNebula/one@release-6.10.5:src/hm_mad/one_hm.rb:31-49, the RUBYGEMS_SETUP block; 7.x
/// keeps it: src/cli/load_opennebula_paths.rb), so there only an activated gem loads them. opennebula-rubygems
/// ships real gem directories: give each such gem a directory whose lib/ links its specification's lib files to
/// vendor_ruby, and for a gem with a native extension the extension directory RubyGems requires
/// (gem.build_complete, rubygems/specification.rb: missing_extensions?) holding Debian's compiled files.
fn link_vendor_gems(gems: &Path, platform: &str, specs: &[PathBuf]) {
    if specs.is_empty() {
        return;
    }
    let api = platform.rsplit('/').next().unwrap_or_default();
    let pure = Path::new("/usr/lib/ruby/vendor_ruby");
    let native = PathBuf::from(format!("/usr/lib/x86_64-linux-gnu/ruby/vendor_ruby/{api}"));
    let out = super::sh::run(
        Command::new("ruby")
            .args([
                "-e",
                "ARGV.each { |p| s = Gem::Specification.load(p) or next; \
                 puts \"ext\\t#{s.full_name}\" unless s.extensions.empty?; \
                 s.files.each { |f| puts \"lib\\t#{s.full_name}\\t#{f}\" if f.start_with?('lib/') } }",
            ])
            .args(specs),
    );
    let mut tops: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    let mut native_gems = Vec::new();
    for line in text(&out.stdout).lines() {
        let mut f = line.split('\t');
        match (f.next(), f.next(), f.next()) {
            (Some("ext"), Some(gem), None) => native_gems.push(gem.to_string()),
            (Some("lib"), Some(gem), Some(file)) => {
                let rel = &file["lib/".len()..];
                let top = rel.split('/').next().unwrap_or(rel).trim_end_matches(".rb");
                tops.entry(gem.to_string()).or_default().insert(top.to_string());
                let target = pure.join(rel);
                if target.is_file() {
                    let link = gems.join("gems").join(gem).join(file);
                    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
                    let _ = std::os::unix::fs::symlink(target, link);
                }
            }
            _ => {}
        }
    }
    // Debian's specifications often list no extension; the compiled files sit beside vendor_ruby for the API
    // version: link them into the gem's lib too, where `require 'sqlite3/sqlite3_native'` looks.
    for (gem, tops) in &tops {
        for top in tops {
            link_tree(&native.join(top), &gems.join("gems").join(gem).join("lib").join(top));
        }
    }
    for gem in native_gems {
        let dir = gems.join("extensions").join(platform).join(&gem);
        if dir.exists() {
            continue;
        }
        std::fs::create_dir_all(&dir).unwrap();
        for top in tops.get(&gem).into_iter().flatten() {
            if native.join(top).exists() {
                let _ = std::os::unix::fs::symlink(native.join(top), dir.join(top));
            }
        }
        std::fs::write(dir.join("gem.build_complete"), "").unwrap();
    }
}

/// Links every file under `from` at the same relative path under `to` (directories created), if `from` exists.
fn link_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
            link_tree(&e.path(), &to.join(e.file_name()));
        }
    } else if from.is_file() && !to.exists() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let _ = std::os::unix::fs::symlink(from, to);
    }
}
