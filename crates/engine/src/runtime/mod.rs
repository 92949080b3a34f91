//! The runtime: how a container's first process is made, and how `exec` joins it.
//!
//! A container is a process cloned into new PID, mount, UTS, IPC and network namespaces. In
//! its own mount namespace it mounts an overlay (image layers below, the container's upper dir
//! on top), `/proc`, a minimal `/dev`, a read-only `/sys`, binds `/etc/hostname|hosts|
//! resolv.conf`, pivots into the overlay, masks the `/proc` paths runc masks, keeps Docker's 14
//! capabilities and execs the command. All mounts live in that namespace only, so nothing leaks
//! onto the host when the container or the engine dies. Kernel calls are in `sys`.

pub mod ahead;
pub mod cgroup;
mod failure;
pub mod mounts;
mod rootfs;
pub mod seccomp;
#[allow(unsafe_code)]
pub mod sys;
mod userns;

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::trace::{INIT_PHASES, Phase};
pub use failure::InitFailure;
pub(crate) use rootfs::mount_overlay;
use rootfs::{mask_paths, mount_rootfs};
use sys::{Errno, LinuxSyscall, SysError, SysResult, Syscall};
pub use userns::{
    enter_as_container_root, maps_one_id_when_rootless, remove_tree_as_container_root,
    remove_tree_main, spawn_as_container_root, subordinate_range_in, write_id_maps,
};

/// Where the container's init gets its network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NetNs {
    /// The monitor's (`--network host`).
    Host,
    /// A new one, cloned with the init.
    New,
    /// The one open at this fd of the monitor's (a spare made ahead, `net::spare`), joined
    /// before anything else.
    Join(RawFd),
}

/// Everything the container's init needs, prepared by the monitor before the clone (or sent
/// to an init cloned ahead, `ahead`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Spec {
    pub lowers: Vec<PathBuf>,
    pub upper: PathBuf,
    pub work: PathBuf,
    pub rootfs: PathBuf,
    pub hostname: String,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    /// Files bound into /etc: (host file, path inside).
    pub etc_files: Vec<(PathBuf, String)>,
    /// Drop CAP_MKNOD when no devices cgroup guards device nodes.
    pub allow_mknod: bool,
    /// Not root: the container gets a user namespace (root inside = the user outside).
    pub rootless: bool,
    /// Binds, volumes and tmpfs mounts, made after the root file system.
    pub mounts: Vec<mounts::Mount>,
    /// Clone a new user namespace (rootless, unless the monitor joined the network holder's,
    /// which networked rootless containers share).
    pub new_user_ns: bool,
    /// The container's network namespace.
    pub net: NetNs,
    /// The v1 cgroups' `tasks` files the init joins by itself, first thing
    /// (`cgroup::SELF_JOIN`).
    pub cgroup_tasks: Vec<PathBuf>,
    /// The v2 cgroup (an open dir) the init is cloned into; where that fails, the monitor
    /// moves it there.
    pub into_cgroup: Option<RawFd>,
    /// Where the init writes its `trace::INIT_PHASES` checkpoints (-1: no trace).
    pub trace_fd: RawFd,
}

impl Spec {
    /// The end of `phase`, for the start trace (nothing without one).
    fn checkpoint(&self, phase: Phase) {
        if self.trace_fd < 0 {
            return;
        }
        if let Some(i) = INIT_PHASES.iter().position(|p| *p == phase) {
            let mut mark = vec![i as u8];
            mark.extend_from_slice(&sys::monotonic_ns().to_le_bytes());
            sys::write_all(self.trace_fd, &mark);
        }
    }
}

/// Whether this process runs without root, so containers need a user namespace.
pub fn is_rootless() -> bool {
    sys::geteuid() != 0
}

/// How the container's stdio is wired.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub enum Stdio {
    /// The init opens a pty in the container's own devpts (so `tty` and /proc/self/fd name
    /// real paths inside) and sends the master to the monitor over this socket.
    Tty { socket: RawFd },
    Pipes {
        stdin: RawFd,
        stdout: RawFd,
        stderr: RawFd,
    },
}

