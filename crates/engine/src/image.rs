//! Images: OCI types, the store's index, references, the bundled catalog, pull, tag, remove.
//!
//! An image's ID is the digest of its config blob, as in Docker. The store's `index.json` has one
//! manifest descriptor per tag ("busybox:latest" in the ref-name annotation); images that lost
//! their last tag but still exist (dangling, or kept by a container) are listed with the
//! `io.gorae.untagged` annotation so their blobs are never orphaned.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::store::{read_json, write_json};
use super::{Action, EngineError, Event, Result, Store, archive, events};

pub const MT_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MT_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MT_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MT_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const MT_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
const UNTAGGED: &str = "io.gorae.untagged";

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

/// A parsed image reference: `name[:tag]`, with Docker Hub's `docker.io/library/` folded away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub tag: String,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference> {
        let bad = || EngineError::InvalidReference(s.to_string());
        if s.is_empty() || s.contains('@') || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad());
        }
        // A ':' after the last '/' separates the tag (a ':' before it is a registry port).
        let last_slash = s.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match s[last_slash..].rfind(':') {
            Some(i) => (&s[..last_slash + i], &s[last_slash + i + 1..]),
            None => (s, "latest"),
        };
        let name = name
            .strip_prefix("docker.io/")
            .or_else(|| name.strip_prefix("index.docker.io/"))
            .unwrap_or(name);
        let name = name.strip_prefix("library/").unwrap_or(name);
        let name_ok = !name.is_empty()
            && name.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-:".contains(c))
                    && part
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric())
            });
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok || !tag_ok {
            return Err(bad());
        }
        Ok(Reference {
            name: name.to_string(),
            tag: tag.to_string(),
        })
    }

    pub fn full(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }

    /// The name as Docker prints it after a pull ("docker.io/library/busybox:latest").
    pub fn canonical(&self) -> String {
        if self.name.contains('/') {
            let first = self.name.split('/').next().unwrap_or("");
            if first.contains('.') || first.contains(':') || first == "localhost" {
                return self.full();
            }
            return format!("docker.io/{}", self.full());
        }
        format!("docker.io/library/{}", self.full())
    }
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
}

impl Image {
    pub fn short_id(&self) -> String {
        short_hex(&self.id)
    }
    pub fn created_millis(&self) -> u64 {
        parse_time_millis(&self.config.created)
    }
}

pub fn short_hex(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

pub fn parse_time_millis(s: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis().max(0) as u64)
        .unwrap_or(0)
}

pub fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A writer that hashes what passes through it and counts the bytes.
pub struct HashWriter<W> {
    pub inner: W,
    pub hasher: Sha256,
    pub count: u64,
}

impl<W: Write> HashWriter<W> {
    pub fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.count)
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what is read through it.
pub struct HashReader<R> {
    pub inner: R,
    pub hasher: Sha256,
    pub count: u64,
}

impl<R: Read> HashReader<R> {
    pub fn new(inner: R) -> Self {
        HashReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.count)
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

fn annotation<'a>(d: &'a Descriptor, key: &str) -> Option<&'a str> {
    d.annotations.as_ref()?.get(key).map(String::as_str)
}

