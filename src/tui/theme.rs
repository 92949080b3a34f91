//! Colours and emphasis for every pane. `NO_COLOR` keeps bold/reverse/dim but drops colours;
//! the instructor demo theme has bigger markers. Text and borders keep the terminal's own
//! foreground, so light and dark themes (a projector's) both read.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Theme {
    pub color: bool,
    pub demo: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value (https://no-color.org).
    pub fn from_env(demo: bool) -> Theme {
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Theme { color, demo }
    }

    pub fn plain() -> Theme {
        Theme {
            color: true,
            demo: false,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// The bright colour, or in demo mode its base one: a projector's theme tunes the eight
    /// base colours for its own background, light or dark; the bright ones fade on white.
    fn accent(&self, bright: Color, base: Color) -> Style {
        self.fg(if self.demo { base } else { bright })
    }

    fn bg(&self, style: Style, c: Color) -> Style {
        if self.color { style.bg(c) } else { style }
    }

    /// Body text in the terminal's own foreground: readable on a light projector theme as on
    /// a dark one (a forced white vanishes on white).
    pub fn text(&self) -> Style {
        Style::new()
    }
    pub fn h1(&self) -> Style {
        self.accent(Color::LightCyan, Color::Cyan)
            .add_modifier(Modifier::BOLD)
    }
    pub fn h2(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn h3(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn rule(&self) -> Style {
        self.fg(Color::Cyan)
    }
    /// Faint, relative to whatever the terminal's foreground is (a fixed grey is lost on
    /// one of the two projector themes).
    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
    pub fn code_inline(&self) -> Style {
        if self.color {
            self.bg(self.fg(Color::LightYellow), Color::Indexed(236))
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn code_block(&self) -> Style {
        self.bg(self.fg(Color::LightYellow), Color::Indexed(235))
    }
    pub fn link(&self) -> Style {
        self.fg(Color::LightBlue).add_modifier(Modifier::UNDERLINED)
    }
    pub fn quote_bar(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn bullet(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn table_border(&self) -> Style {
        self.dim()
    }
    pub fn table_header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn done(&self) -> Style {
        self.accent(Color::LightGreen, Color::Green)
            .add_modifier(Modifier::BOLD)
    }
    pub fn current_bar(&self) -> Style {
        if self.color {
            self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn current_title(&self) -> Style {
        if self.demo {
            // Yellow is lost on a white screen: the title stands out by weight.
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        }
    }
    pub fn error(&self) -> Style {
        self.accent(Color::LightRed, Color::Red)
            .add_modifier(Modifier::BOLD)
    }
    pub fn hint(&self) -> Style {
        if self.demo {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::LightYellow)
        }
    }
    pub fn ok(&self) -> Style {
        self.accent(Color::LightGreen, Color::Green)
    }
    pub fn running(&self) -> Style {
        self.accent(Color::LightGreen, Color::Green)
            .add_modifier(Modifier::BOLD)
    }
    pub fn exited(&self) -> Style {
        self.dim()
    }
    pub fn status(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn status_key(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::LightCyan).add_modifier(Modifier::BOLD)
        } else {
            // The terminal's foreground: dark grey disappears on a dark projector.
            Style::new()
        }
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn progress_full(&self) -> Style {
        if self.color {
            Style::new().fg(Color::LightGreen).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a projector shows on a light and on a dark theme: no forced white or dark grey,
    /// and in demo mode none of the bright colours that fade on white.
    #[test]
    fn text_and_borders_keep_the_terminals_foreground() {
        for demo in [false, true] {
            let th = Theme { color: true, demo };
            assert_eq!(th.text().fg, None);
            assert_eq!(th.border(false).fg, None);
            assert_eq!(th.dim().fg, None);
        }
        let th = Theme {
            color: true,
            demo: true,
        };
        let bright = [
            Color::White,
            Color::DarkGray,
            Color::Gray,
            Color::LightCyan,
            Color::LightGreen,
            Color::LightYellow,
            Color::LightRed,
        ];
        for style in [
            th.h1(),
            th.h2(),
            th.done(),
            th.ok(),
            th.hint(),
            th.error(),
            th.running(),
            th.current_title(),
            th.exited(),
        ] {
            assert!(style.fg.is_none_or(|c| !bright.contains(&c)), "{style:?}");
        }
    }
}
