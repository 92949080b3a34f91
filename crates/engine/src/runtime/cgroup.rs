//! Resource limits: a `gorae/<id>` cgroup per container with a PID limit, a memory limit and
//! (cgroup v1) a device allowlist. Works with cgroup v1, v2 and hybrids; where a controller
//! cannot be used (no permission, rootless) the container runs without it.

use std::fs;
use std::path::{Path, PathBuf};

use super::sys::{LinuxSyscall, Syscall};

/// podman's default; Docker has none.
pub const DEFAULT_PIDS_MAX: u64 = 2048;
/// Generous for lessons, small enough that a memory hog cannot take the machine.
pub const DEFAULT_MEMORY_MAX: u64 = 1 << 30;

const CGROUP: &str = "/sys/fs/cgroup";

/// The v1 hierarchies a container gets a `gorae/<id>` dir in.
const V1_CONTROLLERS: [&str; 7] = [
    "pids", "memory", "devices", "freezer", "cpuacct", "blkio", "cpu",
];

/// The devices a container may use: null, zero, full, random, urandom, tty, ptmx, pts/*.
const DEVICE_ALLOW: &[&str] = &[
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
];

#[derive(Debug, Default, Clone)]
pub struct Cgroups {
    pub dirs: Vec<PathBuf>,
    /// A devices controller guards device nodes (else CAP_MKNOD is dropped).
    pub devices_guarded: bool,
    /// The dirs are v1 hierarchies' (the init joins them itself: [`Cgroups::self_join_files`]).
    pub v1: bool,
}

fn is_v2(root: &Path) -> bool {
    root.join("cgroup.controllers").exists()
}

fn write(sys: &dyn Syscall, path: &Path, value: &str) -> bool {
    sys.write_file(path, value).is_ok()
}

/// A container's limits: None is no limit (`max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub memory: Option<u64>,
    pub pids: Option<u64>,
    /// CPUs × 10⁹ as a CFS quota over a 100 ms period; None leaves the CPU alone.
    pub nano_cpus: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory: Some(DEFAULT_MEMORY_MAX),
            pids: Some(DEFAULT_PIDS_MAX),
            nano_cpus: None,
        }
    }
}

/// The CFS period Docker uses for `--cpus` (100 ms, in µs).
const CFS_PERIOD_US: u64 = 100_000;

fn max_or(v: Option<u64>) -> String {
    v.map_or_else(|| "max".to_string(), |n| n.to_string())
}

/// Create the container's cgroups and apply gorae's default limits (best effort: missing
/// controllers skipped).
pub fn create(id: &str) -> Cgroups {
    create_with(id, &Limits::default())
}

/// [`create`] with the container's own limits (`run --memory`, `--pids-limit`, `--cpus`).
pub fn create_with(id: &str, limits: &Limits) -> Cgroups {
    create_limited(&LinuxSyscall, Path::new(CGROUP), id, limits)
}

/// [`create`] under the cgroup mount `root`: v2 when it has `cgroup.controllers`, else v1 with
/// one hierarchy per controller.
pub fn create_in(sys: &dyn Syscall, root: &Path, id: &str) -> Cgroups {
    create_limited(sys, root, id, &Limits::default())
}

