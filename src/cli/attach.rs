//! The CLI's side of a container's terminal: attaching to a monitor over its socket, and
//! `exec`, which joins the container's namespaces from a child of the CLI. Raw mode is always
//! restored (a guard), window size changes are passed on, and Ctrl-P Ctrl-Q detaches.

use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::termios::{SetArg, Termios, cfmakeraw, tcgetattr, tcsetattr};

use super::args::ExecArgs;
use super::{CmdResult, Failure};
use crate::engine::attach::{self as proto, FrameBuffer};
use crate::engine::exec::{Exec, ExecIo, Spawned};
use crate::engine::runtime::{self, sys};
use crate::engine::{Action, Event, Store};
use crate::i18n::t;

pub enum Outcome {
    Exited(i32),
    Detached,
    StartFailed(crate::engine::EngineError),
}

pub fn stdin_is_tty() -> bool {
    sys::isatty(0)
}

/// Puts the terminal in raw mode and restores it on drop, whatever happens.
pub struct RawMode {
    saved: Option<Termios>,
}

impl RawMode {
    pub fn enter() -> RawMode {
        if !stdin_is_tty() {
            return RawMode { saved: None };
        }
        let Ok(saved) = tcgetattr(std::io::stdin()) else {
            return RawMode { saved: None };
        };
        let mut t = saved.clone();
        cfmakeraw(&mut t);
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, &t);
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, t);
        }
    }
}

/// A pipe that becomes readable when one of its signals arrives (signal-hook's handlers: a
/// flag per signal, then a byte down the pipe).
struct SignalPipe {
    read: RawFd,
    fired: Vec<(libc::c_int, Arc<AtomicBool>)>,
}

impl SignalPipe {
    fn new(signals: &[libc::c_int]) -> Option<SignalPipe> {
        let (r, w) = sys::pipe().ok()?;
        sys::set_nonblocking(w);
        let mut fired = Vec::new();
        for &sig in signals {
            let flag = Arc::new(AtomicBool::new(false));
            // The flag first, so it is set when the byte wakes us.
            if signal_hook::flag::register(sig, Arc::clone(&flag)).is_err()
                || signal_hook::low_level::pipe::register_raw(sig, w).is_err()
            {
                continue;
            }
            fired.push((sig, flag));
        }
        Some(SignalPipe { read: r, fired })
    }

    fn fd(pipe: &Option<SignalPipe>) -> RawFd {
        pipe.as_ref().map_or(-1, |p| p.read)
    }

    /// Empty the pipe; the signals that arrived since the last call.
    fn take(&self) -> Vec<libc::c_int> {
        let mut b = [0u8; 64];
        let _ = sys::read(self.read, &mut b);
        self.fired
            .iter()
            .filter(|(_, f)| f.swap(false, Ordering::SeqCst))
            .map(|(sig, _)| *sig)
            .collect()
    }
}

/// A pipe that becomes readable on SIGWINCH.
fn winch_pipe() -> Option<SignalPipe> {
    SignalPipe::new(&[libc::SIGWINCH])
}

