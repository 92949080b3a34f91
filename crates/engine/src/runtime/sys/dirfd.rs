//! Calls relative to a directory descriptor, for `docker cp`'s trees: each takes one name (no
//! `/`) under an open directory and never follows a symlink at it. Paths inside a container's
//! root are resolved by `at::open_in_root` (the one resolver, also the mounts').

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

fn name_c(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn owned(fd: libc::c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor the kernel just gave us, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, mode): one component, never a symlink.
pub fn open_at(dir: &OwnedFd, name: &OsStr, flags: libc::c_int, mode: u32) -> io::Result<OwnedFd> {
    let c = name_c(name)?;
    // SAFETY: a valid C string.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    owned(fd)
}

/// The directory of an ordinary path (the host side of a copy), as a descriptor.
pub fn open_dir_path(path: &std::path::Path) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a valid C string.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned(fd)
}

pub fn mkdir_at(dir: &OwnedFd, name: &OsStr, mode: u32) -> io::Result<()> {
    let c = name_c(name)?;
    // SAFETY: a valid C string.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), mode as libc::mode_t) })
}

pub fn symlink_at(target: &OsStr, dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    let t = name_c(target)?;
    let c = name_c(name)?;
    // SAFETY: valid C strings.
    check(unsafe { libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), c.as_ptr()) })
}

/// A hard link `dir/name` to `old_dir/old_name` (not following a symlink there).
pub fn link_at(old_dir: &OwnedFd, old_name: &OsStr, dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    let o = name_c(old_name)?;
    let c = name_c(name)?;
    // SAFETY: valid C strings.
    check(unsafe {
        libc::linkat(
            old_dir.as_raw_fd(),
            o.as_ptr(),
            dir.as_raw_fd(),
            c.as_ptr(),
            0,
        )
    })
}

/// unlinkat(dir, name, 0) (`dir_too`: AT_REMOVEDIR).
pub fn unlink_at(dir: &OwnedFd, name: &OsStr, dir_too: bool) -> io::Result<()> {
    let c = name_c(name)?;
    let flags = if dir_too { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: a valid C string.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), flags) })
}

/// Owner of `dir/name` itself (a symlink is not followed).
pub fn chown_at(dir: &OwnedFd, name: &OsStr, uid: u32, gid: u32) -> io::Result<()> {
    let c = name_c(name)?;
    // SAFETY: a valid C string.
    check(unsafe {
        libc::fchownat(
            dir.as_raw_fd(),
            c.as_ptr(),
            uid,
            gid,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// Mode of an open file or directory (not an O_PATH descriptor).
pub fn chmod_fd(fd: &OwnedFd, mode: u32) -> io::Result<()> {
    // SAFETY: plain call on a descriptor we own.
    check(unsafe { libc::fchmod(fd.as_raw_fd(), mode as libc::mode_t) })
}

/// atime and mtime of `dir/name` itself (a symlink is not followed).
pub fn set_mtime_at(dir: &OwnedFd, name: &OsStr, secs: u64) -> io::Result<()> {
    let c = name_c(name)?;
    let t = libc::timespec {
        tv_sec: secs as libc::time_t,
        tv_nsec: 0,
    };
    let times = [t, t];
    // SAFETY: a valid C string and a two-element timespec array.
    check(unsafe {
        libc::utimensat(
            dir.as_raw_fd(),
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// The target of the symlink open as `fd` (O_PATH | O_NOFOLLOW).
pub fn read_link_fd(fd: &OwnedFd) -> io::Result<PathBuf> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    let empty = c"";
    // SAFETY: the buffer is as long as we say.
    let n = unsafe {
        libc::readlinkat(
            fd.as_raw_fd(),
            empty.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(PathBuf::from(OsStr::from_bytes(&buf)))
}

/// The names in the directory open as `fd`, without `.` and `..`, sorted.
pub fn list_dir_fd(fd: &OwnedFd) -> io::Result<Vec<std::ffi::OsString>> {
    // /proc/self/fd/N opens the very directory `fd` is (a magic link, not a path walk).
    let rd = std::fs::read_dir(format!("/proc/self/fd/{}", fd.as_raw_fd()))?;
    let mut names = Vec::new();
    for e in rd {
        names.push(e?.file_name());
    }
    names.sort();
    Ok(names)
}

/// std's metadata (fstat) of an open descriptor, O_PATH ones included.
pub fn metadata_fd(fd: &OwnedFd) -> io::Result<std::fs::Metadata> {
    let dup = fd.try_clone()?;
    File::from(dup).metadata()
}
