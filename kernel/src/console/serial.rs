//! COM1 through `uart_16550`.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{BaudRate, Config, Uart16550};

use crate::sync::IrqMutex;

const COM1: u16 = 0x3f8;

static UART: IrqMutex<Option<Uart16550<PioBackend>>> = IrqMutex::new(None);

pub fn init() {
    // SAFETY: 0x3f8 is COM1 on every PC-compatible machine QEMU emulates, and
    // nothing else in the kernel drives it.
    let Ok(mut uart) = (unsafe { Uart16550::new_port(COM1) }) else { return };
    // Keys typed before now wait in the UART; `init` resets its FIFOs, so
    // save them first.
    while crate::arch::port::inb(COM1 + 5) & 1 != 0 {
        super::input::push(crate::arch::port::inb(COM1));
    }
    let config = Config { baud_rate: BaudRate::Baud115200, ..Config::DEFAULT };
    if uart.init(config).is_ok() {
        *UART.lock() = Some(uart);
    }
}

pub fn enable_rx_interrupt() {
    if let Some(uart) = UART.lock().as_mut() {
        uart.enable_interrupts(IER::DATA_READY);
    }
}

/// Line status register: data ready, break received.
const LSR: u16 = COM1 + 5;
const LSR_DATA: u8 = 1;
const LSR_BREAK: u8 = 1 << 4;

/// A BREAK arrived: the next byte is a console command, not input.
static SYSRQ: AtomicBool = AtomicBool::new(false);

/// IRQ 4: move every received byte into the input ring. A BREAK on the line
/// (QEMU: Ctrl-A B on its terminal) makes the next key a command for the
/// kernel, as Linux's magic SysRq on a serial console: `t` prints every
/// thread's state and kernel stack; any other key lists the commands.
pub fn on_irq() {
    let mut command = None;
    {
        let guard = UART.lock();
        if guard.is_none() {
            return;
        }
        loop {
            let lsr = crate::arch::port::inb(LSR);
            if lsr & (LSR_DATA | LSR_BREAK) == 0 {
                break;
            }
            let byte = crate::arch::port::inb(COM1);
            if lsr & LSR_BREAK != 0 {
                SYSRQ.store(true, Ordering::Relaxed);
            } else if SYSRQ.swap(false, Ordering::Relaxed) {
                command = Some(byte);
            } else {
                super::input::push(byte);
            }
        }
    }
    if let Some(key) = command {
        sysrq(key);
    }
}

fn sysrq(key: u8) {
    match key {
        b't' => {
            emergency_print(format_args!("\nsysrq: thread dump\n"));
            crate::sched::watchdog::dump(0, crate::arch::cpu::frame_pointer());
        }
        _ => emergency_print(format_args!("\nsysrq: t = every thread's state and kernel stack\n")),
    }
}

struct Writer<'a>(&'a mut Uart16550<PioBackend>);

impl Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        put(self.0, s.as_bytes());
        Ok(())
    }
}

/// Writes bytes, turning a lone `\n` into `\r\n` as a terminal expects.
fn put(uart: &mut Uart16550<PioBackend>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            uart.send_bytes_exact(&bytes[start..i]);
            uart.send_bytes_exact(b"\r\n");
            start = i + 1;
        }
    }
    uart.send_bytes_exact(&bytes[start..]);
}

pub fn write_bytes(bytes: &[u8]) {
    if let Some(uart) = UART.lock().as_mut() {
        put(uart, bytes);
    }
}

pub fn write_fmt(args: fmt::Arguments<'_>) {
    if let Some(uart) = UART.lock().as_mut() {
        let _ = Writer(uart).write_fmt(args);
    }
}

/// Output for the panic and fault paths: never waits for the lock. If the lock
/// is held (we faulted while printing), it writes through a fresh handle to
/// the same port; interleaved bytes beat a silent hang.
pub fn emergency_print(args: fmt::Arguments<'_>) {
    if let Some(mut guard) = UART.try_lock() {
        if let Some(uart) = guard.as_mut() {
            let _ = Writer(uart).write_fmt(args);
            return;
        }
    }
    // SAFETY: COM1 exists (see `init`); we are on a fatal path, where a second
    // handle racing the first can at worst garble a few bytes of output.
    if let Ok(mut uart) = unsafe { Uart16550::new_port(COM1) } {
        let _ = Writer(&mut uart).write_fmt(args);
    }
}
