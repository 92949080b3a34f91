//! `docker stats`: Docker's live table of CPU, memory, network, block I/O and pids per
//! container (redrawn in place twice a second, as Docker's CLI does), `--no-stream` for one
//! table, `--format`, `-a`, `--no-trunc`. The counters come from `engine::stats`.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::format::{Listing, Scope, human_size};
use super::{CmdResult, Failure};
use crate::engine::container::Container;
use crate::engine::stats::{self, Counters};
use crate::engine::{EngineError, Store};
use crate::i18n::t;

/// Docker's defaultStatsTableFormat.
const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const GO_TYPE: &str = "*container.statsContext";
/// Between the two samples a CPU share needs, and between redraws (Docker's ticker).
const INTERVAL: Duration = Duration::from_millis(500);

pub struct StatsOptions<'a> {
    pub all: bool,
    pub no_stream: bool,
    pub no_trunc: bool,
    pub format: Option<&'a str>,
    pub containers: &'a [String],
}

/// go-units' BytesSize: binary units, `%.4g` ("1.953MiB", "1GiB").
fn bytes_size(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    let digits = if v >= 1000.0 {
        0
    } else if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", UNITS[i])
}

fn percent(v: f64) -> String {
    format!("{v:.2}%")
}

fn row(asked: &str, c: &Container, before: &Counters, now: &Counters, trunc: bool) -> Value {
    let id = if trunc { c.short_id() } else { c.id.clone() };
    json!({
        "BlockIO": format!("{} / {}", human_size(now.blk_read), human_size(now.blk_write)),
        "CPUPerc": percent(stats::cpu_percent(before, now)),
        "Container": asked,
        "ID": id,
        "MemPerc": percent(stats::mem_percent(now)),
        "MemUsage": format!("{} / {}", bytes_size(now.mem_usage), bytes_size(now.mem_limit)),
        "Name": c.name,
        "NetIO": format!("{} / {}", human_size(now.net_rx), human_size(now.net_tx)),
        "PIDs": now.pids.to_string(),
    })
}

fn headers() -> Value {
    json!({
        "BlockIO": "BLOCK I/O",
        "CPUPerc": "CPU %",
        "Container": "CONTAINER",
        "ID": "CONTAINER ID",
        "MemPerc": "MEM %",
        "MemUsage": "MEM USAGE / LIMIT",
        "Name": "NAME",
        "NetIO": "NET I/O",
        "PIDs": "PIDS",
    })
}

/// The containers to show, each with the word the user named it by (Docker's .Container).
fn select(store: &Store, o: &StatsOptions) -> Result<Vec<(String, Container)>, EngineError> {
    if o.containers.is_empty() {
        return Ok(store
            .containers()?
            .into_iter()
            .filter(|c| o.all || c.is_running())
            .map(|c| (c.short_id(), c))
            .collect());
    }
    o.containers
        .iter()
        .map(|n| store.resolve_container(n).map(|c| (n.clone(), c)))
        .collect()
}

fn render(listing: &Listing, rows: &[(Value, Scope)]) -> Result<String, Failure> {
    let Listing::Custom { template, table } = listing else {
        return Ok(String::new());
    };
    Listing::render(template, *table, rows, &headers())
        .map_err(|e| Failure::new(t("listing.template-error", &[("detail", &e.0)]), 1))
}

pub fn stats(store: &Store, o: StatsOptions) -> CmdResult {
    let format = match o.format.filter(|f| !f.is_empty() && *f != "table") {
        Some(f) => f,
        None => DEFAULT_FORMAT,
    };
    let listing = Listing::parse(Some(format))
        .map_err(|e| Failure::new(t("listing.template-parse", &[("detail", &e.0)]), 1))?;
    let scope = Scope::Struct {
        go_type: GO_TYPE,
        labels: None,
    };
    // Named containers that do not exist fail before anything is drawn, as Docker's do.
    let mut picked = select(store, &o)?;
    let mut before: Vec<Counters> = picked.iter().map(|(_, c)| stats::counters(c)).collect();
    loop {
        std::thread::sleep(INTERVAL);
        let now: Vec<Counters> = picked
            .iter()
            .map(|(_, c)| {
                let fresh = store.load_container(&c.id).unwrap_or_else(|_| c.clone());
                stats::counters(&fresh)
            })
            .collect();
        let rows: Vec<(Value, Scope)> = picked
            .iter()
            .zip(before.iter().zip(&now))
            .map(|((asked, c), (b, n))| (row(asked, c, b, n, !o.no_trunc), scope))
            .collect();
        let text = render(&listing, &rows)?;
        let mut out = std::io::stdout().lock();
        if o.no_stream {
            let _ = out.write_all(text.as_bytes());
            return Ok(0);
        }
        // Docker's frame: home, each line erased to its end, the rest of the screen erased.
        let mut frame = String::from("\x1b[H");
        for line in text.split('\n') {
            frame.push_str(line);
            frame.push_str("\x1b[K\n");
        }
        frame.push_str("\x1b[J");
        if out
            .write_all(frame.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return Ok(0);
        }
        drop(out);
        // Containers come and go while we watch (Docker follows events for this).
        if o.containers.is_empty() {
            let next = select(store, &o)?;
            before = next
                .iter()
                .map(|(_, c)| {
                    picked
                        .iter()
                        .position(|(_, p)| p.id == c.id)
                        .map_or_else(|| stats::counters(c), |i| now[i])
                })
                .collect();
            picked = next;
        } else {
            before = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_go_units_bytes_size() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1 << 30), "1GiB");
        assert_eq!(bytes_size(2_048_000), "1.953MiB");
        assert_eq!(bytes_size(512 * 1024), "512KiB");
        assert_eq!(bytes_size(1023), "1023B");
    }
}
