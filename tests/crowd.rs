//! A workshop room on one machine: many learners typing the first lessons at once, each with
//! their own store (and a few sharing one), then proof that nothing was lost or corrupted.
//! `GORAE_CROWD_N` sets the room size (40 by default), `GORAE_CROWD_WRITERS` the number of
//! CLIs hammering one shared store (8 by default).
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use common::{Run, Sandbox, catalog};
use gorae::course::predicate::{ContainerMatch, ContainerState, ImageRef};
use gorae::course::{Predicate, Verdict, evaluate, load_lesson, predicate_holds};
use gorae::engine::container::Container;
use gorae::engine::{Event, Store};

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// A CLI call that must succeed; counts it for the store's command events.
fn must(s: &Sandbox, calls: &Mutex<usize>, args: &[&str]) -> String {
    let r = s.docker(args);
    *calls.lock().expect("calls") += 1;
    assert_eq!(
        r.code, 0,
        "docker {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        r.code, r.stdout, r.stderr
    );
    r.stdout
}

/// A CLI call whose outcome the caller judges.
fn attempt(s: &Sandbox, calls: &Mutex<usize>, args: &[&str]) -> Run {
    let r = s.docker(args);
    *calls.lock().expect("calls") += 1;
    r
}

/// Every line of the event feed, each of which must parse.
fn events_of(root: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(root.join("events.jsonl")).expect("events.jsonl");
    text.lines()
        .map(|l| {
            serde_json::from_str::<Event>(l)
                .unwrap_or_else(|e| panic!("{}: bad event line {l:?}: {e}", root.display()))
        })
        .collect()
}

fn open(root: &Path) -> Store {
    Store::open(root.to_path_buf(), catalog()).expect("open store")
}

/// Every container record in the store parses; returns them.
fn records(root: &Path) -> Vec<Container> {
    let dir = root.join("containers");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("containers dir").flatten() {
        let path = e.path().join("container.json");
        let data = std::fs::read(&path)
            .unwrap_or_else(|err| panic!("{}: unreadable record: {err}", path.display()));
        let c: Container = serde_json::from_slice(&data)
            .unwrap_or_else(|err| panic!("{}: corrupt record: {err}", path.display()));
        out.push(c);
    }
    out
}

/// For each container in the feed, how many of each lifecycle event it got.
fn lifecycle(events: &[Event]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "container") {
        *out.entry(e.id.clone())
            .or_default()
            .entry(e.action.to_string())
            .or_default() += 1;
    }
    out
}

fn name_of(events: &[Event], id: &str) -> String {
    events
        .iter()
        .find(|e| e.kind == "container" && e.action == "create" && e.id == id)
        .map(|e| e.name.clone())
        .unwrap_or_default()
}

/// Host mounts under any of these dirs (there must be none: mounts live in the containers'
/// own mount namespaces).
fn stray_mounts(dirs: &[PathBuf]) -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter(|l| {
            dirs.iter()
                .any(|d| l.contains(d.to_string_lossy().as_ref()))
        })
        .map(str::to_string)
        .collect()
}

/// Monitor processes (`gorae __monitor <id>`) still alive for any of these containers.
fn live_monitors(ids: &HashSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect();
        if let Some(pos) = args.iter().position(|a| a == "__monitor")
            && args.get(pos + 1).is_some_and(|id| ids.contains(id))
        {
            out.push(format!(
                "pid {}: {}",
                e.file_name().to_string_lossy(),
                args.join(" ")
            ));
        }
    }
    out
}

/// Cgroup dirs left behind for any of these containers.
fn leftover_cgroups(ids: &HashSet<String>) -> Vec<PathBuf> {
    let mut bases = vec![PathBuf::from("/sys/fs/cgroup/gorae")];
    for ctrl in ["pids", "memory", "devices"] {
        bases.push(Path::new("/sys/fs/cgroup").join(ctrl).join("gorae"));
    }
    bases
        .iter()
        .flat_map(|b| ids.iter().map(move |id| b.join(id)))
        .filter(|p| p.exists())
        .collect()
}

