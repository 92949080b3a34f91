//! Checks the committed image catalog (`images/layout`) without rebuilding it: every blob is
//! what its name says, every tag resolves to a complete image whose diff_ids match its layers,
//! redis, nginx and registry sit on the debian layer (one shared blob), and the folder fits its
//! budget.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REQUIRED_TAGS: &[&str] = &[
    "busybox:latest",
    "debian:12",
    "debian:bookworm",
    "debian:latest",
    "redis:latest",
    "nginx:latest",
    "registry:2",
];
const BUDGET_BYTES: u64 = 30 * 1024 * 1024;

const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn images_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("images")
}

fn sha256_reader(mut r: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

/// What a layout holds once checked: the layer digests of each tag.
#[derive(Debug)]
struct Catalog {
    layers_by_tag: BTreeMap<String, Vec<String>>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))
}

fn str_field<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}: missing string field {key:?}"))
}

/// Checks a descriptor against the blob it names: the blob exists, has the stated size, and
/// its media type is the expected one. (Blob contents were already checked against names.)
fn check_descriptor(
    blobs: &Path,
    desc: &Value,
    media_type: &str,
    what: &str,
) -> Result<PathBuf, String> {
    let digest = str_field(desc, "digest", what)?;
    let found_type = str_field(desc, "mediaType", what)?;
    if found_type != media_type {
        return Err(format!(
            "{what}: media type {found_type}, expected {media_type}"
        ));
    }
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("{what}: digest {digest} is not sha256"))?;
    let path = blobs.join(hex);
    let meta = fs::metadata(&path).map_err(|_| format!("{what}: blob {digest} is missing"))?;
    let size = desc.get("size").and_then(Value::as_u64);
    if size != Some(meta.len()) {
        return Err(format!(
            "{what}: blob {digest} is {} bytes, descriptor says {size:?}",
            meta.len()
        ));
    }
    Ok(path)
}

/// Checks an OCI layout as gorae's bundled catalog; returns every problem found.
fn check_layout(root: &Path) -> Result<Catalog, Vec<String>> {
    let mut errors = Vec::new();
    let blobs = root.join("blobs/sha256");

    match fs::read_to_string(root.join("oci-layout")) {
        Ok(text) if text.contains("\"imageLayoutVersion\":\"1.0.0\"") => {}
        Ok(text) => errors.push(format!("oci-layout: unexpected content {text:?}")),
        Err(e) => errors.push(format!("oci-layout: {e}")),
    }

    // Every blob hashes to its own name.
    match fs::read_dir(&blobs) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                match File::open(entry.path()).and_then(sha256_reader) {
                    Ok(digest) if digest == format!("sha256:{name}") => {}
                    Ok(digest) => errors.push(format!("blob {name}: content hashes to {digest}")),
                    Err(e) => errors.push(format!("blob {name}: {e}")),
                }
            }
        }
        Err(e) => errors.push(format!("{}: {e}", blobs.display())),
    }

    let index = match read_json(&root.join("index.json")) {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            return Err(errors);
        }
    };
    if index.get("schemaVersion").and_then(Value::as_u64) != Some(2)
        || index.get("mediaType").and_then(Value::as_str) != Some(INDEX_TYPE)
    {
        errors.push("index.json: not an OCI image index (schemaVersion 2)".to_string());
    }
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let mut layers_by_tag = BTreeMap::new();
    let mut refs = Vec::new();
    for desc in &manifests {
        let tag = desc
            .pointer("/annotations/org.opencontainers.image.ref.name")
            .and_then(Value::as_str)
            .unwrap_or("<untagged>")
            .to_string();
        refs.push(tag.clone());
        match check_image(&blobs, desc, &tag) {
            Ok(layers) => {
                layers_by_tag.insert(tag, layers);
            }
            Err(e) => errors.push(e),
        }
    }

    let mut sorted = refs.clone();
    sorted.sort();
    if sorted != refs {
        errors.push("index.json: manifests are not sorted by ref name".to_string());
    }
    for tag in REQUIRED_TAGS {
        if !refs.iter().any(|r| r == tag) {
            errors.push(format!("index.json: required tag {tag} is missing"));
        }
    }

    // redis, nginx and registry are built on the debian image: its layers are their bottom
    // layers.
    if let Some(debian) = layers_by_tag.get("debian:latest") {
        for tag in ["redis:latest", "nginx:latest", "registry:2"] {
            if let Some(layers) = layers_by_tag.get(tag)
                && (layers.len() <= debian.len() || layers[..debian.len()] != debian[..])
            {
                errors.push(format!(
                    "{tag}: does not start with debian:latest's layers {debian:?} (has {layers:?})"
                ));
            }
        }
    }

    if errors.is_empty() {
        Ok(Catalog { layers_by_tag })
    } else {
        Err(errors)
    }
}

