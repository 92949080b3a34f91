//! Hostile containers and crashes: limits hold, logs stay bounded, and a CLI killed at any
//! point leaves a store the next command can use, with no leaked mounts.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

fn cgroups_v1_pids() -> bool {
    common::is_root() && Path::new("/sys/fs/cgroup/pids").is_dir()
        || Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

#[test]
fn a_fork_bomb_is_stopped_by_the_pid_limit() {
    if !cgroups_v1_pids() {
        common::skip("no pids cgroup controller here");
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
        common::skip("memory limits need root (cgroups)");
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

/// One kill scenario: commands to set it up (run to completion), then the command killed.
struct Scenario {
    setup: Vec<Vec<String>>,
    killed: Vec<String>,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn scenario(setup: &[&str], killed: &str) -> Scenario {
    Scenario {
        setup: setup.iter().map(|c| words(c)).collect(),
        killed: words(killed),
    }
}

/// The environment variable every test container carries, so its processes can be found.
const MARK: &str = "GORAE_HARDENING_MARK";

/// Host pids of processes inside containers started with `-e MARK=mark`.
fn marked_processes(mark: &str) -> Vec<(i32, String)> {
    let needle = format!("{MARK}={mark}");
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
        })
        .map(|pid| {
            let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
            (pid, cg)
        })
        .collect()
}

/// Monitor processes of this store.
fn monitors_of(s: &Sandbox) -> Vec<i32> {
    let root = format!("GORAE_ROOT={}", s.root().display());
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            cmd.split(|b| *b == 0).any(|a| a == b"__monitor")
                && env.split(|b| *b == 0).any(|v| v == root.as_bytes())
        })
        .collect()
}

