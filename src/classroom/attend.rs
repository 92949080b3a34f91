//! The attendee's app in a class: the few hooks the TUI calls where it already records progress
//! (a step entered, ✓, a hint, the solution, a reset, a wrong attempt's hint), and what the
//! outbox tells it (online or not, the instructor's broadcasts). Only these events leave the
//! machine; nothing typed, no file, nothing of a container.

use super::client::{Attendance, News};
use super::protocol::{Kind, MAX_HINT, MAX_MESSAGE, check_id};
use crate::i18n::t;
use crate::tui::model::{App, Confirm, MsgKind, Overlay};

/// The app's class: the outbox and whether the server answered last time.
pub struct Class {
    pub attendance: Attendance,
    pub online: bool,
}

/// Text from the network shown on the learner's terminal: no control characters (no escape
/// sequence can reach the screen), at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl App {
    fn tell(&mut self, kind: MsgKind, text: String) {
        self.message = Some(crate::tui::model::Message { kind, text });
    }

    pub fn class_send(&self, kind: Kind) {
        if let Some(c) = &self.class {
            c.attendance.send(kind);
        }
    }

    /// The current step, as the board knows it.
    pub fn class_step(&self, done: bool) {
        let Some((lesson, step)) = self
            .current_lesson()
            .zip(self.current_step())
            .map(|(l, s)| (l.id.clone(), s.id.clone()))
        else {
            return;
        };
        self.class_send(if done {
            Kind::Done { lesson, step }
        } else {
            Kind::Step { lesson, step }
        });
    }

    pub fn class_wrong(&self, hint: &str) {
        let hint = clean(hint, MAX_HINT);
        if !hint.trim().is_empty() {
            self.class_send(Kind::Wrong { hint });
        }
    }

    pub fn class_touch(&self) {
        if let Some(c) = &self.class {
            c.attendance.touch();
        }
    }

    pub fn class_news(&mut self, news: News) {
        match news {
            News::Online(on) => {
                if let Some(c) = self.class.as_mut() {
                    c.online = on;
                }
            }
            News::WrongCode => {
                self.class = None;
                self.tell(MsgKind::Error, t("class_wrong_code", &[]));
            }
            News::Broadcast(b) => {
                let message = clean(&b.message, MAX_MESSAGE);
                let ok =
                    |v: &Option<String>| v.as_deref().is_none_or(|v| check_id("id", v).is_ok());
                match b.lesson {
                    // Another question is open: it stays, the move is told instead.
                    Some(lesson) if self.overlay.is_some() => {
                        let place = b.step.map_or(lesson.clone(), |s| format!("{lesson}-{s}"));
                        let text = t(
                            "class_move_later",
                            &[("message", &message), ("place", &place)],
                        );
                        self.tell(MsgKind::Info, text);
                    }
                    Some(lesson) if ok(&Some(lesson.clone())) && ok(&b.step) => {
                        self.overlay = Some(Overlay::Confirm(Confirm::ClassMove {
                            lesson,
                            step: b.step,
                            message,
                        }));
                    }
                    _ if !message.is_empty() => {
                        self.tell(MsgKind::Info, t("class_message", &[("message", &message)]));
                    }
                    _ => {}
                }
            }
        }
    }

    /// The learner's answer to the instructor's move: only yes moves.
    pub fn class_answer(&mut self, yes: bool, lesson: &str, step: Option<&str>) {
        if !yes {
            self.tell(MsgKind::Info, t("class_move_declined", &[]));
            return;
        }
        self.message = None;
        self.typing = None;
        match self.start_at(lesson, step) {
            Ok(()) => self.offer_preparation(),
            Err(e) => {
                self.tell(MsgKind::Error, e);
            }
        }
    }

    /// F12: leave the class (asked first); without a class, the form that joins one.
    pub fn class_ask_leave(&mut self) {
        self.overlay = Some(if self.class.is_some() {
            Overlay::Confirm(Confirm::LeaveClass)
        } else {
            Overlay::ClassJoin(Default::default())
        });
    }

    pub fn class_leave(&mut self) {
        if let Some(c) = self.class.take() {
            c.attendance.leave();
            self.tell(MsgKind::Info, t("class_left", &[]));
        }
    }
}

/// Start the outbox for a membership (`--join`, or the one saved from the last session); the
/// step the app opened on is sent first.
pub fn start(
    m: super::client::Membership,
    state: &std::path::Path,
    tx: std::sync::mpsc::Sender<crate::tui::event::AppEvent>,
) -> Option<Class> {
    let send = move |n| {
        let _ = tx.send(crate::tui::event::AppEvent::Class(n));
    };
    Attendance::start(m, state.to_path_buf(), send)
        .ok()
        .map(|attendance| Class {
            attendance,
            online: false,
        })
}

/// `--join`'s refusals, in the learner's language.
pub fn join_error(e: &super::client::JoinError) -> String {
    use super::client::JoinError;
    match e {
        JoinError::Address(a) => t("class_bad_address", &[("addr", a)]),
        JoinError::Code => t("class_bad_code", &[]),
        JoinError::Name(why) => t("class_bad_name", &[("error", why)]),
        JoinError::Io(e) => t("class_io", &[("error", e)]),
    }
}
