//! Loading a Linux executable into a fresh address space, and execve.
//!
//! Static, static-PIE and dynamic executables (the interpreter named by
//! PT_INTERP is read from the process's own namespace, so a container's
//! ld.so comes from its rootfs) and `#!` scripts (one level of interpreter,
//! as binfmt_script, up to 4 nested).
//!
//! Segments are mappings of the file's page-cache image
//! (`mm::pagecache`): a cached binary is not read again, its pages are
//! mapped on first touch (read-only, or copy-on-write for data), and only
//! the page where a writable segment's file bytes end and its bss begins is
//! copied at exec (its tail must read as zeros). The stack is a mapping
//! filled on demand, as large as RLIMIT_STACK allows (8 MiB by default).
//!
//! Credentials: execve applies Linux's rules (`creds::Cred::after_exec`):
//! set-user-ID and set-group-ID bits unless the mount is `nosuid` or the
//! thread has `no_new_privs`, root's capabilities, ambient ones. A `noexec`
//! mount refuses to run anything (`EACCES`).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use elf::{build_auxv, AuxvParams, ElfFile, ElfKind, LoadPlan, StackLayout};
use errno::{Errno, KResult};
use linux_abi::{PageRange, UserSlice};
use vfs::Vfs;

use super::Task;
use crate::arch::usermode::{FpuState, TrapFrame};
use crate::mm::pagecache::{self, FileImage};
use crate::mm::user::{AddressSpace, Backing, Prot};

/// Where a position-independent executable is placed (as Linux's ELF_ET_DYN_BASE).
const PIE_BASE: u64 = 0x5555_5555_4000;
/// Where the ELF interpreter (ld.so) is placed.
const INTERP_BASE: u64 = 0x7fff_0000_0000;
/// Top of the initial stack.
const STACK_TOP: u64 = 0x7fff_ffff_e000;
/// The largest stack mapping (an unlimited RLIMIT_STACK gets this much).
const STACK_MAX: u64 = 1 << 30;
/// The smallest (Linux keeps at least 128 KiB for arguments and the first frames).
const STACK_MIN: u64 = 128 * 1024;
const PAGE: u64 = linux_abi::PAGE_SIZE;
const MAX_SCRIPT_DEPTH: usize = 4;

/// EI_OSABI of Cyrius host-world programs (`userland/host`).
pub const HOST_OSABI: u8 = 0xc7;

/// A loaded program, ready to enter.
pub struct Image {
    /// The executable's path with symlinks resolved (/proc/<pid>/exe).
    pub exe: String,
    /// A host-world program (ELF OSABI [`HOST_OSABI`]): served by the host table.
    pub host_world: bool,
    pub space: AddressSpace,
    pub entry: u64,
    pub rsp: u64,
    pub brk: u64,
    /// The credentials the program runs with (set-ID bits and capabilities applied).
    pub cred: creds::Cred,
}

/// The stack mapping's size for RLIMIT_STACK `limit` (page multiple).
fn stack_size(limit: u64) -> u64 {
    limit.clamp(STACK_MIN, STACK_MAX) & !(PAGE - 1)
}

/// The process name Linux derives from a path (basename, at most 15 bytes).
pub fn comm_of(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.chars().take(15).collect()
}

