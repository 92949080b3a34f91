//! Egress: the way out of the holder's infra network namespace N to the host and beyond, with
//! the host's own network configuration left as it is. pasta (package passt) or slirp4netns
//! gives N a tap interface whose traffic leaves through ordinary sockets of the host, and
//! nftables in N masquerades the bridges' subnets behind that interface. The host's default
//! gateway address, seen from N, is the host itself (pasta's and slirp's "map gateway").
//!
//! # API (for the network holder and `docker info`)
//!
//! ```ignore
//! use gorae_engine::net::egress::{self, Egress};
//! match egress::availability() {                 // cheap: looks for programs and /dev/net/tun
//!     Egress::None(missing) => { /* containers still talk to each other and -p works */ }
//!     tool => {
//!         // From a thread in the HOST's netns (dns::HostSockets::run), with fds of N and,
//!         // when the caller is not already in it, of N's user namespace:
//!         let link = egress::connect(&tool, n.as_fd(), None, &root.join("net/pasta.pid"))?;
//!         // From a thread IN N: the rules for every network (isolation between bridges,
//!         // masquerade out of non-internal ones), then forwarding on. Again whenever the
//!         // networks change. The holder does both through [`Outlet`].
//!         egress::masquerade(&[Nat { bridge: "gorae0".into(), subnet: (Ipv4Addr::new(172, 17, 0, 0), 16), internal: false }], gw)?;
//!         // link.stop() (or drop) ends pasta: it holds N open itself, so nothing else does.
//!     }
//! }
//! ```

use std::fmt;
use std::io::Read;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::runtime::sys;

/// What this host offers for egress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Egress {
    /// pasta, from the passt package (preferred: faster, and Debian's podman default).
    Pasta(PathBuf),
    /// slirp4netns.
    Slirp(PathBuf),
    /// Neither works here: containers reach each other (and -p reaches them), nothing else.
    None(Missing),
}

/// Why there is no egress, so `docker info` can say what to install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Neither pasta nor slirp4netns is installed.
    Tool,
    /// A tool is there but `nft` is not (container subnets cannot be masqueraded).
    Nft,
    /// /dev/net/tun is missing or this user may not open it (Debian's udev makes it 0666).
    Tun,
}

impl Missing {
    /// The Debian package that fixes it, when one does.
    pub fn package(self) -> Option<&'static str> {
        match self {
            Missing::Tool => Some("passt"),
            Missing::Nft => Some("nftables"),
            Missing::Tun => None,
        }
    }
}

impl Egress {
    /// The tool's name as `docker info` shows it.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Egress::Pasta(_) => Some("pasta"),
            Egress::Slirp(_) => Some("slirp4netns"),
            Egress::None(_) => None,
        }
    }
}

/// A failed egress step, with what the tool said.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("no egress on this host ({0:?})")]
    Unavailable(Missing),
    #[error("{program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
}

/// A program on PATH or in the usual system directories (nft lives in /usr/sbin, which a
/// user's PATH often lacks).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .filter(|d| !d.is_empty())
        .chain([
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ])
        .map(|d| Path::new(d).join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether this process may open /dev/net/tun (the tools open it inside N, as this user).
fn tun_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .is_ok()
}

/// What egress this host can give, best first.
pub fn availability() -> Egress {
    let tool = match (find_program("pasta"), find_program("slirp4netns")) {
        (Some(p), _) => Egress::Pasta(p),
        (None, Some(s)) => Egress::Slirp(s),
        (None, None) => return Egress::None(Missing::Tool),
    };
    if find_program("nft").is_none() {
        return Egress::None(Missing::Nft);
    }
    if !tun_usable() {
        return Egress::None(Missing::Tun);
    }
    tool
}

/// A running pasta or slirp4netns serving N.
#[derive(Debug)]
pub struct Link {
    pid: i32,
    program: &'static str,
}

