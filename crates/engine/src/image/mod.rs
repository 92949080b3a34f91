//! Images: OCI types, the store's index, references, the bundled catalog, pull, tag, remove.
//!
//! An image's ID is the digest of its config blob, as in Docker. The store's `index.json` has one
//! manifest descriptor per tag ("busybox:latest" in the ref-name annotation); images that lost
//! their last tag but still exist (dangling, or kept by a container) are listed with the
//! `io.gorae.untagged` annotation so their blobs are never orphaned.

mod hash;
mod index;
mod layers;
mod members;
mod oci;
mod pull;
mod reference;

/// The time helpers lived here; the CLI still names them by these paths.
pub use crate::time::{parse_time_millis, rfc3339_now};
pub use hash::{HashReader, HashWriter, sha256_hex, short_hex, verify_bytes};
pub use layers::open_layer_stream;
pub(crate) use layers::unpack_blob_into;
pub use oci::{
    Descriptor, History, Image, ImageConfig, Index, Layout, MT_CONFIG, MT_DOCKER_MANIFEST,
    MT_INDEX, MT_LAYER_GZIP, MT_LAYER_TAR, MT_MANIFEST, Manifest, REF_NAME, RootFs, RunDefaults,
};
pub use pull::{LayerStatus, NoProgress, PullOutcome, PullProgress};
pub use reference::{Reference, split_domain};
