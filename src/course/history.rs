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
        if let Some((id, _)) = containers
            .iter()
            .find(|(_, n)| n.trim_start_matches('/') == name)
        {
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
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::check::{World, predicate_holds, watches};
    use crate::course::lesson::parse_lesson;
    use crate::engine::{ContainerInfo, ImageInfo, PortInfo};

    struct Fake(Snapshot);

    impl World for Fake {
        fn snapshot(&self) -> Snapshot {
            self.0.clone()
        }
        fn image_has_path(&self, _: &str, _: &str) -> bool {
            false
        }
        fn container_has_path(&self, _: &str, _: &str) -> bool {
            false
        }
        fn container_changes(&self, _: &str) -> Vec<(char, String)> {
            Vec::new()
        }
        fn container_logs(&self, _: &str) -> String {
            String::new()
        }
        fn volume_has_file(&self, _volume: &str, _path: &str) -> bool {
            false
        }
        fn host_has_path(&self, _path: &std::path::Path) -> bool {
            false
        }
        fn http_get(&self, _port: u16, _path: &str) -> Option<crate::course::answer::HttpAnswer> {
            None
        }
        fn ephemeral_ports(&self) -> (u16, u16) {
            (32768, 60999)
        }
    }

    fn holds(src: &str, snap: &Snapshot, events: &[Event]) -> bool {
        let table: toml::Table = toml::from_str(&format!("p = {src}")).expect("toml");
        let Some(toml::Value::Table(t)) = table.get("p") else {
            panic!("not a table: {src}")
        };
        let p = crate::course::Predicate::from_table(t).unwrap_or_else(|e| panic!("{e}"));
        predicate_holds(&p, &Fake(snap.clone()), snap, events)
    }

    fn image(id: &str, tags: &[&str]) -> ImageInfo {
        ImageInfo {
            id: id.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            layers: vec![],
            layer_sizes: vec![],
            history: vec![],
            created: 0,
            size: 0,
            bundled: true,
            intermediate: false,
        }
    }

    fn running(id: &str, name: &str, host_port: u16) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            name: name.into(),
            image: "redis".into(),
            image_id: "sha256:7e".into(),
            state: "running".into(),
            exit_code: None,
            command: vec!["redis-server".into()],
            tty: false,
            interactive: false,
            detached: true,
            auto_remove: false,
            ports: vec![PortInfo {
                host_ip: "0.0.0.0".into(),
                host_port,
                container_port: 6379,
                proto: "tcp".into(),
            }],
            created: 0,
            mounts: vec![],
        }
    }

    fn snap() -> Snapshot {
        Snapshot {
            images: vec![
                image("sha256:bb01", &["busybox:latest"]),
                image("sha256:d12", &["debian:12", "debian:latest"]),
                image("sha256:7e", &["redis:latest"]),
            ],
            containers: vec![running("ab12cd", "my-redis", 32801)],
            ..Default::default()
        }
    }

    fn created(id: &str, image: &str, image_id: &str, argv: &[&str]) -> Event {
        Event::new(EventType::Container, Action::Create)
            .id(id)
            .name("gone")
            .image(image)
            .attr("gorae.imageID", image_id)
            .attr("gorae.cmd", serde_json::to_string(argv).unwrap_or_default())
    }

    fn died(id: &str, code: i32) -> Event {
        Event::new(EventType::Container, Action::Die)
            .id(id)
            .name("gone")
            .attr("exitCode", code.to_string())
    }

    fn exec_died(argv: &[&str], code: i32) -> Event {
        Event::new(EventType::Container, Action::ExecDie)
            .id("ab12cd")
            .name("my-redis")
            .attr("exitCode", code.to_string())
            .attr("gorae.cmd", serde_json::to_string(argv).unwrap_or_default())
    }

    #[test]
    fn a_removed_containers_process_is_judged_from_its_events() {
        let s = snap();
        let run = [
            created("ff01", "busybox:latest", "sha256:bb01", &["hostname"]),
            died("ff01", 0),
        ];
        let p = r#"{ process = ["hostname"], image = "busybox" }"#;
        assert!(holds(p, &s, &run));
        assert!(!holds(p, &s, &run[..1]), "it has not ended yet");
        assert!(!holds(p, &s, &[run[0].clone(), died("ff01", 1)]));
        assert!(!holds(r#"{ process = ["uname"] }"#, &s, &run));
        assert!(!holds(
            r#"{ process = ["hostname"], image = "debian" }"#,
            &s,
            &run
        ));
        assert!(holds(
            r#"{ process = ["hostname"], via = "run" }"#,
            &s,
            &run
        ));
        assert!(!holds(
            r#"{ process = ["hostname"], via = "exec" }"#,
            &s,
            &run
        ));
        // Run by image ID: judged by that image's tags.
        let by_id = [
            created("ff02", "bb01", "sha256:bb01", &["ps"]),
            died("ff02", 0),
        ];
        assert!(holds(
            r#"{ process = ["ps"], image = "busybox" }"#,
            &s,
            &by_id
        ));
    }

    #[test]
    fn exec_processes_compare_as_redis_reads_them() {
        let s = snap();
        let ping = [exec_died(&["redis-cli", "PING"], 0)];
        let p = r#"{ process = ["redis-cli", "ping"], name = "my-redis", via = "exec" }"#;
        assert!(holds(p, &s, &ping));
        assert!(!holds(p, &s, &[exec_died(&["redis-cli", "PING"], 1)]));
        assert!(!holds(p, &s, &[exec_died(&["redis-cli"], 0)]));
        assert!(!holds(
            r#"{ process = ["redis-cli", "ping"], name = "web" }"#,
            &s,
            &ping
        ));
    }

    #[test]
    fn event_fields_narrow_what_counts() {
        let s = snap();
        let c = |a: Action| {
            Event::new(EventType::Container, a)
                .id("ab12cd")
                .name("toy")
                .image("debian")
        };
        let stop = [
            c(Action::Kill).attr("signal", "15"),
            c(Action::Kill).attr("signal", "9"),
            c(Action::Stop),
        ];
        let kill = [c(Action::Kill).attr("signal", "9")];
        let killed = r#"{ event = "kill", name = "toy", signal = "KILL" }"#;
        assert!(holds(killed, &s, &kill));
        assert!(!holds(r#"{ event = "kill", signal = "TERM" }"#, &s, &kill));
        assert!(!holds(r#"{ event = "kill", name = "web" }"#, &s, &kill));
        assert!(holds(r#"{ no_event = "stop", name = "toy" }"#, &s, &kill));
        assert!(!holds(r#"{ no_event = "stop", name = "toy" }"#, &s, &stop));
        assert!(holds(r#"{ event = "stop", image = "debian" }"#, &s, &stop));
        let rm = [c(Action::Destroy).attr("gorae.autoRemove", "true")];
        assert!(holds(
            r#"{ event = "destroy", auto_removed = true }"#,
            &s,
            &rm
        ));
        assert!(!holds(
            r#"{ event = "destroy", auto_removed = true }"#,
            &s,
            &[c(Action::Destroy)]
        ));
        let build = |cached: u32, built: u32| {
            [Event::on_image(Action::Build)
                .name("hello-app:latest")
                .attr("gorae.cachedSteps", cached.to_string())
                .attr("gorae.builtSteps", built.to_string())]
        };
        let all = r#"{ event = "build", image = "hello-app", cache = "all" }"#;
        assert!(holds(all, &s, &build(4, 0)));
        assert!(!holds(all, &s, &build(0, 4)), "--no-cache");
        assert!(!holds(all, &s, &build(2, 2)));
        assert!(holds(
            r#"{ event = "build", cache = "some" }"#,
            &s,
            &build(2, 2)
        ));
        let save = |tags: &[&str]| {
            let mut e = Event::on_image(Action::Save).id("sha256:w1").attr(
                "gorae.tags",
                serde_json::to_string(tags).unwrap_or_default(),
            );
            if let Some(t) = tags.first() {
                e = e.name(t);
            }
            [e]
        };
        let saved = r#"{ event = "save", image = "whale-note:1.0" }"#;
        assert!(holds(
            saved,
            &s,
            &save(&["myname/whale-note:1.0", "whale-note:1.0"])
        ));
        assert!(!holds(saved, &s, &save(&["busybox:latest"])));
        assert!(
            !holds(saved, &s, &save(&[])),
            "saved by ID: no name to load"
        );
    }

    #[test]
    fn references_resolve_as_docker_resolves_them() {
        let s = snap();
        let events = [created("ff01", "busybox", "sha256:bb01", &["sh"])];
        let h = History::new(&s, &events);
        assert_eq!(h.resolve("my-redis").as_deref(), Some("ab12cd"));
        assert_eq!(h.resolve("ab1").as_deref(), Some("ab12cd"));
        assert_eq!(
            h.resolve("gone").as_deref(),
            Some("ff01"),
            "a removed container"
        );
        assert_eq!(h.resolve("debian").as_deref(), Some("sha256:d12"));
        assert_eq!(h.resolve("debian:12").as_deref(), Some("sha256:d12"));
        assert_eq!(h.resolve("sha256:d1").as_deref(), Some("sha256:d12"));
        assert_eq!(h.resolve("nothere"), None);
        assert!(h.same("debian:latest", "d12"));
        assert!(!h.same("debian", "busybox"));
        let ran = |args: &[&str]| {
            Event::command(Action::Run)
                .attr("args", serde_json::to_string(args).unwrap_or_default())
                .attr("exit", "0")
        };
        let logs = r#"{ ran = ["logs", "my-redis"] }"#;
        assert!(holds(logs, &s, &[ran(&["logs", "ab12"])]));
        assert!(holds(
            logs,
            &s,
            &[ran(&["container", "logs", "-f", "my-redis"])]
        ));
        let interrupted = ran(&["logs", "-f", "my-redis"]).attr("exit", "130");
        assert!(
            holds(logs, &s, &[interrupted]),
            "Ctrl-C after looking counts"
        );
        let piped = ran(&["logs", "my-redis"]).attr("exit", "141");
        assert!(
            holds(logs, &s, &[piped]),
            "`| head` closing the pipe after looking counts"
        );
        let failed = ran(&["logs", "my-redis"]).attr("exit", "1");
        assert!(!holds(logs, &s, &[failed]));
        assert!(!holds(logs, &s, &[ran(&["logs", "--help"])]));
        assert!(holds(
            r#"{ ran = ["history", "redis"] }"#,
            &s,
            &[ran(&["history", "redis:latest"])]
        ));
    }

    #[test]
    fn tags_ports_and_watches() {
        let mut s = snap();
        s.images.push(image("sha256:d12", &["my-debian:v1"]));
        s.images.push(image("sha256:bb01", &["fake:v1"]));
        assert!(holds(
            r#"{ image = "my-debian:v1", same_as = "debian:12" }"#,
            &s,
            &[]
        ));
        assert!(!holds(
            r#"{ image = "fake:v1", same_as = "debian:12" }"#,
            &s,
            &[]
        ));
        assert!(holds(r#"{ port = 6379, random_host = true }"#, &s, &[]));
        s.containers[0].ports[0].host_port = 6379;
        assert!(!holds(r#"{ port = 6379, random_host = true }"#, &s, &[]));
        assert!(holds(r#"{ port = 6379 }"#, &s, &[]));

        let lesson = parse_lesson(
            std::path::Path::new("lessons/en/99-x.md"),
            "+++\nid = \"x\"\ntitle = \"x\"\n+++\n\n```step\nid = \"a\"\ntitle = \"a\"\n\
             check = [{ container_file = \"/root/x\", name = \"my-redis\" }, \
             { log_contains = \"GET /\" }, { image = \"busybox\" }]\n```\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut s = snap();
        let mut stopped = running("ef34", "old", 0);
        stopped.state = "exited".into();
        s.containers.push(stopped);
        assert_eq!(
            watches(&lesson.steps[0], &s),
            vec![
                crate::course::Watch::Files("ab12cd".into()),
                crate::course::Watch::Log("ab12cd".into()),
            ],
            "running containers only"
        );
    }
}
