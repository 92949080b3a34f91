//! Volumes: `<root>/volumes/<name>/` holds `volume.json` (the record) and `_data/` (what the
//! container sees), as Docker's local driver lays them out. Named volumes are made by `volume
//! create` or on first use; anonymous ones (64-hex names, labelled
//! `com.docker.volume.anonymous`, as Docker marks them) by `-v /path`, `--mount` without a
//! source, and an image's `VOLUME`. Which containers use a volume is read from their records,
//! so nothing can drift. Also the mounts of a container record (`MountSpec`) and how they turn
//! into the runtime's mount plan.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::container::Container;
use super::runtime::mounts::{Mount, MountSource};
use super::store::{read_json, write_json};
use super::{Action, EngineError, Event, EventType, Result, Store};

/// The label Docker puts on the volumes it makes for a container (`prune` without `-a` takes
/// only these; `rm -v` and `run --rm` remove them).
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// A volume's record (`volume.json`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    pub driver: String,
    /// RFC 3339, seconds (as Docker's local driver shows it).
    pub created_at: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Where its content lives on the host (`…/volumes/<name>/_data`); not stored.
    #[serde(skip)]
    pub mountpoint: PathBuf,
}

impl Volume {
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    #[default]
    Volume,
    Bind,
    Tmpfs,
}

impl MountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MountKind::Volume => "volume",
            MountKind::Bind => "bind",
            MountKind::Tmpfs => "tmpfs",
        }
    }
}

/// One mount of a container, as asked for (`-v`, `--mount`, an image's VOLUME) and then
/// completed at create (an anonymous volume's name).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct MountSpec {
    #[serde(rename = "type")]
    pub kind: MountKind,
    /// bind: the host path; volume: its name (empty until create names an anonymous one);
    /// tmpfs: empty.
    pub source: String,
    /// The absolute path inside the container.
    pub target: String,
    #[serde(default)]
    pub readonly: bool,
    /// Volume: do not fill an empty volume from the image (`volume-nocopy`).
    #[serde(default)]
    pub nocopy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
    /// Given with `-v` (Docker's `Binds`): a missing bind source is made as a directory.
    #[serde(default)]
    pub from_volume_flag: bool,
    /// `-v`'s mode as written ("ro", "rw", or empty), for inspect's `Mode`.
    #[serde(default)]
    pub mode: String,
    /// A volume this container made (anonymous): `rm -v` and `--rm` remove it.
    #[serde(default)]
    pub anonymous: bool,
}

/// A mount Docker's daemon refuses, with its wording (the CLI translates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum MountError {
    #[error("invalid mount config for type \"bind\": bind source path does not exist: {0}")]
    BindSourceMissing(String),
    #[error("invalid mount config for type \"{0}\": mount type unknown")]
    UnknownType(String),
    #[error("invalid mount config for type \"{kind}\": field {field} must not be specified")]
    FieldNotAllowed { kind: String, field: String },
    #[error("invalid mount config for type \"{kind}\": field {field} must not be empty")]
    FieldEmpty { kind: String, field: String },
    #[error(
        "invalid mount config for type \"{kind}\": invalid mount path: '{path}' mount path must be absolute"
    )]
    NotAbsolute { kind: String, path: String },
    #[error(
        "invalid volume specification: '{spec}': invalid mount config for type \"{kind}\": invalid mount path: '{path}' mount path must be absolute"
    )]
    SpecNotAbsolute {
        spec: String,
        kind: String,
        path: String,
    },
    #[error(
        "invalid volume specification: '{spec}': invalid mount config for type \"{kind}\": invalid specification: destination can't be '/'"
    )]
    RootTarget { spec: String, kind: String },
    #[error("invalid spec: {0}: empty section between colons")]
    EmptySection(String),
    #[error("invalid volume specification: '{0}'")]
    InvalidSpec(String),
    #[error("invalid mode: {0}")]
    InvalidMode(String),
    #[error("Duplicate mount point: {0}")]
    Duplicate(String),
    #[error(
        "create {0}: volume name is too short, names should be at least two alphanumeric characters"
    )]
    ShortVolumeName(String),
    #[error(
        "create {0}: \"{0}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    )]
    BadVolumeName(String),
}

