//! A network namespace made ahead of the next start. Making a netns (the kernel sets up its
//! loopback, sysctl tables and per-namespace state) and a veth pair into it are the two
//! costliest steps of a networked start, and nothing in them depends on the container: the
//! holder makes one spare after it has answered an attach, with lo up, IPv6 off for new
//! interfaces and the container's end of a pair already in it as `eth0`. The next start
//! reserves it before its clone, its init joins it instead of cloning a netns of its own
//! (`runtime::NetNs::Join`), and its attach only addresses the pair (`netlink::wire_spare`).
//! The pair's end in N is named as an endpoint's (the reservation tells the monitor the name,
//! for its record: a link is renamed only while down) and is made a port of the bridge the
//! last attach used, and up: renaming, bridging and raising it took ~330 µs of the kernel's
//! on the start's path, and the init's pivot_root waits for the holder's netlink calls to end
//! (an expedited RCU grace period). The netlink socket in it, opened here, is the attach's.
//! A spare nobody joins goes with its fd, and the pair with it.

use std::fs::{self, File};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

use super::netlink::{Netlink, RtNetlink};
use crate::runtime::sys::{self, LinuxSyscall, SysError, Syscall};

/// The name of the container's end inside a spare (a container's first interface).
pub const IFNAME: &str = "eth0";

/// Until its attach gives it the endpoint's: locally administered, never on a bridge.
const PLACEHOLDER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// gorae's networks are IPv4 only: as current Docker does, their interfaces in the container
/// have IPv6 off (lo keeps ::1), which also spares the kernel the IPv6 link-local address,
/// duplicate address detection and MLD reports of each new interface. A kernel without IPv6
/// has no such file, nor anything to turn off.
pub fn ipv6_off_for_new_interfaces() {
    let _ = fs::write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
}

pub struct Spare {
    /// The namespace (an nsfs fd: it lives while this is open or a process is in it).
    pub netns: File,
    /// The pair's end in N, named as an endpoint's end is (`endpoint::host_veth_name`).
    pub host: String,
    /// The bridge that end is a port of, up; None: on none, down.
    pub bridge: Option<String>,
    /// Netlink inside the namespace, which knows `IFNAME`'s index.
    pub netlink: RtNetlink,
}

impl Spare {
    /// Make one from the calling thread, which is in N (`infra`) and comes back there, its
    /// end in N on `bridge` where that is given (the bridge of the last attach) and can be.
    pub fn make(infra: &File, bridge: Option<&str>) -> Result<Spare, SysError> {
        let linux = LinuxSyscall;
        linux.unshare(libc::CLONE_NEWNET)?;
        let made = (|| {
            ipv6_off_for_new_interfaces();
            linux.loopback_up()?;
            let path = Path::new("/proc/thread-self/ns/net");
            let netns = File::open(path).map_err(|e| SysError::io("open", Some(path), &e))?;
            Ok((netns, RtNetlink::open()?))
        })();
        sys::setns_fd(infra.as_fd(), libc::CLONE_NEWNET)?;
        let (netns, netlink) = made?;
        let host = super::endpoint::host_veth_name();
        let infra_nl = RtNetlink::open()?;
        infra_nl.add_veth(&host, IFNAME, netns.as_raw_fd(), PLACEHOLDER_MAC)?;
        // Looked up now, not on the attach's path.
        netlink.link_exists(IFNAME)?;
        // Off a bridge, the attach puts it on one as it does a new pair's.
        let bridge = bridge
            .filter(|b| {
                infra_nl
                    .set_master(&host, b)
                    .and_then(|_| infra_nl.set_up(&host))
                    .is_ok()
            })
            .map(str::to_string);
        Ok(Spare {
            netns,
            host,
            bridge,
            netlink,
        })
    }
}
