//! The terminal pane as a person uses it, in tmux: scrolling back with the keys and the wheel,
//! the "scrolled back" mark, typing to return, selecting text to copy it, Hangul editing in
//! a locale this machine lacks, where the shell starts, the switch keys and the pane width.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::tmux::{Tmux, have_tmux};
use gorae::i18n::{Lang, t_in};

const WAIT: Duration = Duration::from_secs(15);

/// gorae in a 160×45 tmux, Korean, with its own store, state and home, started from `/`
/// (so a shell left in the launch directory shows). `locale` is the learner's LANG.
fn start(name: &str, dir: &Path, locale: &str, args: &str) -> Tmux {
    let exe = env!("CARGO_BIN_EXE_gorae");
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let cmd = format!(
        "cd / && env HOME='{home}' GORAE_ROOT='{root}' GORAE_STATE='{state}' LANG={locale} \
         TERM=xterm-256color '{exe}' --lang ko {args}",
        home = home.display(),
        root = dir.join("root").display(),
        state = dir.join("state").display(),
    );
    let tmux = Tmux::start(name, &cmd);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("🐳 gorae:"));
    assert!(ok, "no shell prompt:\n{s}");
    tmux
}

/// The first `n` characters of `s` (messages are cut at the screen's width).
fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn run(tmux: &Tmux, line: &str) {
    tmux.literal(line);
    tmux.keys(&["Enter"]);
}

fn ko(key: &str, args: &[(&str, &str)]) -> String {
    t_in(Lang::Ko, key, args)
}

/// The mark's text before its line count, e.g. "↑ 스크롤 중 (".
fn mark_head() -> String {
    let mark = ko("tui_scrolled_back", &[("n", "\u{0}")]);
    mark.split('\u{0}').next().unwrap().to_string()
}

/// What the mark says the view is back by, if it is shown.
fn lines_back(screen: &str) -> Option<usize> {
    let head = mark_head();
    let first = screen.lines().next()?;
    let rest = &first[first.find(&head)? + head.len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

#[test]
fn scrollback_keys_and_wheel_scroll_show_a_mark_and_typing_returns() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("scroll", dir.path(), "C.UTF-8", "");
    run(&tmux, "seq 1 200");
    let (ok, s) = tmux.wait_for(WAIT, |s| s.lines().any(|l| l.ends_with("│200")));
    assert!(ok, "seq did not finish:\n{s}");
    assert_eq!(lines_back(&s), None, "no mark on the live screen:\n{s}");

    // Shift-PgUp: a page back (the pane's height less one line), with the mark.
    tmux.keys(&["S-PPage"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s).is_some());
    assert!(ok, "Shift-PgUp showed no mark:\n{s}");
    let page = lines_back(&s).unwrap();
    assert!(
        page > 20,
        "a page is more than 20 lines at 45 rows: {page}\n{s}"
    );
    assert!(!s.contains("│200"), "the view went back:\n{s}");
    tmux.keys(&["S-Up"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s) == Some(page + 1));
    assert!(ok, "Shift-Up is one more line back:\n{s}");
    tmux.keys(&["S-Down", "S-Down"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s) == Some(page - 1));
    assert!(ok, "Shift-Down is one line forward:\n{s}");

    // Typing returns to the live screen; the keys above left nothing on the line (`2~`).
    tmux.literal("echo typed");
    let (ok, s) = tmux.wait_for(WAIT, |s| {
        lines_back(s).is_none() && s.contains("🐳 gorae:~# echo typed")
    });
    assert!(ok, "typing did not return to the prompt:\n{s}");
    assert!(!s.contains("2~"), "{s}");
    tmux.keys(&["C-u"]);

    // The wheel over the terminal (SGR mouse reports, as a terminal sends them): 3 lines.
    tmux.literal("\x1b[<64;120;10M");
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s) == Some(3));
    assert!(ok, "a wheel notch scrolls 3 lines:\n{s}");
    tmux.literal("\x1b[<64;120;10M");
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s) == Some(6));
    assert!(ok, "{s}");
    tmux.literal("\x1b[<65;120;10M\x1b[<65;120;10M");
    let (ok, s) = tmux.wait_for(WAIT, |s| lines_back(s).is_none());
    assert!(ok, "the wheel down returns to the live screen:\n{s}");

    // A full-screen program (the alternate screen) keeps Shift-PgUp: it reads the bytes.
    run(
        &tmux,
        "printf '\\033[?1049h'; stty raw -echo; k=$(dd bs=1 count=6 2>/dev/null | od -An -c | tr -d ' '); stty sane; printf '\\033[?1049l'; echo got:$k",
    );
    std::thread::sleep(Duration::from_millis(500));
    tmux.keys(&["S-PPage"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("got:033[5;2~"));
    assert!(ok, "the program did not get Shift-PgUp:\n{s}");
}

