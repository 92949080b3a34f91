//! Text measured in display columns (Hangul is two wide) and wrapped to a width: the one
//! wrapper the lesson, the status line and the overlays share, and the memo that keeps
//! drawing cheap (`markdown::render` uses it too).
//!
//! Prose wraps at spaces; a word longer than the line (Korean written without spaces, a long
//! URL) breaks between characters, never inside a wide character.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// A run of text with one style, the unit the wrapper works on.
pub type Piece = (String, Style);

pub fn char_width(c: char) -> usize {
    if c == '\t' {
        return 4;
    }
    c.width().unwrap_or(0)
}

pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// The longest prefix of `s` that fits in `width` columns.
pub fn clip_str(s: &str, width: usize) -> (String, usize) {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > width {
            break;
        }
        if c == '\t' {
            out.push_str("    ");
        } else {
            out.push(c);
        }
        w += cw;
    }
    (out, w)
}

/// Plain text in one style wrapped to `width` columns (titles, notes), remembered as `render`.
pub fn wrap_text(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    memo((Kind::Text, text, width, style), || {
        wrap(&[(text.to_string(), style)], width)
            .into_iter()
            .map(to_line)
            .collect()
    })
}

#[derive(Hash)]
pub(super) enum Kind {
    Markdown,
    Text,
}

/// Enough for every text of the longest lesson at two widths.
const MEMO_MAX: usize = 1024;

thread_local! {
    /// Lines by a hash of everything they were made from (a 64-bit hash: a collision would
    /// need one in 2^64 between two texts shown in one session).
    static MEMO: std::cell::RefCell<std::collections::HashMap<u64, Vec<Line<'static>>>> =
        std::cell::RefCell::default();
}

pub(super) fn memo(
    inputs: impl std::hash::Hash,
    make: impl FnOnce() -> Vec<Line<'static>>,
) -> Vec<Line<'static>> {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let key =
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(inputs);
    if let Some(lines) = MEMO.with_borrow(|m| m.get(&key).cloned()) {
        return lines;
    }
    let lines = make();
    MEMO.with_borrow_mut(|m| {
        // A resize or a lesson change makes new keys; the old ones go wholesale.
        if m.len() >= MEMO_MAX {
            m.clear();
        }
        m.insert(key, lines.clone());
    });
    lines
}

pub(super) fn pieces_width(p: &[Piece]) -> usize {
    p.iter().map(|(s, _)| str_width(s)).sum()
}

/// Clip styled pieces to `width` columns, ending with `…` when something was cut.
pub(super) fn clip_pieces(p: &[Piece], width: usize) -> (Vec<Piece>, usize) {
    if pieces_width(p) <= width {
        return (p.to_vec(), pieces_width(p));
    }
    let mut out = Vec::new();
    let mut used = 0;
    let room = width.saturating_sub(1);
    let mut last_style = Style::new();
    for (s, st) in p {
        let (text, w) = clip_str(s, room - used);
        last_style = *st;
        used += w;
        if !text.is_empty() {
            out.push((text, *st));
        }
        if used >= room || w < str_width(s) {
            break;
        }
    }
    if width >= 1 {
        out.push(("…".to_string(), last_style));
        used += 1;
    }
    (out, used)
}

pub(super) fn to_line(pieces: Vec<Piece>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut cur: Option<Piece> = None;
    for (s, st) in pieces {
        if s.is_empty() {
            continue;
        }
        match cur.as_mut() {
            Some((text, style)) if *style == st => text.push_str(&s),
            _ => {
                if let Some((t, style)) = cur.take() {
                    spans.push(Span::styled(t, style));
                }
                cur = Some((s, st));
            }
        }
    }
    if let Some((t, style)) = cur {
        spans.push(Span::styled(t, style));
    }
    Line::from(spans)
}

enum Token {
    Word(Vec<Piece>),
    Space(Piece),
    Break,
}

fn tokenize(pieces: &[Piece]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word: Vec<Piece> = Vec::new();
    for (text, style) in pieces {
        let mut buf = String::new();
        for c in text.chars() {
            if c == '\n' || c == ' ' {
                if !buf.is_empty() {
                    word.push((std::mem::take(&mut buf), *style));
                }
                if !word.is_empty() {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
                out.push(if c == '\n' {
                    Token::Break
                } else {
                    Token::Space((" ".to_string(), *style))
                });
            } else {
                buf.push(c);
            }
        }
        if !buf.is_empty() {
            word.push((buf, *style));
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
    out
}

/// Greedy wrap of styled text into lines of at most `width` display columns.
pub fn wrap(pieces: &[Piece], width: usize) -> Vec<Vec<Piece>> {
    let width = width.max(1);
    let mut lines: Vec<Vec<Piece>> = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    let mut line_w = 0usize;
    let mut space: Option<Piece> = None;
    for tok in tokenize(pieces) {
        match tok {
            Token::Break => {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
                space = None;
            }
            Token::Space(p) => {
                if line_w > 0 {
                    space = Some(p);
                }
            }
            Token::Word(w) => {
                let ww = pieces_width(&w);
                let sw = if space.is_some() { 1 } else { 0 };
                if line_w + sw + ww <= width {
                    if let Some(s) = space.take() {
                        line.push(s);
                    }
                    line_w += sw + ww;
                    line.extend(w);
                    continue;
                }
                if ww <= width {
                    lines.push(std::mem::take(&mut line));
                    space = None;
                    line_w = ww;
                    line.extend(w);
                    continue;
                }
                // Longer than a whole line: break between characters, starting right here
                // when at least a couple of columns are left.
                if line_w > 0 && line_w + sw + 2 <= width {
                    if let Some(s) = space.take() {
                        line.push(s);
                    }
                    line_w += sw;
                } else if line_w > 0 {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                space = None;
                for (text, style) in w {
                    for c in text.chars() {
                        let cw = char_width(c);
                        if line_w + cw > width && line_w > 0 {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0;
                        }
                        match line.last_mut() {
                            Some((t, s)) if *s == style => t.push(c),
                            _ => line.push((c.to_string(), style)),
                        }
                        line_w += cw;
                    }
                }
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The plain text of a line (for tests and measurements).
pub fn line_text(l: &Line) -> String {
    l.spans.iter().map(|s| s.content.as_ref()).collect()
}

pub fn line_width(l: &Line) -> usize {
    l.spans.iter().map(|s| str_width(&s.content)).sum()
}
