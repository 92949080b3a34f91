//! `docker cp` through the binary: both ways, files and directories, a stopped container,
//! `-a`, `-L`, tar streams with `-`, Docker's placement rules and messages.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

fn exec(s: &Sandbox, name: &str, script: &str) -> String {
    s.ok(&["exec", name, "sh", "-c", script])
}

/// A small tree on the host: d/a.txt, d/sub/b.
fn host_tree(s: &Sandbox) -> std::path::PathBuf {
    let d = s.dir.path().join("d");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("a.txt"), "hello\n").unwrap();
    std::fs::write(d.join("sub/b"), "deep\n").unwrap();
    d
}

#[test]
fn files_and_directories_go_both_ways_as_docker_places_them() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "300"]);
    let d = host_tree(&s);
    let dp = d.to_str().unwrap();
    // A directory into an existing directory keeps its name; into a new path becomes it.
    assert_eq!(s.ok(&["cp", dp, "box:/tmp"]), "");
    assert_eq!(
        exec(&s, "box", "cat /tmp/d/a.txt /tmp/d/sub/b"),
        "hello\ndeep\n"
    );
    s.ok(&["cp", dp, "box:/srv"]);
    assert_eq!(exec(&s, "box", "cat /srv/a.txt"), "hello\n");
    // `SRC/.` copies the contents; a file onto a new name becomes that file.
    s.ok(&["cp", &format!("{dp}/."), "box:/tmp"]);
    assert_eq!(exec(&s, "box", "cat /tmp/a.txt"), "hello\n");
    s.ok(&["cp", &format!("{dp}/a.txt"), "box:/etc/renamed"]);
    assert_eq!(exec(&s, "box", "cat /etc/renamed"), "hello\n");
    // Owned by the container's root, unless -a keeps the host's ids.
    assert_eq!(exec(&s, "box", "stat -c %u:%g /tmp/d/a.txt"), "0:0\n");
    // Out again.
    let out = s.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    s.ok(&["cp", "box:/etc/hostname", out.to_str().unwrap()]);
    assert!(out.join("hostname").is_file());
    s.ok(&["cp", "box:/tmp/d", out.join("again").to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(out.join("again/sub/b")).unwrap(),
        "deep\n"
    );
    s.ok(&[
        "cp",
        "box:/tmp/d/a.txt",
        out.join("one.txt").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(out.join("one.txt")).unwrap(),
        "hello\n"
    );
}

#[test]
fn a_stopped_container_is_copied_to_and_from() {
    let s = pulled();
    s.ok(&["create", "--name", "idle", "busybox", "cat", "/root/note"]);
    let note = s.dir.path().join("note");
    std::fs::write(&note, "written while stopped\n").unwrap();
    s.ok(&["cp", note.to_str().unwrap(), "idle:/root/note"]);
    assert_eq!(s.ok(&["start", "-a", "idle"]), "written while stopped\n");
    let back = s.dir.path().join("back");
    s.ok(&["cp", "idle:/root/note", back.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(back).unwrap(),
        "written while stopped\n"
    );
    assert!(s.ok(&["diff", "idle"]).contains("A /root/note"));
}

#[test]
fn links_archive_mode_and_tar_streams() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "300"]);
    exec(
        &s,
        "box",
        "echo target > /tmp/real; ln -s /tmp/real /tmp/link",
    );
    let out = s.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Without -L a symlink is copied as one; with -L its target, under the link's name.
    s.ok(&["cp", "box:/tmp/link", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_link(out.join("link")).unwrap(),
        Path::new("/tmp/real")
    );
    std::fs::remove_file(out.join("link")).unwrap();
    s.ok(&["cp", "-L", "box:/tmp/link", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(out.join("link")).unwrap(),
        "target\n"
    );
    // `-` out: a tar with the file under its own name.
    let mut c = s.command(&["cp", "box:/tmp/real", "-"]);
    let o = c.output().unwrap();
    let mut ar = tar::Archive::new(o.stdout.as_slice());
    let names: Vec<String> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["real"]);
    // `-` in: a tar stream from stdin, extracted into a directory with the archive's ids (-a).
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o640);
    h.set_uid(1234);
    h.set_gid(55);
    b.append_data(&mut h, "from-tar", &b"hi\n"[..]).unwrap();
    let data = b.into_inner().unwrap();
    let mut c = s.command(&["cp", "-a", "-", "box:/tmp"]);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if common::is_root() {
        assert_eq!(
            exec(&s, "box", "stat -c '%u:%g %a' /tmp/from-tar"),
            "1234:55 640\n"
        );
    }
    let mut c = s.command(&["cp", "-", "box:/tmp/from-tar"]);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "destination \"box:/tmp/from-tar\" must be a directory"
    );
}

#[test]
fn refusals_are_dockers() {
    let s = pulled();
    s.ok(&["create", "--name", "idle", "busybox", "true"]);
    let cases: [(&[&str], &str); 5] = [
        (
            &["cp", "idle:/nope", "."],
            "Error response from daemon: Could not find the file /nope in container idle",
        ),
        (
            &["cp", "idle:/a", "idle:/b"],
            "copying between containers is not supported",
        ),
        (
            &["cp", "a", "b"],
            "must specify at least one container source",
        ),
        (
            &["cp", "/nonexistent-gorae-src", "idle:/"],
            "lstat /nonexistent-gorae-src: no such file or directory",
        ),
        (
            &["cp", "ghost:/x", "."],
            "Error response from daemon: No such container: ghost",
        ),
    ];
    for (args, want) in cases {
        let r = s.docker(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim(), want, "{args:?}");
    }
    let ko = s.docker_env(&["cp", "idle:/nope", "."], &[("GORAE_LANG", "ko")]);
    assert!(ko.stderr.contains("찾을 수 없습니다"), "{}", ko.stderr);
}

/// On a terminal Docker's CLI ends with its summary on stderr ("Successfully copied …").
#[test]
fn on_a_terminal_the_summary_is_printed() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        return common::skip("no script(1) to give the copy a terminal");
    }
    let s = pulled();
    s.ok(&["create", "--name", "idle", "busybox", "true"]);
    let dest = s.dir.path().join("hn");
    let cmd = format!(
        "GORAE_ROOT={} GORAE_IMAGES={} {} docker cp idle:/etc/passwd {}",
        s.root().display(),
        common::catalog().display(),
        common::bin().display(),
        dest.display()
    );
    let o = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("LANG", "C.UTF-8")
        .env_remove("GORAE_LANG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let size = std::fs::metadata(&dest).unwrap().len();
    assert!(
        text.contains(&format!("Successfully copied {size}B (transferred ")),
        "{text}"
    );
    assert!(text.contains(&format!(") to {}", dest.display())), "{text}");
}
