//! `docker build` the way Docker's classic builder does it: a Dockerfile parser, one image per
//! step (untagged intermediates), RUN in real build containers, COPY/ADD into staged layers, a
//! build cache in `<root>/build-cache.json`. Nothing here prints: progress goes through
//! [`BuildProgress`] so the CLI decides what the user sees.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::container::process_start_time;
use super::image::{
    History, Image, ImageConfig, PullOutcome, PullProgress, Reference, rfc3339_now,
};
use super::lifecycle::CreateOptions;
use super::store::{read_json, write_json};
use super::{EngineError, Event, Store, archive};

/// The label that marks a build container with the builder's pid and start time, so a
/// killed build's container is removed by the next command's reconcile.
pub const BUILD_LABEL: &str = "io.gorae.build";

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What is wrong with a Dockerfile line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxKind {
    #[error("unknown instruction: {0}")]
    UnknownInstruction(String),
    #[error("{0} requires at least one argument")]
    MissingArguments(String),
    #[error("{0} requires exactly one argument")]
    OneArgument(String),
    #[error("{0} requires at least two arguments")]
    TwoArguments(String),
    #[error("{0} names can not be blank")]
    BlankName(String),
    #[error(
        "{instruction}: syntax error - can't find = in \"{word}\". Must be of the form: name=value"
    )]
    NoEquals { instruction: String, word: String },
    #[error("unknown flag: {0}")]
    UnknownFlag(String),
    #[error("no FROM instruction before {0}")]
    NoFrom(String),
    #[error("the Dockerfile has no instructions")]
    Empty,
    #[error("unterminated quote")]
    Unterminated,
    #[error("{0} is not supported by gorae")]
    Unsupported(String),
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{file}:{line}: {kind}")]
    Syntax {
        file: String,
        line: usize,
        kind: SyntaxKind,
    },
    #[error("unable to prepare context: {0}")]
    Context(String),
    #[error("unable to read the Dockerfile {path}: {source}")]
    Dockerfile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("COPY failed: file not found in build context: {0}")]
    NotFound(String),
    #[error("COPY failed: forbidden path outside the build context: {0}")]
    OutsideContext(String),
    #[error(
        "When using COPY with more than one source file, the destination must be a directory and end with a /"
    )]
    DestNotDir,
    #[error("ADD from a URL needs the network: {0}")]
    AddUrl(String),
    #[error("unable to find user {0}: no matching entries in passwd file")]
    NoSuchUser(String),
    #[error("invalid from flag value {0}: no stage or image by that name")]
    NoSuchStage(String),
    #[error("The command '{command}' returned a non-zero code: {code}")]
    RunFailed { command: String, code: i32 },
    #[error("the build was interrupted")]
    Cancelled,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl BuildError {
    fn io(path: &Path, e: std::io::Error) -> BuildError {
        BuildError::Engine(EngineError::io(path, e))
    }
}

pub type Result<T, E = BuildError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

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
        "HEALTHCHECK" | "ONBUILD" => return Err(SyntaxKind::Unsupported(keyword.into())),
        _ => return Err(SyntaxKind::UnknownInstruction(written.to_string())),
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

// ---------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    rules: Vec<(bool, Vec<String>)>,
}

impl IgnoreRules {
    pub fn parse(text: &str) -> IgnoreRules {
        let mut rules = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (negate, pat) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let parts: Vec<String> = pat
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .map(str::to_string)
                .collect();
            if !parts.is_empty() {
                rules.push((negate, parts));
            }
        }
        IgnoreRules { rules }
    }

    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|(negate, _)| *negate)
    }

    /// Whether a context-relative path ("a/b.txt") is left out. A pattern that matches a
    /// directory leaves out everything under it; the last matching pattern wins.
    pub fn excluded(&self, rel: &str) -> bool {
        let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
        let mut excluded = false;
        for (negate, pat) in &self.rules {
            let hit = (1..=comps.len()).any(|n| match_parts(pat, &comps[..n]));
            if hit {
                excluded = !negate;
            }
        }
        excluded
    }
}

/// Whether anything under context dir `abs` (context path `rel`) is not excluded.
fn has_included(ignore: &IgnoreRules, abs: &Path, rel: &str) -> bool {
    let Ok(rd) = fs::read_dir(abs) else {
        return false;
    };
    rd.flatten().any(|e| {
        let child = format!("{rel}/{}", e.file_name().to_string_lossy());
        if !ignore.excluded(&child) {
            return true;
        }
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        is_dir && has_included(ignore, &e.path(), &child)
    })
}

fn match_parts(pat: &[String], path: &[&str]) -> bool {
    wildcard_match(pat, path, |p| p == "**", |p, c| glob(p, c))
}

/// One token of a path-component glob.
enum GlobToken {
    Star,
    AnyChar,
    Char(char),
}

/// `*`, `?` and `\`-escape glob of one path component (no `[…]` classes).
fn glob(pat: &str, s: &str) -> bool {
    let mut tokens = Vec::new();
    let mut chars = pat.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => GlobToken::Star,
            '?' => GlobToken::AnyChar,
            // A trailing backslash stands for itself.
            '\\' => GlobToken::Char(chars.next().unwrap_or('\\')),
            c => GlobToken::Char(c),
        });
    }
    let text: Vec<char> = s.chars().collect();
    wildcard_match(
        &tokens,
        &text,
        |t| matches!(t, GlobToken::Star),
        |t, c| match t {
            GlobToken::AnyChar => true,
            GlobToken::Char(p) => p == c,
            GlobToken::Star => false,
        },
    )
}

