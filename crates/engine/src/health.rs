//! Container health checks as Docker's daemon runs them (moby's daemon/health.go): the
//! configuration (an image's `Healthcheck`, `run --health-*`, Compose's `healthcheck:`), the
//! state kept in the record (`.State.Health`), the schedule and state machine (pure, below),
//! and the checker: `gorae __health <id>`, started by the container's monitor once the
//! container runs. It is single-threaded, so it may fork each probe into the container
//! (`exec::Exec`); it sleeps in poll(2) on the container's pidfd between probes and exits with
//! the container.

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::container::{Container, RunState};
use super::exec::{Exec, ExecIo};
use super::runtime::sys;
use super::time::{parse_time_millis, rfc3339_now};
use super::{Action, Event, Store};

pub const STARTING: &str = "starting";
pub const HEALTHY: &str = "healthy";
pub const UNHEALTHY: &str = "unhealthy";

/// Docker's defaults for what a HEALTHCHECK leaves unset.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: u32 = 3;
/// Results kept in `.State.Health.Log`, and the longest output kept of each.
const MAX_LOG_ENTRIES: usize = 5;
const MAX_OUTPUT_LEN: usize = 4096;
/// Docker's floor for every duration that is set (`container.MinimumDuration`).
pub const MINIMUM_NANOS: i64 = 1_000_000;

/// Docker's `HealthConfig`, field for field (durations in nanoseconds, 0: the default), as
/// images carry it in `config.Healthcheck` and `inspect` shows it in `.Config.Healthcheck`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct HealthConfig {
    /// `[]`: inherit; `["NONE"]`: none; `["CMD", argv…]`; `["CMD-SHELL", command]`.
    #[serde(rename = "Test", default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    #[serde(rename = "Interval", default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    #[serde(rename = "Timeout", default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    #[serde(rename = "StartPeriod", default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    #[serde(rename = "StartInterval", default, skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    #[serde(rename = "Retries", default, skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Which of a HealthConfig's values the daemon refuses (moby's validateHealthCheck).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Interval,
    Timeout,
    StartPeriod,
    StartInterval,
    Retries,
}

impl HealthConfig {
    /// What a container gets: its own values, the image's where its own are unset (Docker's
    /// merge at create).
    pub fn merged(
        own: Option<&HealthConfig>,
        image: Option<&HealthConfig>,
    ) -> Option<HealthConfig> {
        let Some(image) = image else {
            return own.cloned();
        };
        let Some(own) = own else {
            return Some(image.clone());
        };
        let pick = |a: i64, b: i64| if a == 0 { b } else { a };
        Some(HealthConfig {
            test: if own.test.is_empty() {
                image.test.clone()
            } else {
                own.test.clone()
            },
            interval: pick(own.interval, image.interval),
            timeout: pick(own.timeout, image.timeout),
            start_period: pick(own.start_period, image.start_period),
            start_interval: pick(own.start_interval, image.start_interval),
            retries: pick(own.retries, image.retries),
        })
    }

    /// The first value the daemon would refuse: a set duration under 1ms, negative retries.
    pub fn invalid(&self) -> Option<Invalid> {
        let short = |d: i64| d != 0 && d < MINIMUM_NANOS;
        if short(self.interval) {
            Some(Invalid::Interval)
        } else if short(self.timeout) {
            Some(Invalid::Timeout)
        } else if self.retries < 0 {
            Some(Invalid::Retries)
        } else if short(self.start_period) {
            Some(Invalid::StartPeriod)
        } else if short(self.start_interval) {
            Some(Invalid::StartInterval)
        } else {
            None
        }
    }

    /// The command a probe runs, None when there is no check (`NONE`, nothing, an unknown kind).
    pub fn probe_argv(&self) -> Option<Vec<String>> {
        match self.test.first().map(String::as_str) {
            Some("CMD") if self.test.len() > 1 => Some(self.test[1..].to_vec()),
            Some("CMD-SHELL") if self.test.len() > 1 => Some(vec![
                "/bin/sh".into(),
                "-c".into(),
                self.test[1..].join(" "),
            ]),
            _ => None,
        }
    }

