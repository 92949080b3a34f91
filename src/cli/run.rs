//! Making containers and attaching to them: run, create, start, attach.

use super::args::RunArgs;
use super::attach::{self, Outcome};
use super::{CmdResult, Failure, describe, images, resources, start_detail};
use crate::engine::container::{Container, PortBinding};
use crate::engine::lifecycle::CreateOptions;
use crate::engine::trace::Phase;
use crate::engine::{Action, EngineError, Event, Store};
use crate::i18n::t;

/// Parse `-p` values: `8080:80`, `80`, `127.0.0.1:8080:80`, `8080:80/tcp` (TCP only).
pub fn parse_publish(spec: &str) -> Result<PortBinding, Failure> {
    let bad = || Failure::new(t("err-bad-publish", &[("spec", spec)]), 125);
    let (addr, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if proto != "tcp" {
        return Err(bad());
    }
    let parts: Vec<&str> = addr.rsplitn(3, ':').collect();
    let port = |s: &str| s.parse::<u16>().ok().filter(|p| *p > 0);
    let (ip, host, container) = match parts.as_slice() {
        // No host address: every address, IPv4 and IPv6 (Docker's two bindings).
        [c] => ("", Some(0), port(c)),
        [c, h] => ("", if h.is_empty() { Some(0) } else { port(h) }, port(c)),
        [c, h, ip] => (*ip, if h.is_empty() { Some(0) } else { port(h) }, port(c)),
        _ => (spec, None, None),
    };
    // Docker's nat.ParsePortSpec names the part it could not read.
    let part = |key: &str, value: &str| Failure::new(t(key, &[("value", value)]), 125);
    match (host, container) {
        (Some(h), Some(c)) => Ok(PortBinding {
            host_ip: ip.to_string(),
            host_port: h,
            container_port: c,
            proto: proto.to_string(),
        }),
        (_, None) if parts.len() <= 3 => Err(part("err-bad-container-port", parts[0])),
        (None, Some(_)) => Err(part("err-bad-host-port", parts[1])),
        _ => Err(bad()),
    }
}

/// Docker's withHelp: `docker: ERROR` and a line pointing at `docker CMD --help`, on the
/// failures its `run` (and `create`, before the daemon) reports so.
fn with_help(f: Failure, cmd: &str) -> Failure {
    let more = t("run.more-help", &[("cmd", cmd)]);
    if !f.message.starts_with("docker: ") || f.message.ends_with(&more) {
        return f;
    }
    Failure::new(format!("{}\n\n{more}", f.message), f.code)
}

/// `create`'s daemon errors: as the daemon said them, exit 1 (docker/cli's runCreate returns
/// them unwrapped).
fn plain(f: Failure) -> Failure {
    let message = match f.message.strip_prefix("docker: ") {
        Some(rest) => rest.to_string(),
        None => f.message,
    };
    Failure::new(message, 1)
}

fn docker_prefixed(e: EngineError) -> Failure {
    Failure::new(format!("docker: {}", describe(&e)), 125)
}

/// `--pull`: when `run`/`create` pulls the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullPolicy {
    Always,
    Missing,
    Never,
}

/// Docker's validatePullOpt, refused before anything is made.
fn pull_policy(value: &str, cmd: &str) -> Result<PullPolicy, Failure> {
    match value {
        "always" => Ok(PullPolicy::Always),
        "missing" | "" => Ok(PullPolicy::Missing),
        "never" => Ok(PullPolicy::Never),
        _ => Err(Failure::new(
            t("run.bad-pull", &[("value", value), ("cmd", cmd)]),
            125,
        )),
    }
}

fn pull_now(store: &Store, name: &str) -> Result<(), Failure> {
    let mut err = std::io::stderr();
    images::pull_to(store, name, false, false, &mut err).map_err(|f| Failure {
        message: format!("docker: {}", f.message),
        code: 125,
    })
}

