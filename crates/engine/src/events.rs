//! The event feed: `<root>/events.jsonl`, one JSON object per line, appended with O_APPEND so
//! concurrent writers never interleave. The TUI, the course checks and `docker events` follow it
//! (with [`Follower`]).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A closed set of names written as plain strings on disk, plus `Unknown` for a name this
/// build does not know (a newer writer's): kept as it was, never an error.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// A name this build does not know, kept as written.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in the order the docs list them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }

            /// The known value spelt `s`, if any.
            pub fn known(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name::known(s).unwrap_or_else(|| $name::Unknown(s.to_string()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

string_enum! {
    /// What an event is about: the `type` field.
    EventType {
        Image = "image",
        Container = "container",
        /// A CLI invocation (gorae's own; `docker events` does not show these).
        Command = "command",
        Volume = "volume",
        Network = "network",
    }
}

string_enum! {
    /// What happened: the `action` field. Names follow Docker's where Docker has the event.
    Action {
        // image
        Pull = "pull",
        Tag = "tag",
        Untag = "untag",
        Delete = "delete",
        Build = "build",
        Load = "load",
        Save = "save",
        Import = "import",
        Push = "push",
        // container
        Create = "create",
        Start = "start",
        Attach = "attach",
        Detach = "detach",
        Die = "die",
        Stop = "stop",
        Kill = "kill",
        Destroy = "destroy",
        Rename = "rename",
        ExecStart = "exec_start",
        ExecDie = "exec_die",
        Commit = "commit",
        Restart = "restart",
        Export = "export",
        Pause = "pause",
        Unpause = "unpause",
        /// A health check's status changed (Docker's action text carries the status).
        HealthHealthy = "health_status: healthy",
        HealthUnhealthy = "health_status: unhealthy",
        // container and image (`docker container prune`, `docker image prune`)
        Prune = "prune",
        // volume (also create, destroy, prune)
        Mount = "mount",
        Unmount = "unmount",
        // network (also create, destroy)
        Connect = "connect",
        Disconnect = "disconnect",
        // command
        Run = "run",
    }
}

impl EventType {
    /// The actions the engine emits with this type (none for `Unknown`).
    pub fn actions(&self) -> &'static [Action] {
        use Action::*;
        match self {
            EventType::Image => &[
                Pull, Tag, Untag, Delete, Build, Load, Save, Import, Push, Prune,
            ],
            EventType::Container => &[
                Create,
                Start,
                Attach,
                Detach,
                Die,
                Stop,
                Kill,
                Destroy,
                Rename,
                ExecStart,
                ExecDie,
                Commit,
                Restart,
                Export,
                Prune,
                Pause,
                Unpause,
                HealthHealthy,
                HealthUnhealthy,
            ],
            EventType::Command => &[Run],
            EventType::Volume => &[Create, Mount, Unmount, Destroy, Prune],
            EventType::Network => &[Create, Connect, Disconnect, Destroy],
            EventType::Unknown(_) => &[],
        }
    }

    /// Whether the engine ever emits `action` with this type.
    pub fn emits(&self, action: &Action) -> bool {
        self.actions().contains(action)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the epoch.
    pub time: u64,
    /// `image`, `container` or `command`.
    #[serde(rename = "type")]
    pub kind: EventType,
    pub action: Action,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
}

impl Event {
    pub fn new(kind: EventType, action: Action) -> Event {
        Event {
            time: super::now_millis(),
            kind,
            action,
            id: String::new(),
            name: String::new(),
            image: String::new(),
            attrs: BTreeMap::new(),
        }
    }
    /// An `image` event (`image` is the builder setting the `image` field).
    pub fn on_image(action: Action) -> Event {
        Event::new(EventType::Image, action)
    }
    /// A `command` event.
    pub fn command(action: Action) -> Event {
        Event::new(EventType::Command, action)
    }

    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    pub fn image(mut self, image: &str) -> Self {
        self.image = image.into();
        self
    }
    pub fn attr(mut self, k: &str, v: impl Into<String>) -> Self {
        self.attrs.insert(k.into(), v.into());
        self
    }

    /// For `command` events: the argv after `docker`.
    pub fn args(&self) -> Vec<String> {
        self.attrs
            .get("args")
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_default()
    }
}

/// Attributes whose names start with this are gorae's own (for the course judge: a container's
/// argv, a build's cache use, …); `docker events` leaves them out, as Docker has no such fields.
pub const PRIVATE_ATTR: &str = "gorae.";

impl Event {
    /// The attributes Docker would show (`PRIVATE_ATTR` ones left out).
    pub fn public_attrs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.attrs
            .iter()
            .filter(|(k, _)| !k.starts_with(PRIVATE_ATTR))
    }
}

/// Append one event. Failing to log an event never fails the command that caused it.
pub fn append(path: &Path, ev: &Event) {
    let Ok(mut line) = serde_json::to_vec(ev) else {
        return;
    };
    line.push(b'\n');
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(&line);
    }
}

/// Read events from byte offset `from`; returns them and the offset after the last whole line.
pub fn read_from(path: &Path, from: u64) -> (Vec<Event>, u64) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return (Vec::new(), from);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    // The file was truncated or replaced: start over.
    let from = if from > len { 0 } else { from };
    if f.seek(SeekFrom::Start(from)).is_err() {
        return (Vec::new(), from);
    }
    let mut reader = BufReader::new(f);
    let mut out = Vec::new();
    let mut pos = from;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(n) => {
                if !line.ends_with('\n') {
                    break; // a line still being written
                }
                pos += n as u64;
                if let Ok(ev) = serde_json::from_str::<Event>(line.trim_end()) {
                    out.push(ev);
                }
            }
            Err(_) => break,
        }
    }
    (out, pos)
}

