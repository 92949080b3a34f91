//! Issue 14's container operations through the binary: `stop --signal`, `top`'s ps options,
//! `load -q`, `pause`/`unpause` (and what `exec`, `ps`, `stop`, `kill` do with a paused
//! container), `stats`.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

/// A detached container running `sh -c SCRIPT`, by name.
fn detached(s: &Sandbox, name: &str, script: &str) {
    s.ok(&["run", "-d", "--name", name, "busybox", "sh", "-c", script]);
}

fn status(s: &Sandbox, name: &str) -> String {
    s.status(name)
}

#[test]
fn stop_sends_the_signal_asked_for() {
    let s = pulled();
    // The shell ignores TERM: only the signal given stops it quickly.
    detached(
        &s,
        "usr",
        "trap 'exit 42' USR1; trap '' TERM; while true; do sleep 0.1; done",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let bad = s.docker(&["stop", "-s", "NOPE", "usr"]);
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.stderr.trim(),
        "Error response from daemon: Invalid signal: NOPE"
    );
    let started = std::time::Instant::now();
    assert_eq!(s.ok(&["stop", "--signal", "USR1", "usr"]).trim(), "usr");
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert!(
        status(&s, "usr").starts_with("Exited (42)"),
        "{}",
        status(&s, "usr")
    );
}

#[test]
fn top_passes_ps_options_to_ps_and_keeps_the_containers_rows() {
    let s = pulled();
    if std::process::Command::new("ps").arg("-V").output().is_err() {
        return common::skip("no ps on this machine");
    }
    detached(&s, "topped", "sleep 300");
    // `sh -c` execs sleep just after the start: wait for it rather than race it.
    let mut out = String::new();
    for _ in 0..50 {
        out = s.ok(&["top", "topped", "-o", "pid,comm"]);
        if out.trim_end().ends_with("sleep") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("PID                 COMMAND"), "{out}");
    assert!(lines[1].ends_with("sleep"), "{out}");
    // Without options: the -ef table, 20-column minimum as Docker's tabwriter.
    let plain = s.ok(&["top", "topped"]);
    assert!(
        plain.starts_with("UID                 PID                 PPID"),
        "{plain}"
    );
    let renamed = s.docker(&["top", "topped", "-o", "user=PID"]);
    assert_eq!(renamed.code, 1);
    assert_eq!(
        renamed.stderr.trim(),
        "Error response from daemon: specifying \"user=PID\" is not allowed"
    );
    let nopid = s.docker(&["top", "topped", "-o", "comm"]);
    assert_eq!(nopid.code, 1);
    assert_eq!(
        nopid.stderr.trim(),
        "Error response from daemon: Couldn't find PID field in ps output"
    );
}

#[test]
fn load_quiet_prints_only_what_was_loaded() {
    let s = pulled();
    let tar = s.dir.path().join("bb.tar");
    s.ok(&["save", "-o", tar.to_str().unwrap(), "busybox"]);
    s.ok(&["rmi", "busybox"]);
    // Not a terminal: no progress lines with or without -q, as Docker's CLI.
    let out = s.ok(&["load", "-q", "-i", tar.to_str().unwrap()]);
    assert_eq!(out, "Loaded image: busybox:latest\n");
}

/// The freezer is ours when the container got a freezer cgroup (root, v1 freezer or v2).
fn freezer_here() -> bool {
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    common::is_root() && (v2 || std::path::Path::new("/sys/fs/cgroup/freezer").is_dir())
}

fn log_lines(s: &Sandbox, name: &str) -> usize {
    s.ok(&["logs", name]).lines().count()
}

