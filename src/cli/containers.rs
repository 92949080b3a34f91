//! Container commands: run, create, start, attach, ps, logs, restart, rename, top, commit,
//! diff, wait.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use super::args::RunArgs;
use super::attach::{self, Outcome};
use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{
    Listing, Scope, Template, ago, ellipsis, go_quote, go_time, human_duration, human_size, table,
};
use super::{CmdResult, Failure, describe, images, start_detail};
use crate::engine::container::{Container, PortBinding};
use crate::engine::image::parse_time_millis;
use crate::engine::lifecycle::{CommitOptions, CreateOptions};
use crate::engine::{EngineError, Event, Store, now_millis};
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
        [c] => ("0.0.0.0", Some(0), port(c)),
        [c, h] => (
            "0.0.0.0",
            if h.is_empty() { Some(0) } else { port(h) },
            port(c),
        ),
        [c, h, ip] => (
            if ip.is_empty() { "0.0.0.0" } else { ip },
            if h.is_empty() { Some(0) } else { port(h) },
            port(c),
        ),
        _ => (spec, None, None),
    };
    match (host, container) {
        (Some(h), Some(c)) => Ok(PortBinding {
            host_ip: ip.to_string(),
            host_port: h,
            container_port: c,
            proto: proto.to_string(),
        }),
        _ => Err(bad()),
    }
}

fn docker_prefixed(e: EngineError) -> Failure {
    Failure::new(format!("docker: {}", describe(&e)), 125)
}

/// Make sure the image is in the store, pulling it from the catalog like `docker run` does.
fn ensure_image(store: &Store, name: &str) -> Result<(), Failure> {
    match store.resolve_image(name) {
        Ok(_) => Ok(()),
        Err(EngineError::NoSuchImage(_)) => {
            let r = crate::engine::image::Reference::parse(name).map_err(docker_prefixed)?;
            eprintln!("{}", t("run-unable-to-find", &[("name", &r.full())]));
            let mut err = std::io::stderr();
            images::pull_to(store, name, false, &mut err).map_err(|f| Failure {
                message: format!("docker: {}", f.message),
                code: 125,
            })
        }
        Err(e) => Err(docker_prefixed(e)),
    }
}

fn create_options(a: &RunArgs) -> Result<CreateOptions, Failure> {
    let mut ports = Vec::new();
    for p in &a.publish {
        ports.push(parse_publish(p)?);
    }
    let mut labels = std::collections::BTreeMap::new();
    for l in &a.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.insert(k.to_string(), v.to_string());
    }
    Ok(CreateOptions {
        image: a.image.clone(),
        name: a.name.clone(),
        cmd: a.command.clone(),
        entrypoint: a.entrypoint.clone(),
        env: a.env.clone(),
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
    })
}

pub fn create(store: &Store, a: RunArgs) -> CmdResult {
    let opts = create_options(&a)?;
    ensure_image(store, &a.image)?;
    let c = store.create_container(&opts).map_err(docker_prefixed)?;
    println!("{}", c.id);
    Ok(0)
}

fn start_failed(store: &Store, c: &Container, e: &EngineError) -> Failure {
    let code = e.exit_code();
    let msg = t("err-start-failed", &[("detail", &start_detail(e))]);
    // A container that never ran is not left half-made (Docker would keep it as Created).
    if c.config.auto_remove || !c.config.ports.is_empty() {
        let _ = store.remove_container(&c.id, true);
    }
    Failure::new(format!("docker: {}{}", t("err-daemon", &[]), msg), code)
}

