//! The app's view of the engine: snapshots for the state panel, step checks, and a watcher
//! thread that follows `events.jsonl` (with the engine's follower: idle costs nothing).

use std::path::Path;
use std::sync::mpsc::Sender;

use super::course_api::{Step, Verdict, check};
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
}
