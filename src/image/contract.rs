//! The image contract: everything the chart (and the OpenNebula daemons it starts) needs from the image, per
//! OpenNebula version, with the Debian 12 package that provides it. One table drives three things:
//!
//! - the recipe's package lists (`image/Containerfile`): OpenNebula packages pinned to `ONE_VERSION`, Debian
//!   packages following the pinned base image, Essential packages already in the base image;
//! - the start-up check (`files/check-image.sh`, the first init container, also the recipe's last step): every
//!   entry marked `checked`;
//! - the coverage test (`tests/it/image.rs`): every command the rendered chart's containers and scripts call must be
//!   a checked entry here, a shell builtin or a function of the chart's scripts.
//!
//! Paths are OpenNebula's system-wide install layout (`OpenNebula/one@release-7.4.0:install.sh:107-126`, the
//! same at release-6.10.5:110-126): binaries in `/usr/bin`, libraries in `/usr/lib/one`, shared data in
//! `/usr/share/one`, configuration in `/etc/one`, state in `/var/lib/one`.
//!
//! Citations in `why` are `OpenNebula/one` paths with line numbers at release-7.4.0 unless a tag is named; every
//! cited path and statement was checked at release-6.10.5, release-7.0.2, release-7.2.0 and release-7.4.0 for the
//! versions the entry applies to.
//!
//! OpenNebula does not publish its Debian control files. Which OpenNebula package ships a file follows the
//! package descriptions of the front-end installation guide (`OpenNebula/docs@one-6.10-maintenance:source/
//! installation_and_configuration/frontend_installation/install.rst:49-92`, `OpenNebula/one-docs:content/
//! software/installation_process/frontend_installation/frontend_install.md`) and the systemd unit each daemon
//! ships with (`share/pkgs/services/systemd/`). The recipe installs every package of the list, and runs the
//! start-up check as its last step, so a misattributed file cannot go missing unnoticed in a built image.

use crate::model::OneVersion;

/// What an entry is, and how the start-up check verifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A command the chart or OpenNebula runs by name: an executable in a directory of the containers' `PATH`.
    Command,
    /// An executable the chart or OpenNebula runs by absolute path.
    Executable,
    /// A file (a daemon's script, a Ruby library, a packaged configuration file) that must be readable.
    File,
    /// A directory.
    Dir,
    /// A Ruby gem in OpenNebula's gem directory, `/usr/share/one/gems` (RubyGems layout: `specifications/`).
    Gem,
    /// A package installed (and pinned) for its own sake, with no file the chart uses directly.
    Package,
}

/// Where a package comes from, which decides how the recipe installs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An Essential package of Debian 12: in every Debian base image already, never installed explicitly.
    Essential,
    /// A Debian 12 package: installed with `--no-install-recommends`, at the version the pinned base image's
    /// release carries (pinning exact Debian versions breaks when a security update replaces them).
    Debian,
    /// An OpenNebula package from OpenNebula's repository, pinned to `ONE_VERSION` (`opennebula=7.4.0-*`).
    OpenNebula,
}

/// One thing the image must hold.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// How to verify it.
    pub kind: Kind,
    /// Command name, absolute path, gem name or package name (for [`Kind::Package`]).
    pub name: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
    /// How the recipe gets that package.
    pub origin: Origin,
    /// First OpenNebula version that needs it.
    pub since: OneVersion,
    /// Last OpenNebula version that needs it (`None`: every later one too).
    pub until: Option<OneVersion>,
    /// Whether the start-up check verifies it. Everything the chart runs must be checked; an entry the chart
    /// does not run yet (a daemon of a later chart, an operator's tool) is installed but not checked.
    pub checked: bool,
    /// Who needs it, with the source that says so.
    pub why: &'static str,
}

impl Entry {
    /// True when `version` needs this entry.
    pub fn applies(&self, version: OneVersion) -> bool {
        version >= self.since && self.until.is_none_or(|u| version <= u)
    }
}

