//! The lesson pane is safe to fumble (issue 15): letters typed there change nothing, a
//! destructive confirmation takes an explicit y, Ctrl-C/Z reach the terminal, and a restart
//! resumes on the saved step.

use super::*;

fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        app.handle(key(code));
    }
}

/// Issue 15: a learner types a command with the lesson pane focused (a click, Ctrl-G).
/// `d` used to turn on demo mode, `r` opened the reset dialog and Enter confirmed it.
#[test]
fn a_command_typed_into_the_lesson_pane_changes_nothing_and_says_how_to_reach_the_terminal() {
    for demo_key_first in [false, true] {
        let mut r = rig();
        r.world
            .borrow_mut()
            .snapshot
            .images
            .push(image("busybox:latest"));
        r.app.handle(AppEvent::Engine(Vec::new()));
        let progress_before = r.app.progress.clone();
        let position = (r.app.lesson, r.app.step);
        r.app.handle(ctrl('g'));
        assert_eq!(r.app.focus, Focus::Lesson);
        if demo_key_first {
            // Korean layout: the same keys give jamo.
            type_keys(&mut r.app, "ㅇㅐ차ㄷㄱ ㅔㄴ -ㅁ\n");
        }
        type_keys(&mut r.app, "docker ps -a\n");
        type_keys(&mut r.app, "rm -f reset quit\n");
        assert!(!r.app.demo, "no demo mode");
        assert!(!r.app.theme.demo);
        assert_eq!(r.app.overlay, None, "no dialog opened");
        assert!(r.app.effects.is_empty(), "no reset: {:?}", r.app.effects);
        assert!(r.app.resetting.is_none());
        assert!(!r.app.quit);
        assert!(!r.app.show_state);
        assert_eq!((r.app.lesson, r.app.step), position);
        assert_eq!(r.app.progress, progress_before);
        assert_eq!(r.app.aid, Default::default(), "no hint, solution or typing");
        assert!(r.shell.borrow().written.is_empty());
        assert!(r.shell.borrow().typed.is_empty());
        assert_eq!(r.app.snapshot.images.len(), 1, "the store is untouched");
        // The learner is told the way to the terminal.
        let m = r.app.message.clone().expect("a hint");
        assert_eq!(
            m.text,
            crate::i18n::t("tui_lesson_typing", &[("switch", "Ctrl-G")])
        );
        assert!(m.text.contains("Ctrl-G"), "{}", m.text);
        assert!(screen(&r.app).contains("Ctrl-G"));
        assert_eq!(r.app.focus, Focus::Lesson);
        r.app.handle(key(KeyCode::Esc));
        assert_eq!(r.app.focus, Focus::Terminal);
    }
}

#[test]
fn the_hint_for_typing_in_the_lesson_pane_is_korean_first() {
    let text = crate::i18n::t("tui_lesson_typing", &[("switch", "Ctrl-G")]);
    if crate::i18n::lang().code() == "ko" {
        assert!(text.contains("수업 창"), "{text}");
    }
    assert!(text.contains("Ctrl-G"), "{text}");
}

#[test]
fn ctrl_c_and_ctrl_z_in_the_lesson_pane_reach_the_program_in_the_terminal() {
    let mut r = rig();
    r.app.handle(ctrl('g'));
    r.app.handle(ctrl('c'));
    assert_eq!(r.shell.borrow().written, b"\x03");
    let m = r.app.message.clone().expect("said so");
    assert!(m.text.contains("Ctrl-C"), "{}", m.text);
    r.app.handle(ctrl('z'));
    assert_eq!(r.shell.borrow().written, b"\x03\x1a");
    assert!(
        r.app
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("Ctrl-Z"))
    );
    assert_eq!(r.app.focus, Focus::Lesson);
    assert!(!r.app.quit);
}

#[test]
fn ctrl_l_in_the_lesson_pane_follows_the_step_again() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), false);
    r.app.handle(ctrl('g'));
    r.app.handle(key(KeyCode::Home));
    assert_eq!(r.app.lesson_scroll, Some(0));
    r.app.handle(ctrl('l'));
    assert_eq!(r.app.lesson_scroll, None);
    assert!(r.shell.borrow().written.is_empty());
}

