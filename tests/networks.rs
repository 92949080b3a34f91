//! Networks through the binary, as root and as `learner` (subuid ranges) and `plain` (one id):
//! the default bridge, user-defined networks and their isolation, `-p` into a network on IPv4
//! and IPv6, live connect/disconnect, names by the embedded DNS, egress and `--internal`, a
//! holder killed with -9, 40 containers on one network.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::{Run, Sandbox};

/// Who runs the commands: root on a sandbox store, or a user on a store of theirs.
struct Who {
    sandbox: Sandbox,
    user: Option<(String, u32, u32)>,
}

impl Who {
    fn root() -> Option<Who> {
        if !common::is_root() {
            common::skip("networks as root need root");
            return None;
        }
        Some(Who {
            sandbox: Sandbox::new(),
            user: None,
        })
    }

    fn user(name: &str) -> Option<Who> {
        if !common::is_root() {
            common::skip(format_args!("switching to '{name}' needs root"));
            return None;
        }
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
        let line = passwd
            .lines()
            .find(|l| l.split(':').next() == Some(name))
            .unwrap_or_else(|| panic!("no '{name}' user: CI creates it (see .ci/run)"));
        let f: Vec<&str> = line.split(':').collect();
        let (uid, gid) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        let sandbox = Sandbox::new();
        let root = sandbox.root();
        std::fs::create_dir_all(&root).unwrap();
        let c = |p: &std::path::Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: chmod/chown of dirs this test created.
        unsafe {
            libc::chmod(c(sandbox.dir.path()).as_ptr(), 0o755);
            libc::chown(c(&root).as_ptr(), uid, gid);
        }
        Some(Who {
            sandbox,
            user: Some((name.to_string(), uid, gid)),
        })
    }

    fn all() -> Vec<Who> {
        [Who::root(), Who::user("learner"), Who::user("plain")]
            .into_iter()
            .flatten()
            .collect()
    }

    fn name(&self) -> &str {
        self.user.as_ref().map_or("root", |u| u.0.as_str())
    }

    fn docker(&self, args: &[&str]) -> Run {
        let Some((name, uid, gid)) = &self.user else {
            return self.sandbox.docker(args);
        };
        let out = Command::new(common::bin())
            .arg("docker")
            .args(args)
            .uid(*uid)
            .gid(*gid)
            .env_clear()
            .env("HOME", "/tmp")
            .env("USER", name)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .env("GORAE_ROOT", self.sandbox.root())
            .env("GORAE_IMAGES", common::catalog())
            .current_dir("/")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.docker(args);
        assert_eq!(
            r.code,
            0,
            "as {}: docker {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            self.name(),
            r.code,
            r.stdout,
            r.stderr
        );
        r.stdout
    }

    fn ip(&self, name: &str, net: &str) -> String {
        let f = format!(
            "{{{{with index .NetworkSettings.Networks \"{net}\"}}}}{{{{.IPAddress}}}}{{{{end}}}}"
        );
        self.ok(&["inspect", "-f", &f, name]).trim().to_string()
    }

