//! Comparing what was typed or run by meaning, not spelling: `docker` arguments (for `ran`)
//! and a process's argv (for `process` and a container's `command`).

/// Short flags and the long forms they stand for (`-n` has none: its meaning differs by command).
const FLAG_PAIRS: &[(&str, &str)] = &[
    ("-a", "--all"),
    ("-q", "--quiet"),
    ("-f", "--force"),
    ("-d", "--detach"),
    ("-i", "--interactive"),
    ("-t", "--tty"),
    ("-p", "--publish"),
    ("-P", "--publish-all"),
    ("-l", "--latest"),
    ("-e", "--env"),
    ("-w", "--workdir"),
];

fn short_form(flag: &str) -> &str {
    FLAG_PAIRS
        .iter()
        .find(|(_, long)| *long == flag)
        .map(|(short, _)| *short)
        .unwrap_or(flag)
}

/// Arguments split the way flags are meant: `-it` → `-i -t` (only all-letter clusters, so a
/// value glued to a flag like `-eA=b` stays whole), `--publish=80` → `--publish 80`, and long
/// flags with a short form written short.
pub fn split_flags(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((flag, value)) => {
                    out.push(short_form(&format!("--{flag}")).to_string());
                    out.push(tidy_template(value));
                }
                None => out.push(short_form(arg).to_string()),
            }
        } else if let Some(cluster) = arg.strip_prefix('-')
            && cluster.len() > 1
            && cluster.chars().all(|c| c.is_ascii_alphabetic())
        {
            out.extend(cluster.chars().map(|c| format!("-{c}")));
        } else {
            out.push(tidy_template(arg));
        }
    }
    out
}

