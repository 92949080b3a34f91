//! The per-container monitor (podman's conmon is the model): a small process started by the CLI
//! (`gorae __monitor <id>`) in its own session, so the container outlives the CLI. It clones the
//! container, holds its terminal or pipes, writes the logs, serves attach clients over
//! an abstract unix socket (`engine::attach::address`), and records the exit code and finish time.
//!
//! Startup handshake on the monitor's stdout (a pipe from the CLI): `listening\n` once the socket is bound, then
//! `started <pid>\n` or `error <code> <EngineError as JSON>\n`. With `--wait-attach` the container starts only
//! when the first client sends START (after an optional RESIZE), so no output is lost.
//!
//! When the process exits and its restart policy says so (`restart`), the monitor waits out the
//! back-off and re-executes itself with `--restarted <ms>` for the next run (no status pipe
//! then: nobody waits for it). Otherwise it starts the store's next monitor ahead before it
//! exits (`spare`), unless one is waiting already.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use super::attach::{self, FrameBuffer};
use super::container::{Container, process_start_time};
use super::runtime::{self, Spec, Stdio, cgroup, sys};
use super::time::rfc3339_now;
use super::trace::{INIT_PHASES, Phase, Trace};
use super::{Action, EngineError, Event, Result, Store, net};

mod log;
mod made;
pub mod spare;

use made::{AheadInit, Made};

pub use log::LOG_MAX_BYTES;

/// Where `--init`'s binary is bound inside the container (Docker's path).
const INIT_TARGET: &str = "/sbin/docker-init";

struct Client {
    stream: UnixStream,
    frames: FrameBuffer,
}

fn status(fd: &mut Option<File>, line: &str) {
    if let Some(f) = fd.as_mut() {
        let _ = f.write_all(line.as_bytes());
        let _ = f.write_all(b"\n");
        let _ = f.flush();
    }
}

/// Files the container sees as /etc/hostname, /etc/hosts, /etc/resolv.conf (contents from
/// `net::endpoint`: its address once it has one, the embedded DNS on user networks).
/// `nets`: the store's networks (as read when its endpoints were allocated).
fn write_etc_files(
    dir: &Path,
    c: &Container,
    nets: &[net::record::Network],
) -> Result<Vec<(PathBuf, String)>> {
    let hostname = dir.join("hostname");
    let hosts = dir.join("hosts");
    let resolv = dir.join("resolv.conf");
    let w = |p: &Path, s: String| fs::write(p, s).map_err(|e| EngineError::io(p, e));
    w(&hostname, format!("{}\n", c.config.hostname))?;
    w(&hosts, net::endpoint::hosts_file(c))?;
    let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    w(&resolv, net::endpoint::resolv_file(c, nets, &host_resolv))?;
    Ok(vec![
        (hostname, "/etc/hostname".into()),
        (hosts, "/etc/hosts".into()),
        (resolv, "/etc/resolv.conf".into()),
    ])
}

/// Entry point of `gorae __monitor <id> [--await-create] [--wait-attach] [--trace]`. Returns
/// the process exit code. With `--await-create` it waits for "go" on stdin (the record made
/// after the spawn); with `--trace` the attached client gets the start's spans (`trace`)
/// before the exit.
pub fn main(args: &[String]) -> i32 {
    main_with(args, None)
}

