use super::*;

fn pred(src: &str) -> Result<Predicate, String> {
    let table: toml::Table = toml::from_str(&format!("p = {src}")).map_err(|e| e.to_string())?;
    match table.get("p") {
        Some(toml::Value::Table(t)) => Predicate::from_table(t),
        _ => Err("not a table".into()),
    }
}

#[test]
fn image_refs_default_to_latest_and_keep_explicit_tags() {
    let r = ImageRef::parse("busybox").unwrap();
    assert_eq!(r.full(), "busybox:latest");
    assert!(!r.explicit_tag);
    let r = ImageRef::parse("debian:12").unwrap();
    assert_eq!(r.full(), "debian:12");
    assert!(r.explicit_tag);
    let r = ImageRef::parse("localhost:5000/team/app").unwrap();
    assert_eq!(r.full(), "localhost:5000/team/app:latest");
    assert_eq!(ImageRef::parse("my_app-2.x:v1.0").unwrap().tag, "v1.0");
}

#[test]
fn bad_image_refs_are_rejected() {
    for bad in [
        "",
        "Busybox",
        "busybox:",
        "busy box",
        "a//b",
        "x:-tag",
        "-x",
        "a@sha256:00",
    ] {
        assert!(ImageRef::parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn untagged_reference_accepts_any_tag_of_the_repo() {
    let any = ImageRef::parse("debian").unwrap();
    let twelve = ImageRef::parse("debian:12").unwrap();
    assert!(any.accepts(&twelve));
    assert!(!twelve.accepts(&any));
    assert!(!any.accepts(&ImageRef::parse("ubuntu").unwrap()));
}

#[test]
fn parses_every_kind() {
    assert!(matches!(
        pred(r#"{ image = "busybox" }"#),
        Ok(Predicate::Image(_))
    ));
    assert!(matches!(
        pred(r#"{ no_image = "busybox" }"#),
        Ok(Predicate::NoImage(_))
    ));
    assert_eq!(
        pred(r#"{ image_with_file = "/hello.txt/", not_from = "busybox" }"#),
        Ok(Predicate::ImageWithFile {
            path: "/hello.txt".into(),
            not_from: Some(ImageRef::parse("busybox").unwrap())
        })
    );
    assert!(matches!(
        pred(r#"{ image_layers = "x", at_least = 2 }"#),
        Ok(Predicate::ImageLayers { at_least: 2, .. })
    ));
    let c = pred(
        r#"{ container = { image = "debian", state = "running", tty = true, count_at_least = 2 } }"#,
    );
    let Ok(Predicate::Container(m)) = c else {
        panic!("{c:?}")
    };
    assert_eq!(m.state, Some(ContainerState::Running));
    assert_eq!(m.tty, Some(true));
    assert_eq!(m.count_at_least, Some(2));
    assert!(matches!(
        pred(r#"{ no_container = {} }"#),
        Ok(Predicate::NoContainer(_))
    ));
    assert!(matches!(
        pred(r#"{ container_file = "/root/x", image = "debian" }"#),
        Ok(Predicate::ContainerFile { image: Some(_), .. })
    ));
    assert!(matches!(
        pred(r#"{ container_changed = "/etc/hostname" }"#),
        Ok(Predicate::ContainerChanged { .. })
    ));
    assert_eq!(
        pred(r#"{ port = 80, host_port = 8080 }"#),
        Ok(Predicate::Port {
            container_port: 80,
            host_port: Some(8080),
            random_host: false,
        })
    );
    assert_eq!(
        pred(r#"{ ran = ["ps", "-a"] }"#),
        Ok(Predicate::Ran(vec!["ps".into(), "-a".into()]))
    );
    assert_eq!(
        pred(r#"{ event = "die", type = "container" }"#),
        Ok(Predicate::Event(EventMatch {
            action: Action::Die,
            kind: Some(EventType::Container),
            name: None,
            image: None,
            signal: None,
            auto_removed: None,
            cache: None,
        }))
    );
    assert!(matches!(
        pred(r#"{ file_in_image = "/x", image = "myimg" }"#),
        Ok(Predicate::FileInImage { .. })
    ));
    assert!(matches!(
        pred(r#"{ log_contains = "Ready", name = "r" }"#),
        Ok(Predicate::LogContains { name: Some(_), .. })
    ));
    assert_eq!(
        pred(r#"{ volume = "redis-data", file = "/dump.rdb" }"#),
        Ok(Predicate::Volume {
            name: "redis-data".into(),
            file: Some("/dump.rdb".into()),
        })
    );
    assert_eq!(
        pred(r#"{ mount = "/data/", volume = "v", readonly = true }"#),
        Ok(Predicate::Mount(MountMatch {
            target: "/data".into(),
            name: None,
            kind: None,
            volume: Some("v".into()),
            readonly: Some(true),
            file: None,
        }))
    );
    assert_eq!(
        pred(r#"{ network = "app-net", member = "cache" }"#),
        Ok(Predicate::Network {
            name: "app-net".into(),
            member: Some("cache".into()),
        })
    );
    assert_eq!(
        pred(r#"{ no_volume = "redis-data" }"#),
        Ok(Predicate::NoVolume("redis-data".into()))
    );
    assert_eq!(
        pred(r#"{ pulled_back = "localhost:5000/app:1.0" }"#),
        Ok(Predicate::PulledBack(
            ImageRef::parse("localhost:5000/app:1.0").unwrap()
        ))
    );
    assert!(pred(r#"{ pulled_back = "Bad Name" }"#).is_err());
    assert!(pred(r#"{ no_volume = "" }"#).is_err());
    assert!(pred(r#"{ mount = "/x", type = "nfs" }"#).is_err());
    assert!(pred(r#"{ mount = "x" }"#).is_err());
    assert!(pred(r#"{ volume = "v", file = "dump.rdb" }"#).is_err());
    assert!(pred(r#"{ network = "n", members = "c" }"#).is_err());
    assert_eq!(
        pred(r#"{ http = 8080, contains = "hello" }"#),
        Ok(Predicate::Http {
            port: 8080,
            path: "/".into(),
            contains: Some("hello".into()),
        })
    );
    assert_eq!(
        pred(r#"{ http = 8081, path = "/docs/" }"#),
        Ok(Predicate::Http {
            port: 8081,
            path: "/docs/".into(),
            contains: None,
        })
    );
    assert!(pred(r#"{ http = 8080, path = "index.html" }"#).is_err());
    assert!(pred(r#"{ http = 0 }"#).is_err());
    assert!(pred(r#"{ http = 8080, contains = "" }"#).is_err());
}

#[test]
fn mistakes_are_named() {
    let e = pred(r#"{ imgae = "busybox" }"#).unwrap_err();
    assert!(e.contains("imgae") && e.contains("image_with_file"), "{e}");
    let e = pred(r#"{ container = { stat = "running" } }"#).unwrap_err();
    assert!(e.contains("stat") && e.contains("state"), "{e}");
    let e = pred(r#"{ container = { state = "up" } }"#).unwrap_err();
    assert!(e.contains("state"), "{e}");
    let e = pred(r#"{ image_layers = "x" }"#).unwrap_err();
    assert!(e.contains("at_least"), "{e}");
    let e = pred(r#"{ image = "busybox", no_image = "debian" }"#).unwrap_err();
    assert!(e.contains("image") && e.contains("no_image"), "{e}");
    let e = pred(r#"{ port = 80, hostport = 8080 }"#).unwrap_err();
    assert!(e.contains("hostport") && e.contains("host_port"), "{e}");
    assert!(pred(r#"{ container_file = "root/x" }"#).is_err());
    assert!(pred(r#"{ ran = [] }"#).is_err());
    assert!(pred(r#"{ port = 0 }"#).is_err());
    assert!(pred(r#"{ event = "die", type = "network" }"#).is_err());
    let e = pred(r#"{ event = "strat" }"#).unwrap_err();
    assert!(e.contains("`strat`") && e.contains("start"), "{e}");
    let e = pred(r#"{ event = "strat", type = "container" }"#).unwrap_err();
    assert!(e.contains("`strat`") && e.contains("exec_start"), "{e}");
    // A real action, but not of this type: containers are never pulled.
    let e = pred(r#"{ event = "pull", type = "container" }"#).unwrap_err();
    assert!(e.contains("`pull`") && e.contains("`container`"), "{e}");
    assert!(pred(r#"{ event = "commit", type = "container" }"#).is_ok());
    // Docker has no image `commit` event (the container's is the one).
    assert!(pred(r#"{ event = "commit", type = "image" }"#).is_err());
    assert!(pred(r#"{ image = "Busybox" }"#).is_err());
    assert!(pred(r#"{}"#).is_err());
}
