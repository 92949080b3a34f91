//! `gorae doctor` through the binary, on this machine: what it can do, in the learner's
//! language, and for a user without subordinate ids what to do about it. The hosts it words
//! problems for (AppArmor's restriction, old kernels, cgroup v1, WSL2) cannot be made here:
//! those are tested with the fake host in `engine::doctor` and `src/doctor.rs`.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

fn doctor(args: &[&str], as_user: Option<(u32, u32, &str)>) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.arg("doctor")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .stdin(Stdio::null())
        .current_dir("/");
    if let Some((uid, gid, name)) = as_user {
        cmd.uid(uid).gid(gid).env("USER", name);
    }
    cmd.output().expect("run gorae doctor")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn doctor_says_what_this_machine_can_do_in_korean_and_english() {
    let ko = doctor(&["--lang", "ko"], None);
    let out = text(&ko);
    assert!(
        out.contains("gorae doctor: 이 컴퓨터에서 할 수 있는 것"),
        "{out}"
    );
    assert!(out.contains("✓ "), "{out}");
    assert!(!out.contains("doctor."), "a message key shows:\n{out}");
    // This machine runs the test suite's containers: nothing blocks.
    assert!(!out.contains("✗"), "{out}");
    assert_eq!(ko.status.code(), Some(0), "{out}");
    assert!(out.contains("컨테이너를 실행할 수 있"), "{out}");
    let en = text(&doctor(&["--lang=en"], None));
    assert!(
        en.contains("gorae doctor: what this machine can do"),
        "{en}"
    );
    assert!(en.contains("overlay file system works"), "{en}");
}

#[test]
fn a_user_without_subordinate_ids_is_told_the_command_that_gives_them() {
    if !common::is_root() {
        common::skip("switches to the users 'learner' and 'plain': must start as root");
        return;
    }
    let (Some(learner), Some(plain)) = (common::user_ids("learner"), common::user_ids("plain"))
    else {
        panic!("no 'learner' or 'plain' user: CI creates them (see .ci/run)");
    };
    let out = text(&doctor(
        &["--lang", "en"],
        Some((learner.0, learner.1, "learner")),
    ));
    assert!(out.contains("✓ User namespaces work"), "{out}");
    assert!(out.contains("✓ Subordinate ids"), "{out}");
    let run = doctor(&["--lang", "ko"], Some((plain.0, plain.1, "plain")));
    let out = text(&run);
    assert!(
        out.contains("plain에게 /etc/subuid와 /etc/subgid 범위가 없습니다"),
        "{out}"
    );
    // A range after every range given already (learner's among them), so none overlaps.
    let fix = out
        .lines()
        .find(|l| l.starts_with("    sudo usermod --add-subuids "))
        .unwrap_or_else(|| panic!("no usermod line:\n{out}"));
    let words: Vec<&str> = fix.split_whitespace().collect();
    assert_eq!(words.last(), Some(&"plain"), "{fix}");
    let first: u64 = words[3].split('-').next().unwrap().parse().unwrap();
    let taken = std::fs::read_to_string("/etc/subuid").unwrap_or_default();
    for l in taken.lines() {
        let f: Vec<u64> = l
            .split(':')
            .skip(1)
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [start, count] = f[..] {
            assert!(first >= start + count, "{fix} overlaps {l}");
        }
    }
    // Containers still run for plain (with one user): a limit, not a block.
    assert_eq!(run.status.code(), Some(0), "{out}");
}

#[test]
fn the_apparmor_profile_is_printed_for_the_running_binary() {
    let o = doctor(&["--apparmor-profile"], None);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o);
    let exe = common::bin().canonicalize().unwrap();
    assert!(
        out.contains(&format!(
            "profile gorae {} flags=(unconfined)",
            exe.display()
        )),
        "{out}"
    );
    assert!(out.contains("  userns,"), "{out}");
}

#[test]
fn doctor_refuses_what_it_does_not_know() {
    let o = doctor(&["--frobnicate"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--frobnicate"));
    let o = doctor(&["--lang", "fr"], None);
    assert_eq!(o.status.code(), Some(2));
}
