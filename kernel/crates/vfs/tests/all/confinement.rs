//! A namespace's root is the top: nothing outside it can be reached.

use errno::Errno;
use vfs::{MountOptions, Vfs};

use crate::common::{env, tmpfs, Env};

/// A host namespace with a secret, and a container namespace whose rootfs
/// is a directory-less tmpfs of its own.
fn host_and_container() -> (Env, Env) {
    let host = env();
    host.mkdir("/etc");
    host.write("/etc/secret", b"host secret");
    let container = env();
    container.mkdir("/etc");
    container.write("/etc/hostname", b"box");
    (host, container)
}

#[test]
fn dotdot_at_root_stays() {
    let (_host, c) = host_and_container();
    for path in ["/../../etc", "../../../etc", "/etc/../../../../etc", "/./../etc/./"] {
        let loc = c.vfs.resolve(&c.cwd(), path, true).unwrap();
        assert_eq!(loc.path(), "/etc", "{path}");
        assert!(c.vfs.stat(&c.root, &c.cwd(), &format!("{path}/hostname")).is_ok());
        assert_eq!(c.vfs.stat(&c.root, &c.cwd(), &format!("{path}/secret")).unwrap_err(), Errno::ENOENT);
    }
}

#[test]
fn absolute_symlinks_resolve_against_this_root() {
    let (_host, c) = host_and_container();
    c.mkdir("/a");
    c.symlink("/../../..", "/a/esc");
    c.symlink("../../../../../../etc", "/a/rel");
    c.symlink("/etc/secret", "/a/abs_secret");
    assert_eq!(c.resolve("/a/esc").path(), "/");
    assert_eq!(c.resolve("/a/esc/etc/hostname").path(), "/etc/hostname");
    assert_eq!(c.resolve("/a/rel").path(), "/etc");
    assert_eq!(c.vfs.resolve(&c.cwd(), "/a/abs_secret", true).unwrap_err(), Errno::ENOENT);
}

#[test]
fn dotdot_crosses_mounts_upward() {
    let (_host, c) = host_and_container();
    c.mkdir("/mnt");
    c.mkdir("/mnt/m");
    c.vfs.mount("/mnt/m", tmpfs(&c.clock), MountOptions::new("tmpfs")).unwrap();
    c.mkdir("/mnt/m/inner");
    let inner = c.resolve("/mnt/m/inner");
    assert_eq!(c.vfs.resolve(&inner, "..", true).unwrap().path(), "/mnt/m");
    assert_eq!(c.vfs.resolve(&inner, "../..", true).unwrap().path(), "/mnt");
    assert_eq!(c.vfs.resolve(&inner, "../../../../../../..", true).unwrap().path(), "/");
    assert_eq!(c.vfs.resolve(&inner, "../../m/inner", true).unwrap().path(), "/mnt/m/inner");
}

#[test]
fn bind_mount_root_does_not_lead_to_host_parent() {
    let (host, c) = host_and_container();
    host.mkdir("/srv");
    host.mkdir("/srv/vol");
    host.write("/srv/vol/data", b"volume");
    host.symlink("/etc/secret", "/srv/vol/abs");
    c.mkdir("/data");
    let source = host.resolve("/srv/vol");
    let target = c.resolve("/data");
    c.vfs.bind(&source, &target, MountOptions::new("/srv/vol")).unwrap();
    assert_eq!(c.read("/data/data"), b"volume");
    assert_eq!(c.resolve("/data/..").path(), "/");
    assert_eq!(c.vfs.stat(&c.root, &c.cwd(), "/data/../etc/secret").unwrap_err(), Errno::ENOENT);
    assert_eq!(c.vfs.resolve(&c.cwd(), "/data/abs", true).unwrap_err(), Errno::ENOENT);
    // Changes through the bind are visible on the host.
    c.write("/data/new", b"from container");
    assert_eq!(host.read("/srv/vol/new"), b"from container");
}

