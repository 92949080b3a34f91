//! The sandbox TUI: lesson pane, terminal pane, state panel, status line.
pub mod term;

/// Placeholder entry until the TUI lands: prints how to use the CLI.
pub fn main(_args: Vec<String>) -> i32 {
    eprintln!("gorae docker <command>");
    2
}
