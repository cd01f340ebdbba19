//! ONE055 `production-values-without-profile`: values that are evidently for production name no profile, so they
//! are checked against the development default.

use crate::declare_rule;
use crate::lint::reported_by_engine;

declare_rule! {
/// ## What it does
/// Flags values that name no profile (no `profile:` key in any file, no `--profile`), so they are compiled and
/// linted as the development default `dev-sqlite`, while they evidently describe production: the file says
/// `environment: production`, sets a value only the production profiles ask for (their site values
/// `oned.hostname`, `onegate.endpoint`, or a `monitord.monitorAddress` other than `auto` in any case), or runs
/// several oned members (`oned.replicas` above 1: Raft HA, which only `ha-raft` runs). A blank value is no
/// evidence. Reported at the first such key, in a file or a `--set`. A development file that sets them says so
/// with `profile: dev-sqlite`.
///
/// ## Why is this bad?
/// Under `dev-sqlite` the production rules are warnings or silent: SQLite, backups off and volumes that do not
/// survive `helm uninstall` all pass with exit 0, and a pre-commit hook lets the broken production file through.
/// The profile decides what is checked, so it must be named.
///
/// ## In rendered manifests
/// No manifest check: a rendered chart names its profile (`onechart.io/profile`), and manifest checks follow
/// what the stream shows.
///
/// ## Example
/// ```yaml
/// oned:
///   hostname: opennebula.example.com
/// onegate:
///   endpoint: http://onegate.example.com:5030
/// ```
///
/// Use instead:
/// ```yaml
/// profile: prod-mysql
/// oned:
///   hostname: opennebula.example.com
/// ```
    pub static ONE055 = {
        id: "ONE055",
        name: "production-values-without-profile",
        level: Error,
        summary: "Values that are evidently for production name no profile and are linted as `dev-sqlite`",
        fix: "Name the profile the values are for: `profile: prod-mysql` or `profile: ha-raft` in the file (or `--profile`); `profile: dev-sqlite` if they really are for development.",
        check: reported_by_engine,
    }
}