/// What must hold after any kill: the store answers, nothing "runs" without a process, and
/// every container process left belongs to a container that `ps` lists as running.
fn assert_consistent(s: &Sandbox, mark: &str, what: &str) {
    let ps = s.docker(&["ps", "-a"]);
    assert_eq!(ps.code, 0, "after {what}: {}", ps.stderr);
    let images = s.docker(&["images"]);
    assert_eq!(images.code, 0, "after {what}: {}", images.stderr);
    let running: Vec<String> = s
        .ok(&["ps", "-q"])
        .split_whitespace()
        .map(str::to_string)
        .collect();
    for id in &running {
        // A container whose process just ended is recorded as exited a moment later.
        let mut state = String::new();
        for _ in 0..40 {
            state = s.ok(&["inspect", "-f", "{{.State.Running}} {{.State.Pid}}", id]);
            match state.trim().strip_prefix("true ") {
                Some(pid) if !Path::new(&format!("/proc/{pid}")).exists() => {}
                _ => break,
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let pid = state.trim().strip_prefix("true ");
        assert!(
            pid.is_none_or(|pid| Path::new(&format!("/proc/{pid}")).exists()),
            "after {what}: {id} runs with no process"
        );
    }
    // A process whose monitor died is killed with it, and a monitor still starting its
    // container records it as running in a moment: allow for both.
    let mut strays = Vec::new();
    for _ in 0..40 {
        let running: Vec<String> = s
            .ok(&["ps", "-q"])
            .split_whitespace()
            .map(str::to_string)
            .collect();
        strays = marked_processes(mark)
            .into_iter()
            .filter(|(_, cg)| {
                !running
                    .iter()
                    .any(|id| cg.contains(&format!("/gorae/{id}")))
            })
            .collect();
        if strays.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        strays.is_empty(),
        "after {what}: container processes outlived their container: {strays:?}\n{}",
        ps.stdout
    );
}

/// Start `killed`, SIGKILL the CLI (`monitors: false`) or this store's monitors (`true`)
/// `delay_ms` later, and insist the CLI then ends by itself.
fn kill_during(s: &Sandbox, killed: &[String], delay_ms: u64, monitors: bool) {
    let argv: Vec<&str> = killed.iter().map(String::as_str).collect();
    let mut child = s
        .command(&argv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(delay_ms));
    if !monitors {
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    for pid in monitors_of(s) {
        // SAFETY: SIGKILL to a monitor of this test's own store.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "`docker {killed:?}` hangs after its monitor was killed at {delay_ms} ms"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Run every scenario with a kill at each delay, checking the store after each.
fn kill_at_many_points(s: &Sandbox, scenarios: &[Scenario], mark: &str, monitors: bool) {
    let mut n = 0;
    for sc in scenarios {
        for delay_ms in [0u64, 1, 3, 6, 10, 20, 40, 80] {
            n += 1;
            let fill = |a: &String| a.replace("{n}", &n.to_string());
            for cmd in &sc.setup {
                let argv: Vec<String> = cmd.iter().map(fill).collect();
                let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                s.ok(&argv);
            }
            let killed: Vec<String> = sc.killed.iter().map(fill).collect();
            kill_during(s, &killed, delay_ms, monitors);
            let who = if monitors { "monitor" } else { "CLI" };
            assert_consistent(
                s,
                mark,
                &format!("{who} killed in {killed:?} at {delay_ms} ms"),
            );
        }
    }
}

/// After the kills: everything can be removed, nothing is left mounted, staged or running,
/// and the engine works.
fn assert_clean_after_kills(s: &Sandbox, mark: &str) {
    for id in s.ok(&["ps", "-aq"]).split_whitespace() {
        s.ok(&["rm", "-f", id]);
    }
    assert!(
        store_mounts(s).is_empty(),
        "mounts leaked: {:?}",
        store_mounts(s)
    );
    let tmp = common::tmp_left(&s.root());
    assert!(tmp.is_empty(), "staging files left behind: {tmp:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        marked_processes(mark),
        Vec::new(),
        "container processes leaked"
    );
    // Root's containers have cgroups (`gorae/<id>`, shared by every store): none may outlive
    // its container, whoever was killed while it started.
    let left = || -> Vec<String> {
        containers_ever_created(s)
            .into_iter()
            .filter(|id| {
                ["pids", "memory", "unified"]
                    .iter()
                    .any(|h| Path::new(&format!("/sys/fs/cgroup/{h}/gorae/{id}")).exists())
                    || Path::new(&format!("/sys/fs/cgroup/gorae/{id}")).exists()
            })
            .collect()
    };
    // A monitor's own removal may still be waiting for its container's last processes.
    let start = Instant::now();
    while !left().is_empty() && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(left(), Vec::<String>::new(), "cgroups leaked");
    let out = s.ok(&["run", "--rm", "busybox", "echo", "still fine"]);
    assert_eq!(out.trim(), "still fine");
}

/// The IDs of every container this store's event feed says was created.
fn containers_ever_created(s: &Sandbox) -> Vec<String> {
    let feed = std::fs::read_to_string(s.root().join("events.jsonl")).unwrap_or_default();
    let mut ids: Vec<String> = feed
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["type"] == "container" && e["action"] == "create")
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn a_cli_killed_at_many_points_leaves_a_usable_store() {
    let s = pulled();
    let mark = format!("cli-{}", std::process::id());
    let e = format!("{MARK}={mark}");
    s.ok(&[
        "run",
        "--name",
        "base",
        "busybox",
        "sh",
        "-c",
        "echo data > /d; rm /bin/vi",
    ]);
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM busybox\nRUN echo built > /b\nCOPY f /f\nRUN cat /f /b > /both\n",
    )
    .unwrap();
    std::fs::write(ctx.path().join("f"), "from the context\n").unwrap();
    let build = format!("build -t built{{n}} {}", ctx.path().display());
    let scenarios = vec![
        scenario(&[], &format!("run -e {e} busybox sh -c true")),
        scenario(&[], "commit base snap"),
        scenario(&[], &format!("run -d -e {e} busybox sleep 5")),
        scenario(
            &[&format!("run -d -e {e} --name gone{{n}} busybox sleep 30")],
            "rm -f gone{n}",
        ),
        scenario(&[], &build),
        scenario(&[], "pull debian"),
    ];
    kill_at_many_points(&s, &scenarios, &mark, false);
    // Commit and build work after the kills.
    s.ok(&["commit", "base", "snap2"]);
    let out = s.ok(&["run", "--rm", "snap2", "cat", "/d"]);
    assert_eq!(out.trim(), "data");
    s.ok(&["build", "-t", "after", &ctx.path().display().to_string()]);
    let out = s.ok(&["run", "--rm", "after", "cat", "/both"]);
    assert_eq!(out, "from the context\nbuilt\n");
    assert_clean_after_kills(&s, &mark);
}

#[test]
fn a_monitor_killed_at_many_points_leaves_a_usable_store() {
    let s = pulled();
    let mark = format!("monitor-{}", std::process::id());
    let e = format!("{MARK}={mark}");
    let running = format!("run -d -e {e} --name c{{n}} busybox sleep 30");
    let scenarios = vec![
        scenario(&[], &format!("run --rm -e {e} busybox sh -c true")),
        scenario(&[], &format!("run -e {e} busybox touch /f")),
        scenario(&[], &format!("run -d -e {e} busybox sleep 30")),
        scenario(&[&running], "stop -t 1 c{n}"),
        scenario(&[&running], "rm -f c{n}"),
        scenario(&[&running], "exec c{n} sh -c true"),
        scenario(&[&running], "commit c{n} snap{n}"),
    ];
    kill_at_many_points(&s, &scenarios, &mark, true);
    assert_clean_after_kills(&s, &mark);
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
    assert!(!Path::new("/tmp/hostproc").exists());
    assert!(!Path::new("/tmp/hostdev").exists());
}

/// A mount destination that is a symlink in the image (to a host path, or up and out with
/// `..`) is resolved inside the container's root, as Docker's FollowSymlinkInScope: the
/// volume lands inside the container and nothing is made or written on the host.
#[test]
fn a_symlinked_mount_destination_in_the_image_stays_inside_the_container() {
    let s = pulled();
    let victim = s.dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let script = format!(
        "ln -s {} /evil; ln -s ../../../../../../{} /up; true",
        victim.display(),
        victim.display()
    );
    s.ok(&["run", "--name", "mk", "busybox", "sh", "-c", &script]);
    s.ok(&["commit", "mk", "evil-links"]);
    for dest in ["/evil", "/up/deeper"] {
        let vol = format!("v{}:{dest}", dest.len());
        let out = s.ok(&[
            "run",
            "--rm",
            "-v",
            &vol,
            "evil-links",
            "sh",
            "-c",
            &format!("echo pwned > {dest}/f && cat {dest}/f"),
        ]);
        assert_eq!(out, "pwned\n", "{dest}");
        let bind = format!("{}:{dest}", s.dir.path().join("src").display());
        s.ok(&["run", "--rm", "-v", &bind, "evil-links", "true"]);
    }
    assert_eq!(
        std::fs::read_dir(&victim).unwrap().count(),
        0,
        "a destination symlink led onto the host"
    );
}

/// runc's CVE-2021-30465: one container swaps a symlink into a shared volume while another
/// starts with a mount whose destination passes through that volume. Whatever the timing, the
/// second container's mount is made inside its own root, never on the host.
#[test]
fn a_symlink_swapped_into_a_shared_volume_cannot_redirect_another_containers_mount() {
    let s = pulled();
    let marker = format!("gorae-cve-{}", std::process::id());
    let host_target = Path::new("/tmp").join(&marker);
    // The attacker flips /s/x between a directory and a symlink to the host's /tmp, as fast
    // as it can.
    s.ok(&[
        "run",
        "-d",
        "--name",
        "swapper",
        "-v",
        "shared:/s",
        "busybox",
        "sh",
        "-c",
        "end=$(( $(date +%s) + 20 )); while [ $(date +%s) -lt $end ]; do \
           rm -rf /s/x; mkdir -p /s/x; rm -rf /s/x; ln -s /tmp /s/x; done",
    ]);
    let dest = format!("/s/x/{marker}");
    let mut started = 0;
    for _ in 0..20 {
        let r = s.docker(&[
            "run",
            "--rm",
            "-v",
            "shared:/s",
            "-v",
            &format!("other:{dest}"),
            "busybox",
            "sh",
            "-c",
            "echo in > /mnt-check 2>/dev/null; true",
        ]);
        if r.code == 0 {
            started += 1;
        }
        assert!(
            !host_target.exists(),
            "the mount was made on the host at {}",
            host_target.display()
        );
    }
    let _ = s.docker(&["rm", "-f", "swapper"]);
    assert!(
        started > 0,
        "no container started while the link was swapped"
    );
    assert!(!host_target.exists());
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

#[test]
fn a_workdir_through_an_open_descriptor_stays_inside_the_container() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "fds", "busybox", "sleep", "60"]);
    // Whatever descriptors the runtime holds while it changes directory, none leads out:
    // either the directory does not work, or it is one of the container's own.
    let host_marker = std::env::temp_dir().join(format!("gorae-host-{}", std::process::id()));
    std::fs::write(&host_marker, "host").unwrap();
    for n in 0..40 {
        let wd = format!("/proc/self/fd/{n}");
        let script = "pwd; ls -a /proc/self/cwd/ 2>&1; ls .. 2>&1";
        for r in [
            s.docker(&["run", "--rm", "-w", &wd, "busybox", "sh", "-c", script]),
            s.docker(&["exec", "-w", &wd, "fds", "sh", "-c", script]),
        ] {
            let name = host_marker
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            assert!(
                !r.stdout.contains(&name) && !r.stdout.contains("(unreachable)"),
                "-w {wd} reached the host: {}",
                r.stdout
            );
            if r.code == 0 {
                let pwd = r.stdout.lines().next().unwrap_or_default();
                assert!(pwd.starts_with('/'), "-w {wd}: cwd {pwd:?}");
            }
        }
    }
    let _ = std::fs::remove_file(&host_marker);
    s.ok(&["rm", "-f", "fds"]);
}

/// (path, size, mode) of everything in the store except `skip` (a container's own dir) and the
/// files every command appends to.
fn store_listing(root: &std::path::Path, skip: &std::path::Path) -> Vec<(String, u64, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.starts_with(skip) || p.ends_with("events.jsonl") || p.ends_with("tmp") {
            continue;
        }
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        out.push((p.display().to_string(), m.len(), m.mode()));
        if m.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            stack.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out.sort();
    out
}

/// The host's default gateway (/proc/net/route), which pasta maps to the host itself.
fn host_gateway() -> Option<String> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&"00000000")).then_some(())?;
        let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
        Some(std::net::Ipv4Addr::from(gw.to_le_bytes()).to_string())
    })
}

