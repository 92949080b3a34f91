//! The real kernel: [`LinuxSyscall`], and the descriptor, process and file calls the engine
//! makes outside container setup. Every `unsafe` of the engine is in this file and in
//! `files.rs` beside it.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{Errno, SysError, SysResult, Syscall};

fn cs(s: &str) -> SysResult<CString> {
    CString::new(s).map_err(|_| SysError::new(format!("bad string {s:?}"), None, Errno::EINVAL))
}

fn cpath(p: &Path) -> SysResult<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| SysError::new("bad path", Some(p), Errno::EINVAL))
}

pub(super) fn io_cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(r: libc::c_int, op: &str, path: Option<&Path>) -> SysResult<()> {
    if r != 0 {
        return Err(SysError::last(op, path));
    }
    Ok(())
}

/// The kernel itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxSyscall;

impl Syscall for LinuxSyscall {
    fn mount(
        &self,
        source: Option<&str>,
        target: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> SysResult<()> {
        let src = source.map(cs).transpose()?;
        let tgt = cpath(target)?;
        let fst = fstype.map(cs).transpose()?;
        let dat = data.map(cs).transpose()?;
        // SAFETY: all pointers are valid NUL-terminated strings or null.
        let r = unsafe {
            libc::mount(
                src.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                tgt.as_ptr(),
                fst.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                flags,
                dat.as_ref().map_or(std::ptr::null(), |s| s.as_ptr().cast()),
            )
        };
        check(
            r,
            &format!("mount {}", fstype.or(source).unwrap_or("")),
            Some(target),
        )
    }

    fn umount(&self, target: &Path, flags: libc::c_int) -> SysResult<()> {
        let c = cpath(target)?;
        // SAFETY: valid string.
        let r = unsafe { libc::umount2(c.as_ptr(), flags) };
        check(r, "umount", Some(target))
    }

    fn pivot_root(&self, new_root: &Path) -> SysResult<()> {
        self.chdir(new_root)?;
        let dot = cs(".")?;
        // SAFETY: pivot_root(".", ".") stacks the old root under the new one; then we detach it.
        let r = unsafe { libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) };
        if r != 0 {
            return Err(SysError::last("pivot_root", Some(new_root)));
        }
        // SAFETY: valid string.
        let r = unsafe { libc::umount2(dot.as_ptr(), libc::MNT_DETACH) };
        check(r, "umount old root", Some(Path::new(".")))?;
        self.chdir(Path::new("/"))
    }

    fn chdir(&self, dir: &Path) -> SysResult<()> {
        std::env::set_current_dir(dir).map_err(|e| SysError::io("chdir", Some(dir), &e))
    }

    fn sethostname(&self, name: &str) -> SysResult<()> {
        // SAFETY: pointer and length describe `name`.
        let r = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
        check(r, "sethostname", None)
    }

    fn mknod_char(&self, path: &Path, mode: u32, major: u32, minor: u32) -> SysResult<()> {
        let c = cpath(path)?;
        // SAFETY: valid path.
        let r = unsafe {
            libc::mknod(
                c.as_ptr(),
                libc::S_IFCHR | mode,
                libc::makedev(major, minor),
            )
        };
        check(r, "mknod", Some(path))
    }

