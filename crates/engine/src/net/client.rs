//! Reaching the holder: start it when nobody has (under `<root>/net/holder.lock`, so two
//! starters never make two), connect, and ask it to wire or unwire a container's endpoints.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::Stdio;

use super::NetError;
use super::holder::{self, HolderInfo, Reply, Request};
use crate::container::Container;
use crate::helper::Helper;
use crate::runtime::{self, sys};
use crate::{EngineError, Result, Store};

/// `<root>/net/holder.lock`, taken exclusively (`wait`: blocking); None when busy.
pub(crate) fn lock_holder(store: &Store, wait: bool) -> Result<Option<File>> {
    let dir = holder::holder_dir(store);
    fs::create_dir_all(&dir).map_err(|e| EngineError::io(&dir, e))?;
    let path = dir.join("holder.lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| EngineError::io(&path, e))?;
    flock_holder(f, wait, &path)
}

/// [`lock_holder`] without making the lock (or the store's dirs) where it is gone: the
/// holder's own look before it exits, which must not bring back a store its remover is
/// deleting (a test's sandbox). NotFound when the lock is not there.
pub(crate) fn lock_existing_holder(store: &Store) -> Result<Option<File>> {
    let path = holder::holder_dir(store).join("holder.lock");
    let f = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| EngineError::io(&path, e))?;
    flock_holder(f, false, &path)
}

fn flock_holder(f: File, wait: bool, path: &std::path::Path) -> Result<Option<File>> {
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    match sys::flock(f.as_raw_fd(), op) {
        Ok(()) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(EngineError::io(path, e)),
    }
}

fn holder_err(what: impl Into<String>) -> EngineError {
    NetError::Holder(what.into()).into()
}

/// A connection to the running holder. While it is open the holder does not exit.
pub struct HolderConn {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
    pub info: HolderInfo,
}

/// Connect to the store's holder, starting it first when none runs.
pub fn connect(store: &Store) -> Result<HolderConn> {
    let _lock = lock_holder(store, true)?;
    let current = crate::store::read_json::<HolderInfo>(&holder::info_path(store))
        .ok()
        .filter(HolderInfo::alive);
    let info = match current {
        Some(i) => i,
        None => spawn(store)?,
    };
    let addr = holder::address(store).map_err(|e| holder_err(e.to_string()))?;
    let stream = UnixStream::connect_addr(&addr).map_err(|e| holder_err(e.to_string()))?;
    // Anyone may bind an abstract name: only a holder of ours wires our containers.
    if !crate::attach::peer_allowed(&stream) {
        return Err(holder_err("the network holder's socket is another user's"));
    }
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(20)));
    let reader = BufReader::new(stream.try_clone().map_err(|e| holder_err(e.to_string()))?);
    Ok(HolderConn {
        stream,
        reader,
        info,
    })
}

/// A running monitor of a networked container, whose namespaces a new holder can adopt.
fn adoptable(store: &Store) -> Option<i32> {
    store.containers().ok()?.into_iter().find_map(|c| {
        (c.is_running() && c.state.networks.values().any(|e| e.live()))
            .then_some(c.state.monitor_pid)
            .filter(|p| *p > 0)
    })
}

/// Start `gorae __net-holder` detached and wait until it listens. Rootless, a fresh holder
/// enters a new user namespace first and we write its id maps (as for a container).
fn spawn(store: &Store) -> Result<HolderInfo> {
    let adopt = adoptable(store);
    match spawn_holder(store, adopt) {
        // The namespaces could not be adopted (that monitor just exited): start afresh.
        Err(_) if adopt.is_some() => spawn_holder(store, None),
        r => r,
    }
}

