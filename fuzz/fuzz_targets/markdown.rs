//! The TUI's lesson renderer: any markdown at any pane width gives lines that fit the width
//! (in display columns), never a panic.
#![no_main]

use gorae::tui::markdown::render;
use gorae::tui::text::line_width;
use gorae::tui::theme::Theme;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&w, rest)) = data.split_first() else {
        return;
    };
    let width = u16::from(w % 120);
    let text = String::from_utf8_lossy(rest);
    for line in render(&text, width, &Theme::plain()) {
        let lw = line_width(&line);
        assert!(
            lw <= usize::from(width.max(1)),
            "line of {lw} columns in {width}"
        );
    }
});
