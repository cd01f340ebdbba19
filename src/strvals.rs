//! `--set` arguments, parsed exactly as Helm parses them (`pkg/strvals/parser.go`, identical in behaviour in
//! helm/helm@v3.17.3 and @v4.1.4), so a value onechart accepts is the value `helm install --set` would give:
//!
//! - `a.b=c` nests, `a[0]=x` and `a[0].b=x` index lists (at most index 65,536, 30 levels of nesting), `a={x,y}`
//!   is a list, `,` separates assignments and `\` escapes the next character anywhere (`a\.b=c` is the key `a.b`);
//! - values are typed like Helm's `typedVal`: `true`, `false` and `null` in any case, `0`, and integers that do
//!   not start with `0` are typed; everything else (floats too) is a string;
//! - what Helm refuses is an error here too: `oned..replicas=3` ("key map \"oned\" has no value"), a key
//!   without `=`, `a,b=1`, `a=1,,b=2`, a list without `}`, a negative or non-numeric index, and a key used both
//!   as a value and as a map or list (Helm panics on the type assertion and reports "unable to parse key");
//! - an empty key (`=1`) is ignored, as Helm's `set` does.

use serde_json::{Map, Value};

/// Helm's `MaxIndex`.
pub const MAX_INDEX: usize = 65_536;
/// Helm's `MaxNestedNameLevel`.
pub const MAX_NESTED: usize = 30;
/// The most list items all `--set` arguments of one run may create. Helm bounds each index
/// (`helm/helm@020e4d2b58b5826861adc0df30677810acaa67cd:pkg/strvals/parser.go:36`, `MaxIndex = 65536`) but not their
/// sum: 2,000 `--set kN[65536]=x` make 131 million items (5.8 GB). One index at Helm's maximum stays accepted.
pub const MAX_LIST_ITEMS: usize = 200_000;

/// Why parsing stopped: the end of the argument (not an error) or an error message.
enum Stop {
    Eof,
    Err(String),
    /// onechart's own bound, not Helm's.
    Bound(String),
}

/// Why a `--set` argument is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetError {
    /// The message.
    pub message: String,
    /// Helm refuses it too (false: onechart's own bound, [`MAX_LIST_ITEMS`]).
    pub helm_refuses: bool,
}

type R<T> = Result<T, Stop>;

fn err<T>(m: impl Into<String>) -> R<T> {
    Err(Stop::Err(m.into()))
}

/// Parses one `--set` argument into `data` (later arguments go into the same map, as Helm does), calling
/// `set_at` with the JSON pointer of every value it sets.
pub fn parse_into(arg: &str, data: &mut Map<String, Value>, set_at: &mut dyn FnMut(String)) -> Result<(), String> {
    parse_bounded(arg, data, set_at, &mut MAX_LIST_ITEMS.clone()).map_err(|e| e.message)
}

/// Like [`parse_into`], with `budget` the list items the arguments may still create (shared by the arguments of
/// one run); running out is an error.
pub fn parse_bounded(
    arg: &str,
    data: &mut Map<String, Value>,
    set_at: &mut dyn FnMut(String),
    budget: &mut usize,
) -> Result<(), SetError> {
    let mut p = Parser { chars: arg.chars().collect(), i: 0, set_at, budget };
    loop {
        match p.key(data, 0, "") {
            Ok(()) => {}
            Err(Stop::Eof) => return Ok(()),
            Err(Stop::Err(m)) => return Err(SetError { message: m, helm_refuses: true }),
            Err(Stop::Bound(m)) => return Err(SetError { message: m, helm_refuses: false }),
        }
    }
}

