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
    s.ok(&["ps", "-a", "--filter", &format!("name=^{name}$"), "--format", "{{.Status}}"])
        .trim()
        .to_string()
}

#[test]
fn stop_sends_the_signal_asked_for() {
    let s = pulled();
    // The shell ignores TERM: only the signal given stops it quickly.
    detached(&s, "usr", "trap 'exit 42' USR1; trap '' TERM; while true; do sleep 0.1; done");
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
    assert!(status(&s, "usr").starts_with("Exited (42)"), "{}", status(&s, "usr"));
}

#[test]
fn top_passes_ps_options_to_ps_and_keeps_the_containers_rows() {
    let s = pulled();
    if std::process::Command::new("ps").arg("-V").output().is_err() {
        return common::skip("no ps on this machine");
    }
    detached(&s, "topped", "sleep 300");
    let out = s.ok(&["top", "topped", "-o", "pid,comm"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("PID                 COMMAND"), "{out}");
    assert!(lines[1].ends_with("sleep"), "{out}");
    // Without options: the -ef table, 20-column minimum as Docker's tabwriter.
    let plain = s.ok(&["top", "topped"]);
    assert!(plain.starts_with("UID                 PID                 PPID"), "{plain}");
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