/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`: the local driver's names (Docker refuses others).
pub fn valid_volume_name(name: &str) -> bool {
    name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Why the local driver refuses `name`, if it does.
pub fn volume_name_error(name: &str) -> Option<MountError> {
    if name.len() == 1 {
        return Some(MountError::ShortVolumeName(name.to_string()));
    }
    (!valid_volume_name(name)).then(|| MountError::BadVolumeName(name.to_string()))
}

/// `/a//b/` → `/a/b` (what the container's path is compared and shown as).
pub fn clean_target(t: &str) -> String {
    let parts: Vec<&str> = t
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// What a volume prune removed: names, and the bytes their content held.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct VolumesPruned {
    pub deleted: Vec<String>,
    pub space_reclaimed: u64,
}

impl Event {
    /// A `volume` event: the name is the event's ID, as in Docker.
    pub fn volume(action: Action, name: &str) -> Event {
        Event::new(EventType::Volume, action)
            .id(name)
            .attr("driver", "local")
    }
}

impl Store {
    pub fn volumes_dir(&self) -> PathBuf {
        self.root.join("volumes")
    }
    pub fn volume_dir(&self, name: &str) -> PathBuf {
        self.volumes_dir().join(name)
    }
    /// The volume's content (Docker's `Mountpoint`).
    pub fn volume_data(&self, name: &str) -> PathBuf {
        self.volume_dir(name).join("_data")
    }

    /// The volume `name`, or `NoSuchVolume`.
    pub fn volume(&self, name: &str) -> Result<Volume> {
        if !valid_volume_name(name) {
            return Err(EngineError::NoSuchVolume(name.to_string()));
        }
        let path = self.volume_dir(name).join("volume.json");
        if !path.exists() {
            return Err(EngineError::NoSuchVolume(name.to_string()));
        }
        let mut v: Volume = read_json(&path)?;
        v.mountpoint = self.volume_data(name);
        Ok(v)
    }

    /// Every volume, by name. Dirs without a record (a create killed half way never leaves
    /// one: it is staged in `tmp/`) are skipped.
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        let mut out = Vec::new();
        let Ok(rd) = fs::read_dir(self.volumes_dir()) else {
            return Ok(out);
        };
        for e in rd.flatten() {
            if let Ok(v) = self.volume(&e.file_name().to_string_lossy()) {
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// `docker volume create [NAME]`: a new volume, or the existing one of that name (as
    /// Docker, which answers with it). Emits `volume create` for a new one.
    pub fn create_volume(
        &self,
        name: Option<&str>,
        labels: BTreeMap<String, String>,
    ) -> Result<Volume> {
        let (v, created) = {
            let _lock = self.lock()?;
            self.create_volume_locked(name, labels)?
        };
        if created {
            self.emit(Event::volume(Action::Create, &v.name));
        }
        Ok(v)
    }

    /// [`Store::create_volume`] with the store lock held by the caller; whether it is new.
    fn create_volume_locked(
        &self,
        name: Option<&str>,
        labels: BTreeMap<String, String>,
    ) -> Result<(Volume, bool)> {
        let name = match name {
            Some(n) if !valid_volume_name(n) => {
                return Err(EngineError::Mount(
                    volume_name_error(n).unwrap_or(MountError::BadVolumeName(n.to_string())),
                ));
            }
            Some(n) => n.to_string(),
            None => super::random_hex(32),
        };
        if let Ok(v) = self.volume(&name) {
            return Ok((v, false));
        }
        let v = Volume {
            name: name.clone(),
            driver: "local".into(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            labels,
            mountpoint: self.volume_data(&name),
        };
        // Staged whole in tmp/ and renamed into place: a killed create leaves no half volume.
        let stage = self.tmp_path("volume");
        let res = (|| -> Result<()> {
            let data = stage.join("_data");
            fs::create_dir_all(&data).map_err(|e| EngineError::io(&data, e))?;
            write_json(&stage.join("volume.json"), &v)?;
            fs::create_dir_all(self.volumes_dir())
                .map_err(|e| EngineError::io(self.volumes_dir(), e))?;
            let dst = self.volume_dir(&name);
            fs::rename(&stage, &dst).map_err(|e| EngineError::io(&dst, e))
        })();
        if let Err(e) = res {
            super::archive::remove_tree(&stage);
            return Err(e);
        }
        Ok((v, true))
    }

    /// IDs of the containers (any state) whose record mounts the volume.
    pub fn volume_users(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .containers()?
            .into_iter()
            .filter(|c| mounts_volume(c, name))
            .map(|c| c.id)
            .collect())
    }

    /// `docker volume rm [-f]`: refused while a container uses it; `force` makes a missing
    /// volume no error. Emits `volume destroy`.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        let gone = {
            let _lock = self.lock()?;
            match self.volume(name) {
                Err(EngineError::NoSuchVolume(_)) if force => return Ok(()),
                Err(e) => return Err(e),
                Ok(_) => {}
            }
            let users = self.volume_users(name)?;
            if !users.is_empty() {
                return Err(EngineError::VolumeInUse {
                    name: name.to_string(),
                    containers: users,
                });
            }
            self.unlink_volume(name)?
        };
        super::archive::remove_tree(&gone);
        self.emit(Event::volume(Action::Destroy, name));
        Ok(())
    }

