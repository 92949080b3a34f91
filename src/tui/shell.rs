//! What the app needs from the terminal pane's shell. The real one is `term::Terminal`; tests
//! use a recording fake, so the app logic runs without a PTY.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub trait ShellPane {
    /// Bytes the shell wrote (from the PTY reader) into the emulator.
    fn process(&mut self, bytes: &[u8]);
    /// Raw bytes to the shell (keys).
    fn write(&mut self, bytes: &[u8]);
    /// Pasted text (bracketed when the shell asked for it).
    fn paste(&mut self, text: &str);
    /// One command line typed and entered.
    fn type_line(&mut self, line: &str);
    fn resize(&mut self, rows: u16, cols: u16);
    /// Scroll the scrollback view: positive = back in history.
    fn scroll(&mut self, lines: i32);
    /// The cursor within the pane (col, row), None when hidden or scrolled back.
    fn cursor_position(&self) -> Option<(u16, u16)>;
    /// The shell (or a program in it) waits for the next line.
    fn at_prompt(&self) -> bool;
    /// Arrow keys must be sent in application mode (DECCKM).
    fn application_cursor(&self) -> bool;
    /// Draw the screen; an unfocused pane draws its cursor itself (the real one is elsewhere).
    fn render(&self, area: Rect, buf: &mut Buffer, focused: bool);
    /// Hand a mouse event at (col, row) in the pane to the program, when it asked for the
    /// mouse (vim, htop…); false when it did not, and gorae handles the event.
    fn mouse(&mut self, _event: &crossterm::event::MouseEvent, _col: u16, _row: u16) -> bool {
        false
    }
    /// How many lines back in the scrollback the view is (0: the live screen).
    fn scrolled_back(&self) -> usize {
        0
    }
    /// A full-screen program (nano, vim, less, top) holds the screen: the alternate screen,
    /// which has no scrollback; its keys are its own.
    fn full_screen(&self) -> bool {
        false
    }
    /// The text shown from cell `from` to cell `to` (inclusive; (row, col) in the pane, in
    /// reading order), lines joined as the program wrote them.
    fn text(&self, _from: (u16, u16), _to: (u16, u16)) -> String {
        String::new()
    }
}

/// How long a program inside must stay quiet at a prompt-like line to count as waiting.
const READY_QUIET: std::time::Duration = std::time::Duration::from_millis(300);

/// The real shell: a `term::Terminal` on a PTY, drawn with `TerminalView`.
pub struct TermShell {
    term: super::term::Terminal,
    colors: bool,
}

impl TermShell {
    pub fn new(term: super::term::Terminal, colors: bool) -> TermShell {
        TermShell { term, colors }
    }
}

impl ShellPane for TermShell {
    fn process(&mut self, bytes: &[u8]) {
        self.term.process(bytes);
    }
    fn write(&mut self, bytes: &[u8]) {
        self.term.write(bytes);
    }
    fn paste(&mut self, text: &str) {
        self.term.paste(text);
    }
    fn type_line(&mut self, line: &str) {
        self.term.type_line(line);
    }
    fn resize(&mut self, rows: u16, cols: u16) {
        self.term.resize(rows, cols);
    }
    fn scroll(&mut self, lines: i32) {
        self.term.scroll(lines);
    }
    fn cursor_position(&self) -> Option<(u16, u16)> {
        // The terminal answers (row, col).
        self.term.cursor_position().map(|(row, col)| (col, row))
    }
    fn at_prompt(&self) -> bool {
        // Our prompt, or a program inside (a container's shell) quietly waiting for a line.
        self.term.ready_for_input(READY_QUIET)
    }
    fn application_cursor(&self) -> bool {
        self.term.screen().application_cursor()
    }
    fn mouse(&mut self, event: &crossterm::event::MouseEvent, col: u16, row: u16) -> bool {
        let screen = self.term.screen();
        let mode = screen.mouse_protocol_mode();
        if mode == vt100::MouseProtocolMode::None {
            return false;
        }
        let encoding = screen.mouse_protocol_encoding();
        if let Some(bytes) = super::term::encode_mouse(event, col, row, mode, encoding) {
            self.term.write(&bytes);
        }
        true
    }
    fn scrolled_back(&self) -> usize {
        self.term.scrollback_offset()
    }
    fn full_screen(&self) -> bool {
        self.term.screen().alternate_screen()
    }
    fn text(&self, from: (u16, u16), to: (u16, u16)) -> String {
        // vt100 ends before `end_col`; a wide cell's second half still takes the whole cell.
        let text =
            self.term
                .screen()
                .contents_between(from.0, from.1, to.0, to.1.saturating_add(1));
        // Lines as a terminal copies them: without the blank cells right of the text.
        text.split('\n')
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn render(&self, area: Rect, buf: &mut Buffer, focused: bool) {
        use ratatui::widgets::Widget;
        super::term::TerminalView::new(self.term.screen())
            .colors(self.colors)
            .show_cursor(!focused)
            .render(area, buf);
    }
}