    /// Wait up to 30 s for `pid` to end (after the last container left).
    fn wait_gone(&self, pid: i32, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "as {}: {what} {pid} still runs 30 s after the last container left",
                self.name()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    fn holder_pid(&self) -> i32 {
        let text = std::fs::read_to_string(self.sandbox.root().join("net/holder.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["pid"].as_i64().unwrap() as i32
    }
}

impl Drop for Who {
    fn drop(&mut self) {
        let r = self.docker(&["ps", "-aq"]);
        for id in r.stdout.split_whitespace() {
            let _ = self.docker(&["rm", "-f", id]);
        }
    }
}

/// One HTTP GET to 127.0.0.1 or ::1 on `port`; the body.
fn http_get(host: &str, port: u16, path: &str) -> String {
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
}

#[test]
fn the_default_bridge_gives_every_container_an_address_and_they_reach_each_other() {
    for w in Who::all() {
        w.ok(&["run", "-d", "--name", "one", "busybox", "sleep", "60"]);
        w.ok(&["run", "-d", "--name", "two", "busybox", "sleep", "60"]);
        let ip1 = w.ip("one", "bridge");
        let ip2 = w.ip("two", "bridge");
        assert!(ip1.starts_with("172.17.0."), "as {}: {ip1}", w.name());
        assert_ne!(ip1, ip2);
        let top = w.ok(&["inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.HostConfig.NetworkMode}}", "one"]);
        let last = ip1.rsplit('.').next().unwrap().parse::<u8>().unwrap();
        assert_eq!(
            top.trim(),
            format!("{ip1} 172.17.0.1 02:42:ac:11:00:{last:02x} bridge")
        );
        let ping = w.ok(&["exec", "two", "ping", "-c", "1", "-W", "3", &ip1]);
        assert!(
            ping.contains("1 packets received"),
            "as {}: {ping}",
            w.name()
        );
        // The first start made its netns; the second joined the one the holder made ahead
        // (net::spare): both look the same from inside.
        for (name, ip) in [("one", &ip1), ("two", &ip2)] {
            let last = ip.rsplit('.').next().unwrap().parse::<u8>().unwrap();
            let links = w.ok(&["exec", name, "ip", "-o", "link"]);
            let names: Vec<&str> = links
                .lines()
                .filter_map(|l| l.split(": ").nth(1))
                .map(|n| n.split('@').next().unwrap())
                .collect();
            assert_eq!(names, ["lo", "eth0"], "as {}: {links}", w.name());
            assert!(
                links.contains(&format!("link/ether 02:42:ac:11:00:{last:02x}")),
                "as {}: {name}: {links}",
                w.name()
            );
            let route = w.ok(&["exec", name, "ip", "route"]);
            assert!(route.contains("default via 172.17.0.1 dev eth0"), "{route}");
            // An IPv4-only network's interface has IPv6 off, as since Docker 26.0.2
            // (CVE-2024-32473): no link-local address on eth0; lo keeps ::1.
            let v6 = w.ok(&["exec", name, "ip", "-o", "-6", "addr"]);
            assert!(
                v6.contains("lo") && v6.contains("::1/128") && !v6.contains("eth0"),
                "as {}: {name}: {v6}",
                w.name()
            );
            let off = w.ok(&[
                "exec",
                name,
                "cat",
                "/proc/sys/net/ipv6/conf/eth0/disable_ipv6",
            ]);
            assert_eq!(off.trim(), "1", "as {}: {name}", w.name());
            let sys = w.ok(&["exec", name, "ls", "/sys/class/net"]);
            assert_eq!(sys.split_whitespace().collect::<Vec<_>>(), ["eth0", "lo"]);
        }
        // /etc/hosts names its own address; no embedded DNS on the default bridge.
        let hosts = w.ok(&["exec", "one", "cat", "/etc/hosts"]);
        let hostname = w.ok(&["exec", "one", "hostname"]);
        assert!(
            hosts.ends_with(&format!("{ip1}\t{}\n", hostname.trim())),
            "{hosts}"
        );
        let resolv = w.ok(&["exec", "one", "cat", "/etc/resolv.conf"]);
        assert!(!resolv.contains("127.0.0.11"), "{resolv}");
        // By name: nothing on the default bridge, as on Docker.
        let r = w.docker(&["exec", "two", "ping", "-c", "1", "-W", "1", "one"]);
        assert_ne!(r.code, 0, "as {}: {}", w.name(), r.stdout);
        let ps = w.ok(&["ps", "--format", "{{.Names}} {{.Networks}}"]);
        assert!(ps.contains("one bridge"), "{ps}");
        // --network none: loopback only.
        let none = w.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "ip",
            "-o",
            "link",
        ]);
        assert!(!none.contains("eth0"), "{none}");
    }
}

#[test]
fn user_networks_are_isolated_and_publish_into_the_network_on_ipv4_and_ipv6() {
    for w in Who::all() {
        w.ok(&["network", "create", "front"]);
        w.ok(&["network", "create", "back"]);
        let subnet = w.ok(&[
            "network",
            "inspect",
            "-f",
            "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
            "front",
        ]);
        assert_eq!(subnet.trim(), "172.18.0.0/16");
        w.ok(&[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "front",
            "-p",
            "80",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ]);
        let web = w.ip("web", "front");
        assert!(web.starts_with("172.18.0."), "{web}");
        // The same network reaches it; another network does not.
        let same = w.ok(&[
            "run",
            "--rm",
            "--network",
            "front",
            "busybox",
            "wget",
            "-qO-",
            &format!("http://{web}/hostname"),
        ]);
        assert!(!same.trim().is_empty());
        let other = w.docker(&[
            "run",
            "--rm",
            "--network",
            "back",
            "busybox",
            "nc",
            "-w",
            "2",
            &web,
            "80",
        ]);
        assert_ne!(other.code, 0, "as {}: back reached front", w.name());
        // -p: both families, shown as Docker shows them.
        let ports = w.ok(&["port", "web", "80"]);
        let port: u16 = ports
            .lines()
            .next()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ports, format!("0.0.0.0:{port}\n[::]:{port}\n"));
        let ps = w.ok(&["ps", "--format", "{{.Ports}}"]);
        assert_eq!(
            ps.trim(),
            format!("0.0.0.0:{port}->80/tcp, [::]:{port}->80/tcp")
        );
        assert_eq!(http_get("127.0.0.1", port, "/hostname"), same);
        assert_eq!(http_get("::1", port, "/hostname"), same);
        let resolv = w.ok(&["exec", "web", "cat", "/etc/resolv.conf"]);
        assert!(resolv.starts_with("nameserver 127.0.0.11\n"), "{resolv}");
        assert!(resolv.ends_with("options ndots:0\n"), "{resolv}");
        // Members, and removal refused while in use.
        let members = w.ok(&[
            "network",
            "inspect",
            "-f",
            "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}",
            "front",
        ]);
        assert_eq!(members.trim(), format!("web {web}/16"));
        let r = w.docker(&["network", "rm", "front"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("has active endpoints"), "{}", r.stderr);
        w.ok(&["rm", "-f", "web"]);
        assert_eq!(w.ok(&["network", "rm", "front", "back"]), "front\nback\n");
    }
}

#[test]
fn connect_and_disconnect_change_a_running_containers_interfaces() {
    for w in Who::all() {
        w.ok(&["network", "create", "--subnet", "10.31.0.0/24", "side"]);
        w.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "60"]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "peer",
            "--network",
            "side",
            "--ip",
            "10.31.0.50",
            "--network-alias",
            "buddy",
            "busybox",
            "sleep",
            "60",
        ]);
        assert_eq!(w.ip("peer", "side"), "10.31.0.50");
        let aliases = w.ok(&[
            "inspect",
            "-f",
            "{{with index .NetworkSettings.Networks \"side\"}}{{json .Aliases}}{{end}}",
            "peer",
        ]);
        assert_eq!(aliases.trim(), "[\"buddy\"]");
        w.ok(&["network", "connect", "side", "box"]);
        let links = w.ok(&["exec", "box", "ip", "-o", "-4", "addr"]);
        assert!(
            links.contains("eth1") && links.contains("10.31.0."),
            "{links}"
        );
        let off = w.ok(&[
            "exec",
            "box",
            "cat",
            "/proc/sys/net/ipv6/conf/eth1/disable_ipv6",
        ]);
        assert_eq!(off.trim(), "1", "as {}", w.name());
        let ping = w.ok(&["exec", "box", "ping", "-c", "1", "-W", "3", "10.31.0.50"]);
        assert!(ping.contains("1 packets received"));
        w.ok(&["network", "disconnect", "side", "box"]);
        let links = w.ok(&["exec", "box", "ip", "-o", "-4", "addr"]);
        assert!(!links.contains("eth1"), "{links}");
        let r = w.docker(&["network", "disconnect", "side", "box"]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("is not connected to network side"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn the_network_commands_speak_dockers_words() {
    let Some(w) = Who::root() else { return };
    w.ok(&["network", "create", "mine", "--label", "k=v"]);
    let r = w.docker(&["network", "create", "mine"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Error response from daemon: network with name mine already exists\n"
        )
    );
    let r = w.docker(&["network", "inspect", "nope"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Error response from daemon: network nope not found\n")
    );
    let r = w.docker(&["run", "--network", "nope", "busybox", "true"]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("network nope not found"), "{}", r.stderr);
    let r = w.docker(&["run", "--ip", "172.17.0.9", "busybox", "true"]);
    assert!(
        r.stderr
            .contains("user specified IP address is supported on user defined networks only"),
        "{}",
        r.stderr
    );
    let r = w.docker(&["network", "rm", "bridge"]);
    assert!(
        r.stderr
            .contains("bridge is a pre-defined network and cannot be removed")
    );
    let ls = w.ok(&["network", "ls"]);
    let lines: Vec<&str> = ls.lines().collect();
    assert_eq!(lines[0], "NETWORK ID     NAME      DRIVER    SCOPE");
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(names, ["bridge", "host", "mine", "none"]);
    assert_eq!(w.ok(&["network", "ls", "-q"]).lines().count(), 4);
    assert_eq!(
        w.ok(&[
            "network",
            "ls",
            "-f",
            "type=custom",
            "--format",
            "{{.Name}} {{.Driver}}"
        ]),
        "mine bridge\n"
    );
    assert_eq!(
        w.ok(&["network", "ls", "-f", "label=k=v", "--format", "{{.Name}}"]),
        "mine\n"
    );
    let r = w.docker(&["network", "ls", "-f", "colour=red"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        w.ok(&["network", "prune", "-f"]),
        "Deleted Networks:\nmine\n\n"
    );
    let help = w.ok(&["network", "--help"]);
    assert!(
        help.contains("Manage networks") && help.contains("  disconnect"),
        "{help}"
    );
    // Korean for the learner.
    let r = w
        .sandbox
        .docker_env(&["network", "rm", "nope"], &[("GORAE_LANG", "ko")]);
    assert!(r.stderr.contains("네트워크가 없습니다"), "{}", r.stderr);
}

#[test]
fn a_holder_killed_with_sigkill_is_replaced_and_the_network_keeps_working() {
    for w in Who::all() {
        w.ok(&["network", "create", "mesh"]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "n1",
            "--network",
            "mesh",
            "busybox",
            "sleep",
            "60",
        ]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "n2",
            "--network",
            "mesh",
            "busybox",
            "sleep",
            "60",
        ]);
        let old = w.holder_pid();
        // SAFETY: kill of the holder this test's store started.
        unsafe { libc::kill(old, libc::SIGKILL) };
        std::thread::sleep(std::time::Duration::from_millis(200));
        // The next command's reconcile starts a holder that adopts the namespaces.
        w.ok(&["ps"]);
        let new = w.holder_pid();
        assert_ne!(old, new, "as {}", w.name());
        let ip1 = w.ip("n1", "mesh");
        let ping = w.ok(&["exec", "n2", "ping", "-c", "1", "-W", "3", &ip1]);
        assert!(
            ping.contains("1 packets received"),
            "as {}: {ping}",
            w.name()
        );
        // The new holder serves their names again.
        assert_eq!(w.lookup("n2", "n1"), Some(ip1.clone()), "as {}", w.name());
        w.ok(&[
            "run",
            "-d",
            "--name",
            "n3",
            "--network",
            "mesh",
            "busybox",
            "sleep",
            "60",
        ]);
        let ping = w.ok(&["exec", "n3", "ping", "-c", "1", "-W", "3", &ip1]);
        assert!(
            ping.contains("1 packets received"),
            "as {}: {ping}",
            w.name()
        );
        w.ok(&["network", "disconnect", "mesh", "n2"]);
        // The killed holder's pasta (where egress runs) is the new holder's now, and ends
        // with it: it holds N itself, so nothing else would end it.
        let pasta = std::fs::read_to_string(w.sandbox.root().join("net/pasta.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        w.ok(&["rm", "-f", "n1", "n2", "n3"]);
        w.wait_gone(new, "the holder");
        if let Some(pasta) = pasta {
            w.wait_gone(pasta, "the adopted holder's pasta");
        }
    }
}

#[test]
fn forty_containers_share_one_network() {
    for w in [Who::root(), Who::user("learner")].into_iter().flatten() {
        w.ok(&["network", "create", "crowd"]);
        let start = std::time::Instant::now();
        for i in 0..40 {
            w.ok(&[
                "run",
                "-d",
                "--name",
                &format!("m{i}"),
                "--network",
                "crowd",
                "busybox",
                "sleep",
                "120",
            ]);
        }
        let elapsed = start.elapsed();
        let first = w.ip("m0", "crowd");
        let last = w.ip("m39", "crowd");
        assert_eq!(last, "172.18.0.41");
        let ping = w.ok(&["exec", "m39", "ping", "-c", "1", "-W", "3", &first]);
        assert!(
            ping.contains("1 packets received"),
            "as {}: {ping}",
            w.name()
        );
        let members = w.ok(&["network", "inspect", "-f", "{{len .Containers}}", "crowd"]);
        assert_eq!(members.trim(), "40");
        eprintln!("as {}: 40 networked starts took {elapsed:?}", w.name());
    }
}

/// The host's default gateway (/proc/net/route): from a container with egress, pasta maps it to
/// the host itself.
fn host_gateway() -> Option<String> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&"00000000")).then_some(())?;
        let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
        Some(std::net::Ipv4Addr::from(gw.to_le_bytes()).to_string())
    })
}