/// Maps the segments of `plan` from `image`: file pages are mapped from
/// the page cache on first touch, the bss is zero-filled memory. A page
/// that two segments share, or where a writable segment's file bytes end,
/// gets its bytes now (a private page).
fn map_plan(space: &mut AddressSpace, plan: &LoadPlan, image: &Arc<FileImage>) -> KResult<()> {
    for seg in &plan.segments {
        image.load(seg.file.start, seg.file.end - seg.file.start)?;
    }
    for seg in &plan.segments {
        let prot = Prot { read: true, write: seg.perms.write, exec: seg.perms.execute };
        let file_pages = (seg.file.end - seg.file.start).next_multiple_of(PAGE);
        let file_end = seg.mem.start + file_pages.min(seg.mem.end - seg.mem.start);
        if file_end > seg.mem.start {
            let backing = Backing::File { image: image.clone(), offset: seg.file.start };
            space.map(user_pages(seg.mem.start, file_end - seg.mem.start)?, prot, true, backing)?;
        }
        if seg.mem.end > file_end {
            space.map_anon(user_pages(file_end, seg.mem.end - file_end)?, prot)?;
        }
    }
    for (i, seg) in plan.segments.iter().enumerate() {
        let next_shares = plan.segments.get(i + 1).is_some_and(|n| n.mem.start < seg.mem.end);
        let prev_shares = i > 0 && plan.segments[i - 1].mem.end > seg.mem.start;
        if next_shares {
            share_page(space, &plan.segments[i..i + 2], image)?;
        }
        // The tail of the last file page reads as zeros where the bss starts
        // (Linux's padzero); a read-only segment without bss keeps the
        // following file bytes there, as Linux shows them.
        let tail = seg.zero.start % PAGE;
        let has_bss = seg.zero.end > seg.zero.start.next_multiple_of(PAGE);
        if tail != 0 && !seg.zero.is_empty() && (seg.perms.write || has_bss) && !next_shares && !prev_shares {
            let len = (PAGE - tail).min(seg.zero.end - seg.zero.start);
            space.load(UserSlice::checked(seg.zero.start, len as usize)?, &[0u8; PAGE as usize][..len as usize])?;
        }
    }
    Ok(())
}

/// The page where segment `pair[0]` ends and `pair[1]` begins: a private
/// page with both segments' bytes (zeros elsewhere) and both permissions.
fn share_page(space: &mut AddressSpace, pair: &[elf::Segment], image: &Arc<FileImage>) -> KResult<()> {
    let page = pair[1].mem.start;
    let mut bytes = alloc::vec![0u8; PAGE as usize];
    for seg in pair {
        // File bytes of `seg` that land in `page`, and where in the file they are.
        let copy_end = seg.mem.start + (seg.file.end - seg.file.start);
        let (from, to) = (page.max(seg.mem.start), (page + PAGE).min(copy_end).min(seg.zero.start.max(seg.mem.start)));
        if from < to {
            let at = seg.file.start + (from - seg.mem.start);
            let dst = &mut bytes[(from - page) as usize..(to - page) as usize];
            image.read(at, dst)?;
        }
    }
    let write = pair.iter().any(|s| s.perms.write);
    let exec = pair.iter().any(|s| s.perms.execute);
    space.map_anon(user_pages(page, PAGE)?, Prot { read: true, write, exec })?;
    space.load(UserSlice::checked(page, bytes.len())?, &bytes)
}

/// The pages an ELF segment (or the stack) covers: ENOEXEC if the file
/// asks for memory outside user space.
fn user_pages(start: u64, len: u64) -> KResult<PageRange> {
    PageRange::covering(start, len).ok_or(Errno::ENOEXEC)
}

fn bias_for(file: &ElfFile, base: u64) -> u64 {
    match file.kind() {
        ElfKind::Executable => 0,
        ElfKind::Dynamic => base.next_multiple_of(file.load_align().max(4096)),
    }
}

