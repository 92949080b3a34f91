//! Docker's management commands, `docker container …` and `docker image …`: each subcommand
//! is the short form's clap definition under its management name (so the flags cannot
//! drift), checked under that name (usage and errors say `docker container ls`) and then run
//! as the short form. `prune` exists only here, as in Docker. `docker volume …` has no short
//! forms: its subcommands run in `volume.rs`. Also `docker --version` / `-v`.

use clap::{Args, Command, CommandFactory, FromArgMatches};

use super::help;

use super::prune::{ContainerPruneArgs, ImagePruneArgs};
use super::system::{BuilderPruneArgs, DfArgs, SystemPruneArgs};
use super::{Cli, version};
use crate::i18n::t;

/// Where the arguments go after the management layer.
pub enum Route {
    /// Parse and run these (after `docker`) as the short form.
    Short(Vec<String>),
    /// Handled here; the exit code.
    Done(i32),
}

/// A management subcommand: its name, the short form it runs (None: `prune`), Docker's
/// aliases, and arguments the short form needs to mean the same (`inspect --type container`).
struct Sub {
    name: &'static str,
    target: Option<&'static str>,
    aliases: &'static [&'static str],
    extra: &'static [&'static str],
}

const fn same(name: &'static str) -> Sub {
    Sub {
        name,
        target: Some(name),
        aliases: &[],
        extra: &[],
    }
}

/// `docker container COMMAND`, in Docker's (alphabetical) order.
const CONTAINER: &[Sub] = &[
    same("attach"),
    same("commit"),
    same("cp"),
    same("create"),
    same("diff"),
    same("exec"),
    same("export"),
    Sub {
        name: "inspect",
        target: Some("inspect"),
        aliases: &[],
        extra: &["--type", "container"],
    },
    same("kill"),
    same("logs"),
    Sub {
        name: "ls",
        target: Some("ps"),
        aliases: &["list", "ps"],
        extra: &[],
    },
    same("pause"),
    same("port"),
    Sub {
        name: "prune",
        target: None,
        aliases: &[],
        extra: &[],
    },
    same("rename"),
    same("restart"),
    Sub {
        name: "rm",
        target: Some("rm"),
        aliases: &["remove"],
        extra: &[],
    },
    same("run"),
    same("start"),
    same("stats"),
    same("stop"),
    same("top"),
    same("unpause"),
    same("update"),
    same("wait"),
];

/// `docker image COMMAND`, in Docker's order.
const IMAGE: &[Sub] = &[
    same("build"),
    same("history"),
    same("import"),
    Sub {
        name: "inspect",
        target: Some("inspect"),
        aliases: &[],
        extra: &["--type", "image"],
    },
    same("load"),
    Sub {
        name: "ls",
        target: Some("images"),
        aliases: &["list"],
        extra: &[],
    },
    Sub {
        name: "prune",
        target: None,
        aliases: &[],
        extra: &[],
    },
    same("pull"),
    same("push"),
    Sub {
        name: "rm",
        target: Some("rmi"),
        aliases: &["remove"],
        extra: &[],
    },
    same("save"),
    same("tag"),
];

/// `docker volume COMMAND`: no short forms; each runs in `volume.rs`.
const VOLUME: &[Sub] = &[
    own("create", &[]),
    own("inspect", &[]),
    own("ls", &["list"]),
    own("prune", &[]),
    own("rm", &["remove"]),
];

const fn own(name: &'static str, aliases: &'static [&'static str]) -> Sub {
    Sub {
        name,
        target: None,
        aliases,
        extra: &[],
    }
}

/// `docker network COMMAND` (no short forms: each is run by `network`).
const NETWORK: &[Sub] = &[
    own("connect", &[]),
    own("create", &[]),
    own("disconnect", &[]),
    own("inspect", &[]),
    own("ls", &["list"]),
    own("prune", &[]),
    own("rm", &["remove"]),
];

/// `docker system COMMAND`, in Docker's order.
const SYSTEM: &[Sub] = &[
    own("df", &[]),
    same("events"),
    same("info"),
    own("prune", &[]),
];

/// `docker builder COMMAND`: prune (Docker's `builder build` is `docker build` here).
const BUILDER: &[Sub] = &[own("prune", &[])];

/// The management commands, in Docker's order (compose, a plugin in Docker, is apart).
pub const GROUPS: [&str; 6] = [
    "builder",
    "container",
    "image",
    "network",
    "system",
    "volume",
];

fn group_subs(group: &str) -> Option<&'static [Sub]> {
    Some(match group {
        "container" => CONTAINER,
        "image" => IMAGE,
        "volume" => VOLUME,
        "network" => NETWORK,
        "system" => SYSTEM,
        "builder" => BUILDER,
        _ => return None,
    })
}

