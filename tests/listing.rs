//! `docker ps` / `docker images` flags from Docker tutorials: --format, --filter, -n, -l, -s, -q,
//! and Docker's error wording, through the real binary.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;

fn pulled() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["pull", "busybox"]);
    s
}

/// Three stopped containers, oldest first: "done" (exit 2, label tier=db), "ok" (exit 0),
/// "fresh" (created, never started).
fn three() -> Sandbox {
    let s = pulled();
    let r = s.docker(&[
        "run", "--name", "done", "-l", "tier=db", "busybox", "sh", "-c", "exit 2",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    s.ok(&["run", "--name", "ok", "busybox", "true"]);
    s.ok(&["create", "--name", "fresh", "busybox", "echo", "hi"]);
    s
}

fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

#[test]
fn ps_format_prints_go_template_fields() {
    let s = three();
    let out = s.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}} {{.Image}}"]);
    assert_eq!(
        lines(&out),
        [
            "fresh created busybox",
            "ok exited busybox",
            "done exited busybox"
        ]
    );
    let ids = s.ok(&["ps", "-aq"]);
    let out = s.ok(&["ps", "-a", "--format", "{{.ID}}"]);
    assert_eq!(
        out, ids,
        "--format {{{{.ID}}}} prints the short IDs like -q"
    );
    let out = s.ok(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}={{.Label \"tier\"}}|{{.Labels}}",
    ]);
    assert_eq!(lines(&out), ["fresh=|", "ok=|", "done=db|tier=db"]);
    let out = s.ok(&[
        "ps",
        "-a",
        "-f",
        "name=done",
        "--format",
        "{{.Command}} {{.Status}}",
    ]);
    assert!(out.starts_with("\"sh -c 'exit 2'\" Exited (2) "), "{out}");
    let out = s.ok(&[
        "ps",
        "-a",
        "-f",
        "name=ok",
        "--format",
        "{{upper .Names}} {{if .Ports}}ports{{else}}no ports{{end}}",
    ]);
    assert_eq!(out, "OK no ports\n");
}

#[test]
fn ps_format_table_prints_docker_headers_with_tabwriter_spacing() {
    let s = three();
    let out = s.ok(&[
        "ps",
        "-a",
        "--format",
        "table {{.Names}}\\t{{.State}}\\t{{.ID}}",
    ]);
    let l = lines(&out);
    assert_eq!(l.len(), 4, "{out}");
    assert!(
        l[0].starts_with("NAMES     STATE     CONTAINER ID"),
        "{out}"
    );
    assert!(l[1].starts_with("fresh     created   "), "{out}");
    assert!(l[3].starts_with("done      exited    "), "{out}");
    // "table" alone is the default table.
    let default = s.ok(&["ps", "-a"]);
    assert_eq!(s.ok(&["ps", "-a", "--format", "table"]), default);
    let header = s.ok(&[
        "ps",
        "--format",
        "table {{.ID}}\t{{.RunningFor}}\t{{.Size}}",
    ]);
    assert_eq!(
        header, "CONTAINER ID   CREATED   SIZE\n",
        "no running container: header only"
    );
}

#[test]
fn ps_format_json_prints_one_docker_object_per_line() {
    let s = three();
    let out = s.ok(&["ps", "-a", "--format", "json"]);
    let l = lines(&out);
    assert_eq!(l.len(), 3, "{out}");
    let v: serde_json::Value = serde_json::from_str(l[2]).expect("a JSON object per line");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Command",
            "CreatedAt",
            "ID",
            "Image",
            "Labels",
            "LocalVolumes",
            "Mounts",
            "Names",
            "Networks",
            "Ports",
            "RunningFor",
            "Size",
            "State",
            "Status"
        ]
    );
    assert_eq!(v["Names"], "done");
    assert_eq!(v["State"], "exited");
    assert_eq!(v["Labels"], "tier=db");
    assert_eq!(v["Size"], "0B", "size is not computed for --format json");
    assert_eq!(v["ID"].as_str().unwrap().len(), 12);
    assert!(v["RunningFor"].as_str().unwrap().ends_with(" ago"), "{v}");
    let full = s.ok(&["ps", "-a", "--no-trunc", "--format", "{{json .ID}}"]);
    assert_eq!(lines(&full)[0].len(), 64 + 2, "{full}");
}

