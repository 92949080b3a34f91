//! The Dockerfile parser and `${…}` expansion: pure text in, instructions out.

use std::collections::BTreeMap;

use super::error::{BuildError, Result, SyntaxKind};

/// Shell form (run through the shell) or exec form (a JSON list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Shell(String),
    Exec(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    From {
        image: String,
        alias: Option<String>,
    },
    Run(Form),
    Cmd(Form),
    Entrypoint(Form),
    Copy {
        add: bool,
        /// Sources then destination, unexpanded.
        args: Vec<String>,
        chown: Option<String>,
        from: Option<String>,
    },
    /// Unexpanded `name=value` pairs (quotes kept until expansion).
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    Arg(Vec<(String, Option<String>)>),
    Workdir(String),
    Expose(Vec<String>),
    User(String),
    Volume(Vec<String>),
    StopSignal(String),
    Shell(Vec<String>),
    Maintainer(String),
    /// `HEALTHCHECK …` (`["NONE"]` for `HEALTHCHECK NONE`), durations already parsed.
    Healthcheck(crate::health::HealthConfig),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// First physical line (1-based).
    pub line: usize,
    /// The logical line as written (continuations joined), for `Step n/m : …`.
    pub text: String,
    pub op: Op,
}

/// Parse a Dockerfile; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<Instruction>> {
    let err = |line: usize, kind: SyntaxKind| BuildError::Syntax {
        file: file.to_string(),
        line,
        kind,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    // Parser directives: only at the very top, as `# name=value` comment lines.
    for l in &lines {
        let Some(rest) = l.trim().strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == "escape" {
            match v.trim() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                _ => {}
            }
        } else if k != "syntax" && k != "check" {
            break;
        }
    }
    let mut out = Vec::new();
    let mut seen_from = false;
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i];
        let start = i + 1;
        i += 1;
        let trimmed = first.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut cur = first.trim_end().to_string();
        loop {
            let continued = cur.ends_with(escape) && !cur.ends_with(&format!("{escape}{escape}"));
            if !continued {
                logical.push_str(&cur);
                break;
            }
            cur.pop();
            logical.push_str(&cur);
            // Comment and empty lines inside a continuation are skipped, as Docker does.
            let mut next = None;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                let t = l.trim();
                if t.starts_with('#') || t.is_empty() {
                    continue;
                }
                next = Some(l.trim_end().to_string());
                break;
            }
            match next {
                Some(n) => cur = n,
                None => break,
            }
        }
        let logical = logical.trim().to_string();
        let (word, rest) = match logical.find(char::is_whitespace) {
            Some(p) => (&logical[..p], logical[p..].trim()),
            None => (logical.as_str(), ""),
        };
        let keyword = word.to_ascii_uppercase();
        let op = parse_op(&keyword, word, rest, escape).map_err(|k| err(start, k))?;
        // A flag, not a search of `out`: thousands of leading ARGs must not cost n².
        seen_from |= matches!(op, Op::From { .. });
        if !seen_from && !matches!(op, Op::Arg(_)) {
            return Err(err(start, SyntaxKind::NoFrom(keyword)));
        }
        out.push(Instruction {
            line: start,
            text: logical.clone(),
            op,
        });
    }
    if !seen_from {
        let line = lines.len().max(1);
        return Err(err(line, SyntaxKind::Empty));
    }
    Ok(out)
}

/// `--name=value` flags at the start of an instruction's arguments.
fn take_flags<'a>(
    rest: &'a str,
    allowed: &[&str],
) -> std::result::Result<(BTreeMap<String, String>, &'a str), SyntaxKind> {
    let mut flags = BTreeMap::new();
    let mut rest = rest.trim_start();
    while let Some(f) = rest.strip_prefix("--") {
        let end = f.find(char::is_whitespace).unwrap_or(f.len());
        let flag = &f[..end];
        let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
        if !allowed.contains(&name) {
            return Err(SyntaxKind::UnknownFlag(name.to_string()));
        }
        flags.insert(name.to_string(), value.to_string());
        rest = f[end..].trim_start();
    }
    Ok((flags, rest))
}

fn json_list(rest: &str) -> Option<Vec<String>> {
    if !rest.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(rest).ok()
}

fn form(rest: &str) -> Form {
    match json_list(rest) {
        Some(v) => Form::Exec(v),
        None => Form::Shell(rest.to_string()),
    }
}

