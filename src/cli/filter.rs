//! `--filter key=value` flags as Docker's `filters.Args` reads and matches them, and how a
//! refused filter is reported.

use std::collections::BTreeMap;

use super::Failure;
use crate::i18n::t;

/// Parsed `-f key=value` flags: values per key, in the order given.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filters(pub BTreeMap<String, Vec<String>>);

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

    /// Docker's Match: no values passes; otherwise a value equal to `source`, or one that
    /// matches it as a Go regular expression (unanchored). A value that is not a valid
    /// expression matches nothing but itself, without an error, as in Docker.
    pub fn matches_regex(&self, key: &str, source: &str) -> bool {
        let vals = self.get(key);
        vals.is_empty()
            || vals
                .iter()
                .any(|p| p == source || regex_find(p, source).unwrap_or(false))
    }

    /// Docker's MatchKVList for labels: every `k` or `k=v` must hold (labels AND).
    pub fn matches_labels(&self, labels: &BTreeMap<String, String>) -> bool {
        self.get("label")
            .iter()
            .all(|want| match want.split_once('=') {
                Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
                None => labels.contains_key(want.as_str()),
            })
    }
}

/// Go's regexp.MatchString: whether `pattern` (RE2 syntax) matches anywhere in `text`, or
/// why it does not compile. regex-lite runs in time linear in the text (no backtracking:
/// `a*a*a*…b` is quick) and refuses expressions nested too deep for the stack.
pub fn regex_find(pattern: &str, text: &str) -> Result<bool, regex_lite::Error> {
    Ok(regex_lite::Regex::new(pattern)?.is_match(text))
}

/// A refused `--filter` as Docker words it: a flag error (125) for a missing `=`, a daemon
/// error (1) for an unknown key.
pub fn filter_failure(e: FilterError, cmd: &str, supported: &[&str]) -> Failure {
    match e {
        FilterError::BadFormat(v) => {
            super::help::flag_error(cmd, &t("listing.bad-filter", &[("value", &v)]))
        }
        FilterError::Invalid(k) => daemon_failure(&t("listing.invalid-filter", &[("filter", &k)])),
        FilterError::Unsupported(k) => Failure::new(
            t(
                "listing.unsupported-filter",
                &[("filter", &k), ("list", &supported.join(", "))],
            ),
            1,
        ),
    }
}

/// "Error response from daemon: …" (exit 1).
pub fn daemon_failure(msg: &str) -> Failure {
    Failure::new(format!("{}{msg}", t("err-daemon", &[])), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut labels = BTreeMap::new();
        labels.insert("a".to_string(), "x".to_string());
        assert!(!ok.matches_labels(&labels), "labels AND: b=2 missing");
        labels.insert("b".to_string(), "2".to_string());
        assert!(ok.matches_labels(&labels));
    }

    #[test]
    fn regexes_are_go_regexp_match_string() {
        let find = |p: &str, t: &str| regex_find(p, t).unwrap();
        assert!(find("web", "/my-web-1"));
        assert!(find("^/web$", "/web"));
        assert!(!find("^/web$", "/web2"));
        assert!(find("w.b-[0-9]+", "/web-12"));
        assert!(!find("^/a", "/ba"));
        assert!(find("web-?1$", "/web1"));
        assert!(find("x*", ""));
        assert!(!find("^a+$", ""));
        assert!(find("[^0-9]+", "/ab"));
        assert!(find("a\\.b", "/a.b"));
        assert!(!find("a\\.b", "/axb"));
        // What the old hand-made subset could not do.
        assert!(find("^/(web|db)$", "/db"));
        assert!(!find("^/(web|db)$", "/cache"));
        assert!(find("^/a{2,3}$", "/aaa"));
        assert!(!find("^/a{2,3}$", "/aaaa"));
        assert!(find("-\\d+$", "/web-12"));
        assert!(!find("-\\d+$", "/web-x"));
    }

    #[test]
    fn invalid_regexes_match_only_themselves_like_docker() {
        assert!(regex_find("web[", "/web[").is_err());
        assert!(regex_find("(", "x").is_err());
        let f = Filters::parse(&["name=web[".to_string()], &["name"], &[]).unwrap();
        assert!(!f.matches_regex("name", "/web[1]"));
        assert!(!f.matches_regex("name", "web"));
        assert!(
            f.matches_regex("name", "web["),
            "Docker's ExactMatch comes first"
        );
    }

    #[test]
    fn patterns_that_backtrack_forever_elsewhere_are_quick_and_shallow() {
        // Exponential for a backtracking matcher; linear here.
        let text = "a".repeat(60);
        assert_eq!(
            regex_find(&format!("{}b", "a*".repeat(30)), &text).ok(),
            Some(false)
        );
        // An argument can be 128 KiB: long patterns and names neither overflow nor hang.
        let long = "a".repeat(100_000);
        assert!(!regex_find(&long, "/aaa").unwrap_or(false));
        assert!(regex_find("a+$", &format!("/{long}")).unwrap());
        // Nested too deep for the stack is an error, not a crash.
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(regex_find(&deep, "a").is_err());
    }
}
