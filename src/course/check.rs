//! Checks: whether the engine's state (and what happened since a step began) satisfies a step.
//! Steps are judged by what the learner caused: the state, and for what leaves no state (a
//! `run --rm`, a signal, a cache hit) the engine's events, read as history (`history`).
//! `ran` is the one check of typed commands, for steps that only look at something
//! (`docker ps -a`) and change nothing; it compares meaning, not spelling (`words`).

use crate::engine::{Action, Event, EventType, MountInfo, Snapshot, Store};

use super::answer::{self, HttpAnswer};
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
    /// What a GET of `path` on the host's loopback `port` answers.
    fn http_get(&self, port: u16, path: &str) -> Option<HttpAnswer>;
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
    fn http_get(&self, port: u16, path: &str) -> Option<HttpAnswer> {
        answer::get(&answer::agent(), port, path)
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
/// files (its upper dir), its log, and what a server answers. The TUI watches these while the
/// step is current.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Watch {
    /// The upper dir of the container with this ID (recursively).
    Files(String),
    /// The log of the container with this ID.
    Log(String),
    /// What a GET of this path on this host port answers (polled: a socket has no inotify).
    Http(u16, String),
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
            Predicate::Http { port, path, .. } => vec![Watch::Http(*port, path.clone())],
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
        Predicate::Http {
            port,
            path,
            contains,
        } => world
            .http_get(*port, path)
            .is_some_and(|a| a.satisfies(contains.as_deref())),
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

/// A successful `command` event whose args hold `words` in order, references compared by what
/// they name. Ended by Ctrl-C (130) or by its reader closing the pipe (141, `| head`) after the
/// learner looked counts too.
fn command_matches(e: &Event, want: &[String], h: &History) -> bool {
    e.kind == EventType::Command
        && e.action == Action::Run
        && matches!(
            e.attrs.get("exit").map(String::as_str),
            Some("0" | "130" | "141")
        )
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
mod tests;
