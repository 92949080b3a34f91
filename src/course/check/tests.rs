use std::collections::{HashMap, HashSet};

use super::*;
use crate::course::lesson::{Avoid, ContainerState};
use crate::engine::{Action, EventType};
use crate::engine::{ContainerInfo, ImageInfo, PortInfo};

#[derive(Default)]
struct Fake {
    snap: Snapshot,
    image_paths: HashSet<(String, String)>,
    container_paths: HashSet<(String, String)>,
    changes: HashMap<String, Vec<(char, String)>>,
    logs: HashMap<String, String>,
    volume_files: HashSet<(String, String)>,
    host_paths: HashSet<std::path::PathBuf>,
    answers: HashMap<(u16, String), HttpAnswer>,
}

impl World for Fake {
    fn snapshot(&self) -> Snapshot {
        self.snap.clone()
    }
    fn image_has_path(&self, image: &str, path: &str) -> bool {
        self.image_paths.contains(&(image.into(), path.into()))
    }
    fn container_has_path(&self, container: &str, path: &str) -> bool {
        self.container_paths
            .contains(&(container.into(), path.into()))
    }
    fn container_changes(&self, container: &str) -> Vec<(char, String)> {
        self.changes.get(container).cloned().unwrap_or_default()
    }
    fn container_logs(&self, container: &str) -> String {
        self.logs.get(container).cloned().unwrap_or_default()
    }
    fn volume_has_file(&self, volume: &str, path: &str) -> bool {
        self.volume_files.contains(&(volume.into(), path.into()))
    }
    fn host_has_path(&self, path: &std::path::Path) -> bool {
        self.host_paths.contains(path)
    }
    fn http_get(&self, port: u16, path: &str) -> Option<HttpAnswer> {
        self.answers.get(&(port, path.to_string())).cloned()
    }
}

