//! Docker's embedded DNS server: what a container on a user-defined network finds at
//! 127.0.0.11. It answers A/AAAA/PTR (and Docker's empty MX) for the containers on the networks
//! the *asking* container shares (name, `--network-alias`, 12-hex short id; TTL 600) and
//! forwards every other query to the host's resolvers. Behaviour follows moby's
//! libnetwork/resolver.go; the names come from the caller's [`Names`].
//!
//! # API (for the network holder)
//!
//! ```ignore
//! use gorae_engine::net::dns::{self, ContainerKey, Listener};
//! // 1. While the holder is still in the host's network namespace (before unshare(CLONE_NEWNET)):
//! //    a thread that stays there and makes the forwarding sockets (namespaces are per thread).
//! let host = dns::HostSockets::start()?;
//! // 2. The server: names over the store's records (impl Names), upstreams as Docker reads them.
//! let (server, control) = dns::Server::new(names, Arc::new(host), dns::host_upstreams())?;
//! std::thread::spawn(move || server.run());            // blocks in poll(2); idle = 0 % CPU
//! // 3. Per container on a user network: sockets bound to 127.0.0.11:53 inside its netns.
//! control.add(ContainerKey::new(id), Listener::Udp(udp))?;
//! control.add(ContainerKey::new(id), Listener::Tcp(tcp))?;
//! control.remove(&ContainerKey::new(id));               // on exit/last disconnect: closes them
//! control.set_upstreams(dns::host_upstreams());         // resolv.conf changed (optional)
//! control.stop();                                       // run() returns
//! ```
//!
//! A socket keeps its network namespace alive: remove a container's listeners when it stops.
//! Answers are read from [`Names`] at query time, so connect / disconnect / rename show at once.
//!
//! Why simple-dns: one small dependency (bitflags), no unsafe, parses and builds what this
//! needs; forwarded queries and answers are relayed as raw bytes (only the id is rewritten).

mod message;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use message::{Outcome, Transport};

use crate::runtime::sys;

/// Docker's TTL for container records (resolver.go `respTTL`).
pub const TTL: u32 = 600;
/// Docker forwards to at most 3 upstream resolvers (`maxExtDNS`), each given 4 s (`extIOTimeout`).
pub const MAX_UPSTREAMS: usize = 3;
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(4);
/// Forwarded UDP queries in flight at once; more are answered REFUSED (Docker: 1024).
const MAX_PENDING: usize = 1024;
/// TCP connections served at once (each has a thread); more are closed on accept.
const MAX_TCP: usize = 64;
/// A TCP client idle this long is dropped (miekg's read timeout for TCP).
const TCP_IDLE: Duration = Duration::from_secs(8);

/// Which container a listener belongs to: the asker. The container's full id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerKey(pub String);

impl ContainerKey {
    pub fn new(id: impl Into<String>) -> ContainerKey {
        ContainerKey(id.into())
    }
}

/// The container names, as the asking container sees them. Implemented by the holder over the
/// store's records; a fake in tests.
pub trait Names: Send + Sync {
    /// The addresses `name` has on the networks `asker` is attached to: container names,
    /// `--network-alias`es and 12-hex short ids, and Docker's `name.network` form (see
    /// [`name_candidates`]). `name` is ASCII lowercase without the trailing dot. Return every
    /// address (IPv4 and IPv6): the server picks the asked family, and answers NOERROR with
    /// nothing when the name exists without one. Empty: not a container name here, forwarded.
    fn lookup(&self, asker: &ContainerKey, name: &str) -> Vec<IpAddr>;
    /// The name for `ip` on a network `asker` shares, Docker's `<container name>.<network>`
    /// (e.g. "web.mynet"), or None (then the PTR query is forwarded).
    fn reverse(&self, asker: &ContainerKey, ip: IpAddr) -> Option<String>;
}

