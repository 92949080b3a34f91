//! `docker build` end to end through the real binary: real build containers, layers, cache.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::PathBuf;

use common::Sandbox;

/// A build context dir inside the sandbox with the given files.
fn context(s: &Sandbox, files: &[(&str, &str)]) -> PathBuf {
    let dir = s.dir.path().join("ctx");
    fs::create_dir_all(&dir).unwrap();
    for (name, body) in files {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
    dir
}

fn build(s: &Sandbox, args: &[&str], ctx: &std::path::Path) -> common::Run {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let c = ctx.to_str().unwrap();
    all.push(c);
    s.docker(&all)
}

fn container_creates(s: &Sandbox) -> usize {
    fs::read_to_string(s.root().join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"type\":\"container\"") && l.contains("\"action\":\"create\""))
        .count()
}

/// The output of each `Step n/m` section.
fn sections(out: &str) -> Vec<String> {
    out.split("Step ").skip(1).map(str::to_string).collect()
}

const FULL: &str = r#"# a comment
FROM busybox
ARG VERSION=1.0
ENV APP_VERSION=$VERSION \
    GREETING="hi there"
WORKDIR /app
RUN echo hello > /hello.txt && echo "built $VERSION"
COPY app.txt ./
LABEL version=$VERSION
EXPOSE 8080
USER nobody
CMD ["cat", "/hello.txt"]
"#;

