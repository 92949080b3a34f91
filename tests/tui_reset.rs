//! Issue 15, driven as a learner drives it (the real binary in tmux, Korean): F5 on a lesson-07
//! step rebuilds that step's start and keeps another lesson's image; a jump to a step offers
//! to prepare what it needs; a window closed without F10 leaves containers the next start
//! offers to stop.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, have_tmux};
use gorae::course::default_lessons_dir;
use gorae::i18n::{Lang, t_in};

fn start(name: &str, dir: &Path, args: &str) -> Tmux {
    let exe = env!("CARGO_BIN_EXE_gorae");
    let cmd = format!(
        "exec env GORAE_LESSONS='{}' GORAE_ROOT='{}' GORAE_IMAGES='{}' GORAE_STATE='{}' LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko {args}",
        default_lessons_dir().display(),
        dir.join("root").display(),
        common::catalog().display(),
        dir.join("state").display()
    );
    Tmux::start(name, &cmd)
}

/// The first words of a message, as the screen shows them (it may wrap the rest).
fn head(key: &str) -> String {
    t_in(Lang::Ko, key, &[]).chars().take(14).collect()
}

fn dialog_open(s: &str) -> bool {
    s.contains(&format!("┌ {} ", t_in(Lang::Ko, "tui_confirm_title", &[])))
}

/// Type a line into the terminal pane and wait for `marker` (printed by the line itself).
fn run(tmux: &Tmux, line: &str, marker: &str, secs: u64) -> String {
    tmux.literal(line);
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(secs), |s| s.contains(marker));
    assert!(ok, "`{line}` did not print {marker}:\n{s}");
    s
}

fn wait_prompt(tmux: &Tmux) {
    let (ok, s) = tmux.wait_for(Duration::from_secs(20), |s| s.contains("🐳"));
    assert!(ok, "no shell prompt:\n{s}");
}

/// Whether process `pid` ends within `secs`.
fn gone_within(pid: i32, secs: u64) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn usable() -> bool {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return false;
    }
    if !common::is_root() {
        common::skip("runs redis and nginx containers: as root (CI runs it so)");
        return false;
    }
    true
}

#[test]
fn f5_on_a_lesson_07_step_rebuilds_it_and_keeps_another_lessons_image() {
    if !usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start(
        "reset07",
        dir.path(),
        "--lesson 07-data-and-networks --step volume-save",
    );
    wait_prompt(&tmux);
    // Jumped past the step that runs `db`: gorae offers to prepare it. Not now.
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), dialog_open);
    assert!(ok, "no offer to prepare the step:\n{s}");
    assert!(s.contains("db") && s.contains("redis-data"), "{s}");
    tmux.keys(&["n"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| !dialog_open(s));
    assert!(ok, "the dialog stayed:\n{s}");

    // Another lesson's image, and a `db` that is not this step's. (The name is typed in two
    // quoted halves, so the screen shows `hello-app` only where the dialog would name it.)
    run(
        &tmux,
        "docker pull busybox >/dev/null && docker tag busybox 'hello-'app && docker run -d --name db busybox sleep 600 >/dev/null && echo made-$((6*7))",
        "made-42",
        60,
    );
    tmux.keys(&["F5"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), dialog_open);
    assert!(ok, "F5 opened no dialog:\n{s}");
    assert!(
        s.contains("db"),
        "the dialog does not say it removes db:\n{s}"
    );
    assert!(
        !s.contains("hello-app"),
        "the dialog would remove hello-app:\n{s}"
    );
    // Enter is not yes.
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains(&head("tui_reset_cancelled"))
    });
    assert!(ok, "Enter did not cancel:\n{s}");
    tmux.keys(&["F5"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), dialog_open);
    assert!(ok, "F5 opened no dialog:\n{s}");
    tmux.keys(&["y"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(120), |s| {
        s.contains(&head("tui_reset_done"))
    });
    assert!(ok, "the reset did not finish:\n{s}");

    // The step's start: db is lesson 07's redis on its volume; hello-app is still there.
    let s = run(
        &tmux,
        "docker image inspect -f ok hello-app && echo kept-$((6*7)); docker inspect -f '{{.Config.Image}}/{{range .Mounts}}{{.Name}}{{end}}' db",
        "kept-42",
        20,
    );
    let (ok, s) = if s.contains("redis/redis-data") {
        (true, s)
    } else {
        tmux.wait_for(Duration::from_secs(10), |s| s.contains("redis/redis-data"))
    };
    assert!(ok, "db is not lesson 07's redis with its volume:\n{s}");
    // The step itself now works as written.
    run(
        &tmux,
        "docker exec db redis-cli set greeting hello && docker exec db redis-cli save && echo saved-$((6*7))",
        "saved-42",
        30,
    );
    run(
        &tmux,
        "docker rm -f db >/dev/null; echo gone-$((6*7))",
        "gone-42",
        30,
    );
}

#[test]
fn jumping_to_a_step_prepares_what_the_earlier_steps_made() {
    if !usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("jump02", dir.path(), "--lesson 02-images --step tag");
    wait_prompt(&tmux);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), dialog_open);
    assert!(ok, "no offer to prepare the step:\n{s}");
    assert!(
        s.contains("debian:12"),
        "the offer does not name debian:12:\n{s}"
    );
    tmux.keys(&["y"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(120), |s| {
        s.contains(&head("tui_prepare_done"))
    });
    assert!(ok, "the preparation did not finish:\n{s}");
    // The step's own command works now (it failed before: no debian:12).
    run(
        &tmux,
        "docker tag debian:12 my-debian:v1 && echo tagged-$((6*7))",
        "tagged-42",
        20,
    );
}

#[test]
fn containers_left_running_by_a_closed_window_are_offered_to_stop_at_the_next_start() {
    if !usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("closed", dir.path(), "");
    wait_prompt(&tmux);
    run(
        &tmux,
        "docker run -d --name left busybox sleep 600 >/dev/null && echo up-$((6*7))",
        "up-42",
        60,
    );
    // The window closes: tmux goes away with the TUI in it (SIGHUP), no F10.
    let pid = tmux.pane_pid().expect("the pane's pid");
    drop(tmux);
    assert!(gone_within(pid, 10), "the TUI outlived its window");

    let tmux = start("closed2", dir.path(), "");
    wait_prompt(&tmux);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), dialog_open);
    assert!(ok, "the next start did not ask:\n{s}");
    assert!(s.contains("left") && s.contains("F10"), "{s}");
    tmux.keys(&["y"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(30), |s| {
        s.contains(&head("tui_left_running_stopped"))
    });
    assert!(ok, "not stopped:\n{s}");
    run(
        &tmux,
        "echo state-$(docker inspect -f '{{.State.Status}}' left)",
        "state-exited",
        20,
    );
    // Quit with F10: the start after it asks nothing. (The pid first: a quick quit takes
    // the pane with it.)
    let pid = tmux.pane_pid().expect("the pane's pid");
    tmux.keys(&["F10"]);
    assert!(gone_within(pid, 10), "F10 did not quit");
    drop(tmux);
    assert!(
        !dir.path().join("state/session").exists(),
        "F10 left the session marked open"
    );
}