fn ps_line<'a>(ps: &'a str, name: &str) -> Option<&'a str> {
    ps.lines()
        .find(|l| l.split_whitespace().last() == Some(name))
}

fn image(s: &str) -> ImageRef {
    ImageRef::parse(s).expect("image ref")
}

/// One learner's first lessons, as typed. Returns nothing; every step asserts what the
/// learner would see.
fn first_lessons(s: &Sandbox, calls: &Mutex<usize>, i: usize) {
    let web = format!("web-{i}");
    let scratch = format!("scratch-{i}");
    let snap = format!("snap-{i}");
    let pulled = must(s, calls, &["pull", "busybox"]);
    assert!(pulled.contains("busybox:latest"), "{pulled}");
    let hello = format!("hello-{i}");
    assert_eq!(
        must(s, calls, &["run", "--rm", "busybox", "echo", &hello]),
        format!("{hello}\n"),
        "learner {i} got someone else's output"
    );
    let host = must(s, calls, &["run", "--rm", "busybox", "hostname"]);
    assert!(
        host.trim().len() == 12 && host.trim().chars().all(|c| c.is_ascii_hexdigit()),
        "{host:?}"
    );
    must(
        s,
        calls,
        &["run", "--name", &scratch, "busybox", "touch", "/hello.txt"],
    );
    let id = must(
        s,
        calls,
        &["run", "-d", "--name", &web, "busybox", "sleep", "600"],
    );
    assert_eq!(id.trim().len(), 64, "{id:?}");
    let ps = must(s, calls, &["ps", "-a"]);
    let line = ps_line(&ps, &web).unwrap_or_else(|| panic!("{web} missing from:\n{ps}"));
    assert!(line.contains(" Up "), "{line}");
    assert!(line.starts_with(&id.trim()[..12]), "{line}");
    // `run --rm` returned only once its container was gone.
    assert!(!ps.contains(&format!("\"echo {hello}\"")), "{ps}");
    let line = ps_line(&ps, &scratch).unwrap_or_else(|| panic!("{scratch} missing:\n{ps}"));
    assert!(line.contains("Exited (0)"), "{line}");
    let mark = must(
        s,
        calls,
        &[
            "exec",
            &web,
            "sh",
            "-c",
            &format!("echo {i} > /mark; cat /mark"),
        ],
    );
    assert_eq!(mark, format!("{i}\n"));
    let committed = must(s, calls, &["commit", &web, &snap]);
    assert!(committed.starts_with("sha256:"), "{committed}");
    let images = must(s, calls, &["images"]);
    assert!(
        images.lines().any(|l| l.starts_with(&format!("{snap} "))),
        "{snap} missing from:\n{images}"
    );
    assert_eq!(must(s, calls, &["stop", "-t", "0", &web]).trim(), web);
    let ps = must(s, calls, &["ps", "-a"]);
    let line = ps_line(&ps, &web).unwrap_or_else(|| panic!("{web} missing after stop:\n{ps}"));
    assert!(line.contains("Exited (137)"), "{line}");
    assert_eq!(must(s, calls, &["rm", &web]).trim(), web);
    // The commit kept what exec wrote.
    assert_eq!(
        must(s, calls, &["run", "--rm", &snap, "cat", "/mark"]),
        format!("{i}\n")
    );
}

struct Room {
    stores: Vec<Arc<Sandbox>>,
    /// Which store each learner uses.
    seat: Vec<usize>,
    /// CLI calls per store.
    calls: Vec<Arc<Mutex<usize>>>,
}

