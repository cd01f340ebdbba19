//! OpenNebula's template syntax, as oned reads `oned.conf` and `monitord.conf`:
//!
//! ```text
//! # a comment
//! HOSTNAME = "one.example.com"          # single attribute, quoted (`\"` escapes a quote)
//! PORT = 2633                           # single attribute, unquoted
//! DB = [ BACKEND = "mysql",             # vector attribute, over several lines
//!        SERVER  = "db" ]
//! EMPTY =
//! ```
//!
//! The lexer reproduces `src/parsers/template_parser.l` (OpenNebula/one@release-7.4.0, identical in 6.10.5,
//! 7.0.2 and 7.2.0 apart from comments): the longest match wins, ties go to the rule listed first, and a
//! character no rule matches is skipped (flex's default action, as the file has no `%option nodefault`). A
//! comment is `[[:blank:]]*#.*\n`, so it needs its newline. The grammar is `template_syntax.y`: a file is a
//! list of attributes; a vector holds `NAME = value` pairs separated by commas, without a trailing comma.
//! Attribute names are upper-cased (`include/Attribute.h:38`, `template_syntax.y` `one_util::toupper`), `\"`
//! in a quoted value becomes `"` (`unescape` in `template_syntax.y`). A repeated attribute is kept, and a
//! lookup returns the first of its type (`include/Template.h:685`, `__get` returns `atts[0]`); inside a vector
//! the first of a repeated name wins too (`std::map::insert`).

use super::{ParseError, Pos};

/// A parsed template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// Attributes in file order.
    pub attrs: Vec<Attr>,
}

/// One attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Name, upper-cased.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// The value.
    pub value: AttrValue,
}

/// A single value or a vector of pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// `NAME = value`.
    Single(Scalar),
    /// `NAME = [ A = x, B = y ]`.
    Vector(Vec<Pair>),
}

/// A value with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value as oned reads it (quotes removed, `\"` unescaped).
    pub text: String,
    /// Where the value starts (its opening quote when quoted).
    pub pos: Pos,
}

/// One `NAME = value` of a vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Name, upper-cased.
    pub name: String,
    /// Where the name is.
    pub pos: Pos,
    /// The value.
    pub value: Scalar,
}

impl Template {
    /// The first single attribute called `name` (case-insensitive), as oned's `Template::get` finds it.
    pub fn single(&self, name: &str) -> Option<&Scalar> {
        self.attrs.iter().find_map(|a| match &a.value {
            AttrValue::Single(s) if a.name.eq_ignore_ascii_case(name) => Some(s),
            _ => None,
        })
    }

    /// The single attribute called `name` with its own position.
    pub fn single_attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name) && matches!(a.value, AttrValue::Single(_)))
    }

    /// The first vector attribute called `name`.
    pub fn vector(&self, name: &str) -> Option<Vector<'_>> {
        self.attrs.iter().find_map(|a| match &a.value {
            AttrValue::Vector(pairs) if a.name.eq_ignore_ascii_case(name) => Some(Vector { pairs, pos: a.pos }),
            _ => None,
        })
    }

    /// Every value, single or inside a vector, with the vector's name (if any) and the value's own name.
    pub fn all_values(&self) -> Vec<(Option<&str>, &str, &Scalar)> {
        let mut out = Vec::new();
        for a in &self.attrs {
            match &a.value {
                AttrValue::Single(s) => out.push((None, a.name.as_str(), s)),
                AttrValue::Vector(pairs) => {
                    out.extend(pairs.iter().map(|p| (Some(a.name.as_str()), p.name.as_str(), &p.value)));
                }
            }
        }
        out
    }
}

/// A vector attribute.
#[derive(Debug, Clone, Copy)]
pub struct Vector<'a> {
    /// Its pairs.
    pub pairs: &'a [Pair],
    /// Where its name is.
    pub pos: Pos,
}

