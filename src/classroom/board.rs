//! The room as the instructor sees it: one record per attendee, built only from their progress
//! events (applied once each, in order, whatever is resent), the rows sorted so the stuck come
//! first, the per-step plot and the export. No I/O here: the server owns one behind a mutex and
//! the views read `rows()` / `plot()`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::protocol::{Ack, Broadcast, Events, Join, Kind, MAX_ATTENDEES, Refusal};

/// On one unfinished step this long: stuck.
pub const STUCK_MS: i64 = 5 * 60 * 1000;
/// Not heard from (not even the app's heartbeat) this long: away.
pub const AWAY_MS: i64 = 60 * 1000;

/// A lesson of the instructor's course: the order the plot follows and the numbers rows show.
#[derive(Debug, Clone)]
pub struct CourseLesson {
    pub id: String,
    pub title: String,
    pub steps: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Attendee {
    pub id: String,
    pub name: String,
    pub joined_at: i64,
    pub last_seen: i64,
    /// The last seq applied; `applied` counts the events applied (each once).
    pub acked: u64,
    pub applied: u64,
    pub lesson: Option<String>,
    pub step: Option<String>,
    pub step_since: i64,
    pub step_hints: u32,
    pub step_solution: bool,
    pub hints: u32,
    pub solutions: u32,
    pub resets: u32,
    pub last_wrong: Option<String>,
    pub idle: bool,
    pub left: bool,
    /// (lesson, step) → when it passed.
    pub done: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Stuck,
    Working,
    Idle,
    Away,
    Left,
}

/// One row of the board (the terminal and the web page show the same).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    /// `3-2` (lesson 3, step 2) in the instructor's course, else `lesson/step` ids.
    pub place: String,
    pub step_title: String,
    pub done: usize,
    pub on_step_s: i64,
    pub hints: u32,
    pub solutions: u32,
    pub last_wrong: String,
    pub status: Status,
}

/// One bar of the plot: how many are past (✓) a step, how many are on it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    pub place: String,
    pub title: String,
    pub past: usize,
    pub here: usize,
}

#[derive(Debug, Default)]
pub struct Board {
    pub code: String,
    pub course: Vec<CourseLesson>,
    pub attendees: BTreeMap<String, Attendee>,
    pub broadcast: Option<Broadcast>,
    /// Bumped on every change, so views redraw only when something happened.
    pub version: u64,
}

fn key(lesson: &str, step: &str) -> String {
    format!("{lesson}/{step}")
}

impl Board {
    pub fn new(code: String, course: Vec<CourseLesson>) -> Board {
        Board {
            code,
            course,
            ..Board::default()
        }
    }

    /// Join (or rejoin: the same id keeps its row and says what the server has).
    pub fn join(&mut self, j: &Join, now: i64) -> Result<Ack, Refusal> {
        j.check()?;
        if !self.attendees.contains_key(&j.id) && self.attendees.len() >= MAX_ATTENDEES {
            return Err(Refusal::Full);
        }
        let a = self
            .attendees
            .entry(j.id.clone())
            .or_insert_with(|| Attendee {
                id: j.id.clone(),
                joined_at: now,
                step_since: now,
                ..Attendee::default()
            });
        a.name = j.name.trim().to_string();
        a.last_seen = now;
        a.left = false;
        self.version += 1;
        Ok(Ack {
            acked: self.attendees[&j.id].acked,
            broadcast: None,
        })
    }

    /// Apply the events after the attendee's last acknowledged one, in order; those already
    /// applied are skipped, and a gap stops the batch (the app resends from `acked`).
    pub fn events(&mut self, req: &Events, now: i64) -> Result<Ack, Refusal> {
        req.check()?;
        let a = self.attendees.get_mut(&req.id).ok_or(Refusal::NotJoined)?;
        // The attendee's clock placed on ours; never in the future.
        let offset = now - req.now;
        for e in &req.events {
            if e.seq <= a.acked {
                continue;
            }
            if e.seq != a.acked + 1 {
                break;
            }
            apply(a, &e.kind, (e.at + offset).min(now));
            a.acked = e.seq;
            a.applied += 1;
        }
        a.last_seen = now;
        self.version += 1;
        let broadcast = self.broadcast.clone().filter(|b| b.n > req.seen);
        Ok(Ack {
            acked: a.acked,
            broadcast,
        })
    }

    /// The instructor's "everyone to lesson N, step M" and/or message; numbered so each app
    /// shows it once.
    pub fn send(&mut self, mut b: Broadcast) -> Result<u64, Refusal> {
        b.check()?;
        b.message = b.message.trim().to_string();
        b.n = self.broadcast.as_ref().map_or(0, |x| x.n) + 1;
        let n = b.n;
        self.broadcast = Some(b);
        self.version += 1;
        Ok(n)
    }

