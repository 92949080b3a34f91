//! `docker logs`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use super::CmdResult;
use crate::engine::Store;

pub fn logs(
    store: &Store,
    name: &str,
    follow: bool,
    tail: Option<&str>,
    timestamps: bool,
) -> CmdResult {
    let c = store.resolve_container(name)?;
    let lines = store.read_logs(&c.id);
    // Docker's daemon reads `--tail` with Go's Atoi: anything else, or a negative number, is
    // every line.
    let skip = match tail.and_then(|n| n.parse::<i64>().ok()) {
        Some(n) if n >= 0 => count_skip(&lines, usize::try_from(n).unwrap_or(usize::MAX)),
        _ => 0,
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    for l in &lines[skip..] {
        print_log(&mut out, &mut err, l, timestamps);
    }
    if !follow {
        return Ok(0);
    }
    // Follow: read what is appended until the container stops, or Ctrl-C. Ctrl-C ends the
    // command normally (exit 130, as a shell reports it) so its `command` event is still
    // written: the learner did look at the logs.
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(libc::SIGINT, std::sync::Arc::clone(&interrupted));
    let path = store.container_dir(&c.id).join("log.jsonl");
    let mut offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut pending = String::new();
    loop {
        let running = store
            .load_container(&c.id)
            .map(|c| c.is_running())
            .unwrap_or(false);
        if let Ok(mut f) = std::fs::File::open(&path) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len < offset {
                offset = 0; // rotated
            }
            if len > offset && f.seek(SeekFrom::Start(offset)).is_ok() {
                let mut buf = String::new();
                if f.read_to_string(&mut buf).is_ok() {
                    offset = len;
                    pending.push_str(&buf);
                    while let Some(i) = pending.find('\n') {
                        let line: String = pending.drain(..=i).collect();
                        if let Ok(l) = serde_json::from_str(line.trim_end()) {
                            print_log(&mut out, &mut err, &l, timestamps);
                        }
                    }
                }
            }
        }
        if !running {
            return Ok(0);
        }
        if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = out.flush();
            return Ok(130);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How many log entries to skip so that the last `n` lines are printed (one entry per line).
fn count_skip(lines: &[crate::engine::container::LogLine], n: usize) -> usize {
    lines.len().saturating_sub(n)
}

fn print_log(
    out: &mut dyn Write,
    err: &mut dyn Write,
    l: &crate::engine::container::LogLine,
    timestamps: bool,
) {
    let w: &mut dyn Write = if l.stream == "stderr" { err } else { out };
    if timestamps {
        let _ = write!(w, "{} ", l.time);
    }
    let _ = w.write_all(l.log.as_bytes());
    let _ = w.flush();
}