impl<'a> Vector<'a> {
    /// The value of `name` (the first one when repeated).
    pub fn get(&self, name: &str) -> Option<&'a Scalar> {
        self.pairs.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| &p.value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Variable(String),
    Equal,
    EqualEmpty,
    Comma,
    CBracket,
    OBracket,
    Str(String),
    Cdata,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Variable(v) => format!("name `{v}`"),
            Tok::Equal | Tok::EqualEmpty => "`=`".to_string(),
            Tok::Comma => "`,`".to_string(),
            Tok::CBracket => "`]`".to_string(),
            Tok::OBracket => "`[`".to_string(),
            Tok::Str(s) => format!("value `{s}`"),
            Tok::Cdata => "a CDATA section".to_string(),
        }
    }
}

struct Token {
    tok: Tok,
    pos: Pos,
}

fn blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits text into tokens the way template_parser.l does.
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut positions = Vec::with_capacity(chars.len() + 1);
    let (mut line, mut col) = (1, 1);
    for c in &chars {
        positions.push(Pos { line, column: col });
        if *c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    positions.push(Pos { line, column: col });
    let n = chars.len();
    let at = |i: usize| chars.get(i).copied();
    let run = |mut i: usize, f: &dyn Fn(char) -> bool| {
        while i < n && f(chars[i]) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut value_state = false;
    let mut i = 0;
    while i < n {
        // (length, token, offset of the meaningful character within the match)
        let mut best: Option<(usize, Option<Tok>, usize)> = None;
        let mut offer = |len: usize, tok: Option<Tok>, off: usize| {
            if len > 0 && best.as_ref().is_none_or(|(l, _, _)| len > *l) {
                best = Some((len, tok, off));
            }
        };
        if value_state {
            // [[:blank:]]*\[[[:blank:]\n]*
            let b = run(i, &blank);
            if at(b) == Some('[') {
                let e = run(b + 1, &|c| blank(c) || c == '\n');
                offer(e - i, Some(Tok::OBracket), b - i);
            }
            // .*\]\]\>.*
            let eol = run(i, &|c| c != '\n');
            if chars[i..eol].windows(3).any(|w| w == [']', ']', '>']) {
                offer(eol - i, Some(Tok::Cdata), 0);
            }
            // \"([^\"]|\\\")*\"
            if chars[i] == '"'
                && let Some(end) = quoted_end(&chars, i)
            {
                let raw: String = chars[i + 1..end - 1].iter().collect();
                offer(end - i, Some(Tok::Str(raw.replace("\\\"", "\""))), 0);
            }
            // [^=#[:blank:]\n,\[\]]+
            let e = run(i, &|c| !matches!(c, '=' | '#' | ' ' | '\t' | '\n' | ',' | '[' | ']'));
            offer(e - i, Some(Tok::Str(chars[i..e].iter().collect())), 0);
        } else {
            // [[:blank:]]*#.*\n
            let b = run(i, &blank);
            if at(b) == Some('#') {
                let e = run(b, &|c| c != '\n');
                if at(e) == Some('\n') {
                    offer(e + 1 - i, None, 0);
                }
            }
            // [[:blank:]\n]+
            offer(run(i, &|c| blank(c) || c == '\n') - i, None, 0);
            // [[:alnum:]_]+
            let e = run(i, &|c| c.is_ascii_alphanumeric() || c == '_');
            offer(e - i, Some(Tok::Variable(chars[i..e].iter().collect())), 0);
            // [[:blank:]]*=[[:blank:]]*  and  [[:blank:]]*=[[:blank:]]*\n
            if at(b) == Some('=') {
                let e = run(b + 1, &blank);
                offer(e - i, Some(Tok::Equal), b - i);
                if at(e) == Some('\n') {
                    offer(e + 1 - i, Some(Tok::EqualEmpty), b - i);
                }
            }
            // [[:blank:]\n]*,[[:blank:]\n]*  and  [[:blank:]\n]*\][[:blank:]\n]*
            let w = run(i, &|c| blank(c) || c == '\n');
            if matches!(at(w), Some(',') | Some(']')) {
                let e = run(w + 1, &|c| blank(c) || c == '\n');
                let tok = if at(w) == Some(',') { Tok::Comma } else { Tok::CBracket };
                offer(e - i, Some(tok), w - i);
            }
        }
        match best {
            Some((len, tok, off)) => {
                if let Some(tok) = tok {
                    value_state = matches!(tok, Tok::Equal);
                    out.push(Token { tok, pos: positions[i + off] });
                }
                i += len;
            }
            // No rule matches: flex echoes the character and goes on.
            None => i += 1,
        }
    }
    out
}

/// The end (exclusive) of the longest `"([^"]|\\")*"` match starting at `start`, if any.
fn quoted_end(chars: &[char], start: usize) -> Option<usize> {
    // Boundaries reachable inside the quotes: a non-quote character is consumed alone, `\"` as a pair, and a
    // reachable quote may close the string. Reachability only moves forward by one or two characters.
    let (mut here, mut next, mut after) = (true, false, false);
    let mut best = None;
    for b in start + 1..chars.len() {
        if here {
            if chars[b] == '"' {
                best = Some(b + 1);
            } else {
                next = true;
                if chars[b] == '\\' && chars.get(b + 1) == Some(&'"') {
                    after = true;
                }
            }
        } else if !next {
            break;
        }
        (here, next, after) = (next, after, false);
    }
    best
}

/// Parses a template; a syntax error makes oned refuse the whole file.
pub fn parse(text: &str) -> Result<Template, ParseError> {
    let toks = lex(text);
    let end = {
        let lines = text.split('\n').count();
        let last = text.rsplit('\n').next().map_or(0, |l| l.chars().count());
        Pos { line: lines, column: last + 1 }
    };
    let mut p = Parser { toks: &toks, i: 0, end };
    let mut t = Template::default();
    while p.i < toks.len() {
        t.attrs.push(p.attribute()?);
    }
    Ok(t)
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    end: Pos,
}

impl Parser<'_> {
    fn next(&mut self, expecting: &str) -> Result<&Token, ParseError> {
        let Some(t) = self.toks.get(self.i) else {
            // Point at the last token read: that is where the unfinished attribute is.
            let (pos, after) = match self.i.checked_sub(1).and_then(|i| self.toks.get(i)) {
                Some(prev) => (prev.pos, format!(" after {}", prev.tok.describe())),
                None => (self.end, String::new()),
            };
            return Err(ParseError {
                pos,
                message: format!("syntax error: unexpected end of file{after}, expecting {expecting}"),
            });
        };
        self.i += 1;
        Ok(t)
    }

    fn unexpected(t: &Token, expecting: &str) -> ParseError {
        if t.tok == Tok::Cdata {
            return ParseError { pos: t.pos, message: "a value holds `]]>` (CDATA), which oned refuses".to_string() };
        }
        ParseError {
            pos: t.pos,
            message: format!("syntax error: unexpected {}, expecting {expecting}", t.tok.describe()),
        }
    }

    fn name(&mut self) -> Result<(String, Pos), ParseError> {
        let t = self.next("an attribute name")?;
        match &t.tok {
            Tok::Variable(v) => Ok((v.to_ascii_uppercase(), t.pos)),
            _ => Err(Self::unexpected(t, "an attribute name")),
        }
    }

    fn attribute(&mut self) -> Result<Attr, ParseError> {
        let (name, pos) = self.name()?;
        let t = self.next("`=`")?;
        match &t.tok {
            Tok::EqualEmpty => {
                let value = Scalar { text: String::new(), pos: t.pos };
                return Ok(Attr { name, pos, value: AttrValue::Single(value) });
            }
            Tok::Equal => {}
            _ => return Err(Self::unexpected(t, "`=`")),
        }
        let t = self.next("a value or `[`")?;
        match &t.tok {
            Tok::Str(s) => Ok(Attr { name, pos, value: AttrValue::Single(Scalar { text: s.clone(), pos: t.pos }) }),
            Tok::OBracket => {
                let mut pairs = Vec::new();
                if self.toks.get(self.i).is_some_and(|t| t.tok == Tok::CBracket) {
                    self.i += 1;
                    return Ok(Attr { name, pos, value: AttrValue::Vector(pairs) });
                }
                loop {
                    let (pname, ppos) = self.name()?;
                    let t = self.next("`=`")?;
                    if t.tok != Tok::Equal {
                        return Err(Self::unexpected(t, "`=`"));
                    }
                    let t = self.next("a value")?;
                    let Tok::Str(s) = &t.tok else { return Err(Self::unexpected(t, "a value")) };
                    pairs.push(Pair { name: pname, pos: ppos, value: Scalar { text: s.clone(), pos: t.pos } });
                    let t = self.next("`,` or `]`")?;
                    match t.tok {
                        Tok::Comma => continue,
                        Tok::CBracket => break,
                        _ => return Err(Self::unexpected(t, "`,` or `]`")),
                    }
                }
                Ok(Attr { name, pos, value: AttrValue::Vector(pairs) })
            }
            _ => Err(Self::unexpected(t, "a value or `[`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn singles_vectors_comments_and_positions() {
        let t = parse(
            "# PASSWD = \"oneadmin\"\nHOSTNAME = \"one.example.com\"\nPORT=2633 # trailing\nDB = [ BACKEND = \"mysql\",\n       PASSWD  = \"a\\\"b\" ]\nEMPTY =\nlog = [ system = std ]\n",
        )
        .unwrap();
        assert_eq!(t.attrs.len(), 5);
        let h = t.single("hostname").unwrap();
        assert_eq!((h.text.as_str(), h.pos), ("one.example.com", p(2, 12)));
        assert_eq!(t.single("PORT").unwrap().text, "2633");
        let db = t.vector("DB").unwrap();
        assert_eq!(db.get("backend").unwrap().text, "mysql");
        let pw = db.get("PASSWD").unwrap();
        assert_eq!((pw.text.as_str(), pw.pos), ("a\"b", p(5, 18)));
        assert_eq!(t.single("EMPTY").unwrap().text, "");
        assert_eq!(t.vector("LOG").unwrap().get("SYSTEM").unwrap().text, "std");
        assert!(t.single("PASSWD").is_none(), "a commented attribute is not read");
    }

    #[test]
    fn the_first_of_a_repeated_attribute_wins() {
        let t = parse("HOSTNAME = a\nHOSTNAME = b\nX = [ A = 1, A = 2 ]\n").unwrap();
        assert_eq!(t.single("HOSTNAME").unwrap().text, "a");
        assert_eq!(t.vector("X").unwrap().get("A").unwrap().text, "1");
    }

    #[test]
    fn quoted_values_span_lines_and_keep_hashes() {
        let t = parse("A = \"x # not a comment\ny\"\nB = \"\"\n").unwrap();
        assert_eq!(t.single("A").unwrap().text, "x # not a comment\ny");
        assert_eq!(t.single("B").unwrap().text, "");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("DB = [ BACKEND = \"mysql\", ]\n").unwrap_err();
        assert_eq!(e.pos, p(1, 27), "{e:?}");
        assert!(e.message.contains("unexpected `]`"), "{e:?}");
        let e = parse("A = [ B = 1\n").unwrap_err();
        assert!(e.message.contains("end of file"), "{e:?}");
        let e = parse("A = \"<![CDATA[x]]>\"\n").unwrap_err();
        assert!(e.message.contains("CDATA"), "{e:?}");
        let e = parse("A = 1 2\n").unwrap_err();
        assert_eq!(e.pos, p(1, 7), "{e:?}");
        assert!(e.message.contains("after name `2`"), "{e:?}");
    }

    #[test]
    fn stray_characters_are_skipped_like_flex_does() {
        let t = parse("A = 1;\nB = 2\n").unwrap();
        assert_eq!(t.single("B").unwrap().text, "2");
        // A comment needs its newline: at the very end without one, its words are read as names.
        assert!(parse("A = 1\n# B").is_err());
    }

    #[test]
    fn crlf_is_tolerated_as_a_stray_character() {
        let t = parse("A = \"x\"\r\nB = [ C = \"d\" ]\r\n").unwrap();
        assert_eq!(t.vector("B").unwrap().get("C").unwrap().text, "d");
    }
}
