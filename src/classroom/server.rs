//! The classroom's routes over the board. Attendees need the join code; the board itself (the
//! page, its data, broadcasts, the export) needs the instructor's key, which only the
//! instructor's terminal shows. Every request body is parsed and checked whole before the board
//! changes, so a bad request changes nothing.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::board::{Bar, Board, Row};
use super::http::{Handler, Request, Response};
use super::protocol::{Broadcast, Events, Join, Refusal, normalize_code};
use crate::i18n::t;

const PAGE: &str = include_str!("../../assets/classroom/board.html");
const SCRIPT: &str = include_str!("../../assets/classroom/board.js");
const STYLE: &str = include_str!("../../assets/classroom/board.css");

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The board and the instructor's key, shared by the server's workers and the views.
pub struct Room {
    board: Mutex<Board>,
    pub key: String,
}

impl Room {
    pub fn new(board: Board, key: String) -> Arc<Room> {
        Arc::new(Room {
            board: Mutex::new(board),
            key,
        })
    }

    pub fn board(&self) -> MutexGuard<'_, Board> {
        // A worker that panicked mid-change leaves a board that is still whole (changes are
        // made field by field on checked input), so the poison is not passed on.
        self.board.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn handler(self: &Arc<Room>) -> Handler {
        let room = Arc::clone(self);
        Arc::new(move |req| room.route(&req))
    }

    fn route(&self, req: &Request) -> Response {
        let instructor = req
            .query
            .get("key")
            .is_some_and(|k| k.as_bytes() == self.key.as_bytes());
        let refuse = |r: Refusal| Response::error(r.status(), &r.reason());
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/board.js") => Response::new(200, "text/javascript; charset=utf-8", SCRIPT),
            ("GET", "/board.css") => Response::new(200, "text/css; charset=utf-8", STYLE),
            ("GET", "/" | "/api/board" | "/api/export.csv" | "/api/export.json")
            | ("POST", "/api/broadcast")
                if !instructor =>
            {
                Response::error(403, "the board needs the instructor's key")
            }
            ("GET", "/") => Response::new(200, "text/html; charset=utf-8", self.page()),
            ("GET", "/api/board") => Response::json(200, &self.view()),
            ("GET", "/api/export.csv") => Response::new(
                200,
                "text/csv; charset=utf-8",
                self.board().export_csv(now_ms()),
            ),
            ("GET", "/api/export.json") => {
                Response::new(200, "application/json", self.board().export_json(now_ms()))
            }
            ("POST", "/api/broadcast") => {
                match parse::<Broadcast>(&req.body).and_then(|b| self.board().send(b)) {
                    Ok(n) => Response::json(200, &serde_json::json!({ "n": n })),
                    Err(r) => refuse(r),
                }
            }
            ("POST", "/api/join") => {
                match parse::<Join>(&req.body).and_then(|j| {
                    let mut b = self.board();
                    check_code(&b, &j.code)?;
                    b.join(&j, now_ms())
                }) {
                    Ok(ack) => Response::json(200, &ack),
                    Err(r) => refuse(r),
                }
            }
            ("POST", "/api/events") => {
                match parse::<Events>(&req.body).and_then(|e| {
                    let mut b = self.board();
                    check_code(&b, &e.code)?;
                    b.events(&e, now_ms())
                }) {
                    Ok(ack) => Response::json(200, &ack),
                    Err(r) => refuse(r),
                }
            }
            (_, "/" | "/board.js" | "/board.css" | "/api/board" | "/api/broadcast")
            | (_, "/api/join" | "/api/events" | "/api/export.csv" | "/api/export.json") => {
                Response::error(405, "method not allowed")
            }
            _ => refuse(Refusal::NotFound),
        }
    }

    /// What the board shows, for the web page (and its first paint, embedded in the page).
    pub fn view(&self) -> View {
        let now = now_ms();
        let b = self.board();
        View {
            code: b.code.clone(),
            version: b.version,
            rows: b.rows(now),
            plot: b.plot(),
            broadcast: b.broadcast.clone(),
            labels: labels(),
        }
    }

    /// The page with its first data inline, as JSON in a data block: `<`, `>` and `&` are
    /// written as `\u003c`… so no name can end the block or open a tag.
    fn page(&self) -> String {
        let data = serde_json::to_string(&self.view()).unwrap_or_default();
        let data = data
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        PAGE.replace("{{lang}}", crate::i18n::lang().code())
            .replace("{{title}}", &html_escape(&t("classroom.web.title", &[])))
            .replace("{{data}}", &data)
    }
}

#[derive(Debug, Serialize)]
pub struct View {
    pub code: String,
    pub version: u64,
    pub rows: Vec<Row>,
    pub plot: Vec<Bar>,
    pub broadcast: Option<Broadcast>,
    pub labels: std::collections::BTreeMap<&'static str, String>,
}

/// The board's columns, in the order the terminal shows them (their words: `classroom.web.KEY`).
pub const COLUMNS: [&str; 8] = [
    "name",
    "place",
    "done",
    "on_step",
    "hints",
    "solutions",
    "status",
    "wrong",
];

/// The page's words, from the catalogs.
fn labels() -> std::collections::BTreeMap<&'static str, String> {
    let others = [
        "title", "code", "plot", "past", "here", "empty", "send", "lesson", "step", "message",
        "sent", "stuck", "working", "idle", "away", "left", "export",
    ];
    COLUMNS
        .into_iter()
        .chain(others)
        .map(|k| (k, t(&format!("classroom.web.{k}"), &[])))
        .collect()
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal::BadRequest(e.to_string()))
}

fn check_code(b: &Board, code: &str) -> Result<(), Refusal> {
    if normalize_code(code) == b.code {
        Ok(())
    } else {
        Err(Refusal::WrongCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> Arc<Room> {
        Room::new(Board::new("ABC234".into(), vec![]), "k".repeat(32))
    }

    fn post(path: &str, body: &str) -> Request {
        Request {
            method: "POST".into(),
            path: path.into(),
            query: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn bad_requests_change_nothing() {
        let r = room();
        let ok = r.route(&post(
            "/api/join",
            r#"{"code":"abc234","id":"a1","name":"민수"}"#,
        ));
        assert_eq!(ok.status, 200);
        let v0 = r.board().version;
        for (path, body, status) in [
            (
                "/api/join",
                r#"{"code":"WRONG1","id":"a2","name":"x"}"#,
                403,
            ),
            ("/api/join", r#"{"code":"ABC234","id":"a2","name":""}"#, 400),
            ("/api/join", "not json", 400),
            (
                "/api/events",
                r#"{"code":"ABC234","id":"a1","now":1,"events":[{"seq":1,"at":1,"kind":"hint","n":1},{"seq":2,"at":1,"kind":"rm"}]}"#,
                400,
            ),
            (
                "/api/events",
                r#"{"code":"ABC234","id":"zz","now":1,"events":[]}"#,
                409,
            ),
            ("/api/broadcast", r#"{"message":"hi"}"#, 403),
        ] {
            assert_eq!(r.route(&post(path, body)).status, status, "{path} {body}");
        }
        assert_eq!(r.board().version, v0);
        assert_eq!(r.board().attendees["a1"].applied, 0);
    }

    #[test]
    fn the_page_embeds_names_as_inert_json() {
        let r = room();
        let body = r#"{"code":"ABC234","id":"a1","name":"</script><script>alert(1)</script>"}"#;
        assert_eq!(r.route(&post("/api/join", body)).status, 200);
        let page = r.page();
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("\\u003c/script\\u003e"));
    }
}
