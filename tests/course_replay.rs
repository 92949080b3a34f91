//! The whole course, end to end: every lesson's solutions typed, in order, into a real sandbox
//! shell whose `docker` is gorae, with the real check code judging each step right after its
//! last line — in Korean and in English. Then every step's wrong attempts, each from the
//! step's start state (the lesson's earlier solutions replayed in a fresh store), must not pass,
//! and every right attempt must (each as root, `learner` or `plain`, in turn).
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use gorae::course::attempt::{Trial, settle};
use gorae::course::{Lesson, Verdict, evaluate, load_course};
use gorae::engine::events;
use gorae::i18n::Lang;
use gorae::tui::term::replay::replay_with;

/// The lessons publish fixed host ports (8080, 5000, …). As root each replay and each attempt
/// gets a network namespace of its own (`common::private_net`), so they run side by side;
/// otherwise the tests in this file take turns, and so do attempts that publish ports.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A private network for this thread (None), or this test's turn: what keeps its ports its own.
fn own_ports() -> Option<std::sync::MutexGuard<'static, ()>> {
    if common::private_net() {
        return None;
    }
    Some(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
}

fn lessons_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("images/layout")
}

/// One sandbox session and store for a whole course replay: `lesson try`'s `Trial`.
type World = Trial;

fn new_world(lang: Lang) -> World {
    let locale = match lang {
        Lang::Ko => "ko_KR.UTF-8",
        Lang::En => "C.UTF-8",
    };
    Trial::new(Path::new(env!("CARGO_BIN_EXE_gorae")), &catalog(), locale).unwrap()
}

fn verdict(world: &World, lesson: &Lesson, step_index: usize, since: u64) -> Verdict {
    let (evs, _) = events::read_from(&world.store.events_path(), since);
    evaluate(&lesson.steps[step_index], &world.store, &evs)
}

/// A user from /etc/passwd: (uid, gid).
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.split(':').next() == Some(name))?;
    let f: Vec<&str> = line.split(':').collect();
    Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
}

/// `GORAE_REPLAY_ONLY=10-capstone,07` replays only the lessons whose id begins with one of
/// these words: a lesson author's quick run. Unset (as in CI), the whole course is replayed.
fn only() -> Option<Vec<String>> {
    let v = std::env::var("GORAE_REPLAY_ONLY").ok()?;
    let words: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    (!words.is_empty()).then_some(words)
}

fn course(lang: Lang) -> Vec<Lesson> {
    let lessons: Vec<Lesson> = load_course(&lessons_dir(), lang)
        .into_iter()
        .map(|l| l.unwrap_or_else(|e| panic!("lesson does not load: {e}")))
        .collect();
    let Some(words) = only() else {
        return lessons;
    };
    let chosen: Vec<Lesson> = lessons
        .into_iter()
        .filter(|l| words.iter().any(|w| l.id.starts_with(w.as_str())))
        .collect();
    assert!(
        !chosen.is_empty(),
        "GORAE_REPLAY_ONLY={words:?} names no lesson"
    );
    let ids: Vec<&str> = chosen.iter().map(|l| l.id.as_str()).collect();
    eprintln!("replaying only {ids:?} (GORAE_REPLAY_ONLY)");
    chosen
}

