//! The DNS server over real sockets on loopback, with a fake `Names` and a fake upstream.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

use simple_dns::rdata::RData;
use simple_dns::{Name, Packet, PacketFlag, QCLASS, QTYPE, Question, RCODE, TYPE};

use super::message::{Outcome, Transport, ptr_address, respond};
use super::*;

/// Two containers on "mynet" (web, db), one alone on "other" (lonely).
struct Fake {
    /// asker → (name → ips)
    seen: HashMap<String, HashMap<String, Vec<IpAddr>>>,
    rev: HashMap<IpAddr, String>,
}

fn web_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(172, 18, 0, 2))
}

fn fake() -> Fake {
    let mut mynet = HashMap::new();
    mynet.insert("web".to_string(), vec![web_ip()]);
    mynet.insert("www".to_string(), vec![web_ip()]); // an alias
    mynet.insert("0123456789ab".to_string(), vec![web_ip()]); // web's short id
    mynet.insert(
        "db".to_string(),
        vec![IpAddr::V4(Ipv4Addr::new(172, 18, 0, 3))],
    );
    mynet.insert(
        "many".to_string(),
        (1..=100)
            .map(|i| IpAddr::V4(Ipv4Addr::new(172, 18, 1, i)))
            .collect(),
    );
    mynet.insert(
        "dual".to_string(),
        vec![
            IpAddr::V4(Ipv4Addr::new(172, 18, 0, 9)),
            IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 9)),
        ],
    );
    let mut seen = HashMap::new();
    seen.insert("db-id".to_string(), mynet.clone());
    seen.insert("web-id".to_string(), mynet);
    seen.insert("lonely-id".to_string(), HashMap::new());
    let mut rev = HashMap::new();
    rev.insert(web_ip(), "web.mynet".to_string());
    Fake { seen, rev }
}

impl Names for Fake {
    fn lookup(&self, asker: &ContainerKey, name: &str) -> Vec<IpAddr> {
        assert_eq!(name, name.to_ascii_lowercase(), "names arrive lowercased");
        assert!(
            !name.ends_with('.'),
            "names arrive without the trailing dot"
        );
        self.seen
            .get(&asker.0)
            .and_then(|m| m.get(name))
            .cloned()
            .unwrap_or_default()
    }
    fn reverse(&self, asker: &ContainerKey, ip: IpAddr) -> Option<String> {
        (asker.0 != "lonely-id")
            .then(|| self.rev.get(&ip).cloned())
            .flatten()
    }
}

fn query(id: u16, name: &str, t: TYPE) -> Vec<u8> {
    let mut p = Packet::new_query(id);
    p.set_flags(PacketFlag::RECURSION_DESIRED);
    p.questions.push(Question::new(
        Name::new_unchecked(name),
        QTYPE::TYPE(t),
        QCLASS::CLASS(simple_dns::CLASS::IN),
        false,
    ));
    p.build_bytes_vec().unwrap()
}

fn key(s: &str) -> ContainerKey {
    ContainerKey::new(s)
}

fn reply(o: Outcome) -> Vec<u8> {
    match o {
        Outcome::Reply(b) => b,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn a_records(p: &Packet) -> Vec<Ipv4Addr> {
    p.answers
        .iter()
        .filter_map(|rr| match &rr.rdata {
            RData::A(a) => Some(Ipv4Addr::from(a.address)),
            _ => None,
        })
        .collect()
}

#[test]
fn container_names_answer_with_ttl_600_for_askers_on_the_network() {
    let f = fake();
    for name in ["web", "WEB", "Web.", "www", "0123456789AB"] {
        let bytes = reply(respond(
            &f,
            &key("db-id"),
            &query(7, name, TYPE::A),
            Transport::Udp,
        ));
        let p = Packet::parse(&bytes).unwrap();
        assert_eq!(p.id(), 7);
        assert_eq!(p.rcode(), RCODE::NoError);
        assert!(p.has_flags(PacketFlag::RESPONSE | PacketFlag::RECURSION_AVAILABLE));
        assert!(p.has_flags(PacketFlag::RECURSION_DESIRED));
        assert!(!p.has_flags(PacketFlag::AUTHORITATIVE_ANSWER));
        assert_eq!(a_records(&p), [Ipv4Addr::new(172, 18, 0, 2)], "{name}");
        assert_eq!(p.answers[0].ttl, 600);
        // The question and the answer's owner keep the asker's spelling, as miekg copies it.
        assert_eq!(p.questions[0].qname.to_string(), name.trim_end_matches('.'));
        assert_eq!(p.answers[0].name.to_string(), name.trim_end_matches('.'));
    }
}

#[test]
fn a_name_without_the_asked_family_is_noerror_and_empty() {
    let f = fake();
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(1, "web", TYPE::AAAA),
        Transport::Udp,
    ));
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.rcode(), RCODE::NoError);
    assert!(p.answers.is_empty());
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(1, "dual", TYPE::AAAA),
        Transport::Udp,
    ));
    let p = Packet::parse(&bytes).unwrap();
    assert!(matches!(&p.answers[0].rdata, RData::AAAA(_)));
    // Docker's implicit MX: the name exists, so NOERROR with nothing.
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(1, "web", TYPE::MX),
        Transport::Udp,
    ));
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.rcode(), RCODE::NoError);
    assert!(p.answers.is_empty());
}

