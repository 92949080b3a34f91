//! Blobs and unpacked layers in the store.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::hash::{HashWriter, sha256_hex, short_hex};
use super::oci::{Descriptor, Image, ImageConfig};
use crate::archive::COPY_BUF;
use crate::{EngineError, Result, Store, archive};

impl Store {
    /// Link a blob from the layer pool into the store when the pool has it (see
    /// `crate::pool`); true when the store has the blob now.
    pub fn adopt_pooled_blob(&self, digest: &str) -> Result<bool> {
        match crate::pool::Pool::for_store(self) {
            Some(p) => p.adopt_blob(self, digest),
            None => Ok(self.blob_path(digest).exists()),
        }
    }

    /// Bring a blob from a file (the catalog's) into the store, verifying digest and size on
    /// the way. On the same file system it is a hard link: a blob is never written in place
    /// once named (content-addressed, replaced only by a rename), so the store and the catalog
    /// can share the file, and its bytes, on disk already, need no copy and no sync (12 MB of
    /// writes for debian). Only a file that no one but us (or root) may change is linked: the
    /// store's blob must not change after its check, as a copy would not. Otherwise, on another
    /// file system, or where the kernel refuses the link (`fs.protected_hardlinks`), it is
    /// copied and synced.
    pub fn import_blob(&self, src: &Path, d: &Descriptor) -> Result<()> {
        let dst = self.blob_path(&d.digest);
        if dst.exists() {
            return Ok(());
        }
        let tmp = self.tmp_path("blob");
        let ours = fs::metadata(src).is_ok_and(|m| {
            (m.uid() == 0 || m.uid() == crate::runtime::sys::geteuid()) && m.mode() & 0o022 == 0
        });
        let res = (|| -> Result<()> {
            let (hex, n) = if ours && fs::hard_link(src, &tmp).is_ok() {
                let linked = File::open(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
                let mut w = HashWriter::new(io::sink());
                io::copy(&mut io::BufReader::with_capacity(COPY_BUF, linked), &mut w)
                    .map_err(|e| EngineError::io(src, e))?;
                let (_, hex, n) = w.finish();
                (hex, n)
            } else {
                let input = File::open(src).map_err(|e| EngineError::io(src, e))?;
                let out = File::create(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
                let mut w = HashWriter::new(out);
                io::copy(&mut io::BufReader::with_capacity(COPY_BUF, input), &mut w)
                    .map_err(|e| EngineError::io(src, e))?;
                let (out, hex, n) = w.finish();
                out.sync_all().map_err(|e| EngineError::io(&tmp, e))?;
                (hex, n)
            };
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

    /// Move a blob file already checked against `d` (a load's, under the store's `tmp/`) into
    /// the store: synced, then renamed, rather than copied and hashed again.
    pub(crate) fn take_blob(&self, src: &Path, d: &Descriptor) -> Result<()> {
        let dst = self.blob_path(&d.digest);
        if dst.exists() {
            return Ok(());
        }
        File::open(src)
            .and_then(|f| f.sync_all())
            .map_err(|e| EngineError::io(src, e))?;
        fs::rename(src, &dst).map_err(|e| EngineError::io(&dst, e))
    }

    /// Store bytes as a blob; returns its descriptor.
    pub fn put_blob(&self, media_type: &str, data: &[u8]) -> Result<Descriptor> {
        let digest = format!("sha256:{}", sha256_hex(data));
        let path = self.blob_path(&digest);
        if !path.exists() {
            crate::store::atomic_write(&path, data)?;
        }
        Ok(Descriptor {
            media_type: media_type.into(),
            digest,
            size: data.len() as u64,
            annotations: None,
        })
    }

    /// Whether the store has a layer's files: its own, or a reference to the layer pool's.
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
    /// With a layer pool (`crate::pool`), the store refers to the pool's copy, unpacked here
    /// only when the pool has none; a layer blob in the store is shared with the pool too.
    pub fn unpack_layer(&self, blob: &Path, diff_id: &str) -> Result<()> {
        self.place_layer(blob, diff_id, None)
    }

    /// Whether the store or its layer pool has a layer unpacked.
    pub(crate) fn layer_at_hand(&self, diff_id: &str) -> bool {
        self.layer_ready(diff_id)
            || crate::pool::Pool::for_store(self).is_some_and(|p| p.has_layer(diff_id))
    }

    /// [`Store::unpack_layer`]; `unpacked`: a dir under the store's `tmp/` that holds this
    /// layer unpacked and checked already (a load's), and its size, moved in rather than
    /// unpacking the blob again. Left where it is when the layer is at hand already.
    pub(crate) fn place_layer(
        &self,
        blob: &Path,
        diff_id: &str,
        unpacked: Option<(&Path, u64)>,
    ) -> Result<()> {
        let pool = crate::pool::Pool::for_store(self);
        if let Some(p) = &pool
            && blob.starts_with(self.root.join("blobs"))
            && let Some(name) = blob.file_name().and_then(|n| n.to_str())
        {
            p.share_blob(self, name)?;
        }
        if self.layer_ready(diff_id) {
            return Ok(());
        }
        if let Some(p) = &pool
            && p.adopt_layer(self, diff_id)?
        {
            return Ok(());
        }
        let (staging, size) = match unpacked {
            Some((dir, size)) => (dir.to_path_buf(), size),
            None => {
                let staging = self.tmp_path("layer");
                let checked = unpack_blob_into(blob, &staging).and_then(|(size, hex)| {
                    let actual = format!("sha256:{hex}");
                    if actual != diff_id {
                        return Err(EngineError::DigestMismatch {
                            what: format!("layer {}", short_hex(diff_id)),
                            expected: diff_id.to_string(),
                            actual,
                        });
                    }
                    Ok(size)
                });
                match checked {
                    Ok(size) => (staging, size),
                    Err(e) => {
                        archive::remove_tree(&staging);
                        return Err(e);
                    }
                }
            }
        };
        if let Some(p) = &pool {
            return p.publish_layer(self, &staging, diff_id, size);
        }
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
        if fs::symlink_metadata(&dir).is_ok() {
            archive::remove_tree(&dir);
        }
        fs::rename(&staging, &dir).map_err(|e| EngineError::io(&dir, e))?;
        // A pool reference left from before must not be rewritten in place: it is the pool's.
        let _ = fs::remove_file(self.layer_done_marker(diff_id));
        // No fsync: the tree's files are not synced either (as Docker's and containerd's
        // unpacked layers are not), so a synced marker would promise nothing more after a
        // crash; it was a journal commit, 15 ms of a commit under `strace -T`.
        crate::store::replace_file(
            &self.layer_done_marker(diff_id),
            size.to_string().as_bytes(),
        )
    }

    /// The unpacked layer dirs of an image, top layer first (overlay's lowerdir order).
    pub fn lower_dirs(&self, img: &Image) -> Result<Vec<PathBuf>> {
        self.layer_dirs(&img.config.rootfs.diff_ids)
    }

    /// [`Store::lower_dirs`] of the image with this ID (its config's digest), read from its
    /// config blob alone: a container's start needs only the layers, while resolving an image
    /// by ID reads every image's manifest and config (two files per image in the store).
    pub fn lower_dirs_of_id(&self, image_id: &str) -> Result<Vec<PathBuf>> {
        let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(EngineError::NoSuchImage(image_id.to_string()));
        }
        let config: ImageConfig = crate::store::read_json(&self.blob_path(image_id))
            .map_err(|_| EngineError::NoSuchImage(image_id.to_string()))?;
        self.layer_dirs(&config.rootfs.diff_ids)
    }

    /// A container's lower dirs, top first: the store's init layer over its image's layers.
    pub fn container_lowers(&self, image_id: &str) -> Result<Vec<PathBuf>> {
        let mut lowers = self.lower_dirs_of_id(image_id)?;
        lowers.insert(0, self.init_layer()?);
        Ok(lowers)
    }

    /// `<root>/init-layer`, made once: the mount points every container gets (/dev, /proc,
    /// /sys) and empty /etc/hostname, /etc/hosts and /etc/resolv.conf to bind over, as
    /// Docker's `-init` layer. Read-only under every container's own layer, it spares each
    /// start a copy-up of the image's /etc and three files in the container's upper dir
    /// (0.14 ms on tmpfs, 0.24 on ext4 here), and each removal their unlinks.
    pub fn init_layer(&self) -> Result<PathBuf> {
        let dir = self.root.join("init-layer");
        if dir.is_dir() {
            return Ok(dir);
        }
        let staging = self.tmp_path("init-layer");
        let made = (|| -> std::io::Result<()> {
            for sub in ["dev", "proc", "sys", "etc"] {
                fs::create_dir_all(staging.join(sub))?;
            }
            for file in ["hostname", "hosts", "resolv.conf"] {
                fs::File::create(staging.join("etc").join(file))?;
            }
            fs::rename(&staging, &dir)
        })();
        match made {
            Ok(()) => Ok(dir),
            // Another start made it first.
            Err(_) if dir.is_dir() => {
                archive::remove_tree(&staging);
                Ok(dir)
            }
            Err(e) => {
                archive::remove_tree(&staging);
                Err(EngineError::io(&dir, e))
            }
        }
    }

    fn layer_dirs(&self, diff_ids: &[String]) -> Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        for id in diff_ids.iter().rev() {
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

/// A layer's tar stream inflated on threads of their own and read here in chunks, so the
/// inflate (CPU) and the unpack (file creation: the kernel's work) overlap on two cores. A blob
/// of members recording their lengths (`super::members`, the bundled catalog's) is inflated on
/// every core, a member per chunk; any other on one thread, as one stream. The diff ID's hash
/// is taken on a thread of its own, each chunk handed on once read (benches/engine.rs notes
/// the figures: on the reading side, it was a fifth of the unpack's time).
struct Inflated {
    /// Chunk `i` of the stream arrives on `chunks[i % chunks.len()]`; the end, when the one
    /// whose turn it is closes.
    chunks: Vec<mpsc::Receiver<io::Result<Vec<u8>>>>,
    next: usize,
    chunk: Vec<u8>,
    pos: usize,
    /// Chunks read, to the hashing thread, which answers the stream's sha256 (hex).
    to_hash: mpsc::SyncSender<Vec<u8>>,
    hasher: std::thread::JoinHandle<String>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

/// Chunks in flight: enough to keep both sides busy, little memory (2 MiB).
const INFLATED_CHUNKS: usize = 8;
const INFLATED_CHUNK: usize = 256 << 10;

impl Inflated {
    fn spawn(file: File, path: &Path) -> Result<Inflated> {
        let (chunks, workers) = match super::members::members(&file) {
            Some(members) => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                super::members::inflate(file, &members, cores)
            }
            None => {
                let stream = open_layer_stream(file, path)?;
                let (chunks, worker) = Self::spawn_stream(stream);
                (vec![chunks], vec![worker])
            }
        };
        let (to_hash, read) = mpsc::sync_channel::<Vec<u8>>(INFLATED_CHUNKS);
        let hasher = std::thread::spawn(move || {
            let mut h: sha2::Sha256 = sha2::Digest::new();
            for chunk in read {
                sha2::Digest::update(&mut h, &chunk);
            }
            hex::encode(sha2::Digest::finalize(h))
        });
        Ok(Inflated {
            chunks,
            next: 0,
            chunk: Vec::new(),
            pos: 0,
            to_hash,
            hasher,
            workers,
        })
    }

    fn spawn_stream(
        mut stream: Box<dyn Read + Send>,
    ) -> (
        mpsc::Receiver<io::Result<Vec<u8>>>,
        std::thread::JoinHandle<()>,
    ) {
        let (tx, chunks) = mpsc::sync_channel(INFLATED_CHUNKS);
        let worker = std::thread::spawn(move || {
            loop {
                let mut buf = vec![0; INFLATED_CHUNK];
                let sent = match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        buf.truncate(n);
                        tx.send(Ok(buf))
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                };
                // The reader gave up (a refused entry): stop inflating.
                if sent.is_err() {
                    break;
                }
            }
        });
        (chunks, worker)
    }

    /// The stream's sha256 (hex), once it was read to its end.
    fn finish(self) -> io::Result<String> {
        drop(self.chunks);
        for worker in self.workers {
            worker
                .join()
                .map_err(|_| io::Error::other("the layer's inflate thread panicked"))?;
        }
        let hashed = self.to_hash.send(self.chunk).is_ok();
        drop(self.to_hash);
        match self.hasher.join() {
            Ok(hex) if hashed => Ok(hex),
            _ => Err(io::Error::other("the layer's hashing thread panicked")),
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.chunks[self.next % self.chunks.len()].recv() {
                Ok(Ok(chunk)) => {
                    let done = std::mem::replace(&mut self.chunk, chunk);
                    if self.to_hash.send(done).is_err() {
                        return Err(io::Error::other("the layer's hashing thread panicked"));
                    }
                    self.pos = 0;
                    self.next += 1;
                }
                Ok(Err(e)) => return Err(e),
                // The worker is done: the end of the stream.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Unpack a layer blob (gzip or plain tar) into `dest`, a new dir, the gzip stream inflated
/// on threads of their own beside the unpack: the unpacked size and the tar stream's sha256
/// (hex). The caller checks it and removes `dest` on failure.
pub(crate) fn unpack_blob_into(blob: &Path, dest: &Path) -> Result<(u64, String)> {
    let file = File::open(blob).map_err(|e| EngineError::io(blob, e))?;
    fs::create_dir_all(dest).map_err(|e| EngineError::io(dest, e))?;
    let mut reader = Inflated::spawn(file, blob)?;
    let size = archive::unpack(&mut reader, dest)?;
    // Read what is left (tar padding) so the hash covers the whole stream.
    io::copy(&mut reader, &mut io::sink()).map_err(|e| EngineError::io(blob, e))?;
    let hex = reader.finish().map_err(|e| EngineError::io(blob, e))?;
    Ok((size, hex))
}

/// A layer blob's tar stream: gunzipped when the blob starts with gzip's magic bytes.
pub fn open_layer_stream(mut file: File, path: &Path) -> Result<Box<dyn Read + Send>> {
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
    // Large reads (std's 8 KiB meant a read(2) per 8 KiB); the decoder reads this buffer
    // directly instead of copying it into one of its own.
    let buffered = io::BufReader::with_capacity(256 << 10, file);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn descriptor(data: &[u8]) -> Descriptor {
        Descriptor {
            media_type: super::super::MT_LAYER_GZIP.into(),
            digest: format!("sha256:{}", sha256_hex(data)),
            size: data.len() as u64,
            annotations: None,
        }
    }

    fn tmp_is_empty(store: &Store) -> bool {
        fs::read_dir(store.root.join("tmp")).map_or(true, |mut d| d.next().is_none())
    }

    #[test]
    fn a_blob_on_the_same_file_system_is_linked_and_still_checked() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path().join("s"), t.path().join("cat")).unwrap();
        let src = t.path().join("blob");
        fs::write(&src, b"layer bytes").unwrap();
        let d = descriptor(b"layer bytes");
        store.import_blob(&src, &d).unwrap();
        let (a, b) = (
            fs::metadata(&src).unwrap(),
            fs::metadata(store.blob_path(&d.digest)).unwrap(),
        );
        assert_eq!(
            (a.dev(), a.ino()),
            (b.dev(), b.ino()),
            "one file, two names"
        );

        // A file whose bytes are not what the descriptor says is refused, and its link goes.
        fs::write(&src, b"other bytes").unwrap();
        let d = descriptor(b"layer bytez");
        let e = store.import_blob(&src, &d).unwrap_err();
        assert!(matches!(e, EngineError::DigestMismatch { .. }), "{e}");
        assert!(!store.blob_path(&d.digest).exists());
        assert!(tmp_is_empty(&store));
        assert_eq!(
            fs::read(&src).unwrap(),
            b"other bytes",
            "the source is untouched"
        );

        // A file others may write to could change after the check: it is copied.
        let shared = t.path().join("shared");
        fs::write(&shared, b"group bytes").unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o664)).unwrap();
        let d = descriptor(b"group bytes");
        store.import_blob(&shared, &d).unwrap();
        assert_eq!(fs::metadata(&shared).unwrap().nlink(), 1, "not linked");
        assert_eq!(
            fs::read(store.blob_path(&d.digest)).unwrap(),
            b"group bytes"
        );
    }

    #[test]
    fn an_images_layers_are_found_from_its_config_alone() {
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(t.path().join("s"), t.path().join("cat")).unwrap();
        let missing = format!("sha256:{}", "a".repeat(64));
        for id in ["busybox", "sha256:abc", missing.as_str()] {
            let e = store.lower_dirs_of_id(id).unwrap_err();
            assert!(matches!(e, EngineError::NoSuchImage(_)), "{id}: {e}");
        }
        let (lower, upper) = (
            format!("sha256:{}", "1".repeat(64)),
            format!("sha256:{}", "2".repeat(64)),
        );
        let config =
            format!(r#"{{"rootfs":{{"type":"layers","diff_ids":["{lower}","{upper}"]}}}}"#);
        let id = store
            .put_blob(super::super::MT_CONFIG, config.as_bytes())
            .unwrap()
            .digest;
        let e = store.lower_dirs_of_id(&id).unwrap_err();
        assert!(
            matches!(e, EngineError::Corrupt { .. }),
            "layers not unpacked: {e}"
        );
        for diff_id in [&lower, &upper] {
            fs::create_dir_all(store.layer_dir(diff_id)).unwrap();
            fs::write(store.layer_done_marker(diff_id), "0").unwrap();
        }
        assert_eq!(
            store.lower_dirs_of_id(&id).unwrap(),
            [store.layer_dir(&upper), store.layer_dir(&lower)],
            "top layer first"
        );
    }

    #[test]
    fn a_blob_on_another_file_system_is_copied() {
        let t = tempfile::tempdir().unwrap();
        let shm = Path::new("/dev/shm");
        let other = shm.is_dir()
            && fs::metadata(shm).unwrap().dev() != fs::metadata(t.path()).unwrap().dev();
        if !other {
            let why = "/dev/shm is not another file system than the temp dir here";
            assert!(
                std::env::var_os("GORAE_TESTS_NO_SKIP").is_none(),
                "cannot run: {why}"
            );
            eprintln!("skipped: {why}");
            return;
        }
        let src_dir = tempfile::tempdir_in(shm).unwrap();
        let src = src_dir.path().join("blob");
        fs::write(&src, b"copied bytes").unwrap();
        let store = Store::open(t.path().join("s"), t.path().join("cat")).unwrap();
        let d = descriptor(b"copied bytes");
        store.import_blob(&src, &d).unwrap();
        let dst = fs::metadata(store.blob_path(&d.digest)).unwrap();
        assert_eq!(dst.nlink(), 1);
        assert_eq!(
            fs::read(store.blob_path(&d.digest)).unwrap(),
            b"copied bytes"
        );
        assert!(tmp_is_empty(&store));
    }
}
