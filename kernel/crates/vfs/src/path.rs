//! Path strings: splitting into components and validating names, with
//! Linux's limits and rules for empty paths, repeated and trailing slashes.

use alloc::string::String;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::types::{NAME_MAX, PATH_MAX};

/// A path split into components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPath<'a> {
    /// Starts with `/`.
    pub absolute: bool,
    /// Non-empty components in order, `.` and `..` included.
    pub components: Vec<&'a str>,
    /// Ends with `/` after at least one component: the last one must be a
    /// directory (and a symlink there is followed).
    pub trailing_slash: bool,
}

/// Splits `path`: `ENOENT` if empty, `ENAMETOOLONG` if `PATH_MAX` bytes or
/// longer (the NUL would not fit), `EINVAL` if it contains a NUL byte.
pub fn parse(path: &str) -> KResult<ParsedPath<'_>> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.contains('\0') {
        return Err(Errno::EINVAL);
    }
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    Ok(ParsedPath {
        absolute: path.starts_with('/'),
        trailing_slash: path.ends_with('/') && !components.is_empty(),
        components,
    })
}

/// `ENAMETOOLONG` for a component longer than `NAME_MAX`.
pub fn check_name_len(name: &str) -> KResult<()> {
    if name.len() > NAME_MAX {
        Err(Errno::ENAMETOOLONG)
    } else {
        Ok(())
    }
}

/// Validates a name a filesystem is asked to create: one non-empty
/// component, not `.` or `..` (`EEXIST`), no `/` or NUL (`EINVAL`), at most
/// `NAME_MAX` bytes (`ENAMETOOLONG`).
pub fn check_new_name(name: &str) -> KResult<()> {
    if name.is_empty() || name.contains('/') || name.contains('\0') {
        return Err(Errno::EINVAL);
    }
    if name == "." || name == ".." {
        return Err(Errno::EEXIST);
    }
    check_name_len(name)
}

/// The final component of a path, as create/unlink/rename see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastComponent {
    /// An ordinary name.
    Name(String),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// The path names the root itself (`/`, `//`).
    Root,
}

impl LastComponent {
    /// Classifies the last component of a parsed path.
    pub fn of(parsed: &ParsedPath<'_>) -> LastComponent {
        match parsed.components.last() {
            None => LastComponent::Root,
            Some(&".") => LastComponent::Dot,
            Some(&"..") => LastComponent::DotDot,
            Some(name) => LastComponent::Name(String::from(*name)),
        }
    }

    /// The name as written (`/` for the root).
    pub fn as_str(&self) -> &str {
        match self {
            LastComponent::Name(name) => name,
            LastComponent::Dot => ".",
            LastComponent::DotDot => "..",
            LastComponent::Root => "/",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn splits_and_flags() {
        let table: &[(&str, bool, &[&str], bool)] = &[
            ("/", true, &[], false),
            ("///", true, &[], false),
            ("a", false, &["a"], false),
            ("a/", false, &["a"], true),
            ("a//b///", false, &["a", "b"], true),
            ("/a/./b/../c", true, &["a", ".", "b", "..", "c"], false),
            ("./", false, &["."], true),
        ];
        for &(path, absolute, components, trailing) in table {
            let parsed = parse(path).unwrap();
            assert_eq!(parsed.absolute, absolute, "{path}");
            assert_eq!(parsed.components, components.to_vec(), "{path}");
            assert_eq!(parsed.trailing_slash, trailing, "{path}");
        }
    }

    #[test]
    fn rejects_bad_paths() {
        assert_eq!(parse(""), Err(Errno::ENOENT));
        assert_eq!(parse("a\0b"), Err(Errno::EINVAL));
        let long = "a".repeat(PATH_MAX);
        assert_eq!(parse(&long), Err(Errno::ENAMETOOLONG));
        assert!(parse(&long[1..]).is_ok());
    }

    #[test]
    fn classifies_last_component() {
        let cases = vec![
            ("/", LastComponent::Root),
            ("a/.", LastComponent::Dot),
            ("..", LastComponent::DotDot),
            ("a/b/", LastComponent::Name("b".into())),
        ];
        for (path, want) in cases {
            assert_eq!(LastComponent::of(&parse(path).unwrap()), want, "{path}");
        }
    }

    #[test]
    fn validates_new_names() {
        assert_eq!(check_new_name("ok"), Ok(()));
        assert_eq!(check_new_name(""), Err(Errno::EINVAL));
        assert_eq!(check_new_name("a/b"), Err(Errno::EINVAL));
        assert_eq!(check_new_name(".."), Err(Errno::EEXIST));
        assert_eq!(check_new_name(&"x".repeat(NAME_MAX)), Ok(()));
        assert_eq!(check_new_name(&"x".repeat(NAME_MAX + 1)), Err(Errno::ENAMETOOLONG));
    }
}
