//! F12 without a class: the form that joins one from inside the app (the same as
//! `gorae --join ADDR --code CODE --name NAME`). Three lines of text; Tab or Enter goes to the
//! next, Enter on the last joins, Esc closes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::client::Membership;
use crate::i18n::t;
use crate::tui::event::Effect;
use crate::tui::model::{App, Overlay};
use crate::tui::theme::Theme;

/// A field's longest input (the checks after are stricter: a name is at most 40).
const MAX_FIELD: usize = 64;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JoinForm {
    /// Address, code, name.
    pub fields: [String; 3],
    pub at: usize,
    pub error: Option<String>,
}

impl App {
    pub fn class_join_key(&mut self, mut form: JoinForm, k: KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.overlay = None;
                return;
            }
            KeyCode::Enter if form.at == 2 => {
                let [addr, code, name] = &form.fields;
                match Membership::join(&crate::tui::state_dir(), addr, code, name) {
                    Ok(m) => {
                        self.overlay = None;
                        self.effects.push(Effect::JoinClass(Box::new(m)));
                        return;
                    }
                    Err(e) => form.error = Some(super::attend::join_error(&e)),
                }
            }
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => form.at = (form.at + 1).min(2),
            KeyCode::BackTab | KeyCode::Up => form.at = form.at.saturating_sub(1),
            KeyCode::Backspace => {
                form.fields[form.at].pop();
            }
            KeyCode::Char(c) if !ctrl && form.fields[form.at].chars().count() < MAX_FIELD => {
                form.fields[form.at].push(c);
            }
            _ => {}
        }
        self.overlay = Some(Overlay::ClassJoin(form));
    }
}

/// The form's lines: each field with its label, the one being typed marked.
pub fn lines(form: &JoinForm, th: &Theme) -> Vec<Line<'static>> {
    let labels = ["class_join_addr", "class_join_code", "class_join_name"];
    let mut out = vec![Line::from(t("class_join_intro", &[])), Line::from("")];
    for (i, key) in labels.iter().enumerate() {
        let current = i == form.at;
        let mark = if current { "▸ " } else { "  " };
        let value = format!("{}{}", form.fields[i], if current { "▏" } else { "" });
        out.push(Line::from(vec![
            Span::styled(format!("{mark}{}: ", t(key, &[])), th.text()),
            Span::styled(
                value,
                if current {
                    th.current_title()
                } else {
                    th.text()
                },
            ),
        ]));
    }
    out.push(Line::from(""));
    match &form.error {
        Some(e) => out.push(Line::from(Span::styled(e.clone(), th.error()))),
        None => out.push(Line::from(Span::styled(
            t("class_join_keys", &[]),
            th.dim(),
        ))),
    }
    out
}
