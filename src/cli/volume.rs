//! Volumes at the command line: `docker volume create/inspect/ls/prune/rm` (run from the
//! management layer, `manage.rs`), `-v`/`--volume` and `--mount` as Docker's CLI parses
//! them, what `inspect` shows as `Mounts`, and the `ps` columns and filter that read mounts.

use std::collections::BTreeMap;

use clap::{ArgAction, Args, Command};
use serde_json::{Value, json};

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{Listing, Scope, ellipsis, human_size4, table};
use super::{CmdResult, Failure, describe};
use crate::engine::container::Container;
use crate::engine::volume::{MountError, MountKind, MountSpec, Volume};
use crate::engine::{EngineError, Store};
use crate::i18n::t;

/// Create a volume
#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    /// Specify volume driver name
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Set metadata for a volume
    #[arg(long)]
    pub label: Vec<String>,
    /// Specify volume name
    #[arg(long = "name", hide = true)]
    pub name_flag: Option<String>,
    pub name: Option<String>,
}

/// Display detailed information on one or more volumes
#[derive(Args, Debug, Clone)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub volumes: Vec<String>,
}

/// List volumes
#[derive(Args, Debug, Clone)]
pub struct LsArgs {
    /// Only display volume names
    #[arg(short, long)]
    pub quiet: bool,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    /// Provide filter values (e.g. "dangling=true")
    #[arg(value_name = "filter", short, long)]
    pub filter: Vec<String>,
}

/// Remove unused local volumes
#[derive(Args, Debug, Clone)]
pub struct PruneArgs {
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<label>")
    #[arg(value_name = "filter", long)]
    pub filter: Vec<String>,
}

/// Remove one or more volumes
#[derive(Args, Debug, Clone)]
pub struct RmArgs {
    /// Force the removal of one or more volumes
    #[arg(short, long, action = ArgAction::SetTrue)]
    pub force: bool,
    #[arg(required = true)]
    pub volumes: Vec<String>,
}

/// The clap definition of `docker volume SUB`, with Docker's use line.
pub fn command(sub: &'static str) -> Command {
    let base = Command::new(sub);
    match sub {
        "create" => CreateArgs::augment_args(base).override_usage("[OPTIONS] [VOLUME]"),
        "inspect" => InspectArgs::augment_args(base).override_usage("[OPTIONS] VOLUME [VOLUME...]"),
        "ls" => LsArgs::augment_args(base).override_usage("[OPTIONS]"),
        "prune" => PruneArgs::augment_args(base).override_usage("[OPTIONS]"),
        _ => RmArgs::augment_args(base).override_usage("[OPTIONS] VOLUME [VOLUME...]"),
    }
}

/// Run a parsed `docker volume SUB`.
pub fn run(sub: &str, m: &clap::ArgMatches) -> i32 {
    use super::manage::parsed;
    let result = super::open_store().and_then(|store| match sub {
        "create" => create(&store, parsed(m)?),
        "inspect" => inspect(&store, parsed(m)?),
        "ls" => ls(&store, parsed(m)?),
        "prune" => prune(&store, parsed(m)?),
        _ => rm(&store, parsed(m)?),
    });
    super::finish(result)
}

