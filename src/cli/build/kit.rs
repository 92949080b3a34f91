//! What `docker build` shows by default: BuildKit's progress (moby/buildkit's progressui).
//! The build's events become BuildKit's vertices (`[internal] load build definition from
//! Dockerfile`, `[2/3] RUN …`, `exporting to image`), printed as its plain text (`#5 …`
//! blocks) or its live display, redrawn in place and cut to the terminal's width.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthStr;

use super::interrupted;
use crate::cli::format::{cut, units_bytes};
use crate::engine::build::{BaseKind, BuildEvent, BuildProgress, Instruction, Op};
use crate::engine::image::{LayerStatus, PullProgress};

/// How progress is shown (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Display {
    Plain,
    Tty,
    /// Nothing (`quiet`, `none`, `-q`).
    Quiet,
}

/// The builder Docker names in its header: the docker driver's default instance.
const DESC_TTY: &str = "docker:default";
const DESC_PLAIN: &str = "building with \"default\" instance using docker driver";
/// progressui: lines kept of a running step's output, columns its log view leaves.
const TERM_HEIGHT: usize = 6;
const TERM_PAD: usize = 10;
/// progressui redraws at most every 100 ms, and every 150 ms without news.
const REDRAW: Duration = Duration::from_millis(100);
const TICK: Duration = Duration::from_millis(150);
/// Plain output keeps this many last lines of a step to repeat when it fails.
const LOGS_BUFFER: usize = 10;

struct Status {
    id: String,
    start: Instant,
    end: Option<Instant>,
    current: u64,
    total: u64,
}

struct Vertex {
    name: String,
    /// False while a FROM waits for its image's digest: plain text prints it once named.
    named: bool,
    start: Instant,
    end: Option<Instant>,
    cached: bool,
    error: Option<String>,
    canceled: bool,
    statuses: Vec<Status>,
    /// Whole output lines, each after its time since the step began ("0.123 hello").
    logs: Vec<String>,
    partial: Vec<u8>,
    /// The running step's output as a terminal shows it (the tty display's log view).
    term: Option<vt100::Parser>,
    /// Plain output: the `#N` it is printed under (0: not yet), lines already printed.
    index: usize,
    logs_printed: usize,
}

impl Vertex {
    fn new(name: String) -> Vertex {
        Vertex {
            name,
            named: true,
            start: Instant::now(),
            end: None,
            cached: false,
            error: None,
            canceled: false,
            statuses: Vec::new(),
            logs: Vec::new(),
            partial: Vec::new(),
            term: None,
            index: 0,
            logs_printed: 0,
        }
    }

    fn done(&self) -> bool {
        self.end.is_some()
    }

    fn seconds(&self) -> f64 {
        self.end
            .unwrap_or_else(Instant::now)
            .duration_since(self.start)
            .as_secs_f64()
    }

    /// A line of output, stamped as BuildKit stamps it (3 decimals below 10 s, 2 below 100).
    fn stamp(&self, line: &[u8]) -> String {
        let sec = self.start.elapsed().as_secs_f64();
        let prec = if sec < 10.0 {
            3
        } else if sec < 100.0 {
            2
        } else {
            1
        };
        format!("{sec:.prec$} {}", String::from_utf8_lossy(line))
    }

    fn output(&mut self, data: &[u8], width: usize) {
        // A step's output is not a terminal's: its line feeds start lines.
        let crlf: Vec<u8> = data
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect();
        let rows =
            std::num::NonZeroU16::new(TERM_HEIGHT as u16).unwrap_or(std::num::NonZeroU16::MIN);
        self.term
            .get_or_insert_with(|| vt100::Parser::new(rows, term_cols(width), 0))
            .process(&crlf);
        self.partial.extend_from_slice(data);
        while let Some(i) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            let stamped = self.stamp(&line[..i]);
            self.logs.push(stamped);
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            let stamped = self.stamp(&rest);
            self.logs.push(stamped);
        }
        for s in &mut self.statuses {
            s.end.get_or_insert_with(Instant::now);
        }
        self.end.get_or_insert_with(Instant::now);
    }
}