/// A command's clap definition, its path after `docker` (`run`, `container ls`) and the key
/// of its texts in the catalogs (`ps` for `container ls`, `volume.ls` for its own commands).
pub struct Page {
    pub cmd: Command,
    pub path: String,
    pub key: String,
}

/// The page of `docker PATH`, a short form or a management form.
pub fn page(path: &str) -> Option<Page> {
    let Some((group, name)) = path.split_once(' ') else {
        let cmd = super::args::command_of(path)?;
        return Some(Page {
            cmd,
            path: path.to_string(),
            key: path.to_string(),
        });
    };
    let sub = group_subs(group)?.iter().find(|s| s.name == name)?;
    let own_key = format!("{group}.{name}");
    let cmd = match sub.target {
        Some("inspect") => {
            let what = if group == "image" {
                "IMAGE"
            } else {
                "CONTAINER"
            };
            let cmd = super::args::command_of("inspect")?;
            // Its flags are made (`args::command_of`): `mut_arg` would move the arg out of the
            // place clap's built lookup has it, `mut_args` keeps each where it is.
            cmd.mut_args(|a| {
                if a.get_id() == "kind" {
                    a.hide(true)
                } else {
                    a
                }
            })
            .override_usage(format!("[OPTIONS] {what} [{what}...]"))
        }
        Some(target) => {
            let cmd = super::args::command_of(target)?;
            return Some(Page {
                cmd: cmd.name(sub.name),
                path: path.to_string(),
                key: target.to_string(),
            });
        }
        None => own_command(group, sub.name)?,
    };
    Some(Page {
        cmd: cmd.name(sub.name),
        path: path.to_string(),
        key: own_key,
    })
}

/// The clap definitions of the subcommands that exist only under a management command.
fn own_command(group: &str, name: &'static str) -> Option<Command> {
    let base = Command::new(name);
    Some(match (group, name) {
        ("volume", _) => super::volume::command(name),
        ("network", _) => super::network::command(name)?,
        ("image", "prune") => ImagePruneArgs::augment_args(base).override_usage("[OPTIONS]"),
        ("container", "prune") => {
            ContainerPruneArgs::augment_args(base).override_usage("[OPTIONS]")
        }
        ("system", "df") => DfArgs::augment_args(base).override_usage("[OPTIONS]"),
        ("system", "prune") => SystemPruneArgs::augment_args(base).override_usage("[OPTIONS]"),
        ("builder", "prune") => BuilderPruneArgs::augment_args(base).override_usage("[OPTIONS]"),
        _ => return None,
    })
}

/// The catalog key of a command's short description: the management form's for a short
/// form that has one (`manage.container.run` for `run`), `cmd.NAME` for the others.
pub fn about_key(key: &str) -> String {
    if key.contains('.') {
        return format!("manage.{key}");
    }
    GROUPS
        .iter()
        .find_map(|g| {
            let sub = group_subs(g)?
                .iter()
                .find(|s| s.target == Some(key) && s.extra.is_empty())?;
            Some(format!("manage.{g}.{}", sub.name))
        })
        .unwrap_or_else(|| format!("cmd.{key}"))
}

/// Docker's "Aliases:" line of a command: every name it answers to (`docker container ls,
/// docker container list, docker container ps, docker ps`); empty when it has one name.
pub fn aliases(path: &str) -> Vec<String> {
    let (group, sub) = match path.split_once(' ') {
        Some((g, name)) => {
            let Some(sub) = group_subs(g).and_then(|subs| subs.iter().find(|s| s.name == name))
            else {
                return vec![];
            };
            match sub.target {
                Some(target) if sub.extra.is_empty() => return aliases(target),
                Some(_) => return vec![],
                None => (g, sub),
            }
        }
        None => {
            let found = GROUPS.iter().find_map(|g| {
                let sub = group_subs(g)?
                    .iter()
                    .find(|s| s.target == Some(path) && s.extra.is_empty())?;
                Some((*g, sub))
            });
            match found {
                Some(found) => found,
                None => return vec![],
            }
        }
    };
    let mut names: Vec<String> = std::iter::once(sub.name)
        .chain(sub.aliases.iter().copied())
        .map(|n| format!("docker {group} {n}"))
        .collect();
    if let Some(target) = sub.target {
        names.push(format!("docker {target}"));
    }
    if names.len() == 1 { vec![] } else { names }
}

