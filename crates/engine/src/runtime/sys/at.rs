//! Descriptor-relative file calls for mounts: a path resolved inside a container's root, never
//! out of it through a symlink (resolved component by component from descriptors: the race of
//! runc's CVE-2021-30465, where another container swaps a symlink into a shared volume, stays
//! inside the root), and
//! a tree copied from one open directory into another without following any link (a
//! volume's copy-up).

use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{Errno, SysError, SysResult};

/// What to make when the path is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Make {
    Dir,
    File,
}

fn cstring(s: &[u8]) -> Result<CString, Errno> {
    CString::new(s).map_err(|_| Errno::EINVAL)
}

fn openat(dirfd: RawFd, name: &CStr, flags: libc::c_int, mode: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string.
    let r = unsafe { libc::openat(dirfd, name.as_ptr(), flags | libc::O_CLOEXEC, mode) };
    if r < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel gave us this new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

/// Symlinks followed while resolving one path, as the kernel's limit.
const MAX_LINKS: usize = 40;

/// Open `rel` inside `root` with `flags` (O_PATH for a mount target), as if `root` were `/`:
/// one component at a time, each opened O_NOFOLLOW relative to its parent's descriptor; a
/// symlink's text is read and resolved again from the root (absolute) or its parent
/// (relative), and `..` never climbs above the root (no `..` is ever opened: the walk keeps
/// its own stack of descriptors). So neither a symlink in the image nor one another container
/// swaps in meanwhile leads out. Missing components are made as directories (the last one as
/// `make` says), as Docker makes a mount's destination.
pub fn open_in_root(
    root: &Path,
    rel: &str,
    make: Option<Make>,
    flags: libc::c_int,
) -> SysResult<OwnedFd> {
    let shown = root.join(rel.trim_start_matches('/'));
    let err = |e: Errno| SysError::new("open in container", Some(&shown), e);
    let croot = cstring(root.as_os_str().as_bytes()).map_err(err)?;
    let root_fd =
        openat(libc::AT_FDCWD, &croot, libc::O_PATH | libc::O_DIRECTORY, 0).map_err(err)?;
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut todo: std::collections::VecDeque<Vec<u8>> = components(rel.as_bytes());
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        if c == b".." {
            stack.pop();
            continue;
        }
        let cur = stack.last().unwrap_or(&root_fd).as_raw_fd();
        let name = cstring(&c).map_err(err)?;
        let last = todo.is_empty();
        let fd = match openat(cur, &name, libc::O_PATH | libc::O_NOFOLLOW, 0) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if make.is_some() => {
                if last && make == Some(Make::File) {
                    let f = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_NOFOLLOW;
                    match openat(cur, &name, f, 0o644) {
                        Ok(_) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err(err(e)),
                    }
                } else {
                    // SAFETY: a valid C string.
                    let r = unsafe { libc::mkdirat(cur, name.as_ptr(), 0o755) };
                    if r != 0 && Errno::last() != Errno::EEXIST {
                        return Err(err(Errno::last()));
                    }
                }
                // Open what was just made in the next round (a link swapped in is resolved).
                todo.push_front(c);
                continue;
            }
            Err(e) => return Err(err(e)),
        };
        let st = fstat(fd.as_raw_fd()).map_err(err)?;
        match st.st_mode & libc::S_IFMT {
            libc::S_IFLNK => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(err(Errno::ELOOP));
                }
                let target = readlink_fd(fd.as_raw_fd()).map_err(err)?;
                if target.first() == Some(&b'/') {
                    stack.clear();
                }
                for t in components(&target).into_iter().rev() {
                    todo.push_front(t);
                }
            }
            _ if last => {
                // Open it for real only now, still without following: a link swapped in
                // since the look above fails here (ELOOP) instead of being followed.
                return openat(cur, &name, flags | libc::O_NOFOLLOW, 0).map_err(err);
            }
            libc::S_IFDIR => stack.push(fd),
            _ => return Err(err(Errno::ENOTDIR)),
        }
    }
    let cur = stack.last().unwrap_or(&root_fd).as_raw_fd();
    openat(cur, c".", flags, 0).map_err(err)
}