fn create_limited(sys: &dyn Syscall, root: &Path, id: &str, limits: &Limits) -> Cgroups {
    let write = |path: &Path, value: &str| write(sys, path, value);
    let quota = limits
        .nano_cpus
        .map(|n| (n.saturating_mul(CFS_PERIOD_US) / 1_000_000_000).max(1000));
    let mut cg = Cgroups::default();
    if is_v2(root) {
        let dir = root.join("gorae");
        if sys.create_dir_all(&dir).is_ok() {
            let _ = sys.write_file(&dir.join("cgroup.subtree_control"), "+pids +memory");
            // Block I/O counters for `docker stats`, where the io controller is ours to enable.
            let _ = sys.write_file(&dir.join("cgroup.subtree_control"), "+io");
            if quota.is_some() {
                let _ = sys.write_file(&dir.join("cgroup.subtree_control"), "+cpu");
            }
            let own = dir.join(id);
            if sys.create_dir_all(&own).is_ok() {
                write(&own.join("pids.max"), &max_or(limits.pids));
                write(&own.join("memory.max"), &max_or(limits.memory));
                write(&own.join("memory.swap.max"), "0");
                if let Some(q) = quota {
                    write(&own.join("cpu.max"), &format!("{q} {CFS_PERIOD_US}"));
                }
                cg.dirs.push(own);
            }
        }
        return cg;
    }
    cg.v1 = true;
    for ctrl in V1_CONTROLLERS {
        let base = root.join(ctrl);
        if !base.is_dir() {
            continue;
        }
        let own = base.join("gorae").join(id);
        if sys.create_dir_all(&own).is_err() {
            continue;
        }
        let ok = match ctrl {
            "pids" => write(&own.join("pids.max"), &max_or(limits.pids)),
            "memory" => {
                let v1 = |m: Option<u64>| m.map_or_else(|| "-1".to_string(), |n| n.to_string());
                let ok = write(&own.join("memory.limit_in_bytes"), &v1(limits.memory));
                write(&own.join("memory.memsw.limit_in_bytes"), &v1(limits.memory));
                ok
            }
            "cpu" => match quota {
                Some(q) => {
                    write(&own.join("cpu.cfs_period_us"), &CFS_PERIOD_US.to_string())
                        && write(&own.join("cpu.cfs_quota_us"), &q.to_string())
                }
                None => true,
            },
            // Nothing to set: the freezer (`docker pause`) and the counters `docker stats` reads.
            "freezer" | "cpuacct" | "blkio" => true,
            _ => {
                let ok = write(&own.join("devices.deny"), "a")
                    && sys
                        .write_each(&own.join("devices.allow"), DEVICE_ALLOW)
                        .is_ok();
                cg.devices_guarded = ok;
                ok
            }
        };
        if ok {
            cg.dirs.push(own);
        } else {
            let _ = sys.remove_dir(&own);
        }
    }
    cg
}

impl Cgroups {
    pub fn add(&self, pid: i32) {
        self.add_with(&LinuxSyscall, pid);
    }

    /// Put `pid` in every one of our cgroups, where it does not join them itself (cgroup
    /// v2: a process can join a domain cgroup only through `cgroup.procs`).
    pub fn add_with(&self, sys: &dyn Syscall, pid: i32) {
        if self.v1 {
            return;
        }
        for d in &self.dirs {
            write(sys, &d.join("cgroup.procs"), &pid.to_string());
        }
    }

    /// The v2 cgroup to clone the init into (`runtime::Spec::into_cgroup`).
    pub fn v2_dir(&self) -> Option<&Path> {
        if self.v1 {
            return None;
        }
        self.dirs.first().map(PathBuf::as_path)
    }

    /// Whether [`Cgroups::add`] has anything to move.
    pub fn needs_add(&self) -> bool {
        !self.v1 && !self.dirs.is_empty()
    }

    /// The files a single-threaded process writes [`SELF_JOIN`] into to join our v1 cgroups
    /// itself; none for v2.
    pub fn self_join_files(&self) -> Vec<PathBuf> {
        if !self.v1 {
            return Vec::new();
        }
        self.dirs.iter().map(|d| d.join("tasks")).collect()
    }