/// What `pull` reports as it goes, so the CLI can print Docker's lines.
pub trait PullProgress {
    fn layer(&mut self, short: &str, status: LayerStatus);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerStatus {
    AlreadyExists,
    Pulling,
    Complete,
}

pub struct NoProgress;
impl PullProgress for NoProgress {
    fn layer(&mut self, _: &str, _: LayerStatus) {}
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub reference: Reference,
    pub manifest_digest: String,
    pub image_id: String,
    /// False when the tag already pointed at this image ("Image is up to date").
    pub updated: bool,
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
    pub fn find(&self, r: &Reference) -> Option<&Descriptor> {
        let full = r.full();
        self.index
            .manifests
            .iter()
            .find(|d| annotation(d, REF_NAME) == Some(full.as_str()))
    }
    /// Read a blob whole, checking its digest and size.
    pub fn read_verified(&self, d: &Descriptor) -> Result<Vec<u8>> {
        let path = self.blob(&d.digest);
        let data = fs::read(&path).map_err(|e| EngineError::io(&path, e))?;
        verify_bytes(&data, d)?;
        Ok(data)
    }
}

pub fn verify_bytes(data: &[u8], d: &Descriptor) -> Result<()> {
    let actual = format!("sha256:{}", sha256_hex(data));
    if actual != d.digest {
        return Err(EngineError::DigestMismatch {
            what: d.digest.clone(),
            expected: d.digest.clone(),
            actual,
        });
    }
    if d.size != data.len() as u64 {
        return Err(EngineError::DigestMismatch {
            what: format!("{} (size)", d.digest),
            expected: d.size.to_string(),
            actual: data.len().to_string(),
        });
    }
    Ok(())
}

impl Store {
    // ---- index ----

    pub fn read_index(&self) -> Result<Index> {
        let path = self.index_path();
        if !path.exists() {
            return Ok(Index {
                schema_version: 2,
                media_type: MT_INDEX.into(),
                manifests: Vec::new(),
            });
        }
        read_json(&path)
    }

    fn write_index(&self, index: &Index) -> Result<()> {
        write_json(&self.index_path(), index)
    }

    /// Every image in the store, tags gathered per image, newest first.
    pub fn images(&self) -> Result<Vec<Image>> {
        let index = self.read_index()?;
        let mut by_manifest: BTreeMap<String, (Descriptor, Vec<String>)> = BTreeMap::new();
        for d in &index.manifests {
            let entry = by_manifest
                .entry(d.digest.clone())
                .or_insert_with(|| (d.clone(), Vec::new()));
            if let Some(tag) = annotation(d, REF_NAME) {
                entry.1.push(tag.to_string());
            }
        }
        let mut out = Vec::new();
        for (digest, (desc, mut tags)) in by_manifest {
            let manifest: Manifest = match read_json(&self.blob_path(&digest)) {
                Ok(m) => m,
                Err(_) => continue, // a manifest lost to a crash: the image is not usable
            };
            let config: ImageConfig = match read_json(&self.blob_path(&manifest.config.digest)) {
                Ok(c) => c,
                Err(_) => continue,
            };
            tags.sort();
            let _ = desc;
            out.push(Image {
                id: manifest.config.digest.clone(),
                manifest_digest: digest,
                manifest,
                config,
                tags,
            });
        }
        out.sort_by(|a, b| {
            b.created_millis()
                .cmp(&a.created_millis())
                .then(a.tags.cmp(&b.tags))
        });
        Ok(out)
    }

    /// Find an image by tag, by ID (full or a unique prefix of at least 1 hex digit), or by
    /// "sha256:" ID.
    pub fn resolve_image(&self, name: &str) -> Result<Image> {
        let images = self.images()?;
        if let Ok(r) = Reference::parse(name) {
            let full = r.full();
            if let Some(img) = images.iter().find(|i| i.tags.contains(&full)) {
                return Ok(img.clone());
            }
        }
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let matches: Vec<&Image> = images
                .iter()
                .filter(|i| i.id.trim_start_matches("sha256:").starts_with(hex))
                .collect();
            if let [one] = matches.as_slice() {
                return Ok((*one).clone());
            }
        }
        Err(EngineError::NoSuchImage(name.to_string()))
    }

    pub fn catalog(&self) -> Result<Layout> {
        Layout::open(&self.catalog)
    }

