//! A Korean learner sees Korean when a container's process cannot start (`docker run` and
//! `docker exec`: a bad working dir, a missing program, an unknown user), an English one
//! Docker's wording; both with Docker's exit codes. Through the real binary and the locale.
//!
//! Docker's codes: `docker run` exits 127 when the program is not found, 126 when it cannot be
//! invoked, 125 for other start failures (docker/cli `runStartContainerErr`: an unknown user or
//! a working dir that is a file is 125); `docker exec` exits 126 whenever the process could
//! not start (moby `ContainerExecStart`), a missing program included.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Run, Sandbox};

const KO: &[(&str, &str)] = &[("LANG", "ko_KR.UTF-8")];
const EN: &[(&str, &str)] = &[("LANG", "en_US.UTF-8")];

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

/// The failure's message (on stderr; an exec's on stdout, as Docker's daemon writes it into
/// the exec's stream) and code.
fn fails(r: &Run, code: i32, wanted: &[&str], what: &str) {
    assert_eq!(r.code, code, "{what}: {}", r.stderr);
    let said = format!("{}{}", r.stderr, r.stdout);
    for w in wanted {
        assert!(said.contains(w), "{what}: wanted {w:?} in {:?}", r.stderr);
    }
    // No Rust io::Error wording reaches the learner.
    assert!(!r.stderr.contains("os error"), "{what}: {:?}", r.stderr);
}

/// Korean text, and no English words from the runtime's messages.
fn korean(r: &Run, code: i32, wanted: &[&str], what: &str) {
    fails(r, code, wanted, what);
    for english in [
        "Not a directory",
        "not a directory",
        "executable file not found",
        "unable to find user",
        "no matching entries",
        "Error response",
        "OCI runtime",
    ] {
        assert!(
            !format!("{}{}", r.stderr, r.stdout).contains(english),
            "{what}: English {english:?} in {:?}",
            r.stderr
        );
    }
}

#[test]
fn run_failures_speak_korean() {
    let s = pulled();
    let ko = |args: &[&str]| s.docker_env(args, KO);
    for wd in ["/etc/passwd", "/proc/self/fd/3"] {
        let r = ko(&["run", "--rm", "-w", wd, "busybox", "true"]);
        korean(
            &r,
            125,
            &[
                "컨테이너를 시작하지 못했습니다",
                &format!(
                    "작업 디렉터리 \"{wd}\"{} 옮기지 못했습니다: 디렉터리가 아닙니다",
                    to(wd)
                ),
            ],
            &format!("run -w {wd}"),
        );
    }
    let r = ko(&["run", "--rm", "busybox", "nope"]);
    korean(
        &r,
        127,
        &["exec: \"nope\": 실행 파일을 $PATH에서 찾을 수 없습니다"],
        "run nope",
    );
    let r = ko(&["run", "--rm", "-u", "nobody123", "busybox", "true"]);
    korean(
        &r,
        125,
        &["사용자 nobody123을 찾을 수 없습니다: 이미지의 /etc/passwd에 없습니다"],
        "run -u nobody123",
    );
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "", "--rm left a container");
}

#[test]
fn run_failures_in_english_are_dockers() {
    let s = pulled();
    let en = |args: &[&str]| s.docker_env(args, EN);
    let r = en(&["run", "--rm", "-w", "/etc/passwd", "busybox", "true"]);
    fails(
        &r,
        125,
        &[
            "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: chdir to cwd (\"/etc/passwd\") set in config.json failed: not a directory",
        ],
        "run -w /etc/passwd",
    );
    let r = en(&["run", "--rm", "busybox", "nope"]);
    fails(
        &r,
        127,
        &["exec: \"nope\": executable file not found in $PATH"],
        "run nope",
    );
    let r = en(&["run", "--rm", "-u", "nobody123", "busybox", "true"]);
    fails(
        &r,
        125,
        &["unable to find user nobody123: no matching entries in passwd file"],
        "run -u nobody123",
    );
}

#[test]
fn exec_failures_speak_korean_and_dockers_english() {
    let s = pulled();
    s.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "300"]);
    let ko = |args: &[&str]| s.docker_env(args, KO);
    let en = |args: &[&str]| s.docker_env(args, EN);
    for wd in ["/etc/passwd", "/proc/self/fd/3"] {
        let r = ko(&["exec", "-w", wd, "box", "true"]);
        korean(
            &r,
            126,
            &[
                "exec 실패",
                &format!(
                    "작업 디렉터리 \"{wd}\"{} 옮기지 못했습니다: 디렉터리가 아닙니다",
                    to(wd)
                ),
            ],
            &format!("exec -w {wd}"),
        );
        let r = en(&["exec", "-w", wd, "box", "true"]);
        fails(
            &r,
            126,
            &[&format!(
                "OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd (\"{wd}\") set in config.json failed: not a directory"
            )],
            &format!("exec -w {wd} (en)"),
        );
    }
    let r = ko(&["exec", "box", "nope"]);
    korean(
        &r,
        126,
        &[
            "exec 실패",
            "exec: \"nope\": 실행 파일을 $PATH에서 찾을 수 없습니다",
        ],
        "exec nope",
    );
    let r = en(&["exec", "box", "nope"]);
    fails(
        &r,
        126,
        &[
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH",
        ],
        "exec nope (en)",
    );
    let r = ko(&["exec", "-u", "nobody123", "box", "true"]);
    korean(
        &r,
        126,
        &["exec 실패", "사용자 nobody123을 찾을 수 없습니다"],
        "exec -u nobody123",
    );
    let r = en(&["exec", "-u", "nobody123", "box", "true"]);
    fails(
        &r,
        126,
        &[
            "OCI runtime exec failed: exec failed: unable to start container process: unable to find user nobody123: no matching entries in passwd file",
        ],
        "exec -u nobody123 (en)",
    );
    // The container is unharmed.
    assert_eq!(s.ok(&["exec", "box", "echo", "ok"]), "ok\n");
}

/// `gorae --lang` wins over the locale (the TUI's message when there is no terminal).
#[test]
fn lang_flag_overrides_the_locale() {
    let gorae = |lang_env: &str, flag: &str| {
        let r = common::gorae(&["--lang", flag], lang_env);
        (Some(r.code), r.stderr)
    };
    let (code, err) = gorae("en_US.UTF-8", "ko");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("gorae는 터미널에서 실행해야 합니다"), "{err}");
    let (code, err) = gorae("ko_KR.UTF-8", "en");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("gorae needs a terminal"), "{err}");
    // And without the flag the locale decides; C is English.
    for (env, wanted) in [
        ("ko_KR.UTF-8", "gorae는 터미널에서"),
        ("C.UTF-8", "gorae needs a terminal"),
    ] {
        let err = common::gorae(&[], env).stderr;
        assert!(err.contains(wanted), "LANG={env}: {err}");
    }
}

/// The particle gorae picks after a working directory: `…/passwd` (패스워드) takes 로,
/// `…/fd/3` (삼) takes 으로.
fn to(wd: &str) -> &'static str {
    if wd.ends_with('3') { "으로" } else { "로" }
}
