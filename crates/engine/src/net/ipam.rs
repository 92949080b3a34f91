//! Address management: subnets (Docker's default pools, in Docker's order), the addresses a
//! network hands out, and the MAC Docker derives from an address.

use std::net::Ipv4Addr;

use super::NetError;

/// An IPv4 subnet, `172.18.0.0/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    /// Parse `a.b.c.d/n`; the address is masked to the network (Docker accepts and keeps the
    /// network address).
    pub fn parse(s: &str) -> Option<Subnet> {
        let (a, p) = s.split_once('/')?;
        let addr: Ipv4Addr = a.parse().ok()?;
        let prefix: u8 = p.parse().ok()?;
        if prefix > 30 {
            return None;
        }
        Some(Subnet {
            addr: Ipv4Addr::from(u32::from(addr) & mask(prefix)),
            prefix,
        })
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == u32::from(self.addr)
    }

    pub fn overlaps(&self, other: &Subnet) -> bool {
        let m = mask(self.prefix.min(other.prefix));
        u32::from(self.addr) & m == u32::from(other.addr) & m
    }

    /// The first host address (Docker's default gateway).
    pub fn first_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) + 1)
    }

    fn broadcast(&self) -> u32 {
        u32::from(self.addr) | !mask(self.prefix)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

/// The default bridge's subnet.
pub const DEFAULT_BRIDGE: &str = "172.17.0.0/16";

/// Docker's default address pools after the default bridge: 172.18–31.0.0/16, then
/// 192.168.0.0/16 in /20s.
pub fn default_pools() -> impl Iterator<Item = Subnet> {
    let b = (18u8..=31).map(|n| Subnet {
        addr: Ipv4Addr::new(172, n, 0, 0),
        prefix: 16,
    });
    let c = (0u8..16).map(|n| Subnet {
        addr: Ipv4Addr::new(192, 168, n * 16, 0),
        prefix: 20,
    });
    b.chain(c)
}

/// The first default pool that overlaps none of `taken`.
pub fn next_subnet(taken: &[Subnet]) -> Result<Subnet, NetError> {
    default_pools()
        .find(|p| !taken.iter().any(|t| t.overlaps(p)))
        .ok_or(NetError::PoolsExhausted)
}

/// An address for a new endpoint: `requested` (checked), else the lowest free host address
/// that is not the gateway nor in `used`.
pub fn allocate(
    subnet: &Subnet,
    gateway: Ipv4Addr,
    used: &[Ipv4Addr],
    requested: Option<Ipv4Addr>,
) -> Result<Ipv4Addr, NetError> {
    if let Some(ip) = requested {
        let n = u32::from(ip);
        if !subnet.contains(ip) || n == u32::from(subnet.addr) || n == subnet.broadcast() {
            return Err(NetError::AddressOutOfRange {
                ip: ip.to_string(),
                subnet: subnet.to_string(),
            });
        }
        if ip == gateway || used.contains(&ip) {
            return Err(NetError::AddressInUse(ip.to_string()));
        }
        return Ok(ip);
    }
    let first = u32::from(subnet.addr) + 1;
    (first..subnet.broadcast())
        .map(Ipv4Addr::from)
        .find(|ip| *ip != gateway && !used.contains(ip))
        .ok_or_else(|| NetError::NoAddresses(subnet.to_string()))
}

/// Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

pub fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_follow_dockers_order_and_skip_taken_ones() {
        let s = |t: &str| Subnet::parse(t).unwrap();
        assert_eq!(
            next_subnet(&[s("172.17.0.0/16")]).unwrap(),
            s("172.18.0.0/16")
        );
        let taken = [s("172.17.0.0/16"), s("172.18.0.0/16"), s("172.19.5.0/24")];
        assert_eq!(next_subnet(&taken).unwrap(), s("172.20.0.0/16"));
        let all: Vec<Subnet> = (17..=31).map(|n| s(&format!("172.{n}.0.0/16"))).collect();
        assert_eq!(next_subnet(&all).unwrap(), s("192.168.0.0/20"));
        assert_eq!(s("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert!(Subnet::parse("10.0.0.0/31").is_none());
        assert!(Subnet::parse("nope").is_none());
    }

    #[test]
    fn addresses_start_after_the_gateway_and_requests_are_checked() {
        let net = Subnet::parse("172.17.0.0/16").unwrap();
        let gw = net.first_host();
        assert_eq!(gw, Ipv4Addr::new(172, 17, 0, 1));
        let ip = |d: u8| Ipv4Addr::new(172, 17, 0, d);
        assert_eq!(allocate(&net, gw, &[], None).unwrap(), ip(2));
        assert_eq!(allocate(&net, gw, &[ip(2), ip(3)], None).unwrap(), ip(4));
        assert_eq!(allocate(&net, gw, &[ip(3)], None).unwrap(), ip(2));
        assert_eq!(allocate(&net, gw, &[], Some(ip(9))).unwrap(), ip(9));
        assert!(matches!(
            allocate(&net, gw, &[ip(9)], Some(ip(9))),
            Err(NetError::AddressInUse(_))
        ));
        assert!(matches!(
            allocate(&net, gw, &[], Some(Ipv4Addr::new(10, 0, 0, 2))),
            Err(NetError::AddressOutOfRange { .. })
        ));
        let tiny = Subnet::parse("10.0.0.0/30").unwrap();
        let g = tiny.first_host();
        let two = allocate(&tiny, g, &[], None).unwrap();
        assert!(allocate(&tiny, g, &[two], None).is_err());
        assert_eq!(mac_text(mac_for(ip(2))), "02:42:ac:11:00:02");
    }
}