impl Link {
    pub fn pid(&self) -> i32 {
        self.pid
    }
    /// Whether the tool still runs (and is the tool: a pid reused by another program is not).
    pub fn alive(&self) -> bool {
        std::fs::read(format!("/proc/{}/cmdline", self.pid)).is_ok_and(|c| {
            c.split(|b| *b == 0)
                .next()
                .is_some_and(|a| a.ends_with(self.program.as_bytes()))
        })
    }
    pub fn stop(self) {}
}

impl Drop for Link {
    fn drop(&mut self) {
        // Checked first: a pid that ended and was reused by another program is left alone.
        if self.alive() {
            sys::kill(self.pid, libc::SIGTERM);
        }
    }
}

/// The /proc/self/fd path of `fd` as the child sees it (it inherits the same number).
fn fd_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// Whether `userns` is the user namespace this process is in (then it must not be joined
/// again: setns to one's own user namespace fails).
fn is_own_userns(userns: BorrowedFd<'_>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(own), Ok(other)) = (
        std::fs::metadata("/proc/self/ns/user"),
        std::fs::metadata(fd_path(userns)),
    ) else {
        return false;
    };
    own.ino() == other.ino() && own.dev() == other.dev()
}

/// Connect N (`netns`, owned by `userns` when that is not ours) to the host. Call it from a
/// thread in the host's network namespace: the tool's sockets are made where it starts.
/// pasta's pid goes to `pid_file`. Returns once N has its tap interface, address and route.
pub fn connect(
    egress: &Egress,
    netns: BorrowedFd<'_>,
    userns: Option<BorrowedFd<'_>>,
    pid_file: &Path,
) -> Result<Link, EgressError> {
    let userns = userns.filter(|u| !is_own_userns(*u));
    match egress {
        Egress::Pasta(path) => pasta(path, netns, userns, pid_file),
        Egress::Slirp(path) => slirp(path, netns, userns),
        Egress::None(m) => Err(EgressError::Unavailable(*m)),
    }
}

/// pasta's arguments (pure, for the test of what is run).
fn pasta_args(netns: &str, userns: Option<&str>, root: bool, pid_file: &Path) -> Vec<String> {
    let mut a: Vec<String> = ["--config-net", "--quiet"].map(String::from).to_vec();
    // No port forwarding between host and N: `-p` is the monitor's proxy, not pasta's.
    for opt in ["-t", "-u", "-T", "-U"] {
        a.push(opt.into());
        a.push("none".into());
    }
    a.push("--netns".into());
    a.push(netns.into());
    if let Some(u) = userns {
        a.push("--userns".into());
        a.push(u.into());
    }
    if root {
        // As (namespace) root pasta would switch to "nobody", who may not enter N.
        a.push("--runas".into());
        a.push("0:0".into());
    }
    a.push("--pid".into());
    a.push(pid_file.display().to_string());
    a
}

fn pasta(
    path: &Path,
    netns: BorrowedFd<'_>,
    userns: Option<BorrowedFd<'_>>,
    pid_file: &Path,
) -> Result<Link, EgressError> {
    let program = path.display().to_string();
    let _ = std::fs::remove_file(pid_file);
    let args = pasta_args(
        &fd_path(netns),
        userns.map(fd_path).as_deref(),
        sys::geteuid() == 0,
        pid_file,
    );
    let mut cmd = Command::new(path);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    sys::on_spawn_keep_fds(
        &mut cmd,
        [netns.as_raw_fd(), userns.map_or(-1, |u| u.as_raw_fd())],
    );
    // pasta sets N up, forks into the background and exits 0: its exit is the ready signal.
    let out = cmd.output().map_err(|source| EgressError::Spawn {
        program: program.clone(),
        source,
    })?;
    if !out.status.success() {
        return Err(failed(&program, &out.status, &out.stderr));
    }
    let pid = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| EgressError::Failed {
            program: program.clone(),
            status: "exit status: 0".into(),
            stderr: format!("no pid in {}", pid_file.display()),
        })?;
    Ok(Link {
        pid,
        program: "pasta",
    })
}

