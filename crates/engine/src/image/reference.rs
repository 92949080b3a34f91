//! Image references: `name[:tag]`.

use crate::{EngineError, Result};

/// A parsed image reference: `name[:tag]`, with Docker Hub's `docker.io/library/` folded away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub tag: String,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference> {
        let bad = || EngineError::InvalidReference(s.to_string());
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
        let name_ok = !name.is_empty()
            && name.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-:".contains(c))
                    && part
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric())
            });
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
            return Err(bad());
        }
        Ok(Reference {
            name: name.to_string(),
            tag: tag.to_string(),
        })
    }

    pub fn full(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }

    /// The name as Docker prints it after a pull ("docker.io/library/busybox:latest").
    pub fn canonical(&self) -> String {
        if self.name.contains('/') {
            let first = self.name.split('/').next().unwrap_or("");
            if first.contains('.') || first.contains(':') || first == "localhost" {
                return self.full();
            }
            return format!("docker.io/{}", self.full());
        }
        format!("docker.io/library/{}", self.full())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn bad_references_are_rejected() {
        for bad in ["", "Busybox", "a b", "x:", ":tag", "x:-bad", "x@sha256:00"] {
            assert!(Reference::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
