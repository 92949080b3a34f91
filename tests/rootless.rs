//! Rootless: the engine as an unprivileged user in a user namespace, with /etc/subuid ranges
//! (`learner`) and without (`plain`); CI creates both. Run as root, the tests switch to that
//! user for every command.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

struct User {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

fn user(name: &str) -> Option<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.split(':').next() == Some(name))?;
    let f: Vec<&str> = line.split(':').collect();
    Some(User {
        name: name.to_string(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        home: f[5].to_string(),
    })
}

/// `docker ARGS…` as `u`, insisting on success; its output.
fn ok_as(u: &User, root: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = as_user(u, root, args);
    assert_eq!(code, 0, "docker {args:?} as {}: {err}", u.name);
    out
}

fn as_user(u: &User, root: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = user_command(u, root, args)
        .output()
        .expect("spawn gorae as the user");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `docker ARGS…` as `u` on the store at `root`, not started yet.
fn user_command(u: &User, root: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(common::bin());
    c.arg("docker")
        .args(args)
        .uid(u.uid)
        .gid(u.gid)
        .env_clear()
        .env("HOME", &u.home)
        .env("USER", &u.name)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GORAE_ROOT", root)
        .env("GORAE_LAYER_POOL", pool_of(root))
        .env("GORAE_IMAGES", common::catalog())
        .current_dir("/")
        .stdin(Stdio::null());
    c
}

/// The layer pool of the store at `root`: beside it, so tests share nothing with the user's
/// own pool (`store_for` makes it the user's; other stores in the same dir share it).
fn pool_of(root: &std::path::Path) -> std::path::PathBuf {
    root.parent().unwrap().join("layers")
}

/// A dir this test made, given to `u`.
fn give(u: &User, dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    // SAFETY: chown of a dir this test created.
    let c = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    unsafe { libc::chown(c.as_ptr(), u.uid, u.gid) };
}

/// A store owned by `u` in a temporary dir (kept alive by the returned guard).
fn store_for(u: &User) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("gorae-rootless-")
        .tempdir()
        .unwrap();
    let root = dir.path().join("store");
    give(u, &root);
    give(u, &pool_of(&root));
    (dir, root)
}

/// The user `name`, when the test can switch to it (it must start as root).
fn switchable(name: &str) -> Option<User> {
    if !common::is_root() {
        common::skip(format_args!(
            "this test switches to the '{name}' user and so must start as root"
        ));
        return None;
    }
    let Some(u) = user(name) else {
        panic!("no '{name}' user: CI creates it (see .ci/run)");
    };
    Some(u)
}

/// `learner`, who must have /etc/subuid ranges (useradd gives them).
fn learner_with_ranges() -> Option<User> {
    let u = switchable("learner")?;
    assert!(
        common::has_subuid_range("learner"),
        "'learner' needs a subuid range"
    );
    Some(u)
}

#[test]
fn an_unprivileged_user_runs_and_commits_containers() {
    let Some(u) = learner_with_ranges() else {
        return;
    };
    let (_dir, root) = store_for(&u);
    let ok = |args: &[&str]| ok_as(&u, &root, args);
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
    let (code, out, err) = as_user(
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
    // The subordinate range gives images' other users real ids of their own.
    let id = ok(&["run", "--rm", "-u", "33:33", "busybox", "id"]);
    assert!(id.contains("uid=33") && id.contains("gid=33"), "{id}");
    assert_owned_by(&root, u.uid);
}

/// Every file the store holds belongs to `uid`: nothing was written as root.
fn assert_owned_by(root: &std::path::Path, uid: u32) {
    let u_uid = uid;
    // A `--rm` run's monitor removes its files just after the run returns: walk once settled.
    let left = common::tmp_left(root);
    assert!(left.is_empty(), "left in tmp/: {left:?}");
    // Every file the store holds belongs to the user: nothing was written as root.
    // And its layer pool, where its images' files are.
    let mut stack = vec![root.to_path_buf(), pool_of(root)];
    while let Some(p) = stack.pop() {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!(m.uid(), u_uid, "{} is not the user's", p.display());
        if m.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            stack.extend(rd.flatten().map(|e| e.path()));
        }
    }
}

