//! Go's `path.Match`, the one glob matcher: `*`, `?`, `[…]` classes (`^` negates, `a-z`
//! ranges) and `\` escapes, where `*` and `?` never cross `/`. Reference filters match with it
//! directly; .dockerignore (moby's patternmatcher) matches each path component with it and
//! adds `**` for any number of components ([`match_components`]).

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
/// the CLI's `regex_find`, so `*a*a*a*…` cannot take exponential time.
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

/// One path component against one pattern component, as moby's patternmatcher (.dockerignore)
/// and COPY sources match it: [`path_match`], except that a trailing `\` stands for itself
/// (Go would call it malformed) and a malformed pattern matches nothing.
pub fn component_match(pattern: &str, name: &str) -> bool {
    let trailing = pattern.len() - pattern.trim_end_matches('\\').len();
    if trailing % 2 == 1 {
        let escaped = format!("{pattern}\\");
        return path_match(&escaped, name) == Ok(true);
    }
    path_match(pattern, name) == Ok(true)
}

/// Whether path components `path` match pattern components `pat`: a `**` component matches
/// any number of path components (none too), every other one matches exactly one by
/// [`component_match`]. Backtracks only to the last `**`,
/// so it takes O(pattern × path) steps: a naive recursion is exponential in the number of
/// `**`s.
pub fn match_components<P: AsRef<str>, T: AsRef<str>>(pat: &[P], path: &[T]) -> bool {
    let is_any = |p: &P| p.as_ref() == "**";
    let (mut p, mut t) = (0, 0);
    // After the last `**` seen: where the pattern resumes, and the path position it took.
    let mut resume: Option<(usize, usize)> = None;
    while t < path.len() {
        if p < pat.len() && is_any(&pat[p]) {
            p += 1;
            resume = Some((p, t));
        } else if p < pat.len() && component_match(pat[p].as_ref(), path[t].as_ref()) {
            p += 1;
            t += 1;
        } else if let Some((rp, rt)) = resume {
            // Let the `**` take one more component and try again.
            p = rp;
            t = rt + 1;
            resume = Some((rp, rt + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(is_any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_match() {
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
        assert_eq!(path_match("[ab].txt", "a.txt"), Ok(true));
        assert_eq!(path_match("[ab].txt", "b.txt"), Ok(true));
        assert_eq!(path_match("[ab].txt", "c.txt"), Ok(false));
        assert_eq!(path_match("[a-c]?", "cz"), Ok(true));
    }

    #[test]
    fn stars_are_quick() {
        let text = "a".repeat(60);
        assert_eq!(
            path_match(&format!("{}b", "*a".repeat(30)), &text),
            Ok(false)
        );
        let long = "a".repeat(100_000);
        assert_eq!(path_match(&format!("{long}*"), "aa"), Ok(false));
        assert_eq!(path_match("a*", &long), Ok(true));
        let pat: Vec<&str> = std::iter::repeat_n("**", 30).chain(["b"]).collect();
        let path: Vec<&str> = std::iter::repeat_n("a", 60).collect();
        assert!(!match_components(&pat, &path));
    }

    #[test]
    fn a_trailing_backslash_stands_for_itself() {
        assert!(component_match("end\\", "end\\"));
        assert!(!component_match("end\\", "end"));
        assert!(component_match("end\\\\", "end\\"));
        assert!(component_match("\\*lit", "*lit"));
        assert!(!component_match("[", "["));
    }

    #[test]
    fn components() {
        assert!(match_components(&["**", "tmp"], &["a", "b", "tmp"]));
        assert!(match_components(&["**", "tmp"], &["tmp"]));
        assert!(match_components(&["a", "**"], &["a"]));
        assert!(match_components(&["[ab]", "*.txt"], &["b", "x.txt"]));
        assert!(!match_components(&["*.txt"], &["b", "x.txt"]));
        assert!(!match_components(&["[", "x"], &["[", "x"]));
    }
}
