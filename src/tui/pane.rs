//! What the terminal pane does itself instead of passing it to the shell, so it feels like a
//! terminal: the scrollback (Shift-PgUp/PgDn, Shift-↑/↓, the wheel), selecting text with the
//! mouse and copying it (OSC 52, as xterm does on release), giving the mouse back to the outer
//! terminal (Alt-M), the pane's width (Alt-←/→, kept in `settings.toml`), and which keys
//! switch panes. A full-screen program (the alternate screen: nano, vim, less) keeps its keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::event::Effect;
use super::keys_api::encode_key;
use super::layout;
use super::model::{App, Focus, MsgKind, Selection};
use super::settings::{
    SECOND_SWITCH_KEY, SwitchKey, TERMINAL_SHARE_MAX, TERMINAL_SHARE_MIN, TERMINAL_SHARE_STEP,
};
use crate::i18n::t;

/// The key that gives the mouse back to the outer terminal, and takes it again, as the help
/// and messages name it. (F12 is the classroom's; F11 is full screen in most terminals.)
pub const MOUSE_KEY: &str = "Alt-M";

/// Alt-M, or Alt-ㅡ (the M key with the Korean 2-set layout on), in either pane.
pub fn is_mouse_key(k: &KeyEvent) -> bool {
    k.modifiers == KeyModifiers::ALT && matches!(k.code, KeyCode::Char('m' | 'M' | 'ㅡ'))
}
/// Lines one wheel notch scrolls.
const WHEEL_LINES: i32 = 3;

impl App {
    /// Whether `k` switches between the terminal and the lesson pane: Ctrl-] always, and the
    /// switch key (Ctrl-G unless configured) except while a full-screen program in the
    /// focused terminal owns it (Ctrl-G is nano's help).
    pub(super) fn is_switch_key(&self, k: &KeyEvent) -> bool {
        SECOND_SWITCH_KEY.matches(k)
            || (self.settings.switch_key.matches(k) && !self.key_is_programs())
    }

    /// The switch key that works now, for the status line.
    pub fn switch_key_now(&self) -> SwitchKey {
        if self.key_is_programs() {
            SECOND_SWITCH_KEY
        } else {
            self.settings.switch_key
        }
    }

    fn key_is_programs(&self) -> bool {
        self.focus == Focus::Terminal && self.full_screen()
    }

    fn full_screen(&self) -> bool {
        self.shell.as_ref().is_some_and(|s| s.full_screen())
    }

    /// Keys the focused terminal pane keeps: the scrollback keys (unless a full-screen
    /// program runs: it has no scrollback and its own use for them) and Alt-←/→ for the
    /// pane's width. True when `k` was one of them.
    pub(super) fn pane_key(&mut self, k: &KeyEvent) -> bool {
        let m = k.modifiers;
        if m == KeyModifiers::ALT && matches!(k.code, KeyCode::Left | KeyCode::Right) {
            let step = TERMINAL_SHARE_STEP as i16;
            self.widen(if k.code == KeyCode::Left { step } else { -step });
            return true;
        }
        if m != KeyModifiers::SHIFT || self.full_screen() {
            return false;
        }
        let page = layout::layout(self)
            .terminal
            .map_or(1, |r| i32::from(r.height.saturating_sub(1).max(1)));
        let lines = match k.code {
            KeyCode::PageUp => page,
            KeyCode::PageDown => -page,
            KeyCode::Up => 1,
            KeyCode::Down => -1,
            _ => return false,
        };
        self.scroll_terminal(lines);
        true
    }

    fn scroll_terminal(&mut self, lines: i32) {
        if let Some(sh) = self.shell.as_mut() {
            sh.scroll(lines);
        }
        // The selection was of what the view showed.
        self.selection = None;
    }

