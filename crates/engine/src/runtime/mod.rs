//! The runtime: how a container's first process is made, and how `exec` joins it.
//!
//! A container is a process cloned into new PID, mount, UTS, IPC and network namespaces. In
//! its own mount namespace it mounts an overlay (image layers below, the container's upper dir
//! on top), `/proc`, a minimal `/dev`, a read-only `/sys`, binds `/etc/hostname|hosts|
//! resolv.conf`, pivots into the overlay, masks the `/proc` paths runc masks, keeps Docker's 14
//! capabilities and execs the command. All mounts live in that namespace only, so nothing leaks
//! onto the host when the container or the engine dies. Kernel calls are in `sys`.

pub mod cgroup;
mod failure;
pub mod seccomp;
pub mod sys;

use std::ffi::CString;
use std::fs;
use std::os::fd::RawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub use failure::InitFailure;
use sys::SysResult;

/// Everything the container's init needs, prepared by the monitor before the clone.
#[derive(Debug, Clone)]
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
}

/// Whether this process runs without root, so containers need a user namespace.
pub fn is_rootless() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() != 0 }
}

/// How the container's stdio is wired.
#[derive(Debug, Clone, Copy)]
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

/// Paths runc masks in /proc and /sys (bind /dev/null or an empty read-only tmpfs).
const MASKED: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
/// Paths runc makes read-only.
const READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Make `rel` a directory inside `root`, replacing whatever the image put there if it is a
/// symlink (an image must never redirect the runtime's own mounts).
fn ensure_dir_in(root: &Path, rel: &str) -> SysResult<PathBuf> {
    let mut cur = root.to_path_buf();
    for comp in rel
        .trim_start_matches('/')
        .split('/')
        .filter(|c| !c.is_empty())
    {
        cur.push(comp);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                fs::remove_file(&cur).map_err(|e| format!("{}: {e}", cur.display()))?;
                fs::create_dir(&cur).map_err(|e| format!("{}: {e}", cur.display()))?;
            }
            Err(_) => fs::create_dir(&cur).map_err(|e| format!("{}: {e}", cur.display()))?,
        }
    }
    Ok(cur)
}

