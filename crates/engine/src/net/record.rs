//! Network records: `<root>/networks/<id>.json`, Docker's `network inspect` object (less
//! `Containers`, which is read from the container records). `bridge`, `host` and `none` always
//! exist, as in `docker network ls`.

use std::collections::BTreeMap;
use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::NetError;
use super::ipam::{self, Subnet};
use crate::container::Container;
use crate::store::{read_json, replace_json};
use crate::{EngineError, Result, Store};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Network {
    pub name: String,
    #[serde(rename = "Id")]
    pub id: String,
    pub created: String,
    pub scope: String,
    pub driver: String,
    #[serde(rename = "EnableIPv4")]
    pub enable_ipv4: bool,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Ipam,
    pub internal: bool,
    pub attachable: bool,
    pub ingress: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Ipam {
    pub driver: String,
    pub options: Option<BTreeMap<String, String>>,
    pub config: Vec<IpamConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct IpamConfig {
    pub subnet: String,
    pub gateway: String,
}

/// `docker network create`'s options.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    pub name: String,
    pub driver: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

/// The names Docker reserves.
pub const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

impl Network {
    /// A bridge network's subnet and gateway (None for host and none).
    pub fn subnet(&self) -> Option<(Subnet, Ipv4Addr)> {
        let c = self.ipam.config.first()?;
        Some((Subnet::parse(&c.subnet)?, c.gateway.parse().ok()?))
    }

    pub fn is_predefined(&self) -> bool {
        PREDEFINED.contains(&self.name.as_str())
    }

    /// The default `bridge` network (no DNS by name, no --ip, no aliases).
    pub fn is_default_bridge(&self) -> bool {
        self.name == "bridge"
    }

    /// Its Linux bridge in the infra namespace: `gorae0`, else `br-<first 12 of id>`.
    pub fn bridge_name(&self) -> String {
        if self.is_default_bridge() {
            "gorae0".into()
        } else {
            format!("br-{}", &self.id[..12.min(self.id.len())])
        }
    }
}

impl crate::Event {
    /// A `network` event, as Docker's: the network's id, its name and driver.
    pub fn network(action: crate::events::Action, n: &Network) -> crate::Event {
        crate::Event::new(crate::events::EventType::Network, action)
            .id(&n.id)
            .name(&n.name)
            .attr("type", n.driver.clone())
    }
}

impl Store {
    /// `network connect`/`disconnect` events for the endpoints of `c` (a container starting,
    /// ending, or changing networks).
    pub(crate) fn emit_network_membership<'a>(
        &self,
        c: &Container,
        action: crate::events::Action,
        endpoints: impl IntoIterator<Item = &'a super::EndpointSettings>,
    ) {
        let Ok(nets) = self.read_networks() else {
            return;
        };
        for e in endpoints {
            if let Some(n) = nets.iter().find(|n| n.id == e.network_id) {
                self.emit(crate::Event::network(action.clone(), n).attr("container", c.id.clone()));
            }
        }
    }

    pub fn networks_dir(&self) -> PathBuf {
        self.root.join("networks")
    }

    fn network_path(&self, id: &str) -> PathBuf {
        self.networks_dir().join(format!("{id}.json"))
    }

    /// Every network, the predefined ones made on first use; by name.
    pub fn networks(&self) -> Result<Vec<Network>> {
        let mut all = self.read_networks()?;
        if PREDEFINED.iter().any(|p| !all.iter().any(|n| n.name == *p)) {
            let _lock = self.lock()?;
            return self.networks_locked();
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// [`Store::networks`] for a caller that holds the store lock.
    pub(crate) fn networks_locked(&self) -> Result<Vec<Network>> {
        let mut all = self.read_networks()?;
        for p in PREDEFINED {
            if !all.iter().any(|n| n.name == p) {
                let n = predefined(p);
                self.save_network(&n)?;
                all.push(n);
            }
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    pub(crate) fn read_networks(&self) -> Result<Vec<Network>> {
        let dir = self.networks_dir();
        let rd = match fs::read_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(&dir).map_err(|e| EngineError::io(&dir, e))?;
                fs::read_dir(&dir)
            }
            rd => rd,
        }
        .map_err(|e| EngineError::io(&dir, e))?;
        let mut out = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            if let Ok(n) = read_json::<Network>(&e.path()) {
                out.push(n);
            }
        }
        Ok(out)
    }

    fn save_network(&self, n: &Network) -> Result<()> {
        replace_json(&self.network_path(&n.id), n)
    }

    /// By full name, full id, or unique id prefix (Docker's order).
    pub fn resolve_network(&self, key: &str) -> Result<Network> {
        let all = self.networks()?;
        if let Some(n) = all.iter().find(|n| n.id == key || n.name == key) {
            return Ok(n.clone());
        }
        let m: Vec<&Network> = all
            .iter()
            .filter(|n| !key.is_empty() && n.id.starts_with(key))
            .collect();
        match m.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(NetError::NotFound(key.to_string()).into()),
        }
    }

    /// `docker network create`.
    pub fn create_network(&self, o: &NetworkCreate) -> Result<Network> {
        let driver = if o.driver.is_empty() {
            "bridge"
        } else {
            &o.driver
        };
        if driver != "bridge" {
            return Err(NetError::NoDriver(driver.to_string()).into());
        }
        if !valid_name(&o.name) {
            return Err(NetError::BadName(o.name.clone()).into());
        }
        if PREDEFINED.contains(&o.name.as_str()) {
            return Err(NetError::CreatePredefined(o.name.clone()).into());
        }
        self.networks()?;
        let _lock = self.lock()?;
        let all = self.read_networks()?;
        if all.iter().any(|n| n.name == o.name) {
            return Err(NetError::NameExists(o.name.clone()).into());
        }
        let taken: Vec<Subnet> = all.iter().filter_map(|n| n.subnet()).map(|s| s.0).collect();
        let subnet = match &o.subnet {
            Some(s) => {
                let s = Subnet::parse(s).ok_or_else(|| NetError::BadSubnet(s.clone()))?;
                if taken.iter().any(|t| t.overlaps(&s)) {
                    return Err(NetError::PoolOverlap.into());
                }
                s
            }
            None => {
                if o.gateway.is_some() {
                    // Docker: a gateway needs the subnet it is in.
                    let gw = o.gateway.clone().unwrap_or_default();
                    return Err(NetError::GatewayOutside(gw).into());
                }
                ipam::next_subnet(&taken)?
            }
        };
        let gateway = match &o.gateway {
            Some(g) => {
                let ip: Ipv4Addr = g.parse().map_err(|_| NetError::BadGateway(g.clone()))?;
                if !subnet.contains(ip) {
                    return Err(NetError::GatewayOutside(g.clone()).into());
                }
                ip
            }
            None => subnet.first_host(),
        };
        let n = Network {
            name: o.name.clone(),
            id: crate::random_hex(32),
            created: crate::time::rfc3339_now(),
            scope: "local".into(),
            driver: "bridge".into(),
            enable_ipv4: true,
            enable_ipv6: false,
            ipam: Ipam {
                driver: "default".into(),
                options: Some(BTreeMap::new()),
                config: vec![IpamConfig {
                    subnet: subnet.to_string(),
                    gateway: gateway.to_string(),
                }],
            },
            internal: o.internal,
            attachable: o.attachable,
            ingress: false,
            labels: o.labels.clone(),
            options: o.options.clone(),
        };
        self.save_network(&n)?;
        self.emit(crate::Event::network(crate::events::Action::Create, &n));
        Ok(n)
    }

    /// `docker network rm`: refused for predefined networks and while a running container is
    /// attached (stopped ones keep their config and fail to start, as with Docker).
    pub fn remove_network(&self, key: &str) -> Result<Network> {
        let n = self.resolve_network(key)?;
        if n.is_predefined() {
            return Err(NetError::Predefined(n.name).into());
        }
        let _lock = self.lock()?;
        if self
            .containers()?
            .iter()
            .any(|c| c.is_running() && c.state.networks.values().any(|e| e.network_id == n.id))
        {
            return Err(NetError::InUse {
                name: n.name.clone(),
                id: n.id.clone(),
            }
            .into());
        }
        let path = self.network_path(&n.id);
        fs::remove_file(&path).map_err(|e| EngineError::io(&path, e))?;
        self.emit(crate::Event::network(crate::events::Action::Destroy, &n));
        Ok(n)
    }

    /// Networks no container (running or not) refers to: `docker network prune`'s set.
    pub fn unused_networks(&self) -> Result<Vec<Network>> {
        let containers = self.containers()?;
        Ok(self
            .networks()?
            .into_iter()
            .filter(|n| {
                !n.is_predefined()
                    && !containers.iter().any(|c| {
                        c.config.networks.values().any(|e| e.network_id == n.id)
                            || c.state.networks.values().any(|e| e.network_id == n.id)
                    })
            })
            .collect())
    }
}

/// Docker's rule for network names (as for containers): `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn predefined(name: &str) -> Network {
    let (driver, config, options) = match name {
        "bridge" => {
            let subnet = ipam::DEFAULT_BRIDGE.to_string();
            let gateway = Subnet::parse(&subnet)
                .map(|s| s.first_host().to_string())
                .unwrap_or_default();
            let opts = [
                ("com.docker.network.bridge.default_bridge", "true"),
                ("com.docker.network.bridge.enable_icc", "true"),
                ("com.docker.network.bridge.enable_ip_masquerade", "true"),
                ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
                ("com.docker.network.bridge.name", "gorae0"),
                ("com.docker.network.driver.mtu", "1500"),
            ];
            (
                "bridge",
                vec![IpamConfig { subnet, gateway }],
                opts.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        }
        "host" => ("host", Vec::new(), BTreeMap::new()),
        _ => ("null", Vec::new(), BTreeMap::new()),
    };
    Network {
        name: name.into(),
        id: crate::random_hex(32),
        created: crate::time::rfc3339_now(),
        scope: "local".into(),
        driver: driver.into(),
        enable_ipv4: true,
        enable_ipv6: false,
        ipam: Ipam {
            driver: "default".into(),
            options: None,
            config,
        },
        internal: false,
        attachable: false,
        ingress: false,
        labels: BTreeMap::new(),
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(t.path().join("root"), t.path().join("cat")).unwrap();
        (t, s)
    }

    #[test]
    fn predefined_networks_exist_and_user_networks_take_the_next_pool() {
        let (_t, s) = store();
        let names: Vec<String> = s.networks().unwrap().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["bridge", "host", "none"]);
        let bridge = s.resolve_network("bridge").unwrap();
        assert_eq!(bridge.ipam.config[0].subnet, "172.17.0.0/16");
        assert_eq!(bridge.bridge_name(), "gorae0");
        let a = s
            .create_network(&NetworkCreate {
                name: "front".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(a.ipam.config[0].subnet, "172.18.0.0/16");
        assert_eq!(a.ipam.config[0].gateway, "172.18.0.1");
        assert_eq!(a.bridge_name(), format!("br-{}", &a.id[..12]));
        let dup = s.create_network(&NetworkCreate {
            name: "front".into(),
            ..Default::default()
        });
        assert_eq!(
            dup.unwrap_err().to_string(),
            "network with name front already exists"
        );
        let custom = s
            .create_network(&NetworkCreate {
                name: "custom".into(),
                subnet: Some("10.5.0.0/24".into()),
                gateway: Some("10.5.0.254".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(custom.subnet().unwrap().1, Ipv4Addr::new(10, 5, 0, 254));
        let overlap = s.create_network(&NetworkCreate {
            name: "overlap".into(),
            subnet: Some("172.18.5.0/24".into()),
            ..Default::default()
        });
        assert!(matches!(
            overlap,
            Err(EngineError::Network(NetError::PoolOverlap))
        ));
        assert_eq!(
            s.resolve_network(&a.id[..5]).unwrap().name,
            "front",
            "an id prefix finds it"
        );
        assert_eq!(
            s.remove_network("bridge").unwrap_err().to_string(),
            "bridge is a pre-defined network and cannot be removed"
        );
        // Names that are not hex, so no id prefix of another network can match them.
        s.remove_network("front").unwrap();
        assert_eq!(
            s.resolve_network("front").unwrap_err().to_string(),
            "network front not found"
        );
    }
}