/// Whether `text` matches `pat`, where a star item matches any run of text items and every
/// other item matches exactly one (`one`). Backtracks only to the last star, so it takes
/// O(pattern × text) steps: a naive recursion is exponential in the number of stars, which
/// a .dockerignore line like `*a*a*a*a*a*b` turns into a build that never finishes.
fn wildcard_match<P, T>(
    pat: &[P],
    text: &[T],
    is_star: impl Fn(&P) -> bool,
    one: impl Fn(&P, &T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    // After the last star seen: where the pattern resumes, and the text position it took.
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && is_star(&pat[p]) {
            p += 1;
            resume = Some((p, t));
        } else if p < pat.len() && one(&pat[p], &text[t]) {
            p += 1;
            t += 1;
        } else if let Some((rp, rt)) = resume {
            // Let the star take one more item and try again.
            p = rp;
            t = rt + 1;
            resume = Some((rp, rt + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(is_star)
}

// ---------------------------------------------------------------------------------------------
// The build cache
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    /// sha256(parent id + step key) → child image id.
    #[serde(default)]
    steps: BTreeMap<String, String>,
    /// child image id → parent image id (Docker's image parent chain).
    #[serde(default)]
    parents: BTreeMap<String, String>,
}

impl Store {
    fn cache_path(&self) -> PathBuf {
        self.root.join("build-cache.json")
    }

    fn read_cache(&self) -> CacheFile {
        read_json(&self.cache_path()).unwrap_or_default()
    }

    fn cache_put(&self, key: &str, parent: &str, child: &str) -> Result<()> {
        let _lock = self.lock()?;
        let mut cache = self.read_cache();
        cache.steps.insert(key.to_string(), child.to_string());
        cache.parents.insert(child.to_string(), parent.to_string());
        write_json(&self.cache_path(), &cache)?;
        Ok(())
    }

    /// IDs of images another image in the store was built on: Docker's intermediate images,
    /// which `docker images` shows only with `-a`.
    pub fn build_parents(&self) -> HashSet<String> {
        let cache = self.read_cache();
        let present: HashSet<String> = self
            .images()
            .map(|v| v.into_iter().map(|i| i.id).collect())
            .unwrap_or_default();
        cache
            .parents
            .iter()
            .filter(|(child, _)| present.contains(*child))
            .map(|(_, parent)| parent.clone())
            .collect()
    }

    /// The image a built image was made from (one step back), if it is still in the store.
    pub fn build_parent(&self, id: &str) -> Option<String> {
        let parent = self.read_cache().parents.get(id).cloned()?;
        self.resolve_image(&parent).ok().map(|i| i.id)
    }

    /// After `removed` was deleted: delete its build parents, one step back at a time, while
    /// each is untagged, has no other image built on it, and no container uses it. Returns the
    /// deleted IDs.
    pub fn remove_unused_build_parents(&self, removed: &str) -> Result<Vec<String>, EngineError> {
        let cache = self.read_cache();
        let mut deleted = Vec::new();
        let mut cur = removed.to_string();
        while let Some(parent) = cache.parents.get(&cur) {
            let _lock = self.lock()?;
            let images = self.images()?;
            let Some(p) = images.iter().find(|i| &i.id == parent) else {
                break;
            };
            let present: HashSet<&str> = images.iter().map(|i| i.id.as_str()).collect();
            let other_child = cache
                .parents
                .iter()
                .any(|(child, par)| par == parent && present.contains(child.as_str()));
            let used = self.containers()?.iter().any(|c| c.image_id == p.id);
            if !p.tags.is_empty() || other_child || used {
                break;
            }
            let mut index = self.read_index()?;
            index.manifests.retain(|d| d.digest != p.manifest_digest);
            write_json(&self.index_path(), &index)?;
            self.emit(Event::new("image", "delete").id(&p.id));
            deleted.push(p.id.clone());
            cur = p.id.clone();
        }
        Ok(deleted)
    }

    /// Remove build containers whose builder is gone (a build killed mid-RUN).
    pub fn reconcile_builds(&self) {
        let Ok(containers) = self.containers() else {
            return;
        };
        for c in containers {
            let Some(owner) = c.config.labels.get(BUILD_LABEL) else {
                continue;
            };
            let (pid, start) = owner.split_once(':').unwrap_or((owner, "0"));
            let pid: i32 = pid.parse().unwrap_or(0);
            let start: u64 = start.parse().unwrap_or(0);
            let alive = process_start_time(pid).is_some_and(|t| start == 0 || t == start);
            if alive {
                continue;
            }
            if c.is_running() {
                // Not through remove_container: its wait reconciles, which would land here again.
                super::runtime::sys::kill(c.state.pid, libc::SIGKILL);
                let deadline = std::time::Instant::now() + Duration::from_secs(3);
                while process_start_time(c.state.monitor_pid)
                    .is_some_and(|t| c.state.monitor_start == 0 || t == c.state.monitor_start)
                {
                    if std::time::Instant::now() > deadline {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                if self.load_container(&c.id).is_ok_and(|r| r.is_running())
                    && process_start_time(c.state.monitor_pid).is_some()
                {
                    continue;
                }
            }
            let _ = self.destroy_container(&c);
        }
    }
}

fn cache_key(parent: &str, step: &str) -> String {
    let mut h = Sha256::new();
    h.update(parent.as_bytes());
    h.update([0u8]);
    h.update(step.as_bytes());
    hex::encode(h.finalize())
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

/// What a build reports as it goes; the CLI prints Docker's lines from these.
pub trait BuildProgress: PullProgress {
    fn context_size(&mut self, bytes: u64);
    fn step(&mut self, n: usize, total: usize, text: &str);
    fn pull_started(&mut self, r: &Reference);
    fn pull_finished(&mut self, o: &PullOutcome);
    fn running_in(&mut self, container_short: &str);
    /// Output of a RUN, as it comes.
    fn output(&mut self, stderr: bool, data: &[u8]);
    /// A RUN's process could not start (the step then fails with its exit code).
    fn start_failed(&mut self, e: &EngineError);
    fn removed_container(&mut self, container_short: &str);
    fn using_cache(&mut self);
    /// The image a step ended with.
    fn step_image(&mut self, short: &str);
    fn unused_args(&mut self, names: &[String]);
    /// Polled between steps and while a RUN runs; true stops the build cleanly.
    fn cancelled(&self) -> bool;
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    /// How the Dockerfile is named in errors ("Dockerfile").
    pub dockerfile_name: String,
    pub tags: Vec<Reference>,
    pub no_cache: bool,
    pub build_args: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub image_id: String,
    pub tags: Vec<String>,
}

#[derive(Clone)]
struct Context {
    root: PathBuf,
    ignore: IgnoreRules,
}

/// One stage's running state.
struct Stage {
    image: Image,
    config: ImageConfig,
    /// ARGs declared in this stage: name → value (None: declared without a value).
    args: BTreeMap<String, Option<String>>,
    shell: Vec<String>,
}

impl Stage {
    fn env_value(&self, name: &str) -> Option<String> {
        let env = self.config.config.env.as_deref().unwrap_or(&[]);
        env.iter()
            .rev()
            .find_map(|e| {
                e.split_once('=')
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v)
            })
            .map(str::to_string)
    }

    /// A variable as instructions see it: ENV wins over ARG.
    fn var(&self, name: &str) -> Option<String> {
        self.env_value(name)
            .or_else(|| self.args.get(name).cloned().flatten())
    }

    /// Build args passed to RUN: declared, with a value, not shadowed by ENV (sorted).
    fn run_args(&self) -> Vec<String> {
        self.args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
            .filter(|(k, _)| self.env_value(k).is_none())
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

pub fn build(
    store: &Store,
    opts: &BuildOptions,
    progress: &mut dyn BuildProgress,
) -> Result<BuildOutcome> {
    // New layers and configs are not in the index until each step is stored.
    let _writing = store.writing()?;
    let text = fs::read_to_string(&opts.dockerfile).map_err(|e| BuildError::Dockerfile {
        path: opts.dockerfile.display().to_string(),
        source: e,
    })?;
    let instructions = parse(&opts.dockerfile_name, &text)?;
    let ctx_root = fs::canonicalize(&opts.context)
        .map_err(|e| BuildError::Context(format!("{}: {e}", opts.context.display())))?;
    if !ctx_root.is_dir() {
        return Err(BuildError::Context(format!(
            "{}: not a directory",
            opts.context.display()
        )));
    }
    let ignore =
        IgnoreRules::parse(&fs::read_to_string(ctx_root.join(".dockerignore")).unwrap_or_default());
    let ctx = Context {
        root: ctx_root,
        ignore,
    };
    progress.context_size(context_size(&ctx));

    let mut builder = Builder {
        store,
        opts,
        progress,
        ctx,
        stages: Vec::new(),
        meta_args: BTreeMap::new(),
        used_args: HashSet::new(),
        escape: escape_directive(&text),
    };
    let total = instructions.len();
    let mut current: Option<(Option<String>, Stage)> = None;
    for (n, ins) in instructions.iter().enumerate() {
        if builder.progress.cancelled() {
            return Err(BuildError::Cancelled);
        }
        builder.progress.step(n + 1, total, &ins.text);
        match (&ins.op, current.as_mut()) {
            (Op::Arg(list), None) => {
                for (k, default) in list {
                    let v = opts.build_args.get(k).cloned().or_else(|| default.clone());
                    if opts.build_args.contains_key(k) {
                        builder.used_args.insert(k.clone());
                    }
                    builder.meta_args.insert(k.clone(), v);
                }
            }
            (Op::From { image, alias }, _) => {
                if let Some((a, done)) = current.take() {
                    builder.stages.push((a, done.image));
                }
                let meta = builder.meta_args.clone();
                let name = expand(image, &|k| meta.get(k).cloned().flatten(), builder.escape);
                let stage = builder.from(&name)?;
                current = Some((alias.clone(), stage));
            }
            (_, Some((_, stage))) => builder.step(stage, ins)?,
            (_, None) => {
                return Err(BuildError::Syntax {
                    file: opts.dockerfile_name.clone(),
                    line: ins.line,
                    kind: SyntaxKind::NoFrom(ins.text.clone()),
                });
            }
        }
    }
    let Some((_, last)) = current else {
        return Err(BuildError::Syntax {
            file: opts.dockerfile_name.clone(),
            line: 1,
            kind: SyntaxKind::Empty,
        });
    };
    let unused: Vec<String> = opts
        .build_args
        .keys()
        .filter(|k| !builder.used_args.contains(*k))
        .cloned()
        .collect();
    if !unused.is_empty() {
        builder.progress.unused_args(&unused);
    }
    let img = last.image;
    let size = fs::metadata(store.blob_path(&img.manifest_digest))
        .map(|m| m.len())
        .unwrap_or(0);
    let mut tags = Vec::new();
    for r in &opts.tags {
        store.set_tag(r, &img.manifest_digest, size)?;
        store.emit(Event::new("image", "tag").id(&img.id).name(&r.full()));
        tags.push(r.full());
    }
    let mut ev = Event::new("image", "build").id(&img.id);
    if let Some(t) = tags.first() {
        ev = ev.name(t);
    }
    store.emit(ev);
    Ok(BuildOutcome {
        image_id: img.id,
        tags,
    })
}

/// Docker's empty base image: no layers, no config, never stored itself.
fn scratch() -> Image {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    Image {
        id: String::new(),
        manifest_digest: String::new(),
        manifest: super::image::Manifest {
            schema_version: 2,
            media_type: super::image::MT_MANIFEST.into(),
            config: super::image::Descriptor {
                media_type: super::image::MT_CONFIG.into(),
                digest: String::new(),
                size: 0,
                annotations: None,
            },
            layers: Vec::new(),
            annotations: None,
        },
        config: ImageConfig {
            architecture: arch.into(),
            os: "linux".into(),
            rootfs: super::image::RootFs {
                kind: "layers".into(),
                diff_ids: Vec::new(),
            },
            ..Default::default()
        },
        tags: Vec::new(),
    }
}
/// The `# escape=` parser directive (default `\`).
fn escape_directive(text: &str) -> char {
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

/// Roughly the size of the tar Docker would send: headers, padded contents, the end blocks.
fn context_size(ctx: &Context) -> u64 {
    let mut total = 1024u64;
    let _ = archive::walk_sorted(&ctx.root, &mut |rel, _abs, meta| {
        let rel = rel.trim_start_matches('/');
        let always = rel == "Dockerfile" || rel == ".dockerignore";
        if !always && ctx.ignore.excluded(rel) {
            return Ok(());
        }
        total += 512;
        if meta.is_file() {
            total += meta.len().div_ceil(512) * 512;
        }
        Ok(())
    });
    total
}

/// Split a path into clean components; `..` beyond the top is refused (None).
fn clean_components(p: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(n) => out.push(n.to_string_lossy().to_string()),
            Component::ParentDir => {
                out.pop()?;
            }
            _ => {}
        }
    }
    Some(out)
}

/// Lexically clean an absolute container path; `..` stops at `/`, as in Docker.
fn clean_abs(p: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(n) => out.push(n.to_string_lossy().to_string()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Where COPY reads from: the build context, or an image's layers (`COPY --from`).
enum Source<'a> {
    Context(&'a Context),
    Image(Vec<PathBuf>),
}

impl Source<'_> {
    /// The file at `rel` (no symlink followed on the way), if it exists and is visible.
    fn lookup(&self, rel: &[String]) -> Option<(PathBuf, fs::Metadata)> {
        match self {
            Source::Context(ctx) => {
                let found = walk_no_symlinks(&ctx.root, rel)?;
                if !rel.is_empty() && ctx.ignore.excluded(&rel.join("/")) {
                    // An excluded dir still holds what a `!` exception brings back.
                    let keep = ctx.ignore.has_exceptions()
                        && found.1.is_dir()
                        && has_included(&ctx.ignore, &found.0, &rel.join("/"));
                    if !keep {
                        return None;
                    }
                }
                Some(found)
            }
            Source::Image(lowers) => {
                if !archive::exists_in_layers(lowers, &format!("/{}", rel.join("/"))) {
                    return None;
                }
                lowers.iter().find_map(|l| walk_no_symlinks(l, rel))
            }
        }
    }

    /// The names in dir `rel`, merged across layers for an image.
    fn list(&self, rel: &[String]) -> Vec<String> {
        let mut names = std::collections::BTreeSet::new();
        let dirs: Vec<PathBuf> = match self {
            Source::Context(ctx) => vec![ctx.root.clone()],
            Source::Image(lowers) => lowers.clone(),
        };
        for d in dirs {
            let Some((abs, m)) = walk_no_symlinks(&d, rel) else {
                continue;
            };
            if !m.is_dir() {
                continue;
            }
            if let Ok(rd) = fs::read_dir(&abs) {
                for e in rd.flatten() {
                    names.insert(e.file_name().to_string_lossy().to_string());
                }
            }
        }
        names
            .into_iter()
            .filter(|n| {
                let mut child = rel.to_vec();
                child.push(n.clone());
                self.lookup(&child)
                    .is_some_and(|(_, m)| !archive::is_whiteout(&m))
            })
            .collect()
    }
}

/// Follow the image's symlinks along a container path, inside the image's root (as Docker
/// resolves COPY destinations): on debian `/bin` is a link to `usr/bin`, and writing a real
/// `bin/` dir into a layer would hide everything in it.
fn resolve_in_image(lowers: &[PathBuf], comps: &[String]) -> Vec<String> {
    let image = Source::Image(lowers.to_vec());
    let mut out: Vec<String> = Vec::new();
    let mut queue: std::collections::VecDeque<String> = comps.iter().cloned().collect();
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => out.push(c),
        }
        let Some((abs, m)) = image.lookup(&out) else {
            continue;
        };
        if !m.file_type().is_symlink() || hops >= 40 {
            continue;
        }
        hops += 1;
        let Ok(target) = fs::read_link(&abs) else {
            continue;
        };
        out.pop();
        let target = target.to_string_lossy().to_string();
        if target.starts_with('/') {
            out.clear();
        }
        for (i, t) in target.split('/').enumerate() {
            queue.insert(i, t.to_string());
        }
    }
    out
}

/// `root/rel` by lstat, refusing to pass through a symlink (it could point anywhere).
fn walk_no_symlinks(root: &Path, rel: &[String]) -> Option<(PathBuf, fs::Metadata)> {
    let mut cur = root.to_path_buf();
    let mut meta = fs::symlink_metadata(&cur).ok()?;
    for (i, c) in rel.iter().enumerate() {
        if i > 0 && !meta.is_dir() {
            return None;
        }
        cur.push(c);
        meta = fs::symlink_metadata(&cur).ok()?;
    }
    if archive::is_whiteout(&meta) {
        return None;
    }
    Some((cur, meta))
}

fn is_tar_archive(path: &Path) -> bool {
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut head = vec![0u8; 512];
    let n = f.read(&mut head).unwrap_or(0);
    if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        let Ok(f) = fs::File::open(path) else {
            return false;
        };
        let mut gz = flate2::read::GzDecoder::new(f);
        let mut inner = vec![0u8; 512];
        return gz.read_exact(&mut inner).is_ok() && &inner[257..262] == b"ustar";
    }
    n >= 262 && &head[257..262] == b"ustar"
}

struct Builder<'a> {
    store: &'a Store,
    opts: &'a BuildOptions,
    progress: &'a mut dyn BuildProgress,
    ctx: Context,
    /// Finished stages: alias, result.
    stages: Vec<(Option<String>, Image)>,
    meta_args: BTreeMap<String, Option<String>>,
    used_args: HashSet<String>,
    escape: char,
}

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// A list as Go's `%q` prints it, which is what Docker's history shows: `["cat" "/x"]`.
fn go_list(v: &[String]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", items.join(" "))
}

impl Builder<'_> {
    fn stage_image(&self, name: &str) -> Option<Image> {
        let lower = name.to_ascii_lowercase();
        if let Some((_, img)) = self
            .stages
            .iter()
            .rev()
            .find(|(a, _)| a.as_deref() == Some(lower.as_str()))
        {
            return Some(img.clone());
        }
        name.parse::<usize>()
            .ok()
            .and_then(|i| self.stages.get(i))
            .map(|(_, img)| img.clone())
    }

    /// An image by name, pulled from the catalog when the store lacks it.
    fn image(&mut self, name: &str) -> Result<Image> {
        match self.store.resolve_image(name) {
            Ok(img) => Ok(img),
            Err(EngineError::NoSuchImage(_)) => {
                let r = Reference::parse(name)?;
                self.progress.pull_started(&r);
                let outcome = self.store.pull(name, &mut *self.progress)?;
                self.progress.pull_finished(&outcome);
                Ok(self.store.resolve_image(&outcome.image_id)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn from(&mut self, name: &str) -> Result<Stage> {
        let image = match self.stage_image(name) {
            Some(img) => img,
            None if name == "scratch" => scratch(),
            None => self.image(name)?,
        };
        if !image.id.is_empty() {
            self.progress.step_image(&image.short_id());
        }
        Ok(Stage {
            config: image.config.clone(),
            image,
            args: BTreeMap::new(),
            shell: DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Reuse a previous build's result for this step; true when it did.
    fn cached(&mut self, stage: &mut Stage, key: &str) -> Result<bool> {
        if self.opts.no_cache {
            return Ok(false);
        }
        let cache = self.store.read_cache();
        let Some(child) = cache.steps.get(key) else {
            return Ok(false);
        };
        let Ok(img) = self.store.resolve_image(child) else {
            return Ok(false);
        };
        if img
            .config
            .rootfs
            .diff_ids
            .iter()
            .any(|d| !self.store.layer_ready(d))
        {
            return Ok(false);
        }
        self.progress.using_cache();
        self.progress.step_image(&img.short_id());
        stage.config = img.config.clone();
        stage.image = img;
        Ok(true)
    }

    /// Store the step's image (the stage's config plus a history entry and maybe a layer).
    fn finish(
        &mut self,
        stage: &mut Stage,
        key: &str,
        created_by: String,
        layer: Option<(super::image::Descriptor, String)>,
    ) -> Result<()> {
        let mut config = stage.config.clone();
        config.created = rfc3339_now();
        config.history.push(History {
            created: config.created.clone(),
            created_by,
            empty_layer: layer.is_none(),
            ..Default::default()
        });
        let desc = match layer {
            Some((desc, diff_id)) => {
                config.rootfs.diff_ids.push(diff_id);
                Some(desc)
            }
            None => None,
        };
        let id = self.store.store_image(&stage.image, config, desc, None)?;
        let img = self.store.resolve_image(&id)?;
        self.store.cache_put(key, &stage.image.id, &id)?;
        self.progress.step_image(&img.short_id());
        stage.config = img.config.clone();
        stage.image = img;
        Ok(())
    }

    /// A step that only changes the config.
    fn meta(
        &mut self,
        stage: &mut Stage,
        created_by: String,
        apply: impl FnOnce(&mut Stage),
    ) -> Result<()> {
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        apply(stage);
        self.finish(stage, &key, created_by, None)
    }

    fn argv(stage: &Stage, f: &Form) -> Vec<String> {
        match f {
            Form::Exec(v) => v.clone(),
            Form::Shell(s) => {
                let mut v = stage.shell.clone();
                v.push(s.clone());
                v
            }
        }
    }

    fn step(&mut self, stage: &mut Stage, ins: &Instruction) -> Result<()> {
        let esc = self.escape;
        let nop = |s: String| format!("/bin/sh -c #(nop)  {s}");
        match &ins.op {
            Op::From { .. } => Ok(()),
            Op::Arg(list) => {
                let mut shown = Vec::new();
                let mut values = Vec::new();
                for (k, default) in list {
                    let v = if let Some(v) = self.opts.build_args.get(k) {
                        self.used_args.insert(k.clone());
                        Some(v.clone())
                    } else if let Some(d) = default {
                        Some(expand(d, &|n| stage.var(n), esc))
                    } else {
                        self.meta_args.get(k).cloned().flatten()
                    };
                    shown.push(match default {
                        Some(d) => format!("{k}={d}"),
                        None => k.clone(),
                    });
                    values.push((k.clone(), v));
                }
                let created_by = nop(format!("ARG {}", shown.join(" ")));
                // The args live in the builder's stage, not in the image: set them either way.
                for (k, v) in values {
                    stage.args.insert(k, v);
                }
                self.meta(stage, created_by, |_| {})
            }
            Op::Env(pairs) => {
                let vars = |n: &str| stage.var(n);
                let pairs: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(k, v)| (expand(k, &vars, esc), expand(v, &vars, esc)))
                    .collect();
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.meta(stage, nop(format!("ENV {}", shown.join(" "))), |s| {
                    let env = s.config.config.env.get_or_insert_with(Vec::new);
                    for (k, v) in pairs {
                        env.retain(|e| e.split('=').next() != Some(k.as_str()));
                        env.push(format!("{k}={v}"));
                    }
                })
            }
            Op::Label(pairs) => {
                let vars = |n: &str| stage.var(n);
                let pairs: Vec<(String, String)> = pairs
                    .iter()
                    .map(|(k, v)| (expand(k, &vars, esc), expand(v, &vars, esc)))
                    .collect();
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.meta(stage, nop(format!("LABEL {}", shown.join(" "))), |s| {
                    let labels = s.config.config.labels.get_or_insert_with(BTreeMap::new);
                    labels.extend(pairs);
                })
            }
            Op::Cmd(f) => {
                let argv = Self::argv(stage, f);
                let shown = go_list(&argv);
                self.meta(stage, nop(format!("CMD {shown}")), |s| {
                    s.config.config.cmd = Some(argv)
                })
            }
            Op::Entrypoint(f) => {
                let argv = Self::argv(stage, f);
                let shown = go_list(&argv);
                let base_cmd = stage.image.config.config.cmd.clone();
                let cmd_from_base = stage.config.config.cmd == base_cmd
                    && !stage
                        .image
                        .config
                        .history
                        .iter()
                        .rev()
                        .take_while(|h| h.created_by.contains("#(nop)"))
                        .any(|h| h.created_by.contains("#(nop)  CMD "));
                self.meta(stage, nop(format!("ENTRYPOINT {shown}")), |s| {
                    s.config.config.entrypoint = Some(argv);
                    // An inherited CMD would become the new entrypoint's arguments: Docker drops it.
                    if cmd_from_base {
                        s.config.config.cmd = None;
                    }
                })
            }
            Op::Expose(ports) => {
                let vars = |n: &str| stage.var(n);
                let ports: Vec<String> = ports
                    .iter()
                    .map(|p| {
                        let p = expand(p, &vars, esc);
                        if p.contains('/') {
                            p
                        } else {
                            format!("{p}/tcp")
                        }
                    })
                    .collect();
                self.meta(stage, nop(format!("EXPOSE {}", ports.join(" "))), |s| {
                    let map = s
                        .config
                        .config
                        .exposed_ports
                        .get_or_insert_with(BTreeMap::new);
                    for p in ports {
                        map.insert(p, serde_json::json!({}));
                    }
                })
            }
            Op::User(u) => {
                let u = expand(u, &|n| stage.var(n), esc);
                self.meta(stage, nop(format!("USER {u}")), |s| {
                    s.config.config.user = u
                })
            }
            Op::Volume(v) => {
                let vars = |n: &str| stage.var(n);
                let v: Vec<String> = v.iter().map(|p| expand(p, &vars, esc)).collect();
                let shown = go_list(&v);
                self.meta(stage, nop(format!("VOLUME {shown}")), |s| {
                    let map = s.config.config.volumes.get_or_insert_with(BTreeMap::new);
                    for p in v {
                        map.insert(p, serde_json::json!({}));
                    }
                })
            }
            Op::StopSignal(sig) => {
                let sig = expand(sig, &|n| stage.var(n), esc);
                self.meta(stage, nop(format!("STOPSIGNAL {sig}")), |s| {
                    s.config.config.stop_signal = sig
                })
            }
            Op::Maintainer(m) => {
                let m = m.clone();
                self.meta(stage, nop(format!("MAINTAINER {m}")), |s| {
                    s.config.author = m
                })
            }
            Op::Shell(v) => {
                stage.shell = v.clone();
                let shown = go_list(v);
                self.meta(stage, nop(format!("SHELL {shown}")), |_| {})
            }
            Op::Workdir(w) => self.workdir(stage, w),
            Op::Run(f) => self.run(stage, f),
            Op::Copy {
                add,
                args,
                chown,
                from,
            } => self.copy(stage, *add, args, chown.as_deref(), from.as_deref()),
        }
    }

    fn workdir(&mut self, stage: &mut Stage, w: &str) -> Result<()> {
        let w = expand(w, &|n| stage.var(n), self.escape);
        let base = if stage.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            stage.config.config.working_dir.clone()
        };
        let joined = if w.starts_with('/') {
            w.clone()
        } else {
            format!("{}/{w}", base.trim_end_matches('/'))
        };
        let comps = clean_abs(&joined);
        let path = format!("/{}", comps.join("/"));
        let created_by = format!("/bin/sh -c #(nop) WORKDIR {path}");
        let lowers = self.store.lower_dirs(&stage.image)?;
        let comps = resolve_in_image(&lowers, &comps);
        let exists = Source::Image(lowers.clone())
            .lookup(&comps)
            .is_some_and(|(_, m)| m.is_dir());
        if exists {
            let p = path.clone();
            return self.meta(stage, created_by, |s| s.config.config.working_dir = p);
        }
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        let staging = self.store.tmp_path("build");
        let res = (|| -> Result<_> {
            fs::create_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
            ensure_dir(&staging, &comps, &lowers, None)?;
            Ok(self.store.write_layer_from_dir(&staging)?)
        })();
        archive::remove_tree(&staging);
        let layer = res?;
        stage.config.config.working_dir = path;
        self.finish(stage, &key, created_by, Some(layer))
    }

    fn run(&mut self, stage: &mut Stage, f: &Form) -> Result<()> {
        let argv = Self::argv(stage, f);
        let args = stage.run_args();
        let command = argv.join(" ");
        let created_by = if args.is_empty() {
            command.clone()
        } else {
            format!("|{} {} {command}", args.len(), args.join(" "))
        };
        let key = cache_key(&stage.image.id, &created_by);
        if self.cached(stage, &key)? {
            return Ok(());
        }
        let me = std::process::id() as i32;
        let owner = format!("{me}:{}", process_start_time(me).unwrap_or(0));
        let defaults = &stage.config.config;
        let opts = CreateOptions {
            image: stage.image.id.clone(),
            cmd: argv,
            entrypoint: Some(String::new()),
            env: args,
            workdir: (!defaults.working_dir.is_empty()).then(|| defaults.working_dir.clone()),
            user: (!defaults.user.is_empty()).then(|| defaults.user.clone()),
            labels: BTreeMap::from([(BUILD_LABEL.to_string(), owner)]),
            ..Default::default()
        };
        let c = self.store.create_container(&opts)?;
        self.progress.running_in(&c.short_id());
        let outcome = self.run_container(&c.id);
        let layer = match outcome {
            Ok(0) => self
                .store
                .write_layer_from_dir(&self.store.container_dir(&c.id).join("upper")),
            Ok(code) => Err(EngineError::Runtime(code.to_string())),
            Err(e) => {
                let _ = self.store.remove_container(&c.id, true);
                return Err(e);
            }
        };
        let _ = self.store.remove_container(&c.id, true);
        match (outcome, layer) {
            (Ok(0), Ok(layer)) => {
                self.progress.removed_container(&c.short_id());
                self.finish(stage, &key, created_by, Some(layer))
            }
            (Ok(0), Err(e)) => Err(e.into()),
            (Ok(code), _) => Err(BuildError::RunFailed { command, code }),
            (Err(e), _) => Err(e),
        }
    }

    /// Start a build container, stream its output, and return its exit code.
    fn run_container(&mut self, id: &str) -> Result<i32> {
        use super::attach as proto;
        let c = self.store.load_container(id)?;
        let _monitor = self.store.start_monitor(&c, true)?;
        let mut stream = proto::connect(&self.store.root, id)
            .map_err(|e| EngineError::Runtime(format!("attach: {e}")))?;
        stream
            .write_all(&proto::encode(proto::START, &[]))
            .map_err(|e| EngineError::Runtime(format!("attach: {e}")))?;
        let fd = stream.as_raw_fd();
        let mut frames = proto::FrameBuffer::default();
        let mut buf = vec![0u8; 32 * 1024];
        let code = 'outer: loop {
            if self.progress.cancelled() {
                return Err(BuildError::Cancelled);
            }
            let mut p = [super::runtime::sys::pollfd(fd, libc::POLLIN)];
            let n = super::runtime::sys::poll(&mut p, 100).unwrap_or(0);
            if n == 0 {
                continue;
            }
            let got = match stream.read(&mut buf) {
                Ok(0) => {
                    return Err(EngineError::Runtime(
                        "the build container's monitor exited early".into(),
                    )
                    .into());
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(EngineError::Runtime(format!("attach: {e}")).into()),
            };
            frames.push(&buf[..got]);
            while let Ok(Some((kind, payload))) = frames.next_frame() {
                match kind {
                    proto::STDOUT => self.progress.output(false, &payload),
                    proto::STDERR => self.progress.output(true, &payload),
                    proto::EXIT if payload.len() == 4 => {
                        break 'outer i32::from_be_bytes([
                            payload[0], payload[1], payload[2], payload[3],
                        ]);
                    }
                    proto::ERROR if payload.len() >= 4 => {
                        let e = EngineError::decode(&String::from_utf8_lossy(&payload[4..]));
                        self.progress.start_failed(&e);
                        break 'outer e.exit_code();
                    }
                    _ => {}
                }
            }
        };
        // The monitor writes the record and then exits; wait so the upper dir is final.
        if let Ok(rec) = self.store.load_container(id) {
            self.store.wait_stopped(&rec, Some(Duration::from_secs(10)));
        }
        Ok(code)
    }

    fn copy(
        &mut self,
        stage: &mut Stage,
        add: bool,
        args: &[String],
        chown: Option<&str>,
        from: Option<&str>,
    ) -> Result<()> {
        let esc = self.escape;
        let vars = |n: &str| stage.var(n);
        let mut words: Vec<String> = args.iter().map(|a| expand(a, &vars, esc)).collect();
        let chown = chown.map(|c| expand(c, &vars, esc));
        let from = from.map(|f| expand(f, &vars, esc));
        let dest = words.pop().unwrap_or_default();
        let keyword = if add { "ADD" } else { "COPY" };
        let workdir = if stage.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            stage.config.config.working_dir.clone()
        };
        let dest_is_dir = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
        let dest_abs = if dest.starts_with('/') {
            dest.clone()
        } else {
            format!("{}/{dest}", workdir.trim_end_matches('/'))
        };
        let dest_comps = clean_abs(&dest_abs);

        let source_image;
        let ctx = self.ctx.clone();
        let source = match &from {
            None => Source::Context(&ctx),
            Some(name) => {
                let img = match self.stage_image(name) {
                    Some(img) => img,
                    None => self
                        .image(name)
                        .map_err(|_| BuildError::NoSuchStage(name.clone()))?,
                };
                source_image = img;
                Source::Image(self.store.lower_dirs(&source_image)?)
            }
        };

        // Resolve sources: (path components, metadata).
        let mut items: Vec<(Vec<String>, PathBuf, fs::Metadata)> = Vec::new();
        for w in &words {
            if add && (w.starts_with("http://") || w.starts_with("https://")) {
                return Err(BuildError::AddUrl(w.clone()));
            }
            let comps = clean_components(w).ok_or_else(|| BuildError::OutsideContext(w.clone()))?;
            if comps.iter().any(|c| has_glob(c)) {
                let found = glob_sources(&source, &comps);
                if found.is_empty() {
                    return Err(BuildError::NotFound(w.clone()));
                }
                for c in found {
                    if let Some((abs, m)) = source.lookup(&c) {
                        items.push((c, abs, m));
                    }
                }
            } else {
                let (abs, m) = source
                    .lookup(&comps)
                    .ok_or_else(|| BuildError::NotFound(w.clone()))?;
                items.push((comps, abs, m));
            }
        }
        let multiple = items.len() > 1 || words.len() > 1;
        if multiple && !dest_is_dir {
            return Err(BuildError::DestNotDir);
        }

        // The cache key: what is copied (paths, modes, contents), where, and as whom.
        let mut h = Sha256::new();
        for (comps, abs, meta) in &items {
            hash_tree(&source, comps, abs, meta, &mut h)?;
        }
        let hash = hex::encode(h.finalize());
        let kind = match items.as_slice() {
            [(_, _, m)] if m.is_dir() => "dir",
            [_] => "file",
            _ => "multi",
        };
        let created_by = format!("/bin/sh -c #(nop) {keyword} {kind}:{hash} in {dest} ");
        let key = cache_key(
            &stage.image.id,
            &format!(
                "{created_by}\n{}\n{}",
                chown.as_deref().unwrap_or(""),
                from.as_deref().unwrap_or("")
            ),
        );
        if self.cached(stage, &key)? {
            return Ok(());
        }

        let lowers = self.store.lower_dirs(&stage.image)?;
        let dest_comps = resolve_in_image(&lowers, &dest_comps);
        let owner = match &chown {
            Some(spec) => Some(resolve_chown(&lowers, spec)?),
            None => None,
        };
        let image_dest_is_dir = Source::Image(lowers.clone())
            .lookup(&dest_comps)
            .is_some_and(|(_, m)| m.is_dir());
        let staging = self.store.tmp_path("build");
        let res = (|| -> Result<_> {
            fs::create_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
            for (comps, abs, meta) in &items {
                let into_dir = meta.is_dir()
                    || dest_is_dir
                    || image_dest_is_dir
                    || (add && meta.is_file() && is_tar_archive(abs));
                if add && meta.is_file() && is_tar_archive(abs) {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, None)?;
                    let f = fs::File::open(abs).map_err(|e| BuildError::io(abs, e))?;
                    let mut head = [0u8; 2];
                    let gz = fs::File::open(abs)
                        .and_then(|mut f| f.read_exact(&mut head))
                        .is_ok()
                        && head == [0x1f, 0x8b];
                    let mut reader: Box<dyn Read> = if gz {
                        Box::new(flate2::read::GzDecoder::new(f))
                    } else {
                        Box::new(f)
                    };
                    archive::unpack(&mut reader, &dir)?;
                    continue;
                }
                if meta.is_dir() {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, owner)?;
                    copy_tree(&source, comps, &dir, owner)?;
                } else if into_dir {
                    let dir = ensure_dir(&staging, &dest_comps, &lowers, None)?;
                    let name = comps.last().cloned().unwrap_or_default();
                    copy_entry(abs, meta, &dir.join(name), owner)?;
                } else {
                    let (parent, name) = match dest_comps.split_last() {
                        Some((n, p)) => (p.to_vec(), n.clone()),
                        None => (Vec::new(), comps.last().cloned().unwrap_or_default()),
                    };
                    let dir = ensure_dir(&staging, &parent, &lowers, None)?;
                    copy_entry(abs, meta, &dir.join(name), owner)?;
                }
            }
            Ok(self.store.write_layer_from_dir(&staging)?)
        })();
        archive::remove_tree(&staging);
        let layer = res?;
        self.finish(stage, &key, created_by, Some(layer))
    }
}

/// Context paths matching a pattern with `*`/`?` in its components.
fn glob_sources(source: &Source, pat: &[String]) -> Vec<Vec<String>> {
    let mut found = vec![Vec::new()];
    for p in pat {
        let mut next = Vec::new();
        for base in &found {
            if has_glob(p) {
                for name in source.list(base) {
                    if glob(p, &name) {
                        let mut c: Vec<String> = base.clone();
                        c.push(name);
                        next.push(c);
                    }
                }
            } else {
                let mut c = base.clone();
                c.push(p.clone());
                if source.lookup(&c).is_some() {
                    next.push(c);
                }
            }
        }
        found = next;
    }
    found
}

/// Hash a source tree: relative paths, types, modes, contents, link targets.
fn hash_tree(
    source: &Source,
    comps: &[String],
    abs: &Path,
    meta: &fs::Metadata,
    h: &mut Sha256,
) -> Result<()> {
    h.update(comps.join("/").as_bytes());
    h.update([0u8]);
    h.update((meta.mode() & 0o170777).to_be_bytes());
    if meta.file_type().is_symlink() {
        let t = fs::read_link(abs).map_err(|e| BuildError::io(abs, e))?;
        h.update(t.as_os_str().as_encoded_bytes());
    } else if meta.is_file() {
        let mut f = fs::File::open(abs).map_err(|e| BuildError::io(abs, e))?;
        let mut fh = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf).map_err(|e| BuildError::io(abs, e))?;
            if n == 0 {
                break;
            }
            fh.update(&buf[..n]);
        }
        h.update(fh.finalize());
    } else if meta.is_dir() {
        for name in source.list(comps) {
            let mut c = comps.to_vec();
            c.push(name);
            if let Some((a, m)) = source.lookup(&c) {
                hash_tree(source, &c, &a, &m, h)?;
            }
        }
    }
    h.update([0xffu8]);
    Ok(())
}

