//! The engine's hidden helper processes: the binary re-executes itself as `gorae __<name> …`
//! (a container's monitor, or a helper that must run as root of a user namespace). One enum, so
//! the names the engine spawns and the names the binary answers cannot drift apart. This
//! module only names them; the binary's `main` runs them (`run`), so it imports no other
//! engine module and no module that spawns a helper imports one that runs it.

use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// `__monitor <id> [--wait-attach | --restarted <ms>] [--trace]`: the per-container process
    /// (`monitor`); `--restarted`: its restart policy's next run, after a back-off of `ms`.
    Monitor,
    /// `__remove-tree <path>`: remove a rootless container's tree as root of its namespace.
    RemoveTree,
    /// `__pack-upper <upper>`: tar a container's changes as root of its namespace.
    PackUpper,
    /// `__diff <upper> …`: list a container's changes as root of its namespace.
    Diff,
    /// `__net-holder [--adopt <monitor pid>]`: the store's network holder (`net::holder`).
    NetHolder,
    /// `__cp <job>`: the container side of `docker cp` (`cp`).
    Copy,
    /// `__health <id>`: a running container's health checker, started by its monitor (`health`).
    Health,
    /// `__probe <scratch dir>`: try the namespaces and mounts containers need (`doctor`).
    Probe,
    /// `__spare-monitor <room>`: a monitor made ahead, waiting for the next `run` to claim it
    /// (`monitor::spare`); `<room>` only holds room for the command line it takes on.
    SpareMonitor,
}

impl Helper {
    pub const ALL: [Helper; 9] = [
        Helper::Monitor,
        Helper::RemoveTree,
        Helper::PackUpper,
        Helper::Diff,
        Helper::NetHolder,
        Helper::Copy,
        Helper::Health,
        Helper::Probe,
        Helper::SpareMonitor,
    ];

    pub fn arg(self) -> &'static str {
        match self {
            Helper::Monitor => "__monitor",
            Helper::RemoveTree => "__remove-tree",
            Helper::PackUpper => "__pack-upper",
            Helper::Diff => "__diff",
            Helper::NetHolder => "__net-holder",
            Helper::Copy => "__cp",
            Helper::Health => "__health",
            Helper::Probe => "__probe",
            Helper::SpareMonitor => "__spare-monitor",
        }
    }

    pub fn from_arg(arg: &str) -> Option<Helper> {
        Helper::ALL.into_iter().find(|h| h.arg() == arg)
    }

    /// The command that starts this helper (the running binary, re-executed).
    pub fn command(self) -> Command {
        let mut cmd = Command::new(gorae_exe());
        cmd.arg(self.arg());
        cmd
    }
}

/// gorae's own executable, to start its helpers (monitors, the tree remover) from.
pub fn gorae_exe() -> PathBuf {
    std::env::var_os("GORAE_EXE")
        .map(PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("gorae"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_is_found_by_its_own_name() {
        for h in Helper::ALL {
            assert_eq!(Helper::from_arg(h.arg()), Some(h));
        }
        assert_eq!(Helper::from_arg("__nope"), None);
    }
}
