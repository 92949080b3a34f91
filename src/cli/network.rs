//! `docker network create/ls/inspect/rm/connect/disconnect/prune` (management form only, as in
//! Docker), and the networking parts of `inspect` and `ps`.

use std::collections::BTreeMap;

use clap::{ArgMatches, Args, Command, FromArgMatches};
use serde_json::{Value, json};

use super::filter::{Filters, daemon_failure, filter_failure};
use super::format::{Listing, Scope, go_time, table};
use super::prune::{PruneFilter, confirm};
use super::{CmdResult, Failure};
use crate::engine::container::Container;
use crate::engine::net::{Connect, NetError, Network, NetworkCreate};
use crate::engine::time::parse_time_millis;
use crate::engine::{EngineError, Store};
use crate::i18n::t;

/// Create a network
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Enable manual container attachment
    #[arg(long)]
    attachable: bool,
    /// Driver to manage the Network
    #[arg(short, long, default_value = "bridge")]
    driver: String,
    /// IPv4 Gateway for the master subnet
    #[arg(long)]
    gateway: Option<String>,
    /// Restrict external access to the network
    #[arg(long)]
    internal: bool,
    /// Set metadata on a network
    #[arg(long)]
    label: Vec<String>,
    /// Set driver specific options
    #[arg(value_name = "map", short = 'o', long = "opt")]
    opt: Vec<String>,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long)]
    subnet: Option<String>,
    name: String,
}

/// List networks
#[derive(Args, Debug)]
pub struct LsArgs {
    /// Provide filter values (e.g. "driver=bridge")
    #[arg(value_name = "filter", short, long)]
    filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    format: Option<String>,
    /// Do not truncate the output
    #[arg(long)]
    no_trunc: bool,
    /// Only display network IDs
    #[arg(short, long)]
    quiet: bool,
}

/// Display detailed information on one or more networks
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    format: Option<String>,
    #[arg(required = true)]
    networks: Vec<String>,
}

/// Remove one or more networks
#[derive(Args, Debug)]
pub struct RmArgs {
    /// Do not error if the network does not exist
    #[arg(short, long)]
    force: bool,
    #[arg(required = true)]
    networks: Vec<String>,
}

/// Connect a container to a network
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// Add network-scoped alias for the container
    #[arg(long)]
    alias: Vec<String>,
    /// IPv4 address (e.g., "172.30.100.104")
    #[arg(long)]
    ip: Option<String>,
    network: String,
    container: String,
}

/// Disconnect a container from a network
#[derive(Args, Debug)]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short, long)]
    force: bool,
    network: String,
    container: String,
}

/// Remove all unused networks
#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(value_name = "filter", long)]
    filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
}

/// The subcommand `sub`'s clap definition, for `manage`.
pub fn command(sub: &'static str) -> Option<Command> {
    let base = Command::new(sub);
    Some(match sub {
        "create" => CreateArgs::augment_args(base).override_usage("[OPTIONS] NETWORK"),
        "ls" => LsArgs::augment_args(base).override_usage("[OPTIONS]"),
        "inspect" => {
            InspectArgs::augment_args(base).override_usage("[OPTIONS] NETWORK [NETWORK...]")
        }
        "rm" => RmArgs::augment_args(base).override_usage("NETWORK [NETWORK...]"),
        "connect" => ConnectArgs::augment_args(base).override_usage("[OPTIONS] NETWORK CONTAINER"),
        "disconnect" => {
            DisconnectArgs::augment_args(base).override_usage("[OPTIONS] NETWORK CONTAINER")
        }
        "prune" => PruneArgs::augment_args(base).override_usage("[OPTIONS]"),
        _ => return None,
    })
}

fn args<T: FromArgMatches>(m: &ArgMatches) -> Result<T, Failure> {
    T::from_arg_matches(m).map_err(|e| Failure::new(e.to_string(), 125))
}

