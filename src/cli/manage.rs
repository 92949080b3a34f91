//! Docker's management commands, `docker container …` and `docker image …`: each subcommand
//! is the short form's clap definition under its management name (so the flags cannot
//! drift), checked under that name (usage and errors say `docker container ls`) and then run
//! as the short form. `prune` exists only here, as in Docker. `docker volume …` has no short
//! forms: its subcommands run in `volume.rs`. Also `docker --version` / `-v`.

use clap::{Args, Command, CommandFactory, FromArgMatches};

use super::prune::{ContainerPruneArgs, ImagePruneArgs};
use super::system::{DfArgs, SystemPruneArgs};
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

/// The management layer: `--version`, `container …`, `image …`, `network …`, `system …`,
/// `volume …`; anything else goes on as is.
pub fn route(args: &[String]) -> Route {
    let (group, subs) = match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!("{}", version::version_line());
            return Route::Done(0);
        }
        Some("container") => ("container", CONTAINER),
        Some("image") => ("image", IMAGE),
        Some("volume") => ("volume", VOLUME),
        Some("network") => ("network", NETWORK),
        Some("system") => ("system", SYSTEM),
        _ => return Route::Short(args.to_vec()),
    };
    let Some(word) = args.get(1).map(String::as_str) else {
        // Docker's ShowHelp: the help on stderr, and success.
        eprint!("{}", group_help(group, subs));
        return Route::Done(0);
    };
    if word == "--help" || word == "-h" {
        print!("{}", group_help(group, subs));
        return Route::Done(0);
    }
    if word.starts_with('-') {
        let detail = t("manage.unknown-flag", &[("flag", word)]);
        eprintln!("{}", t("err-usage", &[("detail", &detail), ("cmd", group)]));
        return Route::Done(125);
    }
    let Some(sub) = subs
        .iter()
        .find(|s| s.name == word || s.aliases.contains(&word))
    else {
        eprintln!(
            "{}",
            t("manage.unknown-command", &[("group", group), ("sub", word)])
        );
        return Route::Done(1);
    };
    let path = format!("{group} {}", sub.name);
    let rest = &args[2..];
    let argv = std::iter::once(format!("docker {path}")).chain(rest.iter().cloned());
    if group == "volume" {
        return Route::Done(super::volume::run(sub.name, &path, argv.collect()));
    }
    let Some(target) = sub.target else {
        if group == "network" {
            return Route::Done(network(sub.name, &path, argv));
        }
        return Route::Done(only_here(group, sub.name, &path, argv));
    };
    // Check under the management name, so clap's usage and errors say `docker container ls`.
    let Some(cmd) = Cli::command().find_subcommand(target).cloned() else {
        return Route::Short(args.to_vec());
    };
    let mut cmd = cmd
        .name(sub.name)
        .bin_name(format!("docker {path}"))
        .about(t(&format!("manage.{group}.{}", sub.name), &[]));
    if target == "inspect" {
        cmd = cmd.mut_arg("kind", |a| a.hide(true));
    }
    if let Err(e) = cmd.try_get_matches_from(argv) {
        return Route::Done(super::clap_exit(e, &path));
    }
    let mut short = vec![target.to_string()];
    short.extend(sub.extra.iter().map(|s| s.to_string()));
    short.extend(rest.iter().cloned());
    Route::Short(short)
}

/// The subcommands that exist only under a management command (`prune`, `system df`).
fn only_here(
    group: &str,
    name: &'static str,
    path: &str,
    argv: impl Iterator<Item = String>,
) -> i32 {
    let base = Command::new(name)
        .bin_name(format!("docker {path}"))
        .about(t(&format!("manage.{group}.{name}"), &[]));
    let cmd = match (group, name) {
        ("image", _) => ImagePruneArgs::augment_args(base),
        ("system", "df") => DfArgs::augment_args(base),
        ("system", _) => SystemPruneArgs::augment_args(base),
        _ => ContainerPruneArgs::augment_args(base),
    };
    let m = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => return super::clap_exit(e, path),
    };
    let result = super::open_store().and_then(|store| match (group, name) {
        ("image", _) => {
            let a = ImagePruneArgs::from_arg_matches(&m).map_err(|e| clap_failure(&e))?;
            super::prune::images(&store, &a)
        }
        ("system", "df") => {
            let a = DfArgs::from_arg_matches(&m).map_err(|e| clap_failure(&e))?;
            super::system::df(&store, &a)
        }
        ("system", _) => {
            let a = SystemPruneArgs::from_arg_matches(&m).map_err(|e| clap_failure(&e))?;
            super::system::prune(&store, &a)
        }
        _ => {
            let a = ContainerPruneArgs::from_arg_matches(&m).map_err(|e| clap_failure(&e))?;
            super::prune::containers(&store, &a)
        }
    });
    super::finish(result)
}

fn network(sub: &'static str, path: &str, argv: impl Iterator<Item = String>) -> i32 {
    let Some(cmd) = super::network::command(sub) else {
        return 1;
    };
    let cmd = cmd
        .bin_name(format!("docker {path}"))
        .about(t(&format!("manage.network.{sub}"), &[]));
    let m = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => return super::clap_exit(e, path),
    };
    super::finish(super::open_store().and_then(|store| super::network::run(&store, sub, &m)))
}

fn clap_failure(e: &clap::Error) -> super::Failure {
    super::Failure::new(e.to_string(), 125)
}

/// Docker's help for a management command: usage, what it manages, its commands.
fn group_help(group: &str, subs: &[Sub]) -> String {
    let width = subs.iter().map(|s| s.name.len()).max().unwrap_or(0).max(11);
    let mut out = format!(
        "{}\n\n{}\n\n{}\n",
        t("manage.usage", &[("group", group)]),
        t(&format!("manage.{group}"), &[]),
        t("manage.commands", &[])
    );
    for s in subs {
        let short = t(&format!("manage.{group}.{}", s.name), &[]);
        out.push_str(&format!("  {:<width$} {short}\n", s.name));
    }
    out.push('\n');
    out.push_str(&t("manage.more-help", &[("group", group)]));
    out.push('\n');
    out
}
