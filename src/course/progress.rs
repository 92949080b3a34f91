//! Per-user progress: which steps are done, where the learner was. Stored as TOML at
//! `$GORAE_STATE/progress.toml`, else `$XDG_STATE_HOME/gorae/progress.toml`, else
//! `~/.local/state/gorae/progress.toml`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::t;

use super::lesson::Lesson;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProgressError {
    /// The file was unreadable or not valid progress; it was moved aside and progress starts empty.
    #[error("{}", t("course.progress.corrupt", &[("path", &path.display().to_string()), ("error", detail), ("backup", &backup.display().to_string())]))]
    Corrupt {
        path: PathBuf,
        detail: String,
        backup: PathBuf,
    },
    #[error("{}", t("course.progress.io", &[("path", &path.display().to_string()), ("error", detail)]))]
    Io { path: PathBuf, detail: String },
}

// Unknown fields are ignored, not errors: a newer gorae's file stays readable by an older one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ProgressFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current_lesson: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current_step: Option<String>,
    /// Done step ids per lesson id.
    #[serde(default)]
    done: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    path: PathBuf,
    data: ProgressFile,
    /// What went wrong while loading, for the TUI to show once (progress is then empty).
    pub problem: Option<ProgressError>,
}

pub fn default_progress_path() -> PathBuf {
    let env_dir = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = env_dir("GORAE_STATE")
        .or_else(|| env_dir("XDG_STATE_HOME").map(|d| d.join("gorae")))
        .unwrap_or_else(|| {
            env_dir("HOME")
                .unwrap_or_else(|| PathBuf::from("/root"))
                .join(".local/state/gorae")
        });
    dir.join("progress.toml")
}

impl Progress {
    /// The user's progress from the default path.
    pub fn load() -> Progress {
        Progress::load_from(&default_progress_path())
    }

