//! read/write on the console, stat, terminal ioctls. (File descriptors beyond
//! 0..2 arrive with the fd table in issue 5.)

use alloc::vec;
use errno::Errno;

use super::SysResult;
use crate::task::Process;

const CHUNK: usize = 4096;

fn console_fd(fd: u64) -> Result<(), Errno> {
    if fd <= 2 {
        Ok(())
    } else {
        Err(Errno::EBADF)
    }
}

pub fn write(p: &mut Process, a: [u64; 6]) -> SysResult {
    console_fd(a[0])?;
    let (addr, len) = (a[1], a[2] as usize);
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(CHUNK);
        p.space.copy_in(addr + done as u64, &mut buf[..n])?;
        crate::console::write_bytes(&buf[..n]);
        done += n;
    }
    Ok(len)
}

pub fn writev(p: &mut Process, a: [u64; 6]) -> SysResult {
    console_fd(a[0])?;
    let (iov, count) = (a[1], a[2] as usize);
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut total = 0usize;
    for i in 0..count {
        let mut raw = [0u8; 16];
        p.space.copy_in(iov + 16 * i as u64, &mut raw)?;
        let base = u64::from_le_bytes(raw[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let len = u64::from_le_bytes(raw[8..].try_into().map_err(|_| Errno::EFAULT)?);
        total += write(p, [a[0], base, len, 0, 0, 0])?;
    }
    Ok(total)
}

pub fn read(p: &mut Process, a: [u64; 6]) -> SysResult {
    console_fd(a[0])?;
    let len = (a[2] as usize).min(CHUNK);
    if len == 0 {
        return Ok(0);
    }
    let mut buf = vec![0u8; len];
    buf[0] = crate::console::input::read_blocking();
    let mut n = 1;
    while n < len {
        match crate::console::input::try_read() {
            Some(b) => {
                buf[n] = b;
                n += 1;
            }
            None => break,
        }
    }
    p.space.copy_out(a[1], &buf[..n])?;
    Ok(n)
}

/// `struct stat` (x86_64, 144 bytes) for the console: a character device.
fn console_stat() -> [u8; 144] {
    let mut st = [0u8; 144];
    st[0..8].copy_from_slice(&6u64.to_le_bytes()); // st_dev
    st[8..16].copy_from_slice(&1u64.to_le_bytes()); // st_ino
    st[16..24].copy_from_slice(&1u64.to_le_bytes()); // st_nlink
    st[24..28].copy_from_slice(&(0o020000u32 | 0o620).to_le_bytes()); // S_IFCHR | rw--w----
    st[40..48].copy_from_slice(&((5u64 << 8) | 1).to_le_bytes()); // st_rdev 5:1
    st[56..64].copy_from_slice(&1024u64.to_le_bytes()); // st_blksize
    st
}

/// fstat(5), stat(4), lstat(6), newfstatat(262): the console only, for now.
pub fn stat_family(p: &mut Process, nr: u64, a: [u64; 6]) -> SysResult {
    const AT_EMPTY_PATH: u64 = 0x1000;
    let buf = match nr {
        5 => {
            console_fd(a[0])?;
            a[1]
        }
        262 if a[3] & AT_EMPTY_PATH != 0 && p.space.copy_in_str(a[1], 4096)?.is_empty() => {
            console_fd(a[0])?;
            a[2]
        }
        // Paths need the process's own namespace (issue 4); until then, none.
        _ => return Err(Errno::ENOENT),
    };
    p.space.copy_out(buf, &console_stat())?;
    Ok(0)
}

pub fn ioctl(p: &mut Process, a: [u64; 6]) -> SysResult {
    const TCGETS: u64 = 0x5401;
    const TIOCGWINSZ: u64 = 0x5413;
    console_fd(a[0])?;
    match a[1] {
        TCGETS => {
            // The console's current settings: a cooked terminal (kernel `struct termios`).
            let mut t = [0u8; 36];
            t[0..4].copy_from_slice(&0o2400u32.to_le_bytes()); // ICRNL | IXON
            t[4..8].copy_from_slice(&0o5u32.to_le_bytes()); // OPOST | ONLCR
            t[8..12].copy_from_slice(&0o277u32.to_le_bytes()); // B38400 | CS8 | CREAD
            t[12..16].copy_from_slice(&0o105073u32.to_le_bytes()); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
            let cc: [u8; 19] = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];
            t[17..36].copy_from_slice(&cc);
            p.space.copy_out(a[2], &t)?;
            Ok(0)
        }
        TIOCGWINSZ => {
            let mut w = [0u8; 8];
            w[0..2].copy_from_slice(&24u16.to_le_bytes());
            w[2..4].copy_from_slice(&80u16.to_le_bytes());
            p.space.copy_out(a[2], &w)?;
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// fcntl on the console descriptors: the query commands. Changing descriptor
/// flags needs the fd table (issue 5) and is refused until then.
pub fn fcntl(_: &mut Process, a: [u64; 6]) -> SysResult {
    const F_GETFD: u64 = 1;
    const F_GETFL: u64 = 3;
    const O_RDWR: usize = 2;
    console_fd(a[0])?;
    match a[1] {
        F_GETFD => Ok(0),
        F_GETFL => Ok(O_RDWR),
        _ => Err(Errno::EINVAL),
    }
}
