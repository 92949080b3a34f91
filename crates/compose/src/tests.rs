//! Loading whole projects from temp folders.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{ComposeError, Problem};
use crate::interp::InterpError;
use crate::project::{self, LoadOptions, Warning};

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("My_App.")
        .tempdir()
        .unwrap();
    for (n, t) in files {
        let p = d.path().join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    d
}

fn opts(dir: &Path) -> LoadOptions {
    LoadOptions {
        cwd: dir.to_path_buf(),
        ..Default::default()
    }
}

const FULL: &str = r#"
x-base: &base
  restart: unless-stopped
  environment:
    SHARED: "yes"
services:
  web:
    <<: *base
    build:
      context: ./web
      args:
        V: ${TAG:-1.0}
    ports: ["8080:80", "127.0.0.1:9000-9001:90-91"]
    command: sh -c "echo hi; sleep 1"
    depends_on:
      redis:
        condition: service_healthy
    volumes:
      - ./src:/app:ro
      - type: volume
        source: data
        target: /data
    networks:
      back:
        aliases: [www]
    environment:
      - A=1
      - FROM_SHELL
    working_dir: /app
    user: "1000"
  redis:
    image: "redis:${TAG-7}"
    volumes: [data:/data, /anon]
    networks: [back, default]
    healthcheck:
      test: redis-cli ping
      interval: 1m30s
      timeout: 500ms
      retries: 3
      start_interval: 2s
    depends_on: [init]
  init:
    image: busybox
    entrypoint: ["/bin/true"]
volumes:
  data:
networks:
  back: {}
"#;