#[test]
fn pause_freezes_a_container_and_the_other_commands_say_so_as_docker_does() {
    if !freezer_here() {
        return common::skip("no cgroup freezer for gorae here (needs root)");
    }
    let s = pulled();
    detached(&s, "ticker", "while true; do echo tick; sleep 0.1; done");
    let id = s
        .ok(&["inspect", "-f", "{{.Id}}", "ticker"])
        .trim()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(s.ok(&["pause", "ticker"]), "ticker\n");
    assert!(
        status(&s, "ticker").ends_with(" (Paused)"),
        "{}",
        status(&s, "ticker")
    );
    // Frozen: no more output.
    let before = log_lines(&s, "ticker");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(log_lines(&s, "ticker"), before);
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.Paused}} {{.State.Running}}",
            "ticker"
        ]),
        "paused true true\n"
    );
    assert_eq!(
        s.ok(&[
            "ps",
            "--filter",
            "status=paused",
            "--format",
            "{{.Names}} {{.State}}"
        ]),
        "ticker paused\n"
    );
    let refusals: [(&[&str], String); 5] = [
        (
            &["pause", "ticker"],
            format!("Container {id} is already paused"),
        ),
        (
            &["exec", "ticker", "true"],
            // Docker's daemon names the container as typed for exec.
            "Container ticker is paused, unpause the container before exec".into(),
        ),
        (
            &["start", "ticker"],
            "cannot start a paused container, try unpause instead".into(),
        ),
        (
            &["rm", "ticker"],
            "cannot remove container \"ticker\": container is paused and must be unpaused first"
                .into(),
        ),
        (
            &["attach", "ticker"],
            "container ticker is paused, unpause the container before attach".into(),
        ),
    ];
    for (args, want) in refusals {
        let r = s.docker(args);
        assert_eq!(r.code, 1, "{args:?}");
        // Docker's CLI then names the containers `start` could not start.
        let after = if args[0] == "start" {
            "\nError: failed to start containers: ticker"
        } else {
            ""
        };
        assert_eq!(
            r.stderr.trim(),
            format!("Error response from daemon: {want}{after}")
        );
    }
    assert_eq!(s.ok(&["unpause", "ticker"]), "ticker\n");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(log_lines(&s, "ticker") > before);
    let again = s.docker(&["unpause", "ticker"]);
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr.trim(),
        format!("Error response from daemon: Container {id} is not paused")
    );
    // A paused container still stops: the signal, then a thaw so it is delivered.
    s.ok(&["pause", "ticker"]);
    assert_eq!(s.ok(&["kill", "ticker"]), "ticker\n");
    s.ok(&["wait", "ticker"]);
    assert!(status(&s, "ticker").starts_with("Exited (137)"));
    let actions: Vec<String> = s
        .ok(&[
            "events", "--since", "5m", "--until", "0s", "--format", "json",
        ])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .filter(|a| ["pause", "unpause", "kill", "die"].contains(&a.as_str()))
        .collect();
    // The thaw after the kill and the container's death race (as on Docker): either order.
    let mut tail = actions.get(4..).unwrap_or_default().to_vec();
    tail.sort();
    assert_eq!(
        actions[..4],
        ["pause", "unpause", "pause", "kill"],
        "{actions:?}"
    );
    assert_eq!(tail, ["die", "unpause"], "{actions:?}");
    // Started again, it runs unfrozen.
    s.ok(&["start", "ticker"]);
    assert!(status(&s, "ticker").starts_with("Up"));
    assert!(!status(&s, "ticker").contains("Paused"));
}

#[test]
fn korean_pause_messages() {
    let s = pulled();
    s.ok(&["create", "--name", "idle", "busybox", "true"]);
    let r = s.docker_env(&["unpause", "idle"], &[("GORAE_LANG", "ko")]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("일시 정지 상태가 아닙니다"),
        "{}",
        r.stderr
    );
}