    fn setns(&self, path: &Path, nstype: libc::c_int) -> SysResult<()> {
        let c = cpath(path)?;
        // SAFETY: valid path; the fd is closed right after setns.
        unsafe {
            let fd = libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(SysError::last("open", Some(path)));
            }
            let r = libc::setns(fd, nstype);
            let e = Errno::last();
            libc::close(fd);
            if r != 0 {
                return Err(SysError::new("setns", Some(path), e));
            }
        }
        Ok(())
    }

    fn unshare(&self, flags: libc::c_int) -> SysResult<()> {
        // SAFETY: unshare with flags.
        let r = unsafe { libc::unshare(flags) };
        check(r, "unshare", None)
    }

    fn loopback_up(&self) -> SysResult<()> {
        // SAFETY: plain socket/ioctl calls on a struct we own.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(SysError::last("socket", None));
            }
            let mut req: libc::ifreq = std::mem::zeroed();
            for (i, b) in b"lo\0".iter().enumerate() {
                req.ifr_name[i] = *b as libc::c_char;
            }
            let mut r = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req);
            if r == 0 {
                req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
                r = libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req);
            }
            let e = Errno::last();
            libc::close(fd);
            if r != 0 {
                return Err(SysError::new("loopback up", None, e));
            }
        }
        Ok(())
    }

    fn set_capabilities(&self, keep: &[u32]) -> SysResult<()> {
        for cap in 0..=last_cap() {
            if !keep.contains(&cap) {
                // SAFETY: prctl with integer arguments.
                let r =
                    unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
                if r != 0 && Errno::last() != Errno::EINVAL {
                    return Err(SysError::last(format!("drop capability {cap}"), None));
                }
            }
        }
        let mut mask = [0u32; 2];
        for &cap in keep {
            mask[(cap / 32) as usize] |= 1 << (cap % 32);
        }
        #[repr(C)]
        struct Header {
            version: u32,
            pid: i32,
        }
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        let mut hdr = Header {
            version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
            pid: 0,
        };
        let data = [
            Data {
                effective: mask[0],
                permitted: mask[0],
                inheritable: 0,
            },
            Data {
                effective: mask[1],
                permitted: mask[1],
                inheritable: 0,
            },
        ];
        // SAFETY: header and two data structs, as capset(2) v3 expects.
        let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
        if r != 0 {
            return Err(SysError::last("capset", None));
        }
        Ok(())
    }

    fn seccomp(&self, prog: &[libc::sock_filter]) -> SysResult<()> {
        let fprog = libc::sock_fprog {
            len: prog.len() as libc::c_ushort,
            filter: prog.as_ptr().cast_mut(),
        };
        // SAFETY: a valid sock_fprog pointing at `prog`, which outlives the call; the kernel
        // only reads it.
        let r = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &fprog as *const libc::sock_fprog as libc::c_ulong,
                0,
                0,
            )
        };
        check(r, "seccomp", None)
    }

    fn set_no_new_privs(&self) -> SysResult<()> {
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        check(r, "no_new_privs", None)
    }

    fn setgroups(&self, groups: &[u32]) -> SysResult<()> {
        // SAFETY: the group list is a valid slice.
        let r = unsafe { libc::setgroups(groups.len(), groups.as_ptr()) };
        check(r, "setgroups", None)
    }

    fn set_ids(&self, uid: u32, gid: u32) -> SysResult<()> {
        // SAFETY: set*id with plain integers.
        let r = unsafe {
            if libc::setgid(gid) != 0 {
                -1
            } else {
                libc::setuid(uid)
            }
        };
        check(r, "setuid", None)
    }

    fn parent_death_signal(&self) -> i32 {
        let mut sig: libc::c_int = 0;
        // SAFETY: PR_GET_PDEATHSIG writes one int through the pointer.
        unsafe {
            libc::prctl(
                libc::PR_GET_PDEATHSIG,
                &mut sig as *mut libc::c_int,
                0,
                0,
                0,
            )
        };
        sig
    }

    fn set_parent_death_signal(&self, sig: i32) -> SysResult<()> {
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) };
        check(r, "pdeathsig", None)
    }

    fn write_file(&self, path: &Path, value: &str) -> SysResult<()> {
        std::fs::write(path, value).map_err(|e| SysError::io("", Some(path), &e))
    }

    fn create_dir_all(&self, path: &Path) -> SysResult<()> {
        std::fs::create_dir_all(path).map_err(|e| SysError::io("", Some(path), &e))
    }

    fn remove_dir(&self, path: &Path) -> SysResult<()> {
        std::fs::remove_dir(path).map_err(|e| SysError::io("", Some(path), &e))
    }

    fn locked_mount_flags(&self, path: &Path) -> SysResult<libc::c_ulong> {
        super::locked_mount_flags(path)
    }
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Join the namespace at `path` (the real kernel; see [`Syscall::setns`]).
pub fn setns_path(path: &Path, nstype: libc::c_int) -> SysResult<()> {
    LinuxSyscall.setns(path, nstype)
}

