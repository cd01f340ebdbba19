//! ONE100 `invalid-value`: a value the chart's values.schema.json refuses.

use crate::declare_rule;
use crate::lint::reported_by_engine;

declare_rule! {
    /// ## What it does
    /// Reports every value the chart's `values.schema.json` refuses: an unknown key (with a did-you-mean
    /// suggestion), a string where a number belongs, a port out of range, an enum value that does not exist,
    /// or a value outside the profile's safety envelope that no other rule covers.
    ///
    /// ## Why is this bad?
    /// `helm install` validates the final values against the same schema and refuses the release; a typo such as
    /// `hostnme` would otherwise be ignored silently by templates that never read it.
    ///
    /// ## In rendered manifests
    /// No manifest check: rendered objects are validated by the API server (and `kubernetes-validate`); ONE032 reports an OpenNebula configuration that does not parse.
    ///
    /// ## Example
    /// ```yaml
    /// oned:
    ///   hostnme: opennebula.example.com
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// oned:
    ///   hostname: opennebula.example.com
    /// ```
    pub static ONE100 = {
        id: "ONE100",
        name: "invalid-value",
        level: Error,
        summary: "A value the chart's values.schema.json refuses",
        fix: "Correct the key or value as the message says; `onechart schema --profile NAME` prints the schema.",
        check: reported_by_engine,
    }
}
