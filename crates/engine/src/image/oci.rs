//! OCI types (index, manifest, config, descriptors) and an OCI image layout on disk.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::hash::{short_hex, verify_bytes};
use super::reference::Reference;
use crate::store::read_json;
use crate::time::parse_time_millis;
use crate::{EngineError, Result};

pub const MT_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MT_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MT_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MT_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const MT_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// A catalog tag's description (`docker search`).
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
pub(super) const UNTAGGED: &str = "io.gorae.untagged";
/// A digest reference (`busybox@sha256:…`) Docker keeps for an image pulled from or pushed to
/// a registry: its own index entry, as Docker's reference store keeps it beside the tags.
pub(super) const REPO_DIGEST: &str = "io.gorae.repo-digest";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Index {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Manifest {
    /// An OCI image manifest of `config` and `layers`, bottom first.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Manifest {
        Manifest {
            schema_version: 2,
            media_type: MT_MANIFEST.into(),
            config,
            layers,
            annotations: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RunDefaults {
    #[serde(rename = "User", default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(
        rename = "ExposedPorts",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Env", default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(
        rename = "Entrypoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(
        rename = "WorkingDir",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(rename = "Labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Volumes", default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(
        rename = "StopSignal",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(
        rename = "Healthcheck",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck: Option<crate::health::HealthConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct History {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub config: RunDefaults,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default)]
    pub history: Vec<History>,
    /// Docker-only field kept for `inspect` and round trips.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// One image as the store knows it.
#[derive(Debug, Clone)]
pub struct Image {
    /// "sha256:<hex>" of the config.
    pub id: String,
    pub manifest_digest: String,
    pub manifest: Manifest,
    pub config: ImageConfig,
    pub tags: Vec<String>,
    /// `repo@sha256:…` references (Docker's RepoDigests), sorted.
    pub repo_digests: Vec<String>,
}

impl Image {
    pub fn short_id(&self) -> String {
        short_hex(&self.id)
    }
    pub fn created_millis(&self) -> u64 {
        parse_time_millis(&self.config.created)
    }
}

pub(super) fn annotation<'a>(d: &'a Descriptor, key: &str) -> Option<&'a str> {
    d.annotations.as_ref()?.get(key).map(String::as_str)
}

/// A source of images laid out as OCI (the bundled catalog, or a loaded tarball's folder).
pub struct Layout {
    pub dir: PathBuf,
    pub index: Index,
}

impl Layout {
    pub fn open(dir: &Path) -> Result<Layout> {
        let index: Index = read_json(&dir.join("index.json"))?;
        Ok(Layout {
            dir: dir.to_path_buf(),
            index,
        })
    }
    pub fn blob(&self, digest: &str) -> PathBuf {
        self.dir
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap_or(digest))
    }
    /// The catalog's tags ("busybox:latest", …).
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self
            .index
            .manifests
            .iter()
            .filter_map(|d| annotation(d, REF_NAME).map(str::to_string))
            .collect();
        tags.sort();
        tags
    }
    /// The manifest a reference names: by tag, or (a digest reference) by digest under a tag
    /// of the same repository.
    pub fn find(&self, r: &Reference) -> Option<&Descriptor> {
        let full = r.full();
        self.index.manifests.iter().find(|d| {
            let Some(tag) = annotation(d, REF_NAME) else {
                return false;
            };
            match &r.digest {
                Some(digest) => {
                    d.digest == *digest && tag.rsplit_once(':').is_some_and(|(n, _)| n == r.name)
                }
                None => tag == full,
            }
        })
    }
    /// Read a blob whole, checking its digest and size.
    pub fn read_verified(&self, d: &Descriptor) -> Result<Vec<u8>> {
        let path = self.blob(&d.digest);
        let data = fs::read(&path).map_err(|e| EngineError::io(&path, e))?;
        verify_bytes(&data, d)?;
        Ok(data)
    }
}
