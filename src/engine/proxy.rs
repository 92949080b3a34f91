//! Published ports: a user-space TCP proxy in the monitor, as docker-proxy does. The listener
//! is bound on the host before the container starts (so a busy port fails cleanly); each
//! accepted connection is relayed to 127.0.0.1:<container port> inside the container's network
//! namespace, which the proxy thread enters with setns (it only affects that thread).

use std::fs::File;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use super::container::PortBinding;
use super::{EngineError, Result};

/// Bind every TCP binding; host port 0 gets a free port, written back into the binding.
pub fn bind_ports(ports: &mut [PortBinding]) -> Result<Vec<(TcpListener, u16)>> {
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
        let listener = TcpListener::bind((ip, p.host_port)).map_err(|e| {
            if e.kind() == io::ErrorKind::AddrInUse {
                EngineError::PortInUse(format!("{ip}:{}", p.host_port))
            } else {
                EngineError::Runtime(format!("bind {ip}:{}: {e}", p.host_port))
            }
        })?;
        if p.host_port == 0 {
            p.host_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        }
        out.push((listener, p.container_port));
    }
    Ok(out)
}

/// Check that the bindings are free (before anything is created), then release them.
pub fn check_ports(ports: &[PortBinding]) -> Result<()> {
    let mut copy: Vec<PortBinding> = ports.iter().filter(|p| p.host_port != 0).cloned().collect();
    bind_ports(&mut copy).map(|_| ())
}

fn relay(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}

/// Start one proxy thread per listener, relaying into the network namespace of `pid`.
pub fn spawn_proxies(listeners: Vec<(TcpListener, u16)>, pid: i32) {
    for (listener, container_port) in listeners {
        let Ok(netns) = File::open(format!("/proc/{pid}/ns/net")) else {
            continue;
        };
        std::thread::spawn(move || {
            // SAFETY: setns on a namespace fd we hold; affects only this thread.
            if unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return;
            }
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                let Ok(upstream) = TcpStream::connect(("127.0.0.1", container_port)) else {
                    // Nothing listens in the container (yet): close, as docker-proxy does.
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