/// Checks one tagged image; returns its layer digests.
fn check_image(blobs: &Path, desc: &Value, tag: &str) -> Result<Vec<String>, String> {
    let manifest_path = check_descriptor(blobs, desc, MANIFEST_TYPE, &format!("{tag}: manifest"))?;
    let manifest = read_json(&manifest_path).map_err(|e| format!("{tag}: manifest {e}"))?;
    if manifest.get("mediaType").and_then(Value::as_str) != Some(MANIFEST_TYPE) {
        return Err(format!("{tag}: manifest blob has the wrong mediaType"));
    }
    let config_desc = manifest
        .get("config")
        .ok_or_else(|| format!("{tag}: manifest has no config"))?;
    let config_path = check_descriptor(blobs, config_desc, CONFIG_TYPE, &format!("{tag}: config"))?;
    let config = read_json(&config_path).map_err(|e| format!("{tag}: config {e}"))?;
    if config.get("os").and_then(Value::as_str) != Some("linux") {
        return Err(format!("{tag}: config os is not linux"));
    }
    if config.get("architecture").and_then(Value::as_str).is_none() {
        return Err(format!("{tag}: config has no architecture"));
    }
    if config
        .pointer("/config/Cmd")
        .and_then(Value::as_array)
        .is_none()
    {
        return Err(format!("{tag}: config has no Cmd"));
    }

    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{tag}: manifest has no layers"))?;
    let diff_ids = config
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{tag}: config has no rootfs.diff_ids"))?;
    if layers.len() != diff_ids.len() {
        return Err(format!(
            "{tag}: {} layers but {} diff_ids",
            layers.len(),
            diff_ids.len()
        ));
    }
    let history_layers = config
        .get("history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .filter(|e| e.get("empty_layer").and_then(Value::as_bool) != Some(true))
                .count()
        })
        .unwrap_or(0);
    if history_layers != layers.len() {
        return Err(format!(
            "{tag}: history has {history_layers} non-empty entries for {} layers",
            layers.len()
        ));
    }

    let mut digests = Vec::new();
    for (i, (layer, diff_id)) in layers.iter().zip(diff_ids).enumerate() {
        let what = format!("{tag}: layer {i}");
        let path = check_descriptor(blobs, layer, LAYER_TYPE, &what)?;
        let digest = str_field(layer, "digest", &what)?.to_string();
        let unpacked = File::open(&path)
            .map(MultiGzDecoder::new)
            .and_then(sha256_reader)
            .map_err(|e| format!("{what} ({digest}): cannot gunzip: {e}"))?;
        if diff_id.as_str() != Some(unpacked.as_str()) {
            return Err(format!(
                "{what} ({digest}): uncompressed sha256 is {unpacked}, config diff_id is {diff_id}"
            ));
        }
        let bytes = fs::read(&path).map_err(|e| format!("{what} ({digest}): {e}"))?;
        member_walk(&bytes).map_err(|e| {
            format!("{what} ({digest}): {e}: not as images/build.py writes layers (a pull would inflate it on one core)")
        })?;
        digests.push(digest);
    }
    Ok(digests)
}

/// The most a member of a catalog layer holds: images/build.py's `MEMBER_BYTES`.
const MEMBER_BYTES: u32 = 1 << 20;

