//! Lesson files: front matter, step blocks and predicates. Any text must give a lesson or a
//! `LessonError` that names a line inside the file, never a panic.
#![no_main]

use std::path::Path;

use gorae::course::parse_lesson;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_lesson(Path::new("lessons/ko/99-fuzz.md"), &text) {
        Ok(lesson) => {
            assert!(!lesson.steps.is_empty());
            assert!(!lesson.id.trim().is_empty() && !lesson.title.trim().is_empty());
            let lines = text.lines().count().max(1);
            for s in &lesson.steps {
                assert!(
                    s.line >= 1 && s.line <= lines,
                    "step line {} of {lines}",
                    s.line
                );
                let _ = s.is_reading();
            }
        }
        Err(e) => {
            // The line points into the file (1-based), and the message renders.
            let lines = text.split_inclusive('\n').count().max(1);
            assert!(
                e.line >= 1 && e.line <= lines + 1,
                "error line {} of {lines}: {e}",
                e.line
            );
            let _ = e.to_string();
        }
    }
});