/// A one-page HTTP server on the host's 127.0.0.1 (on its own thread, for the test's life).
fn host_server(body: &'static str) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

impl Who {
    /// Whether `exec <ctr> nslookup <name>` finds it, and the address it gives.
    fn lookup(&self, ctr: &str, name: &str) -> Option<String> {
        let r = self.docker(&["exec", ctr, "nslookup", name]);
        if r.code != 0 {
            return None;
        }
        // busybox: the server's "Address: 127.0.0.11:53" first, then the answer's.
        r.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("Address:"))
            .map(|a| a.trim().to_string())
            .find(|a| !a.starts_with("127.0.0.11"))
    }

    fn egress(&self) -> bool {
        self.ok(&["info"]).contains(" Egress: pasta")
    }
}

#[test]
fn containers_find_each_other_by_name_on_the_networks_they_share() {
    for w in Who::all() {
        let who = w.name().to_string();
        w.ok(&["network", "create", "front"]);
        w.ok(&["network", "create", "back"]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "front",
            "--network-alias",
            "www",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "client",
            "--network",
            "front",
            "busybox",
            "sleep",
            "60",
        ]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "db",
            "--network",
            "back",
            "busybox",
            "sleep",
            "60",
        ]);
        w.ok(&["run", "-d", "--name", "old", "busybox", "sleep", "60"]);
        let web = w.ip("web", "front");
        let short = w.ok(&["inspect", "-f", "{{.Id}}", "web"])[..12].to_string();
        // By name, by alias, by short id, by name.network: nslookup, ping and wget.
        for name in ["web", "www", short.as_str(), "web.front"] {
            assert_eq!(
                w.lookup("client", name).as_deref(),
                Some(web.as_str()),
                "as {who}: {name}"
            );
        }
        let ping = w.ok(&["exec", "client", "ping", "-c", "1", "-W", "3", "web"]);
        assert!(ping.contains("1 packets received"), "as {who}: {ping}");
        let page = w.ok(&["exec", "client", "wget", "-qO-", "http://web/hostname"]);
        assert_eq!(page.trim(), short, "as {who}");
        let resolv = w.ok(&["exec", "client", "cat", "/etc/resolv.conf"]);
        assert!(resolv.starts_with("nameserver 127.0.0.11\n"), "{resolv}");
        // Not across networks: by name nor by address. Not on the default bridge.
        assert_eq!(w.lookup("client", "db"), None, "as {who}");
        let db = w.ip("db", "back");
        let r = w.docker(&["exec", "client", "ping", "-c", "1", "-W", "1", &db]);
        assert_ne!(r.code, 0, "as {who}: front reached back by address");
        assert_eq!(w.lookup("client", "old"), None, "as {who}");
        assert_eq!(w.lookup("db", "web"), None, "as {who}");
        let r = w.docker(&["exec", "old", "ping", "-c", "1", "-W", "1", "web"]);
        assert_ne!(r.code, 0, "as {who}: the default bridge resolved a name");
        // connect / disconnect / rename change the answers at once.
        w.ok(&["network", "connect", "back", "client"]);
        assert_eq!(w.lookup("client", "db"), Some(db.clone()), "as {who}");
        assert_eq!(w.lookup("db", "client"), Some(w.ip("client", "back")));
        w.ok(&["network", "disconnect", "back", "client"]);
        assert_eq!(w.lookup("client", "db"), None, "as {who}");
        assert_eq!(w.lookup("client", "web"), Some(web.clone()), "as {who}");
        w.ok(&["rename", "web", "site"]);
        assert_eq!(w.lookup("client", "site"), Some(web.clone()), "as {who}");
        assert_eq!(w.lookup("client", "web"), None, "as {who}");
        let dns = w.ok(&[
            "inspect",
            "-f",
            "{{with index .NetworkSettings.Networks \"front\"}}{{json .DNSNames}}{{end}}",
            "site",
        ]);
        assert_eq!(dns.trim(), format!("[\"site\",\"www\",\"{short}\"]"));
        // A new container on the network is found by the ones already there.
        w.ok(&[
            "run",
            "-d",
            "--name",
            "late",
            "--network",
            "front",
            "busybox",
            "sleep",
            "60",
        ]);
        assert_eq!(
            w.lookup("client", "late"),
            Some(w.ip("late", "front")),
            "as {who}"
        );
    }
}

