//! The app driven by events, without a terminal: a fake shell records what reaches it and a
//! fake engine answers step checks; rendering goes to ratatui's TestBackend.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::course_api::{Lesson, Progress, Step, Verdict};
use super::event::{AppEvent, Effect, ResetUpdate};
use super::layout;
use super::model::{App, Confirm, EngineView, Focus, MsgKind, Overlay};
use super::shell::ShellPane;
use super::text::str_width;
use super::theme::Theme;
use super::ui;
use crate::course::Predicate;
use crate::engine::{Action, ContainerInfo, Event, EventType, Snapshot};
use std::path::PathBuf;

mod guide;
mod keys;
mod live;
mod present;
mod reset;

#[derive(Default)]
struct ShellLog {
    written: Vec<u8>,
    pasted: Vec<String>,
    typed: Vec<String>,
    sizes: Vec<(u16, u16)>,
    scrolled: i32,
    at_prompt: bool,
}

struct FakeShell(Rc<RefCell<ShellLog>>);

impl ShellPane for FakeShell {
    fn process(&mut self, _bytes: &[u8]) {}
    fn write(&mut self, bytes: &[u8]) {
        self.0.borrow_mut().written.extend_from_slice(bytes);
    }
    fn paste(&mut self, text: &str) {
        self.0.borrow_mut().pasted.push(text.into());
    }
    fn type_line(&mut self, line: &str) {
        self.0.borrow_mut().typed.push(line.into());
    }
    fn resize(&mut self, rows: u16, cols: u16) {
        self.0.borrow_mut().sizes.push((rows, cols));
    }
    fn scroll(&mut self, lines: i32) {
        self.0.borrow_mut().scrolled += lines;
    }
    fn cursor_position(&self) -> Option<(u16, u16)> {
        Some((2, 0))
    }
    fn at_prompt(&self) -> bool {
        self.0.borrow().at_prompt
    }
    fn application_cursor(&self) -> bool {
        false
    }
    fn render(&self, area: Rect, buf: &mut Buffer, _focused: bool) {
        Paragraph::new(vec![
            Line::from("$ docker ps"),
            Line::from("CONTAINER ID   IMAGE"),
        ])
        .render(area, buf);
    }
}

#[derive(Default)]
struct World {
    /// The verdict for each step id (Fail when absent).
    verdicts: HashMap<String, Verdict>,
    snapshot: Snapshot,
    /// The events each evaluation saw.
    seen: Vec<Vec<Event>>,
    /// The step each `watch` call was for.
    watched: Vec<Option<String>>,
}

struct FakeEngine(Rc<RefCell<World>>);

impl EngineView for FakeEngine {
    fn snapshot(&self) -> Snapshot {
        self.0.borrow().snapshot.clone()
    }
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict {
        let mut w = self.0.borrow_mut();
        w.seen.push(events.to_vec());
        w.verdicts.get(&step.id).cloned().unwrap_or(Verdict::Fail)
    }
    fn watch(&self, step: Option<&Step>, _snap: &Snapshot) {
        self.0.borrow_mut().watched.push(step.map(|s| s.id.clone()));
    }
}

fn step(id: &str, title: &str, text: &str, check: bool) -> Step {
    Step {
        id: id.into(),
        title: title.into(),
        text: text.into(),
        hints: vec![
            "`docker pull` 뒤에 이미지 이름을 적어 보세요.".into(),
            "docker pull busybox".into(),
        ],
        solution: if check {
            vec![format!("docker {id}")]
        } else {
            Vec::new()
        },
        check: if check {
            vec![Predicate::Ran(vec![id.to_string()])]
        } else {
            Vec::new()
        },
        any: Vec::new(),
        check_src: Vec::new(),
        any_src: Vec::new(),
        avoid: Vec::new(),
        wrong: Vec::new(),
        right: Vec::new(),
        setup: Vec::new(),
        line: 1,
    }
}

