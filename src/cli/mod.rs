//! The Docker-compatible command line: `gorae docker …`, or `docker …` through a link.
//!
//! Every command: parse (clap, Docker's flags), reconcile the store, run, print Docker's
//! output, and append a `command` event (args + exit code) to the event feed so lessons can
//! tick steps like "look at `docker ps -a`".

mod args;
mod attach;
mod build;
mod compose;
mod containers;
mod cp;
pub mod filter;
pub mod format;
mod help;
mod images;
mod inspect;
mod logs;
mod manage;
mod network;
mod prune;
mod ps;
mod push;
mod resources;
mod run;
mod search;
mod stats;
mod system;
mod trace;
mod transfer;
mod version;
mod volume;

use clap::{CommandFactory, FromArgMatches};

use crate::engine::runtime::InitFailure;
use crate::engine::{Action, EngineError, Event, RefProblem, Store};
use crate::i18n::t;

pub use args::Cli;
pub use version::VERSION;

/// A command's failure: the message to print (already localized) and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

pub type CmdResult = Result<i32, Failure>;

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        Failure {
            message: describe(&e),
            code: 1,
        }
    }
}

impl Failure {
    pub fn new(message: String, code: i32) -> Failure {
        Failure { message, code }
    }
}

/// A user-facing message for an engine error, in the active language.
pub fn describe(e: &EngineError) -> String {
    let daemon =
        |key: &str, args: &[(&str, &str)]| format!("{}{}", t("err-daemon", &[]), t(key, args));
    match e {
        EngineError::NoSuchContainer(n) => daemon("err-no-such-container", &[("name", n)]),
        EngineError::NoSuchImage(n) => daemon("err-no-such-image", &[("name", n)]),
        EngineError::NotBundled { name, available } => {
            daemon("err-not-bundled", &[("name", name), ("list", available)])
        }
        EngineError::ContainerRunning(n) => daemon("err-container-running", &[("name", n)]),
        EngineError::NameInUse { name, id } => {
            daemon("err-name-in-use", &[("name", name), ("id", id)])
        }
        EngineError::NotRunning(id) => daemon("err-not-running", &[("id", id)]),
        EngineError::PortInUse {
            endpoint,
            endpoint_id,
            addr,
        } => daemon(
            "err-port-in-use",
            &[("endpoint", endpoint), ("id", endpoint_id), ("addr", addr)],
        ),
        EngineError::ReferenceInUse {
            reference,
            container,
            image,
        } => daemon(
            "err-reference-in-use",
            &[
                ("ref", reference),
                ("container", container),
                ("image", image),
            ],
        ),
        EngineError::ImageInUse {
            image,
            container,
            state,
            how,
        } => {
            let key = if state == "running" {
                "err-image-in-use-running"
            } else {
                "err-image-in-use"
            };
            daemon(
                key,
                &[("image", image), ("container", container), ("how", how)],
            )
        }
        EngineError::InvalidReference(_, problem) => match problem {
            RefProblem::Format => t("err-invalid-reference", &[]),
            RefProblem::Uppercase(name) => t("err-reference-lowercase", &[("name", name)]),
            RefProblem::TooLong => t("err-reference-too-long", &[]),
            RefProblem::DigestTag => t("err-reference-digest-tag", &[]),
            RefProblem::DigestAlgorithm => t("err-digest-algorithm", &[]),
            RefProblem::DigestLength => t("err-digest-length", &[]),
            RefProblem::DigestFormat => t("err-digest-format", &[]),
        },
        EngineError::DigestMismatch { what, .. } => {
            daemon("err-digest", &[("what", what), ("detail", &e.to_string())])
        }
        EngineError::UnsafePath(p) => daemon("err-unsafe-path", &[("path", p)]),
        EngineError::TooLarge { path, limit } => daemon(
            "err-too-large",
            &[("path", path), ("limit", &format::binary_size(*limit))],
        ),
        EngineError::Io { .. } | EngineError::Corrupt { .. } => {
            daemon("err-io", &[("detail", &e.to_string())])
        }
        EngineError::Start(_) => daemon("err-start-failed", &[("detail", &start_detail(e))]),
        EngineError::InvalidName(name) => daemon("err-invalid-name", &[("name", name)]),
        EngineError::InvalidSignal(sig) => daemon("err-invalid-signal", &[("signal", sig)]),
        EngineError::InvalidChange(instr) => daemon("err-invalid-change", &[("instr", instr)]),
        EngineError::HealthcheckTooShort(field) => {
            daemon("err-health-too-short", &[("field", field)])
        }
        EngineError::HealthcheckRetriesNegative => daemon("err-health-retries", &[]),
        EngineError::NoInit(path) => {
            daemon("err-no-init", &[("path", &path.display().to_string())])
        }
        EngineError::Bind { addr, source } => daemon(
            "err-bind",
            &[
                ("addr", addr),
                (
                    "detail",
                    &os_error_text(&source.to_string(), source.raw_os_error()),
                ),
            ],
        ),
        EngineError::Registry { image, detail } => {
            daemon("err-registry", &[("image", image), ("detail", detail)])
        }
        EngineError::ManifestUnknown(detail) => {
            daemon("err-manifest-unknown", &[("detail", detail)])
        }
        EngineError::NoLocalTag(n) => t("err-no-local-tag", &[("name", n)]),
        EngineError::TagDoesNotExist(n) => t("err-tag-does-not-exist", &[("name", n)]),
        EngineError::RegistryUnreachable(d) => t("err-registry-unreachable", &[("detail", d)]),
        EngineError::RegistryDenied(d) => t("err-push-denied", &[("detail", d)]),
        EngineError::PushFailed(d) => t("err-push-failed", &[("detail", d)]),
        EngineError::NoSuchVolume(n) => daemon("err-no-such-volume", &[("name", n)]),
        EngineError::VolumeInUse { name, containers } => daemon(
            "err-volume-in-use",
            &[("name", name), ("containers", &containers.join(", "))],
        ),
        EngineError::Mount(m) => format!(
            "{}{}",
            t("err-daemon", &[]),
            volume::describe_mount_error(m)
        ),
        EngineError::Network(n) => format!("{}{}", t("err-daemon", &[]), network::describe(n)),
        EngineError::Cp(f) => describe_cp(f),
        EngineError::Paused { id, op } => daemon(&format!("err-paused-{op}"), &[("id", id)]),
        EngineError::Restarting { id, op } => {
            daemon(&format!("err-restarting-{op}"), &[("id", id)])
        }
        EngineError::RestartPolicy(p) => {
            use crate::engine::restart::PolicyError as P;
            match p {
                P::NoPolicyBeforeColon => t("err-restart-no-policy", &[]),
                P::CountNotInteger => t("err-restart-count-format", &[]),
                P::Unknown(name) => daemon("err-restart-unknown", &[("name", name)]),
                P::CountOnlyOnFailure { negative: false } => daemon("err-restart-count-only", &[]),
                P::CountOnlyOnFailure { negative: true } => {
                    daemon("err-restart-count-only-negative", &[])
                }
                P::NegativeCount => daemon("err-restart-negative", &[]),
            }
        }
        EngineError::AutoRemoveRestart(id) => daemon("err-update-restart-rm", &[("id", id)]),
        EngineError::Freezer {
            id,
            op,
            unavailable,
            detail,
        } => {
            let why = if *unavailable && crate::engine::runtime::is_rootless() {
                t("err-freezer-not-delegated", &[])
            } else if *unavailable {
                t("err-freezer-unavailable", &[])
            } else {
                detail.clone()
            };
            daemon(
                &format!("err-freezer-{op}"),
                &[("id", id), ("detail", &why)],
            )
        }
        EngineError::Conflict(_)
        | EngineError::Ps(_)
        | EngineError::Runtime(_)
        | EngineError::Sys(_) => {
            format!("{}{}", t("err-daemon", &[]), e)
        }
    }
}

