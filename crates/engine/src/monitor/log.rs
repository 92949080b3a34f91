//! The container's log: Docker's json-file format, one entry per line, rotated at
//! [`LOG_MAX_BYTES`].

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use crate::time::rfc3339_now;

/// Largest log file before it is rotated (one previous file is kept).
pub const LOG_MAX_BYTES: u64 = 16 << 20;

/// The container's `log.jsonl`, appended to; its size counted for the rotation.
pub(super) struct LogWriter {
    path: PathBuf,
    file: Option<File>,
    size: u64,
}

impl LogWriter {
    pub(super) fn open(path: PathBuf) -> LogWriter {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .ok();
        let size = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len())
            .unwrap_or(0);
        LogWriter { path, file, size }
    }

    /// One entry per line, as Docker's json-file driver writes them (`logs --tail` counts
    /// entries); a trailing piece without a newline is an entry of its own.
    pub(super) fn write(&mut self, stream: &str, data: &[u8]) {
        for piece in data.split_inclusive(|b| *b == b'\n') {
            self.write_entry(stream, piece);
        }
    }

    fn write_entry(&mut self, stream: &str, data: &[u8]) {
        let line = serde_json::json!({
            "log": String::from_utf8_lossy(data),
            "stream": stream,
            "time": rfc3339_now(),
        });
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        if self.size + bytes.len() as u64 > LOG_MAX_BYTES {
            // Rotate: keep one previous file, so a chatty container cannot fill the disk.
            let old = self.path.with_extension("jsonl.1");
            let _ = fs::rename(&self.path, old);
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
            self.size = 0;
        }
        if let Some(f) = self.file.as_mut()
            && f.write_all(&bytes).is_ok()
        {
            self.size += bytes.len() as u64;
        }
    }
}
