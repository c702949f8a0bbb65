//! The directory tree of /proc and its inodes. Nodes are values (what they
//! name), not stored objects: a lookup builds the inode, a read generates
//! the text, so nothing here can go stale or leak.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use errno::{Errno, KResult};
use vfs::{alloc_fs_id, DevId, DirEntry, FileKind, FileSystem, Inode, Metadata, StatFs, Timespec};

use crate::format::*;
use crate::ProcSource;

/// `PROC_SUPER_MAGIC`.
const PROC_MAGIC: u64 = 0x9fa0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Global {
    Meminfo,
    Cpuinfo,
    Uptime,
    Stat,
    Loadavg,
    Mounts,
    Version,
    Filesystems,
}

const GLOBALS: [(&str, Global); 8] = [
    ("cpuinfo", Global::Cpuinfo),
    ("filesystems", Global::Filesystems),
    ("loadavg", Global::Loadavg),
    ("meminfo", Global::Meminfo),
    ("mounts", Global::Mounts),
    ("stat", Global::Stat),
    ("uptime", Global::Uptime),
    ("version", Global::Version),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PidFile {
    Stat,
    Status,
    Statm,
    Cmdline,
    Comm,
    Environ,
    Exe,
    Cwd,
    Root,
    Mounts,
    Fd,
}

const PID_FILES: [(&str, PidFile); 11] = [
    ("cmdline", PidFile::Cmdline),
    ("comm", PidFile::Comm),
    ("cwd", PidFile::Cwd),
    ("environ", PidFile::Environ),
    ("exe", PidFile::Exe),
    ("fd", PidFile::Fd),
    ("mounts", PidFile::Mounts),
    ("root", PidFile::Root),
    ("stat", PidFile::Stat),
    ("statm", PidFile::Statm),
    ("status", PidFile::Status),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Root,
    SelfLink,
    Global(Global),
    PidDir(u32),
    Pid(u32, PidFile),
    FdLink(u32, u32),
}

/// A /proc instance over one source.
pub struct ProcFs {
    source: Arc<dyn ProcSource>,
    id: u64,
    me: Weak<ProcFs>,
}

impl ProcFs {
    pub fn new(source: Arc<dyn ProcSource>) -> Arc<ProcFs> {
        Arc::new_cyclic(|me| ProcFs { source, id: alloc_fs_id(), me: me.clone() })
    }

    fn inode(&self, node: Node) -> Arc<dyn Inode> {
        Arc::new(ProcInode { fs: self.me.clone(), source: self.source.clone(), node })
    }
}

impl FileSystem for ProcFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.inode(Node::Root)
    }

    fn statfs(&self) -> KResult<StatFs> {
        Ok(StatFs { magic: PROC_MAGIC, block_size: 4096, name_max: 255, fragment_size: 4096, ..StatFs::default() })
    }

    fn fs_type(&self) -> &'static str {
        "proc"
    }

    fn id(&self) -> u64 {
        self.id
    }
}

struct ProcInode {
    fs: Weak<ProcFs>,
    source: Arc<dyn ProcSource>,
    node: Node,
}

fn ino(node: Node) -> u64 {
    match node {
        Node::Root => 1,
        Node::SelfLink => 2,
        Node::Global(g) => 16 + g as u64,
        Node::PidDir(pid) => (u64::from(pid) << 16) | 1,
        Node::Pid(pid, f) => (u64::from(pid) << 16) | (2 + f as u64),
        Node::FdLink(pid, fd) => (1 << 48) | (u64::from(pid) << 20) | u64::from(fd),
    }
}

impl ProcInode {
    fn kind(&self) -> FileKind {
        match self.node {
            Node::Root | Node::PidDir(_) | Node::Pid(_, PidFile::Fd) => FileKind::Directory,
            Node::SelfLink | Node::FdLink(..) | Node::Pid(_, PidFile::Exe | PidFile::Cwd | PidFile::Root) => FileKind::Symlink,
            _ => FileKind::Regular,
        }
    }

    fn alive(&self, pid: u32) -> KResult<crate::ProcessInfo> {
        self.source.process(pid).ok_or(Errno::ENOENT)
    }

    fn sibling(&self, node: Node) -> Arc<dyn Inode> {
        Arc::new(ProcInode { fs: self.fs.clone(), source: self.source.clone(), node })
    }

