//! Predicates: the conditions a step's `check`, `any` and `avoid` are made of (lessons/FORMAT.md,
//! "Predicates"), parsed from TOML inline tables and validated at load time so a typo in a
//! lesson is an error with a line number, never a check that silently cannot pass.

use serde::de::{Deserialize, Deserializer, Error as _};

use crate::engine::{Action, EventType};
use crate::i18n::t;

/// An image reference as a lesson names it, normalised the way the store tags images
/// (`busybox` → `busybox:latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub repo: String,
    pub tag: String,
    /// The lesson wrote a tag (`debian:12`) rather than relying on `latest`.
    pub explicit_tag: bool,
}

impl ImageRef {
    /// Parse `name[:tag]` with Docker's reference grammar (lowercase path components, optional
    /// registry host with port, tag of at most 128 word characters, dots and dashes).
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        let bad = || t("course.err.image_ref", &[("ref", s)]);
        if s.is_empty() || s.contains('@') {
            return Err(bad());
        }
        let slash = s.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (repo, tag) = match s[slash..].rfind(':') {
            Some(i) => (&s[..slash + i], Some(&s[slash + i + 1..])),
            None => (s, None),
        };
        if let Some(tag) = tag {
            let mut chars = tag.chars();
            let first_ok = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !first_ok || !rest_ok || tag.len() > 128 {
                return Err(bad());
            }
        }
        let parts: Vec<&str> = repo.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let is_host = i == 0
                && parts.len() > 1
                && (part.contains('.') || part.contains(':') || *part == "localhost");
            let ok = if is_host {
                valid_host(part)
            } else {
                valid_path_component(part)
            };
            if !ok {
                return Err(bad());
            }
        }
        Ok(ImageRef {
            repo: repo.to_string(),
            tag: tag.unwrap_or("latest").to_string(),
            explicit_tag: tag.is_some(),
        })
    }

    /// `name:tag`, as the snapshot stores tags.
    pub fn full(&self) -> String {
        format!("{}:{}", self.repo, self.tag)
    }

    /// Whether `other` names this image: same repository, and the same tag when this
    /// reference wrote one (so `debian` accepts `debian:12`, `debian:12` does not accept `debian`).
    pub fn accepts(&self, other: &ImageRef) -> bool {
        self.repo == other.repo && (!self.explicit_tag || self.tag == other.tag)
    }
}

fn valid_host(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// A signal as `docker kill -s` takes it: `KILL`, `SIGKILL` or `9`.
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    Some(match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "KILL" => 9,
        "USR1" => 10,
        "USR2" => 12,
        "TERM" => 15,
        "STOP" => 19,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Exited,
}

impl ContainerState {
    /// The snapshot's state string.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Exited => "exited",
        }
    }
}

/// The fields of `container` / `no_container`; each given field must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerMatch {
    pub image: Option<ImageRef>,
    pub name: Option<String>,
    pub state: Option<ContainerState>,
    pub exit_code: Option<i32>,
    pub tty: Option<bool>,
    /// At least this many containers match (default 1).
    pub count_at_least: Option<u32>,
    /// Started with `--rm`.
    pub rm: Option<bool>,
    pub detached: Option<bool>,
    /// Started with `-i`.
    pub interactive: Option<bool>,
    /// Its process's argv begins with these words (compared as `process` compares them).
    pub command: Option<Vec<String>>,
}

/// Which process of a container: its main one (`run`/`start`) or one started by `exec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Run,
    Exec,
}

/// `{ process = ["redis-cli", "ping"], name = "my-redis", image = "redis", exit_code = 0, via = "exec" }`:
/// a process whose argv begins with `words` ended, since the step began, in a container
/// matching `name`/`image`, with `exit_code` (default 0).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessMatch {
    pub words: Vec<String>,
    pub name: Option<String>,
    pub image: Option<ImageRef>,
    pub exit_code: i32,
    pub via: Option<Via>,
}

