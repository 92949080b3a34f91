//! The build cache in `<root>/build-cache.json`: step keys to images, and the parent chain.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::Result;
use crate::store::{read_json, write_json};
use crate::{Action, EngineError, Event, Store};

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct CacheFile {
    /// sha256(parent id + step key) → child image id.
    #[serde(default)]
    pub(super) steps: BTreeMap<String, String>,
    /// child image id → parent image id (Docker's image parent chain).
    #[serde(default)]
    parents: BTreeMap<String, String>,
}

impl Store {
    fn cache_path(&self) -> PathBuf {
        self.root.join("build-cache.json")
    }

    pub(super) fn read_cache(&self) -> CacheFile {
        read_json(&self.cache_path()).unwrap_or_default()
    }

    pub(super) fn cache_put(&self, key: &str, parent: &str, child: &str) -> Result<()> {
        let _lock = self.lock()?;
        let mut cache = self.read_cache();
        cache.steps.insert(key.to_string(), child.to_string());
        cache.parents.insert(child.to_string(), parent.to_string());
        write_json(&self.cache_path(), &cache)?;
        Ok(())
    }

    /// IDs of images another image in the store was built on: Docker's intermediate images,
    /// which `docker images` shows only with `-a`.
    pub fn build_parents(&self) -> HashSet<String> {
        let cache = self.read_cache();
        let present: HashSet<String> = self
            .images()
            .map(|v| v.into_iter().map(|i| i.id).collect())
            .unwrap_or_default();
        cache
            .parents
            .iter()
            .filter(|(child, _)| present.contains(*child))
            .map(|(_, parent)| parent.clone())
            .collect()
    }

    /// The image a built image was made from (one step back), if it is still in the store.
    pub fn build_parent(&self, id: &str) -> Option<String> {
        let parent = self.read_cache().parents.get(id).cloned()?;
        self.resolve_image(&parent).ok().map(|i| i.id)
    }

    /// After `removed` was deleted: delete its build parents, one step back at a time, while
    /// each is untagged, has no other image built on it, and no container uses it. Returns the
    /// deleted IDs, each followed by the layers its deletion released.
    pub fn remove_unused_build_parents(&self, removed: &str) -> Result<Vec<String>, EngineError> {
        let cache = self.read_cache();
        let mut deleted = Vec::new();
        let mut cur = removed.to_string();
        while let Some(parent) = cache.parents.get(&cur) {
            let _lock = self.lock()?;
            let images = self.images()?;
            let Some(p) = images.iter().find(|i| &i.id == parent) else {
                break;
            };
            let present: HashSet<&str> = images.iter().map(|i| i.id.as_str()).collect();
            let other_child = cache
                .parents
                .iter()
                .any(|(child, par)| par == parent && present.contains(child.as_str()));
            let used = self.containers()?.iter().any(|c| c.image_id == p.id);
            if !p.tags.is_empty() || other_child || used {
                break;
            }
            let mut index = self.read_index()?;
            index.manifests.retain(|d| d.digest != p.manifest_digest);
            write_json(&self.index_path(), &index)?;
            self.emit(Event::on_image(Action::Delete).id(&p.id));
            deleted.push(p.id.clone());
            deleted.extend(self.released_layers(&p.config.rootfs.diff_ids)?);
            cur = p.id.clone();
        }
        Ok(deleted)
    }
}

pub(super) fn cache_key(parent: &str, step: &str) -> String {
    let mut h = Sha256::new();
    h.update(parent.as_bytes());
    h.update([0u8]);
    h.update(step.as_bytes());
    hex::encode(h.finalize())
}
