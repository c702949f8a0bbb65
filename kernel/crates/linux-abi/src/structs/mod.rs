//! `#[repr(C)]` user-visible structs with safe byte images.
//!
//! Each struct implements [`Abi`] and has inherent `to_bytes()` (a fixed
//! array) and `from_bytes(&[u8])`; sizes are asserted at compile time and
//! offsets are tested against the C headers (`tests/c_layout.rs`).

#[macro_use]
pub(crate) mod codec;

mod dirent;
mod ipc;
mod misc;
mod poll;
mod signal;
mod socket;
mod stat;
mod termios;
mod time;

pub use codec::Abi;
pub use dirent::*;
pub use ipc::*;
pub use misc::*;
pub use poll::*;
pub use signal::*;
pub use socket::*;
pub use stat::*;
pub use termios::*;
pub use time::*;