const INTRO: &str = "# 이미지\n\n이미지는 컨테이너를 만드는 틀입니다. 이번 수업에서는 이미지를 받고, 살펴보고, 지워 봅니다. 아주아주긴한국어문장은띄어쓰기없이도화면폭에맞게음절단위로나뉘어야합니다.\n\n- 이미지 받기\n- 레이어 살펴보기\n  - 크기와 역사\n\n| 명령 | 하는 일 |\n|---|---|\n| 풀 | 이미지를 받습니다 |\n| docker images | 목록 |\n";

fn lesson() -> Lesson {
    Lesson {
        id: "02-images".into(),
        title: "이미지".into(),
        minutes: 10,
        intro: INTRO.into(),
        steps: vec![
            step("read", "읽어 보기", "먼저 **읽어** 보세요.", false),
            step(
                "pull",
                "busybox 이미지 받기",
                "터미널에서 다음을 입력하세요:\n\n```sh\ndocker pull busybox\n```\n",
                true,
            ),
            step(
                "images",
                "이미지 목록 보기",
                "`docker images`로 확인합니다.",
                true,
            ),
        ],
        path: PathBuf::from("lessons/ko/02-images.md"),
    }
}

/// Progress saved under a temp dir that lives as long as the test process.
fn fresh_progress() -> Progress {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    Progress::load_from(&dir.join("progress.toml"))
}

struct Rig {
    app: App,
    world: Rc<RefCell<World>>,
    shell: Rc<RefCell<ShellLog>>,
}

fn rig_with(lessons: Vec<Result<Lesson, String>>, size: (u16, u16), demo: bool) -> Rig {
    let world = Rc::new(RefCell::new(World::default()));
    let shell = Rc::new(RefCell::new(ShellLog::default()));
    let theme = Theme { color: true, demo };
    let mut app = App::new(
        lessons,
        fresh_progress(),
        Box::new(FakeEngine(world.clone())),
        theme,
        size,
    );
    app.set_shell(Box::new(FakeShell(shell.clone())));
    Rig { app, world, shell }
}

fn rig() -> Rig {
    rig_with(vec![Ok(lesson()), Ok(lesson2())], (120, 40), false)
}

fn lesson2() -> Lesson {
    Lesson {
        id: "03-containers".into(),
        title: "컨테이너".into(),
        minutes: 15,
        intro: "# 컨테이너\n\n컨테이너를 실행합니다.".into(),
        steps: vec![step("run", "컨테이너 실행", "`docker run`", true)],
        path: PathBuf::from("lessons/ko/03-containers.md"),
    }
}

fn key(code: KeyCode) -> AppEvent {
    AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> AppEvent {
    AppEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn ev(action: &str) -> Event {
    Event::on_image(Action::from(action))
}

fn screen(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(app, f)).expect("draw");
    buffer_text(term.backend().buffer())
}

/// The buffer as text; the second cell of a wide character is skipped, so each line reads
/// as on screen.
fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = str_width(sym).saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

#[test]
fn resumes_at_the_first_unfinished_step() {
    let mut p = fresh_progress();
    p.mark_done("02-images", "read");
    p.mark_done("02-images", "pull");
    let world = Rc::new(RefCell::new(World::default()));
    let app = App::new(
        vec![Ok(lesson())],
        p,
        Box::new(FakeEngine(world)),
        Theme::plain(),
        (120, 40),
    );
    assert_eq!((app.lesson, app.step), (0, 2));
}

#[test]
fn a_passing_check_ticks_the_step_and_moves_on_and_undo_does_not_untick() {
    let mut r = rig();
    // The reading step is done with F6.
    r.app.handle(key(KeyCode::F(6)));
    assert_eq!(r.app.step, 1);
    assert!(r.app.progress.is_done("02-images", "read"));

    r.app.handle(AppEvent::Engine(vec![ev("tag")]));
    assert_eq!(r.app.step, 1, "a failing check keeps the step");

    r.world
        .borrow_mut()
        .verdicts
        .insert("pull".into(), Verdict::Pass);
    r.app.handle(AppEvent::Engine(vec![ev("pull")]));
    assert!(r.app.progress.is_done("02-images", "pull"));
    assert_eq!(r.app.step, 2, "the highlight moved to the next step");
    // The check saw the events since the step began.
    let seen = r.world.borrow().seen.clone();
    let last_pull = seen
        .iter()
        .rev()
        .find(|e| e.iter().any(|e| e.action == "pull"));
    assert_eq!(last_pull.map(Vec::len), Some(2));
    // The next step started with no events.
    assert_eq!(seen.last().map(Vec::len), Some(0));

    // Removing the image again (check fails now) does not take the tick back.
    r.world
        .borrow_mut()
        .verdicts
        .insert("pull".into(), Verdict::Fail);
    r.app.handle(AppEvent::Engine(vec![ev("delete")]));
    assert!(r.app.progress.is_done("02-images", "pull"));
    let s = screen(&r.app);
    assert!(s.contains("✓ 2. busybox 이미지 받기"), "{s}");
    assert!(s.contains("▸ 3. 이미지 목록 보기"), "{s}");
}

#[test]
fn a_step_already_satisfied_passes_when_it_becomes_current() {
    let mut r = rig();
    r.world
        .borrow_mut()
        .verdicts
        .insert("pull".into(), Verdict::Pass);
    r.app.handle(key(KeyCode::F(6)));
    assert!(r.app.progress.is_done("02-images", "pull"));
    assert_eq!(r.app.step, 2);
}

#[test]
fn avoid_hints_are_shown() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    let hint = "컨테이너가 이미 종료되었습니다. `docker ps -a`로 보세요.";
    r.world
        .borrow_mut()
        .verdicts
        .insert("pull".into(), Verdict::Avoid(hint.into()));
    r.app.handle(AppEvent::Engine(vec![ev("pull")]));
    assert_eq!(r.app.step, 1);
    assert!(!r.app.progress.is_done("02-images", "pull"));
    assert_eq!(r.app.message.as_ref().map(|m| m.text.as_str()), Some(hint));
    let s = screen(&r.app);
    assert!(s.contains("⚠ 컨테이너가 이미 종료되었습니다."), "{s}");
}

