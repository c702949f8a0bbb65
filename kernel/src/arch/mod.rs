//! Architecture layer: the foundation crate's `arch` (descriptor tables,
//! interrupts and exceptions, the interrupt controller and timer, port I/O,
//! CPU helpers, stack walking, the user-mode entries), re-exported so the
//! kernel names it `crate::arch`. No `unsafe` here: it lives in
//! `kernel/foundation`.

pub use foundation::arch::*;
