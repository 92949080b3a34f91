//! `docker network connect` / `disconnect`: change a container's networks, live when it runs
//! (a new veth `ethN` wired by the holder, or the pair removed).

use super::endpoint::{EndpointConfig, NetworkMode, wirings};
use super::holder::Request;
use super::{NetError, client};
use crate::container::Container;
use crate::{Result, Store};

/// What `network connect` asks for.
#[derive(Debug, Clone, Default)]
pub struct Connect {
    pub aliases: Vec<String>,
    pub ip: Option<String>,
}

impl Store {
    /// Connect a container to a network (its config; and its netns when it runs).
    pub fn connect_network(&self, net_key: &str, ctr_key: &str, o: &Connect) -> Result<Container> {
        let net = self.resolve_network(net_key)?;
        let c = self.resolve_container(ctr_key)?;
        match net.name.as_str() {
            "host" => return Err(NetError::HostMode.into()),
            "none" => return Err(NetError::NoneMode.into()),
            _ => {}
        }
        match NetworkMode::parse(&c.config.network_mode) {
            NetworkMode::Host => return Err(NetError::HostMode.into()),
            NetworkMode::None | NetworkMode::Legacy => return Err(NetError::NoneMode.into()),
            NetworkMode::Bridge(_) => {}
        }
        if c.config.networks.contains_key(&net.name) {
            return Err(NetError::AlreadyConnected {
                container: c.name.clone(),
                network: net.name.clone(),
            }
            .into());
        }
        if net.is_default_bridge() {
            if o.ip.is_some() {
                return Err(NetError::IpOnDefault.into());
            }
            if !o.aliases.is_empty() {
                return Err(NetError::AliasOnDefault.into());
            }
        }
        let cfg = EndpointConfig {
            network_id: net.id.clone(),
            aliases: o.aliases.clone(),
            ipv4: o.ip.clone().unwrap_or_default(),
        };
        if !c.is_running() {
            return self.update_container(&c.id, |c| {
                c.config.networks.insert(net.name.clone(), cfg.clone());
            });
        }
        let owner = (c.state.monitor_pid, c.state.monitor_start);
        let (c, ep) = self.allocate_one(&c, &net.name, &cfg, owner)?;
        let nets = self.networks()?;
        let wired = client::connect(self).and_then(|mut h| {
            h.request(&Request::Attach {
                container: c.id.clone(),
                pid: c.state.pid,
                wirings: wirings(&nets, &[&ep]),
            })
        });
        if let Err(e) = wired {
            let _ = self.update_container(&c.id, |c| {
                c.state.networks.remove(&net.name);
                c.config.networks.remove(&net.name);
            });
            return Err(e);
        }
        self.emit_network_membership(&c, crate::events::Action::Connect, [&ep]);
        Ok(c)
    }

    /// Disconnect a container from a network.
    pub fn disconnect_network(&self, net_key: &str, ctr_key: &str) -> Result<Container> {
        let net = self.resolve_network(net_key)?;
        let c = self.resolve_container(ctr_key)?;
        if net.name == "host" || c.config.network_mode == "host" {
            return Err(NetError::HostMode.into());
        }
        let Some(name) = c
            .config
            .networks
            .iter()
            .find(|(n, cfg)| **n == net.name || cfg.network_id == net.id)
            .map(|(n, _)| n.clone())
        else {
            return Err(NetError::NotConnected {
                // Docker's daemon names the container by its id here.
                container: c.id.clone(),
                network: net.name.clone(),
            }
            .into());
        };
        let ep = c.state.networks.get(&name).cloned();
        if let Some(ep) = ep.filter(|_| c.is_running()) {
            client::connect(self)?.detach(&c.id, vec![ep.host_veth.clone()])?;
            self.emit_network_membership(&c, crate::events::Action::Disconnect, [&ep]);
        }
        self.update_container(&c.id, |c| {
            c.config.networks.remove(&name);
            c.state.networks.remove(&name);
        })
    }
}
