//! Overlays drawn over the panes: help (every key, and the pages it opens), the lesson list,
//! confirmations.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::list_rows;
use super::state::clip_line;
use crate::course::footprint::Names;
use crate::i18n::{lang, t};
use crate::tui::guide::{self, Page};
use crate::tui::model::{App, Confirm, Overlay};
use crate::tui::text::{line_width, str_width, wrap_text};

/// Every key, as (key, key in the lesson pane, what it does).
pub fn help_entries(app: &App) -> Vec<(String, String, String)> {
    let switch = app.settings.switch_key.label();
    let second = crate::tui::settings::SECOND_SWITCH_KEY.label();
    let mouse_key = crate::tui::pane::MOUSE_KEY;
    let rows: Vec<(&str, &str, String)> = vec![
        ("F1", "", t("tui_help_help", &[])),
        ("F2", "", t("tui_help_hint", &[])),
        ("F3", "", t("tui_help_solution", &[])),
        ("F4", "", t("tui_help_type", &[])),
        ("F5", "", t("tui_help_reset", &[])),
        ("F6", "", t("tui_help_next", &[])),
        ("F7", "", t("tui_help_list", &[])),
        ("F8", "", t("tui_help_state", &[])),
        ("F9", "", t("tui_help_demo", &[])),
        ("F10", "", t("tui_help_quit", &[])),
        ("F12", "", t("tui_help_class", &[])),
        (&switch, &switch, t("tui_help_focus", &[])),
        (
            &second,
            &second,
            t("tui_help_focus_second", &[("switch", &switch)]),
        ),
        ("Shift-PgUp PgDn", "", t("tui_help_scrollback", &[])),
        ("Alt-← →", "", t("tui_help_widen", &[])),
        (mouse_key, "", t("tui_help_mouse_key", &[])),
        ("", "↑↓ PgUp PgDn Home End", t("tui_help_scroll", &[])),
        ("", "Ctrl-L", t("tui_help_follow", &[])),
        ("", "Space Enter", t("tui_help_demo_next", &[])),
        ("", "+ -", t("tui_help_pace", &[])),
        ("", "Ctrl-C Ctrl-Z", t("tui_help_interrupt", &[])),
        ("", "Esc Tab", t("tui_help_back", &[])),
    ];
    let mut out: Vec<(String, String, String)> = rows
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
        .collect();
    out.push((
        t("tui_help_mouse", &[]),
        String::new(),
        t("tui_help_wheel", &[]),
    ));
    out
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears the box `r` drawn in `area`.
fn clear_box(r: Rect, area: Rect, buf: &mut Buffer) {
    Clear.render(r, buf);
    // A wide character just left of the box would spill over its border: blank it.
    if r.x > area.x {
        for y in r.y..r.y + r.height {
            let cell = &mut buf[(r.x - 1, y)];
            if str_width(cell.symbol()) > 1 {
                cell.set_symbol(" ");
            }
        }
    }
}

fn boxed(
    title: String,
    lines: Vec<Line<'static>>,
    area: Rect,
    w: u16,
    buf: &mut Buffer,
    app: &App,
) {
    let h = lines.len() as u16 + 2;
    let r = centered(area, w, h);
    clear_box(r, area, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(Line::from(format!(" {title} ")));
    let inner = block.inner(r);
    block.render(r, buf);
    let lines: Vec<Line<'static>> = lines
        .into_iter()
        .map(|l| clip_line(l, inner.width as usize))
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    match &app.overlay {
        None => {}
        Some(Overlay::Help) => {
            let entries = help_entries(app);
            let head1 = t("tui_help_anywhere", &[]);
            let head2 = t("tui_help_in_lesson", &[]);
            let k1 = entries
                .iter()
                .map(|e| str_width(&e.0))
                .chain([str_width(&head1)])
                .max()
                .unwrap_or(0);
            let k2 = entries
                .iter()
                .map(|e| str_width(&e.1))
                .chain([str_width(&head2)])
                .max()
                .unwrap_or(0);
            let pad =
                |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(str_width(s))));
            let mut lines = vec![
                Line::from(Span::styled(
                    t(
                        "tui_help_intro",
                        &[("switch", &app.settings.switch_key.label())],
                    ),
                    th.dim(),
                )),
                Line::from(Span::styled(t("tui_help_letters", &[]), th.dim())),
                Line::default(),
            ];
            // The two pages first: the key table below is cut on a short screen.
            for (k, what) in [
                ("T", t("tui_help_troubleshooting", &[])),
                ("C", t("tui_help_commands", &[])),
            ] {
                lines.push(Line::from(vec![
                    Span::styled(k, th.status_key().patch(th.h3())),
                    Span::raw(" ".repeat(k1 + 2 - str_width(k) + k2 + 2)),
                    Span::raw(what),
                ]));
            }
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled(pad(&head1, k1 + 2), th.h3()),
                Span::styled(pad(&head2, k2 + 2), th.h3()),
            ]));
            for (a, b, what) in entries {
                let gap = " ".repeat(k1 + 2 - str_width(&a));
                lines.push(Line::from(vec![
                    Span::styled(a, th.status_key().patch(th.h3())),
                    Span::raw(gap),
                    Span::styled(pad(&b, k2 + 2), th.h3()),
                    Span::raw(what),
                ]));
            }
            lines.push(Line::default());
            if let Some(file) = &app.settings.path {
                let file = file.display().to_string();
                let text = t("tui_help_settings", &[("file", &file)]);
                lines.push(Line::from(Span::styled(text, th.dim())));
            }
            lines.push(Line::from(Span::styled(t("tui_help_close", &[]), th.dim())));
            let w = lines
                .iter()
                .map(|l| l.spans.iter().map(|s| str_width(&s.content)).sum::<usize>())
                .max()
                .unwrap_or(40) as u16
                + 4;
            boxed(t("tui_help_title", &[]), lines, area, w, buf, app);
        }
        Some(Overlay::Page { page, scroll }) => render_page(app, *page, *scroll, area, buf),
        Some(Overlay::Lessons { sel }) => {
            let rows = list_rows(app);
            let h = area.height.saturating_sub(4).max(3) as usize;
            let inner_h = h.saturating_sub(2).max(1);
            let start = sel
                .saturating_sub(inner_h / 2)
                .min(rows.len().saturating_sub(inner_h));
            let mut lines = Vec::new();
            for (i, &(li, si)) in rows.iter().enumerate().skip(start).take(inner_h) {
                let selected = i == *sel;
                let mut line = match (&app.lessons[li], si) {
                    (Ok(l), None) => {
                        let done = app.steps_done(l);
                        let all = done == l.steps.len() && !l.steps.is_empty();
                        Line::from(vec![
                            Span::styled(if all { "✓ " } else { "  " }, th.done()),
                            Span::styled(format!("{}. {}", li + 1, l.title), th.h3()),
                            Span::styled(format!("  {done}/{}", l.steps.len()), th.dim()),
                        ])
                    }
                    (Ok(l), Some(s)) => {
                        let step = &l.steps[s];
                        let done = app.is_done(l, step);
                        let here = li == app.lesson && s == app.step;
                        Line::from(vec![
                            Span::raw("    "),
                            Span::styled(
                                if done {
                                    "✓ "
                                } else if here {
                                    "▸ "
                                } else {
                                    "  "
                                },
                                if done { th.done() } else { th.current_bar() },
                            ),
                            Span::raw(format!("{}. {}", s + 1, step.title)),
                        ])
                    }
                    (Err(e), _) => Line::from(vec![
                        Span::styled("⚠ ", th.error()),
                        Span::styled(
                            format!("{}. {}", li + 1, e.lines().next().unwrap_or("")),
                            th.error(),
                        ),
                    ]),
                };
                let w = area.width.saturating_sub(8).clamp(20, 90) as usize;
                if selected {
                    // A bar across the whole row, seen on any theme and without colours.
                    let pad = w.saturating_sub(2 + line_width(&line));
                    line.spans.push(Span::raw(" ".repeat(pad)));
                    line = line.patch_style(th.selected());
                }
                lines.push(line);
            }
            let w = area.width.saturating_sub(8).clamp(20, 90);
            boxed(t("tui_list_title", &[]), lines, area, w, buf, app);
        }
        Some(Overlay::ClassJoin(form)) => {
            let lines = crate::classroom::join_form::lines(form, th);
            let w = area.width.saturating_sub(8).clamp(20, 64);
            boxed(t("class_join_title", &[]), lines, area, w, buf, app);
        }
        Some(Overlay::Confirm(c)) => {
            let text = match c {
                Confirm::Quit { running } => {
                    t("tui_confirm_quit", &[("n", &running.len().to_string())])
                }
                Confirm::Skip => t("tui_confirm_skip", &[]),
                Confirm::Reset(plan) => t(
                    "tui_confirm_reset",
                    &[
                        ("remove", &names_text(&plan.remove)),
                        ("n", &plan.replay.len().to_string()),
                    ],
                ),
                Confirm::Prepare { missing, plan } => t(
                    "tui_confirm_prepare",
                    &[
                        ("missing", &names_text(missing)),
                        ("remove", &names_text(&plan.remove)),
                        ("n", &plan.replay.len().to_string()),
                    ],
                ),
                Confirm::ClassMove {
                    lesson,
                    step,
                    message,
                } => t(
                    "class_confirm_move",
                    &[
                        (
                            "place",
                            &step
                                .as_ref()
                                .map_or(lesson.clone(), |s| format!("{lesson}-{s}")),
                        ),
                        ("message", message),
                    ],
                ),
                Confirm::LeaveClass => t("class_confirm_leave", &[]),
                Confirm::LeftRunning { running } => {
                    let names: Vec<&str> = running.iter().map(|(_, name)| name.as_str()).collect();
                    t(
                        "tui_confirm_left_running",
                        &[
                            ("n", &running.len().to_string()),
                            ("names", &names.join(", ")),
                        ],
                    )
                }
            };
            let w = area.width.saturating_sub(8).clamp(20, 64);
            let lines = wrap_text(&text, th.text(), w.saturating_sub(4) as usize);
            boxed(t("tui_confirm_title", &[]), lines, area, w, buf, app);
        }
    }
}

