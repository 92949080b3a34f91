//! The lexer: a template's source split into text and actions, each action into tokens.
//! Also where errors get their Go position ("template: :LINE: …", "LINE:COL").

use crate::TemplateError;

#[derive(Debug)]
pub(crate) enum Tok {
    Field(Vec<String>, usize),
    Str(String),
    Num(i64),
    Ident(String, usize),
    /// `$name` (`$` alone: the data), with a field chain after it (`$v.Name`).
    Var(String, Vec<String>, usize),
    /// `:=`
    Declare,
    /// `,` between the two variables of a range
    Comma,
    Pipe,
    Open,
    /// `)`, with the offset just after it (a field chain may follow at once: `(…).Name`).
    Close(usize),
}

/// A piece of the source: text to print, or an action's tokens with the action's offset.
pub(crate) enum Item {
    Text(String),
    Action(Vec<Tok>, usize),
}

pub(crate) fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// "line:col" as Go's ErrorContext gives it (col is the byte offset in the line).
pub(crate) fn line_col(src: &str, pos: usize) -> String {
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
pub(crate) const MAX_DEPTH: usize = 100;

/// The deepest nesting of `(` and of `if`/`range`/`with` blocks in a template's source
/// (approximate: parentheses inside string literals count too).
pub(crate) fn nesting_depth(src: &str) -> usize {
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

/// "template: :LINE: msg" for an error at byte `pos`.
pub(crate) fn error_at(src: &str, pos: usize, msg: &str) -> TemplateError {
    TemplateError(format!("template: :{}: {msg}", line_of(src, pos)))
}

/// The field names of `.A.B` starting at `k` (none if no `.` is there), and where it ends.
fn field_chain(src: &str, mut k: usize) -> (Vec<String>, usize) {
    let bytes = src.as_bytes();
    let mut chain = Vec::new();
    while k < src.len() && bytes[k] == b'.' {
        let name_start = k + 1;
        let mut e = name_start;
        while e < src.len() && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_') {
            e += 1;
        }
        if e == name_start {
            k = e;
            break;
        }
        chain.push(src[name_start..e].to_string());
        k = e;
    }
    (chain, k)
}

/// Split `src` into text and actions: `{{-`/`-}}` trim the text beside them, comments go.
pub(crate) fn lex(src: &str) -> Result<Vec<Item>, TemplateError> {
    let err = |pos: usize, msg: &str| error_at(src, pos, msg);
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
        if src[j..].starts_with("- ") || src[j..].starts_with("-\t") || src[j..].starts_with("-\n")
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
                    k += 1;
                    toks.push(Tok::Close(k));
                }
                b':' if src[k..].starts_with(":=") => {
                    toks.push(Tok::Declare);
                    k += 2;
                }
                b',' => {
                    toks.push(Tok::Comma);
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
                    let (chain, e) = field_chain(src, k);
                    toks.push(Tok::Field(chain, pos));
                    k = e;
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
                    while e < src.len() && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_') {
                        e += 1;
                    }
                    toks.push(Tok::Ident(src[k..e].to_string(), k));
                    k = e;
                }
                b'$' => {
                    let mut e = k + 1;
                    while e < src.len() && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_') {
                        e += 1;
                    }
                    let (chain, after) = field_chain(src, e);
                    toks.push(Tok::Var(src[k..e].to_string(), chain, k));
                    k = after;
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
    Ok(items)
}