use Kind::*;
use OneVersion::{V6_10, V7_0, V7_2, V7_4};
use Origin::*;

const fn e(kind: Kind, name: &'static str, package: &'static str, origin: Origin, why: &'static str) -> Entry {
    Entry { kind, name, package, origin, since: V6_10, until: None, checked: true, why }
}

const fn only(mut entry: Entry, since: OneVersion, until: Option<OneVersion>) -> Entry {
    entry.since = since;
    entry.until = until;
    entry
}

const fn unchecked(mut entry: Entry) -> Entry {
    entry.checked = false;
    entry
}

/// The contract, grouped by package. Order is the order of the recipe's package lists and of the check.
#[rustfmt::skip]
pub static ENTRIES: &[Entry] = &[
    // ---- OpenNebula ----
    e(Command, "oned", "opennebula", OpenNebula,
      "files/oned.sh runs `oned -f` (OpenNebula/one@release-7.4.0:share/pkgs/services/systemd/opennebula.service, ExecStart; install.sh:922 BIN_FILES)"),
    e(Command, "onedb", "opennebula", OpenNebula,
      "files/oned.sh, raft.sh and backup.sh run `onedb version|upgrade|backup|restore` (install.sh:952 BIN_FILES)"),
    e(Executable, "/usr/lib/one/mads/onemonitord", "opennebula", OpenNebula,
      "oned spawns the monitoring daemon (share/etc/oned.conf:426 IM_MAD EXECUTABLE = \"onemonitord\", install.sh:1019 MADS_LIB_FILES -> /usr/lib/one/mads)"),
    only(e(Executable, "/usr/bin/mm_sched", "opennebula", OpenNebula,
      "the 6.10 scheduler container runs /usr/bin/mm_sched (release-6.10.5:share/pkgs/services/systemd/opennebula-scheduler.service:13)"),
      V6_10, Some(V6_10)),
    only(e(Executable, "/usr/lib/one/mads/one_sched", "opennebula", OpenNebula,
      "oned spawns the scheduler driver from 7.0 (share/etc/oned.conf:658 SCHED_MAD EXECUTABLE = \"one_sched\", install.sh:1033 MADS_LIB_FILES)"),
      V7_0, None),
    e(File, "/usr/lib/one/onehem/onehem-server.rb", "opennebula", OpenNebula,
      "the hem container runs `ruby /usr/lib/one/onehem/onehem-server.rb` (share/pkgs/services/systemd/opennebula-hem.service:11)"),
    e(File, "/etc/one/oned.conf", "opennebula", OpenNebula,
      "files/prepare.sh copies the packaged /etc/one and edits oned.conf (install.sh:2063 ETC_FILES -> /etc/one)"),
    e(File, "/etc/one/monitord.conf", "opennebula", OpenNebula,
      "files/prepare.sh edits monitord.conf (install.sh:2067 ETC_FILES -> /etc/one)"),
    e(Dir, "/var/lib/one/remotes", "opennebula", OpenNebula,
      "files/prepare.sh refreshes the driver scripts on the volume from the image on every start; remotes/VERSION is the installed version (install.sh:628,1306 IM_PROBES_VERSION -> /var/lib/one/remotes)"),
    e(Command, "oneuser", "opennebula-tools", OpenNebula,
      "files/oned.sh runs `oneuser show|passwd`, the API test pod `oneuser show` (install.sh:928 BIN_FILES; the CLI package, install.rst:56)"),
    e(Command, "onezone", "opennebula-tools", OpenNebula,
      "files/raft.sh runs `onezone server-add|server-reset` (install.sh:935 BIN_FILES)"),
    e(Command, "oneshowback", "opennebula-tools", OpenNebula,
      "the showback CronJob runs `oneshowback calculate`, as the packaged timer does daily (share/pkgs/services/systemd/opennebula-showback.service:8, .timer:6; install.sh:925 BIN_FILES)"),
    e(Command, "onevm", "opennebula-tools", OpenNebula,
      "files/self-test.sh (`helm test`) creates, deploys and removes its VM (install.sh:923 BIN_FILES)"),
    e(Command, "onehost", "opennebula-tools", OpenNebula,
      "files/inventory.rb runs `onehost list|create|update|delete` (src/cli/onehost:171-196,243,277); files/self-test.sh registers and removes its dummy host (install.sh:926 BIN_FILES)"),
    e(Command, "onedatastore", "opennebula-tools", OpenNebula,
      "files/inventory.rb runs `onedatastore list|create|update|delete` (src/cli/onedatastore:94-195); files/self-test.sh its dummy system datastore (install.sh:933 BIN_FILES)"),
    e(Command, "onecluster", "opennebula-tools", OpenNebula,
      "files/inventory.rb runs `onecluster list|create|addhost` (src/cli/onecluster:91-135); files/self-test.sh its throw-away cluster (install.sh:934 BIN_FILES)"),
    only(e(Command, "onemarketapp", "opennebula-tools", OpenNebula,
      "files/oneks.sh waits until `onemarketapp list -x` lists the OneKS appliance, which OneKS imports at start (release-7.4.0:install.sh:946 BIN_FILES; src/oneks/app/models/dependencies/seed_vm.rb:202-245)"),
      V7_4, None),
    e(File, "/usr/lib/one/ruby/opennebula.rb", "opennebula-libs", OpenNebula,
      "files/one-raft.rb requires the Ruby OCA `opennebula` (install.sh:976 RUBY_LIB_FILES -> /usr/lib/one/ruby; the shared Ruby libraries package, install.rst:80)"),
    only(e(File, "/usr/lib/one/ruby/load_opennebula_paths.rb", "opennebula-libs", OpenNebula,
      "OpenNebula's 7.x Ruby tools (oneuser, onezone) load their gem paths with it (src/cli/onezone:30 require 'load_opennebula_paths'; install.sh:977)"),
      V7_0, None),
    e(Dir, "/usr/share/one/gems", "opennebula-rubygems", OpenNebula,
      "OpenNebula's Ruby daemons and tools load their gems from GEMS_LOCATION (src/cli/onezone:23; bundled gems package, install.rst:78)"),
    e(Gem, "xmlrpc", "opennebula-rubygems", OpenNebula,
      "the Ruby OCA talks XML-RPC with it (release-7.4.0:src/oca/ruby/opennebula/lib/xml_client.rb:17, release-6.10.5:src/oca/ruby/opennebula/client.rb:17 require 'xmlrpc/client'); OpenNebula's tools and files/one-raft.rb load these gems with Gem.use_paths (share/misc/load_opennebula_paths.rb:11), whose specs live in specifications/"),
    e(Gem, "rexml", "opennebula-rubygems", OpenNebula,
      "the Ruby OCA and files/one-raft.rb parse XML with it (src/oca/ruby/opennebula.rb:18 require 'rexml/document'; share/install_gems/Debian12/Gemfile.lock: rexml)"),
    e(Package, "opennebula-common", "opennebula-common", OpenNebula,
      "shared content of every OpenNebula package (install.rst:82): pinned with the others so apt cannot mix versions"),
    e(File, "/usr/lib/one/fireedge/dist/index.js", "opennebula-fireedge", OpenNebula,
      "the fireedge container runs `node /usr/lib/one/fireedge/dist/index.js` (share/pkgs/services/systemd/opennebula-fireedge.service:14)"),
    e(File, "/etc/one/fireedge-server.conf", "opennebula-fireedge", OpenNebula,
      "files/prepare.sh merges onechart's FireEdge settings into it (install.sh:2420 FIREEDGE_ETC_FILES -> /etc/one)"),
    e(Executable, "/usr/share/one/guacd/sbin/guacd", "opennebula-guacd", OpenNebula,
      "the guacd container runs it (share/pkgs/services/systemd/opennebula-guacd.service:9)"),
    e(Dir, "/usr/share/one/guacd/lib", "opennebula-guacd", OpenNebula,
      "guacd's libraries, the guacd container's LD_LIBRARY_PATH (opennebula-guacd.service:8)"),
    e(File, "/usr/lib/one/onegate/onegate-server.rb", "opennebula-gate", OpenNebula,
      "the onegate container runs `ruby /usr/lib/one/onegate/onegate-server.rb` (share/pkgs/services/systemd/opennebula-gate.service:11)"),
    e(File, "/etc/one/onegate-server.conf", "opennebula-gate", OpenNebula,
      "files/prepare.sh merges onechart's OneGate settings into it (install.sh:2517 ONEGATE_ETC_FILES -> /etc/one)"),
    e(File, "/usr/lib/one/oneflow/oneflow-server.rb", "opennebula-flow", OpenNebula,
      "the oneflow container runs `ruby /usr/lib/one/oneflow/oneflow-server.rb` (share/pkgs/services/systemd/opennebula-flow.service:11)"),
    e(File, "/etc/one/oneflow-server.conf", "opennebula-flow", OpenNebula,
      "files/prepare.sh merges onechart's OneFlow settings into it (install.sh:2528 ONEFLOW_ETC_FILES -> /etc/one)"),
    only(e(File, "/usr/lib/one/sunstone/sunstone-server.rb", "opennebula-sunstone", OpenNebula,
      "the 6.10 sunstone container runs it (release-6.10.5:share/pkgs/services/systemd/opennebula-sunstone.service:15; the legacy Ruby Sunstone package, docs one-6.10-maintenance:source/legacy_components/ruby_sunstone/sunstone.rst:12)"),
      V6_10, Some(V6_10)),
    only(e(Command, "novnc-server", "opennebula-sunstone", OpenNebula,
      "files/novnc.sh runs `novnc-server start|stop` (release-6.10.5:share/pkgs/services/systemd/opennebula-novnc.service:11)"),
      V6_10, Some(V6_10)),
    only(e(File, "/etc/one/sunstone-server.conf", "opennebula-sunstone", OpenNebula,
      "files/prepare.sh merges onechart's Sunstone settings into it (release-6.10.5:install.sh:2544 SUNSTONE_ETC_FILES -> /etc/one)"),
      V6_10, Some(V6_10)),
    only(e(File, "/usr/lib/one/oneform/oneform-server.rb", "opennebula-form", OpenNebula,
      "the oneform container runs it on the leader, new in 7.2 (release-7.2.0:share/pkgs/services/systemd/opennebula-form.service, ExecStart; installed by OpenNebula/one-deploy roles/form and minione from 7.2)"),
      V7_2, None),
    only(e(File, "/usr/lib/one/oneks/oneks-server.rb", "opennebula-ks", OpenNebula,
      "the oneks container runs it on the leader, new in 7.4 (release-7.4.0:share/pkgs/services/systemd/opennebula-ks.service, ExecStart; install guide package table)"),
      V7_4, None),
    e(File, "/usr/lib/one/opennebula_exporter/opennebula_exporter.rb", "opennebula-prometheus-kvm", OpenNebula,
      "the exporter container runs `ruby /usr/lib/one/opennebula_exporter/opennebula_exporter.rb` (src/oneprometheus/opennebula-exporter/systemd/opennebula-exporter.service:15; install.sh:758 -> /usr/lib/one/opennebula_exporter); the Prometheus-KVM package holds the OpenNebula exporter (OpenNebula/docs@one-6.10-maintenance:source/management_and_operations/monitor_alert/install.rst:22-25)"),
    e(Gem, "prometheus-client", "opennebula-rubygems", OpenNebula,
      "the exporter requires prometheus/client (src/oneprometheus/opennebula-exporter/src/opennebula_collector.rb:18; share/install_gems/Gemfile group :prometheus, Debian12/Gemfile.lock:176)"),
    e(Gem, "sinatra", "opennebula-rubygems", OpenNebula,
      "the exporter, OneGate and OneFlow serve HTTP with Sinatra (src/oneprometheus/opennebula-exporter/src/opennebula_exporter.rb:59; share/install_gems/Debian12/Gemfile.lock:209)"),
    // ---- Debian ----
    e(Command, "ruby", "ruby", Debian,
      "the OneGate, OneFlow, hook-manager and Sunstone containers, the probes and files/*.rb run on the distribution's Ruby (opennebula-gate.service:11 ExecStart=/usr/bin/ruby)"),
    e(Command, "node", "nodejs", Debian,
      "the fireedge container runs `node` (opennebula-fireedge.service:14); OpenNebula's repository carries the Node.js FireEdge needs where the distribution's is older (one-docs: opennebula_repository_configuration_ce.md, Ubuntu 26.04 note)"),
    e(Command, "ssh", "openssh-client", Debian,
      "OpenNebula's drivers reach the hypervisors with ssh (src/mad/sh/scripts_common.sh:48 SSH=${SSH:-ssh})"),
    e(Command, "ssh-agent", "openssh-client", Debian,
      "files/oned.sh starts oneadmin's agent as the packaged unit does (share/pkgs/services/systemd/opennebula-ssh-agent.service:12)"),
    e(Command, "ssh-add", "openssh-client", Debian, "files/oned.sh adds oneadmin's key to the agent"),
    e(Command, "ssh-keygen", "openssh-client", Debian,
      "files/prepare.sh and publish-ssh-key.sh derive or generate oneadmin's key pair"),
    e(Executable, "/usr/sbin/sshd", "openssh-server", Debian,
      "the sshd container: oneadmin's key-only SSH server; transfer drivers copy images from `<HOSTNAME>:<path>` (src/tm/TransferManager.cc:181, src/tm_mad/local/clone:152-214); the recipe removes the host keys the package generates"),
    e(Command, "mysql", "mariadb-client", Debian,
      "`onedb restore` runs the mysql client (src/onedb/onedb_backend.rb:381); Debian 12's mariadb-client-core links /usr/bin/mysql to mariadb"),
    e(Command, "mysqldump", "mariadb-client", Debian,
      "`onedb backup` runs mysqldump (src/onedb/onedb_backend.rb:258); Debian 12's mariadb-client links /usr/bin/mysqldump to mariadb-dump"),
    e(Command, "sqlite3", "sqlite3", Debian,
      "`onedb backup --sqlite` runs the sqlite3 shell (src/onedb/onedb_backend.rb:486)"),
    e(Command, "curl", "curl", Debian,
      "the datastore drivers download images with curl on the front-end (src/datastore_mad/remotes/downloader.sh:305,388)"),
    e(File, "/etc/ssl/certs/ca-certificates.crt", "ca-certificates", Debian,
      "HTTPS downloads (marketplaces, image URLs) by the datastore drivers"),
    e(Command, "qemu-img", "qemu-utils", Debian,
      "the fs datastore driver inspects and converts images on the front-end (src/datastore_mad/remotes/fs/cp:189; scripts_common.sh:41 QEMU_IMG)"),
    only(e(Command, "genisoimage", "genisoimage", Debian,
      "the transfer drivers build each VM's context CD-ROM on the front-end, then copy it to the host (release-6.10.5:src/mad/sh/scripts_common.sh:40 MKISOFS=${MKISOFS:-genisoimage}, src/tm_mad/common/context:107; release-7.0.2:src/tm_mad/local/context:119)"),
      V6_10, Some(V7_0)),
    only(e(Command, "xorriso", "xorriso", Debian,
      "the transfer drivers build each VM's context CD-ROM on the front-end with `xorriso -as mkisofs`, then copy it to the host (release-7.2.0 and release-7.4.0:src/tm_mad/common/context:107, src/tm_mad/local/context:119)"),
      V7_2, None),
    e(Command, "haproxy", "haproxy", Debian,
      "files/tls-proxy.sh runs HAProxy (2.6 in Debian 12) to terminate TLS in front of oned, OneGate and FireEdge, which serve no TLS themselves (src/rm/grpc/RequestManagerGRPC.cc:92 InsecureServerCredentials; OneGate's :ssl_server: only names the proxy, src/onegate/onegate-server.rb:882)"),
    e(Command, "awk", "mawk", Debian, "files/prepare.sh, raft.sh and publish-ssh-key.sh (Priority: required, not Essential)"),
    unchecked(e(Command, "ps", "procps", Debian,
      "for operators (`kubectl exec ... ps`); the chart's probes read /proc themselves (files/health.sh)")),
    // ---- Essential (in the base image) ----
    e(Command, "sh", "dash", Essential, "every chart script runs under /bin/sh"),
    e(Command, "bash", "bash", Essential,
      "OpenNebula's drivers are bash scripts (src/datastore_mad/remotes/fs/cp:1) and oneadmin's login shell"),
    e(Command, "cat", "coreutils", Essential, "chart scripts"),
    e(Command, "chmod", "coreutils", Essential, "chart scripts"),
    e(Command, "cksum", "coreutils", Essential, "files/leader-only.sh notices a changed credentials file"),
    e(Command, "cp", "coreutils", Essential, "chart scripts"),
    e(Command, "cut", "coreutils", Essential, "files/sync-admin-users.sh reads one_auth"),
    e(Command, "date", "coreutils", Essential, "chart scripts"),
    e(Command, "df", "coreutils", Essential, "files/backup.sh names the free space when a backup fails"),
    e(Command, "du", "coreutils", Essential, "files/oned.sh empties a followed log file past its cap (before 7.4)"),
    e(Command, "expr", "coreutils", Essential, "files/backup.sh compares backup names to find those not yet off-site"),
    e(Command, "id", "coreutils", Essential, "files/check-image.sh"),
    e(Command, "head", "coreutils", Essential, "chart scripts"),
    e(Command, "ln", "coreutils", Essential, "files/prepare.sh links the daemons' log files to their output"),
    e(Command, "ls", "coreutils", Essential, "chart scripts"),
    e(Command, "mkdir", "coreutils", Essential, "chart scripts"),
    e(Command, "mktemp", "coreutils", Essential, "files/self-test.sh's working directory"),
    e(Command, "mkfifo", "coreutils", Essential, "files/common.sh masks secrets in oned's log through a pipe"),
    e(Command, "mv", "coreutils", Essential, "chart scripts"),
    e(Command, "rm", "coreutils", Essential, "chart scripts"),
    e(Command, "sha256sum", "coreutils", Essential,
      "files/sync-admin-users.sh compares serveradmin's stored password (sha256 of the token, src/cli/one_helper/oneuser_helper.rb:76-79)"),
    e(Command, "sleep", "coreutils", Essential, "chart scripts"),
    e(Command, "sort", "coreutils", Essential, "chart scripts"),
    e(Command, "tail", "coreutils", Essential, "chart scripts"),
    e(Command, "timeout", "coreutils", Essential, "files/backup.sh bounds each off-site copy (a hung network mount)"),
    e(Command, "touch", "coreutils", Essential, "chart scripts"),
    e(Command, "tr", "coreutils", Essential, "chart scripts"),
    e(Command, "grep", "grep", Essential, "chart scripts"),
    e(Command, "sed", "sed", Essential, "chart scripts"),
];

