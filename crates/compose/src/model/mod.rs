//! The normalised model (what `docker compose config` prints) and its reading from YAML nodes:
//! every value interpolated, short forms expanded, relative paths made absolute, references
//! checked. Field order is compose v2's output order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{ComposeError, Problem};
use crate::interp::{self, Vars};
use crate::yaml::{Node, Scalar, Value};

mod fields;

pub use fields::{parse_port, parse_volume};
use fields::{read_build, read_depends, read_env_files, read_health, read_mount, read_port};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Project {
    pub name: String,
    pub services: BTreeMap<String, Service>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(skip)]
    pub working_dir: PathBuf,
    #[serde(skip)]
    pub config_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Service {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `init: true`: `docker run --init`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Network name (the key under top-level `networks`) → aliases.
    pub networks: BTreeMap<String, Option<ServiceNetwork>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tty: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Mount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Build {
    pub context: String,
    pub dockerfile: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dependency {
    pub condition: String,
    pub required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct ServiceNetwork {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Healthcheck {
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
}

/// A Go duration (`1m30s`), kept in milliseconds, printed as Go prints it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duration(pub u64);

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if milli > 0 {
        let frac = format!("{milli:03}");
        out.push_str(&format!("{s}.{}s", frac.trim_end_matches('0')));
    } else {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Go's `time.ParseDuration` for the units compose uses.
pub fn parse_duration(s: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(0);
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => return None,
        };
        total += num * mult;
        rest = &rest[u..];
    }
    Some(total as u64)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Port {
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    pub target: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub protocol: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BindOptions {
    pub create_host_path: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct VolumeOptions {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nocopy: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Network {
    /// The engine's name: `project_key` unless `name:` is given.
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Volume {
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Keys of the spec that gorae does not implement: refused by name, not ignored.
const UNSUPPORTED_SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "configs",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "driver_opts",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "ipc",
    "isolation",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "read_only",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "ulimits",
    "userns_mode",
    "uts",
    "volumes_from",
    "label_file",
    "models",
    "use_api_socket",
];

/// Reading context: the file names, variables, working dir, warnings.
pub struct Ctx<'a> {
    pub files: &'a [String],
    pub vars: &'a Vars,
    pub working_dir: &'a Path,
    pub unset: Vec<String>,
}

type R<T> = Result<T, ComposeError>;

impl Ctx<'_> {
    fn file(&self, n: &Node) -> String {
        self.files.get(n.file as usize).cloned().unwrap_or_default()
    }
    pub fn invalid(&self, n: &Node, key: &str, problem: Problem) -> ComposeError {
        ComposeError::Invalid {
            file: self.file(n),
            line: n.line,
            key: key.to_string(),
            problem,
        }
    }
    fn interp(&mut self, n: &Node, key: &str, s: &str) -> R<String> {
        interp::substitute(s, self.vars, &mut self.unset).map_err(|err| {
            ComposeError::Interpolation {
                file: self.file(n),
                line: n.line,
                key: key.to_string(),
                err,
            }
        })
    }
    /// A scalar as an interpolated string (numbers and bools as text).
    pub fn string(&mut self, n: &Node, key: &str) -> R<String> {
        match &n.value {
            Value::Scalar(Scalar::Str(s)) => self.interp(n, key, s),
            Value::Scalar(s @ (Scalar::Int(_) | Scalar::Float(_) | Scalar::Bool(_))) => {
                Ok(s.text().unwrap_or_default())
            }
            _ => Err(self.invalid(n, key, Problem::Type("string"))),
        }
    }
    fn opt_string(&mut self, n: &Node, key: &str) -> R<Option<String>> {
        if n.is_null() {
            Ok(None)
        } else {
            self.string(n, key).map(Some)
        }
    }
    fn bool(&mut self, n: &Node, key: &str) -> R<bool> {
        match &n.value {
            Value::Scalar(Scalar::Bool(b)) => Ok(*b),
            Value::Scalar(Scalar::Str(_)) => match self.string(n, key)?.as_str() {
                "true" | "True" | "TRUE" | "yes" | "y" | "on" => Ok(true),
                "false" | "False" | "FALSE" | "no" | "n" | "off" => Ok(false),
                _ => Err(self.invalid(n, key, Problem::Type("boolean"))),
            },
            _ => Err(self.invalid(n, key, Problem::Type("boolean"))),
        }
    }
    fn map<'n>(&self, n: &'n Node, key: &str) -> R<&'n [(String, Node)]> {
        match &n.value {
            Value::Map(m) => Ok(m),
            Value::Scalar(Scalar::Null) => Ok(&[]),
            _ => Err(self.invalid(n, key, Problem::Type("object"))),
        }
    }
    fn seq<'n>(&self, n: &'n Node, key: &str) -> R<&'n [Node]> {
        match &n.value {
            Value::Seq(v) => Ok(v),
            _ => Err(self.invalid(n, key, Problem::Type("array"))),
        }
    }
    /// A string or a list of strings (command, entrypoint): strings are split like a shell.
    fn words(&mut self, n: &Node, key: &str) -> R<Vec<String>> {
        match &n.value {
            Value::Seq(v) => {
                let mut out = Vec::new();
                for (i, x) in v.iter().enumerate() {
                    out.push(self.string(x, &format!("{key}.{i}"))?);
                }
                Ok(out)
            }
            _ => {
                let s = self.string(n, key)?;
                split_words(&s).ok_or_else(|| self.invalid(n, key, Problem::Value(s.clone())))
            }
        }
    }
    /// `KEY=VAL` list or `KEY: VAL` map; a key without value is None.
    fn key_values(&mut self, n: &Node, key: &str) -> R<Vec<(String, Option<String>)>> {
        let mut out = Vec::new();
        match &n.value {
            Value::Seq(v) => {
                for (i, x) in v.iter().enumerate() {
                    let s = self.string(x, &format!("{key}.{i}"))?;
                    match s.split_once('=') {
                        Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
                        None => out.push((s, None)),
                    }
                }
            }
            Value::Map(m) => {
                for (k, v) in m {
                    let val = self.opt_string(v, &format!("{key}.{k}"))?;
                    out.push((k.clone(), val));
                }
            }
            Value::Scalar(Scalar::Null) => {}
            _ => return Err(self.invalid(n, key, Problem::Type("object"))),
        }
        Ok(out)
    }
    fn duration(&mut self, n: &Node, key: &str) -> R<Duration> {
        let s = self.string(n, key)?;
        parse_duration(&s)
            .map(Duration)
            .ok_or_else(|| self.invalid(n, key, Problem::Value(s)))
    }
    fn path(&self, p: &str) -> String {
        absolute(self.working_dir, p)
    }
}

/// Resolve a path of the file against the project directory (`~` is the home directory).
pub fn absolute(base: &Path, p: &str) -> String {
    let expanded = match p.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", std::env::var("HOME").unwrap_or_default())
        }
        _ => p.to_string(),
    };
    let joined = if expanded.starts_with('/') {
        PathBuf::from(&expanded)
    } else {
        base.join(&expanded)
    };
    // Lexically clean `.` and `..` as Go's filepath.Abs does.
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

/// Split a command line as compose does (shell quoting, no expansion). None: unclosed quote.
pub fn split_words(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            '\'' => {
                have = true;
                loop {
                    match it.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '"' => {
                have = true;
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => match it.next()? {
                            x @ ('"' | '\\' | '$' | '`') => cur.push(x),
                            x => {
                                cur.push('\\');
                                cur.push(x);
                            }
                        },
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                have = true;
                cur.push(it.next()?);
            }
            x => {
                have = true;
                cur.push(x);
            }
        }
    }
    if have {
        out.push(cur);
    }
    Some(out)
}

fn check_keys(ctx: &Ctx, node: &Node, key: &str, allowed: &[&str]) -> R<()> {
    if let Value::Map(m) = &node.value {
        for (k, v) in m {
            if !allowed.contains(&k.as_str()) && !k.starts_with("x-") {
                return Err(ctx.invalid(v, key, Problem::Unknown(k.clone())));
            }
        }
    }
    Ok(())
}

/// Read the merged document into the model.
pub fn read_project(ctx: &mut Ctx, root: &Node, name: &str) -> R<Project> {
    check_keys(
        ctx,
        root,
        "(root)",
        &[
            "version", "name", "services", "networks", "volumes", "include", "secrets", "configs",
        ],
    )?;
    for k in ["include", "secrets", "configs"] {
        if let Some(n) = root.get(k) {
            return Err(ctx.invalid(n, k, Problem::Unsupported(k.into())));
        }
    }
    let mut networks = BTreeMap::new();
    if let Some(n) = root.get("networks") {
        for (k, v) in ctx.map(n, "networks")? {
            let key = format!("networks.{k}");
            check_keys(ctx, v, &key, &["name", "external", "driver", "labels"])?;
            let mut net = Network {
                name: format!("{name}_{k}"),
                ..Default::default()
            };
            if let Some(x) = v.get("external") {
                net.external = ctx.bool(x, &format!("{key}.external"))?;
                if net.external {
                    net.name = k.clone();
                }
            }
            if let Some(x) = v.get("name") {
                net.name = ctx.string(x, &format!("{key}.name"))?;
            }
            if let Some(x) = v.get("driver") {
                let d = ctx.string(x, &format!("{key}.driver"))?;
                if d != "bridge" {
                    return Err(ctx.invalid(x, &format!("{key}.driver"), Problem::Value(d)));
                }
            }
            if let Some(x) = v.get("labels") {
                for (lk, lv) in ctx.key_values(x, &format!("{key}.labels"))? {
                    net.labels.insert(lk, lv.unwrap_or_default());
                }
            }
            networks.insert(k.clone(), net);
        }
    }
    let mut volumes = BTreeMap::new();
    if let Some(n) = root.get("volumes") {
        for (k, v) in ctx.map(n, "volumes")? {
            let key = format!("volumes.{k}");
            check_keys(ctx, v, &key, &["name", "external", "driver", "labels"])?;
            let mut vol = Volume {
                name: format!("{name}_{k}"),
                ..Default::default()
            };
            if let Some(x) = v.get("external") {
                vol.external = ctx.bool(x, &format!("{key}.external"))?;
                if vol.external {
                    vol.name = k.clone();
                }
            }
            if let Some(x) = v.get("name") {
                vol.name = ctx.string(x, &format!("{key}.name"))?;
            }
            if let Some(x) = v.get("driver") {
                let d = ctx.string(x, &format!("{key}.driver"))?;
                if d != "local" {
                    return Err(ctx.invalid(x, &format!("{key}.driver"), Problem::Value(d)));
                }
            }
            if let Some(x) = v.get("labels") {
                for (lk, lv) in ctx.key_values(x, &format!("{key}.labels"))? {
                    vol.labels.insert(lk, lv.unwrap_or_default());
                }
            }
            volumes.insert(k.clone(), vol);
        }
    }
    let mut services = BTreeMap::new();
    if let Some(n) = root.get("services") {
        for (k, v) in ctx.map(n, "services")? {
            let s = read_service(ctx, k, v, &volumes)?;
            services.insert(k.clone(), s);
        }
    }
    // References: networks, depends_on.
    let mut uses_default = false;
    for (sname, s) in &services {
        let snode = root
            .get("services")
            .and_then(|n| n.get(sname))
            .unwrap_or(root);
        for net in s.networks.keys() {
            if net == "default" && !networks.contains_key("default") {
                uses_default = true;
            } else if !networks.contains_key(net) {
                let at = snode.get("networks").unwrap_or(snode);
                return Err(ctx.invalid(
                    at,
                    &format!("services.{sname}.networks"),
                    Problem::UndefinedNetwork(sname.clone(), net.clone()),
                ));
            }
        }
        for dep in s.depends_on.keys() {
            if !services.contains_key(dep) {
                let at = snode.get("depends_on").unwrap_or(snode);
                return Err(ctx.invalid(
                    at,
                    &format!("services.{sname}.depends_on"),
                    Problem::UndefinedService(sname.clone(), dep.clone()),
                ));
            }
        }
    }
    if uses_default {
        networks.insert(
            "default".into(),
            Network {
                name: format!("{name}_default"),
                ..Default::default()
            },
        );
    }
    Ok(Project {
        name: name.to_string(),
        services,
        networks,
        volumes,
        working_dir: ctx.working_dir.to_path_buf(),
        config_files: Vec::new(),
    })
}

const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "volumes",
    "networks",
    "depends_on",
    "restart",
    "healthcheck",
    "working_dir",
    "user",
    "container_name",
    "hostname",
    "labels",
    "tty",
    "stdin_open",
    "init",
];