#[test]
fn other_names_types_and_askers_are_forwarded() {
    let f = fake();
    let fwd = |asker: &str, name: &str, t: TYPE| {
        respond(&f, &key(asker), &query(1, name, t), Transport::Udp)
    };
    assert_eq!(fwd("db-id", "example.com", TYPE::A), Outcome::Forward);
    assert_eq!(fwd("db-id", "web", TYPE::TXT), Outcome::Forward);
    assert_eq!(fwd("db-id", "web", TYPE::SRV), Outcome::Forward);
    // A container on no shared network does not see web.
    assert_eq!(fwd("lonely-id", "web", TYPE::A), Outcome::Forward);
    assert_eq!(
        fwd("lonely-id", "2.0.18.172.in-addr.arpa", TYPE::PTR),
        Outcome::Forward
    );
    assert_eq!(
        fwd("db-id", "9.9.9.9.in-addr.arpa", TYPE::PTR),
        Outcome::Forward
    );
    assert_eq!(
        fwd("db-id", "0.18.172.in-addr.arpa", TYPE::PTR),
        Outcome::Forward
    );
}

#[test]
fn ptr_names_the_container_on_its_network() {
    let f = fake();
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(3, "2.0.18.172.IN-ADDR.ARPA.", TYPE::PTR),
        Transport::Udp,
    ));
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.rcode(), RCODE::NoError);
    match &p.answers[0].rdata {
        RData::PTR(ptr) => assert_eq!(ptr.0.to_string(), "web.mynet"),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.answers[0].ttl, 600);
}

#[test]
fn reverse_names_parse_both_families() {
    assert_eq!(
        ptr_address("4.3.2.1.in-addr.arpa"),
        Some("1.2.3.4".parse().unwrap())
    );
    assert_eq!(ptr_address("4.3.2.256.in-addr.arpa"), None);
    assert_eq!(ptr_address("4.3..1.in-addr.arpa"), None);
    let v6 = "9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
    assert_eq!(ptr_address(v6), Some("fd00::9".parse().unwrap()));
    assert_eq!(ptr_address("0.d.f.ip6.arpa"), None);
    assert_eq!(ptr_address("example.com"), None);
}

#[test]
fn udp_answers_that_do_not_fit_are_truncated() {
    let f = fake();
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(1, "many", TYPE::A),
        Transport::Udp,
    ));
    assert!(bytes.len() <= 512);
    let p = Packet::parse(&bytes).unwrap();
    assert!(p.has_flags(PacketFlag::TRUNCATION));
    assert!(!p.answers.is_empty() && p.answers.len() < 100);
    let bytes = reply(respond(
        &f,
        &key("db-id"),
        &query(1, "many", TYPE::A),
        Transport::Tcp,
    ));
    let p = Packet::parse(&bytes).unwrap();
    assert!(!p.has_flags(PacketFlag::TRUNCATION));
    assert_eq!(p.answers.len(), 100);
}

#[test]
fn what_is_not_a_query_gets_miekgs_answers() {
    let f = fake();
    let k = key("db-id");
    // Too short for a header, or a response: silence.
    assert_eq!(respond(&f, &k, &[1, 2, 3], Transport::Udp), Outcome::Drop);
    let mut resp = query(5, "web", TYPE::A);
    resp[2] |= 0x80;
    assert_eq!(respond(&f, &k, &resp, Transport::Udp), Outcome::Drop);
    // Two questions: FORMERR. A header and nothing else: FORMERR. Opcode 2 (status): NOTIMP.
    let mut two = query(5, "web", TYPE::A);
    two[5] = 2;
    assert_eq!(rcode_of(respond(&f, &k, &two, Transport::Udp)), 1);
    let mut bare = query(5, "web", TYPE::A);
    bare.truncate(12);
    assert_eq!(rcode_of(respond(&f, &k, &bare, Transport::Udp)), 1);
    let mut status = query(5, "web", TYPE::A);
    status[2] |= 2 << 3;
    assert_eq!(rcode_of(respond(&f, &k, &status, Transport::Udp)), 4);
}

