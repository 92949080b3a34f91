//! Where each pane goes, from the app state alone: shared by drawing (`ui/`) and the event
//! handling (mouse hit-testing, PTY size) so both always agree.

use ratatui::layout::Rect;

use super::model::App;

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
        let lw = w * (100 - app.settings.terminal_share) / 100;
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
        // Narrow: stacked. The lesson keeps the top (most of it in demo mode, for big text);
        // the state panel, while shown, takes a band between it and the terminal.
        let top_h = if app.demo {
            main.height * 3 / 5
        } else if app.show_state {
            main.height * 2 / 5
        } else {
            main.height / 2
        }
        .max(4);
        let (state_h, term_y) = if app.show_state {
            let sh = (main.height / 4).max(3);
            (sh, top_h + sh)
        } else {
            (0, top_h)
        };
        let top = Rect::new(0, 0, w, top_h);
        let bottom = Rect::new(0, term_y, w, main.height.saturating_sub(term_y));
        a.lesson_box = Some(top);
        a.lesson = Some(pad(inner(top, false), lesson_pad));
        if app.show_state {
            let sbox = Rect::new(0, top_h, w, state_h);
            a.state_box = Some(sbox);
            a.state = Some(pad(inner(sbox, false), 1));
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
