//! The learner's settings, `<state dir>/settings.toml` beside `progress.toml`:
//!
//! ```toml
//! switch_key = "ctrl-t"   # the key that switches between the terminal and the lesson pane
//! terminal_width = 60     # the terminal pane's share of a wide screen, in percent
//! ```
//!
//! `--switch-key` overrides the file for one run. gorae writes `terminal_width` when the
//! learner widens the pane (Alt-←/→) and keeps whatever else the file holds.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::t;

/// The terminal pane's share of the width (side by side) by default, and its bounds.
pub const TERMINAL_SHARE_DEFAULT: u16 = 55;
pub const TERMINAL_SHARE_MIN: u16 = 30;
pub const TERMINAL_SHARE_MAX: u16 = 80;
/// One Alt-←/→ press.
pub const TERMINAL_SHARE_STEP: u16 = 5;

/// A key that switches panes: Ctrl with a letter or punctuation, or F11 (F12 is the classroom's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchKey {
    Ctrl(char),
    F(u8),
}

/// The second switch key, always there: Ctrl-] (telnet's escape; no shell line editor binds
/// it), also where the primary one belongs to a full-screen program (Ctrl-G is nano's help).
pub const SECOND_SWITCH_KEY: SwitchKey = SwitchKey::Ctrl(']');

impl Default for SwitchKey {
    fn default() -> Self {
        SwitchKey::Ctrl('g')
    }
}

impl SwitchKey {
    /// `ctrl-g`, `Ctrl+]`, `C-t`, `^t`, `f11`: case and separator do not matter. Refused:
    /// keys a shell cannot do without (Ctrl-C, -D, -Z, -M Enter, -I Tab, -H Backspace, -J,
    /// -[ Esc, -S/-Q flow control) and F1–F10, which are gorae's.
    pub fn parse(spec: &str) -> Result<SwitchKey, String> {
        let s = spec.trim().to_lowercase();
        let bad = || t("tui_bad_switch_key", &[("key", spec)]);
        if let Some(n) = s.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            return match n {
                11 => Ok(SwitchKey::F(n)),
                1..=10 | 12 => Err(t("tui_switch_key_taken", &[("key", spec)])),
                _ => Err(bad()),
            };
        }
        let rest = ["ctrl-", "ctrl+", "c-", "^"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .ok_or_else(bad)?;
        let mut chars = rest.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(bad());
        };
        if super::term::keys::control_byte(c).is_none() || c.is_ascii_digit() {
            return Err(bad());
        }
        if matches!(c, 'c' | 'd' | 'z' | 'm' | 'i' | 'h' | 'j' | '[' | 's' | 'q') {
            return Err(t("tui_switch_key_needed", &[("key", spec)]));
        }
        Ok(SwitchKey::Ctrl(c))
    }

    /// Whether `k` is this key. Ctrl+punctuation arrives from a legacy terminal as the
    /// control byte's other name (Ctrl-] as Ctrl-5): both names of one byte match.
    pub fn matches(self, k: &KeyEvent) -> bool {
        match (self, k.code) {
            (SwitchKey::F(n), KeyCode::F(m)) => n == m,
            (SwitchKey::Ctrl(c), KeyCode::Char(e))
                if k.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                use super::term::keys::control_byte;
                control_byte(e.to_ascii_lowercase()).is_some_and(|b| Some(b) == control_byte(c))
            }
            _ => false,
        }
    }

    /// As the help writes it: `Ctrl-G`, `F11`.
    pub fn label(self) -> String {
        match self {
            SwitchKey::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            SwitchKey::F(n) => format!("F{n}"),
        }
    }

    /// As the status line writes it: `^G`, `F11`.
    pub fn short(self) -> String {
        match self {
            SwitchKey::Ctrl(c) => format!("^{}", c.to_ascii_uppercase()),
            SwitchKey::F(n) => format!("F{n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub switch_key: SwitchKey,
    /// The terminal pane's share of a side-by-side screen, in percent.
    pub terminal_share: u16,
    /// Where they were read from and are saved (None: not saved, e.g. in tests).
    pub path: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            switch_key: SwitchKey::default(),
            terminal_share: TERMINAL_SHARE_DEFAULT,
            path: None,
        }
    }
}

impl Settings {
    pub fn file(state_dir: &Path) -> PathBuf {
        state_dir.join("settings.toml")
    }