fn parse_op(
    keyword: &str,
    written: &str,
    rest: &str,
    escape: char,
) -> std::result::Result<Op, SyntaxKind> {
    let need = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(SyntaxKind::MissingArguments(keyword.to_string()))
        }
    };
    Ok(match keyword {
        "FROM" => {
            let (_, rest) = take_flags(rest, &["platform"])?;
            let words: Vec<&str> = rest.split_whitespace().collect();
            match words.as_slice() {
                [image] => Op::From {
                    image: image.to_string(),
                    alias: None,
                },
                [image, as_, alias] if as_.eq_ignore_ascii_case("as") => Op::From {
                    image: image.to_string(),
                    alias: Some(alias.to_ascii_lowercase()),
                },
                [] => return Err(SyntaxKind::MissingArguments(keyword.into())),
                _ => return Err(SyntaxKind::OneArgument(keyword.into())),
            }
        }
        "RUN" | "CMD" | "ENTRYPOINT" => {
            need(!rest.is_empty() || keyword != "RUN")?;
            let f = form(rest);
            match keyword {
                "RUN" => Op::Run(f),
                "CMD" => Op::Cmd(f),
                _ => Op::Entrypoint(f),
            }
        }
        "COPY" | "ADD" => {
            let allowed: &[&str] = if keyword == "COPY" {
                &["chown", "from", "chmod"]
            } else {
                &["chown", "chmod"]
            };
            let (flags, rest) = take_flags(rest, allowed)?;
            let args = json_list(rest)
                .unwrap_or_else(|| rest.split_whitespace().map(str::to_string).collect());
            if args.len() < 2 {
                return Err(SyntaxKind::TwoArguments(keyword.into()));
            }
            if flags.contains_key("chmod") {
                return Err(SyntaxKind::Unsupported(format!("{keyword} --chmod")));
            }
            Op::Copy {
                add: keyword == "ADD",
                args,
                chown: flags.get("chown").cloned().filter(|s| !s.is_empty()),
                from: flags.get("from").cloned().filter(|s| !s.is_empty()),
            }
        }
        "ENV" | "LABEL" => {
            need(!rest.is_empty())?;
            let pairs = name_values(keyword, rest, escape)?;
            if keyword == "ENV" {
                Op::Env(pairs)
            } else {
                Op::Label(pairs)
            }
        }
        "ARG" => {
            need(!rest.is_empty())?;
            let mut out = Vec::new();
            for w in split_words(rest, escape)? {
                match w.split_once('=') {
                    Some(("", _)) => {
                        return Err(SyntaxKind::BlankName(keyword.into()));
                    }
                    Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
                    None => out.push((w, None)),
                }
            }
            Op::Arg(out)
        }
        "WORKDIR" | "USER" | "STOPSIGNAL" | "MAINTAINER" => {
            need(!rest.is_empty())?;
            match keyword {
                "WORKDIR" => Op::Workdir(rest.to_string()),
                "USER" => Op::User(rest.to_string()),
                "STOPSIGNAL" => Op::StopSignal(rest.to_string()),
                _ => Op::Maintainer(rest.to_string()),
            }
        }
        "EXPOSE" => {
            need(!rest.is_empty())?;
            Op::Expose(rest.split_whitespace().map(str::to_string).collect())
        }
        "VOLUME" => {
            need(!rest.is_empty())?;
            Op::Volume(
                json_list(rest)
                    .unwrap_or_else(|| rest.split_whitespace().map(str::to_string).collect()),
            )
        }
        "SHELL" => match json_list(rest) {
            Some(v) if !v.is_empty() => Op::Shell(v),
            _ => return Err(SyntaxKind::MissingArguments(keyword.into())),
        },
        "HEALTHCHECK" => Op::Healthcheck(healthcheck(rest)?),
        "ONBUILD" => return Err(SyntaxKind::Unsupported(keyword.into())),
        _ => return Err(SyntaxKind::UnknownInstruction(written.to_string())),
    })
}

