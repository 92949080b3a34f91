//! Issue 15's small things and the presenter, driven as a person drives them (the real binary
//! in tmux, Korean): F4 over a half-typed line types the next command of a multi-command
//! solution and counts what is left; F3 shows a here-document as its lines; F7's number keys;
//! demo mode types a command, waits for the presenter's key to run it, and Esc takes it back.
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
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let cmd = format!(
        "exec env HOME='{}' GORAE_LESSONS='{}' GORAE_ROOT='{}' GORAE_IMAGES='{}' GORAE_STATE='{}' LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko {args}",
        home.display(),
        default_lessons_dir().display(),
        dir.join("root").display(),
        common::catalog().display(),
        dir.join("state").display()
    );
    Tmux::start(name, &cmd)
}

fn ko(key: &str, args: &[(&str, &str)]) -> String {
    t_in(Lang::Ko, key, args)
}

/// The first characters of a message, as the screen shows them (it may wrap the rest).
fn head(text: &str) -> String {
    text.chars().take(12).collect()
}

fn wait(tmux: &Tmux, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let (done, s) = tmux.wait_for(Duration::from_secs(20), ok);
    assert!(done, "{what}:\n{s}");
    s
}

fn wait_prompt(tmux: &Tmux) {
    wait(tmux, "no shell prompt", |s| s.contains("🐳"));
}

fn typed(n: usize, total: usize) -> String {
    ko(
        "tui_typed",
        &[
            ("n", &n.to_string()),
            ("total", &total.to_string()),
            ("left", &(total - n).to_string()),
        ],
    )
}

#[test]
fn f4_clears_a_half_typed_line_and_types_the_solution_one_command_at_a_time() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Lesson 9 (Dockerfile), step 1: mkdir, cd, and two here-documents; no container runs.
    let tmux = start("f4", dir.path(), "--lesson 9 --step 1");
    wait_prompt(&tmux);
    tmux.literal("dock");
    wait(&tmux, "dock on the prompt", |s| s.contains("# dock"));
    tmux.keys(&["F4"]);
    // The status line can say so before the shell has echoed the line: wait for both.
    let s = wait(&tmux, "F4 typed the first command", |s| {
        s.contains(&typed(1, 4)) && s.contains("# mkdir -p ~/hello-app")
    });
    assert!(
        !s.contains("dockmkdir"),
        "the half-typed line was kept:\n{s}"
    );
    assert!(s.contains("# mkdir -p ~/hello-app"), "{s}");
    for n in 2..=4 {
        tmux.keys(&["F4"]);
        wait(&tmux, &format!("F4 typed command {n}"), |s| {
            s.contains(&typed(n, 4))
        });
    }
    // The here-documents arrived as files, line by line.
    tmux.literal("wc -l < ~/hello-app/Dockerfile; cat ~/hello-app/hello.sh | head -1");
    tmux.keys(&["Enter"]);
    wait(&tmux, "the Dockerfile has its 5 lines", |s| {
        s.lines()
            .any(|l| l.trim_end().ends_with("│5") || l.trim() == "5")
            && s.contains("echo \"Hello from hello-app\"")
    });
    // Everything typed: F4 says so (and starts again next time), never "nothing to type".
    tmux.keys(&["F4"]);
    let s = wait(&tmux, "F4 said all commands are typed", |s| {
        s.contains(&head(&ko("tui_typed_all", &[("total", "4")])))
    });
    assert!(!s.contains(&head(&ko("tui_no_solution", &[]))), "{s}");
    // F3: the here-document as the shell lines it is, not joined with " ; ".
    tmux.keys(&["F3"]);
    let s = wait(&tmux, "F3 showed the solution", |s| {
        s.contains(&ko("tui_solution", &[("text", "")]).trim_end().to_string())
    });
    assert!(!s.contains("EOF ; "), "{s}");
    assert!(
        s.lines()
            .filter(|l| l.contains("cat > hello.sh <<'EOF'"))
            .count()
            >= 1,
        "{s}"
    );
}

