//! Headless replay: typing shell lines into a hidden PTY as a learner would, for "reset this
//! step" and for the course tests that run every lesson's solution through the real engine.
//!
//! After each line we wait for one of two things:
//! - the replay shell's prompt, recognised by a random marker in its PS1, or
//! - a program inside waiting for input (e.g. the shell of `docker run -it … bash`): a
//!   job other than our shell holds the terminal, its output has been quiet for a while,
//!   and the cursor sits after text on its line (a prompt).
//!
//! Lines typed while such a program runs go to it, which is the point: a solution like
//! `docker run -it --name box debian bash`, `echo hi > /root/hi.txt`, `exit` works.

use std::io::Read;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::TermError;
use super::pty::{self, Pty};
use super::sandbox::Sandbox;

/// How replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// How long one line may take before replay gives up on it.
    pub line_timeout: Duration,
    /// How long a program other than the shell must stay quiet, at a prompt-like line, to
    /// count as waiting for input.
    pub quiet: Duration,
    /// The hidden terminal's height.
    pub rows: u16,
    /// The hidden terminal's width (wide, so typed lines do not wrap).
    pub cols: u16,
    /// Working directory of the replay shell (the current one when `None`).
    pub cwd: Option<std::path::PathBuf>,
    /// Extra environment for the replay shell (e.g. `GORAE_ROOT` for a test store).
    pub env: Vec<(String, String)>,
    /// Run the replay shell as this user and group (tests replay as an unprivileged user).
    pub user: Option<(u32, u32)>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            line_timeout: Duration::from_secs(30),
            quiet: Duration::from_millis(300),
            rows: 50,
            cols: 200,
            cwd: None,
            env: Vec::new(),
            user: None,
        }
    }
}

/// How a replayed line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// The replay shell showed its prompt again.
    Prompt,
    /// A program inside (e.g. a container shell) is waiting for input.
    Waiting,
    /// The replay shell ended (the last line was e.g. `exit`).
    ShellExited,
}

/// One typed line and what it printed.
#[derive(Debug, Clone)]
pub struct ReplayStep {
    /// The line as typed.
    pub line: String,
    /// The output after typing it (echo included) as screen text, prompt markers removed.
    pub output: String,
    /// How the line ended.
    pub end: LineEnd,
}

/// The result of a replay: per-line output, the raw bytes, and the final screen.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// One entry per line, in order.
    pub steps: Vec<ReplayStep>,
    /// Everything the terminal received, escape sequences included.
    pub raw: Vec<u8>,
    /// The hidden terminal's screen at the end, as text.
    pub screen: String,
}