fn term_cols(width: usize) -> std::num::NonZeroU16 {
    let cols = u16::try_from(width.saturating_sub(TERM_PAD)).unwrap_or(u16::MAX);
    std::num::NonZeroU16::new(cols).unwrap_or(std::num::NonZeroU16::MIN)
}

/// Which instructions are BuildKit steps, and their `[stage k/n]` labels: a stage counts its
/// FROM of an image and each RUN, COPY, ADD and WORKDIR (dockerfile2llb's `prefixCommand`).
fn labels(instructions: &[Instruction]) -> Vec<Option<String>> {
    let mut stages: Vec<(String, Vec<usize>)> = Vec::new();
    let mut aliases: Vec<String> = Vec::new();
    for (i, ins) in instructions.iter().enumerate() {
        match &ins.op {
            Op::From { image, alias } => {
                let lower = image.to_ascii_lowercase();
                let from_stage = aliases.contains(&lower)
                    || image.parse::<usize>().is_ok_and(|n| n < aliases.len());
                let name = alias
                    .clone()
                    .unwrap_or_else(|| format!("stage-{}", stages.len()));
                aliases.push(alias.clone().unwrap_or_default());
                let counted = if from_stage || image == "scratch" {
                    vec![]
                } else {
                    vec![i]
                };
                stages.push((name, counted));
            }
            Op::Run(_) | Op::Copy { .. } | Op::Workdir(_) => {
                if let Some((_, steps)) = stages.last_mut() {
                    steps.push(i);
                }
            }
            _ => {}
        }
    }
    let single = stages.len() == 1;
    let mut out = vec![None; instructions.len()];
    for (name, steps) in &stages {
        let total = steps.len();
        let digits = total.to_string().len();
        for (k, &i) in steps.iter().enumerate() {
            let stage = if single {
                String::new()
            } else {
                format!("{name} ")
            };
            out[i] = Some(format!("[{stage}{:>digits$}/{total}] ", k + 1));
        }
    }
    out
}

pub(super) struct Kit {
    display: Display,
    out: std::io::Stderr,
    started: Instant,
    vertices: Vec<Vertex>,
    labels: Vec<Option<String>>,
    /// The vertex of the step now running, if it is one.
    open: Option<usize>,
    /// Files in the context (None: no COPY reads it) and whether its vertex was shown.
    context_bytes: Option<u64>,
    context_shown: bool,
    uses_context: bool,
    /// Vertices the build will have, not counting `exporting to image` before it starts.
    planned: usize,
    /// The tty display: lines drawn last time, when, whether it drew yet.
    lines: usize,
    drawn: Option<Instant>,
    /// Plain output: the next `#N`.
    next_index: usize,
    /// The Dockerfile line of the instruction running (an error's source).
    line: Option<usize>,
}