    /// Docker's `HEALTHCHECK %q` history text: `&{["CMD-SHELL" "…"] "30s" "0s" "0s" "0s" '\x03'}`.
    pub fn history_text(&self) -> String {
        let test: Vec<String> = self.test.iter().map(|t| go_quote(t)).collect();
        let d = |n: i64| format!("\"{}\"", go_duration(n));
        format!(
            "&{{[{}] {} {} {} {} {}}}",
            test.join(" "),
            d(self.interval),
            d(self.timeout),
            d(self.start_period),
            d(self.start_interval),
            go_quote_rune(self.retries)
        )
    }
}

/// `.State.Health`, as Docker's inspect shows it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Health {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "FailingStreak")]
    pub failing_streak: u32,
    #[serde(rename = "Log")]
    pub log: Vec<ProbeResult>,
}

/// One probe's result (Docker's HealthcheckResult).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ProbeResult {
    #[serde(rename = "Start")]
    pub start: String,
    #[serde(rename = "End")]
    pub end: String,
    /// 0 healthy, anything else a failure; -1 when the probe did not finish (timeout).
    #[serde(rename = "ExitCode")]
    pub exit_code: i32,
    #[serde(rename = "Output")]
    pub output: String,
}

/// A check's timing with Docker's defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Duration,
    pub timeout: Duration,
    pub start_period: Duration,
    pub start_interval: Duration,
    pub retries: u32,
}

impl Schedule {
    pub fn of(cfg: &HealthConfig) -> Schedule {
        let dur = |n: i64, default: Duration| {
            if n > 0 {
                Duration::from_nanos(n as u64)
            } else {
                default
            }
        };
        Schedule {
            interval: dur(cfg.interval, DEFAULT_INTERVAL),
            timeout: dur(cfg.timeout, DEFAULT_TIMEOUT),
            start_period: dur(cfg.start_period, Duration::ZERO),
            start_interval: dur(cfg.start_interval, DEFAULT_START_INTERVAL),
            retries: if cfg.retries > 0 {
                cfg.retries as u32
            } else {
                DEFAULT_RETRIES
            },
        }
    }

    /// How long to wait before the next probe, `since_start` after the container started:
    /// the start interval while in the start period and still starting, else the interval.
    pub fn next_delay(&self, since_start: Duration, status: &str) -> Duration {
        if since_start < self.start_period && status == STARTING {
            self.start_interval
        } else {
            self.interval
        }
    }

    /// Take a probe's result into `h` (begun `since_start` after the container started).
    /// Returns the new status when it changed (Docker then emits `health_status: <status>`).
    pub fn record(
        &self,
        h: &mut Health,
        result: ProbeResult,
        since_start: Duration,
    ) -> Option<&'static str> {
        let old = h.status.clone();
        if h.log.len() >= MAX_LOG_ENTRIES {
            h.log.drain(..=h.log.len() - MAX_LOG_ENTRIES);
        }
        let healthy = result.exit_code == 0;
        h.log.push(result);
        if healthy {
            h.failing_streak = 0;
            h.status = HEALTHY.into();
        } else if !(h.status == STARTING && since_start < self.start_period) {
            // Failures in the start period count only once a probe has passed.
            h.failing_streak += 1;
            if h.failing_streak >= self.retries {
                h.status = UNHEALTHY.into();
            }
        }
        (h.status != old).then(|| status_name(&h.status))
    }
}

fn status_name(s: &str) -> &'static str {
    match s {
        HEALTHY => HEALTHY,
        UNHEALTHY => UNHEALTHY,
        _ => STARTING,
    }
}

/// The record at the container's start: `starting` when it has a check (the log is kept
/// across restarts, as Docker keeps it).
pub fn on_start(c: &mut Container) {
    if probe_of(c).is_some() {
        let h = c.state.health.get_or_insert_with(Health::default);
        h.status = STARTING.into();
        h.failing_streak = 0;
    } else {
        c.state.health = None;
    }
}