    /// The generated text of a regular file.
    fn content(&self) -> KResult<String> {
        let src = &self.source;
        Ok(match self.node {
            Node::Global(g) => {
                let s = src.system();
                match g {
                    Global::Meminfo => format_meminfo(&s),
                    Global::Cpuinfo => format_cpuinfo(&s),
                    Global::Uptime => format_uptime(&s),
                    Global::Stat => format_stat_global(&s, src.pids().len()),
                    Global::Loadavg => {
                        let pids = src.pids();
                        format_loadavg(&s, pids.len(), pids.last().copied().unwrap_or(0))
                    }
                    Global::Mounts => src.mounts(),
                    Global::Version => format_version(&s),
                    Global::Filesystems => String::from("nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\n\tvfat\n"),
                }
            }
            Node::Pid(pid, f) => {
                let p = self.alive(pid)?;
                match f {
                    PidFile::Stat => format_stat(&p),
                    PidFile::Status => format_status(&p),
                    PidFile::Statm => format_statm(&p),
                    PidFile::Cmdline => format_cmdline(&p),
                    PidFile::Comm => format!("{}\n", p.comm),
                    PidFile::Environ => String::new(),
                    PidFile::Mounts => src.mounts(),
                    _ => return Err(Errno::EINVAL),
                }
            }
            _ => return Err(Errno::EISDIR),
        })
    }

    fn entries(&self) -> KResult<Vec<(String, Node)>> {
        Ok(match self.node {
            Node::Root => {
                let mut v: Vec<(String, Node)> = GLOBALS.iter().map(|(n, g)| (n.to_string(), Node::Global(*g))).collect();
                v.push((String::from("self"), Node::SelfLink));
                v.extend(self.source.pids().into_iter().map(|pid| (pid.to_string(), Node::PidDir(pid))));
                v
            }
            Node::PidDir(pid) => {
                self.alive(pid)?;
                PID_FILES.iter().map(|(n, f)| (n.to_string(), Node::Pid(pid, *f))).collect()
            }
            Node::Pid(pid, PidFile::Fd) => {
                let p = self.alive(pid)?;
                p.fds.iter().map(|(fd, _)| (fd.to_string(), Node::FdLink(pid, *fd))).collect()
            }
            _ => return Err(Errno::ENOTDIR),
        })
    }
}

impl Inode for ProcInode {
    fn metadata(&self) -> KResult<Metadata> {
        let (perm, nlink) = match self.kind() {
            FileKind::Directory => (0o555, 2),
            FileKind::Symlink => (0o777, 1),
            _ => (0o444, 1),
        };
        if let Node::PidDir(pid) | Node::Pid(pid, _) | Node::FdLink(pid, _) = self.node {
            self.alive(pid)?;
        }
        let zero = Timespec { sec: 0, nsec: 0 };
        Ok(Metadata {
            ino: ino(self.node),
            kind: self.kind(),
            perm,
            nlink,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            block_size: 1024,
            atime: zero,
            mtime: zero,
            ctime: zero,
            rdev: DevId::NONE,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.fs.upgrade().map(|f| f as Arc<dyn FileSystem>)
    }

    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        if self.kind() != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        if self.node == Node::Root {
            if let Ok(pid) = name.parse::<u32>() {
                return if self.source.process(pid).is_some() { Ok(self.sibling(Node::PidDir(pid))) } else { Err(Errno::ENOENT) };
            }
        }
        self.entries()?.into_iter().find(|(n, _)| n == name).map(|(_, node)| self.sibling(node)).ok_or(Errno::ENOENT)
    }

    fn readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        let entries = self.entries()?;
        Ok(entries.get(cookie as usize).map(|(name, node)| {
            let kind = ProcInode { fs: self.fs.clone(), source: self.source.clone(), node: *node }.kind();
            (DirEntry { ino: ino(*node), kind, name: name.clone() }, cookie + 1)
        }))
    }

