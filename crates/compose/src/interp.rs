//! `${VAR}` interpolation as compose-go's template package does it, and `.env` files.

use std::collections::BTreeMap;

/// Where variables come from: the process environment over the project's `.env`.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub map: BTreeMap<String, String>,
}

impl Vars {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.map.get(k).map(|s| s.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InterpError {
    /// `${` not closed, or a bad name.
    Invalid,
    /// `${VAR:?message}` / `${VAR?message}` with VAR missing.
    Required { var: String, message: String },
}

/// Substitute one string. Unset variables without a default become "" and are named in
/// `unset` (compose warns about each).
pub fn substitute(s: &str, vars: &Vars, unset: &mut Vec<String>) -> Result<String, InterpError> {
    let mut out = String::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] != '$' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let close = matching_brace(&b, i + 2).ok_or(InterpError::Invalid)?;
                let inner: String = b[i + 2..close].iter().collect();
                out.push_str(&braced(&inner, vars, unset)?);
                i = close + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_') {
                    j += 1;
                }
                let name: String = b[i + 1..j].iter().collect();
                out.push_str(&lookup(&name, vars, unset));
                i = j;
            }
            // A lone `$` (end, or before something that is not a name) is an error in compose.
            _ => return Err(InterpError::Invalid),
        }
    }
    Ok(out)
}

fn matching_brace(b: &[char], from: usize) -> Option<usize> {
    let mut depth = 1;
    let mut j = from;
    while j < b.len() {
        match b[j] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn lookup(name: &str, vars: &Vars, unset: &mut Vec<String>) -> String {
    match vars.get(name) {
        Some(v) => v.to_string(),
        None => {
            if !unset.iter().any(|u| u == name) {
                unset.push(name.to_string());
            }
            String::new()
        }
    }
}

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn braced(inner: &str, vars: &Vars, unset: &mut Vec<String>) -> Result<String, InterpError> {
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(end);
    if !valid_name(name) {
        return Err(InterpError::Invalid);
    }
    if rest.is_empty() {
        return Ok(lookup(name, vars, unset));
    }
    let (colon, op, arg) = if let Some(r) = rest.strip_prefix(':') {
        let mut cs = r.chars();
        let op = cs.next().ok_or(InterpError::Invalid)?;
        (true, op, cs.as_str())
    } else {
        let mut cs = rest.chars();
        let op = cs.next().ok_or(InterpError::Invalid)?;
        (false, op, cs.as_str())
    };
    let value = vars.get(name);
    // With a colon, an empty value counts as missing.
    let present = match value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        '-' => {
            if present {
                Ok(value.unwrap_or_default().to_string())
            } else {
                substitute(arg, vars, unset)
            }
        }
        '+' => {
            if present {
                substitute(arg, vars, unset)
            } else {
                Ok(String::new())
            }
        }
        '?' => {
            if present {
                Ok(value.unwrap_or_default().to_string())
            } else {
                Err(InterpError::Required {
                    var: name.to_string(),
                    message: substitute(arg, vars, unset)?,
                })
            }
        }
        _ => Err(InterpError::Invalid),
    }
}

/// A `.env` / `env_file` line-oriented file: `KEY=VALUE`, `export KEY=VALUE`, `# comments`,
/// single quotes (literal), double quotes (with `\n` escapes), `KEY` alone (taken from `vars`
/// when there; absent otherwise). Returns (key, value) pairs, or the 1-based line that is bad.
pub fn parse_env_file(text: &str, vars: &Vars) -> Result<Vec<(String, Option<String>)>, u32> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (line, None),
        };
        if !valid_name(key)
            && !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            || key.is_empty()
        {
            return Err(n as u32 + 1);
        }
        let value = match value {
            None => vars.get(key).map(|s| s.to_string()),
            Some(v) => Some(unquote(v)),
        };
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].to_string();
    }
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        return v[1..v.len() - 1]
            .replace("\\n", "\n")
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
    }
    // An unquoted value ends at ` #` (an inline comment).
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_string(),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut m = BTreeMap::new();
        m.insert("SET".into(), "v".into());
        m.insert("EMPTY".into(), String::new());
        Vars { map: m }
    }

    fn sub(s: &str) -> Result<String, InterpError> {
        substitute(s, &vars(), &mut Vec::new())
    }

    #[test]
    fn forms() {
        assert_eq!(sub("a $SET ${SET} b").unwrap(), "a v v b");
        assert_eq!(sub("${UNSET:-d}").unwrap(), "d");
        assert_eq!(sub("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(sub("${EMPTY-d}").unwrap(), "");
        assert_eq!(sub("${UNSET-d}").unwrap(), "d");
        assert_eq!(sub("${SET:-d}").unwrap(), "v");
        assert_eq!(sub("${SET:+alt}").unwrap(), "alt");
        assert_eq!(sub("${UNSET:+alt}").unwrap(), "");
        assert_eq!(sub("$$SET $${SET}").unwrap(), "$SET ${SET}");
        assert_eq!(sub("${UNSET:-${SET}x}").unwrap(), "vx");
        assert_eq!(sub("pre-${SET}-post").unwrap(), "pre-v-post");
    }

    #[test]
    fn unset_is_blank_and_named() {
        let mut unset = Vec::new();
        assert_eq!(
            substitute("x${NOPE}y$NOPE", &vars(), &mut unset).unwrap(),
            "xy"
        );
        assert_eq!(unset, vec!["NOPE".to_string()]);
    }

    #[test]
    fn required_and_invalid() {
        assert_eq!(
            sub("${UNSET:?need it}").unwrap_err(),
            InterpError::Required {
                var: "UNSET".into(),
                message: "need it".into()
            }
        );
        assert!(matches!(
            sub("${EMPTY:?x}"),
            Err(InterpError::Required { .. })
        ));
        assert_eq!(sub("${EMPTY?x}").unwrap(), "");
        assert_eq!(sub("${SET").unwrap_err(), InterpError::Invalid);
        assert_eq!(sub("${1X}").unwrap_err(), InterpError::Invalid);
        assert_eq!(sub("cost $").unwrap_err(), InterpError::Invalid);
        assert_eq!(sub("${SET!x}").unwrap_err(), InterpError::Invalid);
    }

    #[test]
    fn env_files() {
        let t = "# c\nA=1\nexport B = two\nC='x $y'\nD=\"a\\nb\"\nE=v # note\nSET\nNOPE\n";
        let got = parse_env_file(t, &vars()).unwrap();
        assert_eq!(
            got,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two".into())),
                ("C".into(), Some("x $y".into())),
                ("D".into(), Some("a\nb".into())),
                ("E".into(), Some("v".into())),
                ("SET".into(), Some("v".into())),
                ("NOPE".into(), None),
            ]
        );
        assert_eq!(parse_env_file("A=1\n=x\n", &vars()), Err(2));
    }
}
