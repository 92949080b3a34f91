//! Moving images and filesystems in and out of the store: `save`, `load`, `export`, `import`.
//!
//! `save` writes Docker 25+'s tarball: an OCI image layout (`oci-layout`, `index.json`,
//! `blobs/sha256/…` with plain-tar layers) plus the legacy `manifest.json` and `repositories`,
//! so both old and new Docker load it. `load` reads that, older Docker's `<id>/layer.tar`
//! form, and gorae's own; every digest is checked before anything reaches the store.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::archive::{self, is_opaque, is_whiteout};
use super::image::{
    self, Descriptor, HashReader, HashWriter, History, Image, ImageConfig, Index, MT_CONFIG,
    MT_INDEX, MT_LAYER_GZIP, MT_LAYER_TAR, MT_MANIFEST, Manifest, REF_NAME, Reference, RootFs,
    short_hex,
};
use super::lifecycle::apply_change;
use super::{Action, EngineError, Event, Result, Store};

mod plan;
use plan::{Planned, Unpack, extract_tarball, plan_load};

/// Docker's (containerd's) annotation with the full image name in a saved `index.json`.
const CONTAINERD_NAME: &str = "io.containerd.image.name";
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Symlink hops followed when resolving a path inside a loaded tarball.
const MAX_LINK_HOPS: usize = 16;

/// One entry of a `docker save` tarball's `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
struct LegacyEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// What `load` brought into the store.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    pub id: String,
    /// "busybox:latest", …; empty for an image saved by ID.
    pub tags: Vec<String>,
    /// The layers this load unpacked (not those already in the store), as Docker's progress
    /// names them: the layer's chain ID and the size of its file in the tarball.
    pub new_layers: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Dockerfile instructions (`-c 'CMD ["sh"]'`).
    pub changes: Vec<String>,
    /// `-m`: the history comment (default "Imported from -").
    pub message: Option<String>,
}

/// Write `path` through a sibling temp file renamed into place, so a failure or a kill
/// never leaves a half-written file under the final name.
pub fn write_file_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| EngineError::io(path, io::Error::other("not a file name")))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        super::random_hex(4)
    ));
    let res = (|| -> Result<()> {
        let file = File::create(&tmp).map_err(|e| EngineError::io(path, e))?;
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| EngineError::io(path, e.into_error()))?;
        file.sync_all().map_err(|e| EngineError::io(path, e))?;
        fs::rename(&tmp, path).map_err(|e| EngineError::io(path, e))
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

fn tar_err(what: &Path) -> impl Fn(io::Error) -> EngineError + '_ {
    move |e| EngineError::io(what, e)
}

fn blob_name(digest: &str) -> String {
    format!(
        "blobs/sha256/{}",
        digest.strip_prefix("sha256:").unwrap_or(digest)
    )
}

/// A digest as it may be used in a path: "sha256:" and 64 lowercase hex digits, nothing else.
fn checked_digest(digest: &str) -> Result<&str> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) =>
        {
            Ok(hex)
        }
        _ => Err(EngineError::UnsafePath(format!("bad digest {digest}"))),
    }
}

fn regular_header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h
}

fn dir_header() -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_mode(0o755);
    h.set_mtime(0);
    h
}

/// Wrap a stream in a gunzip when it starts with gzip's magic bytes.
fn maybe_gunzip<'a>(input: &'a mut dyn Read) -> io::Result<Box<dyn Read + 'a>> {
    let mut br = BufReader::new(input);
    let gz = br.fill_buf()?.starts_with(&GZIP_MAGIC);
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(br))
    } else {
        Box::new(br)
    })
}

impl Store {
    // ---- save ----