pub fn run(store: &Store, a: RunArgs) -> CmdResult {
    let opts = create_options(&a)?;
    let detach_keys = attach::detach_keys(a.detach_keys.as_deref())?;
    if a.tty && a.interactive && !attach::stdin_is_tty() && !a.detach {
        return Err(Failure::new(t("err-not-a-tty", &[]), 1));
    }
    crate::engine::proxy::check_ports(&opts.ports).map_err(docker_prefixed)?;
    ensure_image(store, &a.image)?;
    let c = store.create_container(&opts).map_err(docker_prefixed)?;
    if a.detach {
        let mut m = store.start_monitor(&c, false).map_err(docker_prefixed)?;
        return match m.wait_started() {
            Ok(_) => {
                println!("{}", c.id);
                Ok(0)
            }
            Err(e) => Err(start_failed(store, &c, &e)),
        };
    }
    let m = store.start_monitor(&c, true).map_err(docker_prefixed)?;
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
    for name in names {
        let res = (|| -> CmdResult {
            let c = store.resolve_container(name)?;
            if c.is_running() {
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
                    Ok(Outcome::StartFailed(e)) => Err(Failure::new(
                        format!(
                            "{}{}",
                            t("err-daemon", &[]),
                            t("err-start-failed", &[("detail", &start_detail(&e))])
                        ),
                        e.exit_code(),
                    )),
                    Err(e) => Err(Failure::new(e, 1)),
                };
            }
            let mut m = store.start_monitor(&c, false)?;
            match m.wait_started() {
                Ok(_) => {
                    println!("{name}");
                    Ok(0)
                }
                Err(e) => Err(Failure::new(
                    format!(
                        "{}{}",
                        t("err-daemon", &[]),
                        t("err-start-failed", &[("detail", &start_detail(&e))])
                    ),
                    1,
                )),
            }
        })();
        match res {
            Ok(c) => code = c,
            Err(f) => {
                eprintln!("{}", f.message);
                if names.len() > 1 {
                    code = 1;
                } else {
                    return Err(Failure::new(String::new(), f.code));
                }
            }
        }
    }
    Ok(code)
}

pub fn attach(store: &Store, name: &str, flags: AttachFlags) -> CmdResult {
    let detach_keys = attach::detach_keys(flags.detach_keys.as_deref())?;
    let c = store.resolve_container(name)?;
    if !c.is_running() {
        return Err(Failure::new(t("err-attach-stopped", &[]), 1));
    }
    store.emit(Event::container("attach", &c));
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
            store.emit(Event::container("detach", &c));
            Ok(0)
        }
        Ok(Outcome::StartFailed(e)) => Err(Failure::new(start_detail(&e), e.exit_code())),
        Err(e) => Err(Failure::new(e, 1)),
    }
}

fn emit_detach(store: &Store, c: &Container) {
    store.emit(Event::container("detach", c));
}

/// Docker's STATUS column.
pub fn status_text(c: &Container) -> String {
    match c.state.status.as_str() {
        "running" => format!(
            "Up {}",
            human_duration(now_millis().saturating_sub(parse_time_millis(&c.state.started_at)))
        ),
        "exited" => format!(
            "Exited ({}) {}",
            c.state.exit_code.unwrap_or(0),
            ago(parse_time_millis(&c.state.finished_at))
        ),
        _ => "Created".into(),
    }
}

