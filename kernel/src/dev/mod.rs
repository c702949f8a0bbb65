//! Devices: PCI enumeration now; virtio-blk and virtio-net drivers attach to
//! what it finds.
//!
//! May call: `arch` (port I/O, IRQs), `mm` (DMA memory).

pub mod pci;
// The virtio drivers' DMA glue: `virtio-drivers`' `Hal` and its queue
// calls are `unsafe` by contract (buffers lent to a device by address).
// SAFETY: each `unsafe` block in `virtio` says why its buffers stay valid
// and untouched while the device owns them; nothing else in this crate
// may use `unsafe` (main.rs: `#![deny(unsafe_code)]`).
#[allow(unsafe_code)]
pub mod virtio;