    /// Progress from `path`. A missing file is empty progress; a corrupt one is moved aside to
    /// `progress.toml.corrupt`, reported in `problem`, and progress starts empty.
    pub fn load_from(path: &Path) -> Progress {
        let mut progress = Progress {
            path: path.to_path_buf(),
            data: ProgressFile::default(),
            problem: None,
        };
        let text = match fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return progress,
            Err(e) => {
                progress.problem = Some(ProgressError::Io {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                });
                return progress;
            }
        };
        match text
            .and_then(|s| toml::from_str::<ProgressFile>(&s).map_err(|e| e.message().to_string()))
        {
            Ok(data) => progress.data = data,
            Err(detail) => {
                let mut backup = path.as_os_str().to_owned();
                backup.push(".corrupt");
                let backup = PathBuf::from(backup);
                // Keep the damaged file for the curious; if even that fails, saving replaces it.
                let _ = fs::rename(path, &backup);
                progress.problem = Some(ProgressError::Corrupt {
                    path: path.to_path_buf(),
                    detail,
                    backup,
                });
            }
        }
        progress
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write atomically: a temp file beside the target, synced, then renamed over it.
    pub fn save(&self) -> Result<(), ProgressError> {
        let io = |e: std::io::Error| ProgressError::Io {
            path: self.path.clone(),
            detail: e.to_string(),
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io)?;
        let text = toml::to_string(&self.data).map_err(|e| ProgressError::Io {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        let tmp = dir.join(format!(".progress.toml.tmp-{}", std::process::id()));
        let written = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }

    pub fn mark_done(&mut self, lesson: &str, step: &str) {
        self.data
            .done
            .entry(lesson.to_string())
            .or_default()
            .insert(step.to_string());
    }

    pub fn is_done(&self, lesson: &str, step: &str) -> bool {
        self.data.done.get(lesson).is_some_and(|s| s.contains(step))
    }

    /// How many of the lesson's steps are done.
    pub fn done_count(&self, lesson: &Lesson) -> usize {
        lesson
            .steps
            .iter()
            .filter(|s| self.is_done(&lesson.id, &s.id))
            .count()
    }

    /// The first step not done, in course order. When everything is done: the last step of
    /// the last lesson; with no lessons: (0, 0).
    pub fn first_unfinished(&self, lessons: &[Lesson]) -> (usize, usize) {
        for (li, lesson) in lessons.iter().enumerate() {
            if let Some(si) = lesson
                .steps
                .iter()
                .position(|s| !self.is_done(&lesson.id, &s.id))
            {
                return (li, si);
            }
        }
        match lessons.last() {
            Some(l) => (lessons.len() - 1, l.steps.len().saturating_sub(1)),
            None => (0, 0),
        }
    }

    /// Forget the lesson's done steps (the learner starts it over).
    pub fn reset_lesson(&mut self, lesson: &str) {
        self.data.done.remove(lesson);
    }

    pub fn set_current(&mut self, lesson: &str, step: &str) {
        self.data.current_lesson = Some(lesson.to_string());
        self.data.current_step = Some(step.to_string());
    }

    /// Where the learner was: (lesson id, step id).
    pub fn current(&self) -> Option<(&str, &str)> {
        Some((
            self.data.current_lesson.as_deref()?,
            self.data.current_step.as_deref()?,
        ))
    }

    /// The saved position as indices into `lessons`, if that lesson and step still exist.
    pub fn current_position(&self, lessons: &[Lesson]) -> Option<(usize, usize)> {
        let (lid, sid) = self.current()?;
        let li = lessons.iter().position(|l| l.id == lid)?;
        let si = lessons[li].steps.iter().position(|s| s.id == sid)?;
        Some((li, si))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::lesson::parse_lesson;

    fn lesson(id: &str, steps: &[&str]) -> Lesson {
        let mut src = format!("+++\nid = \"{id}\"\ntitle = \"t\"\n+++\n");
        for s in steps {
            src.push_str(&format!("\n```step\nid = \"{s}\"\ntitle = \"{s}\"\n```\n"));
        }
        parse_lesson(Path::new("x.md"), &src).unwrap()
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/progress.toml");
        let mut p = Progress::load_from(&path);
        assert!(p.problem.is_none());
        assert!(!p.is_done("01-hello", "run"));
        p.mark_done("01-hello", "run");
        p.mark_done("02-images", "pull");
        p.set_current("02-images", "tag");
        p.save().unwrap();

        let q = Progress::load_from(&path);
        assert!(q.problem.is_none());
        assert!(q.is_done("01-hello", "run"));
        assert!(q.is_done("02-images", "pull"));
        assert!(!q.is_done("02-images", "tag"));
        assert_eq!(q.current(), Some(("02-images", "tag")));
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("progress.toml")]);
    }

    #[test]
    fn corrupt_file_is_reported_moved_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.toml");
        fs::write(&path, "done = [[[ not toml").unwrap();
        let mut p = Progress::load_from(&path);
        let Some(ProgressError::Corrupt { backup, .. }) = &p.problem else {
            panic!("{:?}", p.problem)
        };
        assert_eq!(fs::read_to_string(backup).unwrap(), "done = [[[ not toml");
        assert!(!p.is_done("a", "b"));
        p.mark_done("a", "b");
        p.save().unwrap();
        assert!(Progress::load_from(&path).is_done("a", "b"));

        fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            Progress::load_from(&path).problem,
            Some(ProgressError::Corrupt { .. })
        ));
        fs::write(&path, "done = 3").unwrap();
        assert!(matches!(
            Progress::load_from(&path).problem,
            Some(ProgressError::Corrupt { .. })
        ));
    }

    #[test]
    fn first_unfinished_and_reset() {
        let dir = tempfile::tempdir().unwrap();
        let lessons = vec![lesson("01-a", &["x", "y"]), lesson("02-b", &["p", "q"])];
        let mut p = Progress::load_from(&dir.path().join("progress.toml"));
        assert_eq!(p.first_unfinished(&lessons), (0, 0));
        p.mark_done("01-a", "x");
        assert_eq!(p.first_unfinished(&lessons), (0, 1));
        p.mark_done("01-a", "y");
        p.mark_done("02-b", "q");
        assert_eq!(p.first_unfinished(&lessons), (1, 0));
        assert_eq!(p.done_count(&lessons[1]), 1);
        p.mark_done("02-b", "p");
        assert_eq!(
            p.first_unfinished(&lessons),
            (1, 1),
            "all done: the last step"
        );
        p.reset_lesson("01-a");
        assert_eq!(p.first_unfinished(&lessons), (0, 0));
        assert!(p.is_done("02-b", "p"));
        assert_eq!(p.first_unfinished(&[]), (0, 0));

        p.set_current("02-b", "q");
        assert_eq!(p.current_position(&lessons), Some((1, 1)));
        p.set_current("02-b", "gone");
        assert_eq!(p.current_position(&lessons), None);
    }
}
