//! A container init cloned ahead of its container, by the store's spare monitor
//! (`monitor::spare`): the clone into new PID, mount, UTS and IPC namespaces and the joins of
//! its cgroups (made as `spare-<pid>`, renamed to the container's once it is claimed) are
//! ~1.1 ms of a start that depend on nothing of the container. The init waits for its `Spec`
//! and descriptors on a socket, then goes on as a freshly cloned one does
//! (`runtime::init_process`). Its network namespace is the last thing it takes: the spare
//! made ahead (`NetNs::Join`), a new one (unshared, as a clone would have made), or the host's.
//!
//! Only where the container needs no user namespace of its own (root's stores): that one would
//! have to be cloned with it, and a rootless networked init's is the holder's, joined by its
//! monitor before the clone.

use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::sys::{self, LinuxSyscall, Syscall};
use super::{InitFailure, NetNs, Spec, Stdio, cgroup};

/// How the ahead init's process is named in `ps` (it is no helper to run by hand).
const TITLE: &str = "gorae: container init, made ahead";

/// The init made ahead, as its parent holds it. Dropped unused, it is killed and reaped.
pub struct Ahead {
    pid: i32,
    /// Ours of the socket the spec comes on.
    socket: RawFd,
    sync_write: RawFd,
    err_read: RawFd,
}

/// What the monitor keeps of an init it has handed its spec to.
pub struct Handed {
    pub pid: i32,
    /// "go" is written here (`runtime::SyncPipe`'s write end).
    pub sync_write: RawFd,
    /// The init's failure report; EOF once it has exec'd.
    pub err_read: RawFd,
}

/// The spec on the wire: descriptors as indices into those sent with it.
#[derive(Serialize, Deserialize)]
struct Wire {
    spec: Spec,
    stdio: Stdio,
    /// How many descriptors came with it.
    fds: usize,
}

impl Wire {
    /// `spec` and `stdio` as an ahead init takes them, and the descriptors to send with them
    /// (the wire names each by its index there). The cgroups are joined already.
    fn new(spec: &Spec, stdio: Stdio) -> (Wire, Vec<RawFd>) {
        let mut fds = Vec::new();
        let mut index = |fd: RawFd| -> RawFd {
            fds.push(fd);
            (fds.len() - 1) as RawFd
        };
        let mut spec = spec.clone();
        spec.cgroup_tasks.clear();
        spec.into_cgroup = None;
        if let NetNs::Join(fd) = spec.net {
            spec.net = NetNs::Join(index(fd));
        }
        if spec.trace_fd >= 0 {
            spec.trace_fd = index(spec.trace_fd);
        }
        let stdio = stdio.map_fds(&mut index);
        let wire = Wire {
            spec,
            stdio,
            fds: fds.len(),
        };
        (wire, fds)
    }

    /// Send it on `socket` with `fds` (SCM_RIGHTS): its length (8 bytes, little-endian), then
    /// its JSON; [`receive`] reads it back.
    fn send(&self, socket: RawFd, fds: &[RawFd]) -> Result<(), InitFailure> {
        let body =
            serde_json::to_vec(self).map_err(|e| InitFailure::setup(format!("spec: {e}")))?;
        let mut msg = (body.len() as u64).to_le_bytes().to_vec();
        msg.extend_from_slice(&body);
        let sent = sys::send_with_fds(socket, &msg, fds)
            .map_err(|e| InitFailure::setup(format!("sending the spec: {e}")))?;
        if !sys::write_all(socket, &msg[sent..]) {
            return Err(init_gone());
        }
        Ok(())
    }

    /// Refuses `fds` (those that came with it) when they are not as many as it names.
    fn check(&self, fds: &[OwnedFd]) -> Result<(), InitFailure> {
        if fds.len() != self.fds {
            let detail = format!("{} of {} descriptors came", fds.len(), self.fds);
            return Err(InitFailure::setup(detail));
        }
        Ok(())
    }
}

