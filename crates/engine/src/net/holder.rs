//! The holder: one process per store (`gorae __net-holder`) that owns the infra network
//! namespace N (and, rootless, the user namespace U that owns N and every networked
//! container's netns). It makes bridges and veth pairs on request over its control socket (an
//! abstract unix socket bound in the host's namespace before it left it) and exits when no
//! container has used a network for a few seconds.
//!
//! Killed (-9), it leaves N alive: every monitor of a networked container holds an fd of N
//! (sent with each reply), and rootless monitors live in U. The next holder adopts both from
//! a running monitor (`--adopt <monitor pid>`), so bridges and veths survive, and re-wires any
//! endpoint whose pair is missing.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::NetError;
use super::dns::{self, ContainerKey, Listener};
use super::netlink::{Netlink, RtNetlink, Wiring, wire_endpoint, wire_spare};
use super::spare::{self, Spare};
use crate::Store;
use crate::container::process_start_time;
use crate::runtime::sys::{self, Errno, LinuxSyscall, SysError, Syscall};
use crate::store::replace_json;

/// How long the holder stays with nothing to do.
const IDLE: Duration = Duration::from_secs(5);

/// A spare netns is made once no request came for this long after an attach: made at once, it
/// took the two cores from the start it follows (20-run blocks of `run --rm`: 15.7–16.4 ms
/// without spares, 15.7–15.9 made at once, 15.2 after 3 ms of quiet, nothing gained after 10:
/// back-to-back runs leave no such gap).
const SPARE_AFTER_QUIET_MS: i32 = 3;

/// `<root>/net/holder.json`: who the holder is, and which namespaces it owns.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct HolderInfo {
    pub pid: i32,
    pub start: u64,
    /// `user:[…]` and `net:[…]` as /proc/<pid>/ns shows them.
    pub userns: String,
    pub netns: String,
}

impl HolderInfo {
    pub fn alive(&self) -> bool {
        process_start_time(self.pid).is_some_and(|t| t == self.start)
    }
}

/// A request on the control socket (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Wire these endpoints into the netns of the process `pid`.
    Attach {
        container: String,
        pid: i32,
        wirings: Vec<Wiring>,
    },
    /// Remove these pairs (by their end on the bridge).
    Detach {
        container: String,
        host_veths: Vec<String>,
    },
    Ping,
    /// Hand over the spare network namespace (its fd comes with the reply) for `container`,
    /// whose init joins it; its `Attach` on this connection then wires the pair in it.
    Reserve {
        container: String,
    },
}

/// The answer: an fd of N (SCM_RIGHTS, one byte; a reserved spare's netns for `Reserve`),
/// then one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    Ok,
    /// `Reserve`d: the name of the spare pair's end in N, which the container's first
    /// endpoint takes (a holder of an earlier build said `Ok`, and renamed it on the attach).
    Reserved {
        host: String,
    },
    Failed(NetError),
    /// `Reserve` found no spare: the init makes its netns itself.
    NoSpare,
}

pub fn holder_dir(store: &Store) -> PathBuf {
    store.root.join("net")
}

pub fn info_path(store: &Store) -> PathBuf {
    holder_dir(store).join("holder.json")
}

/// The control socket's address: the store's abstract namespace, `…/net-holder`.
pub fn address(store: &Store) -> std::io::Result<std::os::unix::net::SocketAddr> {
    crate::attach::address(&store.root, "net-holder")
}

