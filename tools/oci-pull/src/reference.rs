//! Image references as Docker reads them: `[HOST[:PORT]/]NAME[:TAG][@sha256:HEX]`.
//!
//! A first component without `.` or `:` (and not `localhost`) is part of the name and the
//! registry is Docker Hub (`docker.io`, API at `registry-1.docker.io`), where one-part
//! names live under `library/`. No tag and no digest means `:latest`.

use std::fmt;

use oci::Digest;

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]` as written (`docker.io` for Docker Hub).
    pub registry: String,
    /// The repository, e.g. `library/busybox`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, String> {
        let bad = |why: &str| format!("bad image reference {text:?}: {why}");
        let (rest, digest) = match text.rsplit_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d).map_err(|e| bad(&e.to_string()))?)),
            None => (text, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => (first.to_string(), path),
            _ => ("docker.io".to_string(), rest),
        };
        let (name, tag) = match path.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t.to_string())),
            _ => (path, None),
        };
        let name_ok = !name.is_empty()
            && name.split('/').all(|c| {
                !c.is_empty()
                    && c.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-'))
                    && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            });
        if !name_ok {
            return Err(bad("the name must be lower-case letters, digits, '.', '_', '-' in '/'-separated parts"));
        }
        if let Some(t) = &tag {
            let tag_ok = t.len() <= 128
                && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !tag_ok {
                return Err(bad("a tag is up to 128 letters, digits, '.', '_', '-'"));
            }
        }
        if registry.is_empty() || registry.contains(|c: char| c.is_whitespace() || c == '@') {
            return Err(bad("bad registry host"));
        }
        let registry = if registry == "index.docker.io" { "docker.io".to_string() } else { registry };
        let repository =
            if registry == "docker.io" && !name.contains('/') { format!("library/{name}") } else { name.to_string() };
        let tag = if tag.is_none() && digest.is_none() { Some("latest".to_string()) } else { tag };
        Ok(Reference { registry, repository, tag, digest })
    }

    /// Where the registry API is (`host[:port]`).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// Whether the registry is on this machine (plain HTTP is then the default).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => self.registry.split(':').next().unwrap_or(""),
        };
        host == "localhost" || host == "::1" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// What to ask the registry for: the digest if given, else the tag.
    pub fn manifest_ref(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_names() {
        let r = Reference::parse("busybox").unwrap();
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), ("docker.io", "library/busybox", Some("latest")));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        let r = Reference::parse("bitnami/redis:7.2").unwrap();
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), ("docker.io", "bitnami/redis", Some("7.2")));
        assert!(!r.is_loopback());
    }

    #[test]
    fn own_registries_tags_and_digests() {
        let r = Reference::parse("127.0.0.1:5000/busybox:latest").unwrap();
        assert_eq!((r.registry.as_str(), r.repository.as_str()), ("127.0.0.1:5000", "busybox"));
        assert!(r.is_loopback());
        assert!(Reference::parse("localhost/a/b").unwrap().is_loopback());
        assert!(Reference::parse("[::1]:5000/a").unwrap().is_loopback());
        let hex = "a".repeat(64);
        let r = Reference::parse(&format!("ghcr.io/org/app@sha256:{hex}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.manifest_ref()), (None, format!("sha256:{hex}")));
        assert_eq!(r.api_host(), "ghcr.io");
    }

    #[test]
    fn bad_references() {
        for bad in ["", "UPPER/case", "a//b", "x:bad tag", "h.io/a@sha256:xyz", "h.io/a@md5:00", "/a", "a/-b"] {
            assert!(Reference::parse(bad).is_err(), "{bad:?}");
        }
        let e = Reference::parse("Busybox").unwrap_err();
        assert!(e.starts_with("bad image reference \"Busybox\": "), "{e}");
    }
}
