//! Docker's output conventions: tab-aligned tables, human durations and sizes, truncation.

use unicode_width::UnicodeWidthStr;

/// Docker's tables: every column but the last padded to max(width + 3, 10) display columns.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let target = (widths[i] + 3).max(10);
                line.push_str(&" ".repeat(target - cell.width()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// go-units' HumanDuration, which Docker uses for "2 minutes ago" and "Up 3 seconds".
pub fn human_duration(millis: u64) -> String {
    let secs = millis / 1000;
    let mins = secs / 60;
    let hours = (millis as f64 / 3_600_000.0 + 0.5) as u64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if mins == 1 {
        "About a minute".into()
    } else if mins < 60 {
        format!("{mins} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", millis / 3_600_000 / 24 / 365)
    }
}

pub fn ago(then_millis: u64) -> String {
    let now = crate::engine::now_millis();
    format!("{} ago", human_duration(now.saturating_sub(then_millis)))
}

/// go-units' HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits.
pub fn human_size(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut s = size as f64;
    let mut i = 0;
    while s >= 1000.0 && i + 1 < UNITS.len() {
        s /= 1000.0;
        i += 1;
    }
    format!("{}{}", format_g3(s), UNITS[i])
}

/// `%.3g` as Go prints it for values below 1000.
fn format_g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Docker's Ellipsis: cut to `max` display columns with a trailing "…".
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if w + cw > max.saturating_sub(1) {
            break;
        }
        out.push(ch);
        w += cw;
    }
    out.push('…');
    out
}

/// Go's strconv.Quote for the COMMAND column.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// --- Go templates (`--format`, `inspect -f`) -------------------------------------------------
//
// The subset of Go's text/template that Docker users write: fields (`.A.B`), `.`, string and
// number literals, pipes, Docker's template functions (json, split, join, title, lower, upper,
// pad, truncate) and Go's print/println/len/index/eq/ne/not/and/or, `if`/`else`/`range`/`with`,
// `{{-`/`-}}` trimming and comments. Errors are worded as Go words them ("template: :1: …").

use serde_json::Value;

/// A template error, already worded as Go prints it ("template: :1: unclosed action").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Pipeline),
    If {
        cond: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        over: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    With {
        value: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone)]
struct Pipeline {
    cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
struct Command {
    args: Vec<Operand>,
}

#[derive(Debug, Clone)]
enum Operand {
    /// `.A.B` (an empty chain is `.`), with its byte offset for error positions.
    Field {
        chain: Vec<String>,
        pos: usize,
    },
    Str(String),
    Num(i64),
    Bool(bool),
    Func {
        name: String,
        pos: usize,
    },
    Sub(Pipeline),
}

const FUNCS: &[&str] = &[
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate", "print", "println",
    "len", "index", "eq", "ne", "not", "and", "or",
];

/// How fields resolve against the data.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    /// A JSON document (`inspect`): a missing key prints `<no value>`.
    Map,
    /// One of Docker's formatter contexts: the fields are fixed and a missing one is an error
    /// naming the Go type; `labels` answers `.Label "key"`.
    Struct {
        go_type: &'a str,
        labels: Option<&'a std::collections::BTreeMap<String, String>>,
    },
    /// The table header: fields are the column titles and Docker's functions pass them through.
    Header,
}

#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Tok {
    Field(Vec<String>, usize),
    Str(String),
    Num(i64),
    Ident(String, usize),
    Pipe,
    Open,
    Close,
}

fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// "line:col" as Go's ErrorContext gives it (col is the byte offset in the line).
fn line_col(src: &str, pos: usize) -> String {
    let before = &src[..pos.min(src.len())];
    let col = match before.rfind('\n') {
        Some(nl) => pos - nl - 1,
        None => pos,
    };
    format!("{}:{}", line_of(src, pos), col)
}

/// How deep parentheses and blocks may nest. Parsing and running recurse per level; Go
/// stops at 10000, which a debug build's stack would not survive, and no real format nests
/// more than a few.
const MAX_DEPTH: usize = 100;

/// The deepest nesting of `(` and of `if`/`range`/`with` blocks in a template's source
/// (approximate: parentheses inside string literals count too).
fn nesting_depth(src: &str) -> usize {
    let (mut parens, mut blocks, mut deepest) = (0usize, 0usize, 0usize);
    let mut rest = src;
    while let Some(open) = rest.find("{{") {
        let action = &rest[open + 2..];
        let end = action.find("}}").unwrap_or(action.len());
        let inner = action[..end].trim_start_matches('-').trim_start();
        for word in ["if ", "range ", "with "] {
            if inner.starts_with(word) {
                blocks += 1;
            }
        }
        if inner.starts_with("end") {
            blocks = blocks.saturating_sub(1);
        }
        for c in action[..end].chars() {
            match c {
                '(' => parens += 1,
                ')' => parens = parens.saturating_sub(1),
                _ => {}
            }
            deepest = deepest.max(parens);
        }
        deepest = deepest.max(blocks);
        rest = &action[end..];
    }
    deepest
}

