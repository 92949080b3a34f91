//! What this machine lets gorae do (`gorae doctor`, and the TUI's first look): user
//! namespaces (and Ubuntu's AppArmor restriction of them), overlayfs in a user namespace,
//! cgroup v1/v2, subordinate id ranges and `newuidmap`, egress (pasta / slirp4netns). Typed
//! findings; the app words them and says what to do. Everything the machine is asked goes
//! through [`Host`] (files, programs, the namespace probe), so every kind of host can be
//! tested with a fake one; the probe itself runs on the [`Syscall`] trait
//! ([`probe_namespaces`], tested with `RecordingSyscall`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::net::egress::{self, Egress};
use crate::runtime::sys::{self, Errno, LinuxSyscall, Syscall};

/// The step of the namespace probe that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeStep {
    /// unshare(CLONE_NEWUSER | CLONE_NEWNS).
    Unshare,
    /// Writing our own uid_map / gid_map.
    IdMap,
    /// Mounting a tmpfs inside (needs CAP_SYS_ADMIN in the new namespace).
    Mount,
    /// Mounting an overlay inside.
    Overlay,
    /// The probe process could not be run or said nothing readable.
    Helper,
}

/// What the probe found: the first failed step and its errno; None when all worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NsProbe {
    pub failed: Option<(ProbeStep, i32)>,
}

/// What gorae needs of the host, asked through this so a test can be any host.
pub trait Host {
    fn euid(&self) -> u32;
    /// The user's name (for /etc/subuid).
    fn user(&self) -> String;
    /// A whole file (/proc/sys/…, /etc/subuid, …), None when it cannot be read.
    fn read(&self, path: &Path) -> Option<String>;
    /// Whether a program is installed (PATH and the system directories).
    fn has_program(&self, name: &str) -> bool;
    fn egress(&self) -> Egress;
    /// Try a user namespace (rootless) or a mount namespace (root) with a tmpfs and an
    /// overlay in it.
    fn probe(&self) -> NsProbe;
}

/// The sysctls that switch unprivileged user namespaces off.
pub const SYSCTL_APPARMOR: &str = "kernel.apparmor_restrict_unprivileged_userns";
pub const SYSCTL_MAX_USERNS: &str = "user.max_user_namespaces";
pub const SYSCTL_USERNS_CLONE: &str = "kernel.unprivileged_userns_clone";

fn sysctl_path(name: &str) -> PathBuf {
    Path::new("/proc/sys").join(name.replace('.', "/"))
}

/// User namespaces, as far as rootless containers need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Userns {
    /// Running as root: containers need no user namespace.
    Root,
    Works,
    /// Ubuntu's AppArmor restriction is on and gorae is not allowed (no profile for it).
    AppArmorRestricted {
        errno: i32,
    },
    /// The restriction is on, and gorae is allowed anyway (its profile is loaded).
    AppArmorAllowed,
    /// Switched off by a sysctl (`user.max_user_namespaces = 0`, Debian's
    /// `kernel.unprivileged_userns_clone = 0`).
    Disabled {
        sysctl: &'static str,
    },
    Failed {
        step: ProbeStep,
        errno: i32,
    },
}

/// Overlayfs in the containers' namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Works,
    /// Unprivileged overlayfs needs Linux 5.11 (the kernel's release is given).
    Failed {
        errno: i32,
        kernel: String,
    },
    /// Not tried: the namespace itself failed.
    Untried,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cgroups {
    V2,
    /// Only v1 (or hybrid): limits and stats work as root only.
    V1,
    /// No cgroup file system mounted.
    None,
}

/// Subordinate ids (rootless only): more than one user in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids {
    /// Not rootless.
    NotNeeded,
    Works {
        range: (u64, u64),
    },
    /// No range in /etc/subuid or /etc/subgid for the user; `free` is the first id after
    /// every range those files give (at least 100000), where a new one overlaps none.
    NoRange {
        user: String,
        free: u64,
    },
    /// A range, but newuidmap / newgidmap (Debian's `uidmap`) are missing.
    NoNewuidmap,
}

/// Everything found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub userns: Userns,
    pub overlay: Overlay,
    pub cgroups: Cgroups,
    pub ids: Ids,
    pub egress: Egress,
    /// The kernel says it is WSL2's.
    pub wsl: bool,
}