/// Walks a layer blob's gzip members by the length each records in its "GR" extra subfield
/// (images/build.py's `gzip_bytes`; crates/engine/src/image/members.rs reads it): the
/// number of members, or where the walk stops.
fn member_walk(blob: &[u8]) -> Result<usize, String> {
    let mut at = 0;
    let mut members = 0;
    while at < blob.len() {
        let h = blob
            .get(at..at + 20)
            .ok_or(format!("byte {at}: a member header cut short"))?;
        if h[..4] != [0x1f, 0x8b, 8, 0x04] || h[10..16] != [8, 0, b'G', b'R', 4, 0] {
            return Err(format!(
                "byte {at}: a member without the GR length subfield"
            ));
        }
        let len = u32::from_le_bytes([h[16], h[17], h[18], h[19]]) as usize;
        let end = at + len;
        let isize = blob
            .get(end.wrapping_sub(4)..end)
            .filter(|_| len >= 30)
            .ok_or(format!(
                "byte {at}: a member length of {len} past the blob's end"
            ))?;
        let isize = u32::from_le_bytes([isize[0], isize[1], isize[2], isize[3]]);
        if isize > MEMBER_BYTES {
            return Err(format!(
                "byte {at}: a member of {isize} bytes, over {MEMBER_BYTES}"
            ));
        }
        at = end;
        members += 1;
    }
    if members == 0 {
        return Err("no members".into());
    }
    Ok(members)
}

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy dir");
    for entry in fs::read_dir(from).expect("read layout dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy blob");
        }
    }
}

/// The digest of debian:latest's first layer, read straight from the committed files.
fn first_debian_layer(layout: &Path) -> String {
    let catalog = check_layout(layout).unwrap_or_else(|e| panic!("committed layout: {e:#?}"));
    catalog.layers_by_tag["debian:latest"][0].clone()
}

#[test]
fn committed_catalog_is_complete_and_consistent() {
    let layout = images_dir().join("layout");
    let catalog = match check_layout(&layout) {
        Ok(c) => c,
        Err(errors) => panic!("images/layout is inconsistent:\n{}", errors.join("\n")),
    };
    for tag in REQUIRED_TAGS {
        assert!(
            catalog.layers_by_tag.contains_key(*tag),
            "tag {tag} missing"
        );
    }
    assert_eq!(
        catalog.layers_by_tag["redis:latest"][0], catalog.layers_by_tag["nginx:latest"][0],
        "redis and nginx should share the debian layer blob"
    );
    assert_eq!(
        catalog.layers_by_tag["registry:2"][0], catalog.layers_by_tag["debian:latest"][0],
        "registry should sit on the debian layer blob"
    );
    let size = dir_size(&images_dir());
    assert!(
        size < BUDGET_BYTES,
        "images/ is {size} bytes, over the {BUDGET_BYTES}-byte budget"
    );
}

#[test]
fn corrupted_layer_blob_is_named() {
    let layout = images_dir().join("layout");
    let layer = first_debian_layer(&layout);
    let hex = layer.trim_start_matches("sha256:");
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("layout");
    copy_dir(&layout, &copy);

    let blob = copy.join("blobs/sha256").join(hex);
    let mut bytes = fs::read(&blob).expect("read blob");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&blob, bytes).expect("write corrupted blob");

    let errors = check_layout(&copy).expect_err("a corrupted layer must be reported");
    assert!(
        errors.iter().any(|e| e.contains(&format!("blob {hex}"))),
        "no error names the corrupted blob {hex}: {errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("debian:latest")),
        "no error names the tag using the corrupted blob: {errors:#?}"
    );
}

#[test]
fn every_layer_is_written_as_members_that_record_their_lengths() {
    let layout = images_dir().join("layout");
    let blobs = layout.join("blobs/sha256");
    let layer = first_debian_layer(&layout);
    let debian = fs::read(blobs.join(layer.trim_start_matches("sha256:"))).expect("read blob");
    let members = member_walk(&debian).expect("debian's layer");
    let mut tar = Vec::new();
    MultiGzDecoder::new(&debian[..])
        .read_to_end(&mut tar)
        .expect("gunzip");
    assert_eq!(
        members,
        tar.len().div_ceil(MEMBER_BYTES as usize),
        "a member per MiB of tar"
    );

    // busybox's layer as plain gzip (one member, no lengths): its diff_id still matches, and
    // the manifest is re-pointed at it, yet it is refused.
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("layout");
    copy_dir(&layout, &copy);
    let index_path = copy.join("index.json");
    let mut index = read_json(&index_path).expect("index.json");
    let old_manifest = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| {
            m.pointer("/annotations/org.opencontainers.image.ref.name")
                == Some(&Value::from("busybox:latest"))
        })
        .and_then(|m| m["digest"].as_str())
        .expect("busybox:latest")
        .to_string();
    let mut manifest =
        read_json(&blobs.join(old_manifest.trim_start_matches("sha256:"))).expect("manifest");
    let layer_hex = manifest["layers"][0]["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_string();
    let mut tar = Vec::new();
    File::open(blobs.join(&layer_hex))
        .map(MultiGzDecoder::new)
        .and_then(|mut r| r.read_to_end(&mut tar))
        .expect("gunzip busybox");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, &tar).expect("gzip");
    let plain = e.finish().expect("gzip");
    assert!(member_walk(&plain).is_err());
    let (digest, size) = put_blob(&copy, &plain);
    manifest["layers"][0]["digest"] = Value::from(digest);
    manifest["layers"][0]["size"] = Value::from(size);
    let (digest, size) = put_blob(&copy, &serde_json::to_vec(&manifest).expect("json"));
    for m in index["manifests"].as_array_mut().expect("manifests") {
        if m["digest"].as_str() == Some(old_manifest.as_str()) {
            m["digest"] = Value::from(digest.clone());
            m["size"] = Value::from(size);
        }
    }
    fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write index");
    let errors = check_layout(&copy).expect_err("a plain gzip layer must be reported");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("busybox:latest: layer 0") && e.contains("GR length subfield")),
        "{errors:#?}"
    );
}

