//! User namespaces: the id maps of a rootless container, and helpers that run as root of a
//! namespace mapped like a container's (to remove or read trees of its other users).

use std::fs;
use std::path::Path;

use super::sys::{self, LinuxSyscall, SysError, SysResult, Syscall};

/// Map root in the container's user namespace to us (and, with /etc/subuid ranges and
/// newuidmap, further ids to our subordinate range so images with other users work).
pub fn write_id_maps(pid: i32) -> SysResult<()> {
    let (uid, gid) = (sys::getuid(), sys::getgid());
    let range = |file: &str| subordinate_range(file, uid);
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
        fs::write(format!("/proc/{pid}/{name}"), data).map_err(|e| SysError::io(name, None, &e))
    };
    w("setgroups", "deny".into())?;
    w("uid_map", format!("0 {uid} 1\n"))?;
    w("gid_map", format!("0 {gid} 1\n"))
}

/// Our range in /etc/subuid or /etc/subgid (by user name or uid): (first id, count).
fn subordinate_range(file: &str, uid: u32) -> Option<(u64, u64)> {
    let user = std::env::var("USER").unwrap_or_default();
    subordinate_range_in(&fs::read_to_string(file).ok()?, &user, uid)
}

/// The range of `user` (or `uid`) in the text of /etc/subuid or /etc/subgid.
pub fn subordinate_range_in(text: &str, user: &str, uid: u32) -> Option<(u64, u64)> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() == 3 && (f[0] == user || f[0] == uid.to_string()))
            .then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?)))
            .flatten()
    })
}

/// Whether this process's containers get one id only: rootless without subordinate ranges
/// (or without newuidmap to map them). Then every file a container sees is its root's.
pub fn maps_one_id_when_rootless() -> bool {
    let uid = sys::getuid();
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    };
    super::is_rootless()
        && !(subordinate_range("/etc/subuid", uid).is_some()
            && subordinate_range("/etc/subgid", uid).is_some()
            && on_path("newuidmap")
            && on_path("newgidmap"))
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
    // Helpers are single-threaded, as joining a new user namespace needs.
    if LinuxSyscall.unshare(libc::CLONE_NEWUSER).is_err() {
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