#[test]
fn stats_shows_dockers_columns_from_the_cgroups() {
    let s = pulled();
    detached(&s, "spin", "while true; do :; done");
    s.ok(&["create", "--name", "idle", "busybox", "true"]);
    let out = s.ok(&["stats", "--no-stream"]);
    let lines: Vec<&str> = out.lines().collect();
    // Columns as Docker's (their widths follow the values: NET I/O counts eth0's bytes).
    let titles: Vec<&str> = lines[0]
        .split("  ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(
        titles,
        [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS"
        ]
    );
    assert!(lines[0].starts_with("CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %"));
    assert_eq!(lines.len(), 2, "only running containers without -a:\n{out}");
    assert!(lines[1].contains(" spin "), "{out}");
    let all = s.ok(&[
        "stats",
        "--no-stream",
        "-a",
        "--format",
        "{{.Name}} {{.CPUPerc}} {{.NetIO}}",
    ]);
    assert!(all.contains("idle 0.00% 0B / 0B\n"), "{all}");
    let json = s.ok(&["stats", "--no-stream", "--format", "json", "spin"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["Container"], "spin");
    assert_eq!(v["Name"], "spin");
    if freezer_here() {
        // As root the counters are the container's cgroups: a busy loop shows, one process.
        let cpu: f64 = v["CPUPerc"]
            .as_str()
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap();
        assert!(cpu > 10.0, "{v}");
        assert_eq!(v["PIDs"], "1");
        assert!(v["MemUsage"].as_str().unwrap().ends_with(" / 1GiB"), "{v}");
    }
    let missing = s.docker(&["stats", "--no-stream", "ghost"]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr.trim(),
        "Error response from daemon: No such container: ghost"
    );
}

#[test]
fn live_stats_redraw_in_place() {
    let s = pulled();
    detached(&s, "sleepy", "sleep 300");
    let mut c = s.command(&["stats", "sleepy"]);
    c.stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1700));
    child.kill().unwrap();
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let frames = text.matches("\x1b[HCONTAINER ID").count();
    assert!(frames >= 2, "{text:?}");
    assert!(
        text.contains("\x1b[K\n") && text.contains("\x1b[J"),
        "{text:?}"
    );
}

#[test]
fn run_resource_flags_env_file_and_stop_signal() {
    let s = pulled();
    let env = s.dir.path().join("app.env");
    std::fs::write(&env, "# settings\nGREETING=hello there\nLEVEL=1\n").unwrap();
    let out = s.ok(&[
        "run",
        "--rm",
        "--env-file",
        env.to_str().unwrap(),
        "-e",
        "LEVEL=2",
        "busybox",
        "sh",
        "-c",
        "echo $GREETING $LEVEL",
    ]);
    assert_eq!(out, "hello there 2\n");
    s.ok(&[
        "run",
        "-d",
        "--name",
        "limited",
        "-m",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "50",
        "--stop-signal",
        "USR1",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 3' USR1; while true; do sleep 0.1; done",
    ]);
    assert_eq!(
        s.ok(&[
            "inspect", "-f",
            "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.Config.StopSignal}}",
            "limited",
        ]),
        "67108864 50 500000000 USR1\n"
    );
    if freezer_here() {
        let id = s
            .ok(&["inspect", "-f", "{{.Id}}", "limited"])
            .trim()
            .to_string();
        let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let (mem, pids) = if v2 {
            (
                format!("/sys/fs/cgroup/gorae/{id}/memory.max"),
                format!("/sys/fs/cgroup/gorae/{id}/pids.max"),
            )
        } else {
            (
                format!("/sys/fs/cgroup/memory/gorae/{id}/memory.limit_in_bytes"),
                format!("/sys/fs/cgroup/pids/gorae/{id}/pids.max"),
            )
        };
        assert_eq!(std::fs::read_to_string(mem).unwrap().trim(), "67108864");
        assert_eq!(std::fs::read_to_string(pids).unwrap().trim(), "50");
    }
    // `docker stop` sends the container's own stop signal.
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.ok(&["stop", "limited"]);
    assert!(
        status(&s, "limited").starts_with("Exited (3)"),
        "{}",
        status(&s, "limited")
    );
    let refusals: [(&[&str], &str); 4] = [
        (
            &["run", "--rm", "-m", "abc", "busybox", "true"],
            "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information",
        ),
        (
            &["run", "--rm", "-m", "1m", "busybox", "true"],
            "docker: Error response from daemon: Minimum memory limit allowed is 6MB.\n\nRun 'docker run --help' for more information",
        ),
        (
            &["run", "--rm", "--stop-signal", "NOPE", "busybox", "true"],
            "docker: Error response from daemon: Invalid signal: NOPE\n\nRun 'docker run --help' for more information",
        ),
        (
            &[
                "run",
                "--rm",
                "--env-file",
                "/nonexistent/gorae.env",
                "busybox",
                "true",
            ],
            "docker: open /nonexistent/gorae.env: no such file or directory\n\nRun 'docker run --help' for more information",
        ),
    ];
    for (args, want) in refusals {
        let r = s.docker(args);
        assert_eq!(r.code, 125, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim(), want, "{args:?}");
    }
}

