//! Container records: `containers/<id>/container.json`, ids, Docker-style names, lookup, and
//! reconciliation of records whose monitor died.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::store::{read_json, replace_json};
use super::{Action, EngineError, Event, EventType, Result, Store};

/// How to run the container's process; fixed at create time.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RunConfig {
    /// The full argv: entrypoint followed by cmd.
    pub argv: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub hostname: String,
    pub user: String,
    pub tty: bool,
    pub stdin_open: bool,
    pub auto_remove: bool,
    pub detached: bool,
    #[serde(default)]
    pub ports: Vec<PortBinding>,
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Binds, volumes and tmpfs mounts, in the order given (image VOLUMEs last).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<crate::volume::MountSpec>,
    /// `--network`: `bridge`, a network's name, `host`, `none` (empty: a record from before
    /// networks, loopback only).
    #[serde(default)]
    pub network_mode: String,
    /// The networks it is connected to, by name (see `net::endpoint`).
    #[serde(default)]
    pub networks: std::collections::BTreeMap<String, crate::net::EndpointConfig>,
    /// `--stop-signal` (empty: the image's, else SIGTERM).
    #[serde(default)]
    pub stop_signal: String,
    /// `--memory`, `--pids-limit`, `--cpus`.
    #[serde(default)]
    pub resources: Resources,
    /// `--restart` (`restart`: what the monitor does when the process exits).
    #[serde(default)]
    pub restart_policy: crate::restart::RestartPolicy,
    /// The health check: `--health-*` over the image's HEALTHCHECK (`health`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<crate::health::HealthConfig>,
    /// `--init` as given (None: not given; Docker's HostConfig.Init is omitted then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
}

/// A container's own limits; None keeps gorae's defaults (`runtime::cgroup`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Resources {
    /// Bytes; Some(0) is no limit (Docker's `--memory 0`).
    pub memory: Option<u64>,
    /// Some(n <= 0) is no limit (Docker's `--pids-limit -1`).
    pub pids_limit: Option<i64>,
    /// CPUs × 10⁹ (Docker's NanoCpus).
    pub nano_cpus: Option<u64>,
}

