//! The initial process stack, laid out byte for byte as Linux's `execve`
//! does on x86_64 (without its random offset):
//!
//! ```text
//! top      -> 8 zero bytes
//!             execfn string
//!             envp strings (envp[0] lowest), argv strings (argv[0] lowest)
//!             (round down to 16)
//!             platform string (optional)
//!             16 random bytes              <- AT_RANDOM
//!             (padding so rsp is 16-aligned)
//!             auxv pairs, ending (AT_NULL, 0)
//!             NULL, envp pointers
//!             NULL, argv pointers
//! rsp      -> argc
//! ```
//!
//! Building is two-step because the auxiliary vector points into the
//! strings: [`StackLayout::new`] places strings and random bytes and reports
//! their addresses; [`StackLayout::finish`] adds the pointer tables and auxv.

use alloc::vec::Vec;
use core::fmt;

use errno::Errno;

/// Longest single argument or environment string, NUL included (Linux's
/// `MAX_ARG_STRLEN`, 32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Room for all strings plus argv/envp pointers: a quarter of the default
/// 8 MiB stack limit, as Linux computes it.
pub const ARG_LIMIT: usize = 2 * 1024 * 1024;

const WORD: u64 = 8;
const RANDOM_BYTES: u64 = 16;

/// Why an initial stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// One string exceeds [`MAX_ARG_STRLEN`] (`E2BIG`).
    ArgumentTooLong,
    /// All strings and pointers exceed [`ARG_LIMIT`] (`E2BIG`).
    ArgumentsTooLarge,
    /// A string contains a NUL byte (`EINVAL`).
    EmbeddedNul,
    /// The stack top is too low to hold the image (`ENOMEM`).
    NoRoom,
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StackError::ArgumentTooLong => "argument string too long",
            StackError::ArgumentsTooLarge => "argument list too long",
            StackError::EmbeddedNul => "argument contains a NUL byte",
            StackError::NoRoom => "no room below the stack top",
        })
    }
}

impl core::error::Error for StackError {}

impl From<StackError> for Errno {
    fn from(error: StackError) -> Errno {
        match error {
            StackError::ArgumentTooLong | StackError::ArgumentsTooLarge => Errno::E2BIG,
            StackError::EmbeddedNul => Errno::EINVAL,
            StackError::NoRoom => Errno::ENOMEM,
        }
    }
}

/// Strings and random bytes placed below the stack top; the table goes below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackLayout {
    top: u64,
    /// Lowest address of `info` (the random bytes).
    info_start: u64,
    /// Bytes from `info_start` up to `top`.
    info: Vec<u8>,
    argv: Vec<u64>,
    envp: Vec<u64>,
    execfn: u64,
    platform: Option<u64>,
}

/// The finished stack: copy `bytes` to `[rsp, top)` and start the program
/// with `rsp` (16-byte aligned, pointing at argc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    pub rsp: u64,
    pub bytes: Vec<u8>,
    pub argc: u64,
    /// Address of argv[0]'s pointer (`rsp + 8`).
    pub argv: u64,
    /// Address of envp[0]'s pointer.
    pub envp: u64,
    /// Address of the first auxv pair.
    pub auxv: u64,
}

fn c_string_len(s: &[u8]) -> Result<usize, StackError> {
    if s.contains(&0) {
        return Err(StackError::EmbeddedNul);
    }
    let len = s.len().checked_add(1).ok_or(StackError::ArgumentTooLong)?;
    if len > MAX_ARG_STRLEN {
        return Err(StackError::ArgumentTooLong);
    }
    Ok(len)
}

fn to_u64(n: usize) -> Result<u64, StackError> {
    u64::try_from(n).map_err(|_| StackError::ArgumentsTooLarge)
}

/// Writes `bytes` into `buf`, which starts at address `base`, at `addr`.
fn put(buf: &mut [u8], base: u64, addr: u64, bytes: &[u8]) -> Result<(), StackError> {
    let start = usize::try_from(addr.checked_sub(base).ok_or(StackError::NoRoom)?)
        .map_err(|_| StackError::NoRoom)?;
    let end = start.checked_add(bytes.len()).ok_or(StackError::NoRoom)?;
    buf.get_mut(start..end)
        .ok_or(StackError::NoRoom)?
        .copy_from_slice(bytes);
    Ok(())
}