impl Stdio {
    /// The same wiring with each descriptor replaced by `f` of it (an init made ahead gets
    /// them as indices into those sent with its spec, `ahead`).
    fn map_fds(self, mut f: impl FnMut(RawFd) -> RawFd) -> Stdio {
        match self {
            Stdio::Tty { socket } => Stdio::Tty { socket: f(socket) },
            Stdio::Pipes {
                stdin,
                stdout,
                stderr,
            } => Stdio::Pipes {
                stdin: f(stdin),
                stdout: f(stdout),
                stderr: f(stderr),
            },
        }
    }
}

/// uid, gid and supplementary groups for `user` ("", "name", "uid", "uid:gid", "name:group"),
/// looked up in the container's /etc/passwd and /etc/group.
pub fn resolve_user(user: &str) -> Result<(u32, u32, Vec<u32>, String), InitFailure> {
    if user.is_empty() || user == "root" || user == "0" {
        return Ok((0, 0, Vec::new(), "/root".into()));
    }
    let (u, g) = user.split_once(':').unwrap_or((user, ""));
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let group = fs::read_to_string("/etc/group").unwrap_or_default();
    let mut uid = None;
    let mut gid = None;
    let mut home = "/".to_string();
    let mut uname = String::new();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 6 && (f[0] == u || f[2] == u) {
            uid = f[2].parse().ok();
            gid = f[3].parse().ok();
            home = f[5].to_string();
            uname = f[0].to_string();
            break;
        }
    }
    let uid: u32 = match uid {
        Some(x) => x,
        None => u
            .parse()
            .map_err(|_| InitFailure::NoUser { user: u.into() })?,
    };
    if !g.is_empty() {
        let mut found = g.parse().ok();
        for line in group.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 3 && f[0] == g {
                found = f[2].parse().ok();
            }
        }
        gid = Some(found.ok_or_else(|| InitFailure::NoGroup { group: g.into() })?);
    }
    let gid = gid.unwrap_or(uid);
    let mut extra = Vec::new();
    if !uname.is_empty() {
        for line in group.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 4
                && f[3].split(',').any(|m| m == uname)
                && let Ok(g) = f[2].parse()
            {
                extra.push(g);
            }
        }
    }
    Ok((uid, gid, extra, home))
}

/// Find `cmd` on the PATH given in `env` (inside the container's root).
pub fn find_executable(cmd: &str, env: &[String]) -> Option<String> {
    if cmd.contains('/') {
        return Some(cmd.to_string());
    }
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    path.split(':').find_map(|dir| {
        let candidate = format!("{}/{cmd}", dir.trim_end_matches('/'));
        let m = fs::metadata(&candidate).ok()?;
        (m.is_file() && m.permissions().mode() & 0o111 != 0).then_some(candidate)
    })
}

/// Switch user, go to the working dir and exec. Returns only on failure (its exit code is
/// Docker's: 126 cannot execute, 127 not found).
pub fn exec_process(
    sys: &dyn Syscall,
    argv: &[String],
    env: &[String],
    workdir: &str,
    user: &str,
) -> InitFailure {
    let (uid, gid, groups, home) = match resolve_user(user) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut env: Vec<String> = env.to_vec();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={home}"));
    }
    let wd = if workdir.is_empty() { "/" } else { workdir };
    if !Path::new(wd).exists() {
        let _ = fs::create_dir_all(wd);
    }
    if let Err(e) = sys.chdir(Path::new(wd)) {
        return InitFailure::Chdir {
            dir: wd.into(),
            detail: e.detail(),
        };
    }
    // A path through an open descriptor (`-w /proc/self/fd/N`, runc's CVE-2024-21626) can
    // land outside our root; getcwd then has no path for it.
    if !std::env::current_dir().is_ok_and(|p| p.is_absolute()) {
        return InitFailure::ChdirOutside { dir: wd.into() };
    }
    // With one id mapped the filter pretends set*id succeeded: say so rather than run as root.
    if (uid != 0 || gid != 0) && sys::maps_one_id() {
        return InitFailure::UserNeedsIds { user: user.into() };
    }
    if let Err(error) = sys.setgroups(&groups)
        && uid != 0
    {
        return InitFailure::Syscall { error };
    }
    let death_signal = sys.parent_death_signal();
    if let Err(error) = sys.set_ids(uid, gid) {
        return InitFailure::Syscall { error };
    }
    // Changing credentials clears the parent-death signal: keep it.
    if death_signal != 0 {
        let _ = sys.set_parent_death_signal(death_signal);
    }
    let Some(first) = argv.first() else {
        return InitFailure::NoCommand;
    };
    let Some(program) = find_executable(first, &env) else {
        return InitFailure::NotFound { cmd: first.clone() };
    };
    let to_c = |v: &[String]| -> Vec<CString> {
        v.iter()
            .map(|s| CString::new(s.as_bytes()).unwrap_or_default())
            .collect()
    };
    let c_argv = to_c(argv);
    let c_env = to_c(&env);
    let Ok(c_prog) = CString::new(program.as_bytes()) else {
        return InitFailure::setup(format!("bad program name {program}"));
    };
    let errno = sys::execve(&c_prog, &c_argv, &c_env);
    InitFailure::Exec {
        cmd: first.clone(),
        detail: std::io::Error::from_raw_os_error(errno as i32).to_string(),
        errno: errno as i32,
    }
}

