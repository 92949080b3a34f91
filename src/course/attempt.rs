//! Trying an attempt at a step: `gorae lesson try FILE STEP_ID -- CMD…` for lesson authors,
//! and the course tests' `wrong`/`right` replays. A step's start state is built in a
//! temporary store and home (the lesson's earlier solutions, then the step's `setup`), the
//! attempt's lines are typed in the same shell session, and the step's real check judges.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::{Store, events};
use crate::i18n::t;
use crate::tui::term::replay::{ReplayOptions, replay_with};
use crate::tui::term::sandbox::Sandbox;

use super::check::{Verdict, evaluate, first_failing};
use super::lesson::{Lesson, load_lesson};

/// How long a detached process may take to do what the attempt asked (first output, a
/// request's log line) before the step is judged as it stands.
pub const PATIENCE: Duration = Duration::from_secs(2);

/// A learner reads a step before typing its first command, and by then the services its
/// start state started (redis loading its data, nginx) are up; typed at once, `docker exec db
/// redis-cli …` can meet a redis that does not listen yet. [`settle`] waits for that: until
/// every process of a container started in the last `SETTLE` sleeps (a service waiting for
/// requests) and has had `QUIET_AFTER`, or `SETTLE` has passed.
pub const SETTLE: Duration = Duration::from_millis(500);
const QUIET_AFTER: u64 = 50;

/// Wait until the containers just started in `store` have settled (at once when none has).
pub fn settle(store: &Store) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let young: Vec<(u64, i32)> = store
            .containers()
            .unwrap_or_default()
            .iter()
            .filter(|c| c.is_running())
            .map(|c| {
                let started = crate::engine::time::parse_time_millis(&c.state.started_at);
                (now.saturating_sub(started), c.state.pid)
            })
            .filter(|(age, _)| *age < SETTLE.as_millis() as u64)
            .collect();
        let settled = young
            .iter()
            .all(|(age, pid)| *age >= QUIET_AFTER && asleep(*pid));
        if settled || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether process `pid` and every process under it sleeps (none running or in disk wait).
fn asleep(pid: i32) -> bool {
    let mut todo = vec![pid];
    let mut seen = 0;
    while let Some(p) = todo.pop() {
        seen += 1;
        if seen > 512 {
            break;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // The state follows the command's closing parenthesis.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if matches!(state, Some('R' | 'D')) {
            return false;
        }
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            todo.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<i32>().ok()),
            );
        }
    }
    true
}

/// A temporary store, home and sandbox shell for one attempt. Containers left running are
/// removed when it is dropped.
pub struct Trial {
    dir: tempfile::TempDir,
    pub store: Store,
    pub sandbox: Sandbox,
    pub opts: ReplayOptions,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub verdict: Verdict,
    /// The first predicate that does not hold, as the lesson wrote it (None: it passed).
    pub failing: Option<String>,
    /// The attempt's lines with what each printed.
    pub transcript: Vec<(String, String)>,
}

