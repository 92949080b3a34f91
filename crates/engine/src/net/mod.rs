//! Networks: Docker's bridge networking without touching the host's network configuration.
//!
//! One holder process per store (`holder`) owns an infra network namespace N (rootless: inside
//! a user namespace U it also owns) with one Linux bridge per network; a container's eth0 is a
//! veth pair made there over netlink (`netlink`), its other end moved into the container's
//! netns (or made ahead, with the netns itself: `spare`). Rootless containers share U, so the
//! holder may configure their netns. Network records (`record`) are Docker's `network
//! inspect` objects; addresses come from `ipam`; what a container asked for and got lives in
//! its record (`endpoint`); the monitor and the CLI reach the holder through `client`.

pub mod client;
pub mod connect;
pub mod dns;
pub mod egress;
pub mod endpoint;
pub mod holder;
pub mod ipam;
pub mod names;
pub mod netlink;
pub mod record;
pub mod spare;

use serde::{Deserialize, Serialize};

pub use connect::Connect;
pub use endpoint::{EndpointConfig, EndpointSettings, NetworkMode};
pub use record::{Network, NetworkCreate};

use crate::runtime::sys::SysError;

/// What a user can get wrong (or meet) with networks, in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum NetError {
    #[error("network {0} not found")]
    NotFound(String),
    #[error("network with name {0} already exists")]
    NameExists(String),
    #[error("{0} is a pre-defined network and cannot be removed")]
    Predefined(String),
    /// `network create` of a predefined network's name (Docker's text ends with a space).
    #[error("operation is not permitted on predefined {0} network ")]
    CreatePredefined(String),
    #[error("error while removing network: network {name} id {id} has active endpoints")]
    InUse { name: String, id: String },
    #[error("plugin \"{0}\" not found")]
    NoDriver(String),
    #[error("invalid CIDR address: {0}")]
    BadSubnet(String),
    #[error("invalid gateway address {0}")]
    BadGateway(String),
    #[error("no matching subnet for gateway {0}")]
    GatewayOutside(String),
    #[error("invalid pool request: Pool overlaps with other one on this address space")]
    PoolOverlap,
    #[error(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )]
    PoolsExhausted,
    #[error("Invalid address {ip}: It does not belong to any of this network's subnets")]
    AddressOutOfRange { ip: String, subnet: String },
    #[error("invalid IPv4 address: {0}")]
    BadAddress(String),
    #[error("Address already in use")]
    AddressInUse(String),
    #[error("no available IPv4 addresses on this network's address pools: {0}")]
    NoAddresses(String),
    #[error("user specified IP address is supported on user defined networks only")]
    IpOnDefault,
    #[error("network-scoped alias is supported only for containers in user defined networks")]
    AliasOnDefault,
    #[error("endpoint with name {container} already exists in network {network}")]
    AlreadyConnected { container: String, network: String },
    #[error("container {container} is not connected to network {network}")]
    NotConnected { container: String, network: String },
    #[error("container cannot be disconnected from host network or connected to host network")]
    HostMode,
    #[error(
        "container cannot be connected to multiple networks with one of the networks in private (none) mode"
    )]
    NoneMode,
    #[error("invalid network name \"{0}\"")]
    BadName(String),
    /// The holder could not be started or reached; the text is for a bug report.
    #[error("the network holder: {0}")]
    Holder(String),
    /// A netlink or namespace call failed while wiring a container.
    #[error("{0}")]
    Sys(SysError),
}

impl From<SysError> for NetError {
    fn from(e: SysError) -> NetError {
        NetError::Sys(e)
    }
}