/// How long the follower waits between looks at the file's size when inotify is unavailable.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Follows the event feed: the one follower the TUI and `docker events` share. It waits with
/// inotify (idle costs nothing); without it (e.g. the per-user instance limit is reached in a
/// busy workshop, or a read fails) it looks at the file's size every [`POLL_INTERVAL`] rather
/// than never seeing an event.
pub struct Follower {
    path: PathBuf,
    offset: u64,
    inotify: Option<Inotify>,
}

impl Follower {
    /// Follow `path` (an `events.jsonl`) from its current end: older events are not replayed.
    pub fn from_end(path: &Path) -> Follower {
        let mut f = Follower::from_offset(path, 0);
        // The watch is in place before the end is taken, so nothing appended between is lost.
        f.offset = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        f
    }

    /// Follow `path` from byte `offset` (0: from the first event; see [`Follower::read`]).
    pub fn from_offset(path: &Path, offset: u64) -> Follower {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC).ok().filter(|i| {
            i.add_watch(
                dir,
                AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO,
            )
            .is_ok()
        });
        Follower {
            path: path.to_path_buf(),
            offset,
            inotify,
        }
    }

    /// Whether it waits with inotify (false: it polls).
    pub fn uses_inotify(&self) -> bool {
        self.inotify.is_some()
    }

    /// The events appended since the last read, without waiting (possibly none).
    pub fn read(&mut self) -> Vec<Event> {
        let (batch, next) = read_from(&self.path, self.offset);
        self.offset = next;
        batch
    }

    /// Wait until new events are appended and return them (never empty).
    pub fn wait(&mut self) -> Vec<Event> {
        loop {
            self.sleep();
            let batch = self.read();
            if !batch.is_empty() {
                return batch;
            }
        }
    }

    /// Block until the file may have changed.
    fn sleep(&mut self) {
        let name = self.path.file_name();
        loop {
            let Some(inotify) = &self.inotify else {
                std::thread::sleep(POLL_INTERVAL);
                let len = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
                if len != self.offset {
                    return;
                }
                continue;
            };
            match inotify.read_events() {
                Ok(evs) => {
                    if evs.iter().any(|e| e.name.as_deref() == name) {
                        return;
                    }
                }
                Err(nix::errno::Errno::EINTR) => {}
                // Inotify broke: poll from now on rather than spin or stop.
                Err(_) => self.inotify = None,
            }
        }
    }
}

impl Iterator for Follower {
    type Item = Vec<Event>;

