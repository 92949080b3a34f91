//! Health checks through the binary: `run --health-*` and `--no-healthcheck`, a Dockerfile
//! HEALTHCHECK, `.State.Health` in inspect, `ps` STATUS and `--filter health=`, the
//! `health_status` events, and Docker's errors for bad flags. (Compose's service_healthy wait is
//! in compose.rs, the rootless run in rootless.rs.)
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

/// Wait (generously) until `inspect --format FORMAT name` prints `want`.
fn wait_inspect(s: &Sandbox, name: &str, format: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = s.docker(&["inspect", "--format", format, name]).stdout;
        if got.trim() == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: {format} is {got:?}, never {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn health(s: &Sandbox, name: &str) -> serde_json::Value {
    let out = s.ok(&["inspect", "--format", "{{json .State.Health}}", name]);
    serde_json::from_str(&out).unwrap()
}

fn status(s: &Sandbox, name: &str) -> String {
    s.status(name)
}

fn names_with(s: &Sandbox, filter: &str) -> Vec<String> {
    let mut names: Vec<String> = s
        .ok(&["ps", "-a", "--filter", filter, "--format", "{{.Names}}"])
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn a_passing_check_becomes_healthy_and_a_failing_one_unhealthy_after_retries() {
    let s = pulled();
    let run = |name: &str, flags: &[&str]| {
        let mut args = vec!["run", "-d", "--name", name];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "sleep", "300"]);
        s.ok(&args);
    };
    run(
        "good",
        &["--health-cmd", "echo fine", "--health-interval", "200ms"],
    );
    run(
        "sick",
        &[
            "--health-cmd",
            "echo broken; exit 3",
            "--health-interval",
            "200ms",
            "--health-retries",
            "2",
        ],
    );
    // An hour between checks: it stays starting for the whole test.
    run(
        "waiting",
        &["--health-cmd", "true", "--health-interval", "1h"],
    );
    run("plain", &[]);

    wait_inspect(&s, "good", "{{.State.Health.Status}}", "healthy");
    wait_inspect(&s, "sick", "{{.State.Health.Status}}", "unhealthy");
    let good = health(&s, "good");
    assert_eq!(good["FailingStreak"], 0);
    let log = good["Log"].as_array().unwrap();
    assert!(!log.is_empty() && log.len() <= 5, "{good}");
    assert_eq!(log[0]["ExitCode"], 0);
    assert_eq!(log[0]["Output"], "fine\n");
    assert!(log[0]["Start"].as_str().unwrap() <= log[0]["End"].as_str().unwrap());
    let sick = health(&s, "sick");
    assert!(sick["FailingStreak"].as_u64().unwrap() >= 2, "{sick}");
    assert_eq!(sick["Log"][0]["ExitCode"], 3);
    assert_eq!(sick["Log"][0]["Output"], "broken\n");
    // The log keeps the last five.
    wait_inspect(&s, "good", "{{len .State.Health.Log}}", "5");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(health(&s, "good")["Log"].as_array().unwrap().len(), 5);

    // What inspect shows of the check itself, as Docker stores it.
    let cfg = s.ok(&[
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        "sick",
    ]);
    let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
    assert_eq!(
        cfg,
        serde_json::json!({"Test": ["CMD-SHELL", "echo broken; exit 3"], "Interval": 200_000_000, "Retries": 2})
    );

    // ps: the status after Up, and the health filter.
    assert!(
        status(&s, "good").ends_with(" (healthy)"),
        "{}",
        status(&s, "good")
    );
    assert!(
        status(&s, "sick").ends_with(" (unhealthy)"),
        "{}",
        status(&s, "sick")
    );
    let waiting = status(&s, "waiting");
    assert!(waiting.ends_with(" (health: starting)"), "{waiting}");
    let plain = status(&s, "plain");
    assert!(plain.starts_with("Up ") && !plain.contains('('), "{plain}");
    assert_eq!(names_with(&s, "health=healthy"), ["good"]);
    assert_eq!(names_with(&s, "health=unhealthy"), ["sick"]);
    assert_eq!(names_with(&s, "health=starting"), ["waiting"]);
    assert_eq!(names_with(&s, "health=none"), ["plain"]);
    let bad = s.docker(&["ps", "--filter", "health=fine"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("Unrecognised filter value for health: fine"),
        "{}",
        bad.stderr
    );

    // The status changes are events with Docker's action text.
    let events = s.ok(&["events", "--since", "1h", "--until", "0s"]);
    assert!(
        events
            .lines()
            .any(|l| l.contains(" container health_status: healthy ") && l.contains("name=good")),
        "{events}"
    );
    assert!(
        events
            .lines()
            .any(|l| l.contains(" container health_status: unhealthy ") && l.contains("name=sick")),
        "{events}"
    );

    // `event=health_status` matches every status, as Docker's filter does.
    let only = s.ok(&[
        "events",
        "--since",
        "1h",
        "--until",
        "0s",
        "--filter",
        "event=health_status",
    ]);
    assert!(only.lines().count() >= 2, "{only}");
    assert!(
        only.lines()
            .all(|l| l.contains(" container health_status: ")),
        "{only}"
    );

    // Stopped, the check no longer runs: Docker then reports it unhealthy, and ps shows no health.
    s.ok(&["stop", "-t", "0", "good"]);
    wait_inspect(&s, "good", "{{.State.Health.Status}}", "unhealthy");
    assert!(status(&s, "good").starts_with("Exited ("));
}

#[test]
fn a_timed_out_probe_fails_with_dockers_message() {
    let s = pulled();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "slow",
        "--health-cmd",
        "sleep 30",
        "--health-interval",
        "200ms",
        "--health-timeout",
        "300ms",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "300",
    ]);
    wait_inspect(&s, "slow", "{{.State.Health.Status}}", "unhealthy");
    let h = health(&s, "slow");
    assert_eq!(h["Log"][0]["ExitCode"], -1);
    assert_eq!(
        h["Log"][0]["Output"],
        "Health check exceeded timeout (300ms)"
    );
    // The timed-out probes are gone, not left behind in the container.
    std::thread::sleep(Duration::from_millis(500));
    let top = s.ok(&["top", "slow"]);
    assert!(top.matches("sleep 30").count() <= 1, "{top}");
}

