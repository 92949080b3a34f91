//! The container's root file system: the overlay, /proc, /sys, /dev and the /etc files mounted
//! in the container's own mount namespace, and the paths runc masks or makes read-only. Every
//! call goes through `Syscall`, so the plan is unit-tested with the recording double.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::Spec;
use super::sys::{Errno, SysError, SysResult, Syscall};

/// Paths runc masks in /proc and /sys (bind /dev/null or an empty read-only tmpfs).
pub(super) const MASKED: &[&str] = &[
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
pub(super) const READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// A file-system error on `path`, worded "path: error" as before.
pub(super) fn at(path: &Path) -> impl Fn(io::Error) -> SysError + '_ {
    move |e| SysError::io("", Some(path), &e)
}

/// Make `rel` a directory inside `root`, replacing whatever the image put there if it is a
/// symlink (an image must never redirect the runtime's own mounts).
pub(super) fn ensure_dir_in(root: &Path, rel: &str) -> SysResult<PathBuf> {
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
                fs::remove_file(&cur).map_err(at(&cur))?;
                fs::create_dir(&cur).map_err(at(&cur))?;
            }
            Err(_) => fs::create_dir(&cur).map_err(at(&cur))?,
        }
    }
    Ok(cur)
}

/// Make `rel` a regular (mount target) file inside `root`, never following a symlink.
pub(super) fn ensure_file_in(root: &Path, rel: &str) -> SysResult<PathBuf> {
    let rel = rel.trim_start_matches('/');
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let parent = ensure_dir_in(root, dir)?;
    let path = parent.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {}
        Ok(m) if m.is_dir() => {
            fs::remove_dir_all(&path).map_err(at(&path))?;
            fs::File::create(&path).map_err(at(&path))?;
        }
        Ok(_) => {
            fs::remove_file(&path).map_err(at(&path))?;
            fs::File::create(&path).map_err(at(&path))?;
        }
        Err(_) => {
            fs::File::create(&path).map_err(at(&path))?;
        }
    }
    Ok(path)
}

