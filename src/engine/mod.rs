//! The container engine: a library with no UI. The CLI and the TUI are faces over it.
//!
//! - `store`: on-disk layout (docs/ARCHITECTURE.md), locking, atomic writes
//! - `events`: the event feed every face follows
//! - `image`: OCI image layouts, the bundled catalog, pull, tag, rmi, commit
//! - `container`: container records, ids, names
//! - `runtime`: namespaces, mounts, pty (syscalls behind `runtime::sys`)
//! - `monitor`: the per-container process that outlives the CLI
//! - `archive`: tar extraction that never writes outside its target, and layer creation
//! - `snapshot`: a read-only view of images and containers for the TUI and the course
//! - `transfer`: save / load / export / import tarballs
//! - `registry`: pulling from a real registry (OCI distribution API)

pub mod archive;
pub mod attach;
pub mod build;
pub mod container;
pub mod events;
pub mod image;
pub mod lifecycle;
pub mod monitor;
pub mod proxy;
pub mod registry;
pub mod runtime;
pub mod snapshot;
pub mod store;
pub mod transfer;

use std::path::{Path, PathBuf};

pub use events::Event;
pub use snapshot::{ContainerInfo, ImageInfo, PortInfo, Snapshot};
pub use store::Store;

/// Errors a user can cause or meet; each maps to a clear message in `cli`.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("no such image: {0}")]
    NoSuchImage(String),
    #[error("image {name} is not bundled (bundled: {available})")]
    NotBundled { name: String, available: String },
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("unsafe path in archive: {0}")]
    UnsafePath(String),
    #[error(
        "{path}: the image layer unpacks to more than {limit} bytes (refused as a decompression bomb)"
    )]
    TooLarge { path: String, limit: u64 },
    #[error("invalid reference format: {0}")]
    InvalidReference(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(
        "cannot remove container \"/{0}\": container is running: stop the container before removing or force remove"
    )]
    ContainerRunning(String),
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse { name: String, id: String },
    #[error("Bind for {0} failed: port is already allocated")]
    PortInUse(String),
    #[error("container {0} is not running")]
    NotRunning(String),
    #[error(
        "conflict: unable to delete {image} ({how}) - image is being used by {state} container {container}"
    )]
    ImageInUse {
        image: String,
        container: String,
        state: String,
        how: String,
    },
    #[error("{0}")]
    Runtime(String),
}

impl EngineError {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> EngineError {
        EngineError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `n` random bytes as hex, from the kernel.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        // SAFETY: writing into our own buffer of the stated length.
        let r = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), n - filled, 0) };
        if r <= 0 {
            // getrandom cannot fail on Linux ≥ 3.17 except EINTR; fall back to time + pid.
            let seed = now_millis() ^ ((std::process::id() as u64) << 32);
            for (i, b) in buf.iter_mut().enumerate().skip(filled) {
                *b = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
            }
            break;
        }
        filled += r as usize;
    }
    hex::encode(buf)
}