#[test]
fn skipping_a_check_step_asks_first_and_does_not_mark_it_done() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(6)));
    assert_eq!(r.app.overlay, Some(Overlay::Confirm(Confirm::Skip)));
    r.app.handle(key(KeyCode::Char('n')));
    assert_eq!(r.app.step, 1);
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::Char('y')));
    assert_eq!(r.app.step, 2);
    assert!(!r.app.progress.is_done("02-images", "pull"));
}

#[test]
fn shell_keys_go_to_the_shell_and_gorae_keys_do_not() {
    let mut r = rig();
    assert_eq!(r.app.focus, Focus::Terminal);
    r.app.handle(ctrl('c'));
    r.app.handle(key(KeyCode::Char('q')));
    r.app.handle(key(KeyCode::Esc));
    r.app.handle(key(KeyCode::Tab));
    r.app.handle(key(KeyCode::F(2)));
    assert_eq!(r.shell.borrow().written, b"\x03q\x1b\t");
    assert!(!r.app.quit);
    // Ctrl-G moves to the lesson pane, where the function keys still work and letters do not.
    r.app.handle(ctrl('g'));
    assert_eq!(r.app.focus, Focus::Lesson);
    r.app.handle(key(KeyCode::F(2)));
    r.app.handle(key(KeyCode::F(2)));
    assert_eq!(r.app.aid.hints_shown, 2);
    r.app.handle(key(KeyCode::Char('h')));
    assert_eq!(r.app.aid.hints_shown, 2);
    assert_eq!(r.shell.borrow().written, b"\x03q\x1b\t");
    r.app.handle(key(KeyCode::Char('q')));
    assert!(!r.app.quit, "q in the lesson pane does not quit");
    r.app.handle(key(KeyCode::F(10)));
    assert!(r.app.quit);
}

