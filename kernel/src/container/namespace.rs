//! A container's mount namespace: its root filesystem (read-only if
//! `root.readonly`), a devfs on `/dev`, and the spec's `mounts` that this kernel
//! has filesystems for, plus Docker's `/etc/resolv.conf` and `/etc/hosts`
//! when the image lacks them.
//!
//! Mounts: `tmpfs` (options `size=`, `mode=`, `ro`, `nosuid`, `nodev`, `noexec`)
//! and bind mounts (`bind`/`rbind`, the source a host path, relative to the
//! bundle directory) are made; a `tmpfs` on `/dev` is the devfs. `proc`,
//! `sysfs`, `devpts`, `mqueue` and `cgroup` have no filesystem here yet: they
//! are skipped and said so in one log line. Any other type is an error.
//! Missing mount points are created (in the root filesystem even if it is to
//! be read-only, as runc does before it remounts).
//! Then `linux.devices` become nodes (in `/dev`, or in the root filesystem);
//! a node reaches a driver only if its number is one of the container's
//! devfs drivers (null, zero, full, random, urandom, console, tty), as
//! every other number opens with `ENXIO`. After `/proc` is mounted,
//! [`restrict`] applies `linux.maskedPaths` (`/dev/null` bound over a
//! file, an empty read-only tmpfs over a directory) and
//! `linux.readonlyPaths` (read-only binds onto themselves), as runc does;
//! paths that do not exist are skipped.
//! Invariants: nothing of the host is reachable except what a bind mount names.
//! May call: `fs`, `net` (the DNS server for resolv.conf).

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use errno::Errno;
use oci::runtime::Mount;
use oci::Spec;
use vfs::{Cred, DevFs, FileKind, FileSystem, MountOptions, TmpFs, TmpFsOptions, Vfs};

/// Filesystem types accepted but not mounted yet.
const NOT_YET: [&str; 5] = ["sysfs", "devpts", "mqueue", "cgroup", "cgroup2"];

/// How a namespace is put together.
pub struct Plan<'a> {
    pub id: &'a str,
    pub spec: &'a Spec,
    /// Where relative bind sources are (the bundle directory), if anywhere.
    pub bundle_dir: Option<&'a str>,
    /// Also mount a fresh tmpfs on `/tmp` (image containers, as before bundles).
    pub tmp: bool,
    /// Level of the skipped-mounts note (info for a user's bundle, debug for
    /// the default mounts of an image's generated spec).
    pub note_level: log::Level,
}

