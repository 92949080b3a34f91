//! A container's side of networking: what it asked for (`EndpointConfig`, in its config) and
//! what it got (`EndpointSettings`, in its state while it runs), address allocation under the
//! store lock, and the /etc/hosts and /etc/resolv.conf it sees.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::ipam::{self, Subnet};
use super::netlink::Wiring;
use super::{NetError, Network};
use crate::container::{Container, process_start_time};
use crate::{Result, Store};

/// `--network`: what kind of network namespace a container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    /// A record from before networks: loopback only, as it always had.
    Legacy,
    /// `none`: loopback only.
    None,
    /// `host`: the host's network namespace.
    Host,
    /// `bridge` or a user-defined network (and any connected later): veths from the holder.
    Bridge(String),
}

impl NetworkMode {
    pub fn parse(mode: &str) -> NetworkMode {
        match mode {
            "" => NetworkMode::Legacy,
            "none" => NetworkMode::None,
            "host" => NetworkMode::Host,
            other => NetworkMode::Bridge(other.to_string()),
        }
    }
}

/// What a container asked of one network (`--network-alias`, `--ip`, `network connect`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct EndpointConfig {
    pub network_id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `--ip`, or empty.
    #[serde(default)]
    pub ipv4: String,
}

/// What a running container got on one network (Docker's `NetworkSettings.Networks[…]`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct EndpointSettings {
    pub network_id: String,
    pub endpoint_id: String,
    pub ip: String,
    pub prefix_len: u8,
    pub gateway: String,
    pub mac: String,
    pub aliases: Vec<String>,
    /// Names this endpoint answers to in the network's DNS: name, aliases, short id
    /// (empty on the default bridge, which has no DNS by name).
    pub dns_names: Vec<String>,
    /// `eth0`, `eth1`, … inside the container.
    pub ifname: String,
    /// The pair's end on the bridge, in the infra namespace.
    pub host_veth: String,
    /// The monitor that holds the address (pid, start time): an address whose owner is gone
    /// is free again even if no one cleared the record.
    pub owner_pid: i32,
    pub owner_start: u64,
}

impl EndpointSettings {
    pub(crate) fn live(&self) -> bool {
        process_start_time(self.owner_pid).is_some_and(|t| t == self.owner_start)
    }
}

/// The container's networks in attach order: the `--network` one first, then the others by
/// name (so eth0 is stable).
pub fn ordered_networks(c: &Container) -> Vec<(String, EndpointConfig)> {
    let mut out: Vec<(String, EndpointConfig)> = Vec::new();
    if let NetworkMode::Bridge(first) = NetworkMode::parse(&c.config.network_mode)
        && let Some(cfg) = c.config.networks.get(&first)
    {
        out.push((first, cfg.clone()));
    }
    for (name, cfg) in &c.config.networks {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), cfg.clone()));
        }
    }
    out
}

/// Addresses in use on `network_id` by other containers' live endpoints.
fn used_addresses(all: &[Container], except: &str, network_id: &str) -> Vec<Ipv4Addr> {
    all.iter()
        .filter(|c| c.id != except)
        .flat_map(|c| c.state.networks.values())
        .filter(|e| e.network_id == network_id && e.live())
        .filter_map(|e| e.ip.parse().ok())
        .collect()
}

/// A name for an endpoint's end in N (`veth` and seven hex digits, as Docker's host ends).
pub fn host_veth_name() -> String {
    format!("veth{}", &crate::random_hex(4)[..7])
}

/// `host_veth`: the name of its end in N where that end exists already (a spare's).
fn new_endpoint(
    c: &Container,
    net: &Network,
    cfg: &EndpointConfig,
    used: &[Ipv4Addr],
    ifname: String,
    host_veth: Option<String>,
) -> Result<EndpointSettings> {
    let (subnet, gateway) = net
        .subnet()
        .ok_or_else(|| NetError::NotFound(net.name.clone()))?;
    let requested = if cfg.ipv4.is_empty() {
        None
    } else {
        Some(
            cfg.ipv4
                .parse::<Ipv4Addr>()
                .map_err(|_| NetError::BadAddress(cfg.ipv4.clone()))?,
        )
    };
    let ip = ipam::allocate(&subnet, gateway, used, requested)?;
    let me = std::process::id() as i32;
    let dns_names = if net.is_default_bridge() {
        Vec::new()
    } else {
        let mut names = vec![c.name.clone()];
        names.extend(cfg.aliases.iter().cloned());
        names.push(c.short_id());
        names
    };
    Ok(EndpointSettings {
        network_id: net.id.clone(),
        endpoint_id: crate::random_hex(32),
        ip: ip.to_string(),
        prefix_len: subnet.prefix,
        gateway: gateway.to_string(),
        mac: ipam::mac_text(ipam::mac_for(ip)),
        aliases: cfg.aliases.clone(),
        dns_names,
        ifname,
        host_veth: host_veth.unwrap_or_else(host_veth_name),
        owner_pid: me,
        owner_start: process_start_time(me).unwrap_or(0),
    })
}

