//! The app's view of the engine: snapshots for the state panel, step checks, and a watcher
//! thread that follows `events.jsonl` with inotify (no polling: idle costs nothing).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use super::app::AppEvent;
use super::course_api::{Step, Verdict, check};
use crate::engine::{Event, Snapshot, Store, events};

pub trait EngineView {
    fn snapshot(&self) -> Snapshot;
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict;
}

impl EngineView for Store {
    fn snapshot(&self) -> Snapshot {
        Store::snapshot(self).unwrap_or_default()
    }
    fn evaluate(&self, step: &Step, events: &[Event]) -> Verdict {
        check::evaluate(step, self, events)
    }
}

/// Follow `<root>/events.jsonl` from its current end; send each batch of new events.
/// Without inotify (e.g. the per-user instance limit is reached in a busy workshop), fall
/// back to looking at the file's size twice a second rather than never ticking a step.
pub fn spawn_watcher(root: &Path, tx: Sender<AppEvent>) -> std::io::Result<()> {
    let path: PathBuf = root.join("events.jsonl");
    let mut offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).and_then(|i| {
        i.add_watch(
            root,
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO,
        )
        .map(|_| i)
    });
    let Ok(inotify) = inotify else {
        std::thread::Builder::new()
            .name("gorae-events".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    if len == offset {
                        continue;
                    }
                    let (batch, next) = events::read_from(&path, offset);
                    offset = next;
                    if !batch.is_empty() && tx.send(AppEvent::Engine(batch)).is_err() {
                        return;
                    }
                }
            })?;
        return Ok(());
    };
    std::thread::Builder::new()
        .name("gorae-events".into())
        .spawn(move || {
            loop {
                let Ok(evs) = inotify.read_events() else {
                    return;
                };
                let relevant = evs
                    .iter()
                    .any(|e| e.name.as_deref().is_some_and(|n| n == "events.jsonl"));
                if !relevant {
                    continue;
                }
                let (batch, next) = events::read_from(&path, offset);
                offset = next;
                if !batch.is_empty() && tx.send(AppEvent::Engine(batch)).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_watcher_sends_new_events_as_they_are_appended() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.jsonl");
        // Events from before the app started are not replayed.
        events::append(&path, &Event::new("image", "pull"));
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_watcher(dir.path(), tx).expect("watcher");
        events::append(&path, &Event::new("container", "start").name("web"));
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(AppEvent::Engine(evs)) => {
                assert_eq!(evs.len(), 1);
                assert_eq!(evs[0].action, "start");
                assert_eq!(evs[0].name, "web");
            }
            other => panic!("expected engine events, got {other:?}"),
        }
    }
}