    /// Move the volume's dir out of `volumes/` (lock held): from then on it does not exist.
    /// The caller removes the returned tree outside the lock.
    fn unlink_volume(&self, name: &str) -> Result<PathBuf> {
        let trash = self.tmp_path("rmvol");
        let dir = self.volume_dir(name);
        fs::rename(&dir, &trash).map_err(|e| EngineError::io(&dir, e))?;
        Ok(trash)
    }

    /// `docker volume prune [-a]`: every volume no container uses that `select` accepts,
    /// anonymous ones only unless `all`. Emits `destroy` per volume, then `prune`.
    pub fn prune_volumes(
        &self,
        all: bool,
        select: &dyn Fn(&Volume) -> bool,
    ) -> Result<VolumesPruned> {
        let mut out = VolumesPruned::default();
        let mut trash = Vec::new();
        {
            let _lock = self.lock()?;
            let containers = self.containers()?;
            for v in self.volumes()? {
                if (!all && !v.is_anonymous())
                    || containers.iter().any(|c| mounts_volume(c, &v.name))
                    || !select(&v)
                {
                    continue;
                }
                let size = super::inspect::tree_size(&v.mountpoint);
                trash.push((v.name.clone(), self.unlink_volume(&v.name)?));
                out.deleted.push(v.name);
                out.space_reclaimed += size;
            }
        }
        for (name, path) in trash {
            super::archive::remove_tree(&path);
            self.emit(Event::volume(Action::Destroy, &name));
        }
        self.emit(
            Event::new(EventType::Volume, Action::Prune)
                .attr("reclaimed", out.space_reclaimed.to_string()),
        );
        Ok(out)
    }

    /// The anonymous volumes a removed container made, unless another container uses them
    /// too (`rm -v`, `run --rm`). Named volumes stay, as in Docker.
    pub fn remove_anonymous_volumes(&self, c: &Container) {
        for m in &c.config.mounts {
            if m.kind == MountKind::Volume && m.anonymous && !m.source.is_empty() {
                // In use elsewhere (`--volumes-from` style sharing): Docker keeps it too.
                let _ = self.remove_volume(&m.source, true);
            }
        }
    }

    /// Complete a new container's mounts (lock held): check them as Docker's daemon does,
    /// add the image's VOLUMEs not covered, make missing bind sources for `-v`, and create
    /// the volumes (named ones on first use, anonymous ones with fresh names). Returns the
    /// mounts and the names of the volumes it created.
    pub(crate) fn prepare_mounts(
        &self,
        asked: &[MountSpec],
        image_volumes: Option<&BTreeMap<String, serde_json::Value>>,
    ) -> Result<(Vec<MountSpec>, Vec<String>)> {
        let mut mounts: Vec<MountSpec> = Vec::new();
        for m in asked {
            let mut m = m.clone();
            m.target = clean_target(&m.target);
            if mounts.iter().any(|o| o.target == m.target) {
                return Err(EngineError::Mount(MountError::Duplicate(m.target)));
            }
            if m.kind == MountKind::Bind && !Path::new(&m.source).exists() {
                if !m.from_volume_flag {
                    return Err(EngineError::Mount(MountError::BindSourceMissing(
                        m.source.clone(),
                    )));
                }
                fs::create_dir_all(&m.source).map_err(|e| EngineError::io(&m.source, e))?;
            }
            mounts.push(m);
        }
        for path in image_volumes.into_iter().flat_map(|v| v.keys()) {
            let target = clean_target(path);
            if target != "/" && !mounts.iter().any(|m| m.target == target) {
                mounts.push(MountSpec {
                    kind: MountKind::Volume,
                    target,
                    ..MountSpec::default()
                });
            }
        }
        let mut created = Vec::new();
        for m in mounts.iter_mut().filter(|m| m.kind == MountKind::Volume) {
            let anonymous = m.source.is_empty();
            let labels = if anonymous {
                BTreeMap::from([(ANONYMOUS_LABEL.to_string(), String::new())])
            } else {
                BTreeMap::new()
            };
            let (v, new) =
                self.create_volume_locked((!anonymous).then_some(m.source.as_str()), labels)?;
            m.source = v.name.clone();
            m.anonymous = anonymous;
            if new {
                created.push(v.name);
            }
        }
        Ok((mounts, created))
    }

