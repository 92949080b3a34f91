//! The layer pool: unpacked layers and layer blobs shared by all stores of one user on one
//! machine (as root, by all of root's stores), so 40 stores hold one copy of redis and the
//! page cache shares its binary between their containers. Layout: docs/ARCHITECTURE.md.
//!
//! An entry is published only after its unpack verified the diff ID, by a rename under the
//! pool lock, its `.done` marker last. A store refers to an entry by a hard link of the
//! marker (`<root>/layers/<hex>.done`) next to a symlink to its tree, so the marker's link
//! count is one more than the number of stores using it: an entry is removed only when it
//! is 1, under the lock, and the lowerdir of a running container never disappears.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::store::{Store, flock};
use crate::{EngineError, Result, archive};

/// Where the pool is, and whether there is one. `GORAE_LAYER_POOL` overrides (`none`: every
/// store keeps its own copies, as before the pool). Root's is a fixed path: under sudo,
/// `$HOME` may be the user's, and root's files in a user's home would lock the user out.
/// Otherwise beside the default store, as data (not a cache: stores' images live in it).
fn location() -> Option<PathBuf> {
    match std::env::var_os("GORAE_LAYER_POOL").filter(|v| !v.is_empty()) {
        Some(v) if v == "none" => None,
        Some(v) => Some(PathBuf::from(v)),
        None if crate::runtime::sys::geteuid() == 0 => Some(PathBuf::from("/var/lib/gorae/layers")),
        None => Some(crate::store::data_home().join("gorae-layers")),
    }
}

pub(crate) struct Pool {
    dir: PathBuf,
}

/// Held while the pool's entries or references change.
struct PoolLock {
    _file: fs::File,
}

impl Pool {
    /// The pool `store` can share, or None: unpack locally, as when there was no pool. A pool
    /// that is not ours (another user's files), or on another file system (hard links and
    /// renames cannot cross), or that we cannot write, is not used.
    pub(crate) fn for_store(store: &Store) -> Option<Pool> {
        let dir = location()?;
        // Only this user reads the pool; containers reach it through overlay.
        // (Ours, so the owner's write bit says whether we may write; a read-only file system
        // refuses the lock file.)
        let mkdir = |d: &Path| {
            fs::metadata(d).is_ok_and(|m| m.is_dir() && m.mode() & 0o200 != 0)
                || fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(d)
                    .is_ok()
        };
        if !mkdir(&dir) {
            return None;
        }
        let meta = fs::metadata(&dir).ok()?;
        let ours = meta.uid() == crate::runtime::sys::geteuid();
        let same_fs = fs::metadata(&store.root).ok()?.dev() == meta.dev();
        if !ours || !same_fs || !mkdir(&dir.join("layers")) || !mkdir(&dir.join("blobs")) {
            return None;
        }
        let pool = Pool { dir };
        pool.lock().is_ok().then_some(pool)
    }

    fn lock(&self) -> Result<PoolLock> {
        let file = flock(&self.dir.join("lock"), libc::LOCK_EX)?
            .ok_or_else(|| EngineError::Runtime("layer pool lock refused".into()))?;
        Ok(PoolLock { _file: file })
    }

    fn layer(&self, hex: &str) -> PathBuf {
        self.dir.join("layers").join(hex)
    }
    fn marker(&self, hex: &str) -> PathBuf {
        self.dir.join("layers").join(format!("{hex}.done"))
    }
    fn blob(&self, hex: &str) -> PathBuf {
        self.dir.join("blobs").join(hex)
    }
    fn ready(&self, hex: &str) -> bool {
        self.marker(hex).exists() && self.layer(hex).is_dir()
    }

    /// Whether the pool has a layer unpacked (no lock: a hint, `adopt_layer` decides).
    pub(crate) fn has_layer(&self, diff_id: &str) -> bool {
        self.ready(hex_of(diff_id))
    }

    /// Refer `store` to the pool's copy of a layer when there is one. Takes the store lock.
    pub(crate) fn adopt_layer(&self, store: &Store, diff_id: &str) -> Result<bool> {
        let _store = store.lock()?;
        if store.layer_ready(diff_id) {
            return Ok(true);
        }
        let _pool = self.lock()?;
        if !self.ready(hex_of(diff_id)) {
            return Ok(false);
        }
        self.refer(store, diff_id)?;
        Ok(true)
    }

