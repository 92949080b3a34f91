//! Drawing a `vt100::Screen` into a ratatui buffer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

/// Draws the emulator screen into an area: every cell's text, foreground/background (16,
/// 256 and RGB colours), bold, dim, italic, underline and inverse. A wide (Hangul/CJK) cell
/// takes two columns and its continuation cell is left blank, as ratatui expects; a wide
/// cell cut by the right edge of the area shows as a space. With colours off (`NO_COLOR`),
/// only the attributes are drawn.
///
/// The view shows what the screen shows, including the scrollback position set with
/// `Terminal::scroll`.
pub struct TerminalView<'a> {
    screen: &'a vt100::Screen,
    colors: bool,
    cursor: bool,
}

impl<'a> TerminalView<'a> {
    /// A view of `screen`, with colours unless the `NO_COLOR` environment variable is set
    /// and non-empty.
    pub fn new(screen: &'a vt100::Screen) -> Self {
        TerminalView {
            screen,
            colors: !no_color(),
            cursor: false,
        }
    }

    /// Draws the cursor as an inverse cell, for when the real cursor is elsewhere (the
    /// terminal pane is not focused). Nothing is drawn while the program hides its cursor
    /// or the view is scrolled back.
    pub fn show_cursor(mut self, on: bool) -> Self {
        self.cursor = on;
        self
    }

    /// Turns colours on or off (attributes are always drawn).
    pub fn colors(mut self, on: bool) -> Self {
        self.colors = on;
        self
    }
}