fn labels_of(raw: &[String]) -> BTreeMap<String, String> {
    raw.iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn create(store: &Store, a: CreateArgs) -> CmdResult {
    let name = a.name.or(a.name_flag);
    if a.driver != "local" {
        let shown = name.clone().unwrap_or_default();
        return Err(daemon_failure(&t(
            "volume.no-driver",
            &[("name", &shown), ("driver", &a.driver)],
        )));
    }
    let v = store.create_volume(name.as_deref(), labels_of(&a.label))?;
    println!("{}", v.name);
    Ok(0)
}

/// A volume as `docker volume inspect` shows it (Docker's fields, in its order).
pub fn volume_json(v: &Volume) -> Value {
    json!({
        "CreatedAt": v.created_at,
        "Driver": v.driver,
        "Labels": if v.labels.is_empty() { Value::Null } else { json!(v.labels) },
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Options": Value::Null,
        "Scope": "local",
    })
}

fn inspect(store: &Store, a: InspectArgs) -> CmdResult {
    let mut values = Vec::new();
    let mut code = 0;
    for n in &a.volumes {
        match store.volume(n) {
            Ok(v) => values.push(volume_json(&v)),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    super::inspect::print_inspected(&values, a.format.as_deref().filter(|f| !f.is_empty()))?;
    Ok(code)
}

const LS_FILTERS: &[&str] = &["dangling", "driver", "label", "name"];
const VOLUME_GO_TYPE: &str = "*formatter.volumeContext";

fn ls_headers() -> Value {
    json!({
        "Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
        "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Availability": "AVAILABILITY",
        "Group": "GROUP", "Status": "STATUS",
    })
}

/// One volume as Docker's volumeContext shows it (the fields `{{json .}}` prints).
fn ls_row(v: &Volume) -> Value {
    let labels = v
        .labels
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect::<Vec<_>>()
        .join(",");
    json!({
        "Availability": "N/A", "Driver": v.driver, "Group": "N/A", "Labels": labels,
        "Links": "N/A", "Mountpoint": v.mountpoint, "Name": v.name, "Scope": "local",
        "Size": "N/A", "Status": "N/A",
    })
}

/// `dangling=` as Docker's daemon reads it.
fn parse_bool_filter(key: &str, v: &str) -> Result<bool, Failure> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(daemon_failure(&t(
            "listing.invalid-filter",
            &[("filter", &format!("{key}=[{v}]"))],
        ))),
    }
}

fn ls(store: &Store, a: LsArgs) -> CmdResult {
    let filters = Filters::parse(&a.filter, LS_FILTERS, &[])
        .map_err(|e| filter_failure(e, "volume ls", LS_FILTERS))?;
    let mut dangling = None;
    for v in filters.get("dangling") {
        dangling = Some(parse_bool_filter("dangling", v)?);
    }
    let containers = store.containers()?;
    let used = |name: &str| {
        containers.iter().any(|c| {
            c.config
                .mounts
                .iter()
                .any(|m| m.kind == MountKind::Volume && m.source == name)
        })
    };
    let list: Vec<Volume> = store
        .volumes()?
        .into_iter()
        .filter(|v| {
            // Docker's name filter is a substring match, its driver filter an exact one.
            let names = filters.get("name");
            (names.is_empty() || names.iter().any(|n| v.name.contains(n.as_str())))
                && filters.get("driver").iter().all(|d| *d == v.driver)
                && filters.matches_labels(&v.labels)
                && dangling.is_none_or(|d| d != used(&v.name))
        })
        .collect();
    let custom = a.format.as_deref().filter(|f| !f.is_empty());
    if a.quiet {
        if custom.is_some() {
            eprintln!("{}", t("listing.format-quiet", &[]));
        }
        for v in &list {
            println!("{}", v.name);
        }
        return Ok(0);
    }
    let listing = Listing::parse(custom)
        .map_err(|e| Failure::new(t("listing.template-parse", &[("detail", &e.0)]), 1))?;
    let Listing::Custom {
        template,
        table: as_table,
    } = listing
    else {
        let mut rows = vec![vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]];
        rows.extend(list.iter().map(|v| vec![v.driver.clone(), v.name.clone()]));
        print!("{}", table(&rows));
        return Ok(0);
    };
    let rows: Vec<(Value, Scope)> = list
        .iter()
        .map(|v| {
            (
                ls_row(v),
                Scope::Struct {
                    go_type: VOLUME_GO_TYPE,
                    labels: Some(&v.labels),
                },
            )
        })
        .collect();
    let text = Listing::render(&template, as_table, &rows, &ls_headers())
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    print!("{text}");
    Ok(0)
}

const PRUNE_FILTERS: &[&str] = &["label", "label!", "all"];

