//! F5 rebuilds this step's start state and leaves the rest; a jump offers to prepare what the
//! step needs; containers a closed window left running are asked about (issue 15).

use super::*;

pub(super) fn container(id: &str, name: &str, image: &str, state: &str) -> ContainerInfo {
    ContainerInfo {
        id: id.into(),
        name: name.into(),
        image: image.into(),
        image_id: format!("sha256:{image}"),
        state: state.into(),
        exit_code: None,
        command: vec!["sh".into()],
        tty: false,
        detached: true,
        auto_remove: false,
        interactive: false,
        ports: Vec::new(),
        created: 0,
        mounts: Vec::new(),
    }
}

fn volume(name: &str) -> crate::engine::VolumeInfo {
    crate::engine::VolumeInfo {
        name: name.into(),
        anonymous: false,
        mountpoint: PathBuf::from("/nowhere"),
        containers: Vec::new(),
        created: 0,
    }
}

/// A lesson whose first step runs `db` with a volume, whose second tags an image.
fn data_lesson() -> Lesson {
    let mut run = step("run", "db 실행", "", true);
    run.solution = vec!["docker run -d --name db -v redis-data:/data redis".into()];
    let mut tag = step("tag", "태그", "", true);
    tag.solution = vec![
        "docker pull debian:12".into(),
        "docker tag debian:12 my-debian:v1".into(),
    ];
    let mut look = step("look", "보기", "", true);
    look.solution = vec!["docker images".into()];
    Lesson {
        id: "07-data".into(),
        title: "데이터".into(),
        minutes: 10,
        intro: String::new(),
        steps: vec![run, tag, look],
        path: PathBuf::from("lessons/ko/07-data.md"),
    }
}

fn data_rig() -> Rig {
    let r = rig_with(vec![Ok(data_lesson()), Ok(lesson2())], (120, 40), false);
    {
        let mut w = r.world.borrow_mut();
        w.snapshot.containers = vec![
            container("d1", "db", "redis", "running"),
            // Another lesson's, running from an image this lesson also names.
            container("h1", "hello", "hello-app", "running"),
        ];
        w.snapshot.images = vec![
            image("redis:latest"),
            image("hello-app:latest"),
            image("debian:12"),
            image("my-debian:v1"),
        ];
        w.snapshot.volumes = vec![volume("redis-data"), volume("notes")];
    }
    r
}

fn list_and_enter(app: &mut App, lesson: usize, step: usize) {
    app.handle(key(KeyCode::F(7)));
    let rows = ui::list_rows(app);
    let sel = rows
        .iter()
        .position(|&r| r == (lesson, Some(step)))
        .expect("the step is listed");
    app.overlay = Some(Overlay::Lessons { sel });
    app.handle(key(KeyCode::Enter));
}

#[test]
fn f5_removes_only_what_this_lesson_names_and_says_so_first() {
    let mut r = data_rig();
    r.app.handle(AppEvent::Engine(Vec::new()));
    list_and_enter(&mut r.app, 0, 2);
    // Everything the earlier steps make is there: no offer to prepare.
    assert_eq!(r.app.overlay, None);
    r.app.handle(key(KeyCode::F(5)));
    let Some(Overlay::Confirm(Confirm::Reset(plan))) = r.app.overlay.clone() else {
        panic!("no reset dialog: {:?}", r.app.overlay);
    };
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    assert_eq!(plan.remove.containers, names(&["db"]));
    assert_eq!(plan.remove.images, names(&["debian:12", "my-debian:v1"]));
    assert_eq!(plan.remove.volumes, names(&["redis-data"]));
    assert!(plan.remove.networks.is_empty());
    assert_eq!(
        plan.replay,
        vec![
            "docker run -d --name db -v redis-data:/data redis".to_string(),
            "docker pull debian:12".into(),
            "docker tag debian:12 my-debian:v1".into(),
        ]
    );
    // The dialog lists what goes, and nothing of another lesson.
    let s = screen(&r.app);
    for what in ["db", "my-debian:v1", "redis-data"] {
        assert!(s.contains(what), "{what} not listed:\n{s}");
    }
    assert!(!s.contains("hello-app"), "{s}");
    assert!(!s.contains("notes"), "{s}");
    r.app.handle(key(KeyCode::Char('y')));
    assert_eq!(r.app.effects.pop(), Some(Effect::Reset(*plan)));
}

#[test]
fn a_tag_a_running_container_of_another_lesson_uses_is_left_alone() {
    let mut r = data_rig();
    {
        let mut w = r.world.borrow_mut();
        let other = container("o1", "other", "debian", "running");
        w.snapshot.containers.push(crate::engine::ContainerInfo {
            image_id: "sha256:debian:12".into(),
            ..other
        });
    }
    r.app.handle(AppEvent::Engine(Vec::new()));
    let plan = r.app.reset_plan();
    assert!(!plan.remove.images.contains("debian:12"), "{plan:?}");
    assert!(plan.remove.images.contains("my-debian:v1"), "{plan:?}");
}