/// Reads `path` (following `#!`) from `vfs` and builds its address space and
/// initial stack with `argv` and `envp`.
pub fn load(
    path: &str,
    argv: &[String],
    envp: &[String],
    vfs: &Arc<Vfs>,
    cwd: &vfs::Location,
    cred: &vfs::Cred,
    charge: Option<Arc<crate::mm::user::MemLimit>>,
    limits: &creds::Rlimits,
) -> KResult<Image> {
    let mut path = String::from(path);
    let mut argv: Vec<String> = argv.to_vec();
    let (mut image, mut exe, mut exec_file) = open_executable(vfs, cwd, cred, &path)?;
    for depth in 0..=MAX_SCRIPT_DEPTH {
        let mut head = [0u8; elf::BINPRM_BUF_SIZE];
        let n = image.read(0, &mut head)?;
        let Some((interp, arg)) = elf::parse_shebang(&head[..n]) else { break };
        if depth == MAX_SCRIPT_DEPTH {
            return Err(Errno::ELOOP);
        }
        // argv becomes: interpreter [arg] script-path original-argv[1..]
        let mut new_argv = alloc::vec![interp.clone()];
        new_argv.extend(arg);
        new_argv.push(path.clone());
        new_argv.extend(argv.iter().skip(1).cloned());
        argv = new_argv;
        path = interp;
        (image, exe, exec_file) = open_executable(vfs, cwd, cred, &path)?;
    }
    let head = elf_head(&image)?;
    let file = ElfFile::parse_head(&head, image.size()).map_err(|_| Errno::ENOEXEC)?;
    let host_world = head.get(7) == Some(&HOST_OSABI);
    let plan = file.load_plan(bias_for(&file, PIE_BASE)).map_err(|_| Errno::ENOEXEC)?;
    let mut space = AddressSpace::new()?;
    space.set_charge(charge);
    map_plan(&mut space, &plan, &image)?;
    let mut entry = plan.entry;
    let mut interp_base = 0;
    if let Some(interp_path) = file.interpreter() {
        let (interp_image, ..) = open_executable(vfs, cwd, cred, interp_path).map_err(|e| {
            log::warn!("{path}: interpreter {interp_path}: {e}");
            if e == Errno::ENOENT { Errno::ENOENT } else { Errno::ELIBBAD }
        })?;
        let interp_head = elf_head(&interp_image).map_err(|_| Errno::ELIBBAD)?;
        let interp = ElfFile::parse_head(&interp_head, interp_image.size()).map_err(|_| Errno::ELIBBAD)?;
        let interp_plan = interp.load_plan(bias_for(&interp, INTERP_BASE)).map_err(|_| Errno::ELIBBAD)?;
        map_plan(&mut space, &interp_plan, &interp_image)?;
        entry = interp_plan.entry;
        interp_base = bias_for(&interp, INTERP_BASE);
    }
    let after = cred.after_exec(&exec_file);
    let stack_size = stack_size(limits.cur(creds::Resource::STACK));
    space.map_anon(user_pages(STACK_TOP - stack_size, stack_size)?, Prot { read: true, write: true, exec: false })?;
    let mut random = [0u8; 16];
    vfs::EntropySource::fill(&crate::fs::HwEntropy, &mut random);
    let layout = StackLayout::new(STACK_TOP, &argv, envp, path.as_bytes(), Some(b"x86_64"), random)
        .map_err(|_| Errno::E2BIG)?;
    let params = AuxvParams {
        random: layout.random_address(),
        execfn: layout.execfn_address(),
        platform: layout.platform_address(),
        interp_base,
        hwcap: crate::arch::cpu::hwcap(),
        hwcap2: crate::arch::cpu::hwcap2(),
        min_signal_stack: Some(super::sigframe::fpu_config().min_sigstksz()),
        uid: after.cred.ruid,
        euid: after.cred.euid,
        gid: after.cred.rgid,
        egid: after.cred.egid,
        secure: after.secure,
        ..AuxvParams::default()
    };
    let stack = layout.finish(&build_auxv(&plan, &params)).map_err(|_| Errno::E2BIG)?;
    // Arguments, environment and auxv may take a quarter of the stack (as Linux).
    if STACK_TOP - stack.rsp > stack_size / 4 {
        return Err(Errno::E2BIG);
    }
    space.load(UserSlice::checked(stack.rsp, stack.bytes.len())?, &stack.bytes)?;
    Ok(Image { exe, host_world, space, entry, rsp: stack.rsp, brk: plan.brk, cred: after.cred })
}