/// [`main`], in a spare monitor that was claimed with its next container's init and cgroups
/// made (`spare::Ready`).
fn main_with(args: &[String], ready: Option<spare::Ready>) -> i32 {
    // Signals that would kill the monitor when its CLI or terminal goes away.
    sys::ignore_signals(&[libc::SIGHUP, libc::SIGINT, libc::SIGPIPE, libc::SIGTERM]);
    let Some(id) = args.first() else {
        return 2;
    };
    // A rootless run joins its holder's user namespace; a monitor that did cannot be the
    // next run's spare (`spare::offer`).
    let userns = fs::read_link("/proc/self/ns/user").ok();
    let wait_attach = args.iter().any(|a| a == "--wait-attach");
    // A restart policy's next run (`restart`): the back-off before it, and no CLI waiting.
    let restarted = restart_arg(args);
    // stdout is the status pipe the CLI passed (`Store::start_monitor`); it is ours from here
    // on, and nothing printed by accident can reach it. A restarted run is the same process
    // after exec: its session is made and no CLI waits on it.
    let mut status_fd = if restarted.is_some() {
        None
    } else {
        // Our own session: the container outlives the CLI and its terminal.
        sys::setsid();
        take_stdout()
    };
    let store = match Store::open_default() {
        Ok(s) => s,
        Err(e) => {
            status(
                &mut status_fd,
                &format!("error {} {}", e.exit_code(), e.encode()),
            );
            return 125;
        }
    };
    // Spawned before its container was created (`Store::spawn_monitor`): on with it once the
    // CLI says the record is there. Its cgroups (gorae's default limits; the record's are
    // applied once read) are made meanwhile, while the CLI still writes the record: ~0.6 ms
    // of mkdirs and writes off the start's path.
    let awaiting = args.iter().any(|a| a == "--await-create");
    // The ID is the one `Store::spawn_monitor` drew for a container it has yet to create.
    // A spare's are renamed to the container's, its init in them.
    let ahead = (awaiting && crate::container::is_full_id(id)).then(|| {
        let from = super::trace::now();
        let made = ready.and_then(|r| r.take_for(id)).unwrap_or_else(|| Made {
            cgroups: cgroup::create(id),
            init: AheadInit::None,
            moved: Vec::new(),
        });
        (made, from, super::trace::now())
    });
    if awaiting && !record_created() {
        // A run that failed before its record: nobody's. A record there is another
        // monitor's to start (a claim answered too late, its CLI spawned one): not ours.
        // The record, not the dir: a CLI killed between the two leaves a dir that no
        // record, and so no `rm`, ever names (reconcile removes it later).
        if let Some((made, ..)) = ahead {
            // (An init is abandoned only in `run`, which this never reached.)
            drop(made.init);
            if !store.container_record_path(id).exists() {
                made.cgroups.remove();
            }
        }
        drop(status_fd);
        spare::offer(&store, fs::read_link("/proc/self/ns/user").ok() == userns);
        return 0;
    }
    let mut trace = Trace::new(args.iter().any(|a| a == "--trace"));
    let previous = restarted.unwrap_or_default();
    let mut next = None;
    let mut made = ahead.map(|(made, from, to)| {
        trace.span(Phase::CgroupCreate, from, to);
        made
    });
    let result = run(
        &store,
        id,
        wait_attach,
        &mut status_fd,
        previous,
        &mut next,
        &mut trace,
        &mut made,
    );
    // What is left to undo once the run is over: an init `run` did not take (before its
    // cgroups go: a cgroup with a process in it stays), one it abandoned (reaped in `run`
    // once the container ran, unless it had not ended by then), the cgroups.
    let cgroups = made.map(|m| {
        if let AheadInit::Abandoned(pid) = m.init {
            sys::wait_child(pid, false);
        }
        m.cgroups
    });
    // Gone already, unless the run failed before it used them.
    if let Some(cg) = cgroups {
        cg.remove();
    }
    // Addresses are ours only while the container runs (others see them free once we are
    // gone anyway; this keeps the record honest).
    let _ = store.update_container(id, |c| c.state.networks.clear());
    if let Some(delay) = next
        && super::restart::back_off(&store, id, delay)
    {
        restart_now(id, delay);
    }
    // Not restarted (or the exec failed): a record left `restarting` is exited.
    super::restart::settle(&store, id);
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            status(
                &mut status_fd,
                &format!("error {} {}", e.exit_code(), e.encode()),
            );
            125
        }
    };
    drop(status_fd);
    spare::offer(&store, fs::read_link("/proc/self/ns/user").ok() == userns);
    code
}

/// Whether the CLI said "go" on stdin (which is /dev/null after): false at EOF before it
/// (the CLI that spawned us had no container to start after all).
fn record_created() -> bool {
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if let Ok(null) = File::open("/dev/null") {
        let _ = sys::dup_onto(null.as_raw_fd(), 0);
    }
    read.is_ok() && line.trim_end() == "go"
}

/// `--restarted <ms>`: this run follows a restart policy's back-off of that many ms.
fn restart_arg(args: &[String]) -> Option<std::time::Duration> {
    let i = args.iter().position(|a| a == "--restarted")?;
    let ms = args.get(i + 1)?.parse().ok()?;
    Some(std::time::Duration::from_millis(ms))
}

/// The restart policy's next run: this process again, fresh (single-threaded, nothing bound),
/// with the same pid, so the record's monitor stays the same. Returns only if exec failed.
fn restart_now(id: &str, delay: std::time::Duration) {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new("/proc/self/exe");
    if let Some(arg0) = std::env::args_os().next() {
        cmd.arg0(arg0);
    }
    // exec returns only its error; the caller settles the record either way.
    let _ = cmd
        .arg(super::helper::Helper::Monitor.arg())
        .arg(id)
        .arg("--restarted")
        .arg(delay.as_millis().to_string())
        .exec();
}