/// Whether a build used the cache: every step from it, none, or some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    All,
    None,
    Some,
}

/// `{ event = "kill", type = "container", name = "toy", image = "debian", signal = "KILL",
/// auto_removed = true, cache = "all" }`: the fields beyond `event` narrow which events count.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMatch {
    pub action: Action,
    pub kind: Option<EventType>,
    /// The container's name (container events).
    pub name: Option<String>,
    /// The container's image (container events) or the image itself (image events).
    pub image: Option<ImageRef>,
    /// `kill`: the signal sent (a number).
    pub signal: Option<i32>,
    /// `destroy`: removed because it ran with `--rm`.
    pub auto_removed: Option<bool>,
    /// `build`: how much came from the cache.
    pub cache: Option<CacheUse>,
}

/// One row of the predicate table in lessons/FORMAT.md.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `{ image = "busybox" }`: that tag exists.
    Image(ImageRef),
    /// `{ image = "my-debian:v1", same_as = "debian:12" }`: both tags exist and name one image.
    SameImage(ImageRef, ImageRef),
    /// `{ no_image = "busybox" }`: that tag does not exist.
    NoImage(ImageRef),
    /// `{ pulled_back = "localhost:5000/app:1.0" }`: since the step began, an image was
    /// deleted from the store, then pulled under this tag with the same ID (the digest of its
    /// config), and the tag names it now: the image came back from the registry unchanged.
    PulledBack(ImageRef),
    /// `{ image_with_file = "/p", not_from = "x" }`: a tagged, non-bundled image (not `x`) has `/p`.
    ImageWithFile {
        path: String,
        not_from: Option<ImageRef>,
    },
    /// `{ image_layers = "x", at_least = 2 }`
    ImageLayers { image: ImageRef, at_least: u32 },
    /// `{ container = { … } }`: a container matching every given field exists.
    Container(ContainerMatch),
    /// `{ no_container = { … } }`: no container matches.
    NoContainer(ContainerMatch),
    /// `{ container_file = "/p", image = "x", name = "c" }`
    ContainerFile {
        path: String,
        image: Option<ImageRef>,
        name: Option<String>,
    },
    /// `{ container_changed = "/p", name = "c" }`
    ContainerChanged { path: String, name: Option<String> },
    /// `{ port = 80, host_port = 8080 }`, or `random_host = true`: a host port the kernel chose.
    Port {
        container_port: u16,
        host_port: Option<u16>,
        random_host: bool,
    },
    /// `{ process = ["ps"], image = "busybox" }`
    Process(ProcessMatch),
    /// `{ ran = ["ps", "-a"] }`
    Ran(Vec<String>),
    /// `{ event = "die", type = "container", … }`
    Event(EventMatch),
    /// `{ no_event = "stop", name = "toy" }`: no such event since the step began.
    NoEvent(EventMatch),
    /// `{ file_in_image = "/p", image = "x" }`
    FileInImage { path: String, image: ImageRef },
    /// `{ log_contains = "text", name = "c" }`
    LogContains { text: String, name: Option<String> },
    /// `{ volume = "redis-data", file = "/dump.rdb" }`: that named volume exists (holding a
    /// file at that path, relative to the volume's root).
    Volume { name: String, file: Option<String> },
    /// `{ no_volume = "redis-data" }`: no volume has that name.
    NoVolume(String),
    /// `{ mount = "/data", volume = "v", type = "bind", readonly = true, file = "/x", name = "c" }`
    Mount(MountMatch),
    /// `{ network = "app-net", member = "cache" }`: that network exists (with that container
    /// connected to it).
    Network {
        name: String,
        member: Option<String>,
    },
    /// `{ http = 8080, path = "/", contains = "hello" }`: an HTTP GET of that path on the host's
    /// loopback port answers 2xx (with a body holding that text).
    Http {
        port: u16,
        path: String,
        contains: Option<String>,
    },
}

