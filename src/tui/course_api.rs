//! The course API the TUI uses, in one place.
pub use super::course_shim::check::{self, Verdict};
pub use super::course_shim::progress::Progress;
pub use super::course_shim::{Lesson, LessonError, Step, default_lessons_dir, load_course};