    fn readlink(&self) -> KResult<String> {
        match self.node {
            Node::SelfLink => self.source.current().map(|p| p.to_string()).ok_or(Errno::ENOENT),
            Node::Pid(pid, PidFile::Exe) => Ok(self.alive(pid)?.exe),
            Node::Pid(pid, PidFile::Cwd) => Ok(self.alive(pid)?.cwd),
            Node::Pid(pid, PidFile::Root) => {
                self.alive(pid)?;
                Ok(String::from("/"))
            }
            Node::FdLink(pid, fd) => {
                let p = self.alive(pid)?;
                p.fds.into_iter().find(|(f, _)| *f == fd).map(|(_, t)| t).ok_or(Errno::ENOENT)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        let text = self.content()?;
        let bytes = text.as_bytes();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, _offset: u64, _data: &[u8]) -> KResult<usize> {
        Err(Errno::EACCES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProcessInfo, SystemInfo};
    use alloc::vec;

    struct Fake;

    impl ProcSource for Fake {
        fn pids(&self) -> Vec<u32> {
            vec![1, 7]
        }
        fn current(&self) -> Option<u32> {
            Some(7)
        }
        fn process(&self, pid: u32) -> Option<ProcessInfo> {
            [1, 7].contains(&pid).then(|| ProcessInfo {
                pid,
                ppid: if pid == 1 { 0 } else { 1 },
                comm: String::from(if pid == 1 { "sh" } else { "ps" }),
                state: 'S',
                threads: 1,
                cmdline: vec![String::from("sh"), String::from("-c"), String::from("x")],
                exe: String::from("/bin/busybox"),
                cwd: String::from("/"),
                fds: vec![(0, String::from("/dev/console"))],
                ..ProcessInfo::default()
            })
        }
        fn system(&self) -> SystemInfo {
            SystemInfo { mem_total_kb: 524288, mem_free_kb: 400000, uptime_ms: 12340, idle_ms: 5000, ..SystemInfo::default() }
        }
        fn mounts(&self) -> String {
            String::from("tmpfs / tmpfs rw 0 0\n")
        }
    }

    fn read(i: &Arc<dyn Inode>) -> String {
        let mut buf = vec![0u8; 8192];
        let n = i.read_at(0, &mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn tree_lists_only_the_sources_processes() {
        let fs = ProcFs::new(Arc::new(Fake));
        let root = fs.root();
        let mut names = vec![];
        let mut c = 0;
        while let Some((e, next)) = root.readdir(c).unwrap() {
            names.push(e.name);
            c = next;
        }
        assert!(names.contains(&String::from("1")) && names.contains(&String::from("7")) && names.contains(&String::from("self")));
        assert_eq!(root.lookup("2").err(), Some(Errno::ENOENT));
        assert_eq!(root.lookup("self").unwrap().readlink().unwrap(), "7");
    }

    #[test]
    fn stat_has_52_fields_and_parenthesized_comm() {
        let fs = ProcFs::new(Arc::new(Fake));
        let stat = read(&fs.root().lookup("1").unwrap().lookup("stat").unwrap());
        assert!(stat.starts_with("1 (sh) S 0 "));
        let after = stat.rsplit(')').next().unwrap();
        assert_eq!(after.split_whitespace().count() + 2, 52, "{stat}");
    }

    #[test]
    fn cmdline_is_nul_separated_and_files_read_at_offsets() {
        let fs = ProcFs::new(Arc::new(Fake));
        let f = fs.root().lookup("7").unwrap().lookup("cmdline").unwrap();
        assert_eq!(read(&f), "sh\0-c\0x\0");
        let mut buf = [0u8; 3];
        assert_eq!(f.read_at(3, &mut buf).unwrap(), 3);
        assert_eq!(&buf, b"-c\0");
        assert_eq!(f.write_at(0, b"x").err(), Some(Errno::EACCES));
    }

    #[test]
    fn meminfo_uptime_and_links() {
        let fs = ProcFs::new(Arc::new(Fake));
        let root = fs.root();
        assert!(read(&root.lookup("meminfo").unwrap()).starts_with("MemTotal:         524288 kB\nMemFree:          400000 kB\n"));
        assert_eq!(read(&root.lookup("uptime").unwrap()), "12.34 5.00\n");
        let p = root.lookup("1").unwrap();
        assert_eq!(p.lookup("exe").unwrap().readlink().unwrap(), "/bin/busybox");
        assert_eq!(p.lookup("fd").unwrap().lookup("0").unwrap().readlink().unwrap(), "/dev/console");
        let status = read(&p.lookup("status").unwrap());
        assert!(status.contains("Name:\tsh\n") && status.contains("PPid:\t0\n"), "{status}");
    }
}