    /// Remove the cgroup dirs once every process in them is gone.
    pub fn remove(&self) {
        for d in &self.dirs {
            for _ in 0..50 {
                if fs::remove_dir(d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }

    /// The same cgroups (and what is in them) named `id` instead: a spare monitor's, made
    /// ahead, once it has its container (`monitor::spare`). None when a dir would not move;
    /// those moved already are moved back.
    pub fn rename_to(&self, id: &str) -> Option<Cgroups> {
        let mut moved: Vec<(&PathBuf, PathBuf)> = Vec::new();
        for d in &self.dirs {
            let to = d.with_file_name(id);
            if fs::rename(d, &to).is_err() {
                for (from, to) in moved {
                    let _ = fs::rename(to, from);
                }
                return None;
            }
            moved.push((d, to));
        }
        Some(Cgroups {
            dirs: moved.into_iter().map(|(_, to)| to).collect(),
            ..self.clone()
        })
    }

    /// Whether the memory controller recorded an OOM kill.
    pub fn oom_killed(&self) -> bool {
        // v1: only the memory hierarchy has the counter (the others would be failed opens on
        // the exit path).
        let memory = |d: &&PathBuf| !self.v1 || d.components().any(|c| c.as_os_str() == "memory");
        self.dirs.iter().filter(memory).any(|d| {
            fs::read_to_string(d.join("memory.events"))
                .or_else(|_| fs::read_to_string(d.join("memory.oom_control")))
                .map(|s| {
                    s.lines().any(|l| {
                        l.strip_prefix("oom_kill ")
                            .and_then(|n| n.trim().parse::<u64>().ok())
                            .is_some_and(|n| n > 0)
                    })
                })
                .unwrap_or(false)
        })
    }
}

/// Kill whatever is left in container `id`'s cgroups and remove them: its monitor died without
/// cleaning up (the init dies with the monitor; processes `exec` put there may not).
pub fn kill_leftovers(id: &str) {
    let base = Path::new(CGROUP);
    let dirs: Vec<PathBuf> = std::iter::once(base.join("gorae").join(id))
        .chain(
            V1_CONTROLLERS
                .iter()
                .map(|c| base.join(c).join("gorae").join(id)),
        )
        .filter(|d| d.is_dir())
        .collect();
    // A v1 freezer holds frozen processes past SIGKILL: thaw a paused container's first.
    let _ = set_frozen(id, false);
    for d in &dirs {
        if write(&LinuxSyscall, &d.join("cgroup.kill"), "1") {
            continue;
        }
        let procs = fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            super::sys::kill(pid, libc::SIGKILL);
        }
    }
    Cgroups {
        dirs,
        ..Cgroups::default()
    }
    .remove();
}

/// The name of the cgroups a spare monitor makes ahead for its next container.
pub fn spare_name(pid: u32) -> String {
    format!("{SPARE_PREFIX}{pid}")
}

const SPARE_PREFIX: &str = "spare-";

/// Remove the cgroups of spare monitors that are gone (killed: an idle one removes its own),
/// empty since their init died with them.
pub fn remove_stale_spares() {
    let base = Path::new(CGROUP);
    let bases = std::iter::once(base.join("gorae"))
        .chain(V1_CONTROLLERS.iter().map(|c| base.join(c).join("gorae")));
    for b in bases {
        let Ok(rd) = fs::read_dir(&b) else { continue };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(SPARE_PREFIX))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir(e.path());
            }
        }
    }
}

/// `docker update`: set a running container's limits in its cgroups. False when a limit could
/// not be written (that controller is not ours to use here).
pub fn update_limits(id: &str, limits: &Limits) -> bool {
    update_limits_in(&LinuxSyscall, Path::new(CGROUP), id, limits)
}

fn update_limits_in(sys: &dyn Syscall, root: &Path, id: &str, limits: &Limits) -> bool {
    let w = |p: PathBuf, v: &str| write(sys, &p, v);
    let quota = limits
        .nano_cpus
        .map(|n| (n.saturating_mul(CFS_PERIOD_US) / 1_000_000_000).max(1000));
    if is_v2(root) {
        let own = root.join("gorae").join(id);
        let mut ok = w(own.join("pids.max"), &max_or(limits.pids))
            && w(own.join("memory.max"), &max_or(limits.memory));
        if let Some(q) = quota {
            let _ = sys.write_file(&root.join("gorae/cgroup.subtree_control"), "+cpu");
            ok &= w(own.join("cpu.max"), &format!("{q} {CFS_PERIOD_US}"));
        }
        return ok;
    }
    let own = |ctrl: &str| root.join(ctrl).join("gorae").join(id);
    let mem = limits
        .memory
        .map_or_else(|| "-1".to_string(), |n| n.to_string());
    // memsw must stay at or above the memory limit: one order fails when lowering, the other
    // when raising, so the limit is written on both sides of it.
    let first = w(own("memory").join("memory.limit_in_bytes"), &mem);
    w(own("memory").join("memory.memsw.limit_in_bytes"), &mem);
    let mut ok = w(own("memory").join("memory.limit_in_bytes"), &mem) || first;
    ok &= w(own("pids").join("pids.max"), &max_or(limits.pids));
    if let Some(q) = quota {
        ok &= w(
            own("cpu").join("cpu.cfs_period_us"),
            &CFS_PERIOD_US.to_string(),
        ) && w(own("cpu").join("cpu.cfs_quota_us"), &q.to_string());
    }
    ok
}

