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

/// BuildKit's plain output (what `docker build` prints when stderr is no terminal): each
/// `#N` block, from its name line to its DONE / CACHED / ERROR line.
fn blocks(out: &str) -> Vec<String> {
    out.split("\n\n").map(str::to_string).collect()
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

/// A context for [`FULL`]: its file, one it copies, one it does not.
fn full_context(s: &Sandbox) -> PathBuf {
    context(
        s,
        &[
            ("Dockerfile", FULL),
            ("app.txt", "the app\n"),
            ("secret.txt", "x"),
        ],
    )
}

#[test]
fn build_runs_every_instruction_and_the_image_works() {
    let s = Sandbox::new();
    let ctx = full_context(&s);
    let c = ctx.to_str().unwrap();
    let args = ["build", "-t", "myapp:v1", "--build-arg", "VERSION=2.0", c];
    let r = s.docker_env(&args, &[("DOCKER_BUILDKIT", "0")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .starts_with("DEPRECATED: The legacy builder is deprecated"),
        "{}",
        r.stderr
    );
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
    // Docker lists each step's image and then the layers its deletion released.
    let layers = |name: &str| -> usize {
        s.ok(&["inspect", "-f", "{{len .RootFS.Layers}}", name])
            .trim()
            .parse()
            .unwrap()
    };
    let new_layers = layers("myapp:v1") - layers("busybox");
    let rmi = s.ok(&["rmi", "myapp:v1"]);
    assert_eq!(
        rmi.matches("Deleted: sha256:").count(),
        9 + new_layers,
        "{rmi}"
    );
    let left = s.ok(&["images", "-a", "-q"]);
    assert_eq!(left.trim(), busybox.trim());
}

#[test]
fn buildkit_keeps_its_steps_as_build_cache_not_images() {
    let s = Sandbox::new();
    let ctx = full_context(&s);
    let r = build(&s, &["-t", "myapp:v1", "--build-arg", "VERSION=2.0"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(s.ok(&["run", "--rm", "myapp:v1"]), "hello\n");

    // BuildKit's history: the instruction as written, `# buildkit` on RUN and COPY, its
    // comment on every row of the build, and no image IDs below the top row.
    let hist = s.ok(&["history", "--no-trunc", "myapp:v1"]);
    let rows: Vec<&str> = hist.lines().skip(1).collect();
    let top = s.ok(&["images", "-q", "--no-trunc", "myapp:v1"]);
    assert!(rows[0].starts_with(top.trim()), "{hist}");
    assert!(
        rows[0].contains("   CMD [\"cat\" \"/hello.txt\"]   "),
        "{hist}"
    );
    for want in [
        "USER nobody",
        "EXPOSE map[8080/tcp:{}]",
        "LABEL version=2.0",
        "COPY app.txt ./ # buildkit",
        "RUN |1 VERSION=2.0 /bin/sh -c echo hello > /hello.txt && echo \"built $VERSION\" # buildkit",
        "WORKDIR /app",
        "ENV APP_VERSION=2.0 GREETING=hi there",
        "ARG VERSION=1.0",
    ] {
        let row = rows.iter().find(|r| r.contains(&format!("   {want}   ")));
        let row = row.unwrap_or_else(|| panic!("{want}\n{hist}"));
        assert!(row.starts_with("<missing>   "), "{hist}");
        assert!(row.ends_with("   buildkit.dockerfile.v0"), "{hist}");
    }
    assert!(
        rows[1..].iter().all(|r| r.starts_with("<missing>")),
        "{hist}"
    );

    // No intermediate images: `images -a` lists the result and the base image only.
    let all = s.ok(&["images", "-a"]);
    assert!(!all.contains("<none>"), "{all}");
    assert_eq!(all.lines().count(), 3, "{all}");

    // The steps are Build Cache: counted by `system df`, reused by a rebuild.
    let df = s.ok(&["system", "df"]);
    let row = df.lines().find(|l| l.starts_with("Build Cache")).unwrap();
    let count: usize = row.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(count >= 3, "{df}");
    let again = build(&s, &["-t", "myapp:v1", "--build-arg", "VERSION=2.0"], &ctx);
    assert!(again.stderr.contains(" CACHED"), "{}", again.stderr);

    // `builder prune` empties it, as buildx prints it; the image stays and still runs.
    let pruned = s.ok(&["builder", "prune", "-f"]);
    assert!(
        pruned.starts_with("ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"),
        "{pruned}"
    );
    assert_eq!(pruned.lines().count(), count + 2, "{pruned}");
    assert!(
        pruned.lines().last().unwrap().starts_with("Total:\t"),
        "{pruned}"
    );
    let df = s.ok(&["system", "df"]);
    assert!(
        df.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["Build", "Cache", "0", "0", "0B", "0B"]),
        "{df}"
    );
    assert_eq!(s.ok(&["builder", "prune", "-f"]), "Total:\t0B\n");
    assert_eq!(s.ok(&["run", "--rm", "myapp:v1"]), "hello\n");

    // A rebuild after the prune runs its steps again; the old result is then dangling.
    let old = s.ok(&["images", "-q", "myapp:v1"]);
    fs::write(ctx.join("app.txt"), "changed\n").unwrap();
    let third = build(&s, &["-t", "myapp:v1", "--build-arg", "VERSION=2.0"], &ctx);
    assert_eq!(third.code, 0, "{}", third.stderr);
    // Only the base image is CACHED (as in Docker: it is in the store).
    assert_eq!(
        third.stderr.matches("CACHED").count(),
        1,
        "{}",
        third.stderr
    );
    let dangling = s.ok(&["images", "-a", "--filter", "dangling=true", "-q"]);
    assert_eq!(dangling, old, "{}", s.ok(&["images", "-a"]));

    // `system prune` names the build cache and removes it with the dangling image.
    let r = s.docker(&["system", "prune", "-f"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Deleted build cache objects:\n"),
        "{}",
        r.stdout
    );
    assert!(
        s.ok(&["system", "df"]).contains("Build Cache     0 "),
        "{}",
        r.stdout
    );
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
    // BuildKit's way: every step CACHED, the base image too, nothing printed on stdout.
    assert_eq!(again.stdout, "");
    for step in [
        "[1/4] FROM docker.io/library/busybox:latest@sha256:",
        "[2/4] RUN echo one > /one",
        "[3/4] COPY app.txt /app.txt",
        "[4/4] RUN cat /app.txt > /copy",
    ] {
        let block = blocks(&again.stderr)
            .into_iter()
            .find(|b| b.contains(step))
            .unwrap_or_else(|| panic!("no {step} in {}", again.stderr));
        assert!(block.ends_with(" CACHED"), "{block}");
    }
    assert!(
        again
            .stderr
            .contains("naming to docker.io/library/cached:latest done"),
        "{}",
        again.stderr
    );
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
    let steps: Vec<String> = blocks(&changed.stderr)
        .into_iter()
        .filter(|b| b.contains("/4] "))
        .collect();
    assert_eq!(steps.len(), 4, "{}", changed.stderr);
    assert!(steps[1].ends_with(" CACHED"), "{}", steps[1]);
    for later in &steps[2..] {
        assert!(later.contains(" DONE "), "{later}");
    }
    assert_eq!(s.ok(&["run", "--rm", "cached"]), "v2\n");

    let fresh = build(&s, &["--no-cache", "-t", "cached"], &ctx);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert!(!fresh.stderr.contains("CACHED ["), "{}", fresh.stderr);
    assert_eq!(
        fresh.stderr.matches(" CACHED\n").count(),
        1,
        "{}",
        fresh.stderr
    );
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
    // BuildKit's words: the step's ERROR, the Dockerfile around it, the error last.
    assert!(
        r.stderr.contains(
            "#6 [3/3] RUN exit 3\n#6 ERROR: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3\n"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with(
            "Dockerfile:3\n--------------------\n   1 |     FROM busybox\n   2 |     RUN echo before\n   3 | >>> RUN exit 3\n   4 |     CMD [\"sh\"]\n   5 |     \n--------------------\nERROR: failed to build: failed to solve: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3\n"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let c = ctx.to_str().unwrap();
    let classic = s.docker_env(&["build", c], &[("DOCKER_BUILDKIT", "0")]);
    assert!(
        classic
            .stderr
            .contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3"),
        "{}",
        classic.stderr
    );
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
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.ends_with(" sleeping") => break,
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

#[test]
fn buildkit_plain_names_steps_as_docker_does() {
    let s = Sandbox::new();
    let ctx = context(&s, &[("Dockerfile", FULL), ("app.txt", "the app\n")]);
    let r = build(&s, &["-t", "myapp:v1", "--build-arg", "VERSION=2.0"], &ctx);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "", "BuildKit's progress goes to stderr");
    let e = &r.stderr;
    assert!(
        e.starts_with(
            "#0 building with \"default\" instance using docker driver\n\n#1 [internal] load build definition from Dockerfile\n#1 transferring dockerfile: "
        ),
        "{e}"
    );
    for want in [
        "#2 [internal] load metadata for docker.io/library/busybox:latest\n#2 DONE 0.0s\n",
        "#3 [internal] load .dockerignore\n#3 transferring context: 2B done\n",
        "#4 [1/4] FROM docker.io/library/busybox:latest@sha256:",
        "[internal] load build context\n",
        "[2/4] WORKDIR /app\n",
        "[3/4] RUN echo hello > /hello.txt && echo \"built 2.0\"\n",
        "[4/4] COPY app.txt ./\n",
        "exporting to image\n",
        "naming to docker.io/library/myapp:v1 done\n",
    ] {
        assert!(e.contains(want), "no {want:?} in\n{e}");
    }
    // The RUN's output, stamped with its time in the step.
    let line = e.lines().find(|l| l.ends_with(" built 2.0")).unwrap();
    let stamp = line.split(' ').nth(1).unwrap();
    assert!(stamp.len() == 5 && stamp.parse::<f64>().is_ok(), "{line}");
    // -q prints the image ID only.
    let q = build(&s, &["-q", "-t", "myapp:v1"], &ctx);
    assert_eq!(q.stderr, "");
    assert!(
        q.stdout.starts_with("sha256:") && q.stdout.len() == 72,
        "{}",
        q.stdout
    );
    let bad = build(&s, &["--progress=fancy"], &ctx);
    assert_eq!(bad.code, 1);
    assert_eq!(bad.stderr, "ERROR: invalid progress mode fancy\n");
}

#[test]
fn buildkit_tty_redraws_within_an_80_column_terminal() {
    if !common::tmux::have_tmux() {
        common::skip("tmux is not installed");
        return;
    }
    let s = Sandbox::new();
    let long = "가나다라마바사아자차카타파하".repeat(4);
    let ctx = context(
        &s,
        &[(
            "Dockerfile",
            &format!("FROM busybox\nRUN for i in 1 2 3; do echo \"$i {long}\"; sleep 0.2; done\n"),
        )],
    );
    let script = s.dir.path().join("run.sh");
    fs::write(
        &script,
        format!(
            "GORAE_ROOT={} GORAE_IMAGES={} LANG=C.UTF-8 {} docker build -t tty {}; echo rc=$?; sleep 60\n",
            s.root().display(),
            common::catalog().display(),
            common::bin().display(),
            ctx.display()
        ),
    )
    .unwrap();
    let t =
        common::tmux::Tmux::start_sized("buildtty", &format!("bash {}", script.display()), 80, 24);
    let (ok, screen) = t.wait_for(std::time::Duration::from_secs(60), |s| s.contains("rc="));
    assert!(ok, "{screen}");
    assert!(screen.contains("rc=0"), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[0].starts_with("[+] Building ")
            && lines[0].contains(" FINISHED")
            && lines[0].ends_with("docker:default"),
        "{screen}"
    );
    assert!(
        lines[1].starts_with(" => [internal] load build definition from Dockerfile "),
        "{screen}"
    );
    assert!(
        screen.contains(" => [1/2] FROM docker.io/library/busybox:latest@sha256:"),
        "{screen}"
    );
    assert!(
        screen.contains(" => [2/2] RUN for i in 1 2 3; do echo"),
        "{screen}"
    );
    assert!(
        screen.contains(" => => naming to docker.io/library/tty:latest "),
        "{screen}"
    );
    // Every line fits the pane (no wrapped halves), each step's line ends with its time,
    // and the redrawn frames left nothing behind (one header).
    for l in &lines {
        assert!(unicode_width::UnicodeWidthStr::width(*l) <= 79, "{l:?}");
    }
    assert_eq!(screen.matches("[+] Building").count(), 1, "{screen}");
    assert!(!screen.contains(" => => # "), "{screen}");
}

#[test]
fn add_unpacks_every_member_of_a_gzipped_tar() {
    // Docker's ADD reads a .tar.gz as gzip does, every member to the end (pigz, bgzip and the
    // bundled catalog's layers write several); once gorae's read only the first.
    let s = Sandbox::new();
    let ctx = context(&s, &[("Dockerfile", "FROM busybox\nADD two.tar.gz /x/\n")]);
    let mut tar = tar::Builder::new(Vec::new());
    for (name, body) in [("a.txt", "first\n"), ("b.txt", "second\n")] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body.as_bytes()).unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let gzip = |part: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, part).unwrap();
        e.finish().unwrap()
    };
    // The cut falls after a.txt (its header and one data block): b.txt is all in member two.
    let (one, two) = tar.split_at(1024);
    fs::write(ctx.join("two.tar.gz"), [gzip(one), gzip(two)].concat()).unwrap();
    let r = build(&s, &["-t", "added"], &ctx);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = s.ok(&["run", "--rm", "added", "cat", "/x/a.txt", "/x/b.txt"]);
    assert_eq!(out, "first\nsecond\n");
}
