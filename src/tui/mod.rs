//! The sandbox TUI: lesson pane, terminal pane, state panel, status line.
//!
//! One event loop owns the state (`app::App`); input, the PTY reader, the engine watcher and
//! signals all feed one channel. The loop blocks on it, so an idle screen costs no CPU.

pub mod app;
pub mod course_api;
pub mod engine_link;
pub mod event;
pub mod guard;
pub mod guide;
pub mod keys_api;
pub mod layout;
pub mod markdown;
pub mod model;
pub mod pane;
mod present;
pub mod reset;
pub mod settings;
pub mod shell;
pub mod term;
pub mod text;
pub mod theme;
pub mod ui;

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, stdout};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, Command};
use ratatui::backend::CrosstermBackend;

use crate::engine::Store;
use crate::i18n::{self, Lang, t};
use course_api::{Lesson, Progress, default_lessons_dir, load_course};
use event::{AppEvent, Effect};
use model::App;
use theme::Theme;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub lang: Option<Lang>,
    pub demo: bool,
    pub lesson: Option<String>,
    pub step: Option<String>,
    /// `--join ADDR --code CODE --name NAME`: the class to send progress to.
    pub join: Option<(String, String, String)>,
    /// `--switch-key`: this run's pane switch key, over `settings.toml`'s.
    pub switch_key: Option<settings::SwitchKey>,
}

fn command() -> Command {
    Command::new("gorae")
        .about(t("tui_about", &[]))
        .version(crate::cli::VERSION)
        .override_usage(
            "gorae [OPTIONS]\n       gorae docker COMMAND [ARG...]\n       \
             gorae --join ADDR:PORT --code CODE --name NAME\n       \
             gorae classroom --listen ADDR:PORT [--code CODE] [--export FILE]\n       \
             gorae lesson check [PATH...]\n       gorae lesson try FILE STEP_ID -- CMD...",
        )
        .after_help(t("tui_commands", &[]))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(help_option())
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(t("tui_arg_version", &[])),
        )
        .arg(lang_option())
        .arg(
            Arg::new("demo")
                .long("demo")
                .action(ArgAction::SetTrue)
                .help(t("tui_arg_demo", &[])),
        )
        .arg(
            Arg::new("lesson")
                .long("lesson")
                .value_name("N")
                .help(t("tui_arg_lesson", &[])),
        )
        .arg(
            Arg::new("step")
                .long("step")
                .value_name("M")
                .help(t("tui_arg_step", &[])),
        )
        .arg(
            Arg::new("join")
                .long("join")
                .value_name("ADDR:PORT")
                .requires_all(["code", "name"])
                .help(t("tui_arg_join", &[])),
        )
        .arg(
            Arg::new("code")
                .long("code")
                .value_name("CODE")
                .requires("join")
                .help(t("tui_arg_code", &[])),
        )
        .arg(
            Arg::new("name")
                .long("name")
                .value_name("NAME")
                .requires("join")
                .help(t("tui_arg_name", &[])),
        )
        .arg(
            Arg::new("switch-key")
                .long("switch-key")
                .value_name("KEY")
                .help(t("tui_arg_switch_key", &[])),
        )
}

/// `-h`/`--help` in the app's words (the TUI's and `gorae classroom`'s).
pub(crate) fn help_option() -> Arg {
    Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help(t("tui_arg_help", &[]))
}

/// `--lang ko|en` (the TUI's and `gorae doctor`'s).
pub(crate) fn lang_option() -> Arg {
    Arg::new("lang")
        .long("lang")
        .value_name("ko|en")
        .help(t("tui_arg_lang", &[]))
}

/// Parse the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Options, clap::Error> {
    let m = command()
        .try_get_matches_from(std::iter::once("gorae".to_string()).chain(args.iter().cloned()))?;
    let lang = match m.get_one::<String>("lang") {
        Some(l) => match Lang::parse(l) {
            Some(lang) => Some(lang),
            None => {
                return Err(command().error(
                    clap::error::ErrorKind::InvalidValue,
                    t("tui_bad_lang", &[("lang", l)]),
                ));
            }
        },
        None => None,
    };
    let switch_key = match m.get_one::<String>("switch-key") {
        Some(k) => Some(
            settings::SwitchKey::parse(k)
                .map_err(|e| command().error(clap::error::ErrorKind::InvalidValue, e))?,
        ),
        None => None,
    };
    Ok(Options {
        lang,
        switch_key,
        demo: m.get_flag("demo"),
        lesson: m.get_one::<String>("lesson").cloned(),
        step: m.get_one::<String>("step").cloned(),
        join: m.get_one::<String>("join").map(|a| {
            let get = |k| m.get_one::<String>(k).cloned().unwrap_or_default();
            (a.clone(), get("code"), get("name"))
        }),
    })
}

/// `--lang X` or `--lang=X`, when X is a language we know.
pub(crate) fn lang_arg(args: &[String]) -> Option<Lang> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--lang" {
            return it.next().and_then(|v| Lang::parse(v));
        }
        if let Some(v) = a.strip_prefix("--lang=") {
            return Lang::parse(v);
        }
    }
    None
}