/// Only an explicit y (or ㅛ, the same key on a Korean layout) confirms a reset.
#[test]
fn the_reset_dialog_ignores_enter_and_confirms_only_with_y() {
    let mut r = rig();
    for other in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Char(' '),
        KeyCode::Char('n'),
        KeyCode::Char('r'),
        KeyCode::Char('ㅇ'),
    ] {
        r.app.handle(key(KeyCode::F(5)));
        assert!(matches!(
            r.app.overlay,
            Some(Overlay::Confirm(Confirm::Reset(_)))
        ));
        r.app.handle(key(other));
        assert_eq!(r.app.overlay, None, "{other:?} closes the dialog");
        assert!(r.app.effects.is_empty(), "{other:?} must not reset");
        assert!(r.app.resetting.is_none());
        let m = r.app.message.clone().expect("said so");
        assert_eq!(m.text, crate::i18n::t("tui_reset_cancelled", &[]));
    }
    // A lone modifier press is no answer yet.
    r.app.handle(key(KeyCode::F(5)));
    r.app.handle(key(KeyCode::Modifier(
        crossterm::event::ModifierKeyCode::LeftShift,
    )));
    assert!(matches!(
        r.app.overlay,
        Some(Overlay::Confirm(Confirm::Reset(_)))
    ));
    r.app.handle(key(KeyCode::Char('y')));
    assert!(matches!(r.app.effects.pop(), Some(Effect::Reset(_))));
    r.app.handle(AppEvent::Reset(ResetUpdate::Finished(Ok(()))));
    r.app.handle(key(KeyCode::F(5)));
    r.app.handle(key(KeyCode::Char('ㅛ')));
    assert!(matches!(r.app.effects.pop(), Some(Effect::Reset(_))));
    let s = crate::i18n::t("tui_confirm_reset", &[]);
    assert!(s.contains("y"), "{s}");
}

#[test]
fn enter_cancels_skip_and_quit_confirmations_too() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(6)));
    assert_eq!(r.app.overlay, Some(Overlay::Confirm(Confirm::Skip)));
    r.app.handle(key(KeyCode::Enter));
    assert_eq!(r.app.overlay, None);
    assert_eq!(r.app.step, 1, "not skipped");
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::Char('ㅛ')));
    assert_eq!(r.app.step, 2);

    r.app.overlay = Some(Overlay::Confirm(Confirm::Quit {
        running: vec!["abc".into()],
    }));
    r.app.handle(key(KeyCode::Enter));
    assert_eq!(r.app.overlay, None);
    assert!(!r.app.quit, "Enter cancels quitting");
    assert!(r.app.stop_on_quit.is_empty());
}

fn app_with(lessons: Vec<Result<Lesson, String>>, progress: Progress) -> App {
    let world = Rc::new(RefCell::new(World::default()));
    App::new(
        lessons,
        progress,
        Box::new(FakeEngine(world)),
        Theme::plain(),
        (120, 40),
    )
}

/// Issue 15: a restart opens the step the learner was on, not the first unfinished one.
#[test]
fn a_restart_resumes_on_the_saved_step() {
    let mut r = rig();
    let path = r.app.progress.path().to_path_buf();
    // Finish nothing, but move on: F6 marks the reading step done, F7 jumps to lesson 2.
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::Char('y')));
    assert_eq!((r.app.lesson, r.app.step), (0, 2));
    assert!(!r.app.progress.is_done("02-images", "pull"));
    let saved = Progress::load_from(&path);
    assert_eq!(saved.current(), Some(("02-images", "images")));
    let app = app_with(vec![Ok(lesson()), Ok(lesson2())], saved);
    assert_eq!(
        (app.lesson, app.step),
        (0, 2),
        "not the first unfinished step (pull)"
    );

    // Jumping to another lesson is saved too.
    r.app.handle(key(KeyCode::F(7)));
    for _ in 0..4 {
        r.app.handle(key(KeyCode::Down));
    }
    r.app.handle(key(KeyCode::Enter));
    assert_eq!(r.app.lesson, 1);
    let app = app_with(
        vec![Ok(lesson()), Ok(lesson2())],
        Progress::load_from(&path),
    );
    assert_eq!((app.lesson, app.step), (1, 0));

    // --lesson/--step still override the saved step.
    let mut app = app_with(
        vec![Ok(lesson()), Ok(lesson2())],
        Progress::load_from(&path),
    );
    app.start_at("1", Some("2")).expect("start_at");
    assert_eq!((app.lesson, app.step), (0, 1));
}