/// Make `rel` a regular (mount target) file inside `root`, never following a symlink.
fn ensure_file_in(root: &Path, rel: &str) -> SysResult<PathBuf> {
    let rel = rel.trim_start_matches('/');
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let parent = ensure_dir_in(root, dir)?;
    let path = parent.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {}
        Ok(m) if m.is_dir() => {
            fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(_) => {
            fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Err(_) => {
            fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(path)
}

fn mount_rootfs(spec: &Spec) -> SysResult<()> {
    sys::make_rprivate()?;
    // Relative lower dirs keep the option string short (the kernel takes one page).
    let layers_dir = spec
        .lowers
        .first()
        .and_then(|p| p.parent())
        .ok_or("image has no layers")?;
    std::env::set_current_dir(layers_dir).map_err(|e| format!("{}: {e}", layers_dir.display()))?;
    let lower = spec
        .lowers
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(":");
    let mut data = format!(
        "lowerdir={lower},upperdir={},workdir={}",
        spec.upper.display(),
        spec.work.display()
    );
    if spec.rootless {
        // In a user namespace overlayfs keeps its metadata in user.* xattrs.
        data.push_str(",userxattr");
    }
    sys::mount(
        Some("overlay"),
        &spec.rootfs,
        Some("overlay"),
        0,
        Some(&data),
    )?;
    let root = &spec.rootfs;

    let proc_dir = ensure_dir_in(root, "/proc")?;
    sys::mount(
        Some("proc"),
        &proc_dir,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        None,
    )?;
    let sys_dir = ensure_dir_in(root, "/sys")?;
    sys::mount(
        Some("sysfs"),
        &sys_dir,
        Some("sysfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV | libc::MS_RDONLY,
        None,
    )?;
    let dev = ensure_dir_in(root, "/dev")?;
    sys::mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )?;
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        let path = dev.join(name);
        if sys::mknod_char(&path, 0o666, major, minor).is_err() {
            // Without CAP_MKNOD (rootless): bind the host's node instead.
            fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            sys::bind(&Path::new("/dev").join(name), &path, false)?;
        }
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts).map_err(|e| format!("{}: {e}", pts.display()))?;
    sys::mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .or_else(|_| {
        sys::mount(
            Some("devpts"),
            &pts,
            Some("devpts"),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
        )
    })?;
    let shm = dev.join("shm");
    fs::create_dir(&shm).map_err(|e| format!("{}: {e}", shm.display()))?;
    sys::mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        Some("mode=1777,size=65536k"),
    )?;
    for (link, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
    ] {
        let _ = std::os::unix::fs::symlink(target, dev.join(link));
    }
    for (host, inside) in &spec.etc_files {
        let target = ensure_file_in(root, inside)?;
        sys::bind(host, &target, false)?;
    }
    Ok(())
}

fn mask_paths() {
    for p in MASKED {
        let path = Path::new(p);
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                let _ = sys::mount(
                    Some("tmpfs"),
                    path,
                    Some("tmpfs"),
                    libc::MS_RDONLY,
                    Some("size=0"),
                );
            }
            Ok(_) => {
                let _ = sys::bind(Path::new("/dev/null"), path, false);
            }
            Err(_) => {}
        }
    }
    for p in READONLY {
        let path = Path::new(p);
        if path.exists() {
            let _ = sys::bind(path, path, true);
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
pub fn exec_process(argv: &[String], env: &[String], workdir: &str, user: &str) -> InitFailure {
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
    if let Err(e) = std::env::set_current_dir(wd) {
        return InitFailure::Chdir {
            dir: wd.into(),
            detail: e.to_string(),
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
    // SAFETY: set*id with plain integers; the group list is a valid slice.
    unsafe {
        if libc::setgroups(groups.len(), groups.as_ptr()) != 0 && uid != 0 {
            return InitFailure::setup(format!("setgroups: {}", std::io::Error::last_os_error()));
        }
        let death_signal = sys::parent_death_signal();
        if libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
            return InitFailure::setup(format!("setuid: {}", std::io::Error::last_os_error()));
        }
        // Changing credentials clears the parent-death signal: keep it.
        if death_signal != 0 {
            libc::prctl(libc::PR_SET_PDEATHSIG, death_signal, 0, 0, 0);
        }
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
    let mut p_argv: Vec<*const libc::c_char> = c_argv.iter().map(|c| c.as_ptr()).collect();
    p_argv.push(std::ptr::null());
    let mut p_env: Vec<*const libc::c_char> = c_env.iter().map(|c| c.as_ptr()).collect();
    p_env.push(std::ptr::null());
    // SAFETY: NUL-terminated arrays of valid C strings that outlive the call.
    unsafe { libc::execve(c_prog.as_ptr(), p_argv.as_ptr(), p_env.as_ptr()) };
    let e = std::io::Error::last_os_error();
    InitFailure::Exec {
        cmd: first.clone(),
        detail: e.to_string(),
        errno: e.raw_os_error().unwrap_or(0),
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
/// `sync`: blocks until the monitor has put us in our cgroups (EOF: the monitor died);
/// `err_write`: where a setup or exec failure is reported (close-on-exec: EOF there means exec
/// succeeded).
pub fn container_init(spec: &Spec, stdio: Stdio, sync: SyncPipe, err_write: RawFd) -> i32 {
    sys::die_with_parent();
    sys::reset_signals();
    // Our copy of the write end would keep the read below from ever seeing EOF.
    sys::close(sync.write);
    let mut b = [0u8; 1];
    let went = sys::read(sync.read, &mut b).is_ok_and(|n| n == 1);
    sys::close(sync.read);
    if !went {
        // The monitor died before it let us go: nobody would ever hear of us.
        return 125;
    }
    // Only now: the monitor had to write our id maps in /proc/<pid>, which a non-dumpable
    // process's owner cannot.
    sys::set_not_dumpable();
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
            // SAFETY: setsid has no preconditions.
            unsafe { libc::setsid() };
            sys::dup_onto(stdin, 0)
                .and_then(|_| sys::dup_onto(stdout, 1))
                .and_then(|_| sys::dup_onto(stderr, 2))
        }
    };
    if let Err(e) = io_res {
        return report(InitFailure::setup(e));
    }
    let setup = || -> SysResult<()> {
        mount_rootfs(spec)?;
        sys::pivot_root(&spec.rootfs)?;
        if let Stdio::Tty { socket } = stdio {
            let slave = sys::open_pty_in_container(socket)?;
            sys::take_terminal(slave)?;
        }
        mask_paths();
        sys::sethostname(&spec.hostname)?;
        sys::loopback_up()?;
        seccomp::install()?;
        sys::limit_capabilities(&capabilities(spec.allow_mknod))?;
        Ok(())
    };
    if let Err(e) = setup() {
        return report(InitFailure::setup(e));
    }
    sys::cloexec_from(3);
    report(exec_process(
        &spec.argv,
        &spec.env,
        &spec.workdir,
        &spec.user,
    ))
}

/// Clone the container's init into new namespaces. Returns its pid (in our PID namespace).
pub fn spawn_container(
    spec: &Spec,
    stdio: Stdio,
    sync: SyncPipe,
    err_write: RawFd,
) -> Result<i32, InitFailure> {
    let mut flags = libc::CLONE_NEWPID
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWNET;
    if spec.rootless {
        flags |= libc::CLONE_NEWUSER;
    }
    let mut stack = vec![0u8; 1 << 20];
    let rootless = spec.rootless;
    let spec = spec.clone();
    let mut cb = move || -> isize { container_init(&spec, stdio, sync, err_write) as isize };
    // SAFETY: the monitor that calls this is single-threaded; the child runs `cb` on its own
    // stack and only execs or exits.
    let pid = unsafe {
        nix::sched::clone(
            Box::new(&mut cb),
            &mut stack,
            nix::sched::CloneFlags::from_bits_truncate(flags),
            Some(libc::SIGCHLD),
        )
    }
    .map_err(|e| {
        if rootless && (e == nix::errno::Errno::EPERM || e == nix::errno::Errno::ENOSPC) {
            InitFailure::UsernsDenied {
                detail: e.to_string(),
            }
        } else {
            InitFailure::setup(format!("clone: {e}"))
        }
    })?;
    Ok(pid.as_raw())
}

/// Map root in the container's user namespace to us (and, with /etc/subuid ranges and
/// newuidmap, further ids to our subordinate range so images with other users work).
pub fn write_id_maps(pid: i32) -> SysResult<()> {
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let user = std::env::var("USER").unwrap_or_default();
    let range = |file: &str| -> Option<(u64, u64)> {
        let text = fs::read_to_string(file).ok()?;
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() == 3 && (f[0] == user || f[0] == uid.to_string()))
                .then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?)))
                .flatten()
        })
    };
    let helper = |tool: &str, id: u32, r: (u64, u64)| -> bool {
        std::process::Command::new(tool)
            .args([
                pid.to_string(),
                "0".into(),
                id.to_string(),
                "1".into(),
                "1".into(),
                r.0.to_string(),
                r.1.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if let (Some(ur), Some(gr)) = (range("/etc/subuid"), range("/etc/subgid"))
        && helper("newuidmap", uid, ur)
        && helper("newgidmap", gid, gr)
    {
        return Ok(());
    }
    let w = |name: &str, data: String| {
        fs::write(format!("/proc/{pid}/{name}"), data).map_err(|e| format!("{name}: {e}"))
    };
    w("setgroups", "deny".into())?;
    w("uid_map", format!("0 {uid} 1\n"))?;
    w("gid_map", format!("0 {gid} 1\n"))
}

/// gorae's own executable, to start its helpers (monitors, the tree remover) from.
pub fn gorae_exe() -> PathBuf {
    std::env::var_os("GORAE_EXE")
        .map(PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| PathBuf::from("gorae"))
}

/// Start `gorae <helper> ARGS…` as root of a user namespace mapped like a container's (our
/// /etc/subuid range), where files of a container's other users are within reach: an
/// unprivileged user may not even list them. The child enters the namespace, says `ready` on
/// stderr, and waits on stdin until we have written its id maps. Its stdout is the caller's.
pub fn spawn_as_container_root(
    helper: crate::helper::Helper,
    args: &[&Path],
) -> Option<std::process::Child> {
    use std::io::{BufRead, Write};
    use std::process::Stdio;
    let mut child = helper
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let ready = child.stderr.take().is_some_and(|err| {
        let mut line = String::new();
        std::io::BufReader::new(err).read_line(&mut line).is_ok() && line.trim() == "ready"
    });
    let mapped = ready && write_id_maps(child.id() as i32).is_ok();
    if let Some(mut go) = child.stdin.take() {
        let _ = go.write_all(if mapped { b"go" } else { b"no" });
    }
    if !mapped {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child)
}

/// The child side of [`spawn_as_container_root`]: enter a new user namespace and wait for the
/// maps. False if that failed (the helper then exits non-zero).
pub fn enter_as_container_root() -> bool {
    use std::io::{Read, Write};
    // SAFETY: unshare with a flag; helpers are single-threaded.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
        return false;
    }
    let mut err = std::io::stderr();
    if writeln!(err, "ready").and_then(|_| err.flush()).is_err() {
        return false;
    }
    let mut go = [0u8; 2];
    std::io::stdin().read_exact(&mut go).is_ok() && &go == b"go"
}

/// Remove a tree holding files of a container's other users (see
/// [`spawn_as_container_root`]). True when the tree is gone.
pub fn remove_tree_as_container_root(path: &Path) -> bool {
    let Some(mut child) = spawn_as_container_root(crate::helper::Helper::RemoveTree, &[path])
    else {
        return false;
    };
    let done = child.wait().is_ok_and(|s| s.success());
    done && !path.exists()
}

/// `gorae __remove-tree PATH`.
pub fn remove_tree_main(args: &[String]) -> i32 {
    let Some(path) = args.first() else {
        return 2;
    };
    if !enter_as_container_root() {
        return 1;
    }
    // Root here now, over every id the maps gave us: nothing in the tree is out of reach.
    match fs::remove_dir_all(path) {
        Ok(()) => 0,
        Err(_) => 1,
    }
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
    let join = |detail: String| InitFailure::Join { detail };
    sys::set_not_dumpable();
    cgroup::join_existing(pid);
    let user_ns = format!("/proc/{pid}/ns/user");
    if fs::read_link(&user_ns).ok() != fs::read_link("/proc/self/ns/user").ok()
        && let Err(e) = sys::setns_path(Path::new(&user_ns), libc::CLONE_NEWUSER)
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
        if let Err(e) = sys::setns_path(Path::new(&format!("/proc/{pid}/ns/{ns}")), flag) {
            return join(e);
        }
    }
    // Entering a PID namespace applies to children: fork once more.
    // SAFETY: the CLI process is single-threaded here (forked child).
    match unsafe { libc::fork() } {
        0 => {
            sys::reset_signals();
            if let Err(e) = seccomp::install() {
                return join(e);
            }
            if let Err(e) = sys::limit_capabilities(&capabilities(allow_mknod)) {
                return join(e);
            }
            sys::cloexec_from(3);
            exec_process(argv, env, workdir, user)
        }
        child if child > 0 => {
            let code = sys::wait_child(child, false).unwrap_or(1);
            // SAFETY: leaving the intermediate process without running destructors.
            unsafe { libc::_exit(code) }
        }
        _ => join(format!("fork: {}", std::io::Error::last_os_error())),
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