/// Replay every step's solution in one session; return the steps that did not pass.
fn replay_lesson(world: &World, lesson: &Lesson) -> Vec<String> {
    let mut lines = Vec::new();
    let mut last_line_of: Vec<(usize, usize)> = Vec::new(); // (line index, step index)
    // Where a step's setup ends and its solution starts: a learner reads the step there.
    let mut setup_ends = Vec::new();
    for (si, step) in lesson.steps.iter().enumerate() {
        // A step's setup runs before it, as the TUI's reset runs it.
        lines.extend(step.setup.iter().cloned());
        if !step.setup.is_empty() {
            setup_ends.push(lines.len() - 1);
        }
        lines.extend(step.solution.iter().cloned());
        if !step.solution.is_empty() {
            last_line_of.push((lines.len() - 1, si));
        }
    }
    let mut failures = Vec::new();
    let mut step_start = world.events_len();
    let mut checked = Vec::new();
    let result = replay_with(&world.sandbox, &lines, &world.opts, &mut |i, line| {
        if setup_ends.contains(&i) {
            settle(&world.store);
        }
        if let Some(&(_, si)) = last_line_of.iter().find(|(li, _)| *li == i) {
            let step = &lesson.steps[si];
            checked.push(si);
            if !step.is_reading() {
                // A detached process may still be writing its first output: allow it a moment.
                let mut v = verdict(world, lesson, si, step_start);
                for _ in 0..50 {
                    if v == Verdict::Pass {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                    v = verdict(world, lesson, si, step_start);
                }
                if v != Verdict::Pass {
                    failures.push(format!(
                        "{} / {}: solution does not pass ({v:?}); last line {:?} printed:\n{}",
                        lesson.id, step.id, line.line, line.output
                    ));
                }
            }
            // The next step is read before it is typed (`attempt::settle`).
            settle(&world.store);
            step_start = world.events_len();
        }
    });
    if let Err(e) = result {
        failures.push(format!("{}: replay failed: {e}", lesson.id));
    }
    failures
}

fn run_course(lang: Lang) {
    let _turn = own_ports();
    let lessons = course(lang);
    assert!(
        only().is_some() || lessons.len() >= 10,
        "{} lessons",
        lessons.len()
    );
    let world = new_world(lang);
    let mut failures = Vec::new();
    for lesson in &lessons {
        failures.extend(replay_lesson(&world, lesson));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_korean_solution_passes_its_check() {
    run_course(Lang::Ko);
}

#[test]
fn every_english_solution_passes_its_check() {
    run_course(Lang::En);
}

/// Replay the whole course as the unprivileged user `name` (rootless containers in user
/// namespaces) and check that the engine really ran as that user.
fn run_course_as(name: &str, lang: Lang) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        common::skip(format_args!(
            "switching to the '{name}' user needs root to start with"
        ));
        return;
    }
    let Some((uid, gid)) = user_ids(name) else {
        panic!("no '{name}' user: CI creates it (see .ci/run)");
    };
    let _turn = own_ports();
    let mut world = new_world(lang);
    world.as_user(name, uid, gid);
    let mut failures = Vec::new();
    for lesson in &course(lang) {
        failures.extend(replay_lesson(&world, lesson));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The engine really ran as the user: the store's records are the user's.
    use std::os::unix::fs::MetadataExt;
    let events = std::fs::metadata(world.store.events_path()).expect("events were written");
    assert_eq!(
        events.uid(),
        uid,
        "the event feed was written by another user"
    );
    assert!(
        events.len() > 10_000,
        "only {} bytes of events",
        events.len()
    );
}

/// With /etc/subuid ranges and newuidmap (CI creates `learner` with them): images' other users
/// (nginx's www-data) are real, separate ids.
#[test]
fn every_solution_passes_as_an_unprivileged_user() {
    if user_ids("learner").is_some() && !common::has_subuid_range("learner") {
        panic!("'learner' should have an /etc/subuid range (useradd gives one)");
    }
    run_course_as("learner", Lang::En);
}

/// Without any /etc/subuid range (CI creates `plain` and removes its ranges): the container
/// has one id, and the course still works end to end, in Korean.
#[test]
fn every_solution_passes_as_a_user_without_subuid_ranges() {
    if common::has_subuid_range("plain") {
        panic!("'plain' must have no /etc/subuid range for this test (see .ci/run)");
    }
    run_course_as("plain", Lang::Ko);
}

#[test]
fn both_languages_check_the_same_things() {
    let ko = course(Lang::Ko);
    let en = course(Lang::En);
    assert_eq!(ko.len(), en.len());
    for (k, e) in ko.iter().zip(&en) {
        assert_eq!(k.id, e.id);
        assert_eq!(k.steps.len(), e.steps.len(), "{}", k.id);
        for (ks, es) in k.steps.iter().zip(&e.steps) {
            assert_eq!(ks.id, es.id, "{}", k.id);
            assert_eq!(
                ks.solution, es.solution,
                "{} / {}: solutions differ",
                k.id, ks.id
            );
            assert_eq!(
                ks.wrong, es.wrong,
                "{} / {}: wrong attempts differ",
                k.id, ks.id
            );
            assert_eq!(
                ks.right, es.right,
                "{} / {}: right attempts differ",
                k.id, ks.id
            );
            assert_eq!(
                format!("{:?}{:?}", ks.check, ks.any),
                format!("{:?}{:?}", es.check, es.any),
                "{} / {}: checks differ",
                k.id,
                ks.id
            );
        }
    }
}

/// One attempt to judge from its step's start state: a `wrong` one must not pass, a `right`
/// one must. Judged by `gorae lesson try`'s code (`course::attempt::Trial`).
struct Attempt<'a> {
    lesson: &'a Lesson,
    step: usize,
    lines: &'a [String],
    must_pass: bool,
    /// The unprivileged user it is replayed as (None: root).
    user: Option<(&'static str, u32, u32)>,
}

impl Attempt<'_> {
    /// Fixed host ports (8080, 6379, 5000; a Compose file's `ports`) make an attempt exclusive.
    fn exclusive(&self) -> bool {
        let start = Trial::start_lines(self.lesson, self.step);
        self.lines.iter().chain(&start).any(|l| {
            ["-p ", "--publish", "compose", "localhost:", "127.0.0.1:"]
                .iter()
                .any(|s| l.contains(s))
        })
    }

    fn judge(&self) -> Option<String> {
        let step = &self.lesson.steps[self.step];
        let mut trial = Trial::new(
            Path::new(env!("CARGO_BIN_EXE_gorae")),
            &catalog(),
            "ko_KR.UTF-8",
        )
        .unwrap();
        if let Some((name, uid, gid)) = self.user {
            trial.as_user(name, uid, gid);
        }
        let what = match (self.must_pass, self.user) {
            (true, None) => "right".to_string(),
            (false, None) => "wrong".to_string(),
            (true, Some((name, ..))) => format!("right (as {name})"),
            (false, Some((name, ..))) => format!("wrong (as {name})"),
        };
        let o = match trial.attempt(self.lesson, self.step, self.lines) {
            Ok(o) => o,
            Err(e) => {
                return Some(format!(
                    "{} / {}: replaying the {what} attempt {:?} failed: {e}",
                    self.lesson.id, step.id, self.lines
                ));
            }
        };
        let passed = o.verdict == Verdict::Pass;
        (passed != self.must_pass).then(|| {
            let printed: Vec<String> = o.transcript.iter().map(|(_, out)| out.clone()).collect();
            format!(
                "{} / {}: the {what} attempt {:?} {} ({}); it printed:\n{}",
                self.lesson.id,
                step.id,
                self.lines,
                if passed { "passes" } else { "does not pass" },
                o.failing.as_deref().unwrap_or("all hold"),
                printed.join("\n")
            )
        })
    }
}

/// Every `wrong` and `right` attempt of every step, each from the step's start state in a
/// fresh store, several at a time. Replayed once (Korean): the test above shows both
/// languages check the same things with the same solutions and attempts.
#[test]
fn wrong_attempts_fail_and_right_ones_pass() {
    let turn = own_ports();
    let lessons = course(Lang::Ko);
    // Each attempt runs as one of root, `learner` (subuid ranges) and `plain` (one id), in
    // turn: every identity meets every lesson, without replaying each attempt three times.
    let mut identities = vec![None];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        for name in ["learner", "plain"] {
            let Some((uid, gid)) = user_ids(name) else {
                panic!("no '{name}' user: CI creates it (see .ci/run)");
            };
            identities.push(Some((name, uid, gid)));
        }
    } else {
        common::skip(format_args!(
            "attempts replayed as this user only: switching to 'learner' and 'plain' needs root"
        ));
    }
    let mut jobs = Vec::new();
    let (mut wrong, mut right) = (0, 0);
    for lesson in &lessons {
        for (si, step) in lesson.steps.iter().enumerate() {
            assert!(
                (step.wrong.is_empty() && step.right.is_empty()) || !step.is_reading(),
                "{}/{}: a reading step with attempts",
                lesson.id,
                step.id
            );
            for (lines, must_pass) in step
                .wrong
                .iter()
                .map(|a| (a, false))
                .chain(step.right.iter().map(|a| (a, true)))
            {
                if must_pass {
                    right += 1;
                } else {
                    wrong += 1;
                }
                jobs.push(Attempt {
                    lesson,
                    step: si,
                    lines,
                    must_pass,
                    user: identities[jobs.len() % identities.len()],
                });
            }
        }
    }
    assert!(
        only().is_some() || (wrong > 100 && right > 50),
        "only {wrong} wrong and {right} right attempts"
    );
    let private = turn.is_none();
    let queue = std::sync::Mutex::new(jobs);
    let ports = std::sync::RwLock::new(());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some(job) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    // A network of its own per attempt (as root): its ports clash with no one's.
                    let found = if private {
                        assert!(common::private_net(), "a network namespace for an attempt");
                        job.judge()
                    } else if job.exclusive() {
                        let _w = ports.write().unwrap();
                        job.judge()
                    } else {
                        let _r = ports.read().unwrap();
                        job.judge()
                    };
                    if let Some(f) = found {
                        failures.lock().unwrap().push(f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