    /// The mouse in the terminal pane when the program there did not ask for it: the left
    /// button selects (copied on release), the wheel scrolls the scrollback, or, in a
    /// full-screen program, sends ↑/↓ as xterm's "alternate scroll" does (less, man).
    /// `None` when this is not the pane's event.
    pub(super) fn pane_mouse(&mut self, m: &MouseEvent, pane: Rect, over: bool) -> Option<bool> {
        let row = m.row.clamp(pane.y, pane.y + pane.height.max(1) - 1) - pane.y;
        let col = m.column.clamp(pane.x, pane.x + pane.width.max(1) - 1) - pane.x;
        let dragging = self.selection.is_some_and(|s| !s.done);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) if over => {
                self.selection = Some(Selection {
                    anchor: (row, col),
                    head: (row, col),
                    done: false,
                });
                self.focus = Focus::Terminal;
                Some(true)
            }
            MouseEventKind::Drag(MouseButton::Left) if dragging => {
                if let Some(s) = self.selection.as_mut() {
                    s.head = (row, col);
                }
                Some(true)
            }
            MouseEventKind::Up(MouseButton::Left) if dragging => {
                self.copy_selection((row, col));
                Some(true)
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown if over => {
                let up = m.kind == MouseEventKind::ScrollUp;
                if self.full_screen() {
                    let code = if up { KeyCode::Up } else { KeyCode::Down };
                    if let Some(sh) = self.shell.as_mut() {
                        let arrow = encode_key(&KeyEvent::from(code), sh.application_cursor());
                        sh.write(&arrow.repeat(WHEEL_LINES as usize));
                    }
                } else {
                    self.scroll_terminal(if up { WHEEL_LINES } else { -WHEEL_LINES });
                }
                Some(true)
            }
            _ => None,
        }
    }

    /// The button went up at `head`: a click (nothing dragged) clears the selection, a drag
    /// copies what it covers and keeps it highlighted until the next key or click.
    fn copy_selection(&mut self, head: (u16, u16)) {
        let Some(mut sel) = self.selection.take() else {
            return;
        };
        sel.head = head;
        sel.done = true;
        if sel.anchor == sel.head {
            return;
        }
        let (from, to) = sel.span();
        let text = self
            .shell
            .as_ref()
            .map(|s| s.text(from, to))
            .unwrap_or_default();
        self.selection = Some(sel);
        if text.trim().is_empty() {
            return;
        }
        let n = text.chars().count();
        self.effects.push(Effect::Copy(text));
        self.say(
            MsgKind::Info,
            t("tui_copied", &[("n", &n.to_string()), ("key", MOUSE_KEY)]),
        );
    }

    /// Alt-M: give the mouse to the outer terminal (its own selection and copy work, across
    /// both panes), or take it back.
    pub(super) fn toggle_mouse(&mut self) {
        self.mouse_released = !self.mouse_released;
        self.selection = None;
        self.effects
            .push(Effect::MouseCapture(!self.mouse_released));
        let msg = if self.mouse_released {
            "tui_mouse_released"
        } else {
            "tui_mouse_taken"
        };
        self.say(MsgKind::Info, t(msg, &[("key", MOUSE_KEY)]));
    }

    /// Alt-←/→: the terminal pane takes `delta` percent more of a side-by-side screen;
    /// remembered in `settings.toml`.
    fn widen(&mut self, delta: i16) {
        if self.size.0 < layout::SIDE_BY_SIDE {
            let min = layout::SIDE_BY_SIDE.to_string();
            self.say(MsgKind::Info, t("tui_width_stacked", &[("min", &min)]));
            return;
        }
        let old = self.settings.terminal_share;
        let new = (old as i16 + delta).clamp(TERMINAL_SHARE_MIN as i16, TERMINAL_SHARE_MAX as i16);
        self.settings.terminal_share = new as u16;
        self.resize_shell();
        let pct = new.to_string();
        match self.settings.save_share() {
            Ok(()) if new as u16 == old => {
                self.say(MsgKind::Info, t("tui_width_limit", &[("pct", &pct)]))
            }
            Ok(()) => self.say(MsgKind::Info, t("tui_width", &[("pct", &pct)])),
            Err(e) => self.say(
                MsgKind::Warn,
                t("tui_width_not_saved", &[("pct", &pct), ("error", &e)]),
            ),
        }
    }
}
