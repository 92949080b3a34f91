//! Netlink, behind the [`Netlink`] trait: the links, addresses and routes the holder makes, in
//! one network namespace per handle (the infra namespace, or a container's). [`RtNetlink`]
//! talks to the kernel (netlink-packet-route over a netlink-sys socket, synchronous);
//! [`RecordingNetlink`] writes the calls down, so the wiring plan ([`wire_endpoint`]) is tested
//! without root.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::RawFd;
use std::sync::Mutex;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::runtime::sys::{Errno, SysError, SysResult};

/// The link, address and route calls of one network namespace.
pub trait Netlink {
    fn link_exists(&self, name: &str) -> SysResult<bool>;
    fn add_bridge(&self, name: &str) -> SysResult<()>;
    /// A veth pair `name` ↔ `peer`; the peer is made in the namespace `peer_netns` (an open
    /// /proc/<pid>/ns/net) with the MAC `peer_mac`.
    fn add_veth(
        &self,
        name: &str,
        peer: &str,
        peer_netns: RawFd,
        peer_mac: [u8; 6],
    ) -> SysResult<()>;
    fn set_master(&self, name: &str, master: &str) -> SysResult<()>;
    fn set_up(&self, name: &str) -> SysResult<()>;
    fn set_down(&self, name: &str) -> SysResult<()>;
    /// Rename a link that is down.
    fn rename_link(&self, name: &str, new_name: &str) -> SysResult<()>;
    /// Set the MAC of a link that is down.
    fn set_mac(&self, name: &str, mac: [u8; 6]) -> SysResult<()>;
    fn add_address(&self, name: &str, ip: Ipv4Addr, prefix: u8) -> SysResult<()>;
    fn add_default_route(&self, name: &str, gateway: Ipv4Addr) -> SysResult<()>;
    fn delete_link(&self, name: &str) -> SysResult<()>;
}

/// What one container endpoint needs wired (see [`wire_endpoint`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wiring {
    pub bridge: String,
    pub gateway: Ipv4Addr,
    pub prefix: u8,
    pub host_veth: String,
    /// The name inside the container (`eth0`, `eth1`, …).
    pub ifname: String,
    pub ip: Ipv4Addr,
    pub mac: [u8; 6],
    /// The container's default route goes through this network (its first).
    pub default_route: bool,
}

/// Make sure the network's bridge exists (with the gateway address, up).
pub fn ensure_bridge(
    infra: &dyn Netlink,
    bridge: &str,
    gateway: Ipv4Addr,
    prefix: u8,
) -> SysResult<()> {
    if infra.link_exists(bridge)? {
        return Ok(());
    }
    infra.add_bridge(bridge)?;
    infra.add_address(bridge, gateway, prefix)?;
    infra.set_up(bridge)
}

/// Wire one endpoint: the bridge, a veth pair with one end on the bridge and the other in the
/// container (`ctr_netns`), its address, link and default route there. A failure after the
/// pair exists removes it again (the container's end goes with it).
pub fn wire_endpoint(
    infra: &dyn Netlink,
    ctr: &dyn Netlink,
    w: &Wiring,
    ctr_netns: RawFd,
) -> SysResult<()> {
    ensure_bridge(infra, &w.bridge, w.gateway, w.prefix)?;
    infra.add_veth(&w.host_veth, &w.ifname, ctr_netns, w.mac)?;
    finish_endpoint(infra, ctr, w, true, |_| Ok(()))
}

/// Wire one endpoint onto a pair made ahead (`net::spare`): its end in the container is
/// already there, named `w.ifname`; its end in N is `spare_host`, a port of `spare_bridge`
/// and up where that is given. Named as the endpoint and on its bridge, only the container's
/// end is left to do; otherwise the end in N takes the endpoint's name (another build's
/// monitor chose one) and bridge. The container's end takes the endpoint's MAC. A failure
/// removes the pair, as [`wire_endpoint`]'s does.
pub fn wire_spare(
    infra: &dyn Netlink,
    ctr: &dyn Netlink,
    w: &Wiring,
    spare_host: &str,
    spare_bridge: Option<&str>,
) -> SysResult<()> {
    let named = spare_host == w.host_veth;
    let ready = named && spare_bridge == Some(w.bridge.as_str());
    if !ready {
        ensure_bridge(infra, &w.bridge, w.gateway, w.prefix)?;
    }
    let renamed = (|| {
        if named {
            return Ok(());
        }
        // A link is renamed only while down.
        if spare_bridge.is_some() {
            infra.set_down(spare_host)?;
        }
        infra.rename_link(spare_host, &w.host_veth)
    })();
    if let Err(e) = renamed {
        let _ = infra.delete_link(spare_host);
        return Err(e);
    }
    finish_endpoint(infra, ctr, w, !ready, |ctr| ctr.set_mac(&w.ifname, w.mac))
}

