//! rename(2) rules.

use errno::Errno;
use vfs::FileKind;

use crate::common::{env, user, Env};

fn rename(e: &Env, old: &str, new: &str) -> Result<(), Errno> {
    e.vfs.rename(&e.root, &e.cwd(), old, new)
}

#[test]
fn replaces_files_and_empty_directories() {
    let e = env();
    e.write("/a", b"A");
    e.write("/b", b"B");
    let old_b = e.resolve("/b");
    rename(&e, "/a", "/b").unwrap();
    assert_eq!(e.read("/b"), b"A");
    assert_eq!(e.vfs.stat(&e.root, &e.cwd(), "/a").unwrap_err(), Errno::ENOENT);
    assert_eq!(old_b.metadata().unwrap().nlink, 0);
    assert!(old_b.is_unlinked());

    e.mkdir("/d1");
    e.mkdir("/d2");
    e.mkdir("/p");
    let before = e.nlink("/");
    rename(&e, "/d1", "/d2").unwrap();
    assert_eq!(e.nlink("/"), before - 1);
    rename(&e, "/d2", "/p/d").unwrap();
    assert_eq!((e.nlink("/"), e.nlink("/p")), (before - 2, 3));
}

#[test]
fn type_and_emptiness_errors() {
    let e = env();
    e.write("/f", b"");
    e.mkdir("/d");
    e.mkdir("/full");
    e.write("/full/x", b"");
    e.mkdir("/empty");
    assert_eq!(rename(&e, "/f", "/d").unwrap_err(), Errno::EISDIR);
    assert_eq!(rename(&e, "/d", "/f").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(rename(&e, "/d", "/full").unwrap_err(), Errno::ENOTEMPTY);
    assert_eq!(rename(&e, "/missing", "/x").unwrap_err(), Errno::ENOENT);
    assert_eq!(rename(&e, "/f", "/missing/x").unwrap_err(), Errno::ENOENT);
    assert_eq!(rename(&e, "/f/", "/g").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(rename(&e, "/f", "/g/").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(rename(&e, "/.", "/x").unwrap_err(), Errno::EBUSY);
    assert_eq!(rename(&e, "/d", "/").unwrap_err(), Errno::EBUSY);
    assert_eq!(rename(&e, "/d/..", "/x").unwrap_err(), Errno::EBUSY);
    rename(&e, "/d/", "/empty/").unwrap();
    assert_eq!(e.kind("/empty"), FileKind::Directory);
}

#[test]
fn directory_cannot_move_into_itself() {
    let e = env();
    e.mkdir("/a");
    e.mkdir("/a/b");
    e.mkdir("/a/b/c");
    assert_eq!(rename(&e, "/a", "/a/b/c/a").unwrap_err(), Errno::EINVAL);
    assert_eq!(rename(&e, "/a", "/a/x").unwrap_err(), Errno::EINVAL);
    assert_eq!(rename(&e, "/a/b", "/a/b/c/d").unwrap_err(), Errno::EINVAL);
    // Replacing an ancestor of the source.
    assert_eq!(rename(&e, "/a/b/c", "/a").unwrap_err(), Errno::ENOTEMPTY);
    rename(&e, "/a/b/c", "/c").unwrap();
    assert_eq!(e.resolve("/c/..").path(), "/");
}

#[test]
fn same_inode_rename_is_a_no_op() {
    let e = env();
    e.write("/a", b"x");
    e.vfs.link(&e.root, &e.cwd(), "/a", "/b").unwrap();
    rename(&e, "/a", "/b").unwrap();
    assert_eq!(e.nlink("/a"), 2);
    assert_eq!(e.names("/"), [".", "..", "a", "b"]);
    rename(&e, "/a", "/a").unwrap();
}

#[test]
fn moved_directory_keeps_working_for_held_locations() {
    let e = env();
    e.mkdir("/x");
    e.mkdir("/x/y");
    e.mkdir("/z");
    let y = e.resolve("/x/y");
    rename(&e, "/x", "/z/x2").unwrap();
    assert_eq!(y.path(), "/z/x2/y");
    assert_eq!(e.vfs.resolve(&y, "../..", true).unwrap().path(), "/z");
    let dotdot = y.readdir(1).unwrap().unwrap().0;
    assert_eq!(dotdot.ino, e.stat("/z/x2").meta.ino);
}

#[test]
fn sticky_directories_protect_other_users_entries() {
    let e = env();
    e.mkdir("/tmp");
    e.vfs.chmod(&e.root, &e.cwd(), "/tmp", 0o1777).unwrap();
    let (alice, bob) = (user(1000), user(1001));
    e.vfs.create(&alice, &e.cwd(), "/tmp/a", 0o666).unwrap();
    assert_eq!(e.vfs.rename(&bob, &e.cwd(), "/tmp/a", "/tmp/b").unwrap_err(), Errno::EPERM);
    assert_eq!(e.vfs.unlink(&bob, &e.cwd(), "/tmp/a").unwrap_err(), Errno::EPERM);
    e.vfs.rename(&alice, &e.cwd(), "/tmp/a", "/tmp/b").unwrap();
    e.vfs.unlink(&e.root, &e.cwd(), "/tmp/b").unwrap();
}

#[test]
fn moving_a_directory_to_a_new_parent_needs_write_on_it() {
    let e = env();
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    let alice = user(1000);
    e.mkdir("/rootdir");
    e.vfs.mkdir(&alice, &e.cwd(), "/dst", 0o777).unwrap();
    assert_eq!(e.vfs.rename(&alice, &e.cwd(), "/rootdir", "/dst/r").unwrap_err(), Errno::EACCES);
    e.vfs.rename(&alice, &e.cwd(), "/rootdir", "/renamed").unwrap();
}
