//! Permission checks for non-root callers.

use errno::Errno;
use vfs::{Access, Cred, OpenFlags, SetTime, Timespec};

use crate::common::{env, user};

#[test]
fn search_read_write_permissions() {
    let e = env();
    let alice = user(1000);
    e.mkdir("/private");
    e.write("/private/f", b"secret");
    e.vfs.chmod(&e.root, &e.cwd(), "/private", 0o700).unwrap();
    let c = e.cwd();
    assert_eq!(e.vfs.stat(&alice, &c, "/private/f").unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.stat(&alice, &c, "/private/missing").unwrap_err(), Errno::EACCES);
    assert!(e.vfs.stat(&alice, &c, "/private").is_ok());
    assert_eq!(e.vfs.resolve_as(&alice, &c, "/private/f", true).unwrap_err(), Errno::EACCES);
    assert!(e.vfs.resolve(&c, "/private/f", true).is_ok(), "resolve itself checks nothing");
    assert_eq!(e.vfs.open_dir_entries(&alice, &c, "/private").unwrap_err(), Errno::EACCES);
    e.vfs.chmod(&e.root, &c, "/private", 0o711).unwrap();
    assert_eq!(e.vfs.read_file(&alice, &c, "/private/f").unwrap(), b"secret", "0644 readable");
    assert_eq!(e.vfs.write_file(&alice, &c, "/private/f", b"x", 0).unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.create(&alice, &c, "/private/g", 0o644).unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.unlink(&alice, &c, "/private/f").unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.truncate(&alice, &c, "/private/f", 0).unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.access(&alice, &c, "/private/f", Access::READ), Ok(()));
    assert_eq!(e.vfs.access(&alice, &c, "/private/f", Access::WRITE), Err(Errno::EACCES));
    assert_eq!(e.vfs.access(&alice, &c, "/private/f", Access::NONE), Ok(()));
    assert_eq!(e.vfs.access(&e.root, &c, "/private/f", Access::EXEC), Err(Errno::EACCES));
    assert_eq!(e.vfs.open(&alice, &c, "/private/f", OpenFlags::from_linux(2), 0).unwrap_err(), Errno::EACCES);
}

#[test]
fn created_files_open_regardless_of_their_mode() {
    let e = env();
    let alice = user(1000);
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    let flags = OpenFlags::from_linux(0o100 | 2);
    let f = e.vfs.open(&alice, &e.cwd(), "/ro_new", flags, 0o000).unwrap();
    assert_eq!(f.metadata().unwrap().perm, 0);
    assert_eq!(e.vfs.open(&alice, &e.cwd(), "/ro_new", flags, 0o000).unwrap_err(), Errno::EACCES);
}

#[test]
fn attribute_changes_need_ownership() {
    let e = env();
    let (alice, bob) = (vfs::Cred::new(1000, 1000, vec![50]), user(1001));
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    e.vfs.create(&alice, &e.cwd(), "/f", 0o666).unwrap();
    let c = e.cwd();
    assert_eq!(e.vfs.chmod(&bob, &c, "/f", 0o777).unwrap_err(), Errno::EPERM);
    e.vfs.chmod(&alice, &c, "/f", 0o2755).unwrap();
    assert_eq!(e.stat("/f").meta.perm, 0o2755, "her own group");
    e.vfs.chown(&e.root, &c, "/f", None, Some(7), true).unwrap();
    e.vfs.chmod(&alice, &c, "/f", 0o2755).unwrap();
    assert_eq!(e.stat("/f").meta.perm, 0o0755, "set-group-ID dropped outside her groups");
}

#[test]
fn chown_rules() {
    let e = env();
    let alice = vfs::Cred::new(1000, 1000, vec![50]);
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    e.vfs.create(&alice, &e.cwd(), "/f", 0o644).unwrap();
    let c = e.cwd();
    assert_eq!(e.vfs.chown(&alice, &c, "/f", Some(0), None, true).unwrap_err(), Errno::EPERM);
    e.vfs.chown(&alice, &c, "/f", Some(1000), Some(50), true).unwrap();
    assert_eq!(e.stat("/f").meta.gid, 50);
    assert_eq!(e.vfs.chown(&alice, &c, "/f", None, Some(7), true).unwrap_err(), Errno::EPERM);
    assert_eq!(e.vfs.chown(&user(2000), &c, "/f", None, Some(50), true).unwrap_err(), Errno::EPERM);
    e.vfs.chown(&e.root, &c, "/f", Some(3), Some(3), true).unwrap();
    assert_eq!((e.stat("/f").meta.uid, e.stat("/f").meta.gid), (3, 3));
}

#[test]
fn utimens_rules() {
    let e = env();
    let (alice, bob) = (user(1000), user(1001));
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    e.vfs.create(&alice, &e.cwd(), "/f", 0o666).unwrap();
    let c = e.cwd();
    let at = Some(SetTime::At(Timespec::new(1, 0)));
    let now = Some(SetTime::Now);
    assert_eq!(e.vfs.utimens(&bob, &c, "/f", at, at, true).unwrap_err(), Errno::EPERM);
    assert_eq!(e.vfs.utimens(&bob, &c, "/f", now, now, true), Ok(()), "writable: may touch");
    e.vfs.chmod(&alice, &c, "/f", 0o644).unwrap();
    assert_eq!(e.vfs.utimens(&bob, &c, "/f", now, now, true).unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.utimens(&alice, &c, "/f", at, None, true), Ok(()));
    assert_eq!(e.stat("/f").meta.atime, Timespec::new(1, 0));
    assert_eq!(e.vfs.utimens(&bob, &c, "/f", None, None, true), Ok(()), "both omitted: nothing to do");
}

#[test]
fn protected_hardlinks() {
    let e = env();
    let alice = user(1000);
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    e.write("/rootfile", b"");
    assert_eq!(e.vfs.link(&alice, &e.cwd(), "/rootfile", "/mine").unwrap_err(), Errno::EPERM);
    e.vfs.chmod(&e.root, &e.cwd(), "/rootfile", 0o666).unwrap();
    e.vfs.link(&alice, &e.cwd(), "/rootfile", "/mine").unwrap();
}

#[test]
fn access_by_real_ids() {
    let e = env();
    e.write("/secret", b"x");
    e.vfs.chmod(&e.root, &e.cwd(), "/secret", 0o600).unwrap();
    // Effective root, real uid 1000 (after setresuid(1000, 0, 0)).
    let mut cred = Cred::root();
    cred.ruid = 1000;
    cred.rgid = 1000;
    assert_eq!(e.vfs.access(&cred, &e.cwd(), "/secret", Access::READ), Ok(()));
    let real = cred.with_real_ids();
    assert_eq!((real.fsuid, real.fsgid, real.ruid), (1000, 1000, 1000));
    assert_eq!(e.vfs.access(&real, &e.cwd(), "/secret", Access::READ).unwrap_err(), Errno::EACCES);
}