/// `docker cp`'s refusals; those Docker's CLI says itself carry no daemon prefix.
fn describe_cp(f: &crate::engine::cp::CpFailure) -> String {
    use crate::engine::cp::CpFailure as F;
    let (key, args): (&str, Vec<(&str, &str)>) = match f {
        F::NotFound { path, container } => (
            "cp.err-not-found",
            vec![("path", path), ("container", container)],
        ),
        F::NotADirectory(p) => ("cp.err-not-dir", vec![("path", p)]),
        F::DirOverNonDir(p) => ("cp.err-dir-over-file", vec![("path", p)]),
        F::NonDirOverDir(p) => ("cp.err-file-over-dir", vec![("path", p)]),
        F::CannotCopyDir => ("cp.err-cannot-copy-dir", vec![]),
        F::DestMustBeDir(d) => ("cp.err-must-be-dir", vec![("dest", d)]),
        F::DirNotExists => ("cp.err-no-such-dir", vec![]),
        F::BetweenContainers => ("cp.err-between", vec![]),
        F::NoContainer => ("cp.err-no-container", vec![]),
        F::LocalMissing(p) => ("cp.err-local-missing", vec![("path", p)]),
    };
    let text = t(key, &args);
    if f.is_client_side() {
        text
    } else {
        format!("{}{text}", t("err-daemon", &[]))
    }
}

