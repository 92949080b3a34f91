//! The spare monitor: a monitor made ahead of the next `run`, as the holder makes the next
//! network namespace ahead (`net::spare`). A monitor whose container has ended starts
//! `__spare-monitor` (`offer`) and listens on the store's `…/spare-monitor`; the
//! next `run` claims it there (`claim::claim`) instead of spawning a monitor, which takes
//! the exec of the binary off the start's path (the CLI's vfork wait and ~0.7 ms of CPU
//! beside its own work). A claimed spare names the container on its command line, as a
//! spawned monitor does, and runs `monitor::main` with the claim's arguments, environment
//! and working directory.
//!
//! At most one per store: the abstract name has one listener. A spare leaves when its store
//! is removed (it looks every `LOOK_EVERY`), after `IDLE` without a claim, or when a claim comes from another build of the
//! binary (an upgrade or a rebuild: that one's own monitors take over). It only serves its
//! own user (SO_PEERCRED): root's spare never runs a container for anyone else.
//!
//! Root's spare also makes the next container's cgroups and clones its init into them ahead
//! (`Ready`, `runtime::ahead`): the cgroups are named `spare-<pid>` until the claim names the
//! container, then renamed to its ID.

use std::collections::HashSet;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Made;
use crate::claim::{self, Claim};
use crate::helper::Helper;
use crate::runtime::ahead::Ahead;
use crate::runtime::{self, cgroup, sys};
use crate::store::Store;

/// How long a spare waits for a claim before it leaves.
const IDLE: Duration = Duration::from_secs(600);
/// How often an idle spare looks whether its store is still there.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// How long a new spare waits for a claim before it makes its `Ready`. Runs back to back (a
/// script's) claim it within ~2 ms, while making it would still be under way: they start
/// as before, the cgroups made while the CLI writes the record. A person types slower.
const READY_AFTER: Duration = Duration::from_millis(5);
/// Room kept on the spare's command line for the one it takes on (`gorae __monitor <64 hex>
/// --await-create --wait-attach --trace` is under 140 bytes after the binary's path).
const ROOM: usize = 160;