/// A non-loopback IPv4 address of this host, if it has one.
fn host_address() -> Option<String> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // Connecting a UDP socket sends nothing; it only picks the outgoing address.
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback()).then(|| ip.to_string())
}

#[test]
fn root_in_a_container_reaches_nothing_privileged_outside() {
    let s = pulled();
    // A host process the container will try to kill, and a privileged host service (a port
    // below 1024, on every address) it will try to reach. Containers may reach the host's
    // other services at its gateway address, as on Docker (tests/networks.rs, egress), never
    // the privileged ones (sshd and the like): N's rules drop them.
    let mut victim = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let listener = (600..1000).find_map(|p| std::net::TcpListener::bind(("0.0.0.0", p)).ok());
    let port = listener.as_ref().map(|l| l.local_addr().unwrap().port());
    let targets: Vec<String> = [host_address(), host_gateway()]
        .into_iter()
        .flatten()
        .collect();
    // The predefined networks and the store's init layer (a lower dir of every container,
    // which the wrecker must not reach either) exist before the look: a first run makes them.
    s.ok(&["run", "--rm", "busybox", "true"]);
    // The image's layers live in the layer pool, the store refers to them.
    let listing = || {
        let mut l = store_listing(&s.root(), &s.root().join("containers"));
        l.extend(store_listing(&s.pool, &s.pool.join("lock")));
        l
    };
    let store_before = listing();
    assert!(
        store_before.iter().any(|e| e.0.contains("/layers/")),
        "the listing covers the image's layers"
    );
    assert!(
        store_before
            .iter()
            .any(|e| e.0.contains("/init-layer/etc/hosts")),
        "the listing covers the init layer"
    );
    let script = format!(
        "echo b > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ; \
         mount -o remount,rw /proc/sys 2>/dev/null && echo REMOUNT_PROC; \
         mount -o remount,rw /sys 2>/dev/null && echo REMOUNT_SYS; \
         mount -o remount,rw / 2>/dev/null; \
         kill -9 {victim} 2>/dev/null && echo KILLED; \
         {reach} \
         find / -xdev -name 'gorae-test-*' 2>/dev/null | grep -q . && echo SEES_STORE; \
         rm -rf /bin /etc /lib /usr /root /home /var /tmp 2>/dev/null; echo done",
        victim = victim.id(),
        reach = match port {
            Some(port) => targets
                .iter()
                .map(|a| format!("nc -w 2 {a} {port} </dev/null 2>/dev/null && echo REACHED;"))
                .collect::<String>(),
            None => String::new(),
        },
    );
    let r = s.docker(&["run", "--name", "wrecker", "busybox", "sh", "-c", &script]);
    assert!(r.stdout.contains("done"), "{} {}", r.stdout, r.stderr);
    for bad in [
        "SYSRQ",
        "REMOUNT_PROC",
        "REMOUNT_SYS",
        "KILLED",
        "REACHED",
        "SEES_STORE",
    ] {
        assert!(!r.stdout.contains(bad), "{bad}: {}", r.stdout);
    }
    assert!(
        victim.try_wait().unwrap().is_none(),
        "the host process died"
    );
    let _ = victim.kill();
    // Deleting the container's whole system changed only its own upper dir: the image's
    // layers, other containers and the records are as they were, and the image still runs.
    let diff = s.ok(&["diff", "wrecker"]);
    assert!(diff.contains("D /bin") && diff.contains("D /etc"), "{diff}");
    let store_after = listing();
    // The network holder's own record (net/) comes and goes with the holder.
    let holder = s.root().join("net");
    let changed: Vec<_> = store_before
        .iter()
        .filter(|e| !store_after.contains(e))
        .chain(store_after.iter().filter(|e| !store_before.contains(e)))
        .filter(|e| !Path::new(&e.0).starts_with(&holder))
        .collect();
    assert!(changed.is_empty(), "the store changed: {changed:?}");
    let out = s.ok(&["run", "--rm", "busybox", "ls", "/bin/sh"]);
    assert_eq!(out.trim(), "/bin/sh");
    drop(listener);
}