/// Why a container could not be frozen or thawed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeError {
    /// The container has no freezer cgroup: the freezer is not ours to use (rootless without
    /// a delegated cgroup, or no freezer hierarchy at all).
    Unavailable,
    /// The kernel refused, or the state did not settle.
    Failed(String),
}

/// The container's dir in the hierarchy of `ctrl` (v1), or its one dir (v2).
pub fn own_dir(id: &str, ctrl: &str) -> PathBuf {
    own_dir_in(Path::new(CGROUP), id, ctrl)
}

fn own_dir_in(root: &Path, id: &str, ctrl: &str) -> PathBuf {
    if is_v2(root) {
        root.join("gorae").join(id)
    } else {
        root.join(ctrl).join("gorae").join(id)
    }
}

/// Whether cgroup v2 is mounted at the cgroup root (else v1 or a hybrid).
pub fn is_unified() -> bool {
    is_v2(Path::new(CGROUP))
}

/// Freeze (`docker pause`) or thaw the container `id`'s processes with the cgroup freezer,
/// waiting until the kernel says they are.
pub fn set_frozen(id: &str, frozen: bool) -> Result<(), FreezeError> {
    set_frozen_in(&LinuxSyscall, Path::new(CGROUP), id, frozen)
}

/// [`set_frozen`] under the cgroup mount `root`: v2's `cgroup.freeze` (settled when
/// `cgroup.events` says `frozen 1`), v1's `freezer.state` (FREEZING until FROZEN; written again
/// while it settles, as runc does, for tasks that were forking).
pub fn set_frozen_in(
    sys: &dyn Syscall,
    root: &Path,
    id: &str,
    frozen: bool,
) -> Result<(), FreezeError> {
    let v2 = is_v2(root);
    let dir = own_dir_in(root, id, "freezer");
    let (file, value, done_file, done): (&str, &str, &str, &str) = match (v2, frozen) {
        (true, true) => ("cgroup.freeze", "1", "cgroup.events", "frozen 1"),
        (true, false) => ("cgroup.freeze", "0", "cgroup.events", "frozen 0"),
        (false, true) => ("freezer.state", "FROZEN", "freezer.state", "FROZEN"),
        (false, false) => ("freezer.state", "THAWED", "freezer.state", "THAWED"),
    };
    if !dir.join(file).exists() {
        return Err(FreezeError::Unavailable);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        sys.write_file(&dir.join(file), value)
            .map_err(|e| FreezeError::Failed(e.to_string()))?;
        let now = fs::read_to_string(dir.join(done_file)).unwrap_or_default();
        if now.lines().any(|l| l.trim() == done) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(FreezeError::Failed(format!(
                "{} did not become {done}",
                dir.join(done_file).display()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The cgroups `/proc/<pid>/cgroup` (`text`) lists: each hierarchy's controllers (empty for
/// v2's), the cgroup's path as listed, and its dir under the cgroup mount `root`.
fn listed_dirs<'a>(root: &Path, text: &'a str) -> Vec<(&'a str, &'a str, PathBuf)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            let rel = path.trim_start_matches('/');
            let dir = if ctrls.is_empty() {
                root.join(rel)
            } else {
                root.join(ctrls.split(',').next().unwrap_or("")).join(rel)
            };
            Some((ctrls, path, dir))
        })
        .collect()
}

/// Put the calling process into the v1 cgroups of process `pid` (for `exec`); its v2 cgroup,
/// if gorae made it, is returned for the caller's child to be born in (`sys::fork_into`), or
/// to join by [`join_v2_at`] where it cannot be.
pub fn join_existing(sys: &dyn Syscall, pid: i32) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    join_listed(sys, Path::new(CGROUP), &text)
}

/// Put the caller (single-threaded) into gorae's v1 cgroups among those `/proc/<pid>/cgroup`
/// lists in `text` by "0" into `tasks` (see [`SELF_JOIN`]); the v2 one's dir is returned.
fn join_listed(sys: &dyn Syscall, root: &Path, text: &str) -> Option<PathBuf> {
    let mut v2 = None;
    for (ctrls, path, dir) in listed_dirs(root, text) {
        if !path.contains("/gorae/") {
            continue;
        }
        if ctrls.is_empty() {
            v2 = Some(dir);
        } else {
            write(sys, &dir.join("tasks"), SELF_JOIN);
        }
    }
    v2
}