/// What Docker's CLI passes on to a container it is attached to without a terminal
/// (`--sig-proxy`, on by default): Ctrl-C reaches the program, not just the CLI. A hangup
/// (the terminal went away) is not passed on: the container keeps running, as when detached.
const PROXIED_SIGNALS: [libc::c_int; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

fn readable(fd: RawFd) -> libc::pollfd {
    sys::pollfd(fd, libc::POLLIN)
}

/// Poll `pfds` plus our stdin (while open) and the SIGWINCH pipe, appended in that order.
fn poll_with_stdin(
    pfds: &mut Vec<libc::pollfd>,
    stdin_open: bool,
    winch: RawFd,
) -> std::io::Result<usize> {
    pfds.push(readable(if stdin_open { 0 } else { -1 }));
    pfds.push(readable(winch));
    sys::poll(pfds, -1)
}

/// The detach sequence `--detach-keys` asks for, or Docker's default.
pub fn detach_keys(spec: Option<&str>) -> Result<DetachKeys, Failure> {
    spec.map_or_else(|| Ok(DetachKeys::default()), DetachKeys::parse)
}

/// Watches typed bytes for the detach sequence (Ctrl-P Ctrl-Q unless `--detach-keys` says
/// otherwise); bytes that only started to look like it are passed on once they stop.
pub struct DetachKeys {
    seq: Vec<u8>,
    held: usize,
}

impl Default for DetachKeys {
    fn default() -> DetachKeys {
        DetachKeys {
            seq: vec![0x10, 0x11],
            held: 0,
        }
    }
}

impl DetachKeys {
    /// Docker's `--detach-keys` format: comma-separated keys, each a single character or
    /// `ctrl-<c>` with <c> one of a-z @ [ \ ] ^ _.
    pub fn parse(spec: &str) -> Result<DetachKeys, Failure> {
        let invalid = || Failure::new(t("err-detach-keys", &[("keys", spec)]), 125);
        let mut seq = Vec::new();
        for key in spec.split(',') {
            let key = key.trim();
            let lower = key.to_ascii_lowercase();
            let byte = if let Some(c) = lower.strip_prefix("ctrl-") {
                match c.as_bytes() {
                    [c @ b'a'..=b'z'] => c - b'a' + 1,
                    [b'@'] => 0,
                    [c @ (b'[' | b'\\' | b']' | b'^' | b'_')] => c - b'[' + 27,
                    _ => return Err(invalid()),
                }
            } else {
                match key.as_bytes() {
                    [c] if c.is_ascii() => *c,
                    _ => return Err(invalid()),
                }
            };
            seq.push(byte);
        }
        Ok(DetachKeys { seq, held: 0 })
    }

    /// Returns (bytes to send, detach?).
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == self.seq[self.held] {
                self.held += 1;
                if self.held == self.seq.len() {
                    self.held = 0;
                    return (out, true);
                }
                continue;
            }
            // Not the sequence after all: what was held goes through, and this byte may
            // start it afresh.
            out.extend_from_slice(&self.seq[..self.held]);
            self.held = 0;
            if b == self.seq[0] {
                self.held = 1;
                if self.seq.len() == 1 {
                    self.held = 0;
                    return (out, true);
                }
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

fn resize_frame() -> Option<Vec<u8>> {
    let (rows, cols) = sys::window_size(0).or_else(|| sys::window_size(1))?;
    let mut p = rows.to_be_bytes().to_vec();
    p.extend_from_slice(&cols.to_be_bytes());
    Some(proto::encode(proto::RESIZE, &p))
}

fn resize_frame_off_by_one() -> Option<Vec<u8>> {
    let (rows, cols) = sys::window_size(0).or_else(|| sys::window_size(1))?;
    let mut p = rows.saturating_add(1).to_be_bytes().to_vec();
    p.extend_from_slice(&cols.to_be_bytes());
    Some(proto::encode(proto::RESIZE, &p))
}

/// How to attach: which streams, and what to do with signals the CLI receives.
pub struct AttachOptions<'a> {
    pub forward_stdin: bool,
    pub tty: bool,
    /// The monitor waits for this client before starting the container.
    pub send_start: bool,
    /// Without a terminal, pass Ctrl-C and friends on through this (Docker's `--sig-proxy`).
    pub sig_proxy: Option<&'a mut dyn FnMut(i32)>,
    pub detach_keys: DetachKeys,
}

/// Attach to a monitor's socket and relay until the container exits or the user detaches.
pub fn run_attached(root: &Path, id: &str, opts: AttachOptions<'_>) -> Result<Outcome, String> {
    let AttachOptions {
        forward_stdin,
        tty,
        send_start,
        mut sig_proxy,
        detach_keys: mut detach,
    } = opts;
    let mut stream = proto::connect(root, id).map_err(|e| format!("attach: {e}"))?;
    let _raw = (tty && forward_stdin).then(RawMode::enter);
    // With a terminal, Ctrl-C is a byte for the container's terminal; only size changes
    // need catching. Without one, the proxied signals do.
    let signals = if tty {
        winch_pipe()
    } else if sig_proxy.is_some() {
        SignalPipe::new(&PROXIED_SIGNALS)
    } else {
        None
    };
    let winch = SignalPipe::fd(&signals);
    if tty && let Some(f) = resize_frame() {
        // Attaching to a running shell: a size change makes it redraw its prompt, so the
        // learner sees where they are instead of an empty line.
        if !send_start && let Some(nudge) = resize_frame_off_by_one() {
            let _ = stream.write_all(&nudge);
        }
        let _ = stream.write_all(&f);
    }
    if send_start {
        let _ = stream.write_all(&proto::encode(proto::START, &[]));
    }
    let mut frames = FrameBuffer::default();
    let mut stdin_open = forward_stdin;
    let mut buf = vec![0u8; 32 * 1024];
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    loop {
        let mut pfds = vec![readable(stream.as_raw_fd())];
        match poll_with_stdin(&mut pfds, stdin_open, winch) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        }
        if pfds[0].revents != 0 {
            match sys::read(stream.as_raw_fd(), &mut buf) {
                Ok(0) | Err(_) => return Ok(Outcome::Exited(137)),
                Ok(n) => frames.push(&buf[..n]),
            }
            while let Ok(Some((kind, payload))) = frames.next_frame() {
                match kind {
                    proto::STDOUT => {
                        let _ = stdout.write_all(&payload);
                        let _ = stdout.flush();
                    }
                    proto::STDERR => {
                        let _ = stderr.write_all(&payload);
                        let _ = stderr.flush();
                    }
                    proto::TRACE => super::trace::absorb(&payload),
                    proto::EXIT if payload.len() == 4 => {
                        let code =
                            i32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
                        return Ok(Outcome::Exited(code));
                    }
                    proto::ERROR if payload.len() >= 4 => {
                        let text = String::from_utf8_lossy(&payload[4..]);
                        return Ok(Outcome::StartFailed(crate::engine::EngineError::decode(
                            &text,
                        )));
                    }
                    _ => {}
                }
            }
        }
        if stdin_open && pfds[1].revents != 0 {
            match sys::read(0, &mut buf) {
                Ok(0) | Err(_) => {
                    stdin_open = false;
                    let _ = stream.write_all(&proto::encode(proto::STDIN_EOF, &[]));
                }
                Ok(n) => {
                    let (data, detached) = if tty {
                        detach.feed(&buf[..n])
                    } else {
                        (buf[..n].to_vec(), false)
                    };
                    if !data.is_empty() {
                        let _ = stream.write_all(&proto::encode(proto::STDIN, &data));
                    }
                    if detached {
                        drop(_raw);
                        eprintln!("\r\n{}\r", t("attach-detached", &[]));
                        return Ok(Outcome::Detached);
                    }
                }
            }
        }
        if let Some(signals) = &signals
            && pfds[2].revents != 0
        {
            let fired = signals.take();
            if tty {
                if let Some(f) = resize_frame() {
                    let _ = stream.write_all(&f);
                }
            } else if let Some(forward) = sig_proxy.as_mut() {
                for sig in fired {
                    forward(sig);
                }
            }
        }
    }
}

/// Relay between our stdio and an exec'd child's pty or pipes until the child exits.
fn relay_child(
    child: i32,
    to_child: Option<RawFd>,
    outputs: Vec<(RawFd, bool)>,
    pty_master: Option<RawFd>,
    mut detach: DetachKeys,
) -> i32 {
    let signals = if pty_master.is_some() {
        winch_pipe()
    } else {
        None
    };
    let winch = SignalPipe::fd(&signals);
    let mut outputs = outputs;
    let mut stdin_open = to_child.is_some();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        if outputs.is_empty() {
            break;
        }
        let mut pfds: Vec<libc::pollfd> = outputs.iter().map(|(fd, _)| readable(*fd)).collect();
        if poll_with_stdin(&mut pfds, stdin_open, winch).is_err() {
            continue;
        }
        let k = outputs.len();
        let mut closed = Vec::new();
        for i in 0..k {
            if pfds[i].revents == 0 {
                continue;
            }
            let (fd, is_err) = outputs[i];
            match sys::read(fd, &mut buf) {
                Ok(0) | Err(_) => closed.push(i),
                Ok(n) => {
                    let target = if is_err { 2 } else { 1 };
                    sys::write_all(target, &buf[..n]);
                }
            }
        }
        for i in closed.into_iter().rev() {
            outputs.remove(i);
        }
        if stdin_open && pfds[k].revents != 0 {
            match sys::read(0, &mut buf) {
                Ok(0) | Err(_) => {
                    stdin_open = false;
                    if pty_master.is_none()
                        && let Some(fd) = to_child
                    {
                        sys::close(fd);
                    }
                }
                Ok(n) => {
                    if let Some(fd) = to_child {
                        let (data, detached) = if pty_master.is_some() {
                            detach.feed(&buf[..n])
                        } else {
                            (buf[..n].to_vec(), false)
                        };
                        sys::write_all(fd, &data);
                        if detached {
                            return 0;
                        }
                    }
                }
            }
        }
        if let Some(signals) = &signals
            && pfds[k + 1].revents != 0
        {
            signals.take();
            if let (Some(m), Some((r, c))) = (pty_master, sys::window_size(0)) {
                sys::set_window_size(m, r, c);
            }
        }
    }
    sys::wait_child(child, false).unwrap_or(1)
}