impl Trial {
    /// `exe` is the gorae binary the sandbox's `docker` runs; `catalog` the bundled images;
    /// `locale` the shell's LANG.
    pub fn new(exe: &Path, catalog: &Path, locale: &str) -> Result<Trial, String> {
        let dir = tempfile::Builder::new()
            .prefix("gorae-try-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = dir.path().join("store");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        let store = Store::open(root.clone(), catalog.to_path_buf()).map_err(|e| e.to_string())?;
        let sandbox =
            Sandbox::prepare_with(&dir.path().join("state"), exe).map_err(|e| e.to_string())?;
        let opts = ReplayOptions {
            line_timeout: Duration::from_secs(60),
            cwd: Some(home.clone()),
            env: vec![
                ("GORAE_ROOT".into(), root.to_string_lossy().into_owned()),
                (
                    "GORAE_IMAGES".into(),
                    catalog.to_string_lossy().into_owned(),
                ),
                ("HOME".into(), home.to_string_lossy().into_owned()),
                ("LANG".into(), locale.into()),
            ],
            ..ReplayOptions::default()
        };
        Ok(Trial {
            dir,
            store,
            sandbox,
            opts,
        })
    }

    /// Hand the shell, its `docker` commands and the store to an unprivileged user (the tests,
    /// run as root, replay as `learner` and `plain` this way). What the store makes on its
    /// first read (predefined networks, the lock) is made first, so the user owns it too.
    pub fn as_user(&mut self, name: &str, uid: u32, gid: u32) {
        use std::os::unix::fs::PermissionsExt;
        let _ = self.store.snapshot();
        let _ = std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755));
        chown_tree(self.dir.path(), uid, gid);
        self.opts.user = Some((uid, gid));
        self.opts.env.push(("USER".into(), name.into()));
        self.opts.env.push(("LOGNAME".into(), name.into()));
    }

    /// The temporary directory everything lives in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn events_len(&self) -> u64 {
        std::fs::metadata(self.store.events_path())
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// The lines that bring a fresh store to the start of step `index`: as the TUI's reset
    /// does, each earlier step's setup and solution, then this step's setup.
    pub fn start_lines(lesson: &Lesson, index: usize) -> Vec<String> {
        lesson.steps[..index]
            .iter()
            .flat_map(|s| s.setup.iter().chain(&s.solution).cloned())
            .chain(lesson.steps[index].setup.iter().cloned())
            .collect()
    }

    /// Where in [`Trial::start_lines`] a learner would stop to read: after each step's
    /// setup and after each solution (indices of those lines' last ones).
    pub fn reading_pauses(lesson: &Lesson, index: usize) -> Vec<usize> {
        let mut pauses = Vec::new();
        let mut n = 0;
        let earlier = lesson.steps[..index]
            .iter()
            .flat_map(|s| [s.setup.len(), s.solution.len()]);
        for len in earlier.chain([lesson.steps[index].setup.len()]) {
            n += len;
            if len > 0 {
                pauses.push(n - 1);
            }
        }
        pauses
    }

    /// Build step `index`'s start state, type `attempt`, and judge the step on what happened
    /// since the attempt began (waiting up to [`PATIENCE`] for it to pass).
    pub fn attempt(
        &self,
        lesson: &Lesson,
        index: usize,
        attempt: &[String],
    ) -> Result<Outcome, String> {
        let step = &lesson.steps[index];
        let mut lines = Trial::start_lines(lesson, index);
        let prefix = lines.len();
        let pauses = Trial::reading_pauses(lesson, index);
        lines.extend(attempt.iter().cloned());
        let mut start = self.events_len();
        let mut transcript = Vec::new();
        replay_with(&self.sandbox, &lines, &self.opts, &mut |i, line| {
            if pauses.contains(&i) {
                settle(&self.store);
            }
            if i + 1 == prefix {
                start = self.events_len();
            }
            if i >= prefix {
                transcript.push((line.line.clone(), line.output.clone()));
            }
        })
        .map_err(|e| e.to_string())?;
        let judge = || {
            let (evs, _) = events::read_from(&self.store.events_path(), start);
            (evaluate(step, &self.store, &evs), evs)
        };
        let deadline = Instant::now() + PATIENCE;
        let (mut verdict, mut evs) = judge();
        while verdict != Verdict::Pass && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            (verdict, evs) = judge();
        }
        let failing = first_failing(step, &self.store, &evs).map(|p| source_of(step, p));
        Ok(Outcome {
            verdict,
            failing,
            transcript,
        })
    }
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    let _ = std::os::unix::fs::lchown(path, Some(uid), Some(gid));
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
        && let Ok(rd) = std::fs::read_dir(path)
    {
        for e in rd.flatten() {
            chown_tree(&e.path(), uid, gid);
        }
    }
}