fn rcode_of(o: Outcome) -> u8 {
    let b = reply(o);
    assert_eq!(b[2] & 0x80, 0x80, "QR set");
    b[3] & 0x0f
}

#[test]
fn random_bytes_never_panic() {
    let f = fake();
    let k = key("db-id");
    let mut seed = [0u8; 8];
    crate::runtime::sys::fill_random(&mut seed);
    let mut x = u64::from_le_bytes(seed) | 1;
    let mut next = move || {
        // xorshift64: reproducible from the seed printed on failure.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = query(9, "web.mynet", TYPE::A);
    for i in 0..20_000 {
        let msg: Vec<u8> = if i % 2 == 0 {
            let len = (next() % 80) as usize;
            (0..len).map(|_| next() as u8).collect()
        } else {
            // A valid query with a few bytes flipped: reaches deeper into the parser.
            let mut m = base.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % m.len();
                m[at] = next() as u8;
            }
            m
        };
        for t in [Transport::Udp, Transport::Tcp] {
            let _ = respond(&f, &k, &msg, t);
        }
        let _ = message::answers_query(&base, &msg);
        let _ = message::header_reply(&base, 2);
    }
}

#[test]
fn docker_reads_dotted_names_as_name_then_network() {
    assert_eq!(
        name_candidates("a.b.c"),
        vec![("a.b.c", None), ("a.b", Some("c")), ("a", Some("b.c"))]
    );
    assert_eq!(name_candidates("web"), vec![("web", None)]);
}

#[test]
fn upstreams_are_the_hosts_first_three() {
    let etc = "# comment\nnameserver 10.0.0.1\nnameserver fe80::1%eth0\nsearch x\n\
               nameserver bogus\nnameserver 127.0.0.1\nnameserver 10.0.0.4\n";
    let u = upstreams_from(etc, None);
    assert_eq!(
        u,
        ["10.0.0.1:53", "[fe80::1]:53", "127.0.0.1:53"].map(|s| s.parse::<SocketAddr>().unwrap())
    );
    // systemd-resolved alone: its file of real upstreams, else 127.0.0.53 itself.
    let stub = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";
    assert_eq!(
        upstreams_from(stub, Some("nameserver 192.0.2.53\n")),
        ["192.0.2.53:53".parse::<SocketAddr>().unwrap()]
    );
    assert_eq!(
        upstreams_from(stub, None),
        ["127.0.0.53:53".parse::<SocketAddr>().unwrap()]
    );
    assert!(upstreams_from("", None).is_empty());
}

// ---- over sockets ----

/// A fake upstream on loopback: answers every query with `rcode` and, for NOERROR, one A record
/// 93.184.216.34; counts queries. UDP and TCP on the same port.
struct FakeUpstream {
    addr: SocketAddr,
    count: Arc<Mutex<usize>>,
}

fn canned(query: &[u8], rcode: u8) -> Vec<u8> {
    let q = Packet::parse(query).unwrap();
    let mut r = Packet::new_reply(q.id());
    r.questions.push(q.questions[0].clone());
    if rcode == 0 {
        r.answers.push(simple_dns::ResourceRecord::new(
            q.questions[0].qname.clone(),
            simple_dns::CLASS::IN,
            300,
            RData::A(simple_dns::rdata::A::from(Ipv4Addr::new(93, 184, 216, 34))),
        ));
    }
    let mut b = r.build_bytes_vec().unwrap();
    b[3] = (b[3] & 0xf0) | rcode;
    b
}

fn fake_upstream(rcode: u8) -> FakeUpstream {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buf) {
            *c.lock().unwrap() += 1;
            let _ = udp.send_to(&canned(&buf[..n], rcode), peer);
        }
    });
    let c = count.clone();
    std::thread::spawn(move || {
        for mut s in tcp.incoming().flatten() {
            *c.lock().unwrap() += 1;
            if let Ok(q) = read_framed(&mut s) {
                let _ = write_framed(&mut s, &canned(&q, rcode));
            }
        }
    });
    FakeUpstream { addr, count }
}

