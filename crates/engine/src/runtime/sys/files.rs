//! File calls for image layers that std does not offer: ownership and times without following
//! symlinks, whiteout nodes, fifos and extended attributes.

use std::ffi::CString;
use std::io;
use std::path::Path;

use super::linux::io_cpath;

/// lchown(2): never follows a symlink.
pub fn lchown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let c = io_cpath(path)?;
    // SAFETY: valid C string.
    if unsafe { libc::lchown(c.as_ptr(), uid, gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The effective group id (new files take it, unless their dir is set-group-ID).
pub fn getegid() -> u32 {
    nix::unistd::getegid().as_raw()
}

/// Set atime and mtime of `path` (not following a symlink); best effort.
pub fn set_mtime_nofollow(path: &Path, secs: u64) {
    let Ok(c) = io_cpath(path) else { return };
    let t = libc::timespec {
        tv_sec: secs as libc::time_t,
        tv_nsec: 0,
    };
    let times = [t, t];
    // SAFETY: valid C string and a two-element timespec array.
    unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
}

/// A 0/0 character device: overlayfs's whiteout.
pub fn mknod_whiteout(path: &Path) -> io::Result<()> {
    let c = io_cpath(path)?;
    // SAFETY: valid C string.
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A fifo; best effort.
pub fn mkfifo(path: &Path, mode: u32) {
    let Ok(c) = io_cpath(path) else { return };
    // SAFETY: valid C string.
    unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) };
}

/// lsetxattr(2).
pub fn lsetxattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let c = io_cpath(path)?;
    let n = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: valid C strings and a value of the stated length.
    let r = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// lgetxattr(2) into `buf`: the value's length, None when unset or unreadable.
pub fn lgetxattr(path: &Path, name: &str, buf: &mut [u8]) -> Option<usize> {
    let c = io_cpath(path).ok()?;
    let n = CString::new(name).ok()?;
    // SAFETY: valid C strings and a buffer of the stated length.
    let r = unsafe { libc::lgetxattr(c.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(r).ok()
}

/// renameat2(2) with RENAME_EXCHANGE: `a` and `b` swap names in one step (both must exist).
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    renameat2(AT_FDCWD, a, AT_FDCWD, b, RenameFlags::RENAME_EXCHANGE).map_err(io::Error::from)
}