/// CVE-2018-15664: a running container swaps a directory for a symlink to `/` (which, read
/// from the host, would be the host's root) while `docker cp` works in both directions. Every
/// path is resolved inside the container's root, so nothing lands on or leaks from the host.
#[test]
fn cp_stays_inside_the_container_while_it_swaps_symlinks() {
    let s = pulled();
    let mark = format!("gorae-cp-escape-{}", std::process::id());
    let host_secret = std::path::PathBuf::from(format!("/tmp/{mark}-secret"));
    std::fs::write(&host_secret, "host secret\n").unwrap();
    let landed = std::path::PathBuf::from(format!("/tmp/{mark}-landed"));
    let payload = s.dir.path().join(format!("{mark}-landed"));
    std::fs::write(&payload, "payload\n").unwrap();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "swapper",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /w; while true; do rm -rf /w; mkdir /w; rm -rf /w; ln -s /tmp /w; done",
    ]);
    let out = s.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let secret_name = format!("{mark}-secret");
    for _ in 0..40 {
        // Into the container: at worst into its /tmp (through its own symlink), never the host's.
        let _ = s.docker(&["cp", payload.to_str().unwrap(), "swapper:/w/"]);
        assert!(
            !landed.exists(),
            "docker cp wrote through a swapped symlink onto the host"
        );
        // Out of it: never the host's file.
        let r = s.docker(&["cp", &format!("swapper:/w/{secret_name}"), "-"]);
        assert!(
            !r.stdout.contains("host secret"),
            "docker cp read the host's file through a swapped symlink"
        );
        let _ = s.docker(&["cp", "swapper:/w", out.to_str().unwrap()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if std::fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p.clone());
            }
            if std::fs::read_to_string(&p).is_ok_and(|t| t.contains("host secret")) {
                found.push(p);
            }
        }
    }
    assert!(found.is_empty(), "host files copied out: {found:?}");
    s.ok(&["rm", "-f", "swapper"]);
    let _ = std::fs::remove_file(&host_secret);
    let _ = std::fs::remove_file(&landed);
}

