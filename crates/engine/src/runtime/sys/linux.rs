//! The real kernel: [`LinuxSyscall`], and the process and file calls the engine makes outside
//! container setup (descriptors are in `fds.rs`). Every `unsafe` of the engine is in this
//! directory.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::RawFd;
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

pub(super) fn check(r: libc::c_int, op: &str, path: Option<&Path>) -> SysResult<()> {
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

    fn write_each(&self, path: &Path, values: &[&str]) -> SysResult<()> {
        use std::io::Write;
        // One open for all of them: a container's start writes nine device rules.
        let err = |e: &std::io::Error| SysError::io("", Some(path), e);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| err(&e))?;
        values
            .iter()
            .try_for_each(|v| f.write_all(v.as_bytes()).map_err(|e| err(&e)))
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

/// CLONE_INTO_CGROUP (Linux 5.7; libc's constant overflows its `c_int`).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// [`clone_child`] straight into the cgroup v2 dir open at `cgroup` (clone3's
/// CLONE_INTO_CGROUP), so nobody has to move the child there. An error (a kernel without
/// clone3 or the flag, a cgroup that refuses) leaves it to [`clone_child`] and a move.
pub fn clone_child_into(
    flags: libc::c_int,
    cgroup: RawFd,
    cb: &mut dyn FnMut() -> isize,
) -> Result<i32, Errno> {
    match fork_into(flags, cgroup)? {
        Forked::Child => {
            let code = cb();
            // SAFETY: the child's end; nothing of the parent's to unwind or flush.
            unsafe { libc::_exit(code as libc::c_int) }
        }
        Forked::Parent(pid) => Ok(pid),
    }
}

/// [`fork`] with clone `flags` (new namespaces), the child born in the cgroup v2 dir open at
/// `cgroup` (clone3's CLONE_INTO_CGROUP): a move through `cgroup.procs` waits for an RCU grace
/// period when nothing moved for a while (see `cgroup::SELF_JOIN`), a birth there does not.
/// An error (a kernel before 5.7, a cgroup that refuses) leaves it to the caller to move.
/// Only for a single-threaded caller, as [`fork`].
pub fn fork_into(flags: libc::c_int, cgroup: RawFd) -> Result<Forked, Errno> {
    // SAFETY: all-zero is a valid clone_args (no pidfd, tid pointers, stack or tls).
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = u64::from(flags as u32) | CLONE_INTO_CGROUP;
    args.exit_signal = libc::SIGCHLD as u64;
    args.cgroup = cgroup as u64;
    // SAFETY: callers are single-threaded. Without CLONE_VM and a stack the child runs on a
    // copy of ours, as after fork.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    match r {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid as i32)),
    }
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

/// Give `signals` their default dispositions back (an ignored one stays ignored across exec).
pub fn default_signals(signals: &[libc::c_int]) {
    for &sig in signals {
        // SAFETY: setting a disposition to SIG_DFL.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
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

/// The seccomp filter, as the kernel applies it (raw syscalls in forked children).
/// Replace this process's environment with `vars` (a spare monitor taking on its CLI's).
/// Only for a single-threaded process: the C library's environment is not guarded against a
/// reader on another thread.
pub fn replace_environment(vars: &[(std::ffi::OsString, std::ffi::OsString)]) {
    let old: Vec<std::ffi::OsString> = std::env::vars_os().map(|(k, _)| k).collect();
    for k in old {
        // SAFETY: the caller is single-threaded (see above).
        unsafe { std::env::remove_var(k) };
    }
    for (k, v) in vars {
        if !k.is_empty() && !k.as_encoded_bytes().contains(&b'=') {
            // SAFETY: as above.
            unsafe { std::env::set_var(k, v) };
        }
    }
}

/// Write `args` over this process's command line, as `ps` and /proc/<pid>/cmdline show it,
/// within the room its own arguments took at exec (a spare monitor that took on a container
/// names it, as a spawned monitor does). The rest of that room is left as NUL bytes. False
/// when they do not fit.
pub fn overwrite_cmdline(args: &[&str]) -> bool {
    // /proc/self/stat's fields 48 and 49 (proc(5)): where the argument strings are; the
    // comm field in parentheses may hold spaces, so count from after its closing one.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return false;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    // `rest` starts with field 3 (state).
    let field = |n: usize| -> Option<usize> { rest.split_whitespace().nth(n - 3)?.parse().ok() };
    let (Some(start), Some(end)) = (field(48), field(49)) else {
        return false;
    };
    let mut text: Vec<u8> = Vec::new();
    for a in args {
        text.extend_from_slice(a.as_bytes());
        text.push(0);
    }
    if start == 0 || end <= start || text.len() > end - start {
        return false;
    }
    text.resize(end - start, 0);
    // SAFETY: [start, end) is where the kernel put our argument strings at exec, in our own
    // writable stack mapping; nothing holds a Rust reference into it (std reads argv through
    // raw pointers, only when asked), and the caller is single-threaded.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), start as *mut u8, text.len()) };
    true
}

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
