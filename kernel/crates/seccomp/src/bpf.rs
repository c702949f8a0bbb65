//! Classic BPF as seccomp takes it: the instruction format, the checks
//! Linux makes before it accepts a program (`bpf_check_classic` followed by
//! `seccomp_check_filter`), and an interpreter over [`SeccompData`].
//!
//! A [`Program`] exists only after those checks passed, so running one can
//! neither index out of bounds nor read scratch memory before it was
//! written, and always ends in a `ret`. Its instructions are decoded once
//! (at the check) into an enum the interpreter dispatches on.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::data::{SeccompData, SECCOMP_DATA_SIZE};

/// One `struct sock_filter`: 8 bytes, `code`, `jt`, `jf`, `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// The size of one instruction in user memory.
pub const INSN_SIZE: usize = 8;
/// Linux's `BPF_MAXINSNS`: the longest program one `seccomp(2)` takes.
pub const BPF_MAXINSNS: usize = 4096;
/// Scratch memory words (`BPF_MEMWORDS`).
pub const BPF_MEMWORDS: u32 = 16;

// Instruction classes.
pub const BPF_LD: u16 = 0x00;
pub const BPF_LDX: u16 = 0x01;
pub const BPF_ST: u16 = 0x02;
pub const BPF_STX: u16 = 0x03;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_MISC: u16 = 0x07;
// Load sizes and modes.
pub const BPF_W: u16 = 0x00;
pub const BPF_H: u16 = 0x08;
pub const BPF_B: u16 = 0x10;
pub const BPF_IMM: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_IND: u16 = 0x40;
pub const BPF_MEM: u16 = 0x60;
pub const BPF_LEN: u16 = 0x80;
pub const BPF_MSH: u16 = 0xa0;
// ALU operations.
pub const BPF_ADD: u16 = 0x00;
pub const BPF_SUB: u16 = 0x10;
pub const BPF_MUL: u16 = 0x20;
pub const BPF_DIV: u16 = 0x30;
pub const BPF_OR: u16 = 0x40;
pub const BPF_AND: u16 = 0x50;
pub const BPF_LSH: u16 = 0x60;
pub const BPF_RSH: u16 = 0x70;
pub const BPF_NEG: u16 = 0x80;
pub const BPF_MOD: u16 = 0x90;
pub const BPF_XOR: u16 = 0xa0;
// Jumps.
pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
pub const BPF_JSET: u16 = 0x40;
// Operand source.
pub const BPF_K: u16 = 0x00;
pub const BPF_X: u16 = 0x08;
pub const BPF_A: u16 = 0x10;
// Register transfers.
pub const BPF_TAX: u16 = 0x00;
pub const BPF_TXA: u16 = 0x80;

/// `SKF_AD_OFF`: where classic BPF's ancillary loads start.
const SKF_AD_OFF: u32 = 0xffff_f000;

impl Insn {
    /// `BPF_STMT(code, k)`.
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn { code, jt: 0, jf: 0, k }
    }

    /// `BPF_JUMP(code, k, jt, jf)`.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }

    /// Decodes one instruction from its 8 bytes in user memory (native, little-endian).
    pub fn from_bytes(b: [u8; INSN_SIZE]) -> Insn {
        Insn { code: u16::from_le_bytes([b[0], b[1]]), jt: b[2], jf: b[3], k: u32::from_le_bytes([b[4], b[5], b[6], b[7]]) }
    }

    /// The 8 bytes of this instruction as `struct sock_filter` holds them.
    pub fn to_bytes(self) -> [u8; INSN_SIZE] {
        let c = self.code.to_le_bytes();
        let k = self.k.to_le_bytes();
        [c[0], c[1], self.jt, self.jf, k[0], k[1], k[2], k[3]]
    }

    fn is_conditional_jump(self) -> bool {
        matches!(
            self.code,
            c if c == BPF_JMP | BPF_JEQ | BPF_K
                || c == BPF_JMP | BPF_JEQ | BPF_X
                || c == BPF_JMP | BPF_JGT | BPF_K
                || c == BPF_JMP | BPF_JGT | BPF_X
                || c == BPF_JMP | BPF_JGE | BPF_K
                || c == BPF_JMP | BPF_JGE | BPF_X
                || c == BPF_JMP | BPF_JSET | BPF_K
                || c == BPF_JMP | BPF_JSET | BPF_X
        )
    }
}

