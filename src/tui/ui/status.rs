//! The message line (hints, warnings, errors) and the status line (where you are, progress,
//! the keys that matter now).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::state::clip_line;
use crate::i18n::t;
use crate::tui::app::{App, Focus, MsgKind};

pub fn render_message(app: &App, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let Some(m) = &app.message else {
        return;
    };
    let (icon, style) = match m.kind {
        MsgKind::Info => ("ℹ ", th.text()),
        MsgKind::Success => ("✓ ", th.ok()),
        MsgKind::Hint => ("💡", th.hint()),
        MsgKind::Warn => ("⚠ ", th.hint()),
        MsgKind::Error => ("✗ ", th.error()),
    };
    let text = m.text.replace('\n', " ");
    let line = Line::from(vec![
        Span::styled(format!(" {icon} "), style),
        Span::styled(text, style),
    ]);
    Paragraph::new(clip_line(line, area.width as usize)).render(area, buf);
}

/// `██████░░░░ 60%`
pub fn progress_bar(done: usize, total: usize, cells: usize) -> String {
    let pct = (done * 100).checked_div(total).unwrap_or(0);
    let full = (done * cells).checked_div(total).unwrap_or(0);
    format!("{}{} {pct}%", "█".repeat(full), "░".repeat(cells - full))
}

pub fn render_status(app: &App, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let base = th.status();
    buf.set_style(area, base);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let n = app.lessons.len();
    if let Some(l) = app.current_lesson() {
        spans.push(Span::styled(
            format!(
                " {} {}/{} {} ",
                t("tui_lesson", &[]),
                app.lesson + 1,
                n,
                l.title
            ),
            base,
        ));
        let k = l.steps.len();
        let shown = (app.step + 1).min(k);
        spans.push(Span::styled(
            format!("│ {} {shown}/{k} ", t("tui_step", &[])),
            base,
        ));
        spans.push(Span::styled(
            format!("│ {} ", progress_bar(app.steps_done(l), k, 8)),
            base,
        ));
    } else {
        spans.push(Span::styled(
            format!(" {} {}/{} ", t("tui_lesson", &[]), app.lesson + 1, n),
            base,
        ));
    }
    if app.demo {
        spans.push(Span::styled(
            format!("│ {} ", t("tui_demo", &[])),
            th.status_key(),
        ));
    }
    spans.push(Span::styled("│".to_string(), base));
    let keys: Vec<(&str, String)> = match app.focus {
        Focus::Terminal => vec![
            ("F1", t("tui_key_help", &[])),
            ("F2", t("tui_key_hint", &[])),
            ("F6", t("tui_key_next", &[])),
            ("F7", t("tui_key_list", &[])),
            ("^G", t("tui_key_to_lesson", &[])),
            ("F10", t("tui_key_quit", &[])),
        ],
        Focus::Lesson => vec![
            ("?", t("tui_key_help", &[])),
            ("h", t("tui_key_hint", &[])),
            ("n", t("tui_key_next", &[])),
            ("l", t("tui_key_list", &[])),
            ("^G", t("tui_key_to_terminal", &[])),
            ("q", t("tui_key_quit", &[])),
        ],
    };
    for (k, label) in keys {
        spans.push(Span::styled(format!(" {k}"), th.status_key()));
        spans.push(Span::styled(format!(" {label}"), base));
    }
    Paragraph::new(clip_line(Line::from(spans), area.width as usize)).render(area, buf);
}
