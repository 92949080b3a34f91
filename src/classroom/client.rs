//! The attendee's side: an outbox thread that numbers progress events, keeps them (in memory
//! and in `<state>/classroom.json`, so a restarted app goes on with the same numbers) and sends
//! what the server has not acknowledged. An unreachable server changes nothing for the app: the
//! events wait and go when it answers again; a server that restarted empty is joined again and
//! sent everything, which it applies once (sequence numbers), so nothing is lost or counted twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::protocol::{
    Ack, Broadcast, Event, Events, Join, Kind, MAX_BATCH, check_text, normalize_code, random_hex,
    valid_code,
};
use super::server::now_ms;

/// How often an app with nothing to send still asks (for broadcasts, and to show it is there).
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// The longest wait between tries while the server does not answer.
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// No key for this long: idle.
pub const IDLE_MS: i64 = 3 * 60 * 1000;
/// The log kept for resending; beyond it the oldest events go (a day of work is far below).
const MAX_LOG: usize = 20_000;

/// What the app knows of its class, kept in `<state>/classroom.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Membership {
    /// `http://host:port`
    pub server: String,
    pub code: String,
    pub name: String,
    pub id: String,
    pub log: Vec<Event>,
    pub acked: u64,
    pub seen: u64,
}

/// Why `--join` was refused before anything was sent.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinError {
    Address(String),
    Code,
    Name(String),
    Io(String),
}

/// `host:port` or `http://host:port` as the server's base URL.
pub fn server_url(addr: &str) -> Result<String, JoinError> {
    let a = addr.trim().trim_end_matches('/');
    let a = a.strip_prefix("http://").unwrap_or(a);
    let ok = !a.is_empty()
        && !a.contains(['/', '?', '#', '@', ' '])
        && a.rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
    if ok {
        Ok(format!("http://{a}"))
    } else {
        Err(JoinError::Address(addr.to_string()))
    }
}

pub fn file(state: &Path) -> PathBuf {
    state.join("classroom.json")
}

impl Membership {
    /// For `--join`: the same class (server and code) and name as the saved one goes on with
    /// its id and events; otherwise a new membership.
    pub fn join(state: &Path, addr: &str, code: &str, name: &str) -> Result<Membership, JoinError> {
        let server = server_url(addr)?;
        let code = normalize_code(code);
        if !valid_code(&code) {
            return Err(JoinError::Code);
        }
        let name = name.trim().to_string();
        check_text("name", &name, super::protocol::MAX_NAME, false)
            .map_err(|r| JoinError::Name(r.reason()))?;
        if let Some(m) = Membership::load(state)
            && m.server == server
            && m.code == code
            && m.name == name
        {
            return Ok(m);
        }
        let id = random_hex(16).map_err(|e| JoinError::Io(e.to_string()))?;
        let m = Membership {
            server,
            code,
            name,
            id,
            log: Vec::new(),
            acked: 0,
            seen: 0,
        };
        m.save(state).map_err(|e| JoinError::Io(e.to_string()))?;
        Ok(m)
    }