    /// The repositories the bundled catalog offers ("busybox", "debian", …).
    pub fn catalog_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .catalog()
            .map(|l| {
                l.tags()
                    .iter()
                    .filter_map(|t| t.rsplit_once(':').map(|(n, _)| n.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        names
    }

    /// Whether an image ID belongs to the bundled catalog (pulled, not made here).
    pub fn is_bundled(&self, image_id: &str) -> bool {
        let Ok(cat) = self.catalog() else {
            return false;
        };
        cat.index.manifests.iter().any(|d| {
            cat.read_verified(d)
                .ok()
                .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
                .is_some_and(|m| m.config.digest == image_id)
        })
    }

    // ---- blobs and layers ----

    /// Copy a blob from a file into the store, verifying digest and size on the way.
    pub fn import_blob(&self, src: &Path, d: &Descriptor) -> Result<()> {
        let dst = self.blob_path(&d.digest);
        if dst.exists() {
            return Ok(());
        }
        let mut input = File::open(src).map_err(|e| EngineError::io(src, e))?;
        let tmp = self.tmp_path("blob");
        let res = (|| -> Result<()> {
            let out = File::create(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
            let mut w = HashWriter::new(out);
            io::copy(&mut input, &mut w).map_err(|e| EngineError::io(src, e))?;
            let (out, hex, n) = w.finish();
            out.sync_all().map_err(|e| EngineError::io(&tmp, e))?;
            let actual = format!("sha256:{hex}");
            if actual != d.digest || n != d.size {
                return Err(EngineError::DigestMismatch {
                    what: src.display().to_string(),
                    expected: d.digest.clone(),
                    actual,
                });
            }
            fs::rename(&tmp, &dst).map_err(|e| EngineError::io(&dst, e))
        })();
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res
    }

    /// Store bytes as a blob; returns its descriptor.
    pub fn put_blob(&self, media_type: &str, data: &[u8]) -> Result<Descriptor> {
        let digest = format!("sha256:{}", sha256_hex(data));
        let path = self.blob_path(&digest);
        if !path.exists() {
            super::store::atomic_write(&path, data)?;
        }
        Ok(Descriptor {
            media_type: media_type.into(),
            digest,
            size: data.len() as u64,
            annotations: None,
        })
    }

    pub fn layer_ready(&self, diff_id: &str) -> bool {
        self.layer_done_marker(diff_id).exists() && self.layer_dir(diff_id).is_dir()
    }

    /// The unpacked size of a layer, recorded when it was unpacked.
    pub fn layer_size(&self, diff_id: &str) -> u64 {
        fs::read_to_string(self.layer_done_marker(diff_id))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Unpack a layer blob (gzip or plain tar) into `layers/<diff_id>`, checking the diff ID.
    pub fn unpack_layer(&self, blob: &Path, diff_id: &str) -> Result<()> {
        if self.layer_ready(diff_id) {
            return Ok(());
        }
        let file = File::open(blob).map_err(|e| EngineError::io(blob, e))?;
        let staging = self.tmp_path("layer");
        let res = (|| -> Result<u64> {
            fs::create_dir_all(&staging).map_err(|e| EngineError::io(&staging, e))?;
            // Layers may be gzip'd (pulled, committed) or plain tar (loaded from `docker save`).
            let mut reader = HashReader::new(open_layer_stream(file, blob)?);
            let size = archive::unpack(&mut reader, &staging)?;
            // Read what is left (tar padding) so the hash covers the whole stream.
            io::copy(&mut reader, &mut io::sink()).map_err(|e| EngineError::io(blob, e))?;
            let (hex, _) = reader.finish();
            let actual = format!("sha256:{hex}");
            if actual != diff_id {
                return Err(EngineError::DigestMismatch {
                    what: format!("layer {}", short_hex(diff_id)),
                    expected: diff_id.to_string(),
                    actual,
                });
            }
            Ok(size)
        })();
        let size = match res {
            Ok(s) => s,
            Err(e) => {
                archive::remove_tree(&staging);
                return Err(e);
            }
        };
        // Another command (a second learner on this store) may have unpacked the same layer
        // meanwhile, and containers may already run on it: under the lock, keep a finished
        // layer and only replace a half-finished one left by a killed process.
        let _lock = self.lock()?;
        if self.layer_ready(diff_id) {
            drop(_lock);
            archive::remove_tree(&staging);
            return Ok(());
        }
        let dir = self.layer_dir(diff_id);
        if dir.exists() {
            archive::remove_tree(&dir);
        }
        fs::rename(&staging, &dir).map_err(|e| EngineError::io(&dir, e))?;
        super::store::atomic_write(
            &self.layer_done_marker(diff_id),
            size.to_string().as_bytes(),
        )
    }

    // ---- pull ----

    /// Pull `name` from the bundled catalog into the store.
    pub fn pull(&self, name: &str, progress: &mut dyn PullProgress) -> Result<PullOutcome> {
        let r = Reference::parse(name)?;
        let _writing = self.writing()?;
        let catalog = match self.catalog() {
            Ok(c) => c,
            Err(_) => return self.pull_remote(&r, progress),
        };
        let Some(desc) = catalog.find(&r).cloned() else {
            // Not bundled: try the image's registry (Docker Hub, or the host in the name).
            return self.pull_remote(&r, progress);
        };
        let manifest_bytes = catalog.read_verified(&desc)?;
        let manifest: Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| EngineError::Corrupt {
                path: catalog.blob(&desc.digest),
                detail: e.to_string(),
            })?;
        let config_bytes = catalog.read_verified(&manifest.config)?;
        let config: ImageConfig =
            serde_json::from_slice(&config_bytes).map_err(|e| EngineError::Corrupt {
                path: catalog.blob(&manifest.config.digest),
                detail: e.to_string(),
            })?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(EngineError::Corrupt {
                path: catalog.blob(&manifest.config.digest),
                detail: "layer count differs from diff_ids".into(),
            });
        }
        for (layer, diff_id) in manifest.layers.iter().zip(&config.rootfs.diff_ids) {
            let short = short_hex(&layer.digest);
            if self.layer_ready(diff_id) && self.blob_path(&layer.digest).exists() {
                progress.layer(&short, LayerStatus::AlreadyExists);
                continue;
            }
            progress.layer(&short, LayerStatus::Pulling);
            self.import_blob(&catalog.blob(&layer.digest), layer)?;
            self.unpack_layer(&self.blob_path(&layer.digest), diff_id)?;
            progress.layer(&short, LayerStatus::Complete);
        }
        self.put_blob(MT_CONFIG, &config_bytes)?;
        self.put_blob(MT_MANIFEST, &manifest_bytes)?;
        let updated = self.set_tag(&r, &desc.digest, desc.size)?;
        let image_id = manifest.config.digest.clone();
        if updated {
            self.emit(Event::on_image(Action::Pull).id(&image_id).name(&r.full()));
        }
        Ok(PullOutcome {
            reference: r,
            manifest_digest: desc.digest,
            image_id,
            updated,
        })
    }

    /// Point tag `r` at a manifest; returns false when it already pointed there. An image that
    /// loses its last tag stays in the index as untagged (Docker's `<none>`).
    pub fn set_tag(&self, r: &Reference, manifest_digest: &str, size: u64) -> Result<bool> {
        let _lock = self.lock()?;
        let mut index = self.read_index()?;
        let full = r.full();
        let mut old = None;
        for d in &index.manifests {
            if annotation(d, REF_NAME) == Some(full.as_str()) {
                if d.digest == manifest_digest {
                    return Ok(false);
                }
                old = Some(d.digest.clone());
            }
        }
        index
            .manifests
            .retain(|d| annotation(d, REF_NAME) != Some(full.as_str()));
        // The manifest is tagged now: drop its untagged placeholder.
        index
            .manifests
            .retain(|d| !(d.digest == manifest_digest && annotation(d, UNTAGGED).is_some()));
        index.manifests.push(Descriptor {
            media_type: MT_MANIFEST.into(),
            digest: manifest_digest.into(),
            size,
            annotations: Some(BTreeMap::from([(REF_NAME.to_string(), full.clone())])),
        });
        if let Some(old) = old {
            keep_untagged(&mut index, &old);
        }
        index.schema_version = 2;
        index.media_type = MT_INDEX.into();
        self.write_index(&index)?;
        Ok(true)
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        let img = self.resolve_image(source)?;
        let r = Reference::parse(target)?;
        let size = fs::metadata(self.blob_path(&img.manifest_digest))
            .map(|m| m.len())
            .unwrap_or(0);
        self.set_tag(&r, &img.manifest_digest, size)?;
        self.emit(Event::on_image(Action::Tag).id(&img.id).name(&r.full()));
        Ok(())
    }

    /// Append an event to the feed.
    pub fn emit(&self, ev: Event) {
        events::append(&self.events_path(), &ev);
    }

    /// `docker rmi`: untag `name`, and delete the image when no tag and no container is left.
    /// Returns the lines Docker prints (`Untagged: …`, `Deleted: …`).
    pub fn remove_image(&self, name: &str, force: bool) -> Result<Vec<String>> {
        // Everything under the lock: a tag added or a container created by another command
        // since we looked would otherwise be lost or left on a deleted image.
        let _lock = self.lock()?;
        let img = self.resolve_image(name)?;
        let containers = self.containers()?;
        let users: Vec<_> = containers.iter().filter(|c| c.image_id == img.id).collect();
        let by_tag = Reference::parse(name)
            .ok()
            .map(|r| r.full())
            .filter(|f| img.tags.contains(f));
        let mut out = Vec::new();
        let mut index = self.read_index()?;
        match by_tag {
            // Removing one of several tags only untags.
            Some(tag) if img.tags.len() > 1 => {
                index
                    .manifests
                    .retain(|d| annotation(d, REF_NAME) != Some(tag.as_str()));
                self.write_index(&index)?;
                self.emit(Event::on_image(Action::Untag).id(&img.id).name(&tag));
                out.push(format!("Untagged: {tag}"));
                return Ok(out);
            }
            _ => {}
        }
        if let Some(c) = users.iter().find(|c| c.state.status == "running") {
            return Err(EngineError::ImageInUse {
                image: img.short_id(),
                container: super::container::short_id(&c.id),
                state: "running".into(),
                how: "cannot be forced".into(),
            });
        }
        if let Some(c) = users.first()
            && !force
        {
            return Err(EngineError::ImageInUse {
                image: by_tag
                    .clone()
                    .map(|_| name.to_string())
                    .unwrap_or_else(|| img.short_id()),
                container: super::container::short_id(&c.id),
                state: "stopped".into(),
                how: "must be forced".into(),
            });
        }
        index.manifests.retain(|d| d.digest != img.manifest_digest);
        for t in &img.tags {
            out.push(format!("Untagged: {t}"));
        }
        if !users.is_empty() {
            // Forced while a stopped container uses it: Docker untags and keeps the image.
            keep_untagged(&mut index, &img.manifest_digest);
            self.write_index(&index)?;
            for t in &img.tags {
                self.emit(Event::on_image(Action::Untag).id(&img.id).name(t));
            }
            return Ok(out);
        }
        self.write_index(&index)?;
        for t in &img.tags {
            self.emit(Event::on_image(Action::Untag).id(&img.id).name(t));
        }
        out.push(format!("Deleted: {}", img.id));
        self.emit(Event::on_image(Action::Delete).id(&img.id));
        drop(_lock);
        // A built image's untagged build steps go with it, as in Docker.
        for id in self.remove_unused_build_parents(&img.id)? {
            out.push(format!("Deleted: {id}"));
        }
        self.collect_garbage()?;
        Ok(out)
    }

    /// Remove blobs and unpacked layers no image in the index refers to. Skipped while another
    /// command writes blobs not yet in the index (see `Store::writing`); a later `rmi` collects.
    pub fn collect_garbage(&self) -> Result<()> {
        let Some(_collecting) = self.try_collecting()? else {
            return Ok(());
        };
        let _lock = self.lock()?;
        let index = self.read_index()?;
        let mut keep_blobs = std::collections::HashSet::new();
        let mut keep_layers = std::collections::HashSet::new();
        for d in &index.manifests {
            keep_blobs.insert(d.digest.trim_start_matches("sha256:").to_string());
            let Ok(m) = read_json::<Manifest>(&self.blob_path(&d.digest)) else {
                continue;
            };
            keep_blobs.insert(m.config.digest.trim_start_matches("sha256:").to_string());
            for l in &m.layers {
                keep_blobs.insert(l.digest.trim_start_matches("sha256:").to_string());
            }
            if let Ok(c) = read_json::<ImageConfig>(&self.blob_path(&m.config.digest)) {
                for id in c.rootfs.diff_ids {
                    keep_layers.insert(id.trim_start_matches("sha256:").to_string());
                }
            }
        }
        if let Ok(rd) = fs::read_dir(self.root.join("blobs/sha256")) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !keep_blobs.contains(&name) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        if let Ok(rd) = fs::read_dir(self.root.join("layers")) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                let hex = name.trim_end_matches(".done");
                if !keep_layers.contains(hex) {
                    if name.ends_with(".done") {
                        let _ = fs::remove_file(e.path());
                    } else {
                        archive::remove_tree(&e.path());
                    }
                }
            }
        }
        Ok(())
    }

    /// The unpacked layer dirs of an image, top layer first (overlay's lowerdir order).
    pub fn lower_dirs(&self, img: &Image) -> Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        for id in img.config.rootfs.diff_ids.iter().rev() {
            if !self.layer_ready(id) {
                return Err(EngineError::Corrupt {
                    path: self.layer_dir(id),
                    detail: "layer is missing; pull the image again".into(),
                });
            }
            dirs.push(self.layer_dir(id));
        }
        Ok(dirs)
    }