/// One run of the container; `previous`: the restart back-off before it (zero for a start by
/// the user), `next`: set when its restart policy starts it again; `made`: its cgroups and
/// init, made while the record was written (None: cgroups made here, the init cloned here).
#[allow(clippy::too_many_arguments)]
fn run(
    store: &Store,
    id: &str,
    wait_attach: bool,
    status_fd: &mut Option<File>,
    previous: std::time::Duration,
    next: &mut Option<std::time::Duration>,
    trace: &mut Trace,
    made: &mut Option<Made>,
) -> Result<i32> {
    let c = store.load_container(id)?;
    if !previous.is_zero() && c.state.stopped_by_user {
        // Stopped while this restart was on its way: it stays exited (settled by `main`).
        return Ok(c.state.exit_code.unwrap_or(0));
    }
    let lowers = store.container_lowers(&c.image_id)?;
    let dir = store.container_dir(id);
    let mode = net::NetworkMode::parse(&c.config.network_mode);
    let networked = matches!(mode, net::NetworkMode::Bridge(_));
    // The holder before the clone: rootless, networked containers are made in its user
    // namespace (joined while we are single-threaded), so it may configure their netns. And
    // before the addresses: the netns it made ahead (`net::spare`) has the pair for the first
    // endpoint in it, whose end in N that endpoint is to be named after.
    let mut holder = if networked {
        Some(net::client::connect(store)?)
    } else {
        None
    };
    let (spare, spare_host) = match holder.as_mut().and_then(|h| h.reserve(id)) {
        Some((fd, host)) => (Some(fd), host),
        None => (None, None),
    };
    trace.lap(Phase::HolderConnect);
    // Addresses next, so /etc/hosts can name ours.
    let (c, nets) = if networked {
        store.allocate_endpoints(id, spare_host)?
    } else {
        (c, Vec::new())
    };
    trace.lap(Phase::MonitorLoad);
    let etc_files = write_etc_files(&dir, &c, &nets)?;
    trace.lap(Phase::EtcFiles);
    let sock_path = dir.join("attach");
    let listener = attach::listen(&store.root, id).map_err(|e| EngineError::io(&sock_path, e))?;
    status(status_fd, "listening");
    trace.lap(Phase::Listen);

    let mut clients: Vec<Client> = Vec::new();
    let mut size = (24u16, 80u16);
    if wait_attach {
        // Wait (bounded) for the CLI that asked for this start to attach and say START.
        if !client_coming(&listener, status_fd.as_ref(), 30) {
            // It died first (killed with its terminal, say): as with Docker, a `run` whose
            // client died before the start leaves the container created, not started.
            return Ok(0);
        }
        let _ = set_accept_timeout(&listener, 30);
        if let Ok((stream, _)) = listener.accept().and_then(|(s, a)| {
            if attach::peer_allowed(&s) {
                Ok((s, a))
            } else {
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            }
        }) {
            let mut client = Client {
                stream,
                frames: FrameBuffer::default(),
            };
            let _ = client
                .stream
                .set_read_timeout(Some(std::time::Duration::from_secs(30)));
            while let Ok((kind, payload)) = attach::read_frame(&mut client.stream) {
                if kind == attach::RESIZE && payload.len() == 4 {
                    size = (
                        u16::from_be_bytes([payload[0], payload[1]]),
                        u16::from_be_bytes([payload[2], payload[3]]),
                    );
                }
                if kind == attach::START {
                    break;
                }
            }
            let _ = client.stream.set_read_timeout(None);
            clients.push(client);
        }
    }
    trace.lap(Phase::AttachWait);
    listener
        .set_nonblocking(true)
        .map_err(|e| EngineError::io(&sock_path, e))?;

    // Stdio: a pty, or pipes (stdin only with -i).
    let tty = c.config.tty;
    let mut pty_socket = -1;
    let (stdio, mut out_fds, mut stdin_fd, child_fds) = if tty {
        let (ours, theirs) = sys::socketpair().map_err(EngineError::Sys)?;
        pty_socket = ours;
        (
            Stdio::Tty { socket: theirs },
            Vec::new(),
            None,
            vec![theirs],
        )
    } else {
        let (in_r, in_w) = if c.config.stdin_open {
            sys::pipe().map_err(EngineError::Sys)?
        } else {
            let null = File::open("/dev/null").map_err(|e| EngineError::io("/dev/null", e))?;
            (null.into_raw_fd(), -1)
        };
        let (out_r, out_w) = sys::pipe().map_err(EngineError::Sys)?;
        let (err_r, err_w) = sys::pipe().map_err(EngineError::Sys)?;
        (
            Stdio::Pipes {
                stdin: in_r,
                stdout: out_w,
                stderr: err_w,
            },
            vec![(out_r, "stdout"), (err_r, "stderr")],
            (in_w >= 0).then_some(in_w),
            vec![in_r, out_w, err_w],
        )
    };

    // Published ports are bound before the container's process exists: a busy port fails the
    // start and the record stays created, as Docker leaves it.
    let mut ports = c.config.ports.clone();
    let on = super::proxy::PublishedOn {
        endpoint: &c.name,
        endpoint_id: c
            .state
            .networks
            .values()
            .find(|e| e.ifname == "eth0")
            .map_or("", |e| e.endpoint_id.as_str()),
    };
    let listeners = match super::proxy::bind_ports(&mut ports, &on) {
        Ok(l) => l,
        Err(e) => {
            // An attached client waits for the start: it hears why there is none.
            tell_failure(&mut clients, &e);
            return Err(e);
        }
    };
    if ports != c.config.ports {
        store.update_container(id, |c| c.config.ports = ports.clone())?;
    }
    let mut mounts = store.runtime_mounts(&c)?;
    let mut argv = c.config.argv.clone();
    if c.config.init == Some(true) {
        // Docker's layout: the init bound read-only at /sbin/docker-init, the command after
        // `--`; inspect's Path/Args stay the user's.
        mounts.push(runtime::mounts::Mount {
            source: runtime::mounts::MountSource::Bind(store.init_binary()?),
            target: INIT_TARGET.into(),
            readonly: true,
            copy_up: false,
        });
        argv.splice(0..0, [INIT_TARGET.to_string(), "--".to_string()]);
    }
    trace.lap(Phase::Prepare);
    let limits = c.config.resources.limits();
    let cg = match made.as_ref() {
        Some(m) => {
            if limits != cgroup::Limits::default() {
                cgroup::update_limits(id, &limits);
            }
            m.cgroups.clone()
        }
        None => {
            let cg = cgroup::create_with(id, &limits);
            trace.lap(Phase::CgroupCreate);
            cg
        }
    };
    // v2: the init is cloned into its cgroup, so nobody moves it (a move may wait for an RCU
    // grace period, see `cgroup::SELF_JOIN`).
    let into_cgroup = cg.v2_dir().and_then(|d| File::open(d).ok());
    let rootless = runtime::is_rootless();
    if rootless && let Some(h) = &holder {
        sys::setns_path(Path::new(&h.userns_path()), libc::CLONE_NEWUSER)
            .map_err(EngineError::Sys)?;
    }
    let (trace_r, trace_w) = if trace.is_on() {
        sys::pipe().map_err(EngineError::Sys)?
    } else {
        (-1, -1)
    };
    let spec = Spec {
        lowers,
        upper: store.upper_dir(id),
        work: store.work_dir(id),
        rootfs: dir.join("rootfs"),
        hostname: c.config.hostname.clone(),
        argv,
        env: c.config.env.clone(),
        workdir: c.config.workdir.clone(),
        user: c.config.user.clone(),
        etc_files,
        allow_mknod: cg.devices_guarded,
        rootless,
        new_user_ns: rootless && holder.is_none(),
        net: match &spare {
            _ if mode == net::NetworkMode::Host => runtime::NetNs::Host,
            Some(fd) => runtime::NetNs::Join(fd.as_raw_fd()),
            None => runtime::NetNs::New,
        },
        mounts,
        cgroup_tasks: cg.self_join_files(),
        into_cgroup: into_cgroup.as_ref().map(|d| d.as_raw_fd()),
        trace_fd: trace_w,
    };
    // An init made ahead gets the spec (one that fits: it has no user namespace of its own);
    // where there is none, or it is gone, one is cloned now.
    let handed = made.as_mut().and_then(|m| {
        let init = m
            .init
            .take_waiting()
            .filter(|_| runtime::ahead::Ahead::fits(&spec))?;
        if runtime::ahead::Ahead::sees_mounts_at(&spec, &m.moved) {
            // The host's tree changed where this container looks (a new mount under a bind
            // source, say): a fresh clone copies the tree as it is now. Reaped once the
            // container runs: the teardown of its namespaces takes a while.
            m.init = AheadInit::Abandoned(init.abandon());
            return None;
        }
        init.hand(&spec, stdio).ok()
    });
    let (pid, in_cgroup, sync_w, err_r) = match handed {
        Some(h) => (h.pid, true, h.sync_write, h.err_read),
        None => {
            let (sync_r, sync_w) = sys::pipe().map_err(EngineError::Sys)?;
            let (err_r, err_w) = sys::pipe().map_err(EngineError::Sys)?;
            let (pid, in_cgroup) = runtime::spawn_container(
                &spec,
                stdio,
                runtime::SyncPipe {
                    read: sync_r,
                    write: sync_w,
                },
                err_w,
            )
            .map_err(EngineError::Start)?;
            sys::close(sync_r);
            sys::close(err_w);
            (pid, in_cgroup, sync_w, err_r)
        }
    };
    // A `--rm` container's mount namespace, held until the CLI has its exit: the kernel
    // unmounts a namespace's mounts when its last user goes, and the init's exit would
    // otherwise wait for that (an RCU grace period) before we hear of it. Any other
    // container's goes with its init: a `start` right after the exit mounts its root again,
    // and this monitor must be gone by then (its attach socket, its overlay).
    let mount_ns = c
        .config
        .auto_remove
        .then(|| File::open(format!("/proc/{pid}/ns/mnt")).ok())
        .flatten();
    for fd in child_fds {
        sys::close(fd);
    }
    drop(spare);
    drop(into_cgroup);
    sys::close(trace_w);
    trace.lap(Phase::Clone);
    let cloned = super::trace::now();
    // Moving the init into v2 cgroups (where it could not be cloned there) may wait for an
    // RCU grace period (milliseconds): a thread does it while the holder wires the endpoints
    // and the init makes its root (`runtime::container_init`; in v1 the init joins by
    // itself); the init runs nothing of the image's before our "go".
    let (wired, joined) = std::thread::scope(|s| {
        let join = || {
            let t = super::trace::now();
            cg.add(pid);
            (t, super::trace::now())
        };
        let joining = (cg.needs_add() && !in_cgroup)
            .then(|| std::thread::Builder::new().spawn_scoped(s, join));
        let wired = (|| -> Result<Option<std::os::fd::OwnedFd>> {
            if spec.new_user_ns {
                runtime::write_id_maps(pid).map_err(EngineError::Sys)?;
            }
            trace.lap(Phase::IdMaps);
            // Wire its endpoints before it runs; we hold N while it lives (a holder killed
            // meanwhile is replaced by one that adopts N from us).
            holder
                .as_mut()
                .map(|h| h.attach_all(store, &c, pid))
                .transpose()
        })();
        trace.lap(Phase::NetworkAttach);
        let joined = match joining {
            Some(Ok(j)) => j.join().ok(),
            Some(Err(_)) => Some(join()),
            None => None,
        };
        (wired, joined)
    });
    if let Some((from, to)) = joined {
        trace.span(Phase::CgroupJoin, from, to);
    }
    let _infra_ns = match wired {
        Ok(fd) => fd,
        Err(e) => {
            sys::kill(pid, libc::SIGKILL);
            // An init that failed to make its root is why (its fds are closed once it is
            // dead, so this read ends): say that, not what it broke here.
            let told = read_to_end(err_r);
            if told.is_empty() {
                sys::wait_child(pid, false);
                cg.remove();
                return Err(e);
            }
            return Ok(init_failed(
                store,
                id,
                pid,
                &cg,
                &told,
                &mut clients,
                status_fd,
            ));
        }
    };
    drop(holder);
    sys::write_all(sync_w, b"go");
    sys::close(sync_w);
    if tty {
        // The init sends its pty master once its root is ready (or dies trying).
        if let Some(master) = sys::recv_fd(pty_socket) {
            sys::set_window_size(master, size.0, size.1);
            out_fds.push((master, "stdout"));
            stdin_fd = Some(master);
        }
        sys::close(pty_socket);
    }
    let err_msg = read_to_end(err_r);
    if trace.is_on() {
        // The init's checkpoints (phase index, time): its write end closed on exec.
        let stamps = read_to_end(trace_r);
        let marks: Vec<(Phase, u64)> = stamps
            .chunks_exact(9)
            .filter_map(|b| {
                let phase = *INIT_PHASES.get(b[0] as usize)?;
                Some((phase, u64::from_le_bytes(b[1..9].try_into().ok()?)))
            })
            .collect();
        trace.checkpoints(cloned, &marks);
        trace.lap(Phase::Exec);
    }
    if !err_msg.is_empty() {
        return Ok(init_failed(
            store,
            id,
            pid,
            &cg,
            &err_msg,
            &mut clients,
            status_fd,
        ));
    }

    let me = std::process::id() as i32;
    let started = std::time::Instant::now();
    // A stop that came while a restart was starting this run (`stopped_by_user` is cleared
    // only by a user's start) ends it right away.
    let mut stopped_meanwhile = false;
    let c = store.update_container(id, |c| {
        stopped_meanwhile = c.state.stopped_by_user;
        c.state.status = "running".into();
        c.state.pid = pid;
        c.state.monitor_pid = me;
        c.state.monitor_start = process_start_time(me).unwrap_or(0);
        c.state.exit_code = None;
        c.state.started_at = rfc3339_now();
        c.state.finished_at = String::new();
        c.state.oom_killed = false;
        super::health::on_start(c);
    })?;
    if stopped_meanwhile {
        sys::kill(pid, libc::SIGKILL);
    }
    if let Some(m) = made.as_mut()
        && let AheadInit::Abandoned(pid) = m.init
    {
        m.init = AheadInit::None;
        if sys::wait_child(pid, true).is_none() {
            // Not gone yet (its namespaces' teardown): reaped by a thread whenever it is,
            // rather than a zombie in the container's cgroups for as long as the container
            // runs.
            let _ = std::thread::Builder::new().spawn(move || sys::wait_child(pid, false));
        }
    }
    trace.lap(Phase::RecordRunning);
    store.emit_volume_mounts(&c, Action::Mount);
    store.emit_network_membership(&c, Action::Connect, c.state.networks.values());
    store.emit(Event::container(Action::Start, &c));
    trace.lap(Phase::EventsStart);
    for cl in clients.iter_mut() {
        let _ = attach::write_frame(&mut cl.stream, attach::STARTED, &[]);
    }
    if !listeners.is_empty() {
        // Should the fork fail, the container still runs; only its ports stay closed.
        // To the container's address on its first network (loopback without one).
        let target = c
            .state
            .networks
            .values()
            .find(|e| e.ifname == "eth0")
            .and_then(|e| e.ip.parse().ok())
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST);
        if let Ok(conn) = super::proxy::Connector::start(pid, target) {
            super::proxy::spawn_proxies(listeners, std::sync::Arc::new(conn));
        }
    }
    status(status_fd, &format!("started {pid}"));
    *status_fd = None;
    // Nothing of ours should keep the CLI's terminal: stdio goes to /dev/null.
    redirect_stdio_to_null();
    // Its health checker, while it runs (ended when this returns).
    let _health = super::health::spawn(&c);

    let running = c.clone();
    let code = serve(
        store,
        &c,
        pid,
        &listener,
        &mut clients,
        out_fds,
        stdin_fd,
        tty,
    );
    trace.lap(Phase::Run);
    let oom = cg.oom_killed();
    let exited = |c: &mut Container| {
        c.state.status = "exited".into();
        c.state.exit_code = Some(code);
        c.state.finished_at = rfc3339_now();
        c.state.pid = 0;
        c.state.oom_killed = oom;
        c.state.networks.clear();
        super::health::on_stop(&mut c.state);
    };
    let auto_remove = running.config.auto_remove;
    // Record the exit before the cgroup cleanup, which waits for the namespace's last
    // processes: `ps` should not show a dead container as up meanwhile. A `--rm` container's
    // record goes with it (unlisted below), so its exit is only told, and its cgroups, whose
    // name no later container takes, go once the CLI has its exit.
    let updated = if auto_remove {
        store.load_container(id).map(|mut c| {
            exited(&mut c);
            c
        })
    } else {
        store.update_container(id, |c| {
            exited(c);
            *next = super::restart::on_exit(c, started.elapsed(), previous);
        })
    };
    trace.lap(Phase::RecordExit);
    if !auto_remove {
        cg.remove();
        trace.lap(Phase::CgroupRemove);
    }
    let c = updated?;
    store.emit(Event::container(Action::Die, &c).attr("exitCode", code.to_string()));
    store.emit_network_membership(&c, Action::Disconnect, running.state.networks.values());
    store.emit_volume_mounts(&c, Action::Unmount);
    trace.lap(Phase::EventsDie);
    // `run --rm` returns once the container is gone, as Docker's does: unlist it before
    // telling the attached CLI, or its next `ps -a` could still list it. Its files go after
    // (unlinks take ~0.7 ms that the CLI need not wait for).
    let removed = if auto_remove {
        store.unlist_container(&c)
    } else {
        Ok(None)
    };
    // The attach socket's name is free before the CLI hears of the exit: a `start` of this
    // container right after binds it for its own monitor while this one finishes.
    drop(listener);
    if trace.is_on() {
        trace.lap(Phase::Remove);
        let spans = trace.encode();
        for cl in clients.iter_mut() {
            let _ = attach::write_frame(&mut cl.stream, attach::TRACE, &spans);
        }
    }
    for cl in clients.iter_mut() {
        let _ = attach::write_frame(&mut cl.stream, attach::EXIT, &code.to_be_bytes());
    }
    drop(mount_ns);
    if auto_remove {
        cg.remove();
    }
    if let Ok(Some(trash)) = &removed {
        crate::archive::remove_tree(trash);
    }
    removed.map(|_| 0)
}

