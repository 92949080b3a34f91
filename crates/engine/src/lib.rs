//! The container engine: a library with no UI. The CLI and the TUI are faces over it.
//!
//! - `store`: on-disk layout (docs/ARCHITECTURE.md), locking, atomic writes
//! - `events`: the event feed every face follows
//! - `exec`: `docker exec`, a process joined to a running container
//! - `image`: OCI image layouts, the bundled catalog, pull, tag, rmi, commit
//! - `container`: container records, ids, names
//! - `inspect`: a container's processes (`top`) and written bytes, read from the host
//! - `runtime`: namespaces, mounts, pty (syscalls behind `runtime::sys`)
//! - `monitor`: the per-container process that outlives the CLI
//! - `pattern`: Go's `path.Match`, the one glob matcher (.dockerignore, COPY, filters)
//! - `archive`: tar extraction that never writes outside its target, and layer creation
//! - `snapshot`: a read-only view of images and containers for the TUI and the course
//! - `transfer`: save / load / export / import tarballs
//! - `time`: RFC 3339 times as the store writes them
//! - `net`: networks (records, addresses, the holder process, netlink)
//! - `registry`: talking to a real registry (OCI distribution API), pulling
//! - `push`: pushing to a registry (blob checks, uploads, cross-repository mounts, manifests)
//! - `auth`: `docker login` credentials in ~/.docker/config.json
//! - `restart`: restart policies (`--restart`) and their back-off, applied by the monitor
//! - `pool`: unpacked layers and layer blobs shared by all stores of one user (hard-link references)
//! - `prune`: container and image prune (what nothing uses), with Docker's events
//! - `volume`: volumes (`<root>/volumes/<name>/_data`), a container's mounts, which containers use a volume
//! - `net`: networks (`dns`: the embedded DNS server; `egress`: pasta/slirp4netns and NAT)

#![deny(unsafe_code)]

pub mod archive;
pub mod attach;
pub mod auth;
pub mod build;
pub mod claim;
pub mod container;
pub mod cp;
pub mod df;
pub mod doctor;
mod error;
pub mod events;
pub mod exec;
pub mod health;
pub mod helper;
pub mod image;
pub mod inspect;
pub mod lifecycle;
pub mod monitor;
pub mod net;
pub mod pattern;
pub mod pause;
mod pool;
pub mod proxy;
pub mod prune;
pub mod push;
pub mod registry;
pub mod restart;
pub mod runtime;
pub mod snapshot;
pub mod stats;
pub mod store;
pub mod time;
pub mod trace;
pub mod transfer;
pub mod volume;

pub use error::{EngineError, RefProblem};
pub use events::{Action, Event, EventType};
pub use snapshot::{
    ContainerInfo, ImageInfo, MountInfo, NetworkInfo, NetworkMember, PortInfo, Snapshot, VolumeInfo,
};
pub use store::Store;

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
    if !runtime::sys::fill_random(&mut buf) {
        // getrandom cannot fail on Linux ≥ 3.17 except EINTR; fall back to time + pid.
        let seed = now_millis() ^ ((std::process::id() as u64) << 32);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    hex::encode(buf)
}
