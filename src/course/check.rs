//! Checks: whether the engine's state (and the events since a step began) satisfy a step.
//! Steps are judged by resulting state, never by matching typed text; `ran` is the one
//! exception, for steps that only look at something (`docker ps -a`) and change nothing.

use crate::engine::{ContainerInfo, Event, Snapshot, Store};

use super::lesson::{ContainerMatch, ImageRef, Predicate, Step};

/// What the checks may look at. Implemented for `engine::Store` (reading the live store) and
/// by test fakes.
pub trait World {
    fn snapshot(&self) -> Snapshot;
    fn image_has_path(&self, image: &str, path: &str) -> bool;
    fn container_has_path(&self, container: &str, path: &str) -> bool;
    fn container_changes(&self, container: &str) -> Vec<(char, String)>;
    fn container_logs(&self, container: &str) -> String;
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The state is one the step warns about; the hint to show.
    Avoid(String),
}

/// Judge a step. `events` are the engine events seen since the step began (for `ran` and
/// `event`). A reading step (no `check`, no `any`) is `Fail`: it is done when the learner
/// moves on, not by state.
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

pub fn predicate_holds(
    p: &Predicate,
    world: &dyn World,
    snap: &Snapshot,
    events: &[Event],
) -> bool {
    match p {
        Predicate::Image(r) => has_tag(snap, r),
        Predicate::NoImage(r) => !has_tag(snap, r),
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
        Predicate::ContainerFile { path, image } => snap
            .containers
            .iter()
            .filter(|c| {
                image
                    .as_ref()
                    .is_none_or(|r| container_image_is(r, c, snap))
            })
            .any(|c| world.container_has_path(&c.id, path)),
        Predicate::ContainerChanged(path) => snap.containers.iter().any(|c| {
            world
                .container_changes(&c.id)
                .iter()
                .any(|(_, p)| p.trim_end_matches('/') == path)
        }),
        Predicate::Port {
            container_port,
            host_port,
        } => snap
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .any(|c| {
                c.ports.iter().any(|p| {
                    p.container_port == *container_port
                        && host_port.is_none_or(|h| p.host_port == h)
                })
            }),
        Predicate::Ran(words) => events.iter().any(|e| command_matches(e, words)),
        Predicate::Event { action, kind } => events
            .iter()
            .any(|e| e.action == *action && kind.as_ref().is_none_or(|k| e.kind == *k)),
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
    }
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
) -> impl Iterator<Item = &'a ContainerInfo> {
    snap.containers.iter().filter(move |c| {
        m.image
            .as_ref()
            .is_none_or(|r| container_image_is(r, c, snap))
            && m.name.as_ref().is_none_or(|n| same_name(&c.name, n))
            && m.state.is_none_or(|s| c.state == s.as_str())
            && m.exit_code.is_none_or(|x| c.exit_code == Some(x))
            && m.tty.is_none_or(|x| c.tty == x)
            && m.rm.is_none_or(|x| c.auto_remove == x)
            && m.detached.is_none_or(|x| c.detached == x)
    })
}

/// The container's image as typed, or any tag its image id carries, is accepted by `want`:
/// `debian` matches a container from `debian:12`, and a container run as `debian` matches
/// `debian:12` when both tags name the same image.
fn container_image_is(want: &ImageRef, c: &ContainerInfo, snap: &Snapshot) -> bool {
    let typed = ImageRef::parse(&c.image).ok();
    let tags = snap
        .images
        .iter()
        .filter(|i| !c.image_id.is_empty() && i.id == c.image_id)
        .flat_map(|i| i.tags.iter())
        .filter_map(|t| ImageRef::parse(t).ok());
    typed.into_iter().chain(tags).any(|r| want.accepts(&r))
}

/// Short flags and the long forms they stand for (`-n` has none: its meaning differs by command).
const FLAG_PAIRS: &[(&str, &str)] = &[
    ("-a", "--all"),
    ("-q", "--quiet"),
    ("-f", "--force"),
    ("-d", "--detach"),
    ("-i", "--interactive"),
    ("-t", "--tty"),
    ("-p", "--publish"),
    ("-P", "--publish-all"),
    ("-l", "--latest"),
    ("-e", "--env"),
    ("-w", "--workdir"),
];

fn short_form(flag: &str) -> &str {
    FLAG_PAIRS
        .iter()
        .find(|(_, long)| *long == flag)
        .map(|(short, _)| *short)
        .unwrap_or(flag)
}

/// Arguments split the way flags are meant: `-it` → `-i -t` (only all-letter clusters, so a
/// value glued to a flag like `-eA=b` stays whole), `--publish=80` → `--publish 80`, and long
/// flags with a short form written short.
fn split_flags(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((flag, value)) => {
                    out.push(short_form(&format!("--{flag}")).to_string());
                    out.push(value.to_string());
                }
                None => out.push(short_form(arg).to_string()),
            }
        } else if let Some(cluster) = arg.strip_prefix('-')
            && cluster.len() > 1
            && cluster.chars().all(|c| c.is_ascii_alphabetic())
        {
            out.extend(cluster.chars().map(|c| format!("-{c}")));
        } else {
            out.push(arg.clone());
        }
    }
    out
}

/// `docker container ls` is `docker ps`, `docker image rm` is `docker rmi`, and so on.
fn canonical_command(args: &[String]) -> Vec<String> {
    let [group, sub, rest @ ..] = args else {
        return args.to_vec();
    };
    let top = match (group.as_str(), sub.as_str()) {
        ("container", "ls" | "list" | "ps") => "ps",
        ("image", "ls" | "list") => "images",
        ("image", "rm" | "remove") => "rmi",
        ("container", "remove") => "rm",
        (
            "container",
            s @ ("run" | "start" | "stop" | "rm" | "logs" | "exec" | "create" | "kill" | "attach"
            | "inspect" | "diff" | "commit" | "top" | "port" | "rename" | "restart" | "cp"
            | "wait" | "pause" | "unpause" | "export" | "stats"),
        ) => s,
        (
            "image",
            s @ ("pull" | "tag" | "history" | "inspect" | "build" | "save" | "load" | "push"
            | "import"),
        ) => s,
        _ => return args.to_vec(),
    };
    std::iter::once(top.to_string())
        .chain(rest.iter().cloned())
        .collect()
}

/// A successful `command` event whose args hold `words` in order.
fn command_matches(e: &Event, words: &[String]) -> bool {
    if e.kind != "command"
        || e.action != "run"
        || e.attrs.get("exit").map(String::as_str) != Some("0")
    {
        return false;
    }
    let args = split_flags(&canonical_command(&e.args()));
    let words = split_flags(&canonical_command(words));
    let mut rest = args.iter();
    words.iter().all(|w| rest.any(|a| a == w))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::course::lesson::{Avoid, ContainerState};
    use crate::engine::{Action, EventType};
    use crate::engine::{ImageInfo, PortInfo};

    #[derive(Default)]
    struct Fake {
        snap: Snapshot,
        image_paths: HashSet<(String, String)>,
        container_paths: HashSet<(String, String)>,
        changes: HashMap<String, Vec<(char, String)>>,
        logs: HashMap<String, String>,
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
            avoid,
            wrong: vec![],
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
}
