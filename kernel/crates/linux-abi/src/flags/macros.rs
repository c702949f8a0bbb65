//! The two declaration macros behind every flag set and constant table.
//!
//! `linux_flags!` declares a typed flag set (a newtype over the C integer
//! type of the syscall parameter) whose associated constants keep their Linux
//! names, and implements [`Flags`](super::Flags) for it. `linux_consts!`
//! declares plain constants plus a `name()` lookup for logging.

macro_rules! linux_flags {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $bits:ty, unknown = $policy:ident {
            $( $(#[$fmeta:meta])* $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name($bits);

        #[allow(non_upper_case_globals)]
        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name($value); )*

            /// Every bit Linux defines for this set.
            pub const ALL: $name = $name(0 $(| $value)*);

            const NAMES: &'static [(&'static str, $bits)] = &[$((stringify!($flag), $value)),*];

            pub const fn empty() -> Self {
                $name(0)
            }

            pub const fn bits(self) -> $bits {
                self.0
            }

            /// The set with exactly these bits, unknown ones included.
            pub const fn from_bits_retain(bits: $bits) -> Self {
                $name(bits)
            }

            /// `None` when `bits` has a bit outside [`Self::ALL`].
            pub const fn from_bits(bits: $bits) -> Option<Self> {
                if bits & !Self::ALL.0 == 0 { Some($name(bits)) } else { None }
            }

            /// Keeps only the bits Linux defines.
            pub const fn from_bits_truncate(bits: $bits) -> Self {
                $name(bits & Self::ALL.0)
            }

            /// All bits of `other` are set (for multi-bit values too).
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }

            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            pub const fn union(self, other: Self) -> Self {
                $name(self.0 | other.0)
            }

            pub const fn difference(self, other: Self) -> Self {
                $name(self.0 & !other.0)
            }
        }

        impl $crate::flags::Flags for $name {
            const UNKNOWN: $crate::flags::UnknownBits = $crate::flags::UnknownBits::$policy;

            fn from_register(raw: u64) -> Self {
                // The C parameter type decides the width: `int` drops the
                // upper half, exactly as SYSCALL_DEFINE's cast does.
                $name(raw as $bits)
            }

            fn to_register(self) -> u64 {
                self.0 as u64
            }

            fn known_bits() -> u64 {
                Self::ALL.0 as u64
            }
        }

        impl core::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, other: Self) -> Self {
                self.union(other)
            }
        }

        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: Self) {
                *self = self.union(other);
            }
        }

        impl core::ops::BitAnd for $name {
            type Output = Self;
            fn bitand(self, other: Self) -> Self {
                $name(self.0 & other.0)
            }
        }

        /// `O_CREAT|O_CLOEXEC|0x40000000`: named bits, then any rest in hex.
        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut rest = self.0;
                let mut first = true;
                for &(name, value) in Self::NAMES {
                    if value != 0 && self.0 & value == value && rest & value != 0 {
                        f.write_str(if first { "" } else { "|" })?;
                        f.write_str(name)?;
                        rest &= !value;
                        first = false;
                    }
                }
                if rest != 0 || first {
                    f.write_str(if first { "" } else { "|" })?;
                    write!(f, "{:#x}", rest)?;
                }
                Ok(())
            }
        }
    };
}

macro_rules! linux_consts {
    (
        $(#[$meta:meta])*
        pub fn $lookup:ident($ty:ty);
        $( $(#[$cmeta:meta])* $name:ident = $value:expr; )*
    ) => {
        $( $(#[$cmeta])* pub const $name: $ty = $value; )*

        $(#[$meta])*
        pub fn $lookup(value: $ty) -> Option<&'static str> {
            const TABLE: &[(&str, $ty)] = &[$((stringify!($name), $value)),*];
            TABLE.iter().find(|(_, v)| *v == value).map(|(name, _)| *name)
        }
    };
}
