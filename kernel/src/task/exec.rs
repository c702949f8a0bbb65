//! Loading a Linux executable into a fresh address space (execve's work).

use alloc::string::String;
use alloc::sync::Arc;
use vfs::Vfs;
use elf::{build_auxv, AuxvParams, ElfFile, ElfKind, StackLayout};
use errno::{Errno, KResult};

use super::{next_pid, Abi, Process, KERNEL_STACK};
use crate::mm::user::{AddressSpace, Prot};

/// Where a position-independent executable is placed (as Linux's ELF_ET_DYN_BASE).
const PIE_BASE: u64 = 0x5555_5555_4000;
/// Top of the initial stack and how much of it is mapped up front.
const STACK_TOP: u64 = 0x7fff_ffff_e000;
/// RLIMIT_STACK as reported to the process.
pub const STACK_SIZE: u64 = 8 * 1024 * 1024;
const STACK_MAPPED: u64 = 256 * 1024;
/// mmap allocations grow down from here.
const MMAP_TOP: u64 = 0x7fff_0000_0000;

/// Reads `path` from namespace `vfs` and prepares a process running it there, in `cwd`.
pub fn exec(path: &str, argv: &[String], envp: &[String], vfs: Arc<Vfs>, cwd: vfs::Location) -> KResult<Process> {
    let cred = crate::fs::root_cred();
    let image = vfs.read_file(&cred, &cwd, path)?;
    let file = ElfFile::parse(&image).map_err(|_| Errno::ENOEXEC)?;
    if file.interpreter().is_some() {
        // Dynamic executables need ld.so from the container's rootfs (issue 5).
        log::warn!("{path}: dynamic executables are not supported yet");
        return Err(Errno::ENOEXEC);
    }
    let bias = match file.kind() {
        ElfKind::Executable => 0,
        ElfKind::Dynamic => PIE_BASE.next_multiple_of(file.load_align().max(4096)),
    };
    let plan = file.load_plan(bias).map_err(|_| Errno::ENOEXEC)?;
    let mut space = AddressSpace::new()?;
    for seg in &plan.segments {
        let prot = Prot { write: seg.perms.write, exec: seg.perms.execute };
        space.map_zeroed(seg.mem.start, seg.mem.end - seg.mem.start, prot)?;
        let (from, to) = (seg.file.start as usize, seg.file.end as usize);
        let bytes = image.get(from..to).ok_or(Errno::ENOEXEC)?;
        space.load(seg.mem.start, bytes)?;
        // `zero` covers the bss: fresh pages are zero already, but the tail of
        // the last file page holds the following file bytes, which must be cleared.
        let zero_len = (seg.zero.end - seg.zero.start) as usize;
        if zero_len > 0 {
            space.load(seg.zero.start, &alloc::vec![0u8; zero_len.min(4096)])?;
        }
    }
    space.map_zeroed(STACK_TOP - STACK_MAPPED, STACK_MAPPED, Prot { write: true, exec: false })?;
    let mut random = [0u8; 16];
    vfs::EntropySource::fill(&crate::fs::HwEntropy, &mut random);
    let layout = StackLayout::new(STACK_TOP, argv, envp, path.as_bytes(), Some(b"x86_64"), random)
        .map_err(|_| Errno::E2BIG)?;
    let params = AuxvParams {
        random: layout.random_address(),
        execfn: layout.execfn_address(),
        platform: layout.platform_address(),
        ..AuxvParams::default()
    };
    let stack = layout.finish(&build_auxv(&plan, &params)).map_err(|_| Errno::E2BIG)?;
    if STACK_TOP - stack.rsp > STACK_MAPPED {
        return Err(Errno::E2BIG);
    }
    space.load(stack.rsp, &stack.bytes)?;
    let name = path.rsplit('/').next().unwrap_or(path);
    Ok(Process {
        pid: next_pid(),
        abi: Abi::Linux,
        name: String::from(name),
        space,
        brk_base: plan.brk,
        brk: plan.brk,
        mmap_top: MMAP_TOP,
        fs_base: 0,
        clear_child_tid: 0,
        robust_list: 0,
        files: super::files::FdTable::with_console(),
        cwd,
        vfs,
        cred,
        umask: 0o022,
        kstack: alloc::vec![0u8; KERNEL_STACK].into_boxed_slice(),
        entry: plan.entry,
        user_rsp: stack.rsp,
    })
}