fn prune(store: &Store, a: PruneArgs) -> CmdResult {
    let filters = Filters::parse(&a.filter, PRUNE_FILTERS, &[])
        .map_err(|e| filter_failure(e, "volume prune", PRUNE_FILTERS))?;
    let mut all = a.all;
    for v in filters.get("all") {
        all |= parse_bool_filter("all", v)?;
    }
    let warning = if all {
        t("volume.prune-warning-all", &[])
    } else {
        t("volume.prune-warning", &[])
    };
    if !a.force && !super::prune::confirm(&warning) {
        return Ok(0);
    }
    let not = filters.get("label!");
    let report = store.prune_volumes(all, &|v| {
        let holds = |want: &String| match want.split_once('=') {
            Some((k, val)) => v.labels.get(k).is_some_and(|have| have == val),
            None => v.labels.contains_key(want.as_str()),
        };
        filters.matches_labels(&v.labels) && (not.is_empty() || !not.iter().all(holds))
    })?;
    if !report.deleted.is_empty() {
        println!("{}", t("volume.deleted", &[]));
        for n in &report.deleted {
            println!("{n}");
        }
        println!();
    }
    println!(
        "{}",
        t(
            "prune.reclaimed",
            &[("size", &human_size4(report.space_reclaimed))]
        )
    );
    Ok(0)
}

fn rm(store: &Store, a: RmArgs) -> CmdResult {
    let mut code = 0;
    for n in &a.volumes {
        match store.remove_volume(n, a.force) {
            // Docker's CLI names each volume the daemon removed (or, with -f, did not find).
            Ok(()) => println!("{n}"),
            Err(e) => {
                eprintln!("{}", describe(&e));
                code = 1;
            }
        }
    }
    Ok(code)
}

/// The daemon's wording for a refused mount, in the learner's language.
pub fn describe_mount_error(e: &MountError) -> String {
    let kind = |k: &str| k.to_string();
    match e {
        MountError::BindSourceMissing(p) => t("mount.bind-missing", &[("path", p)]),
        MountError::UnknownType(k) => t("mount.unknown-type", &[("type", &kind(k))]),
        MountError::FieldNotAllowed { kind, field } => t(
            "mount.field-not-allowed",
            &[("type", kind), ("field", field)],
        ),
        MountError::FieldEmpty { kind, field } => {
            t("mount.field-empty", &[("type", kind), ("field", field)])
        }
        MountError::NotAbsolute { kind, path } => {
            t("mount.not-absolute", &[("type", kind), ("path", path)])
        }
        MountError::SpecNotAbsolute { spec, kind, path } => t(
            "mount.spec-not-absolute",
            &[("spec", spec), ("type", kind), ("path", path)],
        ),
        MountError::RootTarget { spec, kind } => {
            t("mount.root-target", &[("spec", spec), ("type", kind)])
        }
        MountError::EmptySection(spec) => t("mount.empty-section", &[("spec", spec)]),
        MountError::InvalidSpec(spec) => t("mount.invalid-spec", &[("spec", spec)]),
        MountError::InvalidMode(mode) => t("mount.invalid-mode", &[("mode", mode)]),
        MountError::Duplicate(p) => t("mount.duplicate", &[("path", p)]),
        MountError::BadVolumeName(n) => t("mount.bad-volume-name", &[("name", n)]),
        MountError::ShortVolumeName(n) => t("mount.short-volume-name", &[("name", n)]),
    }
}

fn mount_failure(e: MountError) -> Failure {
    Failure::new(format!("docker: {}", describe(&EngineError::Mount(e))), 125)
}

/// A `--mount` value the CLI itself refuses: Docker's flag error (exit 125).
fn flag_failure(cmd: &str, value: &str, detail: &str) -> Failure {
    let detail = t("mount.flag", &[("value", value), ("detail", detail)]);
    super::help::flag_error(cmd, &detail)
}