    /// Publish a layer unpacked and verified in `staging` (under the store's `tmp/`) and refer
    /// `store` to it; an entry another store published meanwhile wins, and `staging` goes.
    pub(crate) fn publish_layer(
        &self,
        store: &Store,
        staging: &Path,
        diff_id: &str,
        size: u64,
    ) -> Result<()> {
        let hex = hex_of(diff_id);
        let published = (|| -> Result<bool> {
            let _store = store.lock()?;
            // Another command on this store got it meanwhile; containers may run on it already.
            if store.layer_ready(diff_id) {
                return Ok(false);
            }
            let _pool = self.lock()?;
            let mine = !self.ready(hex);
            if mine {
                let dir = self.layer(hex);
                // Left by a process killed between the rename and the marker: nobody refers
                // to it.
                if fs::symlink_metadata(&dir).is_ok() {
                    archive::remove_tree(&dir);
                }
                fs::rename(staging, &dir).map_err(|e| EngineError::io(&dir, e))?;
                // No fsync (see `Store::unpack_layer`'s marker).
                crate::store::replace_file(&self.marker(hex), size.to_string().as_bytes())?;
            }
            self.refer(store, diff_id)?;
            Ok(mine)
        })();
        // Not under the locks: a whole layer's tree takes a while to remove.
        if !matches!(published, Ok(true)) {
            archive::remove_tree(staging);
        }
        published.map(|_| ())
    }

    /// `<root>/layers/<hex>` → the pool's tree, then the marker's hard link (the reference,
    /// and what makes the layer ready in the store). Under both locks, the store's layer not
    /// ready (what is there is a killed process's half).
    fn refer(&self, store: &Store, diff_id: &str) -> Result<()> {
        let hex = hex_of(diff_id);
        let dir = store.layer_dir(diff_id);
        let marker = store.layer_done_marker(diff_id);
        let _ = fs::remove_file(&marker);
        if fs::symlink_metadata(&dir).is_ok() {
            archive::remove_tree(&dir);
        }
        let tmp = store.tmp_path("layer-link");
        std::os::unix::fs::symlink(self.layer(hex), &tmp).map_err(|e| EngineError::io(&tmp, e))?;
        rename_or_drop(&tmp, &dir)?;
        fs::hard_link(self.marker(hex), &tmp).map_err(|e| EngineError::io(&tmp, e))?;
        rename_or_drop(&tmp, &marker)
    }

    /// Make the store's blob of `digest` a link to the pool's when the pool has it: pulling
    /// into another store then copies nothing. True when the store has the blob now.
    pub(crate) fn adopt_blob(&self, store: &Store, digest: &str) -> Result<bool> {
        let dst = store.blob_path(digest);
        if dst.exists() {
            return Ok(true);
        }
        let _pool = self.lock()?;
        let src = self.blob(hex_of(digest));
        if !src.exists() {
            return Ok(false);
        }
        let tmp = store.tmp_path("blob-link");
        fs::hard_link(&src, &tmp).map_err(|e| EngineError::io(&tmp, e))?;
        rename_or_drop(&tmp, &dst)?;
        Ok(true)
    }

    /// Share a store's (verified) blob: linked into the pool, or, when the pool has it
    /// already, the store's copy replaced by a link to the pool's.
    pub(crate) fn share_blob(&self, store: &Store, digest: &str) -> Result<()> {
        let mine = store.blob_path(digest);
        let pooled = self.blob(hex_of(digest));
        let _pool = self.lock()?;
        match (fs::metadata(&mine), fs::metadata(&pooled)) {
            (Ok(m), Ok(p)) if m.ino() == p.ino() => Ok(()),
            (Ok(_), Ok(_)) => {
                let tmp = store.tmp_path("blob-link");
                fs::hard_link(&pooled, &tmp).map_err(|e| EngineError::io(&tmp, e))?;
                rename_or_drop(&tmp, &mine)
            }
            (Ok(_), Err(_)) => {
                fs::hard_link(&mine, &pooled).map_err(|e| EngineError::io(&pooled, e))
            }
            (Err(_), _) => Ok(()),
        }
    }

