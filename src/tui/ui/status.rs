//! The message line (hints, warnings, errors) and the status line (where you are, progress,
//! the keys that matter now).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::layout::Areas;

use super::state::clip_line;
use crate::i18n::t;
use crate::tui::model::{App, Focus, MsgKind};
use crate::tui::text::{Piece, str_width, wrap};

/// The message as the bar shows it: its icon, `code` marked as in the lesson, wrapped to the
/// width (a here-document keeps its lines), at most `cap` rows; a longer one ends in `…` (the
/// lesson pane shows hints and the solution in full).
pub fn message_lines(app: &App, width: u16, cap: usize) -> Vec<Line<'static>> {
    let th = &app.theme;
    let Some(m) = &app.message else {
        return Vec::new();
    };
    let (icon, style) = match m.kind {
        MsgKind::Info => ("ℹ ", th.text()),
        MsgKind::Success => ("✓ ", th.ok()),
        MsgKind::Hint => ("💡", th.hint()),
        MsgKind::Warn => ("⚠ ", th.hint()),
        MsgKind::Error => ("✗ ", th.error()),
    };
    let lead = format!(" {icon} ");
    let indent = str_width(&lead);
    let mut pieces: Vec<Piece> = Vec::new();
    // Backticks pair up into code; an odd one out is shown as it is.
    let parts: Vec<&str> = m.text.split('`').collect();
    let paired = parts.len() % 2 == 1;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if paired && i % 2 == 1 {
            pieces.push((part.to_string(), th.code_inline()));
        } else if paired {
            pieces.push((part.to_string(), style));
        } else {
            let sep = if i > 0 { "`" } else { "" };
            pieces.push((format!("{sep}{part}"), style));
        }
    }
    let width = width as usize;
    let rows = wrap(&pieces, width.saturating_sub(indent + 1));
    let cut = rows.len() > cap;
    let mut out: Vec<Line<'static>> = Vec::new();
    for (i, row) in rows.into_iter().take(cap).enumerate() {
        let head = if i == 0 {
            Span::styled(lead.clone(), style)
        } else {
            Span::raw(" ".repeat(indent))
        };
        let mut spans = vec![head];
        spans.extend(row.into_iter().map(|(t, s)| Span::styled(t, s)));
        out.push(clip_line(Line::from(spans), width));
    }
    if cut && let Some(last) = out.last_mut() {
        last.spans.push(Span::styled(" …", style));
        *last = clip_line(std::mem::take(last), width);
    }
    out
}

/// A message longer than the bar: a panel over the bottom of the reading side (the lesson,
/// or the state panel), never over the terminal, at most half of it.
pub fn render_message(app: &App, areas: &Areas, buf: &mut Buffer) {
    let one = message_lines(app, areas.message.width, usize::MAX);
    if one.len() <= 1 {
        Paragraph::new(one).render(areas.message, buf);
        return;
    }
    let Some(side) = areas.lesson_box.or(areas.state_box) else {
        Paragraph::new(message_lines(app, areas.message.width, 1)).render(areas.message, buf);
        return;
    };
    let cap = (side.height.saturating_sub(1) / 2).max(2) as usize;
    let lines = message_lines(app, side.width, cap);
    let h = (lines.len() as u16 + 1).min(side.height);
    let r = Rect::new(side.x, side.y + side.height - h, side.width, h);
    Clear.render(r, buf);
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(app.theme.border(false));
    let inner = block.inner(r);
    block.render(r, buf);
    Paragraph::new(lines).render(inner, buf);
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
    if let Some(c) = &app.class {
        let key = if c.online {
            "class_joined"
        } else {
            "class_offline"
        };
        place.push(Span::styled(format!("│ {} ", t(key, &[])), th.status_key()));
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
        // The presenter's keys, where they work.
        Focus::Lesson if app.demo => vec![
            ("Space", t("tui_key_next", &[]), true),
            ("+-", t("tui_key_pace", &[]), true),
            ("F7", t("tui_key_list", &[]), false),
            ("^G", t("tui_key_to_terminal", &[]), false),
            ("F10", t("tui_key_quit", &[]), true),
        ],
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