#[test]
fn dragging_in_the_terminal_selects_and_copies_through_osc_52() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("copy", dir.path(), "C.UTF-8", "");
    // tmux takes OSC 52 into its paste buffer.
    tmux.cmd(&["set", "-g", "set-clipboard", "on"]);
    run(&tmux, "clear; echo 'copy me 고래'; echo second");
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("│second"));
    assert!(ok, "{s}");
    // The pane's first cell is column 74 (1-based) on row 2; drag to the end of row 3.
    tmux.literal("\x1b[<0;74;2M\x1b[<32;100;3M");
    let (ok, s) = tmux.wait_for(WAIT, |_| {
        let styled = String::from_utf8_lossy(
            &tmux
                .cmd(&["capture-pane", "-e", "-p", "-t", "gorae"])
                .stdout,
        )
        .into_owned();
        // The selection is drawn inverted while the button is held.
        styled
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("\x1b[7m") || l.contains("\x1b[0;7m"))
    });
    assert!(ok, "the selection is not highlighted:\n{s}");
    tmux.literal("\x1b[<0;100;3m");
    let copied = head(&ko("tui_copied", &[("n", "17"), ("key", "Alt-M")]), 15);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains(&copied));
    assert!(ok, "no word of the copy:\n{s}");
    let buffer = String::from_utf8_lossy(&tmux.cmd(&["show-buffer"]).stdout).into_owned();
    assert_eq!(buffer, "copy me 고래\nsecond");

    // Alt-M gives the mouse to the outer terminal and says so on the pane's border.
    tmux.keys(&["M-m"]);
    let mark = ko("tui_mouse_off_mark", &[("key", "Alt-M")]);
    let (ok, s) = tmux.wait_for(WAIT, |s| {
        s.lines().next().is_some_and(|l| l.contains(&mark))
    });
    assert!(ok, "Alt-M did not release the mouse:\n{s}");
    tmux.keys(&["M-m"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| !s.contains(&mark));
    assert!(ok, "Alt-M again takes it back:\n{s}");
}

#[test]
fn the_shell_starts_at_home_says_so_and_edits_hangul_in_a_missing_locale() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // ko_KR.UTF-8 is missing on most machines (this one included, when the test matters).
    let tmux = start("hangul", dir.path(), "ko_KR.UTF-8", "");
    let home = dir.path().join("home");
    // The line wraps at the pane's width: its start names the folder.
    let said = ko("term.start_home", &[("dir", &home.display().to_string())]);
    let said = head(&said, 30);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains(&said));
    assert!(ok, "the shell does not say where it starts:\n{s}");
    assert!(!s.contains("setlocale"), "{s}");
    run(&tmux, "clear; pwd");
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains(&format!("│{}", home.display())));
    assert!(ok, "the shell is not in the learner's home:\n{s}");

    // Backspace after 가나 removes 나, all of it: 가 is the bytes ea b0 80.
    tmux.literal("printf %s 가나");
    tmux.keys(&["BSpace"]);
    tmux.literal(" | od -An -tx1");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("│ ea b0 80\n"));
    assert!(ok, "Backspace did not remove a whole character:\n{s}");
    // gorae's own docker inside still speaks the TUI's language.
    run(&tmux, "docker ps --nope");
    let unknown = ko("help.unknown-flag", &[("flag", "--nope")]);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains(&unknown));
    assert!(ok, "docker in the shell does not speak Korean:\n{s}");
}