/// Join the namespace open at `fd` (an open /proc/<pid>/ns/<name>); for network namespaces
/// this moves only the calling thread, so sockets made next belong to that namespace.
pub fn setns_fd(fd: std::os::fd::BorrowedFd<'_>, nstype: libc::c_int) -> SysResult<()> {
    nix::sched::setns(fd, nix::sched::CloneFlags::from_bits_truncate(nstype))
        .map_err(|e| SysError::new("setns", None, e))
}

// ---- process ----

pub fn geteuid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

pub fn getuid() -> u32 {
    nix::unistd::getuid().as_raw()
}

pub fn getgid() -> u32 {
    nix::unistd::getgid().as_raw()
}

/// A new session (ignored when we already lead one).
pub fn setsid() {
    let _ = nix::unistd::setsid();
}

/// Get SIGKILL when the process that created us dies, so a container cannot outlive its
/// monitor (killed -9, say) as an unrecorded, unreachable process tree.
pub fn die_with_parent() {
    let _ = LinuxSyscall.set_parent_death_signal(libc::SIGKILL);
}

/// Not dumpable: while gorae's own binary runs inside a container's namespaces, the
/// container cannot open /proc/<pid>/exe or its fds (the runc CVE-2019-5736 class).
pub fn set_not_dumpable() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
}

/// Who we are after fork.
pub enum Forked {
    Child,
    Parent(i32),
}

/// fork(2). Only for a single-threaded process (the monitor before its threads, a helper, the
/// CLI before it relays): the child runs on one thread and should only make syscalls, then
/// exec or [`exit_now`].
pub fn fork() -> SysResult<Forked> {
    // SAFETY: callers fork only while single-threaded (see above).
    match unsafe { libc::fork() } {
        0 => Ok(Forked::Child),
        pid if pid > 0 => Ok(Forked::Parent(pid)),
        _ => Err(SysError::last("fork", None)),
    }
}

/// Leave the process now, without running destructors or atexit handlers (a forked child).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Clone `cb` into a child with `flags` (new namespaces) on its own 1 MiB stack; SIGCHLD to us
/// when it exits. Returns its pid. Only for a single-threaded caller (the monitor).
pub fn clone_child(flags: libc::c_int, cb: &mut dyn FnMut() -> isize) -> Result<i32, Errno> {
    let mut stack = vec![0u8; 1 << 20];
    // SAFETY: the monitor that calls this is single-threaded; the child runs `cb` on its own
    // stack and only execs or exits.
    let pid = unsafe {
        nix::sched::clone(
            Box::new(cb),
            &mut stack,
            nix::sched::CloneFlags::from_bits_truncate(flags),
            Some(libc::SIGCHLD),
        )
    }?;
    Ok(pid.as_raw())
}

