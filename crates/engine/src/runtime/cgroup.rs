//! Resource limits: a `gorae/<id>` cgroup per container with a PID limit, a memory limit and
//! (cgroup v1) a device allowlist. Works with cgroup v1, v2 and hybrids; where a controller
//! cannot be used (no permission, rootless) the container runs without it.

use std::fs;
use std::path::{Path, PathBuf};

/// podman's default; Docker has none.
pub const DEFAULT_PIDS_MAX: u64 = 2048;
/// Generous for lessons, small enough that a memory hog cannot take the machine.
pub const DEFAULT_MEMORY_MAX: u64 = 1 << 30;

const CGROUP: &str = "/sys/fs/cgroup";

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
}

fn is_v2() -> bool {
    Path::new(CGROUP).join("cgroup.controllers").exists()
}

fn write(path: &Path, value: &str) -> bool {
    fs::write(path, value).is_ok()
}

/// Create the container's cgroups and apply limits (best effort: missing controllers skipped).
pub fn create(id: &str) -> Cgroups {
    let mut cg = Cgroups::default();
    if is_v2() {
        let dir = Path::new(CGROUP).join("gorae");
        if fs::create_dir_all(&dir).is_ok() {
            let _ = fs::write(dir.join("cgroup.subtree_control"), "+pids +memory");
            let own = dir.join(id);
            if fs::create_dir_all(&own).is_ok() {
                write(&own.join("pids.max"), &DEFAULT_PIDS_MAX.to_string());
                write(&own.join("memory.max"), &DEFAULT_MEMORY_MAX.to_string());
                write(&own.join("memory.swap.max"), "0");
                cg.dirs.push(own);
            }
        }
        return cg;
    }
    for ctrl in ["pids", "memory", "devices"] {
        let base = Path::new(CGROUP).join(ctrl);
        if !base.is_dir() {
            continue;
        }
        let own = base.join("gorae").join(id);
        if fs::create_dir_all(&own).is_err() {
            continue;
        }
        let ok = match ctrl {
            "pids" => write(&own.join("pids.max"), &DEFAULT_PIDS_MAX.to_string()),
            "memory" => {
                let ok = write(
                    &own.join("memory.limit_in_bytes"),
                    &DEFAULT_MEMORY_MAX.to_string(),
                );
                write(
                    &own.join("memory.memsw.limit_in_bytes"),
                    &DEFAULT_MEMORY_MAX.to_string(),
                );
                ok
            }
            _ => {
                let ok = write(&own.join("devices.deny"), "a")
                    && DEVICE_ALLOW
                        .iter()
                        .all(|r| write(&own.join("devices.allow"), r));
                cg.devices_guarded = ok;
                ok
            }
        };
        if ok {
            cg.dirs.push(own);
        } else {
            let _ = fs::remove_dir(&own);
        }
    }
    cg
}

impl Cgroups {
    pub fn add(&self, pid: i32) {
        for d in &self.dirs {
            write(&d.join("cgroup.procs"), &pid.to_string());
        }
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

    /// Whether the memory controller recorded an OOM kill.
    pub fn oom_killed(&self) -> bool {
        self.dirs.iter().any(|d| {
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
            ["pids", "memory", "devices"]
                .iter()
                .map(|c| base.join(c).join("gorae").join(id)),
        )
        .filter(|d| d.is_dir())
        .collect();
    for d in &dirs {
        if write(&d.join("cgroup.kill"), "1") {
            continue;
        }
        let procs = fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            super::sys::kill(pid, libc::SIGKILL);
        }
    }
    Cgroups {
        dirs,
        devices_guarded: false,
    }
    .remove();
}

/// Put the calling process into the cgroups of process `pid` (for `exec`).
pub fn join_existing(pid: i32) {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/cgroup")) else {
        return;
    };
    let me = std::process::id().to_string();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !path.contains("/gorae/") {
            continue;
        }
        let dir = if ctrls.is_empty() {
            Path::new(CGROUP).join(path.trim_start_matches('/'))
        } else {
            let ctrl = ctrls.split(',').next().unwrap_or("");
            Path::new(CGROUP)
                .join(ctrl)
                .join(path.trim_start_matches('/'))
        };
        write(&dir.join("cgroup.procs"), &me);
    }
}