/// The record once the container stopped: Docker reports a check no longer running as
/// `unhealthy` ("for compatibility reasons").
pub fn on_stop(state: &mut RunState) {
    if let Some(h) = state.health.as_mut() {
        h.status = UNHEALTHY.into();
    }
}

/// What `ps --filter health=` matches: the status (kept after a stop, as Docker keeps it),
/// or `none` for a container without a check.
pub fn status_of(c: &Container) -> &str {
    c.state
        .health
        .as_ref()
        .map_or("none", |h| h.status.as_str())
}

fn probe_of(c: &Container) -> Option<(Schedule, Vec<String>)> {
    let cfg = c.config.healthcheck.as_ref()?;
    Some((Schedule::of(cfg), cfg.probe_argv()?))
}

/// Start the checker for a container that just started (None when it has no check). The
/// monitor keeps the guard while the container runs; dropping it ends the checker.
pub fn spawn(c: &Container) -> Option<Checker> {
    probe_of(c)?;
    let child = super::helper::Helper::Health
        .command()
        .arg(&c.id)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some(Checker(child))
}

/// The running checker process.
pub struct Checker(std::process::Child);

impl Drop for Checker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Store {
    /// Wait until the running container's check decides: Some(true) healthy, Some(false)
    /// unhealthy or stopped, None when it has no check. Sleeps on the event feed between looks
    /// (each change of status and each stop is an event).
    pub fn wait_health(&self, id: &str) -> super::Result<Option<bool>> {
        let mut feed = super::events::Follower::from_end(&self.events_path());
        loop {
            let c = self.load_container(id)?;
            let Some(h) = c.state.health.as_ref() else {
                return Ok(None);
            };
            if !c.is_running() || h.status == UNHEALTHY {
                return Ok(Some(false));
            }
            if h.status == HEALTHY {
                return Ok(Some(true));
            }
            feed.wait();
        }
    }
}

/// Entry point of `gorae __health <id>`. Returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    // With the monitor goes its container, and so do we.
    sys::die_with_parent();
    let Some(id) = args.first() else {
        return 2;
    };
    let Ok(store) = Store::open_default() else {
        return 1;
    };
    let Ok(c) = store.load_container(id) else {
        return 1;
    };
    let Some((schedule, argv)) = probe_of(&c) else {
        return 0;
    };
    if !c.is_running() {
        return 0;
    }
    let pid = c.state.pid;
    let pidfd = sys::pidfd_open(pid);
    if pidfd < 0 {
        return 1;
    }
    let started = parse_time_millis(&c.state.started_at);
    let since_start = || Duration::from_millis(super::now_millis().saturating_sub(started));
    let mut status = STARTING.to_string();
    loop {
        let delay = schedule.next_delay(since_start(), &status);
        if container_ended(pidfd, delay) {
            return 0;
        }
        let Ok(now) = store.load_container(id) else {
            return 0;
        };
        if now.state.pid != pid || !now.is_running() {
            return 0;
        }
        if now.state.paused {
            continue;
        }
        let begun = since_start();
        let result = probe(&now, &argv, schedule.timeout);
        let mut changed = None;
        let updated = store.update_container(id, |c| {
            // Only into the record of the run we check (it may have ended meanwhile).
            if c.state.pid == pid
                && c.is_running()
                && let Some(h) = c.state.health.as_mut()
            {
                changed = schedule.record(h, result, begun);
                status = h.status.clone();
            }
        });
        if let (Ok(c), Some(s)) = (updated, changed) {
            let action = if s == HEALTHY {
                Action::HealthHealthy
            } else {
                Action::HealthUnhealthy
            };
            store.emit(Event::container(action, &c));
        }
    }
}