/// The non-empty, non-`.` components of a path.
fn components(path: &[u8]) -> std::collections::VecDeque<Vec<u8>> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

/// The text of the symlink an O_PATH descriptor holds.
fn readlink_fd(fd: RawFd) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: an empty path reads the link the descriptor itself is; the buffer is as long
    // as stated.
    let n = unsafe { libc::readlinkat(fd, c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(Errno::last());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// `/proc/self/fd/N`: mounting there mounts on what the descriptor holds, not on a path a
/// container could change meanwhile.
pub fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

fn fstat(fd: RawFd) -> Result<libc::stat, Errno> {
    // SAFETY: stat is plain data filled by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a stat buffer.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(Errno::last());
    }
    Ok(st)
}

fn fstatat(dirfd: RawFd, name: &CStr) -> Result<libc::stat, Errno> {
    // SAFETY: as fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a stat buffer; the link itself is statted.
    if unsafe { libc::fstatat(dirfd, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(Errno::last());
    }
    Ok(st)
}

/// Whether the descriptor is a directory.
pub fn fd_is_dir(fd: &OwnedFd) -> bool {
    fstat(fd.as_raw_fd()).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// The mount flags a remount must keep (statvfs): inside a user namespace the kernel locks
/// nosuid, nodev, noexec and the atime flags of a bind's source, and a remount that would
/// clear one fails with EPERM (runc#1229).
pub fn locked_mount_flags(path: &Path) -> SysResult<libc::c_ulong> {
    let c = cstring(path.as_os_str().as_bytes())
        .map_err(|e| SysError::new("statvfs", Some(path), e))?;
    // SAFETY: statvfs is plain data filled by the kernel.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a statvfs buffer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(SysError::last("statvfs", Some(path)));
    }
    let mut flags = 0;
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    Ok(flags)
}

/// What a copy-up did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyUp {
    /// False when the volume was not empty (then nothing is touched).
    pub copied: bool,
    /// Owners (uid, gid) the copy could not give (ids this user namespace does not map):
    /// those entries stay the copier's.
    pub ids_not_kept: Vec<(u32, u32)>,
}

/// Docker's copy-up: when the directory `dst` is empty, copy everything under the open
/// directory `src` into it (owners, modes, times; symlinks as symlinks), then give `dst`
/// the owner and mode of `src`. Nothing is ever followed: every entry is made relative to
/// its parent's descriptor, with O_EXCL/O_NOFOLLOW, so a link swapped in meanwhile fails the
/// copy instead of leading it out.
pub fn copy_up(src: &OwnedFd, dst: &Path) -> SysResult<CopyUp> {
    let err = |e: Errno| SysError::new("copy up", Some(dst), e);
    let cdst = cstring(dst.as_os_str().as_bytes()).map_err(err)?;
    let dst_fd = openat(
        libc::AT_FDCWD,
        &cdst,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        0,
    )
    .map_err(err)?;
    let mut out = CopyUp::default();
    if !entries(dst_fd.as_raw_fd()).map_err(err)?.is_empty() {
        return Ok(out);
    }
    copy_dir(src.as_raw_fd(), dst_fd.as_raw_fd(), &mut out, 0).map_err(err)?;
    let st = fstat(src.as_raw_fd()).map_err(err)?;
    set_owner(dst_fd.as_raw_fd(), None, &st, &mut out);
    // SAFETY: a valid descriptor.
    unsafe { libc::fchmod(dst_fd.as_raw_fd(), st.st_mode & 0o7777) };
    out.copied = true;
    Ok(out)
}

/// The names in an open directory (not `.` and `..`).
fn entries(fd: RawFd) -> Result<Vec<CString>, Errno> {
    // fdopendir takes the descriptor it is given: hand it a duplicate.
    // SAFETY: a valid descriptor.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `dup` is ours; fdopendir owns it from here (closedir closes it).
    let dir = unsafe { libc::fdopendir(dup) };
    if dir.is_null() {
        let e = Errno::last();
        // SAFETY: still ours when fdopendir failed.
        unsafe { libc::close(dup) };
        return Err(e);
    }
    // A duplicate shares the offset: start from the beginning.
    // SAFETY: a valid DIR*.
    unsafe { libc::rewinddir(dir) };
    let mut names = Vec::new();
    loop {
        // SAFETY: a valid DIR*; the entry is read before the next call.
        let ent = unsafe { libc::readdir(dir) };
        if ent.is_null() {
            break;
        }
        // SAFETY: d_name is a NUL-terminated name inside the entry.
        let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    // SAFETY: a valid DIR*, closed once.
    unsafe { libc::closedir(dir) };
    Ok(names)
}

/// Give `name` in `dirfd` (or the descriptor itself when `name` is None) the owner in `st`;
/// an owner this namespace cannot give is noted, not an error.
fn set_owner(fd: RawFd, name: Option<&CStr>, st: &libc::stat, out: &mut CopyUp) {
    // SAFETY: a valid descriptor and C string; a link itself is changed, never its target.
    let r = unsafe {
        match name {
            Some(n) => libc::fchownat(
                fd,
                n.as_ptr(),
                st.st_uid,
                st.st_gid,
                libc::AT_SYMLINK_NOFOLLOW,
            ),
            None => libc::fchown(fd, st.st_uid, st.st_gid),
        }
    };
    if r != 0 && !out.ids_not_kept.contains(&(st.st_uid, st.st_gid)) {
        out.ids_not_kept.push((st.st_uid, st.st_gid));
    }
}

fn set_times(fd: RawFd, name: Option<&CStr>, st: &libc::stat) {
    let times = [
        libc::timespec {
            tv_sec: st.st_atime,
            tv_nsec: st.st_atime_nsec,
        },
        libc::timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec,
        },
    ];
    // SAFETY: a valid descriptor, C string and two timespecs; best effort.
    unsafe {
        match name {
            Some(n) => libc::utimensat(fd, n.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW),
            None => libc::futimens(fd, times.as_ptr()),
        }
    };
}

/// Deeper than this is refused (each level holds two descriptors).
const MAX_DEPTH: usize = 200;

fn copy_dir(src: RawFd, dst: RawFd, out: &mut CopyUp, depth: usize) -> Result<(), Errno> {
    if depth > MAX_DEPTH {
        return Err(Errno::ELOOP);
    }
    for name in entries(src)? {
        let st = fstatat(src, &name)?;
        let perm = st.st_mode & 0o7777;
        match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                // SAFETY: a valid C string.
                if unsafe { libc::mkdirat(dst, name.as_ptr(), 0o700) } != 0 {
                    return Err(Errno::last());
                }
                let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;
                let s = openat(src, &name, flags, 0)?;
                let d = openat(dst, &name, flags, 0)?;
                copy_dir(s.as_raw_fd(), d.as_raw_fd(), out, depth + 1)?;
                set_owner(d.as_raw_fd(), None, &st, out);
                // SAFETY: a valid descriptor. After the owner: chown clears set-id bits.
                unsafe { libc::fchmod(d.as_raw_fd(), perm) };
                set_times(d.as_raw_fd(), None, &st);
            }
            libc::S_IFREG => {
                let s = openat(src, &name, libc::O_RDONLY | libc::O_NOFOLLOW, 0)?;
                let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
                let d = openat(dst, &name, flags, 0o600)?;
                let (mut s, mut d) = (File::from(s), File::from(d));
                std::io::copy(&mut s, &mut d)
                    .map_err(|e| e.raw_os_error().map_or(Errno::EIO, Errno::from_raw))?;
                set_owner(d.as_raw_fd(), None, &st, out);
                // SAFETY: a valid descriptor.
                unsafe { libc::fchmod(d.as_raw_fd(), perm) };
                set_times(d.as_raw_fd(), None, &st);
            }
            libc::S_IFLNK => {
                let mut buf = vec![0u8; libc::PATH_MAX as usize];
                // SAFETY: a valid C string and a buffer of the stated length.
                let n = unsafe {
                    libc::readlinkat(src, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
                };
                if n < 0 {
                    return Err(Errno::last());
                }
                buf.truncate(n as usize);
                let target = cstring(&buf)?;
                // SAFETY: valid C strings.
                if unsafe { libc::symlinkat(target.as_ptr(), dst, name.as_ptr()) } != 0 {
                    return Err(Errno::last());
                }
                set_owner(dst, Some(&name), &st, out);
                set_times(dst, Some(&name), &st);
            }
            // Device nodes need CAP_MKNOD: without it they are left out, as an unprivileged
            // copy must.
            libc::S_IFIFO | libc::S_IFCHR | libc::S_IFBLK
                // SAFETY: a valid C string.
                if unsafe { libc::mknodat(dst, name.as_ptr(), st.st_mode, st.st_rdev) } == 0 =>
            {
                set_owner(dst, Some(&name), &st, out);
                set_times(dst, Some(&name), &st);
            }
            // Sockets belong to the process that bound them: not content.
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    fn real(fd: &OwnedFd) -> PathBuf {
        fs::read_link(fd_path(fd)).unwrap()
    }

    #[test]
    fn a_symlink_in_the_root_resolves_inside_it_and_missing_dirs_are_made_there() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        // Absolute and relative links that would leave the root if followed on the host.
        symlink(&outside, root.join("abs")).unwrap();
        symlink("../../../../outside", root.join("rel")).unwrap();
        symlink("/etc", root.join("data")).unwrap();
        let fd = open_in_root(&root, "/abs/x", Some(Make::Dir), libc::O_PATH).unwrap();
        assert!(real(&fd).starts_with(&root), "{:?}", real(&fd));
        assert!(fd_is_dir(&fd));
        let fd = open_in_root(&root, "/rel/y/z", Some(Make::Dir), libc::O_PATH).unwrap();
        assert!(real(&fd).starts_with(&root), "{:?}", real(&fd));
        // A link inside the root is followed inside it, as Docker's FollowSymlinkInScope.
        let fd = open_in_root(&root, "/data", Some(Make::Dir), libc::O_PATH).unwrap();
        assert_eq!(real(&fd), root.join("etc"));
        let fd = open_in_root(&root, "/etc/hostname", Some(Make::File), libc::O_PATH).unwrap();
        assert!(!fd_is_dir(&fd));
        assert!(root.join("etc/hostname").is_file());
        assert_eq!(
            fs::read_dir(&outside).unwrap().count(),
            0,
            "nothing made outside"
        );
        // Without `make` a missing path is an error that names it.
        let e = open_in_root(&root, "/nope", None, libc::O_PATH).unwrap_err();
        assert_eq!(e.errno, Errno::ENOENT);
        assert_eq!(e.path.as_deref(), Some(root.join("nope").as_path()));
    }

    #[test]
    fn copy_up_fills_only_an_empty_dir_keeps_modes_and_links_and_takes_the_roots_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("sub/f"), "hello").unwrap();
        fs::set_permissions(src.join("sub/f"), fs::Permissions::from_mode(0o640)).unwrap();
        symlink("/etc/passwd", src.join("link")).unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o750)).unwrap();
        let dst = tmp.path().join("dst");
        fs::create_dir(&dst).unwrap();
        let sfd = open_in_root(&src, "/", None, libc::O_RDONLY | libc::O_DIRECTORY).unwrap();
        let done = copy_up(&sfd, &dst).unwrap();
        assert!(done.copied);
        assert!(done.ids_not_kept.is_empty(), "{done:?}");
        assert_eq!(fs::read_to_string(dst.join("sub/f")).unwrap(), "hello");
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(&dst.join("sub/f")), 0o640);
        assert_eq!(mode(&dst), 0o750);
        assert_eq!(
            fs::read_link(dst.join("link")).unwrap(),
            Path::new("/etc/passwd")
        );
        // Not empty any more: a second copy-up touches nothing.
        fs::write(src.join("new"), "x").unwrap();
        let again = copy_up(&sfd, &dst).unwrap();
        assert!(!again.copied);
        assert!(!dst.join("new").exists());
    }
}
