//! `docker cp`: files between a container and the host, both ways, running or stopped.
//!
//! The container side runs in a helper process (`gorae __cp <job>`), never in the CLI: for a
//! running container it opens `/proc/<pid>/root` (joining the container's user namespace when
//! rootless); for a stopped one it mounts the container's overlay in a mount namespace of its
//! own. Every container path is then resolved inside that root by `sys::open_in_root` (one
//! component at a time from descriptors, `..` and symlinks kept inside) and every tree walked
//! through descriptors ([`tree`]), so symlinks a running
//! container swaps in cannot lead outside its root (Docker's CVE-2018-15664). No code of the
//! container's is ever loaded: there is no chroot and no lookup of users in its files
//! (CVE-2019-14271). Helper and CLI pass one tar stream over a pipe.

pub mod tree;

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use serde::{Deserialize, Serialize};

use crate::helper::Helper;
use crate::runtime::sys::{self, LinuxSyscall, Syscall, dirfd as at};
use crate::runtime::{self, write_id_maps};
use crate::{EngineError, Result, Store};

pub use tree::{Extract, Owner, content_size};

/// What `docker cp` refuses, in Docker's words (`client`: said by Docker's CLI, not its daemon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CpFailure {
    #[error("Could not find the file {path} in container {container}")]
    NotFound { path: String, container: String },
    #[error("{0}: not a directory")]
    NotADirectory(String),
    #[error("cannot overwrite non-directory \"{0}\" with directory")]
    DirOverNonDir(String),
    #[error("cannot overwrite directory \"{0}\" with non-directory")]
    NonDirOverDir(String),
    #[error("cannot copy directory")]
    CannotCopyDir,
    #[error("destination \"{0}\" must be a directory")]
    DestMustBeDir(String),
    #[error("no such directory")]
    DirNotExists,
    #[error("copying between containers is not supported")]
    BetweenContainers,
    #[error("must specify at least one container source")]
    NoContainer,
    #[error("lstat {0}: no such file or directory")]
    LocalMissing(String),
}

impl CpFailure {
    /// Docker's CLI says these itself (no "Error response from daemon").
    pub fn is_client_side(&self) -> bool {
        matches!(
            self,
            CpFailure::CannotCopyDir
                | CpFailure::DestMustBeDir(_)
                | CpFailure::DirNotExists
                | CpFailure::BetweenContainers
                | CpFailure::NoContainer
                | CpFailure::LocalMissing(_)
        )
    }
}

/// What is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SrcKind {
    File,
    Dir,
    /// `SRC/.`: the directory's contents.
    DirContents,
    /// `-`: a tar stream, extracted as it is.
    Stream,
}

/// The destination as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest {
    pub exists: bool,
    pub is_dir: bool,
    /// Named with a trailing `/`: it must be a directory.
    pub trailing_slash: bool,
}

/// Where the copy lands (Docker's archive.PrepareArchiveCopy / CopyTo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Into the destination directory, under the source's own name.
    Into,
    /// The source's contents into the destination directory.
    Contents,
    /// As the destination's name, in its parent directory.
    AsName,
}

/// Docker's rules: a file goes into a directory or becomes the destination; a directory goes
/// into a directory or becomes a new one; `SRC/.` fills the destination; a tar stream needs a
/// directory.
pub fn plan(src: SrcKind, dest: Dest, dest_shown: &str) -> std::result::Result<Place, CpFailure> {
    match src {
        SrcKind::Stream if dest.exists && dest.is_dir => Ok(Place::Into),
        SrcKind::Stream => Err(CpFailure::DestMustBeDir(dest_shown.into())),
        _ if dest.exists && !dest.is_dir && src != SrcKind::File => Err(CpFailure::CannotCopyDir),
        SrcKind::DirContents if dest.is_dir => Ok(Place::Contents),
        _ if dest.is_dir => Ok(Place::Into),
        SrcKind::File if !dest.exists && dest.trailing_slash => Err(CpFailure::DirNotExists),
        _ => Ok(Place::AsName),
    }
}

/// The name the source's entries carry: its last component (`.` for `/`).
pub fn top_name(path: &str) -> String {
    let p = path.trim_end_matches("/.").trim_end_matches('/');
    match Path::new(p).file_name() {
        Some(n) => n.to_string_lossy().to_string(),
        None => ".".into(),
    }
}

fn parent_and_name(path: &str) -> (String, String) {
    let p = path.trim_end_matches('/');
    match p.rsplit_once('/') {
        Some(("", name)) => ("/".into(), name.into()),
        Some((parent, name)) => (parent.into(), name.into()),
        None => (".".into(), p.into()),
    }
}

