//! Where a container start's time goes: typed spans (phase, start, end on CLOCK_MONOTONIC, so
//! the CLI, the monitor and the container's init share one clock). Off unless the CLI asks
//! (`GORAE_TRACE_START=1`); the monitor then sends its spans and its init's to the attached
//! CLI in a `attach::TRACE` frame before the exit code, and the CLI prints them.

use serde::{Deserialize, Serialize};

/// One step of `run`, in the order a start takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    // The CLI.
    /// Process start to the command's code: argument parsing, store open, reconcile.
    CliStart,
    /// The image in the store (resolved, pulled when missing).
    Image,
    /// The container record, its dirs and the `create` event, under the store lock.
    Create,
    /// Fork and exec of the monitor until it listens.
    MonitorSpawn,
    // The monitor.
    /// Store open, record and image read, endpoints allocated.
    MonitorLoad,
    /// /etc/hostname, hosts, resolv.conf written.
    EtcFiles,
    /// The attach socket bound.
    Listen,
    /// The CLI connected and said START.
    AttachWait,
    /// Stdio pipes, published ports bound, mounts resolved.
    Prepare,
    /// The container's cgroups made and limited.
    CgroupCreate,
    /// Connected to the network holder (started when none runs).
    HolderConnect,
    /// clone() into new namespaces.
    Clone,
    /// The init moved into its cgroups.
    CgroupJoin,
    /// uid_map/gid_map written (rootless, own user namespace).
    IdMaps,
    /// The holder wired its endpoints (veth, address, route).
    NetworkAttach,
    // The container's init (between the monitor's "go" and its exec).
    /// The init got "go".
    InitGo,
    /// Overlay, /proc, /sys, /dev and the /etc binds.
    Rootfs,
    /// Binds, volumes, tmpfs.
    Mounts,
    /// pivot_root and the terminal.
    Pivot,
    /// Masked /proc paths, hostname, loopback.
    Mask,
    /// The seccomp filter loaded.
    Seccomp,
    /// Capabilities dropped.
    Capabilities,
    // The monitor again.
    /// User switch, working dir, the program found, execve, until the monitor knows it
    /// succeeded (the error pipe closed on exec).
    Exec,
    /// The record says running.
    RecordRunning,
    /// `start` (and mount, connect) events.
    EventsStart,
    /// The container's process ran, until its exit was seen.
    Run,
    /// The record says exited.
    RecordExit,
    /// The cgroups removed.
    CgroupRemove,
    /// `die` (and disconnect, unmount) events.
    EventsDie,
    /// `--rm`: the container's dirs and record removed, `destroy` event.
    Remove,
    // The CLI again.
    /// The exit code read, the `command` event written.
    CliExit,
}

impl Phase {
    /// Its name in the trace (as serialised).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// The init's checkpoints: it writes each as (index here, u8; time, u64 LE) to its trace pipe.
pub const INIT_PHASES: [Phase; 8] = [
    Phase::InitGo,
    Phase::Rootfs,
    Phase::Mounts,
    Phase::Pivot,
    Phase::Mask,
    Phase::Seccomp,
    Phase::Capabilities,
    Phase::CgroupJoin,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub phase: Phase,
    /// CLOCK_MONOTONIC, nanoseconds.
    pub start: u64,
    pub end: u64,
}

/// Spans recorded one after the other: each `lap` ends the current phase where the last ended.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    on: bool,
    last: u64,
    pub spans: Vec<Span>,
}

impl Trace {
    /// A trace starting now; `on` false records nothing (and costs nothing).
    pub fn new(on: bool) -> Trace {
        Trace {
            on,
            last: if on { now() } else { 0 },
            spans: Vec::new(),
        }
    }

    /// A trace whose first phase began at `start` (e.g. the process's start).
    pub fn since(start: u64) -> Trace {
        Trace {
            on: true,
            last: start,
            spans: Vec::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// End `phase` now (it began where the previous one ended).
    pub fn lap(&mut self, phase: Phase) {
        if self.on {
            let now = now();
            self.spans.push(Span {
                phase,
                start: self.last,
                end: now,
            });
            self.last = now;
        }
    }

    /// Spans another process recorded; the next lap starts after the latest of them.
    pub fn absorb(&mut self, spans: &[Span]) {
        if self.on {
            self.spans.extend_from_slice(spans);
            self.spans.sort_by_key(|s| (s.start, s.end));
            self.last = self.spans.iter().map(|s| s.end).max().unwrap_or(self.last);
        }
    }

    /// A span timed elsewhere (another thread's).
    pub fn span(&mut self, phase: Phase, start: u64, end: u64) {
        if self.on {
            self.spans.push(Span { phase, start, end });
        }
    }

    /// Spans from checkpoints (the init's, from its trace pipe): each phase ends at its time
    /// and begins where the one before it ended (the first at `begin`); the next lap begins
    /// at the last of them.
    pub fn checkpoints(&mut self, begin: u64, marks: &[(Phase, u64)]) {
        if !self.on {
            return;
        }
        let mut marks = marks.to_vec();
        marks.sort_by_key(|m| m.1);
        let mut last = begin;
        for (phase, t) in marks {
            self.spans.push(Span {
                phase,
                start: last,
                end: t,
            });
            last = t;
        }
        self.last = self.last.max(last);
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.spans).unwrap_or_default()
    }

    pub fn decode(data: &[u8]) -> Vec<Span> {
        serde_json::from_slice(data).unwrap_or_default()
    }
}

/// Now, on the clock every span uses.
pub fn now() -> u64 {
    crate::runtime::sys::monotonic_ns()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_follow_each_other_and_checkpoints_fill_in() {
        let mut t = Trace::since(now());
        t.lap(Phase::CliStart);
        t.lap(Phase::Image);
        assert_eq!(t.spans[0].end, t.spans[1].start);
        let base = t.spans[1].end;
        let mut m = Trace::new(true);
        m.checkpoints(
            base + 10,
            &[(INIT_PHASES[1], base + 35), (INIT_PHASES[0], base + 20)],
        );
        t.absorb(&m.spans);
        let names: Vec<String> = t.spans.iter().map(|s| s.phase.name()).collect();
        assert_eq!(names, ["cli-start", "image", "init-go", "rootfs"]);
        assert_eq!((t.spans[3].start, t.spans[3].end), (base + 20, base + 35));
        let round = Trace::decode(&t.encode());
        assert_eq!(round, t.spans);
        let mut off = Trace::new(false);
        off.lap(Phase::Clone);
        assert!(off.spans.is_empty());
    }
}
