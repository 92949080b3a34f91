//! Hostile containers and crashes: limits hold, logs stay bounded, and a CLI killed at any
//! point leaves a store the next command can use, with no leaked mounts.

mod common;

use std::time::{Duration, Instant};

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

fn cgroups_v1_pids() -> bool {
    common::is_root() && std::path::Path::new("/sys/fs/cgroup/pids").is_dir()
        || std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

#[test]
fn a_fork_bomb_is_stopped_by_the_pid_limit() {
    if !cgroups_v1_pids() {
        eprintln!("skipped: no pids cgroup controller here");
        return;
    }
    let s = pulled();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "bomb",
        "busybox",
        "sh",
        "-c",
        "b() { b | b & }; b; sleep 30",
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    // The host still answers quickly and the container holds at most its limit.
    let t = Instant::now();
    let ps = s.ok(&["ps"]);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "host slowed down: {:?}",
        t.elapsed()
    );
    assert!(ps.contains("bomb"), "{ps}");
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "bomb"]);
    let current = ["/sys/fs/cgroup/pids/gorae", "/sys/fs/cgroup/gorae"]
        .iter()
        .find_map(|base| {
            std::fs::read_to_string(format!("{base}/{}/pids.current", id.trim())).ok()
        });
    if let Some(n) = current {
        let n: u64 = n.trim().parse().unwrap();
        assert!(n <= 2048, "pids.current {n} over the limit");
    }
    s.ok(&["rm", "-f", "bomb"]);
}

#[test]
fn a_memory_hog_is_killed_by_the_memory_limit() {
    if !common::is_root() {
        eprintln!("skipped: memory limits need root (cgroups)");
        return;
    }
    let s = pulled();
    // `tail` keeps a line in memory until its newline, and /dev/zero has none.
    let r = s.docker(&["run", "--name", "hog", "busybox", "tail", "/dev/zero"]);
    assert_eq!(r.code, 137, "killed by the OOM killer: {}", r.stderr);
    let oom = s.ok(&["inspect", "-f", "{{.State.OOMKilled}}", "hog"]);
    assert_eq!(oom.trim(), "true");
}

#[test]
fn endless_output_keeps_the_log_bounded() {
    let s = pulled();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "chatty",
        "busybox",
        "yes",
        "spam spam spam spam spam spam spam spam",
    ]);
    std::thread::sleep(Duration::from_secs(4));
    s.ok(&["rm", "-f", "chatty"]);
    // Only the store's own size matters: the container is gone, its logs with it, and
    // while it ran the log never grew past two files of the cap.
    let r = s.docker(&[
        "run",
        "-d",
        "--name",
        "chatty2",
        "busybox",
        "yes",
        "spam spam spam spam spam spam spam spam",
    ]);
    assert_eq!(r.code, 0);
    std::thread::sleep(Duration::from_secs(4));
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "chatty2"]);
    let dir = s.root().join("containers").join(id.trim());
    let total: u64 = ["log.jsonl", "log.jsonl.1"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(total > 0);
    assert!(
        total <= 2 * (16 << 20) + (1 << 20),
        "logs grew to {total} bytes"
    );
    let tail = s.ok(&["logs", "--tail", "2", "chatty2"]);
    assert_eq!(tail.lines().count(), 2, "{tail}");
    s.ok(&["rm", "-f", "chatty2"]);
}