/// A server on loopback with one UDP and one TCP listener for "db-id".
fn serve(upstreams: Vec<SocketAddr>) -> (Control, SocketAddr, std::thread::JoinHandle<()>) {
    let (server, control) = Server::new(Arc::new(fake()), Arc::new(SameNetns), upstreams).unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    control.add(key("db-id"), Listener::Udp(udp)).unwrap();
    control.add(key("db-id"), Listener::Tcp(tcp)).unwrap();
    let h = std::thread::spawn(move || server.run());
    (control, addr, h)
}

fn ask_udp(server: SocketAddr, q: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(wait)).unwrap();
    c.send_to(q, server).unwrap();
    let mut buf = [0u8; 65535];
    let n = c.recv(&mut buf).ok()?;
    Some(buf[..n].to_vec())
}

fn ask_tcp(server: SocketAddr, q: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(server).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write_framed(&mut s, q).unwrap();
    read_framed(&mut s).unwrap()
}

#[test]
fn udp_and_tcp_answer_container_names_and_forward_the_rest() {
    let up = fake_upstream(0);
    let (control, addr, h) = serve(vec![up.addr]);
    let wait = Duration::from_secs(5);

    let p = ask_udp(addr, &query(11, "db", TYPE::A), wait).unwrap();
    let p = Packet::parse(&p).unwrap();
    assert_eq!(
        (p.id(), a_records(&p)),
        (11, vec![Ipv4Addr::new(172, 18, 0, 3)])
    );

    // Forwarded: the upstream's answer, with the asker's own id back.
    let raw = ask_udp(addr, &query(0xbeef, "example.com", TYPE::A), wait).unwrap();
    let p = Packet::parse(&raw).unwrap();
    assert_eq!(p.id(), 0xbeef);
    assert_eq!(a_records(&p), [Ipv4Addr::new(93, 184, 216, 34)]);
    assert_eq!(*up.count.lock().unwrap(), 1);

    let p = ask_tcp(addr, &query(12, "WWW.", TYPE::A));
    assert_eq!(
        a_records(&Packet::parse(&p).unwrap()),
        [Ipv4Addr::new(172, 18, 0, 2)]
    );
    let p = ask_tcp(addr, &query(13, "example.org", TYPE::A));
    let p = Packet::parse(&p).unwrap();
    assert_eq!(
        (p.id(), a_records(&p)),
        (13, vec![Ipv4Addr::new(93, 184, 216, 34)])
    );
    assert_eq!(*up.count.lock().unwrap(), 2, "TCP forwarded over TCP");

    // Garbage is ignored or refused, and the server goes on.
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.send_to(&[0xff; 7], addr).unwrap();
    c.send_to(&[0u8; 40], addr).unwrap();
    assert!(ask_udp(addr, &query(14, "web", TYPE::A), wait).is_some());

    control.stop();
    h.join().unwrap();
}

#[test]
fn failing_upstreams_are_skipped_and_none_left_is_servfail() {
    let bad = fake_upstream(2); // SERVFAIL
    let refusing = fake_upstream(5); // REFUSED
    let nx = fake_upstream(3); // NXDOMAIN: an answer, relayed
    let (control, addr, h) = serve(vec![bad.addr, refusing.addr, nx.addr]);
    let wait = Duration::from_secs(5);
    let raw = ask_udp(addr, &query(21, "nosuch.example", TYPE::A), wait).unwrap();
    assert_eq!(
        (raw[3] & 0x0f, u16::from_be_bytes([raw[0], raw[1]])),
        (3, 21)
    );
    let raw = ask_tcp(addr, &query(22, "nosuch.example", TYPE::A));
    assert_eq!(raw[3] & 0x0f, 3);
    assert_eq!(*bad.count.lock().unwrap(), 2);
    assert_eq!(*refusing.count.lock().unwrap(), 2);

    // Only failing ones: SERVFAIL, as Docker when no upstream answered.
    control.set_upstreams(vec![bad.addr]);
    let raw = ask_udp(addr, &query(23, "nosuch.example", TYPE::A), wait).unwrap();
    assert_eq!(
        (raw[3] & 0x0f, u16::from_be_bytes([raw[0], raw[1]])),
        (2, 23)
    );
    // No upstream at all: SERVFAIL at once.
    control.set_upstreams(Vec::new());
    let raw = ask_udp(addr, &query(24, "x.example", TYPE::A), wait).unwrap();
    assert_eq!(raw[3] & 0x0f, 2);
    control.stop();
    h.join().unwrap();
}

