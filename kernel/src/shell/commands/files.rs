//! File commands over the host namespace (`fs::host()`), worded like coreutils.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;
use errno::Errno;
use shell::{Flag, Flags};
use vfs::{FileKind, Metadata, MountOptions, SetTime, TmpFs};

use super::{quoted, CmdResult};
use crate::shell::{Out, Session};
use crate::time::format_utc;

const LONG: Flag = Flag::short('l');
const ALL: Flag = Flag::short('a');
const PARENTS: Flag = Flag::short('p');
const RECURSIVE: Flag = Flag::short('r');
const FORCE: Flag = Flag::short('f');
const SYMBOLIC: Flag = Flag::short('s');
const CANONICAL: Flag = Flag::short('C');
const FSTYPE: Flag = Flag::short('t');

fn flags(cmd: &str, known: &[Flag], args: &[String]) -> Result<Flags, String> {
    Flags::parse(cmd, known, args).map_err(|e| e.to_string())
}

/// Errors collected over a command's operands: coreutils keep going through
/// them and report every failure (the first is returned, the rest printed).
struct Failures(Vec<String>);

impl Failures {
    fn new() -> Self {
        Failures(Vec::new())
    }
    fn add(&mut self, msg: String) {
        self.0.push(msg);
    }
    fn finish(self) -> CmdResult {
        let mut it = self.0.into_iter();
        match it.next() {
            None => Ok(()),
            Some(first) => {
                for later in it {
                    crate::println!("{later}");
                }
                Err(first)
            }
        }
    }
}

fn vfs() -> &'static vfs::Vfs {
    crate::fs::host()
}

pub fn pwd(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if let Some(a) = args.first() {
        return Err(format!("unexpected argument '{a}'"));
    }
    let _ = writeln!(out, "{}", s.cwd.path());
    Ok(())
}

pub fn cd(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let path = match args {
        [] => "/",
        [p] => p.as_str(),
        _ => return Err(String::from("too many arguments")),
    };
    let loc = vfs().resolve_as(&s.cred, &s.cwd, path, true).map_err(|e| format!("{path}: {e}"))?;
    if !loc.metadata().map_err(|e| format!("{path}: {e}"))?.is_dir() {
        return Err(format!("{path}: {}", Errno::ENOTDIR));
    }
    s.cwd = loc;
    Ok(())
}

fn kind_char(kind: FileKind) -> char {
    match kind {
        FileKind::Regular => '-',
        FileKind::Directory => 'd',
        FileKind::Symlink => 'l',
        FileKind::CharDevice => 'c',
        FileKind::BlockDevice => 'b',
        FileKind::Fifo => 'p',
        FileKind::Socket => 's',
    }
}

