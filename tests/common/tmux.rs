//! Driving the real `gorae` TUI inside a private tmux server: start it, read the screen, type.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server (its own socket) with one session, "gorae"; killed on drop.
pub struct Tmux {
    socket: String,
    /// The session's HOME unless the command sets its own: an empty one, so the sandbox
    /// shell sources no rc of the machine's user (root's `.bashrc` here runs `pyenv rehash`,
    /// which waits ~60 s on a lock a killed shell left behind).
    _home: tempfile::TempDir,
}

pub fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Tmux {
    /// Starts `cmd` (a shell command line) in a 160×45 session on a server named after
    /// `name` and this test process.
    pub fn start(name: &str, cmd: &str) -> Tmux {
        Tmux::start_sized(name, cmd, 160, 45)
    }

    /// Starts `cmd` in a `cols`×`rows` session.
    pub fn start_sized(name: &str, cmd: &str, cols: u16, rows: u16) -> Tmux {
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let tmux = Tmux {
            socket: format!("gorae-{name}-{}", std::process::id()),
            _home: tempfile::Builder::new()
                .prefix("gorae-tmux-home-")
                .tempdir()
                .expect("a temp home"),
        };
        let home = format!("HOME={}", tmux._home.path().display());
        let out = tmux.cmd(&[
            "-u",
            "new-session",
            "-e",
            &home,
            "-d",
            "-x",
            &cols,
            "-y",
            &rows,
            "-s",
            "gorae",
            cmd,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "gorae"]).stdout)
            .into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "gorae"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    pub fn literal(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "gorae", "-l", text]);
    }

    /// The pid of the process tmux started in the pane.
    pub fn pane_pid(&self) -> Option<i32> {
        let out = self.cmd(&["list-panes", "-t", "gorae", "-F", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Wait until the screen satisfies `ok`; the last screen either way.
    pub fn wait_for(&self, timeout: Duration, ok: impl Fn(&str) -> bool) -> (bool, String) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return (true, s);
            }
            if start.elapsed() > timeout {
                return (false, s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
        // A server that ended with its last session leaves its socket file behind.
        let dir = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        let socket = std::path::Path::new(&dir)
            .join(format!("tmux-{uid}"))
            .join(&self.socket);
        let _ = std::fs::remove_file(socket);
    }
}
