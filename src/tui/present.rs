//! Showing and typing a step's solution (F3, F4), and demo mode's pace: a presenter's key
//! types the next command, the next press runs it, Esc stops it, + and - change the speed.
//! The app's other behaviour is in `app.rs`.

use std::time::Duration;

use crossterm::event::KeyCode;

use super::keys_api::solution_bytes;
use super::model::{App, Focus, MsgKind, PROMPT_CHECK_INTERVAL, Typing, is_reading};
use crate::i18n::t;

/// Ctrl-E then Ctrl-U: to the end of the line, then erase it (readline, busybox and most line
/// editors), so a half-typed `dock` does not become `dockdocker …`.
const CLEAR_LINE: &[u8] = b"\x05\x15";

/// The presenter's speeds, milliseconds per character, slowest last.
const PACES: [u64; 7] = [15, 25, 45, 70, 110, 170, 250];

impl App {
    /// Time between ticks while something animates; None when idle (the loop then blocks),
    /// also while a typed command waits for the presenter's key.
    pub fn tick_interval(&self) -> Option<Duration> {
        match &self.typing {
            Some(t) if t.waiting => Some(PROMPT_CHECK_INTERVAL),
            Some(t) if !t.held => Some(self.pace),
            _ => None,
        }
    }

    pub(super) fn tick(&mut self) -> bool {
        let Some(typing) = self.typing.as_mut() else {
            return false;
        };
        if typing.waiting {
            if self.shell.as_ref().is_some_and(|s| s.at_prompt()) {
                self.typing = None;
                return true;
            }
            return false;
        }
        if typing.held {
            return false;
        }
        let mut bytes = Vec::new();
        if let Some(c) = typing.chars.get(typing.pos) {
            let mut b = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            typing.pos += 1;
        }
        let typed = typing.pos >= typing.chars.len();
        if typed {
            typing.held = true;
        }
        if let Some(sh) = self.shell.as_mut() {
            sh.write(&bytes);
        }
        if typed {
            self.say_held();
        }
        true
    }

    /// A typed command waits: which one of how many, and the keys.
    fn say_held(&mut self) {
        let total = self.current_step().map_or(0, |s| s.commands().len());
        let n = self.aid.solution_typed.to_string();
        let text = t("tui_demo_held", &[("n", &n), ("total", &total.to_string())]);
        self.say(MsgKind::Info, text);
    }

    /// F3: the solution as the shell lines it is (a here-document keeps its lines).
    pub(super) fn show_solution(&mut self) {
        let Some(step) = self.current_step() else {
            return;
        };
        if step.solution.is_empty() {
            self.say(MsgKind::Info, t(nothing_key(step), &[]));
            return;
        }
        let text = format!("\n{}", step.solution.join("\n"));
        self.aid.solution_shown = true;
        self.class_send(crate::classroom::protocol::Kind::Solution);
        self.say(MsgKind::Hint, t("tui_solution", &[("text", &text)]));
        self.lesson_scroll = None;
    }

    /// F4: type the next command of the solution into the terminal, over whatever is on the
    /// prompt: at once, or at the presenter's pace in demo mode.
    pub(super) fn type_solution(&mut self) {
        if !self.shell_alive {
            return;
        }
        if self.demo {
            self.present_next();
            return;
        }
        let Some(step) = self.current_step() else {
            return;
        };
        let cmds = step.commands();
        if cmds.is_empty() {
            self.say(MsgKind::Info, t(nothing_key(step), &[]));
            return;
        }
        let i = self.aid.solution_typed;
        let Some(cmd) = cmds.get(i) else {
            // Typed them all and the step is not done: the next F4 starts again.
            self.aid.solution_typed = 0;
            let total = cmds.len().to_string();
            self.say(MsgKind::Info, t("tui_typed_all", &[("total", &total)]));
            return;
        };
        if let Some(sh) = self.shell.as_mut() {
            sh.write(CLEAR_LINE);
            for line in cmd {
                sh.type_line(line);
            }
        }
        self.aid.solution_typed = i + 1;
        self.focus = Focus::Terminal;
        self.say(MsgKind::Info, typed_message(i + 1, cmds.len()));
    }