/// The page-cache image of the executable at `path`, its resolved path,
/// and what the credential change needs to know of it.
fn open_executable(
    vfs: &Arc<Vfs>,
    cwd: &vfs::Location,
    cred: &vfs::Cred,
    path: &str,
) -> KResult<(Arc<FileImage>, String, creds::ExecFile)> {
    let loc = vfs.resolve_as(cred, cwd, path, true)?;
    let meta = loc.metadata()?;
    let flags = loc.mount_flags();
    if meta.kind != vfs::FileKind::Regular || flags.noexec {
        return Err(Errno::EACCES);
    }
    // Execute permission only, as Linux's open_exec (a 0711 program runs).
    vfs::check_access(&meta, cred, vfs::Access::EXEC)?;
    crate::mm::filemap::sync_inode(loc.inode());
    let file = creds::ExecFile { mode: meta.perm, uid: meta.uid, gid: meta.gid, nosuid: flags.nosuid };
    Ok((pagecache::image(loc.inode())?, loc.path(), file))
}

/// The start of an ELF file: its first page, or as much as its program
/// headers and PT_INTERP need.
fn elf_head(image: &FileImage) -> KResult<Vec<u8>> {
    let mut want = PAGE.min(image.size());
    loop {
        let mut head = alloc::vec![0u8; want as usize];
        let n = image.read(0, &mut head)?;
        head.truncate(n);
        match ElfFile::parse_head(&head, image.size()) {
            Err(elf::ElfError::NeedHead { bytes }) if bytes > want && bytes <= image.size() => want = bytes,
            _ => return Ok(head),
        }
    }
}

/// execve: replaces the running program of `t` (frame included).
pub fn execve(t: &mut Task, frame: &mut TrapFrame, path: &str, argv: &[String], envp: &[String]) -> KResult<()> {
    let charge = t.space.lock().space.charge();
    let limits = *t.proc.rlimits.lock();
    let image = load(path, argv, envp, &t.vfs, &t.cwd, &t.cred, charge, &limits)?;
    // A process's ABI is fixed when it starts: a Linux process (and so any
    // container process) can never turn into a host-world one, nor back.
    if image.host_world != (t.proc.abi == super::Abi::Host) {
        return Err(Errno::ENOEXEC);
    }
    // Past the point of no return: other threads end, the old memory goes.
    let p = t.proc.clone();
    let me = crate::sched::current_id();
    for other in p.live_threads() {
        if other.id != me {
            other.killed.store(true, Ordering::Release);
            crate::sched::wake(&other);
        }
    }
    if t.tid != p.vpid {
        // A non-leader thread that execs takes over the process's id (Linux's de_thread).
        p.ns.remove(t.tid);
        let me_thread = crate::sched::current();
        let mut threads = p.threads.lock();
        threads.retain(|(_, w)| w.upgrade().is_some_and(|x| x.id != me_thread.id));
        threads.push((p.vpid, Arc::downgrade(&me_thread)));
        t.tid = p.vpid;
    }
    let space = Arc::new(super::mm::Mm::new(image.space, image.brk));
    space.activate();
    t.space = space;
    *p.mm.lock() = Arc::downgrade(&t.space);
    if Arc::strong_count(&t.files) > 1 {
        t.files = Arc::new(t.files.duplicate());
        *p.files.lock() = Arc::downgrade(&t.files);
    }
    crate::abi::linux::locks::before_exec(t);
    t.files.close_on_exec();
    p.signals.lock().reset_for_exec();
    t.altstack = Default::default();
    t.fs_base = 0;
    t.clear_child_tid = linux_abi::UserPtr::null();
    crate::arch::usermode::set_fs_base(0);
    FpuState::initial().restore();
    let name = comm_of(path);
    *p.name.lock() = name.clone();
    *crate::sched::current().name.lock() = name;
    *p.cmdline.lock() = argv.to_vec();
    *p.exe.lock() = image.exe.clone();
    t.commit_cred(image.cred);
    t.rseq = super::rseq::Rseq::default();
    // Dumpable again unless the program runs with other ids than the real ones.
    let same_ids = t.cred.euid == t.cred.ruid && t.cred.egid == t.cred.rgid;
    p.dumpable.store(u32::from(same_ids), Ordering::Relaxed);
    *frame = TrapFrame::user(image.entry, image.rsp);
    if p.vfork_pending.swap(false, Ordering::AcqRel) {
        p.state_event.wake_all();
    }
    Ok(())
}