impl Report {
    /// Whether containers cannot start here at all.
    pub fn blocking(&self) -> bool {
        !matches!(
            self.userns,
            Userns::Root | Userns::Works | Userns::AppArmorAllowed
        ) || matches!(self.overlay, Overlay::Failed { .. })
    }

    /// Whether something works less than fully (containers start, but not everything does).
    pub fn limited(&self) -> bool {
        let cgroups_short = match self.cgroups {
            Cgroups::V2 => false,
            // Root makes v1 cgroups as it likes.
            Cgroups::V1 => self.userns != Userns::Root,
            Cgroups::None => true,
        };
        cgroups_short
            || matches!(self.ids, Ids::NoRange { .. } | Ids::NoNewuidmap)
            || matches!(self.egress, Egress::None(_))
    }
}

/// Look at the host.
pub fn diagnose(host: &dyn Host) -> Report {
    let sysctl = |name: &str| -> Option<i64> { host.read(&sysctl_path(name))?.trim().parse().ok() };
    let root = host.euid() == 0;
    let probe = host.probe();
    let userns = if root {
        match probe.failed {
            Some((step @ (ProbeStep::Unshare | ProbeStep::Mount | ProbeStep::Helper), errno)) => {
                Userns::Failed { step, errno }
            }
            _ => Userns::Root,
        }
    } else {
        match probe.failed {
            None | Some((ProbeStep::Overlay, _)) if sysctl(SYSCTL_APPARMOR) == Some(1) => {
                Userns::AppArmorAllowed
            }
            None | Some((ProbeStep::Overlay, _)) => Userns::Works,
            Some((_, _)) if sysctl(SYSCTL_MAX_USERNS) == Some(0) => Userns::Disabled {
                sysctl: SYSCTL_MAX_USERNS,
            },
            Some((_, _)) if sysctl(SYSCTL_USERNS_CLONE) == Some(0) => Userns::Disabled {
                sysctl: SYSCTL_USERNS_CLONE,
            },
            Some((ProbeStep::IdMap | ProbeStep::Mount | ProbeStep::Unshare, errno))
                if sysctl(SYSCTL_APPARMOR) == Some(1) =>
            {
                Userns::AppArmorRestricted { errno }
            }
            Some((step, errno)) => Userns::Failed { step, errno },
        }
    };
    let kernel = host
        .read(Path::new("/proc/sys/kernel/osrelease"))
        .unwrap_or_default()
        .trim()
        .to_string();
    let overlay = match probe.failed {
        None => Overlay::Works,
        Some((ProbeStep::Overlay, errno)) => Overlay::Failed {
            errno,
            kernel: kernel.clone(),
        },
        Some(_) => Overlay::Untried,
    };
    let cgroups = if host
        .read(Path::new("/sys/fs/cgroup/cgroup.controllers"))
        .is_some()
    {
        Cgroups::V2
    } else if host
        .read(Path::new("/proc/self/cgroup"))
        .is_some_and(|c| !c.trim().is_empty())
    {
        Cgroups::V1
    } else {
        Cgroups::None
    };
    let ids = if root {
        Ids::NotNeeded
    } else {
        let user = host.user();
        let uid = host.euid();
        let range = |file: &str| {
            host.read(Path::new(file))
                .and_then(|t| crate::runtime::subordinate_range_in(&t, &user, uid))
        };
        match (range("/etc/subuid"), range("/etc/subgid")) {
            (Some(r), Some(_))
                if host.has_program("newuidmap") && host.has_program("newgidmap") =>
            {
                Ids::Works { range: r }
            }
            (Some(_), Some(_)) => Ids::NoNewuidmap,
            _ => {
                // Ranges must not overlap another user's: start after the last one.
                let end_of = |file: &str| {
                    host.read(Path::new(file))
                        .unwrap_or_default()
                        .lines()
                        .filter_map(|l| {
                            let f: Vec<&str> = l.split(':').collect();
                            Some(f.get(1)?.parse::<u64>().ok()? + f.get(2)?.parse::<u64>().ok()?)
                        })
                        .max()
                        .unwrap_or(0)
                };
                let free = end_of("/etc/subuid")
                    .max(end_of("/etc/subgid"))
                    .max(100_000);
                Ids::NoRange { user, free }
            }
        }
    };
    let lower = kernel.to_ascii_lowercase();
    Report {
        userns,
        overlay,
        cgroups,
        ids,
        egress: host.egress(),
        wsl: lower.contains("microsoft") || lower.contains("wsl"),
    }
}