/// Create `rel` under the staging dir; dirs the image already has keep their mode and owner
/// (the layer's entry replaces the image's), new ones are 0755 (owned by `owner` or root).
fn ensure_dir(
    staging: &Path,
    rel: &[String],
    lowers: &[PathBuf],
    owner: Option<(u32, u32)>,
) -> Result<PathBuf> {
    let image = Source::Image(lowers.to_vec());
    let mut cur = staging.to_path_buf();
    for i in 0..rel.len() {
        cur.push(&rel[i]);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                let _ = fs::remove_file(&cur);
            }
            Err(_) => {}
        }
        fs::create_dir(&cur).map_err(|e| BuildError::io(&cur, e))?;
        let (mode, uid, gid) = match image.lookup(&rel[..=i]) {
            Some((_, m)) if m.is_dir() => (m.mode() & 0o7777, m.uid(), m.gid()),
            _ => {
                let (u, g) = if i + 1 == rel.len() {
                    owner.unwrap_or((0, 0))
                } else {
                    (0, 0)
                };
                (0o755, u, g)
            }
        };
        fs::set_permissions(&cur, fs::Permissions::from_mode(mode))
            .map_err(|e| BuildError::io(&cur, e))?;
        set_owner(&cur, uid, gid)?;
    }
    Ok(cur)
}