    /// Total unpacked size of an image's layers (what `docker images` shows).
    pub fn image_size(&self, img: &Image) -> u64 {
        img.config
            .rootfs
            .diff_ids
            .iter()
            .map(|d| self.layer_size(d))
            .sum()
    }
}

/// A layer blob's tar stream: gunzipped when the blob starts with gzip's magic bytes.
pub fn open_layer_stream(mut file: File, path: &Path) -> Result<Box<dyn Read>> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(EngineError::io(path, e)),
        }
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| EngineError::io(path, e))?;
    let buffered = io::BufReader::new(file);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

fn keep_untagged(index: &mut Index, manifest_digest: &str) {
    if index.manifests.iter().any(|d| d.digest == manifest_digest) {
        return;
    }
    index.manifests.push(Descriptor {
        media_type: MT_MANIFEST.into(),
        digest: manifest_digest.into(),
        size: 0,
        annotations: Some(BTreeMap::from([(UNTAGGED.to_string(), "true".to_string())])),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_fold_docker_hub_names() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.full(), "busybox:latest");
        assert_eq!(r.canonical(), "docker.io/library/busybox:latest");
        assert_eq!(
            Reference::parse("docker.io/library/debian:12")
                .unwrap()
                .full(),
            "debian:12"
        );
        assert_eq!(
            Reference::parse("localhost:5000/app:v1").unwrap().full(),
            "localhost:5000/app:v1"
        );
        assert_eq!(
            Reference::parse("localhost:5000/app").unwrap().tag,
            "latest"
        );
    }

    #[test]
    fn bad_references_are_rejected() {
        for bad in ["", "Busybox", "a b", "x:", ":tag", "x:-bad", "x@sha256:00"] {
            assert!(Reference::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
