//! Docker's help and usage errors, drawn from the clap definitions so they cannot drift from
//! the flags gorae has: `docker --help` (Docker's groups), `docker COMMAND --help` (the docker
//! CLI's cobra template: Usage, description, Aliases, Options laid out as pflag's
//! `FlagUsagesWrapped`), and clap's errors in Docker's words and exit codes. Every text comes
//! from the catalogs (`help.*`, `cmd.*`, `manage.*`, `flag.*`), so it is Korean in Korean.

use std::io::IsTerminal;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};
use unicode_width::UnicodeWidthStr;

use super::Cli;
use super::manage::{self, Page};
use crate::i18n::{lookup, t};

/// Docker's "Common Commands", in its order.
const COMMON: [&str; 12] = [
    "run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version",
    "info",
];

/// The columns help is wrapped to: the terminal's width less one, as the docker CLI measures
/// it on standard input; 79 when that is no terminal.
pub(super) fn columns() -> usize {
    let width = if std::io::stdin().is_terminal() {
        crossterm::terminal::size().map(|(c, _)| c as usize).ok()
    } else {
        None
    };
    width.filter(|w| *w > 0).unwrap_or(80) - 1
}

/// One flag as pflag prints it.
pub(super) struct Flag {
    short: Option<char>,
    long: String,
    kind: String,
    usage: String,
}

/// The value type Docker prints after a flag (`int`, `list`, `string`…): the arg's value name
/// when it is one (lower case), `list` for a repeatable one, `string` otherwise; nothing for a
/// switch or a boolean (value name `bool`).
pub fn kind_of(a: &Arg) -> String {
    if !a.get_action().takes_values() {
        return String::new();
    }
    match a
        .get_value_names()
        .and_then(|v| v.first())
        .map(|n| n.as_str())
    {
        Some("bool") => String::new(),
        // pflag's type names: lower case, or camel case (`stringArray`).
        Some(n)
            if n.starts_with(|c: char| c.is_ascii_lowercase())
                && n.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            n.into()
        }
        _ if matches!(a.get_action(), clap::ArgAction::Append) => "list".into(),
        _ => "string".into(),
    }
}

/// A flag's description: `flag.KEY.LONG`, else the shared `flag.LONG` (with Docker's
/// "(default …)" where Docker shows one).
/// A text that is `@other.key` is that key's (so one text serves several commands).
fn usage_of(key: &str, a: &Arg, long: &str) -> String {
    let text = lookup(&format!("flag.{key}.{long}"), &[])
        .or_else(|| lookup(&format!("flag.{long}"), &[]))
        .or_else(|| a.get_help().map(|h| h.to_string()))
        .unwrap_or_default();
    match text.strip_prefix('@') {
        Some(other) => t(other, &[]),
        None => text,
    }
}

/// The flags a help page lists, sorted by long name as pflag sorts them. The help flag shows
/// only where `-h` means something else (run, create), as in Docker.
pub(super) fn flags_of(cmd: &Command, key: &str) -> Vec<Flag> {
    let mut flags: Vec<Flag> = cmd
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
        .filter(|a| !(a.get_id() == "help" && a.get_short() == Some('h')))
        .filter_map(|a| {
            let long = a.get_long()?.to_string();
            Some(Flag {
                short: a.get_short(),
                kind: kind_of(a),
                usage: usage_of(key, a, &long),
                long,
            })
        })
        .collect();
    flags.sort_by(|a, b| a.long.cmp(&b.long));
    flags
}