    /// `docker save`: the images named (tags or IDs) as one tarball written to `out`.
    pub fn save_images(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        // Images in the order named, each once, with the tags that named them.
        let mut chosen: Vec<(Image, Vec<String>)> = Vec::new();
        for name in names {
            let img = self.resolve_image(name)?;
            let tag = Reference::parse(name)
                .ok()
                .map(|r| r.full())
                .filter(|full| img.tags.contains(full));
            match chosen.iter_mut().find(|(i, _)| i.id == img.id) {
                Some((_, tags)) => tags.extend(tag.filter(|t| !tags.contains(t))),
                None => chosen.push((img, tag.into_iter().collect())),
            }
        }
        let mut builder = tar::Builder::new(out);
        let here = self.root.clone();
        for dir in ["blobs/", "blobs/sha256/"] {
            builder
                .append_data(&mut dir_header(), dir, io::empty())
                .map_err(tar_err(&here))?;
        }
        let mut written: std::collections::HashSet<String> = Default::default();
        let mut index = Index {
            schema_version: 2,
            media_type: MT_INDEX.into(),
            manifests: Vec::new(),
        };
        let mut legacy: Vec<LegacyEntry> = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (img, tags) in &chosen {
            let mut layers = Vec::new();
            for (layer, diff_id) in img.manifest.layers.iter().zip(&img.config.rootfs.diff_ids) {
                let size = self.save_layer(&mut builder, layer, diff_id, &mut written)?;
                layers.push(Descriptor {
                    media_type: MT_LAYER_TAR.into(),
                    digest: diff_id.clone(),
                    size,
                    annotations: None,
                });
            }
            let config_path = self.blob_path(&img.id);
            let config_bytes =
                fs::read(&config_path).map_err(|e| EngineError::io(&config_path, e))?;
            let config_desc = Descriptor {
                media_type: MT_CONFIG.into(),
                digest: img.id.clone(),
                size: config_bytes.len() as u64,
                annotations: None,
            };
            self.append_blob(&mut builder, &img.id, &config_bytes, &mut written)?;
            let manifest = Manifest::new(config_desc, layers.clone());
            let manifest_bytes = to_json(&manifest, &here)?;
            let manifest_digest = format!("sha256:{}", image::sha256_hex(&manifest_bytes));
            self.append_blob(
                &mut builder,
                &manifest_digest,
                &manifest_bytes,
                &mut written,
            )?;
            let desc = |annotations| Descriptor {
                media_type: MT_MANIFEST.into(),
                digest: manifest_digest.clone(),
                size: manifest_bytes.len() as u64,
                annotations,
            };
            if tags.is_empty() {
                index.manifests.push(desc(None));
            }
            for tag in tags {
                let Ok(r) = Reference::parse(tag) else {
                    continue;
                };
                index.manifests.push(desc(Some(BTreeMap::from([
                    (CONTAINERD_NAME.to_string(), r.canonical()),
                    (REF_NAME.to_string(), r.tag.clone()),
                ]))));
                if let Some(top) = img.config.rootfs.diff_ids.last() {
                    repositories.entry(r.name.clone()).or_default().insert(
                        r.tag.clone(),
                        top.strip_prefix("sha256:").unwrap_or(top).to_string(),
                    );
                }
            }
            legacy.push(LegacyEntry {
                config: blob_name(&img.id),
                repo_tags: Some(tags.clone()),
                layers: layers.iter().map(|l| blob_name(&l.digest)).collect(),
            });
        }
        let files: [(&str, Vec<u8>); 4] = [
            ("index.json", to_json(&index, &here)?),
            ("manifest.json", to_json(&legacy, &here)?),
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
            ("repositories", to_json(&repositories, &here)?),
        ];
        for (name, data) in files {
            builder
                .append_data(&mut regular_header(data.len() as u64), name, &data[..])
                .map_err(tar_err(&here))?;
        }
        builder.finish().map_err(tar_err(&here))?;
        for (img, tags) in &chosen {
            let mut ev = Event::on_image(Action::Save).id(&img.id).attr(
                "gorae.tags",
                serde_json::to_string(tags).unwrap_or_default(),
            );
            if let Some(t) = tags.first() {
                ev = ev.name(t);
            }
            self.emit(ev);
        }
        Ok(())
    }

    fn append_blob(
        &self,
        builder: &mut tar::Builder<&mut dyn Write>,
        digest: &str,
        data: &[u8],
        written: &mut std::collections::HashSet<String>,
    ) -> Result<()> {
        if !written.insert(digest.to_string()) {
            return Ok(());
        }
        builder
            .append_data(
                &mut regular_header(data.len() as u64),
                blob_name(digest),
                data,
            )
            .map_err(tar_err(&self.root))
    }