/// The namespace over `rootfs` described by `plan`.
pub fn build(rootfs: Arc<dyn FileSystem>, plan: &Plan<'_>) -> Result<Arc<Vfs>, String> {
    // A writable view of the root filesystem, for making mount points.
    let rw = Vfs::new(rootfs.clone());
    let mut options = MountOptions::new(rootfs.fs_type());
    options.flags.read_only = plan.spec.root.readonly;
    let ns = Arc::new(Vfs::with_root_options(rootfs, options));
    let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);

    ensure(&ns, &rw, "/dev", FileKind::Directory)?;
    let devfs = DevFs::new(clock.clone(), Arc::new(crate::fs::HwEntropy)).map_err(|e| format!("devfs: {e}"))?;
    let console: Arc<dyn vfs::CharDevice> = Arc::new(crate::fs::ConsoleDevice);
    for (dev, major, minor) in [("console", 5, 1), ("tty", 5, 0)] {
        devfs.register(dev, major, minor, console.clone()).map_err(|e| format!("devfs {dev}: {e}"))?;
    }
    // Device nodes made in the container's tmpfs mounts reach the same drivers.
    let registry = devfs.registry().clone();
    ns.mount("/dev", devfs, MountOptions::new("devfs")).map_err(|e| format!("mount /dev: {e}"))?;
    if plan.tmp {
        ensure(&ns, &rw, "/tmp", FileKind::Directory)?;
        ns.mount("/tmp", TmpFs::new(clock.clone(), crate::fs::tmpfs_options()), MountOptions::new("tmpfs"))
            .map_err(|e| format!("mount /tmp: {e}"))?;
    }

    provide_resolver_files(&ns, &rw);

    let mut skipped: Vec<String> = Vec::new();
    for (i, m) in plan.spec.mounts.iter().enumerate() {
        let fail = |e: &dyn core::fmt::Display| format!("mounts[{i}] ({}): {e}", m.destination);
        let bind = m.kind == "bind" || m.options.iter().any(|o| o == "bind" || o == "rbind");
        if bind {
            mount_bind(&ns, &rw, m, plan.bundle_dir).map_err(|e| fail(&e))?;
        } else if m.kind == "tmpfs" && m.destination.trim_end_matches('/') == "/dev" {
            // The devfs above is this container's /dev.
        } else if m.kind == "tmpfs" {
            ensure(&ns, &rw, &m.destination, FileKind::Directory).map_err(|e| fail(&e))?;
            let (mut fs_options, mount_options) = tmpfs_options(m).map_err(|e| fail(&e))?;
            fs_options.devices = Some(registry.clone());
            let fs = TmpFs::new(clock.clone(), fs_options);
            ns.mount(&m.destination, fs, mount_options).map_err(|e| fail(&e))?;
        } else if m.kind == "proc" {
            // Mounted by the runtime once the container's PID namespace
            // exists (`task::procfs::mount`); here only its mount point.
            ensure(&ns, &rw, &m.destination, FileKind::Directory).map_err(|e| fail(&e))?;
        } else if NOT_YET.contains(&m.kind.as_str()) {
            skipped.push(format!("{} ({})", m.destination, m.kind));
        } else {
            return Err(fail(&format!("filesystem type {:?} is not supported", m.kind)));
        }
    }
    if !skipped.is_empty() {
        log::log!(plan.note_level, "container {}: not mounted, no such filesystem yet: {}", plan.id, skipped.join(", "));
    }
    if let Some(linux) = &plan.spec.linux {
        for (i, d) in linux.devices.iter().enumerate() {
            make_device(&ns, &rw, d).map_err(|e| format!("linux.devices[{i}] ({}): {e}", d.path))?;
        }
    }
    Ok(ns)
}

/// One `linux.devices` node: type `c`/`u` (character), `b` (block), `p`
/// (FIFO); mode `fileMode` (default 0666), owner `uid`/`gid` (default 0).
/// An existing node is left as it is (as runc does).
fn make_device(ns: &Vfs, rw: &Vfs, d: &oci::runtime::Device) -> Result<(), String> {
    let cred = Cred::root();
    let kind = match d.kind.as_str() {
        "c" | "u" => FileKind::CharDevice,
        "b" => FileKind::BlockDevice,
        _ => FileKind::Fifo,
    };
    let number = |n: i64| u32::try_from(n).map_err(|_| format!("device number {n} out of range"));
    let rdev = if kind == FileKind::Fifo { vfs::DevId::NONE } else { vfs::DevId::new(number(d.major)?, number(d.minor)?) };
    if let Some(parent) = d.path.rsplit_once('/').map(|(dir, _)| dir).filter(|dir| !dir.is_empty()) {
        ensure(ns, rw, parent, FileKind::Directory)?;
    }
    let perm = d.file_mode.unwrap_or(0o666) & 0o7777;
    let made = match ns.mknod(&cred, &ns.root(), &d.path, kind, perm, rdev) {
        Err(Errno::EROFS) => rw.mknod(&cred, &rw.root(), &d.path, kind, perm, rdev),
        other => other,
    };
    let node = match made {
        Ok(node) => node,
        Err(Errno::EEXIST) => return Ok(()),
        Err(e) => return Err(format!("{e}")),
    };
    if d.uid.is_some() || d.gid.is_some() {
        node.set_owner(&cred, d.uid, d.gid).map_err(|e| format!("chown: {e}"))?;
    }
    Ok(())
}

