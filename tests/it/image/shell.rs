//! A small reader of POSIX shell for the contract test: it finds every simple command of a script, wherever it
//! is (functions, pipelines, `&&`/`||` lists, `if`/`while` conditions, `case` items, subshells, `$(...)` and
//! backquotes, `trap` and `sh -c` strings, here-document bodies), with its words still unexpanded, plus the
//! script's functions and variable assignments. It does not run anything.

use std::collections::BTreeMap;

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text (quotes removed).
    Lit(String),
    /// A parameter expansion: `$NAME`, `${NAME:-default}`, `$1`, `$@` (the text inside `${}` or after `$`).
    Param(String),
    /// A command substitution (its commands are recorded separately) or an arithmetic expansion.
    Subst,
}

/// One shell word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub parts: Vec<Part>,
}

impl Word {
    /// The word's text when it has no expansion.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(t) => s.push_str(t),
                _ => return None,
            }
        }
        Some(s)
    }
}

/// A simple command: its words (reserved words and leading assignments removed) and its line.
#[derive(Debug, Clone)]
pub struct Command {
    pub words: Vec<Word>,
    pub line: usize,
}

/// What a script holds.
#[derive(Debug, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    pub functions: Vec<String>,
    /// `NAME=value` assignments, last one wins.
    pub vars: BTreeMap<String, Word>,
}

const RESERVED: &[&str] = &["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac"];

/// Reads a script.
pub fn parse(text: &str) -> Script {
    let mut p = Parser { s: text.chars().collect(), i: 0, line: 1, out: Script::default(), case_stack: Vec::new() };
    p.list(false);
    p.out
}

struct Parser {
    s: Vec<char>,
    i: usize,
    line: usize,
    out: Script,
    /// One entry per open `case`: true while the next words are a pattern.
    case_stack: Vec<bool>,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.i + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn expecting_pattern(&self) -> bool {
        self.case_stack.last().copied().unwrap_or(false)
    }