    /// Write one layer as a plain tar blob named by its diff ID; returns its size.
    fn save_layer(
        &self,
        builder: &mut tar::Builder<&mut dyn Write>,
        layer: &Descriptor,
        diff_id: &str,
        written: &mut std::collections::HashSet<String>,
    ) -> Result<u64> {
        checked_digest(diff_id)?;
        let blob = self.blob_path(&layer.digest);
        if layer.digest == diff_id {
            // Stored uncompressed already (loaded from a save): copy as is.
            let size = fs::metadata(&blob)
                .map_err(|e| EngineError::io(&blob, e))?
                .len();
            if written.insert(diff_id.to_string()) {
                let f = File::open(&blob).map_err(|e| EngineError::io(&blob, e))?;
                builder
                    .append_data(&mut regular_header(size), blob_name(diff_id), f)
                    .map_err(tar_err(&blob))?;
            }
            return Ok(size);
        }
        // The tar header needs the size first: unpack the gzip blob to a temp file.
        let tmp = self.tmp_path("save");
        let res = (|| -> Result<u64> {
            let f = File::open(&blob).map_err(|e| EngineError::io(&blob, e))?;
            let mut reader = HashReader::new(image::open_layer_stream(f, &blob)?);
            let out = File::create(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
            let mut out = io::BufWriter::new(out);
            io::copy(&mut reader, &mut out).map_err(|e| EngineError::Corrupt {
                path: blob.clone(),
                detail: e.to_string(),
            })?;
            out.flush().map_err(|e| EngineError::io(&tmp, e))?;
            let (hex, size) = reader.finish();
            if format!("sha256:{hex}") != diff_id {
                return Err(EngineError::DigestMismatch {
                    what: format!("layer {}", short_hex(diff_id)),
                    expected: diff_id.to_string(),
                    actual: format!("sha256:{hex}"),
                });
            }
            if written.insert(diff_id.to_string()) {
                let f = File::open(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
                builder
                    .append_data(&mut regular_header(size), blob_name(diff_id), f)
                    .map_err(tar_err(&tmp))?;
            }
            Ok(size)
        })();
        let _ = fs::remove_file(&tmp);
        res
    }

    // ---- load ----

    /// `docker load`: images from a save tarball (plain or gzip'd). `source` names the input
    /// in messages. All digests are checked before the store is touched.
    pub fn load_images(&self, input: &mut dyn Read, source: &Path) -> Result<Vec<LoadedImage>> {
        // Blobs land before their tags: keep a concurrent `rmi` from collecting them.
        let _writing = self.writing()?;
        let staging = self.tmp_path("load");
        let res = (|| -> Result<Vec<LoadedImage>> {
            let (archive_dir, layers_dir) = (staging.join("archive"), staging.join("layers"));
            for dir in [&archive_dir, &layers_dir] {
                fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
            }
            let tree = extract_tarball(input, &archive_dir, source)?;
            let wanted = |diff_id: &str| !self.layer_at_hand(diff_id);
            let unpack = Unpack {
                dir: &layers_dir,
                wanted: &wanted,
            };
            let plans = plan_load(&tree, source, &unpack)?;
            let mut loaded = Vec::new();
            for plan in plans {
                loaded.push(self.store_planned(plan)?);
            }
            Ok(loaded)
        })();
        archive::remove_tree(&staging);
        res
    }

    fn store_planned(&self, plan: Planned) -> Result<LoadedImage> {
        let mut layers = Vec::new();
        let mut new_layers = Vec::new();
        let mut chain = String::new();
        for l in &plan.layers {
            // The OCI chain ID: the first layer's diff ID, then sha256("<parent chain> <diff ID>").
            chain = if chain.is_empty() {
                l.diff_id.clone()
            } else {
                format!(
                    "sha256:{}",
                    super::image::sha256_hex(format!("{chain} {}", l.diff_id).as_bytes())
                )
            };
            if !self.layer_ready(&l.diff_id) {
                new_layers.push((chain.clone(), l.size));
            }
            let desc = Descriptor {
                media_type: if l.gzip { MT_LAYER_GZIP } else { MT_LAYER_TAR }.into(),
                digest: l.digest.clone(),
                size: l.size,
                annotations: None,
            };
            // A blob the layer pool has is linked, not copied again.
            if !self.adopt_pooled_blob(&desc.digest)? {
                self.take_blob(&l.path, &desc)?;
            }
            let unpacked = l
                .unpacked
                .as_ref()
                .map(|(dir, size)| (dir.as_path(), *size));
            self.place_layer(&self.blob_path(&desc.digest), &l.diff_id, unpacked)?;
            layers.push(desc);
        }
        let config_desc = self.put_blob(MT_CONFIG, &plan.config_bytes)?;
        let manifest = Manifest::new(config_desc.clone(), layers);
        let manifest_desc = self.put_blob(MT_MANIFEST, &to_json(&manifest, &self.root)?)?;
        let mut tags = Vec::new();
        for r in &plan.tags {
            self.set_tag(r, &manifest_desc.digest, manifest_desc.size)?;
            tags.push(r.full());
        }
        if tags.is_empty() {
            self.add_untagged(&manifest_desc.digest)?;
        }
        let mut ev = Event::on_image(Action::Load).id(&config_desc.digest);
        if let Some(t) = tags.first() {
            ev = ev.name(t);
        }
        self.emit(ev);
        Ok(LoadedImage {
            id: config_desc.digest,
            tags,
            new_layers,
        })
    }

    // ---- export ----

    /// `docker export`: the container's whole filesystem (its image's layers with its own
    /// changes on top, whiteouts applied) as a plain tar written to `out`.
    pub fn export_container(&self, key: &str, out: &mut dyn Write) -> Result<()> {
        let c = self.resolve_container(key)?;
        let mut layers = vec![self.upper_dir(&c.id)];
        layers.extend(self.container_lowers(&c.image_id)?);
        let mut builder = tar::Builder::new(out);
        builder.follow_symlinks(false);
        let top: Vec<PathBuf> = layers.into_iter().filter(|p| p.is_dir()).collect();
        let mut links = HashMap::new();
        write_merged(&mut builder, &top, Path::new(""), &mut links)?;
        builder.finish().map_err(tar_err(&self.root))?;
        self.emit(Event::container(Action::Export, &c));
        Ok(())
    }

    // ---- import ----

    /// `docker import`: a tarball (plain or gzip'd) becomes a one-layer image. Returns its ID.
    pub fn import_image(
        &self,
        input: &mut dyn Read,
        reference: Option<&str>,
        opts: &ImportOptions,
    ) -> Result<String> {
        let reference = reference.map(Reference::parse).transpose()?;
        let _writing = self.writing()?;
        let message = opts
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "Imported from -".to_string());
        let created = crate::time::rfc3339_now();
        let mut config = ImageConfig {
            created: created.clone(),
            architecture: super::registry::host_arch().to_string(),
            os: "linux".into(),
            comment: message.clone(),
            ..Default::default()
        };
        // Check the changes before reading a possibly large input.
        for change in &opts.changes {
            apply_change(&mut config, change)?;
        }
        let (layer, diff_id) = self.write_layer_from_stream(input)?;
        config.rootfs = RootFs {
            kind: "layers".into(),
            diff_ids: vec![diff_id],
        };
        config.history = vec![History {
            created,
            comment: message,
            ..Default::default()
        }];
        let config_desc = self.put_blob(MT_CONFIG, &to_json(&config, &self.root)?)?;
        let manifest = Manifest::new(config_desc.clone(), vec![layer]);
        let manifest_desc = self.put_blob(MT_MANIFEST, &to_json(&manifest, &self.root)?)?;
        let mut ev = Event::on_image(Action::Import).id(&config_desc.digest);
        match &reference {
            Some(r) => {
                self.set_tag(r, &manifest_desc.digest, manifest_desc.size)?;
                ev = ev.name(&r.full());
            }
            None => self.add_untagged(&manifest_desc.digest)?,
        }
        self.emit(ev);
        Ok(config_desc.digest)
    }

    /// Store a tar stream (plain or gzip'd) as a gzip layer blob and unpack it.
    fn write_layer_from_stream(&self, input: &mut dyn Read) -> Result<(Descriptor, String)> {
        let tmp = self.tmp_path("import");
        let source = PathBuf::from("-");
        let res = (|| -> Result<(Descriptor, String)> {
            let mut input = maybe_gunzip(input).map_err(|e| EngineError::io(&source, e))?;
            let file = File::create(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
            let gz_hash = HashWriter::new(io::BufWriter::new(file));
            let gz = flate2::write::GzEncoder::new(gz_hash, flate2::Compression::fast());
            let mut tar_hash = HashWriter::new(gz);
            io::copy(&mut input, &mut tar_hash).map_err(|e| EngineError::Corrupt {
                path: source.clone(),
                detail: e.to_string(),
            })?;
            let (gz, diff_hex, n) = tar_hash.finish();
            if n == 0 {
                return Err(EngineError::Corrupt {
                    path: source.clone(),
                    detail: "empty input: expected a tar archive".into(),
                });
            }
            let gz_hash = gz.finish().map_err(|e| EngineError::io(&tmp, e))?;
            let (buf, hex, size) = gz_hash.finish();
            let file = buf
                .into_inner()
                .map_err(|e| EngineError::io(&tmp, e.into_error()))?;
            file.sync_all().map_err(|e| EngineError::io(&tmp, e))?;
            let desc = Descriptor {
                media_type: MT_LAYER_GZIP.into(),
                digest: format!("sha256:{hex}"),
                size,
                annotations: None,
            };
            let diff_id = format!("sha256:{diff_hex}");
            // Unpack from the temp file first: a hostile archive never becomes a blob.
            self.unpack_layer(&tmp, &diff_id)?;
            let dst = self.blob_path(&desc.digest);
            fs::rename(&tmp, &dst).map_err(|e| EngineError::io(&dst, e))?;
            Ok((desc, diff_id))
        })();
        let _ = fs::remove_file(&tmp);
        res
    }
}

fn to_json<T: Serialize>(v: &T, path: &Path) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| EngineError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

// ---- export: the merged view ----

/// Write the entries of dir `rel` as the container sees it. `dirs` are the copies of `rel` in
/// the layers that contribute to it, top first; a whiteout hides a name
/// from the layers below, an opaque dir hides everything below it.
fn write_merged(
    builder: &mut tar::Builder<&mut dyn Write>,
    dirs: &[PathBuf],
    rel: &Path,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> Result<()> {
    // name -> (position in `dirs` of the layer that decides it, its metadata); None = hidden.
    let mut names: BTreeMap<OsString, Option<(usize, fs::Metadata)>> = BTreeMap::new();
    for (pos, dir) in dirs.iter().enumerate() {
        let Ok(rd) = fs::read_dir(dir) else { continue };
        for e in rd.flatten() {
            let name = e.file_name();
            if names.contains_key(&name) {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(e.path()) else {
                continue;
            };
            let decided = if is_whiteout(&meta) {
                None
            } else {
                Some((pos, meta))
            };
            names.insert(name, decided);
        }
    }
    for (name, decided) in names {
        let Some((pos, meta)) = decided else { continue };
        let child_rel = rel.join(&name);
        let slash = format!("/{}", child_rel.to_string_lossy());
        let special_dir = matches!(slash.as_str(), "/proc" | "/sys" | "/dev");
        if archive::is_runtime_path(&slash) && !special_dir {
            continue;
        }
        let abs = dirs[pos].join(&name);
        let mut h = tar::Header::new_gnu();
        h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        if meta.is_dir() {
            h.set_size(0);
            builder
                .append_data(&mut h, format!("{}/", child_rel.display()), io::empty())
                .map_err(tar_err(&abs))?;
            if special_dir {
                continue; // the runtime fills these; their contents are not the container's
            }
            // The layers that contribute to this dir: from the deciding one down, until one
            // hides the rest (whiteout, non-dir, opaque dir).
            let mut below = Vec::new();
            for dir in &dirs[pos..] {
                let p = dir.join(&name);
                match fs::symlink_metadata(&p) {
                    Ok(m) if m.is_dir() => {
                        let opaque = is_opaque(&p);
                        below.push(p);
                        if opaque {
                            break;
                        }
                    }
                    Ok(_) => break,
                    Err(_) => {}
                }
            }
            write_merged(builder, &below, &child_rel, links)?;
        } else {
            archive::append_leaf(builder, h, &child_rel, &abs, &meta, links)?;
        }
    }
    Ok(())
}