/// pflag's `FlagUsagesWrapped`: names, a column, descriptions wrapped to `cols`.
pub(super) fn flag_usages(flags: &[Flag], cols: usize) -> String {
    let heads: Vec<String> = flags
        .iter()
        .map(|f| {
            let mut h = match f.short {
                Some(c) => format!("  -{c}, --{}", f.long),
                None => format!("      --{}", f.long),
            };
            if !f.kind.is_empty() {
                h.push(' ');
                h.push_str(&f.kind);
            }
            h
        })
        .collect();
    let maxlen = heads.iter().map(|h| h.width()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (h, f) in heads.iter().zip(flags) {
        let spacing = " ".repeat(maxlen - h.width());
        let line = format!("{h} {spacing} {}", wrap(maxlen + 2, cols, &f.usage));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// pflag's `wrap`: `s` wrapped to `w` columns, later lines indented by `i` (the first is
/// placed by the caller), in display columns.
fn wrap(i: usize, w: usize, s: &str) -> String {
    let mut i = i;
    let mut r = String::new();
    if w < i + 24 {
        i = 16;
        r = format!("\n{}", " ".repeat(i));
    }
    if w < i + 24 {
        return s.replace('\n', &r);
    }
    let slop = 5;
    let room = w - i - slop;
    let indent = format!("\n{}", " ".repeat(i));
    let (first, mut rest) = wrap_n(room, slop, s);
    r.push_str(&first.replace('\n', &indent));
    while !rest.is_empty() {
        let (line, more) = wrap_n(room, slop, rest);
        r.push_str(&indent);
        r.push_str(&line.replace('\n', &indent));
        rest = more;
    }
    r
}

/// pflag's `wrapN`: the text up to `i` columns, cut at the last space (or an earlier
/// newline), and the rest; `slop` columns over when that takes the whole text.
fn wrap_n(i: usize, slop: usize, s: &str) -> (&str, &str) {
    if i + slop > s.width() {
        return (s, "");
    }
    let mut cols = 0;
    let mut end = s.len();
    for (at, c) in s.char_indices() {
        cols += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if cols > i {
            end = at;
            break;
        }
    }
    let head = &s[..end];
    let Some(cut) = head.rfind([' ', '\t', '\n']).filter(|c| *c > 0) else {
        return (s, "");
    };
    if let Some(nl) = head.rfind('\n').filter(|nl| *nl > 0 && *nl < cut) {
        return (&s[..nl], &s[nl + 1..]);
    }
    (&s[..cut], &s[cut + 1..])
}

/// The command's use line, `docker run [OPTIONS] IMAGE [COMMAND] [ARG...]`.
pub fn use_line(page: &Page) -> String {
    match page.cmd.get_overridden_usage() {
        Some(u) => format!("docker {} {u}", page.path),
        None => format!("docker {}", page.path),
    }
}

/// A command's short description, in the learner's language.
pub fn about(key: &str) -> String {
    t(&manage::about_key(key), &[])
}

/// `docker COMMAND --help`.
pub fn command_help(page: &Page) -> String {
    let mut out = format!("{}  {}\n\n", t("help.usage", &[]), use_line(page));
    let long = lookup(&format!("help.long.{}", page.key), &[]);
    out.push_str(&long.unwrap_or_else(|| about(&page.key)));
    out.push('\n');
    let aliases = manage::aliases(&page.path);
    if !aliases.is_empty() {
        out.push_str(&format!(
            "\n{}\n  {}\n",
            t("help.aliases", &[]),
            aliases.join(", ")
        ));
    }
    let flags = flags_of(&page.cmd, &page.key);
    if !flags.is_empty() {
        out.push_str(&format!("\n{}\n", t("help.options", &[])));
        out.push_str(&flag_usages(&flags, columns()));
    }
    out
}

/// A list of commands and their descriptions, padded as cobra pads them.
pub(super) fn command_list(out: &mut String, heading: &str, rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(n, _)| n.width())
        .max()
        .unwrap_or(0)
        .max(11);
    out.push_str(&format!("\n{heading}\n"));
    for (name, about) in rows {
        let pad = " ".repeat(width + 1 - name.width());
        out.push_str(&format!("  {name}{pad}{about}\n"));
    }
}

/// `docker GROUP --help`: what it manages and its commands.
pub fn group_help(group: &str, subs: &[String]) -> String {
    let mut out = format!(
        "{}  docker {group} COMMAND\n\n{}\n",
        t("help.usage", &[]),
        t(&format!("manage.{group}"), &[])
    );
    let rows: Vec<(String, String)> = subs
        .iter()
        .filter_map(|s| {
            let page = manage::page(&format!("{group} {s}"))?;
            Some((s.clone(), about(&page.key)))
        })
        .collect();
    command_list(&mut out, &t("help.commands", &[]), &rows);
    out.push_str(&format!(
        "\n{}\n",
        t("help.more", &[("cmd", &format!("docker {group}"))])
    ));
    out
}

/// `docker --help`: Docker's groups, with only the commands gorae has.
pub fn root_help() -> String {
    let mut out = format!(
        "{}  docker [OPTIONS] COMMAND\n\n{}\n",
        t("help.usage", &[]),
        t("help.tagline", &[])
    );
    let row = |name: &str| (name.to_string(), about(name));
    let common: Vec<_> = COMMON.iter().map(|c| row(c)).collect();
    command_list(&mut out, &t("help.common", &[]), &common);
    let mut groups = vec![("compose*".to_string(), t("help.about.compose", &[]))];
    groups.extend(
        manage::GROUPS
            .iter()
            .map(|g| (g.to_string(), t(&format!("manage.{g}"), &[]))),
    );
    groups.sort();
    command_list(&mut out, &t("help.management", &[]), &groups);
    let cli = <Cli as clap::CommandFactory>::command();
    let mut rest: Vec<_> = cli
        .get_subcommands()
        .map(|c| c.get_name())
        .filter(|n| !COMMON.contains(n))
        .map(row)
        .collect();
    rest.sort();
    command_list(&mut out, &t("help.commands", &[]), &rest);
    let global = [Flag {
        short: Some('v'),
        long: "version".into(),
        kind: String::new(),
        usage: t("flag.version", &[]),
    }];
    out.push_str(&format!("\n{}\n", t("help.global", &[])));
    out.push_str(&flag_usages(&global, columns()));
    out.push_str(&format!(
        "\n{}\n\n{}\n",
        t("help.more", &[("cmd", "docker")]),
        t("help.guides", &[])
    ));
    out
}

/// Docker's layout for a refused command line: the detail, the use line, where help is.
pub fn usage_error(detail: &str, path: &str, see: bool) -> String {
    let usage = manage::page(path)
        .map(|p| use_line(&p))
        .unwrap_or_else(|| manage::bare_use_line(path));
    let key = if see {
        "help.usage-error-see"
    } else {
        "help.usage-error"
    };
    t(
        key,
        &[
            ("detail", detail),
            ("usage", &usage),
            ("cmd", &format!("docker {path}")),
        ],
    )
}

/// A flag's value refused (exit 125): `invalid argument "x" for "-t, --timeout" flag: …`.
pub fn flag_error(path: &str, detail: &str) -> super::Failure {
    super::Failure::new(usage_error(detail, path, false), 125)
}

/// How many arguments a command takes, from its positionals: (at least, at most).
fn arg_bounds(cmd: &Command) -> (usize, Option<usize>) {
    let mut min = 0;
    let mut max = Some(0);
    for p in cmd.get_positionals() {
        let many = p.get_num_args().is_some_and(|n| n.max_values() > 1)
            || matches!(p.get_action(), clap::ArgAction::Append);
        if p.is_required_set() {
            min += 1;
        }
        max = if many { None } else { max.map(|m| m + 1) };
    }
    (min, max)
}

/// Docker's wording for a wrong number of arguments (exit 1); "See" after "at least", as
/// Docker prints it.
fn args_error(page: &Page, missing: bool) -> String {
    let cmd = format!("docker {}", page.path);
    let noun = |n: usize| t(if n == 1 { "help.arg" } else { "help.args" }, &[]);
    // Docker's import checks only that there is a file (`RequiresMinArgs(1)`).
    let bounds = if missing && page.key == "import" {
        (1, None)
    } else {
        arg_bounds(&page.cmd)
    };
    let (detail, see) = match bounds {
        (_, Some(0)) => (t("help.args-none", &[("cmd", &cmd)]), false),
        (min, Some(max)) if min == max => {
            let n = min.to_string();
            let args = [("cmd", cmd.as_str()), ("n", &n), ("noun", &noun(min))];
            (t("help.args-exact", &args), false)
        }
        (min, None) => {
            let n = min.to_string();
            let args = [("cmd", cmd.as_str()), ("n", &n), ("noun", &noun(min))];
            (t("help.args-min", &args), true)
        }
        (0, Some(max)) => {
            let n = max.to_string();
            let args = [("cmd", cmd.as_str()), ("n", &n), ("noun", &noun(max))];
            (t("help.args-max", &args), false)
        }
        (min, Some(max)) => {
            let (lo, hi) = (min.to_string(), max.to_string());
            let args = [
                ("cmd", cmd.as_str()),
                ("min", &lo),
                ("max", &hi),
                ("noun", &noun(max)),
            ];
            (t("help.args-range", &args), false)
        }
    };
    usage_error(&detail, &page.path, see)
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    }
}

/// `-t, --timeout` for the arg clap names as `--time <TIME>` (its long name or an alias).
fn arg_named<'a>(cmd: &'a Command, shown: &str) -> Option<&'a Arg> {
    let word = shown.split([' ', '=']).next().unwrap_or("");
    let long = word.strip_prefix("--");
    let short = word.strip_prefix('-').and_then(|s| s.chars().next());
    cmd.get_arguments().find(|a| match long {
        Some(l) => a.get_long() == Some(l) || a.get_all_aliases().is_some_and(|v| v.contains(&l)),
        None => short.is_some() && a.get_short() == short,
    })
}