/// The probe itself, in the process that may change its namespaces (the `__probe` helper):
/// a user namespace (rootless; root only a mount namespace) mapping us to its root, a tmpfs
/// at `scratch`, and an overlay inside it, as a container's root file system is made.
pub fn probe_namespaces(sys: &dyn Syscall, scratch: &Path, rootless: bool) -> NsProbe {
    let fail = |step: ProbeStep, e: sys::SysError| NsProbe {
        failed: Some((step, e.errno as i32)),
    };
    // Who we are outside: inside, before the maps are written, we are the overflow id.
    let (uid, gid) = (sys::getuid(), sys::getgid());
    let flags = if rootless {
        libc::CLONE_NEWUSER | libc::CLONE_NEWNS
    } else {
        libc::CLONE_NEWNS
    };
    if let Err(e) = sys.unshare(flags) {
        return fail(ProbeStep::Unshare, e);
    }
    if rootless {
        let maps = [
            ("/proc/self/setgroups", "deny".to_string()),
            ("/proc/self/uid_map", format!("0 {uid} 1\n")),
            ("/proc/self/gid_map", format!("0 {gid} 1\n")),
        ];
        for (file, value) in maps {
            if let Err(e) = sys.write_file(Path::new(file), &value) {
                return fail(ProbeStep::IdMap, e);
            }
        }
    }
    let mounted = sys.make_rprivate().and_then(|()| {
        sys.mount(
            Some("tmpfs"),
            scratch,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            None,
        )
    });
    if let Err(e) = mounted {
        return fail(ProbeStep::Mount, e);
    }
    let dir = |name: &str| scratch.join(name);
    for d in ["layers/l", "upper", "work", "merged"] {
        if let Err(e) = sys.create_dir_all(&dir(d)) {
            return fail(ProbeStep::Mount, e);
        }
    }
    let overlay = crate::runtime::mount_overlay(
        sys,
        &[dir("layers/l")],
        &dir("upper"),
        &dir("work"),
        &dir("merged"),
        rootless,
    );
    match overlay {
        Ok(()) => NsProbe { failed: None },
        Err(e) => fail(ProbeStep::Overlay, e),
    }
}

/// `gorae __probe <scratch>`: run the probe in this (fresh, single-threaded) process and print
/// what it found as JSON. The namespaces go away with the process.
pub fn probe_main(args: &[String]) -> i32 {
    let Some(scratch) = args.first() else {
        return 2;
    };
    let found = probe_namespaces(
        &LinuxSyscall,
        Path::new(scratch),
        crate::runtime::is_rootless(),
    );
    match serde_json::to_string(&found) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(_) => 1,
    }
}

/// This machine.
pub struct LinuxHost;

