//! Background services with published ports: nginx serves through the proxy, redis answers.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::Sandbox;

fn http_get(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn nginx_serves_the_korean_page_through_a_published_port() {
    let s = Sandbox::new();
    let port = common::free_port();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        &format!("{port}:80"),
        "nginx",
    ]);
    let mut page = None;
    for _ in 0..100 {
        page = http_get(port).filter(|p| p.contains("200 OK"));
        if page.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let page = page.expect("nginx answered through the published port");
    assert!(page.contains("고래"), "{page}");
    let ps = s.ok(&["ps"]);
    // Published on IPv4 and IPv6, as Docker shows it.
    assert!(
        ps.contains(&format!("0.0.0.0:{port}->80/tcp, [::]:{port}->80/tcp")),
        "{ps}"
    );
    assert_eq!(
        s.ok(&["port", "web"]).trim(),
        format!("80/tcp -> 0.0.0.0:{port}\n80/tcp -> [::]:{port}")
    );
    // nginx logs its access to stdout, as the official image does.
    let mut logs = String::new();
    for _ in 0..40 {
        logs = s.ok(&["logs", "web"]);
        if logs.contains("GET / ") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(logs.contains("GET / "), "{logs}");
    // The same port again: as Docker, the container is created, its start fails with the
    // network's words, and it stays Created until the port is free.
    let busy = s.docker(&[
        "run",
        "-d",
        "--name",
        "busy",
        "-p",
        &format!("{port}:80"),
        "nginx",
    ]);
    assert_eq!(busy.code, 125, "{}", busy.stderr);
    assert!(
        busy.stderr.contains(
            "failed to set up container networking: driver failed programming external \
             connectivity on endpoint busy ("
        ) && busy.stderr.contains(&format!(
            "): Bind for 0.0.0.0:{port} failed: port is already allocated"
        )),
        "{}",
        busy.stderr
    );
    assert_eq!(busy.stdout.trim().len(), 64, "{}", busy.stdout);
    let state = |name: &str| {
        s.ok(&[
            "ps",
            "-a",
            "--filter",
            &format!("name={name}"),
            "--format",
            "{{.State}}",
        ])
    };
    assert_eq!(state("busy").trim(), "created");
    let again = s.docker(&["start", "busy"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("port is already allocated")
            && again
                .stderr
                .ends_with("Error: failed to start containers: busy\n"),
        "{}",
        again.stderr
    );
    // Attached, Docker's start relays the refusal alone, and exits 1 as well.
    let attached = s.docker(&["start", "-a", "busy"]);
    assert_eq!(attached.code, 1, "{}", attached.stderr);
    assert!(
        attached.stderr.contains("port is already allocated")
            && !attached.stderr.contains("failed to start containers"),
        "{}",
        attached.stderr
    );
    s.ok(&["rm", "-f", "web"]);
    assert_eq!(s.ok(&["start", "busy"]).trim(), "busy");
    assert_eq!(state("busy").trim(), "running");
}

#[test]
fn redis_runs_in_the_background_and_answers() {
    let s = Sandbox::new();
    s.ok(&["run", "-d", "--name", "my-redis", "-P", "redis"]);
    let mut pong = String::new();
    for _ in 0..100 {
        let r = s.docker(&["exec", "my-redis", "redis-cli", "ping"]);
        pong = r.stdout;
        if pong.trim() == "PONG" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(pong.trim(), "PONG");
    let mapping = s.ok(&["port", "my-redis", "6379"]);
    let port: u16 = mapping.trim().rsplit(':').next().unwrap().parse().unwrap();
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 16];
    let n = conn.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"+PONG\r\n");
    let logs = s.ok(&["logs", "my-redis"]);
    assert!(logs.contains("Ready to accept connections"), "{logs}");
}

#[test]
fn debian_shell_shows_its_issue_file() {
    let s = Sandbox::new();
    let out = s.ok(&["run", "--rm", "debian", "cat", "/etc/issue"]);
    assert!(out.starts_with("Debian GNU/Linux 12"), "{out}");
    // Docker Hub's debian:12 has no procps, and neither has the bundled one: `ps` fails there
    // as it does here (lesson 04 and the troubleshooting page say so).
    let r = s.docker(&["run", "--rm", "debian", "ps", "-e"]);
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("exec: \"ps\": executable file not found in $PATH"),
        "{}",
        r.stderr
    );
}
