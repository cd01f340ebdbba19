//! Source files and positions.
//!
//! Every value onechart reads keeps the place it came from, so that a finding or an input error can name
//! `file:line:column` exactly as an editor shows it (1-based line, 1-based column in characters).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// Every source read in this process, by name, so reports can show code frames.
fn registry() -> &'static Mutex<HashMap<String, Arc<SourceFile>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<SourceFile>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The source registered under a name (a file read by this process).
pub fn lookup(name: &str) -> Option<Arc<SourceFile>> {
    registry().lock().ok()?.get(name).cloned()
}

fn register(file: SourceFile) -> Arc<SourceFile> {
    let file = Arc::new(file);
    if let Ok(mut r) = registry().lock() {
        r.insert(file.name.clone(), file.clone());
    }
    file
}

/// The largest input onechart reads (a values file, a manifest stream, stdin). Values files are a few kilobytes;
/// anything this large is a mistake (or an attack) and is refused without reading more than this.
pub const MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// A file's text together with the name shown to the user.
#[derive(Debug)]
pub struct SourceFile {
    /// The name printed in diagnostics (the path as the user gave it, or `profile <name> (built-in)`).
    pub name: String,
    /// The whole text.
    pub text: String,
    /// Where each line starts, built on first use: finding a line is a lookup, not a scan of the text (99,000
    /// findings in one file stay linear).
    pub line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// Reads a file from disk, bounded ([`crate::input`]: directories, devices, oversized files and silent pipes
    /// are refused) and checked for UTF-8, with an error that names the file (and, for bad UTF-8, the line and
    /// column of the first bad byte).
    pub fn read(path: &Path) -> Result<Arc<SourceFile>, InputError> {
        let name = path.display().to_string();
        let bytes = crate::input::read_bounded(path, MAX_INPUT_BYTES)
            .map_err(|message| InputError::new(Location::file(&name), message))?;
        Self::from_bytes(name, bytes)
    }

    /// Builds a source from bytes (stdin, embedded profiles), checking UTF-8 and the size limit.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Arc<SourceFile>, InputError> {
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(InputError::new(Location::file(&name), crate::input::too_large(None, MAX_INPUT_BYTES)));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(register(SourceFile { name, text, line_starts: OnceLock::new() })),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let line = prefix.matches('\n').count() + 1;
                let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Err(InputError::new(
                    Location::at(&name, line, col),
                    format!("invalid UTF-8 (byte offset {valid}); values files must be UTF-8 text"),
                ))
            }
        }
    }

    /// Builds a source from text that is known to be valid (embedded files, tests).
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        register(SourceFile { name: name.into(), text: text.into(), line_starts: OnceLock::new() })
    }

    /// The text of line `line` (1-based), without its newline.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let starts = self
            .line_starts
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect());
        let start = *starts.get(line.checked_sub(1)?)?;
        if start == self.text.len() && line > 1 {
            return None; // after the final newline: `str::lines` has no such line
        }
        match starts.get(line) {
            Some(next) => {
                let l = &self.text[start..next - 1];
                Some(l.strip_suffix('\r').unwrap_or(l))
            }
            None if start < self.text.len() => Some(&self.text[start..]),
            None => None,
        }
    }
}

/// A position in an input: a file, or a command-line argument, with an optional line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// File name as shown to the user, or `--set` for a command-line value.
    pub file: String,
    /// 1-based line; 0 when unknown (a whole-file problem).
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
}

impl Location {
    /// A whole-file location (no line).
    pub fn file(name: &str) -> Self {
        Location { file: name.to_string(), line: 0, column: 0 }
    }

    /// A precise location.
    pub fn at(name: &str, line: usize, column: usize) -> Self {
        Location { file: name.to_string(), line, column }
    }

    /// True when this is a line in a file (and a code frame can be shown).
    pub fn has_position(&self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// Unreadable or malformed input: reported as `file:line:column: error: message`, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Further lines (for example every missing site value), printed indented under the message.
    pub details: Vec<String>,
}

impl InputError {
    /// An error at a location.
    pub fn new(location: Location, message: String) -> Self {
        InputError { location, message, details: Vec::new() }
    }

    /// Adds detail lines.
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // File names and messages quote the input: escaped, never sent raw to a terminal.
        use crate::report::printable;
        write!(f, "{}: error: {}", printable(&self.location.to_string()), printable(&self.message))?;
        for d in &self.details {
            write!(f, "\n  {}", printable(d))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_text_reads_lines_as_str_lines_does() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "a\n\nb\n", "x\ry\n"] {
            let src = SourceFile::from_text("t", text);
            let expected: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (1..=expected.len() + 2).map_while(|n| src.line_text(n)).collect();
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(src.line_text(0), None);
        }
    }
}
