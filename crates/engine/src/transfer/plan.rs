//! `load`'s first half: the tarball extracted into staging (links kept as a map, never
//! followed outside it), every blob hashed and checked against the digest its name or the
//! manifest promises, and a plan of images to store (`Store::store_planned` then stores it).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::{
    CONTAINERD_NAME, GZIP_MAGIC, LegacyEntry, MAX_LINK_HOPS, blob_name, checked_digest,
    maybe_gunzip,
};
use crate::archive::{COPY_BUF, clean_path};
use crate::image::{
    self, Descriptor, HashReader, ImageConfig, Index, Manifest, REF_NAME, Reference, short_hex,
};
use crate::store::read_json;
use crate::{EngineError, Result};

/// A tarball unpacked into staging: regular files on disk, links kept as a map so nothing is
/// ever resolved outside the staging dir.
pub(super) struct Tree {
    root: PathBuf,
    links: HashMap<PathBuf, PathBuf>,
}

impl Tree {
    /// The file a path in the archive names, following its links inside the archive.
    fn resolve(&self, raw: &str) -> Result<PathBuf> {
        let mut rel = clean_path(Path::new(raw))?;
        for _ in 0..MAX_LINK_HOPS {
            // Any leading part of the path may be a link (a linked dir, or the file itself).
            let comps: Vec<_> = rel.components().collect();
            let linked = (1..=comps.len()).find_map(|i| {
                let prefix: PathBuf = comps[..i].iter().collect();
                let rest: PathBuf = comps[i..].iter().collect();
                self.links.get(&prefix).map(|target| {
                    if rest.as_os_str().is_empty() {
                        target.clone()
                    } else {
                        target.join(rest)
                    }
                })
            });
            match linked {
                Some(next) => rel = next,
                None => return Ok(self.root.join(rel)),
            }
        }
        Err(EngineError::UnsafePath(format!("{raw} (too many links)")))
    }

    fn read(&self, raw: &str, source: &Path) -> Result<Vec<u8>> {
        let path = self.resolve(raw)?;
        fs::read(&path).map_err(|_| missing(source, raw))
    }
}

fn missing(source: &Path, raw: &str) -> EngineError {
    EngineError::Corrupt {
        path: source.to_path_buf(),
        detail: format!("the archive lacks {raw}, which its manifest names"),
    }
}

fn corrupt(source: &Path, detail: impl std::fmt::Display) -> EngineError {
    EngineError::Corrupt {
        path: source.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// Resolve a symlink's target against the link's own dir, lexically, refusing to leave the
/// archive.
fn link_target(link: &Path, target: &Path) -> Result<PathBuf> {
    let bad = || EngineError::UnsafePath(format!("{} -> {}", link.display(), target.display()));
    let mut out: Vec<OsString> = link
        .parent()
        .map(|p| p.iter().map(|c| c.to_os_string()).collect())
        .unwrap_or_default();
    for comp in target.components() {
        match comp {
            Component::Normal(p) => out.push(p.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop().ok_or_else(bad)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(bad()),
        }
    }
    Ok(out.iter().collect())
}

pub(super) fn extract_tarball(input: &mut dyn Read, staging: &Path, source: &Path) -> Result<Tree> {
    let mut reader = maybe_gunzip(input).map_err(|e| EngineError::io(source, e))?;
    let mut archive = tar::Archive::new(&mut reader);
    let mut links = HashMap::new();
    let mut any = false;
    let entries = archive.entries().map_err(|e| corrupt(source, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(source, format!("bad archive: {e}")))?;
        any = true;
        let raw = entry
            .path()
            .map_err(|e| corrupt(source, format!("bad archive: {e}")))?
            .into_owned();
        let rel = clean_path(&raw)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let kind = entry.header().entry_type();
        let dest = staging.join(&rel);
        if kind.is_dir() {
            fs::create_dir_all(&dest).map_err(|e| EngineError::io(&dest, e))?;
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| corrupt(source, e))?
                .ok_or_else(|| EngineError::UnsafePath(raw.display().to_string()))?;
            let resolved = if kind.is_symlink() {
                link_target(&rel, &target)?
            } else {
                clean_path(&target)?
            };
            links.insert(rel, resolved);
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(|e| EngineError::io(parent, e))?;
            }
            let mut out = File::create(&dest).map_err(|e| EngineError::io(&dest, e))?;
            // Large pieces: `io::copy` reads a `BufReader` through its buffer (8 KiB else).
            let mut entry = BufReader::with_capacity(COPY_BUF, &mut entry);
            io::copy(&mut entry, &mut out)
                .map_err(|e| corrupt(source, format!("bad archive: {e}")))?;
        }
        // Other entry types have no place in a save tarball and are skipped.
    }
    // Read to the end so a truncated gzip stream is noticed.
    io::copy(&mut reader, &mut io::sink())
        .map_err(|e| corrupt(source, format!("bad archive: {e}")))?;
    if !any {
        return Err(corrupt(source, "empty archive"));
    }
    Ok(Tree {
        root: staging.to_path_buf(),
        links,
    })
}

pub(super) struct PlannedLayer {
    pub(super) path: PathBuf,
    pub(super) digest: String,
    pub(super) size: u64,
    pub(super) gzip: bool,
    pub(super) diff_id: String,
    /// Where the layer was unpacked while it was checked, and its unpacked size.
    pub(super) unpacked: Option<(PathBuf, u64)>,
}

pub(super) struct Planned {
    pub(super) config_bytes: Vec<u8>,
    pub(super) layers: Vec<PlannedLayer>,
    pub(super) tags: Vec<Reference>,
}

/// Where a load unpacks, while it checks them, the layers the store has not got: each such
/// layer is read once (it was inflated to check it, then again to unpack it).
pub(super) struct Unpack<'a> {
    /// A dir under the load's staging; each layer goes into `<dir>/<diff ID hex>`.
    pub(super) dir: &'a Path,
    /// Whether the store lacks a layer (by diff ID).
    pub(super) wanted: &'a dyn Fn(&str) -> bool,
}