/// The rest of an endpoint once its pair exists (`first` in the container, then the bridge
/// port unless it is one already (`to_bridge` false), the address, link and default route); a failure removes
/// the pair.
fn finish_endpoint(
    infra: &dyn Netlink,
    ctr: &dyn Netlink,
    w: &Wiring,
    to_bridge: bool,
    first: impl FnOnce(&dyn Netlink) -> SysResult<()>,
) -> SysResult<()> {
    let rest = (|| {
        first(ctr)?;
        if to_bridge {
            infra.set_master(&w.host_veth, &w.bridge)?;
            infra.set_up(&w.host_veth)?;
        }
        ctr.add_address(&w.ifname, w.ip, w.prefix)?;
        ctr.set_up(&w.ifname)?;
        if w.default_route {
            ctr.add_default_route(&w.ifname, w.gateway)?;
        }
        Ok(())
    })();
    if rest.is_err() {
        let _ = infra.delete_link(&w.host_veth);
    }
    rest
}

/// The kernel's netlink, in the network namespace the calling thread was in when it opened.
/// A handle lives for one attach or detach, while nobody else renames or removes links there:
/// the links' indices it found are kept (each lookup is a round trip that makes the kernel
/// write out the whole link, ~1.5 KB).
pub struct RtNetlink {
    sock: Socket,
    seq: Cell<u32>,
    indices: RefCell<HashMap<String, u32>>,
}

impl RtNetlink {
    pub fn open() -> SysResult<RtNetlink> {
        let io = |op: &str, e: std::io::Error| SysError::io(op, None, &e);
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(|e| io("netlink socket", e))?;
        sock.bind_auto().map_err(|e| io("netlink bind", e))?;
        sock.connect(&SocketAddr::new(0, 0))
            .map_err(|e| io("netlink connect", e))?;
        Ok(RtNetlink {
            sock,
            seq: Cell::new(1),
            indices: RefCell::new(HashMap::new()),
        })
    }

    /// Send one request and collect the answers up to the kernel's ACK (or error).
    fn request(
        &self,
        op: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> SysResult<Vec<RouteNetlinkMessage>> {
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        header.sequence_number = seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        let fail = |e: std::io::Error| SysError::io(op, None, &e);
        self.sock.send(&buf, 0).map_err(fail)?;
        let mut out = Vec::new();
        loop {
            let mut rx: Vec<u8> = Vec::with_capacity(1 << 16);
            let n = self.sock.recv(&mut rx, 0).map_err(fail)?;
            let mut off = 0;
            while off < n {
                let bytes = &rx[off..n];
                let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
                    .map_err(|_| SysError::new(op, None, Errno::EBADMSG))?;
                let len = m.header.length as usize;
                if m.header.sequence_number == seq {
                    match m.payload {
                        NetlinkPayload::Error(e) => {
                            return match e.code {
                                None => Ok(out),
                                Some(code) => {
                                    Err(SysError::new(op, None, Errno::from_raw(-code.get())))
                                }
                            };
                        }
                        NetlinkPayload::Done(_) => return Ok(out),
                        NetlinkPayload::InnerMessage(inner) => out.push(inner),
                        _ => {}
                    }
                }
                if len == 0 {
                    break;
                }
                off += (len + 3) & !3;
            }
        }
    }

    fn index(&self, name: &str) -> SysResult<u32> {
        self.find(name)?
            .ok_or_else(|| SysError::new(format!("netlink link {name}"), None, Errno::ENODEV))
    }

    fn find(&self, name: &str) -> SysResult<Option<u32>> {
        if let Some(i) = self.indices.borrow().get(name) {
            return Ok(Some(*i));
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.request("netlink get link", RouteNetlinkMessage::GetLink(msg), 0) {
            Ok(answers) => {
                let found = answers.into_iter().find_map(|a| match a {
                    RouteNetlinkMessage::NewLink(l) => Some(l.header.index),
                    _ => None,
                });
                if let Some(i) = found {
                    self.indices.borrow_mut().insert(name.to_string(), i);
                }
                Ok(found)
            }
            Err(e) if e.errno == Errno::ENODEV => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set_link(&self, op: &str, msg: LinkMessage) -> SysResult<()> {
        self.request(op, RouteNetlinkMessage::SetLink(msg), 0)
            .map(|_| ())
    }
}

impl Netlink for RtNetlink {
    fn link_exists(&self, name: &str) -> SysResult<bool> {
        Ok(self.find(name)?.is_some())
    }

    fn add_bridge(&self, name: &str) -> SysResult<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.request(
            "netlink add bridge",
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    fn add_veth(
        &self,
        name: &str,
        peer: &str,
        peer_netns: RawFd,
        peer_mac: [u8; 6],
    ) -> SysResult<()> {
        let mut p = LinkMessage::default();
        p.attributes.push(LinkAttribute::IfName(peer.to_string()));
        p.attributes.push(LinkAttribute::Address(peer_mac.to_vec()));
        p.attributes.push(LinkAttribute::NetNsFd(peer_netns));
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(p))),
        ]));
        self.request(
            "netlink add veth",
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    fn set_master(&self, name: &str, master: &str) -> SysResult<()> {
        let master = self.index(master)?;
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        msg.attributes.push(LinkAttribute::Controller(master));
        self.set_link("netlink set master", msg)
    }

    fn set_up(&self, name: &str) -> SysResult<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.set_link("netlink set up", msg)
    }

    fn set_down(&self, name: &str) -> SysResult<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        msg.header.change_mask = LinkFlags::Up;
        self.set_link("netlink set down", msg)
    }

