//! `docker compose` through the real binary: build + depends_on(service_healthy) + a named
//! volume, re-running `up`, `down -v`, interpolation and bad files (en, ko), two projects side
//! by side, the `docker-compose` link, and the same project as the rootless `learner`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::Sandbox;

const PROJECT: &str = r#"
services:
  web:
    build: ./web
    command: sh -c "echo web says ${GREETING:-hello}; sleep 300"
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox
    command: sh -c "sleep 0.3; touch /tmp/ready; sleep 300"
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 100ms
      retries: 50
volumes:
  data:
"#;

fn write_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("web")).unwrap();
    std::fs::write(dir.join("compose.yaml"), PROJECT).unwrap();
    std::fs::write(
        dir.join("web/Dockerfile"),
        "FROM busybox\nRUN echo built > /built\n",
    )
    .unwrap();
}

fn compose(s: &Sandbox, file: &Path, args: &[&str]) -> common::Run {
    let f = file.to_string_lossy().to_string();
    let mut all = vec!["compose", "-f", &f];
    all.extend_from_slice(args);
    s.docker(&all)
}

fn ok(r: common::Run, what: &str) -> common::Run {
    assert_eq!(r.code, 0, "{what}: {}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn a_project_builds_waits_for_health_keeps_its_volume_and_goes_down() {
    if !common::is_root() {
        common::skip("runs containers as root (the learner test covers rootless)");
        return;
    }
    let s = Sandbox::new();
    let dir = s.dir.path().join("shop");
    write_project(&dir);
    let file = dir.join("compose.yaml");
    let up = ok(compose(&s, &file, &["up", "-d"]), "up");
    let err = &up.stderr;
    assert!(err.contains(" Volume \"shop_data\"  Created"), "{err}");
    assert!(err.contains(" Container shop-db-1  Healthy"), "{err}");
    // web starts only after db is healthy.
    let healthy = err.find("shop-db-1  Healthy").unwrap();
    let started = err.find("shop-web-1  Started").unwrap();
    assert!(healthy < started, "{err}");
    // The check is the engine's: docker ps and inspect show its status.
    let status = s.ok(&[
        "ps",
        "--filter",
        "name=shop-db-1",
        "--format",
        "{{.Status}}",
    ]);
    assert!(status.trim().ends_with("(healthy)"), "{status}");
    let cfg = s.ok(&[
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        "shop-db-1",
    ]);
    assert_eq!(
        cfg.trim(),
        r#"{"Interval":100000000,"Retries":50,"Test":["CMD","test","-f","/tmp/ready"]}"#
    );

    let ps = ok(compose(&s, &file, &["ps"]), "ps").stdout;
    let head: Vec<&str> = ps.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        head,
        [
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"
        ]
    );
    assert!(
        ps.contains("shop-web-1") && ps.contains("shop-web "),
        "{ps}"
    );
    // What compose made shows in docker ps through its labels.
    let labelled = s.ok(&[
        "ps",
        "--filter",
        "label=com.docker.compose.project=shop",
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(labelled.lines().count(), 2, "{labelled}");

    // The project's network (name resolution there is the engine's DNS, tested in networks.rs).
    assert!(err.contains(" Network shop_default  Created"), "{err}");
    let logs = ok(compose(&s, &file, &["logs", "web"]), "logs").stdout;
    assert_eq!(logs, "web-1  | web says hello\n");

    // Unchanged: left running. Data written into the volume outlives down/up.
    let again = ok(compose(&s, &file, &["up", "-d"]), "up again").stderr;
    assert!(again.contains("shop-web-1  Running"), "{again}");
    ok(
        compose(
            &s,
            &file,
            &["exec", "-T", "db", "sh", "-c", "echo kept > /data/f"],
        ),
        "exec",
    );
    ok(compose(&s, &file, &["down"]), "down");
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    ok(compose(&s, &file, &["up", "-d"]), "up after down");
    let kept = ok(
        compose(&s, &file, &["exec", "-T", "db", "cat", "/data/f"]),
        "cat",
    )
    .stdout;
    assert_eq!(kept, "kept\n");

    // A changed service is recreated, the other left alone.
    std::fs::write(&file, PROJECT.replace("${GREETING:-hello}", "bye")).unwrap();
    let changed = ok(compose(&s, &file, &["up", "-d"]), "up changed").stderr;
    assert!(changed.contains("shop-web-1  Recreated"), "{changed}");
    assert!(changed.contains("shop-db-1  Running"), "{changed}");

    // run --rm leaves nothing behind.
    let out = ok(
        compose(&s, &file, &["run", "--rm", "-T", "db", "echo", "one-off"]),
        "run",
    )
    .stdout;
    assert!(out.contains("one-off"), "{out}");
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 2);

    let down = ok(compose(&s, &file, &["down", "-v"]), "down -v").stderr;
    assert!(down.contains("Volume shop_data  Removed"), "{down}");
    assert!(down.contains("Network shop_default  Removed"), "{down}");
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    assert!(!s.ok(&["volume", "ls", "-q"]).contains("shop_data"));
}

#[test]
fn service_healthy_fails_on_an_unhealthy_or_disabled_check() {
    if !common::is_root() {
        common::skip("runs containers as root (the learner test covers rootless)");
        return;
    }
    let s = Sandbox::new();
    let dir = s.dir.path().join("sick");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    let project = |check: &str| {
        format!(
            "services:\n  app:\n    image: busybox\n    command: sleep 300\n    depends_on:\n      db:\n        condition: service_healthy\n  db:\n    image: busybox\n    command: sleep 300\n    healthcheck:\n{check}"
        )
    };
    std::fs::write(
        &file,
        project(
            "      test: [\"CMD-SHELL\", \"exit 1\"]\n      interval: 100ms\n      retries: 2\n",
        ),
    )
    .unwrap();
    let up = compose(&s, &file, &["up", "-d"]);
    assert_eq!(up.code, 1, "{}", up.stderr);
    assert!(
        up.stderr
            .contains("container for service \"db\" is unhealthy"),
        "{}",
        up.stderr
    );
    ok(compose(&s, &file, &["down"]), "down");
    for check in ["      disable: true\n", "      test: [\"NONE\"]\n"] {
        std::fs::write(&file, project(check)).unwrap();
        let up = compose(&s, &file, &["up", "-d"]);
        assert_eq!(up.code, 1, "{check}: {}", up.stderr);
        assert!(
            up.stderr.contains("has no healthcheck configured"),
            "{check}: {}",
            up.stderr
        );
        let test = s.ok(&[
            "inspect",
            "--format",
            "{{json .Config.Healthcheck.Test}}",
            "sick-db-1",
        ]);
        assert_eq!(test.trim(), r#"["NONE"]"#, "{check}");
        ok(compose(&s, &file, &["down"]), "down");
    }
}

#[test]
fn interpolation_and_bad_files_are_named_with_file_line_and_key() {
    let s = Sandbox::new();
    let dir = s.dir.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  a:\n    image: busybox:${TAG:-latest}\n    environment:\n      X: $${LIT}\n",
    )
    .unwrap();
    std::fs::write(dir.join(".env"), "TAG=1.36\n").unwrap();
    let cfg = ok(compose(&s, &file, &["config"]), "config").stdout;
    assert!(cfg.starts_with("name: bad\n"), "{cfg}");
    assert!(cfg.contains("image: busybox:1.36"), "{cfg}");
    assert!(cfg.contains("X: ${LIT}"), "{cfg}");

    std::fs::write(
        &file,
        "services:\n  a:\n    image: busybox\n    ports: 80\n",
    )
    .unwrap();
    let r = compose(&s, &file, &["config"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("line 4: services.a.ports must be a array"),
        "{}",
        r.stderr
    );
    let f = file.to_string_lossy().to_string();
    let ko = s.docker_env(&["compose", "-f", &f, "up", "-d"], &[("GORAE_LANG", "ko")]);
    assert!(
        ko.stderr
            .contains("4번째 줄: services.a.ports의 값은 목록이어야 합니다"),
        "{}",
        ko.stderr
    );

    std::fs::write(&file, "services:\n  a:\n    image: ${NEED:?set NEED}\n").unwrap();
    let r = compose(&s, &file, &["config"]);
    assert!(
        r.stderr.contains(
            "line 3: services.a.image: required variable NEED is missing a value: set NEED"
        ),
        "{}",
        r.stderr
    );
    std::fs::write(&file, "services:\n  a:\n    image: [x\n").unwrap();
    let r = compose(&s, &file, &["config"]);
    assert!(r.stderr.starts_with("yaml: "), "{}", r.stderr);
    assert!(r.stderr.contains("compose.yaml: line"), "{}", r.stderr);
    std::fs::write(
        &file,
        "services:\n  a:\n    image: x\n    privileged: true\n",
    )
    .unwrap();
    let r = compose(&s, &file, &["up", "-d"]);
    assert!(
        r.stderr.contains("gorae does not support 'privileged'"),
        "{}",
        r.stderr
    );
    assert_eq!(s.ok(&["ps", "-aq"]), "", "nothing half-started");
    let empty = s.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = compose(&s, &empty.join("compose.yaml"), &["ps"]);
    assert!(
        r.stderr.contains("no such file or directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn two_projects_side_by_side_and_the_docker_compose_link() {
    if !common::is_root() {
        common::skip("runs containers as root");
        return;
    }
    let s = Sandbox::new();
    let dir = s.dir.path().join("pair");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: busybox\n    command: sleep 300\n",
    )
    .unwrap();
    let f = file.to_string_lossy().to_string();
    ok(
        s.docker(&["compose", "-f", &f, "-p", "one", "up", "-d"]),
        "one",
    );
    ok(
        s.docker(&["compose", "-f", &f, "-p", "two", "up", "-d"]),
        "two",
    );
    let names = s.ok(&["ps", "--format", "{{.Names}}"]);
    assert!(
        names.contains("one-app-1") && names.contains("two-app-1"),
        "{names}"
    );
    let ls = s.ok(&["compose", "ls"]);
    assert!(
        ls.contains("one") && ls.contains("two") && ls.contains("running(1)"),
        "{ls}"
    );
    // docker-compose through a link of that name.
    let link = s.dir.path().join("docker-compose");
    std::os::unix::fs::symlink(common::bin(), &link).unwrap();
    let out = Command::new(&link)
        .args(["-f", &f, "-p", "one", "ps", "--format"])
        .env("GORAE_ROOT", s.root())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "an unknown flag is refused");
    let out = Command::new(&link)
        .args(["-f", &f, "-p", "one", "down"])
        .env("GORAE_ROOT", s.root())
        .env("GORAE_IMAGES", common::catalog())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = s.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(names.trim(), "two-app-1");
}

#[test]
fn the_learner_runs_a_project_rootless() {
    if !common::is_root() {
        common::skip("switches to the 'learner' user and so must start as root");
        return;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let Some(line) = passwd.lines().find(|l| l.starts_with("learner:")) else {
        common::skip("no user 'learner'");
        return;
    };
    let f: Vec<&str> = line.split(':').collect();
    let (uid, gid, home): (u32, u32, &str) = (f[2].parse().unwrap(), f[3].parse().unwrap(), f[5]);
    let dir = tempfile::Builder::new()
        .prefix("gorae-compose-learner-")
        .tempdir()
        .unwrap();
    let project = dir.path().join("lab");
    write_project(&project);
    for p in [
        dir.path().to_path_buf(),
        project.clone(),
        project.join("web"),
    ] {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
    }
    let root = dir.path().join("store");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::chown(&root, Some(uid), Some(gid)).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(common::bin())
            .arg("docker")
            .arg("compose")
            .args(args)
            .uid(uid)
            .gid(gid)
            .env_clear()
            .env("HOME", home)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("GORAE_ROOT", &root)
            .env("GORAE_IMAGES", common::catalog())
            .current_dir(&project)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let r = (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        assert_eq!(r.0, 0, "compose {args:?} as learner: {}", r.2);
        r
    };
    let up = run(&["up", "-d"]);
    assert!(up.2.contains("lab-web-1  Started"), "{}", up.2);
    assert!(up.2.contains("lab-db-1  Healthy"), "{}", up.2);
    let ps = run(&["ps"]).1;
    assert_eq!(ps.lines().count(), 3, "{ps}");
    run(&["down", "-v"]);
    assert_eq!(run(&["ps", "-a"]).1.lines().count(), 1);
}

#[test]
fn init_true_runs_the_service_under_docker_init() {
    if !common::is_root() {
        common::skip("runs containers as root (tests/rootless.rs covers --init rootless)");
        return;
    }
    let s = Sandbox::new();
    let dir = s.dir.path().join("tini");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: busybox\n    command: sleep 300\n    init: true\n  bare:\n    image: busybox\n    command: sleep 300\n",
    )
    .unwrap();
    let config = ok(compose(&s, &file, &["config"]), "config");
    assert!(
        config.stdout.contains("    init: true\n"),
        "{}",
        config.stdout
    );
    ok(compose(&s, &file, &["up", "-d"]), "up");
    let ps = s.ok(&["exec", "tini-app-1", "ps", "-o", "pid,args"]);
    assert!(
        ps.contains("    1 /sbin/docker-init -- sleep 300\n"),
        "{ps}"
    );
    let ps = s.ok(&["exec", "tini-bare-1", "ps", "-o", "pid,args"]);
    assert!(ps.contains("    1 sleep 300\n"), "{ps}");
    let init = s.ok(&["inspect", "-f", "{{.HostConfig.Init}}", "tini-app-1"]);
    assert_eq!(init.trim(), "true");
    ok(compose(&s, &file, &["down"]), "down");
    std::fs::write(
        &file,
        "services:\n  app:\n    image: busybox\n    init: maybe\n",
    )
    .unwrap();
    let bad = compose(&s, &file, &["config"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("init"), "{}", bad.stderr);
}
