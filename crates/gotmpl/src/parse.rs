//! The parser: the lexer's items built into a tree of text, actions and blocks.

use crate::TemplateError;
use crate::lex::{Item, MAX_DEPTH, Tok, error_at, lex, nesting_depth};

#[derive(Debug, Clone)]
pub(crate) enum Node {
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
pub(crate) struct Pipeline {
    /// The variables it declares (`$x := …`, a range's `$k, $v := …`).
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) args: Vec<Operand>,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
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
    /// `$name.A.B` (`$` is the data the template was given).
    Var {
        name: String,
        chain: Vec<String>,
        pos: usize,
    },
    /// `(pipeline).A.B`
    Chain {
        base: Pipeline,
        chain: Vec<String>,
        pos: usize,
    },
}

pub(crate) const FUNCS: &[&str] = &[
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate", "print", "println",
    "len", "index", "eq", "ne", "not", "and", "or",
];

/// Parse a template's source into its top-level nodes.
pub(crate) fn parse(src: &str) -> Result<Vec<Node>, TemplateError> {
    let err = |pos: usize, msg: &str| error_at(src, pos, msg);
    if nesting_depth(src) > MAX_DEPTH {
        return Err(err(0, "max expression depth exceeded"));
    }
    let items = lex(src)?;

    // Build the tree: actions that open/close blocks nest.
    struct Frame {
        kind: &'static str,
        /// How many variables were in scope when the block opened (Go drops the rest at end).
        vars: usize,
        pipe: Option<Pipeline>,
        body: Vec<Node>,
        otherwise: Option<Vec<Node>>,
    }
    let mut vars = vec!["$".to_string()];
    let mut stack = vec![Frame {
        kind: "root",
        vars: 1,
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
                        let at = vars.len();
                        let pipe = parse_action(src, &toks[1..], pos, &mut vars, kw == "range")?;
                        stack.push(Frame {
                            vars: at,
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
                        vars.truncate(f.vars);
                        let pipe = f.pipe.unwrap_or(Pipeline {
                            decl: Vec::new(),
                            cmds: Vec::new(),
                        });
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
                        let pipe = parse_action(src, &toks, pos, &mut vars, false)?;
                        push(&mut stack, Node::Action(pipe));
                    }
                }
            }
        }
    }
    if stack.len() > 1 {
        return Err(err(src.len(), "unexpected EOF"));
    }
    Ok(stack.pop().map(|f| f.body).unwrap_or_default())
}

/// An action's pipeline with the variables it may declare first (two only in a range); the
/// declared names come into scope after it.
fn parse_action(
    src: &str,
    toks: &[Tok],
    pos: usize,
    vars: &mut Vec<String>,
    range: bool,
) -> Result<Pipeline, TemplateError> {
    let err = |msg: &str| error_at(src, pos, msg);
    let mut decl = Vec::new();
    let mut rest = toks;
    let declares = toks.iter().position(|t| matches!(t, Tok::Declare));
    if let Some(d) = declares {
        for (i, t) in toks[..d].iter().enumerate() {
            match (i % 2, t) {
                (0, Tok::Var(name, chain, _)) if chain.is_empty() => decl.push(name.clone()),
                (1, Tok::Comma) => {}
                _ => return Err(err("unexpected \":=\" in operand")),
            }
        }
        if d % 2 == 0 || decl.len() > if range { 2 } else { 1 } {
            return Err(err("too many declarations in command"));
        }
        rest = &toks[d + 1..];
    }
    let mut pipe = parse_pipeline(src, rest, pos, vars)?;
    vars.extend(decl.iter().cloned());
    pipe.decl = decl;
    Ok(pipe)
}

fn parse_pipeline(
    src: &str,
    toks: &[Tok],
    pos: usize,
    vars: &[String],
) -> Result<Pipeline, TemplateError> {
    let err = |msg: &str| error_at(src, pos, msg);
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
                        Tok::Close(_) => {
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
                let sub = parse_pipeline(src, &toks[i + 1..j], pos, vars)?;
                // `(…).A.B`: a field chain right after the parenthesis.
                match (&toks[j], toks.get(j + 1)) {
                    (Tok::Close(end), Some(Tok::Field(chain, p)))
                        if p == end && !chain.is_empty() =>
                    {
                        args.push(Operand::Chain {
                            base: sub,
                            chain: chain.clone(),
                            pos: *p,
                        });
                        j += 1;
                    }
                    _ => args.push(Operand::Sub(sub)),
                }
                i = j;
            }
            Tok::Close(_) => return Err(err("unexpected right paren")),
            Tok::Var(name, chain, p) => {
                if !vars.contains(name) {
                    return Err(err(&format!("undefined variable {name:?}")));
                }
                args.push(Operand::Var {
                    name: name.clone(),
                    chain: chain.clone(),
                    pos: *p,
                });
            }
            Tok::Declare => return Err(err("unexpected \":=\" in operand")),
            Tok::Comma => return Err(err("unexpected \",\" in command")),
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
    Ok(Pipeline {
        decl: Vec::new(),
        cmds,
    })
}