fn flag_names(a: &Arg) -> String {
    match (a.get_short(), a.get_long()) {
        (Some(s), Some(l)) => format!("-{s}, --{l}"),
        (None, Some(l)) => format!("--{l}"),
        (Some(s), None) => format!("-{s}"),
        (None, None) => a.get_id().to_string(),
    }
}

/// Go's reason for a value its flag type refuses (strconv's words for numbers and booleans).
fn value_reason(a: &Arg, value: &str, clap_reason: &str) -> String {
    const GO_BOOLS: [&str; 12] = [
        "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
    ];
    let parser = match kind_of(a).as_str() {
        "int" => "ParseInt",
        "uint" | "uint16" | "uint64" => "ParseUint",
        "" if !GO_BOOLS.contains(&value) => "ParseBool",
        _ => return clap_reason.to_string(),
    };
    format!("strconv.{parser}: parsing \"{value}\": invalid syntax")
}

/// Why the value of the flag clap shows as `shown` is refused, when it can be said.
fn value_reason_for(cmd: &Command, shown: &str, value: &str, clap_reason: &str) -> Option<String> {
    let a = arg_named(cmd, shown)?;
    Some(value_reason(a, value, clap_reason)).filter(|r| !r.is_empty())
}

/// `run` flags gorae's `create` shares in its definition (hidden there) but Docker's create has
/// not: typed, they are refused as pflag refuses an unknown flag.
const NOT_ON_CREATE: [&str; 3] = ["detach", "detach_keys", "sig_proxy"];

