//! The TUI killed with SIGKILL while the learner's shell inside it runs docker commands.
//!
//! Killing the TUI closes its PTY master: the shell and the docker CLI in the foreground get
//! SIGHUP and die wherever they are. For each command the TUI dies at points from a small
//! list: right after Enter, or some ms after the docker CLI process appeared (so before,
//! during and after its work). Then the test checks what a learner would run into: the store
//! still works (`docker ps -a` / `docker images` succeed and agree, records and the event feed
//! parse), no container is "running" without a process, the staging dir is cleared by the
//! next command, a killed build leaves no build containers, the progress file parses, and a
//! new TUI shows the lesson and runs `docker ps` in its terminal. At the end, once every
//! container is removed, no mount under the store is left on the host and every tagged image
//! still runs.
//!
//! Detached containers keep running after the TUI dies (their monitor is their daemon), as
//! with Docker. An interactive `docker run -it` whose terminal went away also keeps running,
//! as with Docker (the container's terminal belongs to the engine, not to the client): it
//! stays reachable with `docker attach`, which the test does.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::tmux::{Tmux, have_tmux};
use gorae::course::Progress;

/// The whole test's state: one store and one state dir reused across every kill point.
struct World {
    sb: Sandbox,
    state: PathBuf,
    lessons: PathBuf,
    ctx: PathBuf,
    /// The first lesson's title: the TUI is up when it shows.
    title: String,
}

/// A running TUI: its tmux, its pid and its shell's pid (the shell leads its own session).
struct Tui {
    tmux: Tmux,
    pid: i32,
    shell: i32,
}

/// (ppid, session id) of `pid`, from /proc; None once it is gone or a zombie.
fn proc_stat(pid: i32) -> Option<(i32, i32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    if f.first() == Some(&"Z") || f.first() == Some(&"X") {
        return None;
    }
    Some((f.get(1)?.parse().ok()?, f.get(3)?.parse().ok()?))
}

fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// The live processes of session `sid`, with their command lines.
fn session(sid: i32) -> Vec<String> {
    all_pids()
        .into_iter()
        .filter(|&p| proc_stat(p).is_some_and(|(_, s)| s == sid))
        .map(|p| format!("{p}: {}", cmdline(p)))
        .collect()
}