/// A mount of a running container: every given field must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountMatch {
    /// The path inside the container.
    pub target: String,
    /// The container's name.
    pub name: Option<String>,
    /// "bind", "volume" or "tmpfs".
    pub kind: Option<String>,
    /// The named volume mounted there (implies `type = "volume"`).
    pub volume: Option<String>,
    pub readonly: Option<bool>,
    /// A file the mount's source holds, relative to the mount (`/index.html`).
    pub file: Option<String>,
}

/// Predicate kinds, each with the extra keys it accepts and whether those are required.
const EVENT_FIELDS: &[(&str, bool)] = &[
    ("type", false),
    ("name", false),
    ("image", false),
    ("signal", false),
    ("auto_removed", false),
    ("cache", false),
];

const KINDS: &[(&str, &[(&str, bool)])] = &[
    ("image", &[("same_as", false)]),
    ("no_image", &[]),
    ("pulled_back", &[]),
    ("image_with_file", &[("not_from", false)]),
    ("image_layers", &[("at_least", true)]),
    ("container", &[]),
    ("no_container", &[]),
    ("container_file", &[("image", false), ("name", false)]),
    ("container_changed", &[("name", false)]),
    ("port", &[("host_port", false), ("random_host", false)]),
    (
        "process",
        &[
            ("name", false),
            ("image", false),
            ("exit_code", false),
            ("via", false),
        ],
    ),
    ("ran", &[]),
    ("event", EVENT_FIELDS),
    ("no_event", EVENT_FIELDS),
    ("file_in_image", &[("image", true)]),
    ("log_contains", &[("name", false)]),
    ("http", &[("path", false), ("contains", false)]),
    ("volume", &[("file", false)]),
    ("no_volume", &[]),
    (
        "mount",
        &[
            ("name", false),
            ("type", false),
            ("volume", false),
            ("readonly", false),
            ("file", false),
        ],
    ),
    ("network", &[("member", false)]),
];

const CONTAINER_FIELDS: &[&str] = &[
    "image",
    "name",
    "state",
    "exit_code",
    "tty",
    "count_at_least",
    "rm",
    "detached",
    "interactive",
    "command",
];

/// `a, b, c` from names.
fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The valid predicate kinds, for messages.
pub fn kind_names() -> String {
    KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(d)?;
        Predicate::from_table(&table).map_err(D::Error::custom)
    }
}

