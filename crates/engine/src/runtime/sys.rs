//! The syscall edge: every mount, namespace, capability and terminal call the runtime makes.
//! Logic above this module deals in paths and plans; this module talks to the kernel.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub type SysResult<T> = Result<T, String>;

fn cs(s: &str) -> SysResult<CString> {
    CString::new(s).map_err(|_| format!("bad string {s:?}"))
}

fn cpath(p: &Path) -> SysResult<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("bad path {}", p.display()))
}

fn err(what: &str, target: &Path) -> String {
    format!(
        "{what} {}: {}",
        target.display(),
        io::Error::last_os_error()
    )
}

pub fn mount(
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
    if r != 0 {
        return Err(err(
            &format!("mount {}", fstype.or(source).unwrap_or("")),
            target,
        ));
    }
    Ok(())
}

pub fn bind(source: &Path, target: &Path, readonly: bool) -> SysResult<()> {
    let src = source.to_string_lossy().to_string();
    mount(Some(&src), target, None, libc::MS_BIND | libc::MS_REC, None)?;
    if readonly {
        mount(
            None,
            target,
            None,
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_REC | libc::MS_NOSUID,
            None,
        )?;
    }
    Ok(())
}

pub fn make_rprivate() -> SysResult<()> {
    mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
}

pub fn pivot_root(new_root: &Path) -> SysResult<()> {
    std::env::set_current_dir(new_root)
        .map_err(|e| format!("chdir {}: {e}", new_root.display()))?;
    let dot = cs(".")?;
    // SAFETY: pivot_root(".", ".") stacks the old root under the new one; then we detach it.
    let r = unsafe { libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) };
    if r != 0 {
        return Err(err("pivot_root", new_root));
    }
    // SAFETY: valid string.
    let r = unsafe { libc::umount2(dot.as_ptr(), libc::MNT_DETACH) };
    if r != 0 {
        return Err(err("umount old root", Path::new(".")));
    }
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))
}

pub fn sethostname(name: &str) -> SysResult<()> {
    // SAFETY: pointer and length describe `name`.
    let r = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    if r != 0 {
        return Err(format!("sethostname: {}", io::Error::last_os_error()));
    }
    Ok(())
}

/// Bring the loopback interface of the current network namespace up.
pub fn loopback_up() -> SysResult<()> {
    // SAFETY: plain socket/ioctl calls on a struct we own.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(format!("socket: {}", io::Error::last_os_error()));
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
        libc::close(fd);
        if r != 0 {
            return Err(format!("loopback up: {}", io::Error::last_os_error()));
        }
    }
    Ok(())
}

pub fn mknod_char(path: &Path, mode: u32, major: u32, minor: u32) -> SysResult<()> {
    let c = cpath(path)?;
    // SAFETY: valid path.
    let r = unsafe {
        libc::mknod(
            c.as_ptr(),
            libc::S_IFCHR | mode,
            libc::makedev(major, minor),
        )
    };
    if r != 0 {
        return Err(err("mknod", path));
    }
    Ok(())
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

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Keep only `keep` in the bounding, permitted, effective and inheritable sets.
pub fn limit_capabilities(keep: &[u32]) -> SysResult<()> {
    for cap in 0..=last_cap() {
        if !keep.contains(&cap) {
            // SAFETY: prctl with integer arguments.
            let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if r != 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
                return Err(format!(
                    "drop capability {cap}: {}",
                    io::Error::last_os_error()
                ));
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
        return Err(format!("capset: {}", io::Error::last_os_error()));
    }
    Ok(())
}

/// Whether our user namespace maps exactly one id (rootless without /etc/subuid ranges):
/// then every user inside the container is that one id.
pub fn maps_one_id() -> bool {
    let count = |file: &str| -> u64 {
        fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
            .sum()
    };
    count("/proc/self/uid_map") == 1
}

/// Get SIGKILL when the process that created us dies, so a container cannot outlive its
/// monitor (killed -9, say) as an unrecorded, unreachable process tree.
pub fn die_with_parent() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
}

/// The parent-death signal currently set (0 for none).
pub fn parent_death_signal() -> i32 {
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

pub fn set_no_new_privs() -> SysResult<()> {
    // SAFETY: prctl with integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if r != 0 {
        return Err(format!("no_new_privs: {}", io::Error::last_os_error()));
    }
    Ok(())
}

/// Not dumpable: while gorae's own binary runs inside a container's namespaces, the
/// container cannot open /proc/<pid>/exe or its fds (the runc CVE-2019-5736 class).
pub fn set_not_dumpable() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
}

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