impl Template {
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let err = |pos: usize, msg: &str| {
            TemplateError(format!("template: :{}: {msg}", line_of(src, pos)))
        };
        if nesting_depth(src) > MAX_DEPTH {
            return Err(err(0, "max expression depth exceeded"));
        }
        // Split into text and action items first.
        enum Item {
            Text(String),
            Action(Vec<Tok>, usize),
        }
        let mut items = Vec::new();
        let mut i = 0;
        let mut trim_next = false;
        while i < src.len() {
            let Some(rel) = src[i..].find("{{") else {
                let mut text = src[i..].to_string();
                if trim_next {
                    text = text.trim_start().to_string();
                }
                items.push(Item::Text(text));
                break;
            };
            let start = i + rel;
            let mut text = src[i..start].to_string();
            if trim_next {
                text = text.trim_start().to_string();
            }
            let mut j = start + 2;
            let bytes = src.as_bytes();
            if src[j..].starts_with("- ")
                || src[j..].starts_with("-\t")
                || src[j..].starts_with("-\n")
            {
                text = text.trim_end().to_string();
                j += 1;
            }
            items.push(Item::Text(text));
            // Comments: {{/* … */}}
            let inner = src[j..].trim_start();
            if inner.starts_with("/*") {
                let Some(end) = src[j..].find("*/") else {
                    return Err(err(start, "unclosed comment"));
                };
                let after = j + end + 2;
                let rest = &src[after..];
                let rest_trim = rest.trim_start();
                let (close, trim) = if let Some(r) = rest_trim.strip_prefix("-}}") {
                    (src.len() - r.len(), true)
                } else if let Some(r) = rest_trim.strip_prefix("}}") {
                    (src.len() - r.len(), false)
                } else {
                    return Err(err(start, "comment ends before closing delimiter"));
                };
                trim_next = trim;
                i = close;
                continue;
            }
            let mut toks = Vec::new();
            let mut k = j;
            let mut closed = None;
            while k < src.len() {
                let c = bytes[k];
                if src[k..].starts_with("}}") {
                    closed = Some((k + 2, false));
                    break;
                }
                if (c == b' ' || c == b'\t' || c == b'\n' || c == b'\r')
                    && src[k..].trim_start().starts_with("-}}")
                {
                    let ws = src[k..].len() - src[k..].trim_start().len();
                    closed = Some((k + ws + 3, true));
                    break;
                }
                match c {
                    b' ' | b'\t' | b'\n' | b'\r' => k += 1,
                    b'|' => {
                        toks.push(Tok::Pipe);
                        k += 1;
                    }
                    b'(' => {
                        toks.push(Tok::Open);
                        k += 1;
                    }
                    b')' => {
                        toks.push(Tok::Close);
                        k += 1;
                    }
                    b'"' => {
                        let mut s = String::new();
                        let mut chars = src[k + 1..].char_indices();
                        let mut end = None;
                        while let Some((off, ch)) = chars.next() {
                            match ch {
                                '"' => {
                                    end = Some(k + 1 + off + 1);
                                    break;
                                }
                                '\\' => match chars.next() {
                                    Some((_, 'n')) => s.push('\n'),
                                    Some((_, 't')) => s.push('\t'),
                                    Some((_, other)) => s.push(other),
                                    None => break,
                                },
                                '\n' => break,
                                ch => s.push(ch),
                            }
                        }
                        let Some(end) = end else {
                            return Err(err(k, "unterminated quoted string"));
                        };
                        toks.push(Tok::Str(s));
                        k = end;
                    }
                    b'`' => {
                        let Some(end) = src[k + 1..].find('`') else {
                            return Err(err(k, "unterminated raw quoted string"));
                        };
                        toks.push(Tok::Str(src[k + 1..k + 1 + end].to_string()));
                        k += end + 2;
                    }
                    b'.' => {
                        let pos = k;
                        let mut chain = Vec::new();
                        while k < src.len() && bytes[k] == b'.' {
                            let name_start = k + 1;
                            let mut e = name_start;
                            while e < src.len()
                                && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_')
                            {
                                e += 1;
                            }
                            if e == name_start {
                                k = e;
                                break;
                            }
                            chain.push(src[name_start..e].to_string());
                            k = e;
                        }
                        toks.push(Tok::Field(chain, pos));
                    }
                    b'-' | b'0'..=b'9' => {
                        let mut e = k + 1;
                        while e < src.len() && bytes[e].is_ascii_digit() {
                            e += 1;
                        }
                        let n = src[k..e]
                            .parse()
                            .map_err(|_| err(k, &format!("bad number syntax: {:?}", &src[k..e])))?;
                        toks.push(Tok::Num(n));
                        k = e;
                    }
                    c if c.is_ascii_alphabetic() || c == b'_' => {
                        let mut e = k;
                        while e < src.len()
                            && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_')
                        {
                            e += 1;
                        }
                        toks.push(Tok::Ident(src[k..e].to_string(), k));
                        k = e;
                    }
                    b'$' => {
                        let mut e = k + 1;
                        while e < src.len()
                            && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_')
                        {
                            e += 1;
                        }
                        return Err(err(k, &format!("undefined variable {:?}", &src[k..e])));
                    }
                    _ => {
                        let ch = src[k..].chars().next().unwrap_or('?');
                        return Err(err(
                            k,
                            &format!(
                                "unexpected bad character U+{:04X} '{ch}' in command",
                                ch as u32
                            ),
                        ));
                    }
                }
            }
            let Some((after, trim)) = closed else {
                return Err(err(start, "unclosed action"));
            };
            items.push(Item::Action(toks, start));
            trim_next = trim;
            i = after;
        }
        if items.is_empty() {
            items.push(Item::Text(String::new()));
        }