#[test]
fn a_saved_step_that_no_longer_exists_falls_back_to_the_first_unfinished() {
    let mut p = fresh_progress();
    p.mark_done("02-images", "read");
    p.set_current("02-images", "renamed-step");
    let app = app_with(vec![Ok(lesson())], p);
    assert_eq!((app.lesson, app.step), (0, 1));
    let mut p = fresh_progress();
    p.set_current("99-gone", "x");
    let app = app_with(vec![Ok(lesson())], p);
    assert_eq!((app.lesson, app.step), (0, 0));
}

#[test]
fn a_finished_lesson_reopens_on_its_lesson_done_page() {
    let mut p = fresh_progress();
    for s in ["read", "pull", "images"] {
        p.mark_done("02-images", s);
    }
    p.set_current("02-images", "images");
    let app = app_with(vec![Ok(lesson()), Ok(lesson2())], p);
    assert_eq!((app.lesson, app.step), (0, 3), "past the last step");
    // A saved last step not yet done opens that step.
    let mut p = fresh_progress();
    p.set_current("02-images", "images");
    let app = app_with(vec![Ok(lesson()), Ok(lesson2())], p);
    assert_eq!((app.lesson, app.step), (0, 2));
}

/// Issue 15: Shift-PgUp and friends scroll the terminal's view and send nothing to the shell
/// (it used to print `2~`); Alt-←/→ move the split and resize the shell; Alt-M lets go of
/// the mouse (Alt-ㅡ too, with the Korean layout on).
#[test]
fn terminal_pane_keys_scroll_widen_and_release_the_mouse_without_writing_to_the_shell() {
    let mut r = rig();
    r.app.handle(AppEvent::Resize(160, 45));
    let shift = |code| AppEvent::Key(KeyEvent::new(code, KeyModifiers::SHIFT));
    let alt = |code| AppEvent::Key(KeyEvent::new(code, KeyModifiers::ALT));
    let rows = layout::layout(&r.app).terminal.expect("pane").height as i32;
    r.app.handle(shift(KeyCode::PageUp));
    r.app.handle(shift(KeyCode::Up));
    assert_eq!(r.shell.borrow().scrolled, rows - 1 + 1);
    r.app.handle(shift(KeyCode::Down));
    r.app.handle(shift(KeyCode::PageDown));
    assert_eq!(r.shell.borrow().scrolled, 0);
    assert!(
        r.shell.borrow().written.is_empty(),
        "nothing reached the shell"
    );

    let before = layout::layout(&r.app).terminal.expect("pane").width;
    r.app.handle(alt(KeyCode::Left));
    let after = layout::layout(&r.app).terminal.expect("pane").width;
    assert_eq!(r.app.settings.terminal_share, 60);
    assert_eq!(after, before + 8, "5% of 160 columns");
    assert_eq!(
        r.shell.borrow().sizes.last().map(|s| s.1),
        Some(after),
        "the shell has the new width"
    );
    for _ in 0..10 {
        r.app.handle(alt(KeyCode::Right));
    }
    assert_eq!(r.app.settings.terminal_share, 30, "the lower bound");
    assert!(r.shell.borrow().written.is_empty());

    r.app.handle(alt(KeyCode::Char('m')));
    assert!(r.app.mouse_released);
    assert_eq!(r.app.effects.last(), Some(&Effect::MouseCapture(false)));
    r.app.handle(alt(KeyCode::Char('ㅡ')));
    assert_eq!(r.app.effects.last(), Some(&Effect::MouseCapture(true)));
}