/// Decodes a whole program from user-memory bytes (a multiple of 8).
pub fn insns_from_bytes(bytes: &[u8]) -> Vec<Insn> {
    bytes
        .chunks_exact(INSN_SIZE)
        .map(|c| Insn::from_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// The opcodes classic BPF knows at all (`bpf_check_classic`'s table).
fn classic_code_allowed(code: u16) -> bool {
    const ALU_OPS: [u16; 10] = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
    const JMP_OPS: [u16; 4] = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
    ALU_OPS.iter().any(|op| code == BPF_ALU | op | BPF_K || code == BPF_ALU | op | BPF_X)
        || JMP_OPS.iter().any(|op| code == BPF_JMP | op | BPF_K || code == BPF_JMP | op | BPF_X)
        || [
            BPF_ALU | BPF_NEG,
            BPF_LD | BPF_W | BPF_ABS,
            BPF_LD | BPF_H | BPF_ABS,
            BPF_LD | BPF_B | BPF_ABS,
            BPF_LD | BPF_W | BPF_LEN,
            BPF_LD | BPF_W | BPF_IND,
            BPF_LD | BPF_H | BPF_IND,
            BPF_LD | BPF_B | BPF_IND,
            BPF_LD | BPF_IMM,
            BPF_LD | BPF_MEM,
            BPF_LDX | BPF_W | BPF_LEN,
            BPF_LDX | BPF_B | BPF_MSH,
            BPF_LDX | BPF_IMM,
            BPF_LDX | BPF_MEM,
            BPF_ST,
            BPF_STX,
            BPF_MISC | BPF_TAX,
            BPF_MISC | BPF_TXA,
            BPF_RET | BPF_K,
            BPF_RET | BPF_A,
            BPF_JMP | BPF_JA,
        ]
        .contains(&code)
}

/// The opcodes seccomp accepts (`seccomp_check_filter`'s list): no packet
/// loads but 32-bit aligned loads from `seccomp_data`, no `mod`.
fn seccomp_code_allowed(code: u16) -> bool {
    const ALU_OPS: [u16; 9] = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
    const JMP_OPS: [u16; 4] = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
    ALU_OPS.iter().any(|op| code == BPF_ALU | op | BPF_K || code == BPF_ALU | op | BPF_X)
        || JMP_OPS.iter().any(|op| code == BPF_JMP | op | BPF_K || code == BPF_JMP | op | BPF_X)
        || [
            BPF_LD | BPF_W | BPF_ABS,
            BPF_LD | BPF_W | BPF_LEN,
            BPF_LDX | BPF_W | BPF_LEN,
            BPF_RET | BPF_K,
            BPF_RET | BPF_A,
            BPF_ALU | BPF_NEG,
            BPF_LD | BPF_IMM,
            BPF_LDX | BPF_IMM,
            BPF_MISC | BPF_TAX,
            BPF_MISC | BPF_TXA,
            BPF_LD | BPF_MEM,
            BPF_LDX | BPF_MEM,
            BPF_ST,
            BPF_STX,
            BPF_JMP | BPF_JA,
        ]
        .contains(&code)
}

/// Why a program was refused (Linux answers `EINVAL` to all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// No instructions, or more than [`BPF_MAXINSNS`].
    Length(usize),
    /// An opcode classic BPF or seccomp does not allow, at `pc`.
    Opcode { pc: usize, code: u16 },
    /// A constant divisor of 0 or a constant shift of 32 or more.
    Constant { pc: usize },
    /// A scratch-memory index past [`BPF_MEMWORDS`].
    MemIndex { pc: usize },
    /// A jump past the end.
    Jump { pc: usize },
    /// A load from outside `seccomp_data`, or not 4-byte aligned.
    Load { pc: usize },
    /// The last instruction is not a `ret`.
    NoReturn,
    /// Scratch memory read on some path before it was written.
    UninitMemory { pc: usize },
}

/// A program that passed Linux's checks, with its instructions decoded
/// once for the interpreter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Box<[Insn]>,
    ops: Box<[Op]>,
}