#[test]
fn egress_reaches_the_host_but_not_from_an_internal_network() {
    let Some(gw) = host_gateway() else {
        common::skip("no default route on this host");
        return;
    };
    let port = host_server("from the host").to_string();
    let url = format!("http://{gw}:{port}/");
    for w in Who::all() {
        let who = w.name().to_string();
        if !w.egress() {
            common::skip(format_args!("as {who}: no egress (pasta) here"));
            continue;
        }
        w.ok(&["network", "create", "out"]);
        w.ok(&["network", "create", "--internal", "inside"]);
        for net in ["bridge", "out"] {
            let page = w.ok(&[
                "run",
                "--rm",
                "--network",
                net,
                "busybox",
                "wget",
                "-qO-",
                &url,
            ]);
            assert_eq!(page, "from the host", "as {who} on {net}");
        }
        // An internal network: its members reach each other by name, nothing outside.
        w.ok(&[
            "run",
            "-d",
            "--name",
            "i1",
            "--network",
            "inside",
            "busybox",
            "sleep",
            "60",
        ]);
        let ping = w.ok(&[
            "run",
            "--rm",
            "--network",
            "inside",
            "busybox",
            "ping",
            "-c",
            "1",
            "-W",
            "3",
            "i1",
        ]);
        assert!(ping.contains("1 packets received"), "as {who}: {ping}");
        let r = w.docker(&[
            "run",
            "--rm",
            "--network",
            "inside",
            "busybox",
            "wget",
            "-T",
            "2",
            "-qO-",
            &url,
        ]);
        assert_ne!(
            r.code, 0,
            "as {who}: an internal network got out: {}",
            r.stdout
        );
        let inspect = w.ok(&["network", "inspect", "-f", "{{.Internal}}", "inside"]);
        assert_eq!(inspect.trim(), "true");
    }
}