impl StackLayout {
    /// Places the strings below `top`: `argv` (an empty argv becomes `[""]`,
    /// as Linux does), `envp`, `execfn` (the path given to execve, for
    /// AT_EXECFN), the optional `platform` string and 16 `random` bytes.
    pub fn new<A: AsRef<[u8]>, E: AsRef<[u8]>>(
        top: u64,
        argv: &[A],
        envp: &[E],
        execfn: &[u8],
        platform: Option<&[u8]>,
        random: [u8; 16],
    ) -> Result<StackLayout, StackError> {
        let empty: [&[u8]; 1] = [b""];
        let args: Vec<&[u8]> = if argv.is_empty() {
            empty.to_vec()
        } else {
            argv.iter().map(AsRef::as_ref).collect()
        };
        let env: Vec<&[u8]> = envp.iter().map(AsRef::as_ref).collect();

        // Size check first, as Linux does before copying anything.
        let mut strings_len = c_string_len(execfn)?;
        for s in args.iter().chain(&env) {
            strings_len = strings_len
                .checked_add(c_string_len(s)?)
                .ok_or(StackError::ArgumentsTooLarge)?;
        }
        let pointers = args.len().saturating_add(env.len()).saturating_mul(8);
        if strings_len.saturating_add(pointers) > ARG_LIMIT {
            return Err(StackError::ArgumentsTooLarge);
        }

        // Addresses, from the top down.
        let below = |addr: u64, len: u64| addr.checked_sub(len).ok_or(StackError::NoRoom);
        let strings_end = below(top, WORD)?;
        let strings_start = below(strings_end, to_u64(strings_len)?)?;
        let aligned = strings_start & !15;
        let platform_len = platform.map(c_string_len).transpose()?;
        let platform_addr = platform_len
            .map(|len| below(aligned, to_u64(len)?))
            .transpose()?;
        let info_start = below(platform_addr.unwrap_or(aligned), RANDOM_BYTES)?;

        let info_len = usize::try_from(top - info_start).map_err(|_| StackError::NoRoom)?;
        let mut info = alloc::vec![0u8; info_len];
        put(&mut info, info_start, info_start, &random)?;
        if let (Some(addr), Some(text)) = (platform_addr, platform) {
            put(&mut info, info_start, addr, text)?;
        }
        // Strings ascend: argv, envp, execfn; each followed by its NUL (the
        // buffer is already zero).
        let mut next = strings_start;
        let mut place = |s: &[u8]| -> Result<u64, StackError> {
            let addr = next;
            put(&mut info, info_start, addr, s)?;
            next = addr
                .checked_add(to_u64(c_string_len(s)?)?)
                .ok_or(StackError::NoRoom)?;
            Ok(addr)
        };
        let argv_addrs = args
            .iter()
            .map(|s| place(s))
            .collect::<Result<Vec<_>, _>>()?;
        let envp_addrs = env
            .iter()
            .map(|s| place(s))
            .collect::<Result<Vec<_>, _>>()?;
        let execfn_addr = place(execfn)?;

        Ok(StackLayout {
            top,
            info_start,
            info,
            argv: argv_addrs,
            envp: envp_addrs,
            execfn: execfn_addr,
            platform: platform_addr,
        })
    }

    /// Address of the 16 random bytes (AT_RANDOM).
    pub fn random_address(&self) -> u64 {
        self.info_start
    }

    /// Address of the execfn string (AT_EXECFN).
    pub fn execfn_address(&self) -> u64 {
        self.execfn
    }

    /// Address of the platform string (AT_PLATFORM), if one was given.
    pub fn platform_address(&self) -> Option<u64> {
        self.platform
    }

    /// Addresses of the argv strings.
    pub fn argv_addresses(&self) -> &[u64] {
        &self.argv
    }

    /// Addresses of the envp strings.
    pub fn envp_addresses(&self) -> &[u64] {
        &self.envp
    }

    /// Adds argc, the argv/envp pointer arrays and `auxv` (an `(AT_NULL, 0)`
    /// terminator is appended if missing) below the strings.
    pub fn finish(self, auxv: &[(u64, u64)]) -> Result<StackImage, StackError> {
        let mut words: Vec<u64> = Vec::new();
        words.push(to_u64(self.argv.len())?);
        words.extend(&self.argv);
        words.push(0);
        words.extend(&self.envp);
        words.push(0);
        for &(key, value) in auxv {
            words.extend([key, value]);
        }
        if auxv.last().map(|&(key, _)| key) != Some(crate::auxv::AT_NULL) {
            words.extend([0, 0]);
        }
        let table_len = to_u64(words.len())?
            .checked_mul(WORD)
            .ok_or(StackError::NoRoom)?;
        let rsp = self
            .info_start
            .checked_sub(table_len)
            .ok_or(StackError::NoRoom)?
            & !15;

        let image_len = usize::try_from(self.top - rsp).map_err(|_| StackError::NoRoom)?;
        let mut bytes = alloc::vec![0u8; image_len];
        let argc = words.first().copied().unwrap_or(0);
        for (slot, word) in (0u64..).zip(&words) {
            put(&mut bytes, rsp, rsp + slot * WORD, &word.to_le_bytes())?;
        }
        put(&mut bytes, rsp, self.info_start, &self.info)?;
        let envp = rsp + WORD * (2 + argc);
        Ok(StackImage {
            rsp,
            bytes,
            argc,
            argv: rsp + WORD,
            envp,
            auxv: envp + WORD * (to_u64(self.envp.len())? + 1),
        })
    }
}