/// "containers db, web; volumes redis-data" (or "nothing"), as the dialogs list what they do.
pub fn names_text(n: &Names) -> String {
    let parts: Vec<String> = [
        ("tui_names_containers", &n.containers),
        ("tui_names_images", &n.images),
        ("tui_names_volumes", &n.volumes),
        ("tui_names_networks", &n.networks),
    ]
    .into_iter()
    .filter(|(_, set)| !set.is_empty())
    .map(|(key, set)| {
        let list: Vec<&str> = set.iter().map(String::as_str).collect();
        t(key, &[("list", &list.join(", "))])
    })
    .collect();
    if parts.is_empty() {
        t("tui_names_none", &[])
    } else {
        parts.join("; ")
    }
}

/// A page from the help: as many of its lines as fit, from `scroll`, in a box nearly as big as
/// the frame, with where it is and the keys in the bottom border.
fn render_page(app: &App, page: Page, scroll: usize, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let size = (area.width, area.height);
    let r = guide::frame_rect(size);
    let r = Rect::new(area.x + r.x, area.y + r.y, r.width, r.height);
    let all = guide::lines(page, lang(), size, th);
    let rows = guide::rows(size);
    let scroll = scroll.min(all.len().saturating_sub(rows));
    let title = match page {
        Page::Troubleshooting => t("tui_page_troubleshooting", &[]),
        Page::Commands => t("tui_page_commands", &[]),
    };
    let end = (scroll + rows).min(all.len());
    let keys = t(
        "tui_page_keys",
        &[
            ("from", &(scroll + 1).min(all.len()).to_string()),
            ("to", &end.to_string()),
            ("of", &all.len().to_string()),
        ],
    );
    clear_box(r, area, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(th.border(true))
        .title(Line::from(format!(" {title} ")))
        .title_bottom(Line::from(Span::styled(format!(" {keys} "), th.dim())));
    let inner = block.inner(r);
    block.render(r, buf);
    let text = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let lines: Vec<Line<'static>> = all
        .into_iter()
        .skip(scroll)
        .take(rows)
        .map(|l| clip_line(l, text.width as usize))
        .collect();
    Paragraph::new(lines).render(text, buf);
}
