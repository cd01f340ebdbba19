//! Source files and positions.
//!
//! Every value onechart reads keeps the place it came from, so that a finding or an input error can name
//! `file:line:column` exactly as an editor shows it (1-based line, 1-based column in characters).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The largest values file (or profile) onechart reads. Values files are a few kilobytes; anything this large is
/// a mistake (or an attack) and is refused without reading more than this ([`crate::input`]).
pub const MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// The largest rendered manifest stream onechart reads from one input (a file or stdin). A platform repository
/// renders many charts into one stream (500 charts of 200 KB are 100 MB); lint time and memory grow linearly
/// with the stream (about 8.5 bytes of memory per byte of YAML: 885 MB for 105 MB in the README's benchmark),
/// so this bound keeps a run under 2.5 GB.
pub const MAX_STREAM_BYTES: u64 = 256 * 1024 * 1024;

/// What an input is, for the size-limit message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A values file or a profile ([`MAX_INPUT_BYTES`]).
    Values,
    /// A rendered manifest stream ([`MAX_STREAM_BYTES`]).
    Stream,
}

impl InputKind {
    /// The size limit.
    pub fn limit(self) -> u64 {
        match self {
            InputKind::Values => MAX_INPUT_BYTES,
            InputKind::Stream => MAX_STREAM_BYTES,
        }
    }

    /// The size-limit message (`size`: the file's size, when known before reading it), naming the kind of input
    /// the limit is for, so that a manifest stream is never told about values files.
    pub fn too_large(self, size: Option<u64>) -> String {
        let (limit, what) = (self.limit(), self.describe());
        let mib = limit / (1024 * 1024);
        match size {
            Some(n) => format!("file is {n} bytes, larger than the {mib} MiB ({limit}-byte) limit for {what}"),
            None => format!("input is larger than the {mib} MiB ({limit}-byte) limit for {what}"),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            InputKind::Values => "values files",
            InputKind::Stream => "a rendered manifest stream",
        }
    }
}

/// A file's text together with the name shown to the user, and an index of where its lines start.
pub struct SourceFile {
    /// The name printed in diagnostics (the path as the user gave it, or `profile <name> (built-in)`).
    pub name: String,
    /// The whole text.
    pub text: String,
    /// Byte offset of the start of every line (the first is 0), built once when the file is read.
    line_starts: Vec<usize>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile").field("name", &self.name).field("bytes", &self.text.len()).finish()
    }
}

impl SourceFile {
    /// Builds a source from bytes (stdin, embedded profiles), checking UTF-8 and the size limit of values files.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Arc<SourceFile>, InputError> {
        Self::from_bytes_as(name, bytes, InputKind::Values)
    }

    /// Builds a source from bytes, checking UTF-8 and the size limit of its kind.
    pub fn from_bytes_as(name: String, bytes: Vec<u8>, kind: InputKind) -> Result<Arc<SourceFile>, InputError> {
        if bytes.len() as u64 > kind.limit() {
            return Err(InputError::new(Location::file(&name), kind.too_large(None)));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::from_text(name, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let line = prefix.matches('\n').count() + 1;
                let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Err(InputError::new(
                    Location::at(&name, line, col),
                    format!("invalid UTF-8 (byte offset {valid}); onechart reads UTF-8 text only"),
                ))
            }
        }
    }

    /// Builds a source from text that is known to be valid (embedded files, tests).
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        let text = text.into();
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Arc::new(SourceFile { name: name.into(), text, line_starts })
    }

    /// The number of lines, as [`str::lines`] counts them.
    pub fn line_count(&self) -> usize {
        match self.line_starts.last() {
            Some(&last) if last == self.text.len() => self.line_starts.len() - 1,
            _ => self.line_starts.len(),
        }
    }

    /// The text of line `line` (1-based), without its line break (`\n` or `\r\n`), as [`str::lines`] gives it;
    /// constant time.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let i = line.checked_sub(1)?;
        if i >= self.line_count() {
            return None;
        }
        let start = self.line_starts[i];
        let end = self.line_starts.get(i + 1).map_or(self.text.len(), |next| next - 1);
        let l = &self.text[start..end];
        Some(l.strip_suffix('\r').unwrap_or(l))
    }

    /// The 1-based line and column (in characters) of a byte offset, in logarithmic time.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(offset - start, |t| t.chars().count()) + 1;
        (line, column)
    }
}

