//! The journal that makes a chart write all-or-nothing across a crash.
//!
//! The new files are staged in full (`.onechart-new/`, synced) before anything moves. Then the plan, every rename
//! and directory creation in order, is written to `.onechart-journal` (written beside, synced, renamed into
//! place: a journal that exists is complete) and carried out; removing the journal is the commit. A run killed
//! before that leaves the journal, and the next run that opens the directory undoes the steps that were done, in
//! reverse (a rename is done when its source is gone and its target exists: renames are atomic), so the
//! directory holds the old chart again, whole. The plan takes `Chart.yaml` out first and puts the new one in last:
//! while a write is in flight the directory is no chart at all for Helm, never a mix of two.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::fsdir::{Dir, Kind};

/// The journal of a write in flight.
pub const JOURNAL: &str = ".onechart-journal";
/// Where the journal is written before it is renamed into place.
const JOURNAL_TMP: &str = ".onechart-journal.tmp";
/// The new chart, staged in full before anything moves.
pub const STAGE: &str = ".onechart-new";
/// The previous chart's files, moved out of the way until the commit.
pub const BACKUP: &str = ".onechart-old";

const VERSION: u32 = 1;

/// One step of a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Step {
    /// Rename `from` to `to` (relative to the chart directory; `to` never exists before).
    Rename {
        /// Source.
        from: String,
        /// Target.
        to: String,
    },
    /// Create the directory `path` (it does not exist before).
    Mkdir {
        /// The directory.
        path: String,
    },
}

/// A step as a message shows it, the paths relative to the chart directory and escaped for the terminal.
impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |p: &str| format!("`{}`", crate::source::printable(p));
        match self {
            Step::Rename { from, to } => write!(f, "rename {} to {}", show(from), show(to)),
            Step::Mkdir { path } => write!(f, "create the directory {}", show(path)),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    version: u32,
    /// The chart directory's device and inode when the run wrote the journal ([`Dir::identity`]).
    #[serde(default)]
    dir: Option<(u64, u64)>,
    steps: Vec<Step>,
}

