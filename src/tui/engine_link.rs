//! The app's view of the engine: snapshots for the state panel, step checks, and watcher
//! threads: one follows `events.jsonl` (with the engine's follower), one watches what changes
//! without an event while a step needs it (a running container's files and log), so
//! `echo hi > /root/x` in a container ticks at once. Both block in inotify: idle costs nothing.
//! A step that asks what a server answers (`http`) is polled instead, only while it is current.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};

use super::course_api::{Step, Verdict, Watch, answer, check, watches};
use super::event::AppEvent;
use super::model::EngineView;
use crate::engine::{Event, Snapshot, Store, events};

impl EngineView for Store {
    fn snapshot(&self) -> Snapshot {
        Store::snapshot(self).unwrap_or_default()
    }
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict {
        check::evaluate(step, self, events)
    }
}

/// The store, with a [`Live`] watcher the app points at what the current step needs.
pub struct LiveEngine {
    pub store: Store,
    pub live: Option<Live>,
}

impl EngineView for LiveEngine {
    fn snapshot(&self) -> Snapshot {
        EngineView::snapshot(&self.store)
    }
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict {
        check::evaluate(step, &self.store, events)
    }
    fn watch(&self, step: Option<&Step>, snap: &Snapshot) {
        if let Some(live) = &self.live {
            let wanted = step.map(|s| watches(s, snap)).unwrap_or_default();
            live.set(&self.store, &wanted);
        }
    }
    fn changes_seen(&self) {
        if let Some(live) = &self.live {
            live.pending.store(false, Ordering::Release);
        }
    }
}

