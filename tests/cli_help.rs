//! Docker's help and usage errors (issue 14), through the real binary: `docker --help`'s
//! groups, `docker COMMAND --help` in the docker CLI's layout, and the flag and argument
//! errors in Docker's words and exit codes, in English and in Korean. The expected texts are
//! real Docker's (28.2), cut to the flags gorae has.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

const KO: [(&str, &str); 1] = [("LANG", "ko_KR.UTF-8")];

#[test]
fn root_help_has_dockers_groups_and_only_commands_gorae_has() {
    let s = Sandbox::new();
    let out = s.ok(&["--help"]);
    assert!(
        out.starts_with(
            "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n\
             Common Commands:\n  run         Create and run a new container from an image\n"
        ),
        "{out}"
    );
    for heading in [
        "\nManagement Commands:\n",
        "\nCommands:\n",
        "\nGlobal Options:\n",
    ] {
        assert!(out.contains(heading), "{heading}: {out}");
    }
    assert!(out.contains(
        "\n  builder     Manage builds\n  compose*    Docker Compose\n  container   Manage containers\n"
    ));
    assert!(out.contains("\n  -v, --version   Print version information and quit\n"));
    assert!(out.ends_with(
        "\nRun 'docker COMMAND --help' for more information on a command.\n\n\
         For more help on how to use Docker, head to https://docs.docker.com/go/guides/\n"
    ));
    // `search` where Docker lists it; commands gorae lacks are not offered, nor Swarm.
    assert!(
        out.contains(
            "\n  logout      Log out from a registry\n  search      Search Docker Hub for images\n  \
             version     Show the Docker version information\n"
        ),
        "{out}"
    );
    for absent in ["context", "plugin", "Swarm", "--tlsverify"] {
        assert!(!out.contains(absent), "{absent}: {out}");
    }
    // Every listed command answers to --help.
    let listed: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('-'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(listed.len() > 40, "{listed:?}");
    for name in listed.iter().filter(|n| !n.ends_with('*')) {
        let r = s.docker(&[name, "--help"]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert!(
            r.stdout.starts_with("Usage:  docker "),
            "{name}: {}",
            r.stdout
        );
    }
    // `docker` alone: the help on stderr, and success, as Docker.
    let r = s.docker(&[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr, out);
    assert_eq!(s.ok(&["help"]), out);
}

#[test]
fn command_help_is_laid_out_as_dockers() {
    let s = Sandbox::new();
    assert_eq!(
        s.ok(&["stop", "--help"]),
        "Usage:  docker stop [OPTIONS] CONTAINER [CONTAINER...]\n\n\
         Stop one or more running containers\n\n\
         Aliases:\n  docker container stop, docker stop\n\n\
         Options:\n  -s, --signal string   Signal to send to the container\n  \
         -t, --timeout int     Seconds to wait before killing the container\n"
    );
    // Two use lines, a long description and a wrapped flag description.
    assert_eq!(
        s.ok(&["cp", "--help"]),
        "Usage:  docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\
         \tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n\
         Copy files/folders between a container and the local filesystem\n\n\
         Use '-' as the source to read a tar archive from stdin\n\
         and extract it to a directory destination in a container.\n\
         Use '-' as the destination to stream a tar archive of a\n\
         container source to stdout.\n\n\
         Aliases:\n  docker container cp, docker cp\n\n\
         Options:\n  -a, --archive       Archive mode (copy all uid/gid information)\n  \
         -L, --follow-link   Always follow symbol link in SRC_PATH\n  \
         -q, --quiet         Suppress progress output during copy. Progress\n                      \
         output is automatically suppressed if no terminal\n                      \
         is attached\n"
    );
    // The management form is the same command under its own path; `-h` still helps.
    let ls = s.ok(&["container", "ls", "--help"]);
    assert!(ls.starts_with("Usage:  docker container ls [OPTIONS]\n\nList containers\n\n"));
    assert!(ls.contains(
        "Aliases:\n  docker container ls, docker container list, docker container ps, docker ps\n"
    ));
    assert!(
        ls.contains("\n  -n, --last int        Show n last created containers (includes all\n")
    );
    assert!(ls.contains("\n      --format string   Format output using a custom template:\n                        'table':            Print output in table format\n"));
    let ps = s.ok(&["ps", "-h"]);
    assert_eq!(
        ps,
        format!(
            "Flag shorthand -h has been deprecated, use --help\n{}",
            s.ok(&["ps", "--help"])
        )
        .replace("docker container ls [OPTIONS]", "docker ps [OPTIONS]")
    );
    // run lists its own --help (its -h is the hostname), with Docker's value types.
    let run = s.ok(&["run", "--help"]);
    assert!(run.starts_with("Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"));
    for line in [
        "\n  -e, --env list ",
        "\n      --help ",
        "\n  -h, --hostname string ",
        "\n  -m, --memory bytes ",
        "\n      --cpus decimal ",
        "\n      --name string ",
        "\n      --mount mount ",
    ] {
        assert!(run.contains(line), "{line}: {run}");
    }
    // A command of a management command alone, and the group's own help.
    let vls = s.ok(&["volume", "ls", "--help"]);
    assert!(vls.starts_with("Usage:  docker volume ls [OPTIONS]\n\nList volumes\n\nAliases:\n  docker volume ls, docker volume list\n\nOptions:\n"), "{vls}");
    let v = s.ok(&["volume", "--help"]);
    assert!(v.starts_with("Usage:  docker volume COMMAND\n\nManage volumes\n\nCommands:\n  create      Create a volume\n"), "{v}");
}

#[test]
fn flag_and_argument_errors_are_dockers() {
    let s = Sandbox::new();
    let cases: [(&[&str], i32, &str); 13] = [
        // Docker's create has no -d, --detach-keys or --sig-proxy, which gorae's run has.
        (
            &["create", "-dit", "busybox"],
            125,
            "unknown shorthand flag: 'd' in -dit\n\n\
             Usage:  docker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             Run 'docker create --help' for more information\n",
        ),
        (
            &["container", "create", "-d", "busybox"],
            125,
            "unknown shorthand flag: 'd' in -d\n\n\
             Usage:  docker container create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             Run 'docker container create --help' for more information\n",
        ),
        (
            &["create", "--sig-proxy=false", "busybox"],
            125,
            "unknown flag: --sig-proxy\n\n\
             Usage:  docker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             Run 'docker create --help' for more information\n",
        ),
        // pflag's bool flags take a value; a bad one in strconv's words, under the long name.
        (
            &["ps", "-a=maybe"],
            125,
            "invalid argument \"maybe\" for \"-a, --all\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\n\n\
             Usage:  docker ps [OPTIONS]\n\n\
             Run 'docker ps --help' for more information\n",
        ),
        (
            &["ps", "--rm"],
            125,
            "unknown flag: --rm\n\nUsage:  docker ps [OPTIONS]\n\n\
             Run 'docker ps --help' for more information\n",
        ),
        (
            &["run", "-rm", "busybox"],
            125,
            "unknown shorthand flag: 'r' in -rm\n\n\
             Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             Run 'docker run --help' for more information\n",
        ),
        (
            &["run"],
            1,
            "docker: 'docker run' requires at least 1 argument\n\n\
             Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             See 'docker run --help' for more information\n",
        ),
        (
            &["rename", "a"],
            1,
            "docker: 'docker rename' requires 2 arguments\n\n\
             Usage:  docker rename CONTAINER NEW_NAME\n\n\
             Run 'docker rename --help' for more information\n",
        ),
        (
            &["ps", "x"],
            1,
            "docker: 'docker ps' accepts no arguments\n\nUsage:  docker ps [OPTIONS]\n\n\
             Run 'docker ps --help' for more information\n",
        ),
        (
            &["commit"],
            1,
            "docker: 'docker commit' requires at least 1 and at most 2 arguments\n\n\
             Usage:  docker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n\
             Run 'docker commit --help' for more information\n",
        ),
        (
            &["run", "--name"],
            125,
            "flag needs an argument: --name\n\n\
             Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n\
             Run 'docker run --help' for more information\n",
        ),
        (
            &["stop", "-t", "x", "c"],
            125,
            "invalid argument \"x\" for \"-t, --timeout\" flag: strconv.ParseInt: parsing \"x\": \
             invalid syntax\n\nUsage:  docker stop [OPTIONS] CONTAINER [CONTAINER...]\n\n\
             Run 'docker stop --help' for more information\n",
        ),
        (
            &["--foo"],
            125,
            "unknown flag: --foo\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\n\
             Run 'docker --help' for more information\n",
        ),
    ];
    for (args, code, want) in cases {
        let r = s.docker(args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, want, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    let r = s.docker(&["run", "-p"]);
    assert!(
        r.stderr.starts_with("flag needs an argument: 'p' in -p\n"),
        "{}",
        r.stderr
    );
    let r = s.docker(&["volume", "rm"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("docker: 'docker volume rm' requires at least 1 argument\n\nUsage:  docker volume rm [OPTIONS] VOLUME [VOLUME...]\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_and_errors_are_korean_in_korean() {
    let s = Sandbox::new();
    let r = s.docker_env(&["stop", "--help"], &KO);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with(
            "사용법:  docker stop [OPTIONS] CONTAINER [CONTAINER...]\n\n\
             실행 중인 컨테이너 하나 이상을 멈춥니다\n\n다른 이름:\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\n옵션:\n  -s, --signal string   컨테이너에 보낼 시그널\n"),
        "{}",
        r.stdout
    );
    let r = s.docker_env(&["--help"], &KO);
    assert!(
        r.stdout.contains("\n자주 쓰는 명령:\n  run "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\n관리 명령:\n"), "{}", r.stdout);

    // The typo lesson 03 warns about: Docker's error in Korean, and how to write it.
    let r = s.docker_env(&["run", "-rm", "busybox"], &KO);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr
            .starts_with("없는 한 글자 옵션입니다: -rm 의 'r'\n힌트: "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--rm"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("\n사용법:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"),
        "{}",
        r.stderr
    );
    // No hint in English (Docker gives none), nor for a cluster that is no long flag.
    assert!(!s.docker(&["run", "-rm", "busybox"]).stderr.contains("--rm"));
    let r = s.docker_env(&["ps", "-x"], &KO);
    assert!(!r.stderr.contains("힌트"), "{}", r.stderr);

    let r = s.docker_env(&["run"], &KO);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("docker: 'docker run'에는 인자가 1개 이상 필요합니다\n"),
        "{}",
        r.stderr
    );
    let r = s.docker_env(&["serach"], &KO);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "docker: 없는 명령입니다: docker serach\n\n도움말: 'docker --help'\n"
    );
}

#[test]
fn docker_help_topics_and_the_h_shorthand_are_dockers() {
    let s = Sandbox::new();
    assert_eq!(s.ok(&["help", "run"]), s.ok(&["run", "--help"]));
    assert_eq!(
        s.ok(&["help", "container", "ls"]),
        s.ok(&["container", "ls", "--help"])
    );
    for args in [&["help", "foo"][..], &["help", "container", "foo"]] {
        let r = s.docker(args);
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(r.stderr, "unknown help topic: foo\n", "{args:?}");
    }
    let r = s.docker(&["-h"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "Flag shorthand -h has been deprecated, use --help\n{}",
            s.ok(&["--help"])
        )
    );
}

#[test]
fn gorae_help_names_its_commands_and_gorae_version_works() {
    let run = |args: &[&str], lang: &str| {
        let r = common::gorae(args, lang);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let help = run(&["--help"], "C.UTF-8");
    for line in [
        "gorae docker COMMAND [ARG...]",
        "gorae lesson check [PATH...]",
        "gorae lesson try FILE STEP_ID -- CMD...",
        "\n  -V, --version ",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
    let ko = run(&["--help"], "ko_KR.UTF-8");
    assert!(ko.contains("\n명령:\n  gorae docker COMMAND "), "{ko}");
    assert!(ko.contains("도움말을 보여 줍니다"), "{ko}");
    assert_eq!(
        run(&["--version"], "C.UTF-8"),
        format!("gorae {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn daemon_refusals_are_worded_as_dockers() {
    let s = Sandbox::new();
    let r = s.docker(&["kill", "nope", "gone"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: cannot kill container: nope: No such container: nope\n\
         Error response from daemon: cannot kill container: gone: No such container: gone\n"
    );
    let r = s.docker(&["start", "nope", "gone"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: No such container: nope\n\
         Error response from daemon: No such container: gone\n\
         Error: failed to start containers: nope, gone\n"
    );
    let r = s.docker(&["rmi", "nope", "gone:1"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: No such image: nope:latest\n\
         Error response from daemon: No such image: gone:1\n"
    );
    let r = s.docker(&["container", "inspect", "nope"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, "[]\n"));
    assert_eq!(
        r.stderr,
        "Error response from daemon: No such container: nope\n"
    );
    let r = s.docker(&["image", "inspect", "nope"]);
    assert_eq!(
        r.stderr,
        "Error response from daemon: no such image: nope: No such image: nope:latest\n"
    );
    assert_eq!(
        s.docker(&["inspect", "nope"]).stderr,
        "Error: No such object: nope\n"
    );
    // `--time`, Docker's old name of `--timeout`, is taken with Docker's notice.
    let r = s.docker(&["stop", "--time", "3", "nope"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "Flag --time has been deprecated, use --timeout instead\n"
    );
    assert_eq!(
        r.stderr,
        "Error response from daemon: No such container: nope\n"
    );
}

/// `docker compose --help` and its commands' help in the compose CLI's (cobra) layout, in
/// both languages; a bare `docker compose` prints it too, as Compose does.
#[test]
fn compose_help_is_laid_out_as_composes() {
    let s = Sandbox::new();
    let out = s.ok(&["compose", "--help"]);
    assert!(
        out.starts_with(
            "Usage:  docker compose [OPTIONS] COMMAND\n\n\
             Define and run multi-container applications with Docker\n\nOptions:\n"
        ),
        "{out}"
    );
    for line in [
        "  -f, --file stringArray      Compose configuration files\n",
        "\nCommands:\n",
        "  up          Create and start containers\n",
        "  down        Stop and remove containers, networks\n",
    ] {
        assert!(out.contains(line), "{line:?}: {out}");
    }
    assert!(
        out.ends_with("\nRun 'docker compose COMMAND --help' for more information on a command.\n"),
        "{out}"
    );
    assert_eq!(s.ok(&["compose"]), out, "a bare `docker compose` helps");

    let up = s.ok(&["compose", "up", "--help"]);
    assert!(
        up.starts_with(
            "Usage:  docker compose up [OPTIONS] [SERVICE...]\n\nCreate and start containers\n\nOptions:\n"
        ),
        "{up}"
    );
    assert!(
        up.contains("  -d, --detach   Detached mode: Run containers in the background\n"),
        "{up}"
    );

    let unknown = s.docker(&["compose", "nosuch"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("unknown docker command: \"compose nosuch\""),
        "{}",
        unknown.stderr
    );

    let ko = s.docker_env(&["compose", "--help"], &KO);
    assert_eq!(ko.code, 0);
    assert!(
        ko.stdout
            .starts_with("사용법:  docker compose [OPTIONS] COMMAND\n"),
        "{}",
        ko.stdout
    );
    assert!(ko.stdout.contains("\n옵션:\n"), "{}", ko.stdout);
}