#[test]
fn locations_of_other_namespaces_are_refused() {
    let (host, c) = host_and_container();
    let foreign = host.resolve("/etc");
    assert_eq!(c.vfs.resolve(&foreign, "secret", true).unwrap_err(), Errno::EINVAL);
    assert_eq!(c.vfs.stat(&c.root, &foreign, "secret").unwrap_err(), Errno::EINVAL);
    assert_eq!(c.vfs.mount_at(&foreign, tmpfs(&c.clock), MountOptions::new("x")).unwrap_err(), Errno::EINVAL);
    // Even an absolute path from a foreign cwd is refused rather than reinterpreted.
    assert_eq!(c.vfs.resolve(&foreign, "/etc", true).unwrap_err(), Errno::EINVAL);
}

#[test]
fn a_filesystem_mounted_in_two_namespaces_stays_confined_in_each() {
    let shared = {
        let clock = std::sync::Arc::new(vfs::ManualClock::new(crate::common::T0));
        tmpfs(&clock)
    };
    let a = Vfs::new(shared.clone());
    let b = Vfs::new(shared);
    let root = vfs::Cred::root();
    a.mkdir(&root, &a.root(), "/d", 0o755).unwrap();
    assert!(b.stat(&root, &b.root(), "/d").is_ok());
    assert_eq!(a.resolve(&a.root(), "/d/../..", true).unwrap().path(), "/");
}

#[test]
fn chroot_view_confines_absolute_paths_and_dotdot() {
    let (_host, c) = host_and_container();
    c.mkdir("/jail");
    c.mkdir("/jail/sub");
    c.mkdir("/jail/etc");
    c.write("/jail/etc/hostname", b"inner");
    c.symlink("/etc/hostname", "/jail/abs");
    c.vfs.mount("/jail/sub", tmpfs(&c.clock), MountOptions::new("tmpfs")).unwrap();
    let jail = c.vfs.chroot(&c.resolve("/jail")).unwrap();
    let root = jail.root();
    assert_eq!(jail.read_file(&c.root, &root, "/etc/hostname").unwrap(), b"inner");
    assert_eq!(jail.read_file(&c.root, &root, "/../../etc/hostname").unwrap(), b"inner");
    assert_eq!(jail.read_file(&c.root, &root, "/abs").unwrap(), b"inner");
    // `..` from a mount inside the jail climbs back to the jail's root, no further.
    let sub = jail.resolve(&root, "/sub", true).unwrap();
    let up = jail.resolve(&sub, "../../../..", true).unwrap();
    assert!(up.same_as(&root));
    assert_eq!(jail.path_of(&sub), "/sub");
    assert_eq!(jail.path_of(&root), "/");
    // Not a directory, or from another namespace: refused.
    assert_eq!(c.vfs.chroot(&c.resolve("/jail/etc/hostname")).err(), Some(Errno::ENOTDIR));
    let other = env();
    assert_eq!(other.vfs.chroot(&c.resolve("/jail")).err(), Some(Errno::EINVAL));
}

#[test]
fn chroot_escape_reaches_namespace_root_never_beyond() {
    // The classic escape: chroot into a subdirectory while the cwd stays
    // outside it, then climb. As on Linux it leaves the chroot, but the
    // namespace root (the container's) is still the top.
    let (_host, c) = host_and_container();
    c.mkdir("/jail");
    c.mkdir("/jail/deeper");
    let jail = c.vfs.chroot(&c.resolve("/jail/deeper")).unwrap();
    let cwd_outside = c.resolve("/jail");
    let top = jail.resolve(&cwd_outside, "../../../../../..", true).unwrap();
    assert_eq!(top.path(), "/");
    assert_eq!(jail.path_of(&top), "(unreachable)/");
    assert_eq!(jail.read_file(&c.root, &top, "etc/hostname").unwrap(), b"box");
    assert_eq!(jail.stat(&c.root, &top, "etc/secret").unwrap_err(), Errno::ENOENT);
    // A second chroot at the climbed-to place is the namespace root again.
    let out = jail.chroot(&top).unwrap();
    assert_eq!(out.resolve(&out.root(), "/..", true).unwrap().path(), "/");
}
