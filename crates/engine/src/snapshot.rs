//! A read-only view of the engine's state (images, containers and their mounts, volumes), for
//! the TUI's state panel and the course checks.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Snapshot {
    pub images: Vec<ImageInfo>,
    pub containers: Vec<ContainerInfo>,
    /// By name.
    pub volumes: Vec<VolumeInfo>,
    /// By name; `bridge`, `host` and `none` included.
    pub networks: Vec<NetworkInfo>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VolumeInfo {
    pub name: String,
    /// Made for a container (`-v /path`, VOLUME): 64 hex, goes with `rm -v` and `--rm`.
    pub anonymous: bool,
    /// Its content on the host (`…/volumes/<name>/_data`).
    pub mountpoint: std::path::PathBuf,
    /// Names of the containers (any state) that mount it.
    pub containers: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkInfo {
    pub id: String,
    pub name: String,
    /// "bridge", "host", "null".
    pub driver: String,
    /// "172.18.0.0/16" (empty for host and none).
    pub subnet: String,
    pub gateway: String,
    /// Containers connected to it, running or not (its members for `network inspect` are
    /// the running ones: `address` is empty for the others).
    pub members: Vec<NetworkMember>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkMember {
    pub container_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// Its IPv4 address there while it runs.
    pub address: String,
}

/// One mount of a container.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MountInfo {
    /// "bind", "volume" or "tmpfs".
    pub kind: String,
    /// The host path (bind), the volume's name (volume), empty (tmpfs).
    pub source: String,
    /// The path inside the container.
    pub target: String,
    pub readonly: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImageInfo {
    /// "sha256:<hex>" of the config blob (Docker's image ID).
    pub id: String,
    /// "busybox:latest", … (empty for a dangling image).
    pub tags: Vec<String>,
    /// diff IDs of the layers, bottom first.
    pub layers: Vec<String>,
    /// Sizes of the layers (unpacked bytes), same order.
    pub layer_sizes: Vec<u64>,
    /// What made each layer (`created_by`), same order as `layers`: history entries marked
    /// `empty_layer` (ENV, CMD …) made none and are left out, as `docker history` pairs them.
    pub history: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created: u64,
    pub size: u64,
    /// The image is one of the bundled catalog's (pulled, not made here).
    pub bundled: bool,
    /// An untagged step of a build that a tagged image stands on: `docker images` hides it
    /// (`-a` shows it), and so does the state panel.
    pub intermediate: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PortInfo {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// The image as the user named it ("busybox", "debian:12").
    pub image: String,
    pub image_id: String,
    /// "created", "running", "exited".
    pub state: String,
    pub exit_code: Option<i32>,
    pub command: Vec<String>,
    pub tty: bool,
    /// Started with `-i` (stdin kept open).
    pub interactive: bool,
    pub detached: bool,
    pub auto_remove: bool,
    pub ports: Vec<PortInfo>,
    pub created: u64,
    pub mounts: Vec<MountInfo>,
}

use super::{Result, Store, archive};

impl Store {
    /// Everything the state panel and the checks look at, read fresh from disk.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let images = self.images()?;
        let bundled_ids = self.bundled_ids();
        let build_parents = self.build_parents();
        let image_infos = images
            .iter()
            .map(|img| {
                let layer_sizes: Vec<u64> = img
                    .config
                    .rootfs
                    .diff_ids
                    .iter()
                    .map(|d| self.layer_size(d))
                    .collect();
                ImageInfo {
                    id: img.id.clone(),
                    tags: img.tags.clone(),
                    layers: img.config.rootfs.diff_ids.clone(),
                    size: layer_sizes.iter().sum(),
                    layer_sizes,
                    history: img
                        .config
                        .history
                        .iter()
                        .filter(|h| !h.empty_layer)
                        .map(|h| h.created_by.clone())
                        .collect(),
                    created: img.created_millis(),
                    bundled: bundled_ids.contains(&img.id),
                    intermediate: img.tags.is_empty() && build_parents.contains(&img.id),
                }
            })
            .collect();
        let records = self.containers()?;
        let volumes = self
            .volumes()?
            .into_iter()
            .map(|v| VolumeInfo {
                anonymous: v.is_anonymous(),
                containers: records
                    .iter()
                    .filter(|c| {
                        c.config.mounts.iter().any(|m| {
                            m.kind == super::volume::MountKind::Volume && m.source == v.name
                        })
                    })
                    .map(|c| c.name.clone())
                    .collect(),
                created: super::time::parse_time_millis(&v.created_at),
                mountpoint: v.mountpoint,
                name: v.name,
            })
            .collect();
        let containers = records
            .into_iter()
            .map(|c| ContainerInfo {
                state: c.state.status.clone(),
                exit_code: c.state.exit_code,
                command: c.config.argv.clone(),
                tty: c.config.tty,
                interactive: c.config.stdin_open,
                detached: c.config.detached,
                auto_remove: c.config.auto_remove,
                ports: c
                    .config
                    .ports
                    .iter()
                    .map(|p| PortInfo {
                        host_ip: p.host_ip.clone(),
                        host_port: p.host_port,
                        container_port: p.container_port,
                        proto: p.proto.clone(),
                    })
                    .collect(),
                created: c.created_millis(),
                mounts: c
                    .config
                    .mounts
                    .iter()
                    .map(|m| MountInfo {
                        kind: m.kind.as_str().to_string(),
                        source: m.source.clone(),
                        target: m.target.clone(),
                        readonly: m.readonly,
                    })
                    .collect(),
                id: c.id,
                name: c.name,
                image: c.image,
                image_id: c.image_id,
            })
            .collect();
        Ok(Snapshot {
            images: image_infos,
            containers,
            volumes,
            networks: self.network_infos()?,
        })
    }

    fn network_infos(&self) -> Result<Vec<NetworkInfo>> {
        let all = self.containers()?;
        Ok(self
            .networks()?
            .into_iter()
            .map(|n| {
                let (subnet, gateway) = n
                    .ipam
                    .config
                    .first()
                    .map(|c| (c.subnet.clone(), c.gateway.clone()))
                    .unwrap_or_default();
                let members = all
                    .iter()
                    .filter_map(|c| {
                        let cfg = c.config.networks.get(&n.name)?;
                        let address = c
                            .state
                            .networks
                            .get(&n.name)
                            .map(|e| e.ip.clone())
                            .unwrap_or_default();
                        Some(NetworkMember {
                            container_id: c.id.clone(),
                            name: c.name.clone(),
                            aliases: cfg.aliases.clone(),
                            address,
                        })
                    })
                    .collect();
                NetworkInfo {
                    id: n.id,
                    name: n.name,
                    driver: n.driver,
                    subnet,
                    gateway,
                    members,
                }
            })
            .collect())
    }

    /// Config digests of every image in the bundled catalog.
    pub fn bundled_ids(&self) -> Vec<String> {
        let Ok(cat) = self.catalog() else {
            return Vec::new();
        };
        let mut ids: Vec<String> = cat
            .index
            .manifests
            .iter()
            .filter_map(|d| std::fs::read(cat.blob(&d.digest)).ok())
            .filter_map(|b| serde_json::from_slice::<super::image::Manifest>(&b).ok())
            .map(|m| m.config.digest)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Whether the image (by ID "sha256:…" or tag) has `path` in its filesystem, whiteouts
    /// of upper layers respected.
    pub fn image_has_path(&self, image: &str, path: &str) -> bool {
        let Ok(img) = self.resolve_image(image) else {
            return false;
        };
        let Ok(lowers) = self.lower_dirs(&img) else {
            return false;
        };
        archive::exists_in_layers(&lowers, path)
    }

    /// Whether the container (by ID or name) has `path`: its own changes over its image.
    pub fn container_has_path(&self, container: &str, path: &str) -> bool {
        let Ok(c) = self.resolve_container(container) else {
            return false;
        };
        let Ok(img) = self.resolve_image(&c.image_id) else {
            return false;
        };
        let Ok(lowers) = self.lower_dirs(&img) else {
            return false;
        };
        let mut layers = vec![self.upper_dir(&c.id)];
        layers.extend(lowers);
        archive::exists_in_layers(&layers, path)
    }

    /// The container's changes against its image, as `docker diff` prints them:
    /// ('A'|'C'|'D', "/path"), parents included, sorted by path.
    pub fn container_changes(&self, container: &str) -> Result<Vec<(char, String)>> {
        let c = self.resolve_container(container)?;
        let img = self.resolve_image(&c.image_id)?;
        let lowers = self.lower_dirs(&img)?;
        let upper = self.upper_dir(&c.id);
        let changes = match archive::diff(&upper, &lowers) {
            Err(e) if super::runtime::is_rootless() && archive::is_permission_denied(&e) => {
                archive::diff_as_container_root(&upper, &lowers, e)?
            }
            other => other?,
        };
        Ok(changes.into_iter().map(|ch| (ch.kind, ch.path)).collect())
    }

    /// The content of `path` inside volume `name` (for checks like "the key is in the
    /// volume"): resolved inside the volume, never through a symlink out of it. None when it
    /// is missing or unreadable.
    pub fn volume_file(&self, name: &str, path: &str) -> Option<Vec<u8>> {
        use std::io::Read;
        let v = self.volume(name).ok()?;
        let fd =
            super::runtime::sys::open_in_root(&v.mountpoint, path, None, libc::O_RDONLY).ok()?;
        let mut out = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut out).ok()?;
        Some(out)
    }

    /// The container's logs (stdout and stderr interleaved as written).
    pub fn container_logs(&self, container: &str) -> String {
        let Ok(c) = self.resolve_container(container) else {
            return String::new();
        };
        self.read_logs(&c.id).into_iter().map(|l| l.log).collect()
    }
}
