//! The classroom through the binary: `gorae classroom` serving on loopback, attendees as a real
//! `gorae --join` TUI (in tmux) and as simulated apps speaking the wire protocol, the web board
//! in a real headless chromium, and a bounded load test with 100 attendees.
// Tests may unwrap and expect (the workspace denies both outside tests: Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::tmux::{Tmux, have_tmux};

const CODE: &str = "ABC234";

/// `gorae classroom` without a terminal: it prints its lines and serves until a signal.
struct Board {
    child: Child,
    addr: String,
    key: String,
}

impl Board {
    fn start(listen: &str, extra: &[&str]) -> Board {
        let mut c = Command::new(common::bin());
        c.args(["classroom", "--listen", listen, "--code", CODE])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        common::with_locale(&mut c, "C.UTF-8");
        let mut child = c.spawn().expect("spawn gorae classroom");
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let mut url = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("Board (instructor only): ") {
                url = u.to_string();
                break;
            }
        }
        assert!(!url.is_empty(), "no board line from gorae classroom");
        // The rest of stdout (the export line) is read by `stop`.
        std::thread::spawn(move || for _ in lines {});
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, key) = rest.split_once("/?key=").unwrap();
        Board {
            child,
            addr: addr.to_string(),
            key: key.to_string(),
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        http(&self.addr, "GET", &format!("{path}?key={}", self.key), "")
    }

    fn view(&self) -> Value {
        let (s, body) = self.get("/api/board");
        assert_eq!(s, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    fn export(&self) -> Value {
        let (s, body) = self.get("/api/export.json");
        assert_eq!(s, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    fn broadcast(&self, b: Value) -> (u16, String) {
        http(
            &self.addr,
            "POST",
            &format!("/api/broadcast?key={}", self.key),
            &b.to_string(),
        )
    }

    fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on its own connection (the server closes each); (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    raw(
        addr,
        format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn raw(addr: &str, bytes: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server may answer (and close) before reading all of an oversized request.
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn join(addr: &str, id: &str, name: &str) -> (u16, String) {
    let body = json!({"code": CODE, "id": id, "name": name}).to_string();
    http(addr, "POST", "/api/join", &body)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Send events (seq, at, kind fields) for `id`; the parsed ack.
fn send(addr: &str, id: &str, events: Value) -> (u16, Value) {
    let body = json!({"code": CODE, "id": id, "now": now_ms(), "events": events}).to_string();
    let (s, b) = http(addr, "POST", "/api/events", &body);
    (s, serde_json::from_str(&b).unwrap_or(Value::Null))
}

fn names(view: &Value) -> Vec<String> {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn attendees_progress_stuck_first_and_broadcasts() {
    let board = Board::start("127.0.0.1:0", &[]);
    let a = &board.addr;
    assert_eq!(join(a, "fast01", "빠른 민수").0, 200);
    assert_eq!(join(a, "stuck01", "막힌 지연").0, 200);
    let now = now_ms();
    let (s, ack) = send(
        a,
        "fast01",
        json!([
            {"seq": 1, "at": now - 60_000, "kind": "step", "lesson": "00-start", "step": "keys"},
            {"seq": 2, "at": now - 50_000, "kind": "done", "lesson": "00-start", "step": "keys"},
            {"seq": 3, "at": now - 50_000, "kind": "step", "lesson": "00-start", "step": "version"},
        ]),
    );
    assert_eq!((s, ack["acked"].as_u64()), (200, Some(3)));
    // Ten minutes on the first step, two hints, a wrong attempt.
    let (s, _) = send(
        a,
        "stuck01",
        json!([
            {"seq": 1, "at": now - 600_000, "kind": "step", "lesson": "00-start", "step": "keys"},
            {"seq": 2, "at": now - 300_000, "kind": "hint", "n": 1},
            {"seq": 3, "at": now - 200_000, "kind": "hint", "n": 2},
            {"seq": 4, "at": now - 100_000, "kind": "wrong", "hint": "busybox가 아니라 debian입니다"},
        ]),
    );
    assert_eq!(s, 200);
    let v = board.view();
    assert_eq!(names(&v), ["막힌 지연", "빠른 민수"], "{v}");
    let stuck = &v["rows"][0];
    assert_eq!(stuck["status"], "stuck");
    assert_eq!(stuck["place"], "1-1");
    assert_eq!(stuck["hints"], 2);
    assert_eq!(stuck["last_wrong"], "busybox가 아니라 debian입니다");
    assert!(stuck["on_step_s"].as_i64().unwrap() >= 599, "{stuck}");
    assert_eq!(v["rows"][1]["place"], "1-2");
    assert_eq!(v["rows"][1]["done"], 1);
    // The plot: one past the first step, one on each of the first two.
    assert_eq!(v["plot"][0]["past"], 1);
    assert_eq!(v["plot"][0]["here"], 1);
    assert_eq!(v["plot"][1]["here"], 1);

    // Only the instructor's key sends; attendees get it with their next answer, once.
    let (s, _) = http(a, "POST", "/api/broadcast", r#"{"message":"hi"}"#);
    assert_eq!(s, 403);
    let (s, body) =
        board.broadcast(json!({"lesson": "3", "step": "2", "message": "다 같이 3-2로"}));
    assert_eq!(s, 200, "{body}");
    let (_, ack) = send(a, "fast01", json!([]));
    assert_eq!(ack["broadcast"]["message"], "다 같이 3-2로", "{ack}");
    assert_eq!(ack["broadcast"]["lesson"], "3");
    let n = ack["broadcast"]["n"].as_u64().unwrap();
    let body = json!({"code": CODE, "id": "fast01", "now": now_ms(), "events": [], "seen": n});
    let (_, seen) = http(a, "POST", "/api/events", &body.to_string());
    assert!(!seen.contains("broadcast"), "{seen}");
}

#[test]
fn wrong_code_hostile_and_oversized_requests_change_nothing() {
    let board = Board::start("127.0.0.1:0", &[]);
    let a = &board.addr;
    assert_eq!(join(a, "a1", "민수").0, 200);
    let (s, _) = send(
        a,
        "a1",
        json!([{"seq": 1, "at": now_ms(), "kind": "step", "lesson": "00-start", "step": "keys"}]),
    );
    assert_eq!(s, 200);
    let before = board.export()["attendees"].clone();
    let big_name = "가".repeat(41);
    let cases: Vec<(Vec<u8>, u16)> = vec![
        // Wrong code: refused, nobody joins.
        (
            req("POST", "/api/join", &json!({"code": "ZZZ999", "id": "x", "name": "x"}).to_string()),
            403,
        ),
        (
            req(
                "POST",
                "/api/events",
                &json!({"code": "ZZZ999", "id": "a1", "now": 1, "events": [{"seq": 2, "at": 1, "kind": "solution"}]}).to_string(),
            ),
            403,
        ),
        // A name too long, a control character, markup is fine but not a terminal escape.
        (
            req("POST", "/api/join", &json!({"code": CODE, "id": "x", "name": big_name}).to_string()),
            400,
        ),
        (
            req("POST", "/api/join", &json!({"code": CODE, "id": "x", "name": "a\u{1b}[2J"}).to_string()),
            400,
        ),
        // A field no event has (a command), a kind that does not exist, a bad id.
        (
            req(
                "POST",
                "/api/events",
                &json!({"code": CODE, "id": "a1", "now": 1, "events": [
                    {"seq": 2, "at": 1, "kind": "hint", "n": 1},
                    {"seq": 3, "at": 1, "kind": "step", "lesson": "l", "step": "s", "cmd": "rm -rf /"}]}).to_string(),
            ),
            400,
        ),
        (
            req(
                "POST",
                "/api/events",
                &json!({"code": CODE, "id": "a1", "now": 1, "events": [{"seq": 2, "at": 1, "kind": "exec"}]}).to_string(),
            ),
            400,
        ),
        (
            req(
                "POST",
                "/api/events",
                &json!({"code": CODE, "id": "a1", "now": 1, "events": [{"seq": 2, "at": 1, "kind": "step", "lesson": "../../etc", "step": "x"}]}).to_string(),
            ),
            400,
        ),
        // Not JSON, not HTTP, too large, chunked.
        (req("POST", "/api/events", "{\"code\": "), 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400),
        (
            format!(
                "POST /api/events HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                10 * 1024 * 1024
            )
            .into_bytes(),
            413,
        ),
        (
            format!("GET / HTTP/1.1\r\nX-A: {}\r\n\r\n", "a".repeat(20_000)).into_bytes(),
            431,
        ),
        (
            b"POST /api/events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            501,
        ),
        (req("GET", "/etc/passwd", ""), 404),
        (req("GET", "/api/board", ""), 403),
        (req("DELETE", "/api/join", ""), 405),
    ];
    for (bytes, want) in cases {
        let (s, body) = raw(a, &bytes);
        assert_eq!(
            s,
            want,
            "{} -> {body}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(120)])
        );
        if s != 404 {
            assert!(body.contains("\"error\""), "{body}");
        }
    }
    assert_eq!(board.export()["attendees"], before);
    assert_eq!(board.view()["rows"].as_array().unwrap().len(), 1);
}

/// A client trickling its request a byte at a time is cut off: the whole request has 5 s, so
/// it is answered 408 long before the 30 bytes it would take 15 s to send.
#[test]
fn a_trickling_request_is_cut_off() {
    let board = Board::start("127.0.0.1:0", &[]);
    let mut s = TcpStream::connect(&board.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut sent = 0;
    let mut answer = Vec::new();
    for b in b"GET /board.css HTTP/1.1\r\nX-Slow: aaaaaa"
        .iter()
        .cycle()
        .take(30)
    {
        if s.write_all(&[*b]).is_err() {
            break;
        }
        sent += 1;
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "after {sent} bytes: {text}"
    );
    assert!(sent < 30, "never cut off");
}

fn req(method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn classroom_errors_are_korean_and_exit_non_zero() {
    let r = common::gorae(&["classroom"], "ko_KR.UTF-8");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("받을 주소를 정해 주세요"), "{}", r.stderr);
    let r = common::gorae(
        &["classroom", "--listen", "127.0.0.1:0", "--export", "x.txt"],
        "ko_KR.UTF-8",
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(".csv 또는 .json"), "{}", r.stderr);
    let r = common::gorae(&["classroom", "--listen", "203.0.113.9:1"], "ko_KR.UTF-8");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("에서 받을 수 없습니다"), "{}", r.stderr);
    let r = common::gorae(
        &["--join", "nowhere", "--code", CODE, "--name", "민수"],
        "ko_KR.UTF-8",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("수업 주소가 잘못되었습니다"),
        "{}",
        r.stderr
    );
    let r = common::gorae(&["--join", "127.0.0.1:9", "--name", "민수"], "ko_KR.UTF-8");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = common::gorae(&["--help"], "ko_KR.UTF-8");
    assert!(
        r.stdout
            .contains("gorae --join ADDR:PORT --code CODE --name NAME"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("gorae classroom"), "{}", r.stdout);
}

#[test]
fn export_is_written_when_the_board_ends() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.csv");
    let board = Board::start("127.0.0.1:0", &["--export", file.to_str().unwrap()]);
    assert_eq!(join(&board.addr, "a1", "=HYPERLINK(\"x\")").0, 200);
    send(
        &board.addr,
        "a1",
        json!([{"seq": 1, "at": now_ms(), "kind": "step", "lesson": "00-start", "step": "keys"}]),
    );
    assert!(board.stop().success());
    let csv = std::fs::read_to_string(&file).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("name,place,"));
    // A name that is a formula is kept as text for spreadsheets.
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("\"'=HYPERLINK(\"\"x\"\")\",1-1,"),
        "{csv}"
    );
}

fn attendee(name: &str, dir: &Path, join: &str) -> Tmux {
    let exe = env!("CARGO_BIN_EXE_gorae");
    let cmd = format!(
        "env GORAE_ROOT='{}' GORAE_STATE='{}' LANG=C.UTF-8 TERM=xterm-256color '{exe}' --lang ko {join}",
        dir.join("root").display(),
        dir.join("state").display(),
    );
    Tmux::start(name, &cmd)
}

/// (applied, acked) of the one attendee, from the export.
fn counts(board: &Board) -> Option<(u64, u64)> {
    let e = board.export();
    let a = &e["attendees"][0];
    Some((a["applied"].as_u64()?, a["acked"].as_u64()?))
}

fn poll<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_real_attendee_joins_resends_after_a_restart_and_accepts_a_move() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let board = Board::start(&listen, &[]);
    let tmux = attendee(
        "class",
        dir.path(),
        &format!("--join {listen} --code abc234 --name '김 수강' --lesson 2 --step 1"),
    );
    let (ok, s) = tmux.wait_for(Duration::from_secs(20), |s| s.contains("수업 참여 중"));
    assert!(ok, "no joined indicator:\n{s}");
    let row = poll("the attendee's row", Duration::from_secs(10), || {
        let v = board.view();
        v["rows"]
            .as_array()
            .and_then(|r| r.first().cloned())
            .filter(|r| r["place"] == "2-1")
    });
    assert_eq!(row["name"], "김 수강");

    // The server goes away; the app goes on and keeps what happens.
    assert!(board.stop().success());
    tmux.keys(&["F2"]);
    tmux.keys(&["F2"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(20), |s| s.contains("연결 대기"));
    assert!(ok, "no offline indicator:\n{s}");
    let saved = |dir: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("state/classroom.json")).unwrap())
            .unwrap()
    };
    let log_len = poll("two hints in the outbox", Duration::from_secs(10), || {
        let m = saved(dir.path());
        let log = m["log"].as_array().unwrap();
        let hints = log.iter().filter(|e| e["kind"] == "hint").count();
        (hints == 2).then_some(log.len() as u64)
    });

    // Back on the same address, empty: the app joins again and sends everything, once.
    let board = Board::start(&listen, &[]);
    let (applied, acked) = poll("the resent events", Duration::from_secs(30), || {
        counts(&board).filter(|c| c.1 >= log_len)
    });
    assert_eq!((applied, acked), (log_len, log_len), "lost or doubled");
    let row = board.view()["rows"][0].clone();
    assert_eq!(row["hints"], 2, "{row}");

    // A move is only a question: any key but y keeps the attendee where they are.
    let (s, _) = board.broadcast(json!({"lesson": "3", "step": "2", "message": "먼저 물어봄"}));
    assert_eq!(s, 200);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("먼저 물어봄"));
    assert!(ok, "no move dialog:\n{s}");
    tmux.literal("j");
    let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| s.contains("지금 단계에 그대로"));
    assert!(ok, "declining said nothing:\n{s}");
    // Past the next heartbeat, the board still has the attendee where they were.
    std::thread::sleep(client_heartbeat() + Duration::from_secs(1));
    assert_eq!(board.view()["rows"][0]["place"], "2-1");

    // Everyone to lesson 3, step 2: the attendee sees it and moves only on y (ㅛ).
    let (s, _) = board.broadcast(json!({"lesson": "3", "step": "2", "message": "다 같이 3-2"}));
    assert_eq!(s, 200);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("다 같이 3-2"));
    assert!(ok, "no move dialog:\n{s}");
    tmux.literal("ㅛ");
    let row = poll("the move on the board", Duration::from_secs(15), || {
        let r = board.view()["rows"][0].clone();
        (r["place"] == "3-2").then_some(r)
    });
    assert_eq!(row["hints"], 0);
    let (applied, acked) = counts(&board).unwrap();
    assert_eq!(applied, acked);

    // F12, y: the attendee leaves; the board says so and the membership is gone.
    tmux.keys(&["F12"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| s.contains("수업에서 나갈까요"));
    assert!(ok, "no leave dialog:\n{s}");
    tmux.literal("y");
    poll("the leave on the board", Duration::from_secs(15), || {
        (board.view()["rows"][0]["status"] == "left").then_some(())
    });
    // The app forgets the membership once the board has the leave.
    let membership = dir.path().join("state/classroom.json");
    poll("the membership forgotten", Duration::from_secs(5), || {
        (!membership.exists()).then_some(())
    });
}

#[test]
fn joining_from_inside_the_app_with_f12() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let board = Board::start("127.0.0.1:0", &[]);
    let tmux = attendee("classjoin", dir.path(), "");
    let (ok, s) = tmux.wait_for(Duration::from_secs(20), |s| s.contains("F1"));
    assert!(ok, "the app did not start:\n{s}");
    let fill = |addr: &str| {
        tmux.keys(&["F12"]);
        let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| s.contains("수업 참여"));
        assert!(ok, "no join form:\n{s}");
        for (i, text) in [addr, "abc234", "박 수강"].into_iter().enumerate() {
            tmux.literal(text);
            tmux.keys(&[if i < 2 { "Tab" } else { "Enter" }]);
        }
    };
    // A wrong address is said in the form, which stays open; nothing is saved.
    fill("nowhere");
    let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("수업 주소가 잘못되었습니다")
    });
    assert!(ok, "no error in the form:\n{s}");
    tmux.keys(&["Escape"]);
    // The form closed before F12 again (an Esc and F12 read together are one Alt-F12).
    let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| !s.contains("수업 참여"));
    assert!(
        ok,
        "the form did not close:
{s}"
    );
    assert!(!dir.path().join("state/classroom.json").exists());
    fill(&board.addr);
    let (ok, s) = tmux.wait_for(Duration::from_secs(15), |s| s.contains("수업 참여 중"));
    assert!(ok, "not joined:\n{s}");
    let row = poll("the attendee's row", Duration::from_secs(10), || {
        board.view()["rows"]
            .as_array()
            .and_then(|r| r.first().cloned())
    });
    assert_eq!(row["name"], "박 수강");
    assert_eq!(row["place"], "1-1", "{row}");
}

