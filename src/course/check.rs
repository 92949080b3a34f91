//! Checks: whether the engine's state (and what happened since a step began) satisfies a step.
//! Steps are judged by what the learner caused: the state, and for what leaves no state (a
//! `run --rm`, a signal, a cache hit) the engine's events, read as history (`history`).
//! `ran` is the one check of typed commands, for steps that only look at something
//! (`docker ps -a`) and change nothing; it compares meaning, not spelling (`words`).

use crate::engine::{Action, Event, EventType, MountInfo, Snapshot, Store};

use super::history::{self, History};
use super::lesson::{ContainerMatch, Predicate, Step};
use super::predicate::{CacheUse, EventMatch, ImageRef, MountMatch, ProcessMatch, Via};
use super::words;

/// What the checks may look at. Implemented for `engine::Store` (reading the live store) and
/// by test fakes.
pub trait World {
    fn snapshot(&self) -> Snapshot;
    fn image_has_path(&self, image: &str, path: &str) -> bool;
    fn container_has_path(&self, container: &str, path: &str) -> bool;
    fn container_changes(&self, container: &str) -> Vec<(char, String)>;
    fn container_logs(&self, container: &str) -> String;
    /// The named volume holds a file at `path` (relative to its root).
    fn volume_has_file(&self, volume: &str, path: &str) -> bool;
    /// The host has this path (a bind mount's source).
    fn host_has_path(&self, path: &std::path::Path) -> bool;
    /// The host ports the kernel hands out when asked for any (`-P`, `-p 80`).
    fn ephemeral_ports(&self) -> (u16, u16) {
        ephemeral_port_range()
    }
}

/// `/proc/sys/net/ipv4/ip_local_port_range`, or Linux's default.
pub fn ephemeral_port_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|n| n.parse::<u16>());
            Some((it.next()?.ok()?, it.next()?.ok()?))
        })
        .unwrap_or((32768, 60999))
}

impl World for Store {
    // A store that cannot be read right now shows as empty: the step stays unticked and the
    // next event re-checks it.
    fn snapshot(&self) -> Snapshot {
        Store::snapshot(self).unwrap_or_default()
    }
    fn image_has_path(&self, image: &str, path: &str) -> bool {
        Store::image_has_path(self, image, path)
    }
    fn container_has_path(&self, container: &str, path: &str) -> bool {
        Store::container_has_path(self, container, path)
    }
    fn container_changes(&self, container: &str) -> Vec<(char, String)> {
        Store::container_changes(self, container).unwrap_or_default()
    }
    fn container_logs(&self, container: &str) -> String {
        Store::container_logs(self, container)
    }
    fn volume_has_file(&self, volume: &str, path: &str) -> bool {
        Store::volume_file(self, volume, path).is_some()
    }
    fn host_has_path(&self, path: &std::path::Path) -> bool {
        path.exists()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The state is one the step warns about; the hint to show.
    Avoid(String),
}

/// Judge a step. `events` are the engine events seen since the step began. A reading step
/// (no `check`, no `any`) is `Fail`: it is done when the learner moves on, not by state.
pub fn evaluate(step: &Step, world: &dyn World, events: &[Event]) -> Verdict {
    if step.is_reading() {
        return Verdict::Fail;
    }
    let snap = world.snapshot();
    let all = |ps: &[Predicate]| ps.iter().all(|p| predicate_holds(p, world, &snap, events));
    let passed = all(&step.check) && (step.any.is_empty() || step.any.iter().any(|g| all(g)));
    if passed {
        return Verdict::Pass;
    }
    step.avoid
        .iter()
        .find(|a| !a.when.is_empty() && all(&a.when))
        .map(|a| Verdict::Avoid(a.hint.clone()))
        .unwrap_or(Verdict::Fail)
}

/// The first predicate of a step that does not hold (None: the step passes), for
/// `gorae lesson try`.
pub fn first_failing<'a>(
    step: &'a Step,
    world: &dyn World,
    events: &[Event],
) -> Option<&'a Predicate> {
    let snap = world.snapshot();
    let holds = |p: &Predicate| predicate_holds(p, world, &snap, events);
    if let Some(p) = step.check.iter().find(|p| !holds(p)) {
        return Some(p);
    }
    if step.any.is_empty() || step.any.iter().any(|g| g.iter().all(holds)) {
        return None;
    }
    step.any.first().and_then(|g| g.iter().find(|p| !holds(p)))
}

/// What can change without an engine event and still decide a step: a running container's
/// files (its upper dir) and its log. The TUI watches these while the step is current.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Watch {
    /// The upper dir of the container with this ID (recursively).
    Files(String),
    /// The log of the container with this ID.
    Log(String),
}

