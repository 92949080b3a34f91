//! The course: lesson files, steps, checks over engine state and events, progress, linter.