impl Predicate {
    /// Build a predicate from its TOML table; the error is a message for the lesson author.
    pub fn from_table(table: &toml::Table) -> Result<Predicate, String> {
        let present: Vec<&str> = KINDS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| table.contains_key(*k))
            .collect();
        // `image` is both a kind and a modifier of `container_file` / `file_in_image`.
        let kind = match present.as_slice() {
            [] => {
                let first = table.keys().next().map(String::as_str).unwrap_or("");
                return Err(if first.is_empty() {
                    t("course.err.pred_empty", &[("valid", &kind_names())])
                } else {
                    t(
                        "course.err.pred_unknown",
                        &[("kind", first), ("valid", &kind_names())],
                    )
                });
            }
            [one] => *one,
            [a, b]
                if *a == "image"
                    && matches!(
                        *b,
                        "container_file" | "file_in_image" | "process" | "event" | "no_event"
                    ) =>
            {
                *b
            }
            // `volume` is both a kind and the volume a `mount` is of.
            [a, b] if *a == "volume" && *b == "mount" => *b,
            many => {
                return Err(t("course.err.pred_several", &[("kinds", &many.join(", "))]));
            }
        };
        let extras: &[(&str, bool)] = KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, e)| *e)
            .unwrap_or(&[]);
        for key in table.keys() {
            if key != kind && !extras.iter().any(|(e, _)| e == key) {
                let mut allowed = vec![kind];
                allowed.extend(extras.iter().map(|(e, _)| *e));
                return Err(t(
                    "course.err.pred_key",
                    &[
                        ("key", key),
                        ("kind", kind),
                        ("allowed", &allowed.join(", ")),
                    ],
                ));
            }
        }
        for (extra, required) in extras {
            if *required && !table.contains_key(*extra) {
                return Err(t(
                    "course.err.pred_missing",
                    &[("key", extra), ("kind", kind)],
                ));
            }
        }
        let f = Fields { table, kind };
        Ok(match kind {
            "image" => match f.opt_image("same_as")? {
                Some(other) => Predicate::SameImage(f.image(kind)?, other),
                None => Predicate::Image(f.image(kind)?),
            },
            "no_image" => Predicate::NoImage(f.image(kind)?),
            "pulled_back" => Predicate::PulledBack(f.image(kind)?),
            "image_with_file" => Predicate::ImageWithFile {
                path: f.path(kind)?,
                not_from: f.opt_image("not_from")?,
            },
            "image_layers" => Predicate::ImageLayers {
                image: f.image(kind)?,
                at_least: f.int("at_least", 1, u32::MAX as i64)? as u32,
            },
            "container" => Predicate::Container(f.container()?),
            "no_container" => Predicate::NoContainer(f.container()?),
            "container_file" => Predicate::ContainerFile {
                path: f.path(kind)?,
                image: f.opt_image("image")?,
                name: f.opt_nonempty("name")?,
            },
            "container_changed" => Predicate::ContainerChanged {
                path: f.path(kind)?,
                name: f.opt_nonempty("name")?,
            },
            "port" => Predicate::Port {
                container_port: f.int(kind, 1, 65535)? as u16,
                host_port: if table.contains_key("host_port") {
                    Some(f.int("host_port", 1, 65535)? as u16)
                } else {
                    None
                },
                random_host: f.opt_bool("random_host")?.unwrap_or(false),
            },
            "process" => Predicate::Process(ProcessMatch {
                words: f.words(kind)?,
                name: f.opt_nonempty("name")?,
                image: f.opt_image("image")?,
                exit_code: if table.contains_key("exit_code") {
                    f.int("exit_code", 0, 255)? as i32
                } else {
                    0
                },
                via: match table.get("via") {
                    None => None,
                    Some(_) => Some(match f.string("via")?.as_str() {
                        "run" => Via::Run,
                        "exec" => Via::Exec,
                        _ => return Err(f.bad("via", "run, exec")),
                    }),
                },
            }),
            "ran" => Predicate::Ran(f.words(kind)?),
            "event" => Predicate::Event(f.event()?),
            "no_event" => Predicate::NoEvent(f.event()?),
            "file_in_image" => Predicate::FileInImage {
                path: f.path(kind)?,
                image: f.image("image")?,
            },
            "log_contains" => Predicate::LogContains {
                text: f.nonempty(kind)?,
                name: match table.get("name") {
                    None => None,
                    Some(_) => Some(f.nonempty("name")?),
                },
            },
            "volume" => Predicate::Volume {
                name: f.nonempty(kind)?,
                file: f.opt_path("file")?,
            },
            "no_volume" => Predicate::NoVolume(f.nonempty(kind)?),
            "mount" => Predicate::Mount(MountMatch {
                target: f.path(kind)?,
                name: f.opt_nonempty("name")?,
                kind: match table.get("type") {
                    None => None,
                    Some(_) => match f.string("type")?.as_str() {
                        k @ ("bind" | "volume" | "tmpfs") => Some(k.to_string()),
                        _ => return Err(f.bad("type", "bind, volume, tmpfs")),
                    },
                },
                volume: f.opt_nonempty("volume")?,
                readonly: f.opt_bool("readonly")?,
                file: f.opt_path("file")?,
            }),
            "http" => Predicate::Http {
                port: f.int(kind, 1, 65535)? as u16,
                // Kept as written: for a web server `/docs` and `/docs/` are different requests.
                path: match table.get("path") {
                    None => "/".into(),
                    Some(_) => {
                        let p = f.string("path")?;
                        if !p.starts_with('/') {
                            return Err(f.bad("path", &t("course.expect.abs_path", &[])));
                        }
                        p
                    }
                },
                contains: f.opt_nonempty("contains")?,
            },
            "network" => Predicate::Network {
                name: f.nonempty(kind)?,
                member: f.opt_nonempty("member")?,
            },
            _ => unreachable_kind(kind)?,
        })
    }
}

