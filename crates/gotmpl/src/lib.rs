//! Go's text/template, the subset Docker users write in `--format` and `inspect -f`.
//!
//! Fields (`.A.B`), `.`, string and number literals, pipes, Docker's template functions
//! (json, split, join, title, lower, upper, pad, truncate) and Go's
//! print/println/len/index/eq/ne/not/and/or, `if`/`else`/`range`/`with`, `{{-`/`-}}` trimming
//! and comments. Errors are worded as Go words them ("template: :1: …"), because Docker
//! prints Go's errors as they are.
//!
//! The data is JSON ([`serde_json::Value`]); a [`Scope`] says how fields resolve against it.
//!
//! Inside: `lex` (source → text and action tokens, and Go's error positions), `parse`
//! (tokens → a tree of nodes), `exec` (the tree run against data).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

mod exec;
mod lex;
mod parse;

pub use exec::go_print;

use exec::Exec;
use parse::{Node, Operand, Pipeline};

/// A template error, already worded as Go prints it ("template: :1: unclosed action").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

/// How fields resolve against the data.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    /// A JSON document (`inspect`): a missing key prints `<no value>`.
    Map,
    /// One of Docker's formatter contexts: the fields are fixed and a missing one is an error
    /// naming the Go type; `labels` answers `.Label "key"`.
    Struct {
        go_type: &'a str,
        labels: Option<&'a BTreeMap<String, String>>,
    },
    /// The table header: fields are the column titles and Docker's functions pass them through.
    Header,
}

/// A parsed template: parse once, execute per row.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    nodes: Vec<Node>,
}

impl Template {
    /// Parse `src`; the error is Go's, word for word.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        Ok(Template {
            src: src.to_string(),
            nodes: parse::parse(src)?,
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
            vars: Default::default(),
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
                    Operand::Chain { base, .. } => in_pipe(base, name),
                    // `$` is the data: `$.Size` reads Size, `$` alone every field.
                    Operand::Var { name: v, chain, .. } if v == "$" => {
                        chain.first().is_none_or(|f| f == name)
                    }
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

/// Go's strconv.Quote (Docker's COMMAND column).
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let labels: BTreeMap<String, String> = [("tier".to_string(), "db".to_string())].into();
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

    fn inspect(tpl: &str) -> Result<String, TemplateError> {
        let doc = serde_json::json!({
            "Name": "/db",
            "Config": {"Labels": {"tier": "db"}},
            "Networks": {"b": {"IP": "10.0.0.3"}, "a": {"IP": "10.0.0.2"}},
            "Mounts": [{"Name": "v1"}, {"Name": "v2"}],
            "Health": null
        });
        Template::parse(tpl)?
            .execute(&doc, Scope::Map)
            .map_err(|(_, e)| e)
    }

    #[test]
    fn variables_range_declarations_and_parenthesised_fields() {
        assert_eq!(
            inspect("{{range $k, $v := .Networks}}{{$k}}={{$v.IP}} {{end}}").unwrap(),
            "a=10.0.0.2 b=10.0.0.3 "
        );
        assert_eq!(
            inspect("{{range $i, $m := .Mounts}}{{$i}}:{{$m.Name}},{{$.Name}} {{end}}").unwrap(),
            "0:v1,/db 1:v2,/db "
        );
        assert_eq!(
            inspect("{{range $m := .Mounts}}{{$m.Name}}{{end}}").unwrap(),
            "v1v2"
        );
        assert_eq!(inspect("{{$n := .Name}}[{{$n}}]").unwrap(), "[/db]");
        assert_eq!(inspect("{{(index .Mounts 1).Name}}").unwrap(), "v2");
        assert_eq!(
            inspect("{{(index .Networks \"a\").IP}}").unwrap(),
            "10.0.0.2"
        );
        // Go scopes a range's variables to its body.
        assert_eq!(
            inspect("{{range $m := .Mounts}}{{end}}{{$m}}")
                .unwrap_err()
                .0,
            "template: :1: undefined variable \"$m\""
        );
    }

    #[test]
    fn inspect_missing_keys_are_errors_as_in_docker() {
        assert_eq!(
            inspect("{{.Nope}}").unwrap_err().0,
            "template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\""
        );
        assert_eq!(
            inspect("{{.Config.Nope}}").unwrap_err().0,
            "template: :1:2: executing \"\" at <.Config.Nope>: map has no entry for key \"Nope\""
        );
        // Labels is a map[string]string in Docker's types: a missing label is empty.
        assert_eq!(inspect("[{{.Config.Labels.nope}}]").unwrap(), "[]");
        assert_eq!(inspect("{{.Health}}").unwrap(), "<no value>");
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
    fn quotes_like_strconv() {
        assert_eq!(
            go_quote("sh -c \"echo\thi\"\n"),
            r#""sh -c \"echo\thi\"\n""#
        );
        assert_eq!(go_quote("\u{1b}"), r#""\x1b""#);
    }
}
