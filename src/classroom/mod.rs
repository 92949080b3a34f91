//! The classroom (issue 16): `gorae classroom` on the instructor's machine serves a board of the
//! room on the LAN (terminal view and web page, no internet needed); attendees' apps joined with
//! `gorae --join ADDR --code CODE --name NAME` send their progress events to it.
//!
//! - `protocol`: the wire types and their limits
//! - `board`: the room's model (events applied once, rows, plot, export)
//! - `http`: the small HTTP/1.1 server; `server`: the routes
//! - `client`: the attendee's outbox; `attend`: its hooks in the TUI; `join_form`: F12's form
//! - `view`: the instructor's terminal board
//!
//! The engine knows nothing of it.

pub mod attend;
pub mod board;
pub mod client;
pub mod http;
pub mod join_form;
pub mod protocol;
pub mod server;
pub mod view;

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use clap::{Arg, Command};

use crate::i18n::{self, t};
use board::{Board, CourseLesson};
use protocol::{new_code, normalize_code, random_hex, valid_code};
use server::{Room, now_ms};

fn command() -> Command {
    Command::new("gorae classroom")
        .about(t("classroom.about", &[]))
        .override_usage(
            "gorae classroom --listen ADDR:PORT [--code CODE] [--export FILE.csv|FILE.json]",
        )
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(crate::tui::help_option())
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("ADDR:PORT")
                .help(t("classroom.arg.listen", &[])),
        )
        .arg(
            Arg::new("code")
                .long("code")
                .value_name("CODE")
                .help(t("classroom.arg.code", &[])),
        )
        .arg(
            Arg::new("export")
                .long("export")
                .value_name("FILE")
                .help(t("classroom.arg.export", &[])),
        )
        .arg(crate::tui::lang_option())
}

/// Which export a file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

pub fn export_format(path: &Path) -> Option<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => Some(Format::Csv),
        Some(e) if e.eq_ignore_ascii_case("json") => Some(Format::Json),
        _ => None,
    }
}

/// Write the export whole or not at all (a temp file beside it, renamed).
pub fn export(room: &Room, path: &Path) -> std::io::Result<()> {
    let now = now_ms();
    let text = match export_format(path) {
        Some(Format::Json) => room.board().export_json(now),
        _ => room.board().export_csv(now),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The instructor's course, in order: the plot's steps and the rows' numbers.
fn course() -> Vec<CourseLesson> {
    crate::tui::load_lessons(i18n::lang())
        .into_iter()
        .filter_map(Result::ok)
        .map(|l| CourseLesson {
            id: l.id.clone(),
            title: l.title.clone(),
            steps: l
                .steps
                .iter()
                .map(|s| (s.id.clone(), s.title.clone()))
                .collect(),
        })
        .collect()
}

fn fail(msg: String) -> i32 {
    eprintln!("gorae classroom: {msg}");
    1
}

/// `gorae classroom …`: returns the exit code.
pub fn main(args: Vec<String>) -> i32 {
    if let Some(l) = crate::tui::lang_arg(&args) {
        i18n::set_lang(l);
    }
    let m = match command()
        .try_get_matches_from(std::iter::once("gorae classroom".to_string()).chain(args))
    {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(l) = m.get_one::<String>("lang") {
        match i18n::Lang::parse(l) {
            Some(lang) => i18n::set_lang(lang),
            None => return fail(t("tui_bad_lang", &[("lang", l)])),
        }
    }
    let Some(listen) = m.get_one::<String>("listen") else {
        return fail(t("classroom.need_listen", &[]));
    };
    let code = match m.get_one::<String>("code") {
        Some(c) => {
            let c = normalize_code(c);
            if !valid_code(&c) {
                return fail(t("classroom.bad_code", &[("code", &c)]));
            }
            c
        }
        None => match new_code() {
            Ok(c) => c,
            Err(e) => return fail(e.to_string()),
        },
    };
    let export_to = m.get_one::<String>("export").map(PathBuf::from);
    if let Some(p) = &export_to
        && export_format(p).is_none()
    {
        return fail(t(
            "classroom.bad_export",
            &[("file", &p.display().to_string())],
        ));
    }
    let listener = match TcpListener::bind(listen.as_str()) {
        Ok(l) => l,
        Err(e) => {
            return fail(t(
                "classroom.bind_failed",
                &[("addr", listen), ("error", &e.to_string())],
            ));
        }
    };
    let key = match random_hex(16) {
        Ok(k) => k,
        Err(e) => return fail(e.to_string()),
    };
    let room = Room::new(Board::new(code.clone(), course()), key.clone());
    let server = match http::Server::start(listener, room.handler()) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let addr = server.addr.to_string();
    let url = format!("http://{addr}/?key={key}");
    let code_ = code.clone();
    let intro = [
        t("classroom.intro.code", &[("code", &code_)]),
        t("classroom.intro.addr", &[("addr", &addr)]),
        t("classroom.intro.board", &[("url", &url)]),
        t("classroom.intro.join", &[("addr", &addr), ("code", &code_)]),
    ];
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let ended = if interactive {
        view::run(&room, &intro, export_to.as_deref())
    } else {
        // No terminal (a service, a test): the lines, then serve until a signal. The handler
        // is in place before the lines go out: whoever reads them may signal at once.
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            Ok(mut signals) => {
                for l in &intro {
                    println!("{l}");
                }
                let _ = signals.forever().next();
                Ok(())
            }
            Err(e) => Err(e),
        }
    };
    drop(server);
    if let Err(e) = ended {
        return fail(e.to_string());
    }
    if let Some(p) = export_to {
        if let Err(e) = export(&room, &p) {
            return fail(t(
                "classroom.export_failed",
                &[
                    ("file", &p.display().to_string()),
                    ("error", &e.to_string()),
                ],
            ));
        }
        println!(
            "{}",
            t("classroom.exported", &[("file", &p.display().to_string())])
        );
    }
    0
}