impl Host for LinuxHost {
    fn euid(&self) -> u32 {
        sys::geteuid()
    }
    fn user(&self) -> String {
        std::env::var("USER").unwrap_or_default()
    }
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    fn has_program(&self, name: &str) -> bool {
        egress::find_program(name).is_some()
    }
    fn egress(&self) -> Egress {
        egress::availability()
    }
    fn probe(&self) -> NsProbe {
        let helper_failed = NsProbe {
            failed: Some((ProbeStep::Helper, Errno::EIO as i32)),
        };
        // An empty directory the probe mounts over in its own mount namespace: the host's
        // view of it stays empty, so it is removed as it was made.
        let scratch = std::env::temp_dir().join(format!("gorae-probe-{}", std::process::id()));
        if std::fs::create_dir_all(&scratch).is_err() {
            return helper_failed;
        }
        let out = crate::helper::Helper::Probe
            .command()
            .arg(&scratch)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        let _ = std::fs::remove_dir(&scratch);
        out.ok()
            .and_then(|o| serde_json::from_slice(&o.stdout).ok())
            .unwrap_or(helper_failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::egress::Missing;
    use crate::runtime::sys::RecordingSyscall;
    use std::collections::HashMap;

    /// A host described by its files, programs and probe answer.
    struct FakeHost {
        euid: u32,
        files: HashMap<PathBuf, String>,
        programs: Vec<&'static str>,
        egress: Egress,
        probe: NsProbe,
    }

    impl FakeHost {
        /// A rootless user on a current Debian: everything works.
        fn debian() -> FakeHost {
            let mut files = HashMap::new();
            for (k, v) in [
                ("/etc/subuid", "learner:100000:65536\n"),
                ("/etc/subgid", "learner:100000:65536\n"),
                ("/sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n"),
                ("/proc/self/cgroup", "0::/user.slice\n"),
                ("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n"),
                ("/proc/sys/user/max_user_namespaces", "63000\n"),
            ] {
                files.insert(PathBuf::from(k), v.to_string());
            }
            FakeHost {
                euid: 1000,
                files,
                programs: vec!["newuidmap", "newgidmap"],
                egress: Egress::Pasta(PathBuf::from("/usr/bin/pasta")),
                probe: NsProbe { failed: None },
            }
        }
        fn file(mut self, path: &str, text: &str) -> FakeHost {
            self.files.insert(PathBuf::from(path), text.to_string());
            self
        }
        fn no_file(mut self, path: &str) -> FakeHost {
            self.files.remove(Path::new(path));
            self
        }
        fn failing(mut self, step: ProbeStep, errno: Errno) -> FakeHost {
            self.probe = NsProbe {
                failed: Some((step, errno as i32)),
            };
            self
        }
    }

    impl Host for FakeHost {
        fn euid(&self) -> u32 {
            self.euid
        }
        fn user(&self) -> String {
            "learner".into()
        }
        fn read(&self, path: &Path) -> Option<String> {
            self.files.get(path).cloned()
        }
        fn has_program(&self, name: &str) -> bool {
            self.programs.contains(&name)
        }
        fn egress(&self) -> Egress {
            self.egress.clone()
        }
        fn probe(&self) -> NsProbe {
            self.probe
        }
    }

    #[test]
    fn a_current_debian_user_can_do_everything() {
        let r = diagnose(&FakeHost::debian());
        assert_eq!(r.userns, Userns::Works);
        assert_eq!(r.overlay, Overlay::Works);
        assert_eq!(r.cgroups, Cgroups::V2);
        assert_eq!(
            r.ids,
            Ids::Works {
                range: (100000, 65536)
            }
        );
        assert!(!r.blocking() && !r.limited() && !r.wsl);
    }

    #[test]
    fn ubuntu_24_04s_apparmor_restriction_is_named_and_blocks() {
        let host = FakeHost::debian()
            .file(
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                "1\n",
            )
            .failing(ProbeStep::Mount, Errno::EPERM);
        let r = diagnose(&host);
        assert_eq!(
            r.userns,
            Userns::AppArmorRestricted {
                errno: Errno::EPERM as i32
            }
        );
        assert_eq!(r.overlay, Overlay::Untried);
        assert!(r.blocking());
        // With gorae's profile loaded the restriction stays on, and gorae works.
        let allowed = FakeHost::debian().file(
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1\n",
        );
        let r = diagnose(&allowed);
        assert_eq!(r.userns, Userns::AppArmorAllowed);
        assert!(!r.blocking());
    }

    #[test]
    fn a_sysctl_that_switches_user_namespaces_off_is_named() {
        let host = FakeHost::debian()
            .file("/proc/sys/user/max_user_namespaces", "0\n")
            .failing(ProbeStep::Unshare, Errno::ENOSPC);
        assert_eq!(
            diagnose(&host).userns,
            Userns::Disabled {
                sysctl: SYSCTL_MAX_USERNS
            }
        );
        let host = FakeHost::debian()
            .file("/proc/sys/kernel/unprivileged_userns_clone", "0\n")
            .failing(ProbeStep::Unshare, Errno::EPERM);
        assert_eq!(
            diagnose(&host).userns,
            Userns::Disabled {
                sysctl: SYSCTL_USERNS_CLONE
            }
        );
    }

    #[test]
    fn an_old_kernel_without_unprivileged_overlayfs_blocks_and_says_its_release() {
        let host = FakeHost::debian()
            .file("/proc/sys/kernel/osrelease", "5.4.0-150-generic\n")
            .failing(ProbeStep::Overlay, Errno::EPERM);
        let r = diagnose(&host);
        assert_eq!(r.userns, Userns::Works);
        assert_eq!(
            r.overlay,
            Overlay::Failed {
                errno: Errno::EPERM as i32,
                kernel: "5.4.0-150-generic".into()
            }
        );
        assert!(r.blocking());
    }

    #[test]
    fn cgroup_v1_wsl_missing_ids_and_egress_limit_but_do_not_block() {
        let host = FakeHost {
            programs: vec![],
            egress: Egress::None(Missing::Tool),
            ..FakeHost::debian()
                .no_file("/sys/fs/cgroup/cgroup.controllers")
                .file("/proc/self/cgroup", "12:pids:/\n11:memory:/\n0::/\n")
                .file(
                    "/proc/sys/kernel/osrelease",
                    "5.15.146.1-microsoft-standard-WSL2\n",
                )
        };
        let r = diagnose(&host);
        assert_eq!(r.cgroups, Cgroups::V1);
        assert_eq!(r.ids, Ids::NoNewuidmap);
        assert!(r.wsl);
        assert!(r.limited() && !r.blocking());
        let host = FakeHost::debian().no_file("/etc/subuid");
        assert_eq!(
            diagnose(&host).ids,
            Ids::NoRange {
                user: "learner".into(),
                // After the range /etc/subgid still gives.
                free: 165536
            }
        );
        // Another user's range is not offered again.
        let host = FakeHost::debian()
            .file("/etc/subuid", "other:100000:65536\nthird:165536:65536\n")
            .file("/etc/subgid", "other:100000:65536\n");
        assert_eq!(
            diagnose(&host).ids,
            Ids::NoRange {
                user: "learner".into(),
                free: 231072
            }
        );
    }

    #[test]
    fn root_needs_no_user_namespace_or_ranges() {
        let host = FakeHost {
            euid: 0,
            ..FakeHost::debian().no_file("/etc/subuid")
        };
        let r = diagnose(&host);
        assert_eq!(r.userns, Userns::Root);
        assert_eq!(r.ids, Ids::NotNeeded);
    }

    #[test]
    fn the_probe_stops_at_the_first_step_the_kernel_refuses() {
        let dir = Path::new("/tmp/probe");
        let sys = RecordingSyscall::new();
        assert_eq!(probe_namespaces(&sys, dir, true), NsProbe { failed: None });
        let names: Vec<&str> = sys.calls().iter().map(|c| c.name()).collect();
        assert_eq!(names.first(), Some(&"unshare"));
        let overlay = sys.mounts().into_iter().any(|m| {
            matches!(m, sys::Call::Mount { fstype: Some(t), data: Some(d), .. }
                if t == "overlay" && d.contains("userxattr"))
        });
        assert!(overlay, "{names:?}");

        // AppArmor's restriction: the namespace is made, but nothing may be mounted in it.
        let sys = RecordingSyscall::new();
        sys.fail("mount", Errno::EPERM);
        assert_eq!(
            probe_namespaces(&sys, dir, true).failed,
            Some((ProbeStep::Mount, Errno::EPERM as i32))
        );
        let sys = RecordingSyscall::new();
        sys.fail("write", Errno::EPERM);
        assert_eq!(
            probe_namespaces(&sys, dir, true).failed,
            Some((ProbeStep::IdMap, Errno::EPERM as i32))
        );
        let sys = RecordingSyscall::new();
        sys.fail("unshare", Errno::ENOSPC);
        assert_eq!(
            probe_namespaces(&sys, dir, true).failed,
            Some((ProbeStep::Unshare, Errno::ENOSPC as i32))
        );
        // An overlay refused after the tmpfs was mounted.
        let sys = RecordingSyscall::new();
        sys.fail_at("mount", dir.join("merged"), Errno::EINVAL);
        assert_eq!(
            probe_namespaces(&sys, dir, true).failed,
            Some((ProbeStep::Overlay, Errno::EINVAL as i32))
        );
        // As root: only a mount namespace, no id maps.
        let sys = RecordingSyscall::new();
        probe_namespaces(&sys, dir, false);
        assert!(sys.writes().is_empty());
    }
}
