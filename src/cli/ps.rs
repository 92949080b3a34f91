//! `docker ps`: Docker's container list, its filters, columns and templates.

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{
    Listing, Scope, Template, ago, ellipsis, go_quote, go_time, human_duration, human_size, table,
};
use super::{CmdResult, Failure};
use crate::engine::container::Container;
use crate::engine::health;
use crate::engine::time::parse_time_millis;
use crate::engine::{Store, now_millis};
use crate::i18n::t;

/// Docker's STATUS column.
pub fn status_text(c: &Container) -> String {
    match c.state.status.as_str() {
        "running" => format!(
            "Up {}{}",
            human_duration(now_millis().saturating_sub(parse_time_millis(&c.state.started_at))),
            match &c.state.health {
                _ if c.is_paused() => " (Paused)".to_string(),
                Some(h) if h.status == health::STARTING => " (health: starting)".to_string(),
                Some(h) => format!(" ({})", h.status),
                None => String::new(),
            }
        ),
        "restarting" => format!(
            "Restarting ({}) {}",
            c.state.exit_code.unwrap_or(0),
            ago(parse_time_millis(&c.state.finished_at))
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
        .flat_map(crate::engine::proxy::published_text)
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
    "ancestor", "before", "exited", "health", "id", "label", "name", "since", "status", "volume",
];
const PS_DOCKER_ONLY: &[&str] = &["expose", "isolation", "is-task", "network", "publish"];
/// Docker's container states (`status=` accepts only these), in the order its refusal names them.
const STATES: &[&str] = &[
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
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

/// The command as Docker's daemon lists it: the program, then its arguments, each one with a
/// space in it between single quotes (`sh -c 'exit 7'`).
pub(super) fn daemon_command(c: &Container) -> String {
    let mut words = c.config.argv.iter();
    let mut out = words.next().cloned().unwrap_or_default();
    for w in words {
        out.push(' ');
        if w.contains(' ') {
            out.push_str(&format!("'{w}'"));
        } else {
            out.push_str(w);
        }
    }
    out
}

/// One container as Docker's ContainerContext shows it (`system df -v` reuses it).
pub(super) fn row_for(c: &Container, trunc: bool, size: Option<(u64, u64)>) -> serde_json::Value {
    ps_row(c, trunc, size)
}

/// The IMAGE cell: Docker's ContainerContext drops a digest unless `--no-trunc`
/// (`busybox@sha256:…` shows as `busybox`, `a:1@sha256:…` as `a:1`).
fn image_shown(image: &str) -> String {
    match crate::engine::image::Reference::parse_any(image) {
        Ok(r) if r.digest.is_some() && r.tag.is_empty() => r.name,
        Ok(r) if r.digest.is_some() => format!("{}:{}", r.name, r.tag),
        _ => image.to_string(),
    }
}

/// One container as Docker's ContainerContext shows it (the fields `{{json .}}` prints).
fn ps_row(c: &Container, trunc: bool, size: Option<(u64, u64)>) -> serde_json::Value {
    let command = daemon_command(c);
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
        "Image": if trunc { image_shown(&c.image) } else { c.image.clone() },
        "Labels": labels,
        "LocalVolumes": super::volume::local_volumes(c),
        "Mounts": super::volume::ps_mounts(c, trunc),
        "Names": c.name,
        "Networks": super::network::networks_text(c),
        "Ports": ports_text(c),
        "RunningFor": ago(c.created_millis()),
        "Size": size_text,
        "State": c.state_name(),
        "Status": status_text(c),
    })
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
                "listing.bad-state",
                &[("value", s), ("states", &STATES.join(", "))],
            )));
        }
    }
    for h in filters.get("health") {
        if !["starting", "healthy", "unhealthy", "none"].contains(&h.as_str()) {
            return Err(daemon_failure(&t("listing.bad-health", &[("value", h)])));
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
        // Docker lists a restarting container as it does a running one.
        if !c.is_running() && !c.is_restarting() && !all {
            continue;
        }
        if !(filters.matches_regex("name", &format!("/{}", c.name))
            || filters.matches_regex("name", &c.name))
            || !filters.matches_regex("id", &c.id)
            || !filters.matches_labels(&c.config.labels)
            || !super::volume::has_mount(&c, filters.get("volume"))
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
        if !status.is_empty() && !status.iter().any(|s| s == c.state_name()) {
            continue;
        }
        let health = filters.get("health");
        if !health.is_empty() && !health.iter().any(|h| h == health::status_of(&c)) {
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
            let rw = store.container_size(&c.id);
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
            let command = daemon_command(c);
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