#[test]
fn paste_resize_and_wheel_reach_the_shell() {
    let mut r = rig();
    r.app.handle(AppEvent::Paste("docker ps -a".into()));
    assert_eq!(r.shell.borrow().pasted, vec!["docker ps -a".to_string()]);
    r.app.handle(AppEvent::Resize(100, 30));
    let term = layout::layout(&r.app).terminal.expect("terminal pane");
    assert_eq!(
        r.shell.borrow().sizes.last(),
        Some(&(term.height, term.width))
    );
    r.app.handle(AppEvent::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: term.x + 2,
        row: term.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(r.shell.borrow().scrolled, 3);
}

#[test]
fn hints_and_solution_show_under_the_step_and_f4_types_it() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(2)));
    r.app.handle(key(KeyCode::F(3)));
    let s = screen(&r.app);
    let label = crate::i18n::t("tui_hint_label", &[]);
    assert!(s.contains(&format!("{label} 1: docker pull 뒤에")), "{s}");
    assert!(s.contains("docker pull"), "{s}");
    r.app.handle(key(KeyCode::F(4)));
    assert_eq!(r.shell.borrow().typed, vec!["docker pull".to_string()]);
}

#[test]
fn quitting_with_running_containers_asks_to_stop_them() {
    let mut r = rig();
    r.world
        .borrow_mut()
        .snapshot
        .containers
        .push(reset::container("abc123", "web", "busybox", "running"));
    r.app.handle(AppEvent::Engine(vec![Event::new(
        EventType::Container,
        Action::Start,
    )]));
    r.app.handle(key(KeyCode::F(10)));
    assert!(!r.app.quit);
    assert!(matches!(
        r.app.overlay,
        Some(Overlay::Confirm(Confirm::Quit { .. }))
    ));
    let s = screen(&r.app);
    let title = crate::i18n::t("tui_confirm_title", &[]);
    assert!(s.contains(&format!("┌ {title} ")), "{s}");
    r.app.handle(key(KeyCode::Char('y')));
    assert!(r.app.quit);
    assert_eq!(r.app.stop_on_quit, vec!["abc123".to_string()]);
}

#[test]
fn reset_asks_then_plans_removal_and_replay_of_earlier_steps() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::Char('y')));
    assert_eq!(r.app.step, 2);
    r.app.handle(key(KeyCode::F(5)));
    r.app.handle(key(KeyCode::Char('y')));
    let Some(Effect::Reset(plan)) = r.app.effects.pop() else {
        panic!("no reset effect");
    };
    assert_eq!(plan.replay, vec!["docker pull".to_string()]);
    assert!(plan.remove.is_empty());
    assert!(r.app.resetting.is_some());
}

#[test]
fn what_a_reset_could_not_remove_is_told() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(5)));
    r.app.handle(key(KeyCode::Char('y')));
    r.app
        .handle(AppEvent::Reset(ResetUpdate::Problem("abc123: busy".into())));
    r.app.handle(AppEvent::Reset(ResetUpdate::Finished(Ok(()))));
    assert!(r.app.resetting.is_none());
    let m = r.app.message.clone().expect("a message");
    assert_eq!(m.kind, MsgKind::Error);
    assert!(m.text.contains("abc123: busy"), "{}", m.text);
    assert!(screen(&r.app).contains("abc123: busy"));
    // The next reset starts clean.
    r.app.handle(key(KeyCode::F(5)));
    r.app.handle(key(KeyCode::Char('y')));
    r.app.handle(AppEvent::Reset(ResetUpdate::Finished(Ok(()))));
    let m = r.app.message.clone().expect("a message");
    assert_eq!(m.kind, MsgKind::Success, "{}", m.text);
}

#[test]
fn lesson_list_jumps_to_another_lesson() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(7)));
    let s = screen(&r.app);
    assert!(s.contains("2. 컨테이너"), "{s}");
    for _ in 0..4 {
        r.app.handle(key(KeyCode::Down));
    }
    r.app.handle(key(KeyCode::Enter));
    assert_eq!(r.app.lesson, 1);
    assert_eq!(r.app.overlay, None);
}

#[test]
fn start_at_by_number_or_id() {
    let mut r = rig();
    r.app.start_at("2", None).expect("lesson 2");
    assert_eq!((r.app.lesson, r.app.step), (1, 0));
    r.app.start_at("02-images", Some("images")).expect("by id");
    assert_eq!((r.app.lesson, r.app.step), (0, 2));
    r.app.start_at("1", Some("2")).expect("by number");
    assert_eq!(r.app.step, 1);
    assert!(r.app.start_at("9", None).is_err());
}

