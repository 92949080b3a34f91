//! What the event loop carries: every input arrives as an `AppEvent` (ratatui's template calls
//! this module `event.rs`), and what the app asks the loop to do is an `Effect`. The threads
//! that feed the loop (input, PTY, engine watcher, signals, reset) need only this module.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::course::footprint::Names;
use crate::engine::Event;

#[derive(Debug)]
pub enum AppEvent {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    PtyOutput(Vec<u8>),
    PtyExit,
    Engine(Vec<Event>),
    /// Something the current step reads changed without an engine event (a file in a
    /// running container, a log line).
    Changed,
    Tick,
    Reset(ResetUpdate),
    /// Containers the last session left running were stopped: how many, what failed.
    Stopped {
        n: usize,
        problems: Vec<String>,
    },
    /// The classroom's outbox: online or not, the instructor's broadcasts.
    Class(crate::classroom::client::News),
    /// SIGTERM, SIGHUP or SIGINT.
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResetUpdate {
    Progress {
        done: usize,
        total: usize,
        what: String,
    },
    /// Something could not be removed; the reset goes on and says so when it ends.
    Problem(String),
    Finished(Result<(), String>),
}

/// Work the event loop does on the app's behalf (threads, processes).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Reset(ResetPlan),
    RespawnShell,
    /// Stop what the last session left running (the learner said yes).
    StopLeftRunning(Vec<String>),
    /// Start sending progress to this class (F12's form).
    JoinClass(Box<crate::classroom::client::Membership>),
    /// Put text on the clipboard of the terminal gorae runs in (OSC 52).
    Copy(String),
    /// Take the mouse (true) or give it back to the outer terminal for its own selection.
    MouseCapture(bool),
}

/// How to bring the engine back to the start of a step: remove what the lesson names (and
/// exists now), then replay. What the lesson does not name is left alone.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetPlan {
    /// By name: containers, image tags, volumes, networks (`course::footprint`).
    pub remove: Names,
    /// Earlier steps' solutions then this step's setup, typed headlessly.
    pub replay: Vec<String>,
}
