//! What changes things: up, down, start, stop, restart, build, run, exec; Compose v2's
//! progress lines (`[+] Running 3/3`, ` ✔ Container p-web-1  Started`; plain when stderr is
//! not a terminal).

use std::collections::BTreeMap;
use std::io::IsTerminal;

use gorae_compose::model::{Mount, Service};
use gorae_compose::{Project, project::config_hash};

use super::super::{CmdResult, Failure, describe, start_detail};
use super::{
    COMPOSE_VERSION, CONFIG_FILES, DEPENDS_ON, ExecArgs, HASH, IMAGE, NUMBER, ONEOFF, PROJECT,
    RunArgs, SERVICE, VERSION, VOLUME, WORKING_DIR, containers, selected, service_of,
};
use crate::engine::container::{Container, PortBinding};
use crate::engine::health::HealthConfig;
use crate::engine::lifecycle::CreateOptions;
use crate::engine::{EngineError, Store};
use crate::i18n::t;

/// Compose's progress: on a terminal ` ✔ Kind name  Done` under `[+] Running n/m`; plain
/// ` Kind name  Doing` / ` Kind name  Done` otherwise. On stderr, as compose writes it.
pub struct Progress {
    tty: bool,
    lines: Vec<String>,
    verb: &'static str,
}

impl Progress {
    pub fn new(verb: &'static str) -> Progress {
        Progress {
            tty: std::io::stderr().is_terminal(),
            lines: Vec::new(),
            verb,
        }
    }
    /// An action begins (plain mode shows it).
    pub fn doing(&mut self, kind: &str, name: &str, what: &str) {
        if !self.tty {
            eprintln!(" {kind} {name}  {what}");
        }
    }
    /// An action ended.
    pub fn done(&mut self, kind: &str, name: &str, what: &str) {
        if self.tty {
            self.lines.push(format!(" \u{2714} {kind} {name}  {what}"));
            self.redraw(false);
        } else {
            eprintln!(" {kind} {name}  {what}");
        }
    }
    pub fn failed(&mut self, kind: &str, name: &str, what: &str) {
        if self.tty {
            self.lines.push(format!(" \u{2718} {kind} {name}  {what}"));
            self.redraw(false);
        } else {
            eprintln!(" {kind} {name}  {what}");
        }
    }
    fn redraw(&self, _final: bool) {
        // Move up over what was drawn, draw the header and the lines again (as compose does).
        let n = self.lines.len();
        let mut out = String::new();
        if n > 1 {
            out.push_str(&format!("\x1b[{}A\r", n));
        }
        out.push_str(&format!("\x1b[2K[+] {} {}/{}\n", self.verb, n, n));
        for l in &self.lines {
            out.push_str(&format!("\x1b[2K{l}\n"));
        }
        eprint!("{out}");
    }
}

fn engine_failure(e: &EngineError) -> Failure {
    Failure::new(describe(e), 1)
}

/// The container name of a service: `container_name:` or `project-service-1`.
fn container_name(p: &Project, name: &str, s: &Service) -> String {
    s.container_name
        .clone()
        .unwrap_or_else(|| format!("{}-{name}-1", p.name))
}

/// The image a service runs: `image:`, or `project-service` for a build without one.
pub fn image_of(p: &Project, name: &str, s: &Service) -> String {
    s.image
        .clone()
        .unwrap_or_else(|| format!("{}-{name}", p.name))
}

fn find(store: &Store, p: &Project, service: &str) -> Option<Container> {
    containers(store, &p.name, false)
        .into_iter()
        .find(|c| service_of(c) == service)
}

