//! A pseudo-terminal with a child process on its slave side.
//!
//! The child is started through `std::process::Command` (so std does the fork/exec dance
//! correctly even in a threaded program) with the slave as its stdin/stdout/stderr; a
//! `pre_exec` hook makes it a session leader (`setsid`) with the slave as its controlling
//! terminal (`TIOCSCTTY`), so job control, Ctrl-C and SIGWINCH behave as in any terminal.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, killpg};
use nix::sys::termios::{InputFlags, SetArg, tcgetattr, tcsetattr};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use super::TermError;

nix::ioctl_write_ptr_bad!(set_winsize, libc::TIOCSWINSZ, Winsize);

/// A child process running on its own pseudo-terminal. Dropping it hangs the child up
/// (SIGHUP to its process group) and reaps it in the background.
pub struct Pty {
    master: File,
    child: Option<Child>,
    pid: Pid,
}

fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize {
        ws_row: rows.max(1),
        ws_col: cols.max(1),
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

fn set_cloexec(fd: &OwnedFd) -> Result<(), TermError> {
    fcntl(fd.as_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map(|_| ())
        .map_err(|e| TermError::Pty(io::Error::from(e)))
}

impl Pty {
    /// Opens a PTY of `rows` x `cols` and starts `cmd` on it as a session leader with the PTY
    /// as its controlling terminal.
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> Result<Pty, TermError> {
        let pair = openpty(&winsize(rows, cols), None).map_err(|e| TermError::Pty(e.into()))?;
        // Neither end may leak into the child (it gets the slave as 0/1/2 only) or into
        // processes other threads spawn.
        set_cloexec(&pair.master)?;
        set_cloexec(&pair.slave)?;
        // IUTF8 lets the kernel's line editing (`read`, `cat`) erase a whole Hangul
        // syllable on Backspace instead of one byte of it.
        if let Ok(mut tio) = tcgetattr(&pair.slave) {
            tio.input_flags |= InputFlags::IUTF8;
            let _ = tcsetattr(&pair.slave, SetArg::TCSANOW, &tio);
        }
        let stdin = pair.slave.try_clone().map_err(TermError::Pty)?;
        let stdout = pair.slave.try_clone().map_err(TermError::Pty)?;
        let stderr = pair.slave;
        cmd.stdin(Stdio::from(stdin))
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr));
        // SAFETY: the hook runs in the forked child before exec and only makes the
        // async-signal-safe calls setsid(2) and ioctl(2).
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(io::Error::from)?;
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .map_err(|source| TermError::Spawn { program, source })?;
        // `cmd` (and with it our copies of the slave) is dropped when we return, so the
        // master sees EOF/EIO once the child and its descendants close the terminal.
        let pid = Pid::from_raw(child.id() as i32);
        Ok(Pty {
            master: File::from(pair.master),
            child: Some(child),
            pid,
        })
    }

    /// A second handle on the master side for a reader or writer thread.
    pub fn clone_master(&self) -> Result<File, TermError> {
        self.master.try_clone().map_err(TermError::Pty)
    }

    /// The master side (readable: the child's output; writable: its input).
    pub fn master(&self) -> &File {
        &self.master
    }

    /// Writes all of `bytes` to the child's terminal input (blocks while the PTY buffer is full).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), TermError> {
        self.master.write_all(bytes).map_err(TermError::Pty)
    }

    /// Sets the terminal size; the kernel then sends SIGWINCH to the foreground process group.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), TermError> {
        let ws = winsize(rows, cols);
        // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, which is valid for the call.
        unsafe { set_winsize(self.master.as_raw_fd(), &ws) }
            .map(|_| ())
            .map_err(|e| TermError::Pty(e.into()))
    }

    /// The child's process id (also its process group and session id).
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The terminal's foreground process group: the child's own pid while it is the
    /// foreground job (e.g. a shell waiting at its prompt), another group while a job runs.
    pub fn foreground_group(&self) -> Option<Pid> {
        nix::unistd::tcgetpgrp(&self.master).ok()
    }

    /// Whether the program on the terminal reads keys one by one (canonical mode off), as
    /// `docker attach` and full-screen programs do.
    pub fn is_raw(&self) -> bool {
        nix::sys::termios::tcgetattr(&self.master).is_ok_and(|t| {
            !t.local_flags
                .contains(nix::sys::termios::LocalFlags::ICANON)
        })
    }

    /// The child's exit status if it has ended (reaps it), without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, TermError> {
        match self.child.as_mut() {
            Some(child) => child.try_wait().map_err(TermError::Pty),
            None => Ok(None),
        }
    }

    /// Whether the child has ended, without reaping it (safe to call from any thread that
    /// knows the pid: see [`child_exited`]).
    pub fn has_exited(&self) -> bool {
        child_exited(self.pid)
    }

    /// Sends SIGHUP to the child's process group, as a terminal does when it closes.
    pub fn hangup(&self) {
        let _ = killpg(self.pid, Signal::SIGHUP);
    }
}

/// Whether process `pid` (our child) has ended, leaving it for its owner to reap.
pub fn child_exited(pid: Pid) -> bool {
    match waitid(
        Id::Pid(pid),
        WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT,
    ) {
        Ok(nix::sys::wait::WaitStatus::StillAlive) => false,
        Ok(_) => true,
        // ECHILD: already reaped.
        Err(_) => true,
    }
}

/// Reads from a PTY master, treating EIO (the slave side is closed everywhere) as end of
/// file and retrying on EINTR.
pub fn read_master(mut master: impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match master.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return Ok(0),
            Err(e) => return Err(e),
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        self.hangup();
        let pid = self.pid;
        // Reap off the app thread: a shell normally exits at once on SIGHUP; one that
        // ignores it is killed after a grace period.
        let _ = std::thread::Builder::new()
            .name("gorae-pty-reaper".into())
            .spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(2);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = killpg(pid, Signal::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
            });
    }
}
