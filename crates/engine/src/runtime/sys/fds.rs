//! Descriptors: close-on-exec, pipes, poll, sockets and their timeouts, flock, the PTY and
//! window sizes, fd passing over unix sockets. Split from `linux.rs` (which keeps
//! [`LinuxSyscall`] and the process calls); the same rule holds: the engine's `unsafe` lives
//! only in this directory.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::linux::check;
use super::{Errno, SysError, SysResult, Syscall};

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
    let mut buf = [0u8; 1];
    let (_, fds) = recv_with_fds(socket, &mut buf).ok()?;
    let mut fds = fds.into_iter();
    let first = fds.next()?;
    Some(std::os::fd::IntoRawFd::into_raw_fd(first))
}

/// Receive bytes into `buf` and the descriptors sent with them (SCM_RIGHTS, close-on-exec, at
/// most 8): the count read (0: the peer closed) and the descriptors, owned.
pub fn recv_with_fds(socket: RawFd, buf: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut iov = [io::IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!([RawFd; 8]);
    let msg = recvmsg::<()>(
        socket,
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(io::Error::from)?;
    let truncated = msg.flags.contains(MsgFlags::MSG_CTRUNC);
    let mut fds = Vec::new();
    for c in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::ScmRights(got) = c {
            // SAFETY: SCM_RIGHTS just installed these fds in our table; nothing else has them.
            fds.extend(
                got.into_iter()
                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            );
        }
    }
    if truncated {
        // More descriptors came than there was room for: the rest are lost, so is the message.
        return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
    }
    Ok((msg.bytes, fds))
}

/// [`recv_fd`], owned: the received descriptor closes when dropped.
pub fn recv_owned_fd(socket: RawFd) -> Option<OwnedFd> {
    let fd = recv_fd(socket)?;
    // SAFETY: SCM_RIGHTS just installed this fd in our table; nothing else refers to it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A connected pair of unix stream sockets, close-on-exec.
pub fn socketpair() -> SysResult<(RawFd, RawFd)> {
    let (a, b) = socketpair_owned()?;
    Ok((a.into_raw_fd(), b.into_raw_fd()))
}

/// [`socketpair`], owned: each end closes when dropped.
pub fn socketpair_owned() -> SysResult<(OwnedFd, OwnedFd)> {
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
    // SAFETY: socketpair just made these; nothing else refers to them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Send one fd with SCM_RIGHTS (and one byte). False when the peer is gone.
pub fn send_fd(socket: RawFd, fd: RawFd) -> bool {
    send_with_fds(socket, b"f", &[fd]).is_ok_and(|n| n == 1)
}

/// Send `data` (or as much as the socket takes at once: the count) with `fds` (SCM_RIGHTS).
pub fn send_with_fds(socket: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<usize> {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    let cmsg = [ControlMessage::ScmRights(fds)];
    let iov = [io::IoSlice::new(data)];
    sendmsg::<()>(socket, &iov, &cmsg, MsgFlags::MSG_NOSIGNAL, None).map_err(io::Error::from)
}
