//! What `--manifests` reads: files, directories (every `.yaml`, `.yml` and `.json` below them, in name order,
//! as `helm template --output-dir` writes them) and stdin (`-`), all of them one deployment, so a reference from
//! one file to an object in another resolves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Manifest, read};
use crate::source::{InputError, InputKind, Location, SourceFile};

/// The objects of every input.
#[derive(Debug, Default)]
pub struct Stream {
    /// Every object, in input order.
    pub objects: Vec<Manifest>,
    /// The files read (for inline suppressions).
    pub sources: Vec<Arc<SourceFile>>,
}

impl Stream {
    /// Custom resources and CustomResourceDefinitions: read, never checked.
    pub fn not_checked(&self) -> usize {
        self.objects.iter().filter(|m| m.custom).count()
    }

    /// Kubernetes objects the typed model could not read (a wrongly typed field), so not checked: one note each,
    /// `file:line:column: Kind/name is not checked: field: why`.
    pub fn unreadable(&self) -> Vec<String> {
        self.objects
            .iter()
            .filter_map(|m| {
                let why = m.not_checked.as_ref()?;
                Some(format!("{}: {} is not checked: {why}", m.location, m.id()))
            })
            .collect()
    }
}

/// Directories nest at most this deep.
const MAX_DEPTH: usize = 16;

/// Reads every input; each unreadable or malformed one is an error, and so is an input with no object at all
/// (an empty stdin is what a failed `helm template` upstream of a pipe leaves).
pub fn read_all(paths: &[PathBuf]) -> Result<Stream, Vec<InputError>> {
    let mut stream = Stream::default();
    let mut errors = Vec::new();
    for path in paths {
        let before = stream.objects.len();
        let result = if path == Path::new("-") {
            stdin().and_then(|s| add(&mut stream, s))
        } else if path.is_dir() {
            directory(&mut stream, path)
        } else {
            SourceFile::read_as(path, InputKind::Stream).and_then(|s| add(&mut stream, s))
        };
        match result {
            Err(e) => errors.push(e),
            Ok(()) if stream.objects.len() == before => {
                let name = if path == Path::new("-") { "<stdin>".to_string() } else { path.display().to_string() };
                let hint = if path == Path::new("-") {
                    "; did the command before the pipe (`helm template ...`) fail?"
                } else {
                    ""
                };
                errors
                    .push(InputError::new(Location::file(&name), format!("no Kubernetes objects in the input{hint}")));
            }
            Ok(()) => {}
        }
    }
    if errors.is_empty() { Ok(stream) } else { Err(errors) }
}

fn add(stream: &mut Stream, source: Arc<SourceFile>) -> Result<(), InputError> {
    stream.objects.extend(read(source.clone())?);
    stream.sources.push(source);
    Ok(())
}

fn stdin() -> Result<Arc<SourceFile>, InputError> {
    SourceFile::read_stdin(InputKind::Stream)
}

fn directory(stream: &mut Stream, dir: &Path) -> Result<(), InputError> {
    if dir.join("Chart.yaml").is_file() {
        return Err(InputError::new(
            Location::file(&dir.display().to_string()),
            format!(
                "is a Helm chart, not rendered manifests: render it first, `helm template RELEASE {} | onechart lint --manifests -`",
                dir.display()
            ),
        ));
    }
    let mut files = Vec::new();
    collect(dir, 0, &mut files)?;
    for f in files {
        add(stream, SourceFile::read_as(&f, InputKind::Stream)?)?;
    }
    Ok(())
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let err = |e: std::io::Error| InputError::new(Location::file(&dir.display().to_string()), e.to_string());
    if depth > MAX_DEPTH {
        return Err(InputError::new(
            Location::file(&dir.display().to_string()),
            format!("directories nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, kind) in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let manifest = p.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        // A symlink below a directory is never followed: a rendered tree has none, and one committed into it
        // could point anywhere (`/proc/self/environ`, whose text an error would then print).
        if kind.is_symlink() && (manifest || p.is_dir()) {
            return Err(InputError::new(
                Location::file(&p.display().to_string()),
                "is a symbolic link: onechart reads only regular files below a directory; give the file it points \
                 to explicitly"
                    .to_string(),
            ));
        }
        if kind.is_dir() {
            collect(&p, depth + 1, out)?;
        } else if manifest {
            out.push(p);
        }
    }
    Ok(())
}