    /// The runtime's mount plan for a container: volumes become binds of their `_data`.
    pub fn runtime_mounts(&self, c: &Container) -> Result<Vec<Mount>> {
        c.config
            .mounts
            .iter()
            .map(|m| {
                let source = match m.kind {
                    MountKind::Bind => MountSource::Bind(PathBuf::from(&m.source)),
                    MountKind::Volume => {
                        let v = self.volume(&m.source)?;
                        MountSource::Bind(v.mountpoint)
                    }
                    MountKind::Tmpfs => MountSource::Tmpfs {
                        size: m.tmpfs_size,
                        mode: m.tmpfs_mode,
                    },
                };
                Ok(Mount {
                    source,
                    target: m.target.clone(),
                    readonly: m.readonly,
                    copy_up: m.kind == MountKind::Volume && !m.nocopy,
                })
            })
            .collect()
    }

    /// `volume mount` / `volume unmount` for each volume of a container that starts / ends.
    pub fn emit_volume_mounts(&self, c: &Container, action: Action) {
        for m in c
            .config
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume)
        {
            let mut ev = Event::volume(action.clone(), &m.source).attr("container", c.id.clone());
            if action == Action::Mount {
                ev = ev
                    .attr("destination", m.target.clone())
                    .attr("propagation", "")
                    .attr("read/write", (!m.readonly).to_string());
            }
            self.emit(ev);
        }
    }
}