#[test]
fn a_broken_lesson_shows_its_error_and_the_app_keeps_running() {
    let mut r = rig_with(
        vec![
            Err("lessons/ko/01-broken.md:3: expected `=`".into()),
            Ok(lesson()),
        ],
        (120, 40),
        false,
    );
    r.app.start_at("1", None).expect("lesson 1");
    let s = screen(&r.app);
    assert!(s.contains("01-broken.md:3: expected `=`"), "{s}");
    r.app.handle(key(KeyCode::F(6)));
    assert_eq!(r.app.lesson, 1);
}

#[test]
fn tiny_windows_show_a_message_instead_of_panicking() {
    for (w, h) in [(10, 5), (39, 30), (120, 11), (1, 1)] {
        let mut r = rig();
        r.app.handle(AppEvent::Resize(w, h));
        let s = screen(&r.app);
        assert!(!s.contains("busybox"), "{s}");
        if w >= 39 {
            assert!(s.contains("40x12"), "{s}");
        }
    }
}

#[test]
fn state_panel_lists_containers_under_their_image() {
    let mut r = rig();
    {
        let mut w = r.world.borrow_mut();
        w.snapshot.images.push(crate::engine::ImageInfo {
            id: "sha256:aaaaaaaaaaaabbbb".into(),
            tags: vec!["busybox:latest".into()],
            layers: vec!["sha256:cccccccccccc0000".into()],
            layer_sizes: vec![4_261_000],
            history: vec!["ADD file:busybox in /".into()],
            created: 0,
            size: 4_261_000,
            bundled: true,
            intermediate: false,
        });
        w.snapshot.containers.push(ContainerInfo {
            id: "ddddddddddddeeee".into(),
            name: "web".into(),
            image: "busybox".into(),
            image_id: "sha256:aaaaaaaaaaaabbbb".into(),
            state: "exited".into(),
            exit_code: Some(0),
            command: vec![],
            tty: false,
            detached: false,
            auto_remove: false,
            interactive: false,
            ports: vec![],
            created: 0,
            mounts: vec![],
        });
    }
    r.app.handle(AppEvent::Engine(vec![ev("pull")]));
    r.app.handle(key(KeyCode::F(8)));
    let s = screen(&r.app);
    // Sizes as `docker images` prints them (3 significant digits).
    assert!(s.contains("■ busybox:latest  aaaaaaaaaaaa  4.26MB"), "{s}");
    assert!(
        s.contains("├ cccccccccccc   4.26MB  ADD file:busybox in /"),
        "{s}"
    );
    let exited = crate::i18n::t("tui_state_exited", &[("code", "0")]);
    assert!(
        s.contains(&format!("└▶ ○ web  dddddddddddd  {exited}")),
        "{s}"
    );
    // A build's intermediate step image is hidden, as `docker images` hides it.
    {
        let mut w = r.world.borrow_mut();
        let mut step = w.snapshot.images[0].clone();
        step.id = "sha256:ffffffffffff1111".into();
        step.tags.clear();
        step.bundled = false;
        step.intermediate = true;
        w.snapshot.images.push(step);
    }
    r.app.handle(AppEvent::Engine(vec![ev("build")]));
    let s = screen(&r.app);
    assert!(!s.contains("ffffffffffff"), "{s}");
    let summary = crate::i18n::t(
        "tui_state_summary",
        &[("images", "1"), ("containers", "1"), ("running", "0")],
    );
    assert!(s.contains(&summary), "{s}");
}

#[test]
fn help_lists_every_key() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(1)));
    let s = screen(&r.app);
    for k in [
        "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "Ctrl-G",
    ] {
        assert!(s.contains(k), "{k} missing:\n{s}");
    }
    r.app.handle(key(KeyCode::Esc));
    assert_eq!(r.app.overlay, None);
}

