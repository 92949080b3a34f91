//! `docker build`: Docker's classic builder output (DOCKER_BUILDKIT=0) over `engine::build`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

use super::format::human_size4;
use super::{CmdResult, Failure, describe};
use crate::engine::Store;
use crate::engine::build::{self, BuildError, BuildOptions, BuildProgress, SyntaxKind};
use crate::engine::image::{LayerStatus, PullOutcome, PullProgress, Reference, short_hex};
use crate::i18n::t;

/// Set by SIGINT (signal-hook's flag handler).
static INTERRUPTED: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

/// Ctrl-C stops the build between steps or kills the running step's container, so nothing is
/// left half-made (the default action would kill us mid-write).
fn catch_sigint() {
    let _ = signal_hook::flag::register(libc::SIGINT, Arc::clone(&INTERRUPTED));
}

struct Printer {
    quiet: bool,
    out: std::io::Stdout,
    /// A RUN's output ended without a newline: end its line before ours.
    open_line: bool,
}

impl Printer {
    fn line(&mut self, s: &str) {
        if !self.quiet {
            if std::mem::take(&mut self.open_line) {
                let _ = writeln!(self.out);
            }
            let _ = writeln!(self.out, "{s}");
            let _ = self.out.flush();
        }
    }
}

impl PullProgress for Printer {
    fn layer(&mut self, short: &str, status: LayerStatus) {
        match status {
            LayerStatus::AlreadyExists => self.line(&format!("{short}: Already exists")),
            LayerStatus::Complete => self.line(&format!("{short}: Pull complete")),
            LayerStatus::Pulling => {}
        }
    }
}

impl BuildProgress for Printer {
    fn context_size(&mut self, bytes: u64) {
        self.line(&format!(
            "Sending build context to Docker daemon  {}",
            human_size4(bytes)
        ));
    }
    fn step(&mut self, n: usize, total: usize, text: &str) {
        self.line(&format!("Step {n}/{total} : {text}"));
    }
    fn pull_started(&mut self, r: &Reference) {
        self.line(&format!("{}: Pulling from library/{}", r.tag, r.name));
    }
    fn pull_finished(&mut self, o: &PullOutcome) {
        self.line(&format!("Digest: {}", o.manifest_digest));
        self.line(&format!(
            "Status: Downloaded newer image for {}",
            o.reference.full()
        ));
    }
    fn running_in(&mut self, container_short: &str) {
        self.line(&format!(" ---> Running in {container_short}"));
    }
    fn output(&mut self, _stderr: bool, data: &[u8]) {
        if !self.quiet && !data.is_empty() {
            self.open_line = !data.ends_with(b"\n");
            let _ = self.out.write_all(data);
            let _ = self.out.flush();
        }
    }
    fn start_failed(&mut self, e: &crate::engine::EngineError) {
        let text = format!("{}\n", super::start_detail(e));
        self.output(true, text.as_bytes());
    }
    fn removed_container(&mut self, container_short: &str) {
        self.line(&format!(
            " ---> Removed intermediate container {container_short}"
        ));
    }
    fn using_cache(&mut self) {
        self.line(" ---> Using cache");
    }
    fn step_image(&mut self, short: &str) {
        self.line(&format!(" ---> {short}"));
    }
    fn unused_args(&mut self, names: &[String]) {
        self.line(&t(
            "build-unused-args",
            &[("names", &format!("[{}]", names.join(" ")))],
        ));
    }
    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst)
    }
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

fn failure(e: BuildError) -> Failure {
    let msg = match &e {
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
        BuildError::RunFailed { command, code } => t(
            "build-err-run-failed",
            &[("command", command), ("code", &code.to_string())],
        ),
        BuildError::Cancelled => t("build-err-cancelled", &[]),
        BuildError::Engine(e) => describe(e),
    };
    let code = if matches!(e, BuildError::Cancelled) {
        130
    } else {
        1
    };
    Failure::new(msg, code)
}

pub struct BuildArgs<'a> {
    pub tags: &'a [String],
    pub file: Option<&'a str>,
    pub no_cache: bool,
    pub quiet: bool,
    pub build_args: &'a [String],
    pub path: &'a str,
}

pub fn build(store: &Store, a: BuildArgs) -> CmdResult {
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
    };
    catch_sigint();
    let mut printer = Printer {
        quiet: a.quiet,
        out: std::io::stdout(),
        open_line: false,
    };
    let outcome = build::build(store, &opts, &mut printer).map_err(failure)?;
    if a.quiet {
        println!("{}", outcome.image_id);
    } else {
        println!("Successfully built {}", short_hex(&outcome.image_id));
        for tag in &outcome.tags {
            println!("Successfully tagged {tag}");
        }
    }
    Ok(0)
}