/// What a layer file is: its own digest and size, whether it is gzip'd, and the digest of
/// the tar inside (its diff ID); and its unpacked size when it was unpacked on the way.
struct Hashed {
    digest: String,
    size: u64,
    gzip: bool,
    diff_id: String,
    unpacked: Option<u64>,
}

/// Hash a layer file, and unpack it into `unpack_to` while at it.
fn hash_layer(path: &Path, source: &Path, raw: &str, unpack_to: Option<&Path>) -> Result<Hashed> {
    let file = File::open(path).map_err(|_| missing(source, raw))?;
    let mut outer = HashReader::new(BufReader::new(file));
    let gzip = outer
        .inner
        .fill_buf()
        .map_err(|e| EngineError::io(path, e))?
        .starts_with(&GZIP_MAGIC);
    let bad = |e: io::Error| corrupt(source, format!("layer {raw}: {e}"));
    if let Some(dest) = unpack_to {
        // A plain tar's digest is its diff ID: hashed once, by the unpack.
        if gzip {
            io::copy(&mut outer, &mut io::sink()).map_err(bad)?;
        }
        let (own, size) = outer.finish();
        let (unpacked, diff) = crate::image::unpack_blob_into(path, dest).map_err(|e| match e {
            // Reading the staged file: its path means nothing to the user, the archive's does.
            EngineError::Io { path: p, source: e } if p == path => bad(e),
            other => other,
        })?;
        let size = if gzip {
            size
        } else {
            fs::metadata(path)
                .map_err(|e| EngineError::io(path, e))?
                .len()
        };
        let own = if gzip { own } else { diff.clone() };
        return Ok(Hashed {
            digest: format!("sha256:{own}"),
            size,
            gzip,
            diff_id: format!("sha256:{diff}"),
            unpacked: Some(unpacked),
        });
    }
    let diff = if gzip {
        let mut inner = HashReader::new(flate2::read::MultiGzDecoder::new(&mut outer));
        io::copy(&mut inner, &mut io::sink()).map_err(bad)?;
        inner.finish().0
    } else {
        String::new()
    };
    io::copy(&mut outer, &mut io::sink()).map_err(bad)?;
    let (hex, size) = outer.finish();
    let diff = if gzip { diff } else { hex.clone() };
    Ok(Hashed {
        digest: format!("sha256:{hex}"),
        size,
        gzip,
        diff_id: format!("sha256:{diff}"),
        unpacked: None,
    })
}

