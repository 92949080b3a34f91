//! Container lifecycle: create, start (through a monitor), stop, kill, remove, wait, commit.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::archive;
use super::container::{Container, PortBinding, RunConfig, process_start_time};
use super::image::{
    Descriptor, HashWriter, History, Image, ImageConfig, MT_CONFIG, MT_LAYER_GZIP, MT_MANIFEST,
    Manifest, Reference,
};
use super::runtime::{parse_signal, sys};
use super::{Action, EngineError, Event, Result, Store};

#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub image: String,
    pub name: Option<String>,
    /// Arguments after the image name (replace the image's CMD when non-empty).
    pub cmd: Vec<String>,
    pub entrypoint: Option<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    pub auto_remove: bool,
    pub detached: bool,
    pub ports: Vec<PortBinding>,
    pub publish_all: bool,
    pub labels: BTreeMap<String, String>,
    /// `-v` and `--mount`, as parsed (volume names and sources completed at create).
    pub mounts: Vec<crate::volume::MountSpec>,
    /// `--network` (None: the default `bridge`), `--network-alias`, `--ip`.
    pub network: Option<String>,
    pub network_aliases: Vec<String>,
    pub ip: Option<String>,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--memory`, `--pids-limit`, `--cpus`.
    pub resources: super::container::Resources,
    /// `--restart`.
    pub restart_policy: super::restart::RestartPolicy,
    /// `--health-*` / `--no-healthcheck` (None: the image's HEALTHCHECK, if any).
    pub healthcheck: Option<crate::health::HealthConfig>,
    /// `--init`: tini as PID 1 (`Store::init_binary`), the command under it.
    pub init: Option<bool>,
}

/// Merge `-e` values over the image's env (same key replaced, order kept).
fn merge_env(base: &[String], extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = base.to_vec();
    for e in extra {
        let key = e.split('=').next().unwrap_or(e);
        let value = if e.contains('=') {
            e.clone()
        } else {
            // `-e NAME` takes the value from the caller's environment, as Docker does.
            match std::env::var(key) {
                Ok(v) => format!("{key}={v}"),
                Err(_) => continue,
            }
        };
        out.retain(|x| x.split('=').next() != Some(key));
        out.push(value);
    }
    if !out.iter().any(|e| e.starts_with("PATH=")) {
        out.insert(
            0,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        );
    }
    out
}

/// How the CLI talks to a freshly started monitor.
pub struct MonitorStart {
    status: BufReader<File>,
    pub root: PathBuf,
    pub id: String,
}

/// A monitor spawned ahead of its container (`Store::spawn_monitor`). Dropped unnamed, its
/// stdin closes and it exits, having done nothing.
pub struct SpawnedMonitor {
    container_id: String,
    pipes: MonitorPipes,
    root: PathBuf,
}

/// A spawned monitor's stdin ("go") and status pipe, or a claim of the spare monitor whose
/// answer is read only when the container is there (`claim::Pending`).
enum MonitorPipes {
    Spawned {
        go: File,
        status: BufReader<File>,
    },
    Claimed {
        claim: crate::claim::Pending,
        args: Vec<String>,
    },
}

impl SpawnedMonitor {
    /// The ID the container is to be created with (`Store::create_container_as`).
    pub fn container_id(&self) -> &str {
        &self.container_id
    }

    /// Start `c` (checked and reset as any start by the user) in this monitor.
    pub fn start(self, store: &Store, c: &Container) -> Result<MonitorStart> {
        store.ready_to_start(c)?;
        self.name(store, c)
    }

    /// Tell the monitor its container `c` is there; Ok once it listens for clients.
    fn name(self, store: &Store, c: &Container) -> Result<MonitorStart> {
        let SpawnedMonitor {
            container_id,
            pipes,
            root,
        } = self;
        if container_id != c.id {
            // A container created without this monitor's ID (`create_container_as`).
            return Err(EngineError::Runtime(format!(
                "the monitor was spawned for container {container_id}, not {}",
                c.id
            )));
        }
        let (mut go, status) = match pipes {
            MonitorPipes::Spawned { go, status } => (go, status),
            MonitorPipes::Claimed { claim, args } => match claim.answer() {
                Some((go, status)) => (go, BufReader::new(status)),
                // Refused or too slow: a monitor of our own after all.
                None => store.spawn_monitor_process(&args)?,
            },
        };
        // A monitor that died meanwhile closed its stdin: the status line below says why.
        let _ = go.write_all(b"go\n");
        drop(go);
        let mut start = MonitorStart {
            status,
            root,
            id: c.id.clone(),
        };
        let mut line = String::new();
        match start.status.read_line(&mut line) {
            Ok(n) if n > 0 && line.trim_end() == "listening" => Ok(start),
            _ => {
                let rest = line
                    .trim_end()
                    .strip_prefix("error ")
                    .unwrap_or(line.trim_end());
                let msg = rest.split_once(' ').map(|(_, m)| m).unwrap_or(rest);
                Err(if msg.is_empty() {
                    EngineError::Runtime("the container monitor failed to start".into())
                } else {
                    EngineError::decode(msg)
                })
            }
        }
    }
}

impl MonitorStart {
    /// Wait for `started <pid>` (Ok) or `error <code> <json>` (the monitor's failure).
    pub fn wait_started(&mut self) -> Result<i32> {
        let mut line = String::new();
        loop {
            line.clear();
            match self.status.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    return Err(EngineError::Runtime(
                        "the container monitor exited early".into(),
                    ));
                }
                Ok(_) => {}
            }
            let l = line.trim_end();
            if let Some(pid) = l.strip_prefix("started ") {
                return Ok(pid.parse().unwrap_or(0));
            }
            if let Some(rest) = l.strip_prefix("error ") {
                let msg = rest.split_once(' ').map_or(rest, |(_, m)| m);
                return Err(EngineError::decode(msg));
            }
        }
    }
}

impl Store {
    /// `docker create`: a record and dirs; the image must be in the store.
    pub fn create_container(&self, opts: &CreateOptions) -> Result<Container> {
        self.create_container_as(opts, None)
    }

    /// [`Store::create_container`] with the ID `id` (a spawned monitor's,
    /// [`SpawnedMonitor::container_id`]) rather than a fresh one.
    pub fn create_container_as(&self, opts: &CreateOptions, id: Option<&str>) -> Result<Container> {
        let img = self.resolve_image(&opts.image)?;
        let defaults = &img.config.config;
        let entrypoint: Vec<String> = match &opts.entrypoint {
            Some(e) if e.is_empty() => Vec::new(),
            Some(e) => vec![e.clone()],
            None => defaults.entrypoint.clone().unwrap_or_default(),
        };
        let cmd: Vec<String> = if !opts.cmd.is_empty() {
            opts.cmd.clone()
        } else if opts.entrypoint.is_some() {
            Vec::new()
        } else {
            defaults.cmd.clone().unwrap_or_default()
        };
        let argv: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
        let mut env = merge_env(defaults.env.as_deref().unwrap_or(&[]), &opts.env);
        // Docker gives a container with a terminal TERM=xterm unless the image or -e set it.
        if opts.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
            env.push("TERM=xterm".into());
        }
        if argv.is_empty() {
            return Err(EngineError::Start(crate::runtime::InitFailure::NoCommand));
        }
        if opts.init == Some(true) {
            self.init_binary()?;
        }
        if let Some(bad) = opts.healthcheck.as_ref().and_then(|h| h.invalid()) {
            use crate::health::Invalid;
            return Err(match bad {
                Invalid::Retries => EngineError::HealthcheckRetriesNegative,
                Invalid::Interval => EngineError::HealthcheckTooShort("Interval".into()),
                Invalid::Timeout => EngineError::HealthcheckTooShort("Timeout".into()),
                Invalid::StartPeriod => EngineError::HealthcheckTooShort("StartPeriod".into()),
                Invalid::StartInterval => EngineError::HealthcheckTooShort("StartInterval".into()),
            });
        }
        let mut ports = opts.ports.clone();
        if opts.publish_all
            && let Some(exposed) = &defaults.exposed_ports
        {
            for key in exposed.keys() {
                let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
                if let Ok(p) = port.parse::<u16>()
                    && !ports.iter().any(|b| b.container_port == p)
                {
                    ports.push(PortBinding {
                        host_ip: String::new(),
                        host_port: 0,
                        container_port: p,
                        proto: proto.into(),
                    });
                }
            }
        }
        let mut labels = defaults.labels.clone().unwrap_or_default();
        labels.extend(opts.labels.clone());
        let (network_mode, networks) = self.network_choice(opts)?;
        let c = Container {
            id: id.map(str::to_string).unwrap_or_default(),
            name: opts.name.clone().unwrap_or_default(),
            image: opts.image.clone(),
            image_id: img.id.clone(),
            config: RunConfig {
                argv,
                entrypoint,
                cmd,
                env,
                workdir: opts
                    .workdir
                    .clone()
                    .unwrap_or_else(|| defaults.working_dir.clone()),
                hostname: opts.hostname.clone().unwrap_or_default(),
                user: opts.user.clone().unwrap_or_else(|| defaults.user.clone()),
                tty: opts.tty,
                stdin_open: opts.stdin_open,
                auto_remove: opts.auto_remove,
                detached: opts.detached,
                ports,
                labels,
                mounts: Vec::new(),
                network_mode,
                networks,
                stop_signal: opts.stop_signal.clone().unwrap_or_default(),
                resources: opts.resources.clone(),
                restart_policy: opts.restart_policy.clone(),
                healthcheck: crate::health::HealthConfig::merged(
                    opts.healthcheck.as_ref(),
                    defaults.healthcheck.as_ref(),
                ),
                init: opts.init,
            },
            ..Default::default()
        };
        let (c, new_volumes) = {
            let _lock = self.lock()?;
            // An `rmi` may have deleted the image since we read it.
            self.resolve_image(&img.id)?;
            // Volumes are made under the same lock as the record that uses them, so a
            // `volume prune` never sees them unused in between.
            let (mounts, new_volumes) =
                self.prepare_mounts(&opts.mounts, defaults.volumes.as_ref())?;
            let mut c = c;
            c.config.mounts = mounts;
            (self.create_container_record(c)?, new_volumes)
        };
        for v in &new_volumes {
            self.emit(Event::volume(Action::Create, v));
        }
        self.emit(Event::container_created(&c));
        Ok(c)
    }

    /// Start a container's monitor. With `wait_attach` the container's process starts when the
    /// first client connects and sends START; otherwise right away.
    pub fn start_monitor(&self, c: &Container, wait_attach: bool) -> Result<MonitorStart> {
        self.start_monitor_traced(c, wait_attach, false)
    }

    /// `start_monitor`; with `trace` the monitor sends the start's spans (`trace`) to its
    /// attached client before the exit code.
    pub fn start_monitor_traced(
        &self,
        c: &Container,
        wait_attach: bool,
        trace: bool,
    ) -> Result<MonitorStart> {
        self.ready_to_start(c)?;
        self.spawn_monitor_for(&c.id, wait_attach, trace)?
            .name(self, c)
    }

    /// What a start by the user checks and resets before the monitor runs the container.
    fn ready_to_start(&self, c: &Container) -> Result<()> {
        self.refuse_if_paused(c, "start")?;
        if c.is_running() || c.is_restarting() {
            return Err(EngineError::Conflict(format!(
                "container {} is already running",
                c.short_id()
            )));
        }
        // A start by the user: thawed (if paused when it last ran), no stop of theirs
        // pending, and its restart policy counts again from zero, as Docker's start does.
        if c.state.paused || c.state.stopped_by_user || c.state.restart_count != 0 {
            self.update_container(&c.id, |c| {
                c.state.paused = false;
                c.state.stopped_by_user = false;
                c.state.restart_count = 0;
            })?;
        }
        Ok(())
    }

    /// A monitor for a container that is not there yet: `run` spawns it first, so its exec
    /// (~1 ms) overlaps the image lookup and the record's creation, then names the container
    /// with [`SpawnedMonitor::start`]. Its arguments are as for `start_monitor_traced`.
    pub fn spawn_monitor(&self, wait_attach: bool, trace: bool) -> Result<SpawnedMonitor> {
        self.spawn_monitor_for(&crate::random_hex(32), wait_attach, trace)
    }

    fn spawn_monitor_for(
        &self,
        id: &str,
        wait_attach: bool,
        trace: bool,
    ) -> Result<SpawnedMonitor> {
        // The container's ID is chosen here, so `ps` shows whose monitor this is; it waits
        // for a line on stdin saying the record is there (EOF first: nothing to start).
        let mut args = vec![id.to_string(), "--await-create".to_string()];
        if wait_attach {
            args.push("--wait-attach".into());
        }
        if trace {
            args.push("--trace".into());
        }
        // A monitor made ahead (`monitor::spare`) saves the exec of one; its answer is read
        // once the record is there (`SpawnedMonitor::start`).
        let pipes = match crate::claim::claim(&self.root, &args) {
            Some(claim) => MonitorPipes::Claimed { claim, args },
            None => {
                let (go, status) = self.spawn_monitor_process(&args)?;
                MonitorPipes::Spawned { go, status }
            }
        };
        Ok(SpawnedMonitor {
            container_id: id.to_string(),
            pipes,
            root: self.root.clone(),
        })
    }

    /// Spawn `gorae __monitor ARGS`: its stdin ("go") and its status pipe.
    fn spawn_monitor_process(&self, args: &[String]) -> Result<(File, BufReader<File>)> {
        let (r, w) = sys::pipe_owned().map_err(EngineError::Sys)?;
        let (go_r, go_w) = sys::pipe_owned().map_err(EngineError::Sys)?;
        let mut cmd = crate::helper::Helper::Monitor.command();
        cmd.args(args);
        // The status pipe is the monitor's stdout until it takes it (`monitor::main`), and the
        // monitor starts its own session: with nothing to run between fork and exec, std
        // spawns with posix_spawn (vfork) instead of copying this process with fork.
        cmd.env("GORAE_ROOT", &self.root)
            .env("GORAE_IMAGES", &self.catalog)
            .stdin(Stdio::from(go_r))
            .stdout(Stdio::from(w))
            .stderr(Stdio::null());
        let spawned = cmd.spawn();
        // Our copies of the pipes' other ends go with the command: EOF then means the
        // monitor is gone (or, on its stdin, that no container is coming).
        drop(cmd);
        let child = spawned.map_err(|e| EngineError::Runtime(format!("start monitor: {e}")))?;
        // The monitor is reparented when we exit; reap it in the background if we live on.
        std::thread::spawn(move || {
            let mut child = child;
            let _ = child.wait();
        });
        Ok((File::from(go_w), BufReader::new(File::from(r))))
    }

    /// Wait until the container is no longer running (its monitor exited). None on timeout.
    pub fn wait_stopped(&self, c: &Container, timeout: Option<Duration>) -> Option<Container> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let pid = c.state.monitor_pid;
        let start = c.state.monitor_start;
        let pidfd = sys::pidfd_open(pid);
        loop {
            let alive = process_start_time(pid).is_some_and(|t| start == 0 || t == start);
            if !alive {
                sys::close(pidfd);
                let _ = self.reconcile();
                return self.load_container(&c.id).ok().or_else(|| {
                    // --rm removed it: report what we knew.
                    let mut gone = c.clone();
                    gone.state.status = "exited".into();
                    Some(gone)
                });
            }
            let wait_ms = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        sys::close(pidfd);
                        return None;
                    }
                    left.as_millis().min(1000) as i32
                }
                None => 1000,
            };
            if pidfd >= 0 {
                let mut p = [sys::pollfd(pidfd, libc::POLLIN)];
                let _ = sys::poll(&mut p, wait_ms);
                // The monitor writes the record after its container exits; give it a moment.
                if p[0].revents != 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            } else {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// `docker stop`: the image's stop signal (SIGTERM), then SIGKILL after `timeout` seconds.
    pub fn stop_container(&self, key: &str, timeout: u64) -> Result<Container> {
        self.stop_container_with(key, timeout, None)
    }

    /// `docker stop [-s SIGNAL]`: `signal` instead of the container's stop signal.
    pub fn stop_container_with(
        &self,
        key: &str,
        timeout: u64,
        signal: Option<&str>,
    ) -> Result<Container> {
        let c = self.resolve_container(key)?;
        let asked = signal
            .map(|s| parse_signal(s).ok_or_else(|| EngineError::InvalidSignal(s.to_string())))
            .transpose()?;
        if c.is_restarting() {
            // Between two runs there is nothing to signal: its monitor sees the stop and
            // leaves it exited, as Docker's restart manager is cancelled.
            self.end_restarting(&c, Duration::from_secs(timeout.max(1)))?;
            self.emit(Event::container(Action::Stop, &c));
            return self.load_container(&c.id);
        }
        if !c.is_running() {
            return Ok(c);
        }
        let img_signal = asked.unwrap_or_else(|| self.stop_signal_of(&c));
        self.update_container(&c.id, |c| c.state.stopped_by_user = true)?;
        self.emit(Event::container(Action::Kill, &c).attr("signal", img_signal.to_string()));
        sys::kill(c.state.pid, img_signal);
        self.thaw_after_signal(&c, img_signal);
        let done = self.wait_stopped(&c, Some(Duration::from_secs(timeout)));
        let done = match done {
            Some(d) => d,
            None => {
                self.emit(Event::container(Action::Kill, &c).attr("signal", "9"));
                sys::kill(c.state.pid, libc::SIGKILL);
                if let Ok(now) = self.load_container(&c.id) {
                    self.thaw_after_signal(&now, libc::SIGKILL);
                }
                self.wait_stopped(&c, Some(Duration::from_secs(10)))
                    .ok_or_else(|| EngineError::Runtime("container did not stop".into()))?
            }
        };
        self.emit(Event::container(Action::Stop, &c));
        Ok(done)
    }

    /// Stop a container between two runs of its restart policy: mark the stop and wait for
    /// its monitor to leave; a run that started meanwhile is ended by its monitor too (it sees
    /// the mark), else killed here.
    fn end_restarting(&self, c: &Container, timeout: Duration) -> Result<()> {
        self.update_container(&c.id, |c| c.state.stopped_by_user = true)?;
        if self.wait_stopped(c, Some(timeout)).is_some() {
            return Ok(());
        }
        let now = self.load_container(&c.id)?;
        if now.is_running() && now.state.pid > 0 {
            sys::kill(now.state.pid, libc::SIGKILL);
        }
        self.wait_stopped(c, Some(Duration::from_secs(10)))
            .map(|_| ())
            .ok_or_else(|| EngineError::Runtime("container did not stop".into()))
    }

    /// `docker kill -s SIGNAL`.
    pub fn kill_container(&self, key: &str, signal: &str) -> Result<Container> {
        let c = self.resolve_container(key)?;
        let sig =
            parse_signal(signal).ok_or_else(|| EngineError::InvalidSignal(signal.to_string()))?;
        if c.is_restarting() {
            // Docker: nothing to signal; the restart loop ends.
            self.update_container(&c.id, |c| c.state.stopped_by_user = true)?;
            return Ok(c);
        }
        if !c.is_running() {
            return Err(EngineError::NotRunning(c.id.clone()));
        }
        // Docker's killWithSignal ends restarting for SIGKILL and the stop signal, and for
        // any signal when the container names no stop signal of its own.
        let named = !c.config.stop_signal.is_empty()
            || self
                .resolve_image(&c.image_id)
                .is_ok_and(|i| !i.config.config.stop_signal.is_empty());
        if sig == libc::SIGKILL || sig == self.stop_signal_of(&c) || !named {
            self.update_container(&c.id, |c| c.state.stopped_by_user = true)?;
        }
        self.emit(Event::container(Action::Kill, &c).attr("signal", sig.to_string()));
        sys::kill(c.state.pid, sig);
        self.thaw_after_signal(&c, sig);
        if sig == libc::SIGKILL {
            self.wait_stopped(&c, Some(Duration::from_secs(10)));
        }
        Ok(c)
    }

    /// `docker rm [-f]`.
    pub fn remove_container(&self, key: &str, force: bool) -> Result<Container> {
        self.remove_container_with(key, force, false)
    }

    /// `docker rm [-f] [-v]`: with `volumes`, the container's anonymous volumes go too.
    pub fn remove_container_with(
        &self,
        key: &str,
        force: bool,
        volumes: bool,
    ) -> Result<Container> {
        let c = self.resolve_container(key)?;
        if c.is_restarting() {
            if !force {
                return Err(EngineError::Restarting {
                    id: c.name.clone(),
                    op: "rm".into(),
                });
            }
            self.end_restarting(&c, Duration::from_secs(10))?;
        }
        if c.is_running() {
            if !force {
                if c.is_paused() {
                    return Err(EngineError::Paused {
                        id: key.to_string(),
                        op: "rm".into(),
                    });
                }
                return Err(EngineError::ContainerRunning(c.name.clone()));
            }
            // Its restart policy must not start it again.
            self.update_container(&c.id, |c| c.state.stopped_by_user = true)?;
            sys::kill(c.state.pid, libc::SIGKILL);
            self.thaw_after_signal(&c, libc::SIGKILL);
            self.wait_stopped(&c, Some(Duration::from_secs(10)));
        }
        // A --rm container may already be gone by now.
        if self.container_dir(&c.id).exists() {
            self.destroy_container(&c)?;
        }
        if volumes && !c.config.auto_remove {
            self.remove_anonymous_volumes(&c);
        }
        Ok(c)
    }

    /// `docker commit`: the container's changes as a new layer on top of its image. With
    /// `opts.pause` a running container is frozen meanwhile, as Docker does (and, as Docker,
    /// the commit goes on unfrozen where the freezer cannot be used).
    pub fn commit_container(
        &self,
        key: &str,
        repo: Option<&str>,
        opts: &CommitOptions,
    ) -> Result<String> {
        let c = self.resolve_container(key)?;
        let paused_here =
            opts.pause && c.is_running() && !c.is_paused() && self.pause_container(&c.id).is_ok();
        let res = self.commit_resolved(&c, repo, opts);
        if paused_here {
            let _ = self.unpause_container(&c.id);
        }
        res
    }

    fn commit_resolved(
        &self,
        c: &Container,
        repo: Option<&str>,
        opts: &CommitOptions,
    ) -> Result<String> {
        let reference = repo.map(Reference::parse).transpose()?;
        let _writing = self.writing()?;
        let base = self.resolve_image(&c.image_id)?;
        let upper = self.upper_dir(&c.id);
        let (layer, diff_id) = self.write_layer_from_dir(&upper)?;
        let mut config = base.config.clone();
        config.created = crate::time::rfc3339_now();
        config.author = opts.author.clone();
        config.config.cmd = Some(c.config.cmd.clone());
        config.config.entrypoint = if c.config.entrypoint.is_empty() {
            None
        } else {
            Some(c.config.entrypoint.clone())
        };
        config.config.env = Some(c.config.env.clone());
        if !c.config.workdir.is_empty() {
            config.config.working_dir = c.config.workdir.clone();
        }
        // As Docker commits the container's config: its check (flags over the image's) goes on.
        config.config.healthcheck = c.config.healthcheck.clone();
        for change in &opts.changes {
            apply_change(&mut config, change)?;
        }
        config.rootfs.diff_ids.push(diff_id);
        config.history.push(History {
            created: config.created.clone(),
            created_by: c.config.argv.join(" "),
            author: opts.author.clone(),
            comment: opts.message.clone(),
            empty_layer: false,
        });
        let id = self.store_image(&base, config, Some(layer), reference.as_ref())?;
        self.emit(Event::container(Action::Commit, c).attr("imageID", id.clone()));
        Ok(id)
    }

    /// Pack a dir (a container's upper) into a gzip layer blob, unpack it as a layer, and return
    /// its descriptor and diff ID.
    pub fn write_layer_from_dir(&self, dir: &Path) -> Result<(Descriptor, String)> {
        match self.write_layer_with(dir, None) {
            // Rootless: files a container's other user made unreadable to us.
            Err(e) if super::runtime::is_rootless() && archive::is_permission_denied(&e) => {
                self.write_layer_with(dir, Some(e))
            }
            other => other,
        }
    }

    /// [`Store::write_layer_from_dir`], reading `dir` directly, or (`denied`: what that said)
    /// through the user-namespace helper.
    fn write_layer_with(
        &self,
        dir: &Path,
        denied: Option<EngineError>,
    ) -> Result<(Descriptor, String)> {
        let tmp = self.tmp_path("commit");
        let res = (|| -> Result<(Descriptor, String)> {
            let file = File::create(&tmp).map_err(|e| EngineError::io(&tmp, e))?;
            // Large writes: the deflate's 32 KiB blocks and their 5-byte headers each were a
            // write of their own through an 8 KiB buffer.
            let gz_hash = HashWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
            // Stored (level 0) deflate blocks: still a valid gzip layer, but the commit costs a
            // crc instead of compression. Level 1 (zlib-rs's quick mode) spent 600 ms on 10 MB of
            // random data here, made it 5 % larger and slower to unpack again (benches/engine.rs
            // notes); Docker does not compress a committed layer either until a push.
            let gz = flate2::write::GzEncoder::new(gz_hash, flate2::Compression::none());
            let mut tar_hash = HashWriter::new(gz);
            match denied {
                None => archive::pack_upper(dir, &mut tar_hash)?,
                Some(e) => archive::pack_upper_as_container_root(dir, &mut tar_hash, e)?,
            }
            let (gz, diff_hex, _) = tar_hash.finish();
            let gz_hash = gz.finish().map_err(|e| EngineError::io(&tmp, e))?;
            let (mut buf, hex, size) = gz_hash.finish();
            buf.flush().map_err(|e| EngineError::io(&tmp, e))?;
            buf.get_ref()
                .sync_all()
                .map_err(|e| EngineError::io(&tmp, e))?;
            let desc = Descriptor {
                media_type: MT_LAYER_GZIP.into(),
                digest: format!("sha256:{hex}"),
                size,
                annotations: None,
            };
            let dst = self.blob_path(&desc.digest);
            fs::rename(&tmp, &dst).map_err(|e| EngineError::io(&dst, e))?;
            let diff_id = format!("sha256:{diff_hex}");
            self.unpack_layer(&dst, &diff_id)?;
            Ok((desc, diff_id))
        })();
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res
    }

    /// Write config + manifest for an image built on `base` (+ one new layer), tag it if asked,
    /// and return its ID.
    pub fn store_image(
        &self,
        base: &Image,
        config: ImageConfig,
        new_layer: Option<Descriptor>,
        reference: Option<&Reference>,
    ) -> Result<String> {
        let (config_desc, manifest_desc) = self.store_image_blobs(base, config, new_layer)?;
        match reference {
            Some(r) => {
                self.set_tag(r, &manifest_desc.digest, manifest_desc.size)?;
                self.emit(
                    Event::on_image(Action::Tag)
                        .id(&config_desc.digest)
                        .name(&r.full()),
                );
            }
            None => self.add_untagged(&manifest_desc.digest)?,
        }
        Ok(config_desc.digest)
    }

    /// An image's config and manifest blobs, not (yet) in the index: BuildKit's build steps
    /// stay so. Returns the config's and the manifest's descriptors.
    pub fn store_image_blobs(
        &self,
        base: &Image,
        config: ImageConfig,
        new_layer: Option<Descriptor>,
    ) -> Result<(Descriptor, Descriptor)> {
        let config_bytes = serde_json::to_vec(&config).map_err(|e| EngineError::Corrupt {
            path: self.root.clone(),
            detail: e.to_string(),
        })?;
        let config_desc = self.put_blob(MT_CONFIG, &config_bytes)?;
        let mut layers = base.manifest.layers.clone();
        layers.extend(new_layer);
        let manifest = Manifest::new(config_desc.clone(), layers);
        let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| EngineError::Corrupt {
            path: self.root.clone(),
            detail: e.to_string(),
        })?;
        let manifest_desc = self.put_blob(MT_MANIFEST, &manifest_bytes)?;
        Ok((config_desc, manifest_desc))
    }

    /// `docker wait`: block until the container exits (for good: restarts do not count, as
    /// Docker's); its exit code.
    pub fn wait_container(&self, key: &str) -> Result<i32> {
        let c = self.resolve_container(key)?;
        if !c.is_running() && !c.is_restarting() {
            return Ok(c.state.exit_code.unwrap_or(0));
        }
        let done = self
            .wait_stopped(&c, None)
            .ok_or_else(|| EngineError::Runtime("wait failed".into()))?;
        Ok(done.state.exit_code.unwrap_or(0))
    }
}

#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    pub message: String,
    pub author: String,
    /// Dockerfile instructions (`-c 'CMD ["sh"]'`).
    pub changes: Vec<String>,
    /// Freeze a running container while its changes are read (`--pause`, Docker's default).
    pub pause: bool,
}

/// Apply one Dockerfile instruction from `commit -c` to a config.
pub fn apply_change(config: &mut ImageConfig, change: &str) -> Result<()> {
    let change = change.trim();
    let (instr, rest) = change
        .split_once(char::is_whitespace)
        .unwrap_or((change, ""));
    let rest = rest.trim();
    let list = |s: &str| -> Vec<String> {
        if s.starts_with('[') {
            serde_json::from_str(s).unwrap_or_else(|_| vec![s.to_string()])
        } else {
            vec!["/bin/sh".into(), "-c".into(), s.to_string()]
        }
    };
    let c = &mut config.config;
    match instr.to_ascii_uppercase().as_str() {
        "CMD" => c.cmd = Some(list(rest)),
        "ENTRYPOINT" => c.entrypoint = Some(list(rest)),
        "WORKDIR" => c.working_dir = rest.to_string(),
        "USER" => c.user = rest.to_string(),
        "STOPSIGNAL" => c.stop_signal = rest.to_string(),
        "ENV" => {
            let (k, v) = rest
                .split_once('=')
                .or_else(|| rest.split_once(' '))
                .unwrap_or((rest, ""));
            let env = c.env.get_or_insert_with(Vec::new);
            env.retain(|e| e.split('=').next() != Some(k));
            env.push(format!("{k}={}", v.trim().trim_matches('"')));
        }
        "EXPOSE" => {
            let ports = c.exposed_ports.get_or_insert_with(BTreeMap::new);
            for p in rest.split_whitespace() {
                let key = if p.contains('/') {
                    p.to_string()
                } else {
                    format!("{p}/tcp")
                };
                ports.insert(key, serde_json::json!({}));
            }
        }
        "LABEL" => {
            let labels = c.labels.get_or_insert_with(BTreeMap::new);
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            labels.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
        _ => {
            return Err(EngineError::InvalidChange(instr.to_string()));
        }
    }
    Ok(())
}

impl Store {
    pub(crate) fn add_untagged(&self, manifest_digest: &str) -> Result<()> {
        let _lock = self.lock()?;
        let mut index = self.read_index()?;
        if !index.manifests.iter().any(|d| d.digest == manifest_digest) {
            index.manifests.push(Descriptor {
                media_type: MT_MANIFEST.into(),
                digest: manifest_digest.into(),
                size: 0,
                annotations: Some(BTreeMap::from([(
                    "io.gorae.untagged".to_string(),
                    "true".to_string(),
                )])),
            });
            super::store::write_json(&self.index_path(), &index)?;
        }
        Ok(())
    }
}

/// Container states and reconcile, on a temp store: no root, no container started.
#[cfg(test)]
mod tests {
    use crate::container::Container;
    use crate::{EngineError, Store, events};

    /// Above the kernel's largest pid_max (2^22): never a live process.
    const GONE_PID: i32 = (1 << 22) + 7;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("store"), tmp.path().join("catalog")).unwrap();
        (tmp, store)
    }

    fn running(store: &Store, name: &str, monitor_pid: i32, auto_remove: bool) -> Container {
        let mut c = Container {
            name: name.into(),
            image: "busybox".into(),
            ..Container::default()
        };
        c.config.auto_remove = auto_remove;
        let c = store.create_container_record(c).unwrap();
        assert_eq!(c.state.status, "created");
        store
            .update_container(&c.id, |c| {
                c.state.status = "running".into();
                c.state.monitor_pid = monitor_pid;
                c.state.pid = 0;
            })
            .unwrap()
    }

    fn actions(store: &Store) -> Vec<(String, String)> {
        events::read_from(&store.events_path(), 0)
            .0
            .into_iter()
            .map(|e| {
                let code = e.attrs.get("exitCode").cloned().unwrap_or_default();
                (e.action.as_str().to_string(), code)
            })
            .collect()
    }

    #[test]
    fn a_running_record_without_its_monitor_becomes_exited_137_with_one_die() {
        let (_tmp, store) = store();
        let c = running(&store, "lost", GONE_PID, false);
        store.reconcile().unwrap();
        let after = store.load_container(&c.id).unwrap();
        assert_eq!(after.state.status, "exited");
        assert_eq!(after.state.exit_code, Some(137));
        assert_eq!(after.state.pid, 0);
        assert!(!after.state.finished_at.is_empty());
        assert_eq!(actions(&store), vec![("die".into(), "137".into())]);
        // Once is enough: a second pass changes nothing and says nothing.
        store.reconcile().unwrap();
        assert_eq!(actions(&store).len(), 1);
        assert_eq!(store.load_container(&c.id).unwrap(), after);
    }

    #[test]
    fn a_recorded_exit_code_is_kept_and_rm_containers_are_destroyed() {
        let (_tmp, store) = store();
        let c = running(&store, "gone", GONE_PID, true);
        store
            .update_container(&c.id, |c| c.state.exit_code = Some(3))
            .unwrap();
        store.reconcile().unwrap();
        assert!(matches!(
            store.load_container(&c.id),
            Err(EngineError::NoSuchContainer(_) | EngineError::Io { .. })
        ));
        assert!(!store.container_dir(&c.id).exists());
        assert_eq!(
            actions(&store),
            vec![
                ("die".into(), "3".into()),
                ("destroy".into(), String::new())
            ]
        );
    }

    #[test]
    fn a_live_monitor_keeps_its_container_running() {
        let (_tmp, store) = store();
        let c = running(&store, "alive", std::process::id() as i32, false);
        store.reconcile().unwrap();
        assert!(store.load_container(&c.id).unwrap().is_running());
        assert!(actions(&store).is_empty());
        // Running: rm without -f refuses, kill of a stopped one is "not running".
        assert!(matches!(
            store.remove_container("alive", false),
            Err(EngineError::ContainerRunning(n)) if n == "alive"
        ));
        let stopped = running(&store, "stopped", GONE_PID, false);
        store.reconcile().unwrap();
        assert!(matches!(
            store.kill_container("stopped", "TERM"),
            Err(EngineError::NotRunning(id)) if id == stopped.id
        ));
        // Stopping a stopped container is a no-op.
        let again = store.stop_container("stopped", 1).unwrap();
        assert_eq!(again.state.status, "exited");
    }

    #[test]
    fn waiting_for_a_container_whose_monitor_died_reconciles_it() {
        let (_tmp, store) = store();
        let c = running(&store, "waited", GONE_PID, false);
        let done = store
            .wait_stopped(&c, Some(std::time::Duration::from_secs(5)))
            .unwrap();
        assert_eq!(done.state.status, "exited");
        assert_eq!(done.state.exit_code, Some(137));
        assert_eq!(store.wait_container("waited").unwrap(), 137);
    }
}