/// Docker's reading of `a.b.c`: `(name, network)` pairs to try in order — the whole name on any
/// of the asker's networks, then `a.b` on network `c`, then `a` on network `b.c`
/// (libnetwork sandbox.go `ResolveName`). Aliases are tried before container names for each.
pub fn name_candidates(name: &str) -> Vec<(&str, Option<&str>)> {
    let mut out = vec![(name, None)];
    let mut end = name.len();
    while let Some(i) = name[..end].rfind('.') {
        out.push((&name[..i], Some(&name[i + 1..])));
        end = i;
    }
    out
}

/// A socket the server answers on, bound by the holder to 127.0.0.11:53 in a container's netns.
#[derive(Debug)]
pub enum Listener {
    Udp(UdpSocket),
    Tcp(TcpListener),
}

impl Listener {
    fn fd(&self) -> RawFd {
        match self {
            Listener::Udp(s) => s.as_raw_fd(),
            Listener::Tcp(s) => s.as_raw_fd(),
        }
    }
}

/// Makes the forwarding sockets in the host's network namespace.
pub trait Upstream: Send + Sync {
    /// An unbound-port UDP socket (IPv6 when `v6`) for sending to upstream resolvers.
    fn udp(&self, v6: bool) -> io::Result<UdpSocket>;
    /// A TCP connection to `server`.
    fn tcp(&self, server: SocketAddr, timeout: Duration) -> io::Result<TcpStream>;
}

/// Sockets made in the calling thread's network namespace: right for a caller that is in the
/// host's netns (and for tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct SameNetns;

impl Upstream for SameNetns {
    fn udp(&self, v6: bool) -> io::Result<UdpSocket> {
        UdpSocket::bind(if v6 { "[::]:0" } else { "0.0.0.0:0" })
    }
    fn tcp(&self, server: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        TcpStream::connect_timeout(&server, timeout)
    }
}

enum HostRequest {
    Run(Box<dyn FnOnce() + Send>),
    Udp(bool, Sender<io::Result<UdpSocket>>),
    Tcp(SocketAddr, Duration, Sender<io::Result<TcpStream>>),
}

/// A thread that stays in the network namespace it was started in and makes sockets there on
/// request. Start it in the host's netns before the holder's main thread unshares its own:
/// Linux namespaces belong to threads, and threads it spawns keep the namespace too.
#[derive(Debug)]
pub struct HostSockets {
    tx: std::sync::Mutex<Sender<HostRequest>>,
}

impl HostSockets {
    pub fn start() -> io::Result<HostSockets> {
        let (tx, rx) = mpsc::channel::<HostRequest>();
        std::thread::Builder::new()
            .name("dns-host".into())
            .spawn(move || {
                for req in rx {
                    match req {
                        HostRequest::Run(f) => f(),
                        HostRequest::Udp(v6, reply) => {
                            let _ = reply.send(SameNetns.udp(v6));
                        }
                        // A connect may take the whole timeout: one thread each (born here, so
                        // in this netns), so one slow upstream never holds up the others.
                        HostRequest::Tcp(addr, timeout, reply) => {
                            let _ = std::thread::Builder::new()
                                .name("dns-host-tcp".into())
                                .spawn(move || {
                                    let _ = reply.send(SameNetns.tcp(addr, timeout));
                                });
                        }
                    }
                }
            })?;
        Ok(HostSockets {
            tx: std::sync::Mutex::new(tx),
        })
    }

    /// Run `f` on the host-netns thread and return what it returns: processes it spawns (pasta:
    /// [`super::egress::connect`]) and sockets it makes are in the host's netns.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        let (reply, answer) = mpsc::channel();
        self.send(HostRequest::Run(Box::new(move || {
            let _ = reply.send(f());
        })))?;
        answer.recv().map_err(|_| host_gone())
    }

    fn send(&self, req: HostRequest) -> io::Result<()> {
        self.tx
            .lock()
            .map_err(|_| host_gone())?
            .send(req)
            .map_err(|_| host_gone())
    }

    fn ask<T>(&self, make: impl FnOnce(Sender<io::Result<T>>) -> HostRequest) -> io::Result<T> {
        let (reply, answer) = mpsc::channel();
        self.send(make(reply))?;
        answer.recv().map_err(|_| host_gone())?
    }
}

