//! The real terminal in the right pane: a shell on a PTY, a vt100 emulator, its rendering,
//! key encoding, the sandbox the shell runs in, and headless replay of typed commands.
//!
//! Threads: [`Terminal::spawn`] starts a reader thread (blocking reads of the PTY, handed to
//! the app through `on_output`) and a writer thread (so a big paste never blocks the app
//! thread on a full PTY buffer). Everything else runs on the app thread and never blocks.
//! The reader stays at most [`MAX_BACKLOG`] bytes ahead of what the app has processed: a
//! program printing without end then waits on the PTY, as it would in a real terminal,
//! instead of piling output up in memory and keeping the screen busy long after Ctrl-C.

pub mod keys;
#[allow(unsafe_code)] // the PTY: forkpty-style setup and TIOCSWINSZ
pub mod pty;
pub mod reflow;
pub mod replay;
pub mod sandbox;
pub mod view;

use std::fs::File;
use std::io::Write;
use std::num::NonZeroU16;
use std::os::fd::AsFd;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::i18n::t;

pub use keys::{encode_key, encode_mouse};
pub use pty::Pty;
pub use replay::{ReplayOptions, ReplayStep, Transcript, replay};
pub use sandbox::{Sandbox, ShellKind};
pub use view::TerminalView;

/// Lines of scrollback kept for the terminal pane.
pub const SCROLLBACK_LINES: usize = 5000;

/// Output read from the PTY but not yet processed by the app, at most.
pub const MAX_BACKLOG: usize = 512 << 10;

/// Bytes handed to the app and not yet processed: the reader waits while there are too many.
#[derive(Default)]
struct Backlog {
    bytes: Mutex<usize>,
    drained: Condvar,
}

impl Backlog {
    fn add(&self, n: usize) {
        if let Ok(mut b) = self.bytes.lock() {
            *b += n;
        }
    }

    fn take(&self, n: usize) {
        if let Ok(mut b) = self.bytes.lock() {
            *b = b.saturating_sub(n);
        }
        self.drained.notify_all();
    }

    /// Wait until the app has caught up; false once nobody will ever process more (the
    /// Terminal is gone and only the reader holds the backlog).
    fn wait_room(self: &Arc<Self>) -> bool {
        let Ok(mut b) = self.bytes.lock() else {
            return false;
        };
        while *b > MAX_BACKLOG {
            if Arc::strong_count(self) == 1 {
                return false;
            }
            match self.drained.wait_timeout(b, Duration::from_millis(200)) {
                Ok((guard, _)) => b = guard,
                Err(_) => return false,
            }
        }
        true
    }
}