impl Resources {
    /// The cgroup limits these mean.
    pub fn limits(&self) -> super::runtime::cgroup::Limits {
        use super::runtime::cgroup::{DEFAULT_MEMORY_MAX, DEFAULT_PIDS_MAX, Limits};
        Limits {
            memory: match self.memory {
                None => Some(DEFAULT_MEMORY_MAX),
                Some(0) => None,
                Some(m) => Some(m),
            },
            pids: match self.pids_limit {
                None => Some(DEFAULT_PIDS_MAX),
                Some(n) if n <= 0 => None,
                Some(n) => Some(n as u64),
            },
            nano_cpus: self.nano_cpus,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RunState {
    /// "created", "running", "exited"; "restarting" while its monitor waits out a restart
    /// policy's back-off (no process then: pid 0).
    pub status: String,
    pub pid: i32,
    pub monitor_pid: i32,
    /// Start time of the monitor (field 22 of /proc/<pid>/stat) to tell it from a reused pid.
    pub monitor_start: u64,
    pub exit_code: Option<i32>,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub restart_count: u32,
    #[serde(default)]
    pub oom_killed: bool,
    /// A stop/kill asked for by the user (so `Exited (137)` is expected).
    #[serde(default)]
    pub stopped_by_user: bool,
    /// Its addresses while it runs, by network name.
    #[serde(default)]
    pub networks: std::collections::BTreeMap<String, crate::net::EndpointSettings>,
    /// Frozen by `docker pause` (meaningful only while running; cleared at the next start).
    #[serde(default)]
    pub paused: bool,
    /// Its health check's status and last results (`health`), once it has run with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::health::Health>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Container {
    pub id: String,
    pub name: String,
    /// The image as the user named it.
    pub image: String,
    pub image_id: String,
    /// RFC 3339.
    pub created: String,
    pub config: RunConfig,
    pub state: RunState,
}

/// Whether a record's bytes could be a running or restarting container's: its status is one
/// of those JSON strings, which appear in it verbatim (nothing in them is escaped).
fn may_be_live(record: &[u8]) -> bool {
    has_bytes(record, b"\"running\"") || has_bytes(record, b"\"restarting\"")
}

fn has_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A full container ID: 64 hex digits.
pub fn is_full_id(id: &str) -> bool {
    id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit())
}

pub fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

impl Container {
    pub fn short_id(&self) -> String {
        short_id(&self.id)
    }
    pub fn is_running(&self) -> bool {
        self.state.status == "running"
    }
    /// Between two runs of a restart policy: its monitor lives, its process does not.
    pub fn is_restarting(&self) -> bool {
        self.state.status == "restarting"
    }
    /// Running, with its processes frozen (`docker pause`).
    pub fn is_paused(&self) -> bool {
        self.is_running() && self.state.paused
    }
    /// Docker's State.Status: "paused" for a paused container, else the recorded status.
    pub fn state_name(&self) -> &str {
        if self.is_paused() {
            "paused"
        } else {
            &self.state.status
        }
    }
    pub fn created_millis(&self) -> u64 {
        super::time::parse_time_millis(&self.created)
    }
}

impl Event {
    /// A `container` event naming the container, as most container events do.
    pub fn container(action: Action, c: &Container) -> Event {
        Event::new(EventType::Container, action)
            .id(&c.id)
            .name(&c.name)
            .image(&c.image)
    }

    /// The `create` event, with what the course judge needs to know of a container that may
    /// be gone by the time it looks (`run --rm`): its image ID and its process's argv, in
    /// attributes `docker events` does not show (`events::PRIVATE_ATTR`).
    pub fn container_created(c: &Container) -> Event {
        Event::container(Action::Create, c)
            .attr("gorae.imageID", c.image_id.clone())
            .attr(
                "gorae.cmd",
                serde_json::to_string(&c.config.argv).unwrap_or_default(),
            )
    }
}

/// Start time of a process (jiffies since boot), or None when it does not exist.
pub fn process_start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    // Ours never changes and is asked for on every record update and staging path (kept
    // with our pid: a forked child has its own).
    static OURS: std::sync::OnceLock<(i32, Option<u64>)> = std::sync::OnceLock::new();
    let me = std::process::id() as i32;
    if pid == me {
        let (cached_for, start) = *OURS.get_or_init(|| (me, read_start_time(me)));
        if cached_for == me {
            return start;
        }
    }
    read_start_time(pid)
}

fn read_start_time(pid: i32) -> Option<u64> {
    // One read: the line is a few hundred bytes (read_to_string would grow its buffer from
    // 32 bytes, a read call per doubling, since /proc files have no size).
    let mut buf = [0u8; 1024];
    let mut f = fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let n = std::io::Read::read(&mut f, &mut buf).ok()?;
    let stat = std::str::from_utf8(&buf[..n]).ok()?;
    // The command name may contain spaces and parens: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); starttime is field 22.
    let state = fields.first()?;
    if *state == "Z" || *state == "X" {
        return None;
    }
    fields.get(19)?.parse().ok()
}

impl Store {
    pub fn container_record_path(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("container.json")
    }

    pub fn load_container(&self, id: &str) -> Result<Container> {
        read_json(&self.container_record_path(id))
    }

    pub fn save_container(&self, c: &Container) -> Result<()> {
        replace_json(&self.container_record_path(&c.id), c)
    }

    /// Read-modify-write a record under the store lock.
    pub fn update_container(&self, id: &str, f: impl FnOnce(&mut Container)) -> Result<Container> {
        let _lock = self.lock()?;
        let mut c = self.load_container(id)?;
        f(&mut c);
        self.save_container(&c)?;
        Ok(c)
    }