fn capabilities(spec_allows_mknod: bool) -> Vec<u32> {
    sys::DEFAULT_CAPS
        .iter()
        .copied()
        .filter(|c| spec_allows_mknod || *c != 27)
        .collect()
}

/// The pipe on which the monitor tells a new container's init to go on.
#[derive(Clone, Copy)]
pub struct SyncPipe {
    pub read: RawFd,
    pub write: RawFd,
}

/// The container's init, run in the cloned child (PID 1 of the new PID namespace).
/// `sync`: "go" from the monitor once we are in our cgroups and our network is wired (EOF:
/// the monitor died). In a user namespace of our own we wait for it first (the monitor writes
/// our id maps meanwhile, without which our root cannot be made); otherwise we make our root,
/// load the seccomp filter and drop capabilities meanwhile, and wait just before the exec;
/// nothing of the image runs before "go" either way.
/// `err_write`: where a setup or exec failure is reported (close-on-exec: EOF there means exec
/// succeeded).
pub fn container_init(spec: &Spec, stdio: Stdio, sync: SyncPipe, err_write: RawFd) -> i32 {
    sys::die_with_parent();
    sys::reset_signals();
    // Our copy of the write end would keep the read below from ever seeing EOF.
    sys::close(sync.write);
    init_process(spec, stdio, sync.read, err_write, None)
}

/// [`container_init`] once it is in its cgroups and namespaces (but a network one it joins),
/// its signals reset: also where an init cloned ahead goes on (`ahead`), with what it
/// mounted meanwhile (`staged`).
fn init_process(
    spec: &Spec,
    stdio: Stdio,
    sync_read: RawFd,
    err_write: RawFd,
    staged: Option<rootfs::Staged>,
) -> i32 {
    let go = || {
        let mut b = [0u8; 1];
        let went = sys::read(sync_read, &mut b).is_ok_and(|n| n == 1);
        sys::close(sync_read);
        spec.checkpoint(Phase::InitGo);
        // Only now: the monitor (and the network holder) had to reach into /proc/<pid>
        // (id maps, namespaces), which a non-dumpable process's owner cannot.
        sys::set_not_dumpable();
        went
    };
    let early = !spec.new_user_ns;
    if !early && !go() {
        // The monitor died before it let us go: nobody would ever hear of us.
        return 125;
    }
    let report = |failure: InitFailure| -> i32 {
        sys::write_all(err_write, &failure.encode());
        failure.exit_code()
    };
    let io_res = match stdio {
        Stdio::Tty { .. } => Ok(()),
        Stdio::Pipes {
            stdin,
            stdout,
            stderr,
        } => {
            sys::setsid();
            sys::dup_onto(stdin, 0)
                .and_then(|_| sys::dup_onto(stdout, 1))
                .and_then(|_| sys::dup_onto(stderr, 2))
        }
    };
    if let Err(error) = io_res {
        return report(InitFailure::Syscall { error });
    }
    let linux = &LinuxSyscall;
    if let Err(error) = setup_container(linux, spec, stdio, Path::new("/"), staged.as_ref()) {
        return report(InitFailure::Syscall { error });
    }
    spec.checkpoint(Phase::Capabilities);
    if early && !go() {
        return 125;
    }
    sys::cloexec_from(3);
    report(exec_process(
        linux,
        &spec.argv,
        &spec.env,
        &spec.workdir,
        &spec.user,
    ))
}

