//! `docker build` over `engine::build`: BuildKit's progress display by default (`kit`), the
//! classic builder's lines under `DOCKER_BUILDKIT=0` (`classic`), as Docker's CLI chooses.

mod classic;
mod kit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use super::{CmdResult, Failure, describe};
use crate::engine::Store;
use crate::engine::build::{self, BuildError, BuildOptions, SyntaxKind};
use crate::engine::image::{Reference, short_hex};
use crate::i18n::t;
use kit::{Display, Kit};

/// Set by SIGINT (signal-hook's flag handler).
static INTERRUPTED: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

/// Ctrl-C stops the build between steps or kills the running step's container, so nothing is
/// left half-made (the default action would kill us mid-write).
fn catch_sigint() {
    let _ = signal_hook::flag::register(libc::SIGINT, Arc::clone(&INTERRUPTED));
}

pub(super) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn syntax_text(kind: &SyntaxKind) -> String {
    match kind {
        SyntaxKind::UnknownInstruction(n) => t("build-syntax-unknown", &[("name", n)]),
        SyntaxKind::MissingArguments(n) => t("build-syntax-missing-args", &[("name", n)]),
        SyntaxKind::OneArgument(n) => t("build-syntax-one-arg", &[("name", n)]),
        SyntaxKind::TwoArguments(n) => t("build-syntax-two-args", &[("name", n)]),
        SyntaxKind::BlankName(n) => t("build-syntax-blank-name", &[("name", n)]),
        SyntaxKind::NoEquals { instruction, word } => t(
            "build-syntax-no-equals",
            &[("name", instruction), ("word", word)],
        ),
        SyntaxKind::UnknownFlag(f) => t("build-syntax-unknown-flag", &[("flag", f)]),
        SyntaxKind::NoFrom(n) => t("build-syntax-no-from", &[("name", n)]),
        SyntaxKind::Empty => t("build-syntax-empty", &[]),
        SyntaxKind::Unterminated => t("build-syntax-unterminated", &[]),
        SyntaxKind::Unsupported(n) => t("build-syntax-unsupported", &[("name", n)]),
        SyntaxKind::HealthNoneArgs => t("build-syntax-health-none-args", &[]),
        SyntaxKind::HealthNoCommand => t("build-syntax-health-no-command", &[]),
        SyntaxKind::HealthType(ty) => t("build-syntax-health-type", &[("type", ty)]),
        SyntaxKind::HealthValue(d) => t("build-syntax-health-value", &[("detail", d)]),
    }
}

/// The error in the classic builder's words (BuildKit wraps the same text, but words a failed
/// RUN as its process).
fn message(e: &BuildError, buildkit: bool) -> String {
    match e {
        BuildError::Syntax { file, line, kind } => {
            format!("{file}:{line}: {}", syntax_text(kind))
        }
        BuildError::Context(d) => t("build-err-context", &[("detail", d)]),
        BuildError::Dockerfile { path, source } => t(
            "build-err-dockerfile",
            &[("path", path), ("detail", &source.to_string())],
        ),
        BuildError::NotFound(p) => t("build-err-not-found", &[("path", p)]),
        BuildError::OutsideContext(p) => t("build-err-outside", &[("path", p)]),
        BuildError::DestNotDir => t("build-err-dest-not-dir", &[]),
        BuildError::AddUrl(u) => t("build-err-add-url", &[("url", u)]),
        BuildError::NoSuchUser(u) => t("build-err-no-such-user", &[("user", u)]),
        BuildError::NoSuchStage(s) => t("build-err-no-such-stage", &[("name", s)]),
        BuildError::RunFailed { command, code } if buildkit => t(
            "build-err-process",
            &[("command", command), ("code", &code.to_string())],
        ),
        BuildError::RunFailed { command, code } => t(
            "build-err-run-failed",
            &[("command", command), ("code", &code.to_string())],
        ),
        BuildError::Cancelled => t("build-err-cancelled", &[]),
        BuildError::Engine(e) => describe(e),
    }
}

fn exit_code(e: &BuildError) -> i32 {
    if matches!(e, BuildError::Cancelled) {
        130
    } else {
        1
    }
}

/// The Dockerfile's lines around a failing instruction, as buildx prints an error's source:
/// `Dockerfile:2`, a rule, `   2 | >>> RUN exit 3` with two lines either side.
fn source_snippet(name: &str, text: &str, line: usize, escape: char) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    if line < 1 || line > lines.len() {
        return String::new();
    }
    // The instruction's physical lines: continued while a line ends with the escape char.
    let mut end = line;
    while end < lines.len() && lines[end - 1].trim_end().ends_with(escape) {
        end += 1;
    }
    let (mut start, mut last) = (line, end);
    let pad = if start == last { 4 } else { 2 };
    let mut p = 0;
    while p < pad {
        if start > 1 {
            start -= 1;
            p += 1;
        }
        if last != lines.len() {
            last += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{name}:{line}\n--------------------\n");
    for (i, l) in lines.iter().enumerate().take(last).skip(start - 1) {
        let mark = if (line..=end).contains(&(i + 1)) {
            ">>>"
        } else {
            "   "
        };
        out.push_str(&format!(" {:>3} | {mark} {l}\n", i + 1));
    }
    out.push_str("--------------------\n");
    out
}

/// `DOCKER_BUILDKIT` as the docker CLI reads it (Go's ParseBool); unset or empty: BuildKit.
fn buildkit_enabled() -> Result<bool, Failure> {
    match std::env::var("DOCKER_BUILDKIT")
        .unwrap_or_default()
        .as_str()
    {
        "" | "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        v => Err(Failure::new(
            t("build-err-buildkit-env", &[("value", v)]),
            1,
        )),
    }
}

