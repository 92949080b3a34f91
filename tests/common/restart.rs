//! Restart policies seen through the binary, for any user: each scenario takes a `docker`
//! runner (root's sandbox in tests/restart.rs, `learner` in tests/rootless.rs) whose store
//! has busybox. Waits are for a state, with a generous bound, never for a time.

use super::Run;

pub type Docker<'a> = &'a dyn Fn(&[&str]) -> Run;

fn ok(d: Docker, args: &[&str]) -> String {
    let r = d(args);
    assert_eq!(
        r.code, 0,
        "docker {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        r.code, r.stdout, r.stderr
    );
    r.stdout
}

/// `inspect -f TEMPLATE NAME`, trimmed.
fn look(d: Docker, name: &str, template: &str) -> String {
    ok(d, &["inspect", "-f", template, name]).trim().to_string()
}

/// Poll `read` until `want` holds (bounded: a minute). The last value.
pub fn poll(read: impl Fn() -> String, want: impl Fn(&str) -> bool, what: &str) -> String {
    let mut last = String::new();
    for _ in 0..600 {
        last = read();
        if want(&last) {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} never became what was waited for; last: {last}");
}

/// Poll `inspect -f TEMPLATE NAME` until `want` holds.
fn until(d: Docker, name: &str, template: &str, want: impl Fn(&str) -> bool) -> String {
    poll(
        || look(d, name, template),
        want,
        &format!("{name}: {template}"),
    )
}

/// The container actions in the event feed for `id`, in order.
fn actions(d: Docker, id: &str) -> Vec<String> {
    ok(
        d,
        &[
            "events", "--since", "10m", "--until", "0s", "--format", "json",
        ],
    )
    .lines()
    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    .filter(|e| e["id"] == id)
    .filter_map(|e| e["action"].as_str().map(str::to_string))
    .collect()
}

/// Long enough for one more restart, had one been due (the back-off is then ≤ 400 ms).
fn a_while() {
    std::thread::sleep(std::time::Duration::from_millis(1500));
}

/// `on-failure:2` on `exit 3`: two restarts, then it stays exited 3; `die` then `start` for
/// each, as Docker's feed has them; the policy as inspect shows it.
pub fn on_failure_restarts_exactly_n_times(d: Docker) {
    let id = ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "flaky",
            "--restart",
            "on-failure:2",
            "busybox",
            "sh",
            "-c",
            "exit 3",
        ],
    );
    let id = id.trim();
    let t = "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}";
    until(d, "flaky", t, |s| s == "exited 2 3");
    a_while();
    assert_eq!(look(d, "flaky", t), "exited 2 3", "it stays exited");
    assert_eq!(
        look(d, "flaky", "{{json .HostConfig.RestartPolicy}}"),
        r#"{"MaximumRetryCount":2,"Name":"on-failure"}"#
    );
    assert_eq!(
        actions(d, id),
        ["create", "start", "die", "start", "die", "start", "die"]
    );
    // A start by the user counts again from zero (as Docker's does).
    ok(d, &["start", "flaky"]);
    until(d, "flaky", t, |s| s == "exited 2 3");
}

/// `always` after `exit 0`, `unless-stopped` too; `ps` says `Restarting (1)` during a
/// back-off and inspect `.State.Restarting`; `stop` ends it and it stays exited.
pub fn always_restarts_until_stopped(d: Docker) {
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "again",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "exit 0",
        ],
    );
    until(d, "again", "{{.RestartCount}}", |n| {
        n.parse::<u32>().is_ok_and(|n| n >= 2)
    });
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "unless",
            "--restart",
            "unless-stopped",
            "busybox",
            "sh",
            "-c",
            "exit 1",
        ],
    );
    // The back-off grows: it is soon seen between two runs, listed by `ps` (without -a)
    // as Docker lists it, and counted as running with no process.
    poll(
        || {
            ok(
                d,
                &["ps", "--filter", "name=^unless$", "--format", "{{.Status}}"],
            )
        },
        |s| s.starts_with("Restarting (1) "),
        "ps STATUS of unless",
    );
    let t = "{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.State.Pid}}";
    until(d, "unless", t, |s| s == "restarting true true 0");
    for name in ["again", "unless"] {
        assert_eq!(ok(d, &["stop", name]).trim(), name);
        let t = "{{.State.Status}} {{.RestartCount}}";
        let stopped = until(d, name, t, |s| s.starts_with("exited "));
        a_while();
        assert_eq!(look(d, name, t), stopped, "{name} stays stopped");
    }
    // Its last exit; 137 when the stop came as a restart was starting it (Docker's race too).
    let code = look(d, "unless", "{{.State.ExitCode}}");
    assert!(code == "1" || code == "137", "{code}");
}