#[test]
fn ps_filters_combine_like_docker() {
    let s = three();
    let names = |args: &[&str]| {
        let mut a = vec!["ps"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--format", "{{.Names}}"]);
        s.ok(&a).lines().map(str::to_string).collect::<Vec<_>>()
    };
    // status= implies -a; several values of one key OR.
    assert_eq!(names(&["-f", "status=exited"]), ["ok", "done"]);
    assert_eq!(
        names(&["-f", "status=created", "-f", "status=exited"]),
        ["fresh", "ok", "done"]
    );
    // Different keys AND.
    assert_eq!(names(&["-f", "status=exited", "-f", "name=do"]), ["done"]);
    // name= is a regular expression on the name.
    assert_eq!(names(&["-a", "-f", "name=^fr"]), ["fresh"]);
    assert_eq!(names(&["-a", "-f", "name=o"]), ["ok", "done"]);
    assert_eq!(names(&["-a", "-f", "exited=2"]), ["done"]);
    assert_eq!(
        names(&["-a", "-f", "exited=0", "-f", "exited=2"]),
        ["ok", "done"]
    );
    assert_eq!(names(&["-a", "-f", "label=tier"]), ["done"]);
    assert_eq!(names(&["-a", "-f", "label=tier=web"]), Vec::<String>::new());
    assert_eq!(
        names(&["-a", "-f", "ancestor=busybox"]),
        ["fresh", "ok", "done"]
    );
    assert_eq!(
        names(&["-a", "-f", "ancestor=debian"]),
        Vec::<String>::new()
    );
    assert_eq!(names(&["-a", "-f", "before=ok"]), ["done"]);
    assert_eq!(names(&["-a", "-f", "since=done"]), ["fresh", "ok"]);
    // Without -a, stopped containers stay hidden even with before/since (as Docker).
    assert_eq!(names(&["-f", "since=done"]), Vec::<String>::new());
    let id = s.ok(&["ps", "-aq", "-f", "name=ok"]);
    assert_eq!(names(&["-a", "-f", &format!("id={}", id.trim())]), ["ok"]);
    // -n and -l include every state and count after filters.
    assert_eq!(names(&["-n", "2"]), ["fresh", "ok"]);
    assert_eq!(names(&["-l"]), ["fresh"]);
    assert_eq!(names(&["-n", "1", "-f", "status=exited"]), ["ok"]);
}

#[test]
fn ps_name_filters_are_go_regular_expressions() {
    let s = three();
    s.ok(&["create", "--name", "web-12", "busybox", "true"]);
    let names = |filter: &str| {
        let r = s.docker(&["ps", "-a", "-f", filter, "--format", "{{.Names}}"]);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{filter}");
        r.stdout.lines().map(str::to_string).collect::<Vec<_>>()
    };
    // Alternation and groups.
    assert_eq!(names("name=^(ok|done)$"), ["ok", "done"]);
    assert_eq!(names("name=^/(fresh|ok)$"), ["fresh", "ok"]);
    assert_eq!(names("name=^d(on)+e$"), ["done"]);
    // Counted repetition.
    assert_eq!(names("name=^[a-z]{4,5}$"), ["fresh", "done"]);
    assert_eq!(names("name=^[a-z]{2}$"), ["ok"]);
    // Perl classes.
    assert_eq!(names(r"name=-\d+$"), ["web-12"]);
    assert_eq!(names(r"name=^\w+-\d{2}$"), ["web-12"]);
    assert_eq!(names(r"name=\d{3}"), Vec::<String>::new());
    // Unanchored, like Go's MatchString.
    assert_eq!(names("name=b-1"), ["web-12"]);
    // Not an expression: Docker matches it only as the exact name, without an error.
    assert_eq!(names("name=(ok"), Vec::<String>::new());
    assert_eq!(names("name=web-[12"), Vec::<String>::new());
}

#[test]
fn quiet_combines_with_filters_for_cleanup() {
    let s = three();
    let exited = s.ok(&["ps", "-aq", "-f", "status=exited"]);
    let ids: Vec<&str> = exited.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "{exited}");
    assert!(ids.iter().all(|id| id.len() == 12));
    let mut rm = vec!["rm"];
    rm.extend(ids.iter().copied());
    s.ok(&rm);
    assert_eq!(s.ok(&["ps", "-a", "--format", "{{.Names}}"]), "fresh\n");
    // -q wins over --format, with Docker's warning.
    let r = s.docker(&["ps", "-aq", "--format", "{{.Names}}"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.trim().len(), 12, "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "WARNING: Ignoring custom format, because both --format and --quiet are set."
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn ps_size_shows_written_bytes_and_virtual_size() {
    let s = pulled();
    s.ok(&[
        "run",
        "--name",
        "writer",
        "busybox",
        "sh",
        "-c",
        "head -c 5000 /dev/zero > /blob",
    ]);
    s.ok(&["create", "--name", "idle", "busybox", "true"]);
    let out = s.ok(&["ps", "-a", "-s"]);
    let l = lines(&out);
    assert!(l[0].ends_with("NAMES     SIZE"), "{out}");
    let writer = l.iter().find(|l| l.contains("writer")).unwrap();
    assert!(writer.contains("   5kB (virtual "), "{out}");
    let idle = l.iter().find(|l| l.contains("idle")).unwrap();
    assert!(idle.contains("   0B (virtual "), "{out}");
    let virt = |line: &str| line.rsplit("(virtual ").next().unwrap().to_string();
    assert_ne!(
        virt(writer),
        virt(idle),
        "virtual size includes the written bytes"
    );
    // A template that reads .Size turns size on by itself, as Docker does.
    let out = s.ok(&["ps", "-a", "-f", "name=writer", "--format", "{{.Size}}"]);
    assert!(
        out.starts_with("5kB (virtual ") && out.ends_with("MB)\n"),
        "{out}"
    );
}

#[test]
fn default_outputs_are_unchanged() {
    let s = three();
    let out = s.ok(&["ps", "-a"]);
    assert!(
        out.starts_with("CONTAINER ID   IMAGE     COMMAND            CREATED   "),
        "{out}"
    );
    // Arguments with spaces are quoted as Docker's daemon quotes them, and the column widens.
    assert!(out.contains(r#"   "sh -c 'exit 2'"   "#), "{out}");
    assert_eq!(out.lines().count(), 4);
    let images = s.ok(&["images"]);
    assert_eq!(
        images.lines().next().unwrap(),
        "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE"
    );
}

#[test]
fn ps_errors_are_worded_like_docker() {
    let s = three();
    let r = s.docker(&["ps", "-f", "foo=bar"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: invalid filter 'foo'\n"
    );
    assert_eq!(r.stdout, "");
    let r = s.docker(&["ps", "-f", "status=sleeping"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: invalid filter 'status=sleeping': invalid value for state (sleeping): must be one of created, running, paused, restarting, removing, exited, dead\n"
    );
    let r = s.docker(&["ps", "-a", "-f", "exited=x"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: strconv.Atoi: parsing \"x\": invalid syntax\n"
    );
    let r = s.docker(&["ps", "-f", "status"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.starts_with(
            "invalid argument \"status\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\n\nUsage:  docker ps [OPTIONS]\n\nRun 'docker ps --help' for more information"
        ),
        "{}",
        r.stderr
    );
    let r = s.docker(&["ps", "-f", "before=nope"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("No such container: nope"), "{}", r.stderr);
    let r = s.docker(&["ps", "--format", "{{.ID"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "failed to parse template: template: :1: unclosed action\n"
    );
    // Docker checks fields even when nothing is listed.
    let r = s.docker(&["ps", "--format", "{{.Nope}}"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "failed to execute template: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext\n"
    );
    let r = s.docker(&["ps", "--format", "{{nope .ID}}"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("function \"nope\" not defined"),
        "{}",
        r.stderr
    );
    // A Docker filter gorae does not implement is refused honestly, not ignored.
    let r = s.docker(&["ps", "-f", "network=bridge"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("'network'"), "{}", r.stderr);
}

#[test]
fn errors_speak_korean_in_the_korean_locale() {
    let s = Sandbox::new();
    let ko = [("LANG", "ko_KR.UTF-8")];
    let r = s.docker_env(&["ps", "-f", "foo=bar"], &ko);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "오류: 알 수 없는 필터입니다: 'foo'\n");
    let r = s.docker_env(&["images", "--format", "{{.ID"], &ko);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "템플릿 오류: template: :1: unclosed action\n");
    let r = s.docker_env(&["ps", "-f", "x"], &ko);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("이름=값 형식"), "{}", r.stderr);
}

#[test]
fn images_format_and_filters() {
    let s = three();
    // An untagged (dangling) image and a tagged one built later, with a label.
    s.ok(&["commit", "ok"]);
    s.ok(&["commit", "-c", "LABEL team=web", "done", "mine:v1"]);
    let out = s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(lines(&out), ["mine:v1", "<none>:<none>", "busybox:latest"]);
    let out = s.ok(&["images", "--format", "table {{.Repository}}\\t{{.Tag}}"]);
    assert_eq!(
        lines(&out)[..2],
        ["REPOSITORY   TAG", "mine         v1"],
        "{out}"
    );
    let out = s.ok(&["images", "-f", "reference=busybox", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(v["Repository"], "busybox");
    assert_eq!(v["Tag"], "latest");
    assert_eq!(v["Digest"], "<none>");
    assert_eq!(v["Containers"], "N/A");
    assert!(v["Size"].as_str().unwrap().ends_with("MB"), "{v}");
    let repos = |args: &[&str]| {
        let mut a = vec!["images"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--format", "{{.Repository}}"]);
        s.ok(&a).lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(repos(&["-f", "dangling=true"]), ["<none>"]);
    assert_eq!(repos(&["-f", "dangling=false"]), ["mine", "busybox"]);
    assert_eq!(repos(&["-f", "reference=bus*:lat*"]), ["busybox"]);
    assert_eq!(repos(&["-f", "reference=m*"]), ["mine"]);
    assert_eq!(
        repos(&["-f", "reference=*:v1", "-f", "reference=busybox"]),
        ["mine", "busybox"]
    );
    assert_eq!(repos(&["-f", "label=team=web"]), ["mine"]);
    assert_eq!(
        repos(&["-f", "since=busybox", "-f", "dangling=false"]),
        ["mine"]
    );
    assert_eq!(
        repos(&["-f", "before=mine:v1", "-f", "reference=busybox"]),
        ["busybox"]
    );
    assert_eq!(
        s.ok(&["images", "-q", "-f", "reference=mine"]).trim().len(),
        12
    );
}

#[test]
fn images_errors_are_worded_like_docker() {
    let s = pulled();
    let r = s.docker(&["images", "-f", "color=red"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: invalid filter 'color'\n"
    );
    let r = s.docker(&["images", "-f", "dangling=maybe"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error response from daemon: invalid filter 'dangling=[maybe]'\n"
    );
    let r = s.docker(&["images", "--format", "{{.Nope}}"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext\n"
    );
    let r = s.docker(&["images", "-f", "before=nope:1"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nope:1"), "{}", r.stderr);
}

#[test]
fn ps_command_quotes_arguments_with_spaces_as_dockers_daemon() {
    // Real Docker 28: `"sh -c 'exit 2'"`, and `"echo 'a b' c"`.
    let s = three();
    s.ok(&["run", "--name", "spaced", "busybox", "echo", "a b", "c"]);
    let out = s.ok(&[
        "ps",
        "-a",
        "--no-trunc",
        "--format",
        "{{.Names}} {{.Command}}",
    ]);
    assert!(out.contains("spaced \"echo 'a b' c\"\n"), "{out}");
    assert!(out.contains("done \"sh -c 'exit 2'\"\n"), "{out}");
    assert!(out.contains("ok \"true\"\n"), "{out}");
    let table = s.ok(&["ps", "-a"]);
    assert!(table.contains("\"sh -c 'exit 2'\""), "{table}");
}