        // Build the tree: actions that open/close blocks nest.
        struct Frame {
            kind: &'static str,
            pipe: Option<Pipeline>,
            body: Vec<Node>,
            otherwise: Option<Vec<Node>>,
        }
        let mut stack = vec![Frame {
            kind: "root",
            pipe: None,
            body: Vec::new(),
            otherwise: None,
        }];
        let push = |stack: &mut Vec<Frame>, n: Node| {
            if let Some(top) = stack.last_mut() {
                match &mut top.otherwise {
                    Some(o) => o.push(n),
                    None => top.body.push(n),
                }
            }
        };
        for item in items {
            match item {
                Item::Text(t) => {
                    if !t.is_empty() {
                        push(&mut stack, Node::Text(t));
                    }
                }
                Item::Action(toks, pos) => {
                    let keyword = match toks.first() {
                        Some(Tok::Ident(w, _))
                            if matches!(w.as_str(), "if" | "range" | "with" | "else" | "end") =>
                        {
                            Some(w.clone())
                        }
                        _ => None,
                    };
                    match keyword.as_deref() {
                        Some(kw @ ("if" | "range" | "with")) => {
                            let pipe = parse_pipeline(src, &toks[1..], pos)?;
                            stack.push(Frame {
                                kind: match kw {
                                    "if" => "if",
                                    "range" => "range",
                                    _ => "with",
                                },
                                pipe: Some(pipe),
                                body: Vec::new(),
                                otherwise: None,
                            });
                        }
                        Some("else") => {
                            let top = stack.last_mut().filter(|f| f.kind != "root");
                            match top {
                                Some(f) if f.otherwise.is_none() && toks.len() == 1 => {
                                    f.otherwise = Some(Vec::new())
                                }
                                _ => return Err(err(pos, "unexpected {{else}}")),
                            }
                        }
                        Some(_) => {
                            if toks.len() != 1 || stack.len() == 1 {
                                return Err(err(pos, "unexpected {{end}}"));
                            }
                            let Some(f) = stack.pop() else {
                                return Err(err(pos, "unexpected {{end}}"));
                            };
                            let pipe = f.pipe.unwrap_or(Pipeline { cmds: Vec::new() });
                            let otherwise = f.otherwise.unwrap_or_default();
                            let node = match f.kind {
                                "if" => Node::If {
                                    cond: pipe,
                                    then: f.body,
                                    otherwise,
                                },
                                "range" => Node::Range {
                                    over: pipe,
                                    body: f.body,
                                    otherwise,
                                },
                                _ => Node::With {
                                    value: pipe,
                                    body: f.body,
                                    otherwise,
                                },
                            };
                            push(&mut stack, node);
                        }
                        None => {
                            let pipe = parse_pipeline(src, &toks, pos)?;
                            push(&mut stack, Node::Action(pipe));
                        }
                    }
                }
            }
        }
        if stack.len() > 1 {
            return Err(TemplateError(format!(
                "template: :{}: unexpected EOF",
                line_of(src, src.len())
            )));
        }
        let nodes = stack.pop().map(|f| f.body).unwrap_or_default();
        Ok(Template {
            src: src.to_string(),
            nodes,
        })
    }

    /// Render against `data`. On an execution error, the text produced so far is returned with
    /// the error (Docker prints a table header's partial text).
    pub fn execute(&self, data: &Value, scope: Scope) -> Result<String, (String, TemplateError)> {
        let mut out = String::new();
        let ex = Exec {
            src: &self.src,
            scope,
            root: data,
        };
        match ex.nodes(&self.nodes, data, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => Err((out, e)),
        }
    }

    /// Whether the template reads the field `name` anywhere (Docker turns on `--size` for `.Size`,
    /// and for `{{json .}}`, which reads every field).
    pub fn uses_field(&self, name: &str) -> bool {
        fn in_pipe(p: &Pipeline, name: &str) -> bool {
            p.cmds.iter().any(|c| {
                c.args.iter().any(|a| match a {
                    // `.` itself (as in `{{json .}}`) reads every field.
                    Operand::Field { chain, .. } => chain.first().is_none_or(|f| f == name),
                    Operand::Sub(p) => in_pipe(p, name),
                    _ => false,
                })
            })
        }
        fn in_nodes(nodes: &[Node], name: &str) -> bool {
            nodes.iter().any(|n| match n {
                Node::Text(_) => false,
                Node::Action(p) => in_pipe(p, name),
                Node::If {
                    cond: p,
                    then: a,
                    otherwise: b,
                }
                | Node::Range {
                    over: p,
                    body: a,
                    otherwise: b,
                }
                | Node::With {
                    value: p,
                    body: a,
                    otherwise: b,
                } => in_pipe(p, name) || in_nodes(a, name) || in_nodes(b, name),
            })
        }
        in_nodes(&self.nodes, name)
    }
}

fn parse_pipeline(src: &str, toks: &[Tok], pos: usize) -> Result<Pipeline, TemplateError> {
    let err = |msg: &str| TemplateError(format!("template: :{}: {msg}", line_of(src, pos)));
    let mut cmds = Vec::new();
    let mut args = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Pipe => {
                if args.is_empty() {
                    return Err(err("missing value for command"));
                }
                cmds.push(Command {
                    args: std::mem::take(&mut args),
                });
            }
            Tok::Open => {
                let mut depth = 1;
                let mut j = i + 1;
                while j < toks.len() {
                    match toks[j] {
                        Tok::Open => depth += 1,
                        Tok::Close => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if depth != 0 {
                    return Err(err("unclosed left paren"));
                }
                args.push(Operand::Sub(parse_pipeline(src, &toks[i + 1..j], pos)?));
                i = j;
            }
            Tok::Close => return Err(err("unexpected right paren")),
            Tok::Field(chain, p) => args.push(Operand::Field {
                chain: chain.clone(),
                pos: *p,
            }),
            Tok::Str(s) => args.push(Operand::Str(s.clone())),
            Tok::Num(n) => args.push(Operand::Num(*n)),
            Tok::Ident(w, p) => match w.as_str() {
                "true" => args.push(Operand::Bool(true)),
                "false" => args.push(Operand::Bool(false)),
                "nil" => return Err(err("nil is not a command")),
                name if FUNCS.contains(&name) => args.push(Operand::Func {
                    name: name.to_string(),
                    pos: *p,
                }),
                name => return Err(err(&format!("function {name:?} not defined"))),
            },
        }
        i += 1;
    }
    if args.is_empty() {
        return Err(err("missing value for command"));
    }
    cmds.push(Command { args });
    Ok(Pipeline { cmds })
}

struct Exec<'a> {
    src: &'a str,
    scope: Scope<'a>,
    root: &'a Value,
}

/// Go's `%v` of a value.
pub fn go_print(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<no value>".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_print(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// Go's strings.Title: upper-case the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for ch in s.chars() {
        if !prev_letter && ch.is_alphabetic() {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
        prev_letter = ch.is_alphanumeric() || ch == '_' || ch == '\'';
    }
    out
}

