//! COM1 through `uart_16550`.

use core::fmt::{self, Write};
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

/// IRQ 4: move every received byte into the input ring.
pub fn on_irq() {
    let mut guard = UART.lock();
    let Some(uart) = guard.as_mut() else { return };
    while let Ok(byte) = uart.try_receive_byte() {
        super::input::push(byte);
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