    /// Remove what no store refers to any more (link count 1), and what a killed process
    /// left half published. Trees move to `store`'s `tmp/` under the lock and go after it.
    pub(crate) fn collect(&self, store: &Store) -> Result<()> {
        let mut doomed = Vec::new();
        {
            let _pool = self.lock()?;
            let layers = self.dir.join("layers");
            let names: Vec<String> = fs::read_dir(&layers)
                .map_err(|e| EngineError::io(&layers, e))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            for name in &names {
                let path = layers.join(name);
                if name.starts_with('.') {
                    // An atomic write's temp file from a killed process (we hold the lock).
                    let _ = fs::remove_file(&path);
                } else if let Some(hex) = name.strip_suffix(".done") {
                    if fs::metadata(&path).is_ok_and(|m| m.nlink() == 1) {
                        let _ = fs::remove_file(&path);
                        doomed.push(self.layer(hex));
                    }
                } else if !self.marker(name).exists() {
                    doomed.push(path);
                }
            }
            for dir in doomed.iter_mut() {
                let tmp = store.tmp_path("layer-gone");
                if fs::rename(&*dir, &tmp).is_ok() {
                    *dir = tmp;
                }
            }
            // A blob a pull linked from the bundled catalog (`Store::import_blob`) has the
            // catalog's link too: it stays while the catalog has the file, which holds its
            // bytes anyway, and goes at one link once a new catalog no longer has it.
            let blobs = self.dir.join("blobs");
            if let Ok(rd) = fs::read_dir(&blobs) {
                for e in rd.flatten() {
                    if e.metadata().is_ok_and(|m| m.nlink() == 1) {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }
        for dir in &doomed {
            archive::remove_tree(dir);
        }
        Ok(())
    }
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn rename_or_drop(tmp: &Path, dst: &Path) -> Result<()> {
    fs::rename(tmp, dst).map_err(|e| {
        let _ = fs::remove_file(tmp);
        EngineError::io(dst, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn staged(store: &Store) -> PathBuf {
        let staging = store.tmp_path("layer");
        fs::create_dir_all(staging.join("bin")).unwrap();
        fs::write(staging.join("bin/tool"), b"x").unwrap();
        staging
    }

    fn forget(store: &Store) {
        fs::remove_file(store.layer_done_marker(ID)).unwrap();
        fs::remove_file(store.layer_dir(ID)).unwrap();
    }

    #[test]
    fn an_entry_lives_while_any_store_refers_to_it() {
        let t = tempfile::tempdir().unwrap();
        let open = |n: &str| Store::open(t.path().join(n), t.path().join("cat")).unwrap();
        let (a, b) = (open("a"), open("b"));
        let pool = Pool {
            dir: t.path().join("pool"),
        };
        fs::create_dir_all(pool.dir.join("layers")).unwrap();
        assert!(!pool.adopt_layer(&a, ID).unwrap(), "nothing to adopt yet");
        pool.publish_layer(&a, &staged(&a), ID, 1).unwrap();
        assert!(a.layer_ready(ID) && a.layer_size(ID) == 1);
        assert!(pool.adopt_layer(&b, ID).unwrap());
        let ino = |s: &Store| {
            fs::metadata(s.layer_dir(ID).join("bin/tool"))
                .unwrap()
                .ino()
        };
        assert_eq!(ino(&a), ino(&b));
        // A second publish (b unpacked it meanwhile) keeps the entry in use.
        let again = staged(&b);
        forget(&b);
        pool.publish_layer(&b, &again, ID, 1).unwrap();
        assert_eq!(ino(&a), ino(&b));
        assert!(!again.exists());
        forget(&a);
        pool.collect(&a).unwrap();
        assert!(b.layer_ready(ID), "b still refers to it");
        forget(&b);
        // What a killed publisher left: a tree without its marker, a marker's temp file.
        fs::create_dir_all(pool.layer("bb")).unwrap();
        fs::write(pool.dir.join("layers/.bb.done.tmp-1-2"), b"1").unwrap();
        pool.collect(&b).unwrap();
        let left: Vec<_> = fs::read_dir(pool.dir.join("layers")).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