/// The status pipe from stdout, as its own close-on-exec file; stdout becomes /dev/null.
fn take_stdout() -> Option<File> {
    use std::os::fd::AsFd;
    let status = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    if let Ok(null) = OpenOptions::new().write(true).open("/dev/null") {
        let _ = sys::dup_onto(null.as_raw_fd(), 1);
    }
    Some(File::from(status))
}

/// Read `fd` to its end and close it.
fn read_to_end(fd: RawFd) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(mut f) = sys::inherited_file(fd) {
        let _ = std::io::Read::read_to_end(&mut f, &mut out);
    }
    out
}

/// The init reported `told` (an encoded `InitFailure`) and died: record its exit code, tell
/// the clients and the CLI. Returns the code.
fn init_failed(
    store: &Store,
    id: &str,
    pid: i32,
    cg: &cgroup::Cgroups,
    told: &[u8],
    clients: &mut [Client],
    status_fd: &mut Option<File>,
) -> i32 {
    let failure = EngineError::Start(runtime::InitFailure::decode(told));
    let code = failure.exit_code();
    let msg = failure.encode();
    sys::wait_child(pid, false);
    cg.remove();
    let _ = store.update_container(id, |c| {
        c.state.exit_code = Some(code);
    });
    tell_failure(clients, &failure);
    status(status_fd, &format!("error {code} {msg}"));
    code
}