#[test]
fn update_changes_the_limits_of_a_running_container() {
    let s = pulled();
    detached(&s, "grow", "sleep 300");
    assert_eq!(
        s.ok(&["update", "-m", "128m", "--pids-limit", "30", "grow"]),
        "grow\n"
    );
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}",
            "grow"
        ]),
        "134217728 30\n"
    );
    if freezer_here() {
        let id = s
            .ok(&["inspect", "-f", "{{.Id}}", "grow"])
            .trim()
            .to_string();
        let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let pids = if v2 {
            format!("/sys/fs/cgroup/gorae/{id}/pids.max")
        } else {
            format!("/sys/fs/cgroup/pids/gorae/{id}/pids.max")
        };
        assert_eq!(std::fs::read_to_string(pids).unwrap().trim(), "30");
    }
    let none = s.docker(&["update", "grow"]);
    assert_eq!(none.code, 1);
    assert_eq!(
        none.stderr.trim(),
        "you must provide one or more flags when using this command"
    );
}

/// The monitor processes (`gorae __monitor <id> …`) serving the store at `root`, as
/// (pid, arguments after `__monitor`).
fn monitors_of(root: &std::path::Path) -> Vec<(String, Vec<String>)> {
    helpers_of(root, "__monitor")
}

/// The processes of helper `name` (`gorae __monitor …`, `gorae __spare-monitor …`) of the
/// store at `root`, as (pid, arguments after the name).
fn helpers_of(root: &std::path::Path, name: &str) -> Vec<(String, Vec<String>)> {
    let want = format!("GORAE_ROOT={}", root.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let (Ok(cmdline), Ok(environ)) = (
            std::fs::read(e.path().join("cmdline")),
            std::fs::read(e.path().join("environ")),
        ) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect();
        let ours = environ.split(|b| *b == 0).any(|v| v == want.as_bytes());
        if let Some(pos) = args.iter().position(|a| a == name)
            && ours
        {
            out.push((
                e.file_name().to_string_lossy().to_string(),
                args[pos + 1..].to_vec(),
            ));
        }
    }
    out
}

/// The spare monitors (`gorae __spare-monitor`) of the store at `root`, by pid.
fn spares_of(root: &std::path::Path) -> Vec<String> {
    helpers_of(root, "__spare-monitor")
        .into_iter()
        .map(|(pid, _)| pid)
        .collect()
}

/// `f()` once it is true, polled for up to `secs`.
fn within(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !f() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// A spare's init copied the host's mount tree when it was made: a mount made after that is
/// seen by the container it starts all the same (the spare clones afresh then).
#[test]
fn a_mount_made_while_a_spare_waits_is_seen_by_the_container_it_starts() {
    let Some((s, root)) = spare_waiting_as_root("mounting a tmpfs needs root") else {
        return;
    };
    let dir = root.with_file_name("mounted-later");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.to_str().unwrap();
    succeeds(&["mount", "-t", "tmpfs", "tmpfs", path]);
    std::fs::write(dir.join("f"), "made after the spare\n").unwrap();
    let seen = s.docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{path}:/x"),
        "busybox",
        "cat",
        "/x/f",
    ]);
    succeeds(&["umount", path]);
    assert_eq!(seen.stdout, "made after the spare\n", "{}", seen.stderr);
}