/// Where the helper finds the container's root.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum RootSpec {
    Running {
        pid: i32,
    },
    Stopped {
        lowers: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
        mountpoint: PathBuf,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Op {
    /// The resource at `path` as a header line and a tar stream on stdout.
    Out { path: String, follow: bool },
    /// A tar stream on stdin, placed at `dest` (see [`plan`]).
    In {
        dest: String,
        kind: SrcKind,
        top: String,
        keep_ids: bool,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    root: RootSpec,
    op: Op,
    rootless: bool,
    /// The container as the user named it, for messages.
    container: String,
}

/// The first line the helper writes for [`Op::Out`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Found {
    pub is_dir: bool,
    /// A regular file's size (Docker's summary reports it for a file).
    pub size: u64,
}

impl Store {
    fn cp_job(&self, key: &str, op: Op) -> Result<Job> {
        let c = self.resolve_container(key)?;
        let root = if c.is_running() {
            RootSpec::Running { pid: c.state.pid }
        } else {
            RootSpec::Stopped {
                lowers: self.container_lowers(&c.image_id)?,
                upper: self.upper_dir(&c.id),
                work: self.work_dir(&c.id),
                mountpoint: self.container_dir(&c.id).join("rootfs"),
            }
        };
        Ok(Job {
            root,
            op,
            rootless: runtime::is_rootless(),
            container: key.to_string(),
        })
    }

    /// `docker cp CONTAINER:PATH …`: what `path` is, then its tar stream for `sink`, which
    /// returns what it made of it.
    pub fn copy_from_container<T>(
        &self,
        key: &str,
        path: &str,
        follow: bool,
        sink: impl FnOnce(Found, &mut dyn Read) -> Result<T>,
    ) -> Result<T> {
        let job = self.cp_job(
            key,
            Op::Out {
                path: path.to_string(),
                follow,
            },
        )?;
        let mut h = HelperRun::start(&job)?;
        let mut out = BufReader::new(h.child.stdout.take().ok_or_else(helper_gone)?);
        let mut line = String::new();
        let res = match out.read_line(&mut line) {
            Ok(n) if n > 0 => match serde_json::from_str::<Found>(line.trim_end()) {
                Ok(found) => sink(found, &mut out),
                Err(_) => Err(helper_gone()),
            },
            _ => Err(helper_gone()),
        };
        // Drain what the sink left (a failed sink), so the helper is not stuck writing.
        let _ = io::copy(&mut out, &mut io::sink());
        h.finish(res)
    }

    /// `docker cp … CONTAINER:DEST`: `source` writes the tar stream (entries under `top`).
    pub fn copy_to_container(
        &self,
        key: &str,
        dest: &str,
        kind: SrcKind,
        top: &str,
        keep_ids: bool,
        source: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        let job = self.cp_job(
            key,
            Op::In {
                dest: dest.to_string(),
                kind,
                top: top.to_string(),
                keep_ids,
            },
        )?;
        let mut h = HelperRun::start(&job)?;
        let res = match h.child.stdin.take() {
            Some(stdin) => {
                let mut w = io::BufWriter::new(stdin);
                // A helper that failed closes its end: its own error says why.
                let _ = source(&mut w).and_then(|_| w.flush().map_err(|e| EngineError::io("-", e)));
                Ok(())
            }
            None => Err(helper_gone()),
        };
        h.finish(res)
    }
}

fn helper_gone() -> EngineError {
    EngineError::Runtime("the copy helper exited early".into())
}

/// A running `gorae __cp`: its error channel (stderr) and the handshake done.
struct HelperRun {
    child: Child,
    err: BufReader<std::process::ChildStderr>,
}

impl HelperRun {
    fn start(job: &Job) -> Result<HelperRun> {
        let arg = serde_json::to_string(job).map_err(|e| EngineError::Runtime(e.to_string()))?;
        let mut child = Helper::Copy
            .command()
            .arg(arg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::Runtime(format!("start the copy helper: {e}")))?;
        let mut err = BufReader::new(child.stderr.take().ok_or_else(helper_gone)?);
        if needs_maps(job) {
            let mut line = String::new();
            let ready = err.read_line(&mut line).is_ok() && line.trim() == "ready";
            if !ready || write_id_maps(child.id() as i32).is_err() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EngineError::Runtime(
                    "the copy helper could not enter the container's user namespace".into(),
                ));
            }
        }
        if let Some(stdin) = child.stdin.as_mut() {
            let _ = stdin.write_all(b"go\n");
        }
        Ok(HelperRun { child, err })
    }

    /// Wait; the helper's own error comes first, else `res`.
    fn finish<T>(mut self, res: Result<T>) -> Result<T> {
        drop(self.child.stdin.take());
        let mut text = String::new();
        let _ = self.err.read_to_string(&mut text);
        let status = self.child.wait();
        if let Some(e) = text.lines().find_map(|l| l.strip_prefix("error ")) {
            return Err(EngineError::decode(e));
        }
        match status {
            Ok(s) if s.success() => res,
            _ => res.and(Err(helper_gone())),
        }
    }
}