#[test]
fn build_runs_every_instruction_and_the_image_works() {
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[
            ("Dockerfile", FULL),
            ("app.txt", "the app\n"),
            ("secret.txt", "x"),
        ],
    );
    let r = build(&s, &["-t", "myapp:v1", "--build-arg", "VERSION=2.0"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("Sending build context to Docker daemon  "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Step 1/10 : FROM busybox\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(" ---> Running in "), "{}", r.stdout);
    assert!(r.stdout.contains("built 2.0\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains(" ---> Removed intermediate container "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Successfully built "), "{}", r.stdout);
    assert!(
        r.stdout.ends_with("Successfully tagged myapp:v1\n"),
        "{}",
        r.stdout
    );

    let events = fs::read_to_string(s.root().join("events.jsonl")).unwrap();
    assert!(
        events
            .lines()
            .any(|l| l.contains("\"action\":\"build\"") && l.contains("myapp:v1")),
        "{events}"
    );

    // CMD is the default command.
    assert_eq!(s.ok(&["run", "--rm", "myapp:v1"]), "hello\n");
    let out = s.ok(&[
        "run",
        "--rm",
        "myapp:v1",
        "sh",
        "-c",
        "pwd; echo $APP_VERSION; echo $GREETING; cat app.txt; id -u",
    ]);
    assert_eq!(out, "/app\n2.0\nhi there\nthe app\n65534\n");
    let meta = s.ok(&[
        "inspect",
        "-f",
        "{{json .Config.ExposedPorts}} {{json .Config.Labels}}",
        "myapp:v1",
    ]);
    assert_eq!(meta.trim(), r#"{"8080/tcp":{}} {"version":"2.0"}"#);

    // One history row per step on top of the base image's rows.
    let base_rows = s.ok(&["history", "-q", "busybox"]).lines().count();
    let ids = s.ok(&["history", "-q", "myapp:v1"]);
    assert_eq!(ids.lines().count(), base_rows + 9);
    // Each step's row shows its image, the base image's top row the base image, as in Docker.
    let busybox = s.ok(&["images", "-q", "busybox"]);
    assert_eq!(ids.lines().nth(9), Some(busybox.trim()));
    assert!(ids.lines().take(9).all(|l| l.len() == 12), "{ids}");
    let hist = s.ok(&["history", "--no-trunc", "myapp:v1"]);
    assert!(
        hist.contains("/bin/sh -c #(nop)  ENV APP_VERSION=2.0 GREETING=hi there"),
        "{hist}"
    );
    assert!(
        hist.contains("|1 VERSION=2.0 /bin/sh -c echo hello"),
        "{hist}"
    );
    assert!(hist.contains("/bin/sh -c #(nop) COPY file:"), "{hist}");

    // No build container is left, and intermediate images only show with -a.
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
    let images = s.ok(&["images"]);
    assert!(!images.contains("<none>"), "{images}");
    assert!(s.ok(&["images", "-a"]).contains("<none>"));

    // Removing the image removes its build steps too, down to the base image.
    let rmi = s.ok(&["rmi", "myapp:v1"]);
    assert_eq!(rmi.matches("Deleted: sha256:").count(), 9, "{rmi}");
    let left = s.ok(&["images", "-a", "-q"]);
    assert_eq!(left.trim(), busybox.trim());
}

#[test]
fn rebuild_uses_the_cache_and_a_changed_file_invalidates_from_its_step() {
    let s = Sandbox::new();
    let dockerfile = "FROM busybox\nRUN echo one > /one\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy\nCMD [\"cat\", \"/copy\"]\n";
    let ctx = context(&s, &[("Dockerfile", dockerfile), ("app.txt", "v1\n")]);
    let first = build(&s, &["-t", "cached"], &ctx);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let id = s.ok(&["images", "-q", "cached"]);

    let creates = container_creates(&s);
    let again = build(&s, &["-t", "cached"], &ctx);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout.matches(" ---> Using cache\n").count(),
        4,
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("Running in"), "{}", again.stdout);
    assert_eq!(
        container_creates(&s),
        creates,
        "a cached build started a container"
    );
    assert_eq!(s.ok(&["images", "-q", "cached"]), id);
    let quiet = build(&s, &["-q", "-t", "cached"], &ctx);
    assert_eq!(
        quiet.stdout.len(),
        "sha256:".len() + 64 + 1,
        "{}",
        quiet.stdout
    );
    assert!(quiet.stdout.starts_with(&format!("sha256:{}", id.trim())));

    fs::write(ctx.join("app.txt"), "v2\n").unwrap();
    let changed = build(&s, &["-t", "cached"], &ctx);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let steps = sections(&changed.stdout);
    assert!(steps[1].contains("Using cache"), "{}", steps[1]);
    for later in &steps[2..] {
        assert!(!later.contains("Using cache"), "{later}");
    }
    assert!(steps[3].contains("Running in"), "{}", steps[3]);
    assert_eq!(s.ok(&["run", "--rm", "cached"]), "v2\n");

    let fresh = build(&s, &["--no-cache", "-t", "cached"], &ctx);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert!(!fresh.stdout.contains("Using cache"), "{}", fresh.stdout);
}

#[test]
fn dockerignore_keeps_files_out_of_copy() {
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[
            ("Dockerfile", "FROM busybox\nCOPY . /ctx/\n"),
            (
                ".dockerignore",
                "*.log\nsecrets/\n!keep.log\nconf/\n!conf/app.conf\n",
            ),
            ("conf/app.conf", "c"),
            ("conf/other.conf", "o"),
            ("app.txt", "a"),
            ("debug.log", "noise"),
            ("keep.log", "kept"),
            ("secrets/key", "k"),
            ("sub/deep.txt", "d"),
        ],
    );
    let r = build(&s, &["-t", "ign"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let listing = s.ok(&["run", "--rm", "ign", "find", "/ctx", "-type", "f"]);
    let mut files: Vec<&str> = listing.lines().collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "/ctx/.dockerignore",
            "/ctx/Dockerfile",
            "/ctx/app.txt",
            "/ctx/conf/app.conf",
            "/ctx/keep.log",
            "/ctx/sub/deep.txt"
        ]
    );

    fs::write(ctx.join("Dockerfile"), "FROM busybox\nCOPY debug.log /\n").unwrap();
    let r = build(&s, &[], &ctx);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("debug.log"), "{}", r.stderr);
}

#[test]
fn dockerignore_classes_match_like_docker() {
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[
            ("Dockerfile", "FROM busybox\nCOPY . /ctx/\n"),
            (".dockerignore", "[ab].txt\n/logs/[0-9]*.log\n"),
            ("a.txt", "a"),
            ("b.txt", "b"),
            ("c.txt", "c"),
            ("logs/1.log", "1"),
            ("logs/x.log", "x"),
        ],
    );
    let r = build(&s, &["-t", "classes"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let listing = s.ok(&["run", "--rm", "classes", "find", "/ctx", "-type", "f"]);
    let mut files: Vec<&str> = listing.lines().collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "/ctx/.dockerignore",
            "/ctx/Dockerfile",
            "/ctx/c.txt",
            "/ctx/logs/x.log"
        ]
    );
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let s = Sandbox::new();
    let ctx = context(&s, &[("Dockerfile", "FROM busybox\n\nRUNN echo hi\n")]);
    let r = build(&s, &["-t", "bad"], &ctx);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Dockerfile:3: unknown instruction: RUNN"),
        "{}",
        r.stderr
    );
    let c = ctx.to_str().unwrap();
    let ko = s.docker_env(&["build", c], &[("LANG", "ko_KR.UTF-8")]);
    assert_eq!(ko.code, 1);
    assert!(
        ko.stderr.contains("Dockerfile:3: 알 수 없는 명령어"),
        "{}",
        ko.stderr
    );
    assert_eq!(s.ok(&["images", "-q", "bad"]).trim(), "");
}