impl Transcript {
    /// All steps' output, one after another.
    pub fn text(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.output.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A random token for the prompt marker.
fn token() -> String {
    let mut bytes = [0u8; 8];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = ((nanos as u64) ^ (u64::from(std::process::id()) << 32)).to_le_bytes();
    }
    hex::encode(bytes)
}

/// `bytes` rendered as screen text (escape sequences applied, not shown).
fn render_text(bytes: &[u8], cols: u16, marker: &str) -> String {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    let rows = u16::try_from(lines + 2).unwrap_or(u16::MAX).min(2000);
    let mut p = vt100::Parser::new(
        std::num::NonZeroU16::new(rows).unwrap_or(std::num::NonZeroU16::MIN),
        std::num::NonZeroU16::new(cols).unwrap_or(std::num::NonZeroU16::MIN),
        0,
    );
    p.process(bytes);
    let text = p.screen().contents().replace(marker, "$ ");
    text.trim_end().to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

struct Session {
    pty: Pty,
    screen: vt100::Parser,
    raw: Vec<u8>,
    buf: Vec<u8>,
    closed: bool,
}

impl Session {
    /// Reads what is available within `wait`; returns whether anything came.
    fn pump(&mut self, wait: Duration) -> bool {
        if self.closed {
            std::thread::sleep(wait);
            return false;
        }
        let ms = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let ready = {
            let mut fds = [PollFd::new(self.pty.master().as_fd(), PollFlags::POLLIN)];
            matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
        };
        if !ready {
            if self.pty.has_exited() {
                self.closed = true;
            }
            return false;
        }
        match pty::read_master(self.pty.master(), &mut self.buf) {
            Ok(0) | Err(_) => {
                self.closed = true;
                false
            }
            Ok(n) => {
                self.screen.process(&self.buf[..n]);
                self.raw.extend_from_slice(&self.buf[..n]);
                true
            }
        }
    }

    /// Waits until the output from `from` on contains `marker` (prompt), or a program
    /// other than the shell is waiting for input, or the shell ended.
    fn wait_line(
        &mut self,
        from: usize,
        marker: &[u8],
        opts: &ReplayOptions,
        allow_waiting: bool,
        keys_next: bool,
        signal_keys_next: bool,
    ) -> Option<LineEnd> {
        let deadline = Instant::now() + opts.line_timeout;
        let mut last_output = Instant::now();
        let mut seen_output = false;
        loop {
            if contains(&self.raw[from..], marker) {
                return Some(LineEnd::Prompt);
            }
            if self.closed {
                return Some(LineEnd::ShellExited);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // Keys typed before raw mode could be lost (Ctrl-Q is XON then), so a key line
            // waits for it even at a prompt.
            let at_prompt =
                super::cursor_after_text(self.screen.screen()) && (!keys_next || self.pty.is_raw());
            if allow_waiting
                && seen_output
                && now.duration_since(last_output) >= opts.quiet
                && self.pty.foreground_group() != Some(self.pty.pid())
                && (at_prompt
                    // A quiet program in raw mode reads keys even without a prompt (e.g.
                    // `docker attach`, which may draw none). But a `docker run -it` whose
                    // container just exited also sits in raw mode, quiet, until its monitor
                    // reports the exit (slow on a loaded machine): give that longer.
                    || (self.pty.is_raw()
                        && now.duration_since(last_output) >= opts.quiet * 4)
                    // Signal keys for a quiet program that reads no input (Ctrl-C ending
                    // `docker logs -f`): the terminal's driver turns them into signals, so
                    // they need no raw mode. (Other keys, like Ctrl-P Ctrl-Q, do.)
                    || (signal_keys_next && now.duration_since(last_output) >= opts.quiet * 4))
            {
                return Some(LineEnd::Waiting);
            }
            let slice = (deadline - now).min(Duration::from_millis(20));
            if self.pump(slice) {
                last_output = Instant::now();
                seen_output = true;
            }
        }
    }

    fn screen_text(&self, marker: &str) -> String {
        self.screen
            .screen()
            .contents()
            .replace(marker, "$ ")
            .trim_end()
            .to_string()
    }
}

/// Runs shell lines headlessly, as a learner would type them, in a hidden PTY with the
/// sandbox's environment. Each line is typed, then replay waits for the shell's prompt or
/// for a program inside to wait for input (see the module docs). A line that does neither
/// within `opts.line_timeout` is an error naming it.
pub fn replay(
    sandbox: &Sandbox,
    lines: &[String],
    opts: &ReplayOptions,
) -> Result<Transcript, TermError> {
    replay_with(sandbox, lines, opts, &mut |_, _| {})
}

/// [`replay`], calling `after_line(index, step)` as each line finishes, while the session is
/// still open (the course tests check a step's state right after its last line, even when
/// the next line goes into a container shell the session keeps).
pub fn replay_with(
    sandbox: &Sandbox,
    lines: &[String],
    opts: &ReplayOptions,
    after_line: &mut dyn FnMut(usize, &ReplayStep),
) -> Result<Transcript, TermError> {
    let marker = format!("gorae-replay-{}$ ", token());
    let mut cmd = sandbox.replay_command(&marker);
    if let Some(dir) = &opts.cwd {
        cmd.current_dir(dir);
    }
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    if let Some((uid, gid)) = opts.user {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(gid);
    }
    let rows = opts.rows.max(2);
    let cols = opts.cols.max(20);
    let pty = Pty::spawn(cmd, rows, cols)?;
    let mut s = Session {
        pty,
        screen: vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap_or(std::num::NonZeroU16::MIN),
            std::num::NonZeroU16::new(cols).unwrap_or(std::num::NonZeroU16::MIN),
            0,
        ),
        raw: Vec::new(),
        buf: vec![0u8; 64 * 1024],
        closed: false,
    };
    let mbytes = marker.as_bytes();
    match s.wait_line(0, mbytes, opts, false, false, false) {
        Some(LineEnd::Prompt) => {}
        _ => {
            return Err(TermError::ReplayStart {
                secs: opts.line_timeout.as_secs(),
                output: render_text(&s.raw, cols, &marker),
            });
        }
    }
    let mut transcript = Transcript::default();
    for (i, line) in lines.iter().enumerate() {
        if s.closed {
            return Err(TermError::ReplayExited {
                line: line.clone(),
                output: s.screen_text(&marker),
            });
        }
        let from = s.raw.len();
        let typed = super::keys::solution_bytes(line);
        if s.pty.write(&typed).is_err() {
            s.closed = true;
            return Err(TermError::ReplayExited {
                line: line.clone(),
                output: s.screen_text(&marker),
            });
        }
        let next = lines.get(i + 1).map(|n| super::keys::solution_bytes(n));
        let keys_next = next.as_ref().is_some_and(|b| !b.ends_with(b"\r"));
        // Ctrl-C, Ctrl-\ and Ctrl-Z: what the terminal's driver makes signals of.
        let signal_keys_next = keys_next
            && next
                .as_ref()
                .is_some_and(|b| b.iter().all(|c| matches!(c, 0x03 | 0x1c | 0x1a)));
        let end = s.wait_line(from, mbytes, opts, true, keys_next, signal_keys_next);
        let output = render_text(&s.raw[from..], cols, &marker);
        match end {
            Some(LineEnd::ShellExited) if i + 1 < lines.len() => {
                return Err(TermError::ReplayExited {
                    line: line.clone(),
                    output,
                });
            }
            Some(end) => {
                let step = ReplayStep {
                    line: line.clone(),
                    output,
                    end,
                };
                after_line(i, &step);
                transcript.steps.push(step);
            }
            None => {
                return Err(TermError::ReplayTimeout {
                    line: line.clone(),
                    secs: opts.line_timeout.as_secs(),
                    output: s.screen_text(&marker),
                });
            }
        }
    }
    transcript.screen = s.screen_text(&marker);
    transcript.raw = std::mem::take(&mut s.raw);
    Ok(transcript)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str], opts: ReplayOptions) -> Result<Transcript, TermError> {
        let tmp = tempfile::tempdir().unwrap();
        let sb = Sandbox::prepare(tmp.path()).unwrap();
        let mut opts = opts;
        opts.cwd = Some(tmp.path().to_path_buf());
        opts.env
            .push(("HOME".into(), tmp.path().to_string_lossy().into_owned()));
        let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        replay(&sb, &lines, &opts)
    }