/// A Go template written with spaces inside its actions is the same template:
/// `{{ .Server.Version }}` → `{{.Server.Version}}` (trim markers `{{-` / `-}}` are kept).
fn tidy_template(arg: &str) -> String {
    if !arg.contains("{{") {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find("{{") {
        let Some(len) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let inner = &rest[open + 2..open + len];
        // A trim marker needs its space ("{{- x"), so only the bare action is tidied.
        if inner.starts_with('-') || inner.ends_with('-') {
            out.push_str(&rest[open..open + len + 2]);
        } else {
            out.push_str("{{");
            out.push_str(inner.trim());
            out.push_str("}}");
        }
        rest = &rest[open + len + 2..];
    }
    out.push_str(rest);
    out
}

/// `docker container ls` is `docker ps`, `docker image rm` is `docker rmi`, and so on.
pub fn canonical_command(args: &[String]) -> Vec<String> {
    let [group, sub, rest @ ..] = args else {
        return args.to_vec();
    };
    let top = match (group.as_str(), sub.as_str()) {
        ("container", "ls" | "list" | "ps") => "ps",
        ("image", "ls" | "list") => "images",
        ("image", "rm" | "remove") => "rmi",
        ("container", "remove") => "rm",
        ("system", "info") => "info",
        ("system", "events") => "events",
        (
            "container",
            s @ ("run" | "start" | "stop" | "rm" | "logs" | "exec" | "create" | "kill" | "attach"
            | "inspect" | "diff" | "commit" | "top" | "port" | "rename" | "restart" | "cp"
            | "wait" | "pause" | "unpause" | "export" | "stats"),
        ) => s,
        (
            "image",
            s @ ("pull" | "tag" | "history" | "inspect" | "build" | "save" | "load" | "push"
            | "import"),
        ) => s,
        _ => return args.to_vec(),
    };
    std::iter::once(top.to_string())
        .chain(rest.iter().cloned())
        .collect()
}

/// Whether `args` (a `docker` command line) holds `words` in order, after both are brought to
/// one form; `same` says whether two words name the same thing (a container by name or ID, an
/// image by tag or ID). A request for help did nothing: it never matches.
pub fn command_holds(args: &[String], words: &[String], same: &dyn Fn(&str, &str) -> bool) -> bool {
    if args.iter().any(|a| a == "--help") || args.first().is_some_and(|a| a == "help") {
        return false;
    }
    let args = split_flags(&canonical_command(args));
    let words = split_flags(&canonical_command(words));
    let mut rest = args.iter();
    words
        .iter()
        .enumerate()
        .all(|(i, w)| rest.any(|a| a == w || (i > 0 && !w.starts_with('-') && same(a, w))))
}

/// Shells whose `-c SCRIPT` is judged as the script's words.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash"];

fn base_name(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// A process's argv as the judge compares it: the program by its base name (`/bin/ps` is
/// `ps`); `sh -c "SCRIPT"` as the script's first command; arguments split at white space (so
/// `echo "a b"` is `echo a b`, as echo prints both alike); and for programs that read their
/// input case-insensitively, as they read it (`redis-cli PING` is `redis-cli ping`, its
/// connection options left out).
pub fn process_words(argv: &[String]) -> Vec<String> {
    if let [shell, c, script, ..] = argv
        && SHELLS.contains(&base_name(shell))
        && c == "-c"
    {
        // The script's first command: up to its first `;`, `&&`, `||` or `|`.
        let first = script
            .split([';', '&', '|', '\n'])
            .next()
            .unwrap_or_default();
        let words: Vec<String> = first.split_whitespace().map(str::to_string).collect();
        return process_words(&words);
    }
    let mut words: Vec<String> = argv
        .iter()
        .flat_map(|a| a.split_whitespace().map(str::to_string))
        .collect();
    if let Some(first) = words.first_mut() {
        *first = base_name(first).to_string();
    }
    if words.first().is_some_and(|w| w == "redis-cli") {
        return redis_cli_words(&words);
    }
    words
}

/// redis-cli: its options before the command dropped, the command's name lowercased (redis
/// reads `GET`, `get` and `Get` alike; keys and values keep their case).
fn redis_cli_words(words: &[String]) -> Vec<String> {
    const WITH_VALUE: &[&str] = &["-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass"];
    let mut out = vec![words[0].clone()];
    let mut i = 1;
    while i < words.len() && words[i].starts_with('-') {
        i += if WITH_VALUE.contains(&words[i].as_str()) {
            2
        } else {
            1
        };
    }
    if let Some(cmd) = words.get(i) {
        out.push(cmd.to_ascii_lowercase());
        out.extend(words[i + 1..].iter().cloned());
    }
    out
}

/// Whether a process with `argv` runs what `want` names: its words begin with `want`'s.
pub fn argv_begins_with(argv: &[String], want: &[String]) -> bool {
    let have = process_words(argv);
    let want = process_words(want);
    have.len() >= want.len() && have[..want.len()] == want[..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn templates_compare_without_the_spaces_inside_actions() {
        assert_eq!(
            split_flags(&v(&["version", "--format", "{{ .Server.Version }}"])),
            v(&["version", "--format", "{{.Server.Version}}"])
        );
        assert_eq!(
            tidy_template("table {{ .ID }}\t{{.Names}}"),
            "table {{.ID}}\t{{.Names}}"
        );
        assert_eq!(tidy_template("{{- .ID -}}"), "{{- .ID -}}");
        assert_eq!(tidy_template("{{ .ID"), "{{ .ID");
    }

    #[test]
    fn processes_compare_as_the_program_reads_them() {
        assert!(argv_begins_with(&v(&["/bin/ps", "aux"]), &v(&["ps"])));
        assert!(argv_begins_with(
            &v(&["echo", "hello from greeter"]),
            &v(&["echo", "hello", "from", "greeter"])
        ));
        assert!(argv_begins_with(
            &v(&["sh", "-c", "hostname; ls"]),
            &v(&["hostname"])
        ));
        assert!(!argv_begins_with(
            &v(&["sh", "-c", "ls; hostname"]),
            &v(&["hostname"])
        ));
        assert!(argv_begins_with(
            &v(&["redis-cli", "-h", "127.0.0.1", "PING"]),
            &v(&["redis-cli", "ping"])
        ));
        assert!(argv_begins_with(
            &v(&["redis-cli", "GET", "greeting"]),
            &v(&["redis-cli", "get", "greeting"])
        ));
        // Keys keep their case.
        assert!(!argv_begins_with(
            &v(&["redis-cli", "get", "Greeting"]),
            &v(&["redis-cli", "get", "greeting"])
        ));
        assert!(!argv_begins_with(&v(&["uname"]), &v(&["uname", "-r"])));
        assert!(!argv_begins_with(&v(&["cat", "/etc/issue"]), &v(&["ls"])));
    }

    #[test]
    fn commands_compare_by_meaning() {
        let never = |_: &str, _: &str| false;
        assert!(command_holds(&v(&["container", "ls"]), &v(&["ps"]), &never));
        assert!(command_holds(
            &v(&["system", "info"]),
            &v(&["info"]),
            &never
        ));
        assert!(!command_holds(
            &v(&["images", "--help"]),
            &v(&["images"]),
            &never
        ));
        assert!(!command_holds(
            &v(&["help", "images"]),
            &v(&["images"]),
            &never
        ));
        let ids = |a: &str, b: &str| a == "3f2a" && b == "greeter";
        assert!(command_holds(
            &v(&["logs", "3f2a"]),
            &v(&["logs", "greeter"]),
            &ids
        ));
        // The command word itself is never resolved.
        assert!(!command_holds(&v(&["3f2a"]), &v(&["greeter"]), &ids));
    }
}
