//! A deliberately small HTTP/1.1 server on std's `TcpListener`, for the classroom only.
//!
//! Why not a crate: the board needs a handful of routes, JSON bodies and nothing else, and it
//! faces a LAN of strangers, so every limit should be ours and visible here: a request head of
//! at most `MAX_HEAD` bytes, a body of at most `MAX_BODY` with a Content-Length (no chunked
//! bodies), 5 s to send the whole request (however slowly it trickles in), one request per connection, a fixed pool of workers fed by a
//! bounded queue (a full queue answers 503 at once instead of piling up threads).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{MAX_BODY, MAX_HEAD};

pub const WORKERS: usize = 8;
/// Connections accepted and waiting for a worker.
pub const QUEUE: usize = 256;
const IO_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            body: body.into(),
        }
    }

    pub fn json(status: u16, v: &impl serde::Serialize) -> Response {
        let body = serde_json::to_vec(v).unwrap_or_default();
        Response::new(status, "application/json", body)
    }

    pub fn error(status: u16, reason: &str) -> Response {
        Response::json(status, &serde_json::json!({ "error": reason }))
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Read one request, holding it to the limits; an `Err` is the answer to send instead.
pub fn read_request(stream: &mut impl Read) -> Result<Request, Response> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    let end = loop {
        if let Some(i) = find(&head, b"\r\n\r\n") {
            break i;
        }
        if head.len() > MAX_HEAD {
            return Err(Response::error(431, "request head too large"));
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return Err(Response::error(400, "incomplete request")),
            Ok(n) => n,
            Err(_) => return Err(Response::error(408, "request timeout")),
        };
        head.extend_from_slice(&buf[..n]);
    };
    if end > MAX_HEAD {
        return Err(Response::error(431, "request head too large"));
    }
    let mut body = head.split_off(end + 4);
    let text = std::str::from_utf8(&head[..end])
        .map_err(|_| Response::error(400, "request head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Response::error(400, "bad request line"));
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0")
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
    {
        return Err(Response::error(400, "bad request line"));
    }
    let mut length: Option<usize> = None;
    for h in lines {
        let Some((name, value)) = h.split_once(':') else {
            return Err(Response::error(400, "bad header"));
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| Response::error(400, "bad content-length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(Response::error(400, "conflicting content-length"));
                }
                length = Some(n);
            }
            "transfer-encoding" => {
                return Err(Response::error(501, "chunked bodies are not taken"));
            }
            _ => {}
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(Response::error(413, "request too large"));
    }
    if body.len() > length {
        body.truncate(length);
    }
    while body.len() < length {
        let want = (length - body.len()).min(buf.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => return Err(Response::error(400, "incomplete body")),
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(_) => return Err(Response::error(408, "request timeout")),
        }
    }
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let query = q
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn write_response(stream: &mut impl Write, r: &Response) -> std::io::Result<()> {
    // The page reads its data and script from this server only, and runs nothing inline.
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\nContent-Security-Policy: default-src 'none'; \
         script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
         form-action 'none'; frame-ancestors 'none'\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&r.body)?;
    stream.flush()
}

pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// A running server: its address, and `stop` to end it.
pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(listener: TcpListener, handler: Handler) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel::<TcpStream>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..WORKERS {
            let rx = Arc::clone(&rx);
            let h = Arc::clone(&handler);
            std::thread::Builder::new()
                .name(format!("gorae-class-{i}"))
                .spawn(move || worker(&rx, &h))?;
        }
        let flag = Arc::clone(&stop);
        let accept = std::thread::Builder::new()
            .name("gorae-class-accept".into())
            .spawn(move || accept_loop(&listener, &tx, &flag))?;
        Ok(Server {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, tx: &SyncSender<TcpStream>, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut s) = conn else { continue };
        match tx.try_send(s) {
            Ok(()) => {}
            Err(TrySendError::Full(back)) => {
                s = back;
                let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
                let _ = write_response(&mut s, &Response::error(503, "busy, try again"));
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}

fn worker(rx: &Mutex<Receiver<TcpStream>>, handler: &Handler) {
    loop {
        let next = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok(mut s) = next else { return };
        let _ = s.set_write_timeout(Some(IO_TIMEOUT));
        let mut within = Deadline {
            stream: &s,
            until: Instant::now() + IO_TIMEOUT,
        };
        let resp = match read_request(&mut within) {
            Ok(req) => handler(req),
            Err(resp) => resp,
        };
        let _ = write_response(&mut s, &resp);
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
}

/// Reads that all end by one moment: a client sending a byte now and then cannot hold a worker
/// longer than `IO_TIMEOUT` in all.
struct Deadline<'a> {
    stream: &'a TcpStream,
    until: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut s = self.stream;
        s.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Request, u16> {
        read_request(&mut std::io::Cursor::new(raw.to_vec())).map_err(|r| r.status)
    }

    #[test]
    fn reads_a_request_with_its_body_and_query() {
        let r = parse(b"POST /api/events?key=ab HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/api/events");
        assert_eq!(r.query["key"], "ab");
        assert_eq!(r.body, b"{}");
    }

    #[test]
    fn refuses_what_breaks_the_limits() {
        assert_eq!(parse(b"GARBAGE\r\n\r\n"), Err(400));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nX: y"), Err(400));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(parse(big.as_bytes()), Err(431));
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(parse(huge.as_bytes()), Err(413));
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(501)
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(400)
        );
    }
}
