//! The attach protocol between a client (CLI) and a container's monitor, over
//! an abstract unix socket named after the store and container (see `address`): frames of `[kind u8][len u32 BE][payload]`.

use std::io::{self, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

use sha2::{Digest, Sha256};

/// The monitor's socket address: an abstract name (no path-length limit, nothing left on disk
/// when the monitor dies), unique per store and container. Containers cannot reach it: they
/// live in their own network namespaces. The monitor only serves its own user (SO_PEERCRED).
pub fn address(store_root: &std::path::Path, id: &str) -> io::Result<SocketAddr> {
    let h = Sha256::digest(store_root.as_os_str().as_encoded_bytes());
    let name = format!("gorae/{}/{}", hex::encode(&h[..8]), id);
    SocketAddr::from_abstract_name(name.as_bytes())
}

pub fn listen(store_root: &std::path::Path, id: &str) -> io::Result<UnixListener> {
    UnixListener::bind_addr(&address(store_root, id)?)
}

pub fn connect(store_root: &std::path::Path, id: &str) -> io::Result<UnixStream> {
    let stream = UnixStream::connect_addr(&address(store_root, id)?)?;
    // Anyone may bind an abstract name (a container's between two of its runs, say): what
    // is typed into an attached container goes only to a monitor of ours.
    if !peer_allowed(&stream) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the container's attach socket is another user's",
        ));
    }
    Ok(stream)
}

/// The uid of the process at the other end of a unix socket.
pub fn peer_uid(stream: &UnixStream) -> Option<u32> {
    use std::os::fd::AsRawFd;
    crate::runtime::sys::peer_uid(stream.as_raw_fd())
}

/// Whether the other end may be trusted as ours: the same user, or root (a client of a
/// monitor, a monitor or holder to its client).
pub fn peer_allowed(stream: &UnixStream) -> bool {
    let me = crate::runtime::sys::geteuid();
    peer_uid(stream).is_some_and(|u| u == me || u == 0)
}

/// client → monitor: bytes for the container's stdin
pub const STDIN: u8 = 0;
/// client → monitor: rows u16 BE, cols u16 BE
pub const RESIZE: u8 = 1;
/// client → monitor: no more stdin (close the container's stdin)
pub const STDIN_EOF: u8 = 2;
/// client → monitor: start the container now (for monitors waiting for their first client)
pub const START: u8 = 3;
/// monitor → client: output
pub const STDOUT: u8 = 10;
pub const STDERR: u8 = 11;
/// monitor → client: the container exited, i32 BE code
pub const EXIT: u8 = 12;
/// monitor → client: the container could not start: i32 BE code then UTF-8 message
pub const ERROR: u8 = 13;
/// monitor → client: the container's process is running
pub const STARTED: u8 = 14;
/// monitor → client, before EXIT when the monitor was started with a trace: its spans as JSON
/// (`trace::Span`s)
pub const TRACE: u8 = 15;

pub fn encode(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(5 + payload.len());
    v.push(kind);
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn write_frame(w: &mut dyn Write, kind: u8, payload: &[u8]) -> io::Result<()> {
    w.write_all(&encode(kind, payload))
}

/// Largest frame accepted (a client cannot make the monitor allocate without bound).
const MAX_FRAME: usize = 1 << 20;

pub fn read_frame(r: &mut dyn Read) -> io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    r.read_exact(&mut head)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok((head[0], payload))
}

/// A frame larger than the protocol allows: the peer is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct Oversized;

/// Incremental decoder for a non-blocking reader.
#[derive(Default)]
pub struct FrameBuffer {
    buf: Vec<u8>,
}

impl FrameBuffer {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }
    /// The next whole frame, if any; Err when a frame is oversized (drop the client).
    pub fn next_frame(&mut self) -> Result<Option<(u8, Vec<u8>)>, Oversized> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len > MAX_FRAME {
            return Err(Oversized);
        }
        if self.buf.len() < 5 + len {
            return Ok(None);
        }
        let kind = self.buf[0];
        let payload = self.buf[5..5 + len].to_vec();
        self.buf.drain(..5 + len);
        Ok(Some((kind, payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_pieces() {
        let mut fb = FrameBuffer::default();
        let mut data = encode(STDOUT, b"hello");
        data.extend(encode(EXIT, &3i32.to_be_bytes()));
        for b in &data {
            fb.push(&[*b]);
        }
        assert_eq!(fb.next_frame(), Ok(Some((STDOUT, b"hello".to_vec()))));
        assert_eq!(
            fb.next_frame(),
            Ok(Some((EXIT, 3i32.to_be_bytes().to_vec())))
        );
        assert_eq!(fb.next_frame(), Ok(None));
    }
}
