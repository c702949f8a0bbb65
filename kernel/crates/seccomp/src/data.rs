//! `struct seccomp_data`: what a filter sees of a system call.

/// `AUDIT_ARCH_X86_64` (`EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`: 32-bit x86 (`int 0x80`).
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `__X32_SYSCALL_BIT`: x32 system calls carry it in their number.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// `sizeof(struct seccomp_data)`.
pub const SECCOMP_DATA_SIZE: usize = 64;

/// Offsets of the fields, as filters load them.
pub const OFFSET_NR: u32 = 0;
pub const OFFSET_ARCH: u32 = 4;
pub const OFFSET_IP: u32 = 8;
/// `args[i]` starts at `OFFSET_ARGS + 8 * i`; the low word comes first.
pub const OFFSET_ARGS: u32 = 16;

/// One system call as a filter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeccompData {
    /// The system call number (`rax`), as the 32-bit `int` Linux stores.
    pub nr: i32,
    pub arch: u32,
    /// The address after the `syscall` instruction.
    pub instruction_pointer: u64,
    /// `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`.
    pub args: [u64; 6],
}

impl SeccompData {
    /// A native x86_64 call.
    pub fn x86_64(nr: i32, args: [u64; 6], instruction_pointer: u64) -> SeccompData {
        SeccompData { nr, arch: AUDIT_ARCH_X86_64, instruction_pointer, args }
    }

    /// The 32-bit word at byte `offset` (little-endian), as `BPF_LD|BPF_W|BPF_ABS` loads it;
    /// `None` outside the struct or unaligned.
    pub fn word(&self, offset: u32) -> Option<u32> {
        if offset & 3 != 0 {
            return None;
        }
        let split = |v: u64, high: bool| if high { (v >> 32) as u32 } else { v as u32 };
        match offset {
            0 => Some(self.nr as u32),
            4 => Some(self.arch),
            8 | 12 => Some(split(self.instruction_pointer, offset == 12)),
            16..=60 => {
                let i = ((offset - OFFSET_ARGS) / 8) as usize;
                Some(split(self.args[i], offset % 8 == 4))
            }
            _ => None,
        }
    }

    /// The 64 bytes of `struct seccomp_data`.
    pub fn to_bytes(&self) -> [u8; SECCOMP_DATA_SIZE] {
        let mut out = [0u8; SECCOMP_DATA_SIZE];
        for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
            // Every aligned offset below 64 is a word of the struct.
            chunk.copy_from_slice(&self.word(i as u32 * 4).unwrap_or(0).to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let d = SeccompData { nr: -1, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0x1122_3344_5566_7788, args: [1, 2, 3, 4, 5, 0xaabb_ccdd_0000_0006] };
        let b = d.to_bytes();
        assert_eq!(&b[0..4], &[0xff; 4]);
        assert_eq!(&b[4..8], &[0x3e, 0, 0, 0xc0]);
        assert_eq!(&b[8..16], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&b[56..64], &0xaabb_ccdd_0000_0006u64.to_le_bytes());
        assert_eq!(d.word(60), Some(0xaabb_ccdd));
        assert_eq!(d.word(64), None);
        assert_eq!(d.word(2), None);
    }
}