/// `linux.maskedPaths` and `linux.readonlyPaths` of `spec` over the
/// finished namespace (after /proc is mounted).
pub fn restrict(ns: &Vfs, spec: &Spec) -> Result<(), String> {
    let Some(linux) = &spec.linux else { return Ok(()) };
    let root = ns.root();
    for path in &linux.masked_paths {
        let target = match ns.resolve(&root, path, true) {
            Ok(t) => t,
            Err(Errno::ENOENT | Errno::ENOTDIR) => continue,
            Err(e) => return Err(format!("linux.maskedPaths {path}: {e}")),
        };
        let masked = if target.kind() == Ok(FileKind::Directory) {
            let clock: Arc<dyn vfs::Clock> = Arc::new(crate::fs::KernelClock);
            let empty = TmpFs::new(clock, TmpFsOptions { size_limit: Some(0), ..crate::fs::tmpfs_options() });
            ns.mount_at(&target, empty, MountOptions::new("tmpfs").read_only())
        } else {
            ns.resolve(&root, "/dev/null", true).and_then(|null| ns.bind(&null, &target, MountOptions::new("/dev/null")))
        };
        masked.map_err(|e| format!("linux.maskedPaths {path}: {e}"))?;
    }
    for path in &linux.readonly_paths {
        let target = match ns.resolve(&root, path, true) {
            Ok(t) => t,
            Err(Errno::ENOENT | Errno::ENOTDIR) => continue,
            Err(e) => return Err(format!("linux.readonlyPaths {path}: {e}")),
        };
        let mut options = MountOptions::new(path).read_only();
        options.flags.nosuid = target.mount_flags().nosuid;
        options.flags.nodev = target.mount_flags().nodev;
        options.flags.noexec = target.mount_flags().noexec;
        ns.bind(&target, &target, options).map_err(|e| format!("linux.readonlyPaths {path}: {e}"))?;
    }
    Ok(())
}

/// As Docker does: `/etc/resolv.conf` naming the network's DNS server (QEMU's
/// 10.0.2.3 unless DHCP said otherwise) and `/etc/hosts` with localhost,
/// unless the image has them. Only where `/etc` exists; failures are logged.
fn provide_resolver_files(ns: &Vfs, rw: &Vfs) {
    let cred = Cred::root();
    if ns.stat(&cred, &ns.root(), "/etc").is_err() {
        return;
    }
    let dns = crate::net::dns_server().unwrap_or(core::net::Ipv4Addr::new(10, 0, 2, 3));
    let files = [
        ("/etc/resolv.conf", format!("nameserver {dns}\n")),
        ("/etc/hosts", String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")),
    ];
    for (path, text) in files {
        if ns.stat(&cred, &ns.root(), path).is_ok() {
            continue;
        }
        let written = match ns.write_file(&cred, &ns.root(), path, text.as_bytes(), 0o644) {
            Err(Errno::EROFS) => rw.write_file(&cred, &rw.root(), path, text.as_bytes(), 0o644),
            other => other,
        };
        if let Err(e) = written {
            log::warn!("container: cannot write {path}: {e}");
        }
    }
}

/// Makes sure `path` exists in `ns` as a `kind` (directory or file), creating
/// what is missing: through `ns`, or through the writable view `rw` where `ns`
/// has the read-only root.
fn ensure(ns: &Vfs, rw: &Vfs, path: &str, kind: FileKind) -> Result<(), String> {
    let cred = Cred::root();
    let mut prefix = String::new();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        prefix.push('/');
        prefix.push_str(part);
        let last = i + 1 == parts.len();
        match ns.stat(&cred, &ns.root(), &prefix) {
            Ok(st) if last && st.meta.kind != kind => return Err(format!("{prefix}: exists and is not a {}", kind_name(kind))),
            Ok(_) => continue,
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(format!("{prefix}: {e}")),
        }
        let make = |vfs: &Vfs| {
            if last && kind == FileKind::Regular {
                vfs.create(&cred, &vfs.root(), &prefix, 0o644).map(|_| ())
            } else {
                vfs.mkdir(&cred, &vfs.root(), &prefix, 0o755).map(|_| ())
            }
        };
        match make(ns) {
            Ok(()) => {}
            Err(Errno::EROFS) => make(rw).map_err(|e| format!("{prefix}: {e}"))?,
            Err(e) => return Err(format!("{prefix}: {e}")),
        }
    }
    Ok(())
}