    /// The presenter's one key (Space, Enter, F4): run what is typed, or type the next
    /// command, or, once the step is done, move on.
    fn present_next(&mut self) {
        if let Some(typing) = self.typing.as_mut() {
            if typing.held {
                typing.held = false;
                typing.waiting = true;
                if let Some(sh) = self.shell.as_mut() {
                    sh.write(b"\r");
                }
                self.message = None;
                return;
            }
            if !typing.waiting {
                // Still typing: the rest at once, then wait for the key that runs it.
                let rest: String = typing.chars[typing.pos..].iter().collect();
                typing.pos = typing.chars.len();
                typing.held = true;
                if let Some(sh) = self.shell.as_mut() {
                    sh.write(rest.as_bytes());
                }
                self.say_held();
                return;
            }
            // Waiting for a prompt that may never look like ours (a container's shell): go on.
        }
        self.typing = None;
        let Some(step) = self.current_step() else {
            self.next_lesson();
            return;
        };
        let done = self.current_lesson().is_some_and(|l| self.is_done(l, step));
        let cmds = step.commands();
        let i = self.aid.solution_typed;
        // A reading step's commands (files to write) are typed too, then the key moves on.
        if done || cmds.is_empty() || (is_reading(step) && i >= cmds.len()) {
            self.next_step();
            return;
        }
        let Some(cmd) = cmds.get(i) else {
            self.aid.solution_typed = 0;
            let total = cmds.len().to_string();
            self.say(MsgKind::Info, t("tui_demo_typed_all", &[("total", &total)]));
            return;
        };
        self.aid.solution_typed = i + 1;
        let keys = solution_bytes(&cmd[0]);
        let Some(sh) = self.shell.as_mut() else {
            return;
        };
        sh.write(CLEAR_LINE);
        if cmd.len() == 1 && keys.last() != Some(&b'\r') {
            // Keys such as Ctrl-P Ctrl-Q: nothing to read, sent as they are.
            sh.write(&keys);
            self.typing = Some(Typing {
                chars: Vec::new(),
                pos: 0,
                waiting: true,
                held: false,
            });
        } else {
            self.typing = Some(Typing {
                chars: cmd.join("\r").chars().collect(),
                pos: 0,
                waiting: false,
                held: false,
            });
        }
        self.say(MsgKind::Info, typed_message(i + 1, cmds.len()));
    }

    /// Demo mode's keys in the lesson pane; false when `code` is not one of them.
    pub(super) fn presenter_key(&mut self, code: KeyCode) -> bool {
        match code {
            KeyCode::Char(' ') | KeyCode::Enter => self.type_solution(),
            KeyCode::Esc if self.typing.as_ref().is_some_and(|t| !t.waiting) => {
                // Stop typing and take the half-typed line back: the same key types it again.
                self.typing = None;
                self.aid.solution_typed = self.aid.solution_typed.saturating_sub(1);
                if let Some(sh) = self.shell.as_mut() {
                    sh.write(CLEAR_LINE);
                }
                self.say(MsgKind::Info, t("tui_demo_stopped", &[]));
            }
            KeyCode::Char(c @ ('+' | '=' | '-' | '_')) => {
                let now = self.pace.as_millis() as u64;
                let at = PACES
                    .iter()
                    .position(|&p| p >= now)
                    .unwrap_or(PACES.len() - 1);
                let next = if matches!(c, '+' | '=') {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(PACES.len() - 1)
                };
                self.pace = Duration::from_millis(PACES[next]);
                let level = (PACES.len() - next).to_string();
                let max = PACES.len().to_string();
                self.say(
                    MsgKind::Info,
                    t("tui_demo_pace", &[("level", &level), ("max", &max)]),
                );
            }
            _ => return false,
        }
        true
    }

    pub(super) fn toggle_demo(&mut self) {
        self.demo = !self.demo;
        self.theme.demo = self.demo;
        self.typing = None;
        let key = if self.demo {
            // The presenter's keys work where the focus lands.
            self.focus = Focus::Lesson;
            "tui_demo_on"
        } else {
            "tui_demo_off"
        };
        self.say(MsgKind::Info, t(key, &[]));
        self.resize_shell();
    }
}

/// Why F3/F4 have nothing: a reading step is read, a checked one has no solution written.
fn nothing_key(step: &super::course_api::Step) -> &'static str {
    if is_reading(step) {
        "tui_reading_step"
    } else {
        "tui_no_solution"
    }
}

fn typed_message(n: usize, total: usize) -> String {
    t(
        "tui_typed",
        &[
            ("n", &n.to_string()),
            ("total", &total.to_string()),
            ("left", &(total - n).to_string()),
        ],
    )
}
