//! The one owner of the TUI's state and the one place events change it. Every input (keys,
//! mouse, paste, resize, PTY output, engine events, ticks, signals) arrives as an `AppEvent`;
//! `App::handle` updates the state and says whether a redraw is needed. No terminal is needed
//! here, so tests drive the app with events and a fake shell and engine.

use std::collections::BTreeSet;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::course_api::{Lesson, Progress, Step, Verdict};
use super::event::{AppEvent, Effect, ResetPlan, ResetUpdate};
use super::guide;
use super::keys_api::encode_key;
use super::layout;
use super::model::{
    App, Confirm, EngineView, Focus, Message, MsgKind, Overlay, StepAid, TYPING_INTERVAL,
    is_reading,
};
use super::shell::ShellPane;
use super::theme::Theme;
use super::ui;
use crate::course::footprint::{self, Names};
use crate::i18n::{lang, t};

impl App {
    pub fn new(
        lessons: Vec<Result<Lesson, String>>,
        progress: Progress,
        engine: Box<dyn EngineView>,
        theme: Theme,
        size: (u16, u16),
    ) -> App {
        let snapshot = engine.snapshot();
        let demo = theme.demo;
        let mut app = App {
            theme,
            lessons,
            lesson: 0,
            step: 0,
            progress,
            demo_done: BTreeSet::new(),
            demo,
            // The presenter's keys (Space, Enter, Esc, + and -) work in the lesson pane.
            focus: if demo { Focus::Lesson } else { Focus::Terminal },
            overlay: None,
            show_state: false,
            state_scroll: 0,
            snapshot,
            events_since_step: Vec::new(),
            aid: StepAid::default(),
            message: None,
            lesson_scroll: None,
            shell: None,
            shell_alive: false,
            size,
            typing: None,
            pace: TYPING_INTERVAL,
            resetting: None,
            reset_problems: Vec::new(),
            preparing: false,
            quit: false,
            stop_on_quit: Vec::new(),
            quit_asked: false,
            effects: Vec::new(),
            class: None,
            engine,
            settings: super::settings::Settings::default(),
            selection: None,
            mouse_released: false,
        };
        if let Some(p) = app.progress.problem.as_ref() {
            let text = p.to_string();
            app.say(MsgKind::Warn, text);
        }
        app.resume();
        app
    }

    /// The shell could not start: say why; Enter in the terminal tries again.
    pub fn shell_failed(&mut self, error: &str) {
        self.shell_alive = false;
        self.say(MsgKind::Error, t("tui_shell_failed", &[("error", error)]));
    }

    /// Attach the shell and size it to the terminal pane.
    pub fn set_shell(&mut self, shell: Box<dyn ShellPane>) {
        self.shell = Some(shell);
        self.shell_alive = true;
        self.resize_shell();
    }

    // ----- queries -----

    pub fn current_lesson(&self) -> Option<&Lesson> {
        self.lessons.get(self.lesson).and_then(|l| l.as_ref().ok())
    }

    pub fn current_step(&self) -> Option<&Step> {
        self.current_lesson().and_then(|l| l.steps.get(self.step))
    }

    pub fn is_done(&self, lesson: &Lesson, step: &Step) -> bool {
        self.progress.is_done(&lesson.id, &step.id)
            || self
                .demo_done
                .contains(&(lesson.id.clone(), step.id.clone()))
    }

    pub fn steps_done(&self, lesson: &Lesson) -> usize {
        lesson
            .steps
            .iter()
            .filter(|s| self.is_done(lesson, s))
            .count()
    }

    pub fn running_containers(&self) -> Vec<String> {
        self.snapshot
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .map(|c| c.id.clone())
            .collect()
    }

    // ----- positioning -----

    /// Where the learner was when gorae last ran (progress' current step), if that lesson
    /// and step still exist; else the first unfinished step of the first unfinished lesson.
    fn resume(&mut self) {
        if let Some((li, si)) = self.saved_position() {
            self.enter(li, si);
            return;
        }
        let mut target = None;
        for (li, l) in self.lessons.iter().enumerate() {
            if let Ok(lesson) = l
                && let Some(si) = lesson.steps.iter().position(|s| !self.is_done(lesson, s))
            {
                target = Some((li, si));
                break;
            }
        }
        let (li, si) = target.unwrap_or_else(|| {
            let last = self.lessons.len().saturating_sub(1);
            let steps = self
                .lessons
                .get(last)
                .and_then(|l| l.as_ref().ok())
                .map_or(0, |l| l.steps.len());
            (last, steps)
        });
        self.enter(li, si);
    }

