//! `docker compose --help` and its subcommands' help in the docker CLI's cobra layout (Compose
//! runs as a docker CLI plugin, so it prints Docker's template), and Compose's usage errors in
//! its words: its flag error handler prints pflag's message alone and exits 1
//! (docker/compose cmd/main.go), an unknown command prints the help then
//! `unknown docker command: "compose NAME"` (cmd/compose/compose.go).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Command, CommandFactory};

use super::ComposeCli;
use crate::cli::help::{self, Flag};
use crate::i18n::t;

/// Compose's root flags that take a value, which come before the subcommand's name.
const VALUED: [&str; 4] = ["-f", "--file", "-p", "--project-name"];

/// The subcommand named in `args` (after `compose`), skipping the root's flags; `help NAME`
/// names NAME.
fn sub_of(args: &[String]) -> Option<&str> {
    let mut it = args.iter().map(String::as_str);
    while let Some(a) = it.next() {
        if VALUED.contains(&a) {
            it.next();
        } else if a == "--" {
            return it.next();
        } else if !a.starts_with('-') {
            return match a {
                "help" => it.find(|w| !w.starts_with('-')),
                _ => Some(a),
            };
        }
    }
    None
}

/// A compose subcommand's short description, in the learner's language.
fn about(name: &str) -> String {
    t(&format!("cmd.compose.{name}"), &[])
}

/// `docker compose --help`: Usage, what Compose is, its options, its commands.
pub fn root_help() -> String {
    let cmd = ComposeCli::command();
    let mut out = format!(
        "{}  docker compose [OPTIONS] COMMAND\n\n{}\n",
        t("help.usage", &[]),
        t("help.long.compose", &[])
    );
    options(&mut out, &help::flags_of(&cmd, "compose"));
    let mut rows: Vec<(String, String)> = cmd
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| (c.get_name().to_string(), about(c.get_name())))
        .collect();
    rows.sort();
    help::command_list(&mut out, &t("help.commands", &[]), &rows);
    out.push_str(&format!(
        "\n{}\n",
        t("help.more", &[("cmd", "docker compose")])
    ));
    out
}

/// `docker compose NAME --help`.
pub fn command_help(sub: &Command) -> String {
    let name = sub.get_name();
    let usage = match sub.get_overridden_usage() {
        Some(u) => format!("docker compose {name} {u}"),
        None => format!("docker compose {name}"),
    };
    let mut out = format!("{}  {usage}\n\n{}\n", t("help.usage", &[]), about(name));
    options(&mut out, &help::flags_of(sub, &format!("compose.{name}")));
    out
}

fn options(out: &mut String, flags: &[Flag]) {
    if !flags.is_empty() {
        out.push_str(&format!("\n{}\n", t("help.options", &[])));
        out.push_str(&help::flag_usages(flags, help::columns()));
    }
}

/// The help `args` ask for: the named subcommand's, else the root's.
fn help_for(args: &[String]) -> String {
    let root = ComposeCli::command();
    match sub_of(args).and_then(|n| root.find_subcommand(n)) {
        Some(sub) => command_help(sub),
        None => root_help(),
    }
}

/// A clap outcome for `docker compose ARGS…` in Compose's words; returns the exit code.
pub fn clap_exit(e: clap::Error, args: &[String]) -> i32 {
    let word = match e
        .get(ContextKind::InvalidArg)
        .or(e.get(ContextKind::InvalidSubcommand))
    {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        | ErrorKind::MissingSubcommand => {
            print!("{}", help_for(args));
            0
        }
        ErrorKind::InvalidSubcommand => {
            print!("{}", root_help());
            let cmd = format!("compose {word}");
            eprintln!("{}", t("help.compose-unknown-command", &[("cmd", &cmd)]));
            1
        }
        ErrorKind::UnknownArgument if word.starts_with('-') => {
            let detail = match word.strip_prefix("--") {
                Some(long) => help::unknown_flag(long),
                None => {
                    let letter = word.chars().nth(1).unwrap_or('-');
                    let cluster = help::cluster_of(args, letter);
                    t(
                        "help.unknown-shorthand",
                        &[("letter", &letter.to_string()), ("cluster", &cluster)],
                    )
                }
            };
            eprintln!("{detail}");
            1
        }
        _ => crate::cli::clap_exit(e, "compose", args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, t_in};

    #[test]
    fn every_compose_text_is_in_both_catalogs() {
        let root = ComposeCli::command();
        let mut keys = vec!["help.long.compose".to_string()];
        let flag_keys = |cmd: &Command, key: &str| -> Vec<String> {
            cmd.get_arguments()
                .filter(|a| !a.is_positional() && a.get_id() != "help")
                .filter_map(|a| Some(format!("flag.{key}.{}", a.get_long()?)))
                .collect()
        };
        keys.extend(flag_keys(&root, "compose"));
        for sub in root.get_subcommands().filter(|c| c.get_name() != "help") {
            keys.push(format!("cmd.compose.{}", sub.get_name()));
            keys.extend(flag_keys(sub, &format!("compose.{}", sub.get_name())));
        }
        for lang in [Lang::En, Lang::Ko] {
            for k in &keys {
                assert_ne!(&t_in(lang, k, &[]), k, "{k} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn the_subcommand_is_found_past_the_root_flags() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(sub_of(&v(&["-f", "x.yaml", "up", "--help"])), Some("up"));
        assert_eq!(sub_of(&v(&["help", "ps"])), Some("ps"));
        assert_eq!(sub_of(&v(&["--help"])), None);
    }
}
