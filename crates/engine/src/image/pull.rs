//! The bundled catalog, and pulling from it.

use super::oci::{ImageConfig, Layout, MT_CONFIG, MT_MANIFEST, Manifest};
use super::reference::Reference;
use crate::{Action, EngineError, Event, Result, Store};

/// What `pull` reports as it goes, so the CLI can print Docker's lines.
pub trait PullProgress {
    /// A layer's state: its digest (`sha256:…`) and compressed size.
    fn layer(&mut self, digest: &str, size: u64, status: LayerStatus);
    /// The manifest was found; its layers follow (Docker's `Pulling from` line comes now, so
    /// a reference the registry lacks gets only the error).
    fn found(&mut self) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerStatus {
    AlreadyExists,
    Pulling,
    Complete,
}

pub struct NoProgress;
impl PullProgress for NoProgress {
    fn layer(&mut self, _: &str, _: u64, _: LayerStatus) {}
}

#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub reference: Reference,
    pub manifest_digest: String,
    pub image_id: String,
    /// False when the reference already named this image ("Image is up to date").
    pub updated: bool,
}

impl Store {
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

    /// The catalog's repositories with their descriptions (the index's
    /// `org.opencontainers.image.description`, empty where a tag has none), sorted by name:
    /// what `docker search` looks through.
    pub fn catalog_repositories(&self) -> Result<Vec<(String, String)>> {
        let mut repos = std::collections::BTreeMap::<String, String>::new();
        for d in &self.catalog()?.index.manifests {
            let Some(a) = &d.annotations else { continue };
            let Some((name, _)) = a.get(super::oci::REF_NAME).and_then(|r| r.rsplit_once(':'))
            else {
                continue;
            };
            let desc = repos.entry(name.to_string()).or_default();
            if desc.is_empty()
                && let Some(text) = a.get(super::oci::DESCRIPTION)
            {
                desc.clone_from(text);
            }
        }
        Ok(repos.into_iter().collect())
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

    /// Pull `name` from the bundled catalog into the store.
    pub fn pull(&self, name: &str, progress: &mut dyn PullProgress) -> Result<PullOutcome> {
        let r = Reference::parse_any(name)?;
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
        progress.found();
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
            if self.layer_ready(diff_id) && self.blob_path(&layer.digest).exists() {
                progress.layer(&layer.digest, layer.size, LayerStatus::AlreadyExists);
                continue;
            }
            progress.layer(&layer.digest, layer.size, LayerStatus::Pulling);
            if !self.adopt_pooled_blob(&layer.digest)? {
                // Copying the blob in (hash, fsync) and unpacking it are two reads of the same
                // catalog file: side by side, a pull takes the longer of the two, not the sum.
                let src = catalog.blob(&layer.digest);
                std::thread::scope(|s| {
                    let import = s.spawn(|| self.import_blob(&src, layer));
                    let unpacked = self.unpack_layer(&src, diff_id);
                    let imported = import.join().unwrap_or_else(|_| {
                        Err(EngineError::io(
                            &src,
                            std::io::Error::other("import panicked"),
                        ))
                    });
                    imported.and(unpacked)
                })?;
            }
            // Shares the store's blob with the layer pool (the layer itself is there now).
            self.unpack_layer(&self.blob_path(&layer.digest), diff_id)?;
            progress.layer(&layer.digest, layer.size, LayerStatus::Complete);
        }
        self.put_blob(MT_CONFIG, &config_bytes)?;
        self.put_blob(MT_MANIFEST, &manifest_bytes)?;
        // The catalog stands in for Docker Hub: Docker records the pull's digest reference.
        let updated = self.record_pull(&r, &desc.digest, &desc.digest, desc.size)?;
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

    /// A pull's references: the tag (none for a pull by digest) and the digest reference.
    /// True when the reference named was new ("Downloaded newer image").
    pub(crate) fn record_pull(
        &self,
        r: &Reference,
        manifest_digest: &str,
        remote_digest: &str,
        size: u64,
    ) -> Result<bool> {
        let tagged = match r.digest {
            None => self.set_tag(r, manifest_digest, size)?,
            Some(_) => false,
        };
        let digested = self.add_repo_digest(&r.name, manifest_digest, remote_digest, size)?;
        Ok(tagged || (r.digest.is_some() && digested))
    }
}
