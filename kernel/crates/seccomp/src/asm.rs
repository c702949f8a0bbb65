//! A backward assembler for classic BPF: code is emitted last instruction
//! first, so every jump target already has its place and offsets are known
//! when a jump is written. Conditional jumps reach at most 255 instructions;
//! a farther target gets a copy of its `ret` (when it is one) or an
//! unconditional `ja` placed right after the jump.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::bpf::{Insn, BPF_JA, BPF_JMP, BPF_K, BPF_LD, BPF_RET};

/// An emitted instruction, counted from the end of the program (0 = last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Default)]
pub struct Asm {
    /// The program in reverse order.
    rev: Vec<Insn>,
    /// The latest `ret` of each value (shared by nearby jumps).
    rets: BTreeMap<u32, Label>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm { rev: Vec::new(), rets: BTreeMap::new() }
    }

    fn push(&mut self, insn: Insn) -> Label {
        self.rev.push(insn);
        Label(self.rev.len() - 1)
    }

    /// Distance from the next instruction emitted to `target`.
    fn offset(&self, target: Label) -> usize {
        self.rev.len() - target.0 - 1
    }

    /// `ret k`.
    pub fn ret(&mut self, k: u32) -> Label {
        let label = self.push(Insn::stmt(BPF_RET | BPF_K, k));
        self.rets.insert(k, label);
        label
    }

    /// A `ret k` that a jump from here reaches: an earlier one when it is
    /// near enough, else a new one.
    pub fn shared_ret(&mut self, k: u32) -> Label {
        match self.rets.get(&k) {
            Some(&label) if self.offset(label) <= 255 => label,
            _ => self.ret(k),
        }
    }

    /// A statement (load, ALU) followed by `next`, which must be the
    /// instruction emitted just before this call.
    pub fn stmt(&mut self, code: u16, k: u32, next: Label) -> Label {
        let target = self.reach(next);
        debug_assert_eq!(self.offset(target), 0, "a statement falls through to the next instruction");
        self.push(Insn::stmt(code, k))
    }

    /// `ld [offset]` followed by `next`.
    pub fn load(&mut self, offset: u32, next: Label) -> Label {
        self.stmt(BPF_LD | crate::bpf::BPF_W | crate::bpf::BPF_ABS, offset, next)
    }

    /// Makes `target` the next instruction (emitting a `ret` copy or a `ja`
    /// when it is not).
    fn reach(&mut self, target: Label) -> Label {
        if self.offset(target) == 0 {
            return target;
        }
        self.far(target)
    }

    /// A stand-in for `target` at the current position.
    fn far(&mut self, target: Label) -> Label {
        let insn = self.rev[target.0];
        if insn.code == BPF_RET | BPF_K {
            self.push(insn)
        } else {
            let k = self.offset(target) as u32;
            self.push(Insn::stmt(BPF_JMP | BPF_JA, k))
        }
    }

    /// A conditional jump `code k` (e.g. `BPF_JMP|BPF_JEQ|BPF_K`) to `jt` or `jf`.
    pub fn jump(&mut self, code: u16, k: u32, mut jt: Label, mut jf: Label) -> Label {
        loop {
            let (ot, of) = (self.offset(jt), self.offset(jf));
            if ot <= 255 && of <= 255 {
                return self.push(Insn::jump(code, k, ot as u8, of as u8));
            }
            if ot > 255 {
                jt = self.far(jt);
            } else {
                jf = self.far(jf);
            }
        }
    }

    /// The finished program, first instruction first.
    pub fn finish(mut self) -> Vec<Insn> {
        self.rev.reverse();
        self.rev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{Program, BPF_JEQ};
    use crate::data::SeccompData;

    #[test]
    fn far_targets_get_stand_ins() {
        let mut a = Asm::new();
        let yes = a.ret(1);
        let mut next = a.ret(2);
        // 300 filler checks between the jump and its targets.
        for i in 0..300 {
            next = a.jump(BPF_JMP | BPF_JEQ | BPF_K, 1000 + i, yes, next);
        }
        let top = a.jump(BPF_JMP | BPF_JEQ | BPF_K, 7, yes, next);
        let first = a.load(0, top);
        let prog = Program::new(a.finish()).expect("valid");
        assert_eq!(first, Label(prog.len() - 1));
        let run = |nr| prog.run(&SeccompData::x86_64(nr, [0; 6], 0));
        assert_eq!(run(7), 1);
        assert_eq!(run(1000), 1);
        assert_eq!(run(1299), 1);
        assert_eq!(run(8), 2);
    }
}