/// A mount elsewhere on the host (another engine's, say) leaves a spare's init as good: the
/// container it starts is that init, not one cloned afresh.
#[test]
fn a_mount_elsewhere_while_a_spare_waits_leaves_its_init_to_the_container() {
    let Some((s, root)) =
        spare_waiting_as_root("an init made ahead, and mounting a tmpfs, need root")
    else {
        return;
    };
    let ahead = waited_made_ahead(&spares_of(&root).remove(0));
    let dir = root.with_file_name("mounted-elsewhere");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.to_str().unwrap();
    succeeds(&["mount", "-t", "tmpfs", "tmpfs", path]);
    let started = s.docker(&["run", "-d", "--name", "after", "busybox", "sleep", "30"]);
    succeeds(&["umount", path]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Pid}}", "after"]).trim(),
        ahead
    );
    s.ok(&["rm", "-f", "after"]);
}

/// A store whose spare monitor waits after a first run, and its root; None (skipped, saying
/// `why`) unless we are root.
fn spare_waiting_as_root(why: &str) -> Option<(common::Sandbox, std::path::PathBuf)> {
    if !common::is_root() {
        common::skip(why);
        return None;
    }
    let s = pulled();
    let root = s.root();
    s.ok(&["run", "--rm", "busybox", "true"]);
    assert!(within(5, || spares_of(&root).len() == 1));
    Some((s, root))
}

/// Run a host program (`mount`, `umount`), which must succeed.
fn succeeds(cmd: &[&str]) {
    let st = std::process::Command::new(cmd[0]).args(&cmd[1..]).status();
    assert!(st.unwrap().success(), "{cmd:?}");
}

/// The init a spare made ahead (root's spares), once there.
fn waited_made_ahead(spare: &str) -> String {
    let made_ahead = || {
        let children = std::fs::read_to_string(format!("/proc/{spare}/task/{spare}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.starts_with(b"gorae: container init, made ahead"))
            })
            .map(str::to_string)
    };
    assert!(within(5, || made_ahead().is_some()), "no init made ahead");
    made_ahead().unwrap()
}

#[test]
fn a_finished_monitor_waits_for_the_next_run_and_leaves_with_its_store() {
    let s = pulled();
    let root = s.root();
    s.ok(&["run", "--rm", "busybox", "true"]);
    assert!(
        within(5, || spares_of(&root).len() == 1),
        "{:?}",
        spares_of(&root)
    );
    let spare = spares_of(&root).remove(0);
    // Root's spare has its next container's init cloned ahead, waiting as its child.
    let ahead = common::is_root().then(|| waited_made_ahead(&spare));
    // The next run claims it: the same process is the new container's monitor, named on its
    // command line as a spawned one is, and no spare is left until a monitor finishes.
    let id = s.ok(&["run", "-d", "--name", "next", "busybox", "sleep", "30"]);
    let id = id.trim();
    if let Some(ahead) = &ahead {
        // Its init is the one made ahead, in the container's cgroups (renamed from the spare's).
        assert_eq!(
            &s.ok(&["inspect", "-f", "{{.State.Pid}}", "next"]).trim(),
            ahead
        );
        let cgroups = std::fs::read_to_string(format!("/proc/{ahead}/cgroup")).unwrap();
        assert!(cgroups.contains(&format!("/gorae/{id}")), "{cgroups}");
        assert_eq!(s.ok(&["exec", "next", "hostname"]).trim(), &id[..12]);
    } else {
        eprintln!("skipped: the init made ahead (root's spare only)");
    }
    let mons = monitors_of(&root);
    assert!(
        mons.iter()
            .any(|(pid, a)| pid == &spare && a.first().map(String::as_str) == Some(id)),
        "spare {spare} is not the monitor of {id}: {mons:?}"
    );
    assert_eq!(spares_of(&root), Vec::<String>::new());
    assert_eq!(s.ok(&["logs", "next"]), "");
    // Its container ended: `stop` and `rm` see that by the monitor's end, and the next
    // spare is a process of its own.
    s.ok(&["stop", "-t", "0", "next"]);
    s.ok(&["rm", "next"]);
    assert!(
        within(5, || spares_of(&root).len() == 1),
        "{:?}",
        spares_of(&root)
    );
    let spare = spares_of(&root).remove(0);
    assert!(monitors_of(&root).is_empty(), "{:?}", monitors_of(&root));
    // A run in another mount namespace is not served by it (its containers' mounts would be
    // made in this one): it spawns its own monitor, and this spare leaves.
    if common::is_root() {
        let out = std::process::Command::new("unshare")
            .args(["-m", "--propagation", "private"])
            .arg(common::bin())
            .args(["docker", "run", "--rm", "busybox", "echo", "apart"])
            .env("GORAE_ROOT", &root)
            .env("GORAE_IMAGES", common::catalog())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "apart\n");
        assert!(
            within(5, || !spares_of(&root).contains(&spare)),
            "{:?}",
            spares_of(&root)
        );
    } else {
        eprintln!("skipped: a run in another mount namespace (unshare -m needs root)");
    }
    // An idle spare goes with a SIGTERM, as any process does (its monitor ignored it).
    assert!(within(5, || !spares_of(&root).is_empty()));
    let spare = spares_of(&root).remove(0);
    let term = std::process::Command::new("kill")
        .args(["-TERM", &spare])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(
        within(5, || !spares_of(&root).contains(&spare)),
        "{:?}",
        spares_of(&root)
    );
    // A removal that stopped halfway (a helper wrote into the store meanwhile) leaves the
    // root with its lock files: that store is gone too, and so is its spare. (The holder's
    // `net` stays: it still serves the store.)
    s.ok(&["run", "--rm", "busybox", "true"]);
    assert!(within(5, || !spares_of(&root).is_empty()));
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        match e.file_type().unwrap().is_dir() {
            _ if e.file_name() == "lock" || e.file_name() == "net" => {}
            true => std::fs::remove_dir_all(e.path()).unwrap(),
            false => std::fs::remove_file(e.path()).unwrap(),
        }
    }
    assert!(
        within(10, || spares_of(&root).is_empty()),
        "{:?}",
        spares_of(&root)
    );
    s.ok(&["pull", "-q", "busybox"]);
    // With its store gone, a spare leaves (it looks every few seconds).
    s.ok(&["run", "--rm", "busybox", "true"]);
    assert!(within(5, || !spares_of(&root).is_empty()));
    std::fs::remove_dir_all(&root).unwrap();
    assert!(
        within(10, || spares_of(&root).is_empty()),
        "{:?}",
        spares_of(&root)
    );
}