fn set_owner(path: &Path, uid: u32, gid: u32) -> Result<()> {
    if super::runtime::sys::geteuid() != 0 {
        return Ok(());
    }
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).map_err(|e| BuildError::io(path, e))
}

/// Copy one file, symlink or (empty) dir to `dst` (never following symlinks).
fn copy_entry(
    src: &Path,
    meta: &fs::Metadata,
    dst: &Path,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    if let Ok(m) = fs::symlink_metadata(dst) {
        if m.is_dir() && !meta.is_dir() {
            archive::remove_tree(dst);
        } else if !m.is_dir() {
            let _ = fs::remove_file(dst);
        }
    }
    let (uid, gid) = owner.unwrap_or((0, 0));
    if meta.file_type().is_symlink() {
        let t = fs::read_link(src).map_err(|e| BuildError::io(src, e))?;
        std::os::unix::fs::symlink(&t, dst).map_err(|e| BuildError::io(dst, e))?;
        return set_owner(dst, uid, gid);
    }
    if meta.is_dir() {
        if !dst.is_dir() {
            fs::create_dir(dst).map_err(|e| BuildError::io(dst, e))?;
        }
    } else if meta.is_file() {
        let mut input = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(src)
            .map_err(|e| BuildError::io(src, e))?;
        let mut out = fs::File::create(dst).map_err(|e| BuildError::io(dst, e))?;
        std::io::copy(&mut input, &mut out).map_err(|e| BuildError::io(dst, e))?;
    } else {
        // Sockets, fifos and devices are not copied into images.
        return Ok(());
    }
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(|e| BuildError::io(dst, e))?;
    set_owner(dst, uid, gid)?;
    if meta.is_file() {
        // Docker keeps a copied file's modification time.
        let _ = fs::File::options()
            .write(true)
            .open(dst)
            .and_then(|f| f.set_modified(meta.modified()?));
    }
    Ok(())
}