/// `--progress` (and `-q`) as buildx reads them.
fn display(progress: Option<&str>, quiet: bool) -> Result<Display, Failure> {
    let refuse = |key: &str, args: &[(&str, &str)]| Err(Failure::new(t(key, args), 1));
    let mode = progress.unwrap_or("auto");
    if quiet && !matches!(mode, "auto" | "quiet") {
        return refuse("build-err-progress-quiet", &[("mode", mode)]);
    }
    match mode {
        _ if quiet => Ok(Display::Quiet),
        "auto" | "tty" if Kit::has_console() => Ok(Display::Tty),
        "tty" => refuse("build-err-progress-console", &[]),
        "auto" | "plain" => Ok(Display::Plain),
        "quiet" | "none" => Ok(Display::Quiet),
        "rawjson" => refuse("build-err-progress-rawjson", &[]),
        other => refuse("build-err-progress-invalid", &[("mode", other)]),
    }
}

pub struct BuildArgs<'a> {
    pub tags: &'a [String],
    pub file: Option<&'a str>,
    pub no_cache: bool,
    pub quiet: bool,
    pub progress: Option<&'a str>,
    pub build_args: &'a [String],
    pub path: &'a str,
}

pub fn build(store: &Store, a: BuildArgs) -> CmdResult {
    let buildkit = buildkit_enabled()?;
    if !buildkit {
        // What the docker CLI says before handing the build to the classic builder.
        eprintln!("{}\n", t("build-legacy-deprecated", &[]));
    }
    // The classic builder has no progress display: Docker accepts the flag there and
    // leaves it unused.
    let display = if buildkit {
        display(a.progress, a.quiet)?
    } else {
        Display::Quiet
    };
    let mut tags = Vec::new();
    for tag in a.tags {
        let r = Reference::parse(tag)
            .map_err(|_| Failure::new(t("build-err-bad-tag", &[("tag", tag)]), 125))?;
        tags.push(r);
    }
    let mut build_args = BTreeMap::new();
    for kv in a.build_args {
        match kv.split_once('=') {
            Some((k, v)) => {
                build_args.insert(k.to_string(), v.to_string());
            }
            // `--build-arg NAME` takes the value from our environment, as Docker does.
            None => {
                if let Ok(v) = std::env::var(kv) {
                    build_args.insert(kv.clone(), v);
                }
            }
        }
    }
    let context = PathBuf::from(a.path);
    let (dockerfile, dockerfile_name) = match a.file {
        // Relative to the current dir, else to the context (older Docker CLIs took both).
        Some(f) if !Path::new(f).exists() && context.join(f).is_file() => {
            (context.join(f), f.to_string())
        }
        Some(f) => (PathBuf::from(f), f.to_string()),
        None => (context.join("Dockerfile"), "Dockerfile".to_string()),
    };
    if !Path::new(a.path).is_dir() {
        return Err(Failure::new(
            t(
                "build-err-context",
                &[("detail", &format!("path \"{}\" not found", a.path))],
            ),
            1,
        ));
    }
    let opts = BuildOptions {
        context,
        dockerfile,
        dockerfile_name,
        tags,
        no_cache: a.no_cache,
        build_args,
        buildkit,
    };
    catch_sigint();
    if !buildkit {
        let mut printer = classic::Classic {
            quiet: a.quiet,
            out: std::io::stdout(),
            open_line: false,
        };
        let outcome = build::build(store, &opts, &mut printer)
            .map_err(|e| Failure::new(message(&e, false), exit_code(&e)))?;
        if a.quiet {
            println!("{}", outcome.image_id);
        } else {
            println!("Successfully built {}", short_hex(&outcome.image_id));
            for tag in &outcome.tags {
                println!("Successfully tagged {tag}");
            }
        }
        return Ok(0);
    }
    let mut kit = Kit::new(display, &opts.dockerfile_name);
    match build::build(store, &opts, &mut kit) {
        Ok(outcome) => {
            kit.finish(None, false);
            // `-q` (or `--progress=quiet`) prints the image ID, as buildx does.
            if display == Display::Quiet && (a.quiet || a.progress == Some("quiet")) {
                println!("{}", outcome.image_id);
            }
            Ok(0)
        }
        Err(e) => {
            let cancelled = matches!(e, BuildError::Cancelled);
            let detail = message(&e, true);
            kit.finish(Some(&detail), cancelled);
            if cancelled {
                return Err(Failure::new(detail, exit_code(&e)));
            }
            let line = match &e {
                BuildError::Syntax { line, .. } => Some(*line),
                _ => kit.failing_line(),
            };
            let mut text = String::new();
            if let (Some(line), Ok(body)) = (line, std::fs::read_to_string(&opts.dockerfile)) {
                let escape = build::escape_directive(&body);
                let name = Path::new(&opts.dockerfile_name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                text = source_snippet(&name, &body, line, escape);
            }
            text.push_str(&t("build-err-solve", &[("detail", &detail)]));
            Err(Failure::new(text, exit_code(&e)))
        }
    }
}
