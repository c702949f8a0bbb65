//! The Cyrius runner and test harness (host side).
//!
//! Role: know where the built images are (`paths`), turn options into a QEMU
//! command line (`qemu`), check that the machine has what booting needs
//! (`prereq`), and drive a booted Cyrius over its serial console for the
//! integration tests (`machine`); put the user's images on the data disk (`userimages`); the real-images
//! disk of the acceptance tests and the host runs they are compared with (`realdisk`).
//! Invariants: QEMU always runs under TCG with isa-debug-exit at 0xf4, so the
//! kernel's power-off (status 33) and panic (status 35) reach the caller.

pub mod bench;
pub mod datadisk;
pub mod machine;
pub mod paths;
pub mod prereq;
pub mod pysuite;
pub mod qemu;
pub mod realdisk;
pub mod script;
pub mod symbolize;
pub mod tap;
pub mod userimages;

pub use machine::Machine;
pub use qemu::{BootPath, ExitKind, Firmware, QemuConfig};
pub use tap::{Tap, TapNet};
