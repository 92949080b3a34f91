//! The TUI's state: what the screen shows, owned by `App`. Its behaviour (`App::handle` and the
//! rest) is in `app.rs`; drawing (`ui/`) reads this and never the event handling.

use std::collections::BTreeSet;
use std::time::Duration;

use super::course_api::{Lesson, Progress, Step, Verdict};
use super::event::{Effect, ResetPlan};
use super::shell::ShellPane;
use super::theme::Theme;
use crate::course::footprint::Names;
use crate::engine::{Event, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Terminal,
    Lesson,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    /// A reading page opened from the help, scrolled down by `scroll` lines.
    Page {
        page: super::guide::Page,
        scroll: usize,
    },
    Lessons {
        sel: usize,
    },
    Confirm(Confirm),
    /// F12 without a class: join one.
    ClassJoin(crate::classroom::join_form::JoinForm),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    /// Quit while these containers run: y stops them, n leaves them running.
    Quit {
        running: Vec<String>,
    },
    Skip,
    /// F5: what will be removed and replayed, shown before the learner says yes.
    Reset(Box<ResetPlan>),
    /// A jump landed on a step whose earlier steps' results are missing: replay them?
    Prepare {
        missing: Box<Names>,
        plan: Box<ResetPlan>,
    },
    /// The last session ended without F10 (the window was closed) and left these running.
    LeftRunning {
        /// (id, name) of each.
        running: Vec<(String, String)>,
    },
    /// The instructor asks everyone to this lesson (and step): y moves, anything else stays.
    ClassMove {
        lesson: String,
        step: Option<String>,
        message: String,
    },
    /// F12 in a class: leave it?
    LeaveClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    Info,
    Success,
    Hint,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: MsgKind,
    pub text: String,
}

/// A solution command being typed at a human pace (demo mode).
#[derive(Debug, Clone, PartialEq)]
pub struct Typing {
    pub chars: Vec<char>,
    pub pos: usize,
    /// Everything typed and entered; waiting for the prompt to come back.
    pub waiting: bool,
    /// Typed up to the last Enter, which waits for the presenter's key.
    pub held: bool,
}

/// What the learner has asked to see for the current step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepAid {
    pub hints_shown: usize,
    pub solution_shown: bool,
    pub solution_typed: usize,
    pub avoid: Option<String>,
}

/// What the app needs of the engine (the `Store` in `engine_link`, a fake in tests).
pub trait EngineView {
    fn snapshot(&self) -> Snapshot;
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict;
    /// Watch what `step` (None: nothing) needs in this state, beyond engine events.
    fn watch(&self, _step: Option<&Step>, _snap: &Snapshot) {}
    /// The app has judged since the last `AppEvent::Changed`: the next change may be sent.
    fn changes_seen(&self) {}
}

pub const TYPING_INTERVAL: Duration = Duration::from_millis(45);
/// While a typed command runs, how often to look for the prompt when no output arrives.
pub const PROMPT_CHECK_INTERVAL: Duration = Duration::from_millis(150);

pub struct App {
    pub theme: Theme,
    pub lessons: Vec<Result<Lesson, String>>,
    pub lesson: usize,
    /// Index into the lesson's steps; `steps.len()` means the lesson is complete.
    pub step: usize,
    pub progress: Progress,
    /// Steps passed in demo mode (never saved).
    pub demo_done: BTreeSet<(String, String)>,
    pub demo: bool,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub show_state: bool,
    /// Lines of the state panel scrolled past (the mouse wheel over it).
    pub state_scroll: usize,
    pub snapshot: Snapshot,
    pub events_since_step: Vec<Event>,
    pub aid: StepAid,
    pub message: Option<Message>,
    /// None: follow the current step.
    pub lesson_scroll: Option<usize>,
    pub shell: Option<Box<dyn ShellPane>>,
    pub shell_alive: bool,
    pub size: (u16, u16),
    pub typing: Option<Typing>,
    /// Demo mode: time between typed characters (the presenter's + and - change it).
    pub pace: Duration,
    pub resetting: Option<String>,
    /// What the running reset could not remove, told when it finishes.
    pub reset_problems: Vec<String>,
    /// The running reset prepares a step a jump landed on (said so when it ends).
    pub preparing: bool,
    pub quit: bool,
    /// Containers to stop after the screen is restored.
    pub stop_on_quit: Vec<String>,
    /// The learner quit with F10 (and answered about running containers): the session ended
    /// as meant. A signal (the window closed) leaves this false.
    pub quit_asked: bool,
    pub effects: Vec<Effect>,
    /// The class this app has joined (`gorae --join`), if any.
    pub class: Option<crate::classroom::attend::Class>,
    pub(super) engine: Box<dyn EngineView>,
    /// The switch key and the terminal pane's width (`settings.toml`, `--switch-key`).
    pub settings: super::settings::Settings,
    /// Text being selected (or selected) with the mouse in the terminal pane.
    pub selection: Option<Selection>,
    /// The learner let go of the mouse (F12): the outer terminal selects and copies itself.
    pub mouse_released: bool,
}

/// A mouse selection in the terminal pane, in the pane's cells as (row, col): from where the
/// button went down (`anchor`) to where it is (`head`). `done` once the button is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub anchor: (u16, u16),
    pub head: (u16, u16),
    pub done: bool,
}

impl Selection {
    /// (first, last) cell in reading order.
    pub fn span(&self) -> ((u16, u16), (u16, u16)) {
        if self.anchor <= self.head {
            (self.anchor, self.head)
        } else {
            (self.head, self.anchor)
        }
    }
}

/// A step with no check is read, then the learner moves on.
pub fn is_reading(step: &Step) -> bool {
    step.is_reading()
}