/// The watches a step needs in this state: for its file and log predicates, the running
/// containers they may be about.
pub fn watches(step: &Step, snap: &Snapshot) -> Vec<Watch> {
    let running = |name: &Option<String>| {
        snap.containers
            .iter()
            .filter(|c| c.state == "running")
            .filter(|c| {
                name.as_ref()
                    .is_none_or(|n| same_name(&c.name, n) || c.id == *n)
            })
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
    };
    let mut out: Vec<Watch> = step
        .check
        .iter()
        .chain(step.any.iter().flatten())
        .chain(step.avoid.iter().flat_map(|a| a.when.iter()))
        .flat_map(|p| match p {
            Predicate::ContainerFile { name, .. } | Predicate::ContainerChanged { name, .. } => {
                running(name).into_iter().map(Watch::Files).collect()
            }
            Predicate::LogContains { name, .. } => {
                running(name).into_iter().map(Watch::Log).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

pub fn predicate_holds(
    p: &Predicate,
    world: &dyn World,
    snap: &Snapshot,
    events: &[Event],
) -> bool {
    let h = History::new(snap, events);
    match p {
        Predicate::Image(r) => has_tag(snap, r),
        Predicate::SameImage(a, b) => {
            image_id(snap, a).is_some_and(|id| image_id(snap, b) == Some(id))
        }
        Predicate::NoImage(r) => !has_tag(snap, r),
        Predicate::PulledBack(r) => pulled_back(r, snap, events),
        Predicate::ImageWithFile { path, not_from } => {
            let excluded_id = not_from.as_ref().and_then(|r| image_id(snap, r));
            snap.images
                .iter()
                .filter(|i| !i.tags.is_empty() && !i.bundled)
                .filter(|i| {
                    not_from
                        .as_ref()
                        .is_none_or(|r| !i.tags.contains(&r.full()))
                        && excluded_id.is_none_or(|id| id != i.id)
                })
                .any(|i| world.image_has_path(&i.id, path))
        }
        Predicate::ImageLayers { image, at_least } => {
            let full = image.full();
            snap.images
                .iter()
                .any(|i| i.tags.contains(&full) && i.layers.len() >= *at_least as usize)
        }
        Predicate::Container(m) => {
            matching(m, snap).count() >= m.count_at_least.unwrap_or(1) as usize
        }
        Predicate::NoContainer(m) => {
            matching(m, snap).count() < m.count_at_least.unwrap_or(1) as usize
        }
        Predicate::ContainerFile { path, image, name } => snap
            .containers
            .iter()
            .filter(|c| {
                image
                    .as_ref()
                    .is_none_or(|r| history::image_is(r, &c.image, &c.image_id, snap))
                    && name.as_ref().is_none_or(|n| same_name(&c.name, n))
            })
            .any(|c| world.container_has_path(&c.id, path)),
        Predicate::ContainerChanged { path, name } => snap
            .containers
            .iter()
            .filter(|c| name.as_ref().is_none_or(|n| same_name(&c.name, n)))
            .any(|c| {
                world
                    .container_changes(&c.id)
                    .iter()
                    .any(|(_, p)| p.trim_end_matches('/') == path)
            }),
        Predicate::Port {
            container_port,
            host_port,
            random_host,
        } => {
            let (lo, hi) = world.ephemeral_ports();
            snap.containers
                .iter()
                .filter(|c| c.state == "running")
                .any(|c| {
                    c.ports.iter().any(|p| {
                        p.container_port == *container_port
                            && host_port.is_none_or(|h| p.host_port == h)
                            && (!random_host
                                || ((lo..=hi).contains(&p.host_port)
                                    && p.host_port != p.container_port))
                    })
                })
        }
        Predicate::Process(m) => process_ended(m, &h),
        Predicate::Ran(want) => events.iter().any(|e| command_matches(e, want, &h)),
        Predicate::Event(m) => events.iter().any(|e| event_matches(e, m, &h)),
        Predicate::NoEvent(m) => !events.iter().any(|e| event_matches(e, m, &h)),
        Predicate::FileInImage { path, image } => {
            has_tag(snap, image) && world.image_has_path(&image.full(), path)
        }
        Predicate::LogContains { text, name } => snap
            .containers
            .iter()
            .filter(|c| {
                name.as_ref()
                    .is_none_or(|n| same_name(&c.name, n) || c.id == *n)
            })
            .any(|c| world.container_logs(&c.id).contains(text.as_str())),
        Predicate::Volume { name, file } => snap.volumes.iter().any(|v| {
            v.name == *name && file.as_ref().is_none_or(|f| world.volume_has_file(name, f))
        }),
        Predicate::NoVolume(name) => !snap.volumes.iter().any(|v| v.name == *name),
        Predicate::Mount(m) => snap
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .filter(|c| m.name.as_ref().is_none_or(|n| same_name(&c.name, n)))
            .any(|c| c.mounts.iter().any(|mt| mount_matches(mt, m, world))),
        Predicate::Network { name, member } => snap.networks.iter().any(|n| {
            n.name == *name
                && member
                    .as_ref()
                    .is_none_or(|m| n.members.iter().any(|x| same_name(&x.name, m)))
        }),
    }
}

/// An image deleted since the step began came back, the same ID, by a pull under `r`, and
/// `r` names it now. A pull only updates a tag (and so only emits an event) when it brought
/// something; the ID is the digest of the image's config, which names its layers' contents.
fn pulled_back(r: &ImageRef, snap: &Snapshot, events: &[Event]) -> bool {
    let Some(now) = image_id(snap, r) else {
        return false;
    };
    let deleted_at = events
        .iter()
        .position(|e| e.kind == EventType::Image && e.action == Action::Delete && e.id == now);
    deleted_at.is_some_and(|at| {
        events[at..].iter().any(|e| {
            e.kind == EventType::Image
                && e.action == Action::Pull
                && e.id == now
                && ImageRef::parse(&e.name).is_ok_and(|n| n.full() == r.full())
        })
    })
}

fn mount_matches(mt: &MountInfo, m: &MountMatch, world: &dyn World) -> bool {
    let kind = m.kind.as_deref().or(m.volume.as_ref().map(|_| "volume"));
    mt.target.trim_end_matches('/') == m.target
        && kind.is_none_or(|k| mt.kind == k)
        && m.volume.as_ref().is_none_or(|v| mt.source == *v)
        && m.readonly.is_none_or(|r| mt.readonly == r)
        && m.file.as_ref().is_none_or(|f| match mt.kind.as_str() {
            "volume" => world.volume_has_file(&mt.source, f),
            "bind" => world
                .host_has_path(&std::path::Path::new(&mt.source).join(f.trim_start_matches('/'))),
            _ => false,
        })
}

fn has_tag(snap: &Snapshot, r: &ImageRef) -> bool {
    let full = r.full();
    snap.images.iter().any(|i| i.tags.contains(&full))
}

fn image_id<'a>(snap: &'a Snapshot, r: &ImageRef) -> Option<&'a str> {
    let full = r.full();
    snap.images
        .iter()
        .find(|i| i.tags.contains(&full))
        .map(|i| i.id.as_str())
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_start_matches('/') == b.trim_start_matches('/')
}

fn matching<'a>(
    m: &'a ContainerMatch,
    snap: &'a Snapshot,
) -> impl Iterator<Item = &'a crate::engine::ContainerInfo> {
    snap.containers.iter().filter(move |c| {
        m.image
            .as_ref()
            .is_none_or(|r| history::image_is(r, &c.image, &c.image_id, snap))
            && m.name.as_ref().is_none_or(|n| same_name(&c.name, n))
            && m.state.is_none_or(|s| c.state == s.as_str())
            && m.exit_code.is_none_or(|x| c.exit_code == Some(x))
            && m.tty.is_none_or(|x| c.tty == x)
            && m.interactive.is_none_or(|x| c.interactive == x)
            && m.rm.is_none_or(|x| c.auto_remove == x)
            && m.detached.is_none_or(|x| c.detached == x)
            && m.command
                .as_ref()
                .is_none_or(|w| words::argv_begins_with(&c.command, w))
    })
}

