//! OpenNebula's own configuration files, read with the position of every attribute, so that a finding about a
//! configuration embedded in a ConfigMap or a Secret can point at the line and column where the value is.
//!
//! - [`template`]: OpenNebula's template syntax (`oned.conf`, `monitord.conf`, `vmm_exec_kvm.conf`), following the
//!   lexer and grammar of `src/parsers/template_parser.l` and `template_syntax.y`, which are the same at every
//!   supported release tag (6.10, 7.0, 7.2, 7.4).
//! - [`service`]: the YAML configuration of the Ruby and Node.js services (`onegate-server.conf`,
//!   `oneflow-server.conf`, `sunstone-server.conf`, `fireedge-server.conf`), whose keys are Ruby symbols
//!   (`:host:`) or plain words (`host:`).
//! - [`ssh`]: OpenSSH client configuration (`~/.ssh/config`), keyword by keyword with the `Host` block it is in.
//!
//! Positions are 1-based lines and columns (in characters) inside the configuration text.

pub mod service;
pub mod ssh;
pub mod template;

pub use crate::yaml::Pos;

/// A configuration that does not parse: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is, inside the configuration text.
    pub pos: Pos,
    /// What is wrong, lowercase.
    pub message: String,
}

/// The kinds of configuration file onechart understands, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `/etc/one/oned.conf`.
    Oned,
    /// `/etc/one/monitord.conf`.
    Monitord,
    /// `/etc/one/vmm_exec/vmm_exec_kvm.conf`.
    VmmExecKvm,
    /// `/etc/one/onegate-server.conf`.
    OnegateServer,
    /// `/etc/one/oneflow-server.conf`.
    OneflowServer,
    /// `/etc/one/sunstone-server.conf` (Ruby Sunstone, up to 6.10).
    SunstoneServer,
    /// `/etc/one/fireedge-server.conf`.
    FireedgeServer,
    /// An OpenSSH client configuration (`~/.ssh/config`, `ssh_config`).
    SshConfig,
}

impl Kind {
    /// The kind of a file, from its path (or a ConfigMap key): the base name decides, and `config` is an SSH
    /// configuration only inside a `.ssh` directory.
    pub fn of_path(path: &str) -> Option<Kind> {
        let path = path.trim_end_matches('/');
        let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
        Some(match base {
            "oned.conf" => Kind::Oned,
            "monitord.conf" => Kind::Monitord,
            "vmm_exec_kvm.conf" => Kind::VmmExecKvm,
            "onegate-server.conf" => Kind::OnegateServer,
            "oneflow-server.conf" => Kind::OneflowServer,
            "sunstone-server.conf" => Kind::SunstoneServer,
            "fireedge-server.conf" => Kind::FireedgeServer,
            "ssh_config" => Kind::SshConfig,
            "config" if dir.ends_with(".ssh") => Kind::SshConfig,
            _ => return None,
        })
    }

    /// The kind of a file a container reads through an environment variable, from the variable's name
    /// (`ONED_CONF`, `MONITORD_CONF`, `ONEGATE_SERVER_CONF`, `SSH_CONFIG`): the start script writes it where the
    /// daemon reads it.
    pub fn of_env_name(name: &str) -> Option<Kind> {
        let n = name.to_ascii_lowercase().replace(['-', '.'], "_");
        let n = n.trim_end_matches("_file").trim_end_matches("_content");
        let n = n.strip_suffix("_config").or_else(|| n.strip_suffix("_conf"))?;
        let n = n.strip_suffix("_server").unwrap_or(n);
        let kinds = [
            ("oned", Kind::Oned),
            ("monitord", Kind::Monitord),
            ("vmm_exec_kvm", Kind::VmmExecKvm),
            ("onegate", Kind::OnegateServer),
            ("oneflow", Kind::OneflowServer),
            ("sunstone", Kind::SunstoneServer),
            ("fireedge", Kind::FireedgeServer),
            ("ssh", Kind::SshConfig),
        ];
        kinds.into_iter().find(|(suffix, _)| n == *suffix || n.ends_with(&format!("_{suffix}"))).map(|(_, k)| k)
    }