/// Let the child of `cmd` inherit `fds` (they stay close-on-exec in this process, so no other
/// child gets them); it finds them at the same numbers, e.g. as /proc/self/fd/N.
pub fn on_spawn_keep_fds(cmd: &mut std::process::Command, fds: [RawFd; 2]) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only fcntl (async-signal-safe) between fork and exec; negative fds are skipped.
    unsafe {
        cmd.pre_exec(move || {
            for fd in fds.into_iter().filter(|fd| *fd >= 0) {
                if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Have the child of `cmd` start a new session (a detached helper: no terminal signals).
pub fn on_spawn_setsid(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

/// Replace the process image. Returns only on failure, with the errno.
pub fn execve(program: &CStr, argv: &[CString], env: &[CString]) -> Errno {
    match nix::unistd::execve(program, argv, env) {
        Err(e) => e,
        Ok(never) => match never {},
    }
}

pub fn kill(pid: i32, sig: i32) -> bool {
    // SAFETY: kill with integer arguments.
    pid > 0 && unsafe { libc::kill(pid, sig) } == 0
}

/// Wait for a child; returns its exit code the way a shell reports it (128+signal).
pub fn wait_child(pid: i32, nohang: bool) -> Option<i32> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid fills status.
        let r = unsafe { libc::waitpid(pid, &mut status, if nohang { libc::WNOHANG } else { 0 }) };
        if r == pid {
            if libc::WIFEXITED(status) {
                return Some(libc::WEXITSTATUS(status));
            }
            if libc::WIFSIGNALED(status) {
                return Some(128 + libc::WTERMSIG(status));
            }
            continue;
        }
        if r < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        return None;
    }
}

/// A pidfd for `pid` (-1 when it is gone).
pub fn pidfd_open(pid: i32) -> RawFd {
    // SAFETY: pidfd_open with a pid and no flags.
    unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) as RawFd }
}

/// Default dispositions and an empty mask: what gorae ignores (SIGPIPE, SIGHUP …) must not be
/// inherited by the container's processes.
pub fn reset_signals() {
    // SAFETY: resetting dispositions and the mask of the calling process.
    unsafe {
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Ignore `signals` (SIG_IGN).
pub fn ignore_signals(signals: &[libc::c_int]) {
    for &sig in signals {
        // SAFETY: setting a disposition to SIG_IGN.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

/// Clock ticks per second (for /proc/<pid>/stat times).
pub fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100)
        .max(1) as u64
}

/// A Unix time broken down in the local zone (TZ, /etc/localtime), as localtime_r(3) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Seconds east of UTC.
    pub utc_offset: i64,
    /// The zone's abbreviation ("KST", "UTC"); chrono has no names, so libc it is.
    pub zone: String,
}

/// `secs` in the local zone; None when libc cannot convert it.
pub fn local_time(secs: i64) -> Option<LocalTime> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: an all-zero tm is valid (tm_zone null); localtime_r only writes the tm we pass.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to our own live values.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points at a NUL-terminated string owned by libc's zone data.
        unsafe { CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    let field = |v: libc::c_int| u32::try_from(v).unwrap_or(0);
    Some(LocalTime {
        year: tm.tm_year + 1900,
        month: field(tm.tm_mon + 1),
        day: field(tm.tm_mday),
        hour: field(tm.tm_hour),
        minute: field(tm.tm_min),
        second: field(tm.tm_sec),
        utc_offset: tm.tm_gmtoff,
        zone,
    })
}

/// Fill `buf` from the kernel's random source; false if it would not.
pub fn fill_random(buf: &mut [u8]) -> bool {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: writing into our own buffer of the stated length.
        let r = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if r <= 0 {
            return false;
        }
        filled += r as usize;
    }
    true
}

// ---- descriptors ----

/// Mark every fd from `from` up close-on-exec, so only 0-2 reach the container.
pub fn cloexec_from(from: RawFd) {
    // SAFETY: close_range with the CLOEXEC flag only changes flags.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            from as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r != 0 {
        // Older kernels: walk /proc/self/fd.
        if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
            let fds: Vec<RawFd> = rd
                .flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect();
            for fd in fds.into_iter().filter(|fd| *fd >= from) {
                // SAFETY: setting FD_CLOEXEC on an fd number; harmless if it is not open.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
        }
    }
}

/// Close every fd from 3 up but `keep`: a forked helper then holds nothing of its parent's
/// (no listening socket outlives the parent's own close of it).
pub fn close_fds_except(keep: RawFd) {
    let close_range = |lo: RawFd, hi: libc::c_uint| {
        // SAFETY: close_range only closes descriptors; this process uses none of them after.
        unsafe { libc::syscall(libc::SYS_close_range, lo as libc::c_uint, hi, 0) == 0 }
    };
    let below = keep <= 3 || close_range(3, (keep - 1) as libc::c_uint);
    let above = close_range(keep.max(2) + 1, libc::c_uint::MAX);
    if below && above {
        return;
    }
    // Older kernels: walk /proc/self/fd.
    if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<RawFd> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
            .collect();
        for fd in fds.into_iter().filter(|fd| *fd >= 3 && *fd != keep) {
            close(fd);
        }
    }
}

