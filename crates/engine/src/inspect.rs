//! Looking into a container from the host: its processes (`docker top`) and the bytes it
//! wrote (`docker ps -s`). The CLI formats what these return.

use std::os::unix::fs::MetadataExt;
use std::time::SystemTime;

use super::container::Container;
use super::{EngineError, Result, Store};

/// One process of a running container, as `docker top` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    /// The user name from the host's passwd file, else the uid.
    pub user: String,
    pub pid: i32,
    pub ppid: String,
    /// `pts/N`, or `?` without a terminal.
    pub tty: String,
    /// User plus system CPU time, in whole seconds.
    pub cpu_secs: u64,
    /// When the process started (its /proc dir's time).
    pub started: Option<SystemTime>,
    /// The command line, arguments joined by spaces.
    pub cmd: String,
}

/// Host processes in the container's PID namespace.
pub fn container_pids(c: &Container) -> Vec<i32> {
    let Ok(ns) = std::fs::read_link(format!("/proc/{}/ns/pid", c.state.pid)) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .filter(|pid: &i32| {
                    std::fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|l| l == ns)
                })
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

impl Store {
    /// `docker top`: the processes of a running container (by name or ID), read from /proc.
    pub fn top(&self, name: &str) -> Result<Vec<ProcessRow>> {
        let c = self.resolve_container(name)?;
        if !c.is_running() {
            return Err(EngineError::NotRunning(c.id.clone()));
        }
        let users = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let user_name = |uid: &str| {
            users
                .lines()
                .find(|l| l.split(':').nth(2) == Some(uid))
                .and_then(|l| l.split(':').next())
                .unwrap_or(uid)
                .to_string()
        };
        let hz = crate::runtime::sys::clock_ticks();
        let mut rows = Vec::new();
        for pid in container_pids(&c) {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some(close) = stat.rfind(')') else {
                continue;
            };
            let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
            let ppid = f.get(1).unwrap_or(&"0").to_string();
            let tty_nr: u64 = f.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
            let cpu: u64 = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
                + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            let secs = cpu / hz;
            let uid = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("Uid:"))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
                })
                .unwrap_or_else(|| "0".into());
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| {
                    String::from_utf8_lossy(&b)
                        .split('\0')
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let tty = if tty_nr == 0 {
                "?".to_string()
            } else {
                format!("pts/{}", (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00))
            };
            let started = std::fs::metadata(format!("/proc/{pid}"))
                .and_then(|m| m.modified())
                .ok();
            rows.push(ProcessRow {
                user: user_name(&uid),
                pid,
                ppid,
                tty,
                cpu_secs: secs,
                started,
                cmd: cmdline,
            });
        }
        Ok(rows)
    }

    /// Bytes written by the container (its overlay upper dir, as Docker's SizeRw): every
    /// non-dir entry's size, hard links counted once. Entries the user cannot read are
    /// skipped.
    pub fn container_size(&self, id: &str) -> u64 {
        tree_size(&self.upper_dir(id))
    }
}

/// Bytes under `dir`: every non-dir entry's size, hard links counted once. Entries the user
/// cannot read are skipped. (A container's SizeRw, a volume's reclaimed space.)
pub fn tree_size(dir: &std::path::Path) -> u64 {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.nlink() <= 1 || seen.insert((m.dev(), m.ino())) {
                total += m.len();
            }
        }
    }
    total
}