fn failed(program: &str, status: &impl fmt::Display, stderr: &[u8]) -> EgressError {
    let text = String::from_utf8_lossy(stderr);
    // Debian's pasta also tells stderr each time syslog is unreachable: not the reason.
    let said: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("Failed to send") && !l.trim().is_empty())
        .collect();
    EgressError::Failed {
        program: program.into(),
        status: status.to_string(),
        stderr: said.join("; "),
    }
}

/// slirp4netns's arguments (pure).
fn slirp_args(netns: &str, userns: Option<&str>, ready_fd: i32) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--configure".into(),
        "--mtu=65520".into(),
        format!("--ready-fd={ready_fd}"),
        "--netns-type=path".into(),
    ];
    if let Some(u) = userns {
        a.push(format!("--userns-path={u}"));
    }
    a.push(netns.into());
    a.push("tap0".into());
    a
}

fn slirp(
    path: &Path,
    netns: BorrowedFd<'_>,
    userns: Option<BorrowedFd<'_>>,
) -> Result<Link, EgressError> {
    let program = path.display().to_string();
    let (ready_r, ready_w) = sys::pipe_owned().map_err(|e| EgressError::Spawn {
        program: program.clone(),
        source: std::io::Error::from_raw_os_error(e.errno as i32),
    })?;
    let args = slirp_args(
        &fd_path(netns),
        userns.map(fd_path).as_deref(),
        ready_w.as_raw_fd(),
    );
    let mut cmd = Command::new(path);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    sys::on_spawn_keep_fds(&mut cmd, [netns.as_raw_fd(), ready_w.as_raw_fd()]);
    if let Some(u) = userns {
        sys::on_spawn_keep_fds(&mut cmd, [u.as_raw_fd(), -1]);
    }
    // slirp4netns stays in the foreground: it is our child until N goes (or we stop it).
    let mut child = cmd.spawn().map_err(|source| EgressError::Spawn {
        program: program.clone(),
        source,
    })?;
    drop(ready_w);
    let mut ready = std::fs::File::from(ready_r);
    let mut byte = [0u8; 1];
    // It writes "1" once the tap is configured; EOF means it died first.
    let ok = matches!(ready.read(&mut byte), Ok(1));
    if !ok {
        let _ = child.kill();
        let status = child
            .wait()
            .map(|s| s.to_string())
            .unwrap_or_else(|e| e.to_string());
        return Err(EgressError::Failed {
            program,
            status,
            stderr: "exited before the namespace was ready".into(),
        });
    }
    let pid = child.id() as i32;
    // Reaped by whoever waits for the holder's children; the Link only signals it.
    std::mem::forget(child);
    Ok(Link {
        pid,
        program: "slirp4netns",
    })
}

/// One network as N's rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nat {
    /// Its Linux bridge in N (`gorae0`, `br-…`).
    pub bridge: String,
    pub subnet: (Ipv4Addr, u8),
    /// `network create --internal`: nothing in or out but its own bridge.
    pub internal: bool,
}

/// The nftables ruleset for N, replacing gorae's table as a whole (one transaction):
/// Docker's isolation (no forwarding from one bridge to another; an internal network forwards
/// nothing in or out), its `-s <subnet> ! -o <bridge> -j MASQUERADE` for the others, and no
/// way to the host's privileged ports (below 1024 but DNS) through its gateway address, which
/// pasta maps to the host's loopback.
pub fn ruleset(nets: &[Nat], host_gateway: Option<Ipv4Addr>) -> String {
    let mut s = String::from(
        "table ip gorae\ndelete table ip gorae\ntable ip gorae {\n\
         \tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n",
    );
    if let Some(gw) = host_gateway {
        s.push_str(&format!(
            "\t\tip daddr {gw} meta l4proto {{ tcp, udp }} th dport {{ 0-52, 54-1023 }} drop\n"
        ));
    }
    for n in nets {
        let b = &n.bridge;
        if n.internal {
            s.push_str(&format!("\t\tiifname \"{b}\" oifname != \"{b}\" drop\n"));
            s.push_str(&format!("\t\toifname \"{b}\" iifname != \"{b}\" drop\n"));
            continue;
        }
        let others: Vec<String> = nets
            .iter()
            .filter(|o| o.bridge != *b)
            .map(|o| format!("\"{}\"", o.bridge))
            .collect();
        if !others.is_empty() {
            s.push_str(&format!(
                "\t\tiifname \"{b}\" oifname {{ {} }} drop\n",
                others.join(", ")
            ));
        }
    }
    s.push_str(
        "\t}\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n",
    );
    for n in nets.iter().filter(|n| !n.internal) {
        let net = format!("{}/{}", n.subnet.0, n.subnet.1);
        s.push_str(&format!(
            "\t\tip saddr {net} ip daddr != {net} masquerade\n"
        ));
    }
    s.push_str("\t}\n}\n");
    s
}