    /// The settings in `state_dir`; no file means the defaults. A file that cannot be read
    /// or holds a bad value gives the defaults for what is bad and a message saying so.
    pub fn load(state_dir: &Path) -> (Settings, Option<String>) {
        let path = Self::file(state_dir);
        let mut s = Settings {
            path: Some(path.clone()),
            ..Settings::default()
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (s, None),
            Err(e) => return (s, Some(problem(&path, &e.to_string()))),
        };
        let table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => return (s, Some(problem(&path, e.message()))),
        };
        let mut problems = Vec::new();
        match table.get("switch_key") {
            None => {}
            Some(toml::Value::String(k)) => match SwitchKey::parse(k) {
                Ok(k) => s.switch_key = k,
                Err(e) => problems.push(e),
            },
            Some(v) => problems.push(t("tui_bad_switch_key", &[("key", &v.to_string())])),
        }
        match table.get("terminal_width") {
            None => {}
            Some(toml::Value::Integer(n))
                if (i64::from(TERMINAL_SHARE_MIN)..=i64::from(TERMINAL_SHARE_MAX)).contains(n) =>
            {
                s.terminal_share = *n as u16;
            }
            Some(v) => problems.push(t(
                "tui_bad_terminal_width",
                &[
                    ("value", &v.to_string()),
                    ("min", &TERMINAL_SHARE_MIN.to_string()),
                    ("max", &TERMINAL_SHARE_MAX.to_string()),
                ],
            )),
        }
        let msg = (!problems.is_empty()).then(|| problem(&path, &problems.join("; ")));
        (s, msg)
    }

    /// Writes `terminal_width` (atomically, keeping the file's other keys).
    pub fn save_share(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut table = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.parse::<toml::Table>().ok())
            .unwrap_or_default();
        table.insert(
            "terminal_width".into(),
            toml::Value::Integer(i64::from(self.terminal_share)),
        );
        let text = toml::to_string(&table).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            e.to_string()
        })
    }
}

fn problem(path: &Path, detail: &str) -> String {
    t(
        "tui_settings_problem",
        &[("path", &path.display().to_string()), ("detail", detail)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn switch_keys_parse_and_match_both_names_of_a_control_byte() {
        assert_eq!(SwitchKey::parse("ctrl-t"), Ok(SwitchKey::Ctrl('t')));
        assert_eq!(SwitchKey::parse("Ctrl+]"), Ok(SwitchKey::Ctrl(']')));
        assert_eq!(SwitchKey::parse("^G"), Ok(SwitchKey::Ctrl('g')));
        assert_eq!(SwitchKey::parse("F11"), Ok(SwitchKey::F(11)));
        for bad in [
            "ctrl-c", "ctrl-d", "ctrl-z", "f5", "f12", "ctrl-", "x", "ctrl-tt", "ctrl-5",
        ] {
            assert!(SwitchKey::parse(bad).is_err(), "{bad}");
        }
        let k = SwitchKey::Ctrl(']');
        assert!(k.matches(&ctrl(']')));
        assert!(k.matches(&ctrl('5')));
        assert!(!k.matches(&ctrl('g')));
        assert!(SwitchKey::Ctrl('t').matches(&ctrl('T')));
        assert!(
            !SwitchKey::Ctrl('t').matches(&KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE))
        );
        assert_eq!(SwitchKey::Ctrl(']').short(), "^]");
        assert_eq!(SwitchKey::Ctrl('g').label(), "Ctrl-G");
    }

    #[test]
    fn settings_load_save_and_keep_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (s, msg) = Settings::load(dir.path());
        assert_eq!(
            (s.switch_key, s.terminal_share, msg),
            (SwitchKey::Ctrl('g'), 55, None)
        );
        std::fs::write(
            Settings::file(dir.path()),
            "switch_key = \"ctrl-t\"\nterminal_width = 70\nmine = 1\n",
        )
        .unwrap();
        let (mut s, msg) = Settings::load(dir.path());
        assert_eq!(
            (s.switch_key, s.terminal_share, msg),
            (SwitchKey::Ctrl('t'), 70, None)
        );
        s.terminal_share = 65;
        s.save_share().unwrap();
        let text = std::fs::read_to_string(Settings::file(dir.path())).unwrap();
        assert!(
            text.contains("terminal_width = 65") && text.contains("mine = 1"),
            "{text}"
        );
        assert!(text.contains("switch_key = \"ctrl-t\""), "{text}");
        std::fs::write(
            Settings::file(dir.path()),
            "terminal_width = 5\nswitch_key = \"ctrl-c\"\n",
        )
        .unwrap();
        let (s, msg) = Settings::load(dir.path());
        assert_eq!((s.switch_key, s.terminal_share), (SwitchKey::Ctrl('g'), 55));
        assert!(msg.is_some());
    }
}