fn mode_string(m: &Metadata) -> String {
    let mut s = String::with_capacity(10);
    s.push(kind_char(m.kind));
    let p = m.perm;
    for (shift, special, special_char) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (p >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let x = bits & 1 != 0;
        s.push(match (p & special != 0, x) {
            (true, true) => special_char,
            (true, false) => special_char.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

fn long_line(out: &mut Out, name: &str, m: &Metadata, link: Option<String>) {
    let size = match m.kind {
        FileKind::CharDevice | FileKind::BlockDevice => format!("{}, {}", m.rdev.major, m.rdev.minor),
        _ => m.size.to_string(),
    };
    let _ = write!(
        out,
        "{} {:>2} {:>5} {:>5} {:>9} {} {}",
        mode_string(m),
        m.nlink,
        m.uid,
        m.gid,
        size,
        &format_utc(m.mtime.sec)[..16],
        name
    );
    if let Some(target) = link {
        let _ = write!(out, " -> {target}");
    }
    let _ = writeln!(out);
}

pub fn ls(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let f = flags("ls", &[LONG, ALL], args)?;
    let long = f.has(LONG);
    let all = f.has(ALL);
    let mut operands: Vec<String> = f.operands().to_vec();
    if operands.is_empty() {
        operands.push(String::from("."));
    }
    let many = operands.len() > 1;
    let mut fail = Failures::new();
    for (i, path) in operands.iter().enumerate() {
        let meta = match vfs().lstat(&s.cred, &s.cwd, path) {
            Ok(st) => st.meta,
            Err(e) => {
                fail.add(format!("cannot access {}", quoted(path, e)));
                continue;
            }
        };
        // A symlink to a directory is listed as the directory (without -l, like GNU ls).
        let is_dir = meta.is_dir()
            || (meta.kind == FileKind::Symlink && !long && vfs().stat(&s.cred, &s.cwd, path).is_ok_and(|st| st.meta.is_dir()));
        if !is_dir {
            if long {
                let link = vfs().readlink(&s.cred, &s.cwd, path).ok();
                long_line(out, path, &meta, link);
            } else {
                let _ = writeln!(out, "{path}");
            }
            continue;
        }
        let mut entries = match vfs().open_dir_entries(&s.cred, &s.cwd, path) {
            Ok(e) => e,
            Err(e) => {
                fail.add(format!("cannot open directory {}", quoted(path, e)));
                continue;
            }
        };
        entries.retain(|e| all || !e.name.starts_with('.'));
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if many {
            let _ = writeln!(out, "{}{path}:", if i > 0 { "\n" } else { "" });
        }
        for e in entries {
            if !long {
                let _ = writeln!(out, "{}", e.name);
                continue;
            }
            let child = format!("{}/{}", path.trim_end_matches('/'), e.name);
            match vfs().lstat(&s.cred, &s.cwd, &child) {
                Ok(st) => {
                    let link = if st.meta.kind == FileKind::Symlink { vfs().readlink(&s.cred, &s.cwd, &child).ok() } else { None };
                    long_line(out, &e.name, &st.meta, link);
                }
                Err(err) => fail.add(format!("cannot access {}", quoted(&child, err))),
            }
        }
    }
    fail.finish()
}

/// Streams a file's contents to `sink` in 64 KiB pieces.
fn read_all(s: &Session, path: &str, mut sink: impl FnMut(&[u8])) -> Result<(), Errno> {
    let loc = vfs().resolve_as(&s.cred, &s.cwd, path, true)?;
    let meta = loc.metadata()?;
    if meta.is_dir() {
        return Err(Errno::EISDIR);
    }
    let mut buf = alloc::vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    loop {
        let n = loc.inode().read_at(offset, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        sink(&buf[..n]);
        offset += n as u64;
    }
}

pub fn cat(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if args.is_empty() {
        return Err(String::from("usage: cat <file...>"));
    }
    let mut fail = Failures::new();
    for path in args {
        if let Err(e) = read_all(s, path, |d| out.bytes(d)) {
            fail.add(format!("{path}: {e}"));
        }
    }
    fail.finish()
}

fn kind_name(kind: FileKind, size: u64) -> &'static str {
    match kind {
        FileKind::Regular if size == 0 => "regular empty file",
        FileKind::Regular => "regular file",
        FileKind::Directory => "directory",
        FileKind::Symlink => "symbolic link",
        FileKind::CharDevice => "character special file",
        FileKind::BlockDevice => "block special file",
        FileKind::Fifo => "fifo",
        FileKind::Socket => "socket",
    }
}

pub fn stat(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if args.is_empty() {
        return Err(String::from("missing operand"));
    }
    let mut fail = Failures::new();
    for path in args {
        let st = match vfs().lstat(&s.cred, &s.cwd, path) {
            Ok(st) => st,
            Err(e) => {
                fail.add(format!("cannot statx {}", quoted(path, e)));
                continue;
            }
        };
        let m = &st.meta;
        let name = match m.kind {
            FileKind::Symlink => format!("{path} -> {}", vfs().readlink(&s.cred, &s.cwd, path).unwrap_or_default()),
            _ => path.clone(),
        };
        let _ = writeln!(out, "  File: {name}");
        let _ = writeln!(
            out,
            "  Size: {:<15} Blocks: {:<10} IO Block: {:<6} {}",
            m.size,
            m.blocks,
            m.block_size,
            kind_name(m.kind, m.size)
        );
        let _ = writeln!(out, "Device: {:<14} Inode: {:<11} Links: {}", st.dev, m.ino, m.nlink);
        let _ = writeln!(
            out,
            "Access: ({:04o}/{})  Uid: ({:>5})   Gid: ({:>5})",
            m.perm & 0o7777,
            mode_string(m),
            m.uid,
            m.gid
        );
        for (label, t) in [("Access", m.atime), ("Modify", m.mtime), ("Change", m.ctime)] {
            let _ = writeln!(out, "{label}: {}.{:09} +0000", format_utc(t.sec), t.nsec);
        }
    }
    fail.finish()
}

pub fn touch(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    if args.is_empty() {
        return Err(String::from("missing file operand"));
    }
    let mut fail = Failures::new();
    for path in args {
        let result = match vfs().stat(&s.cred, &s.cwd, path) {
            Ok(_) => vfs().utimens(&s.cred, &s.cwd, path, Some(SetTime::Now), Some(SetTime::Now), true),
            Err(Errno::ENOENT) => vfs().create(&s.cred, &s.cwd, path, 0o644).map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            fail.add(format!("cannot touch {}", quoted(path, e)));
        }
    }
    fail.finish()
}

fn mkdir_parents(s: &Session, path: &str) -> Result<(), Errno> {
    let mut prefix = String::new();
    if path.starts_with('/') {
        prefix.push('/');
    }
    for part in path.split('/').filter(|p| !p.is_empty()) {
        prefix.push_str(part);
        match vfs().mkdir(&s.cred, &s.cwd, &prefix, 0o755) {
            Ok(_) => {}
            Err(Errno::EEXIST) if vfs().stat(&s.cred, &s.cwd, &prefix).is_ok_and(|st| st.meta.is_dir()) => {}
            Err(e) => return Err(e),
        }
        prefix.push('/');
    }
    Ok(())
}

pub fn mkdir(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let f = flags("mkdir", &[PARENTS], args)?;
    if f.operands().is_empty() {
        return Err(String::from("missing operand"));
    }
    let mut fail = Failures::new();
    for path in f.operands() {
        let result = if f.has(PARENTS) { mkdir_parents(s, path) } else { vfs().mkdir(&s.cred, &s.cwd, path, 0o755).map(|_| ()) };
        if let Err(e) = result {
            fail.add(format!("cannot create directory {}", quoted(path, e)));
        }
    }
    fail.finish()
}

pub fn rmdir(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    if args.is_empty() {
        return Err(String::from("missing operand"));
    }
    let mut fail = Failures::new();
    for path in args {
        if let Err(e) = vfs().rmdir(&s.cred, &s.cwd, path) {
            fail.add(format!("failed to remove {}", quoted(path, e)));
        }
    }
    fail.finish()
}

/// How deep `rm -r` and `cp -r` go: a corrupt filesystem whose directories
/// loop must not recurse forever.
const MAX_TREE_DEPTH: usize = 128;

fn remove_tree(s: &Session, path: &str) -> Result<(), Errno> {
    remove_tree_at(s, path, 0)
}

fn remove_tree_at(s: &Session, path: &str, depth: usize) -> Result<(), Errno> {
    let meta = vfs().lstat(&s.cred, &s.cwd, path)?.meta;
    if !meta.is_dir() {
        return vfs().unlink(&s.cred, &s.cwd, path);
    }
    if depth >= MAX_TREE_DEPTH {
        return Err(Errno::ELOOP);
    }
    for e in vfs().open_dir_entries(&s.cred, &s.cwd, path)? {
        if e.name == "." || e.name == ".." {
            continue;
        }
        remove_tree_at(s, &format!("{}/{}", path.trim_end_matches('/'), e.name), depth + 1)?;
    }
    vfs().rmdir(&s.cred, &s.cwd, path)
}

pub fn rm(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let f = flags("rm", &[RECURSIVE, FORCE], args)?;
    if f.operands().is_empty() && !f.has(FORCE) {
        return Err(String::from("missing operand"));
    }
    let mut fail = Failures::new();
    for path in f.operands() {
        let result = match vfs().lstat(&s.cred, &s.cwd, path) {
            Ok(st) if st.meta.is_dir() && !f.has(RECURSIVE) => Err(Errno::EISDIR),
            Ok(_) if f.has(RECURSIVE) => remove_tree(s, path),
            Ok(_) => vfs().unlink(&s.cred, &s.cwd, path),
            Err(e) => Err(e),
        };
        match result {
            Err(Errno::ENOENT) if f.has(FORCE) => {}
            Err(e) => fail.add(format!("cannot remove {}", quoted(path, e))),
            Ok(()) => {}
        }
    }
    fail.finish()
}

fn basename(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// The destination for `src` given operand `dst`: inside it if it is a directory.
fn target_path(s: &Session, src: &str, dst: &str) -> String {
    match vfs().stat(&s.cred, &s.cwd, dst) {
        Ok(st) if st.meta.is_dir() => format!("{}/{}", dst.trim_end_matches('/'), basename(src)),
        _ => String::from(dst),
    }
}

fn copy_file(s: &Session, src: &str, dst: &str, perm: u32) -> Result<(), Errno> {
    let flags = vfs::OpenFlags {
        read: false,
        write: true,
        create: true,
        exclusive: false,
        truncate: true,
        directory: false,
        nofollow: false,
        path_only: false,
    };
    let target = vfs().open(&s.cred, &s.cwd, dst, flags, perm)?;
    let mut offset = 0u64;
    let mut result = Ok(());
    read_all(s, src, |chunk| {
        if result.is_err() {
            return;
        }
        match target.inode().write_at(offset, chunk) {
            Ok(n) if n == chunk.len() => offset += n as u64,
            Ok(_) => result = Err(Errno::ENOSPC),
            Err(e) => result = Err(e),
        }
    })?;
    result
}

fn copy_tree(s: &Session, src: &str, dst: &str) -> Result<(), Errno> {
    copy_tree_at(s, src, dst, 0)
}

fn copy_tree_at(s: &Session, src: &str, dst: &str, depth: usize) -> Result<(), Errno> {
    let meta = vfs().stat(&s.cred, &s.cwd, src)?.meta;
    if !meta.is_dir() {
        return copy_file(s, src, dst, meta.perm & 0o777);
    }
    if depth >= MAX_TREE_DEPTH {
        return Err(Errno::ELOOP);
    }
    match vfs().mkdir(&s.cred, &s.cwd, dst, meta.perm & 0o777) {
        Ok(_) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(e),
    }
    for e in vfs().open_dir_entries(&s.cred, &s.cwd, src)? {
        if e.name != "." && e.name != ".." {
            let (from, to) = (format!("{}/{}", src.trim_end_matches('/'), e.name), format!("{}/{}", dst.trim_end_matches('/'), e.name));
            copy_tree_at(s, &from, &to, depth + 1)?;
        }
    }
    Ok(())
}

/// Splits `src... dst`, checking that several sources go into a directory.
fn sources_and_dest<'a>(s: &Session, ops: &'a [String]) -> Result<(&'a [String], &'a str), String> {
    let (dst, srcs) = ops.split_last().ok_or_else(|| String::from("missing file operand"))?;
    if srcs.is_empty() {
        return Err(format!("missing destination file operand after '{dst}'"));
    }
    if srcs.len() > 1 && !vfs().stat(&s.cred, &s.cwd, dst).is_ok_and(|st| st.meta.is_dir()) {
        return Err(format!("target '{dst}': {}", Errno::ENOTDIR));
    }
    Ok((srcs, dst))
}

pub fn cp(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let f = flags("cp", &[RECURSIVE], args)?;
    let (srcs, dst) = sources_and_dest(s, f.operands())?;
    let mut fail = Failures::new();
    for src in srcs {
        let target = target_path(s, src, dst);
        let result = match vfs().stat(&s.cred, &s.cwd, src) {
            Err(e) => Err(format!("cannot stat {}", quoted(src, e))),
            Ok(st) if st.meta.is_dir() && !f.has(RECURSIVE) => Err(format!("-r not specified; omitting directory '{src}'")),
            Ok(_) => copy_tree(s, src, &target).map_err(|e| format!("cannot create {}", quoted(&target, e))),
        };
        if let Err(msg) = result {
            fail.add(msg);
        }
    }
    fail.finish()
}

pub fn mv(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let (srcs, dst) = sources_and_dest(s, args)?;
    let mut fail = Failures::new();
    for src in srcs {
        let target = target_path(s, src, dst);
        let result = match vfs().rename(&s.cred, &s.cwd, src, &target) {
            // Across filesystems mv copies, then removes the source.
            Err(Errno::EXDEV) => copy_tree(s, src, &target).and_then(|_| remove_tree(s, src)),
            other => other,
        };
        if let Err(e) = result {
            fail.add(format!("cannot move '{src}' to {}", quoted(&target, e)));
        }
    }
    fail.finish()
}

pub fn ln(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let f = flags("ln", &[SYMBOLIC], args)?;
    let [target, link] = f.operands() else { return Err(String::from("usage: ln [-s] <target> <link>")) };
    let result = if f.has(SYMBOLIC) {
        vfs().symlink(&s.cred, &s.cwd, target, link).map(|_| ())
    } else {
        vfs().link(&s.cred, &s.cwd, target, link)
    };
    result.map_err(|e| format!("failed to create link {}", quoted(link, e)))
}

pub fn hexdump(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let f = flags("hexdump", &[CANONICAL], args)?;
    let [path] = f.operands() else { return Err(String::from("usage: hexdump [-C] <file>")) };
    let mut offset = 0usize;
    let mut pending: Vec<u8> = Vec::new();
    let line = |out: &mut Out, chunk: &[u8], offset: usize| {
        let _ = write!(out, "{offset:08x} ");
        for i in 0..16 {
            if i == 8 {
                let _ = write!(out, " ");
            }
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, " {b:02x}");
                }
                None => {
                    let _ = write!(out, "   ");
                }
            }
        }
        let text: String = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        let _ = writeln!(out, "  |{text}|");
    };
    read_all(s, path, |data| {
        pending.extend_from_slice(data);
        let whole = pending.len() / 16 * 16;
        for chunk in pending[..whole].chunks(16) {
            line(out, chunk, offset);
            offset += 16;
        }
        pending.drain(..whole);
    })
    .map_err(|e| format!("{path}: {e}"))?;
    if !pending.is_empty() {
        line(out, &pending, offset);
        offset += pending.len();
    }
    let _ = writeln!(out, "{offset:08x}");
    Ok(())
}

pub fn mount(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let f = flags("mount", &[FSTYPE.with_value()], args)?;
    if args.is_empty() {
        for m in vfs().mounts() {
            let _ = writeln!(out, "{} on {} type {} ({})", m.source, m.target, m.fs_type, m.options);
        }
        return Ok(());
    }
    let fstype = f.value(FSTYPE).unwrap_or("");
    let [source, target] = f.operands() else { return Err(String::from("usage: mount -t tmpfs <source> <dir>")) };
    if fstype != "tmpfs" {
        return Err(format!("unknown filesystem type '{fstype}' (the shell mounts tmpfs; /mnt is the data disk)"));
    }
    let fs = TmpFs::new(alloc::sync::Arc::new(crate::fs::KernelClock), crate::fs::tmpfs_options());
    let loc = vfs().resolve_as(&s.cred, &s.cwd, target, true).map_err(|e| format!("{target}: {e}"))?;
    vfs().mount_at(&loc, fs, MountOptions::new(source)).map_err(|e| format!("{target}: {e}"))
}

pub fn umount(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let [target] = args else { return Err(String::from("usage: umount <dir>")) };
    let loc = vfs().resolve_as(&s.cred, &s.cwd, target, true).map_err(|e| format!("{target}: {e}"))?;
    vfs().umount(&loc.path()).map_err(|e| format!("{target}: {e}"))
}

pub fn df(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if let Some(a) = args.first() {
        return Err(format!("unexpected argument '{a}'"));
    }
    let _ = writeln!(out, "{:<12} {:>10} {:>10} {:>10} {:>4} Mounted on", "Filesystem", "1K-blocks", "Used", "Available", "Use%");
    for m in vfs().mounts() {
        let Ok(st) = vfs().statfs(&s.cred, &s.cwd, &m.target) else { continue };
        let kib = |blocks: u64| blocks.saturating_mul(st.block_size) / 1024;
        let (total, free, avail) = (kib(st.blocks), kib(st.blocks_free), kib(st.blocks_avail));
        let used = total.saturating_sub(free);
        let pct = if total == 0 { String::from("-") } else { format!("{}%", (used * 100).div_ceil(used + avail).min(100)) };
        let _ = writeln!(out, "{:<12} {:>10} {:>10} {:>10} {:>4} {}", m.source, total, used, avail, pct, m.target);
    }
    Ok(())
}