fn wait_until(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !ok() {
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

impl World {
    fn new() -> World {
        let sb = Sandbox::new();
        let state = sb.dir.path().join("state");
        let ctx = sb.dir.path().join("ctx");
        std::fs::create_dir_all(&ctx).expect("context dir");
        std::fs::write(
            ctx.join("Dockerfile"),
            "FROM busybox\nRUN echo one > /one\nCOPY f /f\nRUN echo two > /two\n",
        )
        .expect("Dockerfile");
        std::fs::write(ctx.join("f"), "f\n").expect("context file");
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let title = gorae::course::load_course(&lessons, gorae::i18n::Lang::Ko)
            .into_iter()
            .next()
            .and_then(Result::ok)
            .expect("the first lesson parses")
            .title;
        World {
            sb,
            state,
            lessons,
            ctx,
            title,
        }
    }

    /// Start the TUI and wait until it is usable: the lesson shows, and `docker ps` typed into
    /// its terminal prints the header.
    fn start_tui(&self, what: &str) -> Tui {
        let exe = env!("CARGO_BIN_EXE_gorae");
        // `exec`, so the pane's process is the TUI itself and the kill hits it.
        let cmd = format!(
            "exec env GORAE_LESSONS='{}' GORAE_ROOT='{}' GORAE_IMAGES='{}' GORAE_STATE='{}' \
             LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko",
            self.lessons.display(),
            self.sb.root().display(),
            common::catalog().display(),
            self.state.display()
        );
        let tmux = Tmux::start("crash", &cmd);
        let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains(&self.title));
        assert!(ok, "{what}: the lesson did not show:\n{s}");
        let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("🐳"));
        assert!(ok, "{what}: no shell prompt:\n{s}");
        // The TUI was killed, not quit with F10: with containers still running, the start
        // asks whether to stop them (and may offer to prepare the step). Keep everything.
        let dialog = format!(
            "┌ {} ",
            gorae::i18n::t_in(gorae::i18n::Lang::Ko, "tui_confirm_title", &[])
        );
        for _ in 0..3 {
            let (open, _) = tmux.wait_for(Duration::from_millis(500), |s| s.contains(&dialog));
            if !open {
                break;
            }
            tmux.keys(&["n"]);
            let (closed, s) = tmux.wait_for(Duration::from_secs(5), |s| !s.contains(&dialog));
            assert!(closed, "{what}: the dialog did not close:\n{s}");
        }
        let finished = self.commands_finished();
        tmux.literal("docker ps");
        tmux.keys(&["Enter"]);
        // The header row may wrap in the narrow pane (a wide STATUS column): two columns suffice.
        let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| {
            s.contains("CONTAINER ID") && s.contains("COMMAND")
        });
        assert!(
            ok,
            "{what}: `docker ps` in the terminal pane printed no header:\n{s}"
        );
        // Done (its event logged), so what is typed next is the only command running.
        assert!(
            wait_until(Duration::from_secs(15), || self.commands_finished()
                > finished),
            "{what}: `docker ps` in the terminal pane did not finish"
        );

        let pid = tmux.pane_pid().expect("the pane's pid");
        let exe_of_pid = std::fs::read_link(format!("/proc/{pid}/exe")).expect("pane process");
        assert_eq!(
            exe_of_pid.canonicalize().ok(),
            Path::new(exe).canonicalize().ok(),
            "{what}: the pane's process is not the TUI"
        );
        // The learner's shell: the TUI's child that leads its own session.
        let shell = all_pids()
            .into_iter()
            .find(|&p| proc_stat(p).is_some_and(|(ppid, sid)| ppid == pid && sid == p))
            .unwrap_or_else(|| panic!("{what}: no shell under the TUI"));
        Tui { tmux, pid, shell }
    }

    /// SIGKILL the TUI, then wait until it and everything left in its shell's session (the
    /// shell, the docker CLI and its children, all hung up) are gone.
    fn kill(&self, tui: Tui, what: &str) {
        // SAFETY: kill(2) on a pid we just checked is our TUI.
        assert_eq!(unsafe { libc::kill(tui.pid, libc::SIGKILL) }, 0, "{what}");
        assert!(
            wait_until(Duration::from_secs(5), || proc_stat(tui.pid).is_none()),
            "{what}: the TUI survived SIGKILL"
        );
        let done = wait_until(Duration::from_secs(15), || session(tui.shell).is_empty());
        assert!(
            done,
            "{what}: processes of the dead TUI's shell still run: {:?}",
            session(tui.shell)
        );
        drop(tui.tmux);
    }

    /// (pid, container id) of every monitor process of this store.
    fn monitors(&self) -> Vec<(i32, String)> {
        let root = format!("GORAE_ROOT={}", self.sb.root().display());
        all_pids()
            .into_iter()
            .filter_map(|p| {
                let cmd = cmdline(p);
                let id = cmd
                    .split_once("__monitor ")?
                    .1
                    .split(' ')
                    .next()?
                    .to_string();
                let env = std::fs::read(format!("/proc/{p}/environ")).ok()?;
                env.split(|&b| b == 0)
                    .any(|v| v == root.as_bytes())
                    .then_some((p, id))
            })
            .collect()
    }

    /// How many CLI commands have finished (each logs one `command` event at its end).
    fn commands_finished(&self) -> usize {
        std::fs::read_to_string(self.sb.root().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(r#""type":"command""#))
            .count()
    }

    fn docker_ok(&self, args: &[&str], what: &str) -> String {
        let r = self.sb.docker(args);
        assert_eq!(
            r.code, 0,
            "{what}: docker {args:?} failed ({}):\n{}{}",
            r.code, r.stdout, r.stderr
        );
        r.stdout
    }

    /// Everything a learner would trip over after the crash.
    fn check(&self, what: &str) {
        let root = self.sb.root();
        // The next command: its reconcile clears what the killed processes left.
        let ps = self.docker_ok(&["ps", "-a"], what);
        assert!(ps.starts_with("CONTAINER ID"), "{what}: {ps}");
        let staging = common::tmp_left(&root);
        assert!(
            staging.is_empty(),
            "{what}: staging left in tmp/ after the next command: {staging:?}"
        );
        let images = self.docker_ok(&["images", "-a"], what);
        assert!(images.starts_with("REPOSITORY"), "{what}: {images}");

        // The metadata files parse: index, every container record, every event line.
        let index = std::fs::read_to_string(root.join("index.json")).unwrap_or_default();
        assert!(
            serde_json::from_str::<serde_json::Value>(&index).is_ok(),
            "{what}: index.json is corrupt: {index}"
        );
        if let Ok(rd) = std::fs::read_dir(root.join("containers")) {
            for e in rd.flatten() {
                let record = e.path().join("container.json");
                let Ok(text) = std::fs::read_to_string(&record) else {
                    continue;
                };
                assert!(
                    serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                    "{what}: corrupt record {}: {text}",
                    record.display()
                );
                // A killed build's containers are gone once the next command ran.
                assert!(
                    !text.contains("io.gorae.build"),
                    "{what}: a killed build left its container {}",
                    record.display()
                );
            }
        }
        let events = std::fs::read_to_string(root.join("events.jsonl")).unwrap_or_default();
        for line in events.lines() {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok(),
                "{what}: torn event line: {line}"
            );
        }

        // `ps -a` and `images -a` agree: every container's image is listed.
        let image_ids: BTreeSet<String> = self
            .docker_ok(&["images", "-a", "-q", "--no-trunc"], what)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let ids = self.docker_ok(&["ps", "-a", "-q", "--no-trunc"], what);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        assert_eq!(
            ids.len(),
            ps.lines().count() - 1,
            "{what}: `ps -a` and `ps -a -q` disagree:\n{ps}"
        );
        for id in ids {
            let fmt = "{{.State.Status}} {{.State.Pid}} {{.Image}}";
            let out = self.docker_ok(&["inspect", "-f", fmt, id], what);
            let f: Vec<&str> = out.split_whitespace().collect();
            let [status, pid, image] = f[..] else {
                panic!("{what}: inspect {id}: {out}");
            };
            assert!(
                image_ids.contains(image),
                "{what}: container {id} uses image {image}, which `docker images -a` lacks:\n{images}"
            );
            // Running means a live process (it may exit between the two looks: look again).
            if status == "running" {
                let pid: i32 = pid.parse().unwrap_or(0);
                let alive = pid > 0 && Path::new(&format!("/proc/{pid}")).exists();
                let still = self.sb.docker(&["inspect", "-f", "{{.State.Status}}", id]);
                assert!(
                    alive || still.stdout.trim() != "running",
                    "{what}: container {id} is running with no process (pid {pid})"
                );
            }
        }

        // And no container process without a container: every monitor of this store belongs
        // to a container that is running (a monitor ends with its container).
        let lingering = || {
            self.monitors()
                .into_iter()
                .filter(|(_, id)| {
                    let r = self.sb.docker(&["inspect", "-f", "{{.State.Status}}", id]);
                    r.code != 0 || r.stdout.trim() != "running"
                })
                .collect::<Vec<_>>()
        };
        // One whose container just ended may still be writing its exit down.
        wait_until(Duration::from_secs(2), || lingering().is_empty());
        let left = lingering();
        assert!(
            left.is_empty(),
            "{what}: monitors of containers that are not running: {left:?}\n{ps}"
        );

        let progress = self.state.join("progress.toml");
        assert!(progress.is_file(), "{what}: the progress file is gone");
        let p = Progress::load_from(&progress);
        assert!(p.problem.is_none(), "{what}: {:?}", p.problem);
        assert!(p.is_done("00-start", "version"), "{what}: progress lost");
    }
}