#[test]
fn a_user_without_subuid_ranges_gets_one_id_and_servers_still_work() {
    let Some(u) = switchable("plain") else {
        return;
    };
    assert!(
        !common::has_subuid_range("plain"),
        "'plain' must have no subuid range"
    );
    let (_dir, root) = store_for(&u);
    let ok = |args: &[&str]| ok_as(&u, &root, args);
    let map = ok(&["run", "--rm", "busybox", "cat", "/proc/self/uid_map"]);
    assert_eq!(map.lines().count(), 1, "one id mapped: {map}");
    // What servers do when they start (chown their dirs, drop to their own user) succeeds,
    // and nothing pretends to be another id than the one the container has.
    let out = ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "chown 33:33 /tmp && su -s /bin/sh nobody -c 'id -u' ; id -u",
    ]);
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["0", "0"],
        "{out}"
    );
    // nginx (chowns to www-data and runs its workers as that user) serves.
    ok(&["run", "-d", "--name", "web", "nginx"]);
    let mut ps = String::new();
    for _ in 0..50 {
        // `top` reads the host's /proc: nginx's image, like Docker Hub's, has no `ps`.
        ps = ok(&["top", "web"]);
        if ps.contains("nginx: worker process") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let logs = ok(&["logs", "web"]);
    assert!(ps.contains("nginx: worker process"), "{ps}\n{logs}");
    let top = ok(&["ps"]);
    assert!(
        top.lines()
            .any(|l| l.contains(" Up ") && l.ends_with("web")),
        "{top}"
    );
    // Asking for another user is refused with the reason, not run as root in disguise.
    let (code, _, err) = as_user(&u, &root, &["run", "--rm", "-u", "33", "busybox", "id"]);
    assert_ne!(code, 0);
    assert!(err.contains("/etc/subuid"), "{err}");
    ok(&["rm", "-f", "web"]);
    assert_owned_by(&root, u.uid);
}

/// Removing a container removes all of it, even the dirs an unprivileged user may not read:
/// overlayfs's `work/work` (mode 000), dirs the container chmodded to 000, and (with a subuid
/// range) empty 0700 dirs of the container's other users, like nginx's cache dirs. Nothing
/// stays behind in the store's `tmp/`.
#[test]
fn removed_containers_leave_nothing_behind() {
    for name in ["plain", "learner"] {
        let Some(u) = switchable(name) else {
            return;
        };
        let (_dir, root) = store_for(&u);
        let ok = |args: &[&str]| ok_as(&u, &root, args);
        ok(&["run", "--rm", "busybox", "true"]);
        ok(&[
            "run",
            "--name",
            "locked",
            "busybox",
            "sh",
            "-c",
            "mkdir -p /d/e && echo x > /d/e/f && chmod 0 /d/e /d",
        ]);
        ok(&["rm", "locked"]);
        if common::has_subuid_range(name) {
            // An empty dir of another container user (as nginx's 0700 cache dirs).
            ok(&[
                "run",
                "--rm",
                "-u",
                "33:33",
                "busybox",
                "sh",
                "-c",
                "mkdir /tmp/q && chmod 700 /tmp/q",
            ]);
            // A full one, locked: only root of a namespace mapped like the container's can
            // see into it.
            ok(&[
                "run",
                "--rm",
                "-u",
                "33:33",
                "busybox",
                "sh",
                "-c",
                "mkdir -p /tmp/r/s && echo x > /tmp/r/s/f && chmod 0 /tmp/r/s /tmp/r",
            ]);
        }
        ok(&["ps", "-a"]);
        let left = common::tmp_left(&root);
        assert!(left.is_empty(), "{name}: left in tmp/: {left:?}");
    }
}

