//! The engine's hidden helper processes: the binary re-executes itself as `gorae __<name> …`
//! (a container's monitor, or a helper that must run as root of a user namespace). One enum, so
//! the names the engine spawns and the names the binary answers cannot drift apart.

use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// `__monitor <id> [--wait-attach]`: the per-container process (`monitor`).
    Monitor,
    /// `__remove-tree <path>`: remove a rootless container's tree as root of its namespace.
    RemoveTree,
    /// `__pack-upper <upper>`: tar a container's changes as root of its namespace.
    PackUpper,
    /// `__diff <upper> …`: list a container's changes as root of its namespace.
    Diff,
}

impl Helper {
    pub const ALL: [Helper; 4] = [
        Helper::Monitor,
        Helper::RemoveTree,
        Helper::PackUpper,
        Helper::Diff,
    ];

    pub fn arg(self) -> &'static str {
        match self {
            Helper::Monitor => "__monitor",
            Helper::RemoveTree => "__remove-tree",
            Helper::PackUpper => "__pack-upper",
            Helper::Diff => "__diff",
        }
    }

    pub fn from_arg(arg: &str) -> Option<Helper> {
        Helper::ALL.into_iter().find(|h| h.arg() == arg)
    }

    /// The command that starts this helper (the running binary, re-executed).
    pub fn command(self) -> Command {
        let mut cmd = Command::new(crate::runtime::gorae_exe());
        cmd.arg(self.arg());
        cmd
    }

    /// Run the helper named by the binary's first argument; `args` are the ones after it.
    pub fn run(self, args: &[String]) -> i32 {
        match self {
            Helper::Monitor => crate::monitor::main(args),
            Helper::RemoveTree => crate::runtime::remove_tree_main(args),
            Helper::PackUpper => crate::archive::pack_upper_main(args),
            Helper::Diff => crate::archive::diff_main(args),
        }
    }
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
