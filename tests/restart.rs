//! Restart policies (`--restart`) through the binary as root; the same scenarios run as
//! `learner` in tests/rootless.rs (tests/common/restart.rs).
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sandbox, restart};

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

#[test]
fn on_failure_n_restarts_exactly_n_times() {
    let s = pulled();
    restart::on_failure_restarts_exactly_n_times(&|a| s.docker(a));
}

#[test]
fn always_and_unless_stopped_restart_until_stopped() {
    let s = pulled();
    restart::always_restarts_until_stopped(&|a| s.docker(a));
}

#[test]
fn rm_force_during_a_back_off_removes_it_for_good() {
    let s = pulled();
    restart::rm_force_during_back_off(&|a| s.docker(a));
}

#[test]
fn bad_restart_values_are_refused_in_dockers_words() {
    let s = pulled();
    restart::bad_values_are_refused(&|a| s.docker(a));
}

#[test]
fn an_attached_run_returns_the_first_exit_and_kill_ends_restarting() {
    let s = pulled();
    let r = s.docker(&[
        "run",
        "--name",
        "att",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        "echo hi; exit 3",
    ]);
    // Docker's CLI returns with the first run's exit; the container goes on restarting.
    assert_eq!((r.code, r.stdout.as_str()), (3, "hi\n"), "{}", r.stderr);
    restart::poll(
        || s.ok(&["inspect", "-f", "{{.RestartCount}}", "att"]),
        |n| n.trim() != "0",
        "att's RestartCount",
    );
    assert_eq!(s.ok(&["kill", "att"]), "att\n");
    s.ok(&["wait", "att"]);
    let t = "{{.State.Status}} {{.RestartCount}}";
    let after = s.ok(&["inspect", "-f", t, "att"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(s.ok(&["inspect", "-f", t, "att"]), after, "kill ended it");
    assert!(after.starts_with("exited "), "{after}");
}

#[test]
fn compose_passes_a_services_restart_policy_to_its_container() {
    let s = pulled();
    let dir = s.dir.path().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  job:\n    image: busybox\n    command: sh -c 'exit 4'\n    restart: on-failure:1\n",
    )
    .unwrap();
    let f = file.to_string_lossy().to_string();
    let up = s.docker(&["compose", "-f", &f, "-p", "rp", "up", "-d"]);
    assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
    let name = "rp-job-1";
    assert_eq!(
        s.ok(&["inspect", "-f", "{{json .HostConfig.RestartPolicy}}", name])
            .trim(),
        r#"{"MaximumRetryCount":1,"Name":"on-failure"}"#
    );
    let t = "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}";
    restart::poll(
        || s.ok(&["inspect", "-f", t, name]),
        |v| v.trim() == "exited 1 4",
        "the service's container",
    );
}

/// What the first run wrote is there for the next (the same container), and its published
/// port answers again: the restarted monitor binds it anew, even while a connection made
/// during the first run was still being relayed.
#[test]
fn a_restarted_container_keeps_its_files_and_its_published_port() {
    use std::io::{Read, Write};
    let s = pulled();
    s.ok(&[
        "run", "-d", "--name", "web", "-p", "80", "--restart", "on-failure", "busybox", "sh",
        "-c",
        "if [ -f /tmp/ran ]; then exec httpd -f -h /tmp -p 80; fi; echo again > /tmp/index.html; touch /tmp/ran; sleep 1; exit 1",
    ]);
    let port = s.ok(&["port", "web", "80"]);
    let port: u16 = port
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {port:?}"));
    let get = move || {
        let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return String::new();
        };
        let _ = c.write_all(b"GET /index.html HTTP/1.0\r\n\r\n");
        let mut body = String::new();
        let _ = c.read_to_string(&mut body);
        body
    };
    // Nothing listens in the first run: this connection is relayed (retried) past its end.
    let early = std::thread::spawn(get);
    let t = "{{.State.Status}} {{.RestartCount}}";
    restart::poll(
        || s.ok(&["inspect", "-f", t, "web"]),
        |v| v.trim() == "running 1",
        "web's second run",
    );
    restart::poll(get, |b| b.ends_with("again\n"), "the page through the port");
    let _ = early.join();
}

#[test]
fn korean_restart_refusals() {
    let s = pulled();
    let r = s.docker_env(
        &["run", "--restart", "bogus", "busybox"],
        &[("GORAE_LANG", "ko")],
    );
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains("알 수 없는 재시작 정책입니다: 'bogus'"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("도움말: 'docker run --help'"),
        "{}",
        r.stderr
    );
    let r = s.docker_env(
        &["run", "--rm", "--restart", "always", "busybox"],
        &[("GORAE_LANG", "ko")],
    );
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains("--restart와 --rm은 함께 쓸 수 없습니다"),
        "{}",
        r.stderr
    );
}