/// Commands `/bin/sh` (dash) runs itself: no entry needed.
pub const SHELL_BUILTINS: &[&str] = &[
    ".", ":", "[", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export", "false", "getopts",
    "kill", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "trap", "true", "umask",
    "unset", "wait",
];

/// Ruby libraries the chart's Ruby code may `require` (`ruby -r`, `require '...'`), and the entry that provides
/// each: Ruby's standard library comes with the `ruby` command (Debian 12's libruby3.1); rexml is a gem, which
/// OpenNebula's gem directory carries for the OCA; `opennebula` is OpenNebula's Ruby OCA.
pub const RUBY_REQUIRES: &[(&str, Kind, &str)] = &[
    ("base64", Command, "ruby"),
    ("json", Command, "ruby"),
    ("net/http", Command, "ruby"),
    ("openssl", Command, "ruby"),
    ("rubygems", Command, "ruby"),
    ("securerandom", Command, "ruby"),
    ("socket", Command, "ruby"),
    ("tmpdir", Command, "ruby"),
    ("yaml", Command, "ruby"),
    ("rexml/document", Gem, "rexml"),
    ("opennebula", File, "/usr/lib/one/ruby/opennebula.rb"),
];

/// The entries `version` needs.
pub fn entries(version: OneVersion) -> impl Iterator<Item = &'static Entry> {
    ENTRIES.iter().filter(move |e| e.applies(version))
}

