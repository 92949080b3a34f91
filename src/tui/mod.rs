//! The sandbox TUI: lesson pane, terminal pane, state panel, status line.

pub mod markdown;
pub mod theme;
