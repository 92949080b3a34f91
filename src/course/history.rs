//! What happened since a step began, read from the engine's events together with the state:
//! containers that are gone (`run --rm`), the processes that ended and how, and what a word
//! the learner typed refers to (a container by name or ID, an image by tag or ID).

use std::collections::HashMap;

use crate::engine::{Action, Event, EventType, Snapshot};

use super::predicate::ImageRef;

/// A container as the judge knows it, from the state or, when it is gone, its `create` event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub id: String,
    pub name: String,
    /// The image as typed.
    pub image: String,
    pub image_id: String,
    pub argv: Vec<String>,
}

/// A process that ended in a container.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub container: String,
    /// The container's name when it ended.
    pub name: String,
    pub argv: Vec<String>,
    pub exit_code: Option<i32>,
    /// Started by `exec` (else the container's main process).
    pub exec: bool,
}

pub struct History<'a> {
    pub snap: &'a Snapshot,
    pub events: &'a [Event],
    created: HashMap<String, Facts>,
}

fn json_list(s: Option<&String>) -> Vec<String> {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

impl<'a> History<'a> {
    pub fn new(snap: &'a Snapshot, events: &'a [Event]) -> History<'a> {
        let created = events
            .iter()
            .filter(|e| e.kind == EventType::Container && e.action == Action::Create)
            .map(|e| {
                let facts = Facts {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    image: e.image.clone(),
                    image_id: e.attrs.get("gorae.imageID").cloned().unwrap_or_default(),
                    argv: json_list(e.attrs.get("gorae.cmd")),
                };
                (e.id.clone(), facts)
            })
            .collect();
        History {
            snap,
            events,
            created,
        }
    }

    /// The container with this full ID: from the state, else from its `create` event.
    pub fn container(&self, id: &str) -> Option<Facts> {
        if let Some(c) = self.snap.containers.iter().find(|c| c.id == id) {
            return Some(Facts {
                id: c.id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                image_id: c.image_id.clone(),
                argv: c.command.clone(),
            });
        }
        self.created.get(id).cloned()
    }

    /// Every process that ended since the step began: containers' main processes (`die`)
    /// and `exec`'s (`exec_die`).
    pub fn ended(&self) -> Vec<Ended> {
        self.events
            .iter()
            .filter(|e| e.kind == EventType::Container)
            .filter_map(|e| {
                let exit_code = e.attrs.get("exitCode").and_then(|c| c.parse().ok());
                let (argv, exec) = match e.action {
                    Action::Die => (self.container(&e.id)?.argv, false),
                    Action::ExecDie => (json_list(e.attrs.get("gorae.cmd")), true),
                    _ => return None,
                };
                Some(Ended {
                    container: e.id.clone(),
                    name: e.name.clone(),
                    argv,
                    exit_code,
                    exec,
                })
            })
            .collect()
    }

    /// What a word names, as Docker resolves it: a container by exact name or unique ID
    /// prefix, else an image by tag (`:latest` implied) or ID prefix (`sha256:` optional).
    /// The full ID, or None.
    pub fn resolve(&self, word: &str) -> Option<String> {
        if word.is_empty() || word.starts_with('-') {
            return None;
        }
        let mut containers: Vec<(String, String)> = self
            .snap
            .containers
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        for f in self.created.values() {
            if !containers.iter().any(|(id, _)| *id == f.id) {
                containers.push((f.id.clone(), f.name.clone()));
            }
        }
        let name = word.trim_start_matches('/');
        if let Some((id, _)) = containers.iter().find(|(_, n)| n.trim_start_matches('/') == name) {
            return Some(id.clone());
        }
        let by_prefix: Vec<&String> = containers
            .iter()
            .map(|(id, _)| id)
            .filter(|id| is_hex(word) && id.starts_with(word))
            .collect();
        if let [one] = by_prefix.as_slice() {
            return Some((*one).clone());
        }
        if let Ok(r) = ImageRef::parse(word)
            && let Some(img) = self.snap.images.iter().find(|i| i.tags.contains(&r.full()))
        {
            return Some(img.id.clone());
        }
        let hex = word.strip_prefix("sha256:").unwrap_or(word);
        let images: Vec<&String> = self
            .snap
            .images
            .iter()
            .map(|i| &i.id)
            .filter(|id| is_hex(hex) && id.trim_start_matches("sha256:").starts_with(hex))
            .collect();
        match images.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }

    /// Whether two words name the same container or image.
    pub fn same(&self, a: &str, b: &str) -> bool {
        a == b || self.resolve(a).is_some_and(|x| self.resolve(b) == Some(x))
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The container's image as typed, or any tag its image id carries, is accepted by `want`:
/// `debian` matches a container from `debian:12`, and a container run as `debian` matches
/// `debian:12` when both tags name the same image. A container run by image ID matches by
/// that ID's tags.
pub fn image_is(want: &ImageRef, typed: &str, image_id: &str, snap: &Snapshot) -> bool {
    let typed = ImageRef::parse(typed).ok();
    let tags = snap
        .images
        .iter()
        .filter(|i| !image_id.is_empty() && i.id == image_id)
        .flat_map(|i| i.tags.iter())
        .filter_map(|t| ImageRef::parse(t).ok());
    typed.into_iter().chain(tags).any(|r| want.accepts(&r))
}