fn ns_link(pid: &str, ns: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// An fd that `pid` holds open on the namespace `link` (`net:[…]`).
/// Without a record of N, any network namespace it holds that is not the host's (a monitor
/// holds no other).
fn find_ns_fd(pid: i32, link: &str) -> Option<File> {
    let dir = format!("/proc/{pid}/fd");
    let host = ns_link("self", "net");
    for e in fs::read_dir(&dir).ok()?.flatten() {
        let Ok(target) = fs::read_link(e.path()) else {
            continue;
        };
        let t = target.to_string_lossy();
        let hit = if link.is_empty() {
            t.starts_with("net:[") && t != host
        } else {
            t == link
        };
        if hit {
            return File::open(e.path()).ok();
        }
    }
    None
}

/// Run `f` with this thread in the network namespace `target`, then back in `home`: sockets
/// `f` makes belong to `target`.
pub fn in_netns<T>(
    target: &File,
    home: &File,
    f: impl FnOnce() -> Result<T, SysError>,
) -> Result<T, SysError> {
    sys::setns_fd(target.as_fd(), libc::CLONE_NEWNET)?;
    let r = f();
    sys::setns_fd(home.as_fd(), libc::CLONE_NEWNET)?;
    r
}

/// Entry point of `gorae __net-holder [--adopt <monitor pid>]`.
pub fn main(args: &[String]) -> i32 {
    sys::ignore_signals(&[libc::SIGHUP, libc::SIGINT, libc::SIGPIPE]);
    let Ok(store) = Store::open_default() else {
        return 125;
    };
    let adopt: Option<i32> = args
        .iter()
        .position(|a| a == "--adopt")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok());
    let rootless = crate::runtime::is_rootless();
    let old = crate::store::read_json::<HolderInfo>(&info_path(&store)).ok();
    let mut adopted: Option<File> = None;
    if let Some(mpid) = adopt {
        let want = old.as_ref().map(|o| o.netns.clone()).unwrap_or_default();
        adopted = find_ns_fd(mpid, &want);
        if adopted.is_none() {
            return 3;
        }
        let user = format!("/proc/{mpid}/ns/user");
        if rootless
            && ns_link(&mpid.to_string(), "user") != ns_link("self", "user")
            && sys::setns_path(Path::new(&user), libc::CLONE_NEWUSER).is_err()
        {
            return 3;
        }
    } else if rootless && !crate::runtime::enter_as_container_root() {
        return 1;
    }
    // In U now (entering it needed a single-threaded process); from here on the holder has
    // threads, so it never forks without exec. This one stays in the host's network namespace:
    // it makes the DNS forwarding sockets and starts pasta there.
    let Ok(host) = dns::HostSockets::start() else {
        return 1;
    };
    let host = Arc::new(host);
    // The control socket lives in the host's network namespace: bind it before leaving.
    let Ok(addr) = address(&store) else {
        return 1;
    };
    let Ok(listener) = UnixListener::bind_addr(&addr) else {
        // Another holder answers there.
        return 4;
    };
    match &adopted {
        Some(n) => {
            if sys::setns_fd(n.as_fd(), libc::CLONE_NEWNET).is_err() {
                return 3;
            }
        }
        None => {
            let linux = LinuxSyscall;
            // No routing between bridges until egress (net::egress::Outlet) has put Docker's
            // isolation rules in place and turns forwarding on.
            if linux.unshare(libc::CLONE_NEWNET).is_err()
                || linux.loopback_up().is_err()
                || linux
                    .write_file(Path::new("/proc/sys/net/ipv4/ip_forward"), "0")
                    .is_err()
            {
                return 1;
            }
        }
    }
    drop(adopted);
    let Ok(infra) = File::open("/proc/self/ns/net") else {
        return 1;
    };
    let me = std::process::id() as i32;
    let info = HolderInfo {
        pid: me,
        start: process_start_time(me).unwrap_or(0),
        userns: ns_link("self", "user"),
        netns: ns_link("self", "net"),
    };
    if replace_json(&info_path(&store), &info).is_err() {
        return 1;
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening").and_then(|_| out.flush());
    if let Ok(null) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            let _ = sys::dup_onto(null.as_raw_fd(), fd);
        }
    }
    let names = Arc::new(super::names::StoreNames {
        store: store.clone(),
    });
    let Ok((server, dns)) = dns::Server::new(names, host.clone(), dns::host_upstreams()) else {
        return 1;
    };
    if std::thread::Builder::new()
        .name("dns".into())
        .spawn(move || server.run())
        .is_err()
    {
        return 1;
    }
    let mut h = Holder {
        store,
        infra,
        listener,
        clients: HashMap::new(),
        next_client: 0,
        dns,
        resolvers: HashMap::new(),
        egress: super::egress::Outlet::new(host),
        spare: None,
        reserved: HashMap::new(),
        last_bridge: None,
        want_spare: false,
    };
    h.egress.start(&h.store.root, &h.infra, adopt.is_some());
    h.egress.update(&h.store);
    h.repair();
    h.serve()
}