/// The packages of `origin` that `version` needs, each once, in table order.
pub fn packages(version: OneVersion, origin: Origin) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in entries(version).filter(|e| e.origin == origin) {
        if !out.contains(&e.package) {
            out.push(e.package);
        }
    }
    out
}

/// The checked entry of a kind and name, if any.
pub fn checked(version: OneVersion, kind: Kind, name: &str) -> Option<&'static Entry> {
    entries(version).find(|e| e.checked && e.kind == kind && e.name == name)
}

/// The checked entry for a command name, if any (what the coverage test and the check agree on).
pub fn checked_command(version: OneVersion, name: &str) -> Option<&'static Entry> {
    entries(version).find(|e| e.checked && e.kind == Command && e.name == name)
}

/// The checked entry for an absolute path (an executable, file or directory), if any.
pub fn checked_path(version: OneVersion, path: &str) -> Option<&'static Entry> {
    entries(version).find(|e| e.checked && matches!(e.kind, Executable | File | Dir) && e.name == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_version_and_absolute_where_they_must_be() {
        for v in OneVersion::ALL {
            let mut seen = std::collections::BTreeSet::new();
            for e in entries(v) {
                assert!(seen.insert((e.name, e.kind as u8)), "{v:?}: {} twice", e.name);
                match e.kind {
                    Executable | File | Dir => assert!(e.name.starts_with('/'), "{} must be absolute", e.name),
                    Command | Gem | Package => assert!(!e.name.contains('/'), "{} must be a name", e.name),
                }
                assert!(!e.why.is_empty() && !e.package.is_empty());
            }
        }
    }

    #[test]
    fn each_version_has_its_daemons() {
        assert!(checked_path(V6_10, "/usr/bin/mm_sched").is_some());
        assert!(checked_path(V7_0, "/usr/bin/mm_sched").is_none());
        assert!(checked_path(V7_4, "/usr/lib/one/mads/one_sched").is_some());
        assert!(packages(V6_10, OpenNebula).contains(&"opennebula-sunstone"));
        assert!(!packages(V7_0, OpenNebula).contains(&"opennebula-sunstone"));
        assert!(packages(V7_2, OpenNebula).contains(&"opennebula-form"));
        assert!(!packages(V7_2, OpenNebula).contains(&"opennebula-ks"));
        assert!(packages(V7_4, OpenNebula).contains(&"opennebula-ks"));
    }

    #[test]
    fn ruby_requires_name_entries() {
        for (_, kind, by) in RUBY_REQUIRES {
            for v in OneVersion::ALL {
                assert!(checked(v, *kind, by).is_some(), "{by}");
            }
        }
    }
}