    /// Each batch of new events, as [`Follower::wait`]; never ends.
    fn next(&mut self) -> Option<Vec<Event>> {
        Some(self.wait())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_actions_keep_their_strings_on_disk() {
        let ev = Event::container(
            Action::ExecStart,
            &crate::container::Container {
                id: "abc".into(),
                name: "web".into(),
                image: "busybox:latest".into(),
                ..Default::default()
            },
        );
        let line = serde_json::to_string(&ev).unwrap_or_default();
        assert!(
            line.contains(r#""type":"container","action":"exec_start","id":"abc""#),
            "{line}"
        );
        let back: Event = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, ev);
        for a in Action::ALL {
            assert_eq!(Action::from(a.as_str()), *a);
        }
        for k in EventType::ALL {
            assert_eq!(EventType::from(k.as_str()), *k);
        }
    }

    #[test]
    fn a_newer_writers_names_are_kept_not_refused() {
        let line = r#"{"time":1,"type":"plugin","action":"enable","id":"p1"}"#;
        let ev: Event = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ev.kind, EventType::Unknown("plugin".into()));
        assert_eq!(ev.action, Action::Unknown("enable".into()));
        assert_eq!(serde_json::to_string(&ev).unwrap_or_default(), line);
        // A known name never becomes Unknown.
        assert_eq!(Action::from("start"), Action::Start);
    }

    #[test]
    fn every_action_belongs_to_a_type() {
        for a in Action::ALL {
            let owners = EventType::ALL.iter().filter(|k| k.emits(a)).count();
            // Docker shares a few names across types: `prune` (container, image, volume),
            // `create` and `destroy` (container, volume, network).
            let expected = match a {
                Action::Prune | Action::Create | Action::Destroy => 3,
                _ => 1,
            };
            assert_eq!(owners, expected, "{a}");
        }
    }

    /// docs/ARCHITECTURE.md lists exactly the actions of each type, in the enum's order.
    #[test]
    fn the_docs_list_the_enum() {
        let doc = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ARCHITECTURE.md"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let start = doc
            .find("- `action`: ")
            .unwrap_or_else(|| panic!("no action list"));
        let list = &doc[start..];
        let list = &list[..list.find("\n- `id`").unwrap_or(list.len())];
        for kind in EventType::ALL {
            let label = format!("{kind}: ");
            let at = list.find(&label).unwrap_or_else(|| panic!("no {label}"));
            let text = &list[at + label.len()..];
            let end = text.find([';', '(', '—']).unwrap_or(text.len());
            let documented: Vec<&str> = text[..end].split('`').skip(1).step_by(2).collect();
            let actions: Vec<&str> = kind.actions().iter().map(Action::as_str).collect();
            assert_eq!(documented, actions, "{kind}");
        }
        let types: Vec<&str> = EventType::ALL.iter().map(EventType::as_str).collect();
        assert!(doc.contains(&format!("- `type`: `{}`.", types.join("` | `"))));
        let listed: usize = EventType::ALL.iter().map(|k| k.actions().len()).sum();
        assert_eq!(
            listed,
            Action::ALL.len() + 6,
            "prune, create and destroy are listed under three types"
        );
    }

    fn follows(mut f: Follower, path: &Path) {
        append(
            path,
            &Event::container(Action::Start, &Default::default()).name("web"),
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f.wait());
            let _ = tx.send(f.wait());
        });
        let first = rx.recv_timeout(Duration::from_secs(5));
        let Ok(first) = first else {
            panic!("no events: {first:?}");
        };
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].action, Action::Start);
        assert_eq!(first[0].name, "web");
        append(path, &Event::on_image(Action::Pull));
        let second = rx.recv_timeout(Duration::from_secs(5));
        assert!(
            second
                .as_ref()
                .is_ok_and(|b| b.len() == 1 && b[0].action == Action::Pull),
            "{second:?}"
        );
    }

    #[test]
    fn the_follower_sees_new_events_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("events.jsonl");
        append(&path, &Event::on_image(Action::Pull));
        let f = Follower::from_end(&path);
        assert!(f.uses_inotify());
        follows(f, &path);
    }

    #[test]
    fn without_inotify_the_follower_polls() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("events.jsonl");
        append(&path, &Event::on_image(Action::Pull));
        let mut f = Follower::from_end(&path);
        f.inotify = None;
        follows(f, &path);
    }

    #[test]
    fn from_the_start_reads_the_past() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("events.jsonl");
        append(&path, &Event::on_image(Action::Pull));
        let mut f = Follower::from_offset(&path, 0);
        assert_eq!(f.read().len(), 1);
        assert!(f.read().is_empty());
    }
}
