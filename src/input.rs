//! Reading one input file, bounded: a file onechart is given (`-f`, `lint FILE`, `--manifests FILE`) is read at
//! most to the input limit, whatever it is. A regular file larger than the limit is refused before it is read;
//! a pipe or FIFO (`<(helm template ...)`, `mkfifo`) is read up to the limit and refused beyond it, and one that
//! delivers nothing for [`pipe_timeout`] (a FIFO nobody writes to) is refused instead of waiting forever;
//! devices (`/dev/zero`, a terminal) and sockets are refused. Opening never blocks (`O_NONBLOCK`: opening a FIFO
//! without a writer would). stdin (`-`) is read bounded the same way.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::source::{InputError, InputKind, Location, SourceFile};

/// The environment variable that sets how long a pipe may stay silent, in seconds.
pub const PIPE_TIMEOUT_ENV: &str = "ONECHART_PIPE_TIMEOUT";

/// The silence timeout of a pipe when `ONECHART_PIPE_TIMEOUT` is unset (or empty), in seconds.
const DEFAULT_PIPE_TIMEOUT: u64 = 10;
/// The longest silence timeout `ONECHART_PIPE_TIMEOUT` may set: a day, in seconds.
const MAX_PIPE_TIMEOUT: u64 = 24 * 3600;

/// How long a pipe or FIFO may deliver nothing before it is refused: 10 s, or `ONECHART_PIPE_TIMEOUT` seconds (a
/// whole number from 1 to 86400; unset or empty: 10). Any other value is an error naming the variable and the
/// value, never a silent 10 s: the commands that read files check it first ([`pipe_timeout`] assumes they did).
pub fn pipe_timeout_setting() -> Result<Duration, String> {
    let Some(raw) = std::env::var_os(PIPE_TIMEOUT_ENV) else {
        return Ok(Duration::from_secs(DEFAULT_PIPE_TIMEOUT));
    };
    let text = raw.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(Duration::from_secs(DEFAULT_PIPE_TIMEOUT));
    }
    match text.trim().parse::<u64>() {
        Ok(secs @ 1..=MAX_PIPE_TIMEOUT) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "{PIPE_TIMEOUT_ENV}=`{}` is not a number of seconds: set it to a whole number from 1 to \
             {MAX_PIPE_TIMEOUT} (how long a pipe may deliver nothing), or unset it for {DEFAULT_PIPE_TIMEOUT} s",
            crate::source::printable(&text)
        )),
    }
}

/// The pipe silence timeout of [`pipe_timeout_setting`], once a command has checked the setting.
pub fn pipe_timeout() -> Duration {
    pipe_timeout_setting().unwrap_or(Duration::from_secs(DEFAULT_PIPE_TIMEOUT))
}

/// What a file argument reads when it is a stream, which can be read only once (a pipe or FIFO, a terminal or
/// another character device, a socket): its device and inode, and what it is in words. `-` is standard input;
/// another path is followed (`/dev/stdin`, `/dev/fd/0`, `/proc/self/fd/0` lead to standard input's pipe). `None`
/// for a regular file, a directory, and a path that cannot be examined (its reading reports why).
pub fn stream_identity(path: &Path) -> Option<((u64, u64), &'static str)> {
    let st = if path == Path::new("-") {
        rustix::fs::fstat(std::io::stdin().as_fd()).ok()?
    } else {
        rustix::fs::stat(path).ok()?
    };
    let what = match FileType::from_raw_mode(st.st_mode) {
        FileType::Fifo => "pipe",
        FileType::CharacterDevice => "character device",
        FileType::Socket => "socket",
        _ => return None,
    };
    #[allow(clippy::unnecessary_cast)] // u64 here, `c_ulong` on other targets
    let id = (st.st_dev as u64, st.st_ino as u64);
    Some((id, what))
}

