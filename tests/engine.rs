//! The engine end to end through the real binary: real namespaces, overlay layers, monitors.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

#[test]
fn pull_prints_docker_lines_and_lists_the_image() {
    let s = Sandbox::new();
    let out = s.ok(&["pull", "busybox"]);
    assert!(out.contains("Using default tag: latest"), "{out}");
    assert!(out.contains(": Pull complete"), "{out}");
    assert!(out.contains("Digest: sha256:"), "{out}");
    assert!(
        out.contains("Status: Downloaded newer image for busybox:latest"),
        "{out}"
    );
    let again = s.ok(&["pull", "busybox"]);
    assert!(
        again.contains("Status: Image is up to date for busybox:latest"),
        "{again}"
    );
    assert!(again.contains(": Already exists"), "{again}");
    let images = s.ok(&["images"]);
    let header = images.lines().next().unwrap();
    assert_eq!(
        header,
        "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE"
    );
    assert!(
        images
            .lines()
            .any(|l| l.starts_with("busybox ") && l.contains("latest")),
        "{images}"
    );
    let q = s.ok(&["images", "-q"]);
    assert_eq!(q.trim().len(), 12, "{q}");
}

#[test]
fn pulling_an_unbundled_image_fails_clearly_and_changes_nothing() {
    let s = Sandbox::new();
    let r = s.docker(&["pull", "ubuntu"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("ubuntu:latest"), "{}", r.stderr);
    assert!(
        r.stderr.contains("busybox") && r.stderr.contains("debian"),
        "{}",
        r.stderr
    );
    assert_eq!(s.ok(&["images", "-q"]).trim(), "");
    let ko = s.docker_env(&["run", "ubuntu"], &[("LANG", "ko_KR.UTF-8")]);
    assert_ne!(ko.code, 0);
    assert!(ko.stderr.contains("들어 있는 이미지"), "{}", ko.stderr);
    let bad = s.docker(&["pull", "Not/Valid:"]);
    assert_ne!(bad.code, 0);
    assert!(!bad.stderr.contains("panicked"), "{}", bad.stderr);
}

#[test]
fn run_passes_output_and_exit_code_and_rm_removes() {
    let s = pulled();
    let r = s.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(r.code, 7);
    assert_eq!(r.stdout, "out\n");
    assert_eq!(r.stderr, "err\n");
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "", "--rm left a container");
    let missing = s.docker(&["run", "--rm", "busybox", "no-such-command"]);
    assert_eq!(missing.code, 127, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("executable file not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_traced_run_says_where_its_time_went_and_behaves_as_an_untraced_one() {
    let s = pulled();
    let r = s.docker_env(
        &["run", "--rm", "busybox", "sh", "-c", "echo out; exit 3"],
        &[("GORAE_TRACE_START", "1")],
    );
    assert_eq!((r.code, r.stdout.as_str()), (3, "out\n"), "{}", r.stderr);
    let phases: Vec<&str> = r
        .stderr
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    // The CLI's, the monitor's and the init's phases, each once, and the whole.
    for phase in [
        "cli-start",
        "create",
        "monitor-spawn",
        "cgroup-join",
        "rootfs",
        "seccomp",
        "exec",
        "run",
        "remove",
        "cli-exit",
        "total",
    ] {
        assert_eq!(
            phases.iter().filter(|p| **p == phase).count(),
            1,
            "{phase}: {}",
            r.stderr
        );
    }
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "", "--rm left a container");
    // Without the variable, nothing but the container's output.
    let plain = s.docker(&["run", "--rm", "busybox", "true"]);
    assert_eq!((plain.code, plain.stderr.as_str()), (0, ""));
}

#[test]
fn run_pulls_implicitly_like_docker() {
    let s = Sandbox::new();
    // `--pull never`: not there, not pulled, nothing made.
    let r = s.docker(&["run", "--pull", "never", "busybox", "true"]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim_end(),
        "docker: Error response from daemon: No such image: busybox:latest\n\n\
         Run 'docker run --help' for more information"
    );
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    let r = s.docker(&["create", "--pull=sometimes", "busybox"]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim_end(),
        "docker: invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\"\n\nRun 'docker create --help' for more information"
    );
    // Missing (the default): the daemon's lines only, as Docker's run shows them (no `Using
    // default tag`, no canonical name: those are the pull command's own).
    let r = s.docker(&["run", "--rm", "busybox", "true"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines[0], "Unable to find image 'busybox:latest' locally");
    assert_eq!(lines[1], "latest: Pulling from library/busybox");
    assert!(lines[2].ends_with(": Pull complete"), "{}", r.stderr);
    assert!(lines[3].starts_with("Digest: sha256:"), "{}", r.stderr);
    assert_eq!(
        lines[4],
        "Status: Downloaded newer image for busybox:latest"
    );
    assert_eq!(lines.len(), 5, "{}", r.stderr);
    // Present: nothing pulled; `--pull always` pulls anyway.
    let r = s.docker(&["run", "--rm", "busybox", "true"]);
    assert_eq!(r.stderr, "");
    let r = s.docker(&["run", "--rm", "--pull", "always", "busybox", "echo", "hi"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "hi\n"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Status: Image is up to date for busybox:latest"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Unable to find"), "{}", r.stderr);
    // `--pull never` with the image there runs it.
    let r = s.docker(&["run", "--rm", "--pull=never", "busybox", "echo", "ok"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ok\n"), "{}", r.stderr);
}

#[test]
fn namespaces_isolate_hostname_pids_mounts_and_network() {
    let s = pulled();
    let out = s.ok(&[
        "run", "--name", "iso", "busybox", "sh", "-c",
        "hostname; echo pids $(ls /proc | grep -c '^[0-9]'); cat /proc/net/dev | tail -n +3 | cut -d: -f1; ls /proc/self/fd",
    ]);
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "iso"]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        &id.trim()[..12],
        "hostname is the short id"
    );
    let pids: usize = lines
        .next()
        .unwrap()
        .trim_start_matches("pids ")
        .parse()
        .unwrap();
    assert!(
        pids <= 4,
        "the container sees only its own processes, saw {pids}"
    );
    let rest: Vec<&str> = lines.collect();
    let mut ifaces: Vec<&str> = rest
        .iter()
        .filter(|l| !l.trim().chars().all(|c| c.is_ascii_digit()))
        .map(|l| l.trim())
        .collect();
    ifaces.sort();
    // Its own network namespace: loopback and its eth0 on the default bridge, none of the
    // host's interfaces.
    assert_eq!(
        ifaces,
        vec!["eth0", "lo"],
        "loopback and eth0 only: {rest:?}"
    );
    let fds: Vec<&str> = rest
        .iter()
        .filter(|l| l.trim().chars().all(|c| c.is_ascii_digit()))
        .copied()
        .collect();
    assert!(
        fds.len() <= 4,
        "only 0-2 (and ls's own) fds arrive: {fds:?}"
    );
    let h = s.ok(&["run", "--rm", "-h", "web", "busybox", "hostname"]);
    assert_eq!(h.trim(), "web");
    let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mounts = s.ok(&["run", "--rm", "busybox", "cat", "/proc/mounts"]);
    assert!(
        !mounts.contains("/work/"),
        "host paths are not mounted inside: {mounts}"
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host_name
    );
}

#[test]
fn root_inside_cannot_touch_the_host() {
    let s = pulled();
    let r = s.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "mount -t tmpfs x /mnt 2>/dev/null && echo MOUNTED; \
         echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo SYSCTL; \
         hostname evil 2>/dev/null; \
         mknod /tmp/sda b 8 0 2>/dev/null && cat /tmp/sda >/dev/null 2>&1 && echo DISK; \
         unshare -U true 2>/dev/null && echo USERNS; \
         grep -q '^Seccomp:.*2' /proc/self/status || echo NOSECCOMP; \
         echo done",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for bad in ["MOUNTED", "SYSCTL", "DISK", "USERNS", "NOSECCOMP"] {
        assert!(!r.stdout.contains(bad), "{bad}: {}", r.stdout);
    }
    assert!(r.stdout.contains("done"));
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap()
            .trim(),
        "evil"
    );
}

/// The mount points and /etc files a container gets come from the store's shared init layer
/// (as Docker's `-init` layer): a container that changes nothing has an empty upper dir, while
/// inside it /etc/hostname, /etc/hosts and /etc/resolv.conf are there (busybox has none of
/// them) and `cp` from it, stopped, still finds them.
#[test]
fn a_container_that_changes_nothing_keeps_an_empty_layer() {
    let s = pulled();
    let out = s.ok(&[
        "run",
        "--name",
        "idle",
        "busybox",
        "sh",
        "-c",
        "cat /etc/hostname; grep -c . /etc/hosts /etc/resolv.conf; ls -d /proc /sys /dev",
    ]);
    let id = s.ok(&["inspect", "-f", "{{.Id}}", "idle"]);
    assert!(out.starts_with(&id.trim()[..12]), "{out}");
    assert!(out.contains("/etc/hosts:"), "{out}");
    let upper = s.root().join("containers").join(id.trim()).join("upper");
    let left: Vec<_> = std::fs::read_dir(&upper).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(s.ok(&["diff", "idle"]), "");
    let r = s.docker(&["cp", "idle:/etc/hostname", "-"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn diff_and_commit_agree_and_the_commit_runs() {
    let s = pulled();
    s.ok(&[
        "run",
        "--name",
        "work",
        "busybox",
        "sh",
        "-c",
        "echo hi > /root/hello.txt && rm /bin/vi && echo changed >> /etc/passwd",
    ]);
    let diff = s.ok(&["diff", "work"]);
    let lines: Vec<&str> = diff.lines().collect();
    for want in [
        "C /root",
        "A /root/hello.txt",
        "C /bin",
        "D /bin/vi",
        "C /etc",
        "C /etc/passwd",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in {lines:?}");
    }
    assert!(
        !diff.contains("/etc/hostname") && !diff.contains("/proc"),
        "{diff}"
    );
    let id = s.ok(&["commit", "-m", "first", "work", "hello:v1"]);
    assert!(id.starts_with("sha256:"), "{id}");
    let run = s.docker(&[
        "run",
        "--rm",
        "hello:v1",
        "sh",
        "-c",
        "cat /root/hello.txt; ls /bin/vi; tail -1 /etc/passwd",
    ]);
    assert!(run.stdout.contains("hi"), "{}", run.stdout);
    assert!(run.stdout.contains("changed"), "{}", run.stdout);
    assert!(
        run.stderr.contains("No such file"),
        "deleted file stays deleted: {}",
        run.stderr
    );
    let hist = s.ok(&["history", "hello:v1"]);
    assert!(hist.lines().nth(1).unwrap().contains("first"), "{hist}");
    assert_eq!(hist.lines().count(), 4, "{hist}");
    let images = s.ok(&["images"]);
    assert!(
        images
            .lines()
            .any(|l| l.starts_with("hello ") && l.contains("v1")),
        "{images}"
    );
}

#[test]
fn detached_containers_log_exec_stop_and_remove() {
    let s = pulled();
    let id = s.ok(&[
        "run",
        "-d",
        "--name",
        "ticker",
        "busybox",
        "sh",
        "-c",
        "echo started; while true; do sleep 1; done",
    ]);
    assert_eq!(id.trim().len(), 64, "{id}");
    let ps = s.ok(&["ps"]);
    assert!(ps.contains("ticker") && ps.contains("Up "), "{ps}");
    let mut logs = String::new();
    for _ in 0..50 {
        logs = s.ok(&["logs", "ticker"]);
        if logs.contains("started") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(logs, "started\n");
    let e = s.docker(&["exec", "ticker", "sh", "-c", "echo $HOSTNAME; exit 5"]);
    assert_eq!(e.code, 5);
    assert_eq!(e.stdout.trim(), &id.trim()[..12]);
    let rm = s.docker(&["rm", "ticker"]);
    assert_ne!(rm.code, 0);
    assert!(rm.stderr.contains("container is running"), "{}", rm.stderr);
    assert_eq!(s.ok(&["stop", "-t", "1", "ticker"]).trim(), "ticker");
    let ps = s.ok(&["ps", "-a"]);
    assert!(
        ps.contains("Exited (137)"),
        "sh as PID 1 ignores TERM, so it was killed: {ps}"
    );
    assert_eq!(s.ok(&["rm", "ticker"]).trim(), "ticker");
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
}

#[test]
fn names_are_unique_and_images_in_use_are_kept() {
    let s = pulled();
    s.ok(&["create", "--name", "one", "busybox"]);
    let dup = s.docker(&["create", "--name", "one", "busybox"]);
    assert_ne!(dup.code, 0);
    assert!(dup.stderr.contains("is already in use"), "{}", dup.stderr);
    let rmi = s.docker(&["rmi", "busybox"]);
    assert_ne!(rmi.code, 0);
    assert!(rmi.stderr.contains("conflict"), "{}", rmi.stderr);
    s.ok(&["rm", "one"]);
    let out = s.ok(&["rmi", "busybox"]);
    assert!(
        out.contains("Untagged: busybox:latest") && out.contains("Deleted: sha256:"),
        "{out}"
    );
    assert_eq!(s.ok(&["images", "-q"]).trim(), "");
    let ps = s.ok(&["ps", "-a"]);
    assert_eq!(ps.lines().count(), 1, "{ps}");
}

#[test]
fn ps_formats_like_docker() {
    let s = pulled();
    assert_eq!(
        s.docker(&["run", "--name", "done", "busybox", "sh", "-c", "exit 2"])
            .code,
        2
    );
    s.ok(&["create", "--name", "fresh", "busybox", "echo", "hi"]);
    let ps = s.ok(&["ps", "-a"]);
    let header = ps.lines().next().unwrap();
    let mut pos = 0;
    for w in [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ] {
        let at = header[pos..].find(w).map(|i| i + pos);
        assert!(at.is_some(), "{w} missing or out of order in {header:?}");
        pos = at.unwrap() + w.len();
    }
    assert!(
        header.starts_with("CONTAINER ID   IMAGE     COMMAND "),
        "{header:?}"
    );
    assert!(ps.contains("\"sh -c 'exit 2'\""), "{ps}");
    assert!(ps.contains("Exited (2)"), "{ps}");
    assert!(ps.contains("Created"), "{ps}");
    let latest = s.ok(&["ps", "-l"]);
    assert!(
        latest.contains("fresh") && !latest.contains("done"),
        "{latest}"
    );
    assert_eq!(s.ok(&["ps"]).lines().count(), 1, "no running containers");
}

#[test]
fn twenty_concurrent_runs_lose_nothing() {
    let s = pulled();
    let children: Vec<_> = (0..20)
        .map(|i| {
            s.command(&[
                "run",
                "--name",
                &format!("c{i}"),
                "busybox",
                "sh",
                "-c",
                &format!("exit {}", i % 5),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some((i % 5) as i32),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let ps = s.ok(&["ps", "-a", "--no-trunc"]);
    assert_eq!(ps.lines().count(), 21, "{ps}");
    for i in 0..20 {
        let st = s.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            &format!("c{i}"),
        ]);
        assert_eq!(st.trim(), format!("exited {}", i % 5));
    }
}

#[test]
fn korean_locale_gets_korean_messages() {
    let s = pulled();
    let r = s.docker_env(&["rm", "nope"], &[("LANG", "ko_KR.UTF-8")]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("그런 컨테이너가 없습니다: nope"),
        "{}",
        r.stderr
    );
    let en = s.docker(&["rm", "nope"]);
    assert_eq!(
        en.stderr.trim(),
        "Error response from daemon: No such container: nope"
    );
    // Messages from inside the starting container too (the runtime speaks the CLI's language).
    let ko = |args: &[&str]| s.docker_env(args, &[("LANG", "ko_KR.UTF-8")]);
    let r = ko(&["run", "--rm", "busybox", "bash"]);
    assert_eq!(r.code, 127);
    assert!(
        r.stderr.contains("실행 파일을 $PATH에서 찾을 수 없습니다"),
        "{}",
        r.stderr
    );
    let r = ko(&["run", "--rm", "-u", "nobody2", "busybox", "true"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("사용자 nobody2를 찾을 수 없습니다"),
        "{}",
        r.stderr
    );
    let r = ko(&["run", "--rm", "-w", "/etc/passwd", "busybox", "true"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("작업 디렉터리 \"/etc/passwd\""),
        "{}",
        r.stderr
    );
}

#[test]
fn a_killed_monitor_is_reconciled_to_exited() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "orphan", "busybox", "sleep", "1000"]);
    let rec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            s.root()
                .join("containers")
                .join(s.ok(&["inspect", "-f", "{{.Id}}", "orphan"]).trim())
                .join("container.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let monitor = rec["state"]["monitor_pid"].as_i64().unwrap() as i32;
    // SAFETY: killing the monitor process this test started.
    unsafe { libc::kill(monitor, libc::SIGKILL) };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let ps = s.ok(&["ps", "-a"]);
    assert!(ps.contains("Exited (137)"), "{ps}");
    s.ok(&["rm", "-f", "orphan"]);
}

#[test]
fn a_pull_killed_midway_leaves_a_usable_store() {
    let s = Sandbox::new();
    for delay in [5u64, 30, 80] {
        let mut child = s.command(&["pull", "debian"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let images = s.docker(&["images"]);
        assert_eq!(images.code, 0, "{}", images.stderr);
    }
    s.ok(&["pull", "debian"]);
    let out = s.ok(&["run", "--rm", "debian", "cat", "/etc/issue"]);
    assert!(out.contains("Debian GNU/Linux 12"), "{out}");
}

#[test]
fn ctrl_c_reaches_an_attached_container_without_a_terminal() {
    let s = pulled();
    // PID 1 with a handler gets the signal the CLI was sent (Docker's --sig-proxy).
    let script = "trap 'echo got-int; exit 3' INT; echo ready; while true; do sleep 0.1; done";
    let run = |extra: &[&str], name: &str| {
        let mut args = vec!["run", "--name", name];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["busybox", "sh", "-c", script]);
        let mut child = s
            .command(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the container to be up before signalling the CLI.
        let mut up = false;
        for _ in 0..100 {
            if s.ok(&["ps", "-q", "--filter", &format!("name={name}")])
                .trim()
                .len()
                == 12
            {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(up, "{name} did not start");
        std::thread::sleep(std::time::Duration::from_millis(300));
        // SAFETY: SIGINT to the CLI this test started.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait_with_output().unwrap()
    };
    let out = run(&[], "proxied");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("got-int"), "{stdout}");
    let state = s.ok(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.ExitCode}}",
        "proxied",
    ]);
    assert_eq!(state.trim(), "exited 3");
    let events = s.ok(&[
        "events",
        "--since",
        "0",
        "--until",
        "0s",
        "--filter",
        "event=kill",
    ]);
    assert!(events.contains("signal=2"), "{events}");
    // --sig-proxy=false: the CLI dies of the signal and the container runs on.
    let out = run(&["--sig-proxy=false"], "unproxied");
    assert_eq!(out.status.code(), None, "killed by the signal: {out:?}");
    let state = s.ok(&["inspect", "-f", "{{.State.Status}}", "unproxied"]);
    assert_eq!(state.trim(), "running");
    s.ok(&["rm", "-f", "proxied", "unproxied"]);
}

/// Type into `docker ARGS…` through a real terminal (util-linux `script`), with pauses.
fn through_a_terminal(s: &Sandbox, args: &[&str], typed: &[(u64, &[u8])]) -> (i32, String) {
    use std::io::Write;
    let mut line = format!("'{}' docker", common::bin().display());
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut child = std::process::Command::new("script")
        .args(["-qfc", &line, "/dev/null"])
        .env("GORAE_ROOT", s.root())
        .env("GORAE_LAYER_POOL", &s.pool)
        .env("GORAE_IMAGES", common::catalog())
        .env("LANG", "C.UTF-8")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (Debian's bsdutils)");
    let mut stdin = child.stdin.take().unwrap();
    for (pause_ms, bytes) in typed {
        std::thread::sleep(std::time::Duration::from_millis(*pause_ms));
        let _ = stdin.write_all(bytes);
        let _ = stdin.flush();
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    )
}

#[test]
fn detach_keys_can_be_chosen_like_dockers() {
    let s = pulled();
    let (_, out) = through_a_terminal(
        &s,
        &[
            "run",
            "-it",
            "--name",
            "keys",
            "--detach-keys",
            "ctrl-a,x",
            "busybox",
            "sh",
        ],
        &[(1500, b"echo in-$((2+3))\r"), (700, b"\x01x")],
    );
    assert!(out.contains("in-5"), "{out}");
    assert!(out.contains("read escape sequence"), "{out}");
    let state = s.ok(&["inspect", "-f", "{{.State.Status}}", "keys"]);
    assert_eq!(state.trim(), "running", "detached, not ended");
    // Ctrl-P Ctrl-Q is just typing now; the new keys detach `attach` too.
    let (_, out) = through_a_terminal(
        &s,
        &["attach", "--detach-keys", "ctrl-a,x", "keys"],
        &[(800, b"\x10\x11echo again-$((3+4))\r"), (700, b"\x01x")],
    );
    assert!(out.contains("again-7"), "{out}");
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Status}}", "keys"]).trim(),
        "running"
    );
    let bad = s.docker(&["run", "-it", "--detach-keys", "ctrl-1", "busybox", "true"]);
    assert_eq!(bad.code, 125);
    assert_eq!(bad.stderr.trim(), "Invalid detach keys (ctrl-1) provided");
    s.ok(&["rm", "-f", "keys"]);
}

#[test]
fn top_lists_the_container_processes() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "topped", "busybox", "sleep", "1000"]);
    let out = s.ok(&["top", "topped"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
        "{out}"
    );
    assert!(lines.any(|l| l.ends_with("sleep 1000")), "{out}");
    s.ok(&["stop", "-t", "0", "topped"]);
    let r = s.docker(&["top", "topped"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    s.ok(&["rm", "-f", "topped"]);
}
