//! inspect, events, version, info.

use serde_json::{Value, json};

use super::format::{Scope, Template};
use super::{CmdResult, Failure};
use crate::engine::container::Container;
use crate::engine::image::Image;
use crate::engine::{EventType, Store, events};
use crate::i18n::t;

fn container_json(store: &Store, c: &Container) -> Value {
    let limits = c.config.resources.limits();
    let ports: serde_json::Map<String, Value> = c
        .config
        .ports
        .iter()
        .map(|p| {
            let each: Vec<Value> = crate::engine::proxy::published_ips(p)
                .into_iter()
                .map(|ip| json!({"HostIp": ip, "HostPort": p.host_port.to_string()}))
                .collect();
            (format!("{}/{}", p.container_port, p.proto), json!(each))
        })
        .collect();
    let mut v = json!({
        "Id": c.id,
        "Created": c.created,
        "Path": c.config.argv.first().cloned().unwrap_or_default(),
        "Args": c.config.argv.iter().skip(1).collect::<Vec<_>>(),
        "State": {
            "Status": c.state_name(),
            "Running": c.is_running() || c.is_restarting(),
            "Paused": c.is_paused(),
            "Restarting": c.is_restarting(),
            "OOMKilled": c.state.oom_killed,
            "Dead": false,
            "Pid": c.state.pid,
            "ExitCode": c.state.exit_code.unwrap_or(0),
            "Error": "",
            "StartedAt": if c.state.started_at.is_empty() { "0001-01-01T00:00:00Z".to_string() } else { c.state.started_at.clone() },
            "FinishedAt": if c.state.finished_at.is_empty() { "0001-01-01T00:00:00Z".to_string() } else { c.state.finished_at.clone() },
        },
        "Image": c.image_id,
        "Name": format!("/{}", c.name),
        "RestartCount": c.state.restart_count,
        "Driver": "overlay2",
        "GraphDriver": {
            "Name": "overlay2",
            "Data": { "UpperDir": store.upper_dir(&c.id), "WorkDir": store.work_dir(&c.id) }
        },
        "HostConfig": {
            "AutoRemove": c.config.auto_remove,
            "RestartPolicy": {
                "Name": c.config.restart_policy.shown_name(),
                "MaximumRetryCount": c.config.restart_policy.maximum_retry_count,
            },
            "NetworkMode": super::network::network_mode(c),
            "PortBindings": ports.clone(),
            "PidsLimit": limits.pids.map_or(json!(null), |n| json!(n)),
            "Memory": limits.memory.unwrap_or(0),
            "NanoCpus": limits.nano_cpus.unwrap_or(0),
        },
        "Config": {
            "Hostname": c.config.hostname,
            "User": c.config.user,
            "Tty": c.config.tty,
            "OpenStdin": c.config.stdin_open,
            "Env": c.config.env,
            "Cmd": c.config.cmd,
            "Entrypoint": if c.config.entrypoint.is_empty() { Value::Null } else { json!(c.config.entrypoint) },
            "Image": c.image,
            "WorkingDir": c.config.workdir,
            "Labels": c.config.labels,
            "StopSignal": if c.config.stop_signal.is_empty() { Value::Null } else { json!(c.config.stop_signal) },
        },
        "NetworkSettings": super::network::network_settings(store, c, ports),
        "Mounts": super::volume::mounts_json(store, c),
    });
    // Docker's *bool with omitempty: there only when `--init` was given.
    if let Some(init) = c.config.init {
        v["HostConfig"]["Init"] = json!(init);
    }
    // Both omitted without a check, as Docker's omitempty does.
    if let Some(h) = &c.state.health {
        v["State"]["Health"] = json!(h);
    }
    if let Some(h) = &c.config.healthcheck {
        v["Config"]["Healthcheck"] = json!(h);
    }
    v
}

fn image_json(store: &Store, img: &Image) -> Value {
    json!({
        "Id": img.id,
        "RepoTags": img.tags,
        "RepoDigests": img.repo_digests,
        "Created": img.config.created,
        "Author": img.config.author,
        "Comment": img.config.history.last().map(|h| h.comment.clone()).unwrap_or_default(),
        "Config": img.config.config,
        "Architecture": img.config.architecture,
        "Os": img.config.os,
        "Size": store.image_size(img),
        "RootFS": { "Type": "layers", "Layers": img.config.rootfs.diff_ids },
    })
}

#[cfg(test)]
/// `inspect -f`: Docker's template over the inspect document (a missing key is an error).
pub fn render_template(tpl: &str, v: &Value) -> Result<String, super::format::TemplateError> {
    Template::parse(tpl)?
        .execute(v, Scope::Map)
        .map_err(|(_, e)| e)
}

