//! The build cache in `<root>/build-cache.json`. The classic builder's steps are images in the
//! index (step keys to images, and the parent chain); BuildKit's are cache records that only
//! the builder sees: step keys to manifests whose blobs and layers stay out of the index,
//! counted by `system df` as Build Cache and removed by `builder prune`.

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
    /// BuildKit mode: sha256(parent id + step key) → the step's result, outside the index.
    #[serde(default)]
    pub(super) records: BTreeMap<String, Record>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Record {
    pub(super) manifest: String,
    /// The layer the step made (None: a step that only changes the config, which BuildKit
    /// keeps no snapshot for and so neither counts nor lists).
    #[serde(default)]
    pub(super) layer: Option<String>,
    pub(super) created: u64,
    pub(super) last_used: u64,
    pub(super) usage: u64,
}

/// A BuildKit cache record as `system df` and `builder prune` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheRecord {
    /// BuildKit-style record ID (25 characters).
    pub id: String,
    pub size: u64,
    pub created_millis: u64,
    pub last_used_millis: u64,
    pub usage: u64,
}

/// What `builder prune` removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachePruned {
    pub deleted: Vec<CacheRecord>,
    pub space_reclaimed: u64,
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
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

    /// BuildKit mode: keep a step's result as a cache record, not an image.
    pub(super) fn record_put(
        &self,
        key: &str,
        manifest: &str,
        layer: Option<String>,
    ) -> Result<()> {
        let _lock = self.lock()?;
        let mut cache = self.read_cache();
        let now = now_millis();
        cache.records.insert(
            key.to_string(),
            Record {
                manifest: manifest.to_string(),
                layer,
                created: now,
                last_used: now,
                usage: 1,
            },
        );
        write_json(&self.cache_path(), &cache)?;
        Ok(())
    }

    /// The records a build took from the cache were used again (one write per build).
    pub(super) fn records_used(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let _lock = self.lock()?;
        let mut cache = self.read_cache();
        let now = now_millis();
        for k in keys {
            if let Some(r) = cache.records.get_mut(k) {
                r.last_used = now;
                r.usage += 1;
            }
        }
        write_json(&self.cache_path(), &cache)?;
        Ok(())
    }

    /// The image a cache record holds, when its blobs are all still there.
    pub(super) fn record_image(&self, key: &str) -> Option<crate::image::Image> {
        let cache = self.read_cache();
        let r = cache.records.get(key)?;
        self.load_image(&r.manifest, Vec::new())
    }

    /// A build step's image by its full ID, for the build container that runs on it (the
    /// records are not in the index, so `resolve_image` asks here last).
    pub(crate) fn build_cache_image(&self, id: &str) -> Option<crate::image::Image> {
        if id.len() != 71 || !id.starts_with("sha256:") {
            return None;
        }
        let cache = self.read_cache();
        cache.records.values().find_map(|r| {
            self.load_image(&r.manifest, Vec::new())
                .filter(|img| img.id == id)
        })
    }

    /// Manifests the build cache holds: garbage collection keeps their blobs and layers.
    pub(crate) fn build_cache_manifests(&self) -> Vec<String> {
        let cache = self.read_cache();
        cache.records.values().map(|r| r.manifest.clone()).collect()
    }

    /// BuildKit's cache records with a snapshot (a layer), oldest first.
    pub fn build_cache(&self) -> Vec<CacheRecord> {
        let cache = self.read_cache();
        let mut out: Vec<CacheRecord> = cache
            .records
            .iter()
            .filter_map(|(key, r)| {
                let layer = r.layer.as_ref()?;
                Some(CacheRecord {
                    id: record_id(key),
                    size: self.layer_size(layer),
                    created_millis: r.created,
                    last_used_millis: r.last_used,
                    usage: r.usage,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.created_millis
                .cmp(&b.created_millis)
                .then(a.id.cmp(&b.id))
        });
        out
    }

    /// `docker builder prune`: drop every cache record (no build runs meanwhile: the builder
    /// holds the store's writing guard), then collect what only they kept.
    pub fn prune_build_cache(&self) -> Result<CachePruned, EngineError> {
        let Some(_collecting) = self.try_collecting()? else {
            return Ok(CachePruned::default());
        };
        let deleted = self.build_cache();
        {
            let _lock = self.lock()?;
            let mut cache = self.read_cache();
            if cache.records.is_empty() {
                return Ok(CachePruned::default());
            }
            cache.records.clear();
            write_json(&self.cache_path(), &cache)?;
        }
        drop(_collecting);
        self.collect_garbage()?;
        Ok(CachePruned {
            space_reclaimed: deleted.iter().map(|r| r.size).sum(),
            deleted,
        })
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

/// A record's ID as BuildKit shows one: 25 lower-case base-36 characters (here from the key).
fn record_id(key: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let bytes = hex::decode(key).unwrap_or_default();
    let mut n: u128 = bytes
        .iter()
        .take(16)
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let mut out = Vec::with_capacity(25);
    for _ in 0..25 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

pub(super) fn cache_key(parent: &str, step: &str) -> String {
    let mut h = Sha256::new();
    h.update(parent.as_bytes());
    h.update([0u8]);
    h.update(step.as_bytes());
    hex::encode(h.finalize())
}
