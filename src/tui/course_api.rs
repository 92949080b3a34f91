//! The course API the TUI uses, in one place.
pub use crate::course::{Lesson, LessonError, Progress, Step, Verdict, Watch, check, watches};
pub use crate::course::{answer, default_lessons_dir, load_course};
