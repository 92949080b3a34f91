//! Why a container's process did not start: typed, so the CLI and the TUI can say it in the
//! learner's language. The init reports it to the monitor as JSON on its error pipe.

use serde::{Deserialize, Serialize};

use super::sys::SysError;

/// A failure of the container's init (setup, user, working dir, exec). The English wording is
/// Docker's (runc's), for logs and tests; faces localise by variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InitFailure {
    #[error("unable to find user {user}: no matching entries in passwd file")]
    NoUser { user: String },
    #[error("unable to find group {group}")]
    NoGroup { group: String },
    #[error("chdir to cwd (\"{dir}\") set in config.json failed: {detail}")]
    Chdir { dir: String, detail: String },
    #[error("chdir to cwd (\"{dir}\") set in config.json failed: outside the container's root")]
    ChdirOutside { dir: String },
    /// `-u` for a non-root user where the user namespace maps one id.
    #[error(
        "cannot run as user \"{user}\": your account has no /etc/subuid range, so the container has a single user (root)"
    )]
    UserNeedsIds { user: String },
    #[error("no command specified")]
    NoCommand,
    #[error("exec: \"{cmd}\": executable file not found in $PATH")]
    NotFound { cmd: String },
    #[error("exec: \"{cmd}\": {detail}")]
    Exec {
        cmd: String,
        detail: String,
        errno: i32,
    },
    /// The kernel refused an unprivileged user namespace.
    #[error("cannot create a user namespace for a rootless container ({detail})")]
    UsernsDenied { detail: String },
    /// A setup step (mount, pivot_root, a descriptor) failed.
    #[error("{detail}")]
    Setup { detail: String },
    /// `docker exec` could not join the container (namespaces, seccomp, capabilities).
    #[error("{detail}")]
    Join { detail: String },
    /// A setup step's kernel call failed (mount, pivot_root, set*id, a descriptor).
    #[error("{error}")]
    Syscall { error: SysError },
    /// `docker exec`'s join failed in a kernel call (setns, seccomp, capset, fork).
    #[error("{error}")]
    JoinSyscall { error: SysError },
}

impl InitFailure {
    pub fn setup(detail: impl Into<String>) -> InitFailure {
        InitFailure::Setup {
            detail: detail.into(),
        }
    }

    /// Docker's exit codes: 125 the container could not be set up, 126 the command cannot be
    /// run, 127 it was not found.
    pub fn exit_code(&self) -> i32 {
        match self {
            InitFailure::NoCommand | InitFailure::UsernsDenied { .. } => 125,
            InitFailure::Setup { .. } | InitFailure::Syscall { .. } => 125,
            InitFailure::NotFound { .. } => 127,
            InitFailure::Exec { errno, .. } if *errno == libc::ENOENT => 127,
            _ => 126,
        }
    }

    /// The wire form on the init's error pipe.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Read back what `encode` wrote; anything else (an older init) is kept as text.
    pub fn decode(bytes: &[u8]) -> InitFailure {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| InitFailure::setup(String::from_utf8_lossy(bytes).to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_round_trip_and_keep_docker_codes() {
        for (f, code) in [
            (InitFailure::NoCommand, 125),
            (InitFailure::NotFound { cmd: "x".into() }, 127),
            (
                InitFailure::Exec {
                    cmd: "x".into(),
                    detail: "permission denied".into(),
                    errno: libc::EACCES,
                },
                126,
            ),
            (InitFailure::NoUser { user: "bob".into() }, 126),
            (InitFailure::setup("mount: EPERM"), 125),
            (
                InitFailure::Syscall {
                    error: SysError::new(
                        "mount proc",
                        Some(std::path::Path::new("/r/proc")),
                        nix::errno::Errno::EPERM,
                    ),
                },
                125,
            ),
            (
                InitFailure::JoinSyscall {
                    error: SysError::new("setns", None, nix::errno::Errno::EPERM),
                },
                126,
            ),
        ] {
            assert_eq!(InitFailure::decode(&f.encode()), f);
            assert_eq!(f.exit_code(), code);
        }
        assert_eq!(
            InitFailure::decode(b"plain text"),
            InitFailure::setup("plain text")
        );
    }
}
