//! The lesson pane: intro, then every step; the current step carries a coloured bar, done
//! steps a green ✓, steps still ahead are dimmed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::i18n::t;
use crate::tui::markdown;
use crate::tui::model::{App, MsgKind, is_reading};
use crate::tui::text::{self, str_width};

pub struct LessonDoc {
    pub lines: Vec<Line<'static>>,
    /// The first line of each step's title.
    pub step_starts: Vec<usize>,
    /// The line after the last step (the "lesson complete" note).
    pub end: usize,
}

/// Where to scroll so the current step's title is near the top; the step just done (with
/// its ✓) stays in view above it when it is short. The first step shows the introduction.
pub fn follow_offset(doc: &LessonDoc, step: usize, height: u16) -> usize {
    // The first step comes right after the introduction, which is read first.
    if step == 0 {
        return 0;
    }
    let start = doc.step_starts.get(step).copied().unwrap_or(doc.end);
    let max = doc.lines.len().saturating_sub(height as usize);
    let prev = step
        .checked_sub(1)
        .and_then(|p| doc.step_starts.get(p).copied())
        .filter(|&p| start - p <= height as usize / 3);
    prev.unwrap_or(start.saturating_sub(1)).min(max)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let doc = build(app, area.width);
    let max = doc.lines.len().saturating_sub(area.height as usize);
    let offset = app
        .lesson_scroll
        .unwrap_or_else(|| follow_offset(&doc, app.step, area.height))
        .min(max);
    // Lines come wrapped to the width: set directly (a Paragraph would re-flow each one).
    for (y, line) in (area.y..).zip(doc.lines.iter().skip(offset).take(area.height as usize)) {
        buf.set_line(area.x, y, line, area.width);
    }
    // A scroll mark on the right edge when there is more above or below.
    let th = &app.theme;
    if offset > 0 {
        buf.set_string(area.x + area.width - 1, area.y, "▲", th.dim());
    }
    if offset < max {
        buf.set_string(
            area.x + area.width - 1,
            area.y + area.height - 1,
            "▼",
            th.dim(),
        );
    }
}

fn prefixed(lines: Vec<Line<'static>>, gutter: Span<'static>, dim: bool) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|l| {
            let mut spans = Vec::with_capacity(l.spans.len() + 1);
            spans.push(gutter.clone());
            for s in l.spans {
                let st = if dim {
                    s.style.add_modifier(Modifier::DIM)
                } else {
                    s.style
                };
                spans.push(Span::styled(s.content, st));
            }
            Line::from(spans)
        })
        .collect()
}