/// With a subuid range, nginx makes its temp dirs www-data's and 0700: unreadable to the user
/// outside. `diff` and `commit` still see everything (read as root of a user namespace mapped
/// like the container's). (Rootless layers are unpacked as the user, so in the committed image
/// the files belong to root; their modes and contents are kept.)
#[test]
fn diff_and_commit_read_what_a_containers_other_users_locked() {
    let Some(u) = learner_with_ranges() else {
        return;
    };
    let (_dir, root) = store_for(&u);
    let ok = |args: &[&str]| ok_as(&u, &root, args);
    ok(&[
        "run",
        "--name",
        "locked",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /srv/q && echo secret > /srv/q/f && chown -R 33:33 /srv/q && chmod 0700 /srv/q && chmod 0600 /srv/q/f",
    ]);
    let diff = ok(&["diff", "locked"]);
    assert!(
        diff.contains("A /srv/q") && diff.contains("A /srv/q/f"),
        "{diff}"
    );
    ok(&["commit", "locked", "locked-img"]);
    let out = ok(&[
        "run",
        "--rm",
        "locked-img",
        "sh",
        "-c",
        "cat /srv/q/f; stat -c '%a' /srv/q /srv/q/f",
    ]);
    assert_eq!(out, "secret\n700\n600\n");
    ok(&["rm", "locked"]);
    ok(&["rmi", "locked-img"]);
    assert_owned_by(&root, u.uid);
}

#[test]
fn rootless_pause_says_the_freezer_is_not_delegated_and_commit_goes_on() {
    let Some(u) = learner_with_ranges() else {
        return;
    };
    let (_dir, root) = store_for(&u);
    let ok = |args: &[&str]| ok_as(&u, &root, args);
    ok(&["run", "-d", "--name", "sleepy", "busybox", "sleep", "60"]);
    let (code, _, err) = as_user(&u, &root, &["pause", "sleepy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot pause container") && err.contains("not delegated"),
        "{err}"
    );
    // Docker's commit pauses where it can and goes on where it cannot.
    assert!(ok(&["commit", "sleepy", "snap"]).starts_with("sha256:"));
    ok(&["rm", "-f", "sleepy"]);
}

/// Restart policies as `learner`: the monitor's restarts run in the user's namespaces too
/// (tests/common/restart.rs; tests/restart.rs runs them as root).
#[test]
fn rootless_restart_policies_restart_stop_and_refuse_as_for_root() {
    let Some(u) = learner_with_ranges() else {
        return;
    };
    let (_dir, root) = store_for(&u);
    let d = |args: &[&str]| {
        let (code, stdout, stderr) = as_user(&u, &root, args);
        common::Run {
            code,
            stdout,
            stderr,
        }
    };
    d(&["pull", "busybox"]);
    common::restart::bad_values_are_refused(&d);
    common::restart::on_failure_restarts_exactly_n_times(&d);
    common::restart::always_restarts_until_stopped(&d);
    common::restart::rm_force_during_back_off(&d);
    for id in d(&["ps", "-aq"]).stdout.split_whitespace() {
        d(&["rm", "-f", id]);
    }
}