/// A point where a test may kill the process (`ONECHART_TEST_KILL_AT=N` sends SIGKILL to itself at the Nth
/// point), to prove that every interruption leaves a directory the next run recovers. Unset, it costs one load.
pub fn checkpoint() {
    static AT: OnceLock<Option<usize>> = OnceLock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let Some(at) = *AT.get_or_init(|| std::env::var("ONECHART_TEST_KILL_AT").ok().and_then(|v| v.parse().ok())) else {
        return;
    };
    if COUNT.fetch_add(1, Ordering::SeqCst) + 1 == at {
        let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

fn done(dir: &Dir, step: &Step) -> anyhow::Result<bool> {
    Ok(match step {
        Step::Rename { from, to } => dir.kind(from)? == Kind::Missing && dir.kind(to)? != Kind::Missing,
        Step::Mkdir { path } => dir.kind(path)? == Kind::Dir,
    })
}

/// True for a step of the form the plans of `generate` take (`output::plan`): `X` to `.onechart-old/X`,
/// `.onechart-new/X` to `X`, a file in the way set aside as `X.onechart-orig[.N]`, or a directory `X`, with `X` a
/// relative path of plain components (the manifest `.onechart-manifest` is the only onechart name among them).
fn planned(step: &Step) -> bool {
    let plain = |p: &str| {
        (p == super::MANIFEST || !p.starts_with(".onechart"))
            && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
    };
    match step {
        Step::Rename { from, to } => {
            let out = to.strip_prefix(BACKUP).and_then(|r| r.strip_prefix('/')).is_some_and(|r| r == from);
            let into = from.strip_prefix(STAGE).and_then(|r| r.strip_prefix('/')).is_some_and(|r| r == to);
            let aside = to.strip_prefix(from.as_str()).and_then(|r| r.strip_prefix(super::ASIDE)).is_some_and(|n| {
                n.is_empty()
                    || n.strip_prefix('.').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            });
            ((out || aside) && plain(from)) || (into && plain(to))
        }
        Step::Mkdir { path } => plain(path),
    }
}

fn undo(dir: &Dir, step: &Step) -> anyhow::Result<()> {
    match step {
        Step::Rename { from, to } => dir.rename(to, from)?,
        Step::Mkdir { path } => {
            dir.rmdir(path);
        }
    }
    Ok(())
}

fn apply(dir: &Dir, step: &Step) -> anyhow::Result<()> {
    match step {
        Step::Rename { from, to } => dir.rename(from, to)?,
        Step::Mkdir { path } => dir.mkdir(path)?,
    }
    Ok(())
}

/// Journals and carries out `steps`. On failure every step done is undone (the directory is as it was) and the
/// error says so; when undoing fails too, the journal stays for the next run to finish the undo.
pub fn run(dir: &Dir, steps: &[Step]) -> anyhow::Result<()> {
    let identity = dir.identity().with_context(|| format!("{}: cannot stat the directory", dir.show("")))?;
    let text = serde_json::to_string_pretty(&Journal { version: VERSION, dir: Some(identity), steps: steps.to_vec() })?;
    let _ = dir.remove_all(JOURNAL_TMP);
    dir.create_file(JOURNAL_TMP, text.as_bytes())?;
    dir.rename(JOURNAL_TMP, JOURNAL)?;
    dir.sync("")?;
    checkpoint();
    for (i, step) in steps.iter().enumerate() {
        if let Err(e) = apply(dir, step) {
            for s in steps[..i].iter().rev() {
                if let Err(u) = undo(dir, s) {
                    return Err(e.context(format!(
                        "and undoing it failed ({u:#}); {} lists the steps, and the next `onechart generate` \
                         finishes the undo",
                        dir.show(JOURNAL)
                    )));
                }
            }
            dir.remove_all(JOURNAL)?;
            return Err(e);
        }
        checkpoint();
    }
    sync_dirs(dir, steps)?;
    dir.remove_all(JOURNAL)?;
    dir.sync("")?;
    checkpoint();
    Ok(())
}

/// Syncs every directory a step changed, so the commit (removing the journal) never outlives the renames.
fn sync_dirs(dir: &Dir, steps: &[Step]) -> anyhow::Result<()> {
    let mut dirs: Vec<&str> = steps
        .iter()
        .flat_map(|s| match s {
            Step::Rename { from, to } => vec![from.as_str(), to.as_str()],
            Step::Mkdir { path } => vec![path.as_str()],
        })
        .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for d in dirs {
        if dir.kind(d).is_ok_and(|k| k == Kind::Dir) || d.is_empty() {
            dir.sync(d)?;
        }
    }
    Ok(())
}

/// What [`recover`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Steps of an interrupted write that were undone.
    pub undone: usize,
    /// Leftover staging or backup directories of an interrupted run that were removed.
    pub cleaned: Vec<String>,
}

/// Brings a directory an interrupted run left back to its previous chart: undoes a journal's steps that were
/// done, then removes the staging and backup directories. Safe to repeat (a run killed while recovering is
/// recovered by the next one).
pub fn recover(dir: &Dir) -> anyhow::Result<Recovered> {
    let mut out = Recovered::default();
    if let Some(bytes) = dir.read(JOURNAL, 64 * 1024 * 1024)? {
        let journal: Journal = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: unreadable journal of an interrupted run", dir.show(JOURNAL)))?;
        if journal.version != VERSION {
            bail!(
                "{}: journal of an interrupted run written by another onechart version (format {}); finish it \
                 with that version, or restore the directory from version control and remove the journal",
                dir.show(JOURNAL),
                journal.version
            );
        }
        // A journal is this directory's only if it names the directory's own device and inode, which a journal
        // committed to version control or planted cannot know (a clone, a checkout, a copy get new ones): any
        // other is refused before anything moves. Undoing even a planned step moves an existing file into the
        // staging directory, which is then removed (a committed `.onechart-new/.git` to `.git` removed `.git`).
        let here = dir.identity().with_context(|| format!("{}: cannot stat the directory", dir.show("")))?;
        if journal.dir != Some(here) {
            bail!(
                "{}: this journal was not left by a run of onechart in this directory (it names another directory, \
                 or none: a journal committed to version control, copied or planted); nothing was changed. Remove \
                 {} if no run of onechart was interrupted here, after restoring the directory from version control \
                 if one was",
                dir.show(JOURNAL),
                dir.show(JOURNAL)
            );
        }
        // Only the steps onechart plans: a file moved out to the backup, a staged file moved in, a new directory.
        // A journal that says anything else was not written by a run here (a committed or planted one would move
        // the user's files into the backup, which is then removed): refused before anything moves.
        if let Some(step) = journal.steps.iter().find(|s| !planned(s)) {
            bail!(
                "{}: this journal was not written by onechart: it asks to {step}, a step no run of onechart takes \
                 (a journal committed to version control or planted in the directory); nothing was changed. \
                 Remove {} if no run of onechart was interrupted in this directory",
                dir.show(JOURNAL),
                dir.show(JOURNAL)
            );
        }
        for step in journal.steps.iter().rev() {
            if done(dir, step)? {
                undo(dir, step)?;
                out.undone += 1;
                checkpoint();
            }
        }
        for d in [STAGE, BACKUP] {
            if dir.kind(d)? == Kind::Dir {
                dir.sync(d)?;
            }
        }
        dir.sync("")?;
        dir.remove_all(JOURNAL)?;
        dir.sync("")?;
        checkpoint();
    }
    for scratch in [JOURNAL_TMP, STAGE, BACKUP] {
        if dir.kind(scratch)? != Kind::Missing {
            dir.remove_all(scratch)?;
            out.cleaned.push(scratch.to_string());
            checkpoint();
        }
    }
    Ok(out)
}