#[test]
fn full_model() {
    let d = dir_with(&[("compose.yaml", FULL), ("web/Dockerfile", "FROM x\n")]);
    let mut o = opts(d.path());
    o.env.insert("FROM_SHELL".into(), "sh".into());
    let l = project::load(&o).unwrap();
    let p = &l.project;
    let base = d
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase();
    assert!(p.name.starts_with("my_app"), "{}", p.name);
    assert_eq!(p.name, project::normalize_name(&base));
    let web = &p.services["web"];
    let b = web.build.as_ref().unwrap();
    assert_eq!(b.context, format!("{}/web", d.path().display()));
    assert_eq!(b.args["V"].as_deref(), Some("1.0"));
    assert_eq!(web.restart.as_deref(), Some("unless-stopped"));
    // `<<` merges shallowly: the service's own `environment` replaces the anchor's.
    assert!(!web.environment.contains_key("SHARED"));
    assert_eq!(web.environment["A"].as_deref(), Some("1"));
    assert_eq!(web.environment["FROM_SHELL"].as_deref(), Some("sh"));
    assert_eq!(
        web.command.as_deref().unwrap(),
        ["sh", "-c", "echo hi; sleep 1"]
    );
    assert_eq!(web.ports.len(), 3);
    assert_eq!(web.ports[1].published.as_deref(), Some("9000"));
    assert_eq!(web.ports[2].target, 91);
    assert_eq!(web.ports[2].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(web.volumes[0].kind, "bind");
    assert_eq!(
        web.volumes[0].source.as_deref().unwrap(),
        format!("{}/src", d.path().display())
    );
    assert!(web.volumes[0].read_only);
    assert_eq!(web.volumes[1].source.as_deref(), Some("data"));
    assert_eq!(
        web.networks["back"].as_ref().unwrap().aliases,
        vec!["www".to_string()]
    );
    assert_eq!(web.depends_on["redis"].condition, "service_healthy");
    let redis = &p.services["redis"];
    assert_eq!(redis.image.as_deref(), Some("redis:7"));
    assert_eq!(redis.volumes[1].source, None);
    let h = redis.healthcheck.as_ref().unwrap();
    assert_eq!(h.test, ["CMD-SHELL", "redis-cli ping"]);
    assert_eq!(h.interval.unwrap().0, 90_000);
    assert_eq!(h.timeout.unwrap().0, 500);
    assert_eq!(h.start_interval.unwrap().0, 2_000);
    assert_eq!(
        p.services["init"].networks.keys().collect::<Vec<_>>(),
        ["default"]
    );
    assert_eq!(p.networks["default"].name, format!("{}_default", p.name));
    assert_eq!(p.networks["back"].name, format!("{}_back", p.name));
    assert_eq!(p.volumes["data"].name, format!("{}_data", p.name));
    assert_eq!(project::start_order(p).unwrap(), ["init", "redis", "web"]);
    let y = project::config_yaml(p);
    assert!(y.starts_with("name: my_app"), "{y}");
    assert!(y.contains("condition: service_healthy"), "{y}");
    assert!(y.contains("interval: 1m30s"), "{y}");
    assert!(
        y.find("services:").unwrap() < y.find("networks:").unwrap(),
        "{y}"
    );
}

#[test]
fn discovery_order_and_parents() {
    let d = dir_with(&[
        ("docker-compose.yml", "services: {a: {image: x}}\n"),
        ("compose.yaml", "services: {b: {image: x}}\n"),
        ("sub/deeper/.keep", ""),
    ]);
    let l = project::load(&opts(d.path())).unwrap();
    assert!(l.project.services.contains_key("b"));
    assert!(matches!(&l.warnings[0], Warning::Multiple(v) if v.len() == 2));
    let l = project::load(&opts(&d.path().join("sub/deeper"))).unwrap();
    assert!(l.project.services.contains_key("b"));
    let e = tempfile::tempdir().unwrap();
    assert_eq!(
        project::load(&opts(e.path())).unwrap_err(),
        ComposeError::NoConfig
    );
}

#[test]
fn project_name_precedence() {
    let d = dir_with(&[
        (
            "compose.yaml",
            "name: from-file\nservices: {a: {image: x}}\n",
        ),
        (".env", "COMPOSE_PROJECT_NAME=from-env-file\n"),
    ]);
    let mut o = opts(d.path());
    assert_eq!(project::load(&o).unwrap().project.name, "from-env-file");
    o.env
        .insert("COMPOSE_PROJECT_NAME".into(), "from-shell".into());
    assert_eq!(project::load(&o).unwrap().project.name, "from-shell");
    o.project_name = Some("flag".into());
    assert_eq!(project::load(&o).unwrap().project.name, "flag");
    o.project_name = Some("Bad Name".into());
    assert_eq!(
        project::load(&o).unwrap_err(),
        ComposeError::ProjectName("Bad Name".into())
    );
    std::fs::remove_file(d.path().join(".env")).unwrap();
    assert_eq!(
        project::load(&opts(d.path())).unwrap().project.name,
        "from-file"
    );
    assert_eq!(project::normalize_name("_My.App-1"), "myapp-1");
}

#[test]
fn dotenv_and_shell() {
    let d = dir_with(&[
        (
            "compose.yaml",
            "services:\n  a:\n    image: \"busybox:${TAG}\"\n    environment:\n      X: $${LITERAL}\n      Y: ${MISSING}\n",
        ),
        (".env", "TAG=from-dotenv\n"),
    ]);
    let l = project::load(&opts(d.path())).unwrap();
    let a = &l.project.services["a"];
    assert_eq!(a.image.as_deref(), Some("busybox:from-dotenv"));
    assert_eq!(a.environment["X"].as_deref(), Some("${LITERAL}"));
    assert_eq!(
        a.environment.get("Y"),
        Some(&Some(String::new())),
        "{:?}",
        a.environment
    );
    assert_eq!(l.warnings, vec![Warning::Unset("MISSING".into())]);
    let mut o = opts(d.path());
    o.env.insert("TAG".into(), "shell".into());
    let l = project::load(&o).unwrap();
    assert_eq!(
        l.project.services["a"].image.as_deref(),
        Some("busybox:shell")
    );
}

#[test]
fn env_file_under_environment() {
    let d = dir_with(&[
        (
            "compose.yaml",
            "services:\n  a:\n    image: x\n    env_file: [vars.env, {path: none.env, required: false}]\n    environment: {B: over}\n",
        ),
        ("vars.env", "A=1\nB=2\n"),
    ]);
    let l = project::load(&opts(d.path())).unwrap();
    let env = &l.project.services["a"].environment;
    assert_eq!(env["A"].as_deref(), Some("1"));
    assert_eq!(env["B"].as_deref(), Some("over"));
}

#[test]
fn override_files_merge() {
    let d = dir_with(&[
        (
            "compose.yaml",
            "services:\n  a:\n    image: x\n    command: [one]\n    ports: ['80']\n",
        ),
        (
            "over.yaml",
            "services:\n  a:\n    command: [two]\n    ports: ['81']\n  b:\n    image: y\n",
        ),
    ]);
    let mut o = opts(d.path());
    o.files = vec!["compose.yaml".into(), "over.yaml".into()];
    let p = project::load(&o).unwrap().project;
    assert_eq!(p.services["a"].command.as_deref().unwrap(), ["two"]);
    assert_eq!(p.services["a"].ports.len(), 2);
    assert!(p.services.contains_key("b"));
    assert_eq!(p.config_files.len(), 2);
}

fn err_of(text: &str) -> ComposeError {
    let d = dir_with(&[("compose.yaml", text)]);
    project::load(&opts(d.path())).unwrap_err()
}

fn invalid(text: &str) -> (u32, String, Problem) {
    match err_of(text) {
        ComposeError::Invalid {
            file,
            line,
            key,
            problem,
        } => {
            assert_eq!(file, "compose.yaml");
            (line, key, problem)
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn bad_files_name_line_and_key() {
    match err_of("services:\n  web:\n    image: [a\n") {
        ComposeError::Syntax { file, line, .. } => {
            assert_eq!(file, "compose.yaml");
            assert!(line >= 3);
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    ports: 80\n"),
        (4, "services.web.ports".into(), Problem::Type("array"))
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    colour: red\n"),
        (4, "services.web".into(), Problem::Unknown("colour".into()))
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    privileged: true\n"),
        (
            4,
            "services.web.privileged".into(),
            Problem::Unsupported("privileged".into())
        )
    );
    assert_eq!(
        invalid("services:\n  web:\n    command: x\n").2,
        Problem::NoImage("web".into())
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    ports: ['99999:80']\n"),
        (
            4,
            "services.web.ports.0".into(),
            Problem::Value("99999:80".into())
        )
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    volumes: ['data:/d']\n").2,
        Problem::UndefinedVolume("web".into(), "data".into())
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    networks: [nope]\n").2,
        Problem::UndefinedNetwork("web".into(), "nope".into())
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    depends_on: [db]\n").2,
        Problem::UndefinedService("web".into(), "db".into())
    );
    assert_eq!(
        invalid("services:\n  web:\n    image: x\n    restart: sometimes\n").2,
        Problem::Value("sometimes".into())
    );
    assert_eq!(
        invalid("services:\n  a:\n    image: x\n    depends_on: {b: {condition: started}}\n  b:\n    image: y\n").0,
        4
    );
    assert_eq!(
        invalid("services:\n  a:\n    image: x\n    healthcheck: {test: [\"true\"]}\n").2,
        Problem::Value("true".into())
    );
    assert!(matches!(
        err_of("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n"),
        ComposeError::Cycle(_)
    ));
}

#[test]
fn interpolation_errors_have_a_place() {
    match err_of("services:\n  a:\n    image: ${NOPE:?set NOPE first}\n") {
        ComposeError::Interpolation { line, key, err, .. } => {
            assert_eq!(line, 3);
            assert_eq!(key, "services.a.image");
            assert_eq!(
                err,
                InterpError::Required {
                    var: "NOPE".into(),
                    message: "set NOPE first".into()
                }
            );
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        err_of("services:\n  a:\n    image: x\n    environment: ['A=${B']\n"),
        ComposeError::Interpolation {
            line: 4,
            err: InterpError::Invalid,
            ..
        }
    ));
}

#[test]
fn config_hash_changes_with_the_service() {
    let d = dir_with(&[("compose.yaml", "services: {a: {image: x}}\n")]);
    let p1 = project::load(&opts(d.path())).unwrap().project;
    std::fs::write(d.path().join("compose.yaml"), "services: {a: {image: y}}\n").unwrap();
    let p2 = project::load(&opts(d.path())).unwrap().project;
    let (h1, h2) = (
        project::config_hash(&p1.services["a"]),
        project::config_hash(&p2.services["a"]),
    );
    assert_eq!(h1.len(), 64);
    assert_ne!(h1, h2);
    let _ = BTreeMap::<u8, u8>::new();
}

#[test]
fn durations_and_words() {
    use crate::model::{format_duration, parse_duration, split_words};
    assert_eq!(parse_duration("1m30s"), Some(90_000));
    assert_eq!(parse_duration("1.5s"), Some(1500));
    assert_eq!(parse_duration("10"), None);
    assert_eq!(format_duration(90_000), "1m30s");
    assert_eq!(format_duration(1500), "1.5s");
    assert_eq!(format_duration(500), "500ms");
    assert_eq!(format_duration(3_600_000), "1h0m0s");
    assert_eq!(
        split_words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
        ["a", "b c", "d \"e\"", "f g"]
    );
    assert_eq!(split_words("a 'b"), None);
}