    fn lines_of(step: &ReplayStep) -> Vec<&str> {
        step.output.lines().map(str::trim_end).collect()
    }

    #[test]
    fn lines_run_in_one_shell_in_order() {
        let t = run(&["echo one", "x=2", "echo $x"], ReplayOptions::default()).unwrap();
        assert_eq!(t.steps.len(), 3);
        assert!(t.steps.iter().all(|s| s.end == LineEnd::Prompt));
        assert!(lines_of(&t.steps[0]).contains(&"one"), "{:?}", t.steps[0]);
        // The variable set by the second line is seen by the third.
        assert!(lines_of(&t.steps[2]).contains(&"2"), "{:?}", t.steps[2]);
        assert!(!t.text().contains("gorae-replay-"), "{}", t.text());
    }

    #[test]
    fn a_line_that_never_returns_times_out_naming_it() {
        let opts = ReplayOptions {
            line_timeout: Duration::from_secs(1),
            ..ReplayOptions::default()
        };
        let err = run(&["echo before", "sleep 100", "echo after"], opts).unwrap_err();
        match &err {
            TermError::ReplayTimeout { line, .. } => assert_eq!(line, "sleep 100"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(err.to_string().contains("sleep 100"));
    }

    #[test]
    fn lines_go_to_an_interactive_program_inside() {
        let t = run(
            &["sh", "echo inner", "exit", "echo outer"],
            ReplayOptions::default(),
        )
        .unwrap();
        let ends: Vec<LineEnd> = t.steps.iter().map(|s| s.end).collect();
        assert_eq!(
            ends,
            [
                LineEnd::Waiting,
                LineEnd::Waiting,
                LineEnd::Prompt,
                LineEnd::Prompt
            ]
        );
        assert!(lines_of(&t.steps[1]).contains(&"inner"), "{:?}", t.steps[1]);
        assert!(lines_of(&t.steps[3]).contains(&"outer"), "{:?}", t.steps[3]);
    }

    #[test]
    fn the_replay_shell_uses_our_docker() {
        let t = run(&["command -v docker"], ReplayOptions::default()).unwrap();
        assert!(
            t.steps[0].output.contains("/sandbox/bin/docker"),
            "{:?}",
            t.steps[0]
        );
    }
}