/// Whether `fd` is open.
pub fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// Take `fd`, inherited from our parent (a helper's status pipe), as a File; None if it is not
/// open. Call once per fd: the File owns it from here on.
pub fn inherited_file(fd: RawFd) -> Option<File> {
    // SAFETY: the fd is open and nothing else in this process owns it (it was passed to us).
    fd_is_open(fd).then(|| unsafe { File::from_raw_fd(fd) })
}

pub fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl flag changes on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// A pollfd waiting for input on `fd` (negative: ignored by poll).
pub fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// poll(2); Err with kind Interrupted on EINTR.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: a valid pollfd array of the given length.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// SO_RCVTIMEO on a socket.
pub fn set_recv_timeout(fd: RawFd, secs: i32) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: secs as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: SO_RCVTIMEO on a socket we own with a valid timeval.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A TCP listener on `[::]:port` for IPv6 only (IPV6_V6ONLY), so it sits beside one on
/// `0.0.0.0:port` as Docker's two bindings do.
pub fn tcp_listen_v6only(port: u16) -> io::Result<std::net::TcpListener> {
    // SAFETY: a fresh socket we own (wrapped at once), setsockopt/bind/listen with values and
    // a sockaddr_in6 that live across the calls.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let owned = OwnedFd::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        for opt in [
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
            (libc::SOL_SOCKET, libc::SO_REUSEADDR),
        ] {
            if libc::setsockopt(fd, opt.0, opt.1, (&one as *const libc::c_int).cast(), len) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
        sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        sa.sin6_port = port.to_be();
        let r = libc::bind(
            fd,
            (&sa as *const libc::sockaddr_in6).cast(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        );
        if r != 0 || libc::listen(fd, libc::SOMAXCONN) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(std::net::TcpListener::from(owned))
    }
}

/// The uid of the process at the other end of a unix socket.
pub fn peer_uid(fd: RawFd) -> Option<u32> {
    // SAFETY: a zeroed ucred is a valid value; SO_PEERCRED fills it with the given length.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: see above.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(cred.uid)
}

/// flock(2) on `fd`, retried on EINTR.
pub fn flock(fd: RawFd, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock on a valid fd.
        let r = unsafe { libc::flock(fd, op) };
        if r == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

pub fn set_window_size(fd: RawFd, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ with a valid winsize.
    unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
}

pub fn window_size(fd: RawFd) -> Option<(u16, u16)> {
    // SAFETY: zeroed winsize filled by the kernel.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0 {
            Some((ws.ws_row, ws.ws_col))
        } else {
            None
        }
    }
}

pub fn isatty(fd: RawFd) -> bool {
    // SAFETY: isatty on an fd number.
    unsafe { libc::isatty(fd) == 1 }
}

/// Open a new pty pair (master, slave), both close-on-exec.
pub fn open_pty() -> SysResult<(RawFd, RawFd)> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // SAFETY: openpty fills the two ints.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    check(r, "openpty", None)?;
    for fd in [master, slave] {
        // SAFETY: flags on fds we own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((master, slave))
}

/// Make `fd` the controlling terminal of a new session and the process's stdio.
pub fn take_terminal(fd: RawFd) -> SysResult<()> {
    // SAFETY: setsid/ioctl/dup2 on an fd we own.
    unsafe {
        libc::setsid();
        if libc::ioctl(fd, libc::TIOCSCTTY as _, 0) != 0 {
            return Err(SysError::last("TIOCSCTTY", None));
        }
        for target in 0..3 {
            if libc::dup2(fd, target) < 0 {
                return Err(SysError::last("dup2", None));
            }
        }
        if fd > 2 {
            libc::close(fd);
        }
    }
    Ok(())
}

pub fn dup_onto(fd: RawFd, target: RawFd) -> SysResult<()> {
    // SAFETY: dup2 on fds we own.
    if unsafe { libc::dup2(fd, target) } < 0 {
        return Err(SysError::last("dup2", None));
    }
    Ok(())
}

