//! The engine's errors. Serialisable, so the monitor can hand a failure to the CLI intact and
//! the CLI can say it in the learner's language.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runtime::InitFailure;
use crate::runtime::sys::SysError;

/// Errors a user can cause or meet; each maps to a clear message in `cli`.
/// Why an image reference is refused, as distribution/reference tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum RefProblem {
    /// Not the grammar at all (`busybox:`, `a@b`).
    #[error("invalid reference format")]
    Format,
    /// The repository part has capitals; the name is the remote name Docker shows
    /// (`library/Foo`).
    #[error("repository name ({0}) must be lowercase")]
    Uppercase(String),
    #[error("repository name must not be more than 255 characters")]
    TooLong,
    /// A digest reference where a tag is made (`tag`, `commit`, `build -t`).
    #[error("refusing to create a tag with a digest reference")]
    DigestTag,
    #[error("unsupported digest algorithm")]
    DigestAlgorithm,
    #[error("invalid checksum digest length")]
    DigestLength,
    #[error("invalid checksum digest format")]
    DigestFormat,
}

#[derive(Debug, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum EngineError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        #[serde(with = "io_error")]
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
    /// The reference as given, and what distribution/reference finds wrong with it.
    #[error("invalid reference {0:?}: {1}")]
    InvalidReference(String, RefProblem),
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
    /// A published port is taken; Docker 28's daemon wraps the driver's error this way.
    #[error(
        "failed to set up container networking: driver failed programming external connectivity on endpoint {endpoint} ({endpoint_id}): Bind for {addr} failed: port is already allocated"
    )]
    PortInUse {
        endpoint: String,
        endpoint_id: String,
        addr: String,
    },
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
    /// `rmi NAME:TAG` of an image's only name while a container uses the image (moby's
    /// image_delete.go: removing it would leave the image dangling).
    #[error(
        "conflict: unable to remove repository reference {reference:?} (must force) - container {container} is using its referenced image {image}"
    )]
    ReferenceInUse {
        reference: String,
        container: String,
        image: String,
    },
    /// The container's process could not be started (see `InitFailure::exit_code`).
    #[error("{0}")]
    Start(#[from] InitFailure),
    #[error("Invalid container name ({0}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName(String),
    #[error("Invalid signal: {0}")]
    InvalidSignal(String),
    /// A health check duration under the daemon's 1ms floor ("Interval", "Timeout", …).
    #[error("{0} in Healthcheck cannot be less than 1ms")]
    HealthcheckTooShort(String),
    #[error("Retries in Healthcheck cannot be negative")]
    HealthcheckRetriesNegative,
    /// `--init` without the bundled init binary beside the catalog.
    #[error("docker-init not found at {0}")]
    NoInit(PathBuf),
    /// `docker commit --change` with an instruction it does not take.
    #[error("{0} is not a valid change command")]
    InvalidChange(String),
    /// Binding a published port failed for another reason than "in use".
    #[error("bind {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        #[serde(with = "io_error")]
        source: std::io::Error,
    },
    /// A registry answered, but not as the distribution API says (or refused us).
    #[error("{image}: {detail}")]
    Registry { image: String, detail: String },
    /// The registry has no manifest for the tag or digest (its own words, as Docker relays
    /// them: `manifest for … not found: manifest unknown: …`).
    #[error("{0}")]
    ManifestUnknown(String),
    /// What a paused (or, for unpause, a not paused) container refuses. `op`: `pause`
    /// (already paused), `unpause` (not paused), `exec`, `attach`, `start`, `rm` (not forced).
    #[error("container {id} is paused ({op})")]
    Paused { id: String, op: String },
    /// What a container between two runs of its restart policy refuses (`op`: `exec`,
    /// `pause`, `rm` not forced).
    #[error("container {id} is restarting ({op})")]
    Restarting { id: String, op: String },
    /// A `--restart` value Docker's daemon refuses.
    #[error("{0}")]
    RestartPolicy(#[from] crate::restart::PolicyError),
    /// `docker update --restart` of a `--rm` container.
    #[error(
        "Cannot update container {0}: Restart policy cannot be updated because AutoRemove is enabled for the container"
    )]
    AutoRemoveRestart(String),
    /// The cgroup freezer could not freeze or thaw (`op`: pause, unpause); `unavailable`: the
    /// container has no freezer cgroup (rootless without delegation).
    #[error("cannot {op} container {id}: {detail}")]
    Freezer {
        id: String,
        op: String,
        unavailable: bool,
        detail: String,
    },
    /// `docker cp` refused (Docker's wording).
    #[error("{0}")]
    Cp(#[from] crate::cp::CpFailure),
    /// `docker top`'s `ps` refused its options or could not run (Docker's wording).
    #[error("{0}")]
    Ps(String),
    /// Something no user action causes went wrong inside the engine (its monitor died, a lock
    /// was refused); the text is for a bug report.
    #[error("{0}")]
    Runtime(String),
    /// Networks: Docker's messages (`network X not found`, …).
    #[error("{0}")]
    Network(#[from] crate::net::NetError),
    /// A kernel call the engine made failed (pipe, socketpair, fork).
    #[error("{0}")]
    Sys(#[from] SysError),
    #[error("get {0}: no such volume")]
    NoSuchVolume(String),
    /// `volume rm` of a volume containers (full IDs) still use.
    #[error("remove {name}: volume is in use - [{}]", containers.join(", "))]
    VolumeInUse {
        name: String,
        containers: Vec<String>,
    },
    /// `docker push` of a repository with no local tag.
    #[error("An image does not exist locally with the tag: {0}")]
    NoLocalTag(String),
    /// `docker push` of a tag the repository does not have here.
    #[error("tag does not exist: {0}")]
    TagDoesNotExist(String),
    /// No registry answered at the address (push, login): Go's `Get "url": …` wording.
    #[error("{0}")]
    RegistryUnreachable(String),
    /// The registry refused the credentials, or access without them (push, login).
    #[error("{0}")]
    RegistryDenied(String),
    /// The registry refused a blob or manifest of a push.
    #[error("{0}")]
    PushFailed(String),
    /// A `-v`/`--mount` the daemon refuses.
    #[error("{0}")]
    Mount(#[from] crate::volume::MountError),
}

impl EngineError {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> EngineError {
        EngineError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The exit code Docker gives this failure when a container could not run.
    pub fn exit_code(&self) -> i32 {
        match self {
            EngineError::Start(f) => f.exit_code(),
            _ => 125,
        }
    }

    /// One line for the monitor's status pipe and the attach protocol.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            serde_json::to_string(&EngineError::Runtime(self.to_string())).unwrap_or_default()
        })
    }

    /// Read back what `encode` wrote; anything else is kept as text.
    pub fn decode(text: &str) -> EngineError {
        serde_json::from_str(text).unwrap_or_else(|_| EngineError::Runtime(text.to_string()))
    }
}

/// io::Error on the wire: its errno when it has one, else its text.
mod io_error {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Wire {
        errno: Option<i32>,
        message: String,
    }

    pub fn serialize<S: Serializer>(e: &std::io::Error, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            errno: e.raw_os_error(),
            message: e.to_string(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<std::io::Error, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(match w.errno {
            Some(n) => std::io::Error::from_raw_os_error(n),
            None => std::io::Error::other(w.message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_the_wire_intact() {
        let cases = [
            EngineError::PortInUse {
                endpoint: "web".into(),
                endpoint_id: "ab".repeat(32),
                addr: "0.0.0.0:8080".into(),
            },
            EngineError::Start(InitFailure::NotFound { cmd: "nope".into() }),
            EngineError::io("/x", std::io::Error::from_raw_os_error(libc::ENOSPC)),
            EngineError::NameInUse {
                name: "a".into(),
                id: "b".into(),
            },
            EngineError::Sys(SysError::new("pipe", None, nix::errno::Errno::EMFILE)),
        ];
        for e in cases {
            let back = EngineError::decode(&e.encode());
            assert_eq!(back.to_string(), e.to_string());
            assert_eq!(back.exit_code(), e.exit_code());
        }
        assert_eq!(EngineError::decode("free text").to_string(), "free text");
    }
}