/// Start the store's spare monitor, unless it has one (or this process's user namespace is
/// not the one it started in: a rootless monitor joins its holder's, which a later run must
/// join itself). A process of its own, not this one re-executed: a monitor's pid and start
/// time are its container's, and their end is how others see the container end.
pub fn offer(store: &Store, same_userns: bool) {
    use std::os::unix::process::CommandExt;
    if !same_userns {
        return;
    }
    let Ok(addr) = claim::address(&store.root) else {
        return;
    };
    let Ok(listener) = UnixListener::bind_addr(&addr) else {
        // Taken: a spare is there already.
        return;
    };
    let mut cmd = std::process::Command::new("/proc/self/exe");
    if let Some(arg0) = std::env::args_os().next() {
        cmd.arg0(arg0);
    }
    // The listener is its stdin. Nobody waits for it: we exit now and it is reparented.
    let _ = cmd
        .arg(Helper::SpareMonitor.arg())
        .arg(" ".repeat(ROOM))
        .stdin(std::process::Stdio::from(OwnedFd::from(listener)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// `__spare-monitor`: wait for a claim, then be the monitor it asks for.
pub fn main(_args: &[String]) -> i32 {
    // A claim arrives at any time; the terminal the last CLI ran in is not ours.
    sys::ignore_signals(&[libc::SIGHUP, libc::SIGINT, libc::SIGPIPE]);
    // The monitor that offered us ignores SIGTERM (its container outlives a `kill` of it);
    // an idle spare has nothing to outlive, and goes as any process does.
    sys::default_signals(&[libc::SIGTERM]);
    // The offering monitor's listener is our stdin (`offer`).
    let Some(listener) = sys::inherited_file(0) else {
        return 2;
    };
    let listener = UnixListener::from(OwnedFd::from(listener));
    // Hold no directory of anyone's (a sandbox's, say) while idle.
    let _ = std::env::set_current_dir("/");
    let Some(exe) = claim::identity(Path::new("/proc/self/exe")) else {
        return 1;
    };
    // The store's removal (a test's sandbox, a reset) ends the wait within `LOOK_EVERY`.
    // Not inotify: closing an inotify instance waits for the kernel's SRCU grace period
    // (milliseconds when idle), which would come between a claim and its start.
    let root = crate::store::default_root();
    let Some(store) = claim::identity(&root) else {
        return 0;
    };
    // Gone also when only its root is left: a removal that failed halfway (a helper wrote
    // into the store meanwhile) leaves a dir that no command will use again, and we would
    // hold our cgroups for the whole idle wait.
    let gone = || claim::identity(&root) != Some(store) || !root.join("containers").is_dir();
    let me = sys::geteuid();
    // Ours cannot change while we wait: looked up once, not on each claim's path.
    let world = claim::world();
    let mut ready = None;
    let mut made = false;
    let until = Instant::now() + IDLE;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || gone() {
            return 0;
        }
        let mut fds = [sys::pollfd(listener.as_raw_fd(), libc::POLLIN)];
        let wait = if made { LOOK_EVERY } else { READY_AFTER };
        let ms = i32::try_from(left.min(wait).as_millis()).unwrap_or(i32::MAX);
        if sys::poll(&mut fds, ms).is_err() || fds[0].revents & libc::POLLIN == 0 {
            if !made {
                made = true;
                ready = Ready::make(&root);
            }
            continue;
        }
        let Ok((stream, _)) = listener.accept() else {
            continue;
        };
        if crate::attach::peer_uid(&stream) != Some(me) {
            continue;
        }
        let Some((claim, go, status)) = claim::read_claim(&stream) else {
            continue;
        };
        if claim.exe != exe || claim.world != world {
            // Another build claims (it spawns its own monitors from now on), or a process in
            // other namespaces than ours (whose own monitor would then be the spare).
            let _ = std::io::Write::write_all(&mut &stream, b"n");
            return 0;
        }
        if std::io::Write::write_all(&mut &stream, b"y").is_err() {
            // The claimant gave up; its pipes are closed.
            continue;
        }
        // The name is free for the next spare once this one is taken.
        drop(listener);
        return take_on(claim, go, status, ready.take());
    }
}

/// The next container's cgroups and its init in them, made ahead (root only: see
/// `runtime::ahead`). Dropped unclaimed, the init is killed and the cgroups removed.
pub(super) struct Ready {
    init: Option<Ahead>,
    cgroups: cgroup::Cgroups,
    /// Our /proc/self/mountinfo, opened before the clone: it polls POLLPRI once a mount or
    /// unmount has changed the tree the init copied (a container that looks there must be
    /// cloned afresh to see it: `Ahead::sees_mounts_at`).
    mounts: std::fs::File,
    /// That tree, read just before the clone.
    copied: String,
}

impl Ready {
    fn make(store_root: &Path) -> Option<Ready> {
        if runtime::is_rootless() {
            return None;
        }
        cgroup::remove_stale_spares();
        let mut mounts = std::fs::File::open("/proc/self/mountinfo").ok()?;
        let mut copied = String::new();
        std::io::Read::read_to_string(&mut mounts, &mut copied).ok()?;
        let cgroups = cgroup::create(&cgroup::spare_name(std::process::id()));
        let init = Ahead::clone_into(&cgroups, store_root.join("tmp"));
        let ready = Ready {
            init,
            cgroups,
            mounts,
            copied,
        };
        ready.init.is_some().then_some(ready)
    }

    /// The cgroups, renamed for container `id`, and the init in them, with the mount points
    /// added or removed since it copied the tree (`moved`). None (both gone) when the
    /// cgroups would not move.
    pub(super) fn take_for(mut self, id: &str) -> Option<Made> {
        let renamed = self.cgroups.rename_to(id)?;
        self.cgroups = cgroup::Cgroups::default();
        let init = self.init.take()?;
        // Always readable; POLLPRI (with POLLERR) says changed.
        let mut polled = [sys::pollfd(self.mounts.as_raw_fd(), libc::POLLPRI)];
        let changed = sys::poll(&mut polled, 0).is_err() || polled[0].revents & libc::POLLPRI != 0;
        let moved = if changed {
            match std::fs::read_to_string("/proc/self/mountinfo") {
                Ok(now) => mount_points_changed(&self.copied, &now),
                // Unknown: as if everything had.
                Err(_) => vec![PathBuf::from("/")],
            }
        } else {
            Vec::new()
        };
        Some(Made {
            cgroups: renamed,
            init: super::AheadInit::Waiting(init),
            moved,
        })
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        // The init first: a cgroup with a process in it cannot be removed.
        drop(self.init.take());
        self.cgroups.remove();
    }
}

/// The mount points of the lines of mountinfo `now` that `before` lacks, and of those it
/// had that `now` lacks (mounted, unmounted or changed since).
fn mount_points_changed(before: &str, now: &str) -> Vec<PathBuf> {
    let was: HashSet<&str> = before.lines().collect();
    let is: HashSet<&str> = now.lines().collect();
    was.symmetric_difference(&is)
        .filter_map(|line| line.split(' ').nth(4).map(unescape_octal))
        .collect()
}

/// A mountinfo field as the path it is: the kernel writes space, tab, newline and backslash
/// as a backslash and three octal digits. (By hand: the procfs crate parses all of
/// mountinfo, a large dependency for these few lines.)
fn unescape_octal(field: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let digits = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match digits {
            Some(d) => {
                out.push(
                    d.iter()
                        .fold(0u8, |n, c| n.wrapping_mul(8).wrapping_add(c - b'0')),
                );
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// Be the monitor `claim` asks for, as if spawned with its pipes, environment and directory.
fn take_on(claim: Claim, go: OwnedFd, status: OwnedFd, ready: Option<Ready>) -> i32 {
    if sys::dup_onto(go.as_raw_fd(), 0).is_err() || sys::dup_onto(status.as_raw_fd(), 1).is_err() {
        return 1;
    }
    drop((go, status));
    sys::replace_environment(&claim.env);
    let _ = std::env::set_current_dir(&claim.cwd);
    let arg0 = std::env::args().next().unwrap_or_else(|| "gorae".into());
    let mut line: Vec<&str> = vec![&arg0, Helper::Monitor.arg()];
    line.extend(claim.args.iter().map(String::as_str));
    sys::overwrite_cmdline(&line);
    super::main_with(&claim.args, ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_points_that_changed_are_read_off_two_mountinfos() {
        let before = "22 1 0:21 / / rw shared:1 - ext4 /dev/vda rw\n\
                      30 22 0:25 / /proc rw shared:2 - proc proc rw\n\
                      41 22 0:30 / /mnt/old rw shared:9 - tmpfs tmpfs rw\n";
        let now = "22 1 0:21 / / rw shared:1 - ext4 /dev/vda rw\n\
                   30 22 0:25 / /proc rw shared:2 - proc proc rw\n\
                   57 22 0:44 / /srv/with\\040space rw shared:12 - tmpfs tmpfs rw\n";
        let mut changed = mount_points_changed(before, now);
        changed.sort();
        assert_eq!(
            changed,
            vec![PathBuf::from("/mnt/old"), PathBuf::from("/srv/with space")]
        );
        assert!(mount_points_changed(now, now).is_empty());
        assert_eq!(
            unescape_octal("a\\011b\\134c\\12"),
            PathBuf::from("a\tb\\c\\12")
        );
    }
}