fn needs_maps(job: &Job) -> bool {
    job.rootless && matches!(job.root, RootSpec::Stopped { .. })
}

/// `gorae __cp <job>`: the container side of a copy. Exit 0, or 1 with `error <json>` on
/// stderr.
pub fn main(args: &[String]) -> i32 {
    let Some(job) = args
        .first()
        .and_then(|a| serde_json::from_str::<Job>(a).ok())
    else {
        return 2;
    };
    match run_job(&job) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error {}", e.encode());
            1
        }
    }
}

fn run_job(job: &Job) -> Result<()> {
    let sys = LinuxSyscall;
    if needs_maps(job) {
        // Single-threaded here, as a new user namespace needs; the CLI writes our id maps.
        sys.unshare(libc::CLONE_NEWUSER).map_err(EngineError::Sys)?;
        let mut err = io::stderr();
        let _ = writeln!(err, "ready").and_then(|_| err.flush());
    }
    let mut go = [0u8; 3];
    io::stdin()
        .read_exact(&mut go)
        .map_err(|e| EngineError::io("-", e))?;
    let root = open_root(&sys, job)?;
    match &job.op {
        Op::Out { path, follow } => copy_out(&root, path, *follow, &job.container),
        Op::In {
            dest,
            kind,
            top,
            keep_ids,
        } => copy_in(&root, dest, *kind, top, *keep_ids, &job.container),
    }
}

/// The container's root as this process sees it: `/proc/<pid>/root` (after joining a rootless
/// container's user namespace), or its overlay mounted in a mount namespace of our own.
fn open_root(sys: &dyn Syscall, job: &Job) -> Result<PathBuf> {
    match &job.root {
        RootSpec::Running { pid } => {
            if job.rootless {
                let ns = PathBuf::from(format!("/proc/{pid}/ns/user"));
                sys.setns(&ns, libc::CLONE_NEWUSER)
                    .map_err(EngineError::Sys)?;
            }
            Ok(PathBuf::from(format!("/proc/{pid}/root")))
        }
        RootSpec::Stopped {
            lowers,
            upper,
            work,
            mountpoint,
        } => {
            // A mount namespace of our own: the overlay disappears with this process.
            sys.unshare(libc::CLONE_NEWNS).map_err(EngineError::Sys)?;
            sys.make_rprivate().map_err(EngineError::Sys)?;
            std::fs::create_dir_all(mountpoint).map_err(|e| EngineError::io(mountpoint, e))?;
            runtime::mount_overlay(sys, lowers, upper, work, mountpoint, job.rootless)
                .map_err(EngineError::Sys)?;
            Ok(mountpoint.clone())
        }
    }
}

/// `path` inside `root` as an O_PATH descriptor; `follow`: a symlink at the end is followed
/// (inside the root too), else it is opened itself.
fn resolve(root: &Path, path: &str, follow: bool) -> io::Result<OwnedFd> {
    let to_io = |e: sys::SysError| io::Error::from_raw_os_error(e.errno as i32);
    let (parent, name) = parent_and_name(path);
    if follow || name.is_empty() || name == "." || name == ".." {
        return sys::open_in_root(root, path, None, libc::O_PATH).map_err(to_io);
    }
    let dir =
        sys::open_in_root(root, &parent, None, libc::O_PATH | libc::O_DIRECTORY).map_err(to_io)?;
    at::open_at(&dir, OsStr::new(&name), libc::O_PATH, 0)
}

fn not_found(path: &str, container: &str) -> impl Fn(io::Error) -> EngineError {
    let (path, container) = (path.to_string(), container.to_string());
    move |e| match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::ELOOP) => CpFailure::NotFound {
            path: path.clone(),
            container: container.clone(),
        }
        .into(),
        _ => EngineError::io(&path, e),
    }
}

