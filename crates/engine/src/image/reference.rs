//! Image references: `name[:tag]`, and `name[:tag]@digest` where an image is looked up.

use crate::error::RefProblem;
use crate::{EngineError, Result};

/// A parsed image reference: `name[:tag]`, with Docker Hub's `docker.io/library/` folded away,
/// or (from [`Reference::parse_any`]) `name[:tag]@sha256:…`, which names content: the digest
/// decides, a tag beside it is only echoed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    /// `latest` when none was given, except beside a digest (then empty unless given).
    pub tag: String,
    pub digest: Option<String>,
}

impl Reference {
    /// A reference that can name a tag: Docker's grammar (distribution/reference),
    /// `[domain/]path[:tag]`, the domain a host name, an IPv4 address or a bracketed IPv6
    /// address, with an optional port; path components lower-case alphanumerics joined by `.`,
    /// `_`, `__` or dashes. A digest reference is refused in Docker's words.
    pub fn parse(s: &str) -> Result<Reference> {
        let r = Reference::parse_any(s)?;
        if r.digest.is_some() {
            return Err(EngineError::InvalidReference(
                s.to_string(),
                RefProblem::DigestTag,
            ));
        }
        Ok(r)
    }

    /// A reference to look an image up by or pull: a tag, or a digest (`name@sha256:…`,
    /// Docker's RepoDigests), checked as go-digest checks it.
    pub fn parse_any(s: &str) -> Result<Reference> {
        let Some((named, digest)) = s.split_once('@') else {
            return Reference::parse_named(s);
        };
        let problem = |p| EngineError::InvalidReference(s.to_string(), p);
        let (algorithm, encoded) = digest
            .split_once(':')
            .filter(|(a, e)| digest_grammar_ok(a, e))
            .ok_or_else(|| problem(RefProblem::Format))?;
        if algorithm != "sha256" {
            return Err(problem(RefProblem::DigestAlgorithm));
        }
        if encoded.len() != 64 {
            return Err(problem(RefProblem::DigestLength));
        }
        if encoded.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(problem(RefProblem::DigestFormat));
        }
        let tag_given = named
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        let mut r = Reference::parse_named(named).map_err(|e| match e {
            EngineError::InvalidReference(_, p) => problem(p),
            other => other,
        })?;
        if !tag_given {
            r.tag.clear();
        }
        r.digest = Some(digest.to_string());
        Ok(r)
    }

    fn parse_named(s: &str) -> Result<Reference> {
        let bad = || EngineError::InvalidReference(s.to_string(), RefProblem::Format);
        // ParseNormalizedNamed checks the case of the remote name before the grammar.
        if let Some(remote) = upper_case_remote(s) {
            return Err(EngineError::InvalidReference(
                s.to_string(),
                RefProblem::Uppercase(remote),
            ));
        }
        if s.is_empty() || s.contains('@') || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad());
        }
        // A ':' after the last '/' separates the tag (a ':' before it is a registry port).
        let last_slash = s.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match s[last_slash..].rfind(':') {
            Some(i) => (&s[..last_slash + i], &s[last_slash + i + 1..]),
            None => (s, "latest"),
        };
        let name = name
            .strip_prefix("docker.io/")
            .or_else(|| name.strip_prefix("index.docker.io/"))
            .unwrap_or(name);
        let name = name.strip_prefix("library/").unwrap_or(name);
        let (domain, path) = split_domain(name);
        let name_ok = name.len() <= 255
            && domain.is_none_or(domain_ok)
            && !path.is_empty()
            && path.split('/').all(path_component_ok);
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok || !tag_ok {
            return Err(if name.len() > 255 {
                EngineError::InvalidReference(s.to_string(), RefProblem::TooLong)
            } else {
                bad()
            });
        }
        Ok(Reference {
            name: name.to_string(),
            tag: tag.to_string(),
            digest: None,
        })
    }

    /// What the reference names in the store: `name:tag`, or `name@digest` (the tag beside a
    /// digest does not count, as in Docker's reference store).
    pub fn full(&self) -> String {
        match &self.digest {
            Some(d) => format!("{}@{d}", self.name),
            None => format!("{}:{}", self.name, self.tag),
        }
    }

    /// The reference as given, tag and digest both (`name:tag@digest`).
    pub fn given(&self) -> String {
        match (&self.digest, self.tag.is_empty()) {
            (Some(d), false) => format!("{}:{}@{d}", self.name, self.tag),
            _ => self.full(),
        }
    }

    /// The name as Docker prints it after a pull ("docker.io/library/busybox:latest").
    pub fn canonical(&self) -> String {
        self.on_registry(&self.given())
    }

    /// [`Reference::full`] with its registry ("docker.io/library/busybox@sha256:…").
    pub fn canonical_full(&self) -> String {
        self.on_registry(&self.full())
    }

    fn on_registry(&self, familiar: &str) -> String {
        match split_domain(&self.name) {
            (Some(_), _) => familiar.to_string(),
            (None, _) if self.name.contains('/') => format!("docker.io/{familiar}"),
            (None, _) => format!("docker.io/library/{familiar}"),
        }
    }
}