    /// Reads commands until the end, or (`in_subst`) until the `)` that closes a `$(`.
    fn list(&mut self, in_subst: bool) {
        let mut words: Vec<Word> = Vec::new();
        let mut line = self.line;
        let mut redirect_target = false;
        let mut heredocs: Vec<(String, bool, bool)> = Vec::new(); // delimiter, strip tabs, expands
        let mut subshells = 0usize;
        loop {
            while matches!(self.peek(), Some(' ' | '\t')) {
                self.bump();
            }
            let Some(c) = self.peek() else {
                self.finish(&mut words, line);
                return;
            };
            if words.is_empty() {
                line = self.line;
            }
            match c {
                '\\' if self.peek_at(1) == Some('\n') => {
                    self.bump();
                    self.bump();
                }
                '#' => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.bump();
                    }
                }
                '\n' => {
                    self.bump();
                    self.finish(&mut words, line);
                    for (delim, strip, expands) in std::mem::take(&mut heredocs) {
                        self.heredoc(&delim, strip, expands);
                    }
                }
                ';' => {
                    self.bump();
                    if self.peek() == Some(';') {
                        self.bump();
                        self.finish(&mut words, line);
                        if let Some(top) = self.case_stack.last_mut() {
                            *top = true;
                        }
                    } else {
                        self.finish(&mut words, line);
                    }
                }
                '|' if self.expecting_pattern() => {
                    // `a|b)`: alternatives of a case pattern.
                    self.bump();
                }
                '&' | '|' => {
                    self.bump();
                    if self.peek() == Some(c) {
                        self.bump();
                    }
                    self.finish(&mut words, line);
                }
                '(' => {
                    self.bump();
                    let next = self.s[self.i..].iter().find(|c| !matches!(c, ' ' | '\t')).copied();
                    if words.len() == 1 && next == Some(')') {
                        // name() { ... }: a function definition.
                        while self.peek() != Some(')') {
                            self.bump();
                        }
                        self.bump();
                        if let Some(name) = words[0].literal() {
                            self.out.functions.push(name);
                        }
                        words.clear();
                    } else if self.expecting_pattern() && words.is_empty() {
                        // `(pattern)` in a case item: the optional opening parenthesis.
                    } else {
                        self.finish(&mut words, line);
                        subshells += 1;
                    }
                }
                ')' => {
                    self.bump();
                    if self.expecting_pattern() {
                        words.clear();
                        if let Some(top) = self.case_stack.last_mut() {
                            *top = false;
                        }
                    } else if subshells > 0 {
                        subshells -= 1;
                        self.finish(&mut words, line);
                    } else {
                        self.finish(&mut words, line);
                        if in_subst {
                            return;
                        }
                    }
                }
                '<' | '>' => {
                    // A file descriptor number written right before the operator belongs to it.
                    if let Some(last) = words.last()
                        && last.literal().is_some_and(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
                        && self.i > 0
                        && !matches!(self.s[self.i - 1], ' ' | '\t')
                    {
                        words.pop();
                    }
                    self.bump();
                    if c == '<' && self.peek() == Some('<') {
                        self.bump();
                        let strip = self.peek() == Some('-');
                        if strip {
                            self.bump();
                        }
                        while matches!(self.peek(), Some(' ' | '\t')) {
                            self.bump();
                        }
                        let start = self.i;
                        let delim = self.word();
                        let raw: String = self.s[start..self.i].iter().collect();
                        let expands = !raw.contains(['\'', '"', '\\']);
                        heredocs.push((delim.literal().unwrap_or_default(), strip, expands));
                    } else {
                        while matches!(self.peek(), Some('>' | '&' | '|')) {
                            self.bump();
                        }
                        redirect_target = true;
                    }
                }
                _ => {
                    let w = self.word();
                    if redirect_target {
                        redirect_target = false;
                        continue;
                    }
                    let text = w.literal();
                    if words.is_empty() && text.as_deref() == Some("esac") {
                        self.case_stack.pop();
                        continue;
                    }
                    words.push(w);
                    if words.len() == 3
                        && words[0].literal().as_deref() == Some("case")
                        && words[2].literal().as_deref() == Some("in")
                    {
                        words.clear();
                        self.case_stack.push(true);
                    }
                }
            }
        }
    }

    /// Skips a here-document body; an unquoted delimiter's body expands, so its substitutions are read.
    fn heredoc(&mut self, delim: &str, strip: bool, expands: bool) {
        loop {
            let start = self.i;
            while !matches!(self.peek(), None | Some('\n')) {
                self.bump();
            }
            let body_line: String = self.s[start..self.i].iter().collect();
            let at_end = self.peek().is_none();
            self.bump();
            let cmp = if strip { body_line.trim_start_matches('\t') } else { body_line.as_str() };
            if cmp == delim || at_end {
                return;
            }
            if expands {
                let (_, sub) = read_double_quoted(&body_line);
                self.merge(sub, self.line - 1);
            }
        }
    }

    fn merge(&mut self, sub: Script, line: usize) {
        for mut c in sub.commands {
            c.line += line - 1;
            self.out.commands.push(c);
        }
        self.out.functions.extend(sub.functions);
        self.out.vars.extend(sub.vars);
    }

    /// Ends a simple command: drops reserved words, records assignments and `for` loops, keeps the rest.
    fn finish(&mut self, words: &mut Vec<Word>, line: usize) {
        let mut ws: Vec<Word> = std::mem::take(words);
        while let Some(w) = ws.first() {
            if let Some((name, value)) = assignment(w) {
                self.out.vars.insert(name, value);
                ws.remove(0);
                continue;
            }
            match w.literal().as_deref() {
                Some(reserved) if RESERVED.contains(&reserved) => {
                    ws.remove(0);
                }
                Some("for") => return,
                _ => break,
            }
        }
        if let Some(first) = ws.first().and_then(Word::literal)
            && matches!(first.as_str(), "export" | "local" | "readonly")
        {
            for w in &ws[1..] {
                if let Some((name, value)) = assignment(w) {
                    self.out.vars.insert(name, value);
                }
            }
        }
        if !ws.is_empty() {
            self.out.commands.push(Command { words: ws, line });
        }
    }

    /// Reads one word.
    fn word(&mut self) -> Word {
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        let flush = |lit: &mut String, parts: &mut Vec<Part>| {
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(lit)));
            }
        };
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(x) => lit.push(x),
                    }
                }
                '\'' => {
                    self.bump();
                    while let Some(x) = self.bump() {
                        if x == '\'' {
                            break;
                        }
                        lit.push(x);
                    }
                }
                '"' => {
                    self.bump();
                    self.double_quoted(&mut lit, &mut parts, true);
                }
                '$' | '`' => self.push_expansion(&mut lit, &mut parts),
                _ => {
                    self.bump();
                    lit.push(c);
                }
            }
        }
        flush(&mut lit, &mut parts);
        Word { parts }
    }

    /// Reads the expansion at `$` or a backquote into `parts`, after the literal text before it.
    fn push_expansion(&mut self, lit: &mut String, parts: &mut Vec<Part>) {
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(lit)));
        }
        match self.expansion() {
            Some(p) => parts.push(p),
            None => lit.push('$'),
        }
    }

    /// Reads the inside of `"..."` (or a here-document line with `closing` false) into parts.
    fn double_quoted(&mut self, lit: &mut String, parts: &mut Vec<Part>, closing: bool) {
        while let Some(c) = self.peek() {
            match c {
                '"' if closing => {
                    self.bump();
                    return;
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some(x @ ('$' | '`' | '"' | '\\')) => lit.push(x),
                        Some('\n') | None => {}
                        Some(x) => {
                            lit.push('\\');
                            lit.push(x);
                        }
                    }
                }
                '$' | '`' => self.push_expansion(lit, parts),
                _ => {
                    self.bump();
                    lit.push(c);
                }
            }
        }
    }

    /// Reads an expansion at `$` or a backquote; `None` for a lone `$`.
    fn expansion(&mut self) -> Option<Part> {
        if self.peek() == Some('`') {
            self.bump();
            let start = self.i;
            let line = self.line;
            while let Some(c) = self.bump() {
                if c == '\\' {
                    self.bump();
                } else if c == '`' {
                    break;
                }
            }
            let inner: String = self.s[start..self.i.saturating_sub(1)].iter().collect();
            let sub = parse(&inner.replace("\\`", "`"));
            self.merge(sub, line);
            return Some(Part::Subst);
        }
        self.bump(); // $
        match self.peek() {
            Some('(') if self.peek_at(1) == Some('(') => {
                // Arithmetic: no commands inside.
                let mut depth = 0i32;
                while let Some(c) = self.bump() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                Some(Part::Subst)
            }
            Some('(') => {
                self.bump();
                let saved = std::mem::take(&mut self.case_stack);
                self.list(true);
                self.case_stack = saved;
                Some(Part::Subst)
            }
            Some('{') => {
                self.bump();
                let mut depth = 1;
                let mut inner = String::new();
                while let Some(c) = self.peek() {
                    if c == '$' && self.peek_at(1) == Some('(') {
                        // A command substitution inside `${...}` (a default value): its commands count.
                        self.expansion();
                        inner.push_str("$(...)");
                        continue;
                    }
                    self.bump();
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(c);
                }
                Some(Part::Param(inner))
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    self.bump();
                    name.push(c);
                }
                Some(Part::Param(name))
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.bump();
                Some(Part::Param(c.to_string()))
            }
            _ => None,
        }
    }
}