/// Move the caller into the v2 cgroup open at `dir` (a kernel without CLONE_INTO_CGROUP),
/// through the descriptor: the caller may be in the container's mount namespace by now.
pub fn join_v2_at(dir: &std::os::fd::OwnedFd) -> std::io::Result<()> {
    use std::io::Write;
    let procs = super::sys::dirfd::open_at(dir, "cgroup.procs".as_ref(), libc::O_WRONLY, 0)?;
    fs::File::from(procs).write_all(std::process::id().to_string().as_bytes())
}

/// What a single-threaded process writes into a v1 hierarchy's `tasks` to move itself there.
///
/// A move through `cgroup.procs` (or of another task) takes the kernel's global threadgroup
/// rwsem for writing, which first waits for an RCU grace period while it holds the cgroup
/// mutex, so every mkdir of a cgroup waits too: ~10 ms on this 2-CPU VM when nothing moved
/// for 20 ms (a person typing), 0.03 ms in a burst of moves. The calling thread moving itself
/// ("0" into `tasks`) skips that lock (kernel/cgroup/cgroup.c `cgroup_procs_write_start`):
/// 0.24 ms after the same idle, in Python. A container's init is one thread until it execs.
pub const SELF_JOIN: &str = "0";

#[cfg(test)]
mod tests {
    use super::super::sys::{Call, Errno, RecordingSyscall};
    use super::*;