impl Exec<'_> {
    fn fail(&self, pos: usize, at: &str, msg: &str) -> TemplateError {
        TemplateError(format!(
            "template: :{}: executing \"\" at <{at}>: {msg}",
            line_col(self.src, pos)
        ))
    }

    fn nodes(&self, nodes: &[Node], dot: &Value, out: &mut String) -> Result<(), TemplateError> {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipeline(p, dot)?;
                    out.push_str(&go_print(&v));
                }
                Node::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    if truthy(&self.pipeline(cond, dot)?) {
                        self.nodes(then, dot, out)?;
                    } else {
                        self.nodes(otherwise, dot, out)?;
                    }
                }
                Node::With {
                    value,
                    body,
                    otherwise,
                } => {
                    let v = self.pipeline(value, dot)?;
                    if truthy(&v) {
                        self.nodes(body, &v, out)?;
                    } else {
                        self.nodes(otherwise, dot, out)?;
                    }
                }
                Node::Range {
                    over,
                    body,
                    otherwise,
                } => {
                    let v = self.pipeline(over, dot)?;
                    let items: Vec<Value> = match v {
                        Value::Array(a) => a,
                        Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                        Value::Null => Vec::new(),
                        Value::Number(n) => (0..n.as_i64().unwrap_or(0).max(0))
                            .map(Value::from)
                            .collect(),
                        other => {
                            return Err(TemplateError(format!(
                                "template: :1: range can't iterate over {}",
                                go_print(&other)
                            )));
                        }
                    };
                    if items.is_empty() {
                        self.nodes(otherwise, dot, out)?;
                    }
                    for item in &items {
                        self.nodes(body, item, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&self, p: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let mut last: Option<Value> = None;
        for c in &p.cmds {
            last = Some(self.command(c, dot, last.take())?);
        }
        Ok(last.unwrap_or(Value::Null))
    }

    fn field(
        &self,
        chain: &[String],
        pos: usize,
        dot: &Value,
        args: Vec<Value>,
    ) -> Result<Value, TemplateError> {
        let at = format!(".{}", chain.join("."));
        let mut cur = dot.clone();
        for (i, name) in chain.iter().enumerate() {
            let last = i + 1 == chain.len();
            cur = match (&self.scope, &cur) {
                (Scope::Struct { labels, .. }, _)
                    if name == "Label" && i == 0 && std::ptr::eq(dot, self.root) =>
                {
                    let [key] = args.as_slice() else {
                        return Err(self.fail(
                            pos,
                            &at,
                            &format!("wrong number of args for Label: want 1 got {}", args.len()),
                        ));
                    };
                    let key = go_print(key);
                    return Ok(Value::String(
                        labels
                            .and_then(|l| l.get(&key).cloned())
                            .unwrap_or_default(),
                    ));
                }
                (Scope::Struct { go_type, .. }, Value::Object(m))
                    if i == 0 && std::ptr::eq(dot, self.root) =>
                {
                    match m.get(name) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(self.fail(
                                pos,
                                &at,
                                &format!("can't evaluate field {name} in type {go_type}"),
                            ));
                        }
                    }
                }
                (Scope::Struct { .. }, Value::String(_)) => {
                    return Err(self.fail(
                        pos,
                        &at,
                        &format!("can't evaluate field {name} in type string"),
                    ));
                }
                (_, Value::Object(m)) => m.get(name).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            };
            if last && !args.is_empty() {
                return Err(self.fail(
                    pos,
                    &at,
                    &format!("{name} has arguments but cannot be invoked as function"),
                ));
            }
        }
        Ok(cur)
    }

    fn operand(&self, o: &Operand, dot: &Value) -> Result<Value, TemplateError> {
        match o {
            Operand::Field { chain, pos } => self.field(chain, *pos, dot, Vec::new()),
            Operand::Str(s) => Ok(Value::String(s.clone())),
            Operand::Num(n) => Ok(Value::from(*n)),
            Operand::Bool(b) => Ok(Value::Bool(*b)),
            Operand::Sub(p) => self.pipeline(p, dot),
            Operand::Func { name, pos } => self.call(name, *pos, Vec::new()),
        }
    }

    fn command(
        &self,
        c: &Command,
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let (head, rest) = match c.args.split_first() {
            Some(x) => x,
            None => return Ok(Value::Null),
        };
        let mut args = Vec::new();
        for a in rest {
            args.push(self.operand(a, dot)?);
        }
        args.extend(piped);
        match head {
            Operand::Func { name, pos } => self.call(name, *pos, args),
            Operand::Field { chain, pos } => self.field(chain, *pos, dot, args),
            other => {
                if !args.is_empty() {
                    return Err(TemplateError(format!(
                        "template: :1: can't give argument to non-function {}",
                        go_print(&self.operand(other, dot)?)
                    )));
                }
                self.operand(other, dot)
            }
        }
    }

    fn call(&self, name: &str, pos: usize, args: Vec<Value>) -> Result<Value, TemplateError> {
        let want = |n: usize| -> Result<(), TemplateError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(self.fail(
                    pos,
                    name,
                    &format!(
                        "wrong number of args for {name}: want {n} got {}",
                        args.len()
                    ),
                ))
            }
        };
        let header_passthrough = matches!(self.scope, Scope::Header)
            && matches!(
                name,
                "json" | "split" | "join" | "title" | "lower" | "upper" | "truncate" | "pad"
            );
        if header_passthrough {
            return Ok(args.into_iter().next().unwrap_or(Value::Null));
        }
        let s = |i: usize| args.get(i).map(go_print).unwrap_or_default();
        let n = |i: usize| args.get(i).and_then(Value::as_i64).unwrap_or(0);
        Ok(match name {
            "json" => {
                want(1)?;
                Value::String(serde_json::to_string(&args[0]).unwrap_or_default())
            }
            "split" => {
                want(2)?;
                let sep = s(1);
                let text = s(0);
                let parts: Vec<Value> = if sep.is_empty() {
                    text.chars().map(|c| Value::String(c.to_string())).collect()
                } else {
                    text.split(sep.as_str())
                        .map(|p| Value::String(p.to_string()))
                        .collect()
                };
                Value::Array(parts)
            }
            "join" => {
                want(2)?;
                let items: Vec<String> = match &args[0] {
                    Value::Array(a) => a.iter().map(go_print).collect(),
                    other => vec![go_print(other)],
                };
                Value::String(items.join(&s(1)))
            }
            "title" => {
                want(1)?;
                Value::String(title(&s(0)))
            }
            "lower" => {
                want(1)?;
                Value::String(s(0).to_lowercase())
            }
            "upper" => {
                want(1)?;
                Value::String(s(0).to_uppercase())
            }
            "pad" => {
                want(3)?;
                let before = " ".repeat(n(1).max(0) as usize);
                let after = " ".repeat(n(2).max(0) as usize);
                Value::String(format!("{before}{}{after}", s(0)))
            }
            "truncate" => {
                want(2)?;
                let text = s(0);
                let len = n(1).max(0) as usize;
                if text.len() < len {
                    Value::String(text)
                } else {
                    let mut cut = len;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    Value::String(text[..cut].to_string())
                }
            }
            "print" | "println" => {
                // Go's Sprint adds spaces between operands when neither is a string.
                let mut out = String::new();
                for (i, a) in args.iter().enumerate() {
                    let spaced =
                        name == "println" || (i > 0 && !args[i - 1].is_string() && !a.is_string());
                    if i > 0 && spaced {
                        out.push(' ');
                    }
                    out.push_str(&go_print(a));
                }
                if name == "println" {
                    out.push('\n');
                }
                Value::String(out)
            }
            "len" => {
                want(1)?;
                let len = match &args[0] {
                    Value::String(s) => s.len(),
                    Value::Array(a) => a.len(),
                    Value::Object(m) => m.len(),
                    other => {
                        return Err(self.fail(
                            pos,
                            name,
                            &format!(
                                "error calling len: len of type {}",
                                if other.is_null() { "<nil>" } else { "value" }
                            ),
                        ));
                    }
                };
                Value::from(len)
            }
            "index" => {
                let mut cur = args.first().cloned().unwrap_or(Value::Null);
                for k in args.iter().skip(1) {
                    cur = match (&cur, k) {
                        (Value::Array(a), Value::Number(i)) => i
                            .as_u64()
                            .and_then(|i| a.get(i as usize).cloned())
                            .ok_or_else(|| {
                                self.fail(pos, name, "error calling index: index out of range")
                            })?,
                        (Value::Object(m), key) => {
                            m.get(&go_print(key)).cloned().unwrap_or(Value::Null)
                        }
                        _ => {
                            return Err(self.fail(
                                pos,
                                name,
                                "error calling index: can't index item",
                            ));
                        }
                    };
                }
                cur
            }
            "eq" | "ne" => {
                if args.len() < 2 {
                    return Err(self.fail(
                        pos,
                        name,
                        &format!(
                            "wrong number of args for {name}: want at least 2 got {}",
                            args.len()
                        ),
                    ));
                }
                let eq = args[1..].iter().any(|b| *b == args[0]);
                Value::Bool(if name == "eq" { eq } else { !eq })
            }
            "not" => {
                want(1)?;
                Value::Bool(!truthy(&args[0]))
            }
            "and" => args
                .iter()
                .find(|a| !truthy(a))
                .or(args.last())
                .cloned()
                .unwrap_or(Value::Null),
            "or" => args
                .iter()
                .find(|a| truthy(a))
                .or(args.last())
                .cloned()
                .unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }
}