/// Whether a file argument that is a character device is a terminal: `-` when standard input is one, else the path
/// opened as [`read_bounded`] opens it (without taking it as the controlling terminal, without blocking). A path
/// that cannot be opened is not.
pub fn is_terminal(path: &Path) -> bool {
    use std::io::IsTerminal;
    if path == Path::new("-") {
        return std::io::stdin().is_terminal();
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    rustix::fs::open(path, flags, Mode::empty()).is_ok_and(|fd| std::fs::File::from(fd).is_terminal())
}

impl SourceFile {
    /// Reads a values file from disk, bounded (directories, devices, oversized files and silent pipes are refused)
    /// and checked for UTF-8, with an error that names the file (and, for bad UTF-8, the line and column of the
    /// first bad byte).
    pub fn read(path: &Path) -> Result<Arc<SourceFile>, InputError> {
        Self::read_as(path, InputKind::Values)
    }

    /// Reads a file of a kind (values file or manifest stream), bounded by that kind's size limit; `-` is
    /// standard input (`<stdin>` in messages), bounded the same way.
    pub fn read_as(path: &Path, kind: InputKind) -> Result<Arc<SourceFile>, InputError> {
        if path == Path::new("-") {
            return Self::read_stdin(kind);
        }
        let name = path.display().to_string();
        let bytes = read_bounded(path, kind).map_err(|message| InputError::new(Location::file(&name), message))?;
        Self::from_bytes_as(name, bytes, kind)
    }
}

impl SourceFile {
    /// Reads standard input to its end, at most the limit of `kind` (beyond it, refused). A pipe or socket that
    /// delivers nothing for [`pipe_timeout`] (a writer that neither writes nor closes) is refused as a FIFO is; a
    /// file or a device is read to the limit; a terminal is read without a timeout (a person typing, who can
    /// press Ctrl-D or Ctrl-C).
    pub fn read_stdin(kind: InputKind) -> Result<Arc<SourceFile>, InputError> {
        let name = "<stdin>".to_string();
        let fail = |message: String| InputError::new(Location::file("<stdin>"), message);
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let st = rustix::fs::fstat(fd).map_err(|e| fail(e.to_string()))?;
        let bytes = match FileType::from_raw_mode(st.st_mode) {
            FileType::Fifo | FileType::Socket => read_pipe(fd, kind, pipe_timeout()).map_err(fail)?,
            _ => {
                let mut bytes = Vec::new();
                stdin.lock().take(kind.limit() + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
                // Beyond the limit (one byte more was read), refused by from_bytes_as.
                bytes
            }
        };
        Self::from_bytes_as(name, bytes, kind)
    }
}

/// Reads `path`, at most the limit of its kind; the error is the message to show after the file name.
pub fn read_bounded(path: &Path, kind: InputKind) -> Result<Vec<u8>, String> {
    let limit = kind.limit();
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(open_message)?;
    let st = rustix::fs::fstat(&fd).map_err(|e| e.to_string())?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => {
            let size = u64::try_from(st.st_size).unwrap_or(0);
            if size > limit {
                return Err(kind.too_large(Some(size)));
            }
            let mut bytes = Vec::with_capacity(size as usize);
            std::fs::File::from(fd).take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            if bytes.len() as u64 > limit {
                return Err(kind.too_large(None));
            }
            Ok(bytes)
        }
        FileType::Fifo => read_pipe(fd.as_fd(), kind, pipe_timeout()),
        FileType::Directory => Err("is a directory, not a file".to_string()),
        FileType::CharacterDevice => Err(not_a_file("a character device")),
        FileType::BlockDevice => Err(not_a_file("a block device")),
        FileType::Socket => Err(not_a_file("a socket")),
        _ => Err(not_a_file("not a regular file")),
    }
}

fn not_a_file(what: &str) -> String {
    format!("is {what}, not a file (onechart reads regular files, pipes, and `-` for stdin)")
}

fn open_message(e: Errno) -> String {
    match e {
        Errno::NOENT => "no such file".to_string(),
        Errno::ACCESS | Errno::PERM => "permission denied".to_string(),
        Errno::LOOP => "too many levels of symbolic links".to_string(),
        other => std::io::Error::from(other).to_string(),
    }
}

/// Reads a pipe to its end, at most the limit of `kind`, refusing it when it stays silent for `timeout`.
fn read_pipe(fd: BorrowedFd<'_>, kind: InputKind, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let wait = Timespec { tv_sec: timeout.as_secs() as _, tv_nsec: 0 };
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&wait)) {
            Ok(0) => {
                return Err(format!(
                    "is a pipe or FIFO that delivered nothing for {} s (is anything writing to it?); set \
                     {PIPE_TIMEOUT_ENV}=SECONDS to wait longer",
                    timeout.as_secs()
                ));
            }
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e.to_string()),
        }
        match rustix::io::read(fd, &mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => {
                bytes.extend_from_slice(&chunk[..n]);
                if bytes.len() as u64 > kind.limit() {
                    return Err(kind.too_large(None));
                }
            }
            Err(Errno::AGAIN) | Err(Errno::INTR) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}