    /// The kind of a file from its content, for files whose name and path say nothing: an OpenNebula template
    /// with oned.conf's `DB` backend or `FEDERATION` section, monitord.conf's `NETWORK` section with a
    /// `MONITOR_ADDRESS`, vmm_exec_kvm.conf's `EMULATOR`; or an OpenSSH client configuration (every line an
    /// `ssh_config` keyword, with a `Host` or `Match` block).
    pub fn of_content(text: &str) -> Option<Kind> {
        if ssh::is_client_config(text) {
            return Some(Kind::SshConfig);
        }
        // Only text that looks like a template is parsed (a script with `DB = [` in a heredoc is not one).
        let markers = ["BACKEND", "MONITOR_ADDRESS", "EMULATOR", "FEDERATION"];
        if !markers.iter().any(|m| text.contains(m)) || !text.contains('=') {
            return None;
        }
        let t = template::parse(text).ok()?;
        if t.vector("DB").is_some_and(|v| v.get("BACKEND").is_some()) || t.vector("FEDERATION").is_some() {
            Some(Kind::Oned)
        } else if t.vector("NETWORK").is_some_and(|v| v.get("MONITOR_ADDRESS").is_some()) {
            Some(Kind::Monitord)
        } else if t.single("EMULATOR").is_some() {
            Some(Kind::VmmExecKvm)
        } else {
            None
        }
    }

    /// True for files in OpenNebula's template syntax.
    pub fn is_template(self) -> bool {
        matches!(self, Kind::Oned | Kind::Monitord | Kind::VmmExecKvm)
    }

    /// True for the YAML configurations of the services.
    pub fn is_service_yaml(self) -> bool {
        matches!(self, Kind::OnegateServer | Kind::OneflowServer | Kind::SunstoneServer | Kind::FireedgeServer)
    }

    /// The file's usual name.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Oned => "oned.conf",
            Kind::Monitord => "monitord.conf",
            Kind::VmmExecKvm => "vmm_exec_kvm.conf",
            Kind::OnegateServer => "onegate-server.conf",
            Kind::OneflowServer => "oneflow-server.conf",
            Kind::SunstoneServer => "sunstone-server.conf",
            Kind::FireedgeServer => "fireedge-server.conf",
            Kind::SshConfig => "ssh config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_path() {
        assert_eq!(Kind::of_path("/etc/one/monitord.conf"), Some(Kind::Monitord));
        assert_eq!(Kind::of_path("oned.conf"), Some(Kind::Oned));
        assert_eq!(Kind::of_path("/var/lib/one/.ssh/config"), Some(Kind::SshConfig));
        assert_eq!(Kind::of_path("/config"), None);
        assert_eq!(Kind::of_path("config"), None);
        assert_eq!(Kind::of_path("/etc/one/onegate-server.conf"), Some(Kind::OnegateServer));
    }

    #[test]
    fn kinds_by_variable_name_and_content() {
        assert_eq!(Kind::of_env_name("ONED_CONF"), Some(Kind::Oned));
        assert_eq!(Kind::of_env_name("ONEGATE_SERVER_CONF"), Some(Kind::OnegateServer));
        assert_eq!(Kind::of_env_name("SSH_CONFIG"), Some(Kind::SshConfig));
        assert_eq!(Kind::of_env_name("DB_PASSWORD"), None);
        assert_eq!(Kind::of_env_name("CONFIG"), None);
        assert_eq!(Kind::of_content("DB = [ BACKEND = \"sqlite\" ]\nPORT = 2633\n"), Some(Kind::Oned));
        assert_eq!(Kind::of_content("NETWORK = [ MONITOR_ADDRESS = \"auto\" ]\n"), Some(Kind::Monitord));
        assert_eq!(Kind::of_content("Host *\n  StrictHostKeyChecking no\n"), Some(Kind::SshConfig));
        assert_eq!(Kind::of_content("#!/bin/sh\ncat > ~/.ssh/config <<EOF\nHost *\nEOF\n"), None);
        assert_eq!(Kind::of_content("echo \"DB = [ BACKEND = x ]\"\n"), None);
    }
}