#[test]
fn f7_number_keys_jump_to_a_lesson() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("f7", dir.path(), "");
    wait_prompt(&tmux);
    tmux.keys(&["F7"]);
    let title = ko("tui_list_title", &[]);
    // Collapsed: every lesson and the first one's steps fit (the capture may catch a frame
    // half drawn, so wait for the whole list).
    wait(&tmux, "the list opened with every lesson", |s| {
        s.contains(&title) && s.contains("10. ") && s.contains("11. ")
    });
    tmux.keys(&["3"]);
    wait(&tmux, "lesson 3 opened", |s| {
        !s.contains(&title) && s.contains("수업 3/")
    });
}

#[test]
fn demo_mode_waits_for_the_presenter_to_run_each_command() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("demo", dir.path(), "--demo --lesson 9 --step 1");
    wait_prompt(&tmux);
    // The focus starts in the lesson pane, where Space is the presenter's key.
    tmux.keys(&["Space"]);
    let s = wait(&tmux, "typed and holding", |s| {
        s.contains("# mkdir -p ~/hello-app")
            && s.contains(&head(&ko("tui_demo_held", &[("n", "1"), ("total", "4")])))
    });
    assert!(
        !dir.path().join("home/hello-app").exists(),
        "ran early:\n{s}"
    );
    // Held: nothing runs however long the room reads.
    std::thread::sleep(Duration::from_millis(600));
    assert!(!dir.path().join("home/hello-app").exists());
    tmux.keys(&["Space"]);
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while !dir.path().join("home/hello-app").exists() && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        dir.path().join("home/hello-app").is_dir(),
        "{}",
        tmux.screen()
    );
    // Slower, then Esc mid-typing takes the line back: `cd` never runs.
    for _ in 0..4 {
        tmux.literal("-");
    }
    wait(&tmux, "slowest pace", |s| {
        s.contains(&ko("tui_demo_pace", &[("level", "1"), ("max", "7")]))
    });
    tmux.keys(&["Space"]);
    wait(&tmux, "typing began", |s| s.contains("# c"));
    tmux.keys(&["Escape"]);
    let s = wait(&tmux, "Esc stopped typing", |s| {
        s.contains(&head(&ko("tui_demo_stopped", &[])))
    });
    std::thread::sleep(Duration::from_millis(800));
    let after = tmux.screen();
    assert!(!after.contains("# cd ~/hello-app"), "{s}\n{after}");
}

#[test]
fn the_state_panel_labels_each_layer_with_what_made_it_in_the_clis_sizes() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("layers", dir.path(), "--lesson 3");
    wait_prompt(&tmux);
    tmux.literal("docker pull redis && docker history redis");
    tmux.keys(&["Enter"]);
    let s = wait(&tmux, "pulled redis", |s| s.contains("CREATED BY"));
    // The CLI's sizes for the two layers, as `docker history` printed them.
    let sizes: Vec<String> = s
        .lines()
        .filter(|l| l.contains("ADD debian packages"))
        .filter_map(|l| l.split_whitespace().rev().find(|w| w.ends_with("MB")))
        .map(str::to_string)
        .collect();
    assert_eq!(sizes.len(), 2, "{s}");
    tmux.keys(&["F8"]);
    let s = wait(&tmux, "the state panel shows redis", |s| {
        s.contains("■ redis:latest")
    });
    let layer_rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("├ ") || l.contains("└ "))
        .filter(|l| !l.contains('▶'))
        .collect();
    assert_eq!(layer_rows.len(), 2, "{s}");
    for row in &layer_rows {
        assert!(row.contains("ADD debian packages"), "{row}\n{s}");
        assert!(
            !row.contains("CMD"),
            "a layer labelled by an empty history entry: {row}"
        );
    }
    // Bottom layer first, as in the image's config; `docker history` lists it last.
    assert!(layer_rows[0].contains(&format!(" {}  ", sizes[1])), "{s}");
    assert!(layer_rows[1].contains(&format!(" {}  ", sizes[0])), "{s}");
}
