//! The instructor's terminal board: the same rows and plot as the web page, redrawn when the
//! board changes and once a second (the times on steps move), and a line to send "everyone to
//! lesson N, step M" with a message.

use std::io::stdout;
use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use crossterm::event::{Event as CEvent, KeyCode, KeyEventKind, KeyModifiers, read};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Row, Table};

use super::board::{self, Status};
use super::protocol::Broadcast;
use super::server::{Room, now_ms};
use crate::i18n::t;

/// What the bottom line shows: the keys, the message being typed, or what just happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Bottom {
    Keys,
    Typing(String),
    Said(String),
}

/// `N M message`, `N message` or `message`: numbers first (lesson, then step), the rest said.
pub fn parse_send(s: &str) -> Broadcast {
    let mut words = s.split_whitespace().peekable();
    let num = |w: Option<&&str>| w.is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()));
    let lesson = if num(words.peek()) {
        words.next().map(str::to_string)
    } else {
        None
    };
    let step = if lesson.is_some() && num(words.peek()) {
        words.next().map(str::to_string)
    } else {
        None
    };
    Broadcast {
        n: 0,
        lesson,
        step,
        message: words.collect::<Vec<_>>().join(" "),
    }
}

fn status_text(s: Status) -> String {
    let key = match s {
        Status::Stuck => "stuck",
        Status::Working => "working",
        Status::Idle => "idle",
        Status::Away => "away",
        Status::Left => "left",
    };
    t(&format!("classroom.web.{key}"), &[])
}

fn clock(s: i64) -> String {
    format!("{}:{:02}", s / 60, s % 60)
}

pub fn draw(room: &Room, intro: &[String], bottom: &Bottom, f: &mut ratatui::Frame) {
    let now = now_ms();
    let (rows, plot) = {
        let b = room.board();
        (b.rows(now), b.plot())
    };
    let [head, table, chart, foot] = Layout::vertical([
        Constraint::Length(intro.len() as u16),
        Constraint::Min(4),
        Constraint::Length(8),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let lines: Vec<Line> = intro.iter().map(|l| Line::from(l.as_str())).collect();
    f.render_widget(Paragraph::new(lines), head);

    let header = Row::new(super::server::COLUMNS.map(|k| t(&format!("classroom.web.{k}"), &[])))
        .style(Style::default().add_modifier(Modifier::BOLD));
    let body: Vec<Row> = rows
        .iter()
        .map(|r| {
            let style = match r.status {
                Status::Stuck => Style::default().fg(Color::Red),
                Status::Working => Style::default(),
                _ => Style::default().fg(Color::DarkGray),
            };
            Row::new(vec![
                r.name.clone(),
                format!("{} {}", r.place, r.step_title),
                format!("✓ {}", r.done),
                clock(r.on_step_s),
                r.hints.to_string(),
                if r.solutions > 0 {
                    "✓".into()
                } else {
                    String::new()
                },
                status_text(r.status),
                r.last_wrong.clone(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(14),
        Constraint::Length(26),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let empty = rows.is_empty();
    f.render_widget(Table::new(body, widths).header(header), table);
    if empty {
        let mut r = table;
        r.y += 2;
        r.height = r.height.saturating_sub(2);
        f.render_widget(Paragraph::new(t("classroom.web.empty", &[])), r);
    }

    // Every step in the box: with more steps than half its width, bars touch.
    let n = plot.len().max(1) as u16;
    let inner = chart.width.saturating_sub(2);
    let gap = u16::from(n * 2 <= inner);
    let width = (inner / n).saturating_sub(gap).max(1);
    let bars: Vec<Bar> = plot
        .iter()
        .map(|b| {
            let bar = Bar::default().value(b.past as u64);
            if width >= 3 {
                bar.label(Line::from(b.place.clone()))
            } else {
                bar
            }
        })
        .collect();
    let chart_widget = BarChart::default()
        .block(Block::bordered().title(t("classroom.web.plot", &[])))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(gap);
    f.render_widget(chart_widget, chart);

    let foot_text = match bottom {
        Bottom::Keys => t("classroom.keys", &[("min", &stuck_minutes().to_string())]),
        Bottom::Typing(s) => format!("{} {s}▏", t("classroom.send_prompt", &[])),
        Bottom::Said(s) => s.clone(),
    };
    f.render_widget(Paragraph::new(foot_text), foot);
}

enum Input {
    Key(crossterm::event::KeyEvent),
    Redraw,
}

/// The board until the instructor quits (q, Esc, F10, Ctrl-C).
pub fn run(room: &Room, intro: &[String], export_to: Option<&Path>) -> std::io::Result<()> {
    crate::tui::guard::install_panic_hook();
    let _guard = crate::tui::guard::TerminalGuard::enter()?;
    let mut terminal = ratatui::Terminal::new(CrosstermBackend::new(stdout()))?;
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("gorae-class-input".into())
        .spawn(move || {
            loop {
                let ev = match read() {
                    Ok(CEvent::Key(k)) => Input::Key(k),
                    Ok(CEvent::Resize(..)) => Input::Redraw,
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
        })?;
    let mut bottom = Bottom::Keys;
    loop {
        terminal.draw(|f| draw(room, intro, &bottom, f))?;
        let k = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Input::Key(k)) if k.kind != KeyEventKind::Release => k,
            Ok(_) | Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let ctrl_c = k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c');
        bottom = match (bottom, k.code) {
            (Bottom::Typing(_), KeyCode::Esc) => Bottom::Keys,
            (Bottom::Typing(s), KeyCode::Enter) => {
                let said = room.board().send(parse_send(&s));
                Bottom::Said(match said {
                    Ok(n) => t("classroom.sent", &[("n", &n.to_string())]),
                    Err(r) => r.reason(),
                })
            }
            (Bottom::Typing(mut s), KeyCode::Backspace) => {
                s.pop();
                Bottom::Typing(s)
            }
            (Bottom::Typing(mut s), KeyCode::Char(c)) if !ctrl_c => {
                if s.chars().count() < super::protocol::MAX_MESSAGE + 8 {
                    s.push(c);
                }
                Bottom::Typing(s)
            }
            (Bottom::Typing(s), _) if !ctrl_c => Bottom::Typing(s),
            (_, KeyCode::Char('q' | 'ㅂ') | KeyCode::Esc | KeyCode::F(10)) => return Ok(()),
            _ if ctrl_c => return Ok(()),
            (_, KeyCode::Char('m' | 'ㅡ')) => Bottom::Typing(String::new()),
            (_, KeyCode::Char('e' | 'ㄷ')) => Bottom::Said(match export_to {
                Some(p) => match super::export(room, p) {
                    Ok(()) => t("classroom.exported", &[("file", &p.display().to_string())]),
                    Err(e) => e.to_string(),
                },
                None => t("classroom.no_export", &[]),
            }),
            _ => Bottom::Keys,
        };
    }
}

/// The stuck threshold, for the footer's legend.
pub fn stuck_minutes() -> i64 {
    board::STUCK_MS / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_first_then_the_message() {
        let b = parse_send("3 2 다 같이 3-2로 갑시다");
        assert_eq!(
            (b.lesson.as_deref(), b.step.as_deref()),
            (Some("3"), Some("2"))
        );
        assert_eq!(b.message, "다 같이 3-2로 갑시다");
        let b = parse_send("쉬는 시간 10분");
        assert_eq!(
            (b.lesson, b.step, b.message.as_str()),
            (None, None, "쉬는 시간 10분")
        );
    }
}
