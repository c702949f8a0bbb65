//! Lexical normalization of archive paths into absolute paths confined to the root.

use alloc::string::String;
use alloc::vec::Vec;

/// Normalizes an archive path to an absolute path under the root (`/` for the root).
///
/// Empty and `.` components and repeated slashes are dropped; a leading `/` is treated as
/// the root (as GNU tar does on extraction); `..` removes the previous component. Returns
/// `None` if `..` would climb above the root, or the path contains NUL.
pub fn normalize(raw: &str) -> Option<String> {
    if raw.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Splits a normalized path into (parent, final name); the root gives `("/", "")`.
pub fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

/// Joins a normalized directory path and a single name.
pub fn join(dir: &str, name: &str) -> String {
    let mut out = String::with_capacity(dir.len() + name.len() + 1);
    out.push_str(dir);
    if !dir.ends_with('/') {
        out.push('/');
    }
    out.push_str(name);
    out
}

/// The proper ancestors of a normalized path, nearest last, excluding the root.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').filter(|&(i, _)| i > 0).map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn normalizes() {
        let cases = [
            ("bin/sh", Some("/bin/sh")),
            ("./bin//sh/", Some("/bin/sh")),
            ("/etc/passwd", Some("/etc/passwd")),
            ("./", Some("/")),
            ("", Some("/")),
            ("a/b/../c", Some("/a/c")),
            ("a/..", Some("/")),
            ("..", None),
            ("a/../../etc", None),
            ("/../etc", None),
            ("a\0b", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn splits_and_joins() {
        assert_eq!(split("/a/b"), ("/a", "b"));
        assert_eq!(split("/a"), ("/", "a"));
        assert_eq!(split("/"), ("/", ""));
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), vec!["/a", "/a/b"]);
        assert_eq!(ancestors("/a").count(), 0);
    }
}
