//! `GORAE_TRACE_START=1`: where a `run`'s time went. The CLI's own phases, the monitor's and the
//! container init's (`engine::trace`, sent by the monitor before the exit code) are printed to
//! stderr when the command ends: phase, when it began and how long it took, in µs from the
//! CLI's `main`. A diagnostic for benches/engine.rs's notes, not a Docker feature.

use std::sync::Mutex;

use crate::engine::trace::{Phase, Span, Trace};

static TRACE: Mutex<Option<Trace>> = Mutex::new(None);

/// Start the clock if the variable asks for a trace (called first thing in `cli::main`).
pub fn begin() {
    if std::env::var_os("GORAE_TRACE_START").is_some_and(|v| !v.is_empty() && v != "0") {
        set(Some(Trace::since(crate::engine::trace::now())));
    }
}

fn set(t: Option<Trace>) {
    if let Ok(mut g) = TRACE.lock() {
        *g = t;
    }
}

fn with(f: impl FnOnce(&mut Trace)) {
    if let Ok(mut g) = TRACE.lock()
        && let Some(t) = g.as_mut()
    {
        f(t);
    }
}

/// Whether a trace is being taken (the monitor is then asked for its spans).
pub fn on() -> bool {
    TRACE.lock().is_ok_and(|g| g.is_some())
}

/// End `phase` now.
pub fn lap(phase: Phase) {
    with(|t| t.lap(phase));
}

/// The monitor's spans (a `TRACE` frame's payload).
pub fn absorb(payload: &[u8]) {
    let spans = Trace::decode(payload);
    with(|t| t.absorb(&spans));
}

/// End the trace and print it, if one was taken.
pub fn finish() {
    with(|t| t.lap(Phase::CliExit));
    let Some(t) = TRACE.lock().ok().and_then(|mut g| g.take()) else {
        return;
    };
    eprint!("{}", table(&t.spans));
}

fn table(spans: &[Span]) -> String {
    let Some(origin) = spans.iter().map(|s| s.start).min() else {
        return String::new();
    };
    let end = spans.iter().map(|s| s.end).max().unwrap_or(origin);
    let us = |ns: u64| ns / 1000;
    let mut out = format!("{:<16} {:>8} {:>8}\n", "PHASE", "AT µs", "TOOK µs");
    for s in spans {
        out.push_str(&format!(
            "{:<16} {:>8} {:>8}\n",
            s.phase.name(),
            us(s.start - origin),
            us(s.end.saturating_sub(s.start))
        ));
    }
    out.push_str(&format!(
        "{:<16} {:>8} {:>8}\n",
        "total",
        0,
        us(end - origin)
    ));
    out
}
