//! One query in, one decision out: answer it from the container names, forward it, or drop it.
//! Pure (no sockets), so every rule is unit-tested. The rules are moby's libnetwork resolver.go
//! `serveDNS` (and miekg/dns's server defaults for what it refuses before that).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::{A, AAAA, PTR, RData};
use simple_dns::{CLASS, Name, Packet, PacketFlag, QTYPE, ResourceRecord, TYPE};

use super::{ContainerKey, Names, TTL};

/// What to do with a query.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Send these bytes back to the asker.
    Reply(Vec<u8>),
    /// Not a container name: send the query on to the upstream resolvers.
    Forward,
    /// Not a query at all (a response, or too short to answer): say nothing, as Docker.
    Drop,
}

/// How the query arrived: UDP answers are cut to the size the asker can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Udp,
    Tcp,
}

const HEADER_LEN: usize = 12;
/// RFC 1035's UDP limit when the query carries no EDNS size (miekg's `MinMsgSize`).
const UDP_MIN: usize = 512;

/// Decide on `query` from `asker`.
pub(super) fn respond(
    names: &dyn Names,
    asker: &ContainerKey,
    query: &[u8],
    transport: Transport,
) -> Outcome {
    if query.len() < HEADER_LEN || query[2] & 0x80 != 0 {
        // No header to answer with, or a response sent to us: miekg drops both.
        return Outcome::Drop;
    }
    let opcode = (query[2] >> 3) & 0x0f;
    if opcode != 0 {
        return Outcome::Reply(header_reply(query, RCODE_NOTIMP));
    }
    if u16::from_be_bytes([query[4], query[5]]) != 1 {
        return Outcome::Reply(header_reply(query, RCODE_FORMERR));
    }
    let Ok(packet) = Packet::parse(query) else {
        return Outcome::Reply(header_reply(query, RCODE_FORMERR));
    };
    let Some(question) = packet.questions.first() else {
        return Outcome::Reply(header_reply(query, RCODE_FORMERR));
    };
    let name = lookup_name(&question.qname);
    let answers: Vec<RData> = match question.qtype {
        QTYPE::TYPE(TYPE::A) | QTYPE::TYPE(TYPE::AAAA) => {
            let want_v6 = question.qtype == QTYPE::TYPE(TYPE::AAAA);
            let ips = names.lookup(asker, &name);
            if ips.is_empty() {
                return Outcome::Forward;
            }
            // A name that exists but has no address of the asked family: NOERROR, no answers
            // (Docker's AAAA for an IPv4-only container), never forwarded.
            let mut rdata: Vec<RData> = ips
                .into_iter()
                .filter_map(|ip| match ip {
                    IpAddr::V4(v4) if !want_v6 => Some(RData::A(A::from(v4))),
                    IpAddr::V6(v6) if want_v6 => Some(RData::AAAA(AAAA::from(v6))),
                    _ => None,
                })
                .collect();
            rotate(&mut rdata);
            rdata
        }
        // Docker's "implicit MX": a container name gets an empty NOERROR so mail clients fall
        // back to its A record.
        QTYPE::TYPE(TYPE::MX) => {
            if names.lookup(asker, &name).is_empty() {
                return Outcome::Forward;
            }
            Vec::new()
        }
        QTYPE::TYPE(TYPE::PTR) => {
            let Some(ip) = ptr_address(&name) else {
                return Outcome::Forward;
            };
            let Some(host) = names.reverse(asker, ip) else {
                return Outcome::Forward;
            };
            let Ok(target) = Name::new(&host) else {
                return Outcome::Forward;
            };
            vec![RData::PTR(PTR(target.into_owned()))]
        }
        // SRV (swarm services), TXT, ANY, …: the upstream resolvers' business, as in Docker.
        _ => return Outcome::Forward,
    };
    let limit = match transport {
        Transport::Tcp => u16::MAX as usize,
        Transport::Udp => packet
            .opt()
            .map_or(UDP_MIN, |o| (o.udp_packet_size as usize).max(UDP_MIN)),
    };
    build_reply(&packet, answers, limit).map_or_else(
        || Outcome::Reply(header_reply(query, RCODE_SERVFAIL)),
        Outcome::Reply,
    )
}