    /// The saved current step as indices. A finished lesson was left on its "lesson done"
    /// page (past its last step, which is not saved as a step of its own): a saved last step
    /// that is done opens that page again.
    fn saved_position(&self) -> Option<(usize, usize)> {
        let (lid, sid) = self.progress.current()?;
        let li = self
            .lessons
            .iter()
            .position(|l| l.as_ref().is_ok_and(|l| l.id == lid))?;
        let lesson = self.lessons[li].as_ref().ok()?;
        let si = lesson.steps.iter().position(|s| s.id == sid)?;
        let last_done = si + 1 == lesson.steps.len() && self.is_done(lesson, &lesson.steps[si]);
        Some((li, if last_done { si + 1 } else { si }))
    }

    /// Start at a lesson (1-based number or id) and step (1-based number or id).
    pub fn start_at(&mut self, lesson: &str, step: Option<&str>) -> Result<(), String> {
        let li = self
            .lessons
            .iter()
            .position(|l| l.as_ref().is_ok_and(|l| l.id == lesson))
            .or_else(|| {
                lesson
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1 && *n <= self.lessons.len())
                    .map(|n| n - 1)
            })
            .ok_or_else(|| t("tui_no_such_lesson", &[("lesson", lesson)]))?;
        let si = match (step, self.lessons[li].as_ref()) {
            (None, _) => self.first_unfinished(li),
            (Some(s), Ok(l)) => l
                .steps
                .iter()
                .position(|st| st.id == s)
                .or_else(|| {
                    s.parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1 && *n <= l.steps.len())
                        .map(|n| n - 1)
                })
                .ok_or_else(|| t("tui_no_such_step", &[("step", s)]))?,
            (Some(_), Err(_)) => 0,
        };
        self.enter(li, si);
        Ok(())
    }

    /// Make (lesson, step) current; check it at once, since the state may already satisfy it.
    fn enter(&mut self, lesson: usize, step: usize) {
        self.lesson = lesson;
        self.step = step;
        self.events_since_step.clear();
        self.aid = StepAid::default();
        self.lesson_scroll = None;
        if !self.demo {
            let ids = self
                .current_lesson()
                .zip(self.current_step())
                .map(|(l, s)| (l.id.clone(), s.id.clone()));
            if let Some((lid, sid)) = ids {
                self.progress.set_current(&lid, &sid);
                // Where the learner is matters less than what they did: no message here.
                let _ = self.progress.save();
                self.class_step(false);
            }
        }
        self.evaluate();
    }

    fn advance(&mut self) {
        let Some(len) = self.current_lesson().map(|l| l.steps.len()) else {
            return;
        };
        if self.step < len {
            self.enter(self.lesson, self.step + 1);
        }
    }

    pub(super) fn next_lesson(&mut self) {
        if self.lesson + 1 < self.lessons.len() {
            let li = self.lesson + 1;
            self.enter(li, self.first_unfinished(li));
        } else {
            self.say(MsgKind::Success, t("tui_course_complete", &[]));
        }
    }

    pub(super) fn mark_current_done(&mut self) {
        let Some((lid, sid)) = self
            .current_lesson()
            .zip(self.current_step())
            .map(|(l, s)| (l.id.clone(), s.id.clone()))
        else {
            return;
        };
        if self.demo {
            self.demo_done.insert((lid, sid));
        } else {
            self.progress.mark_done(&lid, &sid);
            self.class_step(true);
            if let Err(e) = self.progress.save() {
                self.say(
                    MsgKind::Error,
                    t("tui_progress_not_saved", &[("error", &e.to_string())]),
                );
            }
        }
    }

    /// Check the current step against the engine; a pass ticks it and moves on (and the next
    /// step is checked in turn). A pass is never taken back by later actions.
    fn evaluate(&mut self) {
        let Some(step) = self.current_step() else {
            self.engine.watch(None, &self.snapshot);
            return;
        };
        if is_reading(step) || self.current_lesson().is_some_and(|l| self.is_done(l, step)) {
            self.engine.watch(None, &self.snapshot);
            return;
        }
        // What the step reads beyond events, in the state as it is now (new containers
        // come with events, which call this again).
        self.engine.watch(Some(step), &self.snapshot);
        match self.engine.evaluate(step, &self.events_since_step) {
            Verdict::Pass => {
                let title = step.title.clone();
                self.mark_current_done();
                if self.demo {
                    // The room reads the explanation until the presenter moves on.
                    self.say(
                        MsgKind::Success,
                        t("tui_demo_step_done", &[("title", &title)]),
                    );
                    return;
                }
                self.say(MsgKind::Success, t("tui_step_done", &[("title", &title)]));
                // Entering the next step checks it in turn.
                self.advance();
                if self.current_step().is_none() {
                    let key = if self.lesson + 1 < self.lessons.len() {
                        "tui_lesson_done"
                    } else {
                        "tui_course_complete"
                    };
                    self.say(MsgKind::Success, t(key, &[]));
                }
            }
            Verdict::Avoid(hint) => {
                if self.aid.avoid.as_deref() != Some(hint.as_str()) {
                    self.say(MsgKind::Warn, hint.clone());
                    self.class_wrong(&hint);
                }
                self.aid.avoid = Some(hint);
            }
            _ => self.aid.avoid = None,
        }
    }

    pub(super) fn say(&mut self, kind: MsgKind, text: String) {
        self.message = Some(Message { kind, text });
    }

    // ----- events -----

    /// Apply one event; true when the screen must be redrawn.
    pub fn handle(&mut self, ev: AppEvent) -> bool {
        match ev {
            AppEvent::Key(k) => {
                if k.kind == KeyEventKind::Release {
                    return false;
                }
                self.key(k);
                true
            }
            AppEvent::Mouse(m) => self.mouse(m),
            AppEvent::Paste(text) => {
                if let Some(sh) = self.shell.as_mut() {
                    sh.paste(&text);
                }
                self.focus = Focus::Terminal;
                true
            }
            AppEvent::Resize(w, h) => {
                self.size = (w, h);
                self.resize_shell();
                true
            }
            AppEvent::PtyOutput(bytes) => {
                if let Some(sh) = self.shell.as_mut() {
                    sh.process(&bytes);
                }
                if self.typing.as_ref().is_some_and(|t| t.waiting)
                    && self.shell.as_ref().is_some_and(|s| s.at_prompt())
                {
                    self.typing = None;
                }
                true
            }
            AppEvent::PtyExit => {
                self.shell_alive = false;
                self.typing = None;
                self.say(MsgKind::Warn, t("tui_shell_exited", &[]));
                true
            }
            AppEvent::Engine(evs) => {
                self.events_since_step.extend(evs);
                self.snapshot = self.engine.snapshot();
                self.evaluate();
                true
            }
            AppEvent::Changed => {
                self.engine.changes_seen();
                self.evaluate();
                true
            }
            AppEvent::Tick => self.tick(),
            AppEvent::Reset(u) => {
                match u {
                    ResetUpdate::Progress { done, total, what } => {
                        let text = t(
                            "tui_reset_progress",
                            &[
                                ("done", &done.to_string()),
                                ("total", &total.to_string()),
                                ("what", &what),
                            ],
                        );
                        self.resetting = Some(text.clone());
                        self.say(MsgKind::Info, text);
                    }
                    ResetUpdate::Problem(p) => self.reset_problems.push(p),
                    ResetUpdate::Finished(res) => {
                        self.resetting = None;
                        self.snapshot = self.engine.snapshot();
                        let problems = std::mem::take(&mut self.reset_problems).join("; ");
                        match res {
                            Ok(()) if problems.is_empty() => {
                                self.enter(self.lesson, self.step);
                                let key = if self.preparing {
                                    "tui_prepare_done"
                                } else {
                                    "tui_reset_done"
                                };
                                self.say(MsgKind::Success, t(key, &[]));
                            }
                            Ok(()) => {
                                self.enter(self.lesson, self.step);
                                self.say(
                                    MsgKind::Error,
                                    t("tui_reset_incomplete", &[("error", &problems)]),
                                );
                            }
                            Err(e) => {
                                let e = if problems.is_empty() {
                                    e
                                } else {
                                    format!("{e}; {problems}")
                                };
                                self.say(MsgKind::Error, t("tui_reset_failed", &[("error", &e)]))
                            }
                        }
                    }
                }
                true
            }
            AppEvent::Class(news) => {
                self.class_news(news);
                true
            }
            AppEvent::Stopped { n, problems } => {
                self.stopped(n, problems);
                true
            }
            AppEvent::Quit => {
                self.quit = true;
                true
            }
        }
    }

    fn key(&mut self, k: KeyEvent) {
        self.class_touch();
        if let Some(ov) = self.overlay.clone() {
            self.overlay_key(ov, k);
            return;
        }
        if !matches!(k.code, KeyCode::Modifier(_)) {
            self.selection = None;
        }
        match k.code {
            _ if self.is_switch_key(&k) => {
                self.focus = match self.focus {
                    Focus::Terminal => Focus::Lesson,
                    Focus::Lesson => Focus::Terminal,
                };
            }
            _ if super::pane::is_mouse_key(&k) => self.toggle_mouse(),
            KeyCode::F(1) => self.overlay = Some(Overlay::Help),
            KeyCode::F(2) => self.show_hint(),
            KeyCode::F(3) => self.show_solution(),
            KeyCode::F(4) => self.type_solution(),
            KeyCode::F(5) => self.ask_reset(),
            KeyCode::F(6) => self.next_step(),
            KeyCode::F(7) => self.open_list(),
            KeyCode::F(8) => self.toggle_state(),
            KeyCode::F(9) => self.toggle_demo(),
            KeyCode::F(10) => self.ask_quit(),
            KeyCode::F(12) => self.class_ask_leave(),
            _ => match self.focus {
                Focus::Terminal => self.shell_key(k),
                Focus::Lesson => self.lesson_key(k),
            },
        }
    }

    fn shell_key(&mut self, k: KeyEvent) {
        if !self.shell_alive {
            if k.code == KeyCode::Enter {
                self.effects.push(Effect::RespawnShell);
            }
            return;
        }
        if self.pane_key(&k) {
            return;
        }
        if let Some(sh) = self.shell.as_mut() {
            let bytes = encode_key(&k, sh.application_cursor());
            if !bytes.is_empty() {
                sh.write(&bytes);
            }
        }
    }

    /// The lesson pane reads; it does not take commands from single letters. A learner who
    /// thinks the terminal has focus types a command here: every printable key then only says
    /// how to reach the terminal, so nothing (a reset, demo mode, quitting) starts by accident.
    /// Everything gorae does is on function keys, which work in both panes.
    fn lesson_key(&mut self, k: KeyEvent) {
        let page = layout::lesson_area(self).height.saturating_sub(2).max(1) as i64;
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Up => self.scroll_lesson(-1),
            KeyCode::Down => self.scroll_lesson(1),
            KeyCode::PageUp => self.scroll_lesson(-page),
            KeyCode::PageDown => self.scroll_lesson(page),
            KeyCode::Home => self.lesson_scroll = Some(0),
            KeyCode::End => self.scroll_lesson(i64::MAX / 2),
            KeyCode::Char('l' | 'L') if ctrl => self.lesson_scroll = None,
            // Meant for the program flooding the terminal: it gets them, as if focused.
            KeyCode::Char(c @ ('c' | 'C' | 'z' | 'Z')) if ctrl => {
                self.shell_key(k);
                let key = format!("Ctrl-{}", c.to_ascii_uppercase());
                let switch = self.settings.switch_key.label();
                let text = t("tui_ctrl_sent", &[("key", &key), ("switch", &switch)]);
                self.say(MsgKind::Info, text);
            }
            _ if self.demo && self.presenter_key(k.code) => {}
            KeyCode::Esc | KeyCode::Tab => self.focus = Focus::Terminal,
            KeyCode::Char(_) | KeyCode::Enter | KeyCode::Backspace if !ctrl => {
                let switch = self.settings.switch_key.label();
                self.say(
                    MsgKind::Info,
                    t("tui_lesson_typing", &[("switch", &switch)]),
                );
            }
            _ => {}
        }
    }

    fn overlay_key(&mut self, ov: Overlay, k: KeyEvent) {
        match ov {
            Overlay::Help => {
                if let Some(page) = guide::page_for_key(k.code) {
                    self.overlay = Some(Overlay::Page { page, scroll: 0 });
                } else if matches!(
                    k.code,
                    KeyCode::Esc | KeyCode::F(1) | KeyCode::Enter | KeyCode::Char('q' | '?')
                ) {
                    self.overlay = None;
                }
            }
            Overlay::Page { page, scroll } => {
                let total = guide::lines(page, lang(), self.size, &self.theme).len();
                self.overlay = guide::key(page, scroll, k, total, guide::rows(self.size));
            }
            Overlay::Lessons { sel } => {
                let rows = ui::list_rows(self);
                let n = rows.len();
                match k.code {
                    KeyCode::Esc | KeyCode::F(7) | KeyCode::Char('q') => self.overlay = None,
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.overlay = Some(Overlay::Lessons {
                            sel: sel.saturating_sub(1),
                        })
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.overlay = Some(Overlay::Lessons {
                            sel: (sel + 1).min(n.saturating_sub(1)),
                        })
                    }
                    KeyCode::PageUp => {
                        self.overlay = Some(Overlay::Lessons {
                            sel: sel.saturating_sub(10),
                        })
                    }
                    KeyCode::PageDown => {
                        self.overlay = Some(Overlay::Lessons {
                            sel: (sel + 10).min(n.saturating_sub(1)),
                        })
                    }
                    KeyCode::Enter => {
                        if let Some(&(li, si)) = rows.get(sel) {
                            self.jump(li, si);
                        }
                    }
                    // 1 to 9, and 0 for the tenth: that lesson, where it was left.
                    KeyCode::Char(c @ '0'..='9') => {
                        let li = (c as usize + 9 - '0' as usize) % 10;
                        if li < self.lessons.len() {
                            self.jump(li, None);
                        }
                    }
                    _ => {}
                }
            }
            Overlay::ClassJoin(form) => self.class_join_key(form, k),
            Overlay::Confirm(c) => {
                // Only an explicit y (ㅛ on a Korean layout) says yes; Enter, Esc and any other
                // key cancel, so a learner typing on cannot confirm by accident. A lone
                // modifier press is no answer yet.
                if matches!(k.code, KeyCode::Modifier(_)) {
                    return;
                }
                let yes = matches!(k.code, KeyCode::Char('y' | 'Y' | 'ㅛ'));
                let no = matches!(k.code, KeyCode::Char('n' | 'N' | 'ㅜ'));
                let cancel = !(yes || no);
                self.overlay = None;
                match c {
                    Confirm::Quit { running } => {
                        if cancel {
                            return;
                        }
                        if yes {
                            self.stop_on_quit = running;
                        }
                        self.quit_asked = true;
                        self.quit = true;
                    }
                    Confirm::Skip if yes => {
                        self.message = None;
                        self.typing = None;
                        self.advance();
                    }
                    Confirm::Reset(plan) if yes => self.start_reset(*plan, false),
                    Confirm::Reset(_) => self.say(MsgKind::Info, t("tui_reset_cancelled", &[])),
                    Confirm::Prepare { plan, .. } if yes => self.start_reset(*plan, true),
                    Confirm::Prepare { .. } => {
                        self.say(MsgKind::Info, t("tui_prepare_declined", &[]))
                    }
                    Confirm::ClassMove { lesson, step, .. } => {
                        self.class_answer(yes, &lesson, step.as_deref())
                    }
                    Confirm::LeaveClass if yes => self.class_leave(),
                    Confirm::LeftRunning { running } => {
                        if yes {
                            let ids = running.into_iter().map(|(id, _)| id).collect();
                            self.effects.push(Effect::StopLeftRunning(ids));
                        } else {
                            self.say(MsgKind::Info, t("tui_left_running_kept", &[]));
                        }
                        // Then what the step needs, as at any start.
                        self.offer_preparation();
                    }
                    _ => {}
                }
            }
        }
    }

    /// Lesson `li`'s first step not done yet (its first when all are, or it cannot be read).
    fn first_unfinished(&self, li: usize) -> usize {
        match &self.lessons[li] {
            Ok(l) => l
                .steps
                .iter()
                .position(|s| !self.is_done(l, s))
                .unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// From the lesson list to a step, or to a lesson's first unfinished step.
    fn jump(&mut self, li: usize, si: Option<usize>) {
        self.overlay = None;
        self.typing = None;
        let si = si.unwrap_or_else(|| self.first_unfinished(li));
        self.message = None;
        self.enter(li, si);
        self.offer_preparation();
    }

    fn mouse(&mut self, m: MouseEvent) -> bool {
        let areas = layout::layout(self);
        let inside = |r: ratatui::layout::Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let over_lesson = areas.lesson.is_some_and(inside);
        let over_term = areas.terminal.is_some_and(inside);
        let over_state = areas.state.is_some_and(inside);
        if over_term
            && self.overlay.is_none()
            && let (Some(sh), Some(r)) = (self.shell.as_mut(), areas.terminal)
            && sh.mouse(&m, m.column - r.x, m.row - r.y)
        {
            if matches!(m.kind, MouseEventKind::Down(_)) {
                self.focus = Focus::Terminal;
            }
            return true;
        }
        if self.overlay.is_none()
            && let Some(r) = areas.terminal
            && let Some(redraw) = self.pane_mouse(&m, r, over_term)
        {
            return redraw;
        }
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let d: i64 = if m.kind == MouseEventKind::ScrollUp {
                    -3
                } else {
                    3
                };
                if self.overlay.is_some() {
                    return false;
                }
                if over_lesson {
                    self.scroll_lesson(d);
                    true
                } else if over_state {
                    let rows = areas.state.map_or(0, |r| r.height as usize);
                    let max = ui::state::lines(self).len().saturating_sub(rows) as i64;
                    self.state_scroll = (self.state_scroll as i64 + d).clamp(0, max) as usize;
                    true
                } else {
                    false
                }
            }
            MouseEventKind::Down(MouseButton::Left) if self.overlay.is_none() => {
                let before = self.focus;
                if over_lesson {
                    self.focus = Focus::Lesson;
                } else if over_term {
                    self.focus = Focus::Terminal;
                }
                before != self.focus
            }
            _ => false,
        }
    }

    fn scroll_lesson(&mut self, delta: i64) {
        let area = layout::lesson_area(self);
        let doc = ui::lesson::build(self, area.width);
        let max = doc.lines.len().saturating_sub(area.height as usize);
        let cur = self
            .lesson_scroll
            .unwrap_or_else(|| ui::lesson::follow_offset(&doc, self.step, area.height))
            .min(max) as i64;
        let next = (cur + delta).clamp(0, max as i64) as usize;
        self.lesson_scroll = Some(next);
    }

    pub(super) fn resize_shell(&mut self) {
        let areas = layout::layout(self);
        if let (Some(sh), Some(r)) = (self.shell.as_mut(), areas.terminal) {
            sh.resize(r.height.max(1), r.width.max(1));
        }
    }

    // ----- actions -----

    fn show_hint(&mut self) {
        let Some(step) = self.current_step() else {
            return;
        };
        let n = step.hints.len();
        if n == 0 {
            self.say(MsgKind::Info, t("tui_no_hints", &[]));
            return;
        }
        let shown = (self.aid.hints_shown + 1).min(n);
        let text = step.hints[shown - 1].clone();
        self.aid.hints_shown = shown;
        self.class_send(crate::classroom::protocol::Kind::Hint { n: shown as u32 });
        self.say(
            MsgKind::Hint,
            t(
                "tui_hint",
                &[
                    ("n", &shown.to_string()),
                    ("total", &n.to_string()),
                    ("text", &text),
                ],
            ),
        );
        self.lesson_scroll = None;
    }

    pub(super) fn next_step(&mut self) {
        let Some(step) = self.current_step() else {
            self.next_lesson();
            return;
        };
        let done = self.current_lesson().is_some_and(|l| self.is_done(l, step));
        if is_reading(step) {
            self.mark_current_done();
            self.message = None;
            self.advance();
        } else if done || self.demo {
            self.message = None;
            self.typing = None;
            self.advance();
        } else {
            self.overlay = Some(Overlay::Confirm(Confirm::Skip));
        }
    }

    fn open_list(&mut self) {
        let rows = ui::list_rows(self);
        let sel = rows
            .iter()
            .position(|&(l, s)| l == self.lesson && s == Some(self.step))
            .or_else(|| rows.iter().position(|&(l, _)| l == self.lesson))
            .unwrap_or(0);
        self.overlay = Some(Overlay::Lessons { sel });
    }

    fn toggle_state(&mut self) {
        self.show_state = !self.show_state;
        self.resize_shell();
    }

    fn ask_quit(&mut self) {
        let running = self.running_containers();
        if running.is_empty() {
            self.quit_asked = true;
            self.quit = true;
        } else {
            self.overlay = Some(Overlay::Confirm(Confirm::Quit { running }));
        }
    }

    fn ask_reset(&mut self) {
        if self.resetting.is_some() || self.current_step().is_none() {
            return;
        }
        let plan = self.reset_plan();
        self.overlay = Some(Overlay::Confirm(Confirm::Reset(Box::new(plan))));
    }

    /// Plan the reset: remove what this lesson names that exists now (its containers, image
    /// tags, volumes, networks: `course::footprint`), then replay this lesson's earlier steps
    /// and this step's setup. Anything else (another lesson's image, a container the learner
    /// made on their own) stays. A tag whose image a running container outside the plan uses
    /// stays too: removing it would be refused, and that container is not this step's.
    pub fn reset_plan(&self) -> ResetPlan {
        let mut replay = Vec::new();
        let mut remove = Names::default();
        if let Some(l) = self.current_lesson() {
            for s in l.steps.iter().take(self.step) {
                replay.extend(s.setup.iter().cloned());
                replay.extend(s.solution.iter().cloned());
            }
            if let Some(s) = l.steps.get(self.step) {
                replay.extend(s.setup.iter().cloned());
            }
            remove = footprint::lesson_names(l).present(&self.snapshot);
        }
        let snap = &self.snapshot;
        remove.images.retain(|tag| {
            let Some(img) = snap.images.iter().find(|i| i.tags.contains(tag)) else {
                return false;
            };
            !snap.containers.iter().any(|c| {
                c.state == "running" && c.image_id == img.id && !remove.containers.contains(&c.name)
            })
        });
        ResetPlan { remove, replay }
    }

    /// At start: when the last session ended without F10 (`unasked`) and containers still
    /// run, ask whether to stop them; then (or else) offer to prepare the step.
    pub fn started(&mut self, unasked: bool) {
        let running: Vec<(String, String)> = self
            .snapshot
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        if unasked && !running.is_empty() {
            self.overlay = Some(Overlay::Confirm(Confirm::LeftRunning { running }));
        } else {
            self.offer_preparation();
        }
    }

    /// What `gorae doctor` would say, in one line on the status bar (unless something more
    /// pressing is there): the full report is a command away.
    pub fn machine_looked_at(&mut self, look: crate::doctor::FirstLook) {
        use crate::doctor::FirstLook;
        let key = match look {
            FirstLook::Fine | FirstLook::Leave => return,
            FirstLook::Limited => "tui_doctor_limited",
            FirstLook::Blocked => "tui_doctor_blocked",
        };
        if self.message.is_none() {
            self.say(MsgKind::Warn, t(key, &[]));
        }
    }

    /// The containers the last session left running were stopped (or could not be).
    pub fn stopped(&mut self, n: usize, problems: Vec<String>) {
        self.snapshot = self.engine.snapshot();
        if problems.is_empty() {
            let text = t("tui_left_running_stopped", &[("n", &n.to_string())]);
            self.say(MsgKind::Success, text);
        } else {
            let text = t("tui_stop_failed", &[("error", &problems.join("; "))]);
            self.say(MsgKind::Error, text);
        }
    }

    /// After a jump (F7, `--lesson/--step`, a restart): when what the earlier steps of this
    /// lesson make is missing, offer to make it (the reset's plan), rather than leave the
    /// step's first command to fail.
    pub fn offer_preparation(&mut self) {
        if self.resetting.is_some() || self.overlay.is_some() {
            return;
        }
        let Some(lesson) = self.current_lesson() else {
            return;
        };
        if self.step == 0 || self.step >= lesson.steps.len() {
            return;
        }
        let missing = footprint::made_before(lesson, self.step).missing(&self.snapshot);
        if missing.is_empty() {
            return;
        }
        let plan = self.reset_plan();
        self.overlay = Some(Overlay::Confirm(Confirm::Prepare {
            missing: Box::new(missing),
            plan: Box::new(plan),
        }));
    }

    /// Run `plan`: a reset (F5), or the preparation a jump offered (worded as such).
    fn start_reset(&mut self, plan: ResetPlan, preparing: bool) {
        self.typing = None;
        self.preparing = preparing;
        let key = if preparing {
            "tui_prepare_started"
        } else {
            "tui_reset_started"
        };
        let text = t(key, &[]);
        self.resetting = Some(text.clone());
        self.reset_problems.clear();
        self.say(MsgKind::Info, text);
        if !preparing {
            self.class_send(crate::classroom::protocol::Kind::Reset);
        }
        self.effects.push(Effect::Reset(plan));
    }
}