/// Errors of the terminal pane, the sandbox and replay. Messages come from the i18n catalogs.
#[derive(Debug, thiserror::Error)]
pub enum TermError {
    /// Opening or driving the pseudo-terminal failed.
    #[error("{}", t("term.err.pty", &[("detail", &.0.to_string())]))]
    Pty(#[source] std::io::Error),
    /// The program could not be started.
    #[error("{}", t("term.err.spawn", &[("program", program), ("detail", &source.to_string())]))]
    Spawn {
        /// The program that did not start.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A sandbox file could not be written.
    #[error("{}", t("term.err.io", &[("path", &path.display().to_string()), ("detail", &source.to_string())]))]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Our own executable could not be found (for the `docker` link).
    #[error("{}", t("term.err.exe", &[("detail", &.0.to_string())]))]
    CurrentExe(#[source] std::io::Error),
    /// Neither bash nor sh was found.
    #[error("{}", t("term.err.no_shell", &[]))]
    NoShell,
    /// Replay: the shell did not show its prompt when it started.
    #[error("{}", t("term.err.replay_start", &[("secs", &secs.to_string())]))]
    ReplayStart {
        /// The timeout, in seconds.
        secs: u64,
        /// What the hidden terminal showed.
        output: String,
    },
    /// Replay: a line neither returned to the prompt nor left a program waiting for input
    /// in time. `output` is what the screen showed.
    #[error("{}", t("term.err.replay_timeout", &[("line", line), ("secs", &secs.to_string())]))]
    ReplayTimeout {
        /// The line as typed.
        line: String,
        /// The timeout, in seconds.
        secs: u64,
        /// What the hidden terminal showed.
        output: String,
    },
    /// Replay: the shell ended while lines were still to be typed.
    #[error("{}", t("term.err.replay_exited", &[("line", line)]))]
    ReplayExited {
        /// The line that could not run.
        line: String,
        /// What the hidden terminal showed.
        output: String,
    },
}

/// vt100 callbacks: the window title, the prompt mark, and replies the program asked for.
#[derive(Default)]
struct Hooks {
    title: String,
    /// Replies to device status / attribute queries, to be written back to the program.
    replies: Vec<u8>,
    /// The shell drew its prompt (OSC 133;A in our PS1) since the last Enter.
    prompt_shown: bool,
}

impl vt100::Callbacks for Hooks {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = String::from_utf8_lossy(title).into_owned();
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        if params.first() == Some(&&b"133"[..]) && params.get(1) == Some(&&b"A"[..]) {
            self.prompt_shown = true;
        }
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            // Cursor position report (used by some shells and full-screen programs).
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            // Device status: OK.
            (None, 'n', 5) => self.replies.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes: a VT220-ish terminal, as vim and others ask.
            (None, 'c', 0) => self.replies.extend_from_slice(b"\x1b[?62;22c"),
            // Secondary device attributes.
            (Some(b'>'), 'c', 0) => self.replies.extend_from_slice(b"\x1b[>1;10;0c"),
            _ => {}
        }
    }
}

/// Whether the cursor sits after text on its line, as after a prompt (not at the start of
/// an empty line, as while a command runs).
pub(crate) fn cursor_after_text(screen: &vt100::Screen) -> bool {
    let (row, col) = screen.cursor_position();
    (0..col).any(|c| {
        screen
            .cell(row, c)
            .is_some_and(|cell| !cell.contents().trim().is_empty())
    })
}

/// A shell running on a PTY, with the emulator state of what it drew.
pub struct Terminal {
    parser: vt100::Parser<Hooks>,
    pty: Pty,
    writer: mpsc::Sender<Vec<u8>>,
    last_output: Instant,
    backlog: Arc<Backlog>,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

/// The reader thread: hands each chunk of output to `on_output` and calls `on_exit` once
/// when the terminal closes or the shell has ended (even if a background job it left
/// behind still holds the terminal open).
fn read_loop(
    mut master: File,
    pid: nix::unistd::Pid,
    backlog: Arc<Backlog>,
    on_output: impl Fn(Vec<u8>),
    on_exit: impl FnOnce(),
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut shell_gone = false;
    loop {
        if !backlog.wait_room() {
            break;
        }
        let timeout = if shell_gone {
            PollTimeout::ZERO
        } else {
            PollTimeout::from(250u16)
        };
        let ready = {
            let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(n) => n > 0,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            }
        };
        if !ready {
            if shell_gone {
                break;
            }
            shell_gone = pty::child_exited(pid);
            continue;
        }
        match pty::read_master(&mut master, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                backlog.add(n);
                on_output(buf[..n].to_vec());
            }
        }
    }
    on_exit();
}

impl Terminal {
    /// Spawns `cmd` on a PTY of `rows` x `cols`. A reader thread calls `on_output(bytes)`
    /// for each chunk read and `on_exit()` once when the shell ends; the app turns these
    /// into its own events and feeds the bytes back through [`Terminal::process`].
    pub fn spawn(
        cmd: Command,
        rows: u16,
        cols: u16,
        on_output: impl Fn(Vec<u8>) + Send + 'static,
        on_exit: impl FnOnce() + Send + 'static,
    ) -> Result<Terminal, TermError> {
        let pty = Pty::spawn(cmd, rows, cols)?;
        let reader = pty.clone_master()?;
        let mut write_end = pty.clone_master()?;
        let pid = pty.pid();
        let backlog = Arc::new(Backlog::default());
        let reader_backlog = backlog.clone();
        std::thread::Builder::new()
            .name("gorae-term-reader".into())
            .spawn(move || read_loop(reader, pid, reader_backlog, on_output, on_exit))
            .map_err(TermError::Pty)?;
        let (writer, inbox) = mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("gorae-term-writer".into())
            .spawn(move || {
                // Ends when the Terminal (the sender) is dropped or the PTY is gone.
                while let Ok(bytes) = inbox.recv() {
                    if write_end.write_all(&bytes).is_err() {
                        break;
                    }
                }
            })
            .map_err(TermError::Pty)?;
        Ok(Terminal {
            parser: vt100::Parser::new_with_callbacks(
                nz(rows),
                nz(cols),
                SCROLLBACK_LINES,
                Hooks::default(),
            ),
            pty,
            writer,
            last_output: Instant::now(),
            backlog,
        })
    }

