//! The legacy 8259 PIC pair (remapped to vectors 32..48) and the 8253/8254 PIT
//! as the tick source. Drivers attach to an IRQ line with [`register`].
//!
//! Shared lines: several devices may sit on one line (QEMU puts virtio-net
//! and virtio-blk on IRQ 11, level-triggered). Every handler on a line runs
//! for each interrupt, and each acknowledges its own device (for virtio: a
//! read of the device's ISR status register, which lowers its interrupt) and
//! ignores the interrupt if its device did not raise it. So no driver depends
//! on another to quiet the line, and the line is never left masked waiting
//! for a driver that has no reason to look.
//!
//! Invariants: a handler runs with interrupts disabled, must not allocate,
//! block or take a lock that thread context holds with interrupts enabled,
//! and gets its end-of-interrupt sent by [`dispatch`]. The mask register and
//! the PIC ports are changed only with interrupts off (an interrupt that
//! arrives while a mask is being written cannot find a lock held by the code
//! it interrupted: there is no lock).

use core::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use pic8259::ChainedPics;

use super::idt::IRQ_BASE;
use super::port::outb;

/// An IRQ handler: a plain function, so registering needs no allocation.
pub type IrqHandler = fn();

/// Handlers per line (devices sharing one line).
const MAX_SHARED: usize = 4;

/// Handler table, `MAX_SHARED` slots per line; 0 means none.
static HANDLERS: [[AtomicUsize; MAX_SHARED]; 16] = [const { [const { AtomicUsize::new(0) }; MAX_SHARED] }; 16];
/// The interrupt mask both PICs hold (bit set = masked).
static MASK: AtomicU16 = AtomicU16::new(0xffff);

pub const TIMER_IRQ: u8 = 0;
pub const COM1_IRQ: u8 = 4;
const PIT_HZ: u32 = 1_193_182;
const MASTER_CMD: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_CMD: u16 = 0xa0;
const SLAVE_DATA: u16 = 0xa1;
const EOI: u8 = 0x20;

pub fn init(timer_hz: u32) {
    // SAFETY: 32..48 do not overlap the CPU exception vectors; the PICs are
    // initialised once, with interrupts disabled.
    unsafe {
        let mut pics = ChainedPics::new(IRQ_BASE, IRQ_BASE + 8);
        pics.initialize();
        pics.write_masks(0xff, 0xff);
    }
    // PIT channel 0, lobyte/hibyte, mode 2 (rate generator).
    let divisor = (PIT_HZ / timer_hz).clamp(1, 0xffff) as u16;
    outb(0x43, 0b0011_0100);
    outb(0x40, divisor as u8);
    outb(0x40, (divisor >> 8) as u8);
    // The cascade line must be open for IRQs 8..15 to arrive.
    unmask(2);
}

/// Attaches `handler` to IRQ `line` (beside any handlers already there; once
/// only) and unmasks it.
pub fn register(line: u8, handler: IrqHandler) {
    let Some(slots) = HANDLERS.get(line as usize) else { return };
    let present = slots.iter().any(|slot| slot.load(Ordering::Acquire) == handler as usize);
    let added = present || slots.iter().any(|slot| {
        slot.compare_exchange(0, handler as usize, Ordering::AcqRel, Ordering::Acquire).is_ok()
    });
    if added {
        unmask(line);
    } else {
        log::error!("irq {line}: more than {MAX_SHARED} handlers; one is not attached");
    }
}

/// Writes `update(mask)` to both PICs, with interrupts off.
fn update_mask(update: impl FnOnce(u16) -> u16) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mask = update(MASK.load(Ordering::Relaxed));
        MASK.store(mask, Ordering::Relaxed);
        outb(MASTER_DATA, mask as u8);
        outb(SLAVE_DATA, (mask >> 8) as u8);
    });
}

#[allow(dead_code)] // the counterpart of `unmask`, for drivers that need it
pub fn mask(line: u8) {
    if line < 16 {
        update_mask(|m| m | (1 << line));
    }
}

pub fn unmask(line: u8) {
    if line < 16 {
        update_mask(|m| m & !(1 << line));
    }
}

/// Called by the IDT stub for every hardware IRQ.
pub fn dispatch(line: u8) {
    // Spurious IRQ 7/15: the PIC raised it without a real request; no EOI to the
    // PIC that claims it (but the master needs one for a spurious 15).
    if line == 7 || line == 15 {
        let isr = read_isr();
        if isr & (1 << line) == 0 {
            if line == 15 {
                outb(MASTER_CMD, EOI);
            }
            return;
        }
    }
    if let Some(slots) = HANDLERS.get(line as usize) {
        for slot in slots {
            let raw = slot.load(Ordering::Acquire);
            if raw != 0 {
                // SAFETY: only `register` stores into HANDLERS, and it stores `IrqHandler`s.
                let handler: IrqHandler = unsafe { core::mem::transmute::<usize, IrqHandler>(raw) };
                handler();
            }
        }
    }
    if line >= 8 {
        outb(SLAVE_CMD, EOI);
    }
    outb(MASTER_CMD, EOI);
}

/// The in-service registers of both PICs as one 16-bit mask.
fn read_isr() -> u16 {
    use super::port::inb;
    outb(MASTER_CMD, 0x0b);
    outb(SLAVE_CMD, 0x0b);
    (inb(MASTER_CMD) as u16) | ((inb(SLAVE_CMD) as u16) << 8)
}