#[test]
fn a_failing_run_leaves_no_tag_and_no_container() {
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[(
            "Dockerfile",
            "FROM busybox\nRUN echo before\nRUN exit 3\nCMD [\"sh\"]\n",
        )],
    );
    let r = build(&s, &["-t", "broken"], &ctx);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("Successfully"), "{}", r.stdout);
    assert_eq!(s.ok(&["images", "-q", "broken"]).trim(), "");
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
}

#[test]
fn unsafe_and_offline_sources_are_refused() {
    let s = Sandbox::new();
    let ctx = context(&s, &[("Dockerfile", "FROM busybox\nCOPY ../outside /x\n")]);
    let r = build(&s, &[], &ctx);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("outside the build context"),
        "{}",
        r.stderr
    );
    fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nADD https://example.com/a /a\n",
    )
    .unwrap();
    let r = build(&s, &[], &ctx);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("needs the network"), "{}", r.stderr);
}

#[test]
fn stages_copy_from_each_other_and_entrypoint_takes_cmd_as_arguments() {
    let s = Sandbox::new();
    let dockerfile = "FROM busybox AS build\nRUN mkdir /out && echo made > /out/result\n\nFROM busybox\nCOPY --from=build /out/ /opt/\nENTRYPOINT [\"cat\"]\nCMD [\"/opt/result\"]\n";
    let ctx = context(&s, &[("Dockerfile", dockerfile)]);
    let r = build(&s, &["-t", "staged"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(s.ok(&["run", "--rm", "staged"]), "made\n");
    // The final image has only its own stage's layers.
    let base_rows = s.ok(&["history", "-q", "busybox"]).lines().count();
    assert_eq!(
        s.ok(&["history", "-q", "staged"]).lines().count(),
        base_rows + 3
    );
}

/// Start a build of `RUN sleep`, wait until its container runs, and hand back the child.
fn start_slow_build(s: &Sandbox, ctx: &std::path::Path) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut child = s
        .command(&["build", "-t", "slow", ctx.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l == "sleeping" => break,
            Some(Ok(_)) => {}
            _ => panic!("the build ended before its RUN started"),
        }
    }
    child
}

#[test]
fn interrupting_a_build_leaves_no_container_and_no_tag() {
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[("Dockerfile", "FROM busybox\nRUN echo sleeping; sleep 60\n")],
    );
    let mut child = start_slow_build(&s, &ctx);
    assert_eq!(
        s.ok(&["ps", "-aq"]).lines().count(),
        1,
        "no build container ran"
    );
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
    assert_eq!(s.ok(&["images", "-q", "slow"]).trim(), "");

    // A build killed outright: the next command removes its container.
    let mut child = start_slow_build(&s, &ctx);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(s.ok(&["ps", "-aq"]).trim(), "");
    assert_eq!(s.ok(&["images", "-q", "slow"]).trim(), "");
}

#[test]
fn copy_follows_the_images_symlinked_dirs() {
    // debian's /bin is a link to usr/bin: a COPY into /bin/ must not replace it with a dir.
    let s = Sandbox::new();
    let ctx = context(
        &s,
        &[
            ("Dockerfile", "FROM debian\nCOPY tool.sh /bin/\n"),
            ("tool.sh", "echo tool\n"),
        ],
    );
    let r = build(&s, &["-t", "linked"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = s.ok(&[
        "run",
        "--rm",
        "linked",
        "sh",
        "-c",
        "readlink /bin; sh /usr/bin/tool.sh; ls /bin/ls",
    ]);
    assert_eq!(out, "usr/bin\ntool\n/bin/ls\n");
}
