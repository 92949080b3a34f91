//! A [`Syscall`] that makes no call: it records each one with its arguments (like youki's
//! `TestHelperSyscall`), and can be told to fail one with an errno. For unit tests without root.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Errno, SysError, SysResult, Syscall};

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Mount {
        source: Option<String>,
        target: PathBuf,
        fstype: Option<String>,
        flags: libc::c_ulong,
        data: Option<String>,
    },
    Umount {
        target: PathBuf,
        flags: libc::c_int,
    },
    PivotRoot(PathBuf),
    Chdir(PathBuf),
    Sethostname(String),
    MknodChar {
        path: PathBuf,
        mode: u32,
        major: u32,
        minor: u32,
    },
    Setns {
        path: PathBuf,
        nstype: libc::c_int,
    },
    Unshare(libc::c_int),
    LoopbackUp,
    SetCapabilities(Vec<u32>),
    Seccomp {
        len: usize,
    },
    SetNoNewPrivs,
    Setgroups(Vec<u32>),
    SetIds {
        uid: u32,
        gid: u32,
    },
    SetParentDeathSignal(i32),
    WriteFile {
        path: PathBuf,
        value: String,
    },
    CreateDirAll(PathBuf),
    RemoveDir(PathBuf),
    LockedMountFlags(PathBuf),
}

impl Call {
    /// The call's name, as [`RecordingSyscall::fail`] takes it.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Mount { .. } => "mount",
            Call::Umount { .. } => "umount",
            Call::PivotRoot(_) => "pivot_root",
            Call::Chdir(_) => "chdir",
            Call::Sethostname(_) => "sethostname",
            Call::MknodChar { .. } => "mknod",
            Call::Setns { .. } => "setns",
            Call::Unshare(_) => "unshare",
            Call::LoopbackUp => "loopback_up",
            Call::SetCapabilities(_) => "capset",
            Call::Seccomp { .. } => "seccomp",
            Call::SetNoNewPrivs => "no_new_privs",
            Call::Setgroups(_) => "setgroups",
            Call::SetIds { .. } => "setuid",
            Call::SetParentDeathSignal(_) => "pdeathsig",
            Call::WriteFile { .. } => "write",
            Call::CreateDirAll(_) => "mkdir",
            Call::RemoveDir(_) => "rmdir",
            Call::LockedMountFlags(_) => "statvfs",
        }
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Call::Mount { target, .. } | Call::Umount { target, .. } => Some(target),
            Call::PivotRoot(p)
            | Call::Chdir(p)
            | Call::CreateDirAll(p)
            | Call::RemoveDir(p)
            | Call::LockedMountFlags(p) => Some(p),
            Call::MknodChar { path, .. }
            | Call::Setns { path, .. }
            | Call::WriteFile { path, .. } => Some(path),
            _ => None,
        }
    }
}

struct Failure {
    name: &'static str,
    /// Only calls on this path (None: any).
    path: Option<PathBuf>,
    errno: Errno,
}

/// Records calls; fails the ones it was told to.
#[derive(Default)]
pub struct RecordingSyscall {
    calls: Mutex<Vec<Call>>,
    failures: Mutex<Vec<Failure>>,
    /// What `locked_mount_flags` answers.
    locked: Mutex<libc::c_ulong>,
    /// Per mount: the target a `/proc/self/fd/N` path led to when it was made (fds are
    /// reused, so it is read then).
    mount_targets: Mutex<Vec<PathBuf>>,
}

impl RecordingSyscall {
    pub fn new() -> RecordingSyscall {
        RecordingSyscall::default()
    }

    /// Make every call named `name` ("mount", "write", … see [`Call::name`]) fail with `errno`.
    pub fn fail(&self, name: &'static str, errno: Errno) -> &Self {
        self.push_failure(name, None, errno)
    }

    /// Make calls named `name` on `path` fail with `errno`.
    pub fn fail_at(&self, name: &'static str, path: impl AsRef<Path>, errno: Errno) -> &Self {
        self.push_failure(name, Some(path.as_ref().to_path_buf()), errno)
    }

    fn push_failure(&self, name: &'static str, path: Option<PathBuf>, errno: Errno) -> &Self {
        if let Ok(mut f) = self.failures.lock() {
            f.push(Failure { name, path, errno });
        }
        self
    }