use std::os::unix::fs::OpenOptionsExt;

/// Copy the contents of source dir `comps` into `dst`.
fn copy_tree(
    source: &Source,
    comps: &[String],
    dst: &Path,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    for name in source.list(comps) {
        let mut c = comps.to_vec();
        c.push(name.clone());
        let Some((abs, meta)) = source.lookup(&c) else {
            continue;
        };
        let target = dst.join(&name);
        copy_entry(&abs, &meta, &target, owner)?;
        if meta.is_dir() {
            copy_tree(source, &c, &target, owner)?;
        }
    }
    Ok(())
}

/// `--chown=user[:group]`: numbers, or names looked up in the image's passwd and group files.
fn resolve_chown(lowers: &[PathBuf], spec: &str) -> Result<(u32, u32)> {
    let (user, group) = spec.split_once(':').unwrap_or((spec, spec));
    let image = Source::Image(lowers.to_vec());
    let read = |file: &str| -> String {
        image
            .lookup(&["etc".to_string(), file.to_string()])
            .filter(|(_, m)| m.is_file())
            .and_then(|(p, _)| fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let lookup = |text: &str, name: &str| -> Option<(u32, u32)> {
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name) && f.len() >= 4)
                .then(|| (f[2].parse().unwrap_or(0), f[3].parse().unwrap_or(0)))
        })
    };
    let uid = match user.parse::<u32>() {
        Ok(n) => n,
        Err(_) => lookup(&read("passwd"), user)
            .map(|(u, _)| u)
            .ok_or_else(|| BuildError::NoSuchUser(user.to_string()))?,
    };
    let gid = match group.parse::<u32>() {
        Ok(n) => n,
        Err(_) => lookup(&read("group"), group)
            .map(|(g, _)| g)
            .or_else(|| lookup(&read("passwd"), group).map(|(_, g)| g))
            .ok_or_else(|| BuildError::NoSuchUser(group.to_string()))?,
    };
    Ok((uid, gid))
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

    #[test]
    fn dockerignore_patterns() {
        let r = IgnoreRules::parse("# c\n*.log\nsecret/\n**/tmp\n!keep.log\n");
        assert!(r.excluded("a.log"));
        assert!(!r.excluded("keep.log"));
        assert!(!r.excluded("dir/a.log"), "* does not cross /");
        assert!(r.excluded("secret/x.txt"));
        assert!(r.excluded("a/b/tmp/f"));
        assert!(!r.excluded("app.txt"));
    }

    #[test]
    fn clean_components_refuses_escapes() {
        assert_eq!(clean_components("../x"), None);
        assert_eq!(clean_components("a/../../x"), None);
        assert_eq!(
            clean_components("./a/./b/../c"),
            Some(vec!["a".to_string(), "c".to_string()])
        );
    }
}