/// A process matching `m` ended since the step began.
fn process_ended(m: &ProcessMatch, h: &History) -> bool {
    h.ended().iter().any(|p| {
        p.exit_code == Some(m.exit_code)
            && m.via.is_none_or(|v| (v == Via::Exec) == p.exec)
            && m.name.as_ref().is_none_or(|n| same_name(&p.name, n))
            && m.image.as_ref().is_none_or(|r| {
                h.container(&p.container)
                    .is_some_and(|f| history::image_is(r, &f.image, &f.image_id, h.snap))
            })
            && words::argv_begins_with(&p.argv, &m.words)
    })
}

/// A successful (or interrupted: Ctrl-C after looking counts) `command` event whose args hold
/// `words` in order, references compared by what they name.
fn command_matches(e: &Event, want: &[String], h: &History) -> bool {
    e.kind == EventType::Command
        && e.action == Action::Run
        && matches!(e.attrs.get("exit").map(String::as_str), Some("0" | "130"))
        && words::command_holds(&e.args(), want, &|a, b| h.same(a, b))
}

fn event_matches(e: &Event, m: &EventMatch, h: &History) -> bool {
    let attr = |k: &str| e.attrs.get(k).map(String::as_str);
    let count = |k: &str| attr(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    e.action == m.action
        && m.kind.as_ref().is_none_or(|k| e.kind == *k)
        && m.name
            .as_ref()
            .is_none_or(|n| e.kind == EventType::Container && same_name(&e.name, n))
        && m.image.as_ref().is_none_or(|r| match e.kind {
            EventType::Container => {
                let id = h.container(&e.id).map(|f| f.image_id).unwrap_or_default();
                history::image_is(r, &e.image, &id, h.snap)
            }
            // An image event names its image by the tags it was about (a `save` by ID names
            // none, so it does not carry the name over to `load`).
            _ => {
                let tags: Vec<String> = attr("gorae.tags")
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or_default();
                std::iter::once(e.name.as_str())
                    .chain(tags.iter().map(String::as_str))
                    .filter_map(|t| ImageRef::parse(t).ok())
                    .any(|t| r.accepts(&t))
            }
        })
        && m.signal
            .is_none_or(|s| attr("signal") == Some(s.to_string().as_str()))
        && m.auto_removed
            .is_none_or(|want| (attr("gorae.autoRemove") == Some("true")) == want)
        && m.cache.is_none_or(|c| {
            let (cached, built) = (count("gorae.cachedSteps"), count("gorae.builtSteps"));
            match c {
                CacheUse::All => cached > 0 && built == 0,
                CacheUse::None => cached == 0 && built > 0,
                CacheUse::Some => cached > 0 && built > 0,
            }
        })
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::course::lesson::{Avoid, ContainerState};
    use crate::engine::{Action, EventType};
    use crate::engine::{ContainerInfo, ImageInfo, PortInfo};

    #[derive(Default)]
    struct Fake {
        snap: Snapshot,
        image_paths: HashSet<(String, String)>,
        container_paths: HashSet<(String, String)>,
        changes: HashMap<String, Vec<(char, String)>>,
        logs: HashMap<String, String>,
        volume_files: HashSet<(String, String)>,
        host_paths: HashSet<std::path::PathBuf>,
    }

    impl World for Fake {
        fn snapshot(&self) -> Snapshot {
            self.snap.clone()
        }
        fn image_has_path(&self, image: &str, path: &str) -> bool {
            self.image_paths.contains(&(image.into(), path.into()))
        }
        fn container_has_path(&self, container: &str, path: &str) -> bool {
            self.container_paths
                .contains(&(container.into(), path.into()))
        }
        fn container_changes(&self, container: &str) -> Vec<(char, String)> {
            self.changes.get(container).cloned().unwrap_or_default()
        }
        fn container_logs(&self, container: &str) -> String {
            self.logs.get(container).cloned().unwrap_or_default()
        }
        fn volume_has_file(&self, volume: &str, path: &str) -> bool {
            self.volume_files.contains(&(volume.into(), path.into()))
        }
        fn host_has_path(&self, path: &std::path::Path) -> bool {
            self.host_paths.contains(path)
        }
    }

    fn image(id: &str, tags: &[&str], layers: usize, bundled: bool) -> ImageInfo {
        ImageInfo {
            id: id.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            layers: (0..layers).map(|i| format!("sha256:{i}")).collect(),
            layer_sizes: vec![0; layers],
            history: vec![],
            created: 0,
            size: 0,
            bundled,
            intermediate: false,
        }
    }

    fn container(id: &str, name: &str, image: &str, image_id: &str, state: &str) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            name: name.into(),
            image: image.into(),
            image_id: image_id.into(),
            state: state.into(),
            exit_code: (state == "exited").then_some(0),
            command: vec!["sh".into()],
            tty: false,
            detached: false,
            auto_remove: false,
            interactive: false,
            ports: vec![],
            created: 0,
            mounts: vec![],
        }
    }

    fn world() -> Fake {
        let mut w = Fake::default();
        w.snap.images = vec![
            image("sha256:bb", &["busybox:latest"], 1, true),
            image("sha256:d12", &["debian:12", "debian:latest"], 1, true),
            image("sha256:mine", &["myimg:latest"], 3, false),
        ];
        let mut web = container("c1", "web", "nginx", "sha256:ng", "running");
        web.ports = vec![PortInfo {
            host_ip: "0.0.0.0".into(),
            host_port: 8080,
            container_port: 80,
            proto: "tcp".into(),
        }];
        web.detached = true;
        let mut shell = container("c2", "shell", "debian", "sha256:d12", "exited");
        shell.tty = true;
        shell.exit_code = Some(3);
        w.snap.containers = vec![
            web,
            shell,
            container("c3", "box", "busybox", "sha256:bb", "created"),
        ];
        w.image_paths
            .insert(("sha256:mine".into(), "/hello.txt".into()));
        w.image_paths.insert(("sha256:bb".into(), "/bin/sh".into()));
        w.image_paths
            .insert(("myimg:latest".into(), "/hello.txt".into()));
        w.container_paths
            .insert(("c2".into(), "/root/hello.txt".into()));
        w.changes.insert(
            "c2".into(),
            vec![('C', "/etc".into()), ('C', "/etc/hostname".into())],
        );
        w.logs
            .insert("c1".into(), "server Ready to accept connections\n".into());
        w
    }

    fn holds(src: &str, w: &Fake, events: &[Event]) -> bool {
        let table: toml::Table = toml::from_str(&format!("p = {src}")).unwrap();
        let Some(toml::Value::Table(t)) = table.get("p") else {
            panic!("not a table: {src}")
        };
        let p = Predicate::from_table(t).unwrap();
        predicate_holds(&p, w, &w.snapshot(), events)
    }

    fn ran(args: &[&str], exit: &str) -> Event {
        let list: Vec<&str> = args.to_vec();
        Event::command(Action::Run)
            .attr("args", serde_json::to_string(&list).unwrap())
            .attr("exit", exit)
    }

    #[test]
    fn image_tags() {
        let w = world();
        assert!(holds(r#"{ image = "busybox" }"#, &w, &[]));
        assert!(holds(r#"{ image = "debian:12" }"#, &w, &[]));
        assert!(!holds(r#"{ image = "debian:11" }"#, &w, &[]));
        assert!(!holds(r#"{ image = "ubuntu" }"#, &w, &[]));
        assert!(holds(r#"{ no_image = "ubuntu" }"#, &w, &[]));
        assert!(!holds(r#"{ no_image = "busybox:latest" }"#, &w, &[]));
    }

    #[test]
    fn image_with_file_skips_bundled_untagged_and_excluded_images() {
        let mut w = world();
        assert!(holds(r#"{ image_with_file = "/hello.txt" }"#, &w, &[]));
        assert!(!holds(
            r#"{ image_with_file = "/hello.txt", not_from = "myimg" }"#,
            &w,
            &[]
        ));
        // Bundled images do not count even when they hold the path.
        assert!(!holds(r#"{ image_with_file = "/bin/sh" }"#, &w, &[]));
        w.snap.images[2].tags.clear();
        assert!(!holds(r#"{ image_with_file = "/hello.txt" }"#, &w, &[]));
    }

    #[test]
    fn image_layers() {
        let w = world();
        assert!(holds(
            r#"{ image_layers = "myimg", at_least = 3 }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ image_layers = "myimg", at_least = 4 }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ image_layers = "nothere", at_least = 1 }"#,
            &w,
            &[]
        ));
    }

    #[test]
    fn container_fields() {
        let w = world();
        assert!(holds(r#"{ container = {} }"#, &w, &[]));
        assert!(holds(
            r#"{ container = { name = "web", state = "running", detached = true } }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ container = { name = "web", state = "exited" } }"#,
            &w,
            &[]
        ));
        assert!(holds(
            r#"{ container = { image = "debian", tty = true, exit_code = 3 } }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ container = { image = "debian", exit_code = 0 } }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ container = { image = "busybox", state = "running" } }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ container = { rm = true } }"#, &w, &[]));
        assert!(holds(r#"{ container = { count_at_least = 3 } }"#, &w, &[]));
        assert!(!holds(r#"{ container = { count_at_least = 4 } }"#, &w, &[]));
        assert!(holds(
            r#"{ no_container = { state = "running", image = "busybox" } }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ no_container = { name = "web" } }"#, &w, &[]));
    }

    #[test]
    fn container_image_is_lenient_about_tags_strict_about_repos() {
        let w = world();
        // Run as "debian" (same id as debian:12): both names match it.
        assert!(holds(r#"{ container = { image = "debian:12" } }"#, &w, &[]));
        assert!(holds(
            r#"{ container = { image = "debian:latest" } }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ container = { image = "debian:11" } }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ container = { image = "ubuntu" } }"#, &w, &[]));
        // Typed as nginx with no image in the store: the typed name still counts.
        assert!(holds(r#"{ container = { image = "nginx" } }"#, &w, &[]));
        let mut w = world();
        w.snap.containers[1].image = "debian:12".into();
        w.snap.images[1].tags = vec!["debian:12".into()];
        assert!(holds(r#"{ container = { image = "debian" } }"#, &w, &[]));
    }

    #[test]
    fn container_file_and_changes() {
        let w = world();
        assert!(holds(r#"{ container_file = "/root/hello.txt" }"#, &w, &[]));
        assert!(holds(
            r#"{ container_file = "/root/hello.txt", image = "debian" }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ container_file = "/root/hello.txt", image = "busybox" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ container_file = "/root/other.txt" }"#, &w, &[]));
        assert!(holds(r#"{ container_changed = "/etc/hostname" }"#, &w, &[]));
        assert!(!holds(r#"{ container_changed = "/etc/hosts" }"#, &w, &[]));
    }

    #[test]
    fn ports_need_a_running_container() {
        let mut w = world();
        assert!(holds(r#"{ port = 80 }"#, &w, &[]));
        assert!(holds(r#"{ port = 80, host_port = 8080 }"#, &w, &[]));
        assert!(!holds(r#"{ port = 80, host_port = 9090 }"#, &w, &[]));
        assert!(!holds(r#"{ port = 443 }"#, &w, &[]));
        w.snap.containers[0].state = "exited".into();
        assert!(!holds(r#"{ port = 80 }"#, &w, &[]));
    }

    #[test]
    fn file_in_image_and_logs() {
        let w = world();
        assert!(holds(
            r#"{ file_in_image = "/hello.txt", image = "myimg" }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ file_in_image = "/hello.txt", image = "busybox" }"#,
            &w,
            &[]
        ));
        assert!(holds(r#"{ log_contains = "Ready to accept" }"#, &w, &[]));
        assert!(holds(
            r#"{ log_contains = "Ready to accept", name = "web" }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ log_contains = "Ready to accept", name = "shell" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ log_contains = "error" }"#, &w, &[]));
    }

    #[test]
    fn events_since_the_step_began() {
        let w = world();
        let die = Event::new(EventType::Container, Action::Die).id("c2");
        assert!(holds(
            r#"{ event = "die" }"#,
            &w,
            std::slice::from_ref(&die)
        ));
        assert!(holds(
            r#"{ event = "die", type = "container" }"#,
            &w,
            std::slice::from_ref(&die)
        ));
        // The type is matched too (no emitted action is shared by two types, so this one is
        // made up).
        assert!(!holds(
            r#"{ event = "die", type = "container" }"#,
            &w,
            &[Event::on_image(Action::Die).id("c2")]
        ));
        assert!(!holds(r#"{ event = "die" }"#, &w, &[]));
    }

    #[test]
    fn ran_matches_words_in_order_with_flag_forms() {
        let w = world();
        let ps = r#"{ ran = ["ps", "-a"] }"#;
        assert!(holds(ps, &w, &[ran(&["ps", "-a"], "0")]));
        assert!(holds(ps, &w, &[ran(&["ps", "-a", "-q"], "0")]));
        assert!(holds(ps, &w, &[ran(&["ps", "--all"], "0")]));
        assert!(holds(ps, &w, &[ran(&["ps", "-aq"], "0")]));
        assert!(holds(ps, &w, &[ran(&["container", "ls", "-a"], "0")]));
        assert!(!holds(ps, &w, &[ran(&["ps"], "0")]));
        assert!(
            !holds(ps, &w, &[ran(&["ps", "-a"], "1")]),
            "failed commands do not count"
        );
        assert!(!holds(ps, &w, &[ran(&["-a", "ps"], "0")]), "order matters");
        assert!(!holds(ps, &w, &[ran(&["images", "-a"], "0")]));
        assert!(!holds(
            ps,
            &w,
            &[Event::new(EventType::Container, Action::Start)]
        ));

        let it = r#"{ ran = ["run", "-i", "-t", "debian"] }"#;
        assert!(holds(
            it,
            &w,
            &[ran(&["run", "-it", "debian", "bash"], "0")]
        ));
        assert!(holds(
            it,
            &w,
            &[ran(&["run", "--interactive", "--tty", "debian"], "0")]
        ));
        assert!(!holds(it, &w, &[ran(&["run", "-i", "debian"], "0")]));
        let long = r#"{ ran = ["start", "--attach", "-i"] }"#;
        assert!(
            !holds(long, &w, &[ran(&["start", "-ai"], "0")]),
            "--attach has no short form here"
        );
        let start = r#"{ ran = ["start", "-a", "-i"] }"#;
        assert!(holds(start, &w, &[ran(&["start", "-ai", "box"], "0")]));
        let publish = r#"{ ran = ["run", "--publish"] }"#;
        assert!(holds(
            publish,
            &w,
            &[ran(&["run", "-p", "8080:80", "nginx"], "0")]
        ));
        assert!(holds(
            publish,
            &w,
            &[ran(&["run", "--publish=8080:80", "nginx"], "0")]
        ));
        assert!(!holds(
            r#"{ ran = ["run", "-P"] }"#,
            &w,
            &[ran(&["run", "-p", "80"], "0")]
        ));
        // A value glued to a flag is not a cluster of flags.
        assert!(!holds(
            r#"{ ran = ["run", "-a"] }"#,
            &w,
            &[ran(&["run", "-eA=bar"], "0")]
        ));
    }

    fn step(check: Vec<Predicate>, any: Vec<Vec<Predicate>>, avoid: Vec<Avoid>) -> Step {
        Step {
            id: "s".into(),
            title: "t".into(),
            text: String::new(),
            hints: vec![],
            solution: vec![],
            check,
            any,
            check_src: vec![],
            any_src: vec![],
            avoid,
            wrong: vec![],
            right: vec![],
            setup: vec![],
            line: 1,
        }
    }

    fn img(s: &str) -> Predicate {
        Predicate::Image(ImageRef::parse(s).unwrap())
    }

    #[test]
    fn evaluate_check_any_avoid_and_reading_steps() {
        let w = world();
        assert_eq!(
            evaluate(&step(vec![img("busybox")], vec![], vec![]), &w, &[]),
            Verdict::Pass
        );
        assert_eq!(
            evaluate(
                &step(vec![img("busybox"), img("ubuntu")], vec![], vec![]),
                &w,
                &[]
            ),
            Verdict::Fail
        );
        let any = vec![vec![img("ubuntu")], vec![img("debian:12"), img("myimg")]];
        assert_eq!(evaluate(&step(vec![], any, vec![]), &w, &[]), Verdict::Pass);
        let none = vec![vec![img("ubuntu")], vec![img("debian:12"), img("alpine")]];
        assert_eq!(
            evaluate(&step(vec![img("busybox")], none, vec![]), &w, &[]),
            Verdict::Fail
        );

        let avoid = vec![
            Avoid {
                when: vec![img("alpine")],
                hint: "not this one".into(),
            },
            Avoid {
                when: vec![img("debian:12")],
                hint: "debian is not busybox".into(),
            },
        ];
        assert_eq!(
            evaluate(&step(vec![img("ubuntu")], vec![], avoid.clone()), &w, &[]),
            Verdict::Avoid("debian is not busybox".into())
        );
        // Once the check holds, the avoided state does not matter.
        assert_eq!(
            evaluate(&step(vec![img("busybox")], vec![], avoid), &w, &[]),
            Verdict::Pass
        );

        assert_eq!(
            evaluate(&step(vec![], vec![], vec![]), &w, &[]),
            Verdict::Fail
        );
        let state = Predicate::Container(ContainerMatch {
            state: Some(ContainerState::Running),
            ..Default::default()
        });
        assert_eq!(
            evaluate(&step(vec![state], vec![], vec![]), &w, &[]),
            Verdict::Pass
        );
    }

    #[test]
    fn fixture_lesson_steps_against_worlds() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lessons/ko/01-hello.md");
        let lesson = crate::course::lesson::load_lesson(&path).unwrap();
        let step = |id: &str| lesson.steps.iter().find(|s| s.id == id).unwrap();
        let mut w = Fake::default();
        assert_eq!(evaluate(step("read"), &w, &[]), Verdict::Fail);
        assert_eq!(evaluate(step("pull"), &w, &[]), Verdict::Fail);
        w.snap
            .images
            .push(image("sha256:d", &["debian:latest"], 1, true));
        assert_eq!(
            evaluate(step("pull"), &w, &[]),
            Verdict::Avoid("debian이 아니라 busybox를 받아 보세요.".into())
        );
        w.snap
            .images
            .push(image("sha256:bb", &["busybox:latest"], 1, true));
        assert_eq!(evaluate(step("pull"), &w, &[]), Verdict::Pass);

        // `docker create busybox` (a `wrong` attempt) leaves a created container: no pass.
        w.snap
            .containers
            .push(container("c1", "a", "busybox", "sha256:bb", "created"));
        assert_eq!(evaluate(step("run"), &w, &[]), Verdict::Fail);
        w.snap
            .containers
            .push(container("c2", "b", "busybox", "sha256:bb", "exited"));
        assert_eq!(evaluate(step("run"), &w, &[]), Verdict::Pass);

        assert_eq!(
            evaluate(step("ps-all"), &w, &[ran(&["ps"], "0")]),
            Verdict::Fail
        );
        assert_eq!(
            evaluate(step("ps-all"), &w, &[ran(&["ps", "--all"], "0")]),
            Verdict::Pass
        );
    }

    fn storage_world() -> Fake {
        use crate::engine::{MountInfo, NetworkInfo, NetworkMember, VolumeInfo};
        let mut w = world();
        let mount = |kind: &str, source: &str, target: &str, readonly: bool| MountInfo {
            kind: kind.into(),
            source: source.into(),
            target: target.into(),
            readonly,
        };
        w.snap.containers[0].mounts = vec![mount(
            "bind",
            "/home/me/site",
            "/usr/share/nginx/html",
            true,
        )];
        let mut db = container("c4", "db", "redis", "sha256:rd", "running");
        db.mounts = vec![mount("volume", "redis-data", "/data", false)];
        let mut old = container("c5", "old", "redis", "sha256:rd", "exited");
        old.mounts = vec![mount("volume", "other", "/data", false)];
        w.snap.containers.extend([db, old]);
        let vol = |name: &str| VolumeInfo {
            name: name.into(),
            anonymous: false,
            mountpoint: format!("/v/{name}").into(),
            containers: vec![],
            created: 0,
        };
        w.snap.volumes = vec![vol("redis-data"), vol("other")];
        w.volume_files
            .insert(("redis-data".into(), "/dump.rdb".into()));
        w.host_paths.insert("/home/me/site/index.html".into());
        w.snap.networks = vec![NetworkInfo {
            id: "n1".into(),
            name: "app-net".into(),
            driver: "bridge".into(),
            subnet: "172.18.0.0/16".into(),
            gateway: "172.18.0.1".into(),
            members: vec![NetworkMember {
                container_id: "c4".into(),
                name: "db".into(),
                aliases: vec![],
                address: "172.18.0.2".into(),
            }],
        }];
        w
    }

    #[test]
    fn volumes_and_their_files() {
        let w = storage_world();
        assert!(holds(r#"{ volume = "redis-data" }"#, &w, &[]));
        assert!(holds(
            r#"{ volume = "redis-data", file = "/dump.rdb" }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ volume = "other", file = "/dump.rdb" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ volume = "nothere" }"#, &w, &[]));
        assert!(holds(r#"{ no_volume = "nothere" }"#, &w, &[]));
        assert!(!holds(r#"{ no_volume = "redis-data" }"#, &w, &[]));
    }

    #[test]
    fn pulled_back_needs_the_same_image_deleted_then_pulled() {
        let mut w = world();
        let tag = "localhost:5000/app:1.0";
        w.snap.images.push(image("sha256:app", &[tag], 2, false));
        let p = r#"{ pulled_back = "localhost:5000/app:1.0" }"#;
        let delete = |id: &str| Event::on_image(Action::Delete).id(id);
        let pull = |id: &str, name: &str| Event::on_image(Action::Pull).id(id).name(name);
        assert!(holds(
            p,
            &w,
            &[delete("sha256:app"), pull("sha256:app", tag)]
        ));
        // Pulled without being gone first (only a tag was removed): nothing came back.
        assert!(!holds(p, &w, &[pull("sha256:app", tag)]));
        // Pulled before it was deleted.
        assert!(!holds(
            p,
            &w,
            &[pull("sha256:app", tag), delete("sha256:app")]
        ));
        // Another image was deleted; or the pull brought another name.
        assert!(!holds(
            p,
            &w,
            &[delete("sha256:other"), pull("sha256:app", tag)]
        ));
        assert!(!holds(
            p,
            &w,
            &[
                delete("sha256:app"),
                pull("sha256:app", "localhost:5000/app:2.0")
            ]
        ));
        // The tag names something else now (built again after the pull).
        w.snap.images.last_mut().unwrap().id = "sha256:rebuilt".into();
        assert!(!holds(
            p,
            &w,
            &[delete("sha256:app"), pull("sha256:app", tag)]
        ));
    }

    #[test]
    fn mounts_of_running_containers() {
        let w = storage_world();
        assert!(holds(
            r#"{ mount = "/data", volume = "redis-data", name = "db" }"#,
            &w,
            &[]
        ));
        assert!(holds(
            r#"{ mount = "/data/", file = "/dump.rdb" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ mount = "/data", type = "bind" }"#, &w, &[]));
        // `old` mounts `other` there, but it is not running.
        assert!(!holds(r#"{ mount = "/data", volume = "other" }"#, &w, &[]));
        assert!(!holds(
            r#"{ mount = "/data", volume = "redis-data", name = "web" }"#,
            &w,
            &[]
        ));
        let site = r#"{ mount = "/usr/share/nginx/html", type = "bind", file = "/index.html", readonly = true, name = "web" }"#;
        assert!(holds(site, &w, &[]));
        assert!(!holds(
            r#"{ mount = "/usr/share/nginx/html", file = "/other.html" }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ mount = "/usr/share/nginx/html", readonly = false }"#,
            &w,
            &[]
        ));
        assert!(!holds(
            r#"{ mount = "/usr/share/nginx/html", volume = "site" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ mount = "/html" }"#, &w, &[]));
    }

    #[test]
    fn networks_and_their_members() {
        let w = storage_world();
        assert!(holds(r#"{ network = "app-net" }"#, &w, &[]));
        assert!(holds(r#"{ network = "app-net", member = "db" }"#, &w, &[]));
        assert!(!holds(
            r#"{ network = "app-net", member = "web" }"#,
            &w,
            &[]
        ));
        assert!(!holds(r#"{ network = "other-net" }"#, &w, &[]));
    }
}