/// Where progress and the sandbox live: `$GORAE_STATE`, else `$XDG_STATE_HOME/gorae`,
/// else `~/.local/state/gorae`.
pub fn state_dir() -> PathBuf {
    if let Some(s) = std::env::var_os("GORAE_STATE").filter(|v| !v.is_empty()) {
        return PathBuf::from(s);
    }
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("gorae");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".local/state/gorae")
}

/// Every lesson of the course, a broken file as its error text.
pub fn load_lessons(lang: Lang) -> Vec<Result<Lesson, String>> {
    load_course(&default_lessons_dir(), lang)
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

/// `gorae` with no subcommand: the TUI. Returns the process exit code.
pub fn main(args: Vec<String>) -> i32 {
    // The language decides the help text too, so it is set before clap builds it.
    if let Some(l) = lang_arg(&args) {
        i18n::set_lang(l);
    }
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(l) = opts.lang {
        i18n::set_lang(l);
    }
    // A class that cannot be joined is said before anything else starts.
    let class = match &opts.join {
        Some((addr, code, name)) => {
            match crate::classroom::client::Membership::join(&state_dir(), addr, code, name) {
                Ok(m) => Some(m),
                Err(e) => {
                    eprintln!("gorae: {}", crate::classroom::attend::join_error(&e));
                    return 1;
                }
            }
        }
        None => crate::classroom::client::Membership::load(&state_dir()),
    };
    if !std::io::stdin().is_terminal() || !stdout().is_terminal() {
        eprintln!("{}", t("tui_not_a_terminal", &[]));
        return 1;
    }
    // Containers cannot start here: say why and what to do before the screen hides it.
    let look = crate::doctor::first_look(&crate::engine::doctor::LinuxHost);
    if look == crate::doctor::FirstLook::Leave {
        return 1;
    }
    match run(&opts, look, class) {
        Ok((store, stop)) => {
            if stop.is_empty() {
                return 0;
            }
            println!("{}", t("tui_stopping", &[("n", &stop.len().to_string())]));
            // As every CLI command does first: a dead monitor's record stops saying "running".
            let _ = store.reconcile();
            let problems = reset::stop_containers(&store, &stop);
            for p in &problems {
                eprintln!("{}", t("tui_stop_failed", &[("error", p)]));
            }
            // The learner has left; what could not be stopped is told, not an exit code.
            0
        }
        Err(e) => {
            eprintln!("gorae: {e}");
            1
        }
    }
}

/// Run the screen until the learner quits; returns the store and the containers to stop
/// afterwards.
fn run(
    opts: &Options,
    look: crate::doctor::FirstLook,
    class: Option<crate::classroom::client::Membership>,
) -> anyhow::Result<(Store, Vec<String>)> {
    let lang = i18n::lang();
    let store = Store::open_default()
        .map_err(|e| anyhow::anyhow!(t("tui_store_failed", &[("error", &e.to_string())])))?;
    let state = state_dir();
    let lessons = load_lessons(lang);
    let progress = Progress::load();
    // As every CLI command does first: a dead monitor's record stops saying "running".
    let _ = store.reconcile();
    // Written now and removed when the learner quits with F10: found at the next start, it
    // says the window was closed instead, and what still runs was never asked about.
    let session = state.join("session");
    let unasked = ended_unasked(&session);
    let theme = Theme::from_env(opts.demo);
    let (cols, rows) = crossterm::terminal::size()?;

    let (tx, rx) = mpsc::channel::<AppEvent>();
    engine_link::spawn_watcher(&store.root, tx.clone())?;
    guard::forward_signals(tx.clone())?;
    let engine = engine_link::LiveEngine {
        store: store.clone(),
        live: engine_link::Live::spawn(tx.clone()),
    };
    let mut app = App::new(lessons, progress, Box::new(engine), theme, (cols, rows));
    if let Some(m) = class {
        app.class = crate::classroom::attend::start(m, &state, tx.clone());
        app.class_step(false);
    }
    let (mut settings, settings_problem) = settings::Settings::load(&state);
    if let Some(k) = opts.switch_key {
        settings.switch_key = k;
    }
    app.settings = settings;
    // `--step` alone means a step of the lesson we resume in.
    let lesson = opts
        .lesson
        .clone()
        .or_else(|| opts.step.as_ref().map(|_| (app.lesson + 1).to_string()));
    if let Some(l) = lesson
        && let Err(e) = app.start_at(&l, opts.step.as_deref())
    {
        anyhow::bail!(e);
    }
    app.started(unasked);
    app.machine_looked_at(look);
    if let Some(p) = settings_problem {
        app.say(model::MsgKind::Warn, p);
    }
    let _ = std::fs::create_dir_all(&state);
    let _ = std::fs::write(&session, std::process::id().to_string());

    guard::install_panic_hook();
    let _guard = guard::TerminalGuard::enter()
        .map_err(|e| anyhow::anyhow!(t("tui_start_failed", &[("error", &e.to_string())])))?;
    let mut terminal = ratatui::Terminal::new(CrosstermBackend::new(stdout()))?;
    spawn_input(tx.clone())?;
    start_shell(&mut app, &state, &tx);
    terminal.draw(|f| ui::draw(&app, f))?;

    let mut next_tick: Option<Instant> = None;
    loop {
        next_tick = match (app.tick_interval(), next_tick) {
            (Some(d), None) => Some(Instant::now() + d),
            (Some(_), t) => t,
            (None, _) => None,
        };
        let ev = match next_tick {
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                match rx.recv_timeout(wait) {
                    Ok(ev) => ev,
                    Err(RecvTimeoutError::Timeout) => {
                        next_tick = None;
                        AppEvent::Tick
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match rx.recv() {
                Ok(ev) => ev,
                Err(_) => break,
            },
        };
        let mut dirty = app.handle(ev);
        // Take whatever else is queued before drawing, so bursts of output draw once; but
        // draw at least every frame's time, or endless output would never show.
        let frame_end = Instant::now() + Duration::from_millis(30);
        while !app.quit && Instant::now() < frame_end {
            match rx.try_recv() {
                Ok(ev) => dirty |= app.handle(ev),
                Err(_) => break,
            }
        }
        for effect in std::mem::take(&mut app.effects) {
            match effect {
                Effect::RespawnShell => start_shell(&mut app, &state, &tx),
                Effect::Reset(plan) => reset::spawn(plan, store.clone(), state.clone(), tx.clone()),
                Effect::StopLeftRunning(ids) => reset::spawn_stop(ids, store.clone(), tx.clone()),
                Effect::JoinClass(m) => {
                    app.class = crate::classroom::attend::start(*m, &state, tx.clone());
                    app.class_step(false);
                }
                Effect::Copy(text) => copy_to_clipboard(terminal.backend_mut(), &text),
                Effect::MouseCapture(on) => {
                    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
                    let _ = if on {
                        crossterm::execute!(terminal.backend_mut(), EnableMouseCapture)
                    } else {
                        crossterm::execute!(terminal.backend_mut(), DisableMouseCapture)
                    };
                }
            }
        }
        if app.quit {
            break;
        }
        if dirty {
            terminal.draw(|f| ui::draw(&app, f))?;
        }
    }
    if app.quit_asked {
        let _ = std::fs::remove_file(&session);
    }
    Ok((store, std::mem::take(&mut app.stop_on_quit)))
}

/// Whether the session marker says the last TUI on this state ended without F10: it is there,
/// and the pid it names is no longer a gorae (another TUI still open is not a closed window).
fn ended_unasked(marker: &std::path::Path) -> bool {
    let Ok(text) = std::fs::read_to_string(marker) else {
        return false;
    };
    let still_open = text.trim().parse::<u32>().is_ok_and(|pid| {
        pid != std::process::id()
            && std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .zip(std::env::current_exe().ok())
                .is_some_and(|(a, b)| a == b)
    });
    !still_open
}

/// Puts `text` on the clipboard of the terminal gorae runs in: OSC 52, which xterm, kitty,
/// WezTerm, iTerm2, Windows Terminal and tmux (`set-clipboard`) understand. A terminal that
/// does not ignores it; the outer terminal's own selection (Alt-M) still works there.
fn copy_to_clipboard(out: &mut impl std::io::Write, text: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// Read terminal input on its own thread; `read` blocks, so this costs nothing while idle.
fn spawn_input(tx: Sender<AppEvent>) -> std::io::Result<()> {
    use crossterm::event::{Event as CEvent, read};
    std::thread::Builder::new()
        .name("gorae-input".into())
        .spawn(move || {
            loop {
                let ev = match read() {
                    Ok(CEvent::Key(k)) => AppEvent::Key(k),
                    Ok(CEvent::Mouse(m)) => AppEvent::Mouse(m),
                    Ok(CEvent::Paste(p)) => AppEvent::Paste(p),
                    Ok(CEvent::Resize(w, h)) => AppEvent::Resize(w, h),
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Start the learner's shell in the sandbox, sized to the terminal pane; its output and its
/// end come back as events.
fn start_shell(app: &mut App, state: &std::path::Path, tx: &Sender<AppEvent>) {
    let area = layout::layout(app)
        .terminal
        .unwrap_or(ratatui::layout::Rect::new(0, 0, 80, 24));
    let out = tx.clone();
    let exit = tx.clone();
    let spawned = term::Sandbox::prepare(state).and_then(|sandbox| {
        term::Terminal::spawn(
            sandbox.command(),
            area.height.max(1),
            area.width.max(1),
            move |bytes| {
                let _ = out.send(AppEvent::PtyOutput(bytes));
            },
            move || {
                let _ = exit.send(AppEvent::PtyExit);
            },
        )
    });
    match spawned {
        Ok(terminal) => {
            let color = app.theme.color;
            app.set_shell(Box::new(shell::TermShell::new(terminal, color)));
        }
        Err(e) => app.shell_failed(&e.to_string()),
    }
}