/// Docker's PORTS column (only while running).
pub fn ports_text(c: &Container) -> String {
    if !c.is_running() {
        return String::new();
    }
    c.config
        .ports
        .iter()
        .map(|p| {
            format!(
                "{}:{}->{}/{}",
                p.host_ip, p.host_port, p.container_port, p.proto
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `docker ps` flags.
pub struct PsOptions<'a> {
    pub all: bool,
    pub quiet: bool,
    pub latest: bool,
    pub last: Option<usize>,
    pub no_trunc: bool,
    pub size: bool,
    pub format: Option<&'a str>,
    pub filters: &'a [String],
}

/// The `--filter` keys gorae implements for `ps`, and those Docker has that gorae does not.
const PS_FILTERS: &[&str] = &[
    "ancestor", "before", "exited", "id", "label", "name", "since", "status",
];
const PS_DOCKER_ONLY: &[&str] = &[
    "expose",
    "health",
    "isolation",
    "is-task",
    "network",
    "publish",
    "volume",
];
/// Docker's container states (`status=` accepts only these).
const STATES: &[&str] = &[
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];

const PS_GO_TYPE: &str = "*formatter.ContainerContext";

/// The column titles of Docker's ContainerContext.
fn ps_headers() -> serde_json::Value {
    serde_json::json!({
        "ID": "CONTAINER ID",
        "Names": "NAMES",
        "Image": "IMAGE",
        "Command": "COMMAND",
        "CreatedAt": "CREATED AT",
        "RunningFor": "CREATED",
        "Ports": "PORTS",
        "State": "STATE",
        "Status": "STATUS",
        "Size": "SIZE",
        "Labels": "LABELS",
        "Mounts": "MOUNTS",
        "LocalVolumes": "LOCAL VOLUMES",
        "Networks": "NETWORKS",
    })
}

/// One container as Docker's ContainerContext shows it (the fields `{{json .}}` prints).
fn ps_row(c: &Container, trunc: bool, size: Option<(u64, u64)>) -> serde_json::Value {
    let command = c.config.argv.join(" ");
    let labels = c
        .config
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let (rw, rootfs) = size.unwrap_or((0, 0));
    let size_text = if rootfs > 0 {
        format!("{} (virtual {})", human_size(rw), human_size(rootfs))
    } else {
        human_size(rw)
    };
    serde_json::json!({
        "Command": go_quote(&if trunc { ellipsis(&command, 20) } else { command }),
        "CreatedAt": go_time(c.created_millis()),
        "ID": if trunc { c.short_id() } else { c.id.clone() },
        "Image": c.image,
        "Labels": labels,
        "LocalVolumes": "0",
        "Mounts": "",
        "Names": c.name,
        // gorae gives each container its own empty network namespace.
        "Networks": "none",
        "Ports": ports_text(c),
        "RunningFor": ago(c.created_millis()),
        "Size": size_text,
        "State": c.state.status,
        "Status": status_text(c),
    })
}

/// Bytes written by the container (its overlay upper dir, as Docker's SizeRw): every non-dir
/// entry's size, hard links counted once. Entries the user cannot read are skipped.
fn upper_size(store: &Store, c: &Container) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![store.container_dir(&c.id).join("upper")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.nlink() <= 1 || seen.insert((m.dev(), m.ino())) {
                total += m.len();
            }
        }
    }
    total
}

/// The image and the images it was built from (for `ancestor=`).
fn image_chain(store: &Store, image_id: &str) -> Vec<String> {
    let mut chain = vec![image_id.to_string()];
    while let Some(p) = chain.last().and_then(|id| store.build_parent(id)) {
        if chain.contains(&p) {
            break;
        }
        chain.push(p);
    }
    chain
}

/// Docker's container list: filters, `--last`/`--latest` and the implied `-a`, in the
/// daemon's order (newest first; before/since walk that order).
fn ps_select(store: &Store, o: &PsOptions, filters: &Filters) -> Result<Vec<Container>, Failure> {
    for s in filters.get("status") {
        if !STATES.contains(&s.as_str()) {
            return Err(daemon_failure(&t(
                "listing.invalid-filter",
                &[("filter", &format!("status={s}"))],
            )));
        }
    }
    let mut exited = Vec::new();
    for v in filters.get("exited") {
        match v.parse::<i32>() {
            Ok(code) => exited.push(code),
            Err(_) => return Err(daemon_failure(&t("listing.bad-exit-code", &[("value", v)]))),
        }
    }
    let mut before = None;
    for v in filters.get("before") {
        before = Some(store.resolve_container(v)?.id);
    }
    let mut since = None;
    for v in filters.get("since") {
        since = Some(store.resolve_container(v)?.id);
    }
    // An ancestor that does not exist matches nothing (Docker only logs a warning).
    let ancestors: Vec<String> = filters
        .get("ancestor")
        .iter()
        .filter_map(|a| store.resolve_image(a).ok().map(|i| i.id))
        .collect();
    let limit = match (o.latest, o.last) {
        (_, Some(n)) if n > 0 => Some(n),
        (true, _) => Some(1),
        _ => None,
    };
    let all = o.all || !filters.get("status").is_empty() || limit.is_some();
    let mut out = Vec::new();
    for c in store.containers()? {
        if let Some(b) = &before {
            if *b == c.id {
                before = None;
            }
            continue;
        }
        if since.as_deref() == Some(c.id.as_str()) {
            break;
        }
        if !c.is_running() && !all {
            continue;
        }
        if !(filters.matches_regex("name", &format!("/{}", c.name))
            || filters.matches_regex("name", &c.name))
            || !filters.matches_regex("id", &c.id)
            || !filters.matches_labels(&c.config.labels)
        {
            continue;
        }
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        // Docker counts only containers that ran and stopped (not ones never started).
        let exited_ok = exited.is_empty()
            || (c.state.status == "exited" && exited.contains(&c.state.exit_code.unwrap_or(0)));
        if !exited_ok {
            continue;
        }
        let status = filters.get("status");
        if !status.is_empty() && !status.contains(&c.state.status) {
            continue;
        }
        if !filters.get("ancestor").is_empty()
            && !image_chain(store, &c.image_id)
                .iter()
                .any(|id| ancestors.contains(id))
        {
            continue;
        }
        out.push(c);
    }
    Ok(out)
}

pub fn ps(store: &Store, o: &PsOptions) -> CmdResult {
    let filters = Filters::parse(o.filters, PS_FILTERS, PS_DOCKER_ONLY)
        .map_err(|e| filter_failure(e, "ps", PS_FILTERS))?;
    let custom = o.format.filter(|f| !f.is_empty());
    let mut size = o.size;
    if let Some(f) = custom {
        if o.quiet {
            eprintln!("{}", t("listing.format-quiet", &[]));
        }
        // Docker checks the template as typed against an empty container first, and turns on
        // --size when it reads .Size.
        let raw = Template::parse(f)
            .map_err(|e| Failure::new(t("listing.template-parse", &[("detail", &e.0)]), 1))?;
        let probe = ps_row(&Container::default(), true, None);
        let scope = Scope::Struct {
            go_type: PS_GO_TYPE,
            labels: None,
        };
        if let Err((_, e)) = raw.execute(&probe, scope) {
            return Err(Failure::new(
                t("listing.template-exec", &[("detail", &e.0)]),
                1,
            ));
        }
        size |= !o.quiet && raw.uses_field("Size");
    }
    let list = ps_select(store, o, &filters)?;
    if o.quiet {
        for c in &list {
            println!(
                "{}",
                if o.no_trunc {
                    c.id.clone()
                } else {
                    c.short_id()
                }
            );
        }
        return Ok(0);
    }
    let sizes = |c: &Container| {
        size.then(|| {
            let rw = upper_size(store, c);
            let image = store
                .resolve_image(&c.image_id)
                .map(|i| store.image_size(&i))
                .unwrap_or(0);
            (rw, rw + image)
        })
    };
    let listing = Listing::parse(custom)
        .map_err(|e| Failure::new(t("listing.template-parse", &[("detail", &e.0)]), 1))?;
    let Listing::Custom { template, table } = listing else {
        let mut header = vec![
            "CONTAINER ID".to_string(),
            "IMAGE".into(),
            "COMMAND".into(),
            "CREATED".into(),
            "STATUS".into(),
            "PORTS".into(),
            "NAMES".into(),
        ];
        if size {
            header.push("SIZE".into());
        }
        let mut rows = vec![header];
        for c in &list {
            let command = c.config.argv.join(" ");
            let mut row = vec![
                if o.no_trunc {
                    c.id.clone()
                } else {
                    c.short_id()
                },
                c.image.clone(),
                go_quote(&if o.no_trunc {
                    command
                } else {
                    ellipsis(&command, 20)
                }),
                ago(c.created_millis()),
                status_text(c),
                ports_text(c),
                c.name.clone(),
            ];
            if let Some(v) = ps_row(c, true, sizes(c))
                .get("Size")
                .and_then(|v| v.as_str())
                && size
            {
                row.push(v.to_string());
            }
            rows.push(row);
        }
        print!("{}", table(&rows));
        return Ok(0);
    };
    let rows: Vec<(serde_json::Value, Scope)> = list
        .iter()
        .map(|c| {
            (
                ps_row(c, !o.no_trunc, sizes(c)),
                Scope::Struct {
                    go_type: PS_GO_TYPE,
                    labels: Some(&c.config.labels),
                },
            )
        })
        .collect();
    let text = Listing::render(&template, table, &rows, &ps_headers())
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    print!("{text}");
    Ok(0)
}

pub fn logs(
    store: &Store,
    name: &str,
    follow: bool,
    tail: Option<&str>,
    timestamps: bool,
) -> CmdResult {
    let c = store.resolve_container(name)?;
    let lines = store.read_logs(&c.id);
    let skip = match tail {
        None | Some("all") => 0,
        Some(n) => {
            let n: usize = n
                .parse()
                .map_err(|_| Failure::new(t("err-bad-tail", &[("value", n)]), 1))?;
            count_skip(&lines, n)
        }
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    for l in &lines[skip..] {
        print_log(&mut out, &mut err, l, timestamps);
    }
    if !follow {
        return Ok(0);
    }
    // Follow: read what is appended until the container stops.
    let path = store.container_dir(&c.id).join("log.jsonl");
    let mut offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut pending = String::new();
    loop {
        let running = store
            .load_container(&c.id)
            .map(|c| c.is_running())
            .unwrap_or(false);
        if let Ok(mut f) = std::fs::File::open(&path) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len < offset {
                offset = 0; // rotated
            }
            if len > offset && f.seek(SeekFrom::Start(offset)).is_ok() {
                let mut buf = String::new();
                if f.read_to_string(&mut buf).is_ok() {
                    offset = len;
                    pending.push_str(&buf);
                    while let Some(i) = pending.find('\n') {
                        let line: String = pending.drain(..=i).collect();
                        if let Ok(l) = serde_json::from_str(line.trim_end()) {
                            print_log(&mut out, &mut err, &l, timestamps);
                        }
                    }
                }
            }
        }
        if !running {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many log entries to skip so that the last `n` lines are printed (one entry per line).
fn count_skip(lines: &[crate::engine::container::LogLine], n: usize) -> usize {
    lines.len().saturating_sub(n)
}

fn print_log(
    out: &mut dyn Write,
    err: &mut dyn Write,
    l: &crate::engine::container::LogLine,
    timestamps: bool,
) {
    let w: &mut dyn Write = if l.stream == "stderr" { err } else { out };
    if timestamps {
        let _ = write!(w, "{} ", l.time);
    }
    let _ = w.write_all(l.log.as_bytes());
    let _ = w.flush();
}

/// Run `f` on each name, printing the name on success (Docker's stop/kill/rm output).
pub fn for_each(names: &[String], f: impl Fn(&str) -> Result<(), EngineError>) -> CmdResult {
    let mut code = 0;
    for n in names {
        match f(n) {
            Ok(()) => println!("{n}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

pub fn restart(store: &Store, names: &[String], time: u64) -> CmdResult {
    for_each(names, |n| {
        let c = store.stop_container(n, time)?;
        let c = store.load_container(&c.id)?;
        let mut m = store.start_monitor(&c, false)?;
        m.wait_started()?;
        store.update_container(&c.id, |c| c.state.restart_count += 1)?;
        store.emit(Event::container("restart", &c));
        Ok(())
    })
}

pub fn rename(store: &Store, name: &str, new_name: &str) -> CmdResult {
    crate::engine::container::validate_name(new_name)?;
    let c = store.resolve_container(name)?;
    {
        let _lock = store.lock()?;
        if let Some(other) = store.containers()?.iter().find(|o| o.name == new_name) {
            return Err(EngineError::NameInUse {
                name: new_name.to_string(),
                id: other.id.clone(),
            }
            .into());
        }
        let mut rec = store.load_container(&c.id)?;
        rec.name = new_name.to_string();
        store.save_container(&rec)?;
    }
    store.emit(
        Event::new("container", "rename")
            .id(&c.id)
            .name(new_name)
            .image(&c.image)
            .attr("oldName", c.name.clone()),
    );
    Ok(0)
}

/// Host processes in the container's PID namespace.
pub fn container_pids(c: &Container) -> Vec<i32> {
    let Ok(ns) = std::fs::read_link(format!("/proc/{}/ns/pid", c.state.pid)) else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .filter(|pid: &i32| {
                    std::fs::read_link(format!("/proc/{pid}/ns/pid")).is_ok_and(|l| l == ns)
                })
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

pub fn top(store: &Store, name: &str, _ps_args: &[String]) -> CmdResult {
    let c = store.resolve_container(name)?;
    if !c.is_running() {
        return Err(EngineError::NotRunning(c.id.clone()).into());
    }
    let users = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let user_name = |uid: &str| {
        users
            .lines()
            .find(|l| l.split(':').nth(2) == Some(uid))
            .and_then(|l| l.split(':').next())
            .unwrap_or(uid)
            .to_string()
    };
    let hz = crate::engine::runtime::sys::clock_ticks();
    let mut rows = vec![vec![
        "UID".to_string(),
        "PID".into(),
        "PPID".into(),
        "C".into(),
        "STIME".into(),
        "TTY".into(),
        "TIME".into(),
        "CMD".into(),
    ]];
    for pid in container_pids(&c) {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ppid = f.get(1).unwrap_or(&"0").to_string();
        let tty_nr: u64 = f.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
        let cpu: u64 = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let secs = cpu / hz;
        let uid = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
            })
            .unwrap_or_else(|| "0".into());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .split('\0')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let tty = if tty_nr == 0 {
            "?".to_string()
        } else {
            format!("pts/{}", (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00))
        };
        let stime = std::fs::metadata(format!("/proc/{pid}"))
            .and_then(|m| m.modified())
            .ok()
            .map(|t| {
                chrono::DateTime::<chrono::Local>::from(t)
                    .format("%H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        rows.push(vec![
            user_name(&uid),
            pid.to_string(),
            ppid,
            "0".into(),
            stime,
            tty,
            format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
            cmdline,
        ]);
    }
    print!("{}", table(&rows));
    Ok(0)
}

pub fn commit(
    store: &Store,
    name: &str,
    repo: Option<&str>,
    message: String,
    author: String,
    changes: Vec<String>,
) -> CmdResult {
    let opts = CommitOptions {
        message,
        author,
        changes,
    };
    let id = store.commit_container(name, repo, &opts)?;
    println!("{id}");
    Ok(0)
}

pub fn diff(store: &Store, name: &str) -> CmdResult {
    for (kind, path) in store.container_changes(name)? {
        println!("{kind} {path}");
    }
    Ok(0)
}

pub fn wait(store: &Store, names: &[String]) -> CmdResult {
    let mut code = 0;
    for n in names {
        match store.wait_container(n) {
            Ok(c) => println!("{c}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

pub fn port(store: &Store, name: &str, which: Option<&str>) -> CmdResult {
    let c = store.resolve_container(name)?;
    let want = which.map(|w| {
        let (p, proto) = w.split_once('/').unwrap_or((w, "tcp"));
        (p.to_string(), proto.to_string())
    });
    let mut found = false;
    for p in &c.config.ports {
        if !c.is_running() {
            break;
        }
        match &want {
            Some((port, proto)) => {
                if p.container_port.to_string() == *port && p.proto == *proto {
                    println!("{}:{}", p.host_ip, p.host_port);
                    found = true;
                }
            }
            None => {
                println!(
                    "{}/{} -> {}:{}",
                    p.container_port, p.proto, p.host_ip, p.host_port
                );
                found = true;
            }
        }
    }
    if let (Some(w), false) = (which, found) {
        return Err(Failure::new(
            t("port-none", &[("port", w), ("name", &c.name)]),
            1,
        ));
    }
    Ok(0)
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