    /// Feeds output from the shell into the emulator (on the app thread), and answers the
    /// queries in it (cursor position, device attributes).
    pub fn process(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
        self.backlog.take(bytes.len());
        self.last_output = Instant::now();
        let replies = std::mem::take(&mut self.parser.callbacks_mut().replies);
        if !replies.is_empty() {
            let _ = self.writer.send(replies);
        }
    }

    /// Sends bytes to the shell (keys already encoded). Returns the view to the live screen.
    pub fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.scroll_to_live();
        if bytes.iter().any(|&b| b == b'\r' || b == b'\n') {
            self.parser.callbacks_mut().prompt_shown = false;
        }
        let _ = self.writer.send(bytes.to_vec());
    }

    /// Pastes text: wrapped in bracketed-paste markers when the program asked for them
    /// (mode 2004, so a shell does not run pasted lines), else as typed. Line breaks are
    /// sent as `\r`, as a terminal does.
    pub fn paste(&mut self, text: &str) {
        let body = text.replace("\r\n", "\r").replace('\n', "\r");
        if self.parser.screen().bracketed_paste() {
            // An ESC inside would let the pasted text end the paste early.
            let body = body.replace('\x1b', "");
            let mut bytes = b"\x1b[200~".to_vec();
            bytes.extend_from_slice(body.as_bytes());
            bytes.extend_from_slice(b"\x1b[201~");
            self.scroll_to_live();
            let _ = self.writer.send(bytes);
        } else {
            self.write(body.as_bytes());
        }
    }

    /// Types a command followed by Enter, as the learner would.
    pub fn type_line(&mut self, line: &str) {
        let bytes = keys::solution_bytes(line);
        self.write(&bytes);
    }

    /// Resizes the emulator and the PTY (the program gets SIGWINCH). A new width re-wraps
    /// the main screen's lines ([`reflow`]); a full-screen program redraws its own.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (r, c) = self.parser.screen().size();
        if (r.get(), c.get()) == (rows.max(1), cols.max(1)) {
            return;
        }
        if c.get() != cols.max(1) && !self.parser.screen().alternate_screen() {
            self.parser = reflow::reflow(&mut self.parser, nz(rows), nz(cols), SCROLLBACK_LINES);
        } else {
            self.parser.screen_mut().set_size(nz(rows), nz(cols));
        }
        let _ = self.pty.resize(rows, cols);
    }

    /// Moves the view into the scrollback: positive `lines` go back in history, negative
    /// towards the live screen (0 lines back). Typing returns to the live screen.
    pub fn scroll(&mut self, lines: i32) {
        let current = self.parser.screen().scrollback() as i64;
        let target = (current + i64::from(lines)).max(0) as usize;
        self.parser.screen_mut().set_scrollback(target);
    }

    /// How many lines back in the scrollback the view is (0 = live).
    pub fn scrollback_offset(&self) -> usize {
        self.parser.screen().scrollback()
    }

    fn scroll_to_live(&mut self) {
        if self.parser.screen().scrollback() != 0 {
            self.parser.screen_mut().set_scrollback(0);
        }
    }

    /// The emulator screen, for drawing with [`TerminalView`] and for the mode flags
    /// (application cursor, bracketed paste, mouse protocol).
    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    /// Where to put the real cursor, as (row, col) inside the terminal area, so a Korean
    /// IME composes in place. `None` when the program hid the cursor or the view is
    /// scrolled back.
    pub fn cursor_position(&self) -> Option<(u16, u16)> {
        let screen = self.parser.screen();
        if screen.hide_cursor() || screen.scrollback() != 0 {
            return None;
        }
        let (row, col) = screen.cursor_position();
        let (rows, cols) = screen.size();
        Some((row.min(rows.get() - 1), col.min(cols.get() - 1)))
    }

    /// Whether the shell is idle at our prompt: it drew the sandbox prompt since the last
    /// Enter and no job holds the terminal (the shell itself is the foreground process
    /// group). False while a command or a container shell runs; see [`Terminal::idle_for`].
    pub fn at_prompt(&self) -> bool {
        self.parser.callbacks().prompt_shown
            && !self.parser.screen().alternate_screen()
            && self.pty.foreground_group() == Some(self.pty.pid())
    }

    /// How long since the last output: with [`Terminal::at_prompt`] false, a program that
    /// stays quiet for a few hundred milliseconds with a prompt-like line (e.g. a container
    /// shell) is waiting for input.
    pub fn idle_for(&self) -> Duration {
        self.last_output.elapsed()
    }

    /// Whether the next typed line would be read: the shell is at its prompt, or a program
    /// inside (e.g. a container's shell) holds the terminal, has been quiet for `quiet` and
    /// left the cursor after text on its line, as a prompt does. Demo mode types the next
    /// line when this holds, like [`replay`](replay::replay) does.
    pub fn ready_for_input(&self, quiet: Duration) -> bool {
        self.at_prompt()
            || (self.pty.foreground_group() != Some(self.pty.pid())
                && self.idle_for() >= quiet
                && cursor_after_text(self.parser.screen()))
    }

    /// The window title the program set (OSC 0/2), or empty.
    pub fn title(&self) -> String {
        self.parser.callbacks().title.clone()
    }

    /// The shell's exit status once it has ended (reaps it), without blocking.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.pty.try_wait().ok().flatten()
    }

    /// The shell's process id.
    pub fn pid(&self) -> u32 {
        self.pty.pid().as_raw() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Ev {
        Out(Vec<u8>),
        Exit,
    }

    /// A terminal whose reader thread reports into a channel, like the app's event loop.
    struct Harness {
        term: Terminal,
        rx: mpsc::Receiver<Ev>,
        exited: bool,
    }

    impl Harness {
        fn spawn(cmd: Command, rows: u16, cols: u16) -> Harness {
            let (tx, rx) = mpsc::channel();
            let tx2 = tx.clone();
            let term = Terminal::spawn(
                cmd,
                rows,
                cols,
                move |b| {
                    let _ = tx.send(Ev::Out(b));
                },
                move || {
                    let _ = tx2.send(Ev::Exit);
                },
            )
            .expect("spawn");
            Harness {
                term,
                rx,
                exited: false,
            }
        }

        /// Feeds output until `done(screen text)` holds; panics with the screen after 10 s.
        fn until(&mut self, what: &str, done: impl Fn(&Terminal, &str) -> bool) {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let text = self.term.screen().contents();
                if done(&self.term, &text) {
                    return;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                assert!(!left.is_zero(), "waiting for {what}; screen:\n{text}");
                match self.rx.recv_timeout(left.min(Duration::from_millis(50))) {
                    Ok(Ev::Out(b)) => self.term.process(&b),
                    Ok(Ev::Exit) => self.exited = true,
                    Err(_) => {}
                }
            }
        }

        fn until_text(&mut self, needle: &str) {
            self.until(needle, |_, text| text.contains(needle));
        }

        fn wait_exit(&mut self) {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !self.exited && Instant::now() < deadline {
                match self.rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(Ev::Out(b)) => self.term.process(&b),
                    Ok(Ev::Exit) => self.exited = true,
                    Err(_) => {}
                }
            }
            assert!(self.exited, "on_exit was not called");
        }
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn shell_sees_its_size_and_input_and_on_exit_fires() {
        let mut h = Harness::spawn(sh("stty size; read x; echo got:$x"), 30, 100);
        h.until_text("30 100");
        h.term.write(b"hi\r");
        h.until_text("got:hi");
        h.wait_exit();
        // The exit status is collected (no zombie left behind).
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut status = None;
        while status.is_none() && Instant::now() < deadline {
            status = h.term.exit_status();
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(status.is_some_and(|s| s.success()));
    }

    #[test]
    fn resize_reaches_the_program() {
        let mut h = Harness::spawn(sh("stty size; read x; stty size; read y"), 30, 100);
        h.until_text("30 100");
        h.term.resize(20, 50);
        h.term.write(b"\r");
        h.until_text("20 50");
        assert_eq!(h.term.screen().size().0.get(), 20);
        assert_eq!(h.term.screen().size().1.get(), 50);
    }

    #[test]
    fn cursor_position_queries_are_answered() {
        // A program asks where the cursor is (ESC [ 6 n) and reads the reply from its input.
        let mut h = Harness::spawn(
            sh(
                r#"stty raw -echo; printf 'ab\033[6n'; r=$(dd bs=1 count=6 2>/dev/null); stty sane; printf '\nreply:%s\n' "$r" | tr '\033' E"#,
            ),
            10,
            40,
        );
        h.until_text("reply:E[1;3R");
    }

    #[test]
    fn hangul_output_lands_in_wide_cells_and_cursor_follows() {
        let mut h = Harness::spawn(sh("printf '한글ab'; read x"), 5, 20);
        h.until_text("한글ab");
        let screen = h.term.screen();
        assert!(
            screen
                .cell(0, 0)
                .is_some_and(|c| c.is_wide() && c.contents() == "한")
        );
        assert_eq!(
            screen.cell(0, 4).map(|c| c.contents().to_string()),
            Some("a".into())
        );
        assert_eq!(h.term.cursor_position(), Some((0, 6)));
    }

    #[test]
    fn paste_is_bracketed_only_when_asked_for() {
        let script = r#"stty raw -echo; echo ready; r=$(dd bs=1 count=5 2>/dev/null); printf '\033[?2004h'; s=$(dd bs=1 count=15 2>/dev/null); stty sane; printf '\nplain:%s\nbracketed:%s\n' "$r" "$s" | tr '\033\r' E/"#;
        let mut h = Harness::spawn(sh(script), 10, 60);
        // The program reads raw bytes once it is in raw mode.
        h.until_text("ready");
        h.term.paste("ab\ncd");
        h.until("bracketed paste mode", |t, _| t.screen().bracketed_paste());
        h.term.paste("x\ny");
        h.until_text("bracketed:");
        let text = h.term.screen().contents();
        assert!(text.contains("plain:ab/cd"), "{text}");
        assert!(text.contains("bracketed:E[200~x/yE[201~"), "{text}");
    }

    #[test]
    fn scrollback_view_and_typing_returns_to_live() {
        let mut h = Harness::spawn(sh("seq 1 50; read x"), 10, 20);
        h.until_text("50");
        h.term.scroll(5);
        assert_eq!(h.term.scrollback_offset(), 5);
        assert_eq!(h.term.cursor_position(), None);
        assert_eq!(h.term.screen().contents().lines().next(), Some("37"));
        assert!(!h.term.screen().contents().contains("50"));
        h.term.scroll(-2);
        assert_eq!(h.term.scrollback_offset(), 3);
        h.term.scroll(-10);
        assert_eq!(h.term.scrollback_offset(), 0);
        h.term.scroll(3);
        h.term.write(b"x");
        assert_eq!(h.term.scrollback_offset(), 0);
    }

    #[test]
    fn title_is_kept() {
        let mut h = Harness::spawn(sh(r"printf '\033]0;hello 고래\007ok'; read x"), 5, 20);
        h.until_text("ok");
        assert_eq!(h.term.title(), "hello 고래");
    }

    #[test]
    fn sandbox_shell_finds_our_docker_and_shows_its_prompt() {
        let tmp = tempfile::tempdir().unwrap();
        let sb = Sandbox::prepare(tmp.path()).unwrap();
        let mut cmd = sb.command();
        cmd.env("HOME", tmp.path()).current_dir(tmp.path());
        let mut h = Harness::spawn(cmd, 24, 200);
        h.until("prompt", |t, _| t.at_prompt());
        assert!(h.term.screen().contents().contains("gorae"));
        h.term
            .type_line("command -v docker; echo GORAE_SANDBOX=$GORAE_SANDBOX");
        assert!(!h.term.at_prompt());
        let link = sb.bin_dir.join("docker");
        let link = link.to_string_lossy().into_owned();
        h.until_text("GORAE_SANDBOX=1");
        let text = h.term.screen().contents();
        assert!(
            text.lines().any(|l| l.trim_end() == link),
            "`command -v docker` is not {link}:\n{text}"
        );
        h.until("prompt again", |t, _| t.at_prompt());
        // A foreground job is not "at the prompt", even when it is quiet.
        h.term.type_line("sleep 5");
        h.until("sleep running", |t, text| {
            text.contains("sleep 5") && t.idle_for() > Duration::from_millis(200)
        });
        assert!(!h.term.at_prompt());
        assert!(!h.term.ready_for_input(Duration::from_millis(100)));
        h.term.write(b"\x03");
        h.until("prompt after Ctrl-C", |t, _| t.at_prompt());
        // A shell inside waits for input without being our prompt.
        h.term.type_line("sh");
        h.until("inner shell waiting", |t, _| {
            t.ready_for_input(Duration::from_millis(300))
        });
        assert!(!h.term.at_prompt());
        h.term.type_line("exit");
        h.until("our prompt after exit", |t, _| t.at_prompt());
    }
}