struct Holder {
    store: Store,
    /// An fd of N, to come back to after working in a container's namespace.
    infra: File,
    listener: UnixListener,
    clients: HashMap<u64, (UnixStream, Vec<u8>)>,
    next_client: u64,
    dns: dns::Control,
    /// Containers served by the DNS server, with a pidfd of their init: its exit closes their
    /// listeners (an open socket would keep their netns alive).
    resolvers: HashMap<String, RawFd>,
    egress: super::egress::Outlet,
    /// The next start's network namespace, made after an attach (`net::spare`).
    spare: Option<Spare>,
    /// Spares handed to a client (by connection) for the container it names, until its attach.
    reserved: HashMap<u64, (String, Spare)>,
    /// The bridge of the last attach's first endpoint, the next spare's end in N is put on.
    last_bridge: Option<String>,
    /// An attach was answered: make a spare once nothing asks for a while
    /// (`SPARE_AFTER_QUIET_MS`). Made or not (a kernel that refuses), it is cleared.
    want_spare: bool,
}

impl Holder {
    fn serve(&mut self) -> i32 {
        let _ = self.listener.set_nonblocking(true);
        let mut last_busy = Instant::now();
        loop {
            let mut pfds = vec![sys::pollfd(self.listener.as_raw_fd(), libc::POLLIN)];
            let ids: Vec<u64> = self.clients.keys().copied().collect();
            for id in &ids {
                if let Some((s, _)) = self.clients.get(id) {
                    pfds.push(sys::pollfd(s.as_raw_fd(), libc::POLLIN));
                }
            }
            let served: Vec<(String, RawFd)> = self
                .resolvers
                .iter()
                .map(|(k, fd)| (k.clone(), *fd))
                .collect();
            for (_, fd) in &served {
                pfds.push(sys::pollfd(*fd, libc::POLLIN));
            }
            let timeout = if self.want_spare {
                SPARE_AFTER_QUIET_MS
            } else {
                1000
            };
            let ready = match sys::poll(&mut pfds, timeout) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return 1,
            };
            if pfds[0].revents & libc::POLLIN != 0 {
                self.accept_all();
            }
            for (i, (key, _)) in served.iter().enumerate() {
                if pfds[1 + ids.len() + i].revents != 0 {
                    self.forget_resolver(key);
                }
            }
            for (i, id) in ids.iter().enumerate() {
                if pfds[i + 1].revents != 0 {
                    self.read_client(*id);
                }
            }
            if ready == 0 {
                self.make_spare();
            }
            if !self.clients.is_empty() || self.busy() {
                last_busy = Instant::now();
            } else if last_busy.elapsed() >= IDLE && self.try_exit() {
                return 0;
            }
        }
    }

    fn accept_all(&mut self) {
        while let Ok((s, _)) = self.listener.accept() {
            if !crate::attach::peer_allowed(&s) {
                continue;
            }
            let _ = s.set_nonblocking(true);
            self.next_client += 1;
            self.clients.insert(self.next_client, (s, Vec::new()));
        }
    }

    fn read_client(&mut self, id: u64) {
        let mut buf = [0u8; 8192];
        let Some((s, pending)) = self.clients.get_mut(&id) else {
            return;
        };
        match s.read(&mut buf) {
            Ok(0) => {
                self.drop_client(id);
                return;
            }
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(_) => {
                self.drop_client(id);
                return;
            }
        }
        while let Some(nl) = self
            .clients
            .get(&id)
            .and_then(|(_, p)| p.iter().position(|b| *b == b'\n'))
        {
            let line: Vec<u8> = match self.clients.get_mut(&id) {
                Some((_, p)) => p.drain(..=nl).collect(),
                None => return,
            };
            let (reply, reserving) = match serde_json::from_slice::<Request>(&line) {
                Ok(req) => {
                    let reserving = matches!(req, Request::Reserve { .. });
                    (self.handle(id, req), reserving)
                }
                Err(e) => (
                    Reply::Failed(NetError::Holder(format!("bad request: {e}"))),
                    false,
                ),
            };
            let fd = match (&reply, self.reserved.get(&id)) {
                (Reply::Reserved { .. }, Some((_, s))) if reserving => s.netns.as_raw_fd(),
                _ => self.infra.as_raw_fd(),
            };
            let ok = self.clients.get(&id).is_some_and(|(s, _)| {
                let _ = s.set_nonblocking(false);
                let sent = sys::send_fd(s.as_raw_fd(), fd);
                let mut text = serde_json::to_vec(&reply).unwrap_or_default();
                text.push(b'\n');
                let wrote = sent && (&*s).write_all(&text).is_ok();
                let _ = s.set_nonblocking(true);
                wrote
            });
            if !ok {
                self.drop_client(id);
                return;
            }
        }
    }

    /// A client gone: so is any spare it reserved and did not attach (the pair goes with
    /// the netns, unless an init of its joined it).
    fn drop_client(&mut self, id: u64) {
        self.clients.remove(&id);
        self.reserved.remove(&id);
    }

    fn handle(&mut self, client: u64, req: Request) -> Reply {
        let r = match req {
            Request::Attach {
                container,
                pid,
                wirings,
            } => {
                let spare = self
                    .reserved
                    .remove(&client)
                    .filter(|(c, _)| *c == container)
                    .map(|(_, s)| s);
                self.want_spare = true;
                self.attach(&container, pid, &wirings, spare)
            }
            Request::Detach {
                container,
                host_veths,
            } => self.detach(&container, &host_veths),
            Request::Ping => Ok(()),
            Request::Reserve { container } => {
                return match self.spare.take() {
                    Some(s) => {
                        let host = s.host.clone();
                        self.reserved.insert(client, (container, s));
                        Reply::Reserved { host }
                    }
                    None => Reply::NoSpare,
                };
            }
        };
        match r {
            Ok(()) => Reply::Ok,
            Err(e) => Reply::Failed(e),
        }
    }

    /// Make the next start's spare netns, once an attach has been answered and nothing else
    /// asked for a while.
    fn make_spare(&mut self) {
        if !std::mem::take(&mut self.want_spare) || self.spare.is_some() {
            return;
        }
        // A kernel or sandbox that refuses leaves it to each init, as without spares.
        self.spare = Spare::make(&self.infra, self.last_bridge.as_deref()).ok();
    }

    /// Wire `wirings` into the netns of `pid`, or into `spare`, the one it reserved: its init
    /// joins that first thing after the clone, perhaps not yet (so not the pid's netns now),
    /// and its pair becomes the first endpoint.
    fn attach(
        &mut self,
        container: &str,
        pid: i32,
        wirings: &[Wiring],
        spare: Option<Spare>,
    ) -> Result<(), NetError> {
        let path = format!("/proc/{pid}/ns/net");
        let opened;
        let ctr = match &spare {
            Some(s) => &s.netns,
            None => {
                opened = File::open(&path)
                    .map_err(|e| NetError::Sys(SysError::io("open", Some(Path::new(&path)), &e)))?;
                &opened
            }
        };
        self.egress.update(&self.store);
        let infra_nl = RtNetlink::open()?;
        let opened_nl;
        let ctr_nl = match &spare {
            Some(s) => &s.netlink,
            None => {
                opened_nl = in_netns(ctr, &self.infra, || {
                    spare::ipv6_off_for_new_interfaces();
                    RtNetlink::open()
                })?;
                &opened_nl
            }
        };
        let first_is_spares = wirings.first().is_some_and(|w| w.ifname == spare::IFNAME);
        if first_is_spares {
            self.last_bridge = wirings.first().map(|w| w.bridge.clone());
        }
        if let Some(s) = &spare
            && !first_is_spares
        {
            // Its `eth0` would stand in the way of the container's own interfaces.
            infra_nl.delete_link(&s.host)?;
        }
        for (i, w) in wirings.iter().enumerate() {
            match &spare {
                Some(s) if i == 0 && first_is_spares => {
                    wire_spare(&infra_nl, ctr_nl, w, &s.host, s.bridge.as_deref())?
                }
                _ => wire_endpoint(&infra_nl, ctr_nl, w, ctr.as_raw_fd())?,
            }
        }
        if !self.resolvers.contains_key(container) && self.wants_dns(container, &[]) {
            self.serve_dns(container, pid, ctr)?;
        }
        Ok(())
    }

    /// Whether `container` is on a user-defined network once `leaving` (host veths) are gone:
    /// only those have Docker's embedded DNS.
    fn wants_dns(&self, container: &str, leaving: &[String]) -> bool {
        let (Ok(c), Ok(nets)) = (
            self.store.load_container(container),
            self.store.read_networks(),
        ) else {
            return false;
        };
        c.state
            .networks
            .values()
            .filter(|e| !leaving.contains(&e.host_veth))
            .any(|e| {
                nets.iter()
                    .any(|n| n.id == e.network_id && !n.is_default_bridge())
            })
    }

    /// Sockets on 127.0.0.11:53 (UDP and TCP) inside the container's netns, served by the DNS
    /// thread as this container's.
    fn serve_dns(&mut self, container: &str, pid: i32, ctr: &File) -> Result<(), NetError> {
        let bound = in_netns(ctr, &self.infra, || {
            // The init brings lo up too, but maybe not yet: 127.0.0.11 is local only when up.
            LinuxSyscall.loopback_up()?;
            let addr = std::net::SocketAddr::from(([127, 0, 0, 11], 53));
            let io = |e: std::io::Error| SysError::io("bind 127.0.0.11:53", None, &e);
            Ok((
                UdpSocket::bind(addr).map_err(io)?,
                TcpListener::bind(addr).map_err(io)?,
            ))
        })?;
        let pidfd = sys::pidfd_open(pid);
        if pidfd < 0 {
            // Already gone: nothing to serve.
            return Ok(());
        }
        let key = ContainerKey::new(container);
        let added = self
            .dns
            .add(key.clone(), Listener::Udp(bound.0))
            .and_then(|_| self.dns.add(key.clone(), Listener::Tcp(bound.1)));
        if let Err(e) = added {
            self.dns.remove(&key);
            sys::close(pidfd);
            return Err(NetError::Holder(format!("dns: {e}")));
        }
        self.resolvers.insert(container.to_string(), pidfd);
        Ok(())
    }

    fn forget_resolver(&mut self, container: &str) {
        self.dns.remove(&ContainerKey::new(container));
        if let Some(fd) = self.resolvers.remove(container) {
            sys::close(fd);
        }
    }

    fn detach(&mut self, container: &str, host_veths: &[String]) -> Result<(), NetError> {
        if self.resolvers.contains_key(container) && !self.wants_dns(container, host_veths) {
            self.forget_resolver(container);
        }
        let nl = RtNetlink::open()?;
        for v in host_veths {
            match nl.delete_link(v) {
                Ok(()) => {}
                // Gone with the container's netns already.
                Err(e) if e.errno == Errno::ENODEV => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Whether any container still holds an address (its monitor alive).
    fn busy(&self) -> bool {
        self.store.containers().is_ok_and(|all| {
            all.iter()
                .any(|c| c.state.networks.values().any(|e| e.live()))
        })
    }

    /// Exit if no starter holds the holder lock and nobody is waiting to connect.
    fn try_exit(&mut self) -> bool {
        let _lock = match super::client::lock_existing_holder(&self.store) {
            Ok(Some(lock)) => lock,
            // The store was removed (its lock with it): nobody is left to serve.
            Err(crate::EngineError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return true;
            }
            _ => return false,
        };
        self.accept_all();
        if !self.clients.is_empty() {
            return false;
        }
        let path = info_path(&self.store);
        let me = std::process::id() as i32;
        if crate::store::read_json::<HolderInfo>(&path).is_ok_and(|i| i.pid == me) {
            let _ = fs::remove_file(&path);
        }
        true
    }

    /// Re-wire the recorded endpoints of running containers whose pair is missing here (a
    /// holder that could not adopt N, root only: rootless netns outside our U are out of
    /// reach and keep their addresses unwired).
    fn repair(&mut self) {
        let Ok(all) = self.store.containers() else {
            return;
        };
        let Ok(nets) = self.store.networks() else {
            return;
        };
        let Ok(nl) = RtNetlink::open() else {
            return;
        };
        for c in all.iter().filter(|c| c.is_running() && c.state.pid > 0) {
            let missing: Vec<&super::EndpointSettings> = c
                .state
                .networks
                .values()
                .filter(|e| e.live() && !nl.link_exists(&e.host_veth).unwrap_or(true))
                .collect();
            // Nothing missing still re-opens its DNS listeners (they died with the old holder).
            let w = super::endpoint::wirings(&nets, &missing);
            let _ = self.attach(&c.id, c.state.pid, &w, None);
        }
    }
}