#[test]
fn the_terminal_board_shows_rows_and_sends_a_move() {
    if !have_tmux() {
        common::skip("tmux is not installed (CI installs it)");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_gorae");
    let tmux = Tmux::start(
        "classboard",
        &format!(
            "env LANG=C.UTF-8 TERM=xterm-256color '{exe}' classroom --lang ko --listen 127.0.0.1:0 --code {CODE}"
        ),
    );
    let (ok, s) = tmux.wait_for(Duration::from_secs(10), |s| s.contains("주소: "));
    assert!(ok, "no address on the board:\n{s}");
    let addr = s
        .lines()
        .find_map(|l| l.trim().strip_prefix("주소: "))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(join(&addr, "t1", "최 수강").0, 200);
    let now = now_ms();
    send(
        &addr,
        "t1",
        json!([{"seq": 1, "at": now - 400_000, "kind": "step", "lesson": "00-start", "step": "keys"}]),
    );
    let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("최 수강") && s.contains("막힘")
    });
    assert!(ok, "the row is not on the board:\n{s}");
    tmux.keys(&["m"]);
    tmux.literal("2 1 다 같이 2-1");
    tmux.keys(&["Enter"]);
    let (ok, s) = tmux.wait_for(Duration::from_secs(5), |s| s.contains("보냈습니다 (#1)"));
    assert!(ok, "not sent:\n{s}");
    let (_, ack) = send(&addr, "t1", json!([]));
    assert_eq!(ack["broadcast"]["lesson"], "2", "{ack}");
    assert_eq!(ack["broadcast"]["step"], "1");
    assert_eq!(ack["broadcast"]["message"], "다 같이 2-1");
}