/// Make sure the image is in the store as `--pull` asks: pulled from the catalog (or a
/// registry) when missing, as `docker run` does, always, or never.
fn ensure_image(store: &Store, name: &str, policy: PullPolicy) -> Result<(), Failure> {
    if policy == PullPolicy::Always {
        return pull_now(store, name);
    }
    match store.resolve_image(name) {
        Ok(_) => Ok(()),
        // Docker names the reference in full: `No such image: busybox:latest`.
        Err(EngineError::NoSuchImage(_)) if policy == PullPolicy::Never => {
            let r = crate::engine::image::Reference::parse_any(name).map_err(docker_prefixed)?;
            Err(docker_prefixed(EngineError::NoSuchImage(r.full())))
        }
        Err(EngineError::NoSuchImage(_)) => {
            let r = crate::engine::image::Reference::parse_any(name).map_err(docker_prefixed)?;
            eprintln!("{}", t("run-unable-to-find", &[("name", &r.full())]));
            pull_now(store, name)
        }
        Err(e) => Err(docker_prefixed(e)),
    }
}

fn create_options(a: &RunArgs, cmd: &str) -> Result<CreateOptions, Failure> {
    let mounts = super::volume::parse_mounts(&a.volume, &a.mount, cmd)?;
    let mut ports = Vec::new();
    for p in &a.publish {
        ports.push(parse_publish(p)?);
    }
    let mut labels = std::collections::BTreeMap::new();
    for l in &a.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.insert(k.to_string(), v.to_string());
    }
    // Docker: the files' variables first, `-e` over them.
    let mut env = Vec::new();
    for f in &a.env_file {
        env.extend(resources::env_file(f)?);
    }
    env.extend(a.env.iter().cloned());
    let res = crate::engine::container::Resources {
        memory: a
            .memory
            .as_deref()
            .map(|v| resources::memory(cmd, v))
            .transpose()?,
        pids_limit: a
            .pids_limit
            .as_deref()
            .map(|v| resources::pids_limit(cmd, v))
            .transpose()?,
        nano_cpus: a
            .cpus
            .as_deref()
            .map(|v| resources::cpus(cmd, v))
            .transpose()?,
    };
    Ok(CreateOptions {
        image: a.image.clone(),
        name: a.name.clone(),
        cmd: a.command.clone(),
        entrypoint: a.entrypoint.clone(),
        env,
        stop_signal: a
            .stop_signal
            .as_deref()
            .map(resources::stop_signal)
            .transpose()?,
        resources: res,
        restart_policy: resources::restart_policy(cmd, &a.restart, a.rm)?,
        healthcheck: resources::healthcheck(cmd, a)?,
        workdir: a.workdir.clone(),
        hostname: a.hostname.clone(),
        user: a.user.clone(),
        tty: a.tty,
        stdin_open: a.interactive,
        auto_remove: a.rm,
        detached: a.detach,
        ports,
        publish_all: a.publish_all,
        labels,
        mounts,
        network: a.network.clone(),
        network_aliases: a.network_alias.clone(),
        ip: a.ip.clone(),
        init: a.init.then_some(true),
    })
}

pub fn create(store: &Store, a: RunArgs) -> CmdResult {
    let opts = create_options(&a, "create").map_err(|f| with_help(f, "create"))?;
    let pull = pull_policy(&a.pull, "create")?;
    ensure_image(store, &a.image, pull).map_err(plain)?;
    let c = store.create_container(&opts).map_err(|e| plain(e.into()))?;
    println!("{}", c.id);
    Ok(0)
}

fn start_failed(store: &Store, c: &Container, e: &EngineError) -> Failure {
    let code = super::run_exit_code(e);
    // As Docker: a container that did not start stays Created, unless `--rm` removes it.
    if c.config.auto_remove {
        let _ = store.remove_container(&c.id, true);
    }
    Failure::new(format!("docker: {}", start_error(e)), code)
}

/// The daemon's answer to a start that failed: the network's own words for a busy port,
/// the runtime's for a process that could not start.
fn start_error(e: &EngineError) -> String {
    match e {
        EngineError::PortInUse { .. } => describe(e),
        _ => format!(
            "{}{}",
            t("err-daemon", &[]),
            t("err-start-failed", &[("detail", &start_detail(e))])
        ),
    }
}