/// The reply to `query` with `answers`, each owned by the question's name (in the asker's case,
/// as miekg copies it), cut to `limit` bytes with TC set when they do not all fit.
fn build_reply(query: &Packet, answers: Vec<RData>, limit: usize) -> Option<Vec<u8>> {
    let question = query.questions.first()?;
    let mut reply = Packet::new_reply(query.id());
    // miekg's SetReply: RD and CD copied; Docker sets RA. Not authoritative.
    if query.has_flags(PacketFlag::RECURSION_DESIRED) {
        reply.set_flags(PacketFlag::RECURSION_DESIRED);
    }
    if query.has_flags(PacketFlag::CHECKING_DISABLED) {
        reply.set_flags(PacketFlag::CHECKING_DISABLED);
    }
    reply.set_flags(PacketFlag::RECURSION_AVAILABLE);
    reply.questions.push(question.clone());
    reply.answers = answers
        .into_iter()
        .map(|rdata| ResourceRecord::new(question.qname.clone(), CLASS::IN, TTL, rdata))
        .collect();
    loop {
        let bytes = reply.build_bytes_vec_compressed().ok()?;
        if bytes.len() <= limit {
            return Some(bytes);
        }
        reply.answers.pop()?;
        reply.set_flags(PacketFlag::TRUNCATION);
    }
}

/// The name as `Names` sees it: ASCII lowercase (DNS names are case-insensitive; Docker lowers
/// them too), no trailing dot.
fn lookup_name(name: &Name) -> String {
    let mut s = name.to_string();
    while s.ends_with('.') {
        s.pop();
    }
    s.make_ascii_lowercase();
    s
}

/// Answers in a new order each time, as Docker shuffles them (round-robin between containers
/// sharing an alias).
fn rotate<T>(items: &mut [T]) {
    if items.len() > 1 {
        let mut b = [0u8; 2];
        crate::runtime::sys::fill_random(&mut b);
        let n = u16::from_le_bytes(b) as usize % items.len();
        items.rotate_left(n);
    }
}

/// The address a PTR name asks about: `4.3.2.1.in-addr.arpa` → 1.2.3.4, and the 32 nibbles of
/// `….ip6.arpa`. Anything else (a partial or malformed reverse name) is `None`: forwarded.
pub(super) fn ptr_address(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() != 4 {
            return None;
        }
        for (i, p) in parts.iter().rev().enumerate() {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            octets[i] = p.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let rest = name.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<&str> = rest.split('.').collect();
    if nibbles.len() != 32 {
        return None;
    }
    let mut value: u128 = 0;
    for n in nibbles.iter().rev() {
        if n.len() != 1 {
            return None;
        }
        value = (value << 4) | u128::from(u8::from_str_radix(n, 16).ok()?);
    }
    Some(IpAddr::V6(Ipv6Addr::from(value)))
}

pub(super) const RCODE_FORMERR: u8 = 1;
pub(super) const RCODE_SERVFAIL: u8 = 2;
pub(super) const RCODE_NOTIMP: u8 = 4;
pub(super) const RCODE_REFUSED: u8 = 5;

/// A reply of only the header and question with `rcode` (miekg's `SetRcode`: id, opcode and RD
/// kept, QR set), built from the raw bytes so it works for queries that did not parse.
pub(super) fn header_reply(query: &[u8], rcode: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(query.len().min(512));
    out.extend_from_slice(&query[..2]);
    out.push(0x80 | (query[2] & 0x79)); // QR, opcode, RD
    out.push(0x80 | rcode); // RA, rcode
    match question_end(query) {
        Some(end) if u16::from_be_bytes([query[4], query[5]]) == 1 => {
            out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&query[HEADER_LEN..end]);
        }
        _ => out.extend_from_slice(&[0; 8]),
    }
    out
}

/// Where the first question ends (name labels, type, class), for an uncompressed name; `None`
/// when the bytes do not hold one.
pub(super) fn question_end(msg: &[u8]) -> Option<usize> {
    let mut i = HEADER_LEN;
    loop {
        let len = *msg.get(i)? as usize;
        if len == 0 {
            i += 1;
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        i += 1 + len;
    }
    let end = i + 4;
    (end <= msg.len()).then_some(end)
}

/// Whether `response` answers `query`: the same id and the same question (names compared
/// without case, since resolvers may echo 0x20-randomised case back).
pub(super) fn answers_query(query: &[u8], response: &[u8]) -> bool {
    let (Some(qe), true) = (question_end(query), response.len() >= HEADER_LEN) else {
        return false;
    };
    response[..2] == query[..2]
        && response[2] & 0x80 != 0
        && response.len() >= qe
        && response[HEADER_LEN..qe].eq_ignore_ascii_case(&query[HEADER_LEN..qe])
}

/// The response code in a message's header.
pub(super) fn rcode(msg: &[u8]) -> u8 {
    msg.get(3).map_or(0, |b| b & 0x0f)
}

/// `msg` with its id replaced.
pub(super) fn with_id(msg: &[u8], id: u16) -> Vec<u8> {
    let mut out = msg.to_vec();
    if out.len() >= 2 {
        out[..2].copy_from_slice(&id.to_be_bytes());
    }
    out
}
