//! The message line (hints, warnings, errors) and the status line (where you are, progress,
//! the keys that matter now).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::state::clip_line;
use crate::i18n::t;
use crate::tui::markdown::str_width;
use crate::tui::model::{App, Focus, MsgKind};

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
    let n = app.lessons.len();
    let mut place: Vec<Span<'static>> = Vec::new();
    let mut title: Option<Span<'static>> = None;
    if let Some(l) = app.current_lesson() {
        place.push(Span::styled(
            format!(" {} {}/{}", t("tui_lesson", &[]), app.lesson + 1, n),
            base,
        ));
        title = Some(Span::styled(format!(" {}", l.title), base));
        let k = l.steps.len();
        let shown = (app.step + 1).min(k);
        place.push(Span::styled(
            format!(" │ {} {shown}/{k} ", t("tui_step", &[])),
            base,
        ));
        place.push(Span::styled(
            format!("│ {} ", progress_bar(app.steps_done(l), k, 8)),
            base,
        ));
    } else if n > 0 {
        place.push(Span::styled(
            format!(" {} {}/{} ", t("tui_lesson", &[]), app.lesson + 1, n),
            base,
        ));
    }
    if app.demo {
        place.push(Span::styled(
            format!("│ {} ", t("tui_demo", &[])),
            th.status_key(),
        ));
    }
    place.push(Span::styled("│".to_string(), base));
    // (key, label, essential): the rest are dropped first when the line is narrow.
    let switch = app.switch_key_now().short();
    let keys: Vec<(&str, String, bool)> = match app.focus {
        Focus::Terminal => vec![
            ("F1", t("tui_key_help", &[]), true),
            ("F2", t("tui_key_hint", &[]), true),
            ("F6", t("tui_key_next", &[]), true),
            ("F7", t("tui_key_list", &[]), false),
            (&switch, t("tui_key_to_lesson", &[]), false),
            ("F10", t("tui_key_quit", &[]), true),
        ],
        // The same function keys: letters typed in the lesson pane do nothing but say how
        // to reach the terminal, so the way back is essential here.
        Focus::Lesson => vec![
            ("F1", t("tui_key_help", &[]), true),
            ("F2", t("tui_key_hint", &[]), true),
            ("F6", t("tui_key_next", &[]), false),
            ("F7", t("tui_key_list", &[]), false),
            (&switch, t("tui_key_to_terminal", &[]), true),
            ("F10", t("tui_key_quit", &[]), true),
        ],
    };
    let key_spans = |all: bool| {
        let mut spans = Vec::new();
        for (k, label, essential) in &keys {
            if all || *essential {
                spans.push(Span::styled(format!(" {k}"), th.status_key()));
                spans.push(Span::styled(format!(" {label}"), base));
            }
        }
        spans
    };
    let width = |spans: &[Span]| spans.iter().map(|s| str_width(&s.content)).sum::<usize>();
    let avail = area.width as usize;
    let mut best = None;
    for (with_title, all_keys) in [(true, true), (false, true), (true, false), (false, false)] {
        let mut spans = Vec::new();
        let mut place = place.clone();
        if with_title && let Some(tt) = &title {
            place.insert(1, tt.clone());
        }
        spans.extend(place);
        spans.extend(key_spans(all_keys));
        if width(&spans) <= avail {
            best = Some(spans);
            break;
        }
        best = Some(spans);
    }
    let spans = best.unwrap_or_default();
    Paragraph::new(clip_line(Line::from(spans), avail)).render(area, buf);
}