fn find_network(all: &[Network], name: &str, cfg: &EndpointConfig) -> Result<Network> {
    all.iter()
        .find(|n| (!cfg.network_id.is_empty() && n.id == cfg.network_id) || n.name == name)
        .cloned()
        .ok_or_else(|| NetError::NotFound(name.to_string()).into())
}

impl Store {
    /// Give a starting container an address on each of its networks (recorded in its state,
    /// owned by the calling monitor). None of them wired yet: see `client::attach`.
    /// `spare_host`: the name of the end in N of the spare pair reserved for its `eth0`.
    pub fn allocate_endpoints(
        &self,
        id: &str,
        mut spare_host: Option<String>,
    ) -> Result<(Container, Vec<Network>)> {
        let _lock = self.lock()?;
        let nets = self.networks_locked()?;
        let all = self.containers()?;
        let mut c = self.load_container(id)?;
        c.state.networks.clear();
        for (i, (name, cfg)) in ordered_networks(&c).into_iter().enumerate() {
            let net = find_network(&nets, &name, &cfg)?;
            let used = used_addresses(&all, id, &net.id);
            let host = if i == 0 { spare_host.take() } else { None };
            let ep = new_endpoint(&c, &net, &cfg, &used, format!("eth{i}"), host)?;
            c.state.networks.insert(name, ep);
        }
        self.save_container(&c)?;
        Ok((c, nets))
    }

    /// One more endpoint for a running container (`network connect`), owned by `owner` (its
    /// monitor). Recorded before it is wired.
    pub(crate) fn allocate_one(
        &self,
        c: &Container,
        name: &str,
        cfg: &EndpointConfig,
        owner: (i32, u64),
    ) -> Result<(Container, EndpointSettings)> {
        self.networks()?;
        let _lock = self.lock()?;
        let nets = self.read_networks()?;
        let all = self.containers()?;
        let net = find_network(&nets, name, cfg)?;
        let mut c = self.load_container(&c.id)?;
        let used = used_addresses(&all, &c.id, &net.id);
        let taken: Vec<String> = c
            .state
            .networks
            .values()
            .map(|e| e.ifname.clone())
            .collect();
        let ifname = (0..)
            .map(|i| format!("eth{i}"))
            .find(|n| !taken.contains(n))
            .unwrap_or_default();
        let mut ep = new_endpoint(&c, &net, cfg, &used, ifname, None)?;
        (ep.owner_pid, ep.owner_start) = owner;
        c.state.networks.insert(name.to_string(), ep.clone());
        c.config.networks.insert(name.to_string(), cfg.clone());
        self.save_container(&c)?;
        Ok((c, ep))
    }
}

/// What the holder must wire for these endpoints.
pub fn wirings(nets: &[Network], eps: &[&EndpointSettings]) -> Vec<Wiring> {
    eps.iter()
        .filter_map(|e| {
            let net = nets.iter().find(|n| n.id == e.network_id)?;
            let (subnet, gateway): (Subnet, Ipv4Addr) = net.subnet()?;
            let ip: Ipv4Addr = e.ip.parse().ok()?;
            Some(Wiring {
                bridge: net.bridge_name(),
                gateway,
                prefix: subnet.prefix,
                host_veth: e.host_veth.clone(),
                ifname: e.ifname.clone(),
                ip,
                mac: ipam::mac_for(ip),
                default_route: e.ifname == "eth0",
            })
        })
        .collect()
}

/// Docker's /etc/hosts: localhost, the IPv6 names, then the container's address and hostname.
pub fn hosts_file(c: &Container) -> String {
    let mut s = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n",
    );
    let first = c
        .state
        .networks
        .values()
        .find(|e| e.ifname == "eth0")
        .map(|e| e.ip.clone());
    match first {
        Some(ip) => s.push_str(&format!("{ip}\t{}\n", c.config.hostname)),
        None => s.push_str(&format!("127.0.0.1\t{}\n", c.config.hostname)),
    }
    s
}

/// The container's /etc/resolv.conf. On a user-defined network: the embedded DNS server with
/// the host's search and options (Docker's layout); elsewhere the host's file less the
/// nameservers on the host's loopback (unreachable from the container), as Docker does.
pub fn resolv_file(c: &Container, nets: &[Network], host: &str) -> String {
    let user_network = c.state.networks.values().any(|e| {
        nets.iter()
            .any(|n| n.id == e.network_id && !n.is_default_bridge())
    });
    let mut kept: Vec<&str> = Vec::new();
    for l in host.lines() {
        let t = l.trim_start();
        let is_ns = t.starts_with("nameserver");
        if user_network && is_ns {
            continue;
        }
        if is_ns && (t.contains(" 127.") || t.contains("::1")) {
            continue;
        }
        if user_network && t.starts_with("options") {
            continue;
        }
        kept.push(l);
    }
    let mut out: String = kept.iter().map(|l| format!("{l}\n")).collect();
    if user_network {
        out = format!("nameserver 127.0.0.11\n{out}options ndots:0\n");
    }
    out
}