    fn rename_link(&self, name: &str, new_name: &str) -> SysResult<()> {
        let index = self.index(name)?;
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes
            .push(LinkAttribute::IfName(new_name.to_string()));
        self.set_link("netlink rename link", msg)?;
        let mut known = self.indices.borrow_mut();
        known.remove(name);
        known.insert(new_name.to_string(), index);
        Ok(())
    }

    fn set_mac(&self, name: &str, mac: [u8; 6]) -> SysResult<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        msg.attributes.push(LinkAttribute::Address(mac.to_vec()));
        self.set_link("netlink set mac", msg)
    }

    fn add_address(&self, name: &str, ip: Ipv4Addr, prefix: u8) -> SysResult<()> {
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = prefix;
        msg.header.index = self.index(name)?;
        let bits = u32::from(ip) | (u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0));
        msg.attributes.push(AddressAttribute::Local(IpAddr::V4(ip)));
        msg.attributes
            .push(AddressAttribute::Address(IpAddr::V4(ip)));
        msg.attributes
            .push(AddressAttribute::Broadcast(Ipv4Addr::from(bits)));
        self.request(
            "netlink add address",
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    fn add_default_route(&self, name: &str, gateway: Ipv4Addr) -> SysResult<()> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        msg.attributes.push(RouteAttribute::Oif(self.index(name)?));
        self.request(
            "netlink add route",
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(|_| ())
    }

    fn delete_link(&self, name: &str) -> SysResult<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = self.index(name)?;
        self.indices.borrow_mut().remove(name);
        self.request("netlink delete link", RouteNetlinkMessage::DelLink(msg), 0)
            .map(|_| ())
    }
}

/// One recorded netlink call, with the namespace label of its handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NlCall {
    LinkExists(String),
    AddBridge(String),
    AddVeth {
        name: String,
        peer: String,
        peer_netns: RawFd,
        peer_mac: [u8; 6],
    },
    SetMaster(String, String),
    SetUp(String),
    SetDown(String),
    RenameLink(String, String),
    SetMac(String, [u8; 6]),
    AddAddress(String, Ipv4Addr, u8),
    AddDefaultRoute(String, Ipv4Addr),
    DeleteLink(String),
}