fn spawn_holder(store: &Store, adopt: Option<i32>) -> Result<HolderInfo> {
    let mut cmd = Helper::NetHolder.command();
    if let Some(pid) = adopt {
        cmd.args(["--adopt", &pid.to_string()]);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    sys::on_spawn_setsid(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| holder_err(e.to_string()))?;
    if runtime::is_rootless() && adopt.is_none() {
        let ready = child.stderr.take().is_some_and(|err| {
            let mut line = String::new();
            BufReader::new(err).read_line(&mut line).is_ok() && line.trim() == "ready"
        });
        let mapped = ready && runtime::write_id_maps(child.id() as i32).is_ok();
        if let Some(mut go) = child.stdin.take() {
            let _ = go.write_all(if mapped { b"go" } else { b"no" });
        }
        if !mapped {
            let _ = child.kill();
            let _ = child.wait();
            return Err(holder_err("could not map the holder's user namespace"));
        }
    }
    let listening = child.stdout.take().is_some_and(|out| {
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line).is_ok() && line.trim() == "listening"
    });
    if !listening {
        let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
        return Err(holder_err(format!("it exited before listening ({code})")));
    }
    // Not waited for: it outlives us (the init or a subreaper reaps it).
    drop(child);
    crate::store::read_json::<HolderInfo>(&holder::info_path(store))
}

impl HolderConn {
    /// Send one request; the fd of N that came with its answer.
    pub fn request(&mut self, req: &Request) -> Result<OwnedFd> {
        match self.exchange(req)? {
            (Reply::Ok | Reply::Reserved { .. }, fd) => Ok(fd),
            (Reply::Failed(e), _) => Err(e.into()),
            (Reply::NoSpare, _) => Err(holder_err("no spare network namespace")),
        }
    }

    /// The spare network namespace for `container`'s init to join (`net::spare`), if the
    /// holder has one, and the name of its pair's end in N, which the container's first
    /// endpoint is to take (None from a holder of an earlier build, which renames it); its
    /// attach on this connection then uses the pair made in it.
    pub fn reserve(&mut self, container: &str) -> Option<(OwnedFd, Option<String>)> {
        let req = Request::Reserve {
            container: container.to_string(),
        };
        match self.exchange(&req) {
            Ok((Reply::Reserved { host }, fd)) => Some((fd, Some(host))),
            Ok((Reply::Ok, fd)) => Some((fd, None)),
            _ => None,
        }
    }

    /// Send one request; the reply and the fd that came with it.
    fn exchange(&mut self, req: &Request) -> Result<(Reply, OwnedFd)> {
        let mut line = serde_json::to_vec(req).map_err(|e| holder_err(e.to_string()))?;
        line.push(b'\n');
        self.stream
            .write_all(&line)
            .map_err(|e| holder_err(e.to_string()))?;
        let fd = sys::recv_owned_fd(self.stream.as_raw_fd())
            .ok_or_else(|| holder_err("it closed the connection"))?;
        let mut answer = String::new();
        self.reader
            .read_line(&mut answer)
            .map_err(|e| holder_err(e.to_string()))?;
        serde_json::from_str::<Reply>(&answer)
            .map(|r| (r, fd))
            .map_err(|e| holder_err(format!("bad reply: {e}")))
    }

    /// The holder's user namespace (rootless: where networked containers are made).
    pub fn userns_path(&self) -> String {
        format!("/proc/{}/ns/user", self.info.pid)
    }

    /// Wire every endpoint recorded in `c`'s state into the netns of `pid`. Returns an fd of
    /// N for the caller (a monitor) to hold while the container runs.
    pub fn attach_all(&mut self, store: &Store, c: &Container, pid: i32) -> Result<OwnedFd> {
        let nets = store.networks()?;
        let mut eps: Vec<&super::EndpointSettings> = c.state.networks.values().collect();
        eps.sort_by(|a, b| a.ifname.cmp(&b.ifname));
        let wirings = super::endpoint::wirings(&nets, &eps);
        self.request(&Request::Attach {
            container: c.id.clone(),
            pid,
            wirings,
        })
    }

    pub fn detach(&mut self, container: &str, host_veths: Vec<String>) -> Result<()> {
        self.request(&Request::Detach {
            container: container.to_string(),
            host_veths,
        })
        .map(|_| ())
    }
}

/// Reconcile's part: a holder was recorded but is gone (killed) while running containers
/// hold addresses: start one, which adopts their namespaces and repairs what is missing.
pub fn reconcile(store: &Store) {
    let Ok(info) = crate::store::read_json::<HolderInfo>(&holder::info_path(store)) else {
        return;
    };
    if info.alive() {
        return;
    }
    let needed = store.containers().is_ok_and(|all| {
        all.iter()
            .any(|c| c.is_running() && c.state.networks.values().any(|e| e.live()))
    });
    if needed && let Ok(mut conn) = connect(store) {
        let _ = conn.request(&Request::Ping);
    }
}