/// Build a service's image with `docker build`'s own output.
fn build_one(p: &Project, name: &str, s: &Service) -> Result<(), Failure> {
    let Some(b) = &s.build else { return Ok(()) };
    let mut args = vec![
        "build".to_string(),
        "-t".into(),
        image_of(p, name, s),
        "-f".into(),
        gorae_compose::model::absolute(std::path::Path::new(&b.context), &b.dockerfile),
    ];
    for (k, v) in &b.args {
        if let Some(v) = v {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
    }
    args.push(b.context.clone());
    match super::super::parse_and_run(&args) {
        0 => Ok(()),
        code => Err(Failure::new(
            t("compose-err-build-failed", &[("service", name)]),
            code,
        )),
    }
}

pub fn build(store: &Store, p: &Project, names: &[String]) -> CmdResult {
    let _ = store;
    for name in selected(p, names)? {
        build_one(p, &name, &p.services[&name])?;
    }
    Ok(0)
}

fn ensure_image(
    store: &Store,
    p: &Project,
    name: &str,
    s: &Service,
    rebuild: bool,
) -> Result<(), Failure> {
    let image = image_of(p, name, s);
    let present = store.resolve_image(&image).is_ok();
    if s.build.is_some() && (rebuild || !present) {
        return build_one(p, name, s);
    }
    if present {
        return Ok(());
    }
    let mut err = std::io::stderr();
    super::super::images::pull_to(store, &image, false, true, &mut err)
}

fn mount_flags(p: &Project, m: &Mount) -> String {
    let mut parts = vec![format!("type={}", m.kind)];
    if let Some(src) = &m.source {
        let src = if m.kind == "volume" {
            p.volumes
                .get(src)
                .map(|v| v.name.clone())
                .unwrap_or_else(|| src.clone())
        } else {
            src.clone()
        };
        parts.push(format!("source={src}"));
    }
    parts.push(format!("target={}", m.target));
    if m.read_only {
        parts.push("readonly".into());
    }
    if m.volume.as_ref().is_some_and(|v| v.nocopy) {
        parts.push("volume-nocopy".into());
    }
    parts.join(",")
}

fn create_options(
    p: &Project,
    name: &str,
    s: &Service,
    oneoff: Option<&RunArgs>,
) -> Result<CreateOptions, Failure> {
    let mounts: Vec<String> = s.volumes.iter().map(|m| mount_flags(p, m)).collect();
    // Binds with create_host_path: compose makes the host folder.
    for m in &s.volumes {
        if m.kind == "bind"
            && m.bind.as_ref().is_some_and(|b| b.create_host_path)
            && let Some(src) = &m.source
        {
            let _ = std::fs::create_dir_all(src);
        }
    }
    let mounts = super::super::volume::parse_mounts(&[], &mounts, "create")?;
    let mut ports = Vec::new();
    if oneoff.is_none() {
        for port in &s.ports {
            let host_port: u16 = match &port.published {
                Some(h) => h
                    .parse()
                    .map_err(|_| Failure::new(t("err-bad-publish", &[("spec", h)]), 1))?,
                None => 0,
            };
            ports.push(PortBinding {
                host_ip: port.host_ip.clone().unwrap_or_else(|| "0.0.0.0".into()),
                host_port,
                container_port: port.target,
                proto: port.protocol.clone(),
            });
        }
    }
    let mut labels: BTreeMap<String, String> = s.labels.clone();
    labels.insert(PROJECT.into(), p.name.clone());
    labels.insert(SERVICE.into(), name.into());
    labels.insert(NUMBER.into(), "1".into());
    labels.insert(
        ONEOFF.into(),
        if oneoff.is_some() { "True" } else { "False" }.into(),
    );
    labels.insert(HASH.into(), config_hash(s));
    labels.insert(WORKING_DIR.into(), p.working_dir.display().to_string());
    labels.insert(
        CONFIG_FILES.into(),
        p.config_files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    labels.insert(
        DEPENDS_ON.into(),
        s.depends_on
            .iter()
            .map(|(k, d)| format!("{k}:{}:{}", d.condition, d.restart))
            .collect::<Vec<_>>()
            .join(","),
    );
    labels.insert(IMAGE.into(), image_of(p, name, s));
    labels.insert(VERSION.into(), COMPOSE_VERSION.into());
    let mut env: Vec<String> = s
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    let mut cmd = s.command.clone().unwrap_or_default();
    let mut tty = s.tty;
    let mut name_opt = Some(container_name(p, name, s));
    if let Some(a) = oneoff {
        env.extend(a.env.iter().cloned());
        if !a.command.is_empty() {
            cmd = a.command.clone();
        }
        tty = !a.no_tty && std::io::stdin().is_terminal() && !a.detach;
        name_opt = Some(format!(
            "{}-{name}-run-{}",
            p.name,
            &crate::engine::random_hex(6)
        ));
    }
    Ok(CreateOptions {
        image: image_of(p, name, s),
        name: name_opt,
        cmd,
        // The engine takes one entrypoint word, like `docker run --entrypoint`; the rest of a
        // longer entrypoint goes before the command.
        entrypoint: s.entrypoint.as_ref().and_then(|e| e.first().cloned()),
        env,
        workdir: s.working_dir.clone(),
        hostname: s.hostname.clone(),
        user: s.user.clone(),
        tty,
        stdin_open: s.stdin_open || oneoff.is_some_and(|a| !a.detach),
        auto_remove: oneoff.is_some_and(|a| a.rm),
        detached: oneoff.is_none_or(|a| a.detach),
        ports,
        publish_all: false,
        labels,
        mounts,
        network: first_network(p, s).map(|(n, _)| n),
        network_aliases: first_network(p, s).map(|(_, a)| a).unwrap_or_default(),
        ip: None,
        // One-off `run` containers do not restart, as Compose's do not.
        restart_policy: match (oneoff, s.restart.as_deref()) {
            (None, Some(r)) => crate::engine::restart::parse(r)
                .map_err(|e| Failure::from(crate::engine::EngineError::RestartPolicy(e)))?,
            _ => Default::default(),
        },
        healthcheck: s.healthcheck.as_ref().map(health_config),
        init: s.init,
        ..Default::default()
    })
    .map(|mut o| {
        if let Some(e) = s.entrypoint.as_ref().filter(|e| e.len() > 1) {
            let mut c: Vec<String> = e[1..].to_vec();
            c.append(&mut o.cmd);
            o.cmd = c;
        }
        o
    })
}

/// The engine name of a service's network and its aliases (the service name first, so other
/// services reach it by name through the network's DNS).
fn network_of(p: &Project, s: &Service, key: &str, service: &str) -> (String, Vec<String>) {
    let name = p
        .networks
        .get(key)
        .map(|n| n.name.clone())
        .unwrap_or_else(|| key.to_string());
    let mut aliases = vec![service.to_string()];
    if let Some(Some(sn)) = s.networks.get(key) {
        aliases.extend(sn.aliases.iter().cloned());
    }
    (name, aliases)
}

fn first_network(p: &Project, s: &Service) -> Option<(String, Vec<String>)> {
    let service = p
        .services
        .iter()
        .find(|(_, x)| std::ptr::eq(*x, s))
        .map(|(k, _)| k.clone())?;
    s.networks
        .keys()
        .next()
        .map(|k| network_of(p, s, k, &service))
}

/// Create the service's container and connect it to its other networks.
fn create_service(
    store: &Store,
    p: &Project,
    name: &str,
    s: &Service,
) -> Result<Container, Failure> {
    let c = store
        .create_container(&create_options(p, name, s, None)?)
        .map_err(|e| engine_failure(&e))?;
    for key in s.networks.keys().skip(1) {
        let (net, aliases) = network_of(p, s, key, name);
        let o = crate::engine::net::Connect { aliases, ip: None };
        store
            .connect_network(&net, &c.id, &o)
            .map_err(|e| engine_failure(&e))?;
    }
    Ok(c)
}

fn ensure_networks(
    store: &Store,
    p: &Project,
    used: &[String],
    pr: &mut Progress,
) -> Result<(), Failure> {
    for (key, n) in &p.networks {
        if !used
            .iter()
            .any(|s| p.services[s].networks.contains_key(key))
        {
            continue;
        }
        if store.resolve_network(&n.name).is_ok() {
            continue;
        }
        if n.external {
            return Err(Failure::new(
                t("compose-err-external-network", &[("name", &n.name)]),
                1,
            ));
        }
        let mut labels = n.labels.clone();
        labels.insert(PROJECT.into(), p.name.clone());
        labels.insert(super::NETWORK.into(), key.clone());
        labels.insert(VERSION.into(), COMPOSE_VERSION.into());
        pr.doing("Network", &n.name, "Creating");
        store
            .create_network(&crate::engine::net::NetworkCreate {
                name: n.name.clone(),
                driver: "bridge".into(),
                subnet: None,
                gateway: None,
                internal: false,
                attachable: false,
                labels,
                options: Default::default(),
            })
            .map_err(|e| engine_failure(&e))?;
        pr.done("Network", &n.name, "Created");
    }
    Ok(())
}

fn start_container(store: &Store, c: &Container) -> Result<(), Failure> {
    let mut m = store
        .start_monitor(c, false)
        .map_err(|e| engine_failure(&e))?;
    m.wait_started().map(|_| ()).map_err(|e| {
        Failure::new(
            format!(
                "{}{}",
                t("err-daemon", &[]),
                t("err-start-failed", &[("detail", &start_detail(&e))])
            ),
            1,
        )
    })
}

fn ensure_volumes(store: &Store, p: &Project, pr: &mut Progress) -> Result<(), Failure> {
    for (key, v) in &p.volumes {
        if store.volume(&v.name).is_ok() {
            continue;
        }
        if v.external {
            return Err(Failure::new(
                t("compose-err-external-volume", &[("name", &v.name)]),
                1,
            ));
        }
        let mut labels = v.labels.clone();
        labels.insert(PROJECT.into(), p.name.clone());
        labels.insert(VOLUME.into(), key.clone());
        labels.insert(VERSION.into(), COMPOSE_VERSION.into());
        let shown = format!("\"{}\"", v.name);
        pr.doing("Volume", &shown, "Creating");
        store
            .create_volume(Some(&v.name), labels)
            .map_err(|e| engine_failure(&e))?;
        pr.done("Volume", &shown, "Created");
    }
    Ok(())
}

/// Wait until what `name` depends on is as its condition asks.
fn wait_dependencies(
    store: &Store,
    p: &Project,
    name: &str,
    pr: &mut Progress,
) -> Result<(), Failure> {
    for (dep, d) in &p.services[name].depends_on {
        let Some(c) = find(store, p, dep) else {
            if d.required {
                return Err(Failure::new(
                    t("compose-err-dep-missing", &[("service", dep)]),
                    1,
                ));
            }
            continue;
        };
        let cname = c.name.clone();
        match d.condition.as_str() {
            "service_healthy" => {
                pr.doing("Container", &cname, "Waiting");
                wait_healthy(store, dep, &c)?;
                pr.done("Container", &cname, "Healthy");
            }
            "service_completed_successfully" => {
                pr.doing("Container", &cname, "Waiting");
                let code = store
                    .wait_container(&c.id)
                    .map_err(|e| engine_failure(&e))?;
                if code != 0 {
                    pr.failed("Container", &cname, "Error");
                    return Err(Failure::new(
                        t(
                            "compose-err-dep-exited",
                            &[("service", dep), ("code", &code.to_string())],
                        ),
                        1,
                    ));
                }
                pr.done("Container", &cname, "Exited");
            }
            _ => {}
        }
    }
    Ok(())
}

/// Wait for the engine's health check of `dep`'s container to pass, as `depends_on:
/// service_healthy` needs (the check is the container's: compose's `healthcheck:` or the
/// image's HEALTHCHECK).
fn wait_healthy(store: &Store, dep: &str, c: &Container) -> Result<(), Failure> {
    match store.wait_health(&c.id).map_err(|e| engine_failure(&e))? {
        Some(true) => Ok(()),
        Some(false) => Err(Failure::new(
            t("compose-err-dep-unhealthy", &[("service", dep)]),
            1,
        )),
        None => Err(Failure::new(
            t("compose-err-no-healthcheck", &[("service", dep)]),
            1,
        )),
    }
}

/// Compose's `healthcheck:` as the engine's (`disable: true` and `test: ["NONE"]`: none).
fn health_config(h: &gorae_compose::model::Healthcheck) -> HealthConfig {
    if h.disable {
        return HealthConfig {
            test: vec!["NONE".into()],
            ..Default::default()
        };
    }
    let ns = |d: Option<gorae_compose::model::Duration>| d.map_or(0, |d| d.0 as i64 * 1_000_000);
    HealthConfig {
        test: h.test.clone(),
        interval: ns(h.interval),
        timeout: ns(h.timeout),
        start_period: ns(h.start_period),
        start_interval: ns(h.start_interval),
        retries: h.retries.map_or(0, i64::from),
    }
}

pub fn up(store: &Store, p: &Project, names: &[String], detach: bool, rebuild: bool) -> CmdResult {
    let mut services = selected(p, names)?;
    // Named services bring what they depend on.
    if !names.is_empty() {
        let all = selected(p, &[])?;
        let mut want: Vec<String> = services.clone();
        let mut i = 0;
        while i < want.len() {
            for d in p.services[&want[i]].depends_on.keys() {
                if !want.contains(d) {
                    want.push(d.clone());
                }
            }
            i += 1;
        }
        services = all.into_iter().filter(|s| want.contains(s)).collect();
    }
    for name in &services {
        ensure_image(store, p, name, &p.services[name], rebuild)?;
    }
    let mut pr = Progress::new("Running");
    let result = (|| -> Result<(), Failure> {
        ensure_networks(store, p, &services, &mut pr)?;
        ensure_volumes(store, p, &mut pr)?;
        for name in &services {
            let s = &p.services[name];
            let cname = container_name(p, name, s);
            let hash = config_hash(s);
            let existing = find(store, p, name);
            let image_id = store
                .resolve_image(&image_of(p, name, s))
                .ok()
                .map(|i| i.id);
            let fresh = |c: &Container| {
                c.config.labels.get(HASH) == Some(&hash)
                    && (image_id.is_none() || image_id.as_deref() == Some(c.image_id.as_str()))
            };
            let c = match existing {
                Some(c) if fresh(&c) && (c.is_running() || c.is_restarting()) => {
                    pr.done("Container", &cname, "Running");
                    continue;
                }
                Some(c) if fresh(&c) => c,
                Some(old) => {
                    pr.doing("Container", &cname, "Recreate");
                    if old.is_running() {
                        store
                            .stop_container(&old.id, 10)
                            .map_err(|e| engine_failure(&e))?;
                    }
                    store
                        .remove_container(&old.id, true)
                        .map_err(|e| engine_failure(&e))?;
                    let c = create_service(store, p, name, s)?;
                    pr.done("Container", &cname, "Recreated");
                    c
                }
                None => {
                    pr.doing("Container", &cname, "Creating");
                    let c = create_service(store, p, name, s)?;
                    pr.done("Container", &cname, "Created");
                    c
                }
            };
            wait_dependencies(store, p, name, &mut pr)?;
            pr.doing("Container", &cname, "Starting");
            if let Err(f) = start_container(store, &c) {
                pr.failed("Container", &cname, "Error");
                return Err(f);
            }
            pr.done("Container", &cname, "Started");
        }
        Ok(())
    })();
    if let Err(f) = result {
        // Say what is running, so nothing half-started is hidden.
        let running: Vec<String> = containers(store, &p.name, false)
            .into_iter()
            .filter(|c| c.is_running())
            .map(|c| c.name)
            .collect();
        let what = if running.is_empty() {
            t("compose-none-running", &[])
        } else {
            running.join(", ")
        };
        return Err(Failure::new(
            format!(
                "{}\n{}",
                f.message,
                t("compose-still-running", &[("list", &what)])
            ),
            f.code,
        ));
    }
    if detach {
        return Ok(0);
    }
    super::view::follow_until_stopped(store, p, &services)
}

pub fn down(store: &Store, p: &Project, volumes: bool, rmi: Option<&str>) -> CmdResult {
    if let Some(r) = rmi.filter(|r| !matches!(*r, "all" | "local")) {
        return Err(Failure::new(t("compose-err-rmi", &[("value", r)]), 1));
    }
    let mut pr = Progress::new("Running");
    let mut order = selected(p, &[]).unwrap_or_default();
    order.reverse();
    let mut all = containers(store, &p.name, true);
    // Dependents first; containers of services no longer in the file (orphans) last.
    all.sort_by_key(|c| {
        order
            .iter()
            .position(|s| s == service_of(c))
            .unwrap_or(usize::MAX)
    });
    for c in &all {
        if c.is_running() {
            pr.doing("Container", &c.name, "Stopping");
            store
                .stop_container(&c.id, 10)
                .map_err(|e| engine_failure(&e))?;
            pr.done("Container", &c.name, "Stopped");
        }
        pr.doing("Container", &c.name, "Removing");
        if volumes {
            let _ = store.remove_container(&c.id, true);
            store.remove_anonymous_volumes(c);
        } else {
            store
                .remove_container(&c.id, true)
                .map_err(|e| engine_failure(&e))?;
        }
        pr.done("Container", &c.name, "Removed");
    }
    for n in p.networks.values().filter(|n| !n.external) {
        let ours = store
            .resolve_network(&n.name)
            .is_ok_and(|x| x.labels.get(PROJECT) == Some(&p.name));
        if ours {
            pr.doing("Network", &n.name, "Removing");
            store
                .remove_network(&n.name)
                .map_err(|e| engine_failure(&e))?;
            pr.done("Network", &n.name, "Removed");
        }
    }
    if volumes {
        for v in p.volumes.values().filter(|v| !v.external) {
            if store.volume(&v.name).is_ok() {
                let shown = v.name.clone();
                pr.doing("Volume", &shown, "Removing");
                store
                    .remove_volume(&v.name, false)
                    .map_err(|e| engine_failure(&e))?;
                pr.done("Volume", &shown, "Removed");
            }
        }
    }
    if let Some(r) = rmi {
        for (name, s) in &p.services {
            if r == "local" && s.image.is_some() {
                continue;
            }
            let image = image_of(p, name, s);
            if store.resolve_image(&image).is_ok() {
                pr.doing("Image", &image, "Removing");
                store
                    .remove_image(&image, false)
                    .map_err(|e| engine_failure(&e))?;
                pr.done("Image", &image, "Removed");
            }
        }
    }
    Ok(0)
}

fn of_services(store: &Store, p: &Project, names: &[String]) -> Result<Vec<Container>, Failure> {
    let order = selected(p, names)?;
    let mut v: Vec<Container> = containers(store, &p.name, false)
        .into_iter()
        .filter(|c| order.iter().any(|s| s == service_of(c)))
        .collect();
    v.sort_by_key(|c| order.iter().position(|s| s == service_of(c)));
    Ok(v)
}

pub fn stop(store: &Store, p: &Project, names: &[String]) -> CmdResult {
    let mut pr = Progress::new("Running");
    let mut v = of_services(store, p, names)?;
    v.reverse();
    for c in v.iter().filter(|c| c.is_running()) {
        pr.doing("Container", &c.name, "Stopping");
        store
            .stop_container(&c.id, 10)
            .map_err(|e| engine_failure(&e))?;
        pr.done("Container", &c.name, "Stopped");
    }
    Ok(0)
}

pub fn start(store: &Store, p: &Project, names: &[String]) -> CmdResult {
    let mut pr = Progress::new("Running");
    let v = of_services(store, p, names)?;
    if v.is_empty() {
        return Err(Failure::new(t("compose-err-nothing-to-start", &[]), 1));
    }
    for c in v.iter().filter(|c| !c.is_running()) {
        wait_dependencies(store, p, service_of(c), &mut pr)?;
        pr.doing("Container", &c.name, "Starting");
        start_container(store, c)?;
        pr.done("Container", &c.name, "Started");
    }
    Ok(0)
}

pub fn restart(store: &Store, p: &Project, names: &[String]) -> CmdResult {
    let mut pr = Progress::new("Restarting");
    for c in of_services(store, p, names)? {
        pr.doing("Container", &c.name, "Restarting");
        if c.is_running() {
            store
                .stop_container(&c.id, 10)
                .map_err(|e| engine_failure(&e))?;
        }
        let c = store
            .load_container(&c.id)
            .map_err(|e| engine_failure(&e))?;
        start_container(store, &c)?;
        pr.done("Container", &c.name, "Started");
    }
    Ok(0)
}

/// `exec SERVICE CMD…`: `docker exec` on the service's container.
pub fn exec(store: &Store, p: &Project, a: ExecArgs) -> CmdResult {
    selected(p, std::slice::from_ref(&a.service))?;
    let Some(c) = find(store, p, &a.service).filter(|c| c.is_running()) else {
        return Err(Failure::new(
            t("compose-err-not-running", &[("service", &a.service)]),
            1,
        ));
    };
    let mut args = vec!["exec".to_string()];
    let tty = !a.no_tty && std::io::stdin().is_terminal();
    args.push("-i".into());
    if tty {
        args.push("-t".into());
    }
    for e in &a.env {
        args.push("-e".into());
        args.push(e.clone());
    }
    if let Some(u) = &a.user {
        args.push("-u".into());
        args.push(u.clone());
    }
    if let Some(w) = &a.workdir {
        args.push("-w".into());
        args.push(w.clone());
    }
    args.push(c.name.clone());
    args.extend(a.command.iter().cloned());
    Ok(super::super::parse_and_run(&args))
}

/// `run [--rm] SERVICE [CMD…]`: a one-off container of the service (what it depends on is
/// started first, as compose does).
pub fn run(store: &Store, p: &Project, a: RunArgs) -> CmdResult {
    selected(p, std::slice::from_ref(&a.service))?;
    let s = &p.services[&a.service];
    let deps: Vec<String> = s.depends_on.keys().cloned().collect();
    if !deps.is_empty() {
        up(store, p, &deps, true, false)?;
    }
    ensure_image(store, p, &a.service, s, false)?;
    let mut pr = Progress::new("Running");
    ensure_networks(store, p, std::slice::from_ref(&a.service), &mut pr)?;
    ensure_volumes(store, p, &mut pr)?;
    let opts = create_options(p, &a.service, s, Some(&a))?;
    let c = store
        .create_container(&opts)
        .map_err(|e| engine_failure(&e))?;
    // Start it the way `docker start -a` does: attached, its exit code ours.
    let mut args = vec!["start".to_string()];
    if !a.detach {
        args.push("-a".into());
        args.push("-i".into());
    }
    args.push(c.id.clone());
    if a.detach {
        start_container(store, &c)?;
        println!("{}", c.name);
        return Ok(0);
    }
    let code = super::super::parse_and_run(&args);
    if a.rm
        && let Ok(c) = store.load_container(&c.id)
        && !c.is_running()
    {
        let _ = store.remove_container(&c.id, true);
        store.remove_anonymous_volumes(&c);
    }
    Ok(code)
}
