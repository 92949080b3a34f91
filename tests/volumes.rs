//! Volumes and mounts through the real binary, as root and as the rootless users (`learner`
//! with a subuid range, `plain` with one id): data that outlives its container, copy-up with
//! the image's owner and mode, read-only binds, `-v` making a missing host dir, `--mount
//! type=bind` refusing one, volumes in use, prune, `rm -v`, `run --rm`, a Dockerfile VOLUME.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Sandbox;

fn pulled(images: &[&str]) -> Sandbox {
    let s = Sandbox::new();
    for i in images {
        s.ok(&["pull", i]);
    }
    s
}

fn names(out: &str) -> Vec<&str> {
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn is_anonymous_name(n: &str) -> bool {
    n.len() == 64 && n.chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
fn data_in_a_named_volume_outlives_its_container_and_a_used_volume_stays() {
    let s = pulled(&["busybox"]);
    s.ok(&[
        "run",
        "--name",
        "writer",
        "-v",
        "data:/data",
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/f",
    ]);
    s.ok(&["rm", "writer"]);
    assert_eq!(
        s.ok(&[
            "run",
            "--rm",
            "-v",
            "data:/data",
            "busybox",
            "cat",
            "/data/f"
        ]),
        "kept\n"
    );
    assert_eq!(
        s.ok(&["volume", "ls"]),
        "DRIVER    VOLUME NAME\nlocal     data\n"
    );
    let inspect: serde_json::Value =
        serde_json::from_str(&s.ok(&["volume", "inspect", "data"])).unwrap();
    let v = &inspect[0];
    assert_eq!(v["Name"], "data");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert!(v["Labels"].is_null() && v["Options"].is_null(), "{v}");
    let mountpoint = v["Mountpoint"].as_str().unwrap();
    assert_eq!(Path::new(mountpoint), s.root().join("volumes/data/_data"));
    assert_eq!(
        std::fs::read_to_string(Path::new(mountpoint).join("f")).unwrap(),
        "kept\n"
    );

    // In use by a container, even a stopped one: Docker's message, exit 1, and it stays.
    let id = s.ok(&["create", "--name", "user", "-v", "data:/data", "busybox"]);
    let r = s.docker(&["volume", "rm", "data"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        format!(
            "Error response from daemon: remove data: volume is in use - [{}]",
            id.trim()
        )
    );
    let r = s.docker(&["volume", "rm", "-f", "data"]);
    assert_eq!(r.code, 1, "-f does not remove a volume in use");
    // The container shows the mount, and ps finds it by volume name and destination.
    let mounts = s.ok(&["inspect", "-f", "{{json .Mounts}}", "user"]);
    let m: serde_json::Value = serde_json::from_str(&mounts).unwrap();
    assert_eq!(m[0]["Type"], "volume");
    assert_eq!(m[0]["Name"], "data");
    assert_eq!(m[0]["Destination"], "/data");
    assert_eq!(m[0]["Driver"], "local");
    assert_eq!(m[0]["RW"], true);
    for f in ["volume=data", "volume=/data"] {
        let out = s.ok(&[
            "ps",
            "-a",
            "--filter",
            f,
            "--format",
            "{{.Names}} {{.Mounts}} {{.LocalVolumes}}",
        ]);
        assert_eq!(out, "user data 1\n", "{f}");
    }
    assert_eq!(s.ok(&["ps", "-aq", "--filter", "volume=other"]), "");
    s.ok(&["rm", "user"]);
    assert_eq!(s.ok(&["volume", "rm", "data"]), "data\n");
    assert!(!s.root().join("volumes/data").exists());
    // Gone: Docker's message; with -f no error (and the CLI still names it).
    let r = s.docker(&["volume", "inspect", "data"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "Error response from daemon: get data: no such volume"
    );
    assert_eq!(s.ok(&["volume", "rm", "-f", "data"]), "data\n");
    // The events Docker emits (`volume create|mount|unmount|destroy`, the name as ID).
    let ev = s.ok(&[
        "events",
        "--since",
        "0",
        "--until",
        "0s",
        "--filter",
        "type=volume",
    ]);
    for action in ["create", "mount", "unmount", "destroy"] {
        assert!(
            ev.contains(&format!(" volume {action} data ")),
            "{action}: {ev}"
        );
    }
}

#[test]
fn an_empty_volume_takes_the_images_content_owner_and_mode_a_bind_never_does() {
    let s = pulled(&["busybox", "redis"]);
    // redis's /data belongs to uid 999 in the image: so does the new volume's root.
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "rdata:/data",
        "redis",
        "stat",
        "-c",
        "%u:%g %a",
        "/data",
    ]);
    if common::is_root() {
        assert_eq!(out.trim(), "999:999 755");
        let m = std::fs::metadata(s.root().join("volumes/rdata/_data")).unwrap();
        assert_eq!((m.uid(), m.gid()), (999, 999));
    }
    // The image's /etc is copied into an empty volume, modes kept.
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "etc:/etc",
        "busybox",
        "sh",
        "-c",
        "cat /etc/passwd | head -1; stat -c %a /etc/passwd",
    ]);
    assert!(out.starts_with("root:"), "{out}");
    let mode_in_image = s.ok(&["run", "--rm", "busybox", "stat", "-c", "%a", "/etc/passwd"]);
    assert!(out.ends_with(&mode_in_image), "{out} vs {mode_in_image}");
    // Not empty any more: a second container sees what the first left, not the image's.
    s.ok(&[
        "run",
        "--rm",
        "-v",
        "etc:/etc",
        "busybox",
        "rm",
        "/etc/group",
    ]);
    let r = s.docker(&[
        "run",
        "--rm",
        "-v",
        "etc:/etc",
        "busybox",
        "ls",
        "/etc/group",
    ]);
    assert_ne!(r.code, 0, "copy-up only fills an empty volume");
    // nocopy: the volume stays empty.
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "bare:/etc:nocopy",
        "busybox",
        "ls",
        "-A",
        "/etc",
    ]);
    assert_eq!(out, "");
    let out = s.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,src=bare2,dst=/etc,volume-nocopy",
        "busybox",
        "ls",
        "-A",
        "/etc",
    ]);
    assert_eq!(out, "");
    // A bind mount shows the host dir as it is.
    let host = s.dir.path().join("empty-host");
    std::fs::create_dir(&host).unwrap();
    let spec = format!("{}:/etc", host.display());
    assert_eq!(
        s.ok(&["run", "--rm", "-v", &spec, "busybox", "ls", "-A", "/etc"]),
        ""
    );
    assert_eq!(std::fs::read_dir(&host).unwrap().count(), 0);
}