/// Go's text/tabwriter as Docker configures it (minwidth 10, padding 3, spaces): cells are
/// tab-terminated, the text after a line's last tab is not aligned, and a column's width is
/// set per block of consecutive lines that have that column. Widths are display columns.
pub fn tabwriter(text: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::new();
    let mut widths = Vec::new();
    tab_format(&lines, 0, lines.len(), &mut widths, &mut out);
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn tab_format(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        tab_write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = 10;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].width() + 3);
            this += 1;
        }
        widths.push(width);
        tab_format(lines, line0, this, widths, out);
        widths.pop();
        line0 = this;
    }
    tab_write_lines(lines, line0, line1, widths, out);
}

fn tab_write_lines(
    lines: &[Vec<&str>],
    line0: usize,
    line1: usize,
    widths: &[usize],
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < line.len()
                && let Some(w) = widths.get(j)
            {
                out.push_str(&" ".repeat(w.saturating_sub(cell.width())));
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

/// How a listing prints: Docker's default table, a custom template (optionally as a table), or
/// one JSON object per line.
pub enum Listing {
    Default,
    Custom { template: Template, table: bool },
}

impl Listing {
    /// Docker's `--format` value: "table" alone is the default table, "table …" a custom table,
    /// "json" one object per line; `\t` and `\n` typed literally become tab and newline.
    pub fn parse(format: Option<&str>) -> Result<Listing, TemplateError> {
        let Some(f) = format.filter(|f| !f.is_empty()) else {
            return Ok(Listing::Default);
        };
        let table = f.starts_with("table");
        let body = if table {
            f["table".len()..].trim_matches(' ')
        } else if f == "json" {
            "{{json .}}"
        } else {
            f.trim_matches(' ')
        };
        if table && body.is_empty() {
            return Ok(Listing::Default);
        }
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        Ok(Listing::Custom {
            template: Template::parse(&body)?,
            table,
        })
    }

    /// Render rows (each a JSON object of the context's fields) as Docker would.
    pub fn render(
        template: &Template,
        table: bool,
        rows: &[(Value, Scope)],
        headers: &Value,
    ) -> Result<String, TemplateError> {
        let mut body = String::new();
        for (row, scope) in rows {
            body.push_str(&template.execute(row, *scope).map_err(|(_, e)| e)?);
            body.push('\n');
        }
        if !table {
            return Ok(body);
        }
        // Docker ignores a header error and keeps what was written before it.
        let header = match template.execute(headers, Scope::Header) {
            Ok(h) => h,
            Err((partial, _)) => partial,
        };
        Ok(tabwriter(&format!("{header}\n{body}")))
    }
}

/// Go's time.Time.String() for a Unix time in seconds, in the local zone:
/// "2024-05-01 09:30:00 +0900 KST".
pub fn go_time(millis: u64) -> String {
    let secs = (millis / 1000) as libc::time_t;
    // SAFETY: an all-zero tm is valid (tm_zone null); localtime_r only writes the tm we pass.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if !ok {
        return chrono::DateTime::from_timestamp(secs as i64, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string())
            .unwrap_or_default();
    }
    let off = tm.tm_gmtoff;
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points at a NUL-terminated static string owned by libc.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .to_string()
    };
    let sign = if off < 0 { '-' } else { '+' };
    let abs = off.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02} {zone}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        abs / 3600,
        abs / 60 % 60
    )
}

// --- --filter ----------------------------------------------------------------------------------

/// Parsed `-f key=value` flags: values per key, in the order given.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filters(pub std::collections::BTreeMap<String, Vec<String>>);

/// Why a filter set was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterError {
    /// `-f foo` without `=` (a flag error in Docker).
    BadFormat(String),
    /// A key Docker does not know for this command.
    Invalid(String),
    /// A key Docker knows that gorae does not implement.
    Unsupported(String),
}

impl Filters {
    /// Docker's FilterOpt: trim, require `=`, lower-case the key. `known` are the keys gorae
    /// implements, `docker_only` the ones Docker accepts that gorae does not.
    pub fn parse(
        raw: &[String],
        known: &[&str],
        docker_only: &[&str],
    ) -> Result<Filters, FilterError> {
        let mut f = Filters::default();
        for r in raw {
            let r = r.trim();
            let Some((k, v)) = r.split_once('=') else {
                return Err(FilterError::BadFormat(r.to_string()));
            };
            let k = k.trim().to_lowercase();
            f.0.entry(k).or_default().push(v.trim().to_string());
        }
        for k in f.0.keys() {
            if docker_only.contains(&k.as_str()) {
                return Err(FilterError::Unsupported(k.clone()));
            }
            if !known.contains(&k.as_str()) {
                return Err(FilterError::Invalid(k.clone()));
            }
        }
        Ok(f)
    }

    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Docker's Match: no values passes; otherwise any value matching as a regular expression.
    pub fn matches_regex(&self, key: &str, source: &str) -> bool {
        let vals = self.get(key);
        vals.is_empty() || vals.iter().any(|p| regex_find(p, source))
    }

