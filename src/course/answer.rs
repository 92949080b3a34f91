//! What a server a learner started answers: an HTTP GET on the host's loopback, as the
//! learner's `curl localhost:8080` would make it (no proxy from the environment, no redirects
//! followed, a short deadline so a check never hangs the judge).

use std::time::Duration;

/// A server's answer: its status and (the first MiB of) its body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: String,
}

impl HttpAnswer {
    /// A 2xx answer whose body holds `text` (when given).
    pub fn satisfies(&self, contains: Option<&str>) -> bool {
        (200..300).contains(&self.status) && contains.is_none_or(|t| self.body.contains(t))
    }
}

/// An agent for [`get`]; reuse one to keep the connection between polls.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_millis(1500)))
        .user_agent("gorae")
        .build()
        .into()
}

/// `GET http://127.0.0.1:{port}{path}`; None when nothing answers in time.
pub fn get(agent: &ureq::Agent, port: u16, path: &str) -> Option<HttpAnswer> {
    let mut resp = agent
        .get(format!("http://127.0.0.1:{port}{path}"))
        .call()
        .ok()?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .ok()?;
    Some(HttpAnswer {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot HTTP server on a free loopback port answering `reply`.
    fn serve(reply: &'static str) -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(reply.as_bytes());
            }
        });
        port
    }

    #[test]
    fn a_server_answering_is_read_with_status_and_body() {
        let port = serve(
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nhello, gorae\n",
        );
        let a = get(&agent(), port, "/").expect("an answer");
        assert_eq!(a.status, 200);
        assert!(a.satisfies(Some("hello, gorae")));
        assert!(!a.satisfies(Some("bye")));
    }

    #[test]
    fn an_error_status_does_not_satisfy_and_nothing_listening_is_none() {
        let port = serve(
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nConnection: close\r\n\r\nforbidden",
        );
        let a = get(&agent(), port, "/").expect("an answer");
        assert_eq!(a.status, 403);
        assert!(!a.satisfies(None));
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        // Bound and dropped: nothing listens there now.
        assert_eq!(get(&agent(), free, "/"), None);
    }
}