    pub fn load(state: &Path) -> Option<Membership> {
        let text = std::fs::read_to_string(file(state)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Atomically: a temp file renamed into place.
    pub fn save(&self, state: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(state)?;
        let tmp = state.join(".classroom.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(self).unwrap_or_default())?;
        std::fs::rename(&tmp, file(state))
    }

    fn push(&mut self, kind: Kind) {
        let seq = self.log.last().map_or(self.acked, |e| e.seq) + 1;
        self.log.push(Event {
            seq,
            at: now_ms(),
            kind,
        });
        if self.log.len() > MAX_LOG {
            let extra = self.log.len() - MAX_LOG;
            self.log.drain(..extra);
        }
    }
}

/// What the outbox tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum News {
    /// The server answered (true) or stopped answering (false).
    Online(bool),
    Broadcast(Broadcast),
    /// The server refused the code: the class is over for this app.
    WrongCode,
}

enum Cmd {
    Event(Kind),
    Leave,
}

/// The app's handle on its outbox thread.
pub struct Attendance {
    tx: Sender<Cmd>,
    activity: Arc<AtomicI64>,
    pub name: String,
    pub server: String,
}

impl Attendance {
    /// Start the outbox for `m`; `news` is called from its thread.
    pub fn start(
        m: Membership,
        state: PathBuf,
        news: impl Fn(News) + Send + 'static,
    ) -> std::io::Result<Attendance> {
        let (tx, rx) = channel();
        let activity = Arc::new(AtomicI64::new(now_ms()));
        let a = Attendance {
            tx,
            activity: Arc::clone(&activity),
            name: m.name.clone(),
            server: m.server.clone(),
        };
        std::thread::Builder::new()
            .name("gorae-class-outbox".into())
            .spawn(move || Outbox::new(m, state, activity).run(&rx, &news))?;
        Ok(a)
    }

    pub fn send(&self, kind: Kind) {
        let _ = self.tx.send(Cmd::Event(kind));
    }

    /// A key was pressed (for idleness; nothing of the key is kept).
    pub fn touch(&self) {
        self.activity.store(now_ms(), Ordering::Relaxed);
    }

    /// Leave the class: say so (once, if the server answers soon) and forget the membership.
    pub fn leave(self) {
        let _ = self.tx.send(Cmd::Leave);
    }
}

struct Outbox {
    m: Membership,
    state: PathBuf,
    activity: Arc<AtomicI64>,
    agent: ureq::Agent,
    joined: bool,
    online: Option<bool>,
    idle: bool,
    place: Option<(String, String)>,
    backoff: Duration,
}

enum Sent {
    Ok(Ack),
    NotJoined,
    WrongCode,
    Down,
}

impl Outbox {
    fn new(m: Membership, state: PathBuf, activity: Arc<AtomicI64>) -> Outbox {
        let agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(4)))
            .user_agent("gorae")
            .build()
            .into();
        let place = m.log.iter().rev().find_map(|e| match &e.kind {
            Kind::Step { lesson, step } => Some((lesson.clone(), step.clone())),
            _ => None,
        });
        Outbox {
            m,
            state,
            activity,
            agent,
            joined: false,
            online: None,
            idle: false,
            place,
            backoff: Duration::from_secs(1),
        }
    }

    fn record(&mut self, kind: Kind) {
        if let Kind::Step { lesson, step } = &kind {
            self.place = Some((lesson.clone(), step.clone()));
        }
        self.m.push(kind);
        let _ = self.m.save(&self.state);
    }