#[test]
fn a_dockerfile_healthcheck_reaches_inspect_and_no_healthcheck_overrides_it() {
    let s = pulled();
    let ctx = s.dir.path().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nHEALTHCHECK --interval=200ms --retries=2 CMD test -f /tmp/ready\nCMD [\"sleep\", \"300\"]\n",
    )
    .unwrap();
    s.ok(&["build", "-q", "-t", "checked", ctx.to_str().unwrap()]);
    let image = s.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        "checked",
    ]);
    let image: serde_json::Value = serde_json::from_str(&image).unwrap();
    assert_eq!(
        image,
        serde_json::json!({"Test": ["CMD-SHELL", "test -f /tmp/ready"], "Interval": 200_000_000, "Retries": 2})
    );
    let history = s.ok(&["history", "--no-trunc", "checked"]);
    assert!(
        history.contains(
            r#"HEALTHCHECK &{["CMD-SHELL" "test -f /tmp/ready"] "200ms" "0s" "0s" "0s" '\x02'}"#
        ),
        "{history}"
    );

    // The image's check runs: failing until the file is there, then healthy.
    s.ok(&["run", "-d", "--name", "app", "checked"]);
    wait_inspect(&s, "app", "{{.State.Health.Status}}", "unhealthy");
    s.ok(&["exec", "app", "touch", "/tmp/ready"]);
    wait_inspect(&s, "app", "{{.State.Health.Status}}", "healthy");

    // A commit keeps the container's check, as Docker's does.
    s.ok(&["commit", "app", "committed"]);
    let committed = s.ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        "committed",
    ]);
    assert_eq!(committed, image.to_string() + "\n");

    // --no-healthcheck: no check runs, whatever the image says.
    s.ok(&[
        "run",
        "-d",
        "--name",
        "unchecked",
        "--no-healthcheck",
        "checked",
    ]);
    let test = s.ok(&[
        "inspect",
        "--format",
        "{{json .Config.Healthcheck.Test}}",
        "unchecked",
    ]);
    assert_eq!(test.trim(), r#"["NONE"]"#);
    std::thread::sleep(Duration::from_millis(800));
    let st = status(&s, "unchecked");
    assert!(st.starts_with("Up ") && !st.contains('('), "{st}");
    assert_eq!(names_with(&s, "health=none"), ["unchecked"]);

    // A bad HEALTHCHECK line is refused with Docker's words, naming the line.
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nHEALTHCHECK --interval=soon CMD true\n",
    )
    .unwrap();
    let r = s.docker(&["build", "-q", ctx.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains(":2: time: invalid duration \"soon\""),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_health_flags_are_refused_in_dockers_words() {
    let s = Sandbox::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--health-interval", "soon"],
            "invalid argument \"soon\" for \"--health-interval\" flag: time: invalid duration \"soon\"\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information",
        ),
        (
            &["--health-timeout", "5"],
            "invalid argument \"5\" for \"--health-timeout\" flag: time: missing unit in duration \"5\"\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information",
        ),
        (
            &["--health-retries", "x"],
            "invalid argument \"x\" for \"--health-retries\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information",
        ),
        (
            &["--health-start-period", "-1s"],
            "docker: --health-start-period cannot be negative\n\nRun 'docker run --help' for more information",
        ),
        (
            &["--no-healthcheck", "--health-cmd", "true"],
            "docker: --no-healthcheck conflicts with --health-* options\n\nRun 'docker run --help' for more information",
        ),
    ];
    for (flags, want) in cases {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "true"]);
        let r = s.docker(&args);
        assert_eq!(r.code, 125, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim_end(), *want, "{args:?}");
    }
    // The daemon's floor: below 1ms is refused and nothing is created.
    s.ok(&["pull", "busybox"]);
    // `create` words a daemon error as Docker's CLI does: no `docker:` prefix, exit 1.
    let r = s.docker(&["create", "--health-interval", "10us", "busybox"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Interval in Healthcheck cannot be less than 1ms"),
        "{}",
        r.stderr
    );
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    // In Korean.
    let r = s.docker_env(
        &[
            "run",
            "--no-healthcheck",
            "--health-retries",
            "1",
            "busybox",
        ],
        &[("LANG", "ko_KR.UTF-8")],
    );
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("함께 쓸 수 없습니다"), "{}", r.stderr);
}