    fn place(&self, lesson: &str, step: &str) -> (String, String) {
        for (li, l) in self.course.iter().enumerate() {
            if l.id == lesson {
                if let Some(si) = l.steps.iter().position(|(id, _)| id == step) {
                    return (format!("{}-{}", li + 1, si + 1), l.steps[si].1.clone());
                }
                // Past its last step: the lesson is done.
                return (format!("{}-{}", li + 1, l.steps.len() + 1), l.title.clone());
            }
        }
        (key(lesson, step), String::new())
    }

    pub fn status(a: &Attendee, now: i64) -> Status {
        let on_step_done = match (&a.lesson, &a.step) {
            (Some(l), Some(s)) => a.done.contains_key(&key(l, s)),
            _ => true,
        };
        if a.left {
            Status::Left
        } else if now - a.last_seen > AWAY_MS {
            Status::Away
        } else if a.idle {
            Status::Idle
        } else if !on_step_done && now - a.step_since >= STUCK_MS {
            Status::Stuck
        } else {
            Status::Working
        }
    }

    /// Stuck first (longest on their step first), then working, idle, away, left.
    pub fn rows(&self, now: i64) -> Vec<Row> {
        let mut rows: Vec<Row> = self
            .attendees
            .values()
            .map(|a| {
                let (place, step_title) = match (&a.lesson, &a.step) {
                    (Some(l), Some(s)) => self.place(l, s),
                    _ => ("-".into(), String::new()),
                };
                Row {
                    name: a.name.clone(),
                    place,
                    step_title,
                    done: a.done.len(),
                    on_step_s: (now - a.step_since).max(0) / 1000,
                    hints: a.step_hints,
                    solutions: u32::from(a.step_solution),
                    last_wrong: a.last_wrong.clone().unwrap_or_default(),
                    status: Board::status(a, now),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.status, -a.on_step_s, &a.name).cmp(&(b.status, -b.on_step_s, &b.name))
        });
        rows
    }

    /// Every step of the course in order (then steps the course does not have, as attendees
    /// named them): how many are past it, how many are on it.
    pub fn plot(&self) -> Vec<Bar> {
        let mut order: Vec<(String, String)> = Vec::new();
        for l in &self.course {
            for (s, _) in &l.steps {
                order.push((l.id.clone(), s.clone()));
            }
        }
        let known: BTreeSet<String> = order.iter().map(|(l, s)| key(l, s)).collect();
        let mut extra = BTreeSet::new();
        for a in self.attendees.values() {
            for k in a.done.keys() {
                if !known.contains(k) {
                    extra.insert(k.clone());
                }
            }
        }
        for k in extra {
            if let Some((l, s)) = k.split_once('/') {
                order.push((l.to_string(), s.to_string()));
            }
        }
        order
            .into_iter()
            .map(|(l, s)| {
                let k = key(&l, &s);
                let (place, title) = self.place(&l, &s);
                let present = self.attendees.values().filter(|a| !a.left);
                let (mut past, mut here) = (0, 0);
                for a in present {
                    past += usize::from(a.done.contains_key(&k));
                    here += usize::from(
                        a.lesson.as_deref() == Some(&l) && a.step.as_deref() == Some(&s),
                    );
                }
                Bar {
                    place,
                    title,
                    past,
                    here,
                }
            })
            .collect()
    }