/// Tell the attached clients the start failed, and why (an ERROR frame: code, encoded error).
fn tell_failure(clients: &mut [Client], failure: &EngineError) {
    let mut payload = failure.exit_code().to_be_bytes().to_vec();
    payload.extend_from_slice(failure.encode().as_bytes());
    for cl in clients.iter_mut() {
        let _ = attach::write_frame(&mut cl.stream, attach::ERROR, &payload);
    }
}

fn redirect_stdio_to_null() {
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        for fd in 0..3 {
            let _ = sys::dup_onto(null.as_raw_fd(), fd);
        }
    }
}

/// Wait up to `secs` for a client to connect to `listener`. False when the CLI that started us
/// went away first: the read end of the status pipe closed (POLLERR on our end), so nobody
/// is coming to attach. True on a connection, and on timeout (the caller's accept decides).
fn client_coming(listener: &UnixListener, status_fd: Option<&File>, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return true;
        }
        // A negative fd is ignored by poll: without a status pipe only the socket counts.
        let mut fds = [
            sys::pollfd(listener.as_raw_fd(), libc::POLLIN),
            sys::pollfd(status_fd.map_or(-1, |f| f.as_raw_fd()), 0),
        ];
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        if let Err(e) = sys::poll(&mut fds, ms) {
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return true;
        }
        if fds[0].revents & libc::POLLIN != 0 {
            return true;
        }
        if fds[1].revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            return false;
        }
    }
}

