//! A container's own mounts (`-v`, `--mount`, VOLUME): made by its init after the root file
//! system and before pivot_root. Each destination is opened inside the container's root (a
//! symlink there resolves inside it, never on the host) and the mount goes onto that
//! descriptor (`/proc/self/fd/N`), as runc does since CVE-2021-30465. A read-only bind is
//! remounted with the flags the kernel locked on its source (runc#1229). An empty volume is
//! first filled from the image (Docker's copy-up).

use std::fs;
use std::path::{Path, PathBuf};

use super::sys::{self, Errno, Make, SysError, SysResult, Syscall};

/// One mount of the plan, host paths resolved (a volume is a bind of its `_data`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mount {
    pub source: MountSource,
    /// Absolute, inside the container.
    pub target: String,
    pub readonly: bool,
    /// Fill the source from the image's content at `target` when it is empty (volumes).
    pub copy_up: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MountSource {
    Bind(PathBuf),
    Tmpfs {
        size: Option<u64>,
        mode: Option<u32>,
    },
}

/// Parents before children (a mount inside another volume goes on top of it), as Docker
/// sorts them; otherwise in the order given.
pub(super) fn mount_all(sys: &dyn Syscall, root: &Path, mounts: &[Mount]) -> SysResult<()> {
    let mut order: Vec<&Mount> = mounts.iter().collect();
    order.sort_by_key(|m| m.target.split('/').filter(|c| !c.is_empty()).count());
    for m in order {
        mount_one(sys, root, m)?;
    }
    Ok(())
}

fn mount_one(sys: &dyn Syscall, root: &Path, m: &Mount) -> SysResult<()> {
    match &m.source {
        MountSource::Bind(src) => {
            if m.copy_up
                && let Ok(image_dir) =
                    sys::open_in_root(root, &m.target, None, libc::O_RDONLY | libc::O_DIRECTORY)
            {
                // Owners the namespace cannot give stay the container root's: with one id
                // mapped every file the container sees is already root's, so none are lost;
                // with a subuid range every id the image can hold is mapped.
                sys::copy_up(&image_dir, src)?;
            }
            let src_dir = fs::metadata(src)
                .map_err(|e| SysError::io("mount", Some(src), &e))?
                .is_dir();
            let make = if src_dir { Make::Dir } else { Make::File };
            let target = sys::open_in_root(root, &m.target, Some(make), libc::O_PATH)?;
            if sys::fd_is_dir(&target) != src_dir {
                let errno = if src_dir {
                    Errno::ENOTDIR
                } else {
                    Errno::EISDIR
                };
                return Err(SysError::new(
                    "mount",
                    Some(&in_root(root, &m.target)),
                    errno,
                ));
            }
            let source = src.to_string_lossy();
            sys.mount(
                Some(&source),
                &sys::fd_path(&target),
                None,
                libc::MS_BIND | libc::MS_REC,
                None,
            )?;
            if m.readonly {
                remount_readonly(sys, root, &m.target)?;
            }
        }
        MountSource::Tmpfs { size, mode } => {
            let target = sys::open_in_root(root, &m.target, Some(Make::Dir), libc::O_PATH)?;
            let mut data = vec![format!("mode={:o}", mode.unwrap_or(0o1777))];
            if let Some(size) = size {
                data.push(format!("size={size}"));
            }
            let mut flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            if m.readonly {
                flags |= libc::MS_RDONLY;
            }
            sys.mount(
                Some("tmpfs"),
                &sys::fd_path(&target),
                Some("tmpfs"),
                flags,
                Some(&data.join(",")),
            )?;
        }
    }
    Ok(())
}

/// The descriptor opened before the bind holds what lies under it: open the destination
/// again (still inside the root) to reach the new mount, and remount it read-only keeping
/// its locked flags.
fn remount_readonly(sys: &dyn Syscall, root: &Path, target: &str) -> SysResult<()> {
    let fd = sys::open_in_root(root, target, None, libc::O_PATH)?;
    let path = sys::fd_path(&fd);
    let locked = sys.locked_mount_flags(&path)?;
    sys.mount(
        None,
        &path,
        None,
        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | locked,
        None,
    )
}

