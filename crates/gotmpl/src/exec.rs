//! Running a parsed template against JSON data, with Go's and Docker's template functions.

use std::cell::RefCell;

use serde_json::Value;

use crate::lex::line_col;
use crate::parse::{Command, Node, Operand, Pipeline};
use crate::{Scope, TemplateError};

pub(crate) struct Exec<'a> {
    pub(crate) src: &'a str,
    pub(crate) scope: Scope<'a>,
    pub(crate) root: &'a Value,
    /// The variables in scope, innermost last (`$` itself is `root`).
    pub(crate) vars: RefCell<Vec<(String, Value)>>,
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

pub(crate) fn truthy(v: &Value) -> bool {
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
pub(crate) fn title(s: &str) -> String {
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

    pub(crate) fn nodes(
        &self,
        nodes: &[Node],
        dot: &Value,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        for n in nodes {
            let scope = self.vars.borrow().len();
            self.node(n, dot, out)?;
            // Variables an action declares live to the end of its block; a block's own end here.
            if !matches!(n, Node::Action(_)) {
                self.vars.borrow_mut().truncate(scope);
            }
        }
        Ok(())
    }

    fn declare(&self, p: &Pipeline, values: &[Value]) {
        let mut vars = self.vars.borrow_mut();
        vars.extend(p.decl.iter().cloned().zip(values.iter().cloned()));
    }

    fn node(&self, n: &Node, dot: &Value, out: &mut String) -> Result<(), TemplateError> {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = self.pipeline(p, dot)?;
                // A declaration prints nothing.
                if p.decl.is_empty() {
                    out.push_str(&go_print(&v));
                } else {
                    self.declare(p, &[v]);
                }
            }
            Node::If {
                cond,
                then,
                otherwise,
            } => {
                let v = self.pipeline(cond, dot)?;
                let yes = truthy(&v);
                self.declare(cond, &[v]);
                if yes {
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
                self.declare(value, std::slice::from_ref(&v));
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
                // (key, element); Go visits a map's keys in sorted order, as serde_json's map is.
                let items: Vec<(Value, Value)> = match v {
                    Value::Array(a) => a
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::from(i), v))
                        .collect(),
                    Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                    Value::Null => Vec::new(),
                    Value::Number(n) => (0..n.as_i64().unwrap_or(0).max(0))
                        .map(|i| (Value::from(i), Value::from(i)))
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
                for (key, item) in items {
                    let scope = self.vars.borrow().len();
                    // One variable is the element; two are the key (or index) and the element.
                    match over.decl.len() {
                        1 => self.declare(over, std::slice::from_ref(&item)),
                        _ => self.declare(over, &[key, item.clone()]),
                    }
                    self.nodes(body, &item, out)?;
                    self.vars.borrow_mut().truncate(scope);
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
                (_, Value::Object(m)) => match m.get(name) {
                    Some(v) => v.clone(),
                    // Docker runs inspect's template over the JSON with missingkey=error; a
                    // map[string]string such as Labels gives its zero value instead.
                    None if matches!(self.scope, Scope::Map)
                        && (i == 0 || chain[i - 1] != "Labels") =>
                    {
                        return Err(self.fail(
                            pos,
                            &at,
                            &format!("map has no entry for key {name:?}"),
                        ));
                    }
                    None if matches!(self.scope, Scope::Map) => Value::String(String::new()),
                    None => Value::Null,
                },
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
            Operand::Var { name, chain, pos } => {
                if name == "$" {
                    return self.field(chain, *pos, self.root, Vec::new());
                }
                let value = self
                    .vars
                    .borrow()
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null);
                self.field(chain, *pos, &value, Vec::new())
            }
            Operand::Chain { base, chain, pos } => {
                let value = self.pipeline(base, dot)?;
                self.field(chain, *pos, &value, Vec::new())
            }
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