/// What went wrong when a container's process was to start, in the learner's language.
pub fn start_detail(e: &EngineError) -> String {
    match e {
        EngineError::Start(f) => describe_init_failure(f),
        other => other.to_string(),
    }
}

/// The container's init could not set up or exec (runc's wording in English).
pub fn describe_init_failure(f: &InitFailure) -> String {
    match f {
        InitFailure::NoUser { user } => t("rt-no-user", &[("user", user)]),
        InitFailure::NoGroup { group } => t("rt-no-group", &[("group", group)]),
        InitFailure::Chdir { dir, detail } => t(
            "rt-chdir",
            &[("dir", dir), ("detail", &os_error_text(detail, None))],
        ),
        InitFailure::ChdirOutside { dir } => t("rt-chdir-outside", &[("dir", dir)]),
        InitFailure::UserNeedsIds { user } => t("err-user-one-id", &[("user", user)]),
        InitFailure::NoCommand => t("rt-no-command", &[]),
        InitFailure::NotFound { cmd } => t("rt-not-found", &[("cmd", cmd)]),
        InitFailure::Exec { cmd, detail, errno } => t(
            "rt-exec",
            &[
                ("cmd", cmd),
                ("detail", &os_error_text(detail, Some(*errno))),
            ],
        ),
        InitFailure::UsernsDenied { detail } => t("err-userns-denied", &[("detail", detail)]),
        InitFailure::Setup { detail } | InitFailure::Join { detail } => detail.clone(),
        InitFailure::Syscall { error } | InitFailure::JoinSyscall { error } => error.to_string(),
    }
}

/// `docker run`'s exit code when the container's process did not start. Docker's CLI reads it
/// from the daemon's message (`runStartContainerErr` in docker/cli): 127 when the program was
/// not found, 126 when it cannot be invoked (permission denied, is a directory), 125 for any
/// other failure (an unknown user, a working dir that is not a directory…).
pub fn run_exit_code(e: &EngineError) -> i32 {
    match e {
        EngineError::Start(InitFailure::NotFound { .. }) => 127,
        EngineError::Start(InitFailure::Exec { errno, .. }) => match *errno {
            libc::ENOENT => 127,
            libc::EACCES | libc::EISDIR => 126,
            _ => 125,
        },
        _ => 125,
    }
}

/// The errnos a starting process commonly meets, with a message in each catalog (`os-errno-N`).
const KNOWN_ERRNOS: [i32; 7] = [
    libc::EPERM,
    libc::ENOENT,
    libc::EACCES,
    libc::ENOTDIR,
    libc::EISDIR,
    libc::ENAMETOOLONG,
    libc::ELOOP,
];

