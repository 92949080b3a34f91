//! Drawing: a pure function of the app state. Layout is shared with the event handling (mouse
//! hit-testing, PTY size) so both always agree.

pub mod lesson;
pub mod overlay;
pub mod state;
pub mod status;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::app::{App, Focus};
use crate::i18n::t;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// From this width the lesson and the terminal sit side by side.
pub const SIDE_BY_SIDE: u16 = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Areas {
    pub too_small: bool,
    pub lesson_box: Option<Rect>,
    pub lesson: Option<Rect>,
    pub terminal_box: Option<Rect>,
    pub terminal: Option<Rect>,
    pub state_box: Option<Rect>,
    pub state: Option<Rect>,
    pub message: Rect,
    pub status: Rect,
}

fn inner(r: Rect, left: bool) -> Rect {
    let dx = u16::from(left);
    Rect {
        x: r.x + dx,
        y: r.y + 1,
        width: r.width.saturating_sub(dx),
        height: r.height.saturating_sub(1),
    }
}

fn pad(r: Rect, n: u16) -> Rect {
    Rect {
        x: r.x + n,
        y: r.y,
        width: r.width.saturating_sub(2 * n),
        height: r.height,
    }
}

pub fn layout(app: &App) -> Areas {
    let (w, h) = app.size;
    let full = Rect::new(0, 0, w, h);
    if w < MIN_WIDTH || h < MIN_HEIGHT {
        return Areas {
            too_small: true,
            message: full,
            status: full,
            ..Areas::default()
        };
    }
    let status = Rect::new(0, h - 1, w, 1);
    let message = Rect::new(0, h - 2, w, 1);
    let main = Rect::new(0, 0, w, h - 2);
    let lesson_pad = if app.demo { 2 } else { 1 };
    let mut a = Areas {
        message,
        status,
        ..Areas::default()
    };
    if w >= SIDE_BY_SIDE {
        let lw = w * 45 / 100;
        let lesson_box = Rect::new(0, 0, lw, main.height);
        let right = Rect::new(lw, 0, w - lw, main.height);
        a.lesson_box = Some(lesson_box);
        a.lesson = Some(pad(inner(lesson_box, false), lesson_pad));
        if app.show_state {
            let th = (right.height * 3 / 5).max(6);
            let tbox = Rect::new(right.x, 0, right.width, th);
            let sbox = Rect::new(right.x, th, right.width, right.height - th);
            a.terminal_box = Some(tbox);
            a.terminal = Some(inner(tbox, true));
            a.state_box = Some(sbox);
            a.state = Some(pad(inner(sbox, true), 1));
        } else {
            a.terminal_box = Some(right);
            a.terminal = Some(inner(right, true));
        }
    } else {
        // Narrow: stacked, and the state panel takes the lesson's place while shown.
        let top_h = (main.height / 2).max(4);
        let top = Rect::new(0, 0, w, top_h);
        let bottom = Rect::new(0, top_h, w, main.height - top_h);
        if app.show_state {
            a.state_box = Some(top);
            a.state = Some(pad(inner(top, false), 1));
        } else {
            a.lesson_box = Some(top);
            a.lesson = Some(pad(inner(top, false), lesson_pad));
        }
        a.terminal_box = Some(bottom);
        a.terminal = Some(inner(bottom, false));
    }
    a
}

/// The lesson text area (zero-sized when hidden).
pub fn lesson_area(app: &App) -> Rect {
    layout(app).lesson.unwrap_or_default()
}

/// Rows of the lesson list: each lesson, then each of its steps.
pub fn list_rows(app: &App) -> Vec<(usize, Option<usize>)> {
    let mut rows = Vec::new();
    for (li, l) in app.lessons.iter().enumerate() {
        rows.push((li, None));
        if let Ok(l) = l {
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
        let block = Block::new()
            .borders(borders)
            .border_style(th.border(focused))
            .title(Line::from(format!(" {} ", t("tui_terminal", &[]))).style(th.border(focused)));
        frame.render_widget(block, b);
        match app.shell.as_ref() {
            Some(sh) => sh.render(inner, frame.buffer_mut(), focused && app.overlay.is_none()),
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
    status::render_message(app, areas.message, frame.buffer_mut());
    status::render_status(app, areas.status, frame.buffer_mut());
    if app.overlay.is_some() {
        overlay::render(app, buf_area, frame.buffer_mut());
    }
}