#[test]
fn table_column_after_hangul_starts_at_the_same_display_column() {
    let r = rig();
    let s = screen(&r.app);
    // Only the lesson pane's part of each screen line.
    let pane = layout::layout(&r.app)
        .lesson_box
        .expect("lesson pane")
        .width as usize;
    let lesson_part = |l: &str| {
        let mut w = 0;
        l.chars()
            .take_while(|c| {
                w += str_width(&c.to_string());
                w <= pane
            })
            .collect::<String>()
    };
    let lesson_rows = layout::layout(&r.app)
        .lesson_box
        .expect("lesson pane")
        .height as usize;
    let parts: Vec<String> = s.lines().take(lesson_rows).map(lesson_part).collect();
    let rows: Vec<&String> = parts.iter().filter(|l| l.contains(" │ ")).collect();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let col = |l: &str| str_width(&l[..l.find(" │ ").expect("separator")]);
    assert_eq!(col(rows[0]), col(rows[1]));
    assert_eq!(col(rows[1]), col(rows[2]));
}

/// UI text follows the process's language (GORAE_LANG, LANG…), so each has its snapshots.
#[track_caller]
fn snapshot(test: &str, app: &App) {
    let name = format!("{test}_{}", crate::i18n::lang().code());
    insta::assert_snapshot!(name, screen(app));
}

#[test]
fn snapshot_120x40() {
    let mut r = rig();
    r.app.handle(key(KeyCode::F(6)));
    snapshot("snapshot_120x40", &r.app);
}

#[test]
fn snapshot_80x24() {
    let mut r = rig_with(vec![Ok(lesson()), Ok(lesson2())], (80, 24), false);
    r.app.handle(key(KeyCode::F(6)));
    snapshot("snapshot_80x24", &r.app);
}

#[test]
fn snapshot_80x24_state_panel() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), false);
    r.app.handle(key(KeyCode::F(8)));
    snapshot("snapshot_80x24_state_panel", &r.app);
}

#[test]
fn snapshot_demo_120x40() {
    let mut r = rig_with(vec![Ok(lesson())], (120, 40), true);
    r.app.handle(key(KeyCode::F(6)));
    snapshot("snapshot_demo_120x40", &r.app);
}

#[test]
fn snapshot_220x60() {
    let mut r = rig_with(vec![Ok(lesson()), Ok(lesson2())], (220, 60), false);
    r.app.handle(key(KeyCode::F(6)));
    r.app.handle(key(KeyCode::F(8)));
    snapshot("snapshot_220x60", &r.app);
}

/// A projector at 80x24: the lesson keeps most rows; a long message (the solution) wraps
/// over the lesson's bottom, never over the terminal.
#[test]
fn snapshot_demo_80x24() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), true);
    r.app.handle(key(KeyCode::Char(' ')));
    r.app.handle(key(KeyCode::F(3)));
    snapshot("snapshot_demo_80x24", &r.app);
}

#[test]
fn cursor_is_placed_in_the_terminal_when_it_has_focus() {
    let mut r = rig();
    let (w, h) = r.app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
    term.draw(|f| ui::draw(&r.app, f)).expect("draw");
    let inner = layout::layout(&r.app).terminal.expect("terminal");
    assert!(term.backend().cursor_visible());
    term.backend_mut()
        .assert_cursor_position((inner.x + 2, inner.y));
    r.app.handle(ctrl('g'));
    term.draw(|f| ui::draw(&r.app, f)).expect("draw");
    assert!(!term.backend().cursor_visible());
}

#[test]
fn no_color_keeps_emphasis_but_drops_colours() {
    let mut r = rig();
    r.app.theme.color = false;
    r.app.handle(key(KeyCode::F(6)));
    let (w, h) = r.app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
    term.draw(|f| ui::draw(&r.app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut bold = 0;
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
        if cell.modifier.contains(ratatui::style::Modifier::BOLD) {
            bold += 1;
        }
    }
    assert!(bold > 0, "headings and the current step stay bold");
}

#[test]
fn the_lesson_scrolls_with_keys_and_wheel_and_follows_the_step_again() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), false);
    assert_eq!(r.app.lesson_scroll, None);
    // The wheel over the lesson pane scrolls it whatever has focus.
    let area = layout::lesson_area(&r.app);
    r.app.handle(AppEvent::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: area.x + 1,
        row: area.y + 1,
        modifiers: KeyModifiers::NONE,
    }));
    let after_wheel = r.app.lesson_scroll.expect("scrolled");
    assert_eq!(r.app.focus, Focus::Terminal);
    r.app.handle(ctrl('g'));
    r.app.handle(key(KeyCode::Home));
    assert_eq!(r.app.lesson_scroll, Some(0));
    assert!(screen(&r.app).contains("이미지는 컨테이너를"));
    r.app.handle(key(KeyCode::PageDown));
    assert!(r.app.lesson_scroll.is_some_and(|s| s > 0));
    r.app.handle(key(KeyCode::End));
    let end = r.app.lesson_scroll.expect("end");
    assert!(end >= after_wheel);
    r.app.handle(key(KeyCode::Down));
    assert_eq!(r.app.lesson_scroll, Some(end), "no scrolling past the end");
    // A new current step brings the view back to it.
    r.app.handle(key(KeyCode::F(6)));
    assert_eq!(r.app.lesson_scroll, None);
}