pub fn inspect(
    store: &Store,
    names: &[String],
    kind: Option<&str>,
    format: Option<&str>,
) -> CmdResult {
    let mut values = Vec::new();
    let mut code = 0;
    for n in names {
        let found = match kind {
            Some("image") => store.resolve_image(n).map(|i| image_json(store, &i)),
            Some("container") => store
                .resolve_container(n)
                .map(|c| container_json(store, &c)),
            _ => store
                .resolve_container(n)
                .map(|c| container_json(store, &c))
                .or_else(|_| store.resolve_image(n).map(|i| image_json(store, &i))),
        };
        match found {
            Ok(v) => values.push(v),
            Err(_) => {
                // `container inspect` and `image inspect` ask the daemon for one kind, and
                // print its answer; `inspect` says it found no object of any kind.
                let daemon = t("err-daemon", &[]);
                let text = match kind {
                    Some("container") => {
                        format!("{daemon}{}", t("err-no-such-container", &[("name", n)]))
                    }
                    Some("image") => format!(
                        "{daemon}{}",
                        t(
                            "err-inspect-no-such-image",
                            &[("name", n), ("ref", &super::images::tagged(n))]
                        )
                    ),
                    _ => t("err-no-such-object", &[("name", n)]),
                };
                eprintln!("{text}");
                code = 1;
            }
        }
    }
    print_inspected(&values, format)?;
    Ok(code)
}

/// Print `inspect` results as Docker does: one line per object through `-f`, else a JSON array.
pub(super) fn print_inspected(values: &[Value], format: Option<&str>) -> Result<(), Failure> {
    match format {
        Some(f) => {
            // Docker's inspect exits 64 on a template that does not parse.
            let tpl = Template::parse(f)
                .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 64))?;
            // Docker's TemplateInspector: every object is tried, the errors come after, and
            // a flush with nothing written prints an empty line.
            let mut errors = Vec::new();
            let mut printed = false;
            for v in values {
                match tpl.execute(v, Scope::Map) {
                    Ok(line) => {
                        println!("{line}");
                        printed = true;
                    }
                    Err((_, e)) => errors.push(t("listing.template-error", &[("detail", &e.0)])),
                }
            }
            if !printed {
                println!();
            }
            if !errors.is_empty() {
                return Err(Failure::new(errors.join("\n"), 1));
            }
        }
        None => println!(
            "{}",
            serde_json::to_string_pretty(values).unwrap_or_else(|_| "[]".into())
        ),
    }
    Ok(())
}

/// `--since`/`--until`: a Unix time, an RFC 3339 time, or a duration ago ("10m", "1h30m").
pub(super) fn parse_when(s: &str) -> Option<u64> {
    if let Ok(secs) = s.parse::<f64>() {
        return Some((secs * 1000.0) as u64);
    }
    let ms = crate::engine::image::parse_time_millis(s);
    if ms > 0 {
        return Some(ms);
    }
    let mut total = 0u64;
    let mut num = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match ch {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(crate::engine::now_millis().saturating_sub(total))
}

fn event_line(ev: &events::Event, json_format: bool) -> String {
    if json_format {
        let mut public = ev.clone();
        public
            .attrs
            .retain(|k, _| !k.starts_with(events::PRIVATE_ATTR));
        return serde_json::to_string(&public).unwrap_or_default();
    }
    let time = chrono::DateTime::from_timestamp_millis(ev.time as i64)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)
        })
        .unwrap_or_default();
    // Docker prints the actor's attributes sorted by key.
    let mut pairs: Vec<(&str, &str)> = ev
        .public_attrs()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !ev.image.is_empty() {
        pairs.push(("image", &ev.image));
    }
    if !ev.name.is_empty() {
        pairs.push(("name", &ev.name));
    }
    pairs.sort();
    let attrs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{time} {} {} {} ({})",
        ev.kind,
        ev.action,
        ev.id,
        attrs.join(", ")
    )
}

fn filter_matches(ev: &events::Event, filters: &[String]) -> bool {
    filters.iter().all(|f| {
        let (k, v) = f.split_once('=').unwrap_or((f, ""));
        match k {
            "type" => ev.kind == v,
            // Docker matches `health_status` (and the exec ones) against `health_status: …`.
            "event" | "action" => {
                ev.action == v
                    || (["health_status", "exec_create", "exec_start"].contains(&v)
                        && ev.action.as_str().starts_with(v))
            }
            "container" => {
                ev.kind == EventType::Container && (ev.name == v || ev.id.starts_with(v))
            }
            "image" => ev.image == v || ev.name == v,
            _ => true,
        }
    })
}