/// The digest a path in the archive promises, if its name carries one
/// (`blobs/sha256/<hex>`, or older Docker's `<hex>.json` config).
fn promised_digest(raw: &str) -> Option<String> {
    let p = Path::new(raw);
    let name = p.file_name()?.to_str()?;
    let hex = name.strip_suffix(".json").unwrap_or(name);
    let parent = p.parent().and_then(|d| d.to_str()).unwrap_or("");
    let named = parent.trim_end_matches('/').ends_with("blobs/sha256") || name.ends_with(".json");
    let is_hex = hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit());
    (named && is_hex).then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

fn verify_promise(raw: &str, actual: &str, source: &Path) -> Result<()> {
    match promised_digest(raw) {
        Some(expected) if expected != actual => Err(EngineError::DigestMismatch {
            what: format!("{} in {}", raw, source.display()),
            expected,
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    }
}

fn parse_config(bytes: &[u8], source: &Path, raw: &str) -> Result<ImageConfig> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(source, format!("config {raw}: {e}")))
}

/// Check every layer of one image against its config's diff IDs.
fn plan_layers(
    tree: &Tree,
    source: &Path,
    config: &ImageConfig,
    layers: &[(String, Option<Descriptor>)],
    unpack: &Unpack<'_>,
) -> Result<Vec<PlannedLayer>> {
    if config.rootfs.diff_ids.len() != layers.len() {
        return Err(corrupt(
            source,
            format!(
                "the manifest names {} layers but the config {}",
                layers.len(),
                config.rootfs.diff_ids.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for ((raw, desc), diff_id) in layers.iter().zip(&config.rootfs.diff_ids) {
        checked_digest(diff_id)?;
        let path = tree.resolve(raw)?;
        // Once per layer: a second image with the same layer only checks its file.
        let dest = unpack.dir.join(diff_id.trim_start_matches("sha256:"));
        let unpack_to = ((unpack.wanted)(diff_id) && !dest.exists()).then_some(dest.as_path());
        let Hashed {
            digest,
            size,
            gzip,
            diff_id: actual_diff,
            unpacked,
        } = hash_layer(&path, source, raw, unpack_to)?;
        verify_promise(raw, &digest, source)?;
        if let Some(d) = desc
            && (d.digest != digest || d.size != size)
        {
            return Err(EngineError::DigestMismatch {
                what: format!("layer {} in {}", short_hex(&d.digest), source.display()),
                expected: d.digest.clone(),
                actual: digest,
            });
        }
        if &actual_diff != diff_id {
            return Err(EngineError::DigestMismatch {
                what: format!("layer {} in {}", short_hex(diff_id), source.display()),
                expected: diff_id.clone(),
                actual: actual_diff,
            });
        }
        out.push(PlannedLayer {
            path,
            digest,
            size,
            gzip,
            diff_id: diff_id.clone(),
            unpacked: unpacked.map(|u| (dest, u)),
        });
    }
    Ok(out)
}

fn parse_tags(tags: &[String], source: &Path) -> Result<Vec<Reference>> {
    tags.iter()
        .map(|t| Reference::parse(t).map_err(|_| corrupt(source, format!("bad tag {t}"))))
        .collect()
}

/// Read and check everything a tarball holds, touching nothing in the store.
pub(super) fn plan_load(tree: &Tree, source: &Path, unpack: &Unpack<'_>) -> Result<Vec<Planned>> {
    let manifest_json = tree.root.join("manifest.json");
    if manifest_json.is_file() {
        let entries: Vec<LegacyEntry> = read_json(&manifest_json)
            .map_err(|e| corrupt(source, format!("manifest.json: {e}")))?;
        let mut plans = Vec::new();
        for entry in entries {
            let config_bytes = tree.read(&entry.config, source)?;
            let id = format!("sha256:{}", image::sha256_hex(&config_bytes));
            verify_promise(&entry.config, &id, source)?;
            let config = parse_config(&config_bytes, source, &entry.config)?;
            let layers: Vec<(String, Option<Descriptor>)> =
                entry.layers.iter().map(|l| (l.clone(), None)).collect();
            let layers = plan_layers(tree, source, &config, &layers, unpack)?;
            plans.push(Planned {
                config_bytes,
                layers,
                tags: parse_tags(&entry.repo_tags.unwrap_or_default(), source)?,
            });
        }
        return Ok(plans);
    }
    let index_json = tree.root.join("index.json");
    if !index_json.is_file() {
        return Err(corrupt(
            source,
            "not an image archive: it has neither manifest.json nor index.json",
        ));
    }
    let index: Index =
        read_json(&index_json).map_err(|e| corrupt(source, format!("index.json: {e}")))?;
    // Manifests in index order, each once, with the names the index gives it.
    let mut order: Vec<(Descriptor, Vec<String>)> = Vec::new();
    for d in &index.manifests {
        let name = d.annotations.as_ref().and_then(|a| {
            a.get(CONTAINERD_NAME).cloned().or_else(|| {
                // gorae's own index has the full "busybox:latest" here; a bare tag names no
                // repository and so cannot be loaded as a name.
                a.get(REF_NAME).filter(|n| n.contains(':')).cloned()
            })
        });
        match order.iter_mut().find(|(o, _)| o.digest == d.digest) {
            Some((_, names)) => names.extend(name),
            None => order.push((d.clone(), name.into_iter().collect())),
        }
    }
    let mut plans = Vec::new();
    for (desc, names) in order {
        let manifest = read_manifest(tree, source, &desc, 0)?;
        checked_digest(&manifest.config.digest)?;
        let config_raw = blob_name(&manifest.config.digest);
        let config_bytes = tree.read(&config_raw, source)?;
        image::verify_bytes(&config_bytes, &manifest.config)?;
        let config = parse_config(&config_bytes, source, &config_raw)?;
        let mut layers = Vec::new();
        for l in &manifest.layers {
            checked_digest(&l.digest)?;
            layers.push((blob_name(&l.digest), Some(l.clone())));
        }
        let layers = plan_layers(tree, source, &config, &layers, unpack)?;
        plans.push(Planned {
            config_bytes,
            layers,
            tags: parse_tags(&names, source)?,
        });
    }
    Ok(plans)
}

/// The image manifest a descriptor leads to; a nested index resolves to this machine's
/// platform (or its only entry).
fn read_manifest(tree: &Tree, source: &Path, desc: &Descriptor, depth: usize) -> Result<Manifest> {
    checked_digest(&desc.digest)?;
    let raw = blob_name(&desc.digest);
    let bytes = tree.read(&raw, source)?;
    image::verify_bytes(&bytes, desc)?;
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        manifests: Option<Vec<PlatformDesc>>,
    }
    #[derive(Deserialize)]
    struct PlatformDesc {
        #[serde(flatten)]
        desc: Descriptor,
        #[serde(default)]
        platform: Option<serde_json::Value>,
    }
    let probe: Probe =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(source, format!("{raw}: {e}")))?;
    if let Some(list) = probe.manifests {
        if depth > 2 {
            return Err(corrupt(source, "indexes nested too deep"));
        }
        let arch = crate::registry::host_arch();
        let chosen = list
            .iter()
            .find(|m| {
                m.platform
                    .as_ref()
                    .is_some_and(|p| p["os"] == "linux" && p["architecture"] == arch)
            })
            .or_else(|| list.first())
            .ok_or_else(|| corrupt(source, format!("{raw}: an empty index")))?;
        return read_manifest(tree, source, &chosen.desc, depth + 1);
    }
    serde_json::from_slice(&bytes).map_err(|e| corrupt(source, format!("{raw}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets_stay_inside_the_archive() {
        assert_eq!(
            link_target(Path::new("abc/layer.tar"), Path::new("../def/layer.tar")).unwrap(),
            PathBuf::from("def/layer.tar")
        );
        assert!(link_target(Path::new("abc/layer.tar"), Path::new("../../etc/passwd")).is_err());
        assert!(link_target(Path::new("a"), Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn promised_digests_come_from_blob_and_config_names() {
        let hex = "a".repeat(64);
        assert_eq!(
            promised_digest(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            promised_digest(&format!("{hex}.json")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(promised_digest(&format!("{hex}/layer.tar")), None);
        assert!(checked_digest("sha256:../../etc").is_err());
        assert!(checked_digest(&format!("sha256:{hex}")).is_ok());
    }
}