    #[test]
    fn v2_limits_pids_memory_and_swap_in_one_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        let rec = RecordingSyscall::new();
        let cg = create_in(&rec, root, "abc");
        let own = root.join("gorae/abc");
        assert_eq!(cg.dirs, vec![own.clone()]);
        assert!(!cg.devices_guarded);
        assert_eq!(
            rec.writes(),
            vec![
                (
                    root.join("gorae/cgroup.subtree_control"),
                    "+pids +memory".into()
                ),
                (root.join("gorae/cgroup.subtree_control"), "+io".into()),
                (own.join("pids.max"), "2048".into()),
                (own.join("memory.max"), (1u64 << 30).to_string()),
                (own.join("memory.swap.max"), "0".into()),
            ]
        );
        cg.add_with(&rec, 42);
        assert_eq!(
            rec.writes().last().unwrap(),
            &(own.join("cgroup.procs"), "42".to_string())
        );
    }

    #[test]
    fn a_v1_init_joins_by_itself_and_a_v2_one_is_cloned_into_its_cgroup() {
        let tmp = tempfile::tempdir().unwrap();
        let v1 = tmp.path().join("v1");
        fs::create_dir_all(v1.join("pids")).unwrap();
        fs::create_dir_all(v1.join("memory")).unwrap();
        let rec = RecordingSyscall::new();
        let cg = create_in(&rec, &v1, "abc");
        assert!(!cg.needs_add());
        assert_eq!(
            cg.self_join_files(),
            vec![
                v1.join("pids/gorae/abc/tasks"),
                v1.join("memory/gorae/abc/tasks")
            ]
        );
        let before = rec.writes().len();
        cg.add_with(&rec, 42);
        assert_eq!(rec.writes().len(), before, "nothing moved into v1 by pid");

        let v2 = tmp.path().join("v2");
        fs::create_dir_all(&v2).unwrap();
        fs::write(v2.join("cgroup.controllers"), "memory pids\n").unwrap();
        let cg = create_in(&RecordingSyscall::new(), &v2, "abc");
        assert_eq!(cg.v2_dir(), Some(v2.join("gorae/abc").as_path()));
        assert!(cg.self_join_files().is_empty());
        // Moved by the monitor only where the clone into it failed.
        assert!(cg.needs_add());
    }

    #[test]
    fn v1_has_one_dir_per_controller_and_a_device_allowlist() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for c in ["pids", "memory", "devices"] {
            fs::create_dir(root.join(c)).unwrap();
        }
        let rec = RecordingSyscall::new();
        let cg = create_in(&rec, root, "abc");
        assert!(cg.devices_guarded);
        assert_eq!(cg.dirs.len(), 3);
        let w = rec.writes();
        let dev = root.join("devices/gorae/abc");
        assert!(w.contains(&(root.join("pids/gorae/abc/pids.max"), "2048".into())));
        assert!(w.contains(&(
            root.join("memory/gorae/abc/memory.limit_in_bytes"),
            (1u64 << 30).to_string()
        )));
        assert_eq!(w[3], (dev.join("devices.deny"), "a".into()));
        let allowed: Vec<&str> = w[4..].iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(allowed, DEVICE_ALLOW);
        assert!(w[4..].iter().all(|(p, _)| p == &dev.join("devices.allow")));
    }

    #[test]
    fn an_unusable_v1_controller_is_skipped_and_its_dir_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for c in ["pids", "devices"] {
            fs::create_dir(root.join(c)).unwrap();
        }
        let rec = RecordingSyscall::new();
        rec.fail_at(
            "write",
            root.join("devices/gorae/abc/devices.deny"),
            Errno::EPERM,
        );
        let cg = create_in(&rec, root, "abc");
        assert_eq!(cg.dirs, vec![root.join("pids/gorae/abc")]);
        assert!(!cg.devices_guarded, "CAP_MKNOD will be dropped");
        assert!(
            rec.calls()
                .contains(&Call::RemoveDir(root.join("devices/gorae/abc")))
        );
    }

    #[test]
    fn a_containers_own_limits_replace_the_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        let rec = RecordingSyscall::new();
        let limits = Limits {
            memory: Some(64 << 20),
            pids: None,
            nano_cpus: Some(1_500_000_000),
        };
        create_limited(&rec, root, "abc", &limits);
        let own = root.join("gorae/abc");
        let w = rec.writes();
        assert!(w.contains(&(root.join("gorae/cgroup.subtree_control"), "+cpu".into())));
        assert!(w.contains(&(own.join("pids.max"), "max".into())));
        assert!(w.contains(&(own.join("memory.max"), (64u64 << 20).to_string())));
        assert!(w.contains(&(own.join("cpu.max"), "150000 100000".into())));
    }

    #[test]
    fn freezing_writes_the_freezer_file_and_waits_for_the_kernel_to_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let v1 = tmp.path().join("v1");
        let dir = v1.join("freezer/gorae/abc");
        fs::create_dir_all(&dir).unwrap();
        // The recording double writes nothing: the kernel's answer is already there.
        fs::write(dir.join("freezer.state"), "FROZEN\n").unwrap();
        let rec = RecordingSyscall::new();
        assert_eq!(set_frozen_in(&rec, &v1, "abc", true), Ok(()));
        assert_eq!(
            rec.writes(),
            vec![(dir.join("freezer.state"), "FROZEN".into())]
        );
        let v2 = tmp.path().join("v2");
        let dir = v2.join("gorae/abc");
        fs::create_dir_all(&dir).unwrap();
        fs::write(v2.join("cgroup.controllers"), "memory pids\n").unwrap();
        fs::write(dir.join("cgroup.freeze"), "1\n").unwrap();
        fs::write(dir.join("cgroup.events"), "populated 1\nfrozen 0\n").unwrap();
        let rec = RecordingSyscall::new();
        assert_eq!(set_frozen_in(&rec, &v2, "abc", false), Ok(()));
        assert_eq!(rec.writes(), vec![(dir.join("cgroup.freeze"), "0".into())]);
        // No freezer dir for the container (rootless, not delegated): said so, nothing written.
        let rec = RecordingSyscall::new();
        assert_eq!(
            set_frozen_in(&rec, &v1, "other", true),
            Err(FreezeError::Unavailable)
        );
        assert!(rec.writes().is_empty());
    }

    #[test]
    fn exec_joins_only_gorae_cgroups_of_the_container() {
        let rec = RecordingSyscall::new();
        let root = Path::new("/cg");
        let v2 = join_listed(
            &rec,
            root,
            "12:pids:/gorae/abc\n11:memory,foo:/gorae/abc\n3:cpu:/user.slice\n0::/gorae/abc\n",
        );
        assert_eq!(
            rec.writes(),
            vec![
                (root.join("pids/gorae/abc/tasks"), "0".into()),
                (root.join("memory/gorae/abc/tasks"), "0".into()),
            ]
        );
        // The v2 one is left to the exec's child to be born in (`sys::fork_into`).
        assert_eq!(v2, Some(root.join("gorae/abc")));
    }
}
