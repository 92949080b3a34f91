//! Re-wrapping the main screen at a new width, as xterm-like terminals do on resize: the
//! lines the program wrote (a wrapped row continues on the next one) are laid out again, the
//! scrollback included, and the cursor stays at the same place in its line. vt100 only cuts
//! or pads rows, which loses what a narrower pane cut off and leaves the shell's redraw
//! (readline, after SIGWINCH) on top of lines it no longer matches.

use std::fmt::Write as _;

/// The drawing attributes of one cell, to emit SGR only where they change.
#[derive(Clone, Copy, PartialEq)]
struct Attrs {
    fg: vt100::Color,
    bg: vt100::Color,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    inverse: bool,
}

impl Attrs {
    const PLAIN: Attrs = Attrs {
        fg: vt100::Color::Default,
        bg: vt100::Color::Default,
        bold: false,
        dim: false,
        italic: false,
        underline: false,
        inverse: false,
    };

    fn of(c: &vt100::Cell) -> Attrs {
        Attrs {
            fg: c.fgcolor(),
            bg: c.bgcolor(),
            bold: c.bold(),
            dim: c.dim(),
            italic: c.italic(),
            underline: c.underline(),
            inverse: c.inverse(),
        }
    }

    fn sgr(self, out: &mut String) {
        out.push_str("\x1b[0");
        for (on, code) in [
            (self.bold, 1),
            (self.dim, 2),
            (self.italic, 3),
            (self.underline, 4),
            (self.inverse, 7),
        ] {
            if on {
                let _ = write!(out, ";{code}");
            }
        }
        color(out, self.fg, 30, 90, 38);
        color(out, self.bg, 40, 100, 48);
        out.push('m');
    }
}

fn color(out: &mut String, c: vt100::Color, base: u8, bright: u8, ext: u8) {
    let _ = match c {
        vt100::Color::Default => Ok(()),
        vt100::Color::Idx(i) if i < 8 => write!(out, ";{}", base + i),
        vt100::Color::Idx(i) if i < 16 => write!(out, ";{}", bright + i - 8),
        vt100::Color::Idx(i) => write!(out, ";{ext};5;{i}"),
        vt100::Color::Rgb(r, g, b) => write!(out, ";{ext};2;{r};{g};{b}"),
    };
}

/// One cell of a logical line: its text ("" for a blank never written) and attributes.
type Cell = (String, Attrs);