/// `-v`/`--volume`: `[SOURCE:]DEST[:MODE]`. A source starting with `/` is a host path (a bind),
/// another one a volume's name; no source is an anonymous volume. Modes: `ro`, `rw`,
/// `nocopy` (comma-separated).
pub fn parse_volume_flag(spec: &str) -> Result<MountSpec, Failure> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() > 3 {
        return Err(mount_failure(MountError::InvalidSpec(spec.into())));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(mount_failure(MountError::EmptySection(spec.into())));
    }
    let is_mode = |m: &str| {
        m.split(',')
            .all(|o| matches!(o, "" | "ro" | "rw" | "nocopy"))
    };
    let (source, target, mode) = match parts.as_slice() {
        [dst] => ("", *dst, ""),
        // `/data:ro` is a destination with a mode: volumes cannot have one (Docker's words).
        [_, m] if is_mode(m) => return Err(mount_failure(MountError::InvalidSpec(spec.into()))),
        [src, dst] => (*src, *dst, ""),
        [src, dst, m] => (*src, *dst, *m),
        _ => return Err(mount_failure(MountError::InvalidSpec(spec.into()))),
    };
    if !is_mode(mode) {
        return Err(mount_failure(MountError::InvalidMode(mode.into())));
    }
    let opts: Vec<&str> = mode.split(',').filter(|o| !o.is_empty()).collect();
    if opts.contains(&"ro") && opts.contains(&"rw") {
        return Err(mount_failure(MountError::InvalidMode(mode.into())));
    }
    let kind = if source.starts_with('/') {
        MountKind::Bind
    } else {
        MountKind::Volume
    };
    if !target.starts_with('/') {
        return Err(mount_failure(MountError::SpecNotAbsolute {
            spec: spec.into(),
            kind: kind.as_str().into(),
            path: target.into(),
        }));
    }
    if crate::engine::volume::clean_target(target) == "/" {
        return Err(mount_failure(MountError::RootTarget {
            spec: spec.into(),
            kind: kind.as_str().into(),
        }));
    }
    if kind == MountKind::Bind && opts.contains(&"nocopy") {
        return Err(mount_failure(MountError::InvalidMode(mode.into())));
    }
    if kind == MountKind::Volume
        && !source.is_empty()
        && let Some(e) = crate::engine::volume::volume_name_error(source)
    {
        return Err(mount_failure(e));
    }
    // What inspect shows as Mode: the mode as given; Docker says "z" for a named volume.
    let shown = if mode.is_empty() && kind == MountKind::Volume && !source.is_empty() {
        "z".to_string()
    } else {
        mode.to_string()
    };
    Ok(MountSpec {
        kind,
        source: if kind == MountKind::Bind {
            crate::engine::volume::clean_target(source)
        } else {
            source.to_string()
        },
        target: target.to_string(),
        readonly: opts.contains(&"ro"),
        nocopy: opts.contains(&"nocopy"),
        from_volume_flag: true,
        mode: shown,
        ..MountSpec::default()
    })
}

/// Docker's units.RAMInBytes: a number with an optional b, k, m, g, t suffix (binary).
fn ram_in_bytes(v: &str) -> Option<u64> {
    let lower = v.trim().to_ascii_lowercase();
    let s = lower.strip_suffix('b').unwrap_or(&lower);
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1u64 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        't' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let n: f64 = num.parse().ok()?;
    (n >= 0.0).then_some((n * mult as f64) as u64)
}