/// In the calling thread's network namespace (N): the rules for `nets` (replacing any earlier
/// ones), then IPv4 forwarding on. Rules first: forwarding is never on without isolation.
pub fn masquerade(nets: &[Nat], host_gateway: Option<Ipv4Addr>) -> Result<(), EgressError> {
    let nft = find_program("nft").ok_or(EgressError::Unavailable(Missing::Nft))?;
    let program = nft.display().to_string();
    let mut child = Command::new(&nft)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| EgressError::Spawn {
            program: program.clone(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(ruleset(nets, host_gateway).as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|source| EgressError::Spawn {
            program: program.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(failed(&program, &out.status, &out.stderr));
    }
    // /proc/sys/net answers for the netns of the thread that opens it.
    let fwd = "/proc/sys/net/ipv4/ip_forward";
    std::fs::write(fwd, "1").map_err(|source| EgressError::Spawn {
        program: fwd.into(),
        source,
    })?;
    Ok(())
}

/// The default gateway of the calling thread's network namespace (/proc/thread-self/net/route).
pub fn default_gateway() -> Option<Ipv4Addr> {
    let text = std::fs::read_to_string("/proc/thread-self/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.get(1) != Some(&"00000000") {
            return None;
        }
        let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
        // Little-endian hex, as the kernel prints it.
        Some(Ipv4Addr::from(gw.to_le_bytes()))
    })
}

/// The holder's egress: pasta (or slirp4netns) started from the host thread, and N's rules
/// kept in step with the store's networks. Without a tool nothing is started and forwarding
/// stays off (networks are isolated by that alone).
pub struct Outlet {
    host: std::sync::Arc<super::dns::HostSockets>,
    /// pasta serving N: started here, or an earlier holder's when we adopted N (a holder
    /// killed with -9 left it running); ended with this holder either way.
    link: Option<Link>,
    gateway: Option<Ipv4Addr>,
    applied: Option<Vec<Nat>>,
}

impl Outlet {
    pub fn new(host: std::sync::Arc<super::dns::HostSockets>) -> Outlet {
        Outlet {
            host,
            link: None,
            gateway: None,
            applied: None,
        }
    }

    /// Whether N has a way out.
    pub fn connected(&self) -> bool {
        self.link.as_ref().is_some_and(Link::alive)
    }

    /// Connect N (`infra`, the calling thread's netns) to the host. An adopted N keeps the
    /// pasta that already serves it.
    pub fn start(&mut self, root: &Path, infra: &std::fs::File, adopted: bool) {
        let tool = availability();
        if tool.name().is_none() {
            return;
        }
        let pid_file = root.join("net/pasta.pid");
        if adopted {
            let old = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok());
            if let Some(pid) = old {
                let old = Link {
                    pid,
                    program: "pasta",
                };
                if old.alive() {
                    self.link = Some(old);
                    self.gateway = default_gateway();
                    return;
                }
                // Not pasta (ended, its pid reused): dropping the Link leaves it alone.
            }
        }
        let Ok(n) = infra.try_clone() else {
            return;
        };
        let started = self.host.run(move || {
            use std::os::fd::AsFd;
            connect(&tool, n.as_fd(), None, &pid_file)
        });
        if let Ok(Ok(link)) = started {
            self.link = Some(link);
            self.gateway = default_gateway();
        }
    }

    /// Re-apply N's rules when the store's networks changed (from the thread in N).
    pub fn update(&mut self, store: &crate::Store) {
        if !self.connected() {
            return;
        }
        let Ok(nets) = store.read_networks() else {
            return;
        };
        let mut want: Vec<Nat> = nets
            .iter()
            .filter_map(|n| {
                let (subnet, _) = n.subnet()?;
                Some(Nat {
                    bridge: n.bridge_name(),
                    subnet: (subnet.addr, subnet.prefix),
                    internal: n.internal,
                })
            })
            .collect();
        want.sort_by(|a, b| a.bridge.cmp(&b.bridge));
        if self.applied.as_ref() == Some(&want) {
            return;
        }
        if masquerade(&want, self.gateway).is_ok() {
            self.applied = Some(want);
        }
    }
}

