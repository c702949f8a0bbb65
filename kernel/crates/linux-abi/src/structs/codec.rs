//! Safe byte encoding of ABI structs: the [`Abi`] trait and `abi_struct!`.
//!
//! Every struct is `#[repr(C)]`; `abi_struct!` writes and reads each field at
//! its `offset_of!` position, so the byte image *is* the C layout (padding
//! bytes are zero) and the layout tests against the C headers cover the
//! encoding too. Primitives are little-endian; big-endian network fields are
//! byte arrays.

use alloc::vec;
use alloc::vec::Vec;

use errno::{Errno, KResult};

/// A type with a fixed user-visible byte image of `SIZE` bytes.
pub trait Abi: Copy {
    const SIZE: usize;

    /// Writes the image into the first `SIZE` bytes of `out` (a shorter
    /// `out` receives the prefix that fits).
    fn write_to(&self, out: &mut [u8]);

    /// Reads the image from the first `SIZE` bytes of `src` (bytes missing
    /// from a shorter `src` read as zero).
    fn read_from(src: &[u8]) -> Self;

    /// The image as a vector of exactly `SIZE` bytes.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0; Self::SIZE];
        self.write_to(&mut out);
        out
    }

    /// Decodes an image that must be exactly `SIZE` bytes (EINVAL otherwise).
    fn decode(src: &[u8]) -> KResult<Self> {
        if src.len() == Self::SIZE {
            Ok(Self::read_from(src))
        } else {
            Err(Errno::EINVAL)
        }
    }
}

macro_rules! abi_primitive {
    ($($ty:ty),*) => {$(
        impl Abi for $ty {
            const SIZE: usize = core::mem::size_of::<$ty>();

            fn write_to(&self, out: &mut [u8]) {
                for (dst, src) in out.iter_mut().zip(self.to_le_bytes()) {
                    *dst = src;
                }
            }

            fn read_from(src: &[u8]) -> Self {
                let mut bytes = [0u8; core::mem::size_of::<$ty>()];
                for (dst, byte) in bytes.iter_mut().zip(src) {
                    *dst = *byte;
                }
                <$ty>::from_le_bytes(bytes)
            }
        }
    )*};
}

abi_primitive!(u8, u16, u32, u64, i8, i16, i32, i64);

impl<T: Abi, const N: usize> Abi for [T; N] {
    const SIZE: usize = T::SIZE * N;

    fn write_to(&self, out: &mut [u8]) {
        for (i, item) in self.iter().enumerate() {
            write_at(out, i.saturating_mul(T::SIZE), item);
        }
    }

    fn read_from(src: &[u8]) -> Self {
        core::array::from_fn(|i| read_at(src, i.saturating_mul(T::SIZE)))
    }
}

/// Writes `value` at byte `offset` of `out` (nothing if `offset` is past the end).
pub fn write_at<T: Abi>(out: &mut [u8], offset: usize, value: &T) {
    if let Some(dst) = out.get_mut(offset..) {
        value.write_to(dst);
    }
}

/// Reads a `T` at byte `offset` of `src` (missing bytes read as zero).
pub fn read_at<T: Abi>(src: &[u8], offset: usize) -> T {
    T::read_from(src.get(offset..).unwrap_or(&[]))
}

/// Implements [`Abi`] for a `#[repr(C)]` struct listing *all* its fields
/// (the struct literal in `read_from` makes a missing field a compile error),
/// asserts its size at compile time, and adds inherent
/// `to_bytes(&self) -> [u8; SIZE]` and `from_bytes(&[u8]) -> KResult<Self>`.
macro_rules! abi_struct {
    ($ty:ident, $size:literal { $($field:ident),* $(,)? }) => {
        const _: () = assert!(core::mem::size_of::<$ty>() == $size);

        impl $crate::structs::Abi for $ty {
            const SIZE: usize = $size;

            fn write_to(&self, out: &mut [u8]) {
                $({
                    let value = self.$field;
                    $crate::structs::codec::write_at(out, core::mem::offset_of!($ty, $field), &value);
                })*
            }

            fn read_from(src: &[u8]) -> Self {
                $ty {
                    $($field: $crate::structs::codec::read_at(src, core::mem::offset_of!($ty, $field)),)*
                }
            }
        }

        impl $ty {
            /// The C byte image (little-endian, zeroed padding).
            pub fn to_bytes(&self) -> [u8; $size] {
                let mut out = [0u8; $size];
                $crate::structs::Abi::write_to(self, &mut out);
                out
            }

            /// Decodes a C byte image of exactly the struct's size (EINVAL otherwise).
            pub fn from_bytes(src: &[u8]) -> errno::KResult<Self> {
                <Self as $crate::structs::Abi>::decode(src)
            }
        }
    };
}
