//! The legacy 8259 PIC pair (remapped to vectors 32..48) and the 8253/8254 PIT
//! as the tick source. Drivers attach to an IRQ line with [`register`].
//!
//! Invariants: a handler runs with interrupts disabled, must not allocate or
//! block, and gets its end-of-interrupt sent by [`dispatch`].

use core::sync::atomic::{AtomicUsize, Ordering};
use pic8259::ChainedPics;
use spin::Mutex;

use super::idt::IRQ_BASE;
use super::port::outb;

/// An IRQ handler: a plain function, so registering needs no allocation.
pub type IrqHandler = fn();

static PICS: Mutex<ChainedPics> =
    // SAFETY: 32..48 do not overlap the CPU exception vectors.
    Mutex::new(unsafe { ChainedPics::new(IRQ_BASE, IRQ_BASE + 8) });

/// Handler table, one slot per line; 0 means none.
static HANDLERS: [AtomicUsize; 16] = [const { AtomicUsize::new(0) }; 16];
static MASK: Mutex<u16> = Mutex::new(0xffff);
/// Lines whose devices are serviced outside the interrupt handler: the handler
/// masks the line and records it; the driver acks its device and unmasks.
static DEFERRED: AtomicUsize = AtomicUsize::new(0);
static PENDING: AtomicUsize = AtomicUsize::new(0);

pub const TIMER_IRQ: u8 = 0;
pub const COM1_IRQ: u8 = 4;
const PIT_HZ: u32 = 1_193_182;

pub fn init(timer_hz: u32) {
    {
        let mut pics = PICS.lock();
        // SAFETY: the PICs are initialised once, with interrupts disabled.
        unsafe {
            pics.initialize();
            pics.write_masks(0xff, 0xff);
        }
    }
    // PIT channel 0, lobyte/hibyte, mode 2 (rate generator).
    let divisor = (PIT_HZ / timer_hz).clamp(1, 0xffff) as u16;
    outb(0x43, 0b0011_0100);
    outb(0x40, divisor as u8);
    outb(0x40, (divisor >> 8) as u8);
    // The cascade line must be open for IRQs 8..15 to arrive.
    unmask(2);
}

/// Attaches `handler` to IRQ `line` and unmasks it.
pub fn register(line: u8, handler: IrqHandler) {
    if let Some(slot) = HANDLERS.get(line as usize) {
        slot.store(handler as usize, Ordering::Release);
        unmask(line);
    }
}

/// Marks `line` as serviced by a driver outside interrupt context (virtio:
/// acknowledging the device needs the driver's lock). Unmasks it.
pub fn register_deferred(line: u8) {
    if line < 16 {
        DEFERRED.fetch_or(1 << line, Ordering::AcqRel);
        unmask(line);
    }
}

/// True (and cleared) if `line` fired since the last call. The caller then acks
/// its device and calls [`unmask`].
pub fn take_pending(line: u8) -> bool {
    line < 16 && PENDING.fetch_and(!(1 << line), Ordering::AcqRel) & (1 << line) != 0
}

/// True if `line` fired and its driver has not taken it yet (does not clear it).
pub fn is_pending(line: u8) -> bool {
    line < 16 && PENDING.load(Ordering::Acquire) & (1 << line) != 0
}

fn mask(line: u8) {
    let mut mask = MASK.lock();
    *mask |= 1u16 << line;
    let mut pics = PICS.lock();
    // SAFETY: writing the interrupt masks only changes which lines are delivered.
    unsafe { pics.write_masks(*mask as u8, (*mask >> 8) as u8) };
}

pub fn unmask(line: u8) {
    let mut mask = MASK.lock();
    *mask &= !(1u16 << line);
    let mut pics = PICS.lock();
    // SAFETY: writing the interrupt masks only changes which lines are delivered.
    unsafe { pics.write_masks(*mask as u8, (*mask >> 8) as u8) };
}

/// Called by the IDT stub for every hardware IRQ.
pub fn dispatch(line: u8) {
    // Spurious IRQ 7/15: the PIC raised it without a real request; no EOI to the
    // PIC that claims it (but the master needs one for a spurious 15).
    if line == 7 || line == 15 {
        let isr = read_isr();
        if isr & (1 << line) == 0 {
            if line == 15 {
                outb(0x20, 0x20);
            }
            return;
        }
    }
    if DEFERRED.load(Ordering::Acquire) & (1 << line) != 0 {
        mask(line);
        PENDING.fetch_or(1 << line, Ordering::AcqRel);
    }
    let raw = HANDLERS.get(line as usize).map_or(0, |s| s.load(Ordering::Acquire));
    if raw != 0 {
        // SAFETY: only `register` stores into HANDLERS, and it stores `IrqHandler`s.
        let handler: IrqHandler = unsafe { core::mem::transmute::<usize, IrqHandler>(raw) };
        handler();
    }
    // SAFETY: the vector is the one this IRQ arrived on.
    unsafe { PICS.lock().notify_end_of_interrupt(IRQ_BASE + line) };
}

/// The in-service registers of both PICs as one 16-bit mask.
fn read_isr() -> u16 {
    use super::port::inb;
    outb(0x20, 0x0b);
    outb(0xa0, 0x0b);
    (inb(0x20) as u16) | ((inb(0xa0) as u16) << 8)
}
