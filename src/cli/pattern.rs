//! Go's path.Match: the glob of `docker images --filter reference=` (and, later, of
//! `.dockerignore`). Free of the CLI: a pattern and a name in, a match or Go's
//! ErrBadPattern out.

/// Go's path.ErrBadPattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Go's path.Match (reference filters: `bus*:lat*`). `*` and `?` do not cross `/`.
/// Err for a malformed pattern, as Go returns ErrBadPattern. Matched with a table,
/// so `*a*a*a*…` cannot take exponential time.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_go() {
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
    }

    #[test]
    fn patterns_that_backtrack_forever_elsewhere_are_quick_and_shallow() {
        let text = "a".repeat(60);
        assert_eq!(
            path_match(&format!("{}b", "*a".repeat(30)), &text),
            Ok(false)
        );
        let long = "a".repeat(100_000);
        assert_eq!(path_match(&format!("{long}*"), "aa"), Ok(false));
        assert_eq!(path_match("a*", &long), Ok(true));
    }
}
