//! OpenSSH client configuration (`ssh_config(5)`): one `Keyword value` (or `Keyword=value`) per line, keywords
//! case-insensitive, `#` starting a comment line, and `Host`/`Match` starting a block that applies to the hosts
//! its patterns match. Each option is kept with the block it is in and the position of its value.

use super::Pos;

/// One option line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Keyword, lower-cased (`stricthostkeychecking`).
    pub keyword: String,
    /// The value as written (quotes removed).
    pub value: String,
    /// Where the value starts.
    pub pos: Pos,
    /// The patterns of the `Host` (or the criteria of the `Match`) block; empty before the first block.
    pub hosts: String,
}

/// Reads every option of a client configuration.
pub fn parse(text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut hosts = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.chars().count() - trimmed.chars().count();
        let key_len = trimmed.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(trimmed.len());
        let keyword = trimmed[..key_len].to_ascii_lowercase();
        let rest = &trimmed[key_len..];
        let after = rest.trim_start_matches(|c: char| c.is_whitespace());
        let after = after.strip_prefix('=').map_or(after, |a| a.trim_start());
        let value_col = indent + trimmed.chars().count() - after.chars().count() + 1;
        let value = after.trim_end().trim_matches('"').to_string();
        if keyword == "host" || keyword == "match" {
            hosts = value.clone();
        }
        out.push(Setting { keyword, value, pos: Pos { line: i + 1, column: value_col }, hosts: hosts.clone() });
    }
    out
}

/// `ssh_config(5)` keywords (lower case) that show a text is an OpenSSH client configuration.
const KEYWORDS: &[&str] = &[
    "host",
    "match",
    "hostname",
    "user",
    "port",
    "identityfile",
    "identitiesonly",
    "stricthostkeychecking",
    "userknownhostsfile",
    "globalknownhostsfile",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "serveraliveinterval",
    "serveralivecountmax",
    "proxyjump",
    "proxycommand",
    "forwardagent",
    "connecttimeout",
    "loglevel",
    "batchmode",
    "hashknownhosts",
    "checkhostip",
    "compression",
    "sendenv",
    "addkeystoagent",
    "pubkeyauthentication",
    "passwordauthentication",
    "preferredauthentications",
    "updatehostkeys",
    "include",
];

/// True when every option line of a text is an `ssh_config` keyword and it has a `Host` or `Match` block: an
/// OpenSSH client configuration, whatever its key or path is called.
pub fn is_client_config(text: &str) -> bool {
    let mut block = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        // Stops at the first line that is not `Keyword value`: a script or any other text is rejected at once.
        let key_len = t.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(t.len());
        let keyword = t[..key_len].to_ascii_lowercase();
        let value = t[key_len..].trim_start_matches(|c: char| c.is_whitespace() || c == '=').trim();
        if value.is_empty() || !KEYWORDS.contains(&keyword.as_str()) {
            return false;
        }
        block |= keyword == "host" || keyword == "match";
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_with_blocks_and_positions() {
        let o =
            parse("# c\nStrictHostKeyChecking ask\nHost *\n  StrictHostKeyChecking=no\nHost 10.*\n\tUser oneadmin\n");
        assert_eq!(o.len(), 5);
        assert_eq!(o[0].hosts, "");
        let s = &o[2];
        assert_eq!((s.keyword.as_str(), s.value.as_str(), s.hosts.as_str()), ("stricthostkeychecking", "no", "*"));
        assert_eq!(s.pos, Pos { line: 4, column: 25 });
        assert_eq!(o[4].pos, Pos { line: 6, column: 7 });
    }
}
