//! The syscall edge: every mount, namespace, capability, credential, descriptor and terminal
//! call the engine makes. Logic above this module deals in paths and plans; this module talks to
//! the kernel, and it is the only place in the engine allowed `unsafe`.
//!
//! The calls that set a container up (mounts, pivot_root, hostname, device nodes, namespaces,
//! capabilities, seccomp, credentials, cgroup files) go through the [`Syscall`] trait, so the
//! code that plans them can be run against [`RecordingSyscall`] without root. [`LinuxSyscall`]
//! is the real kernel. Descriptor plumbing (pipes, polls, fork) is in plain functions here.

mod at;
pub mod dirfd;
mod fds;
mod files;
mod linux;
mod recording;

use std::fmt;
use std::path::{Path, PathBuf};

pub use nix::errno::Errno;
use serde::{Deserialize, Serialize};

pub use at::*;
pub use fds::*;
pub use files::*;
pub use linux::*;
pub use recording::{Call, RecordingSyscall};

/// A failed kernel call: which operation, on which path, and the errno. Displays as the runtime
/// always said it ("mount proc /x/proc: Operation not permitted (os error 1)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct SysError {
    pub op: String,
    pub path: Option<PathBuf>,
    /// On the wire as its number.
    #[serde(with = "errno_wire")]
    pub errno: Errno,
}

pub type SysResult<T> = Result<T, SysError>;

impl SysError {
    pub fn new(op: impl Into<String>, path: Option<&Path>, errno: Errno) -> SysError {
        SysError {
            op: op.into(),
            path: path.map(Path::to_path_buf),
            errno,
        }
    }

    /// The error the last failed libc call left in errno.
    pub fn last(op: impl Into<String>, path: Option<&Path>) -> SysError {
        SysError::new(op, path, Errno::last())
    }

    /// From an `io::Error` (EIO when it carries no errno).
    pub fn io(op: impl Into<String>, path: Option<&Path>, e: &std::io::Error) -> SysError {
        let errno = e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
        SysError::new(op, path, errno)
    }

    /// The kernel's text for the errno, as `io::Error` writes it.
    pub fn detail(&self) -> String {
        std::io::Error::from_raw_os_error(self.errno as i32).to_string()
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = self.detail();
        match (self.op.is_empty(), &self.path) {
            (false, Some(p)) => write!(f, "{} {}: {detail}", self.op, p.display()),
            (false, None) => write!(f, "{}: {detail}", self.op),
            (true, Some(p)) => write!(f, "{}: {detail}", p.display()),
            (true, None) => f.write_str(&detail),
        }
    }
}