/// When the TUI dies: some ms after Enter (the shell may not even have read the line), or
/// some ms after the docker CLI process appeared under the shell (the command has started).
#[derive(Clone, Copy, Debug)]
enum Kill {
    AfterEnter(u64),
    AfterStart(u64),
}

/// The commands take ~10 ms (commit, rm) to ~1.5 s (pulling debian) here: these points hit
/// each one before it starts, as it starts, while it runs, and (for the short ones) after.
const KILLS: &[Kill] = &[
    Kill::AfterEnter(0),
    Kill::AfterStart(0),
    Kill::AfterStart(5),
    Kill::AfterStart(20),
    Kill::AfterStart(400),
];

/// The shell's first child, once there is one (the command it runs).
fn first_child(pid: i32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn killing_the_tui_mid_command_leaves_a_consistent_store() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let w = World::new();
    let started = Instant::now();

    // Some progress to lose: the first real step, done by typing its command.
    let tui = w.start_tui("setup");
    tui.tmux.keys(&["F6"]);
    tui.tmux.literal("docker version");
    tui.tmux.keys(&["Enter"]);
    let progress = w.state.join("progress.toml");
    assert!(
        wait_until(Duration::from_secs(15), || Progress::load_from(&progress)
            .is_done("00-start", "version")),
        "setup: `docker version` did not complete the step:\n{}",
        tui.tmux.screen()
    );
    w.kill(tui, "setup");
    w.docker_ok(&["pull", "busybox"], "setup");

    // What to set up with the CLI before each command the learner types.
    type Prep = fn(&World);
    let no_debian: Prep = |w| {
        let _ = w.sb.docker(&["rmi", "-f", "debian"]);
    };
    let no_xx: Prep = |w| {
        let _ = w.sb.docker(&["rm", "-f", "xx"]);
    };
    let exited_xx: Prep = |w| {
        let _ = w.sb.docker(&["rm", "-f", "xx"]);
        w.docker_ok(
            &["run", "--name", "xx", "busybox", "sh", "-c", "echo hi > /f"],
            "prep",
        );
    };
    let running_xx: Prep = |w| {
        let _ = w.sb.docker(&["rm", "-f", "xx"]);
        w.docker_ok(
            &["run", "-d", "--name", "xx", "busybox", "sleep", "1000"],
            "prep",
        );
    };
    let nothing: Prep = |_| {};
    // The learner at the step `docker info` completes: the TUI saves progress as it ends.
    let at_info: Prep = |w| {
        let mut p = Progress::load_from(&w.state.join("progress.toml"));
        p.reset_lesson("00-start");
        p.mark_done("00-start", "keys");
        p.mark_done("00-start", "version");
        p.set_current("00-start", "info");
        p.save().expect("save progress");
    };
    let build = format!("docker build --no-cache -t built {}", w.ctx.display());
    // What the learner would do next: whatever the crash left, it works.
    type After = fn(&World, &str);
    let after_pull: After = |w, what| {
        // A half-pulled image is either absent or whole; pulling again completes it.
        w.docker_ok(&["pull", "debian"], what);
        let out = w.docker_ok(
            &["run", "--rm", "debian", "cat", "/etc/debian_version"],
            what,
        );
        assert!(!out.trim().is_empty(), "{what}: {out}");
    };
    let after_run: After = |w, what| {
        // The container outlives its client, as with Docker: unless the kill came between
        // create and start, it ran to its end and did its work.
        let status = w.sb.docker(&["inspect", "-f", "{{.State.Status}}", "xx"]);
        if status.code != 0 || status.stdout.trim() == "created" {
            return;
        }
        let code = w.docker_ok(&["wait", "xx"], what);
        assert_eq!(
            code.trim(),
            "0",
            "{what}: the container did not finish its work"
        );
        w.docker_ok(&["commit", "xx", "snap"], what);
    };
    let after_commit: After = |w, what| {
        w.docker_ok(&["commit", "xx", "snap"], what);
    };
    let after_rm: After = |w, what| {
        let _ = w.sb.docker(&["rm", "-f", "xx"]);
        let ps = w.docker_ok(&["ps", "-a"], what);
        assert!(
            !ps.contains(" xx\n"),
            "{what}: `rm -f xx` twice left it:\n{ps}"
        );
    };
    let after_build: After = |w, what| {
        // The build cache may hold the killed build's steps: they must be whole.
        let ctx = w.ctx.to_string_lossy();
        w.docker_ok(&["build", "-t", "built", &ctx], what);
        let out = w.docker_ok(&["run", "--rm", "built", "cat", "/one", "/two", "/f"], what);
        assert_eq!(out, "one\ntwo\nf\n", "{what}: the built image is wrong");
    };
    let after_info: After = |_, _| {};
    let commands: [(Prep, &str, After); 6] = [
        (at_info, "docker info", after_info),
        (no_debian, "docker pull debian", after_pull),
        (
            no_xx,
            "docker run --name xx busybox sh -c 'echo hi > /f'",
            after_run,
        ),
        (exited_xx, "docker commit xx snap", after_commit),
        (running_xx, "docker rm -f xx", after_rm),
        (nothing, &build, after_build),
    ];

    let mut report = Vec::new();
    for (prep, cmd, after) in commands {
        // `docker info` ticks its step ~5-20 ms after it starts: kill around the save.
        let around_save = [3, 6, 9, 12].map(Kill::AfterStart);
        let extra: &[Kill] = if cmd == "docker info" {
            &around_save
        } else {
            &[]
        };
        for &kill in KILLS.iter().chain(extra) {
            let what = format!("`{cmd}` killed {kill:?}");
            prep(&w);
            let tui = w.start_tui(&what);
            let finished_before = w.commands_finished();
            tui.tmux.literal(cmd);
            tui.tmux.keys(&["Enter"]);
            let cli = match kill {
                Kill::AfterEnter(ms) => {
                    std::thread::sleep(Duration::from_millis(ms));
                    first_child(tui.shell)
                }
                Kill::AfterStart(ms) => {
                    // Polled tightly: `commit` and `rm` are over in ~10 ms. On a loaded
                    // machine the command may still come and go between two looks: then
                    // its logged end shows it ran, and the kill lands after it.
                    let deadline = Instant::now() + Duration::from_secs(10);
                    let mut cli = first_child(tui.shell);
                    let mut looks = 0u32;
                    while cli.is_none() && Instant::now() < deadline {
                        looks += 1;
                        if looks.is_multiple_of(50) && w.commands_finished() > finished_before {
                            break;
                        }
                        std::thread::sleep(Duration::from_micros(200));
                        cli = first_child(tui.shell);
                    }
                    assert!(
                        cli.is_some() || w.commands_finished() > finished_before,
                        "{what}: the command never started:\n{}",
                        tui.tmux.screen()
                    );
                    std::thread::sleep(Duration::from_millis(ms));
                    cli
                }
            };
            let running = cli.is_some_and(|p| proc_stat(p).is_some());
            w.kill(tui, &what);
            // A command that ran to its end logged its `command` event.
            let outcome = match (running, w.commands_finished() > finished_before) {
                (false, _) => "not running at the kill",
                (true, true) => "running at the kill, then finished",
                (true, false) => "running at the kill, died with the TUI",
            };
            let progress = Progress::load_from(&w.state.join("progress.toml"));
            let saved = match cmd {
                "docker info" if progress.is_done("00-start", "info") => "; step saved",
                "docker info" => "; step not saved",
                _ => "",
            };
            report.push(format!("{what}: {outcome}{saved}"));
            w.check(&what);
            after(&w, &what);
            // A committed image has the container's change, whole.
            if w.sb.docker(&["image", "inspect", "snap"]).code == 0 {
                let out = w.docker_ok(&["run", "--rm", "snap", "cat", "/f"], &what);
                assert_eq!(out, "hi\n", "{what}: snap lost /f");
            }
        }
    }
    eprintln!("{}", report.join("\n"));

    // An interactive container whose terminal died: still running, and attachable.
    let what = "`docker run -it` at its prompt";
    let _ = w.sb.docker(&["rm", "-f", "it1"]);
    let tui = w.start_tui(what);
    tui.tmux.literal("docker run -it --name it1 busybox sh");
    tui.tmux.keys(&["Enter"]);
    let (ok, s) = tui.tmux.wait_for(Duration::from_secs(15), |s| {
        s.lines().any(|l| l.trim_end().ends_with("/ #"))
    });
    assert!(ok, "{what}: no container prompt:\n{s}");
    w.kill(tui, what);
    w.check(what);
    let status = w.docker_ok(&["inspect", "-f", "{{.State.Status}}", "it1"], what);
    assert_eq!(status.trim(), "running", "{what}");
    let tui = w.start_tui(what);
    tui.tmux.literal("docker attach it1");
    tui.tmux.keys(&["Enter"]);
    // Typed before the client set its terminal raw, the line could be flushed away.
    assert!(
        wait_until(Duration::from_secs(10), || first_child(tui.shell).is_some()),
        "{what}: `docker attach` did not start"
    );
    std::thread::sleep(Duration::from_millis(300));
    tui.tmux.literal("echo alive$((40+2))");
    tui.tmux.keys(&["Enter"]);
    let (ok, s) = tui
        .tmux
        .wait_for(Duration::from_secs(15), |s| s.contains("alive42"));
    assert!(ok, "{what}: re-attached container did not answer:\n{s}");
    tui.tmux.literal("exit");
    tui.tmux.keys(&["Enter"]);
    assert!(
        wait_until(Duration::from_secs(15), || w
            .sb
            .docker(&["inspect", "-f", "{{.State.Status}}", "it1"])
            .stdout
            .trim()
            == "exited"),
        "{what}: `exit` in the attached shell did not end the container"
    );
    w.kill(tui, what);
    w.check(what);

    // Every tagged image is whole: it runs.
    let images = w.docker_ok(&["images"], "end");
    for line in images.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let [repo, tag, ..] = f[..]
            && repo != "<none>"
        {
            let r = format!("{repo}:{tag}");
            w.docker_ok(&["run", "--rm", &r, "true"], &format!("end: {r}"));
        }
    }
    // With every container gone, nothing under the store stays mounted on the host.
    let ids = w.docker_ok(&["ps", "-a", "-q"], "end");
    for id in ids.split_whitespace() {
        w.docker_ok(&["rm", "-f", id], "end");
    }
    w.check("end");
    let root = w.sb.root();
    let root = root.to_string_lossy();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let left: Vec<&str> = mounts.lines().filter(|l| l.contains(&*root)).collect();
    assert!(left.is_empty(), "mounts left under the store: {left:#?}");
    eprintln!("{:.1} s", started.elapsed().as_secs_f64());
}
