//! A rule's install-time constraint, declared once in the rule's file and used three ways:
//!
//! - the chart's `templates/_validate.tpl` ([`crate::render::validate`]): one `validateValues.<ID>` define per
//!   rule (Bitnami style), so `helm install --set` cannot bring the pitfall back after `generate`;
//! - the profile's safety envelope in `values.schema.json` ([`crate::schema::narrowings`]): a constraint that
//!   holds whenever the profile is production (or HA), and that then concerns one value, becomes a schema
//!   constraint of that value (`database.backend` refused `sqlite`), derived here by evaluating the condition
//!   over the value's possible values;
//! - waivers: a rule suppressed with a reason at generate time drops both, and nothing else.
//!
//! A condition is written in terms of values paths; [`Cond::Template`] holds, for what the others cannot say,
//! a Go template condition over `$v` (the chart's `.Values`).

use serde_json::{Value, json};

use crate::model::OneVersion;

/// A literal a value is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    /// A string.
    Str(&'static str),
    /// An integer.
    Int(i64),
}

/// A condition on the values under which the chart must refuse to render.
#[derive(Debug, Clone, Copy)]
pub enum Cond {
    /// `environment` is `production` (a fact of production profiles' envelope).
    Production,
    /// `oned.replicas` is more than 1: Raft HA (a fact of HA profiles' envelope).
    Ha,
    /// The value is set (not false, 0, empty, or absent), as Go templates test it.
    Truthy(&'static str),
    /// The value is unset (false, 0, empty, or absent).
    Falsy(&'static str),
    /// The value equals a literal.
    Eq(&'static str, Lit),
    /// The integer value is even.
    Even(&'static str),
    /// All of these.
    And(&'static [Cond]),
    /// Any of these.
    Or(&'static [Cond]),
    /// A Go template condition over `$v` (`.Values`), for what the forms above cannot say.
    Template(&'static str),
}

/// A rule's install-time constraint.
#[derive(Debug, Clone, Copy)]
pub enum Install {
    /// The chart refuses values for which `when` holds, with `message` (after `ID name: `): a Go `printf`
    /// format whose `%d`/`%s` take `args` (Go template expressions over `$v`); `{allowed:PATH}` is replaced by
    /// the values of PATH the profile's envelope accepts (`3, 5 or 7`).
    When {
        /// The condition.
        when: Cond,
        /// The message.
        message: &'static str,
        /// `printf` arguments.
        args: &'static [&'static str],
        /// Only in charts of the OpenNebula versions where this holds.
        only_if: Option<fn(OneVersion) -> bool>,
    },
    /// A template body that appends messages (`ID name: ...`) to `$errors` (loops over lists, several checks).
    Template(&'static str),
}

impl Cond {
    /// The Go template expression of the condition (over `$v`).
    pub fn template(&self) -> String {
        let v = |p: &str| format!("$v.{p}");
        match self {
            Cond::Production => "(eq $v.environment \"production\")".into(),
            Cond::Ha => "(gt (int $v.oned.replicas) 1)".into(),
            Cond::Truthy(p) => v(p),
            Cond::Falsy(p) => format!("(not {})", v(p)),
            Cond::Eq(p, Lit::Str(s)) => format!("(eq {} {s:?})", v(p)),
            Cond::Eq(p, Lit::Int(i)) => format!("(eq (int {}) {i})", v(p)),
            Cond::Even(p) => format!("(eq (mod (int {}) 2) 0)", v(p)),
            Cond::And(cs) => format!("(and {})", cs.iter().map(Cond::template).collect::<Vec<_>>().join(" ")),
            Cond::Or(cs) => format!("(or {})", cs.iter().map(Cond::template).collect::<Vec<_>>().join(" ")),
            Cond::Template(t) => format!("({t})"),
        }
    }

    /// Evaluates the condition over values as Go templates would (`None` for a [`Cond::Template`]).
    pub fn eval(&self, values: &Value) -> Option<bool> {
        let get = |p: &str| values.pointer(&crate::pointer::pointer(p)).unwrap_or(&Value::Null);
        Some(match self {
            Cond::Production => get("environment") == "production",
            Cond::Ha => get("oned.replicas").as_i64().unwrap_or(1) > 1,
            Cond::Truthy(p) => truthy(get(p)),
            Cond::Falsy(p) => !truthy(get(p)),
            Cond::Eq(p, Lit::Str(s)) => get(p) == *s,
            Cond::Eq(p, Lit::Int(i)) => get(p).as_i64() == Some(*i),
            Cond::Even(p) => get(p).as_i64().unwrap_or(0) % 2 == 0,
            Cond::And(cs) => {
                let all: Option<Vec<bool>> = cs.iter().map(|c| c.eval(values)).collect();
                all?.into_iter().all(|b| b)
            }
            Cond::Or(cs) => {
                let all: Option<Vec<bool>> = cs.iter().map(|c| c.eval(values)).collect();
                all?.into_iter().any(|b| b)
            }
            Cond::Template(_) => return None,
        })
    }

    /// The values paths the condition reads, envelope facts excluded.
    fn paths(&self, out: &mut Vec<&'static str>) {
        match self {
            Cond::Production | Cond::Ha | Cond::Template(_) => {}
            Cond::Truthy(p) | Cond::Falsy(p) | Cond::Eq(p, _) | Cond::Even(p) => out.push(p),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| c.paths(out)),
        }
    }

    /// The condition with the envelope's facts put in, when they are all it needs from the envelope: `None`
    /// when the condition does not hold under the envelope alone (a fact it needs is false, or it has no fact,
    /// or it needs a template).
    fn under(&self, envelope: crate::profile::Envelope) -> Option<Vec<Cond>> {
        let Cond::And(parts) = self else { return None };
        let mut rest = Vec::new();
        let mut facts = 0;
        for p in *parts {
            match p {
                Cond::Production if envelope.production => facts += 1,
                Cond::Ha if envelope.ha => facts += 1,
                Cond::Production | Cond::Ha | Cond::Template(_) => return None,
                other => rest.push(*other),
            }
        }
        (facts > 0).then_some(rest)
    }
}

/// Truthiness as Go templates see it.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// What a rule's constraint makes of one value under a profile's envelope: the schema keywords that accept only
/// the values for which the constraint holds.
pub fn narrowing(cond: &Cond, envelope: crate::profile::Envelope) -> Option<(String, Value)> {
    // What is left once the envelope's facts are put in: all of `rest` (an `And`, kept as a slice).
    let rest = cond.under(envelope)?;
    let mut paths = Vec::new();
    rest.iter().for_each(|c| c.paths(&mut paths));
    paths.dedup();
    let [path] = paths.as_slice() else { return None };
    let pointer = crate::pointer::pointer(path);
    let refused = |candidate: &Value| {
        let mut values = json!({});
        set(&mut values, &pointer, candidate.clone());
        if envelope.production {
            values["environment"] = json!("production");
        }
        let all: Option<Vec<bool>> = rest.iter().map(|c| c.eval(&values)).collect();
        all.is_some_and(|all| all.into_iter().all(|b| b))
    };
    let fragment = match domain(path, envelope) {
        Some(candidates) => {
            let allowed: Vec<Value> = candidates.into_iter().filter(|c| !refused(c)).collect();
            json!({ "enum": allowed })
        }
        // A free string: refused literals and emptiness.
        None => {
            let mut refused_strings: Vec<&str> = Vec::new();
            let mut empty = false;
            let [one] = rest.as_slice() else { return None };
            let mut leaves = Vec::new();
            flatten_or(one, &mut leaves);
            for leaf in leaves {
                match leaf {
                    Cond::Eq(_, Lit::Str(s)) => refused_strings.push(s),
                    Cond::Falsy(_) => empty = true,
                    _ => return None,
                }
            }
            let mut f = serde_json::Map::new();
            if empty {
                f.insert("minLength".into(), json!(1));
            }
            if !refused_strings.is_empty() {
                f.insert("not".into(), json!({ "enum": refused_strings }));
            }
            Value::Object(f)
        }
    };
    Some((path.to_string(), fragment))
}

/// The leaves of a condition that is one leaf, an `Or` of leaves, or an `And` around those.
fn flatten_or(c: &Cond, out: &mut Vec<Cond>) {
    match c {
        Cond::And([one]) | Cond::Or([one]) => flatten_or(one, out),
        Cond::Or(cs) => cs.iter().for_each(|x| flatten_or(x, out)),
        other => out.push(*other),
    }
}

/// The finite set of values the model allows at a path (booleans, enums, small integer ranges), as the
/// envelope's facts leave them (`oned.replicas` above 1 under HA); `None` for free strings.
fn domain(path: &str, envelope: crate::profile::Envelope) -> Option<Vec<Value>> {
    let mut check = &crate::schema::quick::model::ROOT;
    for seg in path.split('.') {
        let i = check.props.binary_search_by(|(n, _)| (*n).cmp(seg)).ok()?;
        check = check.props[i].1;
    }
    if let Some(values) = check.values {
        return Some(values.iter().map(crate::schema::quick::Lit::to_json).collect());
    }
    match check.types {
        ["boolean"] => Some(vec![json!(true), json!(false)]),
        ["integer"] => {
            let (lo, hi) = (check.minimum? as i64, check.maximum? as i64);
            let lo = if path == "oned.replicas" && envelope.ha { lo.max(2) } else { lo };
            (hi - lo <= 64).then(|| (lo..=hi).map(|i| json!(i)).collect())
        }
        _ => None,
    }
}

fn set(root: &mut Value, pointer: &str, v: Value) {
    let mut cur = root;
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, s) in segs.iter().enumerate() {
        if i + 1 == segs.len() {
            cur[*s] = v;
            return;
        }
        if cur.get(*s).is_none() {
            cur[*s] = json!({});
        }
        cur = &mut cur[*s];
    }
}

/// The values the envelope accepts at a path, for messages: `3, 5 or 7`.
pub fn allowed_text(fragment: &Value) -> String {
    let items: Vec<String> = fragment
        .get("enum")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| v.to_string().trim_matches('"').to_string()).collect())
        .unwrap_or_default();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Envelope;

    const HA: Envelope = Envelope { production: true, ha: true };

    #[test]
    fn conditions_become_go_templates() {
        let c = Cond::And(&[
            Cond::Ha,
            Cond::Or(&[Cond::Eq("monitord.monitorAddress", Lit::Str("auto")), Cond::Falsy("monitord.monitorAddress")]),
        ]);
        assert_eq!(
            c.template(),
            "(and (gt (int $v.oned.replicas) 1) (or (eq $v.monitord.monitorAddress \"auto\") (not $v.monitord.monitorAddress)))"
        );
    }

    #[test]
    fn envelope_facts_narrow_one_value() {
        let even = Cond::And(&[Cond::Ha, Cond::Even("oned.replicas")]);
        assert_eq!(narrowing(&even, HA), Some(("oned.replicas".into(), json!({"enum": [3, 5, 7]}))));
        assert_eq!(narrowing(&even, Envelope { production: true, ha: false }), None);
        let auto = Cond::And(&[
            Cond::Ha,
            Cond::Or(&[Cond::Eq("monitord.monitorAddress", Lit::Str("auto")), Cond::Falsy("monitord.monitorAddress")]),
        ]);
        assert_eq!(
            narrowing(&auto, HA),
            Some(("monitord.monitorAddress".into(), json!({"minLength": 1, "not": {"enum": ["auto"]}})))
        );
        let sqlite = Cond::And(&[Cond::Production, Cond::Eq("database.backend", Lit::Str("sqlite"))]);
        assert_eq!(narrowing(&sqlite, HA), Some(("database.backend".into(), json!({"enum": ["mysql"]}))));
        let backup = Cond::And(&[Cond::Production, Cond::Falsy("backup.enabled")]);
        assert_eq!(narrowing(&backup, HA), Some(("backup.enabled".into(), json!({"enum": [true]}))));
        assert_eq!(allowed_text(&json!({"enum": [3, 5, 7]})), "3, 5 or 7");
    }
}
