//! Published ports: a user-space TCP proxy in the monitor, as docker-proxy does. The listener
//! is bound on the host before the container's process starts (a busy port fails the start,
//! leaving the container created, as Docker does); each
//! accepted connection is relayed to 127.0.0.1:<container port> inside the container's network
//! namespace, through a socket made there by the `Connector` process.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex};

use super::runtime::sys;

use super::container::PortBinding;
use super::{EngineError, Result};

/// Whether the host has IPv6 (then an unspecified host address publishes on `[::]` too).
pub fn ipv6_available() -> bool {
    std::path::Path::new("/proc/net/if_inet6").exists()
}

/// The host addresses a binding publishes on, as Docker shows them: no host address means
/// `0.0.0.0` and `::`.
pub fn published_ips(p: &PortBinding) -> Vec<&str> {
    if p.host_ip.is_empty() {
        if ipv6_available() {
            vec!["0.0.0.0", "::"]
        } else {
            vec!["0.0.0.0"]
        }
    } else {
        vec![p.host_ip.as_str()]
    }
}

/// `0.0.0.0:8080->80/tcp, [::]:8080->80/tcp` (ps, port).
pub fn published_text(p: &PortBinding) -> Vec<String> {
    published_ips(p)
        .into_iter()
        .map(|ip| {
            let host = if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.to_string()
            };
            format!("{host}:{}->{}/{}", p.host_port, p.container_port, p.proto)
        })
        .collect()
}

/// The network endpoint the ports are published on, named in a busy port's error as Docker
/// names it: the container's name and the endpoint's id.
pub struct PublishedOn<'a> {
    pub endpoint: &'a str,
    pub endpoint_id: &'a str,
}

/// Bind every TCP binding; host port 0 gets a free port, written back into the binding. No
/// host address binds `0.0.0.0` and, where the host has IPv6, `[::]` on the same port.
pub fn bind_ports(ports: &mut [PortBinding], on: &PublishedOn) -> Result<Vec<(TcpListener, u16)>> {
    let mut out = Vec::new();
    for p in ports.iter_mut() {
        if p.proto != "tcp" {
            continue;
        }
        let ip = if p.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &p.host_ip
        };
        let in_use = |ip: &str, port: u16, e: io::Error| {
            let addr = if ip.contains(':') {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            };
            if e.kind() == io::ErrorKind::AddrInUse {
                EngineError::PortInUse {
                    endpoint: on.endpoint.to_string(),
                    endpoint_id: on.endpoint_id.to_string(),
                    addr,
                }
            } else {
                EngineError::Bind { addr, source: e }
            }
        };
        let listener =
            TcpListener::bind((ip, p.host_port)).map_err(|e| in_use(ip, p.host_port, e))?;
        if p.host_port == 0 {
            p.host_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        }
        out.push((listener, p.container_port));
        if p.host_ip.is_empty() && ipv6_available() {
            let v6 =
                sys::tcp_listen_v6only(p.host_port).map_err(|e| in_use("::", p.host_port, e))?;
            out.push((v6, p.container_port));
        }
    }
    Ok(out)
}

fn relay(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}

/// Makes connections inside the container's network namespace on request: a process forked
/// from the monitor (while it is still single-threaded) that joins the container's user and
/// network namespaces — a multithreaded process could not join a user namespace, which
/// rootless containers have — and hands connected sockets back over a unix socket.
pub struct Connector {
    control: Mutex<RawFd>,
}

impl Connector {
    /// Fork the connector for the container whose init is `pid`; it connects to `target`.
    pub fn start(pid: i32, target: std::net::Ipv4Addr) -> Result<Connector> {
        let (ours, theirs) = sys::socketpair().map_err(EngineError::Sys)?;
        // The monitor is single-threaded here; the child only makes syscalls and exits.
        match sys::fork()? {
            sys::Forked::Child => {
                // Nothing of the monitor's (its listeners, its attach socket) stays open here:
                // a monitor restarting its container binds them again.
                sys::close_fds_except(theirs);
                let code = connector_main(pid, target, theirs);
                sys::exit_now(code)
            }
            sys::Forked::Parent(_) => {
                sys::close(theirs);
                Ok(Connector {
                    control: Mutex::new(ours),
                })
            }
        }
    }

    /// A TCP connection to the container's address, `port`, inside its network namespace.
    fn connect(&self, port: u16) -> Option<TcpStream> {
        let fd = self.control.lock().ok()?;
        if !sys::write_all(*fd, &port.to_be_bytes()) {
            return None;
        }
        sys::recv_owned_fd(*fd).map(TcpStream::from)
    }
}

fn connector_main(pid: i32, target: std::net::Ipv4Addr, control: RawFd) -> i32 {
    use std::path::Path;
    let ns = |name: &str| format!("/proc/{pid}/ns/{name}");
    let same_user =
        std::fs::read_link(ns("user")).ok() == std::fs::read_link("/proc/self/ns/user").ok();
    if !same_user && sys::setns_path(Path::new(&ns("user")), libc::CLONE_NEWUSER).is_err() {
        return 1;
    }
    if sys::setns_path(Path::new(&ns("net")), libc::CLONE_NEWNET).is_err() {
        return 1;
    }
    let born = std::time::Instant::now();
    let mut req = [0u8; 2];
    loop {
        match sys::read(control, &mut req) {
            Ok(2) => {}
            _ => return 0,
        }
        let port = u16::from_be_bytes(req);
        match connect_while_starting(target, port, born) {
            Ok(s) => {
                if !sys::send_fd(control, s.as_raw_fd()) {
                    return 0;
                }
            }
            // Nothing listens there: answer with no fd.
            Err(_) => {
                if !sys::write_all(control, b"x") {
                    return 0;
                }
            }
        }
    }
}

/// How long after a container starts a refused connection is tried again.
const STARTING_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Connect to `target:port`; while the container is young (`born` less than
/// [`STARTING_GRACE`] ago) a refused connection is retried. gorae's `run -d` returns in a few
/// milliseconds, before a server such as nginx has bound its port, so the `curl` a learner
/// types right after it would otherwise be reset; Docker's slower start hides the same race.
/// Later, nothing listening is answered at once, as docker-proxy does.
fn connect_while_starting(
    target: std::net::Ipv4Addr,
    port: u16,
    born: std::time::Instant,
) -> io::Result<TcpStream> {
    loop {
        match TcpStream::connect((target, port)) {
            Err(e)
                if e.kind() == io::ErrorKind::ConnectionRefused
                    && born.elapsed() < STARTING_GRACE =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

/// Start one proxy thread per listener, relaying through `connector`.
pub fn spawn_proxies(listeners: Vec<(TcpListener, u16)>, connector: Arc<Connector>) {
    for (listener, container_port) in listeners {
        let connector = connector.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                // Nothing listens in the container (yet): close, as docker-proxy does.
                let Some(upstream) = connector.connect(container_port) else {
                    continue;
                };
                let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) else {
                    continue;
                };
                std::thread::spawn(move || relay(client, upstream));
                std::thread::spawn(move || relay(u2, c2));
            }
        });
    }
}