fn client_heartbeat() -> Duration {
    gorae::classroom::client::HEARTBEAT
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn the_web_board_renders_rows_and_plot_and_names_stay_text() {
    let Some(chrome) = chromium() else {
        common::skip("chromium is not installed (CI installs Debian's chromium)");
        return;
    };
    let board = Board::start("127.0.0.1:0", &[]);
    let a = &board.addr;
    // Within the 40 characters a name may have.
    let evil = "<script>document.title=1</script>";
    assert_eq!(join(a, "e1", evil).0, 200);
    assert_eq!(join(a, "b1", "<b id=evil>x</b>").0, 200);
    assert_eq!(join(a, "k1", "김민수").0, 200);
    let now = now_ms();
    send(
        a,
        "k1",
        json!([
            {"seq": 1, "at": now, "kind": "step", "lesson": "00-start", "step": "keys"},
            {"seq": 2, "at": now, "kind": "done", "lesson": "00-start", "step": "keys"},
        ]),
    );
    send(
        a,
        "e1",
        json!([{"seq": 1, "at": now - 600_000, "kind": "step", "lesson": "00-start", "step": "keys"}]),
    );
    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{a}/?key={}", board.key);
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .stderr(Stdio::null())
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chromium failed:\n{dom}");
    // Two rows, the stuck one first; the name is text, not markup.
    let body = dom
        .split("<tbody id=\"body\">")
        .nth(1)
        .expect("rows drawn")
        .to_string();
    let body = body.split("</tbody>").next().unwrap();
    assert_eq!(body.matches("<tr").count(), 3, "{body}");
    assert!(
        body.contains("&lt;script&gt;document.title=1&lt;/script&gt;"),
        "{body}"
    );
    assert!(body.contains("&lt;b id=evil&gt;x&lt;/b&gt;"), "{body}");
    assert!(
        !dom.contains("id=\"evil\""),
        "markup from a name was parsed"
    );
    assert!(!dom.contains("<title>1</title>"), "a name's script ran");
    let stuck = body.find("&lt;script").unwrap();
    assert!(
        stuck < body.find("김민수").unwrap(),
        "the stuck one is not first"
    );
    // The plot: a bar per step, the first one past.
    assert!(dom.contains("<rect class=\"past\""), "no plot");
    assert!(dom.contains("1-1 "), "no step label in the plot");
}

/// 100 simulated attendees join at once and send events (with resends, as apps do after a lost
/// answer) for `GORAE_CLASS_LOAD_SECS` seconds (10 by default so the suite stays quick; the issue
/// asks for a minute: `GORAE_CLASS_LOAD_SECS=60`). Every event must arrive exactly once. Prints
/// the board's answer times and its memory, as figures, not as a timed assertion.
#[test]
fn a_hundred_attendees_every_event_once() {
    let secs: u64 = std::env::var("GORAE_CLASS_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let board = Board::start("127.0.0.1:0", &[]);
    let addr = board.addr.clone();
    let n = 100;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let end = Instant::now() + Duration::from_secs(secs);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let addr = addr.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let id = format!("sim{i:03}");
                barrier.wait();
                // All at once, retried on a busy answer.
                loop {
                    let (s, _) = join(&addr, &id, &format!("수강생 {i}"));
                    if s == 200 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let mut seq = 0u64;
                let mut acked = 0u64;
                let mut times = Vec::new();
                let mut round = 0u64;
                while Instant::now() < end {
                    round += 1;
                    // 1-3 new events, plus (every third round) the last two again.
                    let new = 1 + (round + i as u64) % 3;
                    let from = if round.is_multiple_of(3) { acked.saturating_sub(2) } else { acked } + 1;
                    let to = seq + new;
                    let events: Vec<Value> = (from..=to)
                        .map(|s| {
                            if s.is_multiple_of(5) {
                                json!({"seq": s, "at": now_ms(), "kind": "step", "lesson": "00-start", "step": format!("s{}", s % 7)})
                            } else {
                                json!({"seq": s, "at": now_ms(), "kind": "hint", "n": 1})
                            }
                        })
                        .collect();
                    let t0 = Instant::now();
                    let (s, ack) = send(&addr, &id, Value::Array(events));
                    times.push(t0.elapsed());
                    if s == 200 {
                        seq = to;
                        acked = ack["acked"].as_u64().unwrap();
                        assert_eq!(acked, seq, "{id}: the server skipped or lost events");
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                (id, seq, times)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut sent = std::collections::BTreeMap::new();
    for h in handles {
        let (id, seq, times) = h.join().unwrap();
        sent.insert(id, seq);
        all.extend(times);
    }
    let mut board_times = Vec::new();
    let mut view = Value::Null;
    for _ in 0..20 {
        let t0 = Instant::now();
        view = board.view();
        board_times.push(t0.elapsed());
    }
    let export = board.export();
    let attendees = export["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), n);
    let mut total = 0;
    for a in attendees {
        let id = a["id"].as_str().unwrap();
        let want = sent[id];
        assert_eq!(a["applied"].as_u64().unwrap(), want, "{id}: applied");
        assert_eq!(a["acked"].as_u64().unwrap(), want, "{id}: acked");
        total += want;
    }
    assert_eq!(view["rows"].as_array().unwrap().len(), n);
    let rss = std::fs::read_to_string(format!("/proc/{}/status", board.child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    let pct = |v: &mut Vec<Duration>, p: usize| {
        v.sort();
        v[(v.len() * p / 100).min(v.len() - 1)]
    };
    // Straight to the process's stderr (the harness hides eprintln! of a passing test).
    let _ = writeln!(
        std::io::stderr(),
        "classroom load: {n} attendees, {secs} s, {total} events, each applied once; \
         POST /api/events p50 {:?} p99 {:?} ({} requests); GET /api/board p50 {:?}; board RSS {rss} kB",
        pct(&mut all, 50),
        pct(&mut all, 99),
        all.len(),
        pct(&mut board_times, 50),
    );
}