pub fn run(store: &Store, a: RunArgs) -> CmdResult {
    run_container(store, a).map_err(|f| with_help(f, "run"))
}

fn run_container(store: &Store, a: RunArgs) -> CmdResult {
    super::trace::lap(Phase::CliStart);
    let opts = create_options(&a, "run")?;
    let pull = pull_policy(&a.pull, "run")?;
    let detach_keys = attach::detach_keys(a.detach_keys.as_deref())?;
    if a.tty && a.interactive && !attach::stdin_is_tty() && !a.detach {
        return Err(Failure::new(t("err-not-a-tty", &[]), 1));
    }
    // The monitor's exec runs while this finds the image and creates the container; it is
    // named the container below, or exits with nothing done should that fail.
    let monitor = store
        .spawn_monitor(!a.detach, super::trace::on())
        .map_err(docker_prefixed)?;
    ensure_image(store, &a.image, pull)?;
    super::trace::lap(Phase::Image);
    let c = store
        .create_container_as(&opts, Some(monitor.container_id()))
        .map_err(docker_prefixed)?;
    super::trace::lap(Phase::Create);
    if a.detach {
        // Docker's CLI prints the id once the container is created, before it starts.
        println!("{}", c.id);
        let mut m = monitor.start(store, &c).map_err(docker_prefixed)?;
        return match m.wait_started() {
            Ok(_) => Ok(0),
            Err(e) => Err(start_failed(store, &c, &e)),
        };
    }
    let m = monitor.start(store, &c).map_err(docker_prefixed)?;
    super::trace::lap(Phase::MonitorSpawn);
    // Docker's attached `run` and `start -a` report an `attach`, as `docker attach` does.
    store.emit(Event::container(Action::Attach, &c));
    let mut forward = |sig: i32| proxy_signal(store, &c.id, sig);
    let opts = attach::AttachOptions {
        forward_stdin: a.interactive,
        tty: a.tty,
        send_start: true,
        sig_proxy: a.sig_proxy.then_some(&mut forward as &mut dyn FnMut(i32)),
        detach_keys,
    };
    match attach::run_attached(&m.root, &m.id, opts) {
        Ok(Outcome::Exited(code)) => Ok(code),
        Ok(Outcome::Detached) => {
            emit_detach(store, &c);
            Ok(0)
        }
        Ok(Outcome::StartFailed(e)) => Err(start_failed(store, &c, &e)),
        Err(e) => Err(Failure::new(format!("docker: {e}"), 125)),
    }
}

/// Pass a signal the CLI got on to the container, as `docker kill -s` would (`--sig-proxy`).
fn proxy_signal(store: &Store, id: &str, sig: i32) {
    // The container may have ended meanwhile: nothing left to signal.
    let _ = store.kill_container(id, &sig.to_string());
}

/// How `start -a`/`attach` attach: stdin, signals, the detach sequence.
pub struct AttachFlags {
    pub attach: bool,
    pub interactive: bool,
    pub sig_proxy: bool,
    pub detach_keys: Option<String>,
}