/// The holder is there only while something uses it: once the last container is gone it
/// leaves (its record with it), and the next networked start brings up a new one that serves
/// the same networks.
#[test]
fn the_holder_leaves_when_nothing_uses_it_and_comes_back() {
    for w in Who::all() {
        w.ok(&["network", "create", "brief"]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "b1",
            "--network",
            "brief",
            "busybox",
            "sleep",
            "60",
        ]);
        let old = w.holder_pid();
        w.ok(&["rm", "-f", "b1"]);
        let info = w.sandbox.root().join("net/holder.json");
        w.wait_gone(old, "the holder");
        assert!(
            !info.exists(),
            "as {}: holder.json outlived the holder",
            w.name()
        );
        w.ok(&[
            "run",
            "-d",
            "--name",
            "b2",
            "--network",
            "brief",
            "busybox",
            "sleep",
            "60",
        ]);
        w.ok(&[
            "run",
            "-d",
            "--name",
            "b3",
            "--network",
            "brief",
            "busybox",
            "sleep",
            "60",
        ]);
        assert_ne!(w.holder_pid(), old, "as {}", w.name());
        assert_eq!(
            w.lookup("b3", "b2"),
            Some(w.ip("b2", "brief")),
            "as {}",
            w.name()
        );
        w.ok(&["rm", "-f", "b2", "b3"]);
        w.ok(&["network", "rm", "brief"]);
    }
}

/// A store removed outright (a test's sandbox, `rm -r`) stays removed: its idle holder sees
/// its lock gone and leaves, making nothing again (it used to make `net/holder.lock`, and so
/// the store's dir, anew, or undo a removal under way).
#[test]
fn a_holder_leaves_a_removed_store_removed() {
    for w in Who::all() {
        w.ok(&["run", "--rm", "busybox", "true"]);
        let holder = w.holder_pid();
        // The container's monitor finishes after the run returns.
        std::thread::sleep(std::time::Duration::from_secs(1));
        let root = w.sandbox.root();
        std::fs::remove_dir_all(&root).unwrap();
        w.wait_gone(holder, "the holder of a removed store");
        assert!(
            !root.exists(),
            "as {}: the removed store came back: {:?}",
            w.name(),
            std::fs::read_dir(&root)
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
    }
}