/// `HEALTHCHECK [--interval=… --timeout=… --start-period=… --start-interval=… --retries=…]
/// CMD command` or `HEALTHCHECK NONE`, read as BuildKit's parser reads it.
fn healthcheck(rest: &str) -> std::result::Result<crate::health::HealthConfig, SyntaxKind> {
    use crate::health::{HealthConfig, MINIMUM_NANOS, parse_go_duration};
    let (flags, rest) = take_flags(
        rest,
        &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
    )?;
    let (kind, args) = match rest.find(char::is_whitespace) {
        Some(p) => (&rest[..p], rest[p..].trim()),
        None => (rest, ""),
    };
    if kind.is_empty() {
        return Err(SyntaxKind::MissingArguments("HEALTHCHECK".into()));
    }
    let kind = kind.to_ascii_uppercase();
    if kind == "NONE" {
        if !args.is_empty() {
            return Err(SyntaxKind::HealthNoneArgs);
        }
        return Ok(HealthConfig {
            test: vec!["NONE".into()],
            ..Default::default()
        });
    }
    if kind != "CMD" {
        return Err(SyntaxKind::HealthType(kind));
    }
    let mut test = vec![];
    match form(args) {
        Form::Exec(v) if !v.is_empty() => {
            test.push("CMD".to_string());
            test.extend(v);
        }
        Form::Shell(s) if !s.is_empty() => test = vec!["CMD-SHELL".to_string(), s],
        _ => return Err(SyntaxKind::HealthNoCommand),
    }
    let duration = |name: &str| -> std::result::Result<i64, SyntaxKind> {
        let Some(v) = flags.get(name).filter(|v| !v.is_empty()) else {
            return Ok(0);
        };
        let d = parse_go_duration(v).map_err(SyntaxKind::HealthValue)?;
        if d != 0 && d < MINIMUM_NANOS {
            return Err(SyntaxKind::HealthValue(format!(
                "Interval \"{name}\" cannot be less than 1ms"
            )));
        }
        Ok(d)
    };
    let retries = match flags.get("retries").filter(|v| !v.is_empty()) {
        None => 0,
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| {
                SyntaxKind::HealthValue(format!(
                    "strconv.ParseInt: parsing \"{v}\": invalid syntax"
                ))
            })?;
            if n < 0 {
                return Err(SyntaxKind::HealthValue(format!(
                    "--retries cannot be negative ({n})"
                )));
            }
            n
        }
    };
    Ok(HealthConfig {
        test,
        interval: duration("interval")?,
        timeout: duration("timeout")?,
        start_period: duration("start-period")?,
        start_interval: duration("start-interval")?,
        retries,
    })
}