#[test]
fn a_dead_shell_restarts_on_enter() {
    let mut r = rig();
    r.app.handle(AppEvent::PtyExit);
    assert!(!r.app.shell_alive);
    r.app.handle(key(KeyCode::Char('x')));
    assert!(r.app.effects.is_empty());
    r.app.handle(key(KeyCode::Enter));
    assert_eq!(r.app.effects, vec![Effect::RespawnShell]);
}

#[test]
fn signals_quit_at_once() {
    let mut r = rig();
    r.app.handle(AppEvent::Quit);
    assert!(r.app.quit);
}

/// The real checks (`course::check::evaluate`) over a world whose state the test sets.
#[derive(Default)]
struct StateWorld {
    snapshot: RefCell<Snapshot>,
}

impl crate::course::World for StateWorld {
    fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }
    fn image_has_path(&self, _image: &str, _path: &str) -> bool {
        false
    }
    fn container_has_path(&self, _container: &str, _path: &str) -> bool {
        false
    }
    fn container_changes(&self, _container: &str) -> Vec<(char, String)> {
        Vec::new()
    }
    fn container_logs(&self, _container: &str) -> String {
        String::new()
    }
    fn volume_has_file(&self, _volume: &str, _path: &str) -> bool {
        false
    }
    fn host_has_path(&self, _path: &std::path::Path) -> bool {
        false
    }
    fn http_get(&self, _port: u16, _path: &str) -> Option<crate::course::answer::HttpAnswer> {
        None
    }
}

struct CheckedEngine(Rc<StateWorld>);

impl EngineView for CheckedEngine {
    fn snapshot(&self) -> Snapshot {
        crate::course::World::snapshot(self.0.as_ref())
    }
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict {
        crate::course::check::evaluate(step, self.0.as_ref(), events)
    }
}

fn image(tag: &str) -> crate::engine::ImageInfo {
    crate::engine::ImageInfo {
        id: format!("sha256:{tag}"),
        tags: vec![tag.to_string()],
        layers: Vec::new(),
        layer_sizes: Vec::new(),
        history: Vec::new(),
        created: 0,
        size: 0,
        bundled: true,
        intermediate: false,
    }
}

