//! Image names on the data disk: the directory under `/mnt/images` that the kernel's
//! `images` lists and `oci-runtime run --image NAME` takes.
//!
//! A name is 1..=64 characters of `a-z 0-9 . _ -`, not starting with `.` or `-`: safe as a
//! FAT long name (which ignores case, hence lower case only) and as a shell word.

use std::path::Path;

/// The longest name accepted.
pub const MAX_NAME: usize = 64;

/// Checks a name the user chose.
pub fn validate(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(ok_char) || name.starts_with(['.', '-']) {
        return Err(format!(
            "bad image name {name:?} (want 1-{MAX_NAME} characters of a-z, 0-9, '.', '_', '-', not starting with '.' or '-')"
        ));
    }
    Ok(())
}

/// Turns arbitrary text into a valid name, or `None` if nothing usable is left.
pub fn sanitize(text: &str) -> Option<String> {
    let mapped: String = text
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    let trimmed = mapped.trim_start_matches(['.', '-']);
    let name: String = trimmed.chars().take(MAX_NAME).collect();
    let name = name.trim_end_matches(['.', '-']).to_string();
    validate(&name).ok().map(|()| name)
}

/// Splits `[host/]path/repo[:tag][@digest]` into the repository's last component and tag.
pub fn repo_and_tag(reference: &str) -> (&str, Option<&str>) {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((repo, tag)) => (repo, Some(tag)),
        None => (last, None),
    }
}

/// The name for a full reference: `docker.io/library/busybox:latest` -> `busybox`,
/// `example.com/tools/app:1.2` -> `app-1.2`.
pub fn from_reference(reference: &str) -> Option<String> {
    let (repo, tag) = repo_and_tag(reference);
    match tag {
        Some(t) if t != "latest" => sanitize(&format!("{repo}-{t}")),
        _ => sanitize(repo),
    }
}

/// The name for a bare tag found in an OCI layout (`latest`, `v2`) with the source's file
/// name as the repository: `busybox` + `latest` -> `busybox`, `app.tar` + `v2` -> `app-v2`.
pub fn from_file_and_tag(source: &Path, tag: Option<&str>) -> Option<String> {
    let file = source.file_name()?.to_string_lossy().into_owned();
    let stem = [".tar.gz", ".tgz", ".tar", ".oci"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(&file)
        .to_string();
    match tag {
        Some(t) if t != "latest" && !t.is_empty() => sanitize(&format!("{stem}-{t}")),
        _ => sanitize(&stem),
    }
}

/// Whether an OCI `ref.name` annotation is a whole reference rather than a bare tag.
pub fn is_full_reference(ref_name: &str) -> bool {
    ref_name.contains('/') || ref_name.contains(':') || ref_name.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_references() {
        assert_eq!(from_reference("docker.io/library/busybox:latest").as_deref(), Some("busybox"));
        assert_eq!(from_reference("busybox").as_deref(), Some("busybox"));
        assert_eq!(from_reference("127.0.0.1:5000/tools/App:1.2").as_deref(), Some("app-1.2"));
        assert_eq!(from_reference("localhost:5000/x@sha256:abcd").as_deref(), Some("x"));
        assert_eq!(from_reference("a/b:v1+build").as_deref(), Some("b-v1-build"));
    }

    #[test]
    fn names_from_files() {
        assert_eq!(from_file_and_tag(Path::new("/tmp/x.tar"), None).as_deref(), Some("x"));
        assert_eq!(from_file_and_tag(Path::new("/tmp/My Image.tar.gz"), Some("latest")).as_deref(), Some("my-image"));
        assert_eq!(from_file_and_tag(Path::new("images/busybox"), Some("v2")).as_deref(), Some("busybox-v2"));
        assert_eq!(from_file_and_tag(Path::new("/tmp/.tar"), None), None);
    }

    #[test]
    fn validation() {
        for good in ["busybox", "a", "app-1.2", "x_y"] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden", "-x", "Busybox", "a/b", "a b", "..", &"x".repeat(65)] {
            assert!(validate(bad).is_err(), "{bad}");
        }
        assert_eq!(sanitize("..--Weird Name!!--").as_deref(), Some("weird-name"));
        assert!(!is_full_reference("latest"));
        assert!(is_full_reference("docker.io/library/busybox:latest"));
    }
}