/// Aliases by network for `--network-alias` (Docker gives them to the `--network` one).
pub fn endpoint_configs(
    mode: &str,
    aliases: &[String],
    ip: Option<&str>,
) -> BTreeMap<String, EndpointConfig> {
    let mut m = BTreeMap::new();
    if let NetworkMode::Bridge(name) = NetworkMode::parse(mode) {
        m.insert(
            name,
            EndpointConfig {
                network_id: String::new(),
                aliases: aliases.to_vec(),
                ipv4: ip.unwrap_or_default().to_string(),
            },
        );
    }
    m
}

impl Store {
    /// `--network`, `--network-alias` and `--ip` at create time, checked as Docker's daemon
    /// does: the network must exist; aliases and addresses only on user-defined networks.
    pub fn network_choice(
        &self,
        opts: &crate::lifecycle::CreateOptions,
    ) -> Result<(String, BTreeMap<String, EndpointConfig>)> {
        let mode = opts.network.clone().unwrap_or_else(|| "bridge".into());
        let mode = if mode == "default" {
            "bridge".into()
        } else {
            mode
        };
        match NetworkMode::parse(&mode) {
            NetworkMode::Bridge(name) => {
                let net = self.resolve_network(&name)?;
                if net.name == "host" || net.name == "none" {
                    return self.network_choice(&crate::lifecycle::CreateOptions {
                        network: Some(net.name),
                        ..opts.clone()
                    });
                }
                if net.is_default_bridge() {
                    if opts.ip.is_some() {
                        return Err(NetError::IpOnDefault.into());
                    }
                    if !opts.network_aliases.is_empty() {
                        return Err(NetError::AliasOnDefault.into());
                    }
                }
                if let Some(ip) = &opts.ip {
                    let ip: Ipv4Addr = ip.parse().map_err(|_| NetError::BadAddress(ip.clone()))?;
                    let (subnet, _) = net
                        .subnet()
                        .ok_or_else(|| NetError::NotFound(net.name.clone()))?;
                    if !subnet.contains(ip) {
                        return Err(NetError::AddressOutOfRange {
                            ip: ip.to_string(),
                            subnet: subnet.to_string(),
                        }
                        .into());
                    }
                }
                let mut m = endpoint_configs(&net.name, &opts.network_aliases, opts.ip.as_deref());
                if let Some(cfg) = m.get_mut(&net.name) {
                    cfg.network_id = net.id.clone();
                }
                Ok((net.name, m))
            }
            _ => {
                if opts.ip.is_some() {
                    return Err(NetError::IpOnDefault.into());
                }
                if !opts.network_aliases.is_empty() {
                    return Err(NetError::AliasOnDefault.into());
                }
                Ok((mode, BTreeMap::new()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(mode: &str) -> Container {
        let mut c = Container {
            id: "abcdef0123456789".into(),
            name: "web".into(),
            ..Default::default()
        };
        c.config.hostname = "abcdef012345".into();
        c.config.network_mode = mode.into();
        c
    }

    #[test]
    fn hosts_names_the_first_address_and_resolv_points_user_networks_at_the_embedded_dns() {
        let mut c = container("bridge");
        assert!(hosts_file(&c).ends_with("127.0.0.1\tabcdef012345\n"));
        let bridge = Network {
            name: "bridge".into(),
            id: "b".into(),
            ..Default::default()
        };
        let user = Network {
            name: "n".into(),
            id: "u".into(),
            ..Default::default()
        };
        c.state.networks.insert(
            "bridge".into(),
            EndpointSettings {
                network_id: "b".into(),
                ip: "172.17.0.2".into(),
                ifname: "eth0".into(),
                ..Default::default()
            },
        );
        assert!(hosts_file(&c).ends_with("172.17.0.2\tabcdef012345\n"));
        let host = "nameserver 127.0.0.53\nnameserver 8.8.8.8\nsearch lan\noptions edns0\n";
        let nets = [bridge, user];
        assert_eq!(
            resolv_file(&c, &nets, host),
            "nameserver 8.8.8.8\nsearch lan\noptions edns0\n"
        );
        c.state.networks.get_mut("bridge").unwrap().network_id = "u".into();
        assert_eq!(
            resolv_file(&c, &nets, host),
            "nameserver 127.0.0.11\nsearch lan\noptions ndots:0\n"
        );
    }

    #[test]
    fn the_network_mode_goes_first() {
        let mut c = container("zeta");
        c.config.networks = endpoint_configs("zeta", &["w".into()], None);
        c.config
            .networks
            .insert("alpha".into(), EndpointConfig::default());
        let names: Vec<String> = ordered_networks(&c).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(c.config.networks["zeta"].aliases, ["w"]);
        assert!(endpoint_configs("none", &[], None).is_empty());
    }
}