/// A hostile layer that claims another's diff ID (busybox's, which every store trusts by
/// name) is refused, and the shared layer pool never publishes it: a store pulling busybox
/// from the same pool afterwards gets the real one.
#[test]
fn a_layer_that_lies_about_its_diff_id_never_reaches_the_shared_pool() {
    use sha2::{Digest, Sha256};
    let sha = |d: &[u8]| hex::encode(Sha256::digest(d));
    let hostile = Sandbox::new();
    let victim = Sandbox::sharing(&hostile.pool);
    let mut honest = Sandbox::new();
    honest.pool = "none".into();
    honest.ok(&["pull", "-q", "busybox"]);
    let claimed = honest.ok(&["inspect", "-f", "{{index .RootFS.Layers 0}}", "busybox"]);
    let claimed = claimed.trim().to_string();
    assert!(claimed.starts_with("sha256:"), "{claimed}");

    let mut layer = tar::Builder::new(Vec::new());
    let evil = b"#!/bin/sh\necho owned\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(evil.len() as u64);
    h.set_mode(0o755);
    layer.append_data(&mut h, "bin/evil", &evil[..]).unwrap();
    let layer = layer.into_inner().unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [claimed]},
    })
    .to_string();
    let config_path = format!("blobs/sha256/{}", sha(config.as_bytes()));
    let layer_path = format!("blobs/sha256/{}", sha(&layer));
    let manifest = serde_json::json!([{
        "Config": config_path, "RepoTags": ["busybox:latest"], "Layers": [layer_path],
    }])
    .to_string();
    let mut save = tar::Builder::new(Vec::new());
    for (path, data) in [
        (&config_path, config.as_bytes()),
        (&layer_path, &layer[..]),
        (&"manifest.json".to_string(), manifest.as_bytes()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        save.append_data(&mut h, path, data).unwrap();
    }
    let path = hostile.dir.path().join("hostile.tar");
    std::fs::write(&path, save.into_inner().unwrap()).unwrap();

    let r = hostile.docker(&["load", "-i", path.to_str().unwrap()]);
    assert_ne!(r.code, 0, "a lying layer was loaded: {}", r.stdout);
    assert!(r.stderr.contains("digest"), "{}", r.stderr);
    let hex = claimed.trim_start_matches("sha256:");
    let pool_layers = hostile.pool.join("layers");
    assert!(
        !pool_layers.join(hex).exists(),
        "published under busybox's name"
    );
    assert!(!pool_layers.join(format!("{hex}.done")).exists());
    assert!(!hostile.root().join("layers").join(hex).exists());

    victim.ok(&["pull", "-q", "busybox"]);
    let r = victim.docker(&["run", "--rm", "busybox", "ls", "/bin/evil"]);
    assert_ne!(r.code, 0, "the hostile file reached another store");
    assert_eq!(
        victim.ok(&["run", "--rm", "busybox", "echo", "real"]),
        "real\n"
    );
}