/// A checked instruction, decoded (what the interpreter runs); 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A = the word at this (aligned, in-bounds) offset of `seccomp_data`.
    LdAbs(u32),
    LdImm(u32),
    LdxImm(u32),
    LdMem(u8),
    LdxMem(u8),
    St(u8),
    Stx(u8),
    Tax,
    Txa,
    Neg,
    /// ALU operation (`BPF_ADD`...) with the constant, or with X.
    AluK(u8, u32),
    AluX(u8),
    Ja(u32),
    /// Jump operation (`BPF_JEQ`...), constant or X, jt, jf.
    JmpK(u8, u32, u8, u8),
    JmpX(u8, u8, u8),
    RetK(u32),
    RetA,
}

/// Decodes one instruction that passed both checks.
fn decode(insn: Insn) -> Op {
    let k = insn.k;
    let mem = (k % BPF_MEMWORDS) as u8;
    let op = (insn.code & 0xf0) as u8;
    let by_x = insn.code & BPF_X != 0;
    match insn.code {
        c if c == BPF_LD | BPF_W | BPF_ABS => Op::LdAbs(k),
        // Length loads are the size of seccomp_data (seccomp_check_filter).
        c if c == BPF_LD | BPF_W | BPF_LEN => Op::LdImm(SECCOMP_DATA_SIZE as u32),
        c if c == BPF_LDX | BPF_W | BPF_LEN => Op::LdxImm(SECCOMP_DATA_SIZE as u32),
        c if c == BPF_LD | BPF_IMM => Op::LdImm(k),
        c if c == BPF_LDX | BPF_IMM => Op::LdxImm(k),
        c if c == BPF_LD | BPF_MEM => Op::LdMem(mem),
        c if c == BPF_LDX | BPF_MEM => Op::LdxMem(mem),
        c if c == BPF_ST => Op::St(mem),
        c if c == BPF_STX => Op::Stx(mem),
        c if c == BPF_MISC | BPF_TAX => Op::Tax,
        c if c == BPF_MISC | BPF_TXA => Op::Txa,
        c if c == BPF_ALU | BPF_NEG => Op::Neg,
        c if c & 0x07 == BPF_ALU && by_x => Op::AluX(op),
        c if c & 0x07 == BPF_ALU => Op::AluK(op, k),
        c if c == BPF_JMP | BPF_JA => Op::Ja(k),
        c if c & 0x07 == BPF_JMP && by_x => Op::JmpX(op, insn.jt, insn.jf),
        c if c & 0x07 == BPF_JMP => Op::JmpK(op, k, insn.jt, insn.jf),
        c if c == BPF_RET | BPF_A => Op::RetA,
        _ => Op::RetK(k),
    }
}

fn alu(op: u8, a: u32, v: u32) -> Option<u32> {
    Some(match u16::from(op) {
        BPF_ADD => a.wrapping_add(v),
        BPF_SUB => a.wrapping_sub(v),
        BPF_MUL => a.wrapping_mul(v),
        BPF_DIV => a.checked_div(v)?,
        BPF_AND => a & v,
        BPF_OR => a | v,
        BPF_XOR => a ^ v,
        // eBPF (which runs converted seccomp programs) masks the count.
        BPF_LSH => a << (v & 31),
        BPF_RSH => a >> (v & 31),
        _ => return None,
    })
}

fn test(op: u8, a: u32, v: u32) -> bool {
    match u16::from(op) {
        BPF_JEQ => a == v,
        BPF_JGT => a > v,
        BPF_JGE => a >= v,
        _ => a & v != 0,
    }
}

