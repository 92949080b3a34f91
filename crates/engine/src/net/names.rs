//! The embedded DNS server's names, read from the store's records at query time: a container
//! finds the others on the user-defined networks it shares by name, `--network-alias` and
//! 12-hex short id (the default `bridge` has none, as on Docker). Nothing is cached, so rename,
//! connect and disconnect show in the next answer.

use std::net::IpAddr;

use super::dns::{ContainerKey, Names, name_candidates};
use super::{EndpointSettings, Network};
use crate::Store;
use crate::container::Container;

/// [`Names`] over a store.
pub struct StoreNames {
    pub store: Store,
}

/// One container's endpoint on a network the asker shares.
struct Member<'a> {
    container: &'a Container,
    endpoint: &'a EndpointSettings,
    network: &'a Network,
}

/// The user-defined networks `asker` is attached to now, and every live endpoint on them.
fn members<'a>(asker: &ContainerKey, all: &'a [Container], nets: &'a [Network]) -> Vec<Member<'a>> {
    let Some(me) = all.iter().find(|c| c.id == asker.0) else {
        return Vec::new();
    };
    let shared: Vec<&Network> = me
        .state
        .networks
        .values()
        .filter(|e| e.live())
        .filter_map(|e| nets.iter().find(|n| n.id == e.network_id))
        .filter(|n| !n.is_default_bridge())
        .collect();
    let mut out = Vec::new();
    for c in all {
        for e in c.state.networks.values() {
            if let Some(n) = shared.iter().find(|n| n.id == e.network_id)
                && e.live()
            {
                out.push(Member {
                    container: c,
                    endpoint: e,
                    network: n,
                });
            }
        }
    }
    out
}

/// The addresses `name` has among `members` (already narrowed to one network when the query
/// named it): aliases first, then container names and short ids, as Docker.
fn resolve(members: &[&Member<'_>], name: &str) -> Vec<IpAddr> {
    let ips = |hit: &dyn Fn(&Member<'_>) -> bool| -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = Vec::new();
        for m in members.iter().filter(|m| hit(m)) {
            if let Ok(ip) = m.endpoint.ip.parse::<IpAddr>()
                && !v.contains(&ip)
            {
                v.push(ip);
            }
        }
        v
    };
    let by_alias = ips(&|m| {
        m.endpoint
            .aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(name))
    });
    if !by_alias.is_empty() {
        return by_alias;
    }
    ips(&|m| {
        m.container.name.eq_ignore_ascii_case(name)
            || m.container.short_id().eq_ignore_ascii_case(name)
    })
}

/// Docker's reading of a dotted name (`web`, `web.mynet`) among `members`.
fn lookup_among(members: &[Member<'_>], name: &str) -> Vec<IpAddr> {
    for (n, network) in name_candidates(name) {
        let here: Vec<&Member<'_>> = members
            .iter()
            .filter(|m| network.is_none_or(|net| m.network.name.eq_ignore_ascii_case(net)))
            .collect();
        let ips = resolve(&here, n);
        if !ips.is_empty() {
            return ips;
        }
    }
    Vec::new()
}

impl StoreNames {
    fn records(&self) -> (Vec<Container>, Vec<Network>) {
        (
            self.store.containers().unwrap_or_default(),
            self.store.read_networks().unwrap_or_default(),
        )
    }
}

impl Names for StoreNames {
    fn lookup(&self, asker: &ContainerKey, name: &str) -> Vec<IpAddr> {
        let (all, nets) = self.records();
        lookup_among(&members(asker, &all, &nets), name)
    }

    fn reverse(&self, asker: &ContainerKey, ip: IpAddr) -> Option<String> {
        let (all, nets) = self.records();
        let text = ip.to_string();
        members(asker, &all, &nets)
            .iter()
            .find(|m| m.endpoint.ip == text)
            .map(|m| format!("{}.{}", m.container.name, m.network.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(net: &str, ip: &str, aliases: &[&str]) -> EndpointSettings {
        let me = std::process::id() as i32;
        EndpointSettings {
            network_id: net.into(),
            ip: ip.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            owner_pid: me,
            owner_start: crate::container::process_start_time(me).unwrap_or(0),
            ..Default::default()
        }
    }

    fn ctr(id: &str, name: &str, eps: &[(&str, EndpointSettings)]) -> Container {
        let mut c = Container {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        };
        for (n, e) in eps {
            c.state.networks.insert(n.to_string(), e.clone());
        }
        c
    }

    fn net(id: &str, name: &str) -> Network {
        Network {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn ask(all: &[Container], nets: &[Network], asker: &str, name: &str) -> Vec<String> {
        let members = members(&ContainerKey::new(asker), all, nets);
        lookup_among(&members, name)
            .iter()
            .map(|i| i.to_string())
            .collect()
    }

    #[test]
    fn names_resolve_only_on_shared_user_networks() {
        let nets = [net("b", "bridge"), net("u", "front"), net("v", "back")];
        let all = [
            ctr(
                "aaaaaaaaaaaa1111",
                "client",
                &[("front", ep("u", "172.18.0.3", &[]))],
            ),
            ctr(
                "bbbbbbbbbbbb2222",
                "web",
                &[
                    ("front", ep("u", "172.18.0.2", &["www"])),
                    ("bridge", ep("b", "172.17.0.2", &[])),
                ],
            ),
            ctr(
                "cccccccccccc3333",
                "db",
                &[("back", ep("v", "172.19.0.2", &[]))],
            ),
            ctr(
                "dddddddddddd4444",
                "old",
                &[("bridge", ep("b", "172.17.0.3", &[]))],
            ),
        ];
        assert_eq!(ask(&all, &nets, "aaaaaaaaaaaa1111", "web"), ["172.18.0.2"]);
        assert_eq!(ask(&all, &nets, "aaaaaaaaaaaa1111", "WWW"), ["172.18.0.2"]);
        assert_eq!(
            ask(&all, &nets, "aaaaaaaaaaaa1111", "bbbbbbbbbbbb"),
            ["172.18.0.2"]
        );
        assert_eq!(
            ask(&all, &nets, "aaaaaaaaaaaa1111", "web.front"),
            ["172.18.0.2"]
        );
        assert!(ask(&all, &nets, "aaaaaaaaaaaa1111", "web.back").is_empty());
        assert!(ask(&all, &nets, "aaaaaaaaaaaa1111", "db").is_empty());
        // The default bridge resolves nothing, not even for a container also on it.
        assert!(ask(&all, &nets, "dddddddddddd4444", "web").is_empty());
        assert!(ask(&all, &nets, "aaaaaaaaaaaa1111", "old").is_empty());
    }
}
