//! The store's `index.json`: images, tags, `rmi`, and garbage collection.

use std::collections::BTreeMap;
use std::fs;

use super::oci::{
    Descriptor, Image, ImageConfig, Index, MT_INDEX, MT_MANIFEST, Manifest, REF_NAME, REPO_DIGEST,
    UNTAGGED, annotation,
};
use super::reference::Reference;
use crate::store::{read_json, write_json};
use crate::{Action, EngineError, Event, Result, Store, archive};

impl Store {
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
        let mut by_manifest: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for d in &index.manifests {
            let entry = by_manifest.entry(d.digest.clone()).or_default();
            if let Some(tag) = annotation(d, REF_NAME) {
                entry.0.push(tag.to_string());
            }
            if let Some(r) = annotation(d, REPO_DIGEST) {
                entry.1.push(r.to_string());
            }
        }
        let mut out = Vec::new();
        for (digest, names) in by_manifest {
            out.extend(self.image_named(&digest, names));
        }
        out.sort_by(|a, b| {
            b.created_millis()
                .cmp(&a.created_millis())
                .then(a.tags.cmp(&b.tags))
        });
        Ok(out)
    }

    /// The image of manifest `digest` with its (tags, repo digests), sorted; None when a
    /// manifest or config was lost to a crash (the image is not usable).
    fn image_named(&self, digest: &str, names: (Vec<String>, Vec<String>)) -> Option<Image> {
        let (mut tags, mut repo_digests) = names;
        tags.sort();
        repo_digests.sort();
        self.load_image(digest, tags).map(|mut img| {
            img.repo_digests = repo_digests;
            img
        })
    }

    /// The one image `full` names (a tag, or with `by_digest` a repo digest), read alone:
    /// `run` and `create` resolve a name on each start, and a store of a course's images
    /// would otherwise have every manifest and config parsed for it. None when no manifest
    /// or more than one is so named (the full listing decides then).
    fn image_by_name(&self, full: &str, by_digest: bool) -> Result<Option<Image>> {
        let index = self.read_index()?;
        let key = if by_digest { REPO_DIGEST } else { REF_NAME };
        let mut named = index
            .manifests
            .iter()
            .filter(|d| annotation(d, key) == Some(full));
        let (Some(d), None) = (named.next(), named.next()) else {
            return Ok(None);
        };
        let mut names = (Vec::new(), Vec::new());
        for other in index.manifests.iter().filter(|o| o.digest == d.digest) {
            names
                .0
                .extend(annotation(other, REF_NAME).map(str::to_string));
            names
                .1
                .extend(annotation(other, REPO_DIGEST).map(str::to_string));
        }
        Ok(self.image_named(&d.digest, names))
    }

    /// An image from its manifest blob and config blob, None when either is gone.
    pub(crate) fn load_image(&self, manifest_digest: &str, tags: Vec<String>) -> Option<Image> {
        let manifest: Manifest = read_json(&self.blob_path(manifest_digest)).ok()?;
        let config: ImageConfig = read_json(&self.blob_path(&manifest.config.digest)).ok()?;
        Some(Image {
            id: manifest.config.digest.clone(),
            manifest_digest: manifest_digest.to_string(),
            manifest,
            config,
            tags,
            repo_digests: Vec::new(),
        })
    }

    /// Find an image by tag, by digest reference (`name@sha256:…`, its RepoDigests), by ID
    /// (full or a unique prefix of at least 1 hex digit), or by "sha256:" ID.
    pub fn resolve_image(&self, name: &str) -> Result<Image> {
        let parsed = Reference::parse_any(name);
        if let Ok(r) = &parsed
            && let Some(img) = self.image_by_name(&r.full(), r.digest.is_some())?
        {
            return Ok(img);
        }
        let images = self.images()?;
        if let Ok(r) = parsed {
            let full = r.full();
            let refs = |i: &Image| match r.digest {
                Some(_) => i.repo_digests.contains(&full),
                None => i.tags.contains(&full),
            };
            if let Some(img) = images.iter().find(|i| refs(i)) {
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
        // A BuildKit build step a build container runs on (full IDs only: never listed).
        if let Some(img) = self.build_cache_image(name) {
            return Ok(img);
        }
        Err(EngineError::NoSuchImage(name.to_string()))
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

    /// Record `name@remote_digest` for the image of `manifest_digest`: Docker's RepoDigests
    /// entry for an image pulled from, or pushed to, a registry. False when it was there.
    pub fn add_repo_digest(
        &self,
        name: &str,
        manifest_digest: &str,
        remote_digest: &str,
        size: u64,
    ) -> Result<bool> {
        let _lock = self.lock()?;
        let mut index = self.read_index()?;
        let reference = format!("{name}@{remote_digest}");
        let had = index.manifests.iter().any(|d| {
            d.digest == manifest_digest && annotation(d, REPO_DIGEST) == Some(reference.as_str())
        });
        index.manifests.retain(|d| {
            annotation(d, REPO_DIGEST) != Some(reference.as_str())
                && !(d.digest == manifest_digest && annotation(d, UNTAGGED).is_some())
        });
        index.manifests.push(Descriptor {
            media_type: MT_MANIFEST.into(),
            digest: manifest_digest.into(),
            size,
            annotations: Some(BTreeMap::from([(REPO_DIGEST.to_string(), reference)])),
        });
        self.write_index(&index)?;
        Ok(!had)
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        // The target first: Docker's CLI refuses a digest reference before it looks.
        let r = Reference::parse(target)?;
        let img = self.resolve_image(source)?;
        let size = fs::metadata(self.blob_path(&img.manifest_digest))
            .map(|m| m.len())
            .unwrap_or(0);
        self.set_tag(&r, &img.manifest_digest, size)?;
        self.emit(Event::on_image(Action::Tag).id(&img.id).name(&r.full()));
        Ok(())
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
        // The reference named (a tag or a digest reference), not an ID.
        let by_tag = Reference::parse_any(name)
            .ok()
            .map(|r| r.full())
            .filter(|f| img.tags.contains(f) || img.repo_digests.contains(f));
        let mut out = Vec::new();
        let mut index = self.read_index()?;
        match &by_tag {
            // With references left in other repositories, or another tag, only untag: the
            // tag, and its repository's digest references when no tag of it is left (moby's
            // ImageDelete).
            // A digest reference goes alone; the image with it only when it was the last.
            Some(tag)
                if !single_reference(&img) || (is_digest(tag) && reference_count(&img) > 1) =>
            {
                let repo = repo_of(tag);
                let mut removed = vec![tag.clone()];
                if !is_digest(tag) && !img.tags.iter().any(|t| t != tag && repo_of(t) == repo) {
                    removed.extend(
                        img.repo_digests
                            .iter()
                            .filter(|d| repo_of(d) == repo)
                            .cloned(),
                    );
                }
                index.manifests.retain(|d| {
                    let r = annotation(d, REF_NAME).or_else(|| annotation(d, REPO_DIGEST));
                    !r.is_some_and(|r| removed.iter().any(|x| x == r))
                });
                self.write_index(&index)?;
                for r in removed {
                    self.emit(Event::on_image(Action::Untag).id(&img.id).name(&r));
                    out.push(format!("Untagged: {r}"));
                }
                return Ok(out);
            }
            _ => {}
        }
        if let Some(c) = users.first()
            && by_tag.is_some()
            && !force
        {
            return Err(EngineError::ReferenceInUse {
                reference: name.to_string(),
                container: c.short_id(),
                image: img.short_id(),
            });
        }
        if let Some(c) = users.iter().find(|c| c.state.status == "running") {
            return Err(EngineError::ImageInUse {
                image: img.short_id(),
                container: c.short_id(),
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
                container: c.short_id(),
                state: "stopped".into(),
                how: "must be forced".into(),
            });
        }
        index.manifests.retain(|d| d.digest != img.manifest_digest);
        // Docker's reference store lists them lexically: a tag before its digest reference.
        let mut refs: Vec<&String> = img.tags.iter().chain(&img.repo_digests).collect();
        refs.sort();
        for r in &refs {
            out.push(format!("Untagged: {r}"));
        }
        if !users.is_empty() {
            // Forced while a stopped container uses it: Docker untags and keeps the image.
            keep_untagged(&mut index, &img.manifest_digest);
            self.write_index(&index)?;
            for r in &refs {
                self.emit(Event::on_image(Action::Untag).id(&img.id).name(r));
            }
            return Ok(out);
        }
        self.write_index(&index)?;
        for r in &refs {
            self.emit(Event::on_image(Action::Untag).id(&img.id).name(r));
        }
        out.push(format!("Deleted: {}", img.id));
        for layer in self.released_layers(&img.config.rootfs.diff_ids)? {
            out.push(format!("Deleted: {layer}"));
        }
        self.emit(Event::on_image(Action::Delete).id(&img.id));
        drop(_lock);
        // A built image's untagged build steps go with it, as in Docker (each with its layers).
        for id in self.remove_unused_build_parents(&img.id)? {
            out.push(format!("Deleted: {id}"));
        }
        self.collect_garbage()?;
        Ok(out)
    }

    /// The layers an image's deletion released, as Docker's `rmi` lists them: chain ids, top
    /// first, down to the first one an image left in the index still holds.
    pub(crate) fn released_layers(&self, diff_ids: &[String]) -> Result<Vec<String>> {
        let kept: std::collections::HashSet<String> = self
            .images()?
            .iter()
            .flat_map(|i| chain_ids(&i.config.rootfs.diff_ids))
            .collect();
        Ok(chain_ids(diff_ids)
            .into_iter()
            .rev()
            .take_while(|c| !kept.contains(c))
            .collect())
    }

    /// Remove blobs and unpacked layers no image in the index and no build cache record
    /// refers to. Skipped while another
    /// command writes blobs not yet in the index (see `Store::writing`); a later `rmi` collects.
    pub fn collect_garbage(&self) -> Result<()> {
        let Some(_collecting) = self.try_collecting()? else {
            return Ok(());
        };
        let _lock = self.lock()?;
        let index = self.read_index()?;
        let mut keep_blobs = std::collections::HashSet::new();
        let mut keep_layers = std::collections::HashSet::new();
        let digests = index.manifests.iter().map(|d| d.digest.clone());
        for digest in digests.chain(self.build_cache_manifests()) {
            keep_blobs.insert(digest.trim_start_matches("sha256:").to_string());
            let Ok(m) = read_json::<Manifest>(&self.blob_path(&digest)) else {
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
                        // A pool reference is a symlink: only the link goes.
                        archive::remove_tree(&e.path());
                    }
                }
            }
        }
        drop(_lock);
        // The last store's reference gone, the pool's copy goes too.
        if let Some(pool) = crate::pool::Pool::for_store(self) {
            pool.collect(self)?;
        }
        Ok(())
    }
}

/// The OCI chain ids of a stack of layers: the first diff id, then
/// sha256("PARENT_CHAIN DIFF_ID") for each above it.
fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(prev) => format!(
                "sha256:{}",
                super::sha256_hex(format!("{prev} {d}").as_bytes())
            ),
        };
        out.push(next);
    }
    out
}

/// The repository of a tag or digest reference (`busybox` of `busybox:1` and `busybox@sha256:…`).
fn repo_of(reference: &str) -> &str {
    if let Some((name, _)) = reference.split_once('@') {
        return name;
    }
    let last_slash = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[last_slash..].rfind(':') {
        Some(i) => &reference[..last_slash + i],
        None => reference,
    }
}

fn is_digest(reference: &str) -> bool {
    reference.contains('@')
}

fn reference_count(img: &Image) -> usize {
    img.tags.len() + img.repo_digests.len()
}

/// moby's isSingleReference: every reference in one repository, and at most one tag.
fn single_reference(img: &Image) -> bool {
    let Some(first) = img.tags.first().or(img.repo_digests.first()) else {
        return true;
    };
    let repo = repo_of(first);
    img.tags.len() <= 1
        && img
            .tags
            .iter()
            .chain(&img.repo_digests)
            .all(|r| repo_of(r) == repo)
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
