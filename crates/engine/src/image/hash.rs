//! Digests: sha256 of bytes and of streams, checking a blob against its descriptor.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::oci::Descriptor;
use crate::{EngineError, Result};

/// The 12 hex digits Docker shows for an ID or digest ("sha256:" dropped).
pub fn short_hex(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A writer that hashes what passes through it and counts the bytes.
pub struct HashWriter<W> {
    pub inner: W,
    pub hasher: Sha256,
    pub count: u64,
}

impl<W: Write> HashWriter<W> {
    pub fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.count)
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what is read through it.
pub struct HashReader<R> {
    pub inner: R,
    pub hasher: Sha256,
    pub count: u64,
}

impl<R: Read> HashReader<R> {
    pub fn new(inner: R) -> Self {
        HashReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.count)
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

pub fn verify_bytes(data: &[u8], d: &Descriptor) -> Result<()> {
    let actual = format!("sha256:{}", sha256_hex(data));
    if actual != d.digest {
        return Err(EngineError::DigestMismatch {
            what: d.digest.clone(),
            expected: d.digest.clone(),
            actual,
        });
    }
    if d.size != data.len() as u64 {
        return Err(EngineError::DigestMismatch {
            what: format!("{} (size)", d.digest),
            expected: d.size.to_string(),
            actual: data.len().to_string(),
        });
    }
    Ok(())
}