/// An OS error from the engine ("Not a directory (os error 20)", Rust's wording) in the
/// learner's language; in English as runc (Go) says it ("not a directory"). Text without a
/// known errno is kept as it is.
fn os_error_text(detail: &str, errno: Option<i32>) -> String {
    let errno = errno.filter(|n| *n != 0).or_else(|| {
        detail
            .strip_suffix(')')?
            .rsplit_once("(os error ")?
            .1
            .parse()
            .ok()
    });
    match errno {
        Some(n) if KNOWN_ERRNOS.contains(&n) => t(&format!("os-errno-{n}"), &[]),
        _ => detail.to_string(),
    }
}

fn open_store() -> Result<Store, Failure> {
    let store = Store::open_default().map_err(Failure::from)?;
    // A dead monitor leaves a record saying "running": fix that before anyone reads it.
    let _ = store.reconcile();
    let _ = OPENED.set(store.clone());
    Ok(store)
}

/// The store a command opened, for `main`'s `command` event: opening it again checks its
/// dirs and finds the catalog beside the binary anew (a dozen calls at the end of every
/// command, a `run`'s included).
static OPENED: std::sync::OnceLock<Store> = std::sync::OnceLock::new();

/// What a shell reports for a command whose reader closed the pipe (`docker info | head -1`):
/// 128 + SIGPIPE, as for Docker's CLI, which that signal ends.
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Whether a panic is `println!` failing because the reader of stdout has gone: a normal
/// end for a command piped into `head`, not a crash to report.
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to std") && text.contains("(os error 32)")
}

/// Run the CLI with the arguments after `docker`; returns the process exit code.
pub fn main(args: Vec<String>) -> i32 {
    trace::begin();
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe(info.payload()) {
            report(info);
        }
    }));
    let code =
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match manage::route(&args) {
                manage::Route::Short(short) => parse_and_run(&short),
                manage::Route::Done(code) => code,
            }
        })) {
            Ok(code) => code,
            Err(p) if is_broken_pipe(p.as_ref()) => EXIT_BROKEN_PIPE,
            Err(p) => std::panic::resume_unwind(p),
        };
    let store = match OPENED.get() {
        Some(store) => Ok(store.clone()),
        None => Store::open_default(),
    };
    if let Ok(store) = store {
        store.emit(
            Event::command(Action::Run)
                .attr("args", serde_json::to_string(&args).unwrap_or_default())
                .attr("exit", code.to_string()),
        );
    }
    trace::finish();
    code
}

/// Parse the short form's arguments (after `docker`) and run the command.
fn parse_and_run(args: &[String]) -> i32 {
    let Some(first) = args.first().map(String::as_str) else {
        // Docker's ShowHelp: the help on stderr, and success.
        eprint!("{}", help::root_help());
        return 0;
    };
    match first {
        "--help" | "-h" => {
            if first == "-h" {
                println!("{}", t("help.h-deprecated", &[]));
            }
            print!("{}", help::root_help());
            return 0;
        }
        // `docker help` and `docker help COMMAND…`, as `COMMAND --help`.
        "help" if args.len() == 1 => {
            print!("{}", help::root_help());
            return 0;
        }
        "help" => {
            if let Some(unknown) = manage::unknown_topic(&args[1..]) {
                eprintln!("{}", t("help.unknown-topic", &[("topic", unknown)]));
                return 1;
            }
            let mut again = args[1..].to_vec();
            again.push("--help".into());
            return main(again);
        }
        _ => {}
    }
    if first.starts_with('-') {
        let detail = help::unknown_token(first);
        eprintln!(
            "{}",
            t(
                "help.usage-error",
                &[
                    ("detail", &detail),
                    ("usage", "docker [OPTIONS] COMMAND [ARG...]"),
                    ("cmd", "docker")
                ]
            )
        );
        return 125;
    }
    // Built once, and only this command's flags made (`defer` on `args::Cmd`).
    let mut root = Cli::command();
    if args::built_subcommand(&mut root, first).is_none() {
        // Docker's root command: "docker: unknown command: docker serach", exit 1.
        let detail = t(
            "help.unknown-command",
            &[("cmd", &format!("docker {first}"))],
        );
        eprintln!("{}", t("help.unknown-top", &[("detail", &detail)]));
        return 1;
    }
    let mut argv = vec!["docker".to_string()];
    argv.extend(args::go_bool_flags(&root, args));
    let parsed = root.try_get_matches_from(&argv).and_then(|m| {
        if let Some(detail) = help::refused_on_create(&m, &args[1..]) {
            return Ok(Err(detail));
        }
        Cli::from_arg_matches(&m).map(Ok)
    });
    match parsed {
        Ok(Err(detail)) => {
            eprintln!("{}", help::usage_error(&detail, first, false));
            125
        }
        Ok(Ok(cli)) => {
            // `--time` is Docker's old name of `--timeout`, still taken with a notice.
            let old_time = |a: &String| a == "--time" || a.starts_with("--time=");
            if matches!(first, "stop" | "restart") && args[1..].iter().any(old_time) {
                println!("{}", t("help.time-deprecated", &[]));
            }
            finish(run(cli))
        }
        Err(e) => help::clap_exit(e, first, &args[1..]),
    }
}