impl Room {
    /// Every fourth learner shares one store (pairs at one laptop, an instructor's demo store);
    /// the others each have their own.
    fn new(n: usize) -> Room {
        let mut stores = Vec::new();
        let mut seat = Vec::new();
        let mut shared = None;
        for i in 0..n {
            if i % 4 == 3 {
                let idx = *shared.get_or_insert_with(|| {
                    stores.push(Arc::new(Sandbox::new()));
                    stores.len() - 1
                });
                seat.push(idx);
            } else {
                stores.push(Arc::new(Sandbox::new()));
                seat.push(stores.len() - 1);
            }
        }
        let calls = stores.iter().map(|_| Arc::new(Mutex::new(0))).collect();
        Room {
            stores,
            seat,
            calls,
        }
    }

    fn learners_of(&self, store: usize) -> Vec<usize> {
        (0..self.seat.len())
            .filter(|i| self.seat[*i] == store)
            .collect()
    }
}

#[test]
fn a_workshop_room_runs_its_first_lessons_at_once() {
    let n = env_count("GORAE_CROWD_N", 40);
    let room = Room::new(n);
    let barrier = Arc::new(Barrier::new(n));
    let started = Instant::now();
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let s = room.stores[room.seat[i]].clone();
            let calls = room.calls[room.seat[i]].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                first_lessons(&s, &calls, i);
            })
        })
        .collect();
    let mut failures = Vec::new();
    for (i, t) in threads.into_iter().enumerate() {
        if let Err(e) = t.join() {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("learner {i}: {msg}"));
        }
    }
    let total_calls: usize = room.calls.iter().map(|c| *c.lock().expect("calls")).sum();
    println!(
        "crowd: {n} learners in {} stores, {total_calls} CLI calls, {} containers, concurrently in {:.1} s",
        room.stores.len(),
        n * 5,
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let course = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/en");
    let containers_lesson = load_lesson(&course.join("01-containers.md")).expect("lesson 01");
    let images_lesson = load_lesson(&course.join("02-images.md")).expect("lesson 02");
    let step = |l: &gorae::course::Lesson, id: &str| {
        l.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("step {id}"))
            .clone()
    };
    let lesson_steps = [
        step(&containers_lesson, "hostname"),
        step(&containers_lesson, "change"),
        step(&images_lesson, "images"),
    ];

    let mut all_ids = HashSet::new();
    for (si, s) in room.stores.iter().enumerate() {
        let root = s.root();
        let learners = room.learners_of(si);
        let store = open(&root);
        let events = events_of(&root);

        // One command event per CLI call, each a success.
        let commands: Vec<&Event> = events.iter().filter(|e| e.kind == "command").collect();
        let calls = *room.calls[si].lock().expect("calls");
        assert_eq!(
            commands.len(),
            calls,
            "{}: command events lost or doubled",
            root.display()
        );
        assert!(
            commands
                .iter()
                .all(|e| e.attrs.get("exit").map(String::as_str) == Some("0")),
            "{}: a command event with a non-zero exit",
            root.display()
        );

        // Each container's whole life is in the feed, once.
        let life = lifecycle(&events);
        assert_eq!(
            life.len(),
            learners.len() * 5,
            "{}: {life:?}",
            root.display()
        );
        for (id, acts) in &life {
            let name = name_of(&events, id);
            let once = |a: &str| acts.get(a).copied().unwrap_or(0);
            assert_eq!(once("create"), 1, "{name}: {acts:?}");
            assert_eq!(once("start"), 1, "{name}: {acts:?}");
            assert_eq!(once("die"), 1, "{name}: {acts:?}");
            let destroyed = if name.starts_with("scratch-") { 0 } else { 1 };
            assert_eq!(once("destroy"), destroyed, "{name}: {acts:?}");
            if name.starts_with("web-") {
                assert_eq!(once("exec_start"), 1, "{name}: {acts:?}");
                assert_eq!(once("commit"), 1, "{name}: {acts:?}");
            }
            all_ids.insert(id.clone());
        }

        // Records: every one parses; only the scratch containers are left, exited 0.
        let recs = records(&root);
        let names: BTreeSet<String> = recs.iter().map(|c| c.name.clone()).collect();
        let want: BTreeSet<String> = learners.iter().map(|i| format!("scratch-{i}")).collect();
        assert_eq!(names, want, "{}", root.display());
        for c in &recs {
            assert_eq!(c.state.status, "exited", "{}", c.name);
            assert_eq!(c.state.exit_code, Some(0), "{}", c.name);
        }

        // Images: busybox and each learner's commit, nothing else, every one usable.
        let images = store.images().expect("images");
        let tags: BTreeSet<String> = images.iter().flat_map(|i| i.tags.clone()).collect();
        let mut want: BTreeSet<String> = learners
            .iter()
            .map(|i| format!("snap-{i}:latest"))
            .collect();
        want.insert("busybox:latest".into());
        assert_eq!(tags, want, "{}", root.display());
        for img in &images {
            store
                .lower_dirs(img)
                .unwrap_or_else(|e| panic!("{:?}: {e}", img.tags));
        }

        // The course sees what each learner did. Learners sharing a store cannot all name their
        // container `scratch`, as lesson 01 does: its `change` step is judged per learner on
        // the learner's own container, with the lesson's own check.
        let snap = store.snapshot().expect("snapshot");
        for i in &learners {
            let mut own = lesson_steps[1].clone();
            for p in own.check.iter_mut() {
                if let Predicate::ContainerChanged { name, .. } = p {
                    *name = Some(format!("scratch-{i}"));
                }
            }
            assert_eq!(
                evaluate(&own, &store, &events),
                Verdict::Pass,
                "{}: learner {i}: step change",
                root.display()
            );
        }
        for st in [&lesson_steps[0], &lesson_steps[2]] {
            assert_eq!(
                evaluate(st, &store, &events),
                Verdict::Pass,
                "{}: step {}",
                root.display(),
                st.id
            );
        }
        for i in &learners {
            let exited = Predicate::Container(ContainerMatch {
                name: Some(format!("scratch-{i}")),
                state: Some(ContainerState::Exited),
                exit_code: Some(0),
                image: Some(image("busybox")),
                ..Default::default()
            });
            let gone = Predicate::NoContainer(ContainerMatch {
                name: Some(format!("web-{i}")),
                ..Default::default()
            });
            let committed = Predicate::Image(image(&format!("snap-{i}")));
            let ran = Predicate::Ran(vec!["commit".into(), format!("web-{i}")]);
            for p in [exited, gone, committed, ran] {
                assert!(
                    predicate_holds(&p, &store, &snap, &events),
                    "learner {i}: {p:?}"
                );
            }
        }
        let ps = s.ok(&["ps", "-a"]);
        assert_eq!(ps.lines().count(), learners.len() + 1, "{ps}");
    }

    let dirs: Vec<PathBuf> = room
        .stores
        .iter()
        .map(|s| s.dir.path().to_path_buf())
        .collect();
    assert_eq!(stray_mounts(&dirs), Vec::<String>::new());
    assert_eq!(live_monitors(&all_ids), Vec::<String>::new());

    // Clean up as the last lesson step would, all at once again.
    let cleanup: Vec<_> = (0..n)
        .map(|i| {
            let s = room.stores[room.seat[i]].clone();
            std::thread::spawn(move || s.ok(&["rm", &format!("scratch-{i}")]))
        })
        .collect();
    for t in cleanup {
        t.join().expect("rm");
    }
    for s in &room.stores {
        assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
        assert!(records(&s.root()).is_empty());
    }
    assert_eq!(live_monitors(&all_ids), Vec::<String>::new());
    assert_eq!(leftover_cgroups(&all_ids), Vec::<PathBuf>::new());
    assert_eq!(stray_mounts(&dirs), Vec::<String>::new());
    println!(
        "crowd: checked and cleaned up in {:.1} s total",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn one_store_takes_many_writers_at_once() {
    let writers = env_count("GORAE_CROWD_WRITERS", 8);
    let rounds = 4;
    let s = Arc::new(Sandbox::new());
    let calls = Arc::new(Mutex::new(0));
    must(&s, &calls, &["pull", "busybox"]);
    let barrier = Arc::new(Barrier::new(writers));
    let started = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let s = s.clone();
            let calls = calls.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                // Everyone wants the same name at once: one gets it.
                let contested = attempt(
                    &s,
                    &calls,
                    &["create", "--name", "contested", "busybox", "true"],
                );
                for k in 0..rounds {
                    let name = format!("w{w}-{k}");
                    let tag = format!("t{w}-{k}");
                    let commit = format!("c{w}-{k}");
                    must(&s, &calls, &["create", "--name", &name, "busybox", "true"]);
                    must(&s, &calls, &["tag", "busybox", &tag]);
                    must(&s, &calls, &["commit", &name, &commit]);
                    if k % 2 == 0 {
                        must(&s, &calls, &["rm", &name]);
                        let untagged = must(&s, &calls, &["rmi", &tag]);
                        assert_eq!(untagged.trim(), format!("Untagged: {tag}:latest"));
                        // Deleting an image collects garbage while others are committing.
                        let deleted = must(&s, &calls, &["rmi", &commit]);
                        assert!(deleted.contains("Deleted: sha256:"), "{deleted}");
                    }
                }
                contested
            })
        })
        .collect();
    let results: Vec<Run> = threads
        .into_iter()
        .map(|t| t.join().expect("writer"))
        .collect();
    println!(
        "crowd: {writers} writers on one store, {} CLI calls in {:.1} s",
        *calls.lock().expect("calls"),
        started.elapsed().as_secs_f64()
    );
    let winners = results.iter().filter(|r| r.code == 0).count();
    assert_eq!(winners, 1, "the contested name was given {winners} times");
    for r in results.iter().filter(|r| r.code != 0) {
        assert!(r.stderr.contains("already in use"), "{}", r.stderr);
    }

    let root = s.root();
    let store = open(&root);
    // index.json parses and holds exactly the tags that should be there.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("index.json")).expect("index.json"))
            .expect("index.json parses");
    assert!(index["manifests"].is_array());
    let images = store.images().expect("images");
    let tags: BTreeSet<String> = images.iter().flat_map(|i| i.tags.clone()).collect();
    let mut want = BTreeSet::from(["busybox:latest".to_string()]);
    for w in 0..writers {
        for k in (0..rounds).filter(|k| k % 2 == 1) {
            want.insert(format!("t{w}-{k}:latest"));
            want.insert(format!("c{w}-{k}:latest"));
        }
    }
    assert_eq!(tags, want);
    for img in &images {
        store
            .lower_dirs(img)
            .unwrap_or_else(|e| panic!("{:?} lost a layer: {e}", img.tags));
    }

    // Names: the kept ones and the contested one, each once.
    let recs = records(&root);
    let mut names: Vec<String> = recs.iter().map(|c| c.name.clone()).collect();
    names.sort();
    let mut want: Vec<String> = (0..writers)
        .flat_map(|w| {
            (0..rounds)
                .filter(|k| k % 2 == 1)
                .map(move |k| format!("w{w}-{k}"))
        })
        .collect();
    want.push("contested".into());
    want.sort();
    assert_eq!(names, want);

    let events = events_of(&root);
    let commands = events.iter().filter(|e| e.kind == "command").count();
    assert_eq!(commands, *calls.lock().expect("calls"));
    let life = lifecycle(&events);
    for (id, acts) in &life {
        let name = name_of(&events, id);
        let kept = names.contains(&name);
        assert_eq!(acts.get("create"), Some(&1), "{name}: {acts:?}");
        assert_eq!(
            acts.get("destroy").copied().unwrap_or(0),
            usize::from(!kept),
            "{name}: {acts:?}"
        );
    }
    let tag_events = events
        .iter()
        .filter(|e| e.kind == "image" && e.action == "tag")
        .count();
    // `tag` and `commit REPO` each tag once.
    assert_eq!(tag_events, writers * rounds * 2);
    assert_eq!(
        stray_mounts(&[s.dir.path().to_path_buf()]),
        Vec::<String>::new()
    );
}