impl Kit {
    pub(super) fn new(display: Display, dockerfile: &str) -> Kit {
        let name = std::path::Path::new(dockerfile)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dockerfile.to_string());
        let mut kit = Kit {
            display,
            out: std::io::stderr(),
            started: Instant::now(),
            vertices: Vec::new(),
            labels: Vec::new(),
            open: None,
            context_bytes: None,
            context_shown: false,
            uses_context: false,
            planned: 1,
            lines: 0,
            drawn: None,
            next_index: 0,
            line: None,
        };
        kit.vertices.push(Vertex::new(format!(
            "[internal] load build definition from {name}"
        )));
        kit
    }

    /// The Dockerfile line of the instruction that was running.
    pub(super) fn failing_line(&self) -> Option<usize> {
        self.line
    }

    /// Whether `tty` can be shown: BuildKit needs a terminal on stderr.
    pub(super) fn has_console() -> bool {
        std::io::stderr().is_terminal()
    }

    fn width_height() -> (usize, usize) {
        match crossterm::terminal::size() {
            Ok((w, h)) if w > 0 && h > 0 => (w as usize, h as usize),
            _ => (80, 10),
        }
    }

    fn add(&mut self, v: Vertex) -> usize {
        self.vertices.push(v);
        self.vertices.len() - 1
    }

    /// A vertex that starts and ends now, with one finished status line.
    fn instant(&mut self, name: String, status: Option<(String, u64)>) {
        let mut v = Vertex::new(name);
        if let Some((id, current)) = status {
            v.statuses.push(Status {
                id,
                start: v.start,
                end: Some(v.start),
                current,
                total: 0,
            });
        }
        v.finish();
        let i = self.add(v);
        self.changed(i);
    }

    fn close_open(&mut self) {
        if let Some(i) = self.open.take() {
            self.vertices[i].finish();
            self.changed(i);
        }
    }

    fn status(&mut self, i: usize, id: String, current: u64, total: u64, done: bool) {
        let now = Instant::now();
        let v = &mut self.vertices[i];
        match v.statuses.iter_mut().find(|s| s.id == id) {
            Some(s) => {
                s.current = current;
                s.total = total;
                if done {
                    s.end = Some(now);
                }
            }
            None => v.statuses.push(Status {
                id,
                start: now,
                end: done.then_some(now),
                current,
                total,
            }),
        }
        self.changed(i);
    }

    /// Show what changed: plain prints the vertex's news, tty redraws (rate-limited).
    fn changed(&mut self, i: usize) {
        match self.display {
            Display::Plain => self.plain(i),
            Display::Tty => {
                if self.drawn.is_none_or(|t| t.elapsed() >= REDRAW) {
                    self.draw(false);
                }
            }
            Display::Quiet => {}
        }
    }

    /// The build ended (well or not): the last frame, then the failed step's output.
    pub(super) fn finish(&mut self, failure: Option<&str>, canceled: bool) {
        if let Some(i) = self.open.take() {
            let v = &mut self.vertices[i];
            v.named = true;
            match failure {
                Some(_) if canceled => v.canceled = true,
                Some(msg) => v.error = Some(msg.to_string()),
                None => {}
            }
            v.finish();
            self.changed(i);
        }
        if !self.vertices[0].done() {
            self.vertices[0].finish();
            self.changed(0);
        }
        if self.display == Display::Tty {
            self.draw(true);
        }
        if self.display == Display::Quiet {
            return;
        }
        let mut text = String::new();
        for v in self.vertices.iter().filter(|v| v.error.is_some()) {
            text.push_str(&format!("------\n > {}:\n", v.name));
            // The live display keeps all of a step's lines; plain text its last ten.
            let keep = match self.display {
                Display::Tty => v.logs.len(),
                _ => LOGS_BUFFER,
            };
            for l in &v.logs[v.logs.len().saturating_sub(keep)..] {
                text.push_str(l);
                text.push('\n');
            }
            text.push_str("------\n");
        }
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    // ---- plain: progressui's textMux, for a builder that runs one step at a time ----

    fn plain(&mut self, i: usize) {
        if !self.vertices[i].named {
            return;
        }
        let mut s = String::new();
        if self.vertices[i].index == 0 {
            if self.next_index == 0 {
                s.push_str(&format!("#0 {DESC_PLAIN}\n\n"));
            } else {
                s.push('\n');
            }
            self.next_index += 1;
            self.vertices[i].index = self.next_index;
            s.push_str(&format!("#{} {}\n", self.next_index, self.vertices[i].name));
        }
        let v = &mut self.vertices[i];
        let n = v.index;
        for l in &v.logs[v.logs_printed..] {
            s.push_str(&format!("#{n} {l}\n"));
        }
        v.logs_printed = v.logs.len();
        if v.done() {
            for st in &v.statuses {
                let mut line = format!("#{n} {}", st.id);
                if st.total != 0 {
                    line += &format!(" {} / {}", units_bytes(st.current), units_bytes(st.total));
                } else if st.current != 0 {
                    line += &format!(" {}", units_bytes(st.current));
                }
                let secs = st
                    .end
                    .unwrap_or_else(Instant::now)
                    .duration_since(st.start)
                    .as_secs_f64();
                if secs > 0.01 {
                    line += &format!(" {secs:.1}s");
                }
                s.push_str(&line);
                s.push_str(" done\n");
            }
            if v.canceled {
                s.push_str(&format!("#{n} CANCELED\n"));
            } else if let Some(e) = &v.error {
                s.push_str(&format!("#{n} ERROR: {e}\n"));
            } else if v.cached {
                s.push_str(&format!("#{n} CACHED\n"));
            } else {
                s.push_str(&format!("#{n} DONE {:.1}s\n", v.seconds()));
            }
        }
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    // ---- tty: progressui's ttyDisplay ----

    fn draw(&mut self, all: bool) {
        let (width, height) = Self::width_height();
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let mut s = String::new();
        if self.drawn.is_some() {
            s.push_str(&format!("\x1b[{}A", self.lines + 1));
        }
        s.push_str("\x1b[0G\x1b[?25l");
        let completed = self.vertices.iter().filter(|v| v.done()).count();
        let total = self.planned.max(self.vertices.len());
        let finished = if all && completed == total && completed > 0 {
            "FINISHED"
        } else {
            ""
        };
        let head = format!(
            "[+] Building {:.1}s ({completed}/{total}) {finished}",
            self.started.elapsed().as_secs_f64()
        );
        s.push_str(cut(&align(&head, DESC_TTY, width - 1), width));
        s.push('\n');

        // The running step's output shows under it while there is room.
        let running = self.vertices.iter().filter(|v| !v.done()).count();
        let mut jobs: Vec<Job> = Vec::new();
        let mut spare = height.saturating_sub(2 + running);
        for v in &self.vertices {
            jobs.extend(Job::of(v));
            if let (false, Some(term), false) = (all, &v.term, v.done()) {
                let rows: Vec<String> = term
                    .screen()
                    .rows(0, term_cols(width).get())
                    .filter(|r| !r.trim().is_empty())
                    .collect();
                if spare > TERM_HEIGHT + 3 && !rows.is_empty() {
                    spare -= TERM_HEIGHT + 3;
                    jobs.push(Job::Term(rows));
                }
            }
        }
        if !all {
            let limit = height.saturating_sub(2);
            let mut used = 0;
            let mut keep = jobs.len();
            while keep > 0 && used + jobs[keep - 1].height() <= limit {
                used += jobs[keep - 1].height();
                keep -= 1;
            }
            jobs.drain(..keep);
        }
        let mut lines = 0;
        for job in &jobs {
            match job {
                Job::Line {
                    name,
                    status,
                    seconds,
                    done,
                    tone,
                } => {
                    let dt = if *seconds < 0.05 { 0.0 } else { *seconds };
                    let timer = format!(" {dt:3.1}s");
                    // progressui counts the timer's newline too.
                    let mut left = width as isize - 4 - timer.len() as isize - 2;
                    let mut show_status = false;
                    if !status.is_empty() && left + status.len() as isize > 20 {
                        show_status = true;
                        left -= status.len() as isize + 1;
                    }
                    if left < 12 {
                        continue;
                    }
                    let mut line = format!(" => {}", cut(name, left as usize));
                    if show_status {
                        line.push(' ');
                        line.push_str(status);
                    }
                    let line = format!("{}\n", align(&line, &timer, width - 1));
                    match (done, color) {
                        (true, true) => s.push_str(&format!("{tone}{line}\x1b[0m")),
                        _ => s.push_str(&line),
                    }
                    lines += 1;
                }
                Job::Term(rows) => {
                    for r in rows {
                        let line = format!(" => => # {}\n", cut(r, width - 1 - 9));
                        if color {
                            s.push_str(&format!("\x1b[2m{line}\x1b[0m"));
                        } else {
                            s.push_str(&line);
                        }
                        lines += 1;
                    }
                }
            }
        }
        if self.lines > lines {
            let diff = self.lines - lines;
            for _ in 0..diff {
                s.push_str(&" ".repeat(width));
                s.push('\n');
            }
            s.push_str(&format!("\x1b[{diff}A\x1b[0G"));
        }
        s.push_str("\x1b[?25h");
        self.lines = lines;
        self.drawn = Some(Instant::now());
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }
}

/// `l` padded so that ` r` ends at column `w` (progressui's `align`), in display columns.
fn align(l: &str, r: &str, w: usize) -> String {
    let pad = w.saturating_sub(r.width() + 1 + l.width());
    format!("{l}{} {r}", " ".repeat(pad))
}

/// A line of the tty display.
enum Job {
    Line {
        name: String,
        status: String,
        seconds: f64,
        done: bool,
        /// The colour of a finished line: blue, red for an error, yellow when canceled.
        tone: &'static str,
    },
    /// A running step's last lines of output.
    Term(Vec<String>),
}

impl Job {
    fn of(v: &Vertex) -> Vec<Job> {
        let mut name = v.name.replace('\t', " ");
        let mut tone = "\x1b[34m";
        if v.canceled {
            name = format!("CANCELED {name}");
            tone = "\x1b[33m";
        } else if v.error.is_some() {
            name = format!("ERROR {name}");
            tone = "\x1b[31m";
        }
        if v.cached {
            name = format!("CACHED {name}");
        }
        let mut jobs = vec![Job::Line {
            name,
            status: String::new(),
            seconds: v.seconds(),
            done: v.done(),
            tone,
        }];
        for s in &v.statuses {
            let status = if s.total != 0 {
                format!("{} / {}", units_bytes(s.current), units_bytes(s.total))
            } else if s.current != 0 {
                units_bytes(s.current)
            } else {
                String::new()
            };
            jobs.push(Job::Line {
                name: format!("=> {}", s.id),
                status,
                seconds: s
                    .end
                    .unwrap_or_else(Instant::now)
                    .duration_since(s.start)
                    .as_secs_f64(),
                done: s.end.is_some(),
                tone: "\x1b[34m",
            });
        }
        jobs
    }

    fn height(&self) -> usize {
        match self {
            Job::Line { .. } => 1,
            Job::Term(rows) => rows.len(),
        }
    }
}

impl PullProgress for Kit {
    fn layer(&mut self, digest: &str, size: u64, status: LayerStatus) {
        let Some(i) = self.open else { return };
        match status {
            LayerStatus::AlreadyExists => {}
            LayerStatus::Pulling => self.status(i, digest.to_string(), 0, size, false),
            LayerStatus::Complete => {
                self.status(i, digest.to_string(), size, size, true);
                self.status(i, format!("extracting {digest}"), 0, 0, true);
            }
        }
    }
}

impl BuildProgress for Kit {
    fn event(&mut self, e: BuildEvent<'_>) {
        match e {
            BuildEvent::Parsed {
                bytes,
                instructions,
            } => {
                self.labels = labels(instructions);
                self.uses_context = instructions
                    .iter()
                    .any(|i| matches!(&i.op, Op::Copy { from: None, .. }));
                // The definition, .dockerignore, each step, the context when a COPY reads it.
                self.planned =
                    2 + self.labels.iter().flatten().count() + usize::from(self.uses_context);
                self.status(0, "transferring dockerfile:".into(), bytes, 0, true);
                self.vertices[0].finish();
                self.changed(0);
            }
            BuildEvent::Metadata { name } => {
                self.planned += 1;
                self.instant(format!("[internal] load metadata for {name}"), None);
            }
            BuildEvent::Context {
                ignore_bytes,
                file_bytes,
                ..
            } => {
                // With no .dockerignore BuildKit still sends an empty one.
                self.instant(
                    "[internal] load .dockerignore".into(),
                    Some(("transferring context:".into(), ignore_bytes.unwrap_or(2))),
                );
                self.context_bytes = Some(file_bytes);
            }
            BuildEvent::Step {
                n,
                instruction,
                shown,
                ..
            } => {
                self.close_open();
                self.line = Some(instruction.line);
                let Some(label) = self.labels.get(n - 1).cloned().flatten() else {
                    return;
                };
                let name = match &instruction.op {
                    // Named again once the image (and its digest) is known.
                    Op::From { image, .. } => {
                        let image = crate::engine::image::Reference::parse_any(image)
                            .map(|r| r.canonical())
                            .unwrap_or_else(|_| image.clone());
                        format!("{label}FROM {image}")
                    }
                    _ => format!("{label}{shown}"),
                };
                let mut v = Vertex::new(name);
                v.named = !matches!(instruction.op, Op::From { .. });
                let i = self.add(v);
                self.open = Some(i);
                self.changed(i);
            }
            BuildEvent::Base { kind, name, .. } => {
                if let (BaseKind::Image { pulled }, Some(i), Some(name)) = (kind, self.open, name) {
                    let label = self.vertices[i]
                        .name
                        .split_once("FROM ")
                        .map(|(l, _)| l.to_string())
                        .unwrap_or_default();
                    let v = &mut self.vertices[i];
                    v.name = format!("{label}FROM {name}");
                    v.named = true;
                    v.cached = !pulled;
                    v.statuses.insert(
                        0,
                        Status {
                            id: format!("resolve {name}"),
                            start: v.start,
                            end: Some(v.start),
                            current: 0,
                            total: 0,
                        },
                    );
                    self.close_open();
                }
                if self.uses_context && !self.context_shown {
                    self.context_shown = true;
                    let bytes = self.context_bytes.unwrap_or(0);
                    self.instant(
                        "[internal] load build context".into(),
                        Some(("transferring context:".into(), bytes)),
                    );
                }
            }
            BuildEvent::Output { data, .. } => {
                if let Some(i) = self.open {
                    let (width, _) = Self::width_height();
                    self.vertices[i].output(data, width);
                    self.changed(i);
                }
            }
            BuildEvent::StartFailed(e) => {
                let text = format!("{}\n", crate::cli::start_detail(e));
                self.event(BuildEvent::Output {
                    stderr: true,
                    data: text.as_bytes(),
                });
            }
            BuildEvent::UsingCache => {
                if let Some(i) = self.open {
                    self.vertices[i].cached = true;
                }
            }
            BuildEvent::Exporting { image_id } => {
                self.close_open();
                self.line = None;
                let mut v = Vertex::new("exporting to image".into());
                v.statuses.push(Status {
                    id: "exporting layers".into(),
                    start: v.start,
                    end: Some(Instant::now()),
                    current: 0,
                    total: 0,
                });
                let i = self.add(v);
                self.open = Some(i);
                self.status(i, format!("writing image {image_id}"), 0, 0, true);
            }
            BuildEvent::Tagged(r) => {
                if let Some(i) = self.open {
                    self.status(i, format!("naming to {}", r.canonical()), 0, 0, true);
                }
            }
            BuildEvent::PullStarted(_)
            | BuildEvent::PullFinished(_)
            | BuildEvent::RunningIn(_)
            | BuildEvent::RemovedContainer(_)
            | BuildEvent::StepImage(_)
            | BuildEvent::UnusedArgs(_) => {}
        }
    }

    fn cancelled(&mut self) -> bool {
        if self.display == Display::Tty && self.drawn.is_none_or(|t| t.elapsed() >= TICK) {
            self.draw(false);
        }
        interrupted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_per_stage_as_buildkit_does() {
        let ins = crate::engine::build::parse(
            "Dockerfile",
            "FROM busybox AS build\nENV A=1\nRUN a\nFROM scratch\nCOPY --from=build /a /a\nWORKDIR /w\n",
        )
        .unwrap();
        let l = labels(&ins);
        assert_eq!(l[0].as_deref(), Some("[build 1/2] "));
        assert_eq!(l[1], None);
        assert_eq!(l[2].as_deref(), Some("[build 2/2] "));
        assert_eq!(l[3], None);
        assert_eq!(l[4].as_deref(), Some("[stage-1 1/2] "));
        let one = crate::engine::build::parse(
            "Dockerfile",
            &format!("FROM busybox\n{}", "RUN a\n".repeat(10)),
        )
        .unwrap();
        let l = labels(&one);
        assert_eq!(l[0].as_deref(), Some("[ 1/11] "));
        assert_eq!(l[10].as_deref(), Some("[11/11] "));
    }

    #[test]
    fn lines_fit_the_width_in_display_columns() {
        assert_eq!(align("ab", " 0.0s", 12), "ab      0.0s");
        assert_eq!(align("가나", " 0.0s", 12).width(), 12);
    }
}