/// A clap outcome for `docker PATH` (see `help::clap_exit`); `argv` after the path.
pub(crate) fn clap_exit(e: clap::Error, path: &str, argv: &[String]) -> i32 {
    help::clap_exit(e, path, argv)
}

/// Print a command's failure, if any; the exit code.
fn finish(result: CmdResult) -> i32 {
    match result {
        Ok(code) => code,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("{}", f.message);
            }
            f.code
        }
    }
}

fn run(cli: Cli) -> CmdResult {
    use args::Cmd;
    let store = open_store()?;
    match cli.cmd {
        Cmd::Pull { quiet, name } => images::pull(&store, &name, quiet),
        Cmd::Push {
            all_tags,
            quiet,
            name,
        } => push::push(&store, &name, all_tags, quiet),
        Cmd::Login {
            username,
            password,
            password_stdin,
            server,
        } => push::login(push::LoginArgs {
            server,
            username,
            password,
            password_stdin,
        }),
        Cmd::Logout { server } => push::logout(server.as_deref()),
        Cmd::Search {
            filter,
            format,
            limit,
            no_trunc,
            term,
        } => search::search(
            &store,
            &search::SearchOptions {
                term: &term,
                limit,
                filters: &filter,
                format: format.as_deref(),
                no_trunc,
            },
        ),
        Cmd::Images {
            all,
            digests,
            quiet,
            no_trunc,
            format,
            filter,
            repository,
        } => images::list(
            &store,
            &images::ListOptions {
                all,
                digests,
                quiet,
                no_trunc,
                format: format.as_deref(),
                filters: &filter,
                repository: repository.as_deref(),
            },
        ),
        Cmd::Tag { source, target } => {
            // Docker's daemon names a missing source with its tag (`a:latest`).
            store.tag(&source, &target).map_err(|e| match e {
                EngineError::NoSuchImage(n) => EngineError::NoSuchImage(images::tagged(&n)).into(),
                // Docker's client parses both names first and wraps the parser's words; a
                // digest reference is the daemon's refusal, unwrapped.
                EngineError::InvalidReference(_, RefProblem::DigestTag) => {
                    Failure::new(describe(&e), 1)
                }
                EngineError::InvalidReference(ref given, _) => Failure::new(
                    t(
                        "err-tag-reference",
                        &[("ref", given), ("detail", &describe(&e))],
                    ),
                    1,
                ),
                other => other.into(),
            })?;
            Ok(0)
        }
        Cmd::Rmi { force, images } => images::remove(&store, &images, force),
        Cmd::History {
            no_trunc,
            quiet,
            human,
            format,
            image,
        } => images::history(
            &store,
            &image,
            images::HistoryOptions {
                no_trunc,
                quiet,
                human,
                format: format.as_deref(),
            },
        ),
        Cmd::Inspect {
            format,
            kind,
            names,
        } => inspect::inspect(&store, &names, kind.as_deref(), format.as_deref()),
        Cmd::Run(a) => run::run(&store, a),
        Cmd::Create(a) => run::create(&store, a.run),
        Cmd::Start {
            attach,
            interactive,
            sig_proxy,
            detach_keys,
            containers,
        } => run::start(
            &store,
            &containers,
            run::AttachFlags {
                attach,
                interactive,
                sig_proxy,
                detach_keys,
            },
        ),
        Cmd::Attach {
            no_stdin,
            detach_keys,
            sig_proxy,
            container,
        } => run::attach(
            &store,
            &container,
            run::AttachFlags {
                attach: true,
                interactive: !no_stdin,
                sig_proxy,
                detach_keys,
            },
        ),
        Cmd::Exec(a) => attach::exec(&store, a),
        Cmd::Ps {
            all,
            quiet,
            latest,
            last,
            no_trunc,
            size,
            format,
            filter,
        } => ps::ps(
            &store,
            &ps::PsOptions {
                all,
                quiet,
                latest,
                last,
                no_trunc,
                size,
                format: format.as_deref(),
                filters: &filter,
            },
        ),
        Cmd::Logs {
            follow,
            tail,
            timestamps,
            container,
        } => logs::logs(&store, &container, follow, tail.as_deref(), timestamps),
        Cmd::Stop {
            time,
            signal,
            containers,
        } => containers::for_each(&containers, |c| {
            store
                .stop_container_with(c, time, signal.as_deref())
                .map(|_| ())
        }),
        Cmd::Kill { signal, containers } => {
            // Docker's API router words every refusal as "Cannot kill container: NAME: …".
            let mut code = 0;
            for c in &containers {
                match store.kill_container(c, &signal) {
                    Ok(_) => println!("{c}"),
                    Err(e) => {
                        let prefix = t("err-daemon", &[]);
                        let text = describe(&e);
                        let detail = text.strip_prefix(&prefix).unwrap_or(&text);
                        eprintln!(
                            "{prefix}{}",
                            t("kill.failed", &[("name", c), ("detail", detail)])
                        );
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        Cmd::Restart { time, containers } => containers::restart(&store, &containers, time),
        Cmd::Rm {
            force,
            volumes,
            containers,
        } => containers::remove(&store, &containers, force, volumes),
        Cmd::Rename {
            container,
            new_name,
        } => containers::rename(&store, &container, &new_name),
        Cmd::Top { container, ps_args } => containers::top(&store, &container, &ps_args),
        Cmd::Commit {
            message,
            author,
            change,
            pause,
            container,
            repository,
        } => containers::commit(
            &store,
            &container,
            repository.as_deref(),
            crate::engine::lifecycle::CommitOptions {
                message,
                author,
                changes: change,
                pause,
            },
        ),
        Cmd::Cp {
            archive,
            follow_link,
            quiet,
            src,
            dest,
        } => cp::cp(
            &store,
            cp::CpArgs {
                src: &src,
                dest: &dest,
                archive,
                follow_link,
                quiet,
            },
        ),
        Cmd::Stats {
            all,
            no_stream,
            no_trunc,
            format,
            containers,
        } => stats::stats(
            &store,
            stats::StatsOptions {
                all,
                no_stream,
                no_trunc,
                format: format.as_deref(),
                containers: &containers,
            },
        ),
        Cmd::Update {
            memory,
            cpus,
            pids_limit,
            restart,
            containers,
        } => {
            if memory.is_none() && cpus.is_none() && pids_limit.is_none() && restart.is_none() {
                return Err(Failure::new(t("update.no-flags", &[]), 1));
            }
            let policy = restart
                .as_deref()
                .map(resources::update_restart_policy)
                .transpose()?;
            let change = crate::engine::container::Resources {
                memory: memory
                    .as_deref()
                    .map(|v| resources::memory("update", v))
                    .transpose()?,
                pids_limit: pids_limit
                    .as_deref()
                    .map(|v| resources::pids_limit("update", v))
                    .transpose()?,
                nano_cpus: cpus
                    .as_deref()
                    .map(|v| resources::cpus("update", v))
                    .transpose()?,
            };
            containers::for_each(&containers, |c| {
                if let Some(p) = &policy {
                    store.update_restart_policy(c, p)?;
                }
                store.update_resources(c, &change).map(|_| ())
            })
        }
        Cmd::Pause { containers } => {
            containers::for_each(&containers, |c| store.pause_container(c).map(|_| ()))
        }
        Cmd::Unpause { containers } => {
            containers::for_each(&containers, |c| store.unpause_container(c).map(|_| ()))
        }
        Cmd::Diff { container } => containers::diff(&store, &container),
        Cmd::Wait { containers } => containers::wait(&store, &containers),
        Cmd::Events {
            since,
            until,
            format,
            filter,
        } => inspect::events(
            &store,
            since.as_deref(),
            until.as_deref(),
            format.as_deref(),
            &filter,
        ),
        Cmd::Port {
            container,
            private_port,
        } => containers::port(&store, &container, private_port.as_deref()),
        Cmd::Version { format } => version::version(&store, format.as_deref()),
        Cmd::Info { format } => version::info(&store, format.as_deref()),
        Cmd::Build {
            tag,
            file,
            no_cache,
            quiet,
            progress,
            build_arg,
            path,
        } => build::build(
            &store,
            build::BuildArgs {
                tags: &tag,
                file: file.as_deref(),
                no_cache,
                quiet,
                progress: progress.as_deref(),
                build_args: &build_arg,
                path: &path,
            },
        ),
        Cmd::Save { output, images } => transfer::save(&store, output.as_deref(), &images),
        Cmd::Load { input, quiet } => transfer::load(&store, input.as_deref(), quiet),
        Cmd::Export { output, container } => {
            transfer::export(&store, output.as_deref(), &container)
        }
        Cmd::Import {
            change,
            message,
            file,
            repository,
        } => transfer::import(&store, &file, repository.as_deref(), change, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_exit_codes_are_docker_clis() {
        let start = |f: InitFailure| run_exit_code(&EngineError::Start(f));
        let exec = |errno| InitFailure::Exec {
            cmd: "x".into(),
            detail: String::new(),
            errno,
        };
        assert_eq!(start(InitFailure::NotFound { cmd: "x".into() }), 127);
        assert_eq!(start(exec(libc::ENOENT)), 127);
        assert_eq!(start(exec(libc::EACCES)), 126);
        assert_eq!(start(exec(libc::EISDIR)), 126);
        assert_eq!(start(exec(libc::ENOEXEC)), 125);
        assert_eq!(start(InitFailure::NoUser { user: "u".into() }), 125);
        assert_eq!(start(InitFailure::NoGroup { group: "g".into() }), 125);
        let chdir = InitFailure::Chdir {
            dir: "/etc/passwd".into(),
            detail: "Not a directory (os error 20)".into(),
        };
        assert_eq!(start(chdir), 125);
        assert_eq!(start(InitFailure::ChdirOutside { dir: "/x".into() }), 125);
        assert_eq!(start(InitFailure::NoCommand), 125);
        assert_eq!(start(InitFailure::setup("mount")), 125);
        assert_eq!(run_exit_code(&EngineError::Runtime("x".into())), 125);
    }

    #[test]
    fn os_errors_are_recognised_by_errno() {
        // Unknown errnos and plain text are kept (no catalog look-up).
        let en = os_error_text;
        assert_eq!(en("weird (os error 9999)", None), "weird (os error 9999)");
        assert_eq!(en("no errno here", None), "no errno here");
        assert_eq!(en("mystery", Some(0)), "mystery");
    }
}
