//! gorae (고래): learn Docker in Korean, by doing.
//!
//! The engine (`engine`) is a library with no UI; the CLI (`cli`) and the TUI (`tui`) are two
//! faces over it, and the course (`course`) reads the engine's state and events.
//! See `docs/ARCHITECTURE.md` for the on-disk layout and the event feed.

#![deny(unsafe_code)]

pub mod classroom;
pub mod cli;
pub mod course;
pub mod doctor;
pub use gorae_engine as engine;
pub mod i18n;
pub mod tui;
