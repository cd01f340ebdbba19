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