pub fn exec(store: &Store, a: ExecArgs) -> CmdResult {
    let detach = detach_keys(a.detach_keys.as_deref())?;
    let c = store.resolve_container(&a.container)?;
    store.refuse_if_restarting(&c, "exec")?;
    if !c.is_running() {
        return Err(crate::engine::EngineError::NotRunning(c.id.clone()).into());
    }
    // Docker's daemon names the container as it was typed here.
    if c.is_paused() {
        return Err(crate::engine::EngineError::Paused {
            id: a.container.clone(),
            op: "exec".into(),
        }
        .into());
    }
    if a.tty && a.interactive && !stdin_is_tty() {
        return Err(Failure::new(t("err-not-a-tty", &[]), 1));
    }
    let mut env = c.config.env.clone();
    for e in &a.env {
        let key = e.split('=').next().unwrap_or(e);
        env.retain(|x| x.split('=').next() != Some(key));
        if e.contains('=') {
            env.push(e.clone());
        } else if let Ok(v) = std::env::var(key) {
            env.push(format!("{key}={v}"));
        }
    }
    let workdir = a
        .workdir
        .clone()
        .unwrap_or_else(|| c.config.workdir.clone());
    let user = a.user.clone().unwrap_or_else(|| c.config.user.clone());
    let request = Exec {
        pid: c.state.pid,
        argv: a.command.clone(),
        env,
        workdir,
        user,
        allow_mknod: false,
    };
    let argv = serde_json::to_string(&a.command).unwrap_or_default();
    store.emit(
        Event::container(Action::ExecStart, &c)
            .attr("execID", a.command.join(" "))
            .attr("gorae.cmd", argv.clone()),
    );
    // In the child, on failure: say it on the process's stdout, as Docker's daemon writes it
    // into the exec's output stream (with its "\r\n").
    let report = |failure: &runtime::InitFailure| {
        sys::write_all(1, format!("{}\r\n", exec_error(failure)).as_bytes());
    };
    let spawn_failed = |e: sys::SysError| Failure::new(e.to_string(), 126);
    let code = if a.tty && !a.detach {
        let _raw = a.interactive.then(RawMode::enter);
        let io = ExecIo::Tty {
            size: sys::window_size(0),
        };
        let Spawned {
            pid: child,
            pty_master,
            ..
        } = request.spawn(io, &report).map_err(spawn_failed)?;
        let Some(master) = pty_master else {
            return Err(Failure::new("exec: no terminal".to_string(), 126));
        };
        let input = a.interactive.then_some(master);
        relay_child(child, input, vec![(master, false)], Some(master), detach)
    } else if a.detach {
        request
            .spawn(ExecIo::Detached, &report)
            .map_err(spawn_failed)?;
        return Ok(0);
    } else {
        let io = ExecIo::Pipes {
            stdin: a.interactive,
        };
        let s = request.spawn(io, &report).map_err(spawn_failed)?;
        let outputs = [(s.stdout, false), (s.stderr, true)]
            .into_iter()
            .filter_map(|(fd, is_err)| Some((fd?, is_err)))
            .collect();
        relay_child(s.pid, s.stdin, outputs, None, detach)
    };
    store.emit(
        Event::container(Action::ExecDie, &c)
            .attr("exitCode", code.to_string())
            .attr("gorae.cmd", argv),
    );
    Ok(code)
}