struct Parser<'a> {
    chars: Vec<char>,
    i: usize,
    set_at: &'a mut dyn FnMut(String),
    budget: &'a mut usize,
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl Parser<'_> {
    /// Characters up to one of `stop` (consumed), with `\` escaping the next character. `None` at the end.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        while let Some(&c) = self.chars.get(self.i) {
            self.i += 1;
            if stop.contains(&c) {
                return (v, Some(c));
            }
            if c == '\\' {
                match self.chars.get(self.i) {
                    Some(&n) => {
                        self.i += 1;
                        v.push(n);
                    }
                    None => return (v, None),
                }
            } else {
                v.push(c);
            }
        }
        (v, None)
    }

    fn set(&mut self, data: &mut Map<String, Value>, at: &str, key: &str, v: Value) {
        if key.is_empty() {
            return;
        }
        (self.set_at)(format!("{at}/{}", escape(key)));
        data.insert(key.to_string(), v);
    }

    fn key(&mut self, data: &mut Map<String, Value>, nested: usize, at: &str) -> R<()> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None if k.is_empty() => Err(Stop::Eof),
            None => err(format!("key \"{k}\" has no value")),
            Some('[') => {
                let i = self.index()?;
                // Taken out and put back, never copied: assignments into one long list stay linear.
                let mut list = match data.get_mut(&k) {
                    None => Vec::new(),
                    Some(Value::Array(a)) => std::mem::take(a),
                    Some(other) => return err(conflict(&k, other, "a list")),
                };
                let here = format!("{at}/{}", escape(&k));
                let r = self.list_item(&mut list, i, nested, &here);
                if !k.is_empty() {
                    data.insert(k, Value::Array(list));
                }
                r
            }
            Some('=') => {
                match self.value()? {
                    Some(v) => self.set(data, at, &k, v),
                    None => {
                        self.set(data, at, &k, Value::String(String::new()));
                        return Err(Stop::Eof);
                    }
                }
                Ok(())
            }
            Some(',') => {
                self.set(data, at, &k, Value::String(String::new()));
                err(format!("key \"{k}\" has no value (cannot end with ,)"))
            }
            Some(_) => {
                let nested = nested + 1;
                if nested > MAX_NESTED {
                    return err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED}"
                    ));
                }
                let mut inner = match data.get_mut(&k) {
                    None => Map::new(),
                    Some(Value::Object(m)) => std::mem::take(m),
                    Some(other) => return err(conflict(&k, other, "a map")),
                };
                let here = format!("{at}/{}", escape(&k));
                let r = self.key(&mut inner, nested, &here);
                if r.is_ok() && inner.is_empty() {
                    return err(format!("key map \"{k}\" has no value"));
                }
                if !inner.is_empty() && !k.is_empty() {
                    data.insert(k, Value::Object(inner));
                }
                r
            }
        }
    }

    /// The value after `=`: a `{a,b}` list or a typed scalar; `None` at the very end of the argument.
    fn value(&mut self) -> R<Option<Value>> {
        let Some(&first) = self.chars.get(self.i) else { return Ok(None) };
        if first != '{' {
            let (v, _) = self.until(&[',']);
            return Ok(Some(typed(&v)));
        }
        self.i += 1;
        let mut list = Vec::new();
        loop {
            let (item, last) = self.until(&[',', '}']);
            match last {
                None => return err("list must terminate with '}'"),
                Some('}') => {
                    if self.chars.get(self.i) == Some(&',') {
                        self.i += 1;
                    }
                    list.push(typed(&item));
                    return Ok(Some(Value::Array(list)));
                }
                Some(_) => list.push(typed(&item)),
            }
        }
    }

    fn index(&mut self) -> R<usize> {
        let (v, last) = self.until(&[']']);
        if last.is_none() {
            return err("error parsing index: EOF");
        }
        let Some(i) = go_atoi(&v) else { return err(format!("error parsing index: \"{v}\" is not a number")) };
        if i < 0 {
            return err(format!("negative {i} index not allowed"));
        }
        Ok(i as usize)
    }

    fn list_item(&mut self, list: &mut Vec<Value>, i: usize, nested: usize, at: &str) -> R<()> {
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return err(format!("unexpected data at end of array index: \"{k}\""));
        }
        let here = format!("{at}/{i}");
        match last {
            None => Err(Stop::Eof),
            Some('=') => {
                let v = self.value()?.unwrap_or(Value::String(String::new()));
                set_index(list, i, v, self.budget)?;
                (self.set_at)(here);
                Ok(())
            }
            Some('[') => {
                let next = self.index()?;
                let mut inner = match list.get_mut(i) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => std::mem::take(a),
                    Some(other) => return err(conflict(&format!("[{i}]"), other, "a list")),
                };
                self.list_item(&mut inner, next, nested, &here)?;
                set_index(list, i, Value::Array(inner), self.budget)
            }
            Some(_) => {
                // Helm replaces a non-map item by an empty map here (no error).
                let mut inner = match list.get_mut(i) {
                    Some(Value::Object(m)) => std::mem::take(m),
                    _ => Map::new(),
                };
                self.key(&mut inner, nested, &here)?;
                set_index(list, i, Value::Object(inner), self.budget)
            }
        }
    }
}