/// The use line of a path that is no command of its own: a management command's (Docker's
/// volume command alone declares `docker volume COMMAND`), or the path as it is.
pub fn bare_use_line(path: &str) -> String {
    if path == "volume" {
        "docker volume COMMAND".to_string()
    } else {
        format!("docker {path}")
    }
}

/// `docker help WORDS…`: the first word that names no command, if any.
pub fn unknown_topic(words: &[String]) -> Option<&str> {
    let first = words.first()?.as_str();
    if let Some(subs) = group_subs(first) {
        let sub = words.get(1)?.as_str();
        let known = subs
            .iter()
            .any(|s| s.name == sub || s.aliases.contains(&sub));
        return (!known).then_some(sub);
    }
    let known = first == "compose" || Cli::command().find_subcommand(first).is_some();
    (!known).then_some(first)
}

/// The management layer: `--version`, `container …`, `image …`, `network …`, `system …`,
/// `volume …`; anything else goes on as is.
pub fn route(args: &[String]) -> Route {
    let group = match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!("{}", version::version_line());
            return Route::Done(0);
        }
        Some("compose") => return Route::Done(super::compose::main(&args[1..])),
        Some(g) if GROUPS.contains(&g) => g,
        _ => return Route::Short(args.to_vec()),
    };
    let subs = group_subs(group).unwrap_or_default();
    let names: Vec<String> = subs.iter().map(|s| s.name.to_string()).collect();
    let Some(word) = args.get(1).map(String::as_str) else {
        // Docker's ShowHelp: the help on stderr, and success.
        eprint!("{}", help::group_help(group, &names));
        return Route::Done(0);
    };
    if word == "--help" || word == "-h" {
        if word == "-h" {
            println!("{}", t("help.h-deprecated", &[]));
        }
        print!("{}", help::group_help(group, &names));
        return Route::Done(0);
    }
    if word.starts_with('-') {
        let detail = help::unknown_token(word);
        eprintln!("{}", help::usage_error(&detail, group, false));
        return Route::Done(125);
    }
    let Some(sub) = subs
        .iter()
        .find(|s| s.name == word || s.aliases.contains(&word))
    else {
        let detail = t(
            "help.unknown-command",
            &[("cmd", &format!("docker {group} {word}"))],
        );
        eprintln!("{}", help::usage_error(&detail, group, false));
        return Route::Done(1);
    };
    let path = format!("{group} {}", sub.name);
    let rest = &args[2..];
    let Some(page) = page(&path) else {
        return Route::Short(args.to_vec());
    };
    let argv = std::iter::once(format!("docker {path}"))
        .chain(super::args::go_bool_flags(&page.cmd, rest));
    let m = match page.cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => return Route::Done(help::clap_exit(e, &path, rest)),
    };
    // Refused here, so the usage names `docker container create` as Docker's does.
    if path == "container create"
        && let Some(detail) = help::refused_create_flag(&m, rest)
    {
        eprintln!("{}", help::usage_error(&detail, &path, false));
        return Route::Done(125);
    }
    match (group, sub.target) {
        ("volume", _) => Route::Done(super::volume::run(sub.name, &m)),
        ("network", _) => Route::Done(super::finish(
            super::open_store().and_then(|store| super::network::run(&store, sub.name, &m)),
        )),
        (_, None) => Route::Done(only_here(group, sub.name, &m)),
        (_, Some(target)) => {
            let mut short = vec![target.to_string()];
            short.extend(sub.extra.iter().map(|s| s.to_string()));
            short.extend(rest.iter().cloned());
            Route::Short(short)
        }
    }
}

/// The subcommands that exist only under a management command (`prune`, `system df`).
fn only_here(group: &str, name: &'static str, m: &clap::ArgMatches) -> i32 {
    let result = super::open_store().and_then(|store| match (group, name) {
        ("image", _) => super::prune::images(&store, &parsed(m)?),
        ("system", "df") => super::system::df(&store, &parsed(m)?),
        ("system", _) => super::system::prune(&store, &parsed(m)?),
        ("builder", _) => super::system::builder_prune(&store, &parsed(m)?),
        _ => super::prune::containers(&store, &parsed(m)?),
    });
    super::finish(result)
}

/// Typed arguments from matches their own definition made (cannot fail but is not unwrapped).
pub fn parsed<T: FromArgMatches>(m: &clap::ArgMatches) -> Result<T, super::Failure> {
    T::from_arg_matches(m).map_err(|e| super::Failure::new(e.to_string(), 125))
}