/// Mount the container's root file system at `spec.rootfs` (still in the host's view): the
/// overlay, /proc, a read-only /sys, a minimal /dev (nodes, pts, shm) and the /etc files;
/// /proc (masked) and /dev moved there from `staged` where an init made them ahead.
pub(super) fn mount_rootfs(
    sys: &dyn Syscall,
    spec: &Spec,
    staged: Option<&Staged>,
) -> SysResult<()> {
    sys.make_rprivate()?;
    mount_overlay(
        sys,
        &spec.lowers,
        &spec.upper,
        &spec.work,
        &spec.rootfs,
        spec.rootless,
    )?;
    let root = &spec.rootfs;
    let proc_dir = ensure_dir_in(root, "/proc")?;
    match staged {
        Some(st) => move_mount(sys, &st.proc, &proc_dir)?,
        None => mount_proc(sys, &proc_dir)?,
    }
    let sys_dir = ensure_dir_in(root, "/sys")?;
    sys.mount(
        Some("sysfs"),
        &sys_dir,
        Some("sysfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV | libc::MS_RDONLY,
        None,
    )?;
    let dev = ensure_dir_in(root, "/dev")?;
    match staged {
        Some(st) => move_mount(sys, &st.dev, &dev)?,
        None => make_dev(sys, &dev)?,
    }
    for (host, inside) in &spec.etc_files {
        let target = ensure_file_in(root, inside)?;
        sys.bind(host, &target, false)?;
    }
    Ok(())
}

/// A minimal /dev at `dev` (a directory): a tmpfs with the nodes, pts and shm, and the links.
fn make_dev(sys: &dyn Syscall, dev: &Path) -> SysResult<()> {
    sys.mount(
        Some("tmpfs"),
        dev,
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
        if sys.mknod_char(&path, 0o666, major, minor).is_err() {
            // Without CAP_MKNOD (rootless): bind the host's node instead.
            fs::File::create(&path).map_err(at(&path))?;
            sys.bind(&Path::new("/dev").join(name), &path, false)?;
        }
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts).map_err(at(&pts))?;
    sys.mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .or_else(|_| {
        sys.mount(
            Some("devpts"),
            &pts,
            Some("devpts"),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
        )
    })?;
    let shm = dev.join("shm");
    fs::create_dir(&shm).map_err(at(&shm))?;
    sys.mount(
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
    Ok(())
}

/// The container's /proc at `dir` (its PID namespace's: the caller's).
fn mount_proc(sys: &dyn Syscall, dir: &Path) -> SysResult<()> {
    sys.mount(
        Some("proc"),
        dir,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV,
        None,
    )
}

/// Move the mount at `from` (with those under it) to `to`.
fn move_mount(sys: &dyn Syscall, from: &Path, to: &Path) -> SysResult<()> {
    let src = from.to_string_lossy();
    sys.mount(Some(&src), to, None, libc::MS_MOVE, None)
}

/// What an init made ahead (`runtime::ahead`) mounted before its container was known, in its
/// own mount namespace: a /dev and a /proc with its masks, moved into the root once there is
/// one. Neither depends on the container (the init is PID 1 of its PID namespace already);
/// /sys does (it shows the network namespace of whoever mounts it). ~0.25 ms of the start.
pub(super) struct Staged {
    dev: PathBuf,
    proc: PathBuf,
}

/// Stage them on a tmpfs mounted over `at`, a directory nothing of the container's setup
/// reads (the store's tmp). The caller's mount tree must be private: none of this may reach
/// the host's. None, with nothing left mounted, where any of it fails.
pub(super) fn stage(sys: &dyn Syscall, at: &Path) -> Option<Staged> {
    sys.mount(
        Some("tmpfs"),
        at,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        Some("mode=700,size=64k"),
    )
    .ok()?;
    let staged = (|| -> SysResult<Staged> {
        // /dev first: its null is what the masks bind.
        let dev = ensure_dir_in(at, "dev")?;
        make_dev(sys, &dev)?;
        let proc = ensure_dir_in(at, "proc")?;
        mount_proc(sys, &proc)?;
        mask_paths(sys, at, Masks::Proc);
        Ok(Staged { dev, proc })
    })();
    if staged.is_err() {
        let _ = sys.umount(at, libc::MNT_DETACH);
    }
    staged.ok()
}

/// Mount a container's overlay (its image's layers under its upper dir) at `target`, in the
/// caller's mount namespace: the container's init, and `docker cp` of a stopped container.
pub(crate) fn mount_overlay(
    sys: &dyn Syscall,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
    rootless: bool,
) -> SysResult<()> {
    // Relative lower dirs keep the option string short (the kernel takes one page): named
    // from the dir of the image's layers (the last), a sibling of it (the store's init
    // layer) as `../name`.
    let layers_dir = lowers
        .last()
        .and_then(|p| p.parent())
        .ok_or_else(|| SysError::new("image has no layers", None, Errno::ENOENT))?;
    sys.chdir(layers_dir).map_err(|e| SysError {
        op: String::new(),
        ..e
    })?;
    let lower = lowers
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            match p.parent() {
                Some(d) if d == layers_dir => name.to_string(),
                d if d.is_some() && d == layers_dir.parent() => format!("../{name}"),
                _ => p.display().to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(":");
    let mut data = format!(
        "lowerdir={lower},upperdir={},workdir={}",
        upper.display(),
        work.display()
    );
    if rootless {
        // In a user namespace overlayfs keeps its metadata in user.* xattrs.
        data.push_str(",userxattr");
    }
    sys.mount(Some("overlay"), target, Some("overlay"), 0, Some(&data))
}

/// Which of runc's masked and read-only paths [`mask_paths`] does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Masks {
    All,
    /// Those in /proc (a staged one, [`stage`]).
    Proc,
    /// Those outside /proc (its own were masked when it was staged).
    NotProc,
}

impl Masks {
    fn covers(self, path: &str) -> bool {
        match self {
            Masks::All => true,
            Masks::Proc => path.starts_with("/proc/"),
            Masks::NotProc => !path.starts_with("/proc/"),
        }
    }
}

/// Mask and make read-only what runc does, under `root` (`/` once pivoted), with the null
/// device of the /dev there.
pub(super) fn mask_paths(sys: &dyn Syscall, root: &Path, which: Masks) {
    let null = root.join("dev/null");
    for p in MASKED.iter().filter(|p| which.covers(p)) {
        let path = &root.join(p.trim_start_matches('/'));
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                let _ = sys.mount(
                    Some("tmpfs"),
                    path,
                    Some("tmpfs"),
                    libc::MS_RDONLY,
                    Some("size=0"),
                );
            }
            Ok(_) => {
                let _ = sys.bind(&null, path, false);
            }
            Err(_) => {}
        }
    }
    for p in READONLY.iter().filter(|p| which.covers(p)) {
        let path = &root.join(p.trim_start_matches('/'));
        if path.exists() {
            let _ = sys.bind(path, path, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sys::{Call, RecordingSyscall};
    use super::*;

    /// (source, target under `at`, fstype) of each mount recorded.
    fn mounts_under(
        rec: &RecordingSyscall,
        at: &Path,
    ) -> Vec<(Option<String>, PathBuf, Option<String>)> {
        rec.mounts()
            .into_iter()
            .filter_map(|c| match c {
                Call::Mount {
                    source,
                    target,
                    fstype,
                    ..
                } => Some((source, target.strip_prefix(at).ok()?.to_path_buf(), fstype)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn staging_makes_a_dev_then_a_proc_with_only_the_masks_in_proc() {
        let tmp = tempfile::tempdir().unwrap();
        let at = tmp.path();
        fs::create_dir_all(at.join("proc/acpi")).unwrap();
        fs::write(at.join("proc/kcore"), "").unwrap();
        fs::create_dir_all(at.join("sys/firmware")).unwrap();
        let rec = RecordingSyscall::new();
        let staged = stage(&rec, at).unwrap();
        assert_eq!(
            (staged.dev.clone(), staged.proc.clone()),
            (at.join("dev"), at.join("proc"))
        );
        let tmpfs = Some("tmpfs".to_string());
        assert_eq!(
            mounts_under(&rec, at),
            vec![
                (tmpfs.clone(), "".into(), tmpfs.clone()),
                (tmpfs.clone(), "dev".into(), tmpfs.clone()),
                (
                    Some("devpts".into()),
                    "dev/pts".into(),
                    Some("devpts".into())
                ),
                (Some("shm".into()), "dev/shm".into(), tmpfs.clone()),
                (Some("proc".into()), "proc".into(), Some("proc".into())),
                (tmpfs.clone(), "proc/acpi".into(), tmpfs.clone()),
                // The staged /dev's null, not the host's.
                (
                    Some(at.join("dev/null").display().to_string()),
                    "proc/kcore".into(),
                    None
                ),
            ]
        );
        // Moved into a root: /proc and /dev by MS_MOVE, nothing made again there.
        let rec = RecordingSyscall::new();
        let spec = super::super::tests::make_spec(&tmp.path().join("c"), false);
        mount_rootfs(&rec, &spec, Some(&staged)).unwrap();
        let moved: Vec<_> = rec
            .mounts()
            .into_iter()
            .filter_map(|c| match c {
                Call::Mount { source, flags, .. } if flags == libc::MS_MOVE => source,
                _ => None,
            })
            .collect();
        let expected: Vec<String> = [&staged.proc, &staged.dev]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(moved, expected);
        assert!(!rec.calls().iter().any(|c| c.name() == "mknod"));
    }

    #[test]
    fn a_staging_that_fails_leaves_nothing_mounted() {
        let tmp = tempfile::tempdir().unwrap();
        let at = tmp.path();
        let rec = RecordingSyscall::new();
        rec.fail_at("mount", at.join("proc"), Errno::EPERM);
        assert!(stage(&rec, at).is_none());
        assert_eq!(
            rec.calls().last(),
            Some(&Call::Umount {
                target: at.to_path_buf(),
                flags: libc::MNT_DETACH,
            })
        );
    }
}