fn set_index(list: &mut Vec<Value>, i: usize, v: Value, budget: &mut usize) -> R<()> {
    if i > MAX_INDEX {
        return err(format!("index of {i} is greater than maximum supported index of {MAX_INDEX}"));
    }
    if list.len() <= i {
        let grow = i + 1 - list.len();
        if grow > *budget {
            return Err(Stop::Bound(format!(
                "index {i} would take the lists of all --set values past {MAX_LIST_ITEMS} items; onechart bounds \
                 what --set may allocate (Helm bounds each index, at {MAX_INDEX})"
            )));
        }
        *budget -= grow;
        list.resize(i + 1, Value::Null);
    }
    list[i] = v;
    Ok(())
}

fn conflict(key: &str, existing: &Value, wanted: &str) -> String {
    let is = match existing {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    };
    format!("unable to parse key: `{key}` is {is}, not {wanted}")
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Helm's `typedVal` for `--set`.
pub fn typed(s: &str) -> Value {
    if s.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if s == "0" {
        return Value::Number(0.into());
    }
    if !s.is_empty() && !s.starts_with('0') {
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        if !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && let Ok(i) = s.parse::<i64>()
        {
            return Value::Number(i.into());
        }
    }
    Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(args: &[&str]) -> Result<Value, String> {
        let mut data = Map::new();
        for a in args {
            parse_into(a, &mut data, &mut |_| {})?;
        }
        Ok(Value::Object(data))
    }

    #[test]
    fn typing_and_structure_follow_helm() {
        let v = parse(&["a.b=TRUE,c=007,d=12,e={x,y},f[1]=z,g=Null,h=a\\,b,i=1.5,j=+5,k=-0,l=", "m\\.n=1,o[0].p=2"])
            .unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": true}, "c": "007", "d": 12, "e": ["x", "y"], "f": [null, "z"], "g": null, "h": "a,b",
                   "i": "1.5", "j": 5, "k": 0, "l": "", "m.n": 1, "o": [{"p": 2}]})
        );
        assert_eq!(parse(&["a={}"]).unwrap(), json!({"a": [""]}));
        assert_eq!(parse(&["=1,a=2"]).unwrap(), json!({"a": 2}), "an empty key is ignored");
        assert_eq!(parse(&["a=1,"]).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn what_helm_refuses_is_refused() {
        for (arg, msg) in [
            ("oned..replicas=3", "key map \"oned\" has no value"),
            ("novalue", "key \"novalue\" has no value"),
            ("a,b=1", "key \"a\" has no value (cannot end with ,)"),
            ("a=1,,b=2", "key \"\" has no value (cannot end with ,)"),
            ("a={x,y", "list must terminate with '}'"),
            ("a[x]=1", "error parsing index"),
            ("a[-1]=1", "negative -1 index not allowed"),
            ("a[70000]=1", "greater than maximum supported index"),
            ("a=1,a.b=2", "unable to parse key"),
            ("a.=1", "key map \"a\" has no value"),
            ("a[0]x=1", "unexpected data at end of array index"),
        ] {
            let e = parse(&[arg]).unwrap_err();
            assert!(e.contains(msg), "{arg}: {e}");
        }
        assert!(parse(&["a=1", "a.b=2"]).is_err(), "arguments share one map, as in Helm");
    }
}