/// Health checks run rootless too: on a network (the monitor is in the holder's user
/// namespace) and without one (the probe joins the container's), with and without subuid
/// ranges.
#[test]
fn rootless_health_checks_turn_healthy_and_unhealthy() {
    for name in ["learner", "plain"] {
        let Some(u) = switchable(name) else {
            return;
        };
        let (_dir, root) = store_for(&u);
        let ok = |args: &[&str]| ok_as(&u, &root, args);
        for (c, net, check) in [
            ("good", "bridge", "true"),
            ("lone", "none", "test -d /proc/1"),
            ("sick", "bridge", "exit 1"),
        ] {
            ok(&[
                "run",
                "-d",
                "--name",
                c,
                "--network",
                net,
                "--health-cmd",
                check,
                "--health-interval",
                "200ms",
                "--health-retries",
                "1",
                "busybox",
                "sleep",
                "300",
            ]);
        }
        for (c, want) in [
            ("good", "healthy"),
            ("lone", "healthy"),
            ("sick", "unhealthy"),
        ] {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                let got = ok(&["inspect", "--format", "{{.State.Health.Status}}", c]);
                if got.trim() == want {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{name}: {c} is {got:?}, never {want}"
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let ps = ok(&["ps", "--format", "{{.Names}} {{.Status}}"]);
        assert!(
            ps.lines()
                .any(|l| l.starts_with("good ") && l.ends_with("(healthy)")),
            "{name}: {ps}"
        );
        ok(&["rm", "-f", "good", "lone", "sick"]);
        assert_owned_by(&root, u.uid);
    }
}

/// Two stores of one user share the user's pool: one copy of redis, whose containers (run as
/// the image's own user, a subordinate id) keep running when the other store removes the image;
/// the last `rmi` frees the pool; root never uses a pool that is the user's.
#[test]
fn a_users_stores_share_one_copy_of_each_layer_and_root_never_uses_it() {
    let Some(u) = learner_with_ranges() else {
        return;
    };
    let (dir, a) = store_for(&u);
    let b = dir.path().join("second");
    give(&u, &b);
    for r in [&a, &b] {
        ok_as(&u, r, &["pull", "-q", "redis"]);
    }
    let bin = "usr/bin/redis-check-rdb";
    let here = common::layer_file(&a, bin).expect("redis-server in a's layers");
    assert_eq!(
        Some(here),
        common::layer_file(&b, bin),
        "one copy for both stores"
    );
    ok_as(
        &u,
        &b,
        &["run", "-d", "--name", "db", "-u", "redis", "redis"],
    );
    ok_as(&u, &a, &["rmi", "redis"]);
    let ping = common::restart::poll(
        || as_user(&u, &b, &["exec", "db", "redis-cli", "ping"]).1,
        |o| o.trim() == "PONG",
        "redis in the other store answers",
    );
    assert_eq!(ping.trim(), "PONG");
    // It runs as the image's redis user (a subordinate id outside).
    let status = ok_as(&u, &b, &["exec", "db", "grep", "^Uid:", "/proc/1/status"]);
    let redis = ok_as(&u, &b, &["exec", "db", "id", "-u", "redis"]);
    assert_eq!(
        status.split_whitespace().nth(1),
        Some(redis.trim()),
        "{status}"
    );
    assert_owned_by(&a, u.uid);
    assert_owned_by(&b, u.uid);
    ok_as(&u, &b, &["rm", "-f", "db"]);
    ok_as(&u, &b, &["rmi", "redis"]);
    let left: Vec<_> = std::fs::read_dir(pool_of(&a).join("layers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "the last rmi frees the pool: {left:?}");

    // A pull killed mid-unpack publishes nothing another store would take half.
    let listing = [
        "run",
        "--rm",
        "debian",
        "sh",
        "-c",
        "find / -xdev | sort | md5sum",
    ];
    ok_as(&u, &b, &["pull", "-q", "debian"]);
    let want = ok_as(&u, &b, &listing);
    ok_as(&u, &b, &["rmi", "debian"]);
    for delay_ms in [20u64, 100, 250] {
        let mut child = user_command(&u, &a, &["pull", "-q", "debian"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        ok_as(&u, &b, &["pull", "-q", "debian"]);
        assert_eq!(ok_as(&u, &b, &listing), want, "killed at {delay_ms} ms");
        ok_as(&u, &b, &["rmi", "debian"]);
    }
    ok_as(&u, &a, &["system", "prune", "-a", "-f"]);
    assert_owned_by(&a, u.uid);

    // Root's store given the user's pool unpacks its own copy and leaves the pool alone.
    let mine = dir.path().join("roots");
    let out = std::process::Command::new(common::bin())
        .args(["docker", "pull", "-q", "busybox"])
        .env("GORAE_ROOT", &mine)
        .env("GORAE_LAYER_POOL", pool_of(&a))
        .env("GORAE_IMAGES", common::catalog())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(common::layer_file(&mine, "bin/busybox").is_some());
    let layers: Vec<_> = std::fs::read_dir(mine.join("layers"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        layers.iter().all(|e| !e.file_type().unwrap().is_symlink()),
        "root's store refers to nothing of the user's"
    );
    assert_eq!(
        std::fs::read_dir(pool_of(&a).join("layers"))
            .unwrap()
            .count(),
        0,
        "root published nothing into the user's pool"
    );
}

/// Runs `docker ARGS…` somehow (as root, as a user): exit code, stdout, stderr.
type Docker<'a> = dyn Fn(&[&str]) -> (i32, String, String) + 'a;

/// `--init` as Docker has it, through `docker` run by `run` (root or a user): tini is PID 1
/// with the command under it, reaps an orphan that `sleep` as PID 1 leaves a zombie, and
/// passes `docker stop`'s SIGTERM on (143: the signal reached `sleep`; 137 would be the kill
/// after the timeout, which is what `sleep` as PID 1, ignoring SIGTERM, gets).
fn init_checks(run: &Docker) {
    let ok = |args: &[&str]| {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "docker {args:?}: {err}");
        out
    };
    let orphan = "(sleep 0.1 &); exec sleep 100";
    ok(&[
        "run", "-d", "--name", "tini", "--init", "busybox", "sh", "-c", orphan,
    ]);
    ok(&["run", "-d", "--name", "bare", "busybox", "sh", "-c", orphan]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let zombies = |name: &str| {
        let ps = ok(&["exec", name, "ps", "-o", "pid,stat,args"]);
        let z = ps
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("Z"))
            .count();
        (ps, z)
    };
    let (ps, z) = zombies("tini");
    assert_eq!(z, 0, "tini reaps the orphan:\n{ps}");
    let first = ps.lines().nth(1).unwrap_or_default();
    assert!(
        first.trim_start().starts_with("1 ") && first.contains("/sbin/docker-init -- sh -c"),
        "{ps}"
    );
    let (ps, z) = zombies("bare");
    assert_eq!(z, 1, "without --init the orphan stays a zombie:\n{ps}");
    let shown = ok(&[
        "inspect",
        "-f",
        "{{.HostConfig.Init}} {{.Path}} {{json .Args}}",
        "tini",
    ]);
    assert_eq!(shown.trim(), format!("true sh [\"-c\",\"{orphan}\"]"));
    let shown = ok(&["inspect", "-f", "{{json .HostConfig}}", "bare"]);
    assert!(!shown.contains("\"Init\""), "{shown}");
    let cmd = ok(&[
        "ps",
        "--no-trunc",
        "--filter",
        "name=tini",
        "--format",
        "{{.Command}}",
    ]);
    assert_eq!(cmd.trim(), format!("\"sh -c '{orphan}'\""));
    ok(&["rm", "-f", "tini", "bare"]);

    ok(&[
        "run", "-d", "--name", "s1", "--init", "busybox", "sleep", "100",
    ]);
    ok(&["run", "-d", "--name", "s2", "busybox", "sleep", "100"]);
    ok(&["stop", "-t", "2", "s1", "s2"]);
    let codes = ok(&["inspect", "-f", "{{.State.ExitCode}}", "s1", "s2"]);
    assert_eq!(codes.split_whitespace().collect::<Vec<_>>(), ["143", "137"]);
    ok(&["rm", "s1", "s2"]);
}

#[test]
fn init_reaps_zombies_and_forwards_stop_as_root() {
    if !common::is_root() {
        return common::skip("the root case needs root");
    }
    let s = common::Sandbox::new();
    init_checks(&|args| {
        let r = s.docker(args);
        (r.code, r.stdout, r.stderr)
    });
}

#[test]
fn init_reaps_zombies_and_forwards_stop_as_learner_and_plain() {
    let Some(learner) = learner_with_ranges() else {
        return;
    };
    let Some(plain) = switchable("plain") else {
        return;
    };
    for u in [learner, plain] {
        let (_dir, root) = store_for(&u);
        init_checks(&|args| as_user(&u, &root, args));
    }
}

#[test]
fn init_without_its_binary_is_refused_in_korean_and_nothing_is_made() {
    let s = common::Sandbox::new();
    let empty = tempfile::tempdir().unwrap();
    // A catalog that has the images but not the init: a copy of the index and blobs only.
    let layout = empty.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs")).unwrap();
    std::fs::copy(
        common::catalog().join("index.json"),
        layout.join("index.json"),
    )
    .unwrap();
    std::fs::copy(
        common::catalog().join("oci-layout"),
        layout.join("oci-layout"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        common::catalog().join("blobs/sha256"),
        layout.join("blobs/sha256"),
    )
    .unwrap();
    let mut c = s.command(&["run", "--init", "busybox", "true"]);
    c.env("GORAE_IMAGES", &layout).env("LANG", "ko_KR.UTF-8");
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("docker-init이") && err.contains("images/layout/init"),
        "{err}"
    );
    let left = s.ok(&["ps", "-aq"]);
    assert_eq!(left.trim(), "", "no container is left half-made");
}