/// The refusal for a `create` given one of NOT_ON_CREATE (`argv` after `create`).
pub fn refused_on_create(m: &clap::ArgMatches, argv: &[String]) -> Option<String> {
    let ("create", sub) = m.subcommand()? else {
        return None;
    };
    refused_create_flag(sub, argv)
}

/// [`refused_on_create`] given `create`'s own matches (`docker container create`'s too).
pub fn refused_create_flag(sub: &clap::ArgMatches, argv: &[String]) -> Option<String> {
    let create = super::args::command_of("create")?;
    let id = NOT_ON_CREATE
        .into_iter()
        .find(|id| sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine))?;
    let a = create.get_arguments().find(|a| a.get_id() == id)?;
    let long = a.get_long()?;
    let typed_long = argv
        .iter()
        .take_while(|x| x.as_str() != "--")
        .any(|x| x == &format!("--{long}") || x.starts_with(&format!("--{long}=")));
    Some(match (typed_long, a.get_short()) {
        (false, Some(letter)) => t(
            "help.unknown-shorthand",
            &[
                ("letter", &letter.to_string()),
                ("cluster", &cluster_of(argv, letter)),
            ],
        ),
        _ => unknown_flag(long),
    })
}

/// The shorthand cluster an unknown letter came from (`-rm` for `r`).
pub(super) fn cluster_of(argv: &[String], letter: char) -> String {
    argv.iter()
        .take_while(|a| a.as_str() != "--")
        .find(|a| !a.starts_with("--") && a.starts_with('-') && a[1..].contains(letter))
        .cloned()
        .unwrap_or_else(|| format!("-{letter}"))
}

/// `unknown flag: --NAME` for `--NAME` or `--NAME=VALUE` (given without its dashes).
pub fn unknown_flag(given: &str) -> String {
    let name = given.split('=').next().unwrap_or(given);
    t("help.unknown-flag", &[("flag", &format!("--{name}"))])
}

/// Docker's refusal of an unknown flag as typed: `--name…` or a shorthand cluster `-xyz`.
pub fn unknown_token(token: &str) -> String {
    match token.strip_prefix("--") {
        Some(long) => unknown_flag(long),
        None => {
            let letter = token.chars().nth(1).unwrap_or('-').to_string();
            t(
                "help.unknown-shorthand",
                &[("letter", &letter), ("cluster", token)],
            )
        }
    }
}

/// Clap's own message, its first line.
fn first_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string()
}

