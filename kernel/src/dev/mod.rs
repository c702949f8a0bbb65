//! Devices: PCI enumeration now; virtio-blk and virtio-net drivers attach to
//! what it finds.
//!
//! May call: `arch` (port I/O, IRQs), `mm` (DMA memory).

pub mod pci;
pub mod virtio;