/// Sleep `delay` unless the container's init exits first (then true).
fn container_ended(pidfd: RawFd, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut fds = [sys::pollfd(pidfd, libc::POLLIN)];
        let ms = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
        match sys::poll(&mut fds, ms) {
            Ok(_) if fds[0].revents != 0 => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Run one probe in the container: its output (stdout and stderr together, the first 4096
/// bytes) and exit code, or -1 and Docker's message when it outlives the timeout.
fn probe(c: &Container, argv: &[String], timeout: Duration) -> ProbeResult {
    let start = rfc3339_now();
    let request = Exec {
        pid: c.state.pid,
        argv: argv.to_vec(),
        env: c.config.env.clone(),
        workdir: c.config.workdir.clone(),
        user: c.config.user.clone(),
        allow_mknod: false,
    };
    let report = |failure: &super::runtime::InitFailure| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{failure}");
    };
    let spawned = match request.spawn(ExecIo::Pipes { stdin: false }, &report) {
        Ok(s) => s,
        Err(e) => {
            return ProbeResult {
                start,
                end: rfc3339_now(),
                exit_code: -1,
                output: e.to_string(),
            };
        }
    };
    let fds: Vec<RawFd> = [spawned.stdout, spawned.stderr]
        .into_iter()
        .flatten()
        .collect();
    let (output, finished) = collect_output(&fds, Instant::now() + timeout);
    for fd in fds {
        sys::close(fd);
    }
    let exit_code = if finished {
        sys::wait_child(spawned.pid, false).unwrap_or(-1)
    } else {
        // Kill the probe itself while the process we forked is still its parent, so that one
        // reaps it (orphaned, it would stay a zombie under an init that does not reap); killing
        // ours is the fallback (the probe has it as its parent-death signal).
        let pid = spawned.pid;
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        let mut killed = false;
        for child in children.split_whitespace().filter_map(|p| p.parse().ok()) {
            killed |= sys::kill(child, libc::SIGKILL);
        }
        if !killed {
            sys::kill(pid, libc::SIGKILL);
        }
        sys::wait_child(pid, false);
        -1
    };
    let output = if finished {
        output
    } else {
        format!(
            "Health check exceeded timeout ({})",
            go_duration(timeout.as_nanos() as i64)
        )
    };
    ProbeResult {
        start,
        end: rfc3339_now(),
        exit_code,
        output,
    }
}

/// Read `fds` until both close (true) or the deadline passes (false).
fn collect_output(fds: &[RawFd], deadline: Instant) -> (String, bool) {
    let mut out = Vec::new();
    let mut open: Vec<RawFd> = fds.to_vec();
    let mut buf = [0u8; 4096];
    while !open.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (String::from_utf8_lossy(&out).into_owned(), false);
        }
        let mut pfds: Vec<libc::pollfd> = open
            .iter()
            .map(|fd| sys::pollfd(*fd, libc::POLLIN))
            .collect();
        let ms = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
        match sys::poll(&mut pfds, ms) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        let mut closed = Vec::new();
        for (i, p) in pfds.iter().enumerate() {
            if p.revents == 0 {
                continue;
            }
            match sys::read(open[i], &mut buf) {
                Ok(0) | Err(_) => closed.push(i),
                Ok(n) => {
                    let room = MAX_OUTPUT_LEN.saturating_sub(out.len());
                    out.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        for i in closed.into_iter().rev() {
            open.remove(i);
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), true)
}

/// Go's `time.ParseDuration`, in nanoseconds; the error is Go's text.
pub fn parse_go_duration(s: &str) -> Result<i64, String> {
    let quoted = go_quote(s);
    let invalid = || format!("time: invalid duration {quoted}");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..n];
        if number.is_empty() || number == "." {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..u];
        let nanos = match unit {
            "" => return Err(format!("time: missing unit in duration {quoted}")),
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {quoted}",
                    go_quote(unit)
                ));
            }
        };
        total += value * nanos;
        rest = &rest[u..];
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    let total = total.round() as i64;
    Ok(if neg { -total } else { total })
}

/// Go's `time.Duration.String`: `0s`, `200ms`, `1.5s`, `5m0s`, `1h0m0s`.
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    let frac = |v: u64, unit: u64| {
        let whole = v / unit;
        let rem = v % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let width = unit.ilog10() as usize;
        let digits = format!("{rem:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", frac(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", frac(u, 1_000_000));
    }
    let (h, m) = (u / 3_600_000_000_000, u / 60_000_000_000 % 60);
    let s = frac(u % 60_000_000_000, 1_000_000_000);
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s);
    out.push('s');
    out
}