// KINDS and the match above list the same names; this keeps a mismatch an error, not a panic.
fn unreachable_kind(kind: &str) -> Result<Predicate, String> {
    Err(t(
        "course.err.pred_unknown",
        &[("kind", kind), ("valid", &kind_names())],
    ))
}

struct Fields<'a> {
    table: &'a toml::Table,
    kind: &'a str,
}

impl Fields<'_> {
    /// `{ event = "die", type = "container" }`: only a type and an action the engine emits
    /// (a misspelt `strat` would otherwise wait forever).
    fn event(&self) -> Result<EventMatch, String> {
        let kind = match self.table.get("type") {
            None => None,
            Some(_) => {
                let ty = self.string("type")?;
                match EventType::known(&ty) {
                    Some(k) => Some(k),
                    None => {
                        return Err(t(
                            "course.err.event_type",
                            &[("type", &ty), ("valid", &names(EventType::ALL))],
                        ));
                    }
                }
            }
        };
        let text = self.nonempty(self.kind)?;
        let action = Action::from(text.as_str());
        match &kind {
            Some(k) if !k.emits(&action) => Err(t(
                "course.err.event_type_action",
                &[
                    ("action", &text),
                    ("type", k.as_str()),
                    ("valid", &names(k.actions())),
                ],
            )),
            None if !EventType::ALL.iter().any(|k| k.emits(&action)) => Err(t(
                "course.err.event_action",
                &[("action", &text), ("valid", &names(Action::ALL))],
            )),
            _ => self.event_fields(action, kind),
        }
    }

    /// The narrowing fields of `event` / `no_event`; each only where its action has it.
    fn event_fields(&self, action: Action, kind: Option<EventType>) -> Result<EventMatch, String> {
        let only_for = |key: &str, want: Action| -> Result<(), String> {
            if self.table.contains_key(key) && action != want {
                return Err(t(
                    "course.err.pred_only_for",
                    &[("key", key), ("kind", self.kind), ("action", want.as_str())],
                ));
            }
            Ok(())
        };
        only_for("signal", Action::Kill)?;
        only_for("auto_removed", Action::Destroy)?;
        only_for("cache", Action::Build)?;
        let signal = match self.table.get("signal") {
            None => None,
            Some(_) => {
                let s = self.string("signal")?;
                Some(
                    signal_number(&s)
                        .ok_or_else(|| self.bad("signal", "KILL, TERM, INT, HUP, QUIT, 9, 15…"))?,
                )
            }
        };
        let cache = match self.table.get("cache") {
            None => None,
            Some(_) => Some(match self.string("cache")?.as_str() {
                "all" => CacheUse::All,
                "none" => CacheUse::None,
                "some" => CacheUse::Some,
                _ => return Err(self.bad("cache", "all, none, some")),
            }),
        };
        Ok(EventMatch {
            action,
            kind,
            name: self.opt_nonempty("name")?,
            image: self.opt_image("image")?,
            signal,
            auto_removed: self.opt_bool("auto_removed")?,
            cache,
        })
    }

    fn opt_nonempty(&self, key: &str) -> Result<Option<String>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(_) => self.nonempty(key).map(Some),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.bad(key, "true, false")),
        }
    }

    fn bad(&self, key: &str, expected: &str) -> String {
        t(
            "course.err.pred_value",
            &[("key", key), ("kind", self.kind), ("expected", expected)],
        )
    }

    fn string(&self, key: &str) -> Result<String, String> {
        match self.table.get(key) {
            Some(toml::Value::String(s)) => Ok(s.clone()),
            _ => Err(self.bad(key, &t("course.expect.string", &[]))),
        }
    }

    fn nonempty(&self, key: &str) -> Result<String, String> {
        let s = self.string(key)?;
        if s.trim().is_empty() {
            return Err(self.bad(key, &t("course.expect.nonempty", &[])));
        }
        Ok(s)
    }

    fn path(&self, key: &str) -> Result<String, String> {
        let s = self.string(key)?;
        if !s.starts_with('/') {
            return Err(self.bad(key, &t("course.expect.abs_path", &[])));
        }
        // The store reports `/etc/`, `/etc` alike as `/etc`.
        let trimmed = s.trim_end_matches('/');
        Ok(if trimmed.is_empty() {
            "/".into()
        } else {
            trimmed.into()
        })
    }

    fn opt_path(&self, key: &str) -> Result<Option<String>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(_) => self.path(key).map(Some),
        }
    }

    fn image(&self, key: &str) -> Result<ImageRef, String> {
        ImageRef::parse(&self.string(key)?)
    }

    fn opt_image(&self, key: &str) -> Result<Option<ImageRef>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(_) => self.image(key).map(Some),
        }
    }

    fn int(&self, key: &str, min: i64, max: i64) -> Result<i64, String> {
        match self.table.get(key) {
            Some(toml::Value::Integer(n)) if (min..=max).contains(n) => Ok(*n),
            _ => Err(self.bad(
                key,
                &t(
                    "course.expect.int",
                    &[("min", &min.to_string()), ("max", &max.to_string())],
                ),
            )),
        }
    }

    fn words(&self, key: &str) -> Result<Vec<String>, String> {
        let bad = || self.bad(key, &t("course.expect.words", &[]));
        let Some(toml::Value::Array(items)) = self.table.get(key) else {
            return Err(bad());
        };
        let words: Vec<String> = items
            .iter()
            .map(|v| match v {
                toml::Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()?;
        if words.is_empty() {
            return Err(bad());
        }
        Ok(words)
    }

    fn container(&self) -> Result<ContainerMatch, String> {
        let Some(toml::Value::Table(fields)) = self.table.get(self.kind) else {
            return Err(self.bad(self.kind, &t("course.expect.table", &[])));
        };
        let inner = Fields {
            table: fields,
            kind: self.kind,
        };
        for key in fields.keys() {
            if !CONTAINER_FIELDS.contains(&key.as_str()) {
                return Err(t(
                    "course.err.pred_key",
                    &[
                        ("key", key),
                        ("kind", self.kind),
                        ("allowed", &CONTAINER_FIELDS.join(", ")),
                    ],
                ));
            }
        }
        let has = |k: &str| fields.contains_key(k);
        let boolean = |k: &str| match fields.get(k) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(inner.bad(k, "true, false")),
        };
        Ok(ContainerMatch {
            image: inner.opt_image("image")?,
            name: if has("name") {
                Some(inner.nonempty("name")?)
            } else {
                None
            },
            state: if has("state") {
                Some(match inner.string("state")?.as_str() {
                    "created" => ContainerState::Created,
                    "running" => ContainerState::Running,
                    "exited" => ContainerState::Exited,
                    _ => return Err(inner.bad("state", "created, running, exited")),
                })
            } else {
                None
            },
            exit_code: if has("exit_code") {
                Some(inner.int("exit_code", -1, 255)? as i32)
            } else {
                None
            },
            tty: boolean("tty")?,
            count_at_least: if has("count_at_least") {
                Some(inner.int("count_at_least", 1, u32::MAX as i64)? as u32)
            } else {
                None
            },
            rm: boolean("rm")?,
            detached: boolean("detached")?,
            interactive: boolean("interactive")?,
            command: if has("command") {
                Some(inner.words("command")?)
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests;