/// Every line of the main screen, scrollback first, as logical lines (wrapped rows joined);
/// and where the cursor is: (line, cell index in it).
fn logical_lines(screen: &mut vt100::Screen) -> (Vec<Vec<Cell>>, (usize, usize)) {
    let (rows, cols) = screen.size();
    let (rows, cols) = (rows.get(), cols.get());
    let kept = screen.scrollback();
    let back = screen.scrollback_len();
    let (crow, ccol) = screen.cursor_position();
    let mut lines: Vec<Vec<Cell>> = vec![Vec::new()];
    let mut cursor = (0, 0);
    for abs in 0..back + usize::from(rows) {
        // A scrollback line is row 0 of the view scrolled back to it.
        let row = if abs < back {
            screen.set_scrollback(back - abs);
            0
        } else {
            screen.set_scrollback(0);
            (abs - back) as u16
        };
        let at_cursor = abs == back + usize::from(crow);
        let n = lines.len();
        let Some(line) = lines.last_mut() else {
            break;
        };
        for col in 0..cols {
            // Counted in cells kept: a wide character's second half is not one.
            if at_cursor && col == ccol {
                cursor = (n - 1, line.len());
            }
            let Some(cell) = screen.cell(row, col) else {
                break;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            line.push((cell.contents().to_string(), Attrs::of(cell)));
        }
        if !screen.row_wrapped(row) {
            lines.push(Vec::new());
        }
    }
    screen.set_scrollback(kept);
    (lines, cursor)
}

/// The bytes that draw `lines` on a fresh screen of any width; the first part ends where
/// the cursor was.
fn render(lines: &[Vec<Cell>], cursor: (usize, usize)) -> (String, String) {
    let blank = |c: &Cell| c.0.is_empty() && c.1.bg == vt100::Color::Default && !c.1.inverse;
    // Nothing below the cursor that is blank: the screen scrolls only as much as it must.
    let last = lines
        .iter()
        .rposition(|l| !l.iter().all(blank))
        .unwrap_or(0)
        .max(cursor.0);
    let (mut before, mut after) = (String::new(), String::new());
    let mut attrs = Attrs::PLAIN;
    for (i, line) in lines.iter().enumerate().take(last + 1) {
        let end = line.iter().rposition(|c| !blank(c)).map_or(0, |p| p + 1);
        let end = if i == cursor.0 {
            end.max(cursor.1)
        } else {
            end
        };
        for (j, cell) in line.iter().take(end).enumerate() {
            let out = if (i, j) < cursor {
                &mut before
            } else {
                &mut after
            };
            if cell.1 != attrs {
                cell.1.sgr(out);
                attrs = cell.1;
            }
            out.push_str(if cell.0.is_empty() { " " } else { &cell.0 });
        }
        // The cursor past the line's cells (the row was shorter than its column).
        if i == cursor.0 {
            for _ in line.len()..cursor.1 {
                before.push(' ');
            }
        }
        if i < last {
            let out = if i < cursor.0 {
                &mut before
            } else {
                &mut after
            };
            if attrs != Attrs::PLAIN {
                Attrs::PLAIN.sgr(out);
                attrs = Attrs::PLAIN;
            }
            out.push_str("\r\n");
        }
    }
    (before, after)
}

/// A new emulator of `rows`×`cols` showing what `old` showed, re-wrapped, with its cursor
/// where it was in its line, its modes (application cursor, bracketed paste, mouse),
/// attributes and callbacks. For the main screen only: a full-screen program redraws itself.
pub fn reflow<C: vt100::Callbacks + Default>(
    old: &mut vt100::Parser<C>,
    rows: std::num::NonZeroU16,
    cols: std::num::NonZeroU16,
    scrollback: usize,
) -> vt100::Parser<C> {
    let (lines, cursor) = logical_lines(old.screen_mut());
    let (before, after) = render(&lines, cursor);
    let hooks = std::mem::take(old.callbacks_mut());
    let mut new = vt100::Parser::new_with_callbacks(rows, cols, scrollback, hooks);
    new.process(before.as_bytes());
    let (row, col) = new.screen().cursor_position();
    let back = new.screen().scrollback_len();
    new.process(after.as_bytes());
    let scrolled = new.screen().scrollback_len() - back;
    let row = (usize::from(row)).saturating_sub(scrolled) + 1;
    let screen = old.screen();
    let tail = format!(
        "\x1b[{row};{}H{}{}{}",
        col + 1,
        screen.attributes_formatted(),
        screen.input_mode_formatted(),
        if screen.hide_cursor() {
            "\x1b[?25l"
        } else {
            ""
        },
    );
    new.process(tail.as_bytes());
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(rows: u16, cols: u16, text: &str) -> vt100::Parser {
        let mut p = vt100::Parser::new(nz(rows), nz(cols), 100);
        p.process(text.as_bytes());
        p
    }

    fn nz(n: u16) -> std::num::NonZeroU16 {
        std::num::NonZeroU16::new(n).unwrap()
    }

    #[test]
    fn a_wrapped_line_rewraps_narrower_and_wider_and_the_cursor_follows() {
        let long = "a".repeat(30) + "b".repeat(30).as_str();
        let mut p = parser(6, 40, &format!("first\r\n{long}\r\n$ 가나"));
        assert_eq!(p.screen().cursor_position(), (3, 6));
        let mut narrow = reflow(&mut p, nz(6), nz(20), 100);
        let rows: Vec<String> = narrow.screen().rows(0, 20).take(5).collect();
        assert_eq!(
            rows,
            [
                "first",
                &"a".repeat(20),
                &format!("{}{}", "a".repeat(10), "b".repeat(10)),
                &"b".repeat(20),
                "$ 가나"
            ],
        );
        assert_eq!(narrow.screen().cursor_position(), (4, 6));
        // Wider again: nothing was lost, one row per line.
        let wide = reflow(&mut narrow, nz(6), nz(80), 100);
        let rows: Vec<String> = wide.screen().rows(0, 80).take(3).collect();
        assert_eq!(rows, ["first", long.as_str(), "$ 가나"]);
        assert_eq!(wide.screen().cursor_position(), (2, 6));
    }

    #[test]
    fn colours_modes_and_the_scrollback_survive() {
        let mut text = String::new();
        for i in 0..30 {
            let _ = write!(text, "line {i}\r\n");
        }
        text.push_str("\x1b[31mred\x1b[0m \x1b[?1h\x1b[?2004h$ ");
        let mut p = parser(5, 30, &text);
        let mut new = reflow(&mut p, nz(5), nz(12), 100);
        let screen = new.screen();
        assert!(screen.application_cursor() && screen.bracketed_paste());
        assert_eq!(screen.cell(4, 0).unwrap().fgcolor(), vt100::Color::Idx(1));
        assert_eq!(screen.cell(4, 4).unwrap().fgcolor(), vt100::Color::Default);
        assert_eq!(screen.cursor_position(), (4, 6));
        new.screen_mut().set_scrollback(100);
        assert!(new.screen().contents().starts_with("line 0\n"));
    }
}