/// Reads text as the inside of a double-quoted string (a here-document line, a default value): the word it
/// makes, and the commands of its substitutions.
fn read_double_quoted(text: &str) -> (Word, Script) {
    let mut p = Parser { s: text.chars().collect(), i: 0, line: 1, out: Script::default(), case_stack: Vec::new() };
    let (mut lit, mut parts) = (String::new(), Vec::new());
    p.double_quoted(&mut lit, &mut parts, false);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    (Word { parts }, p.out)
}

/// `NAME=value` → (NAME, value).
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first)) = w.parts.first() else { return None };
    let eq = first.find('=')?;
    let name = &first[..eq];
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let mut parts = Vec::new();
    if eq + 1 < first.len() {
        parts.push(Part::Lit(first[eq + 1..].to_string()));
    }
    parts.extend(w.parts[1..].iter().cloned());
    Some((name.to_string(), Word { parts }))
}

/// Expands a word with the known variables; `None` when it depends on something unknown (a positional
/// parameter, a variable without a value or default). `${NAME:-default}` uses NAME's value if the scripts
/// assign it (from anything but itself), else the default.
pub fn expand(w: &Word, vars: &BTreeMap<String, Word>) -> Option<String> {
    expand_in(w, vars, &mut Vec::new())
}

fn expand_in(w: &Word, vars: &BTreeMap<String, Word>, visiting: &mut Vec<String>) -> Option<String> {
    let mut out = String::new();
    for p in &w.parts {
        match p {
            Part::Lit(t) => out.push_str(t),
            Part::Subst => return None,
            Part::Param(inner) => {
                let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
                let (name, rest) = inner.split_at(name_end);
                let default = ["-", ":-", "=", ":="].iter().find_map(|op| rest.strip_prefix(op));
                if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
                    return None; // positional or special
                }
                let assigned = if visiting.iter().any(|v| v == name) {
                    None
                } else {
                    vars.get(name).and_then(|value| {
                        visiting.push(name.to_string());
                        let r = expand_in(value, vars, visiting);
                        visiting.pop();
                        r
                    })
                };
                match (assigned, default) {
                    (Some(v), _) => out.push_str(&v),
                    (None, Some(d)) => out.push_str(&expand_in(&read_double_quoted(d).0, vars, visiting)?),
                    (None, None) => return None,
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<String> {
        parse(script)
            .commands
            .iter()
            .map(|c| c.words[0].literal().unwrap_or_else(|| format!("{:?}", c.words[0].parts)))
            .collect()
    }

    #[test]
    fn finds_commands_everywhere() {
        let s = r#"#!/bin/sh
# a comment: notacommand here
set -eu
f() {
  a1 x | a2 "$(a3 y)" && a4 || a5; a6 &
}
if b1; then b2; elif b3; then b4; else b5; fi
while ! c1 -q; do c2; done
case $x in
  one) d1 ;;
  two|three) d2; d3 ;;
  (four) d4 ;;
  *) d5 ;;
esac
VAR=$(e1 | e2 `e3`) e4 arg >/dev/null 2>&1
trap 'f1; exit 0' TERM
g1 <<EOF
$(g2)
EOF
( h1 ) ; { h2; }
i1 \
  --continued
echo "${x:-$(j1)}" $((1 + 2)) > out
"#;
        let got = names(s);
        for want in [
            "set", "a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2", "b3", "b4", "b5", "c1", "c2", "d1", "d2", "d3",
            "d4", "d5", "e1", "e2", "e3", "e4", "trap", "g1", "g2", "h1", "h2", "i1", "echo", "j1",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} not found in {got:?}");
        }
        for unwanted in ["notacommand", "one", "two", "three", "four", "*", "EOF", "$", "out", "2", "x"] {
            assert!(!got.iter().any(|g| g == unwanted), "{unwanted} taken for a command in {got:?}");
        }
        assert_eq!(parse(s).functions, ["f"]);
    }

    #[test]
    fn quoted_heredocs_do_not_run_and_arguments_are_not_commands() {
        let mut got = names("cat <<'EOF'\n$(nope)\nEOF\nprintf '%s' \"$(yes1)\" 'x; nope2'\n");
        got.sort();
        assert_eq!(got, ["cat", "printf", "yes1"]);
    }

    #[test]
    fn assignments_and_expansion() {
        let s = parse("SCRIPTS=${ONECHART_SCRIPTS:-/run/x}\nRAFT=${RAFT:-ruby $SCRIPTS/r.rb}\n$RAFT status\n");
        let cmd = &s.commands.last().unwrap().words[0];
        assert_eq!(expand(cmd, &s.vars).as_deref(), Some("ruby /run/x/r.rb"));
        let pos = parse("\"$@\"\n");
        assert_eq!(expand(&pos.commands[0].words[0], &pos.vars), None);
    }
}
