//! The reading pages F1 leads to: troubleshooting (Docker's messages a learner meets, and what
//! each means) and a cheat sheet of every command the course teaches. Their text is markdown in
//! `assets/guide/<lang>/`, embedded, and drawn with the lesson pane's renderer.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::markdown;
use super::model::Overlay;
use super::theme::Theme;
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Troubleshooting,
    Commands,
}

impl Page {
    pub fn source(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Page::Troubleshooting, Lang::Ko) => {
                include_str!("../../assets/guide/ko/troubleshooting.md")
            }
            (Page::Troubleshooting, Lang::En) => {
                include_str!("../../assets/guide/en/troubleshooting.md")
            }
            (Page::Commands, Lang::Ko) => include_str!("../../assets/guide/ko/commands.md"),
            (Page::Commands, Lang::En) => include_str!("../../assets/guide/en/commands.md"),
        }
    }

    fn other(self) -> Page {
        match self {
            Page::Troubleshooting => Page::Commands,
            Page::Commands => Page::Troubleshooting,
        }
    }
}

/// The help overlay's key that opens a page: `t` / `c`, or the keys in the same place on a
/// Korean layout (ㅅ, ㅊ), so a learner need not switch input method.
pub fn page_for_key(code: KeyCode) -> Option<Page> {
    match code {
        KeyCode::Char('t' | 'T' | 'ㅅ') => Some(Page::Troubleshooting),
        KeyCode::Char('c' | 'C' | 'ㅊ') => Some(Page::Commands),
        _ => None,
    }
}

/// Where a page is drawn in a frame of `size`: the whole frame but a margin, so it is clear that
/// it lies over the panes.
pub fn frame_rect(size: (u16, u16)) -> Rect {
    let (w, h) = size;
    let w2 = w.saturating_sub(4).min(100);
    let h2 = h.saturating_sub(2);
    Rect::new(w.saturating_sub(w2) / 2, h.saturating_sub(h2) / 2, w2, h2)
}

/// The page as lines for the inside of its box (the rect less its border and a column of
/// padding each side).
pub fn lines(page: Page, lang: Lang, size: (u16, u16), theme: &Theme) -> Vec<Line<'static>> {
    let inner = frame_rect(size).width.saturating_sub(4).max(1);
    markdown::render(page.source(lang), inner, theme)
}

/// How many lines fit in the box at once.
pub fn rows(size: (u16, u16)) -> usize {
    frame_rect(size).height.saturating_sub(2).max(1) as usize
}

/// The overlay after a key on an open page: scrolling keys move within the page (never past its
/// end), Tab turns to the other page, Esc and Backspace go back to the help, F1 and q close.
pub fn key(page: Page, scroll: usize, k: KeyEvent, total: usize, rows: usize) -> Option<Overlay> {
    let last = total.saturating_sub(rows);
    let at = |scroll: usize| {
        Some(Overlay::Page {
            page,
            scroll: scroll.min(last),
        })
    };
    match k.code {
        KeyCode::Up | KeyCode::Char('k') => at(scroll.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => at(scroll + 1),
        KeyCode::PageUp => at(scroll.saturating_sub(rows.saturating_sub(1).max(1))),
        KeyCode::PageDown | KeyCode::Char(' ') => at(scroll + rows.saturating_sub(1).max(1)),
        KeyCode::Home => at(0),
        KeyCode::End => at(last),
        KeyCode::Tab => Some(Overlay::Page {
            page: page.other(),
            scroll: 0,
        }),
        KeyCode::Esc | KeyCode::Backspace => Some(Overlay::Help),
        KeyCode::F(1) | KeyCode::Char('q') => None,
        _ => Some(Overlay::Page { page, scroll }),
    }
}