#[test]
fn missing_tag_and_wrong_size_are_reported() {
    let layout = images_dir().join("layout");
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("layout");
    copy_dir(&layout, &copy);

    // Drop nginx:latest from the index.
    let index_path = copy.join("index.json");
    let mut index = read_json(&index_path).expect("index.json");
    if let Some(list) = index.get_mut("manifests").and_then(Value::as_array_mut) {
        list.retain(|m| {
            m.pointer("/annotations/org.opencontainers.image.ref.name")
                .and_then(Value::as_str)
                != Some("nginx:latest")
        });
    }
    fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write index");
    let errors = check_layout(&copy).expect_err("a missing tag must be reported");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("required tag nginx:latest is missing")),
        "{errors:#?}"
    );

    // A size that does not match its blob.
    let mut index = read_json(&index_path).expect("index.json");
    if let Some(first) = index.pointer_mut("/manifests/0/size") {
        *first = Value::from(1u64);
    }
    let tag = index
        .pointer("/manifests/0/annotations/org.opencontainers.image.ref.name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write index");
    let errors = check_layout(&copy).expect_err("a wrong size must be reported");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{tag}: manifest")) && e.contains("bytes")),
        "{errors:#?}"
    );
}

/// Stores `bytes` as a blob of the layout at `root`; returns its descriptor fields.
fn put_blob(root: &Path, bytes: &[u8]) -> (String, u64) {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
    let hex = digest.trim_start_matches("sha256:");
    fs::write(root.join("blobs/sha256").join(hex), bytes).expect("write blob");
    (digest, bytes.len() as u64)
}

#[test]
fn diff_id_that_does_not_match_the_layer_is_reported() {
    let layout = images_dir().join("layout");
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("layout");
    copy_dir(&layout, &copy);
    let blobs = copy.join("blobs/sha256");

    // Re-point busybox:latest at a config whose diff_id is wrong (all blobs stay self-consistent).
    let index_path = copy.join("index.json");
    let mut index = read_json(&index_path).expect("index.json");
    let list = index
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .expect("manifests");
    let desc = list
        .iter_mut()
        .find(|m| {
            m.pointer("/annotations/org.opencontainers.image.ref.name")
                .and_then(Value::as_str)
                == Some("busybox:latest")
        })
        .expect("busybox:latest in index");
    let manifest_hex = desc["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_string();
    let mut manifest = read_json(&blobs.join(&manifest_hex)).expect("manifest");
    let config_hex = manifest["config"]["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_string();
    let mut config = read_json(&blobs.join(&config_hex)).expect("config");
    config["rootfs"]["diff_ids"][0] = Value::from(format!("sha256:{}", "0".repeat(64)));
    let (config_digest, config_size) = put_blob(&copy, &serde_json::to_vec(&config).expect("json"));
    manifest["config"]["digest"] = Value::from(config_digest);
    manifest["config"]["size"] = Value::from(config_size);
    let (manifest_digest, manifest_size) =
        put_blob(&copy, &serde_json::to_vec(&manifest).expect("json"));
    desc["digest"] = Value::from(manifest_digest);
    desc["size"] = Value::from(manifest_size);
    fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write index");

    let errors = check_layout(&copy).expect_err("a wrong diff_id must be reported");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("busybox:latest: layer 0") && e.contains("diff_id")),
        "{errors:#?}"
    );
}