/// A [`Netlink`] that makes no call: it records them (and can fail one by name).
#[derive(Default)]
pub struct RecordingNetlink {
    calls: Mutex<Vec<NlCall>>,
    existing: Mutex<Vec<String>>,
    fail: Mutex<Option<(&'static str, Errno)>>,
}

impl RecordingNetlink {
    pub fn new() -> RecordingNetlink {
        RecordingNetlink::default()
    }
    /// Links that already exist (so `link_exists` says so).
    pub fn with_links(links: &[&str]) -> RecordingNetlink {
        let r = RecordingNetlink::default();
        if let Ok(mut e) = r.existing.lock() {
            e.extend(links.iter().map(|s| s.to_string()));
        }
        r
    }
    pub fn fail(&self, op: &'static str, errno: Errno) {
        if let Ok(mut f) = self.fail.lock() {
            *f = Some((op, errno));
        }
    }
    pub fn calls(&self) -> Vec<NlCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
    fn record(&self, op: &'static str, call: NlCall) -> SysResult<()> {
        if let Ok(mut c) = self.calls.lock() {
            c.push(call);
        }
        match self.fail.lock().ok().and_then(|f| *f) {
            Some((o, errno)) if o == op => Err(SysError::new(op, None, errno)),
            _ => Ok(()),
        }
    }
}

impl Netlink for RecordingNetlink {
    fn link_exists(&self, name: &str) -> SysResult<bool> {
        self.record("link_exists", NlCall::LinkExists(name.into()))?;
        Ok(self
            .existing
            .lock()
            .map(|e| e.iter().any(|l| l == name))
            .unwrap_or(false))
    }
    fn add_bridge(&self, name: &str) -> SysResult<()> {
        self.record("add_bridge", NlCall::AddBridge(name.into()))
    }
    fn add_veth(
        &self,
        name: &str,
        peer: &str,
        peer_netns: RawFd,
        peer_mac: [u8; 6],
    ) -> SysResult<()> {
        self.record(
            "add_veth",
            NlCall::AddVeth {
                name: name.into(),
                peer: peer.into(),
                peer_netns,
                peer_mac,
            },
        )
    }
    fn set_master(&self, name: &str, master: &str) -> SysResult<()> {
        self.record("set_master", NlCall::SetMaster(name.into(), master.into()))
    }
    fn set_up(&self, name: &str) -> SysResult<()> {
        self.record("set_up", NlCall::SetUp(name.into()))
    }
    fn set_down(&self, name: &str) -> SysResult<()> {
        self.record("set_down", NlCall::SetDown(name.into()))
    }
    fn rename_link(&self, name: &str, new_name: &str) -> SysResult<()> {
        self.record(
            "rename_link",
            NlCall::RenameLink(name.into(), new_name.into()),
        )
    }
    fn set_mac(&self, name: &str, mac: [u8; 6]) -> SysResult<()> {
        self.record("set_mac", NlCall::SetMac(name.into(), mac))
    }
    fn add_address(&self, name: &str, ip: Ipv4Addr, prefix: u8) -> SysResult<()> {
        self.record("add_address", NlCall::AddAddress(name.into(), ip, prefix))
    }
    fn add_default_route(&self, name: &str, gateway: Ipv4Addr) -> SysResult<()> {
        self.record(
            "add_default_route",
            NlCall::AddDefaultRoute(name.into(), gateway),
        )
    }
    fn delete_link(&self, name: &str) -> SysResult<()> {
        self.record("delete_link", NlCall::DeleteLink(name.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiring(default_route: bool) -> Wiring {
        Wiring {
            bridge: "gorae0".into(),
            gateway: Ipv4Addr::new(172, 17, 0, 1),
            prefix: 16,
            host_veth: "veth1a2b3c4".into(),
            ifname: "eth0".into(),
            ip: Ipv4Addr::new(172, 17, 0, 2),
            mac: [2, 0x42, 172, 17, 0, 2],
            default_route,
        }
    }

    #[test]
    fn a_first_endpoint_makes_the_bridge_then_the_pair_then_configures_the_container_side() {
        let infra = RecordingNetlink::new();
        let ctr = RecordingNetlink::new();
        wire_endpoint(&infra, &ctr, &wiring(true), 7).unwrap();
        let gw = Ipv4Addr::new(172, 17, 0, 1);
        assert_eq!(
            infra.calls(),
            vec![
                NlCall::LinkExists("gorae0".into()),
                NlCall::AddBridge("gorae0".into()),
                NlCall::AddAddress("gorae0".into(), gw, 16),
                NlCall::SetUp("gorae0".into()),
                NlCall::AddVeth {
                    name: "veth1a2b3c4".into(),
                    peer: "eth0".into(),
                    peer_netns: 7,
                    peer_mac: [2, 0x42, 172, 17, 0, 2],
                },
                NlCall::SetMaster("veth1a2b3c4".into(), "gorae0".into()),
                NlCall::SetUp("veth1a2b3c4".into()),
            ]
        );
        assert_eq!(
            ctr.calls(),
            vec![
                NlCall::AddAddress("eth0".into(), Ipv4Addr::new(172, 17, 0, 2), 16),
                NlCall::SetUp("eth0".into()),
                NlCall::AddDefaultRoute("eth0".into(), gw),
            ]
        );
    }

    #[test]
    fn an_existing_bridge_is_kept_and_a_second_network_adds_no_default_route() {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        let ctr = RecordingNetlink::new();
        wire_endpoint(&infra, &ctr, &wiring(false), 7).unwrap();
        assert!(
            !infra
                .calls()
                .iter()
                .any(|c| matches!(c, NlCall::AddBridge(_)))
        );
        assert!(
            !ctr.calls()
                .iter()
                .any(|c| matches!(c, NlCall::AddDefaultRoute(..)))
        );
    }

    #[test]
    fn a_spare_named_and_bridged_ahead_has_only_its_container_side_left_to_do() {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        let ctr = RecordingNetlink::new();
        wire_spare(&infra, &ctr, &wiring(true), "veth1a2b3c4", Some("gorae0")).unwrap();
        assert_eq!(infra.calls(), vec![]);
        assert_eq!(
            ctr.calls(),
            vec![
                NlCall::SetMac("eth0".into(), [2, 0x42, 172, 17, 0, 2]),
                NlCall::AddAddress("eth0".into(), Ipv4Addr::new(172, 17, 0, 2), 16),
                NlCall::SetUp("eth0".into()),
                NlCall::AddDefaultRoute("eth0".into(), Ipv4Addr::new(172, 17, 0, 1)),
            ]
        );
    }

    /// What wiring the endpoint onto a spare whose end in N is `host`, on `bridge`, asks of N.
    fn spare_wired_in_n(host: &str, bridge: Option<&str>) -> Vec<NlCall> {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        wire_spare(
            &infra,
            &RecordingNetlink::new(),
            &wiring(true),
            host,
            bridge,
        )
        .unwrap();
        infra.calls()
    }

    #[test]
    fn a_spare_on_another_bridge_moves_to_the_endpoints() {
        assert_eq!(
            spare_wired_in_n("veth1a2b3c4", Some("br-0123")),
            vec![
                NlCall::LinkExists("gorae0".into()),
                NlCall::SetMaster("veth1a2b3c4".into(), "gorae0".into()),
                NlCall::SetUp("veth1a2b3c4".into()),
            ]
        );
    }

    #[test]
    fn a_spare_named_otherwise_is_renamed_down_and_bridged() {
        // Bridged ahead, it goes down first: a link is renamed only while down.
        let renamed = |from: &str| {
            vec![
                NlCall::RenameLink(from.into(), "veth1a2b3c4".into()),
                NlCall::SetMaster("veth1a2b3c4".into(), "gorae0".into()),
                NlCall::SetUp("veth1a2b3c4".into()),
            ]
        };
        let mut bridged = vec![
            NlCall::LinkExists("gorae0".into()),
            NlCall::SetDown("veth9f9f9f9".into()),
        ];
        bridged.extend(renamed("veth9f9f9f9"));
        assert_eq!(spare_wired_in_n("veth9f9f9f9", Some("gorae0")), bridged);
        let mut unbridged = vec![NlCall::LinkExists("gorae0".into())];
        unbridged.extend(renamed("gspare3"));
        assert_eq!(spare_wired_in_n("gspare3", None), unbridged);
    }

    #[test]
    fn a_renamed_spare_takes_the_mac_and_is_wired_like_a_new_one() {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        let ctr = RecordingNetlink::new();
        wire_spare(&infra, &ctr, &wiring(true), "gspare3", None).unwrap();
        let gw = Ipv4Addr::new(172, 17, 0, 1);
        assert_eq!(
            ctr.calls(),
            vec![
                NlCall::SetMac("eth0".into(), [2, 0x42, 172, 17, 0, 2]),
                NlCall::AddAddress("eth0".into(), Ipv4Addr::new(172, 17, 0, 2), 16),
                NlCall::SetUp("eth0".into()),
                NlCall::AddDefaultRoute("eth0".into(), gw),
            ]
        );
    }

    #[test]
    fn a_spare_that_cannot_take_the_name_is_removed() {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        infra.fail("rename_link", Errno::EEXIST);
        let ctr = RecordingNetlink::new();
        let e = wire_spare(&infra, &ctr, &wiring(true), "gspare3", None).unwrap_err();
        assert_eq!(e.errno, Errno::EEXIST);
        assert_eq!(
            infra.calls().last(),
            Some(&NlCall::DeleteLink("gspare3".into()))
        );
        assert!(ctr.calls().is_empty());
    }

    #[test]
    fn a_failure_inside_the_container_removes_the_pair_again() {
        let infra = RecordingNetlink::with_links(&["gorae0"]);
        let ctr = RecordingNetlink::new();
        ctr.fail("add_address", Errno::EEXIST);
        let e = wire_endpoint(&infra, &ctr, &wiring(true), 7).unwrap_err();
        assert_eq!(e.errno, Errno::EEXIST);
        assert_eq!(
            infra.calls().last(),
            Some(&NlCall::DeleteLink("veth1a2b3c4".into()))
        );
    }
}