/// A clap outcome for `docker PATH ARGV…` in Docker's words: help on stdout (exit 0), a flag
/// error (125) or an argument count error (1) on stderr. Returns the exit code.
pub fn clap_exit(e: clap::Error, path: &str, argv: &[String]) -> i32 {
    let Some(page) = manage::page(path) else {
        let word = context(&e, ContextKind::InvalidArg);
        let detail = match word.strip_prefix("--") {
            Some(flag) if e.kind() == ErrorKind::UnknownArgument => unknown_flag(flag),
            _ => first_line(&e),
        };
        eprintln!("{}", usage_error(&detail, path, false));
        return 125;
    };
    let (text, code) = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        | ErrorKind::MissingSubcommand => {
            if argv.iter().any(|a| a == "-h") {
                println!("{}", t("help.h-deprecated", &[]));
            }
            print!("{}", command_help(&page));
            return 0;
        }
        ErrorKind::MissingRequiredArgument => (args_error(&page, true), 1),
        ErrorKind::UnknownArgument => {
            let word = context(&e, ContextKind::InvalidArg);
            if let Some(flag) = word.strip_prefix("--") {
                (usage_error(&unknown_flag(flag), path, false), 125)
            } else if let Some(letter) = word.strip_prefix('-').and_then(|w| w.chars().next()) {
                let cluster = cluster_of(argv, letter);
                let l = letter.to_string();
                let mut detail = t(
                    "help.unknown-shorthand",
                    &[("letter", &l), ("cluster", &cluster)],
                );
                let long = &cluster[1..];
                if page.cmd.get_arguments().any(|a| a.get_long() == Some(long)) {
                    let hint = t(
                        "help.hint-double-dash",
                        &[("cluster", &cluster), ("long", long)],
                    );
                    if !hint.is_empty() {
                        detail = format!("{detail}\n{hint}");
                    }
                }
                (usage_error(&detail, path, false), 125)
            } else {
                (args_error(&page, false), 1)
            }
        }
        ErrorKind::InvalidValue if context(&e, ContextKind::InvalidValue).is_empty() => {
            let last = argv.last().cloned().unwrap_or_default();
            let detail = match last.strip_prefix('-') {
                Some(rest) if !rest.starts_with('-') && !rest.is_empty() => {
                    let letter = rest.chars().last().unwrap_or('?').to_string();
                    t(
                        "help.needs-argument-short",
                        &[("letter", &letter), ("cluster", &last)],
                    )
                }
                _ => {
                    let shown = context(&e, ContextKind::InvalidArg);
                    let flag = arg_named(&page.cmd, &shown)
                        .and_then(|a| a.get_long())
                        .map(|l| format!("--{l}"))
                        .unwrap_or(last);
                    t("help.needs-argument", &[("flag", &flag)])
                }
            };
            (usage_error(&detail, path, false), 125)
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue | ErrorKind::TooManyValues => {
            let shown = context(&e, ContextKind::InvalidArg);
            let value = context(&e, ContextKind::InvalidValue);
            let rendered = e.render().to_string();
            let clap_reason = rendered
                .lines()
                .next()
                .and_then(|l| l.rsplit_once("': "))
                .map(|(_, r)| r.to_string())
                .unwrap_or_default();
            let reason = value_reason_for(&page.cmd, &shown, &value, &clap_reason);
            let detail = match arg_named(&page.cmd, &shown).zip(reason) {
                Some((a, why)) => t(
                    "help.invalid-argument",
                    &[("value", &value), ("flag", &flag_names(a)), ("why", &why)],
                ),
                None => first_line(&e),
            };
            (usage_error(&detail, path, false), 125)
        }
        _ => (usage_error(&first_line(&e), path, false), 125),
    };
    eprintln!("{text}");
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(short: Option<char>, long: &str, kind: &str, usage: &str) -> Flag {
        Flag {
            short,
            long: long.into(),
            kind: kind.into(),
            usage: usage.into(),
        }
    }

    #[test]
    fn flags_are_laid_out_as_pflag_does() {
        // Docker's own global options, wrapped at 79 columns.
        let flags = [
            flag(
                None,
                "config",
                "string",
                "Location of client config files (default \"/root/.docker\")",
            ),
            flag(Some('l'), "log-level", "string", "Set the logging level"),
            flag(
                Some('v'),
                "version",
                "",
                "Print version information and quit",
            ),
        ];
        assert_eq!(
            flag_usages(&flags, 79),
            "      --config string      Location of client config files (default\n\
             \x20                          \"/root/.docker\")\n\
             \x20 -l, --log-level string   Set the logging level\n\
             \x20 -v, --version            Print version information and quit\n"
        );
    }

    #[test]
    fn explicit_newlines_are_kept_and_indented() {
        let flags = [flag(
            None,
            "format",
            "string",
            "Format output:\n'json':  JSON",
        )];
        assert_eq!(
            flag_usages(&flags, 79),
            "      --format string   Format output:\n                        'json':  JSON\n"
        );
    }

    #[test]
    fn korean_is_wrapped_by_display_columns() {
        let out = wrap(10, 40, &"가나다라 ".repeat(10));
        assert!(out.lines().count() > 2, "{out}");
        assert!(out.lines().all(|l| l.width() <= 40), "{out}");
    }
}