/// Everything between the clone and the exec, in order: the root file system, pivot_root, the
/// terminal, the masked paths (under `root_after_pivot`, `/` but in tests), hostname, loopback,
/// seccomp and the capabilities. `staged`: /dev and a masked /proc made ahead.
fn setup_container(
    sys: &dyn Syscall,
    spec: &Spec,
    stdio: Stdio,
    root_after_pivot: &Path,
    staged: Option<&rootfs::Staged>,
) -> SysResult<()> {
    if !spec.cgroup_tasks.is_empty() {
        // Best effort, as the monitor's move into v2 ones: a controller that refuses (a
        // sandbox's) leaves the container without it.
        for tasks in &spec.cgroup_tasks {
            let _ = sys.write_file(tasks, cgroup::SELF_JOIN);
        }
        spec.checkpoint(Phase::CgroupJoin);
    }
    // Before /sys is mounted: its net/ shows the namespace of whoever mounts it.
    if let NetNs::Join(fd) = spec.net {
        sys.setns(
            Path::new(&format!("/proc/self/fd/{fd}")),
            libc::CLONE_NEWNET,
        )?;
    }
    mount_rootfs(sys, spec, staged)?;
    spec.checkpoint(Phase::Rootfs);
    mounts::mount_all(sys, &spec.rootfs, &spec.mounts)?;
    spec.checkpoint(Phase::Mounts);
    sys.pivot_root(&spec.rootfs)?;
    if let Stdio::Tty { socket } = stdio {
        let slave = sys::open_pty_in_container(sys, socket)?;
        sys::take_terminal(slave)?;
    }
    spec.checkpoint(Phase::Pivot);
    let masks = if staged.is_some() {
        rootfs::Masks::NotProc
    } else {
        rootfs::Masks::All
    };
    mask_paths(sys, root_after_pivot, masks);
    sys.sethostname(&spec.hostname)?;
    if spec.net != NetNs::Host {
        sys.loopback_up()?;
    }
    spec.checkpoint(Phase::Mask);
    seccomp::install(sys)?;
    spec.checkpoint(Phase::Seccomp);
    sys.set_capabilities(&capabilities(spec.allow_mknod))?;
    Ok(())
}

/// Clone the container's init into new namespaces. Returns its pid (in our PID namespace) and
/// whether it was cloned into `spec.into_cgroup`.
pub fn spawn_container(
    spec: &Spec,
    stdio: Stdio,
    sync: SyncPipe,
    err_write: RawFd,
) -> Result<(i32, bool), InitFailure> {
    let mut flags =
        libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC;
    if spec.net == NetNs::New {
        flags |= libc::CLONE_NEWNET;
    }
    if spec.new_user_ns {
        flags |= libc::CLONE_NEWUSER;
    }
    let rootless = spec.rootless;
    let into = spec.into_cgroup;
    let spec = spec.clone();
    let mut cb = move || -> isize { container_init(&spec, stdio, sync, err_write) as isize };
    if let Some(cgroup) = into
        && let Ok(pid) = sys::clone_child_into(flags, cgroup, &mut cb)
    {
        return Ok((pid, true));
    }
    let pid = sys::clone_child(flags, &mut cb).map_err(|e| {
        if rootless && (e == Errno::EPERM || e == Errno::ENOSPC) {
            InitFailure::UsernsDenied {
                detail: e.to_string(),
            }
        } else {
            InitFailure::Syscall {
                error: SysError::new("clone", None, e),
            }
        }
    })?;
    Ok((pid, false))
}

