//! The signal frame's FPU area with XSAVE (`signal::xstate`): what the
//! frame carries, what rt_sigreturn accepts, and the host Linux's own frame
//! (its `_fpx_sw_bytes` and magics) for the same features.

use std::path::PathBuf;
use std::process::Command;

use linux_abi::signal::*;
use linux_abi::structs::Abi;

/// x87|SSE|AVX in the standard xsave layout (AVX at 576, 256 bytes).
const AVX: FpuConfig = FpuConfig { xsave: true, xfeatures: 0b111, size: 832, mxcsr_mask: 0xffff };

/// A saved image: legacy part and ymm halves filled with a pattern.
fn saved(cfg: &FpuConfig) -> Vec<u8> {
    let mut image: Vec<u8> = (0..cfg.size).map(|i| (i * 7) as u8).collect();
    image[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
    image[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    if cfg.xsave {
        image[512..576].fill(0);
        image[512] = 0b100; // only AVX marked in use: x87/SSE in init state
    }
    image
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn an_xsave_area_carries_linux_sw_bytes_and_magics() {
    let area = fpstate_frame(&saved(&AVX), &AVX);
    assert_eq!(area.len(), 836);
    assert_eq!(AVX.frame_size(), 836);
    assert_eq!(u32_at(&area, 464), FP_XSTATE_MAGIC1);
    assert_eq!(u32_at(&area, 468), 836, "extended_size: xsave size + MAGIC2");
    assert_eq!(u64_at(&area, 472), 0b111, "xfeatures");
    assert_eq!(u32_at(&area, 480), 832, "xstate_size");
    assert!(area[484..512].iter().all(|&b| b == 0));
    assert_eq!(u32_at(&area, 832), FP_XSTATE_MAGIC2);
    assert_eq!(u64_at(&area, 512), 0b111, "x87/SSE always marked present, as Linux does");
    assert_eq!(&area[576..832], &saved(&AVX)[576..832], "ymm upper halves");
    assert_eq!(&area[..464], &saved(&AVX)[..464]);
}

#[test]
fn without_xsave_the_area_is_the_fxsave_image() {
    let cfg = FpuConfig { mxcsr_mask: 0xffff, ..FpuConfig::FXSAVE };
    let mut image = saved(&cfg);
    image[500] = 0x55; // junk in the software-reserved bytes
    let area = fpstate_frame(&image, &cfg);
    assert_eq!(area.len(), 512);
    assert!(area[464..].iter().all(|&b| b == 0));
    assert_eq!(fpstate_read_len(&area, &cfg), 512);
    let back = restore_fpstate(&area, 0x1000, &cfg).unwrap();
    assert_eq!(back, area);
}

#[test]
fn the_signal_frame_places_and_flags_the_xsave_area() {
    let area = fpstate_frame(&saved(&AVX), &AVX);
    let regs = UserRegs { rsp: 0x7fff_ffff_e123, cs: 0x23, ss: 0x1b, rip: 0x401000, ..UserRegs::default() };
    let info = Siginfo::kill(Signal::SIGUSR1, SI_USER, 1, 0);
    let action = SigAction {
        handler: Handler::Catch(0x40_1000),
        flags: SaFlags::SA_RESTORER,
        restorer: 0x40_2000,
        mask: SigSet::EMPTY,
    };
    let d = Delivery {
        regs: &regs,
        fpu: &area,
        blocked: SigSet::EMPTY,
        info: &info,
        action: &action,
        altstack: &AltStack::default(),
        trap: TrapInfo::default(),
    };
    let config = FrameConfig { user_cs: 0x23, user_ss: 0x1b, mxcsr_mask: 0xffff };
    let f = build_rt_sigframe(&d, &config).unwrap();
    let fpstate = (regs.rsp - 128 - 836) & !63;
    let image = RtSigframe::read_from(&f.bytes);
    assert_eq!(image.uc.uc_mcontext.fpstate, fpstate);
    assert_eq!(image.uc.uc_flags, UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    assert_eq!(f.addr + f.bytes.len() as u64, fpstate + 836);
    let at = (fpstate - f.addr) as usize;
    assert_eq!(&f.bytes[at..], &area[..]);

    // rt_sigreturn reads the legacy part, then the announced length.
    let legacy = &f.bytes[at..at + 512];
    assert_eq!(fpstate_read_len(legacy, &AVX), 836);
    let back = restore_fpstate(&f.bytes[at..], fpstate, &AVX).unwrap();
    assert_eq!(back.len(), 832);
    assert_eq!(&back[576..], &saved(&AVX)[576..], "ymm halves come back");
    assert_eq!(u64_at(&back, 512), 0b111);
    assert!(back[464..512].iter().all(|&b| b == 0), "no software bytes reach xrstor");
    assert!(back[520..576].iter().all(|&b| b == 0));
}

#[test]
fn a_legacy_only_area_restores_x87_and_sse_and_resets_avx() {
    let mut area = fpstate_frame(&saved(&AVX), &AVX);
    // A program that rebuilt the frame from an fxsave image: no magic1.
    area[464..468].fill(0);
    assert_eq!(fpstate_read_len(&area[..512], &AVX), 512);
    let back = restore_fpstate(&area[..512], 0x1010, &AVX).unwrap();
    assert_eq!(u64_at(&back, 512), XFEATURE_MASK_FPSSE);
    assert!(back[576..].iter().all(|&b| b == 0));
    assert_eq!(&back[..464], &area[..464]);

    // magic1 present but MAGIC2 overwritten: also legacy only (Linux's check).
    let mut area = fpstate_frame(&saved(&AVX), &AVX);
    area[832] ^= 1;
    let back = restore_fpstate(&area, 0x1000, &AVX).unwrap();
    assert_eq!(u64_at(&back, 512), XFEATURE_MASK_FPSSE);

    // An announced size larger than ours, or smaller than legacy + header.
    for size in [833u32, 575] {
        let mut area = fpstate_frame(&saved(&AVX), &AVX);
        area[480..484].copy_from_slice(&size.to_le_bytes());
        assert_eq!(fpstate_read_len(&area, &AVX), 512, "xstate_size {size}");
    }
}

#[test]
fn hostile_areas_are_refused_instead_of_faulting_xrstor() {
    let good = fpstate_frame(&saved(&AVX), &AVX);
    let refuse = |edit: &dyn Fn(&mut Vec<u8>), addr: u64, want: FpStateError| {
        let mut area = good.clone();
        edit(&mut area);
        assert_eq!(restore_fpstate(&area, addr, &AVX), Err(want));
    };
    refuse(&|a| a[24..28].copy_from_slice(&0x0001_0000u32.to_le_bytes()), 0x1000, FpStateError::BadMxcsr);
    refuse(&|a| a[512] |= 0b1000, 0x1000, FpStateError::BadXfeatures);
    refuse(&|a| a[519] = 0x80, 0x1000, FpStateError::BadXfeatures); // bit 63
    refuse(&|a| a[520] = 1, 0x1000, FpStateError::BadHeader); // xcomp_bv
    refuse(&|a| a[575] = 1, 0x1000, FpStateError::BadHeader);
    refuse(&|_| {}, 0x1010, FpStateError::Misaligned);
    assert_eq!(restore_fpstate(&good[..100], 0x1000, &AVX), Err(FpStateError::Short));
    // The legacy path checks MXCSR too (FXRSTOR would fault).
    let mut legacy = good[..512].to_vec();
    legacy[464] = 0;
    legacy[27] = 0x80;
    assert_eq!(restore_fpstate(&legacy, 0x1000, &AVX), Err(FpStateError::BadMxcsr));
    // Features the frame does not claim are reset; MXCSR too if neither SSE nor AVX is claimed.
    let mut area = good.clone();
    area[472..480].copy_from_slice(&1u64.to_le_bytes());
    area[24..28].copy_from_slice(&0x1f00u32.to_le_bytes());
    let back = restore_fpstate(&area, 0x1000, &AVX).unwrap();
    assert_eq!(u64_at(&back, 512), 1);
    assert_eq!(u32_at(&back, 24), 0x1f80);
}

#[test]
fn min_sigstksz_follows_linux() {
    // Linux 6.18 here reports 1776 (`signal: max sigframe size: 1776`) for
    // a user xstate maximum of 848 bytes (x87|SSE|AVX|CET_USER).
    assert_eq!(FpuConfig { size: 848, ..AVX }.min_sigstksz(), 1776);
    assert_eq!(AVX.min_sigstksz(), 1760);
    assert_eq!(FpuConfig::FXSAVE.min_sigstksz(), 1440);
    assert!(AVX.min_sigstksz() >= (RtSigframe::SIZE + 16 + 64 + AVX.frame_size()) as u64);
}

const PROBE: &str = r#"
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
unsigned char area[4096]; unsigned long flags;
static void handler(int s, siginfo_t *i, void *u) {
    ucontext_t *uc = u;
    uint32_t *sw = (uint32_t *)((char *)uc->uc_mcontext.fpregs + 464);
    size_t n = sw[0] == 0x46505853u && sw[1] <= sizeof area ? sw[1] : 512;
    memcpy(area, uc->uc_mcontext.fpregs, n);
    flags = uc->uc_flags;
}
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    uint32_t *sw = (uint32_t *)(area + 464);
    printf("%lu %u %u %lu %u %lu", flags, sw[0], sw[1], *(unsigned long *)(sw + 2), sw[4],
           *(unsigned long *)(area + 512));
    printf(" %u\n", sw[0] == 0x46505853u ? *(uint32_t *)(area + sw[4]) : 0);
    return 0;
}
"#;

/// The host Linux's own frame, when it uses XSAVE: our area for the same
/// features and size must carry the same software bytes and magics.
#[test]
fn sw_bytes_match_the_host_kernel() {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xstate_linux");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("probe.c"), PROBE).unwrap();
    let exe = dir.join("probe");
    let Ok(out) = Command::new("gcc").args(["-O1", "-o"]).arg(&exe).arg(dir.join("probe.c")).output() else {
        eprintln!("xstate: gcc not available, skipped");
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(&exe).output().unwrap();
    let v: Vec<u64> = String::from_utf8(out.stdout).unwrap().split_whitespace().map(|w| w.parse().unwrap()).collect();
    let (flags, magic1, extended, xfeatures, size, bv, magic2) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    if magic1 != u64::from(FP_XSTATE_MAGIC1) {
        eprintln!("xstate: the host does not use XSAVE frames, skipped");
        return;
    }
    assert_ne!(flags & UC_FP_XSTATE, 0);
    assert_eq!(bv & XFEATURE_MASK_FPSSE, XFEATURE_MASK_FPSSE, "host marks x87/SSE present");
    let cfg = FpuConfig { xsave: true, xfeatures, size: size as usize, mxcsr_mask: 0xffff };
    let ours = fpstate_frame(&vec![0u8; cfg.size], &cfg);
    assert_eq!(
        (u64::from(u32_at(&ours, 464)), u64::from(u32_at(&ours, 468)), u64_at(&ours, 472), u64::from(u32_at(&ours, 480))),
        (magic1, extended, xfeatures, size)
    );
    assert_eq!(u64::from(u32_at(&ours, size as usize)), magic2);
    assert_eq!(ours.len() as u64, extended);
}
