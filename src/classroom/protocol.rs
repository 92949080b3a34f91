//! What attendees and the board say to each other over the LAN, as serde types, and the limits
//! every message is held to before anything is applied. Attendees send progress only: which
//! step, ✓, hints, solutions, resets, idleness — never commands, files or container content
//! (the types have no field that could carry them).

use serde::{Deserialize, Serialize};

/// The longest request head (request line and headers) and body the server reads.
pub const MAX_HEAD: usize = 8 * 1024;
pub const MAX_BODY: usize = 64 * 1024;
/// Events in one request; a longer outbox is sent in several.
pub const MAX_BATCH: usize = 200;
/// A name, in characters; a message from the instructor.
pub const MAX_NAME: usize = 40;
pub const MAX_MESSAGE: usize = 200;
/// Lesson and step ids (`02-images`, `pull`), and a hint's text (the lesson's own words).
pub const MAX_ID: usize = 64;
pub const MAX_HINT: usize = 300;
/// Attendees one board takes.
pub const MAX_ATTENDEES: usize = 500;

/// `POST /api/join`: who is in the room. `id` is the attendee app's own (random, kept in its
/// state), so a restarted app or server finds the same row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub code: String,
    pub id: String,
    pub name: String,
}

/// `POST /api/events`: the events after the last one the server acknowledged, in order.
/// `now` is the attendee's clock when sending, so the server can place `at` on its own clock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Events {
    pub code: String,
    pub id: String,
    pub now: i64,
    pub events: Vec<Event>,
    /// The last instructor broadcast this app has shown (0: none).
    #[serde(default)]
    pub seen: u64,
}

// No `deny_unknown_fields` here: serde does not take it with `flatten`; `Kind` refuses the
// fields it does not know instead (the rest of the event is flattened into it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// 1, 2, 3 … per attendee: the server applies each once, in order.
    pub seq: u64,
    /// Milliseconds since the epoch on the attendee's clock.
    pub at: i64,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Kind {
    /// The attendee is now on this step.
    Step {
        lesson: String,
        step: String,
    },
    /// This step passed its check (✓).
    Done {
        lesson: String,
        step: String,
    },
    /// A hint (the n-th of the step) was shown.
    Hint {
        n: u32,
    },
    Solution,
    /// The step was reset (F5).
    Reset,
    /// A wrong attempt's hint was shown (the lesson's `avoid` text).
    Wrong {
        hint: String,
    },
    /// No key for a while; any later event means back.
    Idle,
    /// The attendee left the class.
    Leave,
}

/// The server's answer to `join` and `events`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Ack {
    /// The last seq applied for this attendee: the next send starts after it.
    pub acked: u64,
    /// The instructor's latest broadcast, when newer than `seen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<Broadcast>,
}

/// "Everyone to lesson N, step M" and/or a one-line message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    #[serde(default)]
    pub n: u64,
    /// 1-based numbers or ids, as `gorae --lesson/--step` take them.
    #[serde(default)]
    pub lesson: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub message: String,
}

/// Why a request changed nothing; the server answers it as a status and `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    BadRequest(String),
    WrongCode,
    NotJoined,
    Full,
    TooLarge,
    NotFound,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::WrongCode => 403,
            Refusal::NotFound => 404,
            Refusal::NotJoined => 409,
            Refusal::TooLarge => 413,
            Refusal::Full => 503,
        }
    }

    /// The English reason (the wire's words; the attendee's app words it in its own language).
    pub fn reason(&self) -> String {
        match self {
            Refusal::BadRequest(why) => format!("bad request: {why}"),
            Refusal::WrongCode => "wrong join code".into(),
            Refusal::NotJoined => "not joined".into(),
            Refusal::Full => "the room is full".into(),
            Refusal::TooLarge => "request too large".into(),
            Refusal::NotFound => "not found".into(),
        }
    }
}

fn bad(why: impl Into<String>) -> Refusal {
    Refusal::BadRequest(why.into())
}

