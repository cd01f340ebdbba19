//! `onechart rules` and `onechart explain`: the rule catalogue.

use std::io::Write;

use super::{INPUT, OK};
use crate::cli::RulesFormat;
use crate::lint::{self, rules};
use crate::report;

/// Runs `onechart rules`.
pub fn list(format: RulesFormat, out: &mut dyn Write) -> anyhow::Result<u8> {
    if format == RulesFormat::Markdown {
        write!(out, "{}", report::rules_markdown())?;
        return Ok(OK);
    }
    for r in rules::ALL {
        writeln!(out, "{}  {:<34} {:<44} {:<18} {}", r.id, r.name, r.level.describe(), r.scope(), r.summary)?;
    }
    Ok(OK)
}

/// Runs `onechart explain ID|NAME`.
pub fn explain(key: &str, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let Some(r) = lint::find_rule(key) else {
        let names = rules::ALL.iter().flat_map(|r| [r.id, r.name]);
        let mut msg = format!("error: unknown rule `{}`", report::printable(key));
        if let Some(s) = crate::suggest::did_you_mean(key, names) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        writeln!(err, "{msg}\n  `onechart rules` lists the catalogue")?;
        return Ok(INPUT);
    };
    write!(out, "{}", report::explanation(r))?;
    Ok(OK)
}