    /// All containers, newest first. Dirs without a readable record (a create killed half way)
    /// are skipped here and removed by `reconcile`.
    pub fn containers(&self) -> Result<Vec<Container>> {
        let dir = self.containers_dir();
        let mut out = Vec::new();
        let rd = fs::read_dir(&dir).map_err(|e| EngineError::io(&dir, e))?;
        for e in rd.flatten() {
            let id = e.file_name().to_string_lossy().to_string();
            if let Ok(c) = self.load_container(&id) {
                out.push(c);
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Find a container by full name, full ID, or unique ID prefix (Docker's order).
    pub fn resolve_container(&self, key: &str) -> Result<Container> {
        let key_name = key.strip_prefix('/').unwrap_or(key);
        let all = self.containers()?;
        if let Some(c) = all.iter().find(|c| c.id == key) {
            return Ok(c.clone());
        }
        if let Some(c) = all.iter().find(|c| c.name == key_name) {
            return Ok(c.clone());
        }
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_hexdigit()) {
            let m: Vec<&Container> = all.iter().filter(|c| c.id.starts_with(key)).collect();
            if m.len() == 1 {
                return Ok(m[0].clone());
            }
            if m.len() > 1 {
                return Err(EngineError::Conflict(format!(
                    "multiple IDs found with provided prefix: {key}"
                )));
            }
        }
        Err(EngineError::NoSuchContainer(key.to_string()))
    }

    /// Create a record (and its dir) with a fresh ID (or `c.id`, chosen by the caller, e.g.
    /// `Store::spawn_monitor`'s); the name must be free.
    /// Call with the store lock held so the name check and the write are one step.
    pub fn create_container_record(&self, mut c: Container) -> Result<Container> {
        let existing = self.containers()?;
        if c.name.is_empty() {
            loop {
                let name = generate_name();
                if !existing.iter().any(|e| e.name == name) {
                    c.name = name;
                    break;
                }
            }
        } else {
            validate_name(&c.name)?;
            if let Some(other) = existing.iter().find(|e| e.name == c.name) {
                return Err(EngineError::NameInUse {
                    name: c.name.clone(),
                    id: other.id.clone(),
                });
            }
        }
        if c.id.is_empty() {
            c.id = super::random_hex(32);
        } else if !is_full_id(&c.id) || self.container_dir(&c.id).exists() {
            return Err(EngineError::Conflict(format!(
                "container ID {} is not a new one",
                c.id
            )));
        }
        if c.config.hostname.is_empty() {
            c.config.hostname = c.short_id();
        }
        c.created = super::time::rfc3339_now();
        c.state.status = "created".into();
        let dir = self.container_dir(&c.id);
        for sub in ["upper", "work", "rootfs"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| EngineError::io(dir.join(sub), e))?;
        }
        self.save_container(&c)?;
        Ok(c)
    }

    /// Remove a container's dir and record; emits `destroy`.
    pub fn destroy_container(&self, c: &Container) -> Result<()> {
        if let Some(trash) = self.unlist_container(c)? {
            super::archive::remove_tree(&trash);
        }
        // A monitor killed before its container ran (the record still `created`, which
        // reconcile leaves be) made its cgroups already: they go with the container.
        super::runtime::cgroup::kill_leftovers(&c.id);
        Ok(())
    }

    /// [`Store::destroy_container`] but for the tree's removal: the container is gone from
    /// the store (its dir renamed into `tmp/`, the `destroy` emitted, `--rm`'s anonymous
    /// volumes removed), and the renamed dir is returned for the caller to remove when it
    /// suits (a killed caller's is removed by `reconcile`, as any staging).
    pub fn unlist_container(&self, c: &Container) -> Result<Option<PathBuf>> {
        let dir = self.container_dir(&c.id);
        // Rename first so a crash mid-delete never leaves a half record that looks valid.
        let trash = self.tmp_path("rm");
        let left = match fs::rename(&dir, &trash) {
            Ok(()) => Some(trash),
            // Another command (the monitor of a --rm container, a second `rm`) got there first
            // and emitted the `destroy`.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => {
                super::archive::remove_tree(&dir);
                None
            }
        };
        let mut ev = Event::container(Action::Destroy, c);
        if c.config.auto_remove {
            ev = ev.attr("gorae.autoRemove", "true");
        }
        self.emit(ev);
        // `run --rm` takes the anonymous volumes with it, as Docker's does.
        if c.config.auto_remove {
            self.remove_anonymous_volumes(c);
        }
        Ok(left)
    }

    /// Bring records in line with reality: a `running` container whose monitor is gone is
    /// `exited`; half-created dirs and stale staging files are removed.
    pub fn reconcile(&self) -> Result<()> {
        let Ok(rd) = fs::read_dir(self.containers_dir()) else {
            return Ok(());
        };
        let mut builds = Vec::new();
        for e in rd.flatten() {
            let id = e.file_name().to_string_lossy().to_string();
            let record = self.container_record_path(&id);
            if !record.exists() {
                // A create killed before its record was written; old enough to be abandoned.
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|d| d.as_secs() > 30);
                if old {
                    super::archive::remove_tree(&e.path());
                    // Cgroups its monitor made meanwhile (it was killed too) go with it: no
                    // record will name them.
                    if is_full_id(&id) {
                        super::runtime::cgroup::kill_leftovers(&id);
                    }
                }
                continue;
            }
            // Most records are of stopped containers (a learner keeps dozens), and every
            // command reconciles: only a record that can say running or restarting is parsed.
            // Build containers are looked at after this loop, as it may change them.
            let Ok(raw) = fs::read(&record) else {
                continue;
            };
            let build = has_bytes(&raw, crate::build::BUILD_LABEL.as_bytes());
            if !may_be_live(&raw) && !build {
                continue;
            }
            let Ok(c) = serde_json::from_slice::<Container>(&raw) else {
                continue;
            };
            if build {
                builds.push(id.clone());
            }
            if !(c.is_running() || c.is_restarting()) {
                continue;
            }
            let alive = process_start_time(c.state.monitor_pid)
                .is_some_and(|t| c.state.monitor_start == 0 || t == c.state.monitor_start);
            if alive {
                continue;
            }
            // The monitor may have recorded the exit itself since we read the record: then the
            // `die` (and the --rm removal) are its, not ours to repeat.
            let mut changed = false;
            let updated = self.update_container(&id, |c| {
                if c.is_running() || c.is_restarting() {
                    c.state.status = "exited".into();
                    c.state.exit_code.get_or_insert(137);
                    c.state.finished_at = super::time::rfc3339_now();
                    c.state.pid = 0;
                    crate::health::on_stop(&mut c.state);
                    changed = true;
                }
            });
            if let Ok(c) = updated
                && changed
            {
                super::runtime::cgroup::kill_leftovers(&c.id);
                self.emit(
                    Event::container(Action::Die, &c)
                        .attr("exitCode", c.state.exit_code.unwrap_or(137).to_string()),
                );
                if c.config.auto_remove {
                    let _ = self.destroy_container(&c);
                }
            }
        }
        // Build containers of builds that were killed.
        for id in builds {
            if let Ok(c) = self.load_container(&id) {
                self.reconcile_build(c);
            }
        }
        // A network holder that was killed while containers use their networks.
        crate::net::client::reconcile(self);
        // Staging left by killed processes.
        if let Ok(rd) = fs::read_dir(self.tmp_dir()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !staging_owner_alive(&name) {
                    // A container's dir its killed remover had unlisted (`unlist_container`):
                    // the cgroups its monitor had not removed yet go with it.
                    if name.starts_with("rm-")
                        && let Ok(c) =
                            super::store::read_json::<Container>(&e.path().join("container.json"))
                    {
                        super::runtime::cgroup::kill_leftovers(&c.id);
                    }
                    super::archive::remove_tree(&e.path());
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }
}

/// Whether the process that made a staging entry (`Store::tmp_path`'s name) still runs: the
/// same pid with the same start time. Read from the end: the kind may hold a hyphen
/// (`layer-link`), and misreading it would remove a live command's staging under it.
fn staging_owner_alive(name: &str) -> bool {
    let mut parts = name.rsplitn(4, '-').skip(1);
    let start: Option<u64> = parts.next().and_then(|s| s.parse().ok());
    let pid: Option<i32> = parts.next().and_then(|p| p.parse().ok());
    match (pid, start) {
        (Some(pid), Some(start)) => process_start_time(pid) == Some(start),
        _ => false,
    }
}

pub fn validate_name(name: &str) -> Result<()> {
    let ok = name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(EngineError::InvalidName(name.to_string()))
    }
}

const ADJECTIVES: &[&str] = &[
    "admiring",
    "adoring",
    "affectionate",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "beautiful",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "competent",
    "condescending",
    "confident",
    "cool",
    "cranky",
    "crazy",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "eloquent",
    "epic",
    "exciting",
    "fervent",
    "festive",
    "flamboyant",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "great",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "infallible",
    "inspiring",
    "intelligent",
    "interesting",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "mystifying",
    "naughty",
    "nervous",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pedantic",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "quizzical",
    "recursing",
    "relaxed",
    "reverent",
    "romantic",
    "sad",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "stupefied",
    "suspicious",
    "sweet",
    "tender",
    "thirsty",
    "trusting",
    "unruffled",
    "upbeat",
    "vibrant",
    "vigilant",
    "vigorous",
    "wizardly",
    "wonderful",
    "xenodochial",
    "youthful",
    "zealous",
    "zen",
];

const SURNAMES: &[&str] = &[
    "agnesi",
    "albattani",
    "allen",
    "almeida",
    "antonelli",
    "archimedes",
    "ardinghelli",
    "aryabhata",
    "austin",
    "babbage",
    "banach",
    "bardeen",
    "bartik",
    "bassi",
    "beaver",
    "bell",
    "benz",
    "bhabha",
    "bhaskara",
    "black",
    "blackburn",
    "blackwell",
    "bohr",
    "booth",
    "borg",
    "bose",
    "bouman",
    "boyd",
    "brahmagupta",
    "brattain",
    "brown",
    "buck",
    "burnell",
    "cannon",
    "carson",
    "cartwright",
    "carver",
    "cerf",
    "chandrasekhar",
    "chaplygin",
    "chatelet",
    "chatterjee",
    "chaum",
    "chebyshev",
    "clarke",
    "cohen",
    "colden",
    "cori",
    "cray",
    "curie",
    "curran",
    "darwin",
    "davinci",
    "dewdney",
    "dhawan",
    "diffie",
    "dijkstra",
    "dirac",
    "driscoll",
    "dubinsky",
    "easley",
    "edison",
    "einstein",
    "elbakyan",
    "elgamal",
    "elion",
    "ellis",
    "engelbart",
    "euclid",
    "euler",
    "faraday",
    "feistel",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "gagarin",
    "galileo",
    "galois",
    "ganguly",
    "gates",
    "gauss",
    "germain",
    "goldberg",
    "goldstine",
    "goldwasser",
    "golick",
    "goodall",
    "gould",
    "greider",
    "grothendieck",
    "haibt",
    "hamilton",
    "haslett",
    "hawking",
    "heisenberg",
    "hellman",
    "hermann",
    "herschel",
    "hertz",
    "heyrovsky",
    "hodgkin",
    "hofstadter",
    "hoover",
    "hopper",
    "hugle",
    "hypatia",
    "ishizaka",
    "jackson",
    "jang",
    "jemison",
    "jennings",
    "jepsen",
    "johnson",
    "joliot",
    "jones",
    "kalam",
    "kapitsa",
    "kare",
    "keldysh",
    "keller",
    "kepler",
    "khayyam",
    "khorana",
    "kilby",
    "kirch",
    "knuth",
    "kowalevski",
    "lalande",
    "lamarr",
    "lamport",
    "leakey",
    "leavitt",
    "lederberg",
    "lehmann",
    "lewin",
    "lichterman",
    "liskov",
    "lovelace",
    "lumiere",
    "mahavira",
    "margulis",
    "matsumoto",
    "maxwell",
    "mayer",
    "mccarthy",
    "mcclintock",
    "mclaren",
    "mclean",
    "mcnulty",
    "meitner",
    "mendel",
    "mendeleev",
    "meninsky",
    "merkle",
    "mestorf",
    "mirzakhani",
    "montalcini",
    "moore",
    "morse",
    "moser",
    "murdock",
    "napier",
    "nash",
    "neumann",
    "newton",
    "nightingale",
    "nobel",
    "noether",
    "northcutt",
    "noyce",
    "panini",
    "pare",
    "pascal",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "poitras",
    "proskuriakova",
    "ptolemy",
    "raman",
    "ramanujan",
    "rhodes",
    "ride",
    "ritchie",
    "robinson",
    "roentgen",
    "rosalind",
    "rubin",
    "saha",
    "sammet",
    "sanderson",
    "satoshi",
    "shamir",
    "shannon",
    "shaw",
    "shirley",
    "shockley",
    "shtern",
    "sinoussi",
    "snyder",
    "solomon",
    "spence",
    "stonebraker",
    "sutherland",
    "swanson",
    "swartz",
    "swirles",
    "taussig",
    "tesla",
    "tharp",
    "thompson",
    "torvalds",
    "tu",
    "turing",
    "varahamihira",
    "vaughan",
    "villani",
    "visvesvaraya",
    "volhard",
    "wescoff",
    "wilbur",
    "wiles",
    "williams",
    "williamson",
    "wilson",
    "wing",
    "wozniak",
    "wright",
    "wu",
    "yalow",
    "yonath",
    "zhukovsky",
];

/// A Docker-style name: adjective_surname.
pub fn generate_name() -> String {
    let r = super::random_hex(4);
    let n = u32::from_str_radix(&r, 16).unwrap_or(7) as usize;
    let adj = ADJECTIVES[n % ADJECTIVES.len()];
    let sur = SURNAMES[(n / ADJECTIVES.len()) % SURNAMES.len()];
    // Steve Wozniak is not boring (Docker's own rule).
    if adj == "boring" && sur == "wozniak" {
        return generate_name();
    }
    format!("{adj}_{sur}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_records_that_can_be_live_are_parsed_by_reconcile() {
        let mut c = Container {
            name: "not \"running\" at all".into(),
            ..Default::default()
        };
        c.config.labels.insert("note".into(), "exited".into());
        for (status, live) in [
            ("running", true),
            ("restarting", true),
            ("exited", false),
            ("created", false),
        ] {
            c.state.status = status.into();
            // As the store writes it (pretty) and compact: the status is there verbatim.
            let pretty = serde_json::to_vec_pretty(&c).unwrap();
            let compact = serde_json::to_vec(&c).unwrap();
            assert_eq!(may_be_live(&pretty), live, "{status}");
            assert_eq!(may_be_live(&compact), live, "{status}");
        }
    }

    #[test]
    fn staging_belongs_to_the_same_pid_started_at_the_same_time() {
        let pid = std::process::id();
        let start = process_start_time(pid as i32).unwrap();
        assert!(staging_owner_alive(&format!("blob-{pid}-{start}-abc123")));
        // A later process with our pid (reused) is not the owner.
        assert!(!staging_owner_alive(&format!(
            "blob-{pid}-{}-abc123",
            start + 1
        )));
        assert!(!staging_owner_alive("blob-nonsense"));
        // Kinds with a hyphen (the layer pool's links) are read as well.
        assert!(staging_owner_alive(&format!(
            "layer-link-{pid}-{start}-abc123"
        )));
        assert!(!staging_owner_alive(&format!(
            "layer-link-1-{start}-abc123"
        )));
    }

    #[test]
    fn generated_names_are_valid_docker_names() {
        for _ in 0..100 {
            let n = generate_name();
            validate_name(&n).unwrap();
            assert!(n.contains('_'));
        }
    }

    #[test]
    fn invalid_names_are_refused() {
        assert!(validate_name("-x").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_name("my-redis").is_ok());
    }
}

/// One line of a container's log file (Docker's json-file format).
#[derive(Debug, Clone, Deserialize)]
pub struct LogLine {
    pub log: String,
    pub stream: String,
    pub time: String,
}

impl Store {
    /// The container's log lines, oldest first (the rotated file, then the current one).
    pub fn read_logs(&self, id: &str) -> Vec<LogLine> {
        let dir = self.container_dir(id);
        let mut out = Vec::new();
        for name in ["log.jsonl.1", "log.jsonl"] {
            if let Ok(text) = fs::read_to_string(dir.join(name)) {
                out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
            }
        }
        out
    }
}