/// Join a running container's namespaces from a fresh child and run `argv` there (for `exec`).
/// Called in a forked child of the CLI; returns only on failure.
pub fn join_and_exec(
    pid: i32,
    argv: &[String],
    env: &[String],
    workdir: &str,
    user: &str,
    allow_mknod: bool,
) -> InitFailure {
    let join = |error: SysError| InitFailure::JoinSyscall { error };
    let linux = &LinuxSyscall;
    sys::set_not_dumpable();
    // Opened here, in our mount namespace: the child is born in it (a move would wait).
    let v2 = cgroup::join_existing(linux, pid).and_then(|d| sys::dirfd::open_dir_path(&d).ok());
    let user_ns = format!("/proc/{pid}/ns/user");
    if fs::read_link(&user_ns).ok() != fs::read_link("/proc/self/ns/user").ok()
        && let Err(e) = linux.setns(Path::new(&user_ns), libc::CLONE_NEWUSER)
    {
        return join(e);
    }
    for (ns, flag) in [
        ("ipc", libc::CLONE_NEWIPC),
        ("uts", libc::CLONE_NEWUTS),
        ("net", libc::CLONE_NEWNET),
        ("pid", libc::CLONE_NEWPID),
        ("mnt", libc::CLONE_NEWNS),
    ] {
        if let Err(e) = linux.setns(Path::new(&format!("/proc/{pid}/ns/{ns}")), flag) {
            return join(e);
        }
    }
    // Entering a PID namespace applies to children: fork once more.
    // The caller is a single-threaded forked child.
    let forked = match v2.as_ref().map(|d| (d, sys::fork_into(0, d.as_raw_fd()))) {
        Some((_, Ok(forked))) => Ok(forked),
        Some((dir, Err(_))) => {
            let _ = cgroup::join_v2_at(dir);
            sys::fork()
        }
        None => sys::fork(),
    };
    match forked {
        Ok(sys::Forked::Child) => {
            drop(v2);
            sys::reset_signals();
            // Killing the process we fork (a health probe's timeout) ends this one too.
            sys::die_with_parent();
            if let Err(e) = seccomp::install(linux) {
                return join(e);
            }
            if let Err(e) = linux.set_capabilities(&capabilities(allow_mknod)) {
                return join(e);
            }
            sys::cloexec_from(3);
            exec_process(linux, argv, env, workdir, user)
        }
        Ok(sys::Forked::Parent(child)) => {
            let code = sys::wait_child(child, false).unwrap_or(1);
            sys::exit_now(code)
        }
        Err(e) => join(e),
    }
}

/// A signal by Docker's names: "KILL", "SIGKILL", "9", "TERM", ….
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let name = s.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "TERM" => libc::SIGTERM,
        "STOP" => libc::SIGSTOP,
        "CONT" => libc::SIGCONT,
        "ALRM" => libc::SIGALRM,
        "WINCH" => libc::SIGWINCH,
        "ABRT" => libc::SIGABRT,
        "PIPE" => libc::SIGPIPE,
        _ => return None,
    })
}

/// The setup plan against the recording double: no root, no kernel calls.
#[cfg(test)]
mod tests {
    use super::sys::{Call, RecordingSyscall};
    use super::*;

    /// The init's stdio as the recording tests give it.
    const PIPES: Stdio = Stdio::Pipes {
        stdin: 0,
        stdout: 1,
        stderr: 2,
    };