/// Go's `%q` of a string (as JSON writes it, near enough for history text and errors).
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Go's `%q` of an integer: a quoted rune (`'\x03'`).
fn go_quote_rune(n: i64) -> String {
    let esc = match n {
        7 => "\\a".to_string(),
        8 => "\\b".to_string(),
        9 => "\\t".to_string(),
        10 => "\\n".to_string(),
        11 => "\\v".to_string(),
        12 => "\\f".to_string(),
        13 => "\\r".to_string(),
        39 => "\\'".to_string(),
        92 => "\\\\".to_string(),
        0..=31 | 127 => format!("\\x{n:02x}"),
        _ => char::from_u32(n as u32).map_or_else(|| format!("\\x{n:02x}"), String::from),
    };
    format!("'{esc}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(test: &[&str]) -> HealthConfig {
        HealthConfig {
            test: test.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn result(code: i32) -> ProbeResult {
        ProbeResult {
            exit_code: code,
            ..Default::default()
        }
    }

    fn starting() -> Health {
        Health {
            status: STARTING.into(),
            ..Default::default()
        }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_passing_probe_makes_it_healthy_and_says_so_once() {
        let s = Schedule::of(&cfg(&["CMD", "true"]));
        let mut h = starting();
        assert_eq!(s.record(&mut h, result(0), MS), Some(HEALTHY));
        assert_eq!(s.record(&mut h, result(0), MS), None);
        assert_eq!(h.status, HEALTHY);
    }

    #[test]
    fn failures_turn_unhealthy_after_retries_and_a_pass_resets_the_streak() {
        let mut c = cfg(&["CMD", "false"]);
        c.retries = 2;
        let s = Schedule::of(&c);
        let mut h = starting();
        assert_eq!(s.record(&mut h, result(1), MS), None);
        assert_eq!((h.status.as_str(), h.failing_streak), (STARTING, 1));
        assert_eq!(s.record(&mut h, result(1), MS), Some(UNHEALTHY));
        assert_eq!(h.failing_streak, 2);
        assert_eq!(s.record(&mut h, result(0), MS), Some(HEALTHY));
        assert_eq!(h.failing_streak, 0);
        // Any non-zero code (or -1, a timeout) is a failure.
        assert_eq!(s.record(&mut h, result(-1), MS), None);
        assert_eq!(s.record(&mut h, result(2), MS), Some(UNHEALTHY));
    }

    #[test]
    fn failures_in_the_start_period_do_not_count_until_a_probe_passed() {
        let mut c = cfg(&["CMD", "false"]);
        c.retries = 1;
        c.start_period = 10_000_000_000;
        let s = Schedule::of(&c);
        let mut h = starting();
        assert_eq!(s.record(&mut h, result(1), Duration::from_secs(1)), None);
        assert_eq!(h.failing_streak, 0);
        assert_eq!(
            s.record(&mut h, result(0), Duration::from_secs(2)),
            Some(HEALTHY)
        );
        // Healthy once: failures count even inside the start period.
        assert_eq!(
            s.record(&mut h, result(1), Duration::from_secs(3)),
            Some(UNHEALTHY)
        );
        // After the start period a starting container counts failures too.
        let mut h = starting();
        assert_eq!(
            s.record(&mut h, result(1), Duration::from_secs(11)),
            Some(UNHEALTHY)
        );
    }

    #[test]
    fn the_log_keeps_the_last_five() {
        let s = Schedule::of(&cfg(&["CMD", "x"]));
        let mut h = starting();
        for code in 0..8 {
            s.record(&mut h, result(code), MS);
        }
        let codes: Vec<i32> = h.log.iter().map(|r| r.exit_code).collect();
        assert_eq!(codes, [3, 4, 5, 6, 7]);
    }

    #[test]
    fn the_schedule_uses_the_start_interval_only_while_starting_in_the_start_period() {
        let mut c = cfg(&["CMD", "x"]);
        c.interval = 2_000_000_000;
        c.start_interval = 100_000_000;
        c.start_period = 5_000_000_000;
        let s = Schedule::of(&c);
        let one = Duration::from_secs(1);
        assert_eq!(s.next_delay(one, STARTING), Duration::from_millis(100));
        assert_eq!(s.next_delay(one, HEALTHY), Duration::from_secs(2));
        assert_eq!(
            s.next_delay(Duration::from_secs(6), STARTING),
            Duration::from_secs(2)
        );
        // Docker's defaults.
        let d = Schedule::of(&cfg(&["CMD", "x"]));
        assert_eq!(
            (
                d.interval,
                d.timeout,
                d.start_period,
                d.start_interval,
                d.retries
            ),
            (
                Duration::from_secs(30),
                Duration::from_secs(30),
                Duration::ZERO,
                Duration::from_secs(5),
                3
            )
        );
    }

    #[test]
    fn probes_run_the_test_as_docker_does() {
        assert_eq!(
            cfg(&["CMD-SHELL", "curl -f localhost || exit 1"]).probe_argv(),
            Some(vec![
                "/bin/sh".to_string(),
                "-c".into(),
                "curl -f localhost || exit 1".into()
            ])
        );
        assert_eq!(
            cfg(&["CMD", "cat", "/ok"]).probe_argv(),
            Some(vec!["cat".to_string(), "/ok".into()])
        );
        assert_eq!(cfg(&["NONE"]).probe_argv(), None);
        assert_eq!(cfg(&[]).probe_argv(), None);
        assert_eq!(cfg(&["CMD"]).probe_argv(), None);
    }

    #[test]
    fn the_containers_values_win_and_the_image_fills_the_rest() {
        let mut image = cfg(&["CMD-SHELL", "image"]);
        image.interval = 5;
        image.retries = 7;
        let mut own = cfg(&[]);
        own.interval = 9;
        let m = HealthConfig::merged(Some(&own), Some(&image)).unwrap();
        assert_eq!((m.test[1].as_str(), m.interval, m.retries), ("image", 9, 7));
        let none = cfg(&["NONE"]);
        let m = HealthConfig::merged(Some(&none), Some(&image)).unwrap();
        assert_eq!(m.test, ["NONE"]);
        assert_eq!(HealthConfig::merged(None, None), None);
        assert_eq!(HealthConfig::merged(None, Some(&image)), Some(image));
    }

    #[test]
    fn the_daemon_refuses_durations_under_a_millisecond() {
        let mut c = cfg(&["CMD", "x"]);
        assert_eq!(c.invalid(), None);
        c.timeout = 500;
        assert_eq!(c.invalid(), Some(Invalid::Timeout));
        c.timeout = 0;
        c.retries = -1;
        assert_eq!(c.invalid(), Some(Invalid::Retries));
    }

    #[test]
    fn go_durations_parse_and_print_as_go() {
        assert_eq!(parse_go_duration("200ms"), Ok(200_000_000));
        assert_eq!(parse_go_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_go_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("-1s"), Ok(-1_000_000_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(
            parse_go_duration("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_go_duration("5").unwrap_err(),
            "time: missing unit in duration \"5\""
        );
        assert_eq!(
            parse_go_duration("5x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"5x\""
        );
        for (ns, text) in [
            (0, "0s"),
            (200_000_000, "200ms"),
            (1_500_000_000, "1.5s"),
            (30_000_000_000, "30s"),
            (300_000_000_000, "5m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (1_500, "1.5µs"),
        ] {
            assert_eq!(go_duration(ns), text);
        }
    }

    #[test]
    fn history_text_is_dockers_percent_q() {
        let mut c = cfg(&["CMD-SHELL", "curl -f http://localhost/ || exit 1"]);
        c.interval = 300_000_000_000;
        c.timeout = 3_000_000_000;
        assert_eq!(
            c.history_text(),
            "&{[\"CMD-SHELL\" \"curl -f http://localhost/ || exit 1\"] \"5m0s\" \"3s\" \"0s\" \"0s\" '\\x00'}"
        );
        c.retries = 3;
        assert!(c.history_text().ends_with("'\\x03'}"));
    }
}