pub fn pipe() -> SysResult<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(SysError::last("pipe", None));
    }
    Ok((fds[0], fds[1]))
}

/// A close-on-exec pipe (read, write) whose ends close when dropped.
pub fn pipe_owned() -> SysResult<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| SysError::new("pipe", None, e))
}

pub fn write_all(fd: RawFd, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        // SAFETY: writing from a valid slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if Errno::last() == Errno::EINTR {
                continue;
            }
            return false;
        }
        if n == 0 {
            return false;
        }
        data = &data[n as usize..];
    }
    true
}

/// Read once; Ok(0) is EOF.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for the CLI, the monitor and the container's init
/// (`Instant` has no value another process can compare with).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec we own (vDSO: no syscall, safe after clone).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: closing an fd we own.
        unsafe { libc::close(fd) };
    }
}

/// Inside the container (after pivot_root): open a pty from its devpts, bind the slave over
/// /dev/console, send the master to the monitor through `socket`, and return the slave.
pub fn open_pty_in_container(sys: &dyn Syscall, socket: RawFd) -> SysResult<RawFd> {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    // SAFETY: posix_openpt/grantpt/unlockpt/ptsname_r on fds and buffers we own.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if master < 0 {
            return Err(SysError::last("open", Some(Path::new("/dev/ptmx"))));
        }
        if libc::grantpt(master) != 0 || libc::unlockpt(master) != 0 {
            return Err(SysError::last("unlockpt", None));
        }
        let mut name = [0 as libc::c_char; 128];
        if libc::ptsname_r(master, name.as_mut_ptr(), name.len()) != 0 {
            return Err(SysError::last("ptsname", None));
        }
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        if slave < 0 {
            return Err(SysError::last("open pty slave", None));
        }
        let path = CStr::from_ptr(name.as_ptr()).to_string_lossy().to_string();
        let console = Path::new("/dev/console");
        if File::create(console).is_ok() {
            let _ = sys.bind(Path::new(&path), console, false);
        }
        let fds = [master];
        let cmsg = [ControlMessage::ScmRights(&fds)];
        let iov = [io::IoSlice::new(b"m")];
        sendmsg::<()>(socket, &iov, &cmsg, MsgFlags::empty(), None)
            .map_err(|e| SysError::new("send pty", None, e))?;
        libc::close(master);
        libc::close(socket);
        Ok(slave)
    }
}

/// Receive one fd sent with SCM_RIGHTS; None when the peer closed without sending.
pub fn recv_fd(socket: RawFd) -> Option<RawFd> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut buf = [0u8; 1];
    let mut iov = [io::IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        socket,
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .ok()?;
    for c in msg.cmsgs().ok()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            return fds.first().copied();
        }
    }
    None
}

/// [`recv_fd`], owned: the received descriptor closes when dropped.
pub fn recv_owned_fd(socket: RawFd) -> Option<OwnedFd> {
    let fd = recv_fd(socket)?;
    // SAFETY: SCM_RIGHTS just installed this fd in our table; nothing else refers to it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A connected pair of unix stream sockets, close-on-exec.
pub fn socketpair() -> SysResult<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: socketpair fills the array.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    check(r, "socketpair", None)?;
    Ok((fds[0], fds[1]))
}

/// Send one fd with SCM_RIGHTS (and one byte). False when the peer is gone.
pub fn send_fd(socket: RawFd, fd: RawFd) -> bool {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    let fds = [fd];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [io::IoSlice::new(b"f")];
    sendmsg::<()>(socket, &iov, &cmsg, MsgFlags::empty(), None).is_ok()
}

/// The seccomp filter, as the kernel applies it (raw syscalls in forked children).
#[cfg(test)]
mod seccomp_tests {
    use super::super::super::seccomp::{install, program};
    use super::*;