/// The ahead init closed its socket before the spec was through (or before its netns).
fn init_gone() -> InitFailure {
    InitFailure::setup("sending the spec: the init is gone")
}

impl Ahead {
    /// Clone the init, into `cgroups` (the v2 dir; v1 ones it joins itself); it stages a
    /// /dev and /proc on `staging` (`rootfs::stage`: the store's tmp). The caller is
    /// single-threaded. Returns once the init is in the v1 cgroups too. None where a clone
    /// fails (or the init dies first): the container is then cloned as usual.
    pub fn clone_into(cgroups: &cgroup::Cgroups, staging: PathBuf) -> Option<Ahead> {
        // Owned until the init has them: a step that fails closes what the earlier ones made.
        let (ours, theirs) = sys::socketpair_owned().ok()?;
        let (sync_r, sync_w) = sys::pipe_owned().ok()?;
        let (err_r, err_w) = sys::pipe_owned().ok()?;
        let tasks = cgroups.self_join_files();
        let flags =
            libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
        // The child closes its copies of our ends and goes on with its own.
        let ends = [ours.as_raw_fd(), sync_w.as_raw_fd(), err_r.as_raw_fd()];
        let (socket, sync_read, err_write) =
            (theirs.as_raw_fd(), sync_r.as_raw_fd(), err_w.as_raw_fd());
        let mut cb = move || -> isize {
            for fd in ends {
                sys::close(fd);
            }
            wait_for_spec(socket, sync_read, err_write, &tasks, &staging) as isize
        };
        let into = cgroups.v2_dir().and_then(|d| std::fs::File::open(d).ok());
        let pid = match into
            .as_ref()
            .map(|d| sys::clone_child_into(flags, d.as_raw_fd(), &mut cb))
        {
            Some(Ok(pid)) => Some(pid),
            _ if into.is_some() => None,
            _ => sys::clone_child(flags, &mut cb).ok(),
        };
        drop((theirs, sync_r, err_w));
        let pid = pid?;
        let ahead = Ahead {
            pid,
            socket: ours.into_raw_fd(),
            sync_write: sync_w.into_raw_fd(),
            err_read: err_r.into_raw_fd(),
        };
        // The init joins our v1 cgroups by their path, `spare-<pid>` until a claim renames
        // them: it must be in them before that, or the container runs outside its limits
        // (and its cgroups stay empty). Ahead of any claim, so off the start's path.
        if !sys::read(ahead.socket, &mut [0u8; 1]).is_ok_and(|n| n == 1) {
            // Gone before it joined: dropped, killed and reaped.
            return None;
        }
        Some(ahead)
    }

    /// Whether this init can be the one of `spec` (it has no user namespace of its own).
    pub fn fits(spec: &Spec) -> bool {
        !spec.new_user_ns
    }

    /// Whether mounts added or removed at `points` on the host since this init copied the
    /// tree could change what `spec`'s container sees: one at or above a path it takes
    /// (the layers, its own dirs, the /etc files, a bind source), or below one (binds are
    /// recursive). Mounts elsewhere (another engine's) leave the init as good.
    pub fn sees_mounts_at(spec: &Spec, points: &[PathBuf]) -> bool {
        if points.is_empty() {
            return false;
        }
        let taken = spec
            .lowers
            .iter()
            .chain([&spec.upper, &spec.work, &spec.rootfs])
            .chain(spec.etc_files.iter().map(|(host, _)| host))
            .chain(spec.mounts.iter().filter_map(|m| match &m.source {
                super::mounts::MountSource::Bind(src) => Some(src),
                super::mounts::MountSource::Tmpfs { .. } => None,
            }));
        // Mount points are as the kernel resolved them, symlinks followed.
        let taken: Vec<PathBuf> = taken
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
            .collect();
        points
            .iter()
            .any(|m| taken.iter().any(|p| p.starts_with(m) || m.starts_with(p)))
    }