pub fn events(
    store: &Store,
    since: Option<&str>,
    until: Option<&str>,
    format: Option<&str>,
    filters: &[String],
) -> CmdResult {
    let bad = |s: &str| Failure::new(t("err-bad-time", &[("value", s)]), 1);
    let since_ms = since
        .map(|s| parse_when(s).ok_or_else(|| bad(s)))
        .transpose()?;
    let until_ms = until
        .map(|s| parse_when(s).ok_or_else(|| bad(s)))
        .transpose()?;
    let json_format = format.is_some_and(|f| f.contains("json"));
    // Command records are gorae's own; `docker events` shows engine events only.
    let mut filters = filters.to_vec();
    // Watch before reading the past, so nothing appended in between is missed.
    let mut follower = events::Follower::from_offset(&store.events_path(), 0);
    let past = follower.read();
    let show = |ev: &events::Event, filters: &[String]| {
        ev.kind != EventType::Command
            && filter_matches(ev, filters)
            && since_ms.is_none_or(|s| ev.time >= s)
            && until_ms.is_none_or(|u| ev.time <= u)
    };
    if since_ms.is_some() {
        for ev in past.iter().filter(|e| show(e, &filters)) {
            println!("{}", event_line(ev, json_format));
        }
    }
    if until_ms.is_some() {
        return Ok(0);
    }
    filters.retain(|f| !f.is_empty());
    // Follow new events until interrupted, like Docker.
    for new in follower {
        for ev in new.iter().filter(|e| show(e, &filters)) {
            println!("{}", event_line(ev, json_format));
        }
    }
    Ok(0)
}

pub fn version(store: &Store) -> CmdResult {
    let v = env!("CARGO_PKG_VERSION");
    let arch = super::version::arch();
    println!("Client: gorae");
    println!(" Version:           {v}");
    println!(" API version:       1.47 (Docker-compatible commands)");
    println!(" OS/Arch:           linux/{arch}");
    println!(" Context:           gorae");
    println!();
    println!("Server: gorae engine");
    println!(" Engine:");
    println!("  Version:          {v}");
    println!("  OS/Arch:          linux/{arch}");
    println!("  Runtime:          built in (Linux namespaces, overlayfs, cgroups)");
    println!("  Root Dir:         {}", store.root.display());
    Ok(0)
}

pub fn info(store: &Store) -> CmdResult {
    let containers = store.containers()?;
    let running = containers.iter().filter(|c| c.is_running()).count();
    let images = store.images()?;
    let kernel = super::version::kernel();
    let os = super::version::os_name();
    let cgroup_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let rootless = crate::engine::runtime::sys::geteuid() != 0;
    println!("Client: gorae");
    println!();
    println!("Server:");
    println!(" Containers: {}", containers.len());
    println!("  Running: {running}");
    println!("  Paused: 0");
    println!("  Stopped: {}", containers.len() - running);
    println!(" Images: {}", images.len());
    println!(" Server Version: {}", env!("CARGO_PKG_VERSION"));
    println!(" Storage Driver: overlay2");
    println!(" Logging Driver: json-file");
    println!(" Cgroup Version: {}", if cgroup_v2 { 2 } else { 1 });
    println!(" Runtimes: gorae");
    println!(" Default Runtime: gorae");
    let (egress, warning) = super::version::egress();
    println!(" Egress: {egress}");
    println!(" Security Options:");
    println!("  capabilities: docker default (14)");
    if rootless {
        println!("  rootless");
    }
    println!(" Kernel Version: {kernel}");
    println!(" Operating System: {os}");
    println!(" Architecture: {}", std::env::consts::ARCH);
    println!(" Docker Root Dir: {}", store.root.display());
    println!(" Bundled images: {}", store.catalog_names().join(", "));
    // Docker prints its server warnings after the report, on stderr.
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_pick_fields() {
        let v =
            json!({"State": {"Status": "running", "ExitCode": 0}, "Config": {"Cmd": ["sh", "-c"]}});
        let r = |tpl: &str| render_template(tpl, &v).unwrap();
        assert_eq!(r("{{.State.Status}}"), "running");
        assert_eq!(r("code={{.State.ExitCode}}"), "code=0");
        assert_eq!(r("{{json .Config.Cmd}}"), "[\"sh\",\"-c\"]");
        assert!(render_template("{{.Nope}}", &v).is_err());
        assert_eq!(r("{{.Config.Cmd}}"), "[sh -c]");
        assert_eq!(r("{{.State}}"), "map[ExitCode:0 Status:running]");
        assert_eq!(
            render_template("{{.State", &v).unwrap_err().0,
            "template: :1: unclosed action"
        );
    }

    #[test]
    fn durations_ago_parse() {
        // "10m" is ten minutes before the moment it is read, between these two.
        let before = crate::engine::now_millis();
        let t = parse_when("10m").unwrap();
        let after = crate::engine::now_millis();
        assert!(
            before - 600_000 <= t && t <= after - 600_000,
            "{before} {t} {after}"
        );
        assert!(parse_when("abc").is_none());
    }
}