    /// Every call so far, in order (failed ones included).
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The mounts so far: (source, target, fstype, flags, data).
    pub fn mounts(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Mount { .. }))
            .collect()
    }

    /// Have `locked_mount_flags` answer `flags` (a source on a nosuid,nodev mount, say).
    pub fn set_locked_flags(&self, flags: libc::c_ulong) {
        if let Ok(mut l) = self.locked.lock() {
            *l = flags;
        }
    }

    /// For each mount so far, its target as the kernel would see it: where a
    /// `/proc/self/fd/N` target led when the mount was made, else the target as given.
    pub fn mount_targets(&self) -> Vec<PathBuf> {
        self.mount_targets
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// The files written so far, with their values.
    pub fn writes(&self) -> Vec<(PathBuf, String)> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::WriteFile { path, value } => Some((path, value)),
                _ => None,
            })
            .collect()
    }

    fn record(&self, call: Call) -> SysResult<()> {
        let failure = self.failures.lock().ok().and_then(|f| {
            f.iter()
                .find(|f| {
                    f.name == call.name()
                        && f.path.as_deref().is_none_or(|p| call.path() == Some(p))
                })
                .map(|f| SysError::new(call.name(), call.path(), f.errno))
        });
        if let Ok(mut c) = self.calls.lock() {
            c.push(call);
        }
        failure.map_or(Ok(()), Err)
    }
}

impl Syscall for RecordingSyscall {
    fn mount(
        &self,
        source: Option<&str>,
        target: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> SysResult<()> {
        let seen = if target.starts_with("/proc/self/fd") {
            std::fs::read_link(target).unwrap_or_else(|_| target.to_path_buf())
        } else {
            target.to_path_buf()
        };
        if let Ok(mut t) = self.mount_targets.lock() {
            t.push(seen);
        }
        self.record(Call::Mount {
            source: source.map(str::to_string),
            target: target.to_path_buf(),
            fstype: fstype.map(str::to_string),
            flags,
            data: data.map(str::to_string),
        })
        .map_err(|e| SysError {
            op: format!("mount {}", fstype.or(source).unwrap_or("")),
            ..e
        })
    }

    fn umount(&self, target: &Path, flags: libc::c_int) -> SysResult<()> {
        self.record(Call::Umount {
            target: target.to_path_buf(),
            flags,
        })
    }

    fn pivot_root(&self, new_root: &Path) -> SysResult<()> {
        self.record(Call::PivotRoot(new_root.to_path_buf()))
    }

    fn chdir(&self, dir: &Path) -> SysResult<()> {
        self.record(Call::Chdir(dir.to_path_buf()))
    }

    fn sethostname(&self, name: &str) -> SysResult<()> {
        self.record(Call::Sethostname(name.to_string()))
    }

    fn mknod_char(&self, path: &Path, mode: u32, major: u32, minor: u32) -> SysResult<()> {
        self.record(Call::MknodChar {
            path: path.to_path_buf(),
            mode,
            major,
            minor,
        })
    }

    fn setns(&self, path: &Path, nstype: libc::c_int) -> SysResult<()> {
        self.record(Call::Setns {
            path: path.to_path_buf(),
            nstype,
        })
    }

    fn unshare(&self, flags: libc::c_int) -> SysResult<()> {
        self.record(Call::Unshare(flags))
    }

    fn loopback_up(&self) -> SysResult<()> {
        self.record(Call::LoopbackUp)
    }

    fn set_capabilities(&self, keep: &[u32]) -> SysResult<()> {
        self.record(Call::SetCapabilities(keep.to_vec()))
    }

    fn seccomp(&self, prog: &[libc::sock_filter]) -> SysResult<()> {
        self.record(Call::Seccomp { len: prog.len() })
    }

    fn set_no_new_privs(&self) -> SysResult<()> {
        self.record(Call::SetNoNewPrivs)
    }

    fn setgroups(&self, groups: &[u32]) -> SysResult<()> {
        self.record(Call::Setgroups(groups.to_vec()))
    }

    fn set_ids(&self, uid: u32, gid: u32) -> SysResult<()> {
        self.record(Call::SetIds { uid, gid })
    }

    fn parent_death_signal(&self) -> i32 {
        0
    }

    fn set_parent_death_signal(&self, sig: i32) -> SysResult<()> {
        self.record(Call::SetParentDeathSignal(sig))
    }

    fn write_file(&self, path: &Path, value: &str) -> SysResult<()> {
        self.record(Call::WriteFile {
            path: path.to_path_buf(),
            value: value.to_string(),
        })
    }

    fn create_dir_all(&self, path: &Path) -> SysResult<()> {
        self.record(Call::CreateDirAll(path.to_path_buf()))
    }

    fn remove_dir(&self, path: &Path) -> SysResult<()> {
        self.record(Call::RemoveDir(path.to_path_buf()))
    }

    fn locked_mount_flags(&self, path: &Path) -> SysResult<libc::c_ulong> {
        self.record(Call::LockedMountFlags(path.to_path_buf()))?;
        Ok(self.locked.lock().map(|l| *l).unwrap_or(0))
    }
}