fn host_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "dns host thread gone")
}

impl Upstream for HostSockets {
    fn udp(&self, v6: bool) -> io::Result<UdpSocket> {
        self.ask(|r| HostRequest::Udp(v6, r))
    }
    fn tcp(&self, server: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        self.ask(|r| HostRequest::Tcp(server, timeout, r))
    }
}

/// The nameservers of a resolv.conf, in order (Docker's parser: `nameserver ADDR` lines;
/// unparsable addresses skipped; an IPv6 zone `%eth0` kept off).
pub fn parse_nameservers(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            (f.next()? == "nameserver").then_some(())?;
            let addr = f.next()?;
            addr.split('%').next()?.parse().ok()
        })
        .collect()
}

/// The upstreams Docker's embedded DNS uses, given the host's /etc/resolv.conf and (when it
/// exists) /run/systemd/resolve/resolv.conf: the first 3 nameservers, port 53. When the host
/// file names only systemd-resolved's 127.0.0.53, Docker reads systemd's file of real upstreams
/// instead (resolvconf.Path); without that file, 127.0.0.53 itself. Loopback nameservers are
/// kept: Docker reaches them from the host's netns, as [`HostSockets`] does.
pub fn upstreams_from(etc: &str, systemd: Option<&str>) -> Vec<SocketAddr> {
    let mut servers = parse_nameservers(etc);
    if servers == [IpAddr::from([127, 0, 0, 53])]
        && let Some(real) = systemd.map(parse_nameservers).filter(|s| !s.is_empty())
    {
        servers = real;
    }
    servers
        .into_iter()
        .take(MAX_UPSTREAMS)
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// [`upstreams_from`] over this host's files.
pub fn host_upstreams() -> Vec<SocketAddr> {
    let etc = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let systemd = std::fs::read_to_string("/run/systemd/resolve/resolv.conf").ok();
    upstreams_from(&etc, systemd.as_deref())
}

enum Command {
    Add(ContainerKey, Listener),
    Remove(ContainerKey),
    Upstreams(Vec<SocketAddr>),
    Stop,
}

/// Changes a running [`Server`]: add and remove listeners, replace the upstreams, stop it.
/// Cheap to clone; every call wakes the server's poll.
#[derive(Clone)]
pub struct Control {
    tx: Sender<Command>,
    wake: Arc<UnixStream>,
}

impl Control {
    fn send(&self, cmd: Command) -> io::Result<()> {
        self.tx
            .send(cmd)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "dns server stopped"))?;
        // Full pipe: a wake-up is already pending, which is all this is for.
        match (&*self.wake).write(&[1]) {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
            _ => Ok(()),
        }
    }
    /// Serve `listener` as `key`'s (a container may have a UDP and a TCP one).
    pub fn add(&self, key: ContainerKey, listener: Listener) -> io::Result<()> {
        self.send(Command::Add(key, listener))
    }
    /// Close all of `key`'s listeners.
    pub fn remove(&self, key: &ContainerKey) {
        let _ = self.send(Command::Remove(key.clone()));
    }
    /// Forward to these resolvers from now on.
    pub fn set_upstreams(&self, upstreams: Vec<SocketAddr>) {
        let _ = self.send(Command::Upstreams(upstreams));
    }
    /// Make [`Server::run`] return (listeners closed, queries in flight dropped).
    pub fn stop(&self) {
        let _ = self.send(Command::Stop);
    }
}

/// A query sent on to an upstream, waiting for its answer.
struct Pending {
    client: Arc<UdpSocket>,
    peer: SocketAddr,
    /// The asker's query as it came (its own id).
    query: Vec<u8>,
    /// Index into the upstream list of the resolver asked now.
    upstream: usize,
    deadline: Instant,
}

