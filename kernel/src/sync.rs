//! Locks: the foundation's `IrqMutex` (a spin lock with interrupts off
//! while held) and `ExclusiveCell` (one `&mut` at a time, checked).

pub use foundation::sync::*;