/// Container `id`'s pids cgroup dir: v1's hierarchy, else v2's one dir.
fn pids_cgroup(id: &str) -> std::path::PathBuf {
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        Path::new("/sys/fs/cgroup/gorae").join(id)
    } else {
        Path::new("/sys/fs/cgroup/pids/gorae").join(id)
    }
}

/// A `run` killed after it made its container's dir but before the record leaves a dir that
/// no record, so no `rm`, names (reconcile removes it later). The monitor it spawned made the
/// container's cgroups while it waited: it removes them once the CLI's pipe closes, and
/// reconcile removes those of a monitor killed too. (The kill tests above never see these:
/// they check the cgroups of containers that were created.)
#[test]
fn a_run_killed_between_its_containers_dir_and_record_leaves_no_cgroups() {
    if !common::is_root() {
        common::skip("cgroups are root's");
        return;
    }
    let s = pulled();
    // As `Store::spawn_monitor` draws it: the ID of a container yet to be created.
    let id = format!("{:0>64}", format!("dead{:x}", std::process::id()));
    let _cleanup = RemoveCgroups(id.clone());
    let mut monitor = std::process::Command::new(common::bin())
        .args(["__monitor", &id, "--await-create"])
        .env("GORAE_ROOT", s.root())
        .env("GORAE_LAYER_POOL", &s.pool)
        .env("GORAE_IMAGES", common::catalog())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !pids_cgroup(&id).exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "no cgroups made");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The CLI got as far as the container's dir, then died: its pipe to the monitor closes.
    let dir = s.root().join("containers").join(&id);
    std::fs::create_dir_all(dir.join("upper")).unwrap();
    drop(monitor.stdin.take());
    assert!(monitor.wait().unwrap().success());
    assert!(
        !pids_cgroup(&id).exists(),
        "the monitor kept cgroups that no record names"
    );
    // A killed monitor's, once reconcile takes the dir for abandoned (30 s old).
    std::fs::create_dir(pids_cgroup(&id)).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::open(&dir)
        .unwrap()
        .set_modified(old)
        .unwrap();
    s.ok(&["ps", "-a"]);
    assert!(!dir.exists(), "reconcile left the abandoned dir");
    assert!(
        !pids_cgroup(&id).exists(),
        "reconcile left the abandoned dir's cgroups"
    );
}

/// Removes container `.0`'s cgroup dirs (empty by then) when a test ends, failed or not.
struct RemoveCgroups(String);

impl Drop for RemoveCgroups {
    fn drop(&mut self) {
        let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") else {
            return;
        };
        let _ = std::fs::remove_dir(Path::new("/sys/fs/cgroup/gorae").join(&self.0));
        for e in rd.flatten() {
            let _ = std::fs::remove_dir(e.path().join("gorae").join(&self.0));
        }
    }
}
