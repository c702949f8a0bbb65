//! The FPU area of the x86_64 signal frame (what `sigcontext.fpstate`
//! points at), as Linux's arch/x86/kernel/fpu/signal.c writes it and checks
//! it again on rt_sigreturn.
//!
//! Without XSAVE the area is the 512-byte fxsave image with its
//! software-reserved bytes (464..512) zeroed. With XSAVE it is the whole
//! xsave image (`size` bytes: fxsave image, 64-byte xsave header, extended
//! state such as the ymm upper halves), whose software-reserved bytes hold
//! `struct _fpx_sw_bytes` (FP_XSTATE_MAGIC1, sizes, features), followed by
//! FP_XSTATE_MAGIC2; `uc_flags` then carries UC_FP_XSTATE.
//!
//! rt_sigreturn ([`restore_fpstate`]) follows Linux: an area without both
//! magics (a program that copied only the legacy part) restores x87/SSE
//! and puts the other components in their init state; a header or MXCSR
//! that XRSTOR/FXRSTOR would refuse with #GP is an error (Linux then
//! resets the FPU and kills with SIGSEGV), so the kernel never executes an
//! instruction that faults on user-controlled bytes.
//!
//! Invariants: no `unsafe`, no panics on any input.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::structs::{Abi, RtSigframe};

/// `_fpx_sw_bytes.magic1` at the start of the software-reserved bytes.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// Written right after the xsave image in a signal frame.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
pub const FP_XSTATE_MAGIC2_SIZE: usize = 4;
/// x87 and SSE: the components of the legacy fxsave image.
pub const XFEATURE_MASK_FPSSE: u64 = 0b11;
/// The SSE and AVX components: XRSTOR loads MXCSR when either is requested.
const XFEATURE_MASK_SSE_AVX: u64 = 0b110;

const LEGACY_SIZE: usize = 512;
const HEADER_SIZE: usize = 64;
const MXCSR: usize = 24;
const SW_RESERVED: usize = 464;
const XSTATE_BV: usize = LEGACY_SIZE;
const MXCSR_INIT: u32 = 0x1f80;

/// How the kernel saves FPU state, from the CPU (fixed at boot).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FpuConfig {
    /// XSAVE is in use; otherwise fxsave only.
    pub xsave: bool,
    /// XCR0: the enabled state components (x87|SSE without XSAVE).
    pub xfeatures: u64,
    /// Size of the save area: CPUID.(0Dh,0).EBX for XCR0, 512 for fxsave.
    pub size: usize,
    /// MXCSR bits the CPU accepts.
    pub mxcsr_mask: u32,
}

impl FpuConfig {
    /// The fxsave-only configuration (a CPU without XSAVE).
    pub const FXSAVE: FpuConfig =
        FpuConfig { xsave: false, xfeatures: XFEATURE_MASK_FPSSE, size: LEGACY_SIZE, mxcsr_mask: 0xffbf };

    /// Bytes of the FPU area in a signal frame (Linux's `xstate_sigframe_size`).
    pub fn frame_size(&self) -> usize {
        if self.xsave {
            self.size + FP_XSTATE_MAGIC2_SIZE
        } else {
            LEGACY_SIZE
        }
    }

    /// AT_MINSIGSTKSZ as Linux reports it for this FPU configuration
    /// (`init_sigframe_size`): the largest frame struct plus 15 bytes of
    /// alignment, the FPU area plus 63. Distribution kernels have IA32
    /// emulation, so the largest struct is `sigframe_ia32` (732 bytes, more
    /// than the 440 of `rt_sigframe`) and the FPU area counts the 112-byte
    /// `fregs_state` too; we report the same, which bounds our own frames.
    pub fn min_sigstksz(&self) -> u64 {
        const SIGFRAME_IA32_SIZE: usize = 732;
        const FREGS_STATE_SIZE: usize = 112;
        let largest = SIGFRAME_IA32_SIZE.max(RtSigframe::SIZE);
        let max = largest + 15 + self.frame_size() + FREGS_STATE_SIZE + 63;
        max.next_multiple_of(16) as u64
    }
}

/// Why rt_sigreturn refuses a frame's FPU area (the process gets SIGSEGV).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FpStateError {
    /// MXCSR has bits the CPU does not support.
    BadMxcsr,
    /// xstate_bv names components XCR0 does not enable.
    BadXfeatures,
    /// xcomp_bv or the header's reserved bytes are not zero.
    BadHeader,
    /// An xsave area not 64-byte aligned (XRSTOR requires it).
    Misaligned,
    /// Fewer bytes than [`fpstate_read_len`] asked for.
    Short,
}

impl fmt::Display for FpStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FpStateError::BadMxcsr => "reserved MXCSR bits set in signal frame",
            FpStateError::BadXfeatures => "xstate_bv beyond XCR0 in signal frame",
            FpStateError::BadHeader => "reserved xsave header bytes set in signal frame",
            FpStateError::Misaligned => "xsave area in signal frame not 64-byte aligned",
            FpStateError::Short => "FPU area in signal frame too short",
        })
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        u64::from_le_bytes(w)
    })
}