    /// Docker's MatchKVList for labels: every `k` or `k=v` must hold (labels AND).
    pub fn matches_labels(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.get("label")
            .iter()
            .all(|want| match want.split_once('=') {
                Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
                None => labels.contains_key(want.as_str()),
            })
    }
}

/// Unanchored search with the common regular-expression operators (`^ $ . * + ?`, classes
/// `[a-z]`, `\` escapes), which is what `name=`/`id=` filters are matched with. Matched with a
/// table over (pattern atom, text position), so no pattern takes more than their product in
/// time (a backtracking matcher takes exponential time on `a*a*a*…b`) and none recurses.
pub fn regex_find(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (anchored, body) = match p.split_first() {
        Some(('^', rest)) => (true, rest),
        _ => (false, &p[..]),
    };
    // Atoms with their quantifier; a final `$` anchors the end.
    let mut atoms: Vec<(&[char], Option<char>)> = Vec::new();
    let mut at_end = false;
    let mut i = 0;
    while i < body.len() {
        if body[i] == '$' && i + 1 == body.len() {
            at_end = true;
            break;
        }
        let (len, _) = re_atom(&body[i..], None);
        let len = len.max(1).min(body.len() - i);
        let atom = &body[i..i + len];
        i += len;
        let quant = match body.get(i) {
            Some(q @ ('*' | '+' | '?')) => {
                i += 1;
                Some(*q)
            }
            _ => None,
        };
        atoms.push((atom, quant));
    }
    // row[j] for atoms[k..]: they match t[j..] (to its end when anchored by `$`); built from
    // the last atom back, one row from the next.
    let width = t.len() + 1;
    let mut next: Vec<bool> = (0..width).map(|j| !at_end || j == t.len()).collect();
    let mut row = vec![false; width];
    for &(atom, quant) in atoms.iter().rev() {
        for j in (0..width).rev() {
            let here = j < t.len() && re_atom(atom, Some(t[j])).1;
            let after = |v: &[bool]| v.get(j + 1).copied().unwrap_or(false);
            row[j] = match quant {
                None => here && after(&next),
                Some('?') => next[j] || (here && after(&next)),
                Some('*') => next[j] || (here && after(&row)),
                _ => here && (after(&next) || after(&row)),
            };
        }
        std::mem::swap(&mut row, &mut next);
    }
    if anchored {
        next[0]
    } else {
        next.iter().any(|m| *m)
    }
}

/// One regex atom: its length in the pattern and whether it matches `c`.
fn re_atom(p: &[char], c: Option<char>) -> (usize, bool) {
    match p.first() {
        Some('\\') => (2, p.get(1).is_some_and(|e| Some(*e) == c)),
        Some('.') => (1, c.is_some()),
        Some('[') => {
            let Some(end) = p.iter().skip(2).position(|x| *x == ']').map(|e| e + 2) else {
                return (1, c == Some('['));
            };
            let Some(c) = c else {
                return (end + 1, false);
            };
            let (neg, set) = match p.get(1) {
                Some('^') => (true, &p[2..end]),
                _ => (false, &p[1..end]),
            };
            (end + 1, class_has(set, c) != neg)
        }
        Some(x) => (1, Some(*x) == c),
        None => (0, false),
    }
}