pub fn setns_path(path: &Path, nstype: libc::c_int) -> SysResult<()> {
    let c = cpath(path)?;
    // SAFETY: valid path; the fd is closed right after setns.
    unsafe {
        let fd = libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(err("open", path));
        }
        let r = libc::setns(fd, nstype);
        libc::close(fd);
        if r != 0 {
            return Err(err("setns", path));
        }
    }
    Ok(())
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
    if r != 0 {
        return Err(format!("openpty: {}", io::Error::last_os_error()));
    }
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
            return Err(format!("TIOCSCTTY: {}", io::Error::last_os_error()));
        }
        for target in 0..3 {
            if libc::dup2(fd, target) < 0 {
                return Err(format!("dup2: {}", io::Error::last_os_error()));
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
        return Err(format!("dup2: {}", io::Error::last_os_error()));
    }
    Ok(())
}

pub fn pipe() -> SysResult<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", io::Error::last_os_error()));
    }
    Ok((fds[0], fds[1]))
}

pub fn write_all(fd: RawFd, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        // SAFETY: writing from a valid slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
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

pub fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: closing an fd we own.
        unsafe { libc::close(fd) };
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
        if r < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
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

/// Inside the container (after pivot_root): open a pty from its devpts, bind the slave over
/// /dev/console, send the master to the monitor through `socket`, and return the slave.
pub fn open_pty_in_container(socket: RawFd) -> SysResult<RawFd> {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    // SAFETY: posix_openpt/grantpt/unlockpt/ptsname_r on fds and buffers we own.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if master < 0 {
            return Err(format!("open /dev/ptmx: {}", io::Error::last_os_error()));
        }
        if libc::grantpt(master) != 0 || libc::unlockpt(master) != 0 {
            return Err(format!("unlockpt: {}", io::Error::last_os_error()));
        }
        let mut name = [0 as libc::c_char; 128];
        if libc::ptsname_r(master, name.as_mut_ptr(), name.len()) != 0 {
            return Err(format!("ptsname: {}", io::Error::last_os_error()));
        }
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        if slave < 0 {
            return Err(format!("open pty slave: {}", io::Error::last_os_error()));
        }
        let path = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .to_string();
        let console = Path::new("/dev/console");
        if std::fs::File::create(console).is_ok() {
            let _ = bind(Path::new(&path), console, false);
        }
        let fds = [master];
        let cmsg = [ControlMessage::ScmRights(&fds)];
        let iov = [std::io::IoSlice::new(b"m")];
        sendmsg::<()>(socket, &iov, &cmsg, MsgFlags::empty(), None)
            .map_err(|e| format!("send pty: {e}"))?;
        libc::close(master);
        libc::close(socket);
        Ok(slave)
    }
}

/// Receive one fd sent with SCM_RIGHTS; None when the peer closed without sending.
pub fn recv_fd(socket: RawFd) -> Option<RawFd> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut buf = [0u8; 1];
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
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
    if r != 0 {
        return Err(format!("socketpair: {}", io::Error::last_os_error()));
    }
    Ok((fds[0], fds[1]))
}

/// Send one fd with SCM_RIGHTS (and one byte). False when the peer is gone.
pub fn send_fd(socket: RawFd, fd: RawFd) -> bool {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    let fds = [fd];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [std::io::IoSlice::new(b"f")];
    sendmsg::<()>(socket, &iov, &cmsg, MsgFlags::empty(), None).is_ok()
}
