//! A chart directory opened once and used only through its handle: every path below it is resolved one
//! component at a time with `O_NOFOLLOW`, so nothing is read, written, renamed or removed through a symbolic link
//! (`ln -s ../victim chart/extras`, `ln -s /proc/self chart/p`), and a symlink on a path onechart needs is refused
//! with the path in the message. The directory itself is locked with `flock` on its own handle: no lock file.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

/// What is at a path inside the chart directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing (or a parent directory is missing).
    Missing,
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// Why a path cannot be used.
#[derive(Debug)]
pub enum PathError {
    /// A component (or the path itself) is a symbolic link: `rel` up to that component.
    Symlink(String),
    /// A component is a file or something else where a directory is needed: `rel` up to that component.
    NotDir(String),
    /// Any other error.
    Io(String, io::Error),
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathError::Symlink(p) => write!(
                f,
                "{p} is a symbolic link: onechart never reads, writes or removes anything through a symbolic link \
                 in a chart directory; replace it with a regular file or directory"
            ),
            PathError::NotDir(p) => write!(f, "{p} is not a directory"),
            PathError::Io(p, e) => write!(f, "{p}: {e}"),
        }
    }
}

impl std::error::Error for PathError {}

fn io_err(rel: &str, e: impl Into<io::Error>) -> PathError {
    PathError::Io(rel.to_string(), e.into())
}

/// An open directory handle and the path it was opened as (for messages).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::CLOEXEC);

impl Dir {
    /// The directory's identity on this machine (device and inode): a journal records it, so that a journal
    /// committed to version control or planted (a clone gets new inodes) is never taken for one a run left here.
    pub fn identity(&self) -> io::Result<(u64, u64)> {
        let st = rustix::fs::fstat(&self.fd)?;
        Ok((st.st_dev, st.st_ino))
    }