    pub(super) fn make_spec(dir: &Path, rootless: bool) -> Spec {
        let layers = dir.join("layers");
        for l in ["l1", "l2"] {
            fs::create_dir_all(layers.join(l)).unwrap();
        }
        // The store's init layer, a sibling of its layers dir, over the image's.
        fs::create_dir_all(dir.join("init-layer")).unwrap();
        let rootfs = dir.join("rootfs");
        fs::create_dir_all(&rootfs).unwrap();
        // An image that tries to redirect a runtime mount through a symlink.
        std::os::unix::fs::symlink("/tmp", rootfs.join("proc")).unwrap();
        let hosts = dir.join("hosts");
        fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
        Spec {
            lowers: vec![dir.join("init-layer"), layers.join("l2"), layers.join("l1")],
            upper: dir.join("upper"),
            work: dir.join("work"),
            rootfs,
            hostname: "c0ffee".into(),
            argv: vec!["sh".into()],
            env: vec![],
            workdir: "/".into(),
            user: String::new(),
            etc_files: vec![(hosts, "/etc/hosts".into())],
            allow_mknod: false,
            rootless,
            mounts: vec![],
            new_user_ns: rootless,
            net: NetNs::New,
            cgroup_tasks: vec![],
            into_cgroup: None,
            trace_fd: -1,
        }
    }

    fn mount_of(
        c: &Call,
    ) -> (
        Option<&str>,
        &Path,
        Option<&str>,
        libc::c_ulong,
        Option<&str>,
    ) {
        match c {
            Call::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => (
                source.as_deref(),
                target,
                fstype.as_deref(),
                *flags,
                data.as_deref(),
            ),
            other => panic!("not a mount: {other:?}"),
        }
    }