/// `--mount type=…,source=…,target=…[,readonly][,volume-nocopy][,tmpfs-size=…][,tmpfs-mode=…]`
/// as Docker's CLI reads it (`cmd` names the command for the usage line).
pub fn parse_mount_flag(value: &str, cmd: &str) -> Result<MountSpec, Failure> {
    let bad = |detail: String| flag_failure(cmd, value, &detail);
    let mut m = MountSpec::default();
    let mut kind = "volume".to_string();
    let (mut volume_opts, mut tmpfs_opts) = (false, false);
    let parse_bool = |key: &str, v: Option<&str>| -> Result<bool, Failure> {
        match v.map(str::to_ascii_lowercase).as_deref() {
            None | Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(_) => Err(bad(t(
                "mount.bad-value",
                &[("key", key), ("value", v.unwrap_or(""))],
            ))),
        }
    };
    for field in value.split(',') {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let need = || -> Result<&str, Failure> {
            val.ok_or_else(|| bad(t("mount.not-key-value", &[("field", field)])))
        };
        match key.as_str() {
            "type" => kind = need()?.to_string(),
            "source" | "src" => m.source = need()?.to_string(),
            "target" | "destination" | "dst" => m.target = need()?.to_string(),
            "readonly" | "ro" => m.readonly = parse_bool(&key, val)?,
            "volume-nocopy" => {
                volume_opts = true;
                m.nocopy = parse_bool(&key, val)?;
            }
            "tmpfs-size" => {
                tmpfs_opts = true;
                let v = need()?;
                m.tmpfs_size =
                    Some(ram_in_bytes(v).ok_or_else(|| {
                        bad(t("mount.bad-value", &[("key", &key), ("value", v)]))
                    })?);
            }
            "tmpfs-mode" => {
                tmpfs_opts = true;
                let v = need()?;
                m.tmpfs_mode = Some(
                    u32::from_str_radix(v, 8)
                        .map_err(|_| bad(t("mount.bad-value", &[("key", &key), ("value", v)])))?,
                );
            }
            _ => {
                return Err(bad(t(
                    "mount.unexpected-key",
                    &[("key", &key), ("field", field)],
                )));
            }
        }
    }
    if m.target.is_empty() {
        return Err(bad(t("mount.target-required", &[])));
    }
    if volume_opts && kind != "volume" {
        return Err(bad(t("mount.mix", &[("opts", "volume"), ("type", &kind)])));
    }
    if tmpfs_opts && kind != "tmpfs" {
        return Err(bad(t("mount.mix", &[("opts", "tmpfs"), ("type", &kind)])));
    }
    m.kind = match kind.as_str() {
        "volume" => MountKind::Volume,
        "bind" => MountKind::Bind,
        "tmpfs" => MountKind::Tmpfs,
        other => return Err(mount_failure(MountError::UnknownType(other.into()))),
    };
    // What Docker's daemon checks (validateMountConfig).
    let k = m.kind.as_str().to_string();
    if !m.target.starts_with('/') {
        return Err(mount_failure(MountError::NotAbsolute {
            kind: k,
            path: m.target,
        }));
    }
    match m.kind {
        MountKind::Bind if m.source.is_empty() => {
            return Err(mount_failure(MountError::FieldEmpty {
                kind: k,
                field: "Source".into(),
            }));
        }
        MountKind::Bind if !m.source.starts_with('/') => {
            return Err(mount_failure(MountError::NotAbsolute {
                kind: k,
                path: m.source,
            }));
        }
        MountKind::Bind => m.source = crate::engine::volume::clean_target(&m.source),
        MountKind::Tmpfs if !m.source.is_empty() => {
            return Err(mount_failure(MountError::FieldNotAllowed {
                kind: k,
                field: "Source".into(),
            }));
        }
        MountKind::Volume if !m.source.is_empty() => {
            if let Some(e) = crate::engine::volume::volume_name_error(&m.source) {
                return Err(mount_failure(e));
            }
        }
        _ => {}
    }
    Ok(m)
}

/// `run`/`create`'s `-v` values, then its `--mount` values (Docker's Binds, then Mounts).
pub fn parse_mounts(
    volumes: &[String],
    mounts: &[String],
    cmd: &str,
) -> Result<Vec<MountSpec>, Failure> {
    let mut out = Vec::new();
    for v in volumes {
        out.push(parse_volume_flag(v)?);
    }
    for m in mounts {
        out.push(parse_mount_flag(m, cmd)?);
    }
    warn_one_id(&out);
    Ok(out)
}

/// What `docker inspect` shows as a container's `Mounts` (Docker's MountPoint fields).
pub fn mounts_json(store: &Store, c: &Container) -> Value {
    let list: Vec<Value> = c
        .config
        .mounts
        .iter()
        .map(|m| match m.kind {
            MountKind::Volume => json!({
                "Type": "volume",
                "Name": m.source,
                "Source": store.volume_data(&m.source),
                "Destination": m.target,
                "Driver": "local",
                "Mode": m.mode,
                "RW": !m.readonly,
                "Propagation": "",
            }),
            MountKind::Bind => json!({
                "Type": "bind",
                "Source": m.source,
                "Destination": m.target,
                "Mode": m.mode,
                "RW": !m.readonly,
                "Propagation": "rprivate",
            }),
            MountKind::Tmpfs => json!({
                "Type": "tmpfs",
                "Source": "",
                "Destination": m.target,
                "Mode": "",
                "RW": !m.readonly,
                "Propagation": "",
            }),
        })
        .collect();
    Value::Array(list)
}