fn image(id: &str, tags: &[&str], layers: usize, bundled: bool) -> ImageInfo {
    ImageInfo {
        id: id.into(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        layers: (0..layers).map(|i| format!("sha256:{i}")).collect(),
        layer_sizes: vec![0; layers],
        history: vec![],
        created: 0,
        size: 0,
        bundled,
        intermediate: false,
    }
}

fn container(id: &str, name: &str, image: &str, image_id: &str, state: &str) -> ContainerInfo {
    ContainerInfo {
        id: id.into(),
        name: name.into(),
        image: image.into(),
        image_id: image_id.into(),
        state: state.into(),
        exit_code: (state == "exited").then_some(0),
        command: vec!["sh".into()],
        tty: false,
        detached: false,
        auto_remove: false,
        interactive: false,
        ports: vec![],
        created: 0,
        mounts: vec![],
    }
}

fn world() -> Fake {
    let mut w = Fake::default();
    w.snap.images = vec![
        image("sha256:bb", &["busybox:latest"], 1, true),
        image("sha256:d12", &["debian:12", "debian:latest"], 1, true),
        image("sha256:mine", &["myimg:latest"], 3, false),
    ];
    let mut web = container("c1", "web", "nginx", "sha256:ng", "running");
    web.ports = vec![PortInfo {
        host_ip: "0.0.0.0".into(),
        host_port: 8080,
        container_port: 80,
        proto: "tcp".into(),
    }];
    web.detached = true;
    let mut shell = container("c2", "shell", "debian", "sha256:d12", "exited");
    shell.tty = true;
    shell.exit_code = Some(3);
    w.snap.containers = vec![
        web,
        shell,
        container("c3", "box", "busybox", "sha256:bb", "created"),
    ];
    w.image_paths
        .insert(("sha256:mine".into(), "/hello.txt".into()));
    w.image_paths.insert(("sha256:bb".into(), "/bin/sh".into()));
    w.image_paths
        .insert(("myimg:latest".into(), "/hello.txt".into()));
    w.container_paths
        .insert(("c2".into(), "/root/hello.txt".into()));
    w.changes.insert(
        "c2".into(),
        vec![('C', "/etc".into()), ('C', "/etc/hostname".into())],
    );
    w.logs
        .insert("c1".into(), "server Ready to accept connections\n".into());
    w
}

fn holds(src: &str, w: &Fake, events: &[Event]) -> bool {
    let table: toml::Table = toml::from_str(&format!("p = {src}")).unwrap();
    let Some(toml::Value::Table(t)) = table.get("p") else {
        panic!("not a table: {src}")
    };
    let p = Predicate::from_table(t).unwrap();
    predicate_holds(&p, w, &w.snapshot(), events)
}

fn ran(args: &[&str], exit: &str) -> Event {
    let list: Vec<&str> = args.to_vec();
    Event::command(Action::Run)
        .attr("args", serde_json::to_string(&list).unwrap())
        .attr("exit", exit)
}

#[test]
fn image_tags() {
    let w = world();
    assert!(holds(r#"{ image = "busybox" }"#, &w, &[]));
    assert!(holds(r#"{ image = "debian:12" }"#, &w, &[]));
    assert!(!holds(r#"{ image = "debian:11" }"#, &w, &[]));
    assert!(!holds(r#"{ image = "ubuntu" }"#, &w, &[]));
    assert!(holds(r#"{ no_image = "ubuntu" }"#, &w, &[]));
    assert!(!holds(r#"{ no_image = "busybox:latest" }"#, &w, &[]));
}

#[test]
fn image_with_file_skips_bundled_untagged_and_excluded_images() {
    let mut w = world();
    assert!(holds(r#"{ image_with_file = "/hello.txt" }"#, &w, &[]));
    assert!(!holds(
        r#"{ image_with_file = "/hello.txt", not_from = "myimg" }"#,
        &w,
        &[]
    ));
    // Bundled images do not count even when they hold the path.
    assert!(!holds(r#"{ image_with_file = "/bin/sh" }"#, &w, &[]));
    w.snap.images[2].tags.clear();
    assert!(!holds(r#"{ image_with_file = "/hello.txt" }"#, &w, &[]));
}

#[test]
fn image_layers() {
    let w = world();
    assert!(holds(
        r#"{ image_layers = "myimg", at_least = 3 }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ image_layers = "myimg", at_least = 4 }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ image_layers = "nothere", at_least = 1 }"#,
        &w,
        &[]
    ));
}

#[test]
fn container_fields() {
    let w = world();
    assert!(holds(r#"{ container = {} }"#, &w, &[]));
    assert!(holds(
        r#"{ container = { name = "web", state = "running", detached = true } }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ container = { name = "web", state = "exited" } }"#,
        &w,
        &[]
    ));
    assert!(holds(
        r#"{ container = { image = "debian", tty = true, exit_code = 3 } }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ container = { image = "debian", exit_code = 0 } }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ container = { image = "busybox", state = "running" } }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ container = { rm = true } }"#, &w, &[]));
    assert!(holds(r#"{ container = { count_at_least = 3 } }"#, &w, &[]));
    assert!(!holds(r#"{ container = { count_at_least = 4 } }"#, &w, &[]));
    assert!(holds(
        r#"{ no_container = { state = "running", image = "busybox" } }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ no_container = { name = "web" } }"#, &w, &[]));
}

#[test]
fn container_image_is_lenient_about_tags_strict_about_repos() {
    let w = world();
    // Run as "debian" (same id as debian:12): both names match it.
    assert!(holds(r#"{ container = { image = "debian:12" } }"#, &w, &[]));
    assert!(holds(
        r#"{ container = { image = "debian:latest" } }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ container = { image = "debian:11" } }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ container = { image = "ubuntu" } }"#, &w, &[]));
    // Typed as nginx with no image in the store: the typed name still counts.
    assert!(holds(r#"{ container = { image = "nginx" } }"#, &w, &[]));
    let mut w = world();
    w.snap.containers[1].image = "debian:12".into();
    w.snap.images[1].tags = vec!["debian:12".into()];
    assert!(holds(r#"{ container = { image = "debian" } }"#, &w, &[]));
}

#[test]
fn container_file_and_changes() {
    let w = world();
    assert!(holds(r#"{ container_file = "/root/hello.txt" }"#, &w, &[]));
    assert!(holds(
        r#"{ container_file = "/root/hello.txt", image = "debian" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ container_file = "/root/hello.txt", image = "busybox" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ container_file = "/root/other.txt" }"#, &w, &[]));
    assert!(holds(r#"{ container_changed = "/etc/hostname" }"#, &w, &[]));
    assert!(!holds(r#"{ container_changed = "/etc/hosts" }"#, &w, &[]));
}

#[test]
fn ports_need_a_running_container() {
    let mut w = world();
    assert!(holds(r#"{ port = 80 }"#, &w, &[]));
    assert!(holds(r#"{ port = 80, host_port = 8080 }"#, &w, &[]));
    assert!(!holds(r#"{ port = 80, host_port = 9090 }"#, &w, &[]));
    assert!(!holds(r#"{ port = 443 }"#, &w, &[]));
    w.snap.containers[0].state = "exited".into();
    assert!(!holds(r#"{ port = 80 }"#, &w, &[]));
}

#[test]
fn file_in_image_and_logs() {
    let w = world();
    assert!(holds(
        r#"{ file_in_image = "/hello.txt", image = "myimg" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ file_in_image = "/hello.txt", image = "busybox" }"#,
        &w,
        &[]
    ));
    assert!(holds(r#"{ log_contains = "Ready to accept" }"#, &w, &[]));
    assert!(holds(
        r#"{ log_contains = "Ready to accept", name = "web" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ log_contains = "Ready to accept", name = "shell" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ log_contains = "error" }"#, &w, &[]));
}

#[test]
fn events_since_the_step_began() {
    let w = world();
    let die = Event::new(EventType::Container, Action::Die).id("c2");
    assert!(holds(
        r#"{ event = "die" }"#,
        &w,
        std::slice::from_ref(&die)
    ));
    assert!(holds(
        r#"{ event = "die", type = "container" }"#,
        &w,
        std::slice::from_ref(&die)
    ));
    // The type is matched too (no emitted action is shared by two types, so this one is
    // made up).
    assert!(!holds(
        r#"{ event = "die", type = "container" }"#,
        &w,
        &[Event::on_image(Action::Die).id("c2")]
    ));
    assert!(!holds(r#"{ event = "die" }"#, &w, &[]));
}

#[test]
fn ran_matches_words_in_order_with_flag_forms() {
    let w = world();
    let ps = r#"{ ran = ["ps", "-a"] }"#;
    assert!(holds(ps, &w, &[ran(&["ps", "-a"], "0")]));
    assert!(holds(ps, &w, &[ran(&["ps", "-a", "-q"], "0")]));
    assert!(holds(ps, &w, &[ran(&["ps", "--all"], "0")]));
    assert!(holds(ps, &w, &[ran(&["ps", "-aq"], "0")]));
    assert!(holds(ps, &w, &[ran(&["container", "ls", "-a"], "0")]));
    assert!(!holds(ps, &w, &[ran(&["ps"], "0")]));
    assert!(
        !holds(ps, &w, &[ran(&["ps", "-a"], "1")]),
        "failed commands do not count"
    );
    assert!(!holds(ps, &w, &[ran(&["-a", "ps"], "0")]), "order matters");
    assert!(!holds(ps, &w, &[ran(&["images", "-a"], "0")]));
    assert!(!holds(
        ps,
        &w,
        &[Event::new(EventType::Container, Action::Start)]
    ));

    let it = r#"{ ran = ["run", "-i", "-t", "debian"] }"#;
    assert!(holds(
        it,
        &w,
        &[ran(&["run", "-it", "debian", "bash"], "0")]
    ));
    assert!(holds(
        it,
        &w,
        &[ran(&["run", "--interactive", "--tty", "debian"], "0")]
    ));
    assert!(!holds(it, &w, &[ran(&["run", "-i", "debian"], "0")]));
    let long = r#"{ ran = ["start", "--attach", "-i"] }"#;
    assert!(
        !holds(long, &w, &[ran(&["start", "-ai"], "0")]),
        "--attach has no short form here"
    );
    let start = r#"{ ran = ["start", "-a", "-i"] }"#;
    assert!(holds(start, &w, &[ran(&["start", "-ai", "box"], "0")]));
    let publish = r#"{ ran = ["run", "--publish"] }"#;
    assert!(holds(
        publish,
        &w,
        &[ran(&["run", "-p", "8080:80", "nginx"], "0")]
    ));
    assert!(holds(
        publish,
        &w,
        &[ran(&["run", "--publish=8080:80", "nginx"], "0")]
    ));
    assert!(!holds(
        r#"{ ran = ["run", "-P"] }"#,
        &w,
        &[ran(&["run", "-p", "80"], "0")]
    ));
    // A value glued to a flag is not a cluster of flags.
    assert!(!holds(
        r#"{ ran = ["run", "-a"] }"#,
        &w,
        &[ran(&["run", "-eA=bar"], "0")]
    ));
}

fn step(check: Vec<Predicate>, any: Vec<Vec<Predicate>>, avoid: Vec<Avoid>) -> Step {
    Step {
        id: "s".into(),
        title: "t".into(),
        text: String::new(),
        hints: vec![],
        solution: vec![],
        check,
        any,
        check_src: vec![],
        any_src: vec![],
        avoid,
        wrong: vec![],
        right: vec![],
        setup: vec![],
        line: 1,
    }
}

fn img(s: &str) -> Predicate {
    Predicate::Image(ImageRef::parse(s).unwrap())
}

#[test]
fn evaluate_check_any_avoid_and_reading_steps() {
    let w = world();
    assert_eq!(
        evaluate(&step(vec![img("busybox")], vec![], vec![]), &w, &[]),
        Verdict::Pass
    );
    assert_eq!(
        evaluate(
            &step(vec![img("busybox"), img("ubuntu")], vec![], vec![]),
            &w,
            &[]
        ),
        Verdict::Fail
    );
    let any = vec![vec![img("ubuntu")], vec![img("debian:12"), img("myimg")]];
    assert_eq!(evaluate(&step(vec![], any, vec![]), &w, &[]), Verdict::Pass);
    let none = vec![vec![img("ubuntu")], vec![img("debian:12"), img("alpine")]];
    assert_eq!(
        evaluate(&step(vec![img("busybox")], none, vec![]), &w, &[]),
        Verdict::Fail
    );

    let avoid = vec![
        Avoid {
            when: vec![img("alpine")],
            hint: "not this one".into(),
        },
        Avoid {
            when: vec![img("debian:12")],
            hint: "debian is not busybox".into(),
        },
    ];
    assert_eq!(
        evaluate(&step(vec![img("ubuntu")], vec![], avoid.clone()), &w, &[]),
        Verdict::Avoid("debian is not busybox".into())
    );
    // Once the check holds, the avoided state does not matter.
    assert_eq!(
        evaluate(&step(vec![img("busybox")], vec![], avoid), &w, &[]),
        Verdict::Pass
    );

    assert_eq!(
        evaluate(&step(vec![], vec![], vec![]), &w, &[]),
        Verdict::Fail
    );
    let state = Predicate::Container(ContainerMatch {
        state: Some(ContainerState::Running),
        ..Default::default()
    });
    assert_eq!(
        evaluate(&step(vec![state], vec![], vec![]), &w, &[]),
        Verdict::Pass
    );
}

#[test]
fn fixture_lesson_steps_against_worlds() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lessons/ko/01-hello.md");
    let lesson = crate::course::lesson::load_lesson(&path).unwrap();
    let step = |id: &str| lesson.steps.iter().find(|s| s.id == id).unwrap();
    let mut w = Fake::default();
    assert_eq!(evaluate(step("read"), &w, &[]), Verdict::Fail);
    assert_eq!(evaluate(step("pull"), &w, &[]), Verdict::Fail);
    w.snap
        .images
        .push(image("sha256:d", &["debian:latest"], 1, true));
    assert_eq!(
        evaluate(step("pull"), &w, &[]),
        Verdict::Avoid("debian이 아니라 busybox를 받아 보세요.".into())
    );
    w.snap
        .images
        .push(image("sha256:bb", &["busybox:latest"], 1, true));
    assert_eq!(evaluate(step("pull"), &w, &[]), Verdict::Pass);

    // `docker create busybox` (a `wrong` attempt) leaves a created container: no pass.
    w.snap
        .containers
        .push(container("c1", "a", "busybox", "sha256:bb", "created"));
    assert_eq!(evaluate(step("run"), &w, &[]), Verdict::Fail);
    w.snap
        .containers
        .push(container("c2", "b", "busybox", "sha256:bb", "exited"));
    assert_eq!(evaluate(step("run"), &w, &[]), Verdict::Pass);

    assert_eq!(
        evaluate(step("ps-all"), &w, &[ran(&["ps"], "0")]),
        Verdict::Fail
    );
    assert_eq!(
        evaluate(step("ps-all"), &w, &[ran(&["ps", "--all"], "0")]),
        Verdict::Pass
    );
}

fn storage_world() -> Fake {
    use crate::engine::{MountInfo, NetworkInfo, NetworkMember, VolumeInfo};
    let mut w = world();
    let mount = |kind: &str, source: &str, target: &str, readonly: bool| MountInfo {
        kind: kind.into(),
        source: source.into(),
        target: target.into(),
        readonly,
    };
    w.snap.containers[0].mounts = vec![mount(
        "bind",
        "/home/me/site",
        "/usr/share/nginx/html",
        true,
    )];
    let mut db = container("c4", "db", "redis", "sha256:rd", "running");
    db.mounts = vec![mount("volume", "redis-data", "/data", false)];
    let mut old = container("c5", "old", "redis", "sha256:rd", "exited");
    old.mounts = vec![mount("volume", "other", "/data", false)];
    w.snap.containers.extend([db, old]);
    let vol = |name: &str| VolumeInfo {
        name: name.into(),
        anonymous: false,
        mountpoint: format!("/v/{name}").into(),
        containers: vec![],
        created: 0,
    };
    w.snap.volumes = vec![vol("redis-data"), vol("other")];
    w.volume_files
        .insert(("redis-data".into(), "/dump.rdb".into()));
    w.host_paths.insert("/home/me/site/index.html".into());
    w.snap.networks = vec![NetworkInfo {
        id: "n1".into(),
        name: "app-net".into(),
        driver: "bridge".into(),
        subnet: "172.18.0.0/16".into(),
        gateway: "172.18.0.1".into(),
        members: vec![NetworkMember {
            container_id: "c4".into(),
            name: "db".into(),
            aliases: vec![],
            address: "172.18.0.2".into(),
        }],
    }];
    w
}

#[test]
fn volumes_and_their_files() {
    let w = storage_world();
    assert!(holds(r#"{ volume = "redis-data" }"#, &w, &[]));
    assert!(holds(
        r#"{ volume = "redis-data", file = "/dump.rdb" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ volume = "other", file = "/dump.rdb" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ volume = "nothere" }"#, &w, &[]));
    assert!(holds(r#"{ no_volume = "nothere" }"#, &w, &[]));
    assert!(!holds(r#"{ no_volume = "redis-data" }"#, &w, &[]));
}

#[test]
fn pulled_back_needs_the_same_image_deleted_then_pulled() {
    let mut w = world();
    let tag = "localhost:5000/app:1.0";
    w.snap.images.push(image("sha256:app", &[tag], 2, false));
    let p = r#"{ pulled_back = "localhost:5000/app:1.0" }"#;
    let delete = |id: &str| Event::on_image(Action::Delete).id(id);
    let pull = |id: &str, name: &str| Event::on_image(Action::Pull).id(id).name(name);
    assert!(holds(
        p,
        &w,
        &[delete("sha256:app"), pull("sha256:app", tag)]
    ));
    // Pulled without being gone first (only a tag was removed): nothing came back.
    assert!(!holds(p, &w, &[pull("sha256:app", tag)]));
    // Pulled before it was deleted.
    assert!(!holds(
        p,
        &w,
        &[pull("sha256:app", tag), delete("sha256:app")]
    ));
    // Another image was deleted; or the pull brought another name.
    assert!(!holds(
        p,
        &w,
        &[delete("sha256:other"), pull("sha256:app", tag)]
    ));
    assert!(!holds(
        p,
        &w,
        &[
            delete("sha256:app"),
            pull("sha256:app", "localhost:5000/app:2.0")
        ]
    ));
    // The tag names something else now (built again after the pull).
    w.snap.images.last_mut().unwrap().id = "sha256:rebuilt".into();
    assert!(!holds(
        p,
        &w,
        &[delete("sha256:app"), pull("sha256:app", tag)]
    ));
}

#[test]
fn mounts_of_running_containers() {
    let w = storage_world();
    assert!(holds(
        r#"{ mount = "/data", volume = "redis-data", name = "db" }"#,
        &w,
        &[]
    ));
    assert!(holds(
        r#"{ mount = "/data/", file = "/dump.rdb" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ mount = "/data", type = "bind" }"#, &w, &[]));
    // `old` mounts `other` there, but it is not running.
    assert!(!holds(r#"{ mount = "/data", volume = "other" }"#, &w, &[]));
    assert!(!holds(
        r#"{ mount = "/data", volume = "redis-data", name = "web" }"#,
        &w,
        &[]
    ));
    let site = r#"{ mount = "/usr/share/nginx/html", type = "bind", file = "/index.html", readonly = true, name = "web" }"#;
    assert!(holds(site, &w, &[]));
    assert!(!holds(
        r#"{ mount = "/usr/share/nginx/html", file = "/other.html" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ mount = "/usr/share/nginx/html", readonly = false }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ mount = "/usr/share/nginx/html", volume = "site" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ mount = "/html" }"#, &w, &[]));
}

#[test]
fn networks_and_their_members() {
    let w = storage_world();
    assert!(holds(r#"{ network = "app-net" }"#, &w, &[]));
    assert!(holds(r#"{ network = "app-net", member = "db" }"#, &w, &[]));
    assert!(!holds(
        r#"{ network = "app-net", member = "web" }"#,
        &w,
        &[]
    ));
    assert!(!holds(r#"{ network = "other-net" }"#, &w, &[]));
}

#[test]
fn http_checks_judge_what_the_server_answers_and_are_polled() {
    let mut w = storage_world();
    let answer = |status: u16, body: &str| HttpAnswer {
        status,
        body: body.into(),
    };
    w.answers
        .insert((8080, "/".into()), answer(200, "<h1>hello, gorae</h1>"));
    w.answers
        .insert((8080, "/secret".into()), answer(403, "forbidden"));
    assert!(holds(r#"{ http = 8080 }"#, &w, &[]));
    assert!(holds(
        r#"{ http = 8080, contains = "hello, gorae" }"#,
        &w,
        &[]
    ));
    assert!(!holds(
        r#"{ http = 8080, contains = "welcome to nginx" }"#,
        &w,
        &[]
    ));
    // An error page is an answer, but not the page asked for.
    assert!(!holds(r#"{ http = 8080, path = "/secret" }"#, &w, &[]));
    // Nothing answers on 8081.
    assert!(!holds(r#"{ http = 8081 }"#, &w, &[]));
    let step = crate::course::lesson::parse_lesson(
        std::path::Path::new("lessons/en/99-x.md"),
        "+++\nid = \"x\"\ntitle = \"x\"\n+++\n\n```step\nid = \"s\"\ntitle = \"s\"\n\
         check = [{ http = 8080, path = \"/a\" }]\n```\n",
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .steps
    .remove(0);
    assert_eq!(
        watches(&step, &w.snap),
        vec![Watch::Http(8080, "/a".into())]
    );
}
