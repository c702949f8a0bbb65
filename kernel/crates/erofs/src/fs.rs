//! An EROFS image mounted as a read-only `vfs::FileSystem`.
//!
//! Inodes are parsed from the image when looked up (nothing is loaded at mount beyond the
//! superblock and the root inode); st_ino is the nid, as on Linux. Regular files carry
//! content ids (one reserved range per mounted image), so the kernel's page cache keeps
//! their pages once for every container that maps them from the same mounted image.
//! Every change is refused with `EROFS`.

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use errno::{Errno, KResult};
use vfs::node::{file_op_unsupported, READDIR_COOKIE_LIMIT};
use vfs::{DevId, DirEntry, FileKind, FileSystem, Inode as VfsInode, Metadata, NewNode, SetAttr, StatFs, Timespec};

use crate::format::{FT_BLKDEV, FT_CHRDEV, FT_DIR, FT_FIFO, FT_REG_FILE, FT_SOCK, FT_SYMLINK, MAGIC};
use crate::image::{Backing, Error, Image, Inode};

/// `f_type` of an EROFS mount (`EROFS_SUPER_MAGIC_V1`).
pub const EROFS_MAGIC: u64 = MAGIC as u64;
/// `ST_RDONLY`.
const ST_RDONLY: u64 = 1;

/// A mounted image.
pub struct ErofsFs {
    image: Arc<Image>,
    id: u64,
    root: Arc<ErofsInode>,
}

impl ErofsFs {
    /// Opens the image in `dev` (see [`Image::open`]) and its root directory.
    pub fn mount(dev: Arc<dyn Backing>) -> Result<Arc<ErofsFs>, Error> {
        let image = Arc::new(Image::open(dev)?);
        let root = image.inode(image.root_nid())?;
        if !root.is_dir() {
            return Err(Error::Corrupt { nid: Some(root.nid), what: "the root is not a directory" });
        }
        // One content id per possible nid.
        let content_base = vfs::alloc_content_ids(image.len() / 32 + 1);
        Ok(Arc::new_cyclic(|me: &Weak<ErofsFs>| ErofsFs {
            root: Arc::new(ErofsInode { image: image.clone(), fs: me.clone(), info: root, content_base }),
            image,
            id: vfs::alloc_fs_id(),
        }))
    }

    /// The image (superblock, raw reads).
    pub fn image(&self) -> &Image {
        &self.image
    }
}

impl FileSystem for ErofsFs {
    fn root(&self) -> Arc<dyn VfsInode> {
        self.root.clone()
    }

    fn statfs(&self) -> KResult<StatFs> {
        let sb = self.image.superblock();
        let bs = self.image.block_size();
        Ok(StatFs {
            magic: EROFS_MAGIC,
            block_size: bs,
            blocks: u64::from(sb.blocks),
            blocks_free: 0,
            blocks_avail: 0,
            files: sb.inos,
            files_free: 0,
            name_max: 255,
            fragment_size: bs,
            flags: ST_RDONLY,
        })
    }

    fn fs_type(&self) -> &'static str {
        "erofs"
    }

    fn id(&self) -> u64 {
        self.id
    }
}

/// One inode of a mounted image.
pub struct ErofsInode {
    image: Arc<Image>,
    fs: Weak<ErofsFs>,
    info: Inode,
    content_base: u64,
}

fn kind_of(mode: u32) -> FileKind {
    // The image reader accepts only valid file types.
    FileKind::from_mode(mode).unwrap_or(FileKind::Regular)
}

fn kind_of_file_type(ft: u8) -> Option<FileKind> {
    Some(match ft {
        FT_REG_FILE => FileKind::Regular,
        FT_DIR => FileKind::Directory,
        FT_CHRDEV => FileKind::CharDevice,
        FT_BLKDEV => FileKind::BlockDevice,
        FT_FIFO => FileKind::Fifo,
        FT_SOCK => FileKind::Socket,
        FT_SYMLINK => FileKind::Symlink,
        _ => return None,
    })
}

impl ErofsInode {
    /// The parsed on-disk inode.
    pub fn info(&self) -> &Inode {
        &self.info
    }

    fn child(&self, nid: u64) -> KResult<Arc<ErofsInode>> {
        let info = self.image.inode(nid)?;
        Ok(Arc::new(ErofsInode { image: self.image.clone(), fs: self.fs.clone(), info, content_base: self.content_base }))
    }

    fn read_only(&self) -> Errno {
        match self.info.is_dir() {
            true => Errno::EROFS,
            false => Errno::ENOTDIR,
        }
    }
}