#[test]
fn a_silent_upstream_times_out_to_the_next() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap(); // never answers
    let good = fake_upstream(0);
    let (control, addr, h) = serve(vec![silent.local_addr().unwrap(), good.addr]);
    let start = Instant::now();
    let raw = ask_udp(
        addr,
        &query(31, "example.net", TYPE::A),
        Duration::from_secs(10),
    )
    .unwrap();
    let waited = start.elapsed();
    assert_eq!(
        a_records(&Packet::parse(&raw).unwrap()),
        [Ipv4Addr::new(93, 184, 216, 34)]
    );
    assert!(
        waited >= UPSTREAM_TIMEOUT && waited < UPSTREAM_TIMEOUT * 2,
        "{waited:?}"
    );
    control.stop();
    h.join().unwrap();
}

#[test]
fn listeners_come_and_go_while_it_runs_and_it_idles_asleep() {
    let (server, control) = Server::new(Arc::new(fake()), Arc::new(SameNetns), vec![]).unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
        server.run()
    });
    let tid = tid_rx.recv().unwrap();
    let wait = Duration::from_millis(1500);
    let mut socks = Vec::new();
    for asker in ["db-id", "lonely-id"] {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let a = s.local_addr().unwrap();
        control.add(key(asker), Listener::Udp(s)).unwrap();
        socks.push(a);
    }
    // The same name, two askers: only the one on mynet gets web's address (the other is
    // forwarded, and with no upstream that is SERVFAIL).
    let p = ask_udp(socks[0], &query(1, "web", TYPE::A), wait).unwrap();
    assert_eq!(
        a_records(&Packet::parse(&p).unwrap()),
        [Ipv4Addr::new(172, 18, 0, 2)]
    );
    let p = ask_udp(socks[1], &query(1, "web", TYPE::A), wait).unwrap();
    assert_eq!(p[3] & 0x0f, 2);

    control.remove(&key("db-id"));
    // Its socket is closed: nobody answers there any more.
    assert!(
        ask_udp(
            socks[0],
            &query(2, "web", TYPE::A),
            Duration::from_millis(300)
        )
        .is_none()
    );
    assert!(ask_udp(socks[1], &query(2, "web", TYPE::A), wait).is_some());

    // Idle: asleep in poll, no CPU time spent.
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split(' ').collect();
        (
            f[0].to_string(),
            f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap(),
        )
    };
    std::thread::sleep(Duration::from_millis(50));
    let (state, before) = cpu();
    std::thread::sleep(Duration::from_millis(500));
    let (_, after) = cpu();
    assert_eq!(state, "S");
    assert!(after - before <= 1, "{before} → {after} ticks while idle");
    control.stop();
    h.join().unwrap();
}

/// The holder's case: the server in a network namespace of its own, forwarding through a
/// thread left in the host's. Needs root (unshare); CI runs as root.
#[test]
fn forwarding_leaves_through_the_host_thread() {
    use crate::runtime::sys::{LinuxSyscall, Syscall};
    if sys::geteuid() != 0 {
        eprintln!("skipped: forwarding_leaves_through_the_host_thread: needs root for unshare");
        return;
    }
    let up = fake_upstream(0); // on the host's loopback
    let host = HostSockets::start().unwrap();
    // This test's own thread leaves the host's netns; the process and other threads stay.
    let own = std::thread::spawn(move || {
        LinuxSyscall.unshare(libc::CLONE_NEWNET).unwrap();
        LinuxSyscall.loopback_up().unwrap();
        // The host's upstream is not reachable from here…
        let direct = UdpSocket::bind("127.0.0.1:0").unwrap();
        direct
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        direct
            .send_to(&query(1, "a.example", TYPE::A), up.addr)
            .unwrap();
        assert!(direct.recv(&mut [0u8; 512]).is_err());
        // …but through the host thread it is, over UDP and TCP.
        let (server, control) =
            Server::new(Arc::new(fake()), Arc::new(host), vec![up.addr]).unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = udp.local_addr().unwrap();
        control.add(key("db-id"), Listener::Udp(udp)).unwrap();
        control
            .add(
                key("db-id"),
                Listener::Tcp(TcpListener::bind(addr).unwrap()),
            )
            .unwrap();
        let h = std::thread::spawn(move || server.run());
        let raw = ask_udp(
            addr,
            &query(41, "example.com", TYPE::A),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            a_records(&Packet::parse(&raw).unwrap()),
            [Ipv4Addr::new(93, 184, 216, 34)]
        );
        let raw = ask_tcp(addr, &query(42, "example.com", TYPE::A));
        assert_eq!(
            a_records(&Packet::parse(&raw).unwrap()),
            [Ipv4Addr::new(93, 184, 216, 34)]
        );
        control.stop();
        h.join().unwrap();
    });
    own.join().unwrap();
}
