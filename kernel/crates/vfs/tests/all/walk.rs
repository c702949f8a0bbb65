//! Path resolution corner cases, table-driven.

use errno::Errno;

use crate::common::env;

fn tree() -> crate::common::Env {
    let e = env();
    e.mkdir("/a");
    e.mkdir("/a/b");
    e.mkdir("/a/b/c");
    e.write("/a/file", b"x");
    e.symlink("b", "/a/lnk_b");
    e.symlink("/a/b", "/abs");
    e.symlink("nowhere", "/a/dangling");
    e.symlink("file", "/a/flink");
    e.symlink("loop2", "/loop1");
    e.symlink("loop1", "/loop2");
    e.symlink("..", "/a/up");
    e.symlink("b/", "/a/slash_b");
    e.symlink("file/", "/a/slash_file");
    e
}

#[test]
fn resolution_table() {
    let e = tree();
    let long_name = "n".repeat(256);
    let max_name = "n".repeat(255);
    let long_path = format!("/{}", "a/".repeat(2048));
    #[rustfmt::skip]
    let table: Vec<(&str, bool, Result<&str, Errno>)> = vec![
        ("/", true, Ok("/")),
        ("//a///b/", true, Ok("/a/b")),
        ("/a/./b/../b/c", true, Ok("/a/b/c")),
        ("/a/b/c/../../..", true, Ok("/")),
        ("a/b", true, Ok("/a/b")),
        (".", true, Ok("/")),
        ("..", true, Ok("/")),
        ("", true, Err(Errno::ENOENT)),
        ("/a/file", true, Ok("/a/file")),
        ("/a/file/", true, Err(Errno::ENOTDIR)),
        ("/a/file/x", true, Err(Errno::ENOTDIR)),
        ("/a/file/.", true, Err(Errno::ENOTDIR)),
        ("/a/file/..", true, Err(Errno::ENOTDIR)),
        ("/a/missing", true, Err(Errno::ENOENT)),
        ("/a/missing/x", true, Err(Errno::ENOENT)),
        ("/a/lnk_b/c", true, Ok("/a/b/c")),
        ("/a/lnk_b", true, Ok("/a/b")),
        ("/a/lnk_b", false, Ok("/a/lnk_b")),
        ("/a/lnk_b/", false, Ok("/a/b")),
        ("/a/flink", true, Ok("/a/file")),
        ("/a/flink/", true, Err(Errno::ENOTDIR)),
        ("/a/dangling", true, Err(Errno::ENOENT)),
        ("/a/dangling", false, Ok("/a/dangling")),
        ("/a/dangling/", false, Err(Errno::ENOENT)),
        ("/loop1", true, Err(Errno::ELOOP)),
        ("/loop1", false, Ok("/loop1")),
        ("/loop1/x", false, Err(Errno::ELOOP)),
        ("/a/up/a/b", true, Ok("/a/b")),
        ("/abs/c", true, Ok("/a/b/c")),
        ("/abs/../..", true, Ok("/")),
        ("/a/slash_b", true, Ok("/a/b")),
        ("/a/slash_file", true, Err(Errno::ENOTDIR)),
        ("/a/slash_file", false, Ok("/a/slash_file")),
        (&long_name, true, Err(Errno::ENAMETOOLONG)),
        (&max_name, true, Err(Errno::ENOENT)),
        (&long_path, true, Err(Errno::ENAMETOOLONG)),
        ("/a/b\0", true, Err(Errno::EINVAL)),
    ];
    for (path, follow, want) in table {
        let got = e.vfs.resolve(&e.cwd(), path, follow).map(|loc| loc.path());
        assert_eq!(got.as_deref().map_err(|e| *e), want, "resolve({path:?}, follow={follow})");
    }
}

#[test]
fn relative_to_cwd() {
    let e = tree();
    let cwd = e.resolve("/a/b/c");
    let table = [("..", "/a/b"), ("../../file", "/a/file"), ("../../../../../a", "/a"), ("/a", "/a")];
    for (path, want) in table {
        assert_eq!(e.vfs.resolve(&cwd, path, true).unwrap().path(), want, "{path}");
    }
}

#[test]
fn symlink_loop_limit_is_forty() {
    let e = tree();
    // l0 -> l1 -> ... -> l40 -> /a: following l0 takes 41 links.
    for i in 0..40 {
        e.symlink(&format!("l{}", i + 1), &format!("/l{i}"));
    }
    e.symlink("/a", "/l40");
    assert_eq!(e.vfs.resolve(&e.cwd(), "/l1", true).unwrap().path(), "/a");
    assert_eq!(e.vfs.resolve(&e.cwd(), "/l0", true).unwrap_err(), Errno::ELOOP);
    assert_eq!(e.vfs.resolve(&e.cwd(), "/l0", false).unwrap().path(), "/l0");
}

#[test]
fn self_loop_and_dot_targets() {
    let e = tree();
    e.symlink("self", "/self");
    e.symlink(".", "/dot");
    e.symlink("/", "/rootlink");
    assert_eq!(e.vfs.resolve(&e.cwd(), "/self", true).unwrap_err(), Errno::ELOOP);
    assert_eq!(e.resolve("/dot/dot/a").path(), "/a");
    assert_eq!(e.resolve("/rootlink/a/b").path(), "/a/b");
}

#[test]
fn resolve_parent_cases() {
    let e = tree();
    let cases: Vec<(&str, Result<(&str, &str), Errno>)> = vec![
        ("/a/b/c", Ok(("/a/b", "c"))),
        ("/a/b/c/", Ok(("/a/b", "c"))),
        ("/", Ok(("/", "/"))),
        ("a/.", Ok(("/a", "."))),
        ("/a/..", Ok(("/a", ".."))),
        ("new", Ok(("/", "new"))),
        ("/a/lnk_b/new", Ok(("/a/b", "new"))),
        ("/a/file/x", Err(Errno::ENOTDIR)),
        ("/missing/x", Err(Errno::ENOENT)),
        ("", Err(Errno::ENOENT)),
    ];
    for (path, want) in cases {
        let got = e.vfs.resolve_parent(&e.cwd(), path).map(|(dir, name)| (dir.path(), name));
        let got = got.as_ref().map(|(d, n)| (d.as_str(), n.as_str())).map_err(|e| *e);
        assert_eq!(got, want, "resolve_parent({path:?})");
    }
    let full = e.vfs.resolve_parent_full(None, &e.cwd(), "/a/b/").unwrap();
    assert!(full.trailing_slash);
    assert_eq!(full.last, vfs::LastComponent::Name("b".into()));
}

#[test]
fn getcwd_follows_renames_and_reports_unlink() {
    let e = tree();
    let cwd = e.resolve("/a/b/c");
    e.vfs.rename(&e.root, &e.cwd(), "/a/b", "/moved").unwrap();
    assert_eq!(cwd.path(), "/moved/c");
    assert_eq!(e.vfs.resolve(&cwd, "../..", true).unwrap().path(), "/");
    e.vfs.rmdir(&e.root, &e.cwd(), "/moved/c").unwrap();
    assert!(cwd.is_unlinked());
    assert_eq!(e.vfs.resolve(&cwd, "x", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(e.vfs.mkdir(&e.root, &cwd, "x", 0o755).unwrap_err(), Errno::ENOENT);
}
