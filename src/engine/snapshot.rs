//! A read-only view of the engine's state, for the TUI's state panel and the course checks.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Snapshot {
    pub images: Vec<ImageInfo>,
    pub containers: Vec<ContainerInfo>,
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
    /// One line per history entry: what made the layer (`created_by`).
    pub history: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created: u64,
    pub size: u64,
    /// The image is one of the bundled catalog's (pulled, not made here).
    pub bundled: bool,
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
    pub detached: bool,
    pub auto_remove: bool,
    pub ports: Vec<PortInfo>,
    pub created: u64,
}

use super::{Result, Store};

impl Store {
    /// Everything the state panel and the checks look at, read fresh from disk.
    pub fn snapshot(&self) -> Result<Snapshot> {
        Ok(Snapshot::default())
    }

    /// Whether the image (by ID "sha256:…" or tag) has `path` in its filesystem, whiteouts
    /// of upper layers respected.
    pub fn image_has_path(&self, _image: &str, _path: &str) -> bool {
        false
    }

    /// Whether the container (by ID or name) has `path`: its own changes over its image.
    pub fn container_has_path(&self, _container: &str, _path: &str) -> bool {
        false
    }

    /// The container's changes against its image, as `docker diff` prints them:
    /// ('A'|'C'|'D', "/path"), parents included, sorted by path.
    pub fn container_changes(&self, _container: &str) -> Result<Vec<(char, String)>> {
        Ok(Vec::new())
    }

    /// The container's logs (stdout and stderr interleaved as written).
    pub fn container_logs(&self, _container: &str) -> String {
        String::new()
    }
}