fn store_mounts(s: &Sandbox) -> Vec<String> {
    let root = s.root().to_string_lossy().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&root))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_cli_killed_at_many_points_leaves_a_usable_store() {
    let s = pulled();
    s.ok(&[
        "run",
        "--name",
        "base",
        "busybox",
        "sh",
        "-c",
        "echo data > /d; rm /bin/vi",
    ]);
    let scenarios: Vec<Vec<String>> = vec![
        vec![
            "run".into(),
            "busybox".into(),
            "sh".into(),
            "-c".into(),
            "echo x".into(),
        ],
        vec!["commit".into(), "base".into(), "snap".into()],
        vec![
            "run".into(),
            "-d".into(),
            "busybox".into(),
            "sleep".into(),
            "5".into(),
        ],
        vec!["pull".into(), "debian".into()],
    ];
    for args in &scenarios {
        for delay_ms in [0u64, 2, 5, 10, 20, 40] {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut child = s
                .command(&argv)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
            // The next commands work and agree with each other.
            let ps = s.docker(&["ps", "-a"]);
            assert_eq!(
                ps.code, 0,
                "after killing {args:?} at {delay_ms} ms: {}",
                ps.stderr
            );
            let images = s.docker(&["images"]);
            assert_eq!(images.code, 0, "{}", images.stderr);
        }
    }
    // No container claims to run without a live process behind it.
    std::thread::sleep(Duration::from_millis(200));
    for id in s.ok(&["ps", "-q"]).split_whitespace() {
        let pid = s.ok(&["inspect", "-f", "{{.State.Pid}}", id]);
        let pid: i32 = pid.trim().parse().unwrap();
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{id} runs with no process"
        );
    }
    // Everything can be cleaned up, and commit works after the kills.
    s.ok(&["commit", "base", "snap2"]);
    let out = s.ok(&["run", "--rm", "snap2", "cat", "/d"]);
    assert_eq!(out.trim(), "data");
    for id in s.ok(&["ps", "-aq"]).split_whitespace() {
        s.ok(&["rm", "-f", id]);
    }
    assert!(
        store_mounts(&s).is_empty(),
        "mounts leaked: {:?}",
        store_mounts(&s)
    );
    let tmp = std::fs::read_dir(s.root().join("tmp")).unwrap().count();
    assert_eq!(tmp, 0, "staging files left behind");
}

#[test]
fn a_symlinked_dev_or_proc_in_the_image_cannot_redirect_the_runtime() {
    let s = pulled();
    // Make an image whose /proc, /dev and /etc/hosts are symlinks pointing at the host.
    s.ok(&[
        "run", "--name", "evil", "busybox", "sh", "-c",
        "rm -rf /proc /dev /etc/hosts 2>/dev/null; ln -s /tmp/hostproc /proc; ln -s /tmp/hostdev /dev; ln -s /etc/shadow /etc/hosts; true",
    ]);
    s.ok(&["commit", "evil", "evil"]);
    let out = s.ok(&[
        "run",
        "--rm",
        "evil",
        "sh",
        "-c",
        "ls /proc/self/status && echo ok",
    ]);
    assert!(out.contains("ok"), "{out}");
    assert!(!std::path::Path::new("/tmp/hostproc").exists());
    assert!(!std::path::Path::new("/tmp/hostdev").exists());
}

#[test]
fn a_container_cannot_reach_the_gorae_binary_through_proc_while_exec_joins() {
    let s = pulled();
    // Inside: watch every process that appears for an exe link that leads to gorae's binary
    // (the runc CVE-2019-5736 path: a joining process is visible in the container's /proc).
    s.ok(&[
        "run",
        "-d",
        "--name",
        "watcher",
        "busybox",
        "sh",
        "-c",
        "end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do \
           for p in /proc/[0-9]*; do l=$(readlink $p/exe 2>/dev/null); \
             case \"$l\" in *gorae*) echo LEAK $l;; esac; \
             head -c 1 $p/exe >/dev/null 2>&1 && case \"$l\" in *gorae*) echo READ $l;; esac; \
           done; done; echo watched",
    ]);
    for _ in 0..30 {
        let _ = s.docker(&["exec", "watcher", "true"]);
    }
    let out = s.ok(&["wait", "watcher"]);
    assert_eq!(out.trim(), "0");
    let logs = s.ok(&["logs", "watcher"]);
    assert!(logs.contains("watched"), "{logs}");
    assert!(!logs.contains("LEAK") && !logs.contains("READ"), "{logs}");
}
