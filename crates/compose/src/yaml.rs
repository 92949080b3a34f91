//! A YAML document as a tree of nodes that keep their line, so every later error can name the
//! file, line and key. Anchors, aliases and `<<` merge keys are expanded by serde-saphyr.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A scalar as YAML typed it (compose's schema cares: `ports: 80` is a number).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// The scalar as text, the way compose turns a number or bool into a string value.
    pub fn text(&self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Str(s) => Some(s.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Keys in document order.
    Map(Vec<(String, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// Which of the project's files it came from (index into the file list).
    pub file: u16,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// Mark every node as coming from file `f`.
    pub fn set_file(&mut self, f: u16) {
        self.file = f;
        match &mut self.value {
            Value::Seq(v) => v.iter_mut().for_each(|n| n.set_file(f)),
            Value::Map(m) => m.iter_mut().for_each(|(_, n)| n.set_file(f)),
            Value::Scalar(_) => {}
        }
    }

    /// Merge `over` into `self` as later `-f` files do: mappings key by key, `command`-like
    /// sequences replaced, other sequences appended, scalars replaced.
    pub fn merge(&mut self, over: Node, key: &str) {
        match (&mut self.value, over.value) {
            (Value::Map(a), Value::Map(b)) => {
                for (k, v) in b {
                    match a.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1.merge(v, &k),
                        None => a.push((k, v)),
                    }
                }
            }
            (Value::Seq(a), Value::Seq(b)) if !matches!(key, "command" | "entrypoint" | "test") => {
                a.extend(b)
            }
            (_, v) => {
                self.value = v;
                self.line = over.line;
                self.file = over.file;
            }
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Scalar(Scalar::Null))
    }
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Scalar(Scalar::Null) => "null",
            Value::Scalar(Scalar::Bool(_)) => "boolean",
            Value::Scalar(Scalar::Int(_)) => "number",
            Value::Scalar(Scalar::Float(_)) => "number",
            Value::Scalar(Scalar::Str(_)) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }
}

/// The bare value, deserialized by serde-saphyr; `Node` adds the line through `Spanned`.
struct Bare(Value);

impl<'de> Deserialize<'de> for Bare {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BareVisitor).map(Bare)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: Spanned<Bare> = Spanned::deserialize(d)?;
        Ok(Node {
            value: s.value.0,
            line: s.referenced.line() as u32,
            file: 0,
        })
    }
}

struct BareVisitor;

impl<'de> Visitor<'de> for BareVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Null))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Int(i)))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        i64::try_from(u)
            .map(|i| Value::Scalar(Scalar::Int(i)))
            .or(Ok(Value::Scalar(Scalar::Float(u as f64))))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Str(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Scalar(Scalar::Str(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(n) = a.next_element::<Node>()? {
            v.push(n);
        }
        Ok(Value::Seq(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut v: Vec<(String, Node)> = Vec::new();
        while let Some(k) = a.next_key::<Key>()? {
            let n = a.next_value::<Node>()?;
            // A later key replaces an earlier one (merge keys put the merged ones first).
            if let Some(slot) = v.iter_mut().find(|(x, _)| *x == k.0) {
                slot.1 = n;
            } else {
                v.push((k.0, n));
            }
        }
        Ok(Value::Map(v))
    }
}

/// Mapping keys as text (`80: x` has the key "80").
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(BareVisitor)? {
            Value::Scalar(s) => Ok(Key(s.text().unwrap_or_else(|| "null".into()))),
            _ => Err(de::Error::custom("a mapping key must be a scalar")),
        }
    }
}

/// A YAML syntax (or structure) error with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Parse one document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Map(Vec::new()),
            line: 1,
            file: 0,
        });
    }
    // YAML 1.2 core booleans, as compose's Go parser reads them (`y`, `no`, `on` are text).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((0, 0));
        // The crate's Display adds a snippet of the source; the first line is the message.
        let full = e.to_string();
        let message = full
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid YAML")
            .trim()
            .to_string();
        SyntaxError {
            line,
            column,
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_types() {
        let n = parse("a: 1\nb:\n  - x\n  - true\nc: ~\n").unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Scalar(Scalar::Int(1)));
        assert_eq!(n.get("a").unwrap().line, 1);
        let b = n.get("b").unwrap();
        match &b.value {
            Value::Seq(v) => {
                assert_eq!(v[0].line, 3);
                assert_eq!(v[1].value, Value::Scalar(Scalar::Bool(true)));
                assert_eq!(v[1].line, 4);
            }
            _ => panic!("{b:?}"),
        }
        assert!(n.get("c").unwrap().is_null());
        let n = parse(
            "Y: on
n: 1
",
        )
        .unwrap();
        assert_eq!(
            n.get("Y").unwrap().value,
            Value::Scalar(Scalar::Str("on".into()))
        );
        assert!(n.get("n").is_some());
    }

    #[test]
    fn anchors_and_merge_keys() {
        let text = "x-common: &common\n  image: busybox\n  environment:\n    A: 1\nservices:\n  web:\n    <<: *common\n    command: sleep 1\n  db:\n    <<: *common\n    image: other\n";
        let n = parse(text).unwrap();
        let web = n.get("services").unwrap().get("web").unwrap();
        assert_eq!(
            web.get("image").unwrap().value,
            Value::Scalar(Scalar::Str("busybox".into()))
        );
        assert!(web.get("environment").unwrap().get("A").is_some());
        let db = n.get("services").unwrap().get("db").unwrap();
        assert_eq!(
            db.get("image").unwrap().value,
            Value::Scalar(Scalar::Str("other".into()))
        );
    }

    #[test]
    fn syntax_error_has_a_line() {
        let e = parse("services:\n  web:\n    image: [a\n").unwrap_err();
        assert!(e.line >= 3, "{e:?}");
        let e = parse("a: b: c\n").unwrap_err();
        assert_eq!(e.line, 1, "{e:?}");
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut t = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            t.push_str(&format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = c;
        }
        assert!(parse(&t).is_err());
    }
}