fn mounts_volume(c: &Container, name: &str) -> bool {
    c.config
        .mounts
        .iter()
        .any(|m| m.kind == MountKind::Volume && m.source == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store"), tmp.path().join("catalog")).unwrap();
        (tmp, store)
    }

    fn with_volume(store: &Store, name: &str, target: &str) -> Container {
        let mut c = Container {
            name: format!("c-{name}"),
            ..Container::default()
        };
        c.config.mounts = vec![MountSpec {
            kind: MountKind::Volume,
            source: name.into(),
            target: target.into(),
            ..MountSpec::default()
        }];
        store.create_container_record(c).unwrap()
    }

    #[test]
    fn names_are_the_local_drivers() {
        assert!(valid_volume_name("data"));
        assert!(valid_volume_name("a1.b_c-d"));
        assert!(!valid_volume_name("a"));
        assert!(!valid_volume_name("_x"));
        assert!(!valid_volume_name("rel/path"));
        assert!(!valid_volume_name("../x"));
        assert_eq!(clean_target("/a//b/./c/"), "/a/b/c");
        assert_eq!(clean_target("/"), "/");
    }

    #[test]
    fn create_is_atomic_idempotent_and_lists_by_name() {
        let (_tmp, store) = store();
        let v = store.create_volume(Some("zeta"), BTreeMap::new()).unwrap();
        assert_eq!(v.mountpoint, store.volume_dir("zeta").join("_data"));
        assert!(v.mountpoint.is_dir());
        fs::write(v.mountpoint.join("f"), "x").unwrap();
        // The same name again answers with the existing volume, content and all.
        let again = store.create_volume(Some("zeta"), BTreeMap::new()).unwrap();
        assert_eq!(again.created_at, v.created_at);
        assert!(again.mountpoint.join("f").exists());
        store.create_volume(Some("alpha"), BTreeMap::new()).unwrap();
        let names: Vec<String> = store
            .volumes()
            .unwrap()
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(names, ["alpha", "zeta"]);
        assert!(matches!(
            store.create_volume(Some("bad/name"), BTreeMap::new()),
            Err(EngineError::Mount(MountError::BadVolumeName(_)))
        ));
        // Nothing staged is left behind.
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
        let actions: Vec<String> = events::read_from(&store.events_path(), 0)
            .0
            .iter()
            .map(|e| format!("{} {} {}", e.kind, e.action, e.id))
            .collect();
        assert_eq!(actions, ["volume create zeta", "volume create alpha"]);
    }

    #[test]
    fn a_used_volume_is_not_removed_and_prune_takes_anonymous_ones_unless_all() {
        let (_tmp, store) = store();
        store.create_volume(Some("named"), BTreeMap::new()).unwrap();
        let anon = store
            .create_volume(
                None,
                BTreeMap::from([(ANONYMOUS_LABEL.to_string(), String::new())]),
            )
            .unwrap();
        assert_eq!(anon.name.len(), 64);
        assert!(anon.is_anonymous());
        store.create_volume(Some("used"), BTreeMap::new()).unwrap();
        let c = with_volume(&store, "used", "/d");
        match store.remove_volume("used", true) {
            Err(EngineError::VolumeInUse { name, containers }) => {
                assert_eq!(name, "used");
                assert_eq!(containers, vec![c.id.clone()]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.remove_volume("nosuch", false),
            Err(EngineError::NoSuchVolume(_))
        ));
        store.remove_volume("nosuch", true).unwrap();
        fs::write(anon.mountpoint.join("f"), "12345").unwrap();
        let p = store.prune_volumes(false, &|_| true).unwrap();
        assert_eq!(p.deleted, vec![anon.name.clone()]);
        assert_eq!(p.space_reclaimed, 5);
        let p = store.prune_volumes(true, &|_| true).unwrap();
        assert_eq!(p.deleted, vec!["named".to_string()]);
        let left: Vec<String> = store
            .volumes()
            .unwrap()
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(left, ["used"]);
        store.destroy_container(&c).unwrap();
        store.remove_volume("used", false).unwrap();
        assert!(store.volumes().unwrap().is_empty());
    }

    #[test]
    fn prepared_mounts_name_anonymous_volumes_add_image_volumes_and_refuse_duplicates() {
        let (tmp, store) = store();
        let missing = tmp.path().join("made-by-v");
        let asked = vec![
            MountSpec {
                kind: MountKind::Volume,
                target: "/anon/".into(),
                ..MountSpec::default()
            },
            MountSpec {
                kind: MountKind::Volume,
                source: "data".into(),
                target: "/data".into(),
                ..MountSpec::default()
            },
            MountSpec {
                kind: MountKind::Bind,
                source: missing.display().to_string(),
                target: "/b".into(),
                from_volume_flag: true,
                ..MountSpec::default()
            },
        ];
        let image = BTreeMap::from([
            ("/data".to_string(), serde_json::json!({})),
            ("/img".to_string(), serde_json::json!({})),
        ]);
        let (mounts, created) = {
            let _l = store.lock().unwrap();
            store.prepare_mounts(&asked, Some(&image)).unwrap()
        };
        let targets: Vec<&str> = mounts.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(targets, ["/anon", "/data", "/b", "/img"]);
        assert!(mounts[0].anonymous && mounts[0].source.len() == 64);
        assert!(!mounts[1].anonymous && mounts[1].source == "data");
        assert!(mounts[3].anonymous);
        assert_eq!(created.len(), 3);
        assert!(missing.is_dir(), "-v makes a missing host dir");
        let _l = store.lock().unwrap();
        let dup = [asked[1].clone(), asked[1].clone()];
        assert!(matches!(
            store.prepare_mounts(&dup, None),
            Err(EngineError::Mount(MountError::Duplicate(t))) if t == "/data"
        ));
        let bind = MountSpec {
            from_volume_flag: false,
            source: tmp.path().join("nope").display().to_string(),
            ..asked[2].clone()
        };
        assert!(matches!(
            store.prepare_mounts(&[bind], None),
            Err(EngineError::Mount(MountError::BindSourceMissing(_)))
        ));
    }
}