/// The server loop: one thread, every listener in one poll(2).
pub struct Server {
    names: Arc<dyn Names>,
    upstream: Arc<dyn Upstream>,
    upstreams: Arc<RwLock<Vec<SocketAddr>>>,
    rx: Receiver<Command>,
    wake: UnixStream,
    listeners: Vec<(ContainerKey, Arc<Listener>)>,
    /// Forwarding sockets, made on first use: [IPv4, IPv6].
    fwd: [Option<UdpSocket>; 2],
    pending: HashMap<u16, Pending>,
    tcp_active: Arc<AtomicUsize>,
}

impl Server {
    pub fn new(
        names: Arc<dyn Names>,
        upstream: Arc<dyn Upstream>,
        upstreams: Vec<SocketAddr>,
    ) -> io::Result<(Server, Control)> {
        let (wake_rx, wake_tx) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let (tx, rx) = mpsc::channel();
        let server = Server {
            names,
            upstream,
            upstreams: Arc::new(RwLock::new(upstreams)),
            rx,
            wake: wake_rx,
            listeners: Vec::new(),
            fwd: [None, None],
            pending: HashMap::new(),
            tcp_active: Arc::new(AtomicUsize::new(0)),
        };
        let control = Control {
            tx,
            wake: Arc::new(wake_tx),
        };
        Ok((server, control))
    }

    /// Serve until [`Control::stop`] (or every `Control` is dropped). Blocks in poll(2) with no
    /// timeout unless a forwarded query is waiting.
    pub fn run(mut self) {
        loop {
            let mut fds = vec![sys::pollfd(self.wake.as_raw_fd(), libc::POLLIN)];
            for f in &self.fwd {
                fds.push(sys::pollfd(
                    f.as_ref().map_or(-1, |s| s.as_raw_fd()),
                    libc::POLLIN,
                ));
            }
            for (_, l) in &self.listeners {
                fds.push(sys::pollfd(l.fd(), libc::POLLIN));
            }
            let timeout = self.next_timeout();
            match sys::poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
            let ready = |i: usize| fds[i].revents != 0;
            if ready(0) && !self.commands() {
                return;
            }
            for family in 0..2 {
                if ready(1 + family) {
                    self.upstream_answers(family);
                }
            }
            // Listeners polled this round (commands may have changed the list since).
            let polled: Vec<(ContainerKey, Arc<Listener>)> = fds[3..]
                .iter()
                .filter(|p| p.revents != 0)
                .filter_map(|p| {
                    self.listeners
                        .iter()
                        .find(|(_, l)| l.fd() == p.fd)
                        .map(|(k, l)| (k.clone(), l.clone()))
                })
                .collect();
            for (key, listener) in polled {
                match &*listener {
                    Listener::Udp(_) => self.udp_queries(&key, &listener),
                    Listener::Tcp(l) => self.accept(&key, l),
                }
            }
            self.expire();
        }
    }

