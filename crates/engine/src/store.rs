//! The on-disk store: where everything lives, locking, and atomic writes.
//! Layout: see `docs/ARCHITECTURE.md`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::EngineError;

#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
    /// The bundled catalog: one OCI image layout (`images/layout`) shared by all bundled images.
    pub catalog: PathBuf,
}

/// Held while a command changes shared metadata (index.json, names, records).
pub struct StoreLock {
    _file: File,
}

impl Store {
    /// The store at `$GORAE_ROOT`, else the XDG data dir, with the catalog from `$GORAE_IMAGES`,
    /// else `images/` next to the binary's source tree or installed binary.
    pub fn open_default() -> Result<Store, EngineError> {
        let root = default_root();
        let catalog = default_catalog();
        Store::open(root, catalog)
    }

    pub fn open(root: PathBuf, catalog: PathBuf) -> Result<Store, EngineError> {
        for sub in ["blobs/sha256", "layers", "containers", "tmp"] {
            // One stat when it is there (every command opens the store; mkdir would fail with
            // EEXIST and then stat anyway).
            let dir = root.join(sub);
            if !dir.is_dir() {
                fs::create_dir_all(&dir).map_err(|e| EngineError::io(&dir, e))?;
            }
        }
        let layout = root.join("oci-layout");
        if !layout.exists() {
            atomic_write(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        Ok(Store { root, catalog })
    }

    /// `--init`'s binary: Debian's static tini, built into the catalog (`images/build.py`),
    /// so it is there offline wherever the images are.
    pub fn init_binary(&self) -> Result<PathBuf, EngineError> {
        let path = self.catalog.join("init/docker-init");
        if path.is_file() {
            Ok(path)
        } else {
            Err(EngineError::NoInit(path))
        }
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.root.join("blobs/sha256").join(hex)
    }
    pub fn layer_dir(&self, diff_id: &str) -> PathBuf {
        let hex = diff_id.strip_prefix("sha256:").unwrap_or(diff_id);
        self.root.join("layers").join(hex)
    }
    pub fn layer_done_marker(&self, diff_id: &str) -> PathBuf {
        let hex = diff_id.strip_prefix("sha256:").unwrap_or(diff_id);
        self.root.join("layers").join(format!("{hex}.done"))
    }
    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.root.join("containers").join(id)
    }
    /// A container's writable layer (overlay's upperdir).
    pub fn upper_dir(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("upper")
    }
    /// Overlay's workdir for a container's upper dir.
    pub fn work_dir(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("work")
    }
    pub fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }
    pub fn events_path(&self) -> PathBuf {
        self.root.join("events.jsonl")
    }
    /// Append an event to the feed.
    pub fn emit(&self, ev: super::Event) {
        super::events::append(&self.events_path(), &ev);
    }
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A fresh staging path under `tmp/` (removed by the caller or by a later cleanup):
    /// `<what>-<pid>-<start time>-<random>`. The start time tells the owner from a later
    /// process that got the same pid, so reconcile never keeps a dead owner's staging.
    pub fn tmp_path(&self, what: &str) -> PathBuf {
        let pid = std::process::id();
        let start = crate::container::process_start_time(pid as i32).unwrap_or(0);
        self.tmp_dir()
            .join(format!("{what}-{pid}-{start}-{}", super::random_hex(6)))
    }

    /// Take the store lock (blocking).
    pub fn lock(&self) -> Result<StoreLock, EngineError> {
        let file = flock(&self.root.join("lock"), libc::LOCK_EX)?
            .ok_or_else(|| EngineError::Runtime("store lock refused".into()))?;
        Ok(StoreLock { _file: file })
    }

    /// Held (shared) while a command writes blobs and layers that no index entry refers to
    /// yet (pull, commit, build), so a concurrent `rmi` does not collect them as garbage.
    pub fn writing(&self) -> Result<WriteGuard, EngineError> {
        let file = flock(&self.root.join("gc.lock"), libc::LOCK_SH)?
            .ok_or_else(|| EngineError::Runtime("store write guard refused".into()))?;
        Ok(WriteGuard { _file: file })
    }

    /// The right to collect garbage: exclusive, without waiting; None while any command
    /// holds `writing()` (its blobs are not in the index yet; the next `rmi` collects).
    pub fn try_collecting(&self) -> Result<Option<WriteGuard>, EngineError> {
        Ok(
            flock(&self.root.join("gc.lock"), libc::LOCK_EX | libc::LOCK_NB)?
                .map(|file| WriteGuard { _file: file }),
        )
    }
}

/// See `Store::writing` and `Store::try_collecting`.
pub struct WriteGuard {
    _file: File,
}

/// Open `path` and flock it with `op`; None when `op` has LOCK_NB and the lock is taken.
pub(crate) fn flock(path: &Path, op: libc::c_int) -> Result<Option<File>, EngineError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| EngineError::io(path, e))?;
    match crate::runtime::sys::flock(file.as_raw_fd(), op) {
        Ok(()) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(EngineError::io(path, e)),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

pub fn default_root() -> PathBuf {
    if let Some(r) = std::env::var_os("GORAE_ROOT").filter(|v| !v.is_empty()) {
        return PathBuf::from(r);
    }
    data_home().join("gorae")
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub(crate) fn data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".local/share"))
}

pub fn default_catalog() -> PathBuf {
    if let Some(p) = std::env::var_os("GORAE_IMAGES").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    // An installed binary may carry its images beside it (share/gorae/images).
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        let beside = dir.join("../share/gorae/images/layout");
        if beside.is_dir() {
            return beside;
        }
    }
    // The source tree's images/ (this crate lives in crates/engine).
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../images/layout")
}

/// Write `data` to `path` so a crash leaves either the old or the new content, never half.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<(), EngineError> {
    write_replace(path, data, true)
}

/// As `atomic_write`, without fsync: for records rewritten on every start and stop, where
/// rename's atomicity covers a killed process and an fsync would cost more than the start.
/// A power cut within seconds of a write may lose that record (a reader skips a record it
/// cannot parse), as ext4 no longer writes its data out ahead of the swap.
pub fn replace_file(path: &Path, data: &[u8]) -> Result<(), EngineError> {
    write_replace(path, data, false)
}

fn write_replace(path: &Path, data: &[u8], sync: bool) -> Result<(), EngineError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("f"),
        std::process::id(),
        super::random_hex(4)
    ));
    let res = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(data)?;
        if sync {
            f.sync_all()?;
            return fs::rename(&tmp, path);
        }
        drop(f);
        // Renaming over a file makes ext4 write the new one's data out first, there and then
        // (auto_da_alloc: ~0.3 ms a record here, twice per start); swapping the two names and
        // removing the old content does not. Readers see the old or the new record either way.
        // Where there is no file yet to swap with (or no RENAME_EXCHANGE), a rename.
        match crate::runtime::sys::exchange(&tmp, path) {
            Ok(()) => {
                // Written already; an old copy left behind (it failed to go) harms no reader.
                let _ = fs::remove_file(&tmp);
                Ok(())
            }
            Err(_) => fs::rename(&tmp, path),
        }
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(EngineError::io(path, e));
    }
    Ok(())
}

pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    atomic_write(path, &to_json(path, value)?)
}

/// `write_json` without fsync (see `replace_file`).
pub fn replace_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    replace_file(path, &to_json(path, value)?)
}

fn to_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, EngineError> {
    serde_json::to_vec_pretty(value).map_err(|e| EngineError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EngineError> {
    let data = fs::read(path).map_err(|e| EngineError::io(path, e))?;
    serde_json::from_slice(&data).map_err(|e| EngineError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