/// distribution/reference's digest grammar: an algorithm (components `[A-Za-z][A-Za-z0-9]*`
/// joined by one of `-_+.`) and at least 32 hex digits; what fails it is not a reference.
fn digest_grammar_ok(algorithm: &str, encoded: &str) -> bool {
    let component = |p: &str| {
        p.starts_with(|c: char| c.is_ascii_alphabetic())
            && p.chars().all(|c| c.is_ascii_alphanumeric())
    };
    algorithm.split(['-', '_', '+', '.']).all(component)
        && encoded.len() >= 32
        && encoded.chars().all(|c| c.is_ascii_hexdigit())
}

/// The registry a name starts with, and the rest. Docker's rule (distribution/reference's
/// `splitDockerDomain`): the first component names a registry when it holds a `.`, a `:` or
/// an upper-case letter, or is `localhost`.
pub fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first == "localhost"
                || first.contains(['.', ':'])
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// The remote name (`library/Foo`, `me/Repo`) when it holds capitals: distribution/reference's
/// ParseNormalizedNamed, which splits the domain as `splitDockerDomain` and adds Docker Hub's
/// `library/` before it looks at the case.
fn upper_case_remote(s: &str) -> Option<String> {
    let (domain, rest) = split_domain(s);
    let hub = domain.is_none_or(|d| d == "docker.io" || d == "index.docker.io");
    let remainder = if hub && !rest.contains('/') {
        format!("library/{rest}")
    } else {
        rest.to_string()
    };
    let remote = remainder.split(':').next().unwrap_or("");
    (remote.to_lowercase() != remote).then(|| remote.to_string())
}