#[test]
fn a_jump_to_a_step_whose_earlier_results_are_missing_offers_to_prepare_it() {
    let mut r = data_rig();
    r.world.borrow_mut().snapshot.images.clear();
    r.app.handle(AppEvent::Engine(Vec::new()));
    list_and_enter(&mut r.app, 0, 2);
    let Some(Overlay::Confirm(Confirm::Prepare { missing, plan })) = r.app.overlay.clone() else {
        panic!("no offer: {:?}", r.app.overlay);
    };
    assert!(missing.images.contains("my-debian:v1"), "{missing:?}");
    assert!(missing.containers.is_empty(), "db runs: {missing:?}");
    let s = screen(&r.app);
    assert!(s.contains("my-debian:v1"), "{s}");
    // Enter is no answer that prepares; n neither.
    r.app.handle(key(KeyCode::Char('n')));
    assert!(r.app.effects.is_empty());
    let declined = crate::i18n::t("tui_prepare_declined", &[]);
    assert_eq!(r.app.message.clone().map(|m| m.text), Some(declined));
    // Asked again at the next jump; y prepares, with the reset's plan.
    list_and_enter(&mut r.app, 0, 2);
    r.app.handle(key(KeyCode::Char('y')));
    assert_eq!(r.app.effects.pop(), Some(Effect::Reset(*plan)));
    assert!(r.app.resetting.is_some());
    r.app.handle(AppEvent::Reset(ResetUpdate::Finished(Ok(()))));
    let done = crate::i18n::t("tui_prepare_done", &[]);
    assert_eq!(r.app.message.clone().map(|m| m.text), Some(done));
}

#[test]
fn the_first_step_and_a_complete_state_need_no_preparation() {
    let mut r = data_rig();
    r.app.handle(AppEvent::Engine(Vec::new()));
    list_and_enter(&mut r.app, 0, 0);
    assert_eq!(r.app.overlay, None);
    r.app.started(false);
    assert_eq!(r.app.overlay, None);
}

#[test]
fn containers_a_closed_window_left_running_are_offered_to_stop() {
    let mut r = data_rig();
    r.app.handle(AppEvent::Engine(Vec::new()));
    // Ended with F10 last time: nothing to ask.
    r.app.started(false);
    assert_eq!(r.app.overlay, None);
    r.app.started(true);
    let Some(Overlay::Confirm(Confirm::LeftRunning { running })) = r.app.overlay.clone() else {
        panic!("not asked: {:?}", r.app.overlay);
    };
    assert_eq!(running.len(), 2);
    let s = screen(&r.app);
    assert!(s.contains("F10"), "{s}");
    // Enter leaves them running.
    r.app.handle(key(KeyCode::Enter));
    assert!(r.app.effects.is_empty());
    r.app.started(true);
    r.app.handle(key(KeyCode::Char('ㅛ')));
    assert_eq!(
        r.app.effects.pop(),
        Some(Effect::StopLeftRunning(vec!["d1".into(), "h1".into()]))
    );
    r.app.handle(AppEvent::Stopped {
        n: 2,
        problems: Vec::new(),
    });
    let m = r.app.message.clone().expect("said so");
    assert_eq!(m.kind, MsgKind::Success);
}

#[test]
fn quitting_with_f10_marks_the_session_as_ended_and_a_signal_does_not() {
    let mut r = rig();
    r.app.handle(AppEvent::Quit);
    assert!(r.app.quit && !r.app.quit_asked);
    let mut r = rig();
    r.app.handle(key(KeyCode::F(10)));
    assert!(r.app.quit && r.app.quit_asked);
}

#[test]
fn a_machine_that_works_less_says_gorae_doctor_tells_more() {
    use crate::doctor::FirstLook;
    let mut r = rig();
    r.app.message = None;
    r.app.machine_looked_at(FirstLook::Fine);
    assert_eq!(r.app.message, None);
    r.app.machine_looked_at(FirstLook::Limited);
    let m = r.app.message.clone().expect("said so");
    assert_eq!(m.kind, MsgKind::Warn);
    assert!(m.text.contains("gorae doctor"), "{}", m.text);
    // Something more pressing already on the bar stays.
    r.app.message = None;
    r.app.handle(key(KeyCode::F(2)));
    let hint = r.app.message.clone();
    r.app.machine_looked_at(FirstLook::Blocked);
    assert_eq!(r.app.message, hint);
}

#[test]
fn a_session_marker_left_by_a_gone_process_means_the_window_was_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("session");
    assert!(
        !crate::tui::ended_unasked(&marker),
        "no marker: ended with F10"
    );
    std::fs::write(&marker, "4294967295").expect("write");
    assert!(crate::tui::ended_unasked(&marker), "its process is gone");
    // pid 1 is no gorae: that marker too was left behind.
    std::fs::write(&marker, "1").expect("write");
    assert!(crate::tui::ended_unasked(&marker));
}
