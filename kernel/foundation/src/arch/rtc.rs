//! The CMOS real-time clock: wall time at boot, in Unix seconds (UTC).

use super::port::{inb, outb};

fn read_reg(reg: u8) -> u8 {
    // Bit 7 keeps NMIs enabled-state untouched only on real hardware; QEMU ignores it.
    outb(0x70, reg);
    inb(0x71)
}

fn update_in_progress() -> bool {
    read_reg(0x0a) & 0x80 != 0
}

#[derive(PartialEq, Eq, Clone, Copy)]
struct Raw([u8; 7]);

fn read_raw() -> Raw {
    for _ in 0..100_000 {
        if !update_in_progress() {
            break;
        }
    }
    Raw([read_reg(0x00), read_reg(0x02), read_reg(0x04), read_reg(0x07), read_reg(0x08), read_reg(0x09), read_reg(0x32)])
}

fn bcd(v: u8) -> u8 {
    (v & 0x0f) + (v >> 4) * 10
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads the RTC twice until two reads agree (no update tore the values).
pub fn unix_time() -> i64 {
    let mut a = read_raw();
    for _ in 0..10 {
        let b = read_raw();
        if a == b {
            break;
        }
        a = b;
    }
    let status_b = read_reg(0x0b);
    let [mut s, mut mi, mut h, mut d, mut mo, mut y, mut c] = a.0;
    let pm = h & 0x80 != 0;
    h &= 0x7f;
    if status_b & 0x04 == 0 {
        (s, mi, h, d, mo, y) = (bcd(s), bcd(mi), bcd(h), bcd(d), bcd(mo), bcd(y));
        c = bcd(c);
    }
    if status_b & 0x02 == 0 && pm {
        h = (h % 12) + 12;
    }
    let century = if (19..=21).contains(&c) { c as i64 } else { 20 };
    let year = century * 100 + y as i64;
    days_from_civil(year, mo.clamp(1, 12) as u32, d.clamp(1, 31) as u32) * 86_400 + h as i64 * 3600 + mi as i64 * 60 + s as i64
}