fn set_accept_timeout(listener: &UnixListener, secs: i32) -> std::io::Result<()> {
    sys::set_recv_timeout(listener.as_raw_fd(), secs)
}

/// The monitor's loop: output to logs and clients, client input to the container, until the
/// container's init exits. Returns its exit code.
#[allow(clippy::too_many_arguments)]
fn serve(
    store: &Store,
    c: &Container,
    pid: i32,
    listener: &UnixListener,
    clients: &mut Vec<Client>,
    mut out_fds: Vec<(RawFd, &'static str)>,
    mut stdin_fd: Option<RawFd>,
    tty: bool,
) -> i32 {
    let mut log = log::LogWriter::open(store.container_dir(&c.id).join("log.jsonl"));
    let pidfd = sys::pidfd_open(pid);
    for (fd, _) in &out_fds {
        sys::set_nonblocking(*fd);
    }
    let mut exit_code: Option<i32> = None;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let mut pfds: Vec<libc::pollfd> = Vec::new();
        let pf = |fd: RawFd| sys::pollfd(fd, libc::POLLIN);
        pfds.push(pf(listener.as_raw_fd()));
        pfds.push(pf(if exit_code.is_none() { pidfd } else { -1 }));
        for (fd, _) in &out_fds {
            pfds.push(pf(*fd));
        }
        let client_base = pfds.len();
        for cl in clients.iter() {
            pfds.push(pf(cl.stream.as_raw_fd()));
        }
        if exit_code.is_some() && out_fds.is_empty() {
            break;
        }
        // After the init exited, drain what is left without waiting for more.
        let timeout = if exit_code.is_some() { 50 } else { -1 };
        let n = match sys::poll(&mut pfds, timeout) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if n == 0 && exit_code.is_some() {
            break;
        }
        // New clients.
        if pfds[0].revents & libc::POLLIN != 0 {
            while let Ok((stream, _)) = listener.accept() {
                if !attach::peer_allowed(&stream) {
                    continue;
                }
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_write_timeout(Some(std::time::Duration::from_secs(2)));
                clients.push(Client {
                    stream,
                    frames: FrameBuffer::default(),
                });
            }
        }
        // The init exited.
        if exit_code.is_none() && pfds[1].revents != 0 {
            exit_code = Some(sys::wait_child(pid, false).unwrap_or(137));
        }
        // Output.
        let mut closed = Vec::new();
        for (i, (fd, stream)) in out_fds.iter().enumerate() {
            let re = pfds[2 + i].revents;
            if re == 0 {
                continue;
            }
            match sys::read(*fd, &mut buf) {
                Ok(0) => closed.push(i),
                Ok(n) => {
                    let data = &buf[..n];
                    log.write(stream, data);
                    let kind = if *stream == "stderr" {
                        attach::STDERR
                    } else {
                        attach::STDOUT
                    };
                    let frame = attach::encode(kind, data);
                    clients.retain_mut(|cl| cl.stream.write_all(&frame).is_ok());
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => closed.push(i), // EIO: the pty's last holder closed it
            }
        }
        for i in closed.into_iter().rev() {
            let (fd, _) = out_fds.remove(i);
            // With a pty, the master is also stdin: keep it until the end.
            if !(tty && stdin_fd == Some(fd)) {
                sys::close(fd);
            }
        }
        // Client input.
        let mut drop_clients = Vec::new();
        let ready: Vec<usize> = (0..clients.len())
            .filter(|i| pfds.get(client_base + i).is_some_and(|p| p.revents != 0))
            .collect();
        for i in ready {
            let cl = &mut clients[i];
            match sys::read(cl.stream.as_raw_fd(), &mut buf) {
                Ok(0) | Err(_) => {
                    drop_clients.push(i);
                    continue;
                }
                Ok(n) => cl.frames.push(&buf[..n]),
            }
            loop {
                match cl.frames.next_frame() {
                    Ok(Some((attach::STDIN, data))) => {
                        if let Some(fd) = stdin_fd {
                            sys::write_all(fd, &data);
                        }
                    }
                    Ok(Some((attach::RESIZE, p))) if p.len() == 4 => {
                        if tty && let Some(fd) = stdin_fd {
                            sys::set_window_size(
                                fd,
                                u16::from_be_bytes([p[0], p[1]]),
                                u16::from_be_bytes([p[2], p[3]]),
                            );
                        }
                    }
                    Ok(Some((attach::STDIN_EOF, _))) => {
                        if !tty && let Some(fd) = stdin_fd.take() {
                            sys::close(fd);
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(attach::Oversized) => {
                        drop_clients.push(i);
                        break;
                    }
                }
            }
        }
        drop_clients.sort_unstable();
        drop_clients.dedup();
        for i in drop_clients.into_iter().rev() {
            clients.remove(i);
        }
    }
    exit_code.unwrap_or(137)
}