/// A position in an input: a file, or a command-line argument, with an optional line and column. A location in
/// a file read by this run carries the file itself, so a report can show the line (a code frame) without any
/// registry of files.
#[derive(Clone, serde::Serialize)]
pub struct Location {
    /// File name as shown to the user, or `--set` for a command-line value.
    pub file: String,
    /// 1-based line; 0 when unknown (a whole-file problem).
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
    /// The file's text, when the location is in a file read by this run (for code frames; not compared).
    #[serde(skip)]
    pub source: Option<Arc<SourceFile>>,
}

impl Location {
    /// A whole-file location (no line).
    pub fn file(name: &str) -> Self {
        Location { file: name.to_string(), line: 0, column: 0, source: None }
    }

    /// A precise location.
    pub fn at(name: &str, line: usize, column: usize) -> Self {
        Location { file: name.to_string(), line, column, source: None }
    }

    /// A precise location in a file read by this run, carrying the file for code frames.
    pub fn in_source(source: &Arc<SourceFile>, line: usize, column: usize) -> Self {
        Location { file: source.name.clone(), line, column, source: Some(source.clone()) }
    }

    /// True when this is a line in a file (and a code frame can be shown).
    pub fn has_position(&self) -> bool {
        self.line > 0
    }

    /// The text of the line, when the location carries its file.
    pub fn line_text(&self) -> Option<&str> {
        self.source.as_ref()?.line_text(self.line)
    }

    fn key(&self) -> (&str, usize, usize) {
        (&self.file, self.line, self.column)
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Location")
            .field("file", &self.file)
            .field("line", &self.line)
            .field("column", &self.column)
            .finish()
    }
}

impl PartialEq for Location {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Location {}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Location {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Hash for Location {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
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
        write!(f, "{}: error: {}", printable(&self.location.to_string()), printable(&self.message))?;
        for d in &self.details {
            write!(f, "\n  {}", printable(d))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Text from an input made safe for a terminal: control characters (ESC, BEL, CR, NUL, newlines inside a
/// one-line message), C1 controls and bidirectional overrides are shown escaped (`\x1b`, `\u{202e}`), so a
/// values file or a manifest cannot retitle or clear the terminal, fake an output line, or reorder what the reader
/// sees. Tabs stay.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    fn escaped(c: char) -> bool {
        (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !escaped(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_reads_lines_as_str_lines_does() {
        for text in ["", "a", "a\n", "a\r\nb", "a\n\nb\n", "\n", "é\nxé y\n"] {
            let s = SourceFile::from_text("t", text);
            let expected: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (1..=s.line_count()).map(|n| s.line_text(n).unwrap()).collect();
            assert_eq!(got, expected, "{text:?}");
            assert_eq!(s.line_text(s.line_count() + 1), None);
            assert_eq!(s.line_text(0), None);
        }
        let s = SourceFile::from_text("t", "é\nxé y\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(7), (2, 4));
    }

    #[test]
    fn locations_compare_by_place_and_carry_their_file() {
        let s = SourceFile::from_text("f.yaml", "a: 1\nb: 2\n");
        let with = Location::in_source(&s, 2, 4);
        assert_eq!(with, Location::at("f.yaml", 2, 4));
        assert_eq!(with.line_text(), Some("b: 2"));
        assert_eq!(Location::at("f.yaml", 2, 4).line_text(), None);
    }
}