/// `ps`'s MOUNTS column: each mount's volume name or host path, cut to 15 columns unless
/// `--no-trunc` (an empty one for tmpfs, as Docker's).
pub fn ps_mounts(c: &Container, trunc: bool) -> String {
    c.config
        .mounts
        .iter()
        .map(|m| {
            let name = if m.kind == MountKind::Tmpfs {
                String::new()
            } else {
                m.source.clone()
            };
            if trunc { ellipsis(&name, 15) } else { name }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `ps`'s LOCAL VOLUMES column: the container's volumes (all are the local driver's).
pub fn local_volumes(c: &Container) -> String {
    c.config
        .mounts
        .iter()
        .filter(|m| m.kind == MountKind::Volume)
        .count()
        .to_string()
}

/// `ps --filter volume=X`: a mount whose volume name, host path or destination is X.
pub fn has_mount(c: &Container, wanted: &[String]) -> bool {
    wanted.is_empty()
        || c.config.mounts.iter().any(|m| {
            wanted
                .iter()
                .any(|w| *w == m.target || (m.kind != MountKind::Tmpfs && *w == m.source))
        })
}

/// Rootless with one id: say once, before the container is made, what a mount cannot keep.
pub fn warn_one_id(mounts: &[MountSpec]) {
    if !mounts.is_empty() && crate::engine::runtime::maps_one_id_when_rootless() {
        eprintln!("{}", t("volume.one-id-warning", &[]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flags_parse_like_dockers() {
        let m = parse_volume_flag("data:/data").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.target.as_str()),
            (MountKind::Volume, "data", "/data")
        );
        assert_eq!(m.mode, "z");
        let m = parse_volume_flag("/host//dir/:/c:ro").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.readonly),
            (MountKind::Bind, "/host/dir", true)
        );
        assert_eq!(m.mode, "ro");
        let m = parse_volume_flag("/anon").unwrap();
        assert_eq!((m.kind, m.source.as_str()), (MountKind::Volume, ""));
        assert!(parse_volume_flag("vv:/d:nocopy").unwrap().nocopy);
        for bad in [
            "/foo:rw",
            "a:b:c:d",
            ":/x",
            "data:rel",
            "/x:/",
            "/a:/b:xx",
            "/a:/b:ro,rw",
            "rel/path:/x",
        ] {
            assert!(parse_volume_flag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mount_flags_parse_like_dockers() {
        let m = parse_mount_flag("type=bind,src=/h,dst=/c,readonly", "run").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.target.as_str(), m.readonly),
            (MountKind::Bind, "/h", "/c", true)
        );
        assert!(!m.from_volume_flag, "--mount never makes a missing source");
        let m = parse_mount_flag("target=/v,volume-nocopy", "run").unwrap();
        assert_eq!(
            (m.kind, m.nocopy, m.source.as_str()),
            (MountKind::Volume, true, "")
        );
        let m = parse_mount_flag(
            "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770",
            "run",
        )
        .unwrap();
        assert_eq!((m.tmpfs_size, m.tmpfs_mode), (Some(1 << 20), Some(0o1770)));
        assert!(
            !parse_mount_flag("type=volume,src=vv,target=/x,ro=false", "run")
                .unwrap()
                .readonly
        );
        for bad in [
            "type=volume",
            "target=/x,bogus=1",
            "type=bind,src=/h,dst=/v,volume-nocopy",
            "type=volume,dst=/v,tmpfs-size=1",
            "type=tmpfs,src=x,dst=/v",
            "type=bind,dst=/v",
            "type=bind,src=rel,dst=/v",
            "type=foo,target=/x",
            "type=volume,target=rel",
            "type=tmpfs,dst=/t,tmpfs-size=lots",
        ] {
            assert!(parse_mount_flag(bad, "run").is_err(), "{bad}");
        }
    }

    #[test]
    fn ram_sizes_are_binary() {
        assert_eq!(ram_in_bytes("64k"), Some(65536));
        assert_eq!(ram_in_bytes("1M"), Some(1 << 20));
        assert_eq!(ram_in_bytes("2gb"), Some(2 << 30));
        assert_eq!(ram_in_bytes("100"), Some(100));
        assert_eq!(ram_in_bytes("x"), None);
    }
}
