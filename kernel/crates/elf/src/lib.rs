//! ELF64 loading logic for running unmodified Linux x86_64 programs.
//!
//! Role: everything `execve` decides before touching memory. [`ElfFile::parse`]
//! validates a whole file held in memory; [`ElfFile::load_plan`] places it at
//! a load bias and says which pages to map, what to copy from the file, what
//! to zero and with which permissions; [`build_auxv`] and [`StackLayout`]
//! produce the auxiliary vector and the initial stack bytes exactly as Linux
//! lays them out; [`parse_shebang`] recognises `#!` scripts (binfmt_script).
//!
//! Invariants: no `unsafe`; no input makes it panic: corrupt or truncated
//! files give an [`ElfError`] (which converts to `ENOEXEC`); all address
//! arithmetic is checked; every planned address lies below [`USER_END`].
//! Depends on: `alloc` and the shared `errno` crate only.
//!
//! Summary for the kernel integrator:
//! - `ElfFile::parse(&[u8]) -> Result<ElfFile, ElfError>`; `kind()`,
//!   `interpreter()`, `span()` and `load_align()` help choose an ET_DYN bias.
//! - `load_plan(bias) -> Result<LoadPlan, ElfError>`: `segments` (each `mem`,
//!   `file`, `zero`, `perms`), `entry`, `phdr`/`phent`/`phnum`, `interpreter`,
//!   `executable_stack`, `tls`, `span`, `brk`. Load the interpreter the same
//!   way (it is ET_DYN) and jump to its entry; AT_BASE is its bias.
//! - `StackLayout::new(top, argv, envp, execfn, platform, random)` then
//!   `build_auxv(&plan, &AuxvParams { random: layout.random_address(), .. })`
//!   then `layout.finish(&auxv) -> StackImage { rsp, bytes, .. }`.
//! - Stricter than Linux: overlapping PT_LOADs, an empty or non-UTF-8
//!   PT_INTERP and inconsistent PT_TLS are rejected; no stack randomisation.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod auxv;
mod error;
mod file;
mod header;
mod page;
mod plan;
mod program;
mod read;
mod shebang;
mod stack;
#[cfg(test)]
mod tests;
mod validate;

pub use auxv::*;
pub use error::ElfError;
pub use file::ElfFile;
pub use header::{ElfHeader, ElfKind, MAX_PHNUM, PHDR_SIZE};
pub use page::{PAGE_SIZE, USER_END};
pub use plan::{LoadPlan, Perms, Segment, TlsInfo};
pub use program::{
    ProgramHeader, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR, PT_TLS,
};
pub use shebang::{parse_shebang, BINPRM_BUF_SIZE};
pub use stack::{StackError, StackImage, StackLayout, ARG_LIMIT, MAX_ARG_STRLEN};
pub use validate::MAX_INTERP_LEN;