/// Whether `NO_COLOR` asks for no colours (set and non-empty, per no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// A vt100 colour as a ratatui colour; the 16 ANSI colours map to the named ones so the
/// host terminal's palette applies.
pub fn convert_color(c: vt100::Color) -> Color {
    match c {
        vt100::Color::Default => Color::Reset,
        vt100::Color::Idx(i) => match i {
            0 => Color::Black,
            1 => Color::Red,
            2 => Color::Green,
            3 => Color::Yellow,
            4 => Color::Blue,
            5 => Color::Magenta,
            6 => Color::Cyan,
            7 => Color::Gray,
            8 => Color::DarkGray,
            9 => Color::LightRed,
            10 => Color::LightGreen,
            11 => Color::LightYellow,
            12 => Color::LightBlue,
            13 => Color::LightMagenta,
            14 => Color::LightCyan,
            15 => Color::White,
            i => Color::Indexed(i),
        },
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn cell_style(cell: &vt100::Cell, colors: bool) -> Style {
    let mut style = Style::default();
    if colors {
        style = style
            .fg(convert_color(cell.fgcolor()))
            .bg(convert_color(cell.bgcolor()));
    } else {
        style = style.fg(Color::Reset).bg(Color::Reset);
    }
    let mut m = Modifier::empty();
    if cell.bold() {
        m |= Modifier::BOLD;
    }
    if cell.dim() {
        m |= Modifier::DIM;
    }
    if cell.italic() {
        m |= Modifier::ITALIC;
    }
    if cell.underline() {
        m |= Modifier::UNDERLINED;
    }
    if cell.inverse() {
        m |= Modifier::REVERSED;
    }
    style.add_modifier(m)
}

impl Widget for TerminalView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let (rows, cols) = self.screen.size();
        let height = area.height.min(rows.get());
        let width = area.width.min(cols.get());
        for row in 0..height {
            let y = area.y + row;
            let mut col = 0;
            while col < width {
                let x = area.x + col;
                let Some(cell) = self.screen.cell(row, col) else {
                    break;
                };
                let style = cell_style(cell, self.colors);
                let Some(target) = buf.cell_mut((x, y)) else {
                    break;
                };
                target.reset();
                target.set_style(style);
                if cell.is_wide_continuation() {
                    // Its wide cell was cut off at the left; nothing to draw.
                    target.set_symbol(" ");
                    col += 1;
                    continue;
                }
                let text = if cell.has_contents() {
                    cell.contents()
                } else {
                    " "
                };
                if cell.is_wide() {
                    if col + 1 >= width {
                        target.set_symbol(" ");
                        col += 1;
                        continue;
                    }
                    target.set_symbol(text);
                    if let Some(next) = buf.cell_mut((x + 1, y)) {
                        next.reset();
                        next.set_style(style);
                    }
                    col += 2;
                } else {
                    target.set_symbol(text);
                    col += 1;
                }
            }
        }
        if self.cursor && !self.screen.hide_cursor() && self.screen.scrollback() == 0 {
            let (row, col) = self.screen.cursor_position();
            if row < height && col < width {
                // On a continuation cell, mark the wide character it belongs to.
                let col = match self.screen.cell(row, col) {
                    Some(c) if c.is_wide_continuation() && col > 0 => col - 1,
                    _ => col,
                };
                if let Some(target) = buf.cell_mut((area.x + col, area.y + row)) {
                    target.modifier.toggle(Modifier::REVERSED);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(rows: u16, cols: u16) -> vt100::Parser {
        vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            100,
        )
    }

    fn render(p: &vt100::Parser, colors: bool) -> Buffer {
        let (rows, cols) = p.screen().size();
        let area = Rect::new(0, 0, cols.get(), rows.get());
        let mut buf = Buffer::empty(area);
        TerminalView::new(p.screen())
            .colors(colors)
            .render(area, &mut buf);
        buf
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect()
    }

    #[test]
    fn hangul_takes_two_columns_each() {
        let mut p = parser(3, 12);
        p.process("가나다abc".as_bytes());
        let buf = render(&p, true);
        assert_eq!(buf[(0, 0)].symbol(), "가");
        assert_eq!(buf[(2, 0)].symbol(), "나");
        assert_eq!(buf[(4, 0)].symbol(), "다");
        assert_eq!(buf[(6, 0)].symbol(), "a");
        assert_eq!(buf[(7, 0)].symbol(), "b");
        assert_eq!(buf[(8, 0)].symbol(), "c");
        // Continuation cells are blank so ratatui's diff skips them.
        assert_eq!(buf[(1, 0)].symbol(), " ");
        assert_eq!(buf[(3, 0)].symbol(), " ");
        insta::assert_snapshot!(format!("{buf:?}"));
    }

    #[test]
    fn colours_and_attributes() {
        let mut p = parser(2, 20);
        p.process(b"\x1b[31mR\x1b[1;42mB\x1b[0m\x1b[38;5;200mI\x1b[38;2;1;2;3mT\x1b[0m");
        p.process(b"\x1b[3mi\x1b[0m\x1b[4mu\x1b[0m\x1b[7mv\x1b[0m\x1b[91mL");
        let buf = render(&p, true);
        assert_eq!(buf[(0, 0)].fg, Color::Red);
        assert_eq!(buf[(0, 0)].bg, Color::Reset);
        assert_eq!(buf[(1, 0)].fg, Color::Red);
        assert_eq!(buf[(1, 0)].bg, Color::Green);
        assert!(buf[(1, 0)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(2, 0)].fg, Color::Indexed(200));
        assert!(!buf[(2, 0)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(3, 0)].fg, Color::Rgb(1, 2, 3));
        assert!(buf[(4, 0)].modifier.contains(Modifier::ITALIC));
        assert!(buf[(5, 0)].modifier.contains(Modifier::UNDERLINED));
        assert!(buf[(6, 0)].modifier.contains(Modifier::REVERSED));
        assert_eq!(buf[(7, 0)].fg, Color::LightRed);
        assert_eq!(row_text(&buf, 0).trim_end(), "RBITiuvL");
    }

    #[test]
    fn without_colours_only_attributes_remain() {
        let mut p = parser(1, 10);
        p.process(b"\x1b[1;31;44mX");
        let buf = render(&p, false);
        assert_eq!(buf[(0, 0)].symbol(), "X");
        assert_eq!(buf[(0, 0)].fg, Color::Reset);
        assert_eq!(buf[(0, 0)].bg, Color::Reset);
        assert!(buf[(0, 0)].modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn cursor_moves_and_alternate_screen() {
        let mut p = parser(4, 10);
        p.process(b"main\x1b[3;5Hxy");
        let buf = render(&p, true);
        assert_eq!(row_text(&buf, 0), "main      ");
        assert_eq!(row_text(&buf, 2), "    xy    ");
        // A full-screen program draws on the alternate screen …
        p.process(b"\x1b[?1049h\x1b[H\x1b[2Jfull");
        let buf = render(&p, true);
        assert_eq!(row_text(&buf, 0), "full      ");
        assert_eq!(row_text(&buf, 2).trim(), "");
        // … and the shell's screen is back when it leaves.
        p.process(b"\x1b[?1049l");
        let buf = render(&p, true);
        assert_eq!(row_text(&buf, 0), "main      ");
        assert_eq!(row_text(&buf, 2), "    xy    ");
    }

    #[test]
    fn cursor_is_drawn_only_when_asked_and_visible() {
        let mut p = parser(2, 10);
        p.process(b"ab");
        let area = Rect::new(0, 0, 10, 2);
        let mut buf = Buffer::empty(area);
        TerminalView::new(p.screen()).render(area, &mut buf);
        assert!(!buf[(2, 0)].modifier.contains(Modifier::REVERSED));
        TerminalView::new(p.screen())
            .show_cursor(true)
            .render(area, &mut buf);
        assert!(buf[(2, 0)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(1, 0)].modifier.contains(Modifier::REVERSED));
        // Hidden cursor (ESC [ ? 25 l): nothing drawn.
        p.process(b"\x1b[?25l");
        let mut buf = Buffer::empty(area);
        TerminalView::new(p.screen())
            .show_cursor(true)
            .render(area, &mut buf);
        assert!(!buf[(2, 0)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn wide_cell_cut_at_the_right_edge_is_blank() {
        let mut p = parser(1, 6);
        p.process("ab한글".as_bytes());
        let area = Rect::new(0, 0, 5, 1);
        let mut buf = Buffer::empty(area);
        TerminalView::new(p.screen()).render(area, &mut buf);
        assert_eq!(row_text(&buf, 0), "ab한  ");
    }

    #[test]
    fn renders_at_an_offset_inside_a_larger_buffer() {
        let mut p = parser(2, 4);
        p.process(b"ab\r\ncd");
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 4));
        TerminalView::new(p.screen()).render(Rect::new(3, 1, 4, 2), &mut buf);
        assert_eq!(row_text(&buf, 1), "   ab     ");
        assert_eq!(row_text(&buf, 2), "   cd     ");
        assert_eq!(row_text(&buf, 0).trim(), "");
    }
}