#[test]
fn real_checks_tick_by_state_and_commands_and_warn_on_avoid_states() {
    use crate::course::Avoid;
    use crate::course::predicate::ImageRef;
    let img = |s: &str| ImageRef::parse(s).expect("image ref");
    let mut pull = step("pull", "busybox 받기", "", true);
    pull.check = vec![Predicate::Image(img("busybox"))];
    pull.avoid = vec![Avoid {
        when: vec![Predicate::Image(img("debian"))],
        hint: "debian이 아니라 busybox를 받아 보세요.".into(),
    }];
    let mut ps = step("ps", "모두 보기", "", true);
    ps.check = vec![Predicate::Ran(vec!["ps".into(), "-a".into()])];
    let l = Lesson {
        id: "01-hello".into(),
        title: "첫 컨테이너".into(),
        minutes: 5,
        path: PathBuf::from("lessons/ko/01-hello.md"),
        intro: String::new(),
        steps: vec![pull, ps],
    };
    let world = Rc::new(StateWorld::default());
    let mut app = App::new(
        vec![Ok(l)],
        fresh_progress(),
        Box::new(CheckedEngine(world.clone())),
        Theme::plain(),
        (120, 40),
    );
    // Pulling the wrong image warns and does not tick.
    world
        .snapshot
        .borrow_mut()
        .images
        .push(image("debian:latest"));
    app.handle(AppEvent::Engine(vec![ev("pull")]));
    assert_eq!(app.step, 0);
    assert_eq!(
        app.aid.avoid.as_deref(),
        Some("debian이 아니라 busybox를 받아 보세요.")
    );
    // The right one ticks it.
    world
        .snapshot
        .borrow_mut()
        .images
        .push(image("busybox:latest"));
    app.handle(AppEvent::Engine(vec![ev("pull")]));
    assert!(app.progress.is_done("01-hello", "pull"));
    assert_eq!(app.step, 1);
    // `docker ps` alone does not count; `docker ps -a` does.
    let ran = |args: &str| {
        Event::command(Action::Run)
            .attr("args", args)
            .attr("exit", "0")
    };
    app.handle(AppEvent::Engine(vec![ran(r#"["ps"]"#)]));
    assert!(!app.progress.is_done("01-hello", "ps"));
    app.handle(AppEvent::Engine(vec![ran(r#"["ps","-a"]"#)]));
    assert!(app.progress.is_done("01-hello", "ps"));
    // Removing busybox later does not take the first tick back.
    world.snapshot.borrow_mut().images.clear();
    app.handle(AppEvent::Engine(vec![ev("delete")]));
    assert!(app.progress.is_done("01-hello", "pull"));
}

#[test]
fn overlays_blank_a_wide_character_cut_by_their_left_border() {
    let mut r = rig_with(vec![Ok(lesson())], (80, 24), false);
    r.app.handle(key(KeyCode::F(7)));
    let area = Rect::new(0, 0, 80, 24);
    let mut buf = Buffer::empty(area);
    // Hangul at odd columns, so one starts right before any even-column border.
    for y in 0..24 {
        buf.set_string(
            0,
            y,
            format!(" {}", "가".repeat(39)),
            ratatui::style::Style::new(),
        );
    }
    super::ui::overlay::render(&r.app, area, &mut buf);
    let left = (0..80)
        .find(|&x| (0..24).any(|y| buf[(x, y)].symbol() == "┌"))
        .expect("box corner");
    assert_eq!(left % 2, 0, "the test needs the box on an even column");
    let rows: Vec<u16> = (0..24)
        .filter(|&y| ["┌", "│", "└"].contains(&buf[(left, y)].symbol()))
        .collect();
    assert!(rows.len() >= 3);
    for y in rows {
        let sym = buf[(left - 1, y)].symbol();
        assert!(
            str_width(sym) <= 1,
            "row {y}: {sym:?} spills over the border"
        );
    }
}

/// The import graph stays a tree: drawing and layout read the state (`model`) and never the
/// event handling (`app`) or the engine link; the threads feeding the loop need only `event`.
#[test]
fn drawing_imports_neither_the_app_nor_the_engine_link() {
    let drawing = [
        ("ui/mod.rs", include_str!("ui/mod.rs")),
        ("ui/lesson.rs", include_str!("ui/lesson.rs")),
        ("ui/overlay.rs", include_str!("ui/overlay.rs")),
        ("ui/state.rs", include_str!("ui/state.rs")),
        ("ui/status.rs", include_str!("ui/status.rs")),
        ("layout.rs", include_str!("layout.rs")),
        ("model.rs", include_str!("model.rs")),
        ("event.rs", include_str!("event.rs")),
    ];
    for (name, src) in drawing {
        for bad in ["app::", "engine_link", "reset::", "guard::"] {
            assert!(
                !src.lines()
                    .any(|l| l.starts_with("use ") && l.contains(bad)),
                "{name} imports {bad}"
            );
        }
    }
    let feeders = [
        ("engine_link.rs", include_str!("engine_link.rs")),
        ("guard.rs", include_str!("guard.rs")),
        ("reset.rs", include_str!("reset.rs")),
    ];
    for (name, src) in feeders {
        assert!(
            !src.lines()
                .any(|l| l.starts_with("use ") && l.contains("app::")),
            "{name} imports app"
        );
    }
}
