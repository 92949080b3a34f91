//! What a lesson leaves in the engine: the containers, image tags, volumes and networks its
//! steps name. "Reset this step" removes what the lesson names and replays the earlier steps;
//! jumping to a step asks to prepare it when what the earlier steps make is missing. Nothing
//! outside these names (another lesson's image, a container the learner made on their own) is
//! touched. The names come from the `docker` commands in `solution` and `setup` and from the
//! checks (lessons/FORMAT.md, "Reset and jumps").

use std::collections::BTreeSet;

use super::lesson::{Lesson, Predicate, Step};
use super::predicate::ImageRef;
use super::words::canonical_command;
use crate::engine::Snapshot;

/// Names by kind; images as the store tags them (`busybox` is `busybox:latest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub containers: BTreeSet<String>,
    pub images: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub networks: BTreeSet<String>,
}

impl Names {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
            && self.images.is_empty()
            && self.volumes.is_empty()
            && self.networks.is_empty()
    }

    fn extend(&mut self, other: Names) {
        self.containers.extend(other.containers);
        self.images.extend(other.images);
        self.volumes.extend(other.volumes);
        self.networks.extend(other.networks);
    }

    /// Those of these names that exist in `snap`.
    pub fn present(&self, snap: &Snapshot) -> Names {
        Names {
            containers: self
                .containers
                .iter()
                .filter(|n| snap.containers.iter().any(|c| &c.name == *n))
                .cloned()
                .collect(),
            images: self
                .images
                .iter()
                .filter(|t| snap.images.iter().any(|i| i.tags.contains(t)))
                .cloned()
                .collect(),
            volumes: self
                .volumes
                .iter()
                .filter(|v| snap.volumes.iter().any(|x| &x.name == *v))
                .cloned()
                .collect(),
            networks: self
                .networks
                .iter()
                .filter(|n| snap.networks.iter().any(|x| &x.name == *n))
                .cloned()
                .collect(),
        }
    }

    /// Those of these names that do not exist in `snap`.
    pub fn missing(&self, snap: &Snapshot) -> Names {
        let here = self.present(snap);
        Names {
            containers: &self.containers - &here.containers,
            images: &self.images - &here.images,
            volumes: &self.volumes - &here.volumes,
            networks: &self.networks - &here.networks,
        }
    }
}

/// Everything the lesson names, in every step: what a reset of any of its steps removes.
pub fn lesson_names(lesson: &Lesson) -> Names {
    let mut names = Names::default();
    for step in &lesson.steps {
        let mut effect = Effect::default();
        for line in step.setup.iter().chain(&step.solution) {
            effect.read(line);
        }
        names.extend(effect.made);
        names.extend(effect.removed);
        names.extend(checked_names(step));
    }
    names
}

/// What the solutions (and setups) of the steps before `step` leave behind, in order: made,
/// minus what a later command removed. What a step needs to start from.
pub fn made_before(lesson: &Lesson, step: usize) -> Names {
    let mut effect = Effect::default();
    for s in lesson.steps.iter().take(step) {
        for line in s.setup.iter().chain(&s.solution) {
            effect.read(line);
        }
    }
    effect.made
}

/// The names a step's checks are about.
fn checked_names(step: &Step) -> Names {
    let mut n = Names::default();
    let image = |r: &ImageRef, n: &mut Names| {
        n.images.insert(r.full());
    };
    for p in step.check.iter().chain(step.any.iter().flatten()) {
        match p {
            Predicate::Image(r) | Predicate::NoImage(r) | Predicate::PulledBack(r) => {
                image(r, &mut n)
            }
            Predicate::SameImage(a, b) => {
                image(a, &mut n);
                image(b, &mut n);
            }
            Predicate::ImageLayers { image: r, .. } | Predicate::FileInImage { image: r, .. } => {
                image(r, &mut n)
            }
            Predicate::Container(m) | Predicate::NoContainer(m) => {
                n.containers.extend(m.name.clone())
            }
            Predicate::ContainerFile { name, .. }
            | Predicate::ContainerChanged { name, .. }
            | Predicate::LogContains { name, .. } => n.containers.extend(name.clone()),
            Predicate::Process(m) => n.containers.extend(m.name.clone()),
            Predicate::Event(m) | Predicate::NoEvent(m) => n.containers.extend(m.name.clone()),
            Predicate::Volume { name, .. } | Predicate::NoVolume(name) => {
                n.volumes.insert(name.clone());
            }
            Predicate::Mount(m) => {
                n.containers.extend(m.name.clone());
                n.volumes.extend(m.volume.clone());
            }
            Predicate::Network { name, member } => {
                n.networks.insert(name.clone());
                n.containers.extend(member.clone());
            }
            Predicate::ImageWithFile { .. }
            | Predicate::Port { .. }
            | Predicate::Http { .. }
            | Predicate::Ran(_) => {}
        }
    }
    n
}

#[derive(Clone, Copy)]
enum Kind {
    Containers,
    Images,
    Volumes,
    Networks,
}

