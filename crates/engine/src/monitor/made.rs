//! What a monitor may find made before it read its container's record: the cgroups, and an
//! init a spare monitor cloned into them ahead.

use super::{cgroup, runtime};

/// A container's cgroups made before its record was read (default limits; the record's are
/// applied in `run`), and what a spare monitor cloned into them ahead (`spare::Ready`).
pub(super) struct Made {
    pub(super) cgroups: cgroup::Cgroups,
    pub(super) init: AheadInit,
    /// Mount points added or removed on the host since the init copied the tree.
    pub(super) moved: Vec<std::path::PathBuf>,
}

/// Where a container's init cloned ahead (`runtime::ahead`) stands.
pub(super) enum AheadInit {
    /// None was made, it was handed the spec, or it is reaped.
    None,
    /// Waiting for a spec (killed, unwaited, when dropped).
    Waiting(runtime::ahead::Ahead),
    /// Killed unused (this pid): reaped once the container runs.
    Abandoned(i32),
}

impl AheadInit {
    /// The waiting init, leaving none.
    pub(super) fn take_waiting(&mut self) -> Option<runtime::ahead::Ahead> {
        match std::mem::replace(self, AheadInit::None) {
            AheadInit::Waiting(init) => Some(init),
            other => {
                *self = other;
                None
            }
        }
    }
}
