//! The Docker CLI a learner meets in the first month (issue 14): `docker container …` and
//! `docker image …` as the short forms, `--version` / `-v`, `version` / `info --format`, and
//! `container prune` / `image prune` with Docker's prompt and report, through the real binary.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Run, Sandbox};

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

/// Run with `input` on stdin (the prompt's answer) and extra environment.
fn answer(s: &Sandbox, args: &[&str], input: &str, env: &[(&str, &str)]) -> Run {
    let mut c = s.command(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("spawn gorae");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait gorae");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).to_string(),
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

/// The engine's event feed so far (gorae's JSON lines).
fn events(s: &Sandbox) -> Vec<serde_json::Value> {
    s.ok(&[
        "events", "--since", "30m", "--until", "0s", "--format", "json",
    ])
    .lines()
    .filter_map(|l| serde_json::from_str(l).ok())
    .collect()
}

fn names(s: &Sandbox) -> Vec<String> {
    s.ok(&["ps", "-a", "--format", "{{.Names}}"])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn management_forms_print_what_the_short_forms_print() {
    let s = pulled();
    s.ok(&[
        "container",
        "run",
        "--name",
        "first",
        "-l",
        "tier=db",
        "busybox",
        "true",
    ]);
    s.ok(&[
        "container",
        "create",
        "--name",
        "second",
        "busybox",
        "echo",
        "hi",
    ]);
    let ps = s.ok(&["ps", "-a"]);
    for form in [
        &["container", "ls", "-a"][..],
        &["container", "list", "-a"],
        &["container", "ps", "-a"],
    ] {
        assert_eq!(s.ok(form), ps, "docker {form:?}");
    }
    assert_eq!(
        s.ok(&["container", "ls", "-aq", "--filter", "label=tier=db"]),
        s.ok(&["ps", "-aq", "--filter", "label=tier=db"])
    );
    let images = s.ok(&["images"]);
    assert_eq!(s.ok(&["image", "ls"]), images);
    assert_eq!(s.ok(&["image", "list"]), images);
    assert_eq!(
        s.ok(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]),
        "busybox:latest\n"
    );
    assert_eq!(
        s.ok(&["container", "inspect", "-f", "{{.Name}}", "first"]),
        "/first\n"
    );
    assert_eq!(
        s.ok(&["image", "inspect", "-f", "{{.Id}}", "busybox"]),
        s.ok(&["inspect", "-f", "{{.Id}}", "busybox"])
    );
    assert_eq!(
        s.ok(&["image", "history", "busybox"]),
        s.ok(&["history", "busybox"])
    );
    // `container inspect` looks at containers only, `image inspect` at images only.
    assert_eq!(s.docker(&["container", "inspect", "busybox"]).code, 1);
    assert_eq!(s.docker(&["image", "inspect", "first"]).code, 1);

    s.ok(&["container", "start", "second"]);
    assert_eq!(s.ok(&["container", "wait", "second"]), "0\n");
    assert_eq!(s.ok(&["container", "logs", "second"]), "hi\n");
    s.ok(&["container", "rename", "second", "third"]);
    assert_eq!(names(&s), ["third", "first"]);
    assert_eq!(s.ok(&["container", "rm", "third"]), "third\n");
    assert_eq!(s.ok(&["container", "remove", "first"]), "first\n");
    assert!(names(&s).is_empty());

    s.ok(&["image", "tag", "busybox", "mine:1"]);
    assert_eq!(s.ok(&["image", "rm", "mine:1"]), "Untagged: mine:1\n");
    assert_eq!(s.ok(&["image", "ls", "-q"]), s.ok(&["images", "-q"]));
}

#[test]
fn management_help_and_errors_are_dockers() {
    let s = Sandbox::new();
    let r = s.docker(&["container", "--help"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("Usage:  docker container COMMAND\n\nManage containers\n\nCommands:\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\n  ls          List containers\n"));
    assert!(
        r.stdout
            .contains("\n  prune       Remove all stopped containers\n")
    );
    assert!(r.stdout.ends_with(
        "\n\nRun 'docker container COMMAND --help' for more information on a command.\n"
    ));
    let r = s.docker(&["image", "--help"]);
    assert!(
        r.stdout
            .starts_with("Usage:  docker image COMMAND\n\nManage images\n\nCommands:\n  build "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\n  rm          Remove one or more images\n")
    );
    // Without a subcommand Docker shows the help on stderr and succeeds.
    let r = s.docker(&["image"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.starts_with("Usage:  docker image COMMAND\n"));

    let r = s.docker(&["container", "foo"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "docker: unknown command: docker container foo\n\nUsage:  docker container\n\n\
         Run 'docker container --help' for more information\n"
    );
    let r = s.docker(&["image", "nope"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("docker: unknown command: docker image nope\n")
    );

    // A flag error names the management form.
    let r = s.docker(&["container", "ls", "--bogus"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains(
            "unknown flag: --bogus\n\nUsage:  docker container ls [OPTIONS]\n\n\
             Run 'docker container ls --help' for more information\n"
        ),
        "{}",
        r.stderr
    );
    let r = s.docker(&["image", "ls", "--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("docker image ls"), "{}", r.stdout);

    // An unknown command, as Docker's root command words it; the invented aliases are gone.
    for word in ["serach", "image-ls", "container-ls"] {
        let r = s.docker(&[word]);
        assert_eq!(r.code, 1, "{word}");
        assert_eq!(
            r.stderr,
            format!(
                "docker: unknown command: docker {word}\n\nRun 'docker --help' for more information\n"
            )
        );
    }
}

#[test]
fn version_flag_and_templates() {
    let s = Sandbox::new();
    let v = s.ok(&["version", "--format", "{{.Client.Version}}"]);
    let v = v.trim();
    assert!(!v.is_empty());
    for flag in ["--version", "-v"] {
        let out = s.ok(&[flag]);
        assert!(
            out.starts_with(&format!("Docker version {v}, build ")) && out.ends_with('\n'),
            "{out}"
        );
        assert_eq!(out.lines().count(), 1);
    }
    assert_eq!(
        s.ok(&["version", "--format", "{{.Server.Version}}"]).trim(),
        v
    );
    assert_eq!(
        s.ok(&["version", "--format", "{{.Server.APIVersion}}"]),
        "1.47\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["version", "--format", "json"])).expect("version json");
    assert_eq!(json["Client"]["Version"], v);
    assert_eq!(s.ok(&["info", "--format", "{{.ServerVersion}}"]).trim(), v);
    assert_eq!(
        s.ok(&[
            "info",
            "--format",
            "{{.Containers}} {{.Images}} {{.Driver}}"
        ]),
        "0 0 overlay2\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["info", "--format", "{{json .}}"])).expect("info json");
    assert_eq!(json["OSType"], "linux");
    let r = s.docker(&["version", "--format", "{{.Client"]);
    assert_eq!(r.code, 64);
    assert_eq!(
        r.stderr,
        "template parsing error: template: :1: unclosed action\n"
    );
    assert_eq!(s.docker(&["info", "--format", "{{.Client"]).code, 64);
    // Without --format the usual report.
    assert!(s.ok(&["version"]).starts_with("Client: gorae\n"));
    // Egress: the tool found, or "none" and a warning naming the package that gives it.
    let info = s.docker(&["info"]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    use gorae_engine::net::egress::{self, Egress};
    match egress::availability() {
        Egress::Pasta(p) => {
            assert!(
                info.stdout
                    .contains(&format!("\n Egress: pasta ({})\n", p.display()))
            );
            assert_eq!(json["Egress"], format!("pasta ({})", p.display()));
            assert_eq!(json["Warnings"], serde_json::json!([]));
        }
        Egress::Slirp(p) => {
            assert!(
                info.stdout
                    .contains(&format!("\n Egress: slirp4netns ({})\n", p.display()))
            );
        }
        Egress::None(_) => {
            assert!(info.stdout.contains("\n Egress: none\n"));
            assert!(
                info.stderr
                    .starts_with("WARNING: containers cannot reach the host")
            );
            assert_eq!(json["Warnings"].as_array().map(|w| w.len()), Some(1));
        }
    }
}

const CONTAINER_WARNING: &str =
    "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ";

#[test]
fn container_prune_asks_and_removes_stopped_containers() {
    let s = pulled();
    s.ok(&["run", "--name", "done", "-l", "tier=db", "busybox", "true"]);
    s.ok(&[
        "run",
        "--name",
        "wrote",
        "busybox",
        "sh",
        "-c",
        "echo hello > /f",
    ]);
    s.ok(&["create", "--name", "fresh", "busybox", "true"]);
    s.ok(&["run", "-d", "--name", "live", "busybox", "sleep", "300"]);

    // "n", anything else, or no answer at all: nothing removed, exit 0, no report.
    for input in ["n\n", "yes\n", ""] {
        let r = answer(&s, &["container", "prune"], input, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, CONTAINER_WARNING, "answer {input:?}");
        assert_eq!(r.stderr, "");
    }
    assert_eq!(names(&s).len(), 4);

    // A filter narrows it; -f does not ask.
    let done = s.ok(&["inspect", "-f", "{{.Id}}", "done"]);
    let out = s.ok(&["container", "prune", "-f", "--filter", "label=tier=db"]);
    assert_eq!(
        out,
        format!("Deleted Containers:\n{done}\nTotal reclaimed space: 0B\n")
    );
    let out = s.ok(&["container", "prune", "-f", "--filter", "until=1h"]);
    assert_eq!(
        out, "Total reclaimed space: 0B\n",
        "all were created just now"
    );

    // "y" (or "Y"): the stopped ones go, the running one stays.
    let ids: Vec<String> = ["fresh", "wrote"]
        .iter()
        .map(|n| s.ok(&["inspect", "-f", "{{.Id}}", n]).trim().to_string())
        .collect();
    let r = answer(&s, &["container", "prune"], "Y\n", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "{CONTAINER_WARNING}Deleted Containers:\n{}\n{}\n\nTotal reclaimed space: 6B\n",
            ids[0], ids[1]
        )
    );
    assert_eq!(names(&s), ["live"]);
    let mut destroyed: Vec<String> = events(&s)
        .iter()
        .filter(|e| e["type"] == "container" && e["action"] == "destroy")
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect();
    destroyed.sort();
    assert_eq!(destroyed, ["done", "fresh", "wrote"]);

    let r = s.docker(&["container", "prune", "-f", "--filter", "until=soon"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: failed to parse value as time or duration: \"soon\"\n"
    );
    let r = s.docker(&["container", "prune", "-f", "--filter", "name=x"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: invalid filter 'name'\n"
    );
    s.ok(&["rm", "-f", "live"]);
}

#[test]
fn prune_prompt_in_korean() {
    let s = pulled();
    s.ok(&["create", "--name", "fresh", "busybox", "true"]);
    let ko = [("LANG", "ko_KR.UTF-8")];
    let r = answer(&s, &["container", "prune"], "n\n", &ko);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "경고! 멈춘 컨테이너를 모두 지웁니다.\n계속할까요? [y/N] "
    );
    let r = answer(&s, &["container", "prune"], "y\n", &ko);
    assert!(r.stdout.contains("지운 컨테이너:\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("되찾은 공간: 0B\n"), "{}", r.stdout);
    let r = answer(&s, &["image", "prune", "-a"], "n\n", &ko);
    assert!(r.stdout.starts_with("경고! "), "{}", r.stdout);
    let r = s.docker_env(&["container", "--help"], &ko);
    assert!(
        r.stdout
            .starts_with("사용법:  docker container COMMAND\n\n컨테이너 관리\n")
    );
}

/// An image that lost its tag to a newer commit: dangling.
fn with_dangling(s: &Sandbox) -> String {
    s.ok(&[
        "run",
        "--name",
        "one",
        "busybox",
        "sh",
        "-c",
        "echo 1 > /one",
    ]);
    let old = s.ok(&["commit", "one", "mine:1"]).trim().to_string();
    s.ok(&[
        "run",
        "--name",
        "two",
        "busybox",
        "sh",
        "-c",
        "echo 2 > /two",
    ]);
    s.ok(&["commit", "two", "mine:1"]);
    s.ok(&["rm", "one", "two"]);
    old
}

/// The chain id of an image's top layer (what Docker's `rmi` and prune name as deleted).
fn top_chain_id(s: &Sandbox, image: &str) -> String {
    use sha2::Digest;
    let layers = s.ok(&[
        "inspect",
        "-f",
        "{{range .RootFS.Layers}}{{.}} {{end}}",
        image,
    ]);
    let mut chain: Option<String> = None;
    for d in layers.split_whitespace() {
        chain = Some(match chain {
            None => d.to_string(),
            Some(prev) => format!(
                "sha256:{}",
                hex::encode(sha2::Sha256::digest(format!("{prev} {d}").as_bytes()))
            ),
        });
    }
    chain.expect("an image has layers")
}

#[test]
fn image_prune_removes_dangling_then_unused() {
    let s = pulled();
    let old = with_dangling(&s);
    assert_eq!(
        s.ok(&["images", "--filter", "dangling=true", "-q", "--no-trunc"])
            .trim(),
        old
    );
    let r = answer(&s, &["image", "prune"], "n\n", &[]);
    assert_eq!(
        r.stdout,
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    );
    assert_eq!(s.ok(&["images", "-q"]).lines().count(), 3);

    // Docker lists the layer the image released (its chain id) after the image.
    let old_layer = top_chain_id(&s, &old);
    let r = answer(&s, &["image", "prune"], "y\n", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "WARNING! This will remove all dangling images.\nAre you sure you want to continue? \
             [y/N] Deleted Images:\ndeleted: {old}\ndeleted: {old_layer}\n\nTotal reclaimed space: 2B\n"
        )
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        "mine:1\nbusybox:latest\n"
    );
    // Nothing dangling left.
    assert_eq!(
        s.ok(&["image", "prune", "-f"]),
        "Total reclaimed space: 0B\n"
    );

    // -a: every image no container uses; busybox stays for the container on it.
    s.ok(&["create", "--name", "keeper", "busybox", "true"]);
    let mine = s
        .ok(&["inspect", "-f", "{{.Id}}", "mine:1"])
        .trim()
        .to_string();
    let mine_layer = top_chain_id(&s, &mine);
    let out = s.ok(&["image", "prune", "-a", "-f"]);
    assert_eq!(
        out,
        format!(
            "Deleted Images:\nuntagged: mine:1\ndeleted: {mine}\ndeleted: {mine_layer}\n\nTotal reclaimed space: 2B\n"
        )
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}"]),
        "busybox\n"
    );
    let image_events: Vec<String> = events(&s)
        .iter()
        .filter(|e| e["type"] == "image")
        .map(|e| e["action"].as_str().unwrap_or("").to_string())
        .collect();
    let tail: Vec<&str> = image_events
        .iter()
        .rev()
        .take(4)
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["prune", "delete", "untag", "prune"],
        "{image_events:?}"
    );

    // Filters: label on the image config, and until.
    s.ok(&["rm", "keeper"]);
    let out = s.ok(&["image", "prune", "-a", "-f", "--filter", "label=nope"]);
    assert_eq!(out, "Total reclaimed space: 0B\n");
    let out = s.ok(&["image", "prune", "-a", "-f", "--filter", "until=1h"]);
    assert!(out.contains("untagged: busybox:latest\n"), "{out}");
    assert_eq!(s.ok(&["images", "-q"]), "");
}

#[test]
fn system_df_counts_images_and_containers_as_docker_does() {
    let s = pulled();
    s.ok(&[
        "run",
        "--name",
        "wrote",
        "busybox",
        "sh",
        "-c",
        "echo 12345 > /f",
    ]);
    let df = s.ok(&["system", "df"]);
    let lines: Vec<&str> = df.lines().collect();
    assert_eq!(
        lines[0],
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
    );
    assert!(
        lines[1].starts_with("Images          1         1         "),
        "{df}"
    );
    assert!(
        lines[2].starts_with("Containers      1         0         6B        6B (100%)"),
        "{df}"
    );
    assert_eq!(lines[3], "Local Volumes   0         0         0B        0B");
    assert_eq!(lines[4], "Build Cache     0         0         0B        0B");
    let v = s.ok(&["system", "df", "-v"]);
    assert!(
        v.starts_with("Images space usage:\n\nREPOSITORY   TAG       IMAGE ID"),
        "{v}"
    );
    assert!(v.contains("\nbusybox      latest    "), "{v}");
    assert!(
        v.contains("\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND"),
        "{v}"
    );
    assert!(
        v.contains("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n"),
        "{v}"
    );
    assert!(
        v.contains("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE"),
        "{v}"
    );
}

#[test]
fn system_prune_asks_then_removes_stopped_containers_and_dangling_images() {
    let s = pulled();
    s.ok(&["run", "--name", "done", "busybox", "true"]);
    s.ok(&["run", "-d", "--name", "up", "busybox", "sleep", "60"]);
    let warning = "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ";
    let no = answer(&s, &["system", "prune"], "n\n", &[]);
    assert_eq!((no.code, no.stdout.as_str()), (0, warning));
    assert_eq!(names(&s).len(), 2);
    let id = s
        .ok(&["inspect", "-f", "{{.Id}}", "done"])
        .trim()
        .to_string();
    let yes = answer(&s, &["system", "prune"], "y\n", &[]);
    assert_eq!(yes.code, 0, "{}", yes.stderr);
    assert_eq!(
        yes.stdout,
        format!("{warning}Deleted Containers:\n{id}\n\nTotal reclaimed space: 0B\n")
    );
    assert_eq!(names(&s), ["up"]);
    // -a: images no container uses go too; -f: no question.
    s.ok(&["rm", "-f", "up"]);
    let all = s.ok(&["system", "prune", "-a", "-f"]);
    assert!(
        all.contains("Deleted Images:\nuntagged: busybox:latest\n"),
        "{all}"
    );
    assert!(s.ok(&["images", "-q"]).is_empty());
    // Unused networks go too.
    s.ok(&["network", "create", "spare"]);
    let nets = s.ok(&["system", "prune", "-f"]);
    assert!(nets.contains("Deleted Networks:\nspare\n\n"), "{nets}");
    // --volumes: anonymous volumes no container uses go too; named ones stay.
    s.ok(&["pull", "busybox"]);
    s.ok(&["volume", "create", "keep"]);
    s.ok(&["run", "--name", "anon", "-v", "/data", "busybox", "true"]);
    let df = s.ok(&["system", "df"]);
    assert!(
        df.contains("\nLocal Volumes   2         1         "),
        "{df}"
    );
    let v = s.ok(&["system", "prune", "-f", "--volumes"]);
    assert!(v.contains("Deleted Volumes:\n"), "{v}");
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "keep\n");
    let warned = answer(&s, &["system", "prune", "--volumes"], "n\n", &[]);
    assert!(
        warned
            .stdout
            .contains("  - all anonymous volumes not used by at least one container\n"),
        "{}",
        warned.stdout
    );
}

/// `docker info | head -n 1`: the reader goes before the output is written. Docker's CLI ends
/// by SIGPIPE (the shell says 141); gorae exits 141 too, with no crash report, and the event
/// feed records the command with that exit.
#[test]
fn a_reader_closing_the_pipe_ends_the_command_quietly() {
    let s = Sandbox::new();
    let mut c = s.command(&["info"]);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn gorae");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait gorae");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    // Command events are gorae's own (the course's `ran` checks): not in `docker events`.
    let feed = std::fs::read_to_string(s.root().join("events.jsonl")).expect("event feed");
    let last: serde_json::Value = feed
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .rfind(|e: &serde_json::Value| e["type"] == "command")
        .expect("the command was recorded");
    assert_eq!(last["attrs"]["args"], "[\"info\"]", "{last}");
    assert_eq!(last["attrs"]["exit"], "141", "{last}");
}

#[test]
fn search_looks_through_the_bundled_catalog_in_dockers_columns() {
    let s = Sandbox::new();
    let out = s.ok(&["search", "e"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"],
        "{out}"
    );
    // Descriptions from the catalog, cut to 45 columns with Docker's "…".
    assert!(
        out.contains("debian     Debian is a Linux distribution that's compos…   0         [OK]\n"),
        "{out}"
    );
    // "e" is in busybox's, debian's, redis's and registry's texts, not in nginx's.
    let names: Vec<&str> = lines[1..]
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["busybox", "debian", "redis", "registry"], "{out}");
    let full = s.ok(&["search", "--no-trunc", "--limit", "1", "debian"]);
    assert!(
        full.contains("composed entirely of free and open-source software.")
            && full.lines().count() == 2,
        "{full}"
    );
    let f = s.ok(&[
        "search",
        "--format",
        "{{.Name}}|{{.StarCount}}|{{.IsOfficial}}",
        "-f",
        "is-official=true",
        "NGINX",
    ]);
    assert_eq!(f, "nginx|0|[OK]\n");
    assert_eq!(
        s.ok(&[
            "search",
            "--format",
            "{{.Name}}",
            "-f",
            "is-official=false",
            "nginx"
        ]),
        ""
    );
    // The catalog has no stars: a stars filter above 0 leaves the header alone.
    let none = s.ok(&["search", "-f", "stars=1", "busybox"]);
    assert_eq!(none.lines().count(), 1, "{none}");
    for (args, err) in [
        (&["search", "--limit", "0", "x"][..], ""),
        (
            &["search", "--limit", "101", "x"],
            "Error response from daemon: limit 101 is outside the range of [1, 100]\n",
        ),
        (
            &["search", "-f", "stars=many", "x"],
            "Error response from daemon: invalid filter 'stars=many'\n",
        ),
        (
            &["search", "-f", "color=red", "x"],
            "Error response from daemon: invalid filter 'color'\n",
        ),
    ] {
        let r = s.docker(args);
        if err.is_empty() {
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        } else {
            assert_eq!((r.code, r.stderr.as_str()), (1, err), "{args:?}");
        }
    }
    let r = s.docker(&["search", "localhost:5000/busybox"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("/v2/_catalog"), "{}", r.stderr);
}