impl Names {
    fn of(&mut self, kind: Kind) -> &mut BTreeSet<String> {
        match kind {
            Kind::Containers => &mut self.containers,
            Kind::Images => &mut self.images,
            Kind::Volumes => &mut self.volumes,
            Kind::Networks => &mut self.networks,
        }
    }
}

/// What a run of commands made and removed (one removed is no longer made).
#[derive(Default)]
struct Effect {
    made: Names,
    removed: Names,
    /// `docker save -o FILE TAGS…`: what a later `docker load -i FILE` brings back.
    saved: Vec<(String, Vec<String>)>,
}

/// `run`/`create` flags that take a value (the image is the first word that is neither).
const RUN_VALUE_FLAGS: &[&str] = &[
    "--name",
    "-v",
    "--volume",
    "-p",
    "--publish",
    "-e",
    "--env",
    "-w",
    "--workdir",
    "--network",
    "--net",
    "-m",
    "--memory",
    "--mount",
    "--env-file",
    "-u",
    "--user",
    "--entrypoint",
    "-h",
    "--hostname",
    "--cpus",
    "--ip",
    "--network-alias",
    "--restart",
    "-l",
    "--label",
    "--stop-signal",
    "--pids-limit",
    "--tmpfs",
    "--add-host",
    "--dns",
    "--expose",
];

fn image_name(s: &str) -> Option<String> {
    ImageRef::parse(s).ok().map(|r| r.full())
}

impl Effect {
    fn make(&mut self, kind: Kind, name: String) {
        self.removed.of(kind).remove(&name);
        self.made.of(kind).insert(name);
    }

    fn remove(&mut self, kind: Kind, name: String) {
        self.made.of(kind).remove(&name);
        self.removed.of(kind).insert(name);
    }

    /// One solution entry: each of its lines, each command of a line.
    fn read(&mut self, entry: &str) {
        for line in entry.lines() {
            for cmd in commands(line) {
                if let Some((first, rest)) = cmd.split_first()
                    && first == "docker"
                {
                    self.docker(&canonical_command(rest));
                }
            }
        }
    }

    fn docker(&mut self, args: &[String]) {
        use Kind::{
            Containers as containers, Images as images, Networks as networks, Volumes as volumes,
        };
        let Some((cmd, rest)) = args.split_first() else {
            return;
        };
        let positional: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
        match cmd.as_str() {
            "run" | "create" => self.run(rest),
            "rm" => {
                for name in positional {
                    self.remove(containers, name.clone());
                }
            }
            "rmi" => {
                for name in positional.iter().filter_map(|n| image_name(n)) {
                    self.remove(images, name);
                }
            }
            "pull" => {
                if let Some(name) = positional.first().and_then(|n| image_name(n)) {
                    self.make(images, name);
                }
            }
            "tag" => {
                if let Some(name) = positional.get(1).and_then(|n| image_name(n)) {
                    self.make(images, name);
                }
            }
            "commit" | "import" => {
                let values = value_positions(rest, &["-m", "--message", "-a", "--author", "-c"]);
                if let Some(name) = values.get(1).and_then(|n| image_name(n)) {
                    self.make(images, name);
                }
            }
            "build" => {
                for name in flag_values(rest, &["-t", "--tag"]) {
                    if let Some(name) = image_name(&name) {
                        self.make(images, name);
                    }
                }
            }
            "save" => {
                let file = flag_values(rest, &["-o", "--output"]).pop();
                let tags = value_positions(rest, &["-o", "--output"]);
                if let Some(file) = file {
                    let tags = tags.iter().filter_map(|t| image_name(t)).collect();
                    self.saved.push((file, tags));
                }
            }
            "load" => {
                let files = flag_values(rest, &["-i", "--input"]);
                let found = self
                    .saved
                    .iter()
                    .rev()
                    .find(|(f, _)| files.contains(f))
                    .map(|(_, tags)| tags.clone());
                for tag in found.unwrap_or_default() {
                    self.make(images, tag);
                }
            }
            "volume" | "network" => {
                let pick = if cmd == "volume" { volumes } else { networks };
                match positional.split_first() {
                    Some((sub, names)) if sub.as_str() == "create" => {
                        if let Some(n) = names.last() {
                            self.make(pick, (*n).clone());
                        }
                    }
                    Some((sub, names)) if matches!(sub.as_str(), "rm" | "remove") => {
                        for n in names {
                            self.remove(pick, (*n).clone());
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// `run`/`create`: the name (unless `--rm` takes it away again), named volumes, networks.
    fn run(&mut self, args: &[String]) {
        let mut i = 0;
        let mut name = None;
        let mut rm = false;
        while i < args.len() {
            let (flag, glued) = match args[i].split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (args[i].clone(), None),
            };
            if !flag.starts_with('-') {
                break;
            }
            if flag == "--rm" {
                rm = true;
            }
            if !RUN_VALUE_FLAGS.contains(&flag.as_str()) {
                i += 1;
                continue;
            }
            let value = match glued {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i).cloned().unwrap_or_default()
                }
            };
            match flag.as_str() {
                "--name" => name = Some(value),
                "-v" | "--volume" => {
                    // `NAME:/path`: a named volume; a source with `/`, `.`, `~` or `$` is a folder.
                    if let Some((src, _)) = value.split_once(':')
                        && !src.is_empty()
                        && !src.starts_with(['/', '.', '~', '$'])
                    {
                        self.make(Kind::Volumes, src.to_string());
                    }
                }
                "--network" | "--net" if !matches!(value.as_str(), "bridge" | "host" | "none") => {
                    self.make(Kind::Networks, value);
                }
                _ => {}
            }
            i += 1;
        }
        if let Some(name) = name
            && !rm
        {
            self.make(Kind::Containers, name);
        }
    }
}

/// The values of these flags (`-t x`, `--tag=x`).
fn flag_values(args: &[String], flags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if flags.contains(&a.as_str()) {
            out.extend(it.next().cloned());
        } else if let Some((f, v)) = a.split_once('=')
            && flags.contains(&f)
        {
            out.push(v.to_string());
        }
    }
    out
}

/// The positional words, the values of these flags skipped.
fn value_positions(args: &[String], value_flags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if value_flags.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            out.push(a.clone());
        }
    }
    out
}