/// Wait up to `limit` for `check` to hold (tests and callers that need N's route in place).
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasta_is_told_where_and_as_whom() {
        let a = pasta_args("/proc/self/fd/7", None, true, Path::new("/r/net/pasta.pid"));
        let s = a.join(" ");
        assert_eq!(
            s,
            "--config-net --quiet -t none -u none -T none -U none --netns /proc/self/fd/7 \
             --runas 0:0 --pid /r/net/pasta.pid"
        );
        let a = pasta_args(
            "/proc/self/fd/7",
            Some("/proc/self/fd/8"),
            false,
            Path::new("/p"),
        );
        assert!(
            a.join(" ")
                .contains("--netns /proc/self/fd/7 --userns /proc/self/fd/8 --pid /p")
        );
    }

    #[test]
    fn slirp_gets_a_ready_fd_and_paths() {
        assert_eq!(
            slirp_args("/proc/self/fd/7", Some("/proc/self/fd/8"), 9).join(" "),
            "--configure --mtu=65520 --ready-fd=9 --netns-type=path \
             --userns-path=/proc/self/fd/8 /proc/self/fd/7 tap0"
        );
    }

    #[test]
    fn ruleset_isolates_bridges_masquerades_and_keeps_internal_networks_in() {
        let nat = |b: &str, third: u8, internal: bool| Nat {
            bridge: b.into(),
            subnet: (Ipv4Addr::new(172, third, 0, 0), 16),
            internal,
        };
        let r = ruleset(
            &[
                nat("gorae0", 17, false),
                nat("br-a", 18, false),
                nat("br-i", 19, true),
            ],
            Some(Ipv4Addr::new(192, 0, 2, 1)),
        );
        assert!(r.starts_with("table ip gorae\ndelete table ip gorae\n"));
        assert!(r.contains("type filter hook forward priority filter; policy accept;"));
        assert!(r.contains(
            "ip daddr 192.0.2.1 meta l4proto { tcp, udp } th dport { 0-52, 54-1023 } drop\n"
        ));
        assert!(r.contains("iifname \"gorae0\" oifname { \"br-a\", \"br-i\" } drop\n"));
        assert!(r.contains("iifname \"br-a\" oifname { \"gorae0\", \"br-i\" } drop\n"));
        assert!(r.contains("iifname \"br-i\" oifname != \"br-i\" drop\n"));
        assert!(r.contains("oifname \"br-i\" iifname != \"br-i\" drop\n"));
        assert!(r.contains("ip saddr 172.17.0.0/16 ip daddr != 172.17.0.0/16 masquerade\n"));
        assert!(r.contains("ip saddr 172.18.0.0/16 ip daddr != 172.18.0.0/16 masquerade\n"));
        assert!(!r.contains("172.19.0.0/16"));
        assert!(r.contains("type nat hook postrouting priority srcnat; policy accept;"));
    }

    #[test]
    fn missing_pieces_name_their_package() {
        assert_eq!(Missing::Tool.package(), Some("passt"));
        assert_eq!(Missing::Nft.package(), Some("nftables"));
        assert_eq!(Missing::Tun.package(), None);
        assert_eq!(Egress::Pasta("/usr/bin/pasta".into()).name(), Some("pasta"));
        assert_eq!(Egress::None(Missing::Tool).name(), None);
    }
}
