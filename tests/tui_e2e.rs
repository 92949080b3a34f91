//! The real binary in tmux: type the first lesson's commands into the sandbox terminal and
//! watch each step turn ✓ (the lesson list, F7, shows a ✓ per step).

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, have_tmux};

use gorae::course::{default_lessons_dir, load_course};
use gorae::i18n::Lang;

fn start(dir: &Path, lessons: &Path) -> Tmux {
    let exe = env!("CARGO_BIN_EXE_gorae");
    let root = dir.join("root");
    let state = dir.join("state");
    let cmd = format!(
        "env GORAE_LESSONS='{}' GORAE_ROOT='{}' GORAE_STATE='{}' LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko",
        lessons.display(),
        root.display(),
        state.display()
    );
    Tmux::start("e2e", &cmd)
}

#[test]
fn first_lesson_steps_turn_green_as_commands_are_typed() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    // The course's own lessons once they exist, else the fixture course.
    let mut lessons_dir = default_lessons_dir();
    if !lessons_dir.join("ko").is_dir() {
        lessons_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons");
    }
    eprintln!("lessons from {}", lessons_dir.display());
    let lessons = load_course(&lessons_dir, Lang::Ko);
    // The first two lessons: the second one starts and checks containers for real.
    let course: Vec<_> = lessons
        .into_iter()
        .take(2)
        .map(|l| l.expect("the lesson parses"))
        .collect();
    let lesson = course.first().expect("at least one lesson").clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = start(dir.path(), &lessons_dir);

    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains(&lesson.title));
    assert!(ok, "the lesson did not appear:\n{s}");
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| {
        // The sandbox prompt (capture-pane trims its trailing space).
        s.contains("🐳")
            || s.lines()
                .any(|l| l.trim_end().ends_with('$') || l.trim_end().ends_with('#'))
    });
    assert!(ok, "no shell prompt:\n{s}");

    for (li, lesson) in course.iter().enumerate() {
        if li > 0 {
            // The lesson is complete: F6 opens the next one.
            tmux.keys(&["F6"]);
            let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| s.contains(&lesson.title));
            assert!(ok, "lesson {} did not open:\n{s}", li + 1);
        }
        for (i, step) in lesson.steps.iter().enumerate() {
            let mark = format!("✓ {}. {}", i + 1, step.title);
            if step.is_reading() {
                tmux.keys(&["F6"]);
            } else {
                for line in &step.solution {
                    tmux.literal(line);
                    tmux.keys(&["Enter"]);
                    // Let each command finish before the next one (the prompt comes back).
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
            // The lesson list shows every step with its ✓.
            let (ok, s) = tmux.wait_for(Duration::from_secs(60), |_| {
                tmux.keys(&["F7"]);
                std::thread::sleep(Duration::from_millis(200));
                let s = tmux.screen();
                tmux.keys(&["Escape"]);
                // Keys right after Esc would read as Alt+key.
                std::thread::sleep(Duration::from_millis(200));
                s.contains(&mark)
            });
            assert!(
                ok,
                "lesson {} step {} ({}) did not turn ✓:\n{s}",
                li + 1,
                i + 1,
                step.id
            );
        }
    }
    // The progress survives: it is saved on disk.
    let progress =
        std::fs::read_to_string(dir.path().join("state/progress.toml")).expect("progress saved");
    assert!(progress.contains(&lesson.id), "{progress}");
    tmux.keys(&["F10"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("y: ") || !s.contains(&lesson.title)
    });
    assert!(ok, "quit did not work:\n{s}");
}