    /// Send the init its spec and descriptors (its own are duplicates: the caller closes its
    /// copies as after a clone). `spec`'s cgroups were joined already.
    pub fn hand(self, spec: &Spec, stdio: Stdio) -> Result<Handed, InitFailure> {
        let (wire, fds) = Wire::new(spec, stdio);
        wire.send(self.socket, &fds)?;
        // A clone makes its netns with it; this init unshares one now, and the network
        // holder, which wires it through /proc/<pid>/ns/net next, must find that one there.
        if wire.spec.net == NetNs::New
            && !sys::read(self.socket, &mut [0u8; 1]).is_ok_and(|n| n == 1)
        {
            return Err(init_gone());
        }
        let handed = Handed {
            pid: self.pid,
            sync_write: self.sync_write,
            err_read: self.err_read,
        };
        sys::close(self.socket);
        std::mem::forget(self);
        Ok(handed)
    }
}

impl Ahead {
    /// Kill it without waiting (its end, the teardown of its namespaces, may take a
    /// while): its pid, for the caller to reap once off the start's path.
    pub fn abandon(self) -> i32 {
        sys::kill(self.pid, libc::SIGKILL);
        for fd in [self.socket, self.sync_write, self.err_read] {
            sys::close(fd);
        }
        let pid = self.pid;
        std::mem::forget(self);
        pid
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        sys::kill(self.pid, libc::SIGKILL);
        sys::wait_child(self.pid, false);
        for fd in [self.socket, self.sync_write, self.err_read] {
            sys::close(fd);
        }
    }
}

/// The ahead init until its spec comes, then the container's init. Its exit code when that
/// fails (125: its monitor went without one).
fn wait_for_spec(
    socket: RawFd,
    sync_read: RawFd,
    err_write: RawFd,
    tasks: &[PathBuf],
    staging: &Path,
) -> i32 {
    sys::die_with_parent();
    sys::reset_signals();
    let linux = &LinuxSyscall;
    // Best effort, as for a cloned init (`setup_container`); then the parent may go on
    // (`Ahead::clone_into`), and a claim rename the cgroups with us in them.
    for t in tasks {
        let _ = linux.write_file(t, cgroup::SELF_JOIN);
    }
    if !sys::write_all(socket, b"j") {
        return 125;
    }
    // The spare's stdin is its listener: our copy would keep the store's spare name taken.
    if let Ok(null) = std::fs::File::open("/dev/null") {
        let _ = sys::dup_onto(null.as_raw_fd(), 0);
    }
    sys::overwrite_cmdline(&[TITLE]);
    // Private first: mounts made on the host meanwhile stay out of our copy of its tree,
    // and ours (the staged ones) out of the host's.
    let private = linux.make_rprivate().is_ok();
    let staged = private
        .then(|| super::rootfs::stage(linux, staging))
        .flatten();
    let Some((wire, fds)) = receive(socket) else {
        return 125;
    };
    if let Err(failure) = wire.check(&fds) {
        sys::write_all(err_write, &failure.encode());
        return failure.exit_code();
    }
    let Wire {
        mut spec, stdio, ..
    } = wire;
    let mut fds: Vec<Option<OwnedFd>> = fds.into_iter().map(Some).collect();
    // Each index names one descriptor, taken once; a missing one is -1 (a failed call later).
    let mut take = |i: RawFd| -> RawFd {
        usize::try_from(i)
            .ok()
            .and_then(|i| fds.get_mut(i)?.take())
            .map_or(-1, IntoRawFd::into_raw_fd)
    };
    match spec.net {
        NetNs::Join(i) => spec.net = NetNs::Join(take(i)),
        NetNs::New => {
            if let Err(error) = linux.unshare(libc::CLONE_NEWNET) {
                let failure = InitFailure::Syscall { error };
                sys::write_all(err_write, &failure.encode());
                return failure.exit_code();
            }
            // In it: the monitor may go on (`Ahead::hand`).
            sys::write_all(socket, b"n");
        }
        NetNs::Host => {}
    }
    sys::close(socket);
    if spec.trace_fd >= 0 {
        spec.trace_fd = take(spec.trace_fd);
    }
    let stdio = stdio.map_fds(&mut take);
    super::init_process(&spec, stdio, sync_read, err_write, staged)
}

