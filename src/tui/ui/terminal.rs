//! What the terminal pane draws over the shell's screen: the "scrolled back" and "mouse
//! released" marks on its top border, and the mouse selection.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::i18n::t;
use crate::tui::model::App;
use crate::tui::pane::MOUSE_KEY;

/// The marks for the terminal's top border (right-aligned), if any: how far back the view
/// is and how to return, and that the mouse belongs to the outer terminal.
pub fn marks(app: &App) -> Option<Line<'static>> {
    let th = &app.theme;
    let mut spans = Vec::new();
    let back = app.shell.as_ref().map_or(0, |s| s.scrolled_back());
    if back > 0 {
        let text = t("tui_scrolled_back", &[("n", &back.to_string())]);
        spans.push(Span::styled(format!(" {text} "), th.status_key()));
    }
    if app.mouse_released {
        let text = t("tui_mouse_off_mark", &[("key", MOUSE_KEY)]);
        spans.push(Span::styled(format!(" {text} "), th.hint()));
    }
    (!spans.is_empty()).then(|| Line::from(spans).right_aligned())
}

/// Shows the selection inverted, cell by cell in reading order, as terminals do.
pub fn highlight(app: &App, inner: Rect, buf: &mut Buffer) {
    let Some(sel) = app.selection else {
        return;
    };
    let ((r0, c0), (r1, c1)) = sel.span();
    for row in r0..=r1.min(inner.height.saturating_sub(1)) {
        let from = if row == r0 { c0 } else { 0 };
        let to = if row == r1 {
            c1
        } else {
            inner.width.saturating_sub(1)
        };
        for col in from..=to.min(inner.width.saturating_sub(1)) {
            if let Some(cell) = buf.cell_mut((inner.x + col, inner.y + row)) {
                cell.modifier.toggle(Modifier::REVERSED);
            }
        }
    }
}