/// Follow `<root>/events.jsonl` from its current end (the engine's [`events::Follower`],
/// inotify or its polling fallback); send each batch of new events.
pub fn spawn_watcher(root: &Path, tx: Sender<AppEvent>) -> std::io::Result<()> {
    let follower = events::Follower::from_end(&root.join("events.jsonl"));
    std::thread::Builder::new()
        .name("gorae-events".into())
        .spawn(move || {
            for batch in follower {
                if tx.send(AppEvent::Engine(batch)).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// What a watch descriptor is for.
#[derive(Debug, Clone)]
struct Watched {
    path: PathBuf,
    /// A directory inside a container's upper dir (its new subdirectories are watched too).
    tree: bool,
}

/// Watches the paths the current step's predicates read, and sends `AppEvent::Changed` when
/// one changes (one at a time: the next only after the app has judged, so a burst of writes
/// costs one check).
pub struct Live {
    inotify: Arc<Inotify>,
    watched: Arc<Mutex<HashMap<WatchDescriptor, Watched>>>,
    /// The set of watches last asked for (so an unchanged set costs nothing).
    wanted: Mutex<Vec<Watch>>,
    pending: Arc<AtomicBool>,
    tx: Sender<AppEvent>,
    /// Stops the thread polling the current step's servers (when there is one).
    poller: Mutex<Option<Arc<AtomicBool>>>,
}

/// How often a server an `http` check asks about is asked again.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

const TREE_EVENTS: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_CLOSE_WRITE)
    .union(AddWatchFlags::IN_MODIFY)
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_ATTRIB);

impl Live {
    /// Start the watcher thread. None when inotify is unavailable: steps then tick on the
    /// next engine event, as before.
    pub fn spawn(tx: Sender<AppEvent>) -> Option<Live> {
        let inotify = Arc::new(Inotify::init(InitFlags::IN_CLOEXEC).ok()?);
        let watched: Arc<Mutex<HashMap<WatchDescriptor, Watched>>> = Arc::default();
        let pending = Arc::new(AtomicBool::new(false));
        let (ino, map, flag, tx2) = (
            inotify.clone(),
            watched.clone(),
            pending.clone(),
            tx.clone(),
        );
        std::thread::Builder::new()
            .name("gorae-live".into())
            .spawn(move || {
                loop {
                    let evs = match ino.read_events() {
                        Ok(evs) => evs,
                        Err(nix::errno::Errno::EINTR) => continue,
                        Err(_) => return,
                    };
                    let mut relevant = false;
                    for e in &evs {
                        let parent = map.lock().ok().and_then(|m| m.get(&e.wd).cloned());
                        let Some(parent) = parent else { continue };
                        relevant = true;
                        // A new directory in a container's tree: watch it (and what is
                        // already in it) too.
                        if parent.tree
                            && e.mask.contains(AddWatchFlags::IN_ISDIR)
                            && e.mask
                                .intersects(AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
                            && let Some(name) = &e.name
                        {
                            add_tree(&ino, &map, &parent.path.join(name));
                        }
                    }
                    if relevant && !notify(&flag, &tx2) {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Live {
            inotify,
            watched,
            wanted: Mutex::new(Vec::new()),
            pending,
            tx,
            poller: Mutex::new(None),
        })
    }

    /// Watch exactly what `wanted` names (dropping the rest).
    pub fn set(&self, store: &Store, wanted: &[Watch]) {
        let Ok(mut last) = self.wanted.lock() else {
            return;
        };
        if *last == wanted {
            return;
        }
        *last = wanted.to_vec();
        if let Ok(mut map) = self.watched.lock() {
            for wd in map.keys() {
                let _ = self.inotify.rm_watch(*wd);
            }
            map.clear();
        }
        let servers: Vec<(u16, String)> = wanted
            .iter()
            .filter_map(|w| match w {
                Watch::Http(port, path) => Some((*port, path.clone())),
                _ => None,
            })
            .collect();
        if let Ok(mut poller) = self.poller.lock() {
            if let Some(stop) = poller.take() {
                stop.store(true, Ordering::Release);
            }
            if !servers.is_empty() {
                *poller = spawn_poller(servers, self.pending.clone(), self.tx.clone());
            }
        }
        for w in wanted {
            match w {
                Watch::Files(id) => add_tree(&self.inotify, &self.watched, &store.upper_dir(id)),
                Watch::Log(id) => {
                    let path = store.container_dir(id).join("log.jsonl");
                    add(
                        &self.inotify,
                        &self.watched,
                        &path,
                        AddWatchFlags::IN_MODIFY,
                        false,
                    );
                }
                Watch::Http(..) => {}
            }
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(stop) = self.poller.lock().ok().and_then(|mut p| p.take()) {
            stop.store(true, Ordering::Release);
        }
    }
}

/// Send one `Changed` unless one is already waiting to be judged; false when the app is gone.
fn notify(pending: &AtomicBool, tx: &Sender<AppEvent>) -> bool {
    pending.swap(true, Ordering::AcqRel) || tx.send(AppEvent::Changed).is_ok()
}

/// Ask each server every [`POLL_EVERY`] and send `Changed` when an answer differs from the
/// last one (the first answer counts as a change). Returns the thread's stop flag.
fn spawn_poller(
    servers: Vec<(u16, String)>,
    pending: Arc<AtomicBool>,
    tx: Sender<AppEvent>,
) -> Option<Arc<AtomicBool>> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("gorae-answers".into())
        .spawn(move || {
            let agent = answer::agent();
            let mut last: Vec<Option<u64>> = vec![None; servers.len()];
            while !stopped.load(Ordering::Acquire) {
                let mut changed = false;
                for ((port, path), seen) in servers.iter().zip(last.iter_mut()) {
                    let mut h = DefaultHasher::new();
                    answer::get(&agent, *port, path).hash(&mut h);
                    let now = Some(h.finish());
                    changed |= *seen != now;
                    *seen = now;
                }
                if changed && !stopped.load(Ordering::Acquire) && !notify(&pending, &tx) {
                    return;
                }
                std::thread::sleep(POLL_EVERY);
            }
        })
        .ok()?;
    Some(stop)
}

fn add(
    ino: &Inotify,
    map: &Mutex<HashMap<WatchDescriptor, Watched>>,
    path: &Path,
    flags: AddWatchFlags,
    tree: bool,
) {
    // A path we may not read (a rootless container's private directory) is not watched;
    // its changes show at the next engine event.
    if let Ok(wd) = ino.add_watch(path, flags)
        && let Ok(mut m) = map.lock()
    {
        m.insert(
            wd,
            Watched {
                path: path.to_path_buf(),
                tree,
            },
        );
    }
}

/// Watch `dir` and every directory below it.
fn add_tree(ino: &Inotify, map: &Mutex<HashMap<WatchDescriptor, Watched>>, dir: &Path) {
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        add(ino, map, &d, TREE_EVENTS | AddWatchFlags::IN_ONLYDIR, true);
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    todo.push(e.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Action, EventType};
    use std::time::Duration;

    #[test]
    fn the_watcher_sends_new_events_as_they_are_appended() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.jsonl");
        // Events from before the app started are not replayed.
        events::append(&path, &Event::on_image(Action::Pull));
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_watcher(dir.path(), tx).expect("watcher");
        events::append(
            &path,
            &Event::new(EventType::Container, Action::Start).name("web"),
        );
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(AppEvent::Engine(evs)) => {
                assert_eq!(evs.len(), 1);
                assert_eq!(evs[0].action, "start");
                assert_eq!(evs[0].name, "web");
            }
            other => panic!("expected engine events, got {other:?}"),
        }
    }

    #[test]
    fn live_watches_a_containers_files_and_log_and_coalesces_bursts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open(dir.path().join("store"), dir.path().join("catalog")).expect("store");
        let id = "c".repeat(64);
        std::fs::create_dir_all(store.upper_dir(&id)).expect("upper");
        std::fs::write(store.container_dir(&id).join("log.jsonl"), "").expect("log");
        let (tx, rx) = std::sync::mpsc::channel();
        let live = Live::spawn(tx).expect("inotify");
        let engine = LiveEngine {
            store: store.clone(),
            live: Some(live),
        };
        let changed = |what: &str| match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(AppEvent::Changed) => {}
            other => panic!("{what}: expected a change within 100 ms, got {other:?}"),
        };
        let quiet = |what: &str| {
            if let Ok(ev) = rx.recv_timeout(Duration::from_millis(150)) {
                panic!("{what}: expected nothing, got {ev:?}");
            }
        };
        let live = engine.live.as_ref().expect("live");
        live.set(&store, &[Watch::Files(id.clone()), Watch::Log(id.clone())]);
        // A file in a directory made after the watch began (as `mkdir /app; echo > /app/x`).
        std::fs::create_dir(store.upper_dir(&id).join("app")).expect("mkdir");
        changed("mkdir");
        // Until the app has judged, further changes send nothing more.
        std::fs::write(store.upper_dir(&id).join("app/x"), "hi").expect("write");
        quiet("before changes_seen");
        engine.changes_seen();
        std::fs::write(store.upper_dir(&id).join("app/y"), "hi").expect("write");
        changed("a file in the new directory");
        engine.changes_seen();
        use std::io::Write;
        let mut log = std::fs::OpenOptions::new()
            .append(true)
            .open(store.container_dir(&id).join("log.jsonl"))
            .expect("log");
        writeln!(log, "{{\"log\":\"GET /\\n\"}}").expect("append");
        changed("a log line");
        engine.changes_seen();
        // Nothing watched: nothing sent.
        live.set(&store, &[]);
        std::fs::write(store.upper_dir(&id).join("z"), "hi").expect("write");
        quiet("no watches");
    }

    #[test]
    fn live_polls_a_server_and_sends_a_change_when_its_answer_changes() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Store::open(dir.path().join("store"), dir.path().join("catalog")).expect("store");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let page = Arc::new(Mutex::new(String::from("old page")));
        let served = page.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { continue };
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let body = served.lock().expect("page").clone();
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let live = Live::spawn(tx).expect("inotify");
        live.set(&store, &[Watch::Http(port, "/".into())]);
        let changed = |what: &str| match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(AppEvent::Changed) => live.pending.store(false, Ordering::Release),
            other => panic!("{what}: expected a change, got {other:?}"),
        };
        changed("the first answer");
        // The same answer again and again: nothing more.
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(400)) {
            panic!("an unchanged answer sent {ev:?}");
        }
        *page.lock().expect("page") = "new page".into();
        changed("a new page");
        // Watching nothing stops the polling.
        live.set(&store, &[]);
        *page.lock().expect("page") = "newer page".into();
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(400)) {
            panic!("no watches, yet {ev:?}");
        }
    }
}
