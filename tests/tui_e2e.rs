//! The real binary in tmux: type the first lesson's commands into the sandbox terminal and
//! watch each step turn ✓ (the lesson list, F7, shows a ✓ per step).
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, have_tmux};

use gorae::course::{default_lessons_dir, load_course};
use gorae::i18n::Lang;

fn start(name: &str, dir: &Path, lessons: &Path) -> Tmux {
    start_with(name, dir, lessons, "")
}

fn start_with(name: &str, dir: &Path, lessons: &Path, args: &str) -> Tmux {
    let exe = env!("CARGO_BIN_EXE_gorae");
    let root = dir.join("root");
    let state = dir.join("state");
    let cmd = format!(
        "env GORAE_LESSONS='{}' GORAE_ROOT='{}' GORAE_STATE='{}' LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko {args}",
        lessons.display(),
        root.display(),
        state.display()
    );
    Tmux::start(name, &cmd)
}

#[test]
fn first_lesson_steps_turn_green_as_commands_are_typed() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
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
    let tmux = start("e2e", dir.path(), &lessons_dir);

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

/// A container printing without end into the terminal pane: the screen keeps answering keys,
/// Ctrl-C reaches the container, and the prompt comes back. (With `-t`, Ctrl-C goes to the
/// program through the container's terminal; without it, Docker passes it to PID 1, which
/// `yes` as PID 1 would ignore, as on Docker.)
#[test]
fn endless_output_does_not_freeze_the_screen() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = start("flood", dir.path(), &default_lessons_dir());
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("🐳"));
    assert!(ok, "no shell prompt:\n{s}");
    tmux.literal("docker run -it --rm --name flood busybox sh -c 'yes flooding-the-pane'");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| {
        s.matches("flooding-the-pane").count() > 5
    });
    assert!(ok, "the output never came:\n{s}");
    // Let it pour for a while, then ask the screen for the lesson list.
    std::thread::sleep(Duration::from_secs(2));
    tmux.keys(&["F7"]);
    let title = gorae::i18n::t_in(Lang::Ko, "tui_list_title", &[]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| s.contains(&title));
    assert!(
        ok,
        "the screen stopped answering keys during the flood:\n{s}"
    );
    tmux.keys(&["Escape"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| !s.contains(&title));
    assert!(ok, "the list did not close:\n{s}");
    tmux.keys(&["C-c"]);
    // The terminal pane is the right of the last border on each line; the last line is
    // the status bar.
    let pane = |s: &str| -> Vec<String> {
        let lines: Vec<&str> = s.lines().collect();
        lines[..lines.len().saturating_sub(1)]
            .iter()
            .filter_map(|l| l.rsplit_once('│').map(|(_, r)| r.trim_end().to_string()))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let prompt_last = |s: &str| {
        pane(s)
            .last()
            .is_some_and(|l| l.contains("gorae:") && l.ends_with('#'))
    };
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), prompt_last);
    assert!(ok, "Ctrl-C did not bring the prompt back:\n{s}");
    // And the container is gone (it was --rm).
    tmux.literal("docker ps -aq --filter name=flood | wc -l; echo checked-$((6*7))");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| {
        s.contains("checked-42") && prompt_last(s)
    });
    assert!(ok, "{s}");
    let lines = pane(&s);
    let count = lines
        .iter()
        .position(|l| l == "checked-42")
        .and_then(|i| lines.get(i.checked_sub(1)?))
        .cloned();
    assert_eq!(
        count.as_deref().map(str::trim),
        Some("0"),
        "the flooding container is still listed:\n{s}"
    );
}

/// Issue 15: a learner with the lesson pane focused types a command. Nothing of theirs is
/// lost (no reset, no demo mode), the screen says how to reach the terminal, and a restart
/// opens the step they were on rather than the first unfinished one.
#[test]
fn typing_into_the_lesson_pane_loses_nothing_and_a_restart_resumes_there() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let lessons_dir = default_lessons_dir();
    let course: Vec<_> = load_course(&lessons_dir, Lang::Ko)
        .into_iter()
        .map(|l| l.expect("the lesson parses"))
        .collect();
    assert!(course.len() >= 2, "the course has lessons");
    let dir = tempfile::tempdir().expect("temp dir");
    let tmux = start_with(
        "lesson-typing",
        dir.path(),
        &lessons_dir,
        "--lesson 2 --step 2",
    );
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("🐳"));
    assert!(ok, "no shell prompt:\n{s}");
    tmux.literal("docker pull busybox >/dev/null && echo pulled-$((6*7))");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(30), |s| s.contains("pulled-42"));
    assert!(ok, "the pull did not finish:\n{s}");

    // Focus the lesson pane and type as a distracted learner would.
    tmux.keys(&["C-g"]);
    tmux.literal("docker ps -a");
    tmux.keys(&["Enter"]);
    tmux.literal("rm -f d r");
    tmux.keys(&["Enter"]);
    let hint = gorae::i18n::t_in(Lang::Ko, "tui_lesson_typing", &[("switch", "Ctrl-G")]);
    let head: String = hint.chars().take(20).collect();
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| s.contains(&head));
    assert!(ok, "no hint about the terminal:\n{s}");
    let confirm = gorae::i18n::t_in(Lang::Ko, "tui_confirm_title", &[]);
    assert!(
        !s.contains(&format!("┌ {confirm} ")),
        "a dialog opened:\n{s}"
    );
    let status = s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    let demo = gorae::i18n::t_in(Lang::Ko, "tui_demo", &[]);
    assert!(
        !status.contains(&format!("│ {demo} ")),
        "demo mode is on:\n{s}"
    );

    // Back in the terminal, the pulled image is still there.
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.literal("docker image inspect busybox >/dev/null && echo kept-$((6*7))");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("kept-42"));
    assert!(ok, "the image is gone:\n{s}");

    tmux.keys(&["F10"]);
    let title = &course[1].title;
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("y: ") || !s.contains(title.as_str())
    });
    assert!(ok, "quit did not work:\n{s}");
    if s.contains("y: ") {
        tmux.keys(&["y"]);
    }
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| !s.contains(title.as_str()));
    assert!(ok, "gorae did not quit:\n{s}");
    drop(tmux);

    // Where the learner was is saved; a restart without flags opens it.
    let saved =
        std::fs::read_to_string(dir.path().join("state/progress.toml")).expect("progress.toml");
    let value: toml::Value = toml::from_str(&saved).expect("progress is TOML");
    let lesson_id = value.get("current_lesson").and_then(|v| v.as_str());
    let step_id = value.get("current_step").and_then(|v| v.as_str());
    assert_eq!(lesson_id, Some(course[1].id.as_str()), "{saved}");
    let si = course[1]
        .steps
        .iter()
        .position(|st| Some(st.id.as_str()) == step_id)
        .expect("the saved step exists");
    assert!(si >= 1, "{saved}");
    let tmux = start("resume", dir.path(), &lessons_dir);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| {
        s.lines().any(|l| {
            l.contains(&format!("수업 2/{}", course.len()))
                && l.contains(&format!("단계 {}/{}", si + 1, course[1].steps.len()))
        })
    });
    assert!(
        ok,
        "the restart did not open the saved step {step_id:?}:\n{s}"
    );
}