fn kind_name(kind: FileKind) -> &'static str {
    if kind == FileKind::Directory { "directory" } else { "file" }
}

/// A bind mount of a host path (absolute, or relative to the bundle directory).
fn mount_bind(ns: &Vfs, rw: &Vfs, m: &Mount, bundle_dir: Option<&str>) -> Result<(), String> {
    let host = crate::fs::host();
    let cred = crate::fs::root_cred();
    let source = match (m.source.starts_with('/'), bundle_dir) {
        (true, _) => m.source.clone(),
        (false, Some(dir)) => format!("{dir}/{}", m.source),
        (false, None) => return Err(format!("bind source {:?} must be absolute here", m.source)),
    };
    let from = host.resolve_as(&cred, &host.root(), &source, true).map_err(|e| format!("bind source {source}: {e}"))?;
    let kind = if from.kind() == Ok(FileKind::Directory) { FileKind::Directory } else { FileKind::Regular };
    ensure(ns, rw, &m.destination, kind)?;
    let to = ns.resolve(&ns.root(), &m.destination, true).map_err(|e| format!("{e}"))?;
    let mut options = MountOptions::new(&source);
    apply_flags(&mut options, &m.options);
    ns.bind(&from, &to, options).map_err(|e| format!("{e}"))
}

fn apply_flags(options: &mut MountOptions, list: &[String]) {
    for o in list {
        match o.as_str() {
            "ro" => options.flags.read_only = true,
            "rw" => options.flags.read_only = false,
            "nosuid" => options.flags.nosuid = true,
            "nodev" => options.flags.nodev = true,
            "noexec" => options.flags.noexec = true,
            _ => {}
        }
    }
}

/// A tmpfs mount's `size=`/`mode=` (other data options are ignored, as
/// `strictatime` and friends change nothing here) and flags.
fn tmpfs_options(m: &Mount) -> Result<(TmpFsOptions, MountOptions), String> {
    tmpfs_mount_options(&m.source, &m.options)
}

/// The filesystem and mount options of a tmpfs from its source and option
/// words (`size=`, `mode=`, `ro`, `nosuid`, ...): for config.json mounts and mount(2).
pub fn tmpfs_mount_options(source: &str, options: &[String]) -> Result<(TmpFsOptions, MountOptions), String> {
    let mut fs = crate::fs::tmpfs_options();
    let mut mount = MountOptions::new(if source.is_empty() { "tmpfs" } else { source });
    apply_flags(&mut mount, options);
    let mut data = Vec::new();
    for o in options {
        if let Some(v) = o.strip_prefix("mode=") {
            fs.root_perm = u32::from_str_radix(v, 8).ok().filter(|p| *p <= 0o7777).ok_or_else(|| format!("bad option {o:?}"))?;
            data.push(o.clone());
        } else if let Some(v) = o.strip_prefix("size=") {
            fs.size_limit = Some(parse_size(v).ok_or_else(|| format!("bad option {o:?}"))?);
            data.push(o.clone());
        }
    }
    mount.data = data.join(",");
    Ok((fs, mount))
}

/// `65536k`, `64m`, `1g` or bytes.
fn parse_size(v: &str) -> Option<u64> {
    let (digits, shift) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 10),
        b'm' | b'M' => (&v[..v.len() - 1], 20),
        b'g' | b'G' => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}