/// Split on unquoted whitespace, keeping quotes and escapes in the words (they are removed
/// when the word is expanded).
fn split_words(s: &str, escape: char) -> std::result::Result<Vec<String>, SyntaxKind> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == escape && q == '"' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                in_word = true;
                cur.push(c);
                if c == escape {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
    }
    if quote.is_some() {
        return Err(SyntaxKind::Unterminated);
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// ENV/LABEL arguments: `name=value …`, or the old `name value with spaces` form.
fn name_values(
    keyword: &str,
    rest: &str,
    escape: char,
) -> std::result::Result<Vec<(String, String)>, SyntaxKind> {
    let words = split_words(rest, escape)?;
    let Some(first) = words.first() else {
        return Err(SyntaxKind::MissingArguments(keyword.into()));
    };
    if !first.contains('=') {
        // Old form: the first word is the name, the rest of the line the value.
        let value = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..].trim();
        if value.is_empty() {
            return Err(SyntaxKind::TwoArguments(keyword.into()));
        }
        return Ok(vec![(first.clone(), value.to_string())]);
    }
    let mut out = Vec::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(SyntaxKind::NoEquals {
                instruction: keyword.into(),
                word: w,
            });
        };
        if k.is_empty() {
            return Err(SyntaxKind::BlankName(keyword.into()));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Expand `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` and remove quotes and escapes,
/// as Docker's shell lexer does for the instructions that support variables. Single quotes
/// keep everything literal.
pub fn expand(word: &str, vars: &dyn Fn(&str) -> Option<String>, escape: char) -> String {
    let mut out = String::new();
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if quote == Some('\'') {
            if c == '\'' {
                quote = None;
            } else {
                out.push(c);
            }
            i += 1;
            continue;
        }
        if c == escape {
            if let Some(&n) = chars.get(i + 1) {
                // Inside double quotes only special characters are escaped.
                if quote == Some('"') && !matches!(n, '"' | '$') && n != escape {
                    out.push(c);
                }
                out.push(n);
                i += 2;
            } else {
                out.push(c);
                i += 1;
            }
            continue;
        }
        if c == '"' {
            quote = if quote == Some('"') { None } else { Some('"') };
            i += 1;
            continue;
        }
        if c == '\'' && quote.is_none() {
            quote = Some('\'');
            i += 1;
            continue;
        }
        if c == '$' {
            let (text, used) = expand_var(&chars[i + 1..], vars, escape);
            out.push_str(&text);
            i += 1 + used;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// An instruction's text as BuildKit names its step: variables that are set expanded, quotes,
/// escapes and unset variables kept as written (its lexer's `RawQuotes` and `SkipUnsetEnv`).
pub fn expand_shown(text: &str, vars: &dyn Fn(&str) -> Option<String>, escape: char) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut single = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if single || c != '$' {
            if c == '\'' {
                single = !single;
            }
            out.push(c);
            if let (true, false, Some(&n)) = (c == escape, single, chars.get(i + 1)) {
                out.push(n);
                i += 1;
            }
            i += 1;
            continue;
        }
        let rest = &chars[i + 1..];
        let (text, used) = expand_var(rest, vars, escape);
        let name: String = match rest.first() {
            Some('{') => rest[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect(),
            _ => rest
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect(),
        };
        let modified = rest.first() == Some(&'{') && rest.get(1 + name.len()) == Some(&':');
        if used == 0 || (!modified && vars(&name).is_none()) {
            out.push('$');
            out.extend(&rest[..used]);
        } else {
            out.push_str(&text);
        }
        i += 1 + used;
    }
    out
}

/// The value of the variable reference after a `$`, and how many chars it took.
fn expand_var(
    rest: &[char],
    vars: &dyn Fn(&str) -> Option<String>,
    escape: char,
) -> (String, usize) {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if rest.first() == Some(&'{') {
        let Some(close) = rest.iter().position(|&c| c == '}') else {
            return ("${".into(), 1);
        };
        let inner: String = rest[1..close].iter().collect();
        let value = if let Some((name, default)) = inner.split_once(":-") {
            vars(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| expand(default, vars, escape))
        } else if let Some((name, alt)) = inner.split_once(":+") {
            match vars(name).filter(|v| !v.is_empty()) {
                Some(_) => expand(alt, vars, escape),
                None => String::new(),
            }
        } else {
            vars(&inner).unwrap_or_default()
        };
        return (value, close + 1);
    }
    let n = rest.iter().take_while(|c| is_name(**c)).count();
    if n == 0 {
        return ("$".into(), 0);
    }
    let name: String = rest[..n].iter().collect();
    (vars(&name).unwrap_or_default(), n)
}

/// The `# escape=` parser directive (default `\`).
pub fn escape_directive(text: &str) -> char {
    for l in text.lines() {
        let Some(rest) = l.trim().strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = rest.split_once('=') else {
            break;
        };
        if k.trim().eq_ignore_ascii_case("escape") && v.trim() == "`" {
            return '`';
        }
    }
    '\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(text: &str) -> Vec<Op> {
        parse("Dockerfile", text)
            .unwrap()
            .into_iter()
            .map(|i| i.op)
            .collect()
    }

    fn syntax(text: &str) -> (usize, SyntaxKind) {
        match parse("Dockerfile", text) {
            Err(BuildError::Syntax { line, kind, .. }) => (line, kind),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn continuations_comments_and_case() {
        let text =
            "# comment\nfrom busybox\n\nrun echo a \\\n  # inside\n  && echo b\nCMD [\"sh\"]\n";
        let parsed = parse("Dockerfile", text).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1].line, 4);
        assert_eq!(parsed[1].text, "run echo a   && echo b");
        assert_eq!(
            parsed[1].op,
            Op::Run(Form::Shell("echo a   && echo b".into()))
        );
        assert_eq!(parsed[2].op, Op::Cmd(Form::Exec(vec!["sh".into()])));
    }

    #[test]
    fn healthcheck_reads_as_docker_stores_it() {
        use crate::health::HealthConfig;
        let hc = |line: &str| match &ops(&format!("FROM busybox\n{line}\n"))[1] {
            Op::Healthcheck(h) => h.clone(),
            other => panic!("{other:?}"),
        };
        let h = hc(
            "HEALTHCHECK --interval=5m --timeout=3s --retries=2 CMD curl -f http://x/ || exit 1",
        );
        assert_eq!(
            h,
            HealthConfig {
                test: vec!["CMD-SHELL".into(), "curl -f http://x/ || exit 1".into()],
                interval: 300_000_000_000,
                timeout: 3_000_000_000,
                retries: 2,
                ..Default::default()
            }
        );
        assert_eq!(
            hc("HEALTHCHECK CMD [\"cat\", \"/ok\"]").test,
            ["CMD", "cat", "/ok"]
        );
        assert_eq!(hc("healthcheck none").test, ["NONE"]);
        let bad = |line: &str| syntax(&format!("FROM busybox\n{line}\n")).1.to_string();
        assert_eq!(
            bad("HEALTHCHECK NONE x"),
            "HEALTHCHECK NONE takes no arguments"
        );
        assert_eq!(
            bad("HEALTHCHECK CMD"),
            "Missing command after HEALTHCHECK CMD"
        );
        assert_eq!(
            bad("HEALTHCHECK RUN true"),
            "Unknown type \"RUN\" in HEALTHCHECK (try CMD)"
        );
        assert_eq!(
            bad("HEALTHCHECK"),
            "HEALTHCHECK requires at least one argument"
        );
        assert_eq!(
            bad("HEALTHCHECK --interval=soon CMD true"),
            "time: invalid duration \"soon\""
        );
        assert_eq!(
            bad("HEALTHCHECK --timeout=1us CMD true"),
            "Interval \"timeout\" cannot be less than 1ms"
        );
        assert_eq!(
            bad("HEALTHCHECK --retries=-1 CMD true"),
            "--retries cannot be negative (-1)"
        );
        assert_eq!(
            bad("HEALTHCHECK --every=1s CMD true"),
            "unknown flag: every"
        );
    }

    #[test]
    fn escape_directive_changes_the_continuation_char() {
        let text = "# escape=`\nFROM busybox\nRUN echo a `\n b\n";
        assert_eq!(ops(text)[1], Op::Run(Form::Shell("echo a  b".into())));
    }

    #[test]
    fn env_forms() {
        let o = ops("FROM x\nENV A=1 B=\"two words\" C=three\\ four\nENV OLD value with spaces\n");
        let Op::Env(p) = &o[1] else { panic!() };
        let vars = |_: &str| None;
        let got: Vec<(String, String)> = p
            .iter()
            .map(|(k, v)| (k.clone(), expand(v, &vars, '\\')))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "three four".into())
            ]
        );
        assert_eq!(
            o[2],
            Op::Env(vec![("OLD".into(), "value with spaces".into())])
        );
    }

    #[test]
    fn exec_and_shell_forms() {
        let o = ops("FROM x\nENTRYPOINT [\"/bin/echo\", \"hi\"]\nCMD echo hi\nRUN [not json\n");
        assert_eq!(
            o[1],
            Op::Entrypoint(Form::Exec(vec!["/bin/echo".into(), "hi".into()]))
        );
        assert_eq!(o[2], Op::Cmd(Form::Shell("echo hi".into())));
        assert_eq!(o[3], Op::Run(Form::Shell("[not json".into())));
    }

    #[test]
    fn variables_expand_like_docker() {
        let vars = |n: &str| match n {
            "V" => Some("1.2".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(expand("app-$V", &vars, '\\'), "app-1.2");
        assert_eq!(expand("${V}x", &vars, '\\'), "1.2x");
        assert_eq!(expand("${NOPE:-def}", &vars, '\\'), "def");
        assert_eq!(expand("${EMPTY:-def}", &vars, '\\'), "def");
        assert_eq!(expand("${V:+set}", &vars, '\\'), "set");
        assert_eq!(expand("'$V'", &vars, '\\'), "$V");
        assert_eq!(expand("\\$V", &vars, '\\'), "$V");
        assert_eq!(expand("\"a $V\"", &vars, '\\'), "a 1.2");
    }

    #[test]
    fn args_with_and_without_defaults() {
        let o = ops("ARG BASE=busybox\nFROM $BASE\nARG A B=2\n");
        assert_eq!(o[0], Op::Arg(vec![("BASE".into(), Some("busybox".into()))]));
        assert_eq!(
            o[2],
            Op::Arg(vec![("A".into(), None), ("B".into(), Some("2".into()))])
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            syntax("FROM x\n\nRUNN echo\n"),
            (3, SyntaxKind::UnknownInstruction("RUNN".into()))
        );
        assert_eq!(syntax("RUN echo\n"), (1, SyntaxKind::NoFrom("RUN".into())));
        assert_eq!(
            syntax("ARG A=1\nRUN echo\n"),
            (2, SyntaxKind::NoFrom("RUN".into()))
        );
        assert_eq!(
            syntax("FROM x\nENV A=1 B\n"),
            (
                2,
                SyntaxKind::NoEquals {
                    instruction: "ENV".into(),
                    word: "B".into()
                }
            )
        );
        assert_eq!(
            syntax("FROM x\nCOPY onlyone\n"),
            (2, SyntaxKind::TwoArguments("COPY".into()))
        );
        assert_eq!(syntax("# nothing\n"), (1, SyntaxKind::Empty));
        let e = parse("sub/Dockerfile.dev", "FROM x\nRUNN a\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "sub/Dockerfile.dev:2: unknown instruction: RUNN"
        );
    }
}