/// Whether a bracket class's inside (`a-z0-9_`) has `c`.
fn class_has(set: &[char], c: char) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if set[i] <= c && c <= set[i + 2] {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

/// Go's path.ErrBadPattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Go's path.Match (reference filters: `bus*:lat*`). `*` and `?` do not cross `/`.
/// Err for a malformed pattern, as Go returns ErrBadPattern. Matched with a table, like
/// [`regex_find`], so `*a*a*a*…` cannot take exponential time.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    enum Tok<'a> {
        Star,
        One,
        Class(bool, &'a [char]),
        Lit(char),
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                toks.push(Tok::Star);
                i += 1;
            }
            '?' => {
                toks.push(Tok::One);
                i += 1;
            }
            '[' => {
                let end = p[i + 1..]
                    .iter()
                    .position(|x| *x == ']')
                    .ok_or(BadPattern)?
                    + i
                    + 1;
                let (neg, set) = match p.get(i + 1) {
                    Some('^') => (true, &p[i + 2..end]),
                    _ => (false, &p[i + 1..end]),
                };
                if set.is_empty() {
                    return Err(BadPattern);
                }
                toks.push(Tok::Class(neg, set));
                i = end + 1;
            }
            '\\' => {
                toks.push(Tok::Lit(*p.get(i + 1).ok_or(BadPattern)?));
                i += 2;
            }
            c => {
                toks.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    // row[j] for toks[k..]: they match n[j..] entirely; one row from the next, as above.
    let width = n.len() + 1;
    let mut next: Vec<bool> = (0..width).map(|j| j == n.len()).collect();
    let mut row = vec![false; width];
    for tok in toks.iter().rev() {
        for j in (0..width).rev() {
            let c = n.get(j).copied().filter(|c| *c != '/');
            let after = |v: &[bool]| v.get(j + 1).copied().unwrap_or(false);
            row[j] = match *tok {
                Tok::Star => next[j] || (c.is_some() && after(&row)),
                Tok::One => c.is_some() && after(&next),
                Tok::Class(neg, set) => c.is_some_and(|c| class_has(set, c) != neg) && after(&next),
                Tok::Lit(l) => n.get(j) == Some(&l) && after(&next),
            };
        }
        std::mem::swap(&mut row, &mut next);
    }
    Ok(next[0])
}

/// A refused `--filter` as Docker words it: a flag error (125) for a missing `=`, a daemon
/// error (1) for an unknown key.
pub fn filter_failure(e: FilterError, cmd: &str, supported: &[&str]) -> super::Failure {
    use crate::i18n::t;
    match e {
        FilterError::BadFormat(v) => super::Failure::new(
            t(
                "err-usage",
                &[
                    ("detail", &t("listing.bad-filter", &[("value", &v)])),
                    ("cmd", cmd),
                ],
            ),
            125,
        ),
        FilterError::Invalid(k) => daemon_failure(&t("listing.invalid-filter", &[("filter", &k)])),
        FilterError::Unsupported(k) => super::Failure::new(
            t(
                "listing.unsupported-filter",
                &[("filter", &k), ("list", &supported.join(", "))],
            ),
            1,
        ),
    }
}

/// "Error response from daemon: …" (exit 1).
pub fn daemon_failure(msg: &str) -> super::Failure {
    super::Failure::new(format!("{}{msg}", crate::i18n::t("err-daemon", &[])), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(4_261_550), "4.26MB");
        assert_eq!(human_size(116_543_000), "117MB");
        assert_eq!(human_size(1_200), "1.2kB");
        assert_eq!(human_size(999), "999B");
    }

    #[test]
    fn durations_match_docker() {
        assert_eq!(human_duration(300), "Less than a second");
        assert_eq!(human_duration(1_000), "1 second");
        assert_eq!(human_duration(42_000), "42 seconds");
        assert_eq!(human_duration(61_000), "About a minute");
        assert_eq!(human_duration(5 * 60_000), "5 minutes");
        assert_eq!(human_duration(3 * 3_600_000), "3 hours");
        assert_eq!(human_duration(3 * 86_400_000), "3 days");
    }

    #[test]
    fn tables_pad_like_tabwriter() {
        let t = table(&[
            vec!["CONTAINER ID".into(), "IMAGE".into(), "NAMES".into()],
            vec!["0123456789ab".into(), "busybox".into(), "x".into()],
        ]);
        assert_eq!(
            t,
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   busybox   x\n"
        );
    }

    #[test]
    fn ellipsis_counts_display_columns() {
        assert_eq!(
            ellipsis("docker-entrypoint.sh redis-server", 20),
            "docker-entrypoint.s…"
        );
        assert_eq!(ellipsis("sh", 20), "sh");
        assert_eq!(ellipsis("한글한글한글", 7), "한글한…");
    }

    fn row() -> serde_json::Value {
        serde_json::json!({"ID": "0123456789ab", "Names": "web", "Image": "busybox", "Status": "Up 2 seconds", "Ports": ""})
    }

    fn ps_scope() -> Scope<'static> {
        Scope::Struct {
            go_type: "*formatter.ContainerContext",
            labels: None,
        }
    }

    fn run(tpl: &str) -> Result<String, TemplateError> {
        Template::parse(tpl)?
            .execute(&row(), ps_scope())
            .map_err(|(_, e)| e)
    }

    #[test]
    fn templates_render_fields_functions_and_pipes() {
        assert_eq!(run("{{.ID}}: {{.Names}}").unwrap(), "0123456789ab: web");
        assert_eq!(run("{{upper .Names}}").unwrap(), "WEB");
        assert_eq!(run("{{.Names | upper}}").unwrap(), "WEB");
        assert_eq!(run("{{json .Names}}").unwrap(), "\"web\"");
        assert_eq!(
            run("{{join (split .Image \"b\") \"-\"}}").unwrap(),
            "-usy-ox"
        );
        assert_eq!(run("{{truncate .ID 4}}").unwrap(), "0123");
        assert_eq!(run("[{{pad .Names 1 2}}]").unwrap(), "[ web  ]");
        assert_eq!(run("{{title \"hello world\"}}").unwrap(), "Hello World");
        assert_eq!(run("{{if .Ports}}p{{else}}none{{end}}").unwrap(), "none");
        assert_eq!(run("a  {{- .Names -}}  b").unwrap(), "awebb");
        assert_eq!(run("{{/* note */}}x").unwrap(), "x");
        assert_eq!(run("{{println .Names}}").unwrap(), "web\n");
        assert_eq!(
            run("{{json .}}").unwrap(),
            r#"{"ID":"0123456789ab","Image":"busybox","Names":"web","Ports":"","Status":"Up 2 seconds"}"#
        );
        let labels: std::collections::BTreeMap<String, String> =
            [("tier".to_string(), "db".to_string())].into();
        let scope = Scope::Struct {
            go_type: "*formatter.ContainerContext",
            labels: Some(&labels),
        };
        let t = Template::parse("{{.Label \"tier\"}}/{{.Label \"nope\"}}/").unwrap();
        assert_eq!(t.execute(&row(), scope).unwrap(), "db//");
        assert!(Template::parse("{{.Size}}").unwrap().uses_field("Size"));
        assert!(!Template::parse("{{.Names}}").unwrap().uses_field("Size"));
        assert!(Template::parse("{{json .}}").unwrap().uses_field("Size"));
    }

    #[test]
    fn template_errors_are_worded_like_go() {
        assert_eq!(run("{{.ID").unwrap_err().0, "template: :1: unclosed action");
        assert_eq!(
            run("{{foo .ID}}").unwrap_err().0,
            "template: :1: function \"foo\" not defined"
        );
        assert_eq!(
            run("{{}}").unwrap_err().0,
            "template: :1: missing value for command"
        );
        assert_eq!(
            run("{{.Nope}}").unwrap_err().0,
            "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext"
        );
        assert_eq!(
            run("x\n {{.Names}} {{.Foo.Bar}}").unwrap_err().0,
            "template: :2:14: executing \"\" at <.Foo.Bar>: can't evaluate field Foo in type *formatter.ContainerContext"
        );
        assert_eq!(
            run("{{upper}}").unwrap_err().0,
            "template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 0"
        );
        assert_eq!(
            run("{{if .ID}}x").unwrap_err().0,
            "template: :1: unexpected EOF"
        );
        assert_eq!(
            run("{{end}}").unwrap_err().0,
            "template: :1: unexpected {{end}}"
        );
    }

    #[test]
    fn listing_formats_follow_docker() {
        assert!(matches!(Listing::parse(None), Ok(Listing::Default)));
        assert!(matches!(
            Listing::parse(Some("table")),
            Ok(Listing::Default)
        ));
        let headers = serde_json::json!({"ID": "CONTAINER ID", "Names": "NAMES", "Ports": "PORTS"});
        let Ok(Listing::Custom { template, table }) =
            Listing::parse(Some("table {{.ID}}\\t{{.Names}}"))
        else {
            panic!("custom table");
        };
        assert!(table);
        let rows = vec![(row(), ps_scope())];
        assert_eq!(
            Listing::render(&template, table, &rows, &headers).unwrap(),
            "CONTAINER ID   NAMES\n0123456789ab   web\n"
        );
        // An empty last column keeps tabwriter's padding, as Docker prints it.
        let Ok(Listing::Custom { template, table }) =
            Listing::parse(Some("table {{.Names}}\t{{.Ports}}"))
        else {
            panic!("custom table");
        };
        assert_eq!(
            Listing::render(&template, table, &rows, &headers).unwrap(),
            "NAMES     PORTS\nweb       \n"
        );
        let Ok(Listing::Custom { template, table }) = Listing::parse(Some("json")) else {
            panic!("json");
        };
        assert!(!table);
        let out = Listing::render(&template, table, &rows, &headers).unwrap();
        assert!(
            out.starts_with("{\"ID\":\"0123456789ab\"") && out.ends_with("}\n"),
            "{out}"
        );
    }

    #[test]
    fn tabwriter_aligns_per_column_block() {
        assert_eq!(
            tabwriter("a\tb\tc\nlonger-than-ten\tx\ty\n"),
            "a                 b         c\nlonger-than-ten   x         y\n"
        );
        // A line without the column ends the block: widths restart after it.
        assert_eq!(
            tabwriter("aaaaaaaaaaaaaaa\tx\nno-tabs\nb\ty\n"),
            "aaaaaaaaaaaaaaa   x\nno-tabs\nb         y\n"
        );
        assert_eq!(tabwriter("한글\tx\n"), "한글      x\n");
    }

    #[test]
    fn filters_parse_and_match_like_docker() {
        let f = |v: &[&str]| {
            Filters::parse(
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &["name", "label", "status"],
                &["network"],
            )
        };
        assert_eq!(f(&["foo"]), Err(FilterError::BadFormat("foo".into())));
        assert_eq!(f(&["foo=1"]), Err(FilterError::Invalid("foo".into())));
        assert_eq!(
            f(&["network=x"]),
            Err(FilterError::Unsupported("network".into()))
        );
        let ok = f(&[" Name=web ", "name=db", "label=a", "label=b=2"]).unwrap();
        assert_eq!(ok.get("name"), ["web".to_string(), "db".to_string()]);
        assert!(ok.matches_regex("name", "/my-db"));
        assert!(!ok.matches_regex("name", "/cache"));
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("a".to_string(), "x".to_string());
        assert!(!ok.matches_labels(&labels), "labels AND: b=2 missing");
        labels.insert("b".to_string(), "2".to_string());
        assert!(ok.matches_labels(&labels));
    }

    #[test]
    fn regexes_and_globs() {
        assert!(regex_find("web", "/my-web-1"));
        assert!(regex_find("^/web$", "/web"));
        assert!(!regex_find("^/web$", "/web2"));
        assert!(regex_find("w.b-[0-9]+", "/web-12"));
        assert!(!regex_find("^/a", "/ba"));
        assert_eq!(path_match("bus*:lat*", "busybox:latest"), Ok(true));
        assert_eq!(path_match("busybox", "busybox"), Ok(true));
        assert_eq!(path_match("bus*", "busybox:latest"), Ok(true));
        assert_eq!(path_match("*", "library/busybox"), Ok(false));
        assert_eq!(path_match("deb?an", "debian"), Ok(true));
        assert_eq!(path_match("[", "x"), Err(BadPattern));
        assert_eq!(path_match("[]", "x"), Err(BadPattern));
        assert_eq!(path_match("a\\", "a"), Err(BadPattern));
        assert_eq!(path_match("[^a-c]ebian", "debian"), Ok(true));
        assert_eq!(path_match("\\*", "*"), Ok(true));
        assert!(regex_find("web-?1$", "/web1"));
        assert!(regex_find("x*", ""));
        assert!(!regex_find("^a+$", ""));
        assert!(regex_find("[^0-9]+", "/ab"));
        assert!(regex_find("a\\.b", "/a.b"));
        assert!(!regex_find("a\\.b", "/axb"));
    }

    #[test]
    fn deeply_nested_templates_are_refused_not_a_stack_overflow() {
        let parens = format!("{{{{{}.ID{}}}}}", "(".repeat(20_000), ")".repeat(20_000));
        assert_eq!(
            Template::parse(&parens).err().map(|e| e.0),
            Some("template: :1: max expression depth exceeded".into())
        );
        let blocks = format!("{}x{}", "{{if .ID}}".repeat(5_000), "{{end}}".repeat(5_000));
        assert!(Template::parse(&blocks).is_err());
        // Ordinary nesting is fine.
        let ok = format!("{}x{}", "{{if .ID}}".repeat(10), "{{end}}".repeat(10));
        assert!(Template::parse(&ok).is_ok());
        assert!(Template::parse("{{json (upper (lower .Names))}}").is_ok());
    }

    #[test]
    fn patterns_that_backtrack_forever_elsewhere_are_quick_and_shallow() {
        // Exponential for a backtracking matcher; a table makes them pattern × text.
        let text = "a".repeat(60);
        assert!(!regex_find(&format!("{}b", "a*".repeat(30)), &text));
        assert_eq!(
            path_match(&format!("{}b", "*a".repeat(30)), &text),
            Ok(false)
        );
        // Long enough to overflow the stack if matched by recursion (an argument can be
        // 128 KiB); a name that long takes memory for one row of the table, not a square.
        let long = "a".repeat(100_000);
        assert!(!regex_find(&long, "/aaa"));
        assert!(regex_find("a+$", &format!("/{long}")));
        assert_eq!(path_match(&format!("{long}*"), "aa"), Ok(false));
        assert_eq!(path_match("a*", &long), Ok(true));
    }

    #[test]
    fn go_time_prints_like_go() {
        let s = go_time(1_700_000_000_000);
        // "2023-11-14 22:13:20 +0000 UTC" in UTC; the shape holds in any zone.
        let parts: Vec<&str> = s.split(' ').collect();
        assert_eq!(parts.len(), 4, "{s}");
        assert_eq!(parts[0].len(), 10);
        assert_eq!(parts[1].len(), 8);
        assert!(
            parts[2].starts_with('+') || parts[2].starts_with('-'),
            "{s}"
        );
    }
}