    /// Opens the directory the user named (a symlink there is the user's own choice and is followed).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(path, DIR_FLAGS, Mode::empty())?;
        Ok(Dir { fd, path: path.to_path_buf() })
    }

    /// The path this handle was opened as.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path/rel`, for messages.
    pub fn show(&self, rel: &str) -> String {
        self.path.join(rel).display().to_string()
    }

    /// Takes `flock` on the directory: exclusive or shared. Waits up to `wait` (telling `notice` once) when
    /// another process holds it; `Ok(false)` when it is still held after that.
    pub fn lock(&self, exclusive: bool, wait: Duration, notice: &mut dyn FnMut()) -> io::Result<bool> {
        let op =
            if exclusive { FlockOperation::NonBlockingLockExclusive } else { FlockOperation::NonBlockingLockShared };
        let start = Instant::now();
        let mut told = false;
        loop {
            match rustix::fs::flock(&self.fd, op) {
                Ok(()) => return Ok(true),
                Err(Errno::WOULDBLOCK) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            if start.elapsed() >= wait {
                return Ok(false);
            }
            if !told {
                notice();
                told = true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The directory holding `rel`'s last component, and that component; every component before it is opened
    /// without following symlinks. `Ok(None)` when a parent directory does not exist.
    fn parent<'a>(&self, rel: &'a str) -> Result<Option<(Option<Dir>, &'a str)>, PathError> {
        let mut parts: Vec<&str> = rel.split('/').collect();
        let last = parts.pop().unwrap_or_default();
        let mut current: Option<Dir> = None;
        let mut walked = String::new();
        if parts.iter().chain([&last]).any(|p| p.is_empty() || *p == "." || *p == "..") {
            return Err(io_err(&self.show(rel), io::Error::other("not a plain relative path")));
        }
        for part in parts {
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(part);
            let base = current.as_ref().map_or(self.fd.as_fd(), |d| d.fd.as_fd());
            match rustix::fs::openat(base, part, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => current = Some(Dir { fd, path: self.path.join(&walked) }),
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                    return Err(match kind_at(base, part) {
                        Ok(Kind::Symlink) => PathError::Symlink(self.show(&walked)),
                        _ => PathError::NotDir(self.show(&walked)),
                    });
                }
                Err(e) => return Err(io_err(&self.show(&walked), e)),
            }
        }
        Ok(Some((current, last)))
    }

    fn base<'a>(&'a self, d: &'a Option<Dir>) -> std::os::fd::BorrowedFd<'a> {
        d.as_ref().map_or(self.fd.as_fd(), |d| d.fd.as_fd())
    }

    /// What is at `rel` (never following a symlink); a symlinked parent component is an error.
    pub fn kind(&self, rel: &str) -> Result<Kind, PathError> {
        let Some((d, name)) = self.parent(rel)? else { return Ok(Kind::Missing) };
        kind_at(self.base(&d), name).map_err(|e| io_err(&self.show(rel), e))
    }

    /// Reads a regular file, at most `limit` bytes; `Ok(None)` when it does not exist. A symlink, a FIFO or a
    /// device is an error (opened non-blocking, so a FIFO cannot hang the read).
    pub fn read(&self, rel: &str, limit: u64) -> Result<Option<Vec<u8>>, PathError> {
        let Some((d, name)) = self.parent(rel)? else { return Ok(None) };
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        let fd = match rustix::fs::openat(self.base(&d), name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(PathError::Symlink(self.show(rel))),
            Err(e) => return Err(io_err(&self.show(rel), e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io_err(&self.show(rel), e))?;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => {}
            FileType::Directory => return Err(io_err(&self.show(rel), io::Error::other("is a directory"))),
            _ => return Err(io_err(&self.show(rel), io::Error::other("is not a regular file"))),
        }
        let mut bytes = Vec::new();
        std::fs::File::from(fd).take(limit + 1).read_to_end(&mut bytes).map_err(|e| io_err(&self.show(rel), e))?;
        if bytes.len() as u64 > limit {
            return Err(io_err(&self.show(rel), io::Error::other(format!("larger than the {limit}-byte limit"))));
        }
        Ok(Some(bytes))
    }

    /// Writes a new file (it must not exist) and syncs it to disk.
    pub fn create_file(&self, rel: &str, content: &[u8]) -> Result<(), PathError> {
        let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(self.base(&d), name, flags, Mode::from_raw_mode(0o644))
            .map_err(|e| io_err(&self.show(rel), e))?;
        let mut f = std::fs::File::from(fd);
        f.write_all(content).map_err(|e| io_err(&self.show(rel), e))?;
        f.sync_all().map_err(|e| io_err(&self.show(rel), e))
    }

    /// Creates a directory (its parent must exist).
    pub fn mkdir(&self, rel: &str) -> Result<(), PathError> {
        let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
        rustix::fs::mkdirat(self.base(&d), name, Mode::from_raw_mode(0o755)).map_err(|e| io_err(&self.show(rel), e))
    }

    /// Creates a directory and its missing parents.
    pub fn mkdir_all(&self, rel: &str) -> Result<(), PathError> {
        let mut walked = String::new();
        for part in rel.split('/') {
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(part);
            match self.kind(&walked)? {
                Kind::Dir => {}
                Kind::Missing => self.mkdir(&walked)?,
                Kind::Symlink => return Err(PathError::Symlink(self.show(&walked))),
                _ => return Err(PathError::NotDir(self.show(&walked))),
            }
        }
        Ok(())
    }

    /// Renames `from` to `to` (both inside this directory; a symlink is renamed itself, never followed).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), PathError> {
        let (fd, fname) = self.parent(from)?.ok_or_else(|| io_err(&self.show(from), Errno::NOENT))?;
        let (td, tname) = self.parent(to)?.ok_or_else(|| io_err(&self.show(to), Errno::NOENT))?;
        rustix::fs::renameat(self.base(&fd), fname, self.base(&td), tname)
            .map_err(|e| PathError::Io(format!("moving {} to {}", self.show(from), self.show(to)), e.into()))
    }

    /// Removes an empty directory; `false` when it is not empty or missing.
    pub fn rmdir(&self, rel: &str) -> bool {
        match self.parent(rel) {
            Ok(Some((d, name))) => rustix::fs::unlinkat(self.base(&d), name, AtFlags::REMOVEDIR).is_ok(),
            _ => false,
        }
    }

    /// Removes a file, or a directory and everything in it, never following a symlink (a symlink is removed
    /// itself). Missing is fine.
    pub fn remove_all(&self, rel: &str) -> Result<(), PathError> {
        match self.kind(rel)? {
            Kind::Missing => Ok(()),
            Kind::Dir => {
                for (name, _) in self.list(rel)? {
                    self.remove_all(&format!("{rel}/{name}"))?;
                }
                let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
                rustix::fs::unlinkat(self.base(&d), name, AtFlags::REMOVEDIR).map_err(|e| io_err(&self.show(rel), e))
            }
            _ => {
                let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
                rustix::fs::unlinkat(self.base(&d), name, AtFlags::empty()).map_err(|e| io_err(&self.show(rel), e))
            }
        }
    }

    /// The entries of the directory `rel` (`""`: this directory), sorted by name, with their kinds.
    pub fn list(&self, rel: &str) -> Result<Vec<(String, Kind)>, PathError> {
        let fd = if rel.is_empty() {
            rustix::io::dup(&self.fd).map_err(|e| io_err(&self.show(rel), e))?
        } else {
            let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
            match rustix::fs::openat(self.base(&d), name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::LOOP) => return Err(PathError::Symlink(self.show(rel))),
                Err(e) => return Err(io_err(&self.show(rel), e)),
            }
        };
        let dir = rustix::fs::Dir::read_from(&fd).map_err(|e| io_err(&self.show(rel), e))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| io_err(&self.show(rel), e))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes()).to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let kind = kind_at(fd.as_fd(), &name).map_err(|e| io_err(&self.show(rel), e))?;
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Syncs the directory `rel` (`""`: this one), so renames in it survive a power loss.
    pub fn sync(&self, rel: &str) -> Result<(), PathError> {
        if rel.is_empty() {
            return rustix::fs::fsync(&self.fd).map_err(|e| io_err(&self.show(rel), e));
        }
        let (d, name) = self.parent(rel)?.ok_or_else(|| io_err(&self.show(rel), Errno::NOENT))?;
        let fd = rustix::fs::openat(self.base(&d), name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())
            .map_err(|e| io_err(&self.show(rel), e))?;
        rustix::fs::fsync(&fd).map_err(|e| io_err(&self.show(rel), e))
    }
}

fn kind_at(base: std::os::fd::BorrowedFd<'_>, name: &str) -> io::Result<Kind> {
    match rustix::fs::statat(base, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Special,
        }),
        Err(Errno::NOENT) | Err(Errno::NOTDIR) => Ok(Kind::Missing),
        Err(e) => Err(e.into()),
    }
}
