//! Architecture layer: everything that touches the CPU directly.
//!
//! Role: descriptor tables, interrupts and exceptions, the interrupt
//! controller and timer, port I/O, stack walking. Most of the kernel's
//! `unsafe` lives here, each block with a `// SAFETY:` line.
//! Invariants: interrupt handlers never allocate and never block; every lock
//! an interrupt handler takes is an [`crate::sync::IrqMutex`].
//! May call: `console` (to report faults), `time` (the tick), `power`.

pub mod x86_64;

pub use self::x86_64::*;