/// Printable text of at most `max` characters with no control characters (a name, a message).
pub fn check_text(what: &str, s: &str, max: usize, allow_empty: bool) -> Result<(), Refusal> {
    if !allow_empty && s.trim().is_empty() {
        return Err(bad(format!("{what} is empty")));
    }
    if s.chars().count() > max {
        return Err(bad(format!("{what} is longer than {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(bad(format!("{what} has control characters")));
    }
    Ok(())
}

/// A lesson or step id, or an attendee id: letters, digits, `-`, `_`, `.`.
pub fn check_id(what: &str, s: &str) -> Result<(), Refusal> {
    let ok = !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!("bad {what}")))
    }
}

impl Join {
    pub fn check(&self) -> Result<(), Refusal> {
        check_id("id", &self.id)?;
        check_text("name", &self.name, MAX_NAME, false)
    }
}

impl Events {
    /// Every event is checked before any is applied: one bad event refuses the whole batch.
    pub fn check(&self) -> Result<(), Refusal> {
        check_id("id", &self.id)?;
        if self.events.len() > MAX_BATCH {
            return Err(bad(format!("more than {MAX_BATCH} events")));
        }
        let mut last = 0;
        for e in &self.events {
            if e.seq == 0 || e.seq <= last {
                return Err(bad("seq must start at 1 and increase"));
            }
            last = e.seq;
            match &e.kind {
                Kind::Step { lesson, step } | Kind::Done { lesson, step } => {
                    check_id("lesson", lesson)?;
                    check_id("step", step)?;
                }
                Kind::Wrong { hint } => check_text("hint", hint, MAX_HINT, false)?,
                Kind::Hint { .. } | Kind::Solution | Kind::Reset | Kind::Idle | Kind::Leave => {}
            }
        }
        Ok(())
    }
}

impl Broadcast {
    pub fn check(&self) -> Result<(), Refusal> {
        check_text("message", &self.message, MAX_MESSAGE, true)?;
        for (what, v) in [("lesson", &self.lesson), ("step", &self.step)] {
            if let Some(v) = v {
                check_id(what, v)?;
            }
        }
        if self.step.is_some() && self.lesson.is_none() {
            return Err(bad("a step needs its lesson"));
        }
        if self.lesson.is_none() && self.message.trim().is_empty() {
            return Err(bad("nothing to send"));
        }
        Ok(())
    }
}

/// `n` random bytes from the kernel, as hex (ids, the instructor's key).
pub fn random_hex(n: usize) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(hex::encode(buf))
}

/// Letters a join code is made of: no 0/O, 1/I/L, so it reads aloud and types without doubt.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const CODE_LEN: usize = 6;

pub fn new_code() -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = [0u8; CODE_LEN];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect())
}

/// A join code as typed: case and surrounding blanks do not matter.
pub fn normalize_code(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// Whether `s` can be a join code (4–32 letters and digits).
pub fn valid_code(s: &str) -> bool {
    (4..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_refuse_unknown_fields() {
        let e = Events {
            code: "ABC234".into(),
            id: "x1".into(),
            now: 5,
            events: vec![Event {
                seq: 1,
                at: 3,
                kind: Kind::Step {
                    lesson: "01-hello".into(),
                    step: "pull".into(),
                },
            }],
            seen: 0,
        };
        let s = serde_json::to_string(&e).unwrap();
        assert!(s.contains(r#""kind":"step""#), "{s}");
        assert_eq!(serde_json::from_str::<Events>(&s).unwrap(), e);
        let extra = s.replace(r#""kind":"step""#, r#""kind":"step","cmd":"rm -rf /""#);
        assert!(serde_json::from_str::<Events>(&extra).is_err());
    }

    #[test]
    fn checks_refuse_hostile_values() {
        let join = |name: &str| Join {
            code: "C".into(),
            id: "abc".into(),
            name: name.into(),
        };
        assert!(join("김민수").check().is_ok());
        assert!(join("").check().is_err());
        assert!(join(&"가".repeat(41)).check().is_err());
        assert!(join("a\u{1b}[2J").check().is_err());
        let mut j = join("x");
        j.id = "../etc".into();
        assert!(j.check().is_err());
        let b = Broadcast {
            n: 0,
            lesson: None,
            step: Some("2".into()),
            message: String::new(),
        };
        assert!(b.check().is_err());
    }

    #[test]
    fn codes_read_aloud() {
        let c = new_code().unwrap();
        assert_eq!(c.len(), CODE_LEN);
        assert!(valid_code(&c));
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(normalize_code(" abc234 "), "ABC234");
    }
}