#[test]
fn switch_keys_are_configurable_and_ctrl_g_goes_to_full_screen_programs() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let to_terminal = ko("tui_key_to_terminal", &[]);
    let to_lesson = ko("tui_key_to_lesson", &[]);
    let last = |s: &str| s.lines().last().unwrap_or_default().to_string();
    {
        let tmux = start("switch", dir.path(), "C.UTF-8", "--switch-key ctrl-t");
        assert!(last(&tmux.screen()).contains(&format!("^T {to_lesson}")));
        tmux.keys(&["C-t"]);
        let (ok, s) = tmux.wait_for(WAIT, |s| last(s).contains(&format!("^T {to_terminal}")));
        assert!(ok, "Ctrl-T did not switch to the lesson pane:\n{s}");
        // Letters there say how to come back, with the configured key.
        tmux.literal("x");
        let said = ko("tui_lesson_typing", &[("switch", "Ctrl-T")]);
        let (ok, s) = tmux.wait_for(WAIT, |s| s.contains(&head(&said, 30)));
        assert!(ok, "{s}");
        // Ctrl-] always switches too.
        tmux.keys(&["C-]"]);
        let (ok, s) = tmux.wait_for(WAIT, |s| last(s).contains(&format!("^T {to_lesson}")));
        assert!(ok, "Ctrl-] did not switch back:\n{s}");
        // Ctrl-G is the shell's now: it reaches the program (read -n1 prints its code).
        run(&tmux, "read -rsn1 k; printf 'key:%d\\n' \"'$k\"");
        std::thread::sleep(Duration::from_millis(300));
        tmux.keys(&["C-g"]);
        let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("key:7"));
        assert!(ok, "Ctrl-G did not reach the shell:\n{s}");
        tmux.keys(&["F10"]);
    }
    // The default: Ctrl-G switches, but in a full-screen program (nano's help) it is the
    // program's, and the status line offers Ctrl-] instead.
    let dir = tempfile::tempdir().unwrap();
    let tmux = start("switch2", dir.path(), "C.UTF-8", "");
    tmux.keys(&["C-g"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| last(s).contains(&format!("^G {to_terminal}")));
    assert!(ok, "Ctrl-G did not switch:\n{s}");
    tmux.keys(&["C-g"]);
    run(
        &tmux,
        "printf '\\033[?1049h'; read -rsn1 k; printf '\\033[?1049l'; printf 'key:%d\\n' \"'$k\"",
    );
    let (ok, s) = tmux.wait_for(WAIT, |s| last(s).contains(&format!("^] {to_lesson}")));
    assert!(
        ok,
        "the status line does not offer Ctrl-] in a full-screen program:\n{s}"
    );
    tmux.keys(&["C-g"]);
    let (ok, s) = tmux.wait_for(WAIT, |s| s.contains("key:7"));
    assert!(ok, "Ctrl-G did not reach the full-screen program:\n{s}");
}

#[test]
fn alt_arrows_widen_the_terminal_and_the_width_is_kept() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Where the terminal pane's border is on the first row.
    let split = |s: &str| {
        use unicode_width::UnicodeWidthStr;
        let first = s.lines().next()?;
        Some(first[..first.find('┌')?].width())
    };
    {
        let tmux = start("widen", dir.path(), "C.UTF-8", "");
        assert_eq!(split(&tmux.screen()), Some(72), "45% lesson at 160 columns");
        // 100 columns of x wrap in the 87-column pane…
        let xs = "x".repeat(100);
        run(&tmux, "printf 'x%.0s' $(seq 1 100); echo");
        let (ok, s) = tmux.wait_for(WAIT, |s| {
            s.lines()
                .any(|l| l.ends_with(&format!("│{}", "x".repeat(13))))
        });
        assert!(ok, "{s}");
        tmux.keys(&["M-Left", "M-Left"]);
        let (ok, s) = tmux.wait_for(WAIT, |s| split(s) == Some(56));
        assert!(ok, "Alt-← twice is 10% wider:\n{s}");
        // …and are one line again in the wider pane (re-wrapped, not cut).
        assert!(
            s.lines().any(|l| l.ends_with(&format!("│{xs}"))),
            "not re-wrapped:\n{s}"
        );
        // The shell knows its new width.
        run(&tmux, "clear; tput cols");
        let (ok, s) = tmux.wait_for(WAIT, |s| {
            s.lines().nth(1).is_some_and(|l| l.ends_with("│103"))
        });
        assert!(ok, "the shell has 103 columns:\n{s}");
        tmux.keys(&["F10"]);
    }
    let saved = std::fs::read_to_string(dir.path().join("state/settings.toml")).unwrap();
    assert!(saved.contains("terminal_width = 65"), "{saved}");
    let tmux = start("widen2", dir.path(), "C.UTF-8", "");
    assert_eq!(split(&tmux.screen()), Some(56), "the width is kept");
}

#[test]
fn a_switch_key_the_shell_needs_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gorae"))
        .args(["--lang", "ko", "--switch-key", "ctrl-c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = ko("tui_switch_key_needed", &[("key", "ctrl-c")]);
    assert!(err.contains(&want), "{err}");
}
