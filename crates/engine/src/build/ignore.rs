//! .dockerignore, as moby's patternmatcher reads it: one pattern a line, `#` comments, `!`
//! exceptions, patterns cleaned like Go's `filepath.Clean` with a leading `/` dropped, `**`
//! for any number of directories, and every other component matched by Go's `path.Match`
//! ([`crate::pattern`]), `[…]` classes included. The last matching pattern wins.

use std::fs;
use std::path::Path;

use crate::pattern::match_components;

#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    /// (is an exception, cleaned pattern components).
    rules: Vec<(bool, Vec<String>)>,
}

impl IgnoreRules {
    pub fn parse(text: &str) -> IgnoreRules {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            let parts = clean(pat);
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
        let comps: Vec<&str> = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        let mut excluded = false;
        for (negate, pat) in &self.rules {
            let hit = (1..=comps.len()).any(|n| match_components(pat, &comps[..n]));
            if hit {
                excluded = !negate;
            }
        }
        excluded
    }
}

/// A pattern's components after Go's `filepath.Clean`, relative to the context: no empty or
/// `.` components, `..` takes the one before it (and nothing at the top of an absolute path).
fn clean(pat: &str) -> Vec<String> {
    let rooted = pat.starts_with('/');
    let mut out: Vec<String> = Vec::new();
    for c in pat.split('/') {
        match c {
            "" | "." => {}
            ".." => match out.last() {
                Some(last) if last != ".." => {
                    out.pop();
                }
                _ if rooted => {}
                _ => out.push(c.to_string()),
            },
            c => out.push(c.to_string()),
        }
    }
    out
}

/// Whether anything under context dir `abs` (context path `rel`) is not excluded.
pub(super) fn has_included(ignore: &IgnoreRules, abs: &Path, rel: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn dockerignore_classes() {
        let r = IgnoreRules::parse("[ab].txt\n");
        assert!(r.excluded("a.txt"));
        assert!(r.excluded("b.txt"));
        assert!(!r.excluded("c.txt"));
        assert!(!r.excluded("d/a.txt"));
        let r = IgnoreRules::parse("**/[^x]*.log\n!**/keep[0-9].log\n");
        assert!(r.excluded("a/b/debug.log"));
        assert!(!r.excluded("a/xdebug.log"));
        assert!(!r.excluded("a/keep1.log"));
        // A malformed class matches nothing, as Go's ErrBadPattern.
        assert!(!IgnoreRules::parse("[a\n").excluded("[a"));
    }

    #[test]
    fn dockerignore_cleans_patterns() {
        let r = IgnoreRules::parse("/abs.txt\n./dot/./x\nsub/../up.txt\n/../top\n \\*.md \n");
        assert!(r.excluded("abs.txt"));
        assert!(r.excluded("dot/x"));
        assert!(r.excluded("up.txt"));
        assert!(!r.excluded("sub/up.txt"));
        assert!(r.excluded("top"));
        assert!(r.excluded("*.md"));
        assert!(!r.excluded("a.md"));
        assert!(r.excluded("./abs.txt"));
    }
}