/// The predicate as the lesson wrote it.
fn source_of(step: &super::lesson::Step, p: &super::lesson::Predicate) -> String {
    let found = step
        .check
        .iter()
        .zip(&step.check_src)
        .chain(
            step.any
                .iter()
                .zip(&step.any_src)
                .flat_map(|(g, s)| g.iter().zip(s)),
        )
        .find(|(q, _)| std::ptr::eq(*q, p));
    match found {
        Some((_, src)) => src.clone(),
        None => format!("{p:?}"),
    }
}

impl Drop for Trial {
    fn drop(&mut self) {
        if let Ok(cs) = self.store.containers() {
            for c in cs {
                let _ = self.store.remove_container(&c.id, true);
            }
        }
    }
}

/// `gorae lesson try FILE STEP_ID -- CMD…`: exits 0 when the attempt passes, 1 when it does
/// not, 2 when it cannot be tried.
pub fn try_main(args: Vec<String>) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{}", t("course.try.usage", &[]));
        return 0;
    }
    let (head, cmds) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (&args[..], &[][..]),
    };
    let [file, step_id] = head else {
        eprintln!("{}", t("course.try.usage", &[]));
        return 2;
    };
    if cmds.is_empty() {
        eprintln!("{}", t("course.try.usage", &[]));
        return 2;
    }
    let lesson = match load_lesson(Path::new(file)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let Some(index) = lesson.steps.iter().position(|s| s.id == *step_id) else {
        let ids: Vec<&str> = lesson.steps.iter().map(|s| s.id.as_str()).collect();
        eprintln!(
            "{}",
            t(
                "course.try.no_step",
                &[("step", step_id), ("steps", &ids.join(", "))]
            )
        );
        return 2;
    };
    if lesson.steps[index].is_reading() {
        eprintln!("{}", t("course.try.reading", &[("step", step_id)]));
        return 2;
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let outcome = Trial::new(
        &exe,
        &crate::engine::store::default_catalog(),
        &locale_of(file),
    )
    .and_then(|trial| trial.attempt(&lesson, index, cmds));
    match outcome {
        Err(e) => {
            eprintln!("{}", t("course.try.failed", &[("error", &e)]));
            2
        }
        Ok(o) => {
            // What each line printed (its echo included), for the author to see why.
            for (_, output) in &o.transcript {
                eprintln!("{}", output.trim_end());
            }
            match (&o.verdict, &o.failing) {
                (Verdict::Pass, _) => {
                    println!("pass");
                    0
                }
                (_, Some(p)) => {
                    println!("fail: {p}");
                    1
                }
                (_, None) => {
                    println!("fail");
                    1
                }
            }
        }
    }
}

/// The LANG to try a lesson in: its locale directory's (`lessons/ko/…` is Korean).
fn locale_of(file: &str) -> String {
    let dir = PathBuf::from(file)
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    match dir.as_deref() {
        Some("ko") => "ko_KR.UTF-8".into(),
        _ => "C.UTF-8".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learner_pauses_after_each_setup_and_each_solution_of_the_start_state() {
        let text = r#"+++
id = "99-pauses"
title = "pauses"
minutes = 1
+++

```step
id = "one"
title = "one"
setup = ["docker rm -f db"]
solution = ["docker run -d --name db redis", "docker exec db redis-cli set a b"]
check = [{ image = "redis" }]
```

```step
id = "two"
title = "two"
solution = ["docker exec db redis-cli get a"]
check = [{ image = "redis" }]
```

```step
id = "three"
title = "three"
setup = ["docker restart db"]
solution = ["docker ps"]
check = [{ image = "redis" }]
```
"#;
        let lesson = super::super::lesson::parse_lesson(Path::new("99.md"), text).unwrap();
        // Lines: 0 setup one, 1–2 solution one, 3 solution two, 4 setup three.
        assert_eq!(Trial::start_lines(&lesson, 2).len(), 5);
        assert_eq!(Trial::reading_pauses(&lesson, 2), vec![0, 2, 3, 4]);
        assert_eq!(Trial::reading_pauses(&lesson, 1), vec![0, 2]);
        assert_eq!(Trial::reading_pauses(&lesson, 0), vec![0]);
    }
}