/// A shell line as commands of words: quotes removed, split at `;`, `&&`, `||` and `|`.
/// Enough for the lessons' `docker` lines; what it cannot read it reads as words.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cmd: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    let end_word = |cmd: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            cmd.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (None, ';' | '&' | '|') => {
                end_word(&mut cmd, &mut word, &mut in_word);
                if !cmd.is_empty() {
                    out.push(std::mem::take(&mut cmd));
                }
                if chars.peek() == Some(&c) {
                    chars.next();
                }
            }
            (None, '#') if !in_word => break,
            (None, c) if c.is_whitespace() => end_word(&mut cmd, &mut word, &mut in_word),
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    end_word(&mut cmd, &mut word, &mut in_word);
    if !cmd.is_empty() {
        out.push(cmd);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(lines: &[&str]) -> Effect {
        let mut e = Effect::default();
        for l in lines {
            e.read(l);
        }
        e
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shell_lines_split_into_commands_of_words() {
        assert_eq!(
            commands(r#"docker exec db redis-cli set a "b c"; docker rm -f db && echo 'x;y'"#),
            vec![
                vec!["docker", "exec", "db", "redis-cli", "set", "a", "b c"],
                vec!["docker", "rm", "-f", "db"],
                vec!["echo", "x;y"],
            ]
        );
    }

    #[test]
    fn what_commands_make_and_remove_in_order() {
        let e = effect(&[
            "docker pull debian:12",
            "docker tag debian:12 my-debian:v1",
            "docker run -d --name db -v redis-data:/data --network=app-net redis",
            "docker run --rm --name gone busybox true",
            "docker run -d --name web -v \"$PWD/site\":/usr/share/nginx/html:ro nginx",
            "docker commit -m \"add greeting\" tinker greeting",
            "docker build -t hello-app .",
            "docker rm -f web",
            "docker container rm db",
            "docker network create net2",
            "docker volume rm redis-data",
        ]);
        assert_eq!(e.made.containers, set(&[]));
        assert_eq!(
            e.made.images,
            set(&[
                "debian:12",
                "my-debian:v1",
                "greeting:latest",
                "hello-app:latest"
            ])
        );
        assert_eq!(e.made.volumes, set(&[]));
        assert_eq!(e.made.networks, set(&["app-net", "net2"]));
        assert_eq!(e.removed.containers, set(&["db", "web"]));
        assert_eq!(e.removed.volumes, set(&["redis-data"]));
    }

    #[test]
    fn a_load_brings_back_what_was_saved_to_that_file() {
        let e = effect(&[
            "docker save -o whale-note.tar whale-note:1.0",
            "docker rmi whale-note:1.0",
            "cd ~/whale-note && docker load -i whale-note.tar",
        ]);
        assert_eq!(e.made.images, set(&["whale-note:1.0"]));
    }

    fn lesson(id: &str) -> Lesson {
        let dir = crate::course::default_lessons_dir();
        crate::course::load_course(&dir, crate::i18n::Lang::En)
            .into_iter()
            .flatten()
            .find(|l| l.id.starts_with(id))
            .expect("the lesson exists")
    }

    #[test]
    fn lesson_07_names_its_containers_volume_and_network_and_no_image_of_others() {
        let names = lesson_names(&lesson("07"));
        assert_eq!(names.containers, set(&["cache", "db", "mypage", "web"]));
        assert_eq!(names.volumes, set(&["redis-data"]));
        assert_eq!(names.networks, set(&["app-net"]));
        assert!(!names.images.contains("hello-app:latest"), "{names:?}");
    }

    #[test]
    fn a_step_needs_what_the_earlier_steps_left() {
        let l = lesson("02");
        let tag = l
            .steps
            .iter()
            .position(|s| s.solution.iter().any(|c| c.contains("docker tag")))
            .expect("lesson 02 tags an image");
        assert!(made_before(&l, tag).images.contains("debian:12"));
        assert!(made_before(&l, 0).is_empty());
    }
}
