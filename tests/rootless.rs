//! Rootless: the engine as an unprivileged user (`learner`, which CI creates), in a user
//! namespace. Run as root, the test switches to that user for every command.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

struct User {
    uid: u32,
    gid: u32,
    home: String,
}

fn learner() -> Option<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("learner:"))?;
    let f: Vec<&str> = line.split(':').collect();
    Some(User {
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        home: f[5].to_string(),
    })
}

fn as_learner(u: &User, root: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::bin())
        .arg("docker")
        .args(args)
        .uid(u.uid)
        .gid(u.gid)
        .env_clear()
        .env("HOME", &u.home)
        .env("USER", "learner")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GORAE_ROOT", root)
        .env("GORAE_IMAGES", common::catalog())
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .expect("spawn gorae as learner");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn an_unprivileged_user_runs_and_commits_containers() {
    if !common::is_root() {
        eprintln!("skipped: this test switches to the 'learner' user and so must start as root");
        return;
    }
    let Some(u) = learner() else {
        panic!("no 'learner' user: CI creates it with `useradd -m learner`");
    };
    let dir = tempfile::Builder::new()
        .prefix("gorae-rootless-")
        .tempdir()
        .unwrap();
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    // SAFETY: chown of a dir this test created.
    let c = std::ffi::CString::new(root.to_str().unwrap()).unwrap();
    unsafe { libc::chown(c.as_ptr(), u.uid, u.gid) };
    let ok = |args: &[&str]| {
        let (code, out, err) = as_learner(&u, &root, args);
        assert_eq!(code, 0, "docker {args:?} as learner: {err}");
        out
    };
    let id = ok(&["run", "--rm", "busybox", "id", "-u"]);
    assert_eq!(id.trim(), "0", "root inside is the user outside");
    let map = ok(&["run", "--rm", "busybox", "cat", "/proc/self/uid_map"]);
    assert!(
        map.split_whitespace().nth(1) == Some(&u.uid.to_string()),
        "{map}"
    );
    ok(&[
        "run",
        "--name",
        "work",
        "busybox",
        "sh",
        "-c",
        "echo hi > /root/x && rm /bin/vi",
    ]);
    let diff = ok(&["diff", "work"]);
    assert!(
        diff.contains("A /root/x") && diff.contains("D /bin/vi"),
        "{diff}"
    );
    ok(&["commit", "work", "mine"]);
    let (code, out, err) = as_learner(
        &u,
        &root,
        &["run", "--rm", "mine", "sh", "-c", "cat /root/x; ls /bin/vi"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.trim(), "hi");
    ok(&["run", "-d", "--name", "bg", "busybox", "sleep", "60"]);
    let ps = ok(&["exec", "bg", "ps"]);
    assert!(ps.contains("sleep 60"), "{ps}");
    ok(&["rm", "-f", "bg", "work"]);
    // Every file the store holds belongs to the user: nothing was written as root.
    let mut stack = vec![root.clone()];
    while let Some(p) = stack.pop() {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!(m.uid(), u.uid, "{} is not the user's", p.display());
        if m.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            stack.extend(rd.flatten().map(|e| e.path()));
        }
    }
}