fn exec_error(failure: &runtime::InitFailure) -> String {
    t(
        "err-exec-failed",
        &[("detail", &super::describe_init_failure(failure))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_parse_like_docker() {
        let mut d = DetachKeys::parse("ctrl-a,x").unwrap();
        assert_eq!(d.feed(b"ab\x01y\x01x"), (b"ab\x01y".to_vec(), true));
        let mut d = DetachKeys::parse("ctrl-@,ctrl-_").unwrap();
        assert_eq!(d.feed(&[0, 31]), (vec![], true));
        for bad in ["", "ctrl-", "ctrl-1", "ab", "ctrl-a,,x", "한"] {
            assert!(DetachKeys::parse(bad).is_err(), "{bad:?}");
        }
        // A held first key that turns out not to start the sequence is passed on.
        let mut d = DetachKeys::default();
        assert_eq!(d.feed(&[0x10, 0x10, 0x11]), (vec![0x10], true));
    }

    #[test]
    fn ctrl_p_ctrl_q_detaches_and_other_bytes_pass() {
        let mut d = DetachKeys::default();
        assert_eq!(d.feed(b"ls\r"), (b"ls\r".to_vec(), false));
        assert_eq!(d.feed(&[0x10, 0x11]), (vec![], true));
        let mut d = DetachKeys::default();
        assert_eq!(d.feed(&[0x10, b'a']), (vec![0x10, b'a'], false));
        // Split across reads.
        let mut d = DetachKeys::default();
        assert_eq!(d.feed(&[b'x', 0x10]), (vec![b'x'], false));
        assert_eq!(d.feed(&[0x11]), (vec![], true));
    }
}