    /// The export: every attendee's row and record (`.json`) or one row each (`.csv`).
    pub fn export_json(&self, now: i64) -> String {
        #[derive(Serialize)]
        struct Export<'a> {
            exported_at: i64,
            rows: Vec<Row>,
            plot: Vec<Bar>,
            attendees: Vec<&'a Attendee>,
        }
        let e = Export {
            exported_at: now,
            rows: self.rows(now),
            plot: self.plot(),
            attendees: self.attendees.values().collect(),
        };
        serde_json::to_string_pretty(&e).unwrap_or_default() + "\n"
    }

    pub fn export_csv(&self, now: i64) -> String {
        let mut out = String::from(
            "name,place,step_title,done,seconds_on_step,hints_on_step,solution_on_step,\
             hints_total,solutions_total,resets,last_wrong_hint,status\n",
        );
        let mut recs: Vec<&Attendee> = self.attendees.values().collect();
        recs.sort_by(|a, b| a.name.cmp(&b.name));
        for a in recs {
            let (place, title) = match (&a.lesson, &a.step) {
                (Some(l), Some(s)) => self.place(l, s),
                _ => ("-".into(), String::new()),
            };
            let status = serde_json::to_value(Board::status(a, now))
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let fields = [
                a.name.clone(),
                place,
                title,
                a.done.len().to_string(),
                ((now - a.step_since).max(0) / 1000).to_string(),
                a.step_hints.to_string(),
                a.step_solution.to_string(),
                a.hints.to_string(),
                a.solutions.to_string(),
                a.resets.to_string(),
                a.last_wrong.clone().unwrap_or_default(),
                status,
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out
    }
}

fn apply(a: &mut Attendee, kind: &Kind, at: i64) {
    if !matches!(kind, Kind::Idle) {
        a.idle = false;
    }
    match kind {
        Kind::Step { lesson, step } => {
            if a.lesson.as_ref() != Some(lesson) || a.step.as_ref() != Some(step) {
                a.lesson = Some(lesson.clone());
                a.step = Some(step.clone());
                a.step_since = at;
                a.step_hints = 0;
                a.step_solution = false;
                a.last_wrong = None;
            }
        }
        Kind::Done { lesson, step } => {
            a.done.entry(key(lesson, step)).or_insert(at);
        }
        Kind::Hint { .. } => {
            a.step_hints += 1;
            a.hints += 1;
        }
        Kind::Solution => {
            a.step_solution = true;
            a.solutions += 1;
        }
        Kind::Reset => a.resets += 1,
        Kind::Wrong { hint } => a.last_wrong = Some(hint.clone()),
        Kind::Idle => a.idle = true,
        Kind::Leave => a.left = true,
    }
}

/// A CSV field, quoted when it must be; a leading `= + - @` is defused so a spreadsheet
/// opening the export does not run an attendee's name as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s != "-" {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::protocol::Event;

    fn board() -> Board {
        Board::new(
            "ABC234".into(),
            vec![CourseLesson {
                id: "01-hello".into(),
                title: "Hello".into(),
                steps: vec![("pull".into(), "Pull".into()), ("run".into(), "Run".into())],
            }],
        )
    }

    fn join(b: &mut Board, id: &str, name: &str) {
        let j = Join {
            code: "ABC234".into(),
            id: id.into(),
            name: name.into(),
        };
        b.join(&j, 0).unwrap();
    }

    fn send(b: &mut Board, id: &str, now: i64, evs: Vec<(u64, i64, Kind)>) -> Ack {
        let req = Events {
            code: "ABC234".into(),
            id: id.into(),
            now,
            seen: 0,
            events: evs
                .into_iter()
                .map(|(seq, at, kind)| Event { seq, at, kind })
                .collect(),
        };
        b.events(&req, now).unwrap()
    }

    fn step(s: &str) -> Kind {
        Kind::Step {
            lesson: "01-hello".into(),
            step: s.into(),
        }
    }

    #[test]
    fn resent_events_apply_once_and_gaps_wait() {
        let mut b = board();
        join(&mut b, "a", "민수");
        let ack = send(
            &mut b,
            "a",
            10,
            vec![(1, 1, step("pull")), (2, 2, Kind::Hint { n: 1 })],
        );
        assert_eq!(ack.acked, 2);
        // Resent with one new: only the new one counts.
        let ack = send(
            &mut b,
            "a",
            20,
            vec![
                (1, 1, step("pull")),
                (2, 2, Kind::Hint { n: 1 }),
                (3, 3, Kind::Hint { n: 2 }),
            ],
        );
        assert_eq!(ack.acked, 3);
        // A gap stops: 5 waits for 4.
        let ack = send(&mut b, "a", 30, vec![(5, 4, Kind::Solution)]);
        assert_eq!(ack.acked, 3);
        let a = &b.attendees["a"];
        assert_eq!((a.applied, a.hints, a.solutions), (3, 2, 0));
    }

    #[test]
    fn the_stuck_come_first_and_the_plot_counts_who_is_past() {
        let mut b = board();
        join(&mut b, "a", "빠름");
        join(&mut b, "b", "막힘");
        let now = 20 * 60 * 1000;
        send(
            &mut b,
            "a",
            now,
            vec![
                (1, now - 60_000, step("pull")),
                (
                    2,
                    now - 50_000,
                    Kind::Done {
                        lesson: "01-hello".into(),
                        step: "pull".into(),
                    },
                ),
                (3, now - 50_000, step("run")),
            ],
        );
        send(&mut b, "b", now, vec![(1, now - 10 * 60_000, step("pull"))]);
        let rows = b.rows(now);
        assert_eq!(rows[0].name, "막힘");
        assert_eq!(rows[0].status, Status::Stuck);
        assert_eq!(rows[0].place, "1-1");
        assert_eq!(rows[1].place, "1-2");
        let plot = b.plot();
        assert_eq!((plot[0].past, plot[0].here), (1, 1));
        assert_eq!((plot[1].past, plot[1].here), (0, 1));
    }

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("-"), "-");
    }
}
