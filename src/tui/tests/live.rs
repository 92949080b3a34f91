//! Issue 13: a change the current step reads ticks it without any docker command: the app
//! points the engine's watcher at the step, and `AppEvent::Changed` re-judges it.

use super::*;

#[test]
fn a_change_without_an_engine_event_ticks_the_step() {
    let mut r = rig();
    // The first step is a reading step: nothing to watch. F6 moves on to a checked one.
    assert_eq!(r.world.borrow().watched.last(), Some(&None));
    r.app.handle(key(KeyCode::F(6)));
    let first = r.app.current_step().map(|s| s.id.clone());
    assert!(first.is_some());
    // Entering the step pointed the watcher at it.
    assert_eq!(r.world.borrow().watched.last(), Some(&first));
    r.world
        .borrow_mut()
        .verdicts
        .insert(first.clone().unwrap_or_default(), Verdict::Pass);
    let seen = r.world.borrow().seen.len();
    r.app.handle(AppEvent::Changed);
    // Judged again with no new events, and passed.
    assert!(r.world.borrow().seen.len() > seen);
    let lesson = r.app.current_lesson().cloned().expect("lesson");
    let step = lesson.steps.iter().find(|s| Some(&s.id) == first.as_ref());
    assert!(step.is_some_and(|s| r.app.is_done(&lesson, s)));
    // The next step is watched now.
    let now = r.app.current_step().map(|s| s.id.clone());
    assert_ne!(now, first);
    assert_eq!(r.world.borrow().watched.last(), Some(&now));
}