#[test]
fn runs_spawn_their_monitor_first_and_one_that_fails_leaves_none() {
    // `run` spawns the container's monitor before it creates the record: `ps` names the
    // container it serves, and a run that fails before its container exists leaves none.
    let s = pulled();
    let id = s.ok(&["run", "-d", "--name", "held", "busybox", "sleep", "30"]);
    let id = id.trim();
    let mons = monitors_of(&s.root());
    assert!(
        mons.iter()
            .any(|(_, a)| a.first().map(String::as_str) == Some(id)),
        "no monitor named {id}: {mons:?}"
    );
    s.ok(&["rm", "-f", "held"]);
    s.ok(&["create", "--name", "dup", "busybox"]);
    let r = s.docker(&["run", "--rm", "--name", "dup", "busybox", "true"]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(r.stderr.contains("is already in use"), "{}", r.stderr);
    let r = s.docker(&["run", "--rm", "nosuchimage:9"]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !monitors_of(&s.root()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(monitors_of(&s.root()), Vec::new());
    let all = s.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(all.trim(), "dup");
}

#[test]
fn a_container_starts_again_right_after_its_run_returns() {
    // The monitor of the run that just ended may still be finishing: its attach socket and
    // the container's root must be free by the time the CLI returns. Four stores side by
    // side, so the monitors' last steps are slow as on a busy machine.
    let stores: Vec<Sandbox> = (0..4).map(|_| Sandbox::new()).collect();
    std::thread::scope(|sc| {
        for s in &stores {
            sc.spawn(move || {
                s.ok(&["pull", "debian"]);
                for i in 0..8 {
                    let name = format!("again{i}");
                    s.ok(&["run", "-t", "--name", &name, "debian", "bash", "-c", "true"]);
                    let r = s.docker(&["start", "-a", &name]);
                    assert_eq!(r.code, 0, "start {name}: {}", r.stderr);
                }
            });
        }
    });
}
