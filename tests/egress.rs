//! Egress (engine::net::egress) on its own, before the network holder uses it: a stand-in
//! holder makes an infra netns N with a bridge, a "container" netns behind a veth on it, starts
//! pasta for N and masquerades the bridge's subnet; a TCP connection from the container reaches
//! a server on the host's loopback (through the host's gateway address, pasta's map). As root
//! (no user namespace, as the holder runs for root) and as `learner` inside a user namespace.
//!
//! The stand-in holder is this test binary again (`stand_in_holder`, which does nothing unless
//! the outer test sets GORAE_EGRESS_INNER): a fresh process, so it may take a user namespace.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use gorae_engine::net::dns::HostSockets;
use gorae_engine::net::egress::{self, Egress, Missing};
use gorae_engine::runtime::sys::{self, LinuxSyscall, Syscall};

const GREETING: &str = "hello from the host";

/// The host's default gateway (what N's container traffic is sent to; pasta answers for it
/// with the host's loopback).
fn default_gateway() -> Option<Ipv4Addr> {
    let routes = std::fs::read_to_string("/proc/net/route").ok()?;
    routes.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&"00000000")).then(|| {
            let g = u32::from_str_radix(f[2], 16).ok()?;
            Some(Ipv4Addr::from(g.to_le_bytes()))
        })?
    })
}

fn run_stand_in(as_user: Option<(u32, u32)>) {
    match egress::availability() {
        Egress::None(Missing::Tool) => {
            return common::skip("pasta not installed (Debian package passt)");
        }
        Egress::None(Missing::Nft) => return common::skip("nft not installed (package nftables)"),
        _ => {}
    }
    let Some(gateway) = default_gateway() else {
        return common::skip("the host has no default route for pasta to copy");
    };
    // The host's service: one connection, one line.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let served = std::thread::spawn(move || {
        server.set_nonblocking(false).unwrap();
        let (mut s, peer) = server.accept().unwrap();
        s.write_all(format!("{GREETING}\n").as_bytes()).unwrap();
        peer
    });
    let dir = tempfile::Builder::new()
        .prefix("gorae-egress-")
        .tempdir()
        .unwrap();
    let mut cmd = match as_user {
        // A user namespace of one id, as `unshare -r` makes it: enough for N.
        Some(_) => {
            let mut c = Command::new("unshare");
            c.args(["--user", "--map-root-user", "--"])
                .arg(std::env::current_exe().unwrap());
            c
        }
        None => Command::new(std::env::current_exe().unwrap()),
    };
    cmd.args([
        "--exact",
        "stand_in_holder",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("GORAE_EGRESS_INNER", format!("{gateway}:{port}"))
    .env("GORAE_EGRESS_DIR", dir.path())
    .stdin(Stdio::null());
    if let Some((uid, gid)) = as_user {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        cmd.uid(uid).gid(gid).env("HOME", "/").current_dir("/");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if let Some(reason) = stdout.lines().find_map(|l| l.strip_prefix("SKIP: ")) {
        return common::skip(reason);
    }
    assert!(
        out.status.success(),
        "stand-in holder failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("container got: {GREETING}")),
        "{stdout}\n{stderr}"
    );
    // pasta made the connection on the host's side, from the host's loopback.
    let peer = served.join().unwrap();
    assert!(peer.ip().is_loopback(), "{peer}");
}

#[test]
fn a_container_behind_a_bridge_reaches_the_host_as_root() {
    if !common::is_root() {
        return common::skip("the root flavour must start as root");
    }
    run_stand_in(None);
}

#[test]
fn a_container_behind_a_bridge_reaches_the_host_as_learner() {
    if !common::is_root() {
        return common::skip("this test switches to the 'learner' user and so must start as root");
    }
    let Some(ids) = common::user_ids("learner") else {
        return common::skip("no user 'learner' (CI creates it)");
    };
    run_stand_in(Some(ids));
}

/// `ip ARGS` from this thread (so in its netns); panics with ip's words on failure.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The stand-in holder (run by the tests above; does nothing on its own).
#[test]
fn stand_in_holder() {
    let Ok(target) = std::env::var("GORAE_EGRESS_INNER") else {
        return;
    };
    let target: SocketAddr = target.parse().unwrap();
    let dir = std::path::PathBuf::from(std::env::var("GORAE_EGRESS_DIR").unwrap());
    let tool = egress::availability();
    if tool == Egress::None(Missing::Tun) {
        println!("SKIP: /dev/net/tun cannot be opened by this user (Debian's udev makes it 0666)");
        return;
    }
    // As the holder does: a thread left in the host's netns, then this thread into a new one.
    let host = HostSockets::start().unwrap();
    LinuxSyscall.unshare(libc::CLONE_NEWNET).unwrap();
    LinuxSyscall.loopback_up().unwrap();
    let n = std::fs::File::open("/proc/thread-self/ns/net").unwrap();
    ip(&["link", "add", "gtest0", "type", "bridge"]);
    ip(&["addr", "add", "172.30.0.1/16", "dev", "gtest0"]);
    ip(&["link", "set", "gtest0", "up"]);
    ip(&[
        "link", "add", "vhost0", "type", "veth", "peer", "name", "vctr0",
    ]);
    ip(&["link", "set", "vhost0", "master", "gtest0", "up"]);
    // The container: a process in a netns of its own, made from N's user namespace.
    let ctr = Container(
        Command::new("unshare")
            .args(["--net", "--", "sleep", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ctr_net = format!("/proc/{}/ns/net", ctr.0.id());
    let own_net = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    assert!(egress::wait_for(Duration::from_secs(5), || {
        std::fs::read_link(&ctr_net).is_ok_and(|l| l != own_net)
    }));
    ip(&["link", "set", "vctr0", "netns", &ctr.0.id().to_string()]);
    let in_ctr = |args: &[&str]| {
        let out = Command::new("nsenter")
            .arg(format!("--net={ctr_net}"))
            .arg("ip")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    in_ctr(&["addr", "add", "172.30.0.2/16", "dev", "vctr0"]);
    in_ctr(&["link", "set", "vctr0", "up"]);
    in_ctr(&["route", "add", "default", "via", "172.30.0.1"]);

    // Egress: pasta started from the host thread; our own user namespace passed (and dropped,
    // as it is the caller's own).
    let userns = std::fs::File::open("/proc/self/ns/user").unwrap();
    let pid_file = dir.join("pasta.pid");
    let link = host
        .run(move || egress::connect(&tool, n.as_fd(), Some(userns.as_fd()), &pid_file))
        .unwrap()
        .unwrap_or_else(|e| panic!("egress: {e}"));
    assert!(link.alive());
    let nat = egress::Nat {
        bridge: "gtest0".into(),
        subnet: (Ipv4Addr::new(172, 30, 0, 0), 16),
        internal: false,
    };
    egress::masquerade(&[nat], default_gateway()).unwrap_or_else(|e| panic!("{e}"));

    // From the container: connect to the host's gateway address.
    let got = std::thread::spawn(move || {
        sys::setns_path(std::path::Path::new(&ctr_net), libc::CLONE_NEWNET).unwrap();
        let mut s = TcpStream::connect_timeout(&target, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("connect {target} from the container: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut line = String::new();
        BufReader::new(&mut s).read_line(&mut line).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        line
    })
    .join()
    .unwrap();
    println!("container got: {}", got.trim_end());
    drop(link);
    drop(ctr);
}

/// The stand-in container, killed however the test ends.
struct Container(std::process::Child);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
