//! Drawing: a pure function of the app state (`model`). Layout (`layout.rs`) is shared with the
//! event handling (mouse hit-testing, PTY size) so both always agree.

pub mod lesson;
pub mod overlay;
pub mod state;
pub mod status;
pub mod terminal;

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::layout::{MIN_HEIGHT, MIN_WIDTH, layout};
use super::model::{App, Focus};
use crate::i18n::t;

/// Rows of the lesson list: each lesson, and the current one's steps under it (the others
/// stay collapsed, so ten lessons fit at 80x24).
pub fn list_rows(app: &App) -> Vec<(usize, Option<usize>)> {
    let mut rows = Vec::new();
    for (li, l) in app.lessons.iter().enumerate() {
        rows.push((li, None));
        if li == app.lesson
            && let Ok(l) = l
        {
            for si in 0..l.steps.len() {
                rows.push((li, Some(si)));
            }
        }
    }
    rows
}

pub fn draw(app: &App, frame: &mut Frame) {
    let areas = layout(app);
    let buf_area = frame.area();
    if areas.too_small {
        let msg = t(
            "tui_too_small",
            &[
                ("min", &format!("{MIN_WIDTH}x{MIN_HEIGHT}")),
                ("size", &format!("{}x{}", app.size.0, app.size.1)),
            ],
        );
        frame.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            buf_area,
        );
        return;
    }
    let th = &app.theme;
    if let (Some(b), Some(inner)) = (areas.lesson_box, areas.lesson) {
        let title = app
            .current_lesson()
            .map(|l| format!(" {} ", l.title))
            .unwrap_or_else(|| format!(" {} ", t("tui_lesson", &[])));
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(th.border(app.focus == Focus::Lesson))
            .title(Line::from(title).style(th.border(app.focus == Focus::Lesson)));
        frame.render_widget(block, b);
        lesson::render(app, inner, frame.buffer_mut());
    }
    if let (Some(b), Some(inner)) = (areas.terminal_box, areas.terminal) {
        let left = areas.lesson_box.is_some_and(|l| l.y == b.y)
            || areas.state_box.is_some_and(|s| s.x == b.x && s.y > b.y);
        let borders = if b.x > 0 && left {
            Borders::TOP | Borders::LEFT
        } else {
            Borders::TOP
        };
        let focused = app.focus == Focus::Terminal;
        let mut block = Block::new()
            .borders(borders)
            .border_style(th.border(focused))
            .title(Line::from(format!(" {} ", t("tui_terminal", &[]))).style(th.border(focused)));
        if let Some(marks) = terminal::marks(app) {
            block = block.title(marks);
        }
        frame.render_widget(block, b);
        match app.shell.as_ref() {
            Some(sh) => {
                sh.render(inner, frame.buffer_mut(), focused && app.overlay.is_none());
                terminal::highlight(app, inner, frame.buffer_mut());
            }
            None => frame.render_widget(
                Paragraph::new(t("tui_terminal_starting", &[])).style(th.dim()),
                inner,
            ),
        }
        if focused
            && app.overlay.is_none()
            && app.shell_alive
            && let Some((cx, cy)) = app.shell.as_ref().and_then(|s| s.cursor_position())
            && cx < inner.width
            && cy < inner.height
        {
            frame.set_cursor_position((inner.x + cx, inner.y + cy));
        }
    }
    if let (Some(b), Some(inner)) = (areas.state_box, areas.state) {
        let borders = if b.x > 0 {
            Borders::TOP | Borders::LEFT
        } else {
            Borders::TOP
        };
        let block = Block::new()
            .borders(borders)
            .border_style(th.border(false))
            .title(Line::from(format!(" {} ", t("tui_state", &[]))).style(th.border(false)));
        frame.render_widget(block, b);
        state::render(app, inner, frame.buffer_mut());
    }
    status::render_message(app, &areas, frame.buffer_mut());
    status::render_status(app, areas.status, frame.buffer_mut());
    if app.overlay.is_some() {
        overlay::render(app, buf_area, frame.buffer_mut());
    }
}