/// What a container between two runs refuses, and `rm -f` then: gone, and nothing comes back.
pub fn rm_force_during_back_off(d: Docker) {
    ok(
        d,
        &[
            "run",
            "-d",
            "--name",
            "doomed",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "exit 1",
        ],
    );
    // Refused between two runs (a run may start between the look and the `rm`: then the
    // refusal says running, and we look again).
    let between = "Error response from daemon: cannot remove container \"/doomed\": container is restarting: stop the container before removing or force remove";
    poll(
        || {
            until(d, "doomed", "{{.State.Status}}", |s| s == "restarting");
            let rm = d(&["rm", "doomed"]);
            assert_eq!(rm.code, 1, "{}", rm.stderr);
            rm.stderr.trim().to_string()
        },
        |e| e == between,
        "rm of a restarting container",
    );
    assert_eq!(ok(d, &["rm", "-f", "doomed"]).trim(), "doomed");
    a_while();
    let left = ok(d, &["ps", "-aq", "--filter", "name=^doomed$"]);
    assert_eq!(left.trim(), "", "nothing comes back");
}

/// Bad values get Docker's words and exit codes; nothing is created.
pub fn bad_values_are_refused(d: Docker) {
    let before = ok(d, &["ps", "-aq"]);
    let refused = |args: &[&str], code: i32, first: &str| {
        let r = d(args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().next().unwrap_or(""), first, "{args:?}");
    };
    let daemon = "docker: Error response from daemon: invalid restart policy:";
    let unknown =
        "unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'";
    let cases: [(&[&str], String); 5] = [
        (
            &["run", "--restart", "bogus", "busybox"],
            format!("{daemon} {unknown}"),
        ),
        (
            &["run", "--restart", "always:2", "busybox"],
            format!("{daemon} maximum retry count can only be used with 'on-failure'"),
        ),
        (
            &["run", "--restart", "on-failure:-1", "busybox"],
            format!("{daemon} maximum retry count cannot be negative"),
        ),
        (
            &["create", "--restart", "on-failure:x", "busybox"],
            "docker: invalid restart policy format: maximum retry count must be an integer".into(),
        ),
        (
            &["run", "--rm", "--restart", "always", "busybox"],
            "docker: conflicting options: cannot specify both --restart and --rm".into(),
        ),
    ];
    for (args, first) in &cases {
        refused(args, 125, first);
    }
    let r = d(&["run", "--restart", ":1", "busybox"]);
    assert_eq!(
        r.stderr,
        "docker: invalid restart policy format: no policy provided before colon\n\nRun 'docker run --help' for more information\n"
    );
    assert_eq!(ok(d, &["ps", "-aq"]), before, "nothing was created");
    // `create` passes the daemon's refusal on as it is (exit 1), as Docker's CLI does;
    // `update` changes the policy, or refuses as Docker's does.
    let plain = format!("Error response from daemon: invalid restart policy: {unknown}");
    refused(&["create", "--restart", "bogus", "busybox"], 1, &plain);
    ok(d, &["create", "--name", "later", "busybox", "true"]);
    refused(&["update", "--restart", "bogus", "later"], 1, &plain);
    assert_eq!(
        ok(d, &["update", "--restart", "on-failure:1", "later"]).trim(),
        "later"
    );
    assert_eq!(
        look(d, "later", "{{json .HostConfig.RestartPolicy}}"),
        r#"{"MaximumRetryCount":1,"Name":"on-failure"}"#
    );
    ok(d, &["rm", "later"]);
}
