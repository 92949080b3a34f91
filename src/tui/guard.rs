//! Leaving the terminal as we found it, whatever happens: a guard restores it on drop, a panic
//! hook restores it before printing, and SIGTERM/SIGHUP/SIGINT become a quit event.

use std::io::{Write, stdout};
use std::sync::mpsc::Sender;

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use super::event::AppEvent;
use crate::i18n::t;

pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let guard = TerminalGuard { _private: () };
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Undo everything `enter` did; harmless when called twice.
pub fn restore() {
    let mut out = stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Restore the terminal first, so the panic message is readable, then print it briefly.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        restore();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("{}{at}", t("tui_panic", &[("msg", &msg)]));
    }));
}

/// Forward termination signals to the event loop as `AppEvent::Quit`.
pub fn forward_signals(tx: Sender<AppEvent>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::Builder::new()
        .name("gorae-signals".into())
        .spawn(move || {
            for (n, _) in signals.forever().enumerate() {
                if n == 0 {
                    let _ = tx.send(AppEvent::Quit);
                } else {
                    // Asked twice: the loop is stuck, leave now.
                    restore();
                    std::process::exit(1);
                }
            }
        })?;
    Ok(())
}
