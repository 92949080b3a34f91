//! The event feed: `<root>/events.jsonl`, one JSON object per line, appended with O_APPEND so
//! concurrent writers never interleave. The TUI, the course checks and `docker events` follow it.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the epoch.
    pub time: u64,
    /// `image`, `container` or `command`.
    #[serde(rename = "type")]
    pub kind: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
}

impl Event {
    pub fn new(kind: &str, action: &str) -> Event {
        Event {
            time: super::now_millis(),
            kind: kind.into(),
            action: action.into(),
            id: String::new(),
            name: String::new(),
            image: String::new(),
            attrs: BTreeMap::new(),
        }
    }

    pub fn id(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    pub fn image(mut self, image: &str) -> Self {
        self.image = image.into();
        self
    }
    pub fn attr(mut self, k: &str, v: impl Into<String>) -> Self {
        self.attrs.insert(k.into(), v.into());
        self
    }

    /// For `command` events: the argv after `docker`.
    pub fn args(&self) -> Vec<String> {
        self.attrs
            .get("args")
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_default()
    }
}

/// Append one event. Failing to log an event never fails the command that caused it.
pub fn append(path: &Path, ev: &Event) {
    let Ok(mut line) = serde_json::to_vec(ev) else {
        return;
    };
    line.push(b'\n');
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(&line);
    }
}

/// Read events from byte offset `from`; returns them and the offset after the last whole line.
pub fn read_from(path: &Path, from: u64) -> (Vec<Event>, u64) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return (Vec::new(), from);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    // The file was truncated or replaced: start over.
    let from = if from > len { 0 } else { from };
    if f.seek(SeekFrom::Start(from)).is_err() {
        return (Vec::new(), from);
    }
    let mut reader = BufReader::new(f);
    let mut out = Vec::new();
    let mut pos = from;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(n) => {
                if !line.ends_with('\n') {
                    break; // a line still being written
                }
                pos += n as u64;
                if let Ok(ev) = serde_json::from_str::<Event>(line.trim_end()) {
                    out.push(ev);
                }
            }
            Err(_) => break,
        }
    }
    (out, pos)
}