    #[test]
    fn filter_denies_keyctl_and_tiocsti_in_a_child_process() {
        // SAFETY: a forked child that installs the filter and exits; the test waits for it.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if install(&LinuxSyscall).is_err() {
                    libc::_exit(2);
                }
                let errno = |r: libc::c_long| {
                    if r == -1 {
                        *libc::__errno_location()
                    } else {
                        0
                    }
                };
                let keyctl_denied =
                    errno(libc::syscall(libc::SYS_keyctl, 0, 0, 0, 0, 0)) == libc::EPERM;
                // Each would fail differently (EBADF, EINVAL, …) if it reached the kernel.
                let empty = c"".as_ptr();
                let module_denied =
                    errno(libc::syscall(libc::SYS_finit_module, -1, empty, 0)) == libc::EPERM;
                let bpf_denied = errno(libc::syscall(libc::SYS_bpf, 0, 0, 0)) == libc::EPERM;
                let userns_denied =
                    errno(libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER)) == libc::EPERM;
                let mount_denied = errno(libc::syscall(
                    libc::SYS_mount,
                    empty,
                    empty,
                    empty,
                    libc::MS_REMOUNT,
                    0,
                )) == libc::EPERM;
                let clone3_enosys = errno(libc::syscall(libc::SYS_clone3, 0, 0)) == libc::ENOSYS;
                // Outside the allowlist: refused; inside: runs (getppid cannot fail).
                let unlisted_denied = errno(libc::syscall(libc::SYS_vhangup)) == libc::EPERM;
                let listed_runs = libc::syscall(libc::SYS_getppid) > 0;
                let personality_read = libc::personality(0xffff_ffff) >= 0;
                let personality_denied =
                    errno(libc::personality(0x0040000) as libc::c_long) == libc::EPERM;
                let vsock_denied =
                    errno(libc::socket(libc::AF_VSOCK, libc::SOCK_STREAM, 0) as libc::c_long)
                        == libc::EPERM;
                let fork_works = {
                    let child = libc::fork();
                    if child == 0 {
                        libc::_exit(0);
                    }
                    child > 0 && libc::waitpid(child, std::ptr::null_mut(), 0) == child
                };
                if !(unlisted_denied
                    && listed_runs
                    && personality_read
                    && personality_denied
                    && vsock_denied
                    && fork_works)
                {
                    libc::_exit(4);
                }
                let blocked =
                    module_denied && bpf_denied && userns_denied && mount_denied && clone3_enosys;
                if !blocked {
                    libc::_exit(3);
                }
                // TIOCSTI is refused before the kernel looks at the fd (else EBADF).
                let c = b'x';
                let r = libc::ioctl(-1, libc::TIOCSTI, &c);
                let tiocsti_denied = r == -1 && *libc::__errno_location() == libc::EPERM;
                let r = libc::ioctl(-1, libc::TIOCGWINSZ, std::ptr::null_mut::<u8>());
                let other_ioctl_allowed = r == -1 && *libc::__errno_location() == libc::EBADF;
                let ok = keyctl_denied && tiocsti_denied && other_ioctl_allowed;
                libc::_exit(if ok { 0 } else { 1 });
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert!(libc::WIFEXITED(status), "child died: {status}");
            assert_eq!(libc::WEXITSTATUS(status), 0);
        }
    }

    #[test]
    fn one_id_mode_pretends_id_changes_and_chown_in_a_child_process() {
        // SAFETY: a forked child that installs the filter and exits; the test waits for it.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if LinuxSyscall.seccomp(&program(true)).is_err() {
                    libc::_exit(2);
                }
                let before = libc::getuid();
                // An id no namespace maps and a file that does not exist: both "succeed".
                let setuid_pretended = libc::setuid(4_000_000_000) == 0;
                let chown_pretended = libc::chown(c"/nonexistent/gorae".as_ptr(), 33, 33) == 0;
                let unchanged = libc::getuid() == before;
                let keyctl_still_denied = libc::syscall(libc::SYS_keyctl, 0, 0, 0, 0, 0) == -1;
                let ok = setuid_pretended && chown_pretended && unchanged && keyctl_still_denied;
                libc::_exit(if ok { 0 } else { 1 });
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            assert!(libc::WIFEXITED(status), "child died: {status}");
            assert_eq!(libc::WEXITSTATUS(status), 0);
        }
    }
}