/// Run a parsed `docker network SUB`.
pub fn run(store: &Store, sub: &str, m: &ArgMatches) -> CmdResult {
    match sub {
        "create" => create(store, args(m)?),
        "ls" => ls(store, args(m)?),
        "inspect" => inspect(store, args(m)?),
        "rm" => rm(store, args(m)?),
        "connect" => {
            let a: ConnectArgs = args(m)?;
            let o = Connect {
                aliases: a.alias,
                ip: a.ip,
            };
            store.connect_network(&a.network, &a.container, &o)?;
            Ok(0)
        }
        "disconnect" => {
            let a: DisconnectArgs = args(m)?;
            match store.disconnect_network(&a.network, &a.container) {
                Ok(_) => Ok(0),
                // -f: a network already gone is not an error.
                Err(EngineError::Network(NetError::NotFound(_))) if a.force => Ok(0),
                Err(e) => Err(e.into()),
            }
        }
        "prune" => prune(store, args(m)?),
        _ => Ok(0),
    }
}

fn key_values(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn create(store: &Store, a: CreateArgs) -> CmdResult {
    let n = store.create_network(&NetworkCreate {
        name: a.name,
        driver: a.driver,
        subnet: a.subnet,
        gateway: a.gateway,
        internal: a.internal,
        attachable: a.attachable,
        labels: key_values(&a.label),
        options: key_values(&a.opt),
    })?;
    println!("{}", n.id);
    Ok(0)
}

const LS_FILTERS: &[&str] = &["driver", "id", "label", "name", "scope", "type", "dangling"];

fn ls_row(n: &Network, trunc: bool) -> Value {
    let labels = n
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    json!({
        "ID": if trunc { n.id[..12.min(n.id.len())].to_string() } else { n.id.clone() },
        "Name": n.name,
        "Driver": n.driver,
        "Scope": n.scope,
        "IPv6": n.enable_ipv6.to_string(),
        "IPv4": n.enable_ipv4.to_string(),
        "Internal": n.internal.to_string(),
        "Labels": labels,
        "CreatedAt": go_time(parse_time_millis(&n.created)),
    })
}

fn ls(store: &Store, a: LsArgs) -> CmdResult {
    let filters = Filters::parse(&a.filter, LS_FILTERS, &[])
        .map_err(|e| filter_failure(e, "network ls", LS_FILTERS))?;
    for v in filters.get("type") {
        if v != "custom" && v != "builtin" {
            return Err(daemon_failure(&t("net.bad-type", &[("value", v)])));
        }
    }
    let unused: Vec<String> = if filters.get("dangling").is_empty() {
        Vec::new()
    } else {
        store.unused_networks()?.into_iter().map(|n| n.id).collect()
    };
    let list: Vec<Network> = store
        .networks()?
        .into_iter()
        .filter(|n| {
            filters.matches_regex("name", &n.name)
                && (filters.get("id").is_empty()
                    || filters
                        .get("id")
                        .iter()
                        .any(|p| n.id.starts_with(p.as_str())))
                && (filters.get("driver").is_empty() || filters.get("driver").contains(&n.driver))
                && (filters.get("scope").is_empty() || filters.get("scope").contains(&n.scope))
                && filters
                    .get("type")
                    .iter()
                    .all(|ty| (ty == "builtin") == n.is_predefined())
                && filters.get("dangling").iter().all(|d| {
                    let dangling = !n.is_predefined() && unused.contains(&n.id);
                    (d == "true" || d == "1") == dangling
                })
                && filters.matches_labels(&n.labels)
        })
        .collect();
    if a.quiet {
        for n in &list {
            println!("{}", ls_row(n, !a.no_trunc)["ID"].as_str().unwrap_or(""));
        }
        return Ok(0);
    }
    let listing = Listing::parse(a.format.as_deref())
        .map_err(|e| Failure::new(t("listing.template-parse", &[("detail", &e.0)]), 1))?;
    let Listing::Custom {
        template,
        table: is_table,
    } = listing
    else {
        let mut rows = vec![vec![
            "NETWORK ID".to_string(),
            "NAME".into(),
            "DRIVER".into(),
            "SCOPE".into(),
        ]];
        for n in &list {
            let r = ls_row(n, !a.no_trunc);
            rows.push(
                ["ID", "Name", "Driver", "Scope"]
                    .iter()
                    .map(|k| r[k].as_str().unwrap_or("").to_string())
                    .collect(),
            );
        }
        print!("{}", table(&rows));
        return Ok(0);
    };
    let rows: Vec<(Value, Scope)> = list
        .iter()
        .map(|n| {
            (
                ls_row(n, !a.no_trunc),
                Scope::Struct {
                    go_type: "*formatter.networkContext",
                    labels: Some(&n.labels),
                },
            )
        })
        .collect();
    let headers = json!({"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
        "IPv6": "IPV6", "IPv4": "IPV4", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"});
    let text = Listing::render(&template, is_table, &rows, &headers)
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))?;
    print!("{text}");
    Ok(0)
}

/// Docker's `network inspect` object, with the attached containers.
pub fn network_json(store: &Store, n: &Network) -> Value {
    let mut v = serde_json::to_value(n).unwrap_or(Value::Null);
    let mut members = serde_json::Map::new();
    for c in store.containers().unwrap_or_default() {
        for e in c.state.networks.values().filter(|e| e.network_id == n.id) {
            members.insert(
                c.id.clone(),
                json!({
                    "Name": c.name,
                    "EndpointID": e.endpoint_id,
                    "MacAddress": e.mac,
                    "IPv4Address": format!("{}/{}", e.ip, e.prefix_len),
                    "IPv6Address": "",
                }),
            );
        }
    }
    if let Value::Object(m) = &mut v {
        m.insert("ConfigFrom".into(), json!({"Network": ""}));
        m.insert("ConfigOnly".into(), json!(false));
        m.insert("Containers".into(), Value::Object(members));
        // Docker's key order ends with Options and Labels; serde_json keeps ours sorted.
    }
    v
}

fn inspect(store: &Store, a: InspectArgs) -> CmdResult {
    let mut values = Vec::new();
    let mut code = 0;
    for key in &a.networks {
        match store.resolve_network(key) {
            Ok(n) => values.push(network_json(store, &n)),
            Err(e) => {
                eprintln!("{}", super::describe(&e));
                code = 1;
            }
        }
    }
    super::inspect::print_inspected(&values, a.format.as_deref())?;
    Ok(code)
}

fn rm(store: &Store, a: RmArgs) -> CmdResult {
    let mut code = 0;
    for key in &a.networks {
        match store.remove_network(key) {
            Ok(_) => println!("{key}"),
            Err(EngineError::Network(NetError::NotFound(_))) if a.force => {}
            Err(e) => {
                eprintln!("{}", super::describe(&e));
                code = 1;
            }
        }
    }
    if code != 0 {
        // docker/cli's network rm ends with a StatusError whose text main prints.
        return Err(Failure::new(format!("exit status {code}"), code));
    }
    Ok(0)
}

fn prune(store: &Store, a: PruneArgs) -> CmdResult {
    let f = PruneFilter::parse(&a.filter, "network prune")?;
    if !a.force && !confirm(&t("net.prune-warning", &[])) {
        return Ok(0);
    }
    let mut deleted = Vec::new();
    for n in store.unused_networks()? {
        if !f.accepts(parse_time_millis(&n.created), &n.labels) {
            continue;
        }
        if store.remove_network(&n.id).is_ok() {
            deleted.push(n.name);
        }
    }
    if !deleted.is_empty() {
        println!("{}", t("net.prune-deleted", &[]));
        for n in &deleted {
            println!("{n}");
        }
        println!();
    }
    Ok(0)
}

/// `HostConfig.NetworkMode`.
pub fn network_mode(c: &Container) -> String {
    if c.config.network_mode.is_empty() {
        "none".into()
    } else {
        c.config.network_mode.clone()
    }
}

/// `ps`'s NETWORKS: the networks it is connected to (or its mode).
pub fn networks_text(c: &Container) -> String {
    if c.config.networks.is_empty() {
        network_mode(c)
    } else {
        c.config
            .networks
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `NetworkSettings`, with Docker's field names. The top-level IPAddress, Gateway and
/// MacAddress are the default bridge's (empty on other networks), as in Docker.
pub fn network_settings(
    store: &Store,
    c: &Container,
    ports: serde_json::Map<String, Value>,
) -> Value {
    let nets = store.networks().unwrap_or_default();
    let mut networks = serde_json::Map::new();
    let mut names: Vec<String> = c.config.networks.keys().cloned().collect();
    match c.config.network_mode.as_str() {
        "host" | "none" => names.push(c.config.network_mode.clone()),
        _ => {}
    }
    for name in &names {
        let cfg = c.config.networks.get(name);
        let ep = c.state.networks.get(name);
        let id = ep
            .map(|e| e.network_id.clone())
            .or_else(|| cfg.map(|c| c.network_id.clone()))
            .filter(|i| !i.is_empty())
            .or_else(|| nets.iter().find(|n| n.name == *name).map(|n| n.id.clone()))
            .unwrap_or_default();
        let s =
            |f: fn(&crate::engine::net::EndpointSettings) -> String| ep.map(f).unwrap_or_default();
        let aliases = cfg.map(|c| c.aliases.clone()).filter(|a| !a.is_empty());
        let dns = ep.map(|e| e.dns_names.clone()).filter(|d| !d.is_empty());
        let ipam = cfg
            .filter(|c| !c.ipv4.is_empty())
            .map(|c| json!({"IPv4Address": c.ipv4}))
            .unwrap_or(Value::Null);
        networks.insert(
            name.clone(),
            json!({
                "IPAMConfig": ipam,
                "Links": null,
                "Aliases": aliases,
                "MacAddress": s(|e| e.mac.clone()),
                "DriverOpts": null,
                "GwPriority": 0,
                "NetworkID": id,
                "EndpointID": s(|e| e.endpoint_id.clone()),
                "Gateway": s(|e| e.gateway.clone()),
                "IPAddress": s(|e| e.ip.clone()),
                "IPPrefixLen": ep.map(|e| e.prefix_len).unwrap_or(0),
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": dns,
            }),
        );
    }
    let bridge = c.state.networks.get("bridge");
    let b =
        |f: fn(&crate::engine::net::EndpointSettings) -> String| bridge.map(f).unwrap_or_default();
    json!({
        "Bridge": "",
        "SandboxID": "",
        "SandboxKey": if c.is_running() { format!("/proc/{}/ns/net", c.state.pid) } else { String::new() },
        "Ports": ports,
        "HairpinMode": false,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "SecondaryIPAddresses": null,
        "SecondaryIPv6Addresses": null,
        "EndpointID": b(|e| e.endpoint_id.clone()),
        "Gateway": b(|e| e.gateway.clone()),
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": b(|e| e.ip.clone()),
        "IPPrefixLen": bridge.map(|e| e.prefix_len).unwrap_or(0),
        "IPv6Gateway": "",
        "MacAddress": b(|e| e.mac.clone()),
        "Networks": networks,
    })
}

/// A network error in the learner's language (Docker's words in English).
pub fn describe(e: &NetError) -> String {
    let key = match e {
        NetError::NotFound(n) => return t("net.not-found", &[("name", n)]),
        NetError::NameExists(n) => return t("net.exists", &[("name", n)]),
        NetError::Predefined(n) => return t("net.predefined", &[("name", n)]),
        NetError::CreatePredefined(n) => return t("net.create-predefined", &[("name", n)]),
        NetError::InUse { name, id } => return t("net.in-use", &[("name", name), ("id", id)]),
        NetError::NoDriver(d) => return t("net.no-driver", &[("driver", d)]),
        NetError::BadSubnet(s) => return t("net.bad-subnet", &[("value", s)]),
        NetError::BadGateway(s) => return t("net.bad-gateway", &[("value", s)]),
        NetError::GatewayOutside(s) => return t("net.gateway-outside", &[("value", s)]),
        NetError::AddressOutOfRange { ip, .. } => return t("net.ip-outside", &[("ip", ip)]),
        NetError::BadAddress(s) => return t("net.bad-ip", &[("value", s)]),
        NetError::NoAddresses(s) => return t("net.no-addresses", &[("name", s)]),
        NetError::AlreadyConnected { container, network } => {
            return t(
                "net.already-connected",
                &[("container", container), ("network", network)],
            );
        }
        NetError::NotConnected { container, network } => {
            return t(
                "net.not-connected",
                &[("container", container), ("network", network)],
            );
        }
        NetError::BadName(n) => return t("net.bad-name", &[("name", n)]),
        NetError::PoolOverlap => "net.pool-overlap",
        NetError::PoolsExhausted => "net.pools-exhausted",
        NetError::AddressInUse(_) => "net.ip-in-use",
        NetError::IpOnDefault => "net.ip-on-default",
        NetError::AliasOnDefault => "net.alias-on-default",
        NetError::HostMode => "net.host-mode",
        NetError::NoneMode => "net.none-mode",
        NetError::Holder(_) | NetError::Sys(_) => {
            return t("net.holder", &[("detail", &e.to_string())]);
        }
    };
    t(key, &[])
}