/// The spec and its descriptors; None when the socket closed first (or sent garbage).
fn receive(socket: RawFd) -> Option<(Wire, Vec<OwnedFd>)> {
    let mut buf = vec![0u8; 64 << 10];
    let (n, fds) = sys::recv_with_fds(socket, &mut buf).ok()?;
    let mut got = buf[..n].to_vec();
    while got.len() < 8 {
        let n = sys::read(socket, &mut buf).ok().filter(|n| *n > 0)?;
        got.extend_from_slice(&buf[..n]);
    }
    let len = usize::try_from(u64::from_le_bytes(got[..8].try_into().ok()?)).ok()?;
    while got.len() < 8 + len {
        let n = sys::read(socket, &mut buf).ok().filter(|n| *n > 0)?;
        got.extend_from_slice(&buf[..n]);
    }
    let wire = serde_json::from_slice(&got[8..8 + len]).ok()?;
    Some((wire, fds))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    /// A spec and stdio that send five descriptors, each the read end of a pipe of its own
    /// (returned: a pipe's inode tells it from the others), and the spec's dir.
    fn wired() -> (tempfile::TempDir, Spec, Stdio, Vec<(OwnedFd, OwnedFd)>) {
        let tmp = tempfile::tempdir().unwrap();
        let pipes: Vec<_> = (0..5).map(|_| sys::pipe_owned().unwrap()).collect();
        let fd = |i: usize| pipes[i].0.as_raw_fd();
        let mut spec = super::super::tests::make_spec(tmp.path(), false);
        spec.net = NetNs::Join(fd(0));
        spec.trace_fd = fd(1);
        spec.cgroup_tasks = vec!["/sys/fs/cgroup/cpu/x/tasks".into()];
        spec.into_cgroup = Some(fd(0));
        let stdio = Stdio::Pipes {
            stdin: fd(2),
            stdout: fd(3),
            stderr: fd(4),
        };
        (tmp, spec, stdio, pipes)
    }

    /// `spec` and `stdio` sent as `Ahead::hand` sends them, with only the first `sent` of
    /// their descriptors, and received as the init receives them.
    fn round_trip(spec: &Spec, stdio: Stdio, sent: usize) -> (Wire, Vec<OwnedFd>) {
        let (wire, fds) = Wire::new(spec, stdio);
        let (ours, theirs) = sys::socketpair_owned().unwrap();
        wire.send(ours.as_raw_fd(), &fds[..sent]).unwrap();
        receive(theirs.as_raw_fd()).unwrap()
    }

    fn inode(fd: &OwnedFd) -> u64 {
        std::fs::File::from(fd.try_clone().unwrap())
            .metadata()
            .unwrap()
            .ino()
    }

    fn json<T: Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn a_wire_comes_back_as_sent_its_descriptors_by_index() {
        let (_tmp, spec, stdio, pipes) = wired();
        let (got, came) = round_trip(&spec, stdio, 5);
        got.check(&came).unwrap();

        // The cgroups are joined before the hand-over: the init gets none of them.
        let mut expected = spec.clone();
        expected.net = NetNs::Join(0);
        expected.trace_fd = 1;
        expected.cgroup_tasks.clear();
        expected.into_cgroup = None;
        assert_eq!(json(&got.spec), json(&expected));
        let Stdio::Pipes {
            stdin,
            stdout,
            stderr,
        } = got.stdio
        else {
            panic!("stdio came as {:?}", got.stdio);
        };
        assert_eq!((stdin, stdout, stderr), (2, 3, 4));
        assert_eq!(got.fds, 5);
        // Each index names the descriptor it was made for.
        let sent: Vec<u64> = pipes.iter().map(|(r, _)| inode(r)).collect();
        let received: Vec<u64> = came.iter().map(inode).collect();
        assert_eq!(received, sent);
    }

    /// A claim renames the spare's v1 cgroups as soon as it comes: the init must be in them
    /// by the time `clone_into` returns, or it joins by a path that is gone and its
    /// container runs outside its limits. Root only (real cgroups), in a forked child (the
    /// clone wants a single-threaded caller).
    #[test]
    fn an_init_made_ahead_is_in_its_v1_cgroups_once_cloned() {
        if sys::geteuid() != 0 || cgroup::is_unified() {
            eprintln!("skipped: an init made ahead joins v1 cgroups as root");
            return;
        }
        let name = format!("ahead-test-{}", std::process::id());
        let cgroups = cgroup::create(&name);
        if !cgroups
            .dirs
            .iter()
            .any(|d| d.starts_with("/sys/fs/cgroup/pids"))
        {
            cgroups.remove();
            eprintln!("skipped: no pids hierarchy of ours");
            return;
        }
        let staging = tempfile::tempdir().unwrap();
        let want = format!(":pids:/gorae/{name}");
        let code = match sys::fork().unwrap() {
            sys::Forked::Child => {
                let code = match Ahead::clone_into(&cgroups, staging.path().to_path_buf()) {
                    Some(init) => {
                        let listed = std::fs::read_to_string(format!("/proc/{}/cgroup", init.pid))
                            .unwrap_or_default();
                        drop(init);
                        i32::from(!listed.lines().any(|l| l.ends_with(&want)))
                    }
                    None => 2,
                };
                sys::exit_now(code)
            }
            sys::Forked::Parent(child) => sys::wait_child(child, false),
        };
        cgroups.remove();
        assert_eq!(code, Some(0), "1: not in its cgroups yet, 2: no init");
    }

    #[test]
    fn a_wire_without_all_its_descriptors_is_refused() {
        let (_tmp, spec, stdio, _pipes) = wired();
        let (got, came) = round_trip(&spec, stdio, 4);
        let refused = got.check(&came).unwrap_err();
        assert_eq!(refused.to_string(), "4 of 5 descriptors came");
    }

    #[test]
    fn only_mounts_where_the_container_looks_make_an_init_made_ahead_stale() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::fs::canonicalize(tmp.path()).unwrap();
        let mut spec = super::super::tests::make_spec(&dir, false);
        let data = dir.join("data");
        std::fs::create_dir(&data).unwrap();
        spec.mounts.push(super::super::mounts::Mount {
            source: super::super::mounts::MountSource::Bind(data.clone()),
            target: "/data".into(),
            readonly: false,
            copy_up: false,
        });
        let stale = |points: &[&Path]| {
            let points: Vec<PathBuf> = points.iter().map(|p| p.to_path_buf()).collect();
            Ahead::sees_mounts_at(&spec, &points)
        };
        assert!(!stale(&[]));
        // Another engine's mounts.
        assert!(!stale(&[
            Path::new("/var/lib/docker/overlay2/x/merged"),
            Path::new("/run/docker/netns/y"),
        ]));
        // Over the store, over a bind source, under a bind source, over the layers.
        assert!(stale(&[Path::new("/")]));
        assert!(stale(&[&dir]));
        assert!(stale(&[&data]));
        assert!(stale(&[&data.join("deeper")]));
        assert!(stale(&[&dir.join("layers")]));
        // A sibling named alike is elsewhere.
        assert!(!stale(&[&dir.with_file_name(format!(
            "{}-other",
            dir.file_name().unwrap().to_string_lossy()
        ))]));
    }
}