#[test]
fn binds_read_only_missing_sources_and_tmpfs_behave_as_dockers() {
    let s = pulled(&["busybox"]);
    let host = s.dir.path().join("made/by/v");
    let spec = format!("{}:/h", host.display());
    s.ok(&[
        "run",
        "--rm",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "echo hi > /h/f",
    ]);
    assert!(host.is_dir(), "-v makes a missing host dir");
    assert_eq!(std::fs::read_to_string(host.join("f")).unwrap(), "hi\n");
    // Read-only: writes are refused, reads work.
    let ro = format!("{}:/h:ro", host.display());
    let r = s.docker(&[
        "run",
        "--rm",
        "-v",
        &ro,
        "busybox",
        "sh",
        "-c",
        "cat /h/f; echo no > /h/g",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "hi\n");
    assert!(r.stderr.contains("Read-only file system"), "{}", r.stderr);
    assert!(!host.join("g").exists());
    let m = format!("type=bind,source={},target=/h,readonly", host.display());
    let r = s.docker(&["run", "--rm", "--mount", &m, "busybox", "touch", "/h/g"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // --mount type=bind with a missing source is Docker's daemon error, and nothing is made.
    let missing = s.dir.path().join("nope");
    let m = format!("type=bind,src={},dst=/x", missing.display());
    let r = s.docker(&["run", "--rm", "--mount", &m, "busybox", "true"]);
    assert_eq!(r.code, 125);
    assert_eq!(
        r.stderr.trim(),
        format!(
            "docker: Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: {}\n\n\
             Run 'docker run --help' for more information",
            missing.display()
        )
    );
    assert!(!missing.exists());
    assert_eq!(s.ok(&["ps", "-aq"]), "", "no container was left");
    // Flag errors are the CLI's (125 with usage), daemon errors Docker's.
    let r = s.docker(&[
        "run",
        "--rm",
        "--mount",
        "target=/x,bogus=1",
        "busybox",
        "true",
    ]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("invalid argument \"target=/x,bogus=1\" for \"--mount\" flag: unexpected key 'bogus' in 'bogus=1'"), "{}", r.stderr);
    let r = s.docker(&["run", "--rm", "-v", "data:rel", "busybox", "true"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr
            .contains("invalid mount path: 'rel' mount path must be absolute"),
        "{}",
        r.stderr
    );
    let r = s.docker(&[
        "run", "--rm", "-v", "aa:/d", "-v", "bb:/d", "busybox", "true",
    ]);
    assert!(
        r.code == 125 && r.stderr.contains("Duplicate mount point: /d"),
        "{}",
        r.stderr
    );
    // tmpfs: size and mode, gone with the container.
    let out = s.ok(&[
        "run",
        "--rm",
        "--mount",
        "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770",
        "busybox",
        "sh",
        "-c",
        "stat -c %a /t; grep ' /t ' /proc/mounts",
    ]);
    assert!(out.starts_with("1770\n"), "{out}");
    assert!(
        out.contains("size=1024k") && out.contains("nosuid,nodev,noexec"),
        "{out}"
    );
    assert_eq!(
        s.ok(&["volume", "ls", "-q"]),
        "",
        "binds and tmpfs make no volumes"
    );
}

#[test]
fn anonymous_volumes_go_with_rm_v_and_run_rm_named_ones_stay_prune_takes_the_rest() {
    let s = pulled(&["busybox"]);
    s.ok(&[
        "run",
        "--rm",
        "-v",
        "named:/n",
        "-v",
        "/anon",
        "busybox",
        "sh",
        "-c",
        "echo x > /anon/f; echo y > /n/f",
    ]);
    assert_eq!(
        s.ok(&["volume", "ls", "-q"]),
        "named\n",
        "--rm removes only the anonymous one"
    );
    s.ok(&[
        "create", "--name", "c1", "-v", "named:/n", "-v", "/anon", "busybox",
    ]);
    let vols = s.ok(&["volume", "ls", "-q"]);
    assert_eq!(names(&vols).len(), 2);
    s.ok(&["rm", "-v", "c1"]);
    assert_eq!(
        s.ok(&["volume", "ls", "-q"]),
        "named\n",
        "rm -v removes only the anonymous one"
    );
    // Without -v the anonymous volume stays (dangling), for prune to find.
    s.ok(&[
        "create",
        "--name",
        "c2",
        "--mount",
        "type=volume,dst=/anon2",
        "busybox",
    ]);
    s.ok(&["rm", "c2"]);
    let vols = s.ok(&["volume", "ls", "-q", "--filter", "dangling=true"]);
    let anon: Vec<&str> = names(&vols)
        .into_iter()
        .filter(|n| is_anonymous_name(n))
        .collect();
    assert_eq!(anon.len(), 1, "{vols}");
    let anon = anon[0].to_string();
    let inspect = s.ok(&["volume", "inspect", "-f", "{{json .Labels}}", &anon]);
    assert_eq!(inspect.trim(), r#"{"com.docker.volume.anonymous":""}"#);
    s.ok(&["volume", "create", "--label", "keep=yes", "labelled"]);
    s.ok(&[
        "run", "-d", "--name", "busy", "-v", "inuse:/u", "busybox", "sleep", "60",
    ]);
    assert_eq!(
        s.ok(&["volume", "ls", "-q", "--filter", "label=keep=yes"]),
        "labelled\n"
    );
    assert_eq!(
        s.ok(&["volume", "ls", "-q", "--filter", "name=abel"]),
        "labelled\n"
    );
    assert_eq!(
        s.ok(&["volume", "ls", "-q", "--filter", "dangling=false"]),
        "inuse\n"
    );
    assert_eq!(
        s.ok(&[
            "volume",
            "ls",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels}}",
            "-f",
            "name=labelled"
        ]),
        "labelled local keep=yes\n"
    );
    let r = s.docker(&["volume", "ls", "--filter", "bogus=1"]);
    assert_eq!(r.code, 1);
    let r = s.docker(&["volume", "ls", "--filter", "dangling=maybe"]);
    assert!(
        r.code == 1 && r.stderr.contains("Invalid filter 'dangling=[maybe]'")
            || r.stderr.contains("dangling=[maybe]"),
        "{}",
        r.stderr
    );
    // prune without -a: anonymous, unused ones only.
    let out = s.ok(&["volume", "prune", "-f"]);
    assert_eq!(
        out,
        format!("Deleted Volumes:\n{anon}\n\nTotal reclaimed space: 0B\n")
    );
    // Asked and refused: nothing goes.
    let mut c = s.command(&["volume", "prune", "-a"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(
        "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
    ));
    assert_eq!(
        names(&s.ok(&["volume", "ls", "-q"])),
        ["inuse", "labelled", "named"]
    );
    // -a with a label filter, then -a: every unused one, the one in use stays.
    let out = s.ok(&["volume", "prune", "-a", "-f", "--filter", "label=keep"]);
    assert!(out.starts_with("Deleted Volumes:\nlabelled\n\n"), "{out}");
    let out = s.ok(&["volume", "prune", "-a", "-f"]);
    assert_eq!(
        out,
        "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 2B\n"
    );
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "inuse\n");
    s.ok(&["rm", "-f", "busy"]);
}

#[test]
fn a_dockerfile_volume_is_an_anonymous_volume_filled_from_the_image() {
    let s = pulled(&["busybox"]);
    let ctx = s.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN mkdir -p /vol && echo seed > /vol/f && chmod 0750 /vol\nVOLUME /vol\n",
    )
    .unwrap();
    s.ok(&["build", "-q", "-t", "withvol", ctx.to_str().unwrap()]);
    s.ok(&[
        "run",
        "--name",
        "v1",
        "withvol",
        "sh",
        "-c",
        "cat /vol/f; stat -c %a /vol; echo more >> /vol/f",
    ]);
    let out = s.ok(&["logs", "v1"]);
    assert_eq!(out, "seed\n750\n");
    let m: serde_json::Value =
        serde_json::from_str(&s.ok(&["inspect", "-f", "{{json .Mounts}}", "v1"])).unwrap();
    assert_eq!(m[0]["Destination"], "/vol");
    let name = m[0]["Name"].as_str().unwrap().to_string();
    assert!(is_anonymous_name(&name), "{name}");
    let data = s.root().join("volumes").join(&name).join("_data/f");
    assert_eq!(std::fs::read_to_string(data).unwrap(), "seed\nmore\n");
    // A named volume given for the same path replaces the anonymous one.
    s.ok(&["run", "--rm", "-v", "mine:/vol", "withvol", "true"]);
    assert_eq!(
        names(&s.ok(&["volume", "ls", "-q"])).len(),
        2,
        "only v1's and mine"
    );
    s.ok(&["rm", "-v", "v1"]);
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "mine\n");
}

#[test]
fn volume_help_and_errors_are_dockers() {
    let s = Sandbox::new();
    let out = s.ok(&["volume", "--help"]);
    for sub in ["create", "inspect", "ls", "prune", "rm"] {
        assert!(out.contains(&format!("  {sub}")), "{out}");
    }
    let r = s.docker(&["volume", "frob"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("unknown command: docker volume frob"),
        "{}",
        r.stderr
    );
    let r = s.docker(&["volume", "create", "x"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "Error response from daemon: create x: volume name is too short, names should be at least two alphanumeric characters"
    );
    let r = s.docker(&["volume", "create", "-d", "foo", "xy"]);
    assert_eq!(
        r.stderr.trim(),
        "Error response from daemon: create xy: error looking up volume plugin foo: plugin \"foo\" not found"
    );
    assert_eq!(s.ok(&["volume", "create", "dup"]), "dup\n");
    assert_eq!(
        s.ok(&["volume", "create", "dup"]),
        "dup\n",
        "the same name again is the same volume"
    );
    // In Korean.
    let r = s.docker_env(&["volume", "rm", "nosuch"], &[("LANG", "ko_KR.UTF-8")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("그런 볼륨이 없습니다"), "{}", r.stderr);
    let r = s.docker_env(
        &[
            "run",
            "--rm",
            "--mount",
            "type=bind,src=/nonexistent-gorae,dst=/x",
            "busybox",
            "true",
        ],
        &[("LANG", "ko_KR.UTF-8")],
    );
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains("원본 경로가 없습니다") && !r.stderr.contains("does not exist"),
        "{}",
        r.stderr
    );
}

// --- rootless ---

struct User {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

/// The user `name`, when the test can switch to it (it must start as root).
fn user(name: &str) -> Option<User> {
    if !common::is_root() {
        common::skip(format_args!(
            "this test switches to the '{name}' user and so must start as root"
        ));
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let Some(line) = passwd.lines().find(|l| l.split(':').next() == Some(name)) else {
        common::skip(format_args!("no user '{name}'"));
        return None;
    };
    let f: Vec<&str> = line.split(':').collect();
    Some(User {
        name: name.into(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        home: f[5].into(),
    })
}

struct Rootless {
    u: User,
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Rootless {
    fn new(u: User) -> Rootless {
        let dir = tempfile::Builder::new()
            .prefix("gorae-vol-rootless-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("store");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::chown(&root, Some(u.uid), Some(u.gid)).unwrap();
        std::os::unix::fs::chown(dir.path(), Some(u.uid), Some(u.gid)).unwrap();
        Rootless { u, _dir: dir, root }
    }

    fn docker(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(common::bin())
            .arg("docker")
            .args(args)
            .uid(self.u.uid)
            .gid(self.u.gid)
            .env_clear()
            .env("HOME", &self.u.home)
            .env("USER", &self.u.name)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("GORAE_ROOT", &self.root)
            .env("GORAE_IMAGES", common::catalog())
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.docker(args);
        assert_eq!(code, 0, "docker {args:?} as {}: {err}", self.u.name);
        out
    }
}

/// The first id of `name`'s range in /etc/subuid.
fn subuid_start(name: &str) -> Option<u32> {
    std::fs::read_to_string("/etc/subuid")
        .ok()?
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name))
                .then(|| f.get(1)?.parse().ok())
                .flatten()
        })
}

#[test]
fn with_a_subuid_range_files_in_a_volume_keep_their_owners_inside() {
    let Some(u) = user("learner") else {
        return;
    };
    let Some(start) = subuid_start("learner") else {
        common::skip("'learner' needs a subuid range");
        return;
    };
    let r = Rootless::new(u);
    r.ok(&["pull", "busybox"]);
    r.ok(&[
        "run",
        "--rm",
        "-v",
        "shared:/d",
        "busybox",
        "chmod",
        "777",
        "/d",
    ]);
    // redis's uid writes; the next container, and the host, see its owner.
    r.ok(&[
        "run",
        "--rm",
        "-u",
        "999:999",
        "-v",
        "shared:/d",
        "busybox",
        "sh",
        "-c",
        "echo mine > /d/f",
    ]);
    let out = r.ok(&[
        "run",
        "--rm",
        "-v",
        "shared:/d",
        "busybox",
        "sh",
        "-c",
        "stat -c '%u:%g' /d/f; cat /d/f",
    ]);
    assert_eq!(out, "999:999\nmine\n");
    let host = std::fs::metadata(r.root.join("volumes/shared/_data/f")).unwrap();
    assert_eq!(
        host.uid(),
        start + 998,
        "999 inside is the range's 999th id outside"
    );
    // Copy-up as the user: the image's content, its modes.
    let out = r.ok(&[
        "run",
        "--rm",
        "-v",
        "etc:/etc",
        "busybox",
        "head",
        "-1",
        "/etc/passwd",
    ]);
    assert!(out.starts_with("root:"), "{out}");
    // A read-only bind of a host dir on a nosuid,nodev mount keeps those locked flags.
    let host_dir = r.root.parent().unwrap().join("hostdir");
    std::fs::create_dir(&host_dir).unwrap();
    std::os::unix::fs::chown(&host_dir, Some(r.u.uid), Some(r.u.gid)).unwrap();
    let spec = format!("{}:/h:ro", host_dir.display());
    let (code, _, err) = r.docker(&["run", "--rm", "-v", &spec, "busybox", "touch", "/h/x"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    let out = r.ok(&[
        "run",
        "--rm",
        "-v",
        "/dev:/hostdev:ro",
        "busybox",
        "ls",
        "/hostdev/null",
    ]);
    assert_eq!(out, "/hostdev/null\n");
    // Volumes holding other ids' files are removed whole.
    assert_eq!(
        r.ok(&["volume", "prune", "-a", "-f"]).lines().next(),
        Some("Deleted Volumes:")
    );
    assert_eq!(r.ok(&["volume", "ls", "-q"]), "");
    assert_eq!(
        std::fs::read_dir(r.root.join("volumes")).unwrap().count(),
        0
    );
    assert_eq!(common::tmp_left(&r.root), Vec::<std::ffi::OsString>::new());
}

#[test]
fn with_one_id_volumes_work_and_the_cli_says_what_cannot_be_kept() {
    let Some(u) = user("plain") else {
        return;
    };
    assert!(
        !common::has_subuid_range("plain"),
        "'plain' must have no subuid range"
    );
    let r = Rootless::new(u);
    r.ok(&["pull", "busybox"]);
    let (code, out, err) = r.docker(&[
        "run",
        "--rm",
        "-v",
        "data:/d",
        "busybox",
        "sh",
        "-c",
        "echo kept > /d/f; chown 33 /d/f; stat -c %u /d/f",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "0\n", "the one id is all there is");
    assert!(
        err.contains("WARNING") && err.contains("/etc/subuid") && err.contains("not kept"),
        "{err}"
    );
    assert_eq!(
        r.ok(&["run", "--rm", "-v", "data:/d", "busybox", "cat", "/d/f"]),
        "kept\n"
    );
    let host = std::fs::metadata(r.root.join("volumes/data/_data/f")).unwrap();
    assert_eq!(host.uid(), r.u.uid);
    // Korean too.
    let (_, _, err) = {
        let out = Command::new(common::bin())
            .args(["docker", "run", "--rm", "-v", "data:/d", "busybox", "true"])
            .uid(r.u.uid)
            .gid(r.u.gid)
            .env_clear()
            .env("HOME", &r.u.home)
            .env("USER", &r.u.name)
            .env("LANG", "ko_KR.UTF-8")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("GORAE_ROOT", &r.root)
            .env("GORAE_IMAGES", common::catalog())
            .current_dir("/")
            .output()
            .unwrap();
        (0, (), String::from_utf8_lossy(&out.stderr).to_string())
    };
    assert!(err.contains("하위 ID"), "{err}");
    let spec = format!("{}:/h:ro", r.root.parent().unwrap().display());
    let (code, _, err) = r.docker(&["run", "--rm", "-v", &spec, "busybox", "touch", "/h/x"]);
    assert_eq!(code, 1, "{err}");
    r.ok(&["volume", "rm", "data"]);
    assert_eq!(r.ok(&["volume", "ls", "-q"]), "");
}

/// `-v /:/host` hands the container the host's whole file system, as Docker does: as root the
/// container's root writes where the host's root can (lesson 09's warning), while rootless its
/// root is the learner on the host and root's files stay out of reach.
#[test]
fn binding_the_host_root_gives_as_much_as_the_engine_has() {
    if !common::is_root() {
        common::skip("binding / as root needs root");
        return;
    }
    let s = pulled(&["busybox"]);
    // A root-only directory on the host: the container writes into it through /host.
    let secret = tempfile::Builder::new()
        .prefix("gorae-host-root-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        secret.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let inside = format!("/host{}/written", secret.path().display());
    s.ok(&[
        "run",
        "--rm",
        "-v",
        "/:/host",
        "busybox",
        "sh",
        "-c",
        &format!("echo from-a-container > {inside}"),
    ]);
    let written = secret.path().join("written");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "from-a-container\n"
    );
    assert_eq!(std::fs::metadata(&written).unwrap().uid(), 0);
    let Some(u) = user("learner") else {
        return;
    };
    let r = Rootless::new(u);
    r.ok(&["pull", "busybox"]);
    let (code, _, err) = r.docker(&[
        "run",
        "--rm",
        "-v",
        "/:/host",
        "busybox",
        "sh",
        "-c",
        &format!("id -u; echo again > {inside}"),
    ]);
    assert_eq!(
        code, 1,
        "a rootless container's root is not the host's: {err}"
    );
    assert!(err.contains("Permission denied"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "from-a-container\n"
    );
    // What the host lets the learner read, the container reads.
    let (code, out, err) = r.docker(&[
        "run",
        "--rm",
        "-v",
        "/:/host",
        "busybox",
        "ls",
        "/host/home",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l == "learner"), "{out}");
}