/// The FPU area for a signal frame ([`FpuConfig::frame_size`] bytes) from
/// the image the kernel saved (at least `cfg.size` bytes; components the
/// CPU left unwritten because they were in their init state must hold init
/// values, e.g. by saving into an init image).
pub fn fpstate_frame(saved: &[u8], cfg: &FpuConfig) -> Vec<u8> {
    let mut area = vec![0u8; cfg.frame_size()];
    let n = cfg.size.min(saved.len()).min(area.len());
    area[..n].copy_from_slice(&saved[..n]);
    area[SW_RESERVED..LEGACY_SIZE].fill(0);
    if cfg.xsave {
        // struct _fpx_sw_bytes: magic1, extended_size, xfeatures, xstate_size.
        let extended = (cfg.size + FP_XSTATE_MAGIC2_SIZE) as u32;
        area[SW_RESERVED..SW_RESERVED + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        area[SW_RESERVED + 4..SW_RESERVED + 8].copy_from_slice(&extended.to_le_bytes());
        area[SW_RESERVED + 8..SW_RESERVED + 16].copy_from_slice(&cfg.xfeatures.to_le_bytes());
        area[SW_RESERVED + 16..SW_RESERVED + 20].copy_from_slice(&(cfg.size as u32).to_le_bytes());
        // Linux always marks x87/SSE present, so that a program editing only
        // the legacy image sees its changes restored.
        let bv = u64_at(&area, XSTATE_BV) | XFEATURE_MASK_FPSSE;
        area[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
        area[cfg.size..cfg.size + 4].copy_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
    }
    area
}

/// The xsave image size the frame's software bytes announce, if they are
/// valid (Linux's `check_xstate_in_sigframe` before it reads MAGIC2).
fn announced_size(legacy: &[u8], cfg: &FpuConfig) -> Option<usize> {
    if !cfg.xsave || u32_at(legacy, SW_RESERVED) != FP_XSTATE_MAGIC1 {
        return None;
    }
    let extended = u32_at(legacy, SW_RESERVED + 4) as usize;
    let size = u32_at(legacy, SW_RESERVED + 16) as usize;
    (size >= LEGACY_SIZE + HEADER_SIZE && size <= cfg.size && size <= extended).then_some(size)
}

/// How many bytes rt_sigreturn must read at `fpstate`, given the first 512
/// (the legacy image): the announced xsave image plus MAGIC2, or 512.
pub fn fpstate_read_len(legacy: &[u8], cfg: &FpuConfig) -> usize {
    announced_size(legacy, cfg).map_or(LEGACY_SIZE, |size| size + FP_XSTATE_MAGIC2_SIZE)
}

/// The image to load on rt_sigreturn (`cfg.size` bytes, for xrstor with
/// all of XCR0 or fxrstor) from the frame's FPU area at user address
/// `addr`, [`fpstate_read_len`] bytes long.
pub fn restore_fpstate(area: &[u8], addr: u64, cfg: &FpuConfig) -> Result<Vec<u8>, FpStateError> {
    if area.len() < LEGACY_SIZE {
        return Err(FpStateError::Short);
    }
    if u32_at(area, MXCSR) & !cfg.mxcsr_mask != 0 {
        return Err(FpStateError::BadMxcsr);
    }
    let mut image = vec![0u8; cfg.size];
    let xsave_size = announced_size(area, cfg)
        .filter(|&size| area.len() >= size + FP_XSTATE_MAGIC2_SIZE && u32_at(area, size) == FP_XSTATE_MAGIC2);
    let Some(size) = xsave_size else {
        // The legacy image only; with XSAVE every other component is reset.
        image[..LEGACY_SIZE].copy_from_slice(&area[..LEGACY_SIZE]);
        image[SW_RESERVED..LEGACY_SIZE].fill(0);
        if cfg.xsave {
            image[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&XFEATURE_MASK_FPSSE.to_le_bytes());
        }
        return Ok(image);
    };
    if addr % 64 != 0 {
        return Err(FpStateError::Misaligned);
    }
    let xstate_bv = u64_at(area, XSTATE_BV);
    if xstate_bv & !cfg.xfeatures != 0 {
        return Err(FpStateError::BadXfeatures);
    }
    if area[XSTATE_BV + 8..XSTATE_BV + HEADER_SIZE].iter().any(|&b| b != 0) {
        return Err(FpStateError::BadHeader);
    }
    // Components the frame does not claim (sw_bytes.xfeatures) are reset.
    let requested = u64_at(area, SW_RESERVED + 8) & cfg.xfeatures;
    image[..size].copy_from_slice(&area[..size]);
    image[SW_RESERVED..LEGACY_SIZE].fill(0);
    image[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&(xstate_bv & requested).to_le_bytes());
    if requested & XFEATURE_MASK_SSE_AVX == 0 {
        image[MXCSR..MXCSR + 4].copy_from_slice(&MXCSR_INIT.to_le_bytes());
    }
    Ok(image)
}