fn read_service(
    ctx: &mut Ctx,
    name: &str,
    n: &Node,
    volumes: &BTreeMap<String, Volume>,
) -> R<Service> {
    let key = format!("services.{name}");
    if let Value::Map(m) = &n.value {
        for (k, v) in m {
            if UNSUPPORTED_SERVICE_KEYS.contains(&k.as_str()) {
                return Err(ctx.invalid(v, &format!("{key}.{k}"), Problem::Unsupported(k.clone())));
            }
        }
    } else if !n.is_null() {
        return Err(ctx.invalid(n, &key, Problem::Type("object")));
    }
    check_keys(ctx, n, &key, SERVICE_KEYS)?;
    let mut s = Service::default();
    let k = |f: &str| format!("{key}.{f}");
    if let Some(x) = n.get("image") {
        s.image = ctx.opt_string(x, &k("image"))?;
    }
    if let Some(x) = n.get("build") {
        s.build = Some(read_build(ctx, x, &k("build"))?);
    }
    if s.image.is_none() && s.build.is_none() {
        return Err(ctx.invalid(n, &key, Problem::NoImage(name.into())));
    }
    if let Some(x) = n.get("command").filter(|x| !x.is_null()) {
        s.command = Some(ctx.words(x, &k("command"))?);
    }
    if let Some(x) = n.get("entrypoint").filter(|x| !x.is_null()) {
        s.entrypoint = Some(ctx.words(x, &k("entrypoint"))?);
    }
    for f in ["container_name", "hostname", "working_dir", "user"] {
        if let Some(x) = n.get(f) {
            let v = ctx.opt_string(x, &k(f))?;
            match f {
                "container_name" => s.container_name = v,
                "hostname" => s.hostname = v,
                "working_dir" => s.working_dir = v,
                _ => s.user = v,
            }
        }
    }
    if let Some(x) = n.get("tty") {
        s.tty = ctx.bool(x, &k("tty"))?;
    }
    if let Some(x) = n.get("stdin_open") {
        s.stdin_open = ctx.bool(x, &k("stdin_open"))?;
    }
    if let Some(x) = n.get("init").filter(|x| !x.is_null()) {
        s.init = Some(ctx.bool(x, &k("init"))?);
    }
    if let Some(x) = n.get("labels") {
        for (lk, lv) in ctx.key_values(x, &k("labels"))? {
            s.labels.insert(lk, lv.unwrap_or_default());
        }
    }
    // env_file first, environment over it; a key without value comes from the shell.
    if let Some(x) = n.get("env_file") {
        read_env_files(ctx, x, &k("env_file"), &mut s.environment)?;
    }
    if let Some(x) = n.get("environment") {
        for (ek, ev) in ctx.key_values(x, &k("environment"))? {
            let v = ev.or_else(|| ctx.vars.get(&ek).map(str::to_string));
            s.environment.insert(ek, v);
        }
    }
    if let Some(x) = n.get("ports") {
        for (i, p) in ctx.seq(x, &k("ports"))?.iter().enumerate() {
            s.ports
                .extend(read_port(ctx, p, &format!("{}.{i}", k("ports")))?);
        }
    }
    if let Some(x) = n.get("volumes") {
        for (i, v) in ctx.seq(x, &k("volumes"))?.iter().enumerate() {
            s.volumes.push(read_mount(
                ctx,
                name,
                v,
                &format!("{}.{i}", k("volumes")),
                volumes,
            )?);
        }
    }
    match n.get("networks") {
        Some(x) if !x.is_null() => match &x.value {
            Value::Seq(v) => {
                for (i, e) in v.iter().enumerate() {
                    let net = ctx.string(e, &format!("{}.{i}", k("networks")))?;
                    s.networks.insert(net, None);
                }
            }
            Value::Map(m) => {
                for (nk, nv) in m {
                    let nkey = format!("{}.{nk}", k("networks"));
                    check_keys(ctx, nv, &nkey, &["aliases"])?;
                    let mut sn = ServiceNetwork::default();
                    if let Some(a) = nv.get("aliases") {
                        for (i, e) in ctx.seq(a, &format!("{nkey}.aliases"))?.iter().enumerate() {
                            sn.aliases
                                .push(ctx.string(e, &format!("{nkey}.aliases.{i}"))?);
                        }
                    }
                    let v = if sn.aliases.is_empty() {
                        None
                    } else {
                        Some(sn)
                    };
                    s.networks.insert(nk.clone(), v);
                }
            }
            _ => return Err(ctx.invalid(x, &k("networks"), Problem::Type("array"))),
        },
        _ => {
            s.networks.insert("default".into(), None);
        }
    }
    if let Some(x) = n.get("depends_on") {
        s.depends_on = read_depends(ctx, x, &k("depends_on"))?;
    }
    if let Some(x) = n.get("restart") {
        let r = ctx.string(x, &k("restart"))?;
        let ok = match r.split_once(':') {
            Some(("on-failure", c)) => c.parse::<u32>().is_ok(),
            Some(_) => false,
            None => matches!(
                r.as_str(),
                "no" | "always" | "on-failure" | "unless-stopped"
            ),
        };
        if !ok {
            return Err(ctx.invalid(x, &k("restart"), Problem::Value(r)));
        }
        s.restart = Some(r);
    }
    if let Some(x) = n.get("healthcheck") {
        s.healthcheck = read_health(ctx, x, &k("healthcheck"))?;
    }
    Ok(s)
}