impl VfsInode for ErofsInode {
    fn metadata(&self) -> KResult<Metadata> {
        let i = &self.info;
        let bs = self.image.block_size();
        let time = Timespec::new(i64::try_from(i.mtime).unwrap_or(i64::MAX), i.mtime_nsec);
        Ok(Metadata {
            ino: i.nid,
            kind: kind_of(i.mode),
            perm: i.mode & 0o7777,
            nlink: u64::from(i.nlink),
            uid: i.uid,
            gid: i.gid,
            size: i.size,
            blocks: i.size.div_ceil(bs).saturating_mul(bs) / 512,
            block_size: bs as u32,
            atime: time,
            mtime: time,
            ctime: time,
            rdev: DevId::new(i.rdev.0, i.rdev.1),
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.fs.upgrade().map(|fs| fs as Arc<dyn FileSystem>)
    }

    fn kind(&self) -> KResult<FileKind> {
        Ok(kind_of(self.info.mode))
    }

    fn lookup(&self, name: &str) -> KResult<Arc<dyn VfsInode>> {
        if !self.info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        match self.image.lookup(&self.info, name.as_bytes())? {
            Some(entry) => Ok(self.child(entry.nid)?),
            None => Err(Errno::ENOENT),
        }
    }

    fn readdir(&self, mut cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        if !self.info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        loop {
            let Some((entry, next)) = self.image.readdir(&self.info, cookie)? else { return Ok(None) };
            if next >= READDIR_COOKIE_LIMIT || next <= cookie {
                return Err(Errno::EUCLEAN);
            }
            cookie = next;
            if entry.name == b"." || entry.name == b".." {
                continue;
            }
            // Names the VFS cannot carry (not UTF-8) are left out, as they could not be
            // looked up either.
            let Ok(name) = String::from_utf8(entry.name) else { continue };
            let kind = match kind_of_file_type(entry.file_type) {
                Some(kind) => kind,
                None => kind_of(self.image.inode(entry.nid)?.mode),
            };
            return Ok(Some((DirEntry { ino: entry.nid, kind, name }, next)));
        }
    }

    fn readlink(&self) -> KResult<String> {
        if !self.info.is_symlink() {
            return Err(Errno::EINVAL);
        }
        String::from_utf8(self.image.readlink(&self.info)?).map_err(|_| Errno::EUCLEAN)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        if !self.info.is_regular() {
            return Err(file_op_unsupported(self));
        }
        Ok(self.image.read(&self.info, offset, buf)?)
    }

    fn content_id(&self) -> Option<u64> {
        self.info.is_regular().then(|| self.content_base + self.info.nid)
    }

    fn getxattr(&self, name: &str) -> KResult<Vec<u8>> {
        self.image.xattr(&self.info, name)?.ok_or(Errno::ENODATA)
    }

    fn listxattr(&self) -> KResult<Vec<String>> {
        Ok(self.image.xattrs(&self.info)?.into_iter().map(|(n, _)| n).collect())
    }

    fn create(&self, _name: &str, _node: &NewNode) -> KResult<Arc<dyn VfsInode>> {
        Err(self.read_only())
    }

    fn symlink(&self, _name: &str, _target: &str, _uid: u32, _gid: u32) -> KResult<Arc<dyn VfsInode>> {
        Err(self.read_only())
    }

    fn link(&self, _name: &str, _target: &Arc<dyn VfsInode>) -> KResult<()> {
        Err(self.read_only())
    }

    fn unlink(&self, _name: &str) -> KResult<()> {
        Err(self.read_only())
    }

    fn rmdir(&self, _name: &str) -> KResult<()> {
        Err(self.read_only())
    }

    fn rename(&self, _old_name: &str, _new_dir: &Arc<dyn VfsInode>, _new_name: &str) -> KResult<()> {
        Err(self.read_only())
    }

    fn write_at(&self, _offset: u64, _data: &[u8]) -> KResult<usize> {
        Err(if self.info.is_regular() { Errno::EROFS } else { file_op_unsupported(self) })
    }

    fn truncate(&self, _len: u64) -> KResult<()> {
        Err(if self.info.is_regular() { Errno::EROFS } else { file_op_unsupported(self) })
    }

    fn open_for_write(&self, _truncating: bool) -> KResult<()> {
        Err(Errno::EROFS)
    }

    fn set_attr(&self, _attr: &SetAttr) -> KResult<()> {
        Err(Errno::EROFS)
    }
}

/// A file of another filesystem (the image file on the data disk) as an image's store.
pub struct InodeBacking {
    inode: Arc<dyn VfsInode>,
    size: u64,
}

impl InodeBacking {
    /// The file's size is taken now; the image must not change while mounted.
    pub fn new(inode: Arc<dyn VfsInode>) -> KResult<InodeBacking> {
        let size = inode.metadata()?.size;
        Ok(InodeBacking { inode, size })
    }
}

impl Backing for InodeBacking {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<()> {
        let mut done = 0;
        while done < buf.len() {
            match self.inode.read_at(offset + done as u64, &mut buf[done..])? {
                0 => return Err(Errno::EIO),
                n => done += n,
            }
        }
        Ok(())
    }
}