pub fn build(app: &App, width: u16) -> LessonDoc {
    let th = &app.theme;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut step_starts = Vec::new();
    let w = width.max(4);
    let lesson = match app.lessons.get(app.lesson) {
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            lines.extend(text::wrap_text(
                &t("tui_lesson_broken", &[]),
                th.error(),
                w as usize,
            ));
            lines.push(Line::default());
            lines.extend(text::wrap_text(e, th.text(), w as usize));
            let end = lines.len();
            return LessonDoc {
                lines,
                step_starts,
                end,
            };
        }
        None => {
            lines.extend(text::wrap_text(
                &t("tui_no_lessons", &[]),
                th.dim(),
                w as usize,
            ));
            let end = lines.len();
            return LessonDoc {
                lines,
                step_starts,
                end,
            };
        }
    };
    let meta = t(
        "tui_lesson_meta",
        &[
            ("n", &(app.lesson + 1).to_string()),
            ("total", &app.lessons.len().to_string()),
            ("minutes", &lesson.minutes.to_string()),
        ],
    );
    lines.extend(text::wrap_text(&meta, th.dim(), w as usize));
    if !lesson.intro.trim_start().starts_with("# ") {
        lines.extend(markdown::render(&format!("# {}", lesson.title), w, th));
    }
    lines.extend(markdown::render(&lesson.intro, w, th));

    // Gutter: 2 columns (3 in demo mode, with a heavier bar).
    let gutter_w: u16 = if app.demo { 3 } else { 2 };
    let text_w = w.saturating_sub(gutter_w).max(2);
    for (i, step) in lesson.steps.iter().enumerate() {
        let current = i == app.step;
        let done = app.is_done(lesson, step);
        let ahead = i > app.step && !done;
        lines.push(Line::default());
        if app.demo {
            lines.push(Line::default());
        }
        step_starts.push(lines.len());
        let bar = if app.demo { "█▌ " } else { "▌ " };
        let gutter = if current {
            Span::styled(bar, th.current_bar())
        } else if app.demo {
            Span::raw("   ")
        } else {
            Span::raw("  ")
        };
        let (mark, mark_style) = if done {
            ("✓ ", th.done())
        } else if current {
            (if app.demo { "▶ " } else { "▸ " }, th.current_bar())
        } else if is_reading(step) {
            ("· ", th.dim())
        } else {
            ("○ ", th.dim())
        };
        let title_style = if current {
            th.current_title()
        } else if ahead {
            th.dim().add_modifier(Modifier::BOLD)
        } else {
            th.h3()
        };
        let title = format!("{}. {}", i + 1, step.title);
        let title_lines = text::wrap_text(&title, title_style, text_w.saturating_sub(2) as usize);
        for (k, tl) in title_lines.into_iter().enumerate() {
            let mut spans = vec![gutter.clone()];
            spans.push(if k == 0 {
                Span::styled(mark, mark_style)
            } else {
                Span::raw("  ")
            });
            spans.extend(tl.spans);
            lines.push(Line::from(spans));
        }
        let body = markdown::render(&step.text, text_w, th);
        let body: Vec<Line<'static>> = trim_blank(body);
        if !body.is_empty() {
            lines.push(Line::from(vec![gutter.clone()]));
            lines.extend(prefixed(body, gutter.clone(), ahead));
        }
        if current {
            lines.extend(prefixed(aid_lines(app, text_w), gutter.clone(), false));
        }
    }
    let end = lines.len();
    if app.step >= lesson.steps.len() {
        lines.push(Line::default());
        let note = if app.lesson + 1 < app.lessons.len() {
            t("tui_lesson_complete_next", &[])
        } else {
            t("tui_course_complete", &[])
        };
        lines.extend(text::wrap_text(&format!("★ {note}"), th.done(), w as usize));
    }
    lines.push(Line::default());
    LessonDoc {
        lines,
        step_starts,
        end,
    }
}

fn trim_blank(mut lines: Vec<Line<'static>>) -> Vec<Line<'static>> {
    while lines.last().is_some_and(|l| text::line_width(l) == 0) {
        lines.pop();
    }
    lines
}

/// Hints shown so far, the solution when asked for, and the latest warning, under the step.
fn aid_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let th = &app.theme;
    let Some(step) = app.current_step() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let w = width as usize;
    let box_line = |label: String, text: &str, style: Style, out: &mut Vec<Line<'static>>| {
        out.push(Line::default());
        let label_w = str_width(&label);
        let inner = w.saturating_sub(label_w).max(4);
        for (k, l) in markdown::render(text, inner as u16, th)
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                Span::styled(label.clone(), style)
            } else {
                Span::raw(" ".repeat(label_w))
            };
            let mut spans = vec![head];
            spans.extend(l.spans);
            out.push(Line::from(spans));
        }
    };
    for (i, h) in step.hints.iter().take(app.aid.hints_shown).enumerate() {
        let label = format!("{} {}: ", t("tui_hint_label", &[]), i + 1);
        box_line(label, h, th.hint(), &mut out);
    }
    if app.aid.solution_shown && !step.solution.is_empty() {
        let code = format!("```\n{}\n```", step.solution.join("\n"));
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            t("tui_solution_label", &[]),
            th.hint(),
        )));
        out.extend(markdown::render(&code, width, th));
    }
    if let Some(a) = &app.aid.avoid {
        box_line("⚠ ".to_string(), a, th.error(), &mut out);
    }
    if let Some(m) = &app.message
        && m.kind == MsgKind::Error
    {
        box_line("✗ ".to_string(), &m.text, th.error(), &mut out);
    }
    out
}