    fn run(mut self, rx: &Receiver<Cmd>, news: &impl Fn(News)) {
        let mut wait = Duration::ZERO;
        loop {
            match rx.recv_timeout(wait) {
                Ok(Cmd::Event(kind)) => {
                    self.record(kind);
                    // Take what else is queued, to send it in one request.
                    while let Ok(Cmd::Event(k)) = rx.try_recv() {
                        self.record(k);
                    }
                }
                Ok(Cmd::Leave) => {
                    self.record(Kind::Leave);
                    self.flush(news);
                    let _ = std::fs::remove_file(file(&self.state));
                    return;
                }
                // The app quit: still in the class (the next start goes on), one last try.
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush(news);
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.watch_idle();
            wait = if self.flush(news) {
                self.backoff = Duration::from_secs(1);
                HEARTBEAT
            } else {
                let w = self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                w
            };
        }
    }

    fn watch_idle(&mut self) {
        let quiet = now_ms() - self.activity.load(Ordering::Relaxed);
        if !self.idle && quiet >= IDLE_MS {
            self.idle = true;
            self.record(Kind::Idle);
        } else if self.idle && quiet < IDLE_MS {
            self.idle = false;
            // Back: where they are (the same step keeps its time on the board).
            if let Some((lesson, step)) = self.place.clone() {
                self.record(Kind::Step { lesson, step });
            }
        }
    }

    /// Send what is not acknowledged (at least one request, the heartbeat); false when the
    /// server did not answer.
    fn flush(&mut self, news: &impl Fn(News)) -> bool {
        loop {
            if !self.joined {
                match self.join() {
                    Sent::Ok(ack) => {
                        self.joined = true;
                        self.acked(ack.acked);
                    }
                    Sent::WrongCode => {
                        news(News::WrongCode);
                        self.set_online(false, news);
                        return false;
                    }
                    Sent::NotJoined | Sent::Down => {
                        self.set_online(false, news);
                        return false;
                    }
                }
            }
            let pending: Vec<Event> = self
                .m
                .log
                .iter()
                .filter(|e| e.seq > self.m.acked)
                .take(MAX_BATCH)
                .cloned()
                .collect();
            let more = pending.len() == MAX_BATCH;
            match self.post_events(pending) {
                Sent::Ok(ack) => {
                    self.set_online(true, news);
                    self.acked(ack.acked);
                    if let Some(b) = ack.broadcast
                        && b.n > self.m.seen
                    {
                        self.m.seen = b.n;
                        let _ = self.m.save(&self.state);
                        news(News::Broadcast(b));
                    }
                    if !more {
                        return true;
                    }
                }
                // The server restarted without us: join again, then send everything.
                Sent::NotJoined => self.joined = false,
                Sent::WrongCode => {
                    news(News::WrongCode);
                    return false;
                }
                Sent::Down => {
                    self.set_online(false, news);
                    return false;
                }
            }
        }
    }

    /// The server's ack: below ours means it lost events (restarted); they are sent again.
    fn acked(&mut self, acked: u64) {
        if acked != self.m.acked {
            self.m.acked = acked;
            let _ = self.m.save(&self.state);
        }
    }

    fn set_online(&mut self, on: bool, news: &impl Fn(News)) {
        if self.online != Some(on) {
            self.online = Some(on);
            news(News::Online(on));
        }
    }

    fn join(&self) -> Sent {
        let j = Join {
            code: self.m.code.clone(),
            id: self.m.id.clone(),
            name: self.m.name.clone(),
        };
        self.post("/api/join", &j)
    }

    fn post_events(&self, events: Vec<Event>) -> Sent {
        let e = Events {
            code: self.m.code.clone(),
            id: self.m.id.clone(),
            now: now_ms(),
            events,
            seen: self.m.seen,
        };
        self.post("/api/events", &e)
    }

    fn post(&self, path: &str, body: &impl Serialize) -> Sent {
        let Ok(body) = serde_json::to_string(body) else {
            return Sent::Down;
        };
        let url = format!("{}{path}", self.m.server);
        let Ok(mut resp) = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body)
        else {
            return Sent::Down;
        };
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        match status {
            200 => serde_json::from_str(&text).map_or(Sent::Down, Sent::Ok),
            403 => Sent::WrongCode,
            409 => Sent::NotJoined,
            _ => Sent::Down,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_and_port() {
        assert_eq!(
            server_url("192.168.0.5:7878").unwrap(),
            "http://192.168.0.5:7878"
        );
        assert_eq!(server_url("http://[::1]:80/").unwrap(), "http://[::1]:80");
        for bad in [
            "",
            "host",
            "host:0",
            "host:99999",
            "http://h:1/x",
            "a b:1",
            "u@h:1",
        ] {
            assert!(server_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_rejoin_keeps_the_id_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Membership::join(dir.path(), "127.0.0.1:9", "abc234", "민수").unwrap();
        m.push(Kind::Reset);
        m.save(dir.path()).unwrap();
        let again = Membership::join(dir.path(), "127.0.0.1:9", "ABC234", "민수").unwrap();
        assert_eq!((again.id.clone(), again.log.len()), (m.id.clone(), 1));
        let other = Membership::join(dir.path(), "127.0.0.1:9", "ABC234", "다른").unwrap();
        assert_ne!(other.id, m.id);
        assert!(Membership::join(dir.path(), "127.0.0.1:9", "!", "x").is_err());
    }
}