fn in_root(root: &Path, target: &str) -> PathBuf {
    root.join(target.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::super::sys::{Call, RecordingSyscall};
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    struct Fixture {
        _tmp: tempfile::TempDir,
        root: PathBuf,
        host: PathBuf,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("rootfs");
        let host = tmp.path().join("host");
        fs::create_dir_all(root.join("data")).unwrap();
        fs::write(root.join("data/seed"), "from the image").unwrap();
        fs::set_permissions(root.join("data"), fs::Permissions::from_mode(0o770)).unwrap();
        fs::create_dir_all(&host).unwrap();
        Fixture {
            _tmp: tmp,
            root,
            host,
        }
    }

    /// (source, the target the kernel would see, flags) of each mount.
    fn mounts(rec: &RecordingSyscall) -> Vec<(Option<String>, PathBuf, libc::c_ulong)> {
        rec.mounts()
            .into_iter()
            .zip(rec.mount_targets())
            .map(|(c, seen)| match c {
                Call::Mount { source, flags, .. } => (source, seen, flags),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn binds_go_onto_descriptors_parents_first_and_read_only_keeps_locked_flags() {
        let f = fixture();
        let vol = f.host.join("vol");
        let cfg = f.host.join("app.conf");
        fs::create_dir(&vol).unwrap();
        fs::write(&cfg, "x").unwrap();
        let plan = vec![
            Mount {
                source: MountSource::Bind(cfg.clone()),
                target: "/data/sub/app.conf".into(),
                readonly: true,
                copy_up: false,
            },
            Mount {
                source: MountSource::Bind(vol.clone()),
                target: "/data".into(),
                readonly: false,
                copy_up: false,
            },
        ];
        let rec = RecordingSyscall::new();
        // The source lives on a nosuid,nodev mount: a remount must not try to clear them.
        rec.set_locked_flags(libc::MS_NOSUID | libc::MS_NODEV);
        mount_all(&rec, &f.root, &plan).unwrap();
        let bind = libc::MS_BIND | libc::MS_REC;
        let m = mounts(&rec);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(
            m[0],
            (Some(vol.display().to_string()), f.root.join("data"), bind)
        );
        assert_eq!(
            m[1],
            (
                Some(cfg.display().to_string()),
                f.root.join("data/sub/app.conf"),
                bind
            )
        );
        assert_eq!(
            m[2],
            (
                None,
                f.root.join("data/sub/app.conf"),
                libc::MS_BIND
                    | libc::MS_REMOUNT
                    | libc::MS_RDONLY
                    | libc::MS_NOSUID
                    | libc::MS_NODEV
            )
        );
        // Every target was reached through a descriptor, not a path.
        for c in rec.mounts() {
            if let Call::Mount { target, .. } = c {
                assert!(target.starts_with("/proc/self/fd/"), "{target:?}");
            }
        }
        assert!(
            f.root.join("data/sub/app.conf").is_file(),
            "file target made"
        );
        // No copy-up asked: the host dir stays empty.
        assert_eq!(fs::read_dir(&vol).unwrap().count(), 0);
    }

    #[test]
    fn a_symlinked_destination_is_resolved_inside_the_root() {
        let f = fixture();
        let outside = f.host.join("victim");
        fs::create_dir(&outside).unwrap();
        symlink(&outside, f.root.join("evil")).unwrap();
        symlink("../../../../..", f.root.join("up")).unwrap();
        let src = f.host.join("src");
        fs::create_dir(&src).unwrap();
        let plan: Vec<Mount> = ["/evil", "/up/etc/x"]
            .iter()
            .map(|t| Mount {
                source: MountSource::Bind(src.clone()),
                target: t.to_string(),
                readonly: false,
                copy_up: false,
            })
            .collect();
        let rec = RecordingSyscall::new();
        mount_all(&rec, &f.root, &plan).unwrap();
        for (_, target, _) in mounts(&rec) {
            assert!(
                target.starts_with(&f.root),
                "{target:?} is outside the root"
            );
        }
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn an_empty_volume_is_filled_from_the_image_once_with_the_dirs_mode() {
        let f = fixture();
        let vol = f.host.join("vol");
        fs::create_dir(&vol).unwrap();
        let plan = vec![Mount {
            source: MountSource::Bind(vol.clone()),
            target: "/data".into(),
            readonly: false,
            copy_up: true,
        }];
        mount_all(&RecordingSyscall::new(), &f.root, &plan).unwrap();
        assert_eq!(
            fs::read_to_string(vol.join("seed")).unwrap(),
            "from the image"
        );
        assert_eq!(fs::metadata(&vol).unwrap().mode() & 0o7777, 0o770);
        // The image's path missing: nothing to copy, the destination is made.
        let other = f.host.join("other");
        fs::create_dir(&other).unwrap();
        let plan = vec![Mount {
            source: MountSource::Bind(other.clone()),
            target: "/fresh".into(),
            readonly: false,
            copy_up: true,
        }];
        mount_all(&RecordingSyscall::new(), &f.root, &plan).unwrap();
        assert_eq!(fs::read_dir(&other).unwrap().count(), 0);
        assert!(f.root.join("fresh").is_dir());
    }

    #[test]
    fn tmpfs_takes_size_and_mode_and_a_file_cannot_cover_a_dir() {
        let f = fixture();
        let rec = RecordingSyscall::new();
        let plan = vec![Mount {
            source: MountSource::Tmpfs {
                size: Some(1 << 20),
                mode: Some(0o1770),
            },
            target: "/t".into(),
            readonly: false,
            copy_up: false,
        }];
        mount_all(&rec, &f.root, &plan).unwrap();
        match &rec.mounts()[0] {
            Call::Mount {
                fstype,
                flags,
                data,
                ..
            } => {
                assert_eq!(fstype.as_deref(), Some("tmpfs"));
                assert_eq!(*flags, libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC);
                assert_eq!(data.as_deref(), Some("mode=1770,size=1048576"));
            }
            c => panic!("{c:?}"),
        }
        let file = f.host.join("f");
        fs::write(&file, "x").unwrap();
        let plan = vec![Mount {
            source: MountSource::Bind(file),
            target: "/data".into(),
            readonly: false,
            copy_up: false,
        }];
        let e = mount_all(&RecordingSyscall::new(), &f.root, &plan).unwrap_err();
        assert_eq!(e.errno, Errno::EISDIR);
    }
}
