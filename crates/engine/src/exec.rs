//! `docker exec`: a new process in a running container. A child of the caller joins the
//! container's cgroups and namespaces (`runtime::join_and_exec`) and execs the command there;
//! the caller gets the child's pid and its end of the terminal or pipes, and relays them.

use std::os::fd::{AsRawFd, RawFd};

use crate::runtime::sys::{self, SysError};
use crate::runtime::{self, InitFailure};

/// What to run in the container whose init is `pid`.
#[derive(Debug, Clone)]
pub struct Exec {
    pub pid: i32,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub allow_mknod: bool,
}

/// How the exec'd process's stdio is wired.
#[derive(Debug, Clone, Copy)]
pub enum ExecIo {
    /// A new pty of the given size (rows, cols); the process gets the slave as its terminal.
    Tty { size: Option<(u16, u16)> },
    /// Pipes for stdout and stderr, and for stdin when `stdin` (else /dev/null).
    Pipes { stdin: bool },
    /// Its own session, stdio on /dev/null: it outlives our terminal.
    Detached,
}

/// The running exec: its pid and our ends of its stdio (None where it has none).
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
    /// With [`ExecIo::Tty`]: input, output and window size all go through it.
    pub pty_master: Option<RawFd>,
    pub stdin: Option<RawFd>,
    pub stdout: Option<RawFd>,
    pub stderr: Option<RawFd>,
}

impl Exec {
    /// Fork the process. Call while single-threaded. When joining or exec fails, `report` runs
    /// in the child with the failure (its stderr is the process's: the caller's terminal or
    /// stderr pipe) and the child exits with the failure's code (126, 127).
    pub fn spawn(&self, io: ExecIo, report: &dyn Fn(&InitFailure)) -> Result<Spawned, SysError> {
        match io {
            ExecIo::Tty { size } => self.spawn_tty(size, report),
            ExecIo::Pipes { stdin } => self.spawn_pipes(stdin, false, report),
            ExecIo::Detached => self.spawn_pipes(false, true, report),
        }
    }

    /// In the child: join and exec; on failure report and exit.
    fn run(&self, report: &dyn Fn(&InitFailure)) -> ! {
        let failure = runtime::join_and_exec(
            self.pid,
            &self.argv,
            &self.env,
            &self.workdir,
            &self.user,
            self.allow_mknod,
        );
        report(&failure);
        // Docker records 126 for any exec that did not start, a missing program included
        // (moby's ContainerExecStart), unlike `run`'s 125/126/127.
        sys::exit_now(126)
    }

    fn spawn_tty(
        &self,
        size: Option<(u16, u16)>,
        report: &dyn Fn(&InitFailure),
    ) -> Result<Spawned, SysError> {
        let (master, slave) = sys::open_pty()?;
        if let Some((rows, cols)) = size {
            sys::set_window_size(master, rows, cols);
        }
        match sys::fork() {
            Ok(sys::Forked::Child) => {
                sys::close(master);
                if sys::take_terminal(slave).is_err() {
                    sys::exit_now(126);
                }
                self.run(report)
            }
            Ok(sys::Forked::Parent(pid)) => {
                sys::close(slave);
                Ok(Spawned {
                    pid,
                    pty_master: Some(master),
                    stdin: None,
                    stdout: None,
                    stderr: None,
                })
            }
            Err(e) => {
                sys::close(master);
                sys::close(slave);
                Err(e)
            }
        }
    }

    fn spawn_pipes(
        &self,
        stdin: bool,
        detach: bool,
        report: &dyn Fn(&InitFailure),
    ) -> Result<Spawned, SysError> {
        let null = std::fs::File::open("/dev/null")
            .map_err(|e| SysError::io("open", Some(std::path::Path::new("/dev/null")), &e))?;
        let (in_r, in_w) = if stdin && !detach {
            sys::pipe()?
        } else {
            (null.as_raw_fd(), -1)
        };
        let (out_r, out_w) = sys::pipe()?;
        let (err_r, err_w) = sys::pipe()?;
        match sys::fork() {
            Ok(sys::Forked::Child) => {
                if detach {
                    // A new session so the exec outlives our terminal.
                    sys::setsid();
                }
                let ok = sys::dup_onto(in_r, 0).is_ok()
                    && sys::dup_onto(if detach { null.as_raw_fd() } else { out_w }, 1).is_ok()
                    && sys::dup_onto(if detach { null.as_raw_fd() } else { err_w }, 2).is_ok();
                if !ok {
                    sys::exit_now(126);
                }
                self.run(report)
            }
            Ok(sys::Forked::Parent(pid)) => {
                sys::close(out_w);
                sys::close(err_w);
                if in_w >= 0 {
                    sys::close(in_r);
                }
                if detach {
                    sys::close(out_r);
                    sys::close(err_r);
                    return Ok(Spawned {
                        pid,
                        pty_master: None,
                        stdin: None,
                        stdout: None,
                        stderr: None,
                    });
                }
                Ok(Spawned {
                    pid,
                    pty_master: None,
                    stdin: (in_w >= 0).then_some(in_w),
                    stdout: Some(out_r),
                    stderr: Some(err_r),
                })
            }
            Err(e) => {
                for fd in [out_r, out_w, err_r, err_w, in_w] {
                    sys::close(fd);
                }
                if in_w >= 0 {
                    sys::close(in_r);
                }
                Err(e)
            }
        }
    }
}