    /// Apply control commands; false: stop.
    fn commands(&mut self) -> bool {
        let mut buf = [0u8; 64];
        while matches!((&self.wake).read(&mut buf), Ok(n) if n > 0) {}
        loop {
            match self.rx.try_recv() {
                Ok(Command::Add(key, listener)) => {
                    let ok = match &listener {
                        Listener::Udp(s) => s.set_nonblocking(true),
                        Listener::Tcp(s) => s.set_nonblocking(true),
                    };
                    if ok.is_ok() {
                        self.listeners.push((key, Arc::new(listener)));
                    }
                }
                Ok(Command::Remove(key)) => self.listeners.retain(|(k, _)| *k != key),
                Ok(Command::Upstreams(list)) => {
                    if let Ok(mut u) = self.upstreams.write() {
                        *u = list;
                    }
                }
                Ok(Command::Stop) => return false,
                Err(mpsc::TryRecvError::Empty) => return true,
                Err(mpsc::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn next_timeout(&self) -> i32 {
        let Some(first) = self.pending.values().map(|p| p.deadline).min() else {
            return -1;
        };
        let left = first.saturating_duration_since(Instant::now());
        // Round up so the deadline has passed when poll returns.
        (left.as_millis() as i32).saturating_add(1)
    }

    fn upstream_list(&self) -> Vec<SocketAddr> {
        self.upstreams.read().map(|u| u.clone()).unwrap_or_default()
    }

    /// Every query waiting on one listener.
    fn udp_queries(&mut self, key: &ContainerKey, listener: &Arc<Listener>) {
        let Listener::Udp(sock) = &**listener else {
            return;
        };
        let mut buf = vec![0u8; 65535];
        // A bounded batch, so one busy container cannot starve the others.
        for _ in 0..64 {
            let (n, peer) = match sock.recv_from(&mut buf) {
                Ok(r) => r,
                Err(_) => return,
            };
            let query = &buf[..n];
            match message::respond(&*self.names, key, query, Transport::Udp) {
                Outcome::Reply(bytes) => {
                    let _ = sock.send_to(&bytes, peer);
                }
                Outcome::Drop => {}
                Outcome::Forward => {
                    let client = match sock.try_clone() {
                        Ok(c) => Arc::new(c),
                        Err(_) => continue,
                    };
                    self.forward(Pending {
                        client,
                        peer,
                        query: query.to_vec(),
                        upstream: 0,
                        deadline: Instant::now(),
                    });
                }
            }
        }
    }

    /// Send `p` to upstream `p.upstream` or the next one that can be reached; SERVFAIL when
    /// none is left (Docker's answer when no upstream answered).
    fn forward(&mut self, mut p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            let _ = p.client.send_to(
                &message::header_reply(&p.query, message::RCODE_REFUSED),
                p.peer,
            );
            return;
        }
        let upstreams = self.upstream_list();
        while let Some(&server) = upstreams.get(p.upstream) {
            let family = usize::from(server.is_ipv6());
            if self.fwd[family].is_none() {
                self.fwd[family] = self.upstream.udp(family == 1).ok().and_then(|s| {
                    s.set_nonblocking(true).ok()?;
                    Some(s)
                });
            }
            let id = self.fresh_id();
            if let Some(sock) = &self.fwd[family]
                && sock
                    .send_to(&message::with_id(&p.query, id), server)
                    .is_ok()
            {
                p.deadline = Instant::now() + UPSTREAM_TIMEOUT;
                self.pending.insert(id, p);
                return;
            }
            p.upstream += 1;
        }
        let _ = p.client.send_to(
            &message::header_reply(&p.query, message::RCODE_SERVFAIL),
            p.peer,
        );
    }

    fn fresh_id(&self) -> u16 {
        loop {
            let mut b = [0u8; 2];
            sys::fill_random(&mut b);
            let id = u16::from_be_bytes(b);
            if !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    /// Answers from upstream resolvers, relayed to their askers with the asker's id.
    fn upstream_answers(&mut self, family: usize) {
        let mut buf = vec![0u8; 65535];
        loop {
            let Some(sock) = &self.fwd[family] else {
                return;
            };
            let (n, from) = match sock.recv_from(&mut buf) {
                Ok(r) => r,
                Err(_) => return,
            };
            let resp = &buf[..n];
            if n < 12 {
                continue;
            }
            let id = u16::from_be_bytes([resp[0], resp[1]]);
            let upstreams = self.upstream_list();
            let Some(p) = self.pending.get(&id) else {
                continue;
            };
            // Only the resolver asked may answer, and only this question (spoofing guard).
            let expected = upstreams.get(p.upstream).copied();
            let ours = message::with_id(&p.query, id);
            if expected != Some(from) || !message::answers_query(&ours, resp) {
                continue;
            }
            let Some(mut p) = self.pending.remove(&id) else {
                continue;
            };
            match message::rcode(resp) {
                // Docker tries the next upstream on SERVFAIL and REFUSED.
                message::RCODE_SERVFAIL | message::RCODE_REFUSED => {
                    p.upstream += 1;
                    self.forward(p);
                }
                _ => {
                    let orig = u16::from_be_bytes([p.query[0], p.query[1]]);
                    let _ = p.client.send_to(&message::with_id(resp, orig), p.peer);
                }
            }
        }
    }

    /// Queries whose upstream did not answer in time go to the next one.
    fn expire(&mut self) {
        let now = Instant::now();
        let late: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            if let Some(mut p) = self.pending.remove(&id) {
                p.upstream += 1;
                self.forward(p);
            }
        }
    }

    /// A TCP client: served on its own thread (TCP DNS is rare, and a slow client must not hold
    /// up the UDP loop).
    fn accept(&mut self, key: &ContainerKey, listener: &TcpListener) {
        while let Ok((stream, _)) = listener.accept() {
            if self.tcp_active.load(Ordering::SeqCst) >= MAX_TCP {
                continue; // dropped: closes the connection
            }
            self.tcp_active.fetch_add(1, Ordering::SeqCst);
            let active = self.tcp_active.clone();
            let names = self.names.clone();
            let upstream = self.upstream.clone();
            let upstreams = self.upstreams.clone();
            let key = key.clone();
            let spawned = std::thread::Builder::new()
                .name("dns-tcp".into())
                .spawn(move || {
                    serve_tcp(stream, &key, &*names, &*upstream, &upstreams);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            if spawned.is_err() {
                self.tcp_active.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

/// Read one length-prefixed DNS message (RFC 1035 4.2.2).
fn read_framed(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut msg)?;
    Ok(msg)
}

fn write_framed(stream: &mut TcpStream, msg: &[u8]) -> io::Result<()> {
    let len = u16::try_from(msg.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "message too long"))?;
    let mut out = Vec::with_capacity(msg.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(msg);
    stream.write_all(&out)
}

fn serve_tcp(
    mut stream: TcpStream,
    key: &ContainerKey,
    names: &dyn Names,
    upstream: &dyn Upstream,
    upstreams: &RwLock<Vec<SocketAddr>>,
) {
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(TCP_IDLE)).is_err()
        || stream.set_write_timeout(Some(TCP_IDLE)).is_err()
    {
        return;
    }
    while let Ok(query) = read_framed(&mut stream) {
        let reply = match message::respond(names, key, &query, Transport::Tcp) {
            Outcome::Reply(bytes) => bytes,
            Outcome::Drop => continue,
            Outcome::Forward => {
                let list = upstreams.read().map(|u| u.clone()).unwrap_or_default();
                forward_tcp(upstream, &list, &query)
                    .unwrap_or_else(|| message::header_reply(&query, message::RCODE_SERVFAIL))
            }
        };
        if write_framed(&mut stream, &reply).is_err() {
            return;
        }
    }
}

/// A TCP query sent on over TCP to each upstream in turn (as Docker forwards on the protocol the
/// query came on) until one answers with something other than SERVFAIL/REFUSED.
fn forward_tcp(upstream: &dyn Upstream, list: &[SocketAddr], query: &[u8]) -> Option<Vec<u8>> {
    for &server in list {
        let Ok(mut conn) = upstream.tcp(server, UPSTREAM_TIMEOUT) else {
            continue;
        };
        let ok = conn.set_read_timeout(Some(UPSTREAM_TIMEOUT)).is_ok()
            && conn.set_write_timeout(Some(UPSTREAM_TIMEOUT)).is_ok()
            && write_framed(&mut conn, query).is_ok();
        if !ok {
            continue;
        }
        let Ok(resp) = read_framed(&mut conn) else {
            continue;
        };
        if !message::answers_query(query, &resp) {
            continue;
        }
        match message::rcode(&resp) {
            message::RCODE_SERVFAIL | message::RCODE_REFUSED => continue,
            _ => return Some(resp),
        }
    }
    None
}
