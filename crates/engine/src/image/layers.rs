//! Blobs and unpacked layers in the store.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::hash::{HashWriter, sha256_hex, short_hex};
use super::oci::{Descriptor, Image};
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

/// A layer's tar stream inflated on a thread of its own and read here in chunks, so the
/// inflate (CPU) and the unpack (file creation: the kernel's work) overlap on two cores. The
/// diff ID's hash is taken here, on the reading side: the inflate is the longer of the two
/// (benches/engine.rs notes the figures).
struct Inflated {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    hasher: sha2::Sha256,
    worker: std::thread::JoinHandle<()>,
}

/// Chunks in flight: enough to keep both sides busy, little memory (2 MiB).
const INFLATED_CHUNKS: usize = 8;
const INFLATED_CHUNK: usize = 256 << 10;

impl Inflated {
    fn spawn(mut stream: Box<dyn Read + Send>) -> Inflated {
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
        Inflated {
            chunks,
            chunk: Vec::new(),
            pos: 0,
            hasher: sha2::Digest::new(),
            worker,
        }
    }

    /// The stream's sha256 (hex), once it was read to its end.
    fn finish(self) -> io::Result<String> {
        drop(self.chunks);
        self.worker
            .join()
            .map_err(|_| io::Error::other("the layer's inflate thread panicked"))?;
        Ok(hex::encode(sha2::Digest::finalize(self.hasher)))
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    sha2::Digest::update(&mut self.hasher, &chunk);
                    self.chunk = chunk;
                    self.pos = 0;
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
/// on a thread of its own beside the unpack: the unpacked size and the tar stream's sha256
/// (hex). The caller checks it and removes `dest` on failure.
pub(crate) fn unpack_blob_into(blob: &Path, dest: &Path) -> Result<(u64, String)> {
    let file = File::open(blob).map_err(|e| EngineError::io(blob, e))?;
    fs::create_dir_all(dest).map_err(|e| EngineError::io(dest, e))?;
    let mut reader = Inflated::spawn(open_layer_stream(file, blob)?);
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
