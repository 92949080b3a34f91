//! The course: lesson files, steps, checks over engine state and events, progress, linter.
//!
//! - `lesson`: parsing lesson files (lessons/FORMAT.md) and finding them on disk
//! - `predicate`: the conditions steps are checked with, validated at load time
//! - `check`: judging a step against the engine (`World`) and recent events
//! - `progress`: per-user done steps and position, saved atomically
//! - `lint`: `gorae lesson check`
//! - `attempt`: `gorae lesson try`, and the tests' replays of `wrong`/`right` attempts
//! - `answer`: what a learner's server answers on the host (`http` checks)
//! - `footprint`: the names a lesson's steps make and check (what a reset removes)
//! - `history`, `words`: what happened since a step began; comparing commands by meaning

pub mod answer;
pub mod attempt;
pub mod check;
pub mod footprint;
pub mod history;
pub mod lesson;
pub mod lint;
pub mod predicate;
pub mod progress;
pub mod words;

pub use check::{Verdict, Watch, World, evaluate, predicate_holds, watches};
pub use lesson::{
    Avoid, Lesson, LessonError, LessonErrorKind, Predicate, Step, default_lessons_dir, load_course,
    load_lesson, parse_lesson,
};
pub use lint::{LintMessage, lint, lint_main};
pub use progress::{Progress, ProgressError};
