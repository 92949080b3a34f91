//! Demo mode's pace (typed, held for the presenter's key, Esc, + and -) and the state panel
//! at 80x24 (issue 15).

use super::*;

#[test]
fn demo_mode_types_at_a_human_pace_waits_for_the_presenter_and_saves_nothing() {
    let mut r = rig_with(vec![Ok(lesson())], (120, 40), true);
    assert!(r.app.demo);
    assert_eq!(
        r.app.focus,
        Focus::Lesson,
        "the presenter's keys work at once"
    );
    assert!(r.app.tick_interval().is_none(), "idle: no ticks");
    // The reading step: Space in the lesson pane moves on.
    r.app.handle(key(KeyCode::Char(' ')));
    assert_eq!(r.app.step, 1);
    r.app.handle(key(KeyCode::Char(' ')));
    assert!(r.app.tick_interval().is_some());
    let mut ticks = 0;
    while r.app.typing.as_ref().is_some_and(|t| !t.held) {
        r.app.handle(AppEvent::Tick);
        ticks += 1;
        assert!(ticks < 100);
    }
    assert_eq!(ticks, "docker pull".len());
    // The line was cleared first; the Enter waits for the presenter.
    assert_eq!(r.shell.borrow().written, b"\x05\x15docker pull");
    assert!(r.app.tick_interval().is_none(), "held: idle");
    r.app.handle(key(KeyCode::Char(' ')));
    assert_eq!(r.shell.borrow().written, b"\x05\x15docker pull\r");
    assert!(r.app.typing.as_ref().is_some_and(|t| t.waiting));
    // Still waiting: ticks check for the prompt (a container's shell prints nothing more).
    r.app.handle(AppEvent::Tick);
    assert!(r.app.typing.is_some());
    r.shell.borrow_mut().at_prompt = true;
    r.app.handle(AppEvent::PtyOutput(b"$ ".to_vec()));
    assert!(r.app.typing.is_none());
    r.world
        .borrow_mut()
        .verdicts
        .insert("pull".into(), Verdict::Pass);
    r.app.handle(AppEvent::Engine(vec![ev("pull")]));
    // The explanation stays until the presenter moves on.
    assert_eq!(r.app.step, 1);
    let s = screen(&r.app);
    assert!(s.contains("✓ 2. busybox 이미지 받기"), "{s}");
    r.app.handle(key(KeyCode::Char(' ')));
    assert_eq!(r.app.step, 2);
    assert!(
        !r.app.progress.is_done("02-images", "pull"),
        "demo saves nothing"
    );
}

#[test]
fn demo_mode_esc_takes_a_command_back_and_plus_minus_change_the_pace() {
    let mut r = rig_with(vec![Ok(lesson())], (120, 40), true);
    r.app.handle(key(KeyCode::Char(' ')));
    let before = r.app.pace;
    r.app.handle(key(KeyCode::Char('-')));
    assert!(r.app.pace > before, "slower");
    r.app.handle(key(KeyCode::Char('+')));
    r.app.handle(key(KeyCode::Char('+')));
    assert!(r.app.pace < before, "faster");
    assert!(r.app.tick_interval().is_none());
    r.app.handle(key(KeyCode::Char(' ')));
    assert_eq!(r.app.tick_interval(), Some(r.app.pace));
    r.app.handle(AppEvent::Tick);
    r.app.handle(AppEvent::Tick);
    r.app.handle(key(KeyCode::Esc));
    assert!(r.app.typing.is_none());
    assert_eq!(r.app.focus, Focus::Lesson, "Esc while typing only stops it");
    assert!(r.shell.borrow().written.ends_with(b"do\x05\x15"));
    // The same command again, then the rest at once on a press while typing.
    r.app.handle(key(KeyCode::Char(' ')));
    r.app.handle(AppEvent::Tick);
    r.app.handle(key(KeyCode::Enter));
    assert!(r.app.typing.as_ref().is_some_and(|t| t.held));
    assert!(r.shell.borrow().written.ends_with(b"\x05\x15docker pull"));
}

#[test]
fn at_80x24_f8_keeps_the_lesson_and_the_wheel_scrolls_the_state_panel() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), false);
    {
        let mut w = r.world.borrow_mut();
        for i in 0..6 {
            w.snapshot.images.push(crate::engine::ImageInfo {
                id: format!("sha256:{i}aaaaaaaaaaa"),
                tags: vec![format!("img{i}:latest")],
                layers: vec![format!("sha256:{i}ccccccccccc")],
                layer_sizes: vec![1000],
                history: vec![format!("ADD layer{i}")],
                created: 0,
                size: 1000,
                bundled: false,
                intermediate: false,
            });
        }
    }
    r.app.handle(AppEvent::Engine(vec![ev("pull")]));
    r.app.handle(key(KeyCode::F(8)));
    let areas = layout::layout(&r.app);
    assert!(areas.lesson.is_some(), "the lesson stays");
    let state = areas.state.expect("state panel");
    let s = screen(&r.app);
    assert!(s.contains("img0:latest"), "{s}");
    assert!(!s.contains("img5:latest"), "{s}");
    for _ in 0..6 {
        r.app.handle(AppEvent::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: state.x + 2,
            row: state.y + 1,
            modifiers: KeyModifiers::NONE,
        }));
    }
    let s = screen(&r.app);
    assert!(s.contains("img5:latest"), "{s}");
    assert!(!s.contains("img0:latest"), "{s}");
}