impl Program {
    /// Checks `insns` as `seccomp(SECCOMP_SET_MODE_FILTER)` does.
    pub fn new(insns: Vec<Insn>) -> Result<Program, Invalid> {
        check_classic(&insns)?;
        check_seccomp(&insns)?;
        let ops = insns.iter().map(|&i| decode(i)).collect();
        Ok(Program { insns: insns.into_boxed_slice(), ops })
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Runs the program over `data`; returns its `SECCOMP_RET_*` value.
    pub fn run(&self, data: &SeccompData) -> u32 {
        run(&self.ops, data)
    }
}

/// `bpf_check_classic`: opcodes, constants, jump ranges, final `ret`, and
/// scratch memory written before it is read.
fn check_classic(f: &[Insn]) -> Result<(), Invalid> {
    let len = f.len();
    if len == 0 || len > BPF_MAXINSNS {
        return Err(Invalid::Length(len));
    }
    for (pc, insn) in f.iter().enumerate() {
        let code = insn.code;
        if !classic_code_allowed(code) {
            return Err(Invalid::Opcode { pc, code });
        }
        let k = insn.k;
        match code {
            c if c == BPF_ALU | BPF_DIV | BPF_K || c == BPF_ALU | BPF_MOD | BPF_K => {
                if k == 0 {
                    return Err(Invalid::Constant { pc });
                }
            }
            c if c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K => {
                if k >= 32 {
                    return Err(Invalid::Constant { pc });
                }
            }
            c if c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM || c == BPF_ST || c == BPF_STX => {
                if k >= BPF_MEMWORDS {
                    return Err(Invalid::MemIndex { pc });
                }
            }
            c if c == BPF_JMP | BPF_JA => {
                // k < len - 1 - pc: the target is inside the program.
                if u64::from(k) >= (len - 1 - pc) as u64 {
                    return Err(Invalid::Jump { pc });
                }
            }
            c if c == BPF_LD | BPF_W | BPF_ABS || c == BPF_LD | BPF_H | BPF_ABS || c == BPF_LD | BPF_B | BPF_ABS => {
                // Ancillary (socket) loads: none exists for seccomp.
                if k >= SKF_AD_OFF {
                    return Err(Invalid::Load { pc });
                }
            }
            _ if insn.is_conditional_jump() => {
                if pc + usize::from(insn.jt) + 1 >= len || pc + usize::from(insn.jf) + 1 >= len {
                    return Err(Invalid::Jump { pc });
                }
            }
            _ => {}
        }
    }
    match f[len - 1].code {
        c if c == BPF_RET | BPF_K || c == BPF_RET | BPF_A => check_load_and_stores(f),
        _ => Err(Invalid::NoReturn),
    }
}

/// Scratch memory must be stored on every path before it is loaded: one bit
/// per word of what is known written, merged (AND) into jump targets.
fn check_load_and_stores(f: &[Insn]) -> Result<(), Invalid> {
    let mut masks = alloc::vec![u16::MAX; f.len()];
    let mut valid: u16 = 0;
    for (pc, insn) in f.iter().enumerate() {
        valid &= masks[pc];
        let code = insn.code;
        let bit = 1u16 << (insn.k & 0xf);
        if code == BPF_ST || code == BPF_STX {
            valid |= bit;
        } else if code == BPF_LD | BPF_MEM || code == BPF_LDX | BPF_MEM {
            if valid & bit == 0 {
                return Err(Invalid::UninitMemory { pc });
            }
        } else if code == BPF_JMP | BPF_JA {
            masks[pc + 1 + insn.k as usize] &= valid;
            valid = u16::MAX;
        } else if insn.is_conditional_jump() {
            masks[pc + 1 + usize::from(insn.jt)] &= valid;
            masks[pc + 1 + usize::from(insn.jf)] &= valid;
            valid = u16::MAX;
        }
    }
    Ok(())
}

/// `seccomp_check_filter`: seccomp's opcode list; loads only whole,
/// aligned words inside `struct seccomp_data`.
fn check_seccomp(f: &[Insn]) -> Result<(), Invalid> {
    for (pc, insn) in f.iter().enumerate() {
        if !seccomp_code_allowed(insn.code) {
            return Err(Invalid::Opcode { pc, code: insn.code });
        }
        if insn.code == BPF_LD | BPF_W | BPF_ABS && (insn.k as usize >= SECCOMP_DATA_SIZE || insn.k & 3 != 0) {
            return Err(Invalid::Load { pc });
        }
    }
    Ok(())
}

/// The interpreter over decoded instructions. The checks guarantee jumps
/// stay inside the program and loads inside `seccomp_data`; should anything
/// still be out of range, the program returns 0 (`SECCOMP_RET_KILL_THREAD`),
/// as a classic program that divides by zero does.
fn run(f: &[Op], data: &SeccompData) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut pc = 0usize;
    loop {
        let Some(&op) = f.get(pc) else { return 0 };
        pc += 1;
        match op {
            Op::LdAbs(off) => a = data.word(off).unwrap_or(0),
            Op::LdImm(k) => a = k,
            Op::LdxImm(k) => x = k,
            Op::LdMem(i) => a = mem[usize::from(i)],
            Op::LdxMem(i) => x = mem[usize::from(i)],
            Op::St(i) => mem[usize::from(i)] = a,
            Op::Stx(i) => mem[usize::from(i)] = x,
            Op::Tax => x = a,
            Op::Txa => a = x,
            Op::Neg => a = a.wrapping_neg(),
            // Division by zero ends the program with 0, as classic BPF does.
            Op::AluK(op, k) => a = match alu(op, a, k) {
                Some(v) => v,
                None => return 0,
            },
            Op::AluX(op) => a = match alu(op, a, x) {
                Some(v) => v,
                None => return 0,
            },
            Op::Ja(k) => pc += k as usize,
            Op::JmpK(op, k, jt, jf) => pc += usize::from(if test(op, a, k) { jt } else { jf }),
            Op::JmpX(op, jt, jf) => pc += usize::from(if test(op, a, x) { jt } else { jf }),
            Op::RetK(k) => return k,
            Op::RetA => return a,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ret(k: u32) -> Insn {
        Insn::stmt(BPF_RET | BPF_K, k)
    }

    #[test]
    fn bytes_round_trip() {
        let i = Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000_003e, 1, 2);
        assert_eq!(Insn::from_bytes(i.to_bytes()), i);
        assert_eq!(i.to_bytes(), [0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]);
        assert_eq!(insns_from_bytes(&[6, 0, 0, 0, 0, 0, 0xff, 0x7f, 9]), vec![ret(0x7fff_0000)]);
    }

    #[test]
    fn length_limits() {
        assert_eq!(Program::new(vec![]), Err(Invalid::Length(0)));
        assert!(Program::new(vec![ret(0); BPF_MAXINSNS]).is_ok());
        assert_eq!(Program::new(vec![ret(0); BPF_MAXINSNS + 1]), Err(Invalid::Length(BPF_MAXINSNS + 1)));
    }

    #[test]
    fn refusals() {
        let ld = |k| Insn::stmt(BPF_LD | BPF_W | BPF_ABS, k);
        // Not ending in ret.
        assert_eq!(Program::new(vec![ld(0)]), Err(Invalid::NoReturn));
        // Loads: outside seccomp_data, unaligned, byte/half/indirect loads.
        assert_eq!(Program::new(vec![ld(64), ret(0)]), Err(Invalid::Load { pc: 0 }));
        assert_eq!(Program::new(vec![ld(2), ret(0)]), Err(Invalid::Load { pc: 0 }));
        assert_eq!(Program::new(vec![ld(SKF_AD_OFF), ret(0)]), Err(Invalid::Load { pc: 0 }));
        let half = BPF_LD | BPF_H | BPF_ABS;
        assert_eq!(Program::new(vec![Insn::stmt(half, 0), ret(0)]), Err(Invalid::Opcode { pc: 0, code: half }));
        // mod is classic BPF but not seccomp; ret X is neither.
        let m = BPF_ALU | BPF_MOD | BPF_K;
        assert_eq!(Program::new(vec![Insn::stmt(m, 3), ret(0)]), Err(Invalid::Opcode { pc: 0, code: m }));
        assert!(Program::new(vec![Insn::stmt(BPF_RET | BPF_X, 0)]).is_err());
        // Constants.
        assert_eq!(Program::new(vec![Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret(0)]), Err(Invalid::Constant { pc: 0 }));
        assert_eq!(Program::new(vec![Insn::stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret(0)]), Err(Invalid::Constant { pc: 0 }));
        assert_eq!(Program::new(vec![Insn::stmt(BPF_ST, 16), ret(0)]), Err(Invalid::MemIndex { pc: 0 }));
        // Jumps: ja to the last insn is fine, past it is not; conditional the same.
        assert!(Program::new(vec![Insn::stmt(BPF_JMP | BPF_JA, 0), ret(0)]).is_ok());
        assert_eq!(Program::new(vec![Insn::stmt(BPF_JMP | BPF_JA, 1), ret(0)]), Err(Invalid::Jump { pc: 0 }));
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        assert!(Program::new(vec![Insn::jump(jeq, 0, 0, 1), ret(0), ret(1)]).is_ok());
        assert_eq!(Program::new(vec![Insn::jump(jeq, 0, 2, 0), ret(0), ret(1)]), Err(Invalid::Jump { pc: 0 }));
        // Scratch memory read before written on one path.
        let prog = vec![
            Insn::jump(jeq, 0, 0, 1),
            Insn::stmt(BPF_ST, 3),
            Insn::stmt(BPF_LD | BPF_MEM, 3),
            Insn::stmt(BPF_RET | BPF_A, 0),
        ];
        assert_eq!(Program::new(prog), Err(Invalid::UninitMemory { pc: 2 }));
        let prog = vec![Insn::stmt(BPF_ST, 3), Insn::jump(jeq, 0, 0, 0), Insn::stmt(BPF_LDX | BPF_MEM, 3), ret(0)];
        assert!(Program::new(prog).is_ok());
    }

    #[test]
    fn interpreter() {
        let d = SeccompData { nr: 39, arch: crate::AUDIT_ARCH_X86_64, instruction_pointer: 0x1234_5678_9abc, args: [5, 1 << 40, 0, 0, 0, u64::MAX] };
        let run = |p: Vec<Insn>| Program::new(p).map(|p| p.run(&d));
        assert_eq!(run(vec![Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0), Insn::stmt(BPF_RET | BPF_A, 0)]), Ok(39));
        assert_eq!(run(vec![Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 4), Insn::stmt(BPF_RET | BPF_A, 0)]), Ok(0xc000_003e));
        assert_eq!(run(vec![Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 12), Insn::stmt(BPF_RET | BPF_A, 0)]), Ok(0x1234));
        assert_eq!(run(vec![Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 28), Insn::stmt(BPF_RET | BPF_A, 0)]), Ok(0x100));
        assert_eq!(run(vec![Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0), Insn::stmt(BPF_RET | BPF_A, 0)]), Ok(64));
        // Arithmetic wraps; shifts take the count modulo 32; x/0 returns 0.
        let alu = |op: u16, a: u32, x: u32| {
            run(vec![
                Insn::stmt(BPF_LD | BPF_IMM, a),
                Insn::stmt(BPF_LDX | BPF_IMM, x),
                Insn::stmt(BPF_ALU | op | BPF_X, 0),
                Insn::stmt(BPF_RET | BPF_A, 0),
            ])
            .unwrap()
        };
        assert_eq!(alu(BPF_SUB, 1, 2), u32::MAX);
        assert_eq!(alu(BPF_LSH, 1, 33), 2);
        assert_eq!(alu(BPF_DIV, 7, 0), 0);
        assert_eq!(alu(BPF_DIV, 7, 2), 3);
        // Scratch memory and register moves.
        let p = vec![
            Insn::stmt(BPF_LD | BPF_IMM, 9),
            Insn::stmt(BPF_ST, 15),
            Insn::stmt(BPF_LDX | BPF_MEM, 15),
            Insn::stmt(BPF_MISC | BPF_TXA, 0),
            Insn::stmt(BPF_ALU | BPF_NEG, 0),
            Insn::stmt(BPF_RET | BPF_A, 0),
        ];
        assert_eq!(run(p), Ok(9u32.wrapping_neg()));
        // Jumps.
        let p = vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            Insn::jump(BPF_JMP | BPF_JSET | BPF_K, 2, 0, 1),
            ret(1),
            Insn::jump(BPF_JMP | BPF_JGT | BPF_K, 4, 0, 1),
            ret(2),
            ret(3),
        ];
        assert_eq!(run(p), Ok(2));
    }
}