/// `host[:port]`: a DNS name, an IPv4 address, or `[IPv6]`.
fn domain_ok(domain: &str) -> bool {
    let (host, port) = if let Some(v6) = domain.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return false;
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match domain.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        }
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (domain.starts_with('[') || host.split('.').all(label_ok))
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `[a-z0-9]+` joined by one separator: `.`, `_`, `__` or any number of `-`.
fn path_component_ok(part: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !part.starts_with(alnum) || !part.ends_with(alnum) {
        return false;
    }
    part.split(alnum)
        .all(|sep| matches!(sep, "" | "." | "_" | "__") || sep.chars().all(|c| c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_distribution_reference_says() {
        let problem = |s: &str| match Reference::parse(s) {
            Err(EngineError::InvalidReference(_, p)) => p,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            problem("Mybox"),
            RefProblem::Uppercase("library/Mybox".into())
        );
        assert_eq!(
            problem("Bad:Name"),
            RefProblem::Uppercase("library/Bad".into())
        );
        assert_eq!(problem("me/Box:1"), RefProblem::Uppercase("me/Box".into()));
        assert_eq!(
            problem("docker.io/Foo"),
            RefProblem::Uppercase("library/Foo".into())
        );
        assert_eq!(problem("busybox:"), RefProblem::Format);
        assert_eq!(problem("busybox:bad@tag"), RefProblem::Format);
        assert_eq!(problem(&"a".repeat(300)), RefProblem::TooLong);
        // A registry may have capitals; the tag may too.
        assert!(Reference::parse("My.Registry:5000/app:V1").is_ok());
    }

    #[test]
    fn references_fold_docker_hub_names() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.full(), "busybox:latest");
        assert_eq!(r.canonical(), "docker.io/library/busybox:latest");
        assert_eq!(
            Reference::parse("docker.io/library/debian:12")
                .unwrap()
                .full(),
            "debian:12"
        );
        assert_eq!(
            Reference::parse("localhost:5000/app:v1").unwrap().full(),
            "localhost:5000/app:v1"
        );
        assert_eq!(
            Reference::parse("localhost:5000/app").unwrap().tag,
            "latest"
        );
        for good in [
            "[::1]:5000/app:1.0",
            "[::1]/app",
            "127.0.0.1:5000/team/app",
            "registry.example.com/a__b/c-d--e.f:v1_2",
            "Registry.Example.com/app",
        ] {
            let r = Reference::parse(good).unwrap_or_else(|e| panic!("{good}: {e}"));
            assert_eq!(r.canonical(), r.full(), "{good} names its registry");
        }
        assert_eq!(
            Reference::parse("[::1]:5000/app:1.0").unwrap().name,
            "[::1]:5000/app"
        );
        assert_eq!(
            Reference::parse("team/app").unwrap().canonical(),
            "docker.io/team/app:latest"
        );
    }

    #[test]
    fn digest_references_name_content() {
        let hex = "ab".repeat(32);
        let r = Reference::parse_any(&format!("docker.io/library/busybox@sha256:{hex}")).unwrap();
        assert_eq!((r.name.as_str(), r.tag.as_str()), ("busybox", ""));
        assert_eq!(r.full(), format!("busybox@sha256:{hex}"));
        assert_eq!(
            r.canonical(),
            format!("docker.io/library/busybox@sha256:{hex}")
        );
        let both = Reference::parse_any(&format!("localhost:5000/a:1@sha256:{hex}")).unwrap();
        assert_eq!(both.full(), format!("localhost:5000/a@sha256:{hex}"));
        assert_eq!(both.given(), format!("localhost:5000/a:1@sha256:{hex}"));
        let problem = |s: &str| match Reference::parse_any(s) {
            Err(EngineError::InvalidReference(_, p)) => p,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            problem(&format!("a@md5:{hex}")),
            RefProblem::DigestAlgorithm
        );
        assert_eq!(
            problem(&format!("a@sha256:{hex}00")),
            RefProblem::DigestLength
        );
        assert_eq!(
            problem(&format!("a@sha256:{}", hex.to_uppercase())),
            RefProblem::DigestFormat
        );
        assert_eq!(problem("a@sha256:00"), RefProblem::Format);
        assert_eq!(
            problem(&format!("A@sha256:{hex}")),
            RefProblem::Uppercase("library/A".into())
        );
        // Where a tag is made, a digest is refused in Docker's words.
        assert!(matches!(
            Reference::parse(&format!("a@sha256:{hex}")),
            Err(EngineError::InvalidReference(_, RefProblem::DigestTag))
        ));
    }

    #[test]
    fn bad_references_are_rejected() {
        for bad in [
            "",
            "Busybox",
            "a b",
            "x:",
            ":tag",
            "x:-bad",
            "x@sha256:00",
            "a..b",
            "a___b",
            "-a",
            "a-",
            "app/",
            "localhost:5000/",
            "localhost:port/app",
            "[::1/app",
            "[::g]:5000/app",
            "[::1]5000/app",
            "-bad.host/app",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