pub fn start(store: &Store, names: &[String], flags: AttachFlags) -> CmdResult {
    let AttachFlags {
        attach: attach_out,
        interactive,
        sig_proxy,
        ..
    } = flags;
    let attach_mode = attach_out || interactive;
    attach::detach_keys(flags.detach_keys.as_deref())?;
    if attach_mode && names.len() > 1 {
        return Err(Failure::new(t("err-attach-one", &[]), 1));
    }
    let mut code = 0;
    let mut failed = Vec::new();
    for name in names {
        let res = (|| -> CmdResult {
            let c = store.resolve_container(name)?;
            store.refuse_if_paused(&c, "start")?;
            if c.is_running() || (c.is_restarting() && !attach_mode) {
                if attach_mode {
                    return attach(
                        store,
                        name,
                        AttachFlags {
                            attach: true,
                            interactive,
                            sig_proxy,
                            detach_keys: flags.detach_keys.clone(),
                        },
                    );
                }
                println!("{name}");
                return Ok(0);
            }
            if attach_mode {
                let m = store.start_monitor(&c, true)?;
                store.emit(Event::container(Action::Attach, &c));
                let mut forward = |sig: i32| proxy_signal(store, &c.id, sig);
                let opts = attach::AttachOptions {
                    forward_stdin: interactive,
                    tty: c.config.tty,
                    send_start: true,
                    sig_proxy: sig_proxy.then_some(&mut forward as &mut dyn FnMut(i32)),
                    detach_keys: attach::detach_keys(flags.detach_keys.as_deref())?,
                };
                return match attach::run_attached(&m.root, &m.id, opts) {
                    Ok(Outcome::Exited(code)) => Ok(code),
                    Ok(Outcome::Detached) => {
                        emit_detach(store, &c);
                        Ok(0)
                    }
                    // Docker's `start` relays the daemon's refusal as a plain error: exit 1,
                    // not `run`'s 125/126/127.
                    Ok(Outcome::StartFailed(e)) => Err(Failure::new(start_error(&e), 1)),
                    Err(e) => Err(Failure::new(e, 1)),
                };
            }
            let mut m = store.start_monitor(&c, false)?;
            match m.wait_started() {
                Ok(_) => {
                    println!("{name}");
                    Ok(0)
                }
                Err(e) => Err(Failure::new(start_error(&e), 1)),
            }
        })();
        match res {
            Ok(c) => code = c,
            Err(f) if attach_mode => return Err(f),
            Err(f) => {
                eprintln!("{}", f.message);
                failed.push(name.as_str());
            }
        }
    }
    if !failed.is_empty() {
        // Docker's CLI names every container that did not start, after the daemon's errors.
        let list = failed.join(", ");
        return Err(Failure::new(t("start.failed", &[("names", &list)]), 1));
    }
    Ok(code)
}

pub fn attach(store: &Store, name: &str, flags: AttachFlags) -> CmdResult {
    let detach_keys = attach::detach_keys(flags.detach_keys.as_deref())?;
    let c = store.resolve_container(name)?;
    if c.is_restarting() {
        return Err(Failure::new(t("err-attach-restarting", &[]), 1));
    }
    if !c.is_running() {
        return Err(Failure::new(t("err-attach-stopped", &[]), 1));
    }
    if c.is_paused() {
        return Err(crate::engine::EngineError::Paused {
            id: name.to_string(),
            op: "attach".into(),
        }
        .into());
    }
    store.emit(Event::container(Action::Attach, &c));
    let mut forward = |sig: i32| proxy_signal(store, &c.id, sig);
    let opts = attach::AttachOptions {
        forward_stdin: flags.interactive && c.config.stdin_open,
        tty: c.config.tty,
        send_start: false,
        sig_proxy: flags
            .sig_proxy
            .then_some(&mut forward as &mut dyn FnMut(i32)),
        detach_keys,
    };
    match attach::run_attached(&store.root, &c.id, opts) {
        Ok(Outcome::Exited(code)) => Ok(code),
        Ok(Outcome::Detached) => {
            store.emit(Event::container(Action::Detach, &c));
            Ok(0)
        }
        Ok(Outcome::StartFailed(e)) => Err(Failure::new(start_detail(&e), e.exit_code())),
        Err(e) => Err(Failure::new(e, 1)),
    }
}

fn emit_detach(store: &Store, c: &Container) {
    store.emit(Event::container(Action::Detach, c));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_specs_parse_like_docker() {
        let p = parse_publish("8080:80").unwrap();
        assert_eq!(
            (p.host_port, p.container_port, p.proto.as_str()),
            (8080, 80, "tcp")
        );
        let p = parse_publish("80").unwrap();
        assert_eq!((p.host_port, p.container_port), (0, 80));
        let p = parse_publish("127.0.0.1:9000:90").unwrap();
        assert_eq!((p.host_ip.as_str(), p.host_port), ("127.0.0.1", 9000));
        assert!(parse_publish("80/udp").is_err());
        assert!(parse_publish("x:80").is_err());
        assert!(parse_publish("80/sctp").is_err());
    }
}