mod errno_wire {
    use nix::errno::Errno;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(e: &Errno, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(*e as i32)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Errno, D::Error> {
        Ok(Errno::from_raw(i32::deserialize(d)?))
    }
}

/// The kernel calls the runtime makes while setting a container up (and `exec` while joining
/// one). Modelled on youki's `Syscall`: [`LinuxSyscall`] makes them, [`RecordingSyscall`] writes
/// them down for tests.
pub trait Syscall {
    fn mount(
        &self,
        source: Option<&str>,
        target: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> SysResult<()>;
    fn umount(&self, target: &Path, flags: libc::c_int) -> SysResult<()>;
    /// Make `new_root` the root (pivot_root(".", ".") there, then detach the old root).
    fn pivot_root(&self, new_root: &Path) -> SysResult<()>;
    fn chdir(&self, dir: &Path) -> SysResult<()>;
    fn sethostname(&self, name: &str) -> SysResult<()>;
    /// A character device node.
    fn mknod_char(&self, path: &Path, mode: u32, major: u32, minor: u32) -> SysResult<()>;
    /// Join the namespace at `path` (/proc/<pid>/ns/<name>).
    fn setns(&self, path: &Path, nstype: libc::c_int) -> SysResult<()>;
    fn unshare(&self, flags: libc::c_int) -> SysResult<()>;
    /// Bring the loopback interface of the current network namespace up.
    fn loopback_up(&self) -> SysResult<()>;
    /// Keep only `keep` in the bounding, permitted and effective sets (inheritable empty).
    fn set_capabilities(&self, keep: &[u32]) -> SysResult<()>;
    /// Install a seccomp BPF program on the calling thread.
    fn seccomp(&self, prog: &[libc::sock_filter]) -> SysResult<()>;
    fn set_no_new_privs(&self) -> SysResult<()>;
    fn setgroups(&self, groups: &[u32]) -> SysResult<()>;
    /// setgid then setuid.
    fn set_ids(&self, uid: u32, gid: u32) -> SysResult<()>;
    /// The parent-death signal currently set (0 for none).
    fn parent_death_signal(&self) -> i32;
    fn set_parent_death_signal(&self, sig: i32) -> SysResult<()>;
    /// Write a whole (cgroup, /proc) file.
    fn write_file(&self, path: &Path, value: &str) -> SysResult<()>;
    /// Write each of `values` into `path` with a write of its own (cgroupfs takes one rule per
    /// write: `devices.allow`), stopping at the first refused.
    fn write_each(&self, path: &Path, values: &[&str]) -> SysResult<()> {
        values.iter().try_for_each(|v| self.write_file(path, v))
    }
    /// Create a directory and its parents (cgroups).
    fn create_dir_all(&self, path: &Path) -> SysResult<()>;
    fn remove_dir(&self, path: &Path) -> SysResult<()>;
    /// The flags of the mount at `path` that a remount must keep ([`locked_mount_flags`]).
    fn locked_mount_flags(&self, path: &Path) -> SysResult<libc::c_ulong>;

    /// Bind `source` onto `target`; read-only takes a second, remounting call.
    fn bind(&self, source: &Path, target: &Path, readonly: bool) -> SysResult<()> {
        let src = source.to_string_lossy().to_string();
        self.mount(Some(&src), target, None, libc::MS_BIND | libc::MS_REC, None)?;
        if readonly {
            self.mount(
                None,
                target,
                None,
                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_REC | libc::MS_NOSUID,
                None,
            )?;
        }
        Ok(())
    }

    /// Stop mount events propagating between our mount namespace and the host's.
    fn make_rprivate(&self) -> SysResult<()> {
        self.mount(
            None,
            Path::new("/"),
            None,
            libc::MS_REC | libc::MS_PRIVATE,
            None,
        )
    }
}

/// Docker's default capabilities.
pub const DEFAULT_CAPS: &[u32] = &[
    0,  // CHOWN
    1,  // DAC_OVERRIDE
    3,  // FOWNER
    4,  // FSETID
    5,  // KILL
    6,  // SETGID
    7,  // SETUID
    8,  // SETPCAP
    10, // NET_BIND_SERVICE
    13, // NET_RAW
    18, // SYS_CHROOT
    27, // MKNOD
    29, // AUDIT_WRITE
    31, // SETFCAP
];

/// Whether our user namespace maps exactly one id (rootless without /etc/subuid ranges):
/// then every user inside the container is that one id.
pub fn maps_one_id() -> bool {
    let count = |file: &str| -> u64 {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
            .sum()
    };
    count("/proc/self/uid_map") == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_they_said_and_cross_the_wire() {
        let e = SysError::new("mount proc", Some(Path::new("/r/proc")), Errno::EPERM);
        assert_eq!(
            e.to_string(),
            "mount proc /r/proc: Operation not permitted (os error 1)"
        );
        assert_eq!(
            SysError::new("sethostname", None, Errno::EINVAL).to_string(),
            "sethostname: Invalid argument (os error 22)"
        );
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"errno\":1"), "{json}");
        assert_eq!(serde_json::from_str::<SysError>(&json).unwrap(), e);
        let io = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            SysError::io("", Some(Path::new("/x")), &io).to_string(),
            format!("/x: {io}")
        );
    }
}