    #[test]
    fn rootfs_mounts_come_in_order_with_their_flags() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = make_spec(tmp.path(), true);
        let rec = RecordingSyscall::new();
        mount_rootfs(&rec, &spec, None).unwrap();
        let root = &spec.rootfs;
        let calls = rec.calls();
        // Private propagation first, then into the layers dir for short lowerdir names.
        assert_eq!(
            mount_of(&calls[0]),
            (
                None,
                Path::new("/"),
                None,
                libc::MS_REC | libc::MS_PRIVATE,
                None
            )
        );
        assert_eq!(calls[1], Call::Chdir(tmp.path().join("layers")));
        let mounts = rec.mounts();
        let overlay = mount_of(&mounts[1]);
        assert_eq!(overlay.1, root.as_path());
        assert_eq!(overlay.2, Some("overlay"));
        assert_eq!(
            overlay.4,
            Some(
                format!(
                    "lowerdir=../init-layer:l2:l1,upperdir={},workdir={},userxattr",
                    spec.upper.display(),
                    spec.work.display()
                )
                .as_str()
            )
        );
        let kinds: Vec<(Option<&str>, PathBuf)> = mounts[2..]
            .iter()
            .map(|m| {
                let m = mount_of(m);
                (m.2, m.1.strip_prefix(root).unwrap().to_path_buf())
            })
            .collect();
        let expect_start: Vec<(Option<&str>, PathBuf)> = vec![
            (Some("proc"), "proc".into()),
            (Some("sysfs"), "sys".into()),
            (Some("tmpfs"), "dev".into()),
        ];
        assert_eq!(kinds[..3], expect_start[..]);
        // /sys is read-only; /proc and /sys no exec, no suid, no devices.
        let sysfs = mount_of(&mounts[3]);
        assert_eq!(
            sysfs.3,
            libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV | libc::MS_RDONLY
        );
        // The image's /proc symlink was replaced by a directory, not followed.
        assert!(fs::symlink_metadata(root.join("proc")).unwrap().is_dir());
        // Device nodes, then devpts, shm, and the /etc files bound last.
        let nodes: Vec<_> = calls
            .iter()
            .filter_map(|c| match c {
                Call::MknodChar {
                    path, major, minor, ..
                } => Some((path.file_name().unwrap().to_owned(), *major, *minor)),
                _ => None,
            })
            .collect();
        assert_eq!(nodes.len(), 6);
        assert_eq!(nodes[0], ("null".into(), 1, 3));
        assert_eq!(nodes[5], ("tty".into(), 5, 0));
        assert_eq!(kinds[3], (Some("devpts"), "dev/pts".into()));
        assert_eq!(kinds[4], (Some("tmpfs"), "dev/shm".into()));
        let hosts = mount_of(mounts.last().unwrap());
        assert_eq!(hosts.0, Some(tmp.path().join("hosts").to_str().unwrap()));
        assert_eq!(hosts.1, root.join("etc/hosts"));
        assert_eq!(hosts.3, libc::MS_BIND | libc::MS_REC);
        assert!(root.join("etc/hosts").is_file());
        assert_eq!(mounts.len(), 2 + 5 + 1);
    }

    #[test]
    fn rootful_overlay_has_no_userxattr_and_mknod_failure_binds_host_nodes() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = make_spec(tmp.path(), false);
        let rec = RecordingSyscall::new();
        rec.fail("mknod", Errno::EPERM);
        mount_rootfs(&rec, &spec, None).unwrap();
        let mounts = rec.mounts();
        assert!(!mount_of(&mounts[1]).4.unwrap().contains("userxattr"));
        let binds: Vec<_> = mounts
            .iter()
            .map(mount_of)
            .filter(|m| m.0.is_some_and(|s| s.starts_with("/dev/")))
            .map(|m| (m.0.unwrap().to_string(), m.1.to_path_buf()))
            .collect();
        assert_eq!(binds.len(), 6, "{binds:?}");
        assert_eq!(
            binds[0],
            ("/dev/null".to_string(), spec.rootfs.join("dev/null"))
        );
    }

    #[test]
    fn a_failing_mount_is_a_typed_error_with_its_path_and_errno() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = make_spec(tmp.path(), true);
        let rec = RecordingSyscall::new();
        rec.fail_at("mount", spec.rootfs.join("sys"), Errno::EACCES);
        let err = mount_rootfs(&rec, &spec, None).unwrap_err();
        assert_eq!(err.errno, Errno::EACCES);
        assert_eq!(err.path.as_deref(), Some(spec.rootfs.join("sys").as_path()));
        assert_eq!(
            err.to_string(),
            format!(
                "mount sysfs {}: Permission denied (os error 13)",
                spec.rootfs.join("sys").display()
            )
        );
        // Nothing was mounted after it.
        assert_eq!(rec.mounts().len(), 4);
        // And it reaches the monitor typed, as JSON.
        let f = InitFailure::Syscall { error: err };
        assert_eq!(InitFailure::decode(&f.encode()), f);
        assert_eq!(f.exit_code(), 125);
    }

    #[test]
    fn masked_paths_get_null_or_tmpfs_and_proc_dirs_are_read_only() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in ["proc/acpi", "proc/sys", "proc/bus", "sys/firmware"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("proc/kcore"), "").unwrap();
        let rec = RecordingSyscall::new();
        mask_paths(&rec, root, rootfs::Masks::All);
        let m: Vec<_> = rec
            .mounts()
            .iter()
            .map(|c| {
                let m = mount_of(c);
                (
                    m.0.map(str::to_string),
                    m.1.strip_prefix(root).unwrap().to_path_buf(),
                    m.3,
                )
            })
            .collect();
        let ro_remount =
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_REC | libc::MS_NOSUID;
        let bind = libc::MS_BIND | libc::MS_REC;
        assert_eq!(
            m,
            vec![
                (Some("tmpfs".into()), "proc/acpi".into(), libc::MS_RDONLY),
                (
                    Some(root.join("dev/null").display().to_string()),
                    "proc/kcore".into(),
                    bind
                ),
                (Some("tmpfs".into()), "sys/firmware".into(), libc::MS_RDONLY),
                (
                    Some(root.join("proc/bus").display().to_string()),
                    "proc/bus".into(),
                    bind
                ),
                (None, "proc/bus".into(), ro_remount),
                (
                    Some(root.join("proc/sys").display().to_string()),
                    "proc/sys".into(),
                    bind
                ),
                (None, "proc/sys".into(), ro_remount),
            ]
        );
    }

    #[test]
    fn setup_pivots_then_names_the_host_and_drops_capabilities_last() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = make_spec(tmp.path(), true);
        let rec = RecordingSyscall::new();
        let stdio = PIPES;
        setup_container(&rec, &spec, stdio, tmp.path(), None).unwrap();
        let names: Vec<&str> = rec
            .calls()
            .iter()
            .map(Call::name)
            .filter(|n| *n != "mount" && *n != "mknod")
            .collect();
        assert_eq!(
            names,
            [
                "chdir",
                "pivot_root",
                "sethostname",
                "loopback_up",
                "seccomp",
                "capset"
            ]
        );
        let calls = rec.calls();
        assert!(calls.contains(&Call::PivotRoot(spec.rootfs.clone())));
        assert!(calls.contains(&Call::Sethostname("c0ffee".into())));
        // No CAP_MKNOD without a devices cgroup.
        let caps = calls
            .iter()
            .find_map(|c| match c {
                Call::SetCapabilities(k) => Some(k.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(caps.len(), sys::DEFAULT_CAPS.len() - 1);
        assert!(!caps.contains(&27));

        // A failing step stops the setup there.
        let rec = RecordingSyscall::new();
        rec.fail("sethostname", Errno::EPERM);
        let e = setup_container(
            &rec,
            &make_spec(&tmp.path().join("again"), true),
            stdio,
            tmp.path(),
            None,
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "sethostname: Operation not permitted (os error 1)"
        );
        assert!(!rec.calls().iter().any(|c| c.name() == "capset"));
    }

    #[test]
    fn a_spare_netns_is_joined_before_any_mount_and_host_networking_leaves_lo_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let stdio = PIPES;
        let mut spec = make_spec(tmp.path(), false);
        spec.net = NetNs::Join(9);
        let rec = RecordingSyscall::new();
        setup_container(&rec, &spec, stdio, tmp.path(), None).unwrap();
        let calls = rec.calls();
        assert_eq!(
            calls.first(),
            Some(&Call::Setns {
                path: "/proc/self/fd/9".into(),
                nstype: libc::CLONE_NEWNET,
            })
        );
        assert!(calls.iter().any(|c| c.name() == "loopback_up"));

        let mut spec = make_spec(&tmp.path().join("host"), false);
        spec.net = NetNs::Host;
        let rec = RecordingSyscall::new();
        setup_container(&rec, &spec, stdio, tmp.path(), None).unwrap();
        let names: Vec<&str> = rec.calls().iter().map(Call::name).collect();
        assert!(!names.contains(&"setns") && !names.contains(&"loopback_up"));
    }

    #[test]
    fn a_v1_init_joins_its_cgroups_itself_before_anything_else() {
        let tmp = tempfile::tempdir().unwrap();
        let mut spec = make_spec(tmp.path(), false);
        spec.cgroup_tasks = vec![
            "/cg/pids/gorae/c0/tasks".into(),
            "/cg/memory/gorae/c0/tasks".into(),
        ];
        spec.net = NetNs::Join(9);
        let rec = RecordingSyscall::new();
        let stdio = PIPES;
        setup_container(&rec, &spec, stdio, tmp.path(), None).unwrap();
        let names: Vec<&str> = rec.calls().iter().map(Call::name).take(3).collect();
        assert_eq!(names, ["write", "write", "setns"]);
        assert_eq!(
            rec.writes()[..2],
            [
                (PathBuf::from("/cg/pids/gorae/c0/tasks"), "0".to_string()),
                (PathBuf::from("/cg/memory/gorae/c0/tasks"), "0".to_string()),
            ]
        );
    }

    #[test]
    fn credentials_are_set_groups_first_and_keep_the_death_signal() {
        let rec = RecordingSyscall::new();
        rec.fail("setuid", Errno::EPERM);
        let tmp = tempfile::tempdir().unwrap();
        let f = exec_process(
            &rec,
            &["true".into()],
            &[],
            tmp.path().to_str().unwrap(),
            "1000:1000",
        );
        // In a one-id user namespace a non-root user is refused before any set*id.
        if sys::maps_one_id() {
            assert!(matches!(f, InitFailure::UserNeedsIds { .. }), "{f:?}");
            return;
        }
        assert_eq!(
            rec.calls(),
            vec![
                Call::Chdir(tmp.path().to_path_buf()),
                Call::Setgroups(vec![]),
                Call::SetIds {
                    uid: 1000,
                    gid: 1000
                },
            ]
        );
        assert_eq!(
            f.to_string(),
            "setuid: Operation not permitted (os error 1)"
        );
        assert_eq!(f.exit_code(), 125);
    }
}