fn copy_out(root: &Path, path: &str, follow: bool, container: &str) -> Result<()> {
    let fd = resolve(root, path, follow).map_err(not_found(path, container))?;
    let meta = at::metadata_fd(&fd).map_err(|e| EngineError::io(path, e))?;
    if path.ends_with('/') && !meta.is_dir() {
        return Err(CpFailure::NotADirectory(path.into()).into());
    }
    let found = Found {
        is_dir: meta.is_dir(),
        size: if meta.is_file() { meta.len() } else { 0 },
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let header = serde_json::to_string(&found).map_err(|e| EngineError::Runtime(e.to_string()))?;
    writeln!(out, "{header}").map_err(|e| EngineError::io("-", e))?;
    tree::pack(&mut out, fd, &top_name(path))?;
    out.flush().map_err(|e| EngineError::io("-", e))
}

fn copy_in(
    root: &Path,
    dest: &str,
    kind: SrcKind,
    top: &str,
    keep_ids: bool,
    container: &str,
) -> Result<()> {
    let shown = format!("{container}:{dest}");
    let found = resolve(root, dest, true);
    let state = match &found {
        Ok(fd) => Dest {
            exists: true,
            is_dir: at::metadata_fd(fd).is_ok_and(|m| m.is_dir()),
            trailing_slash: dest.ends_with('/'),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Dest {
            exists: false,
            is_dir: false,
            trailing_slash: dest.ends_with('/'),
        },
        Err(e) => {
            return Err(EngineError::io(
                dest,
                io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(0)),
            ));
        }
    };
    let owner = if keep_ids {
        Owner::Archive
    } else {
        Owner::Root
    };
    let (dir, rename) = match plan(kind, state, &shown)? {
        Place::Into => (found.map_err(not_found(dest, container))?, None),
        Place::Contents => (
            found.map_err(not_found(dest, container))?,
            Some((top.to_string(), ".".to_string())),
        ),
        Place::AsName => {
            let (parent, name) = parent_and_name(dest);
            let fd = resolve(root, &parent, true).map_err(not_found(&parent, container))?;
            (fd, Some((top.to_string(), name)))
        }
    };
    let how = Extract {
        rename_top: if kind == SrcKind::Stream {
            None
        } else {
            rename
        },
        owner,
    };
    let mut stdin = io::stdin().lock();
    tree::extract(&dir, &mut stdin, &how).map(|_| ())
}

/// The host side: a local path packed as entries under `top` (following a last symlink with
/// `follow`, `docker cp -L`).
pub fn pack_local(out: &mut dyn Write, path: &Path, follow: bool, top: &str) -> Result<()> {
    // The user's own files: a plain path walk (a last symlink followed only with -L).
    let path = if follow {
        std::fs::canonicalize(path).map_err(|e| EngineError::io(path, e))?
    } else {
        path.to_path_buf()
    };
    let (parent, name) = match (path.parent(), path.file_name()) {
        (Some(p), Some(n)) => (p.to_path_buf(), n.to_os_string()),
        _ => (path.clone(), OsStr::new(".").to_os_string()),
    };
    let dir = at::open_dir_path(&parent).map_err(|e| EngineError::io(&parent, e))?;
    let fd = at::open_at(&dir, &name, libc::O_PATH, 0).map_err(|e| EngineError::io(&path, e))?;
    tree::pack(out, fd, top)
}

/// The host side: a tar stream extracted under the local directory `dir`.
pub fn extract_local(dir: &Path, input: &mut dyn Read, how: &Extract) -> Result<u64> {
    let fd = at::open_dir_path(dir).map_err(|e| EngineError::io(dir, e))?;
    tree::extract(&fd, input, how)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(exists: bool, is_dir: bool, trailing_slash: bool) -> Dest {
        Dest {
            exists,
            is_dir,
            trailing_slash,
        }
    }

    #[test]
    fn placement_follows_dockers_rules() {
        use Place::*;
        use SrcKind::*;
        let p = |s, dest| plan(s, dest, "c:/x");
        assert_eq!(p(File, d(true, true, false)), Ok(Into));
        assert_eq!(p(File, d(true, false, false)), Ok(AsName));
        assert_eq!(p(File, d(false, false, false)), Ok(AsName));
        assert_eq!(p(File, d(false, false, true)), Err(CpFailure::DirNotExists));
        assert_eq!(p(Dir, d(true, true, false)), Ok(Into));
        assert_eq!(p(Dir, d(false, false, false)), Ok(AsName));
        assert_eq!(p(Dir, d(true, false, false)), Err(CpFailure::CannotCopyDir));
        assert_eq!(p(DirContents, d(true, true, false)), Ok(Contents));
        assert_eq!(p(DirContents, d(false, false, false)), Ok(AsName));
        assert_eq!(p(Stream, d(true, true, false)), Ok(Into));
        assert_eq!(
            p(Stream, d(false, false, false)),
            Err(CpFailure::DestMustBeDir("c:/x".into()))
        );
    }

    #[test]
    fn names() {
        assert_eq!(top_name("/etc/hosts"), "hosts");
        assert_eq!(top_name("/etc/"), "etc");
        assert_eq!(top_name("/etc/."), "etc");
        assert_eq!(top_name("/"), ".");
        assert_eq!(parent_and_name("/a/b"), ("/a".into(), "b".into()));
        assert_eq!(parent_and_name("/b/"), ("/".into(), "b".into()));
        assert_eq!(parent_and_name("b"), (".".into(), "b".into()));
    }
}
