//! Human-readable sizes (`4096`, `512K`, `64M`, `1G`) as GNU coreutils reads
//! them: a decimal number and an optional suffix K, M, G, T, P or E (any
//! case) meaning powers of 1024, also spelled `KiB`…; `KB`… mean powers of 1000.

use core::fmt;

use errno::Errno;

/// Why a size argument was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// Nothing given.
    Empty,
    /// Does not start with a decimal digit.
    NotANumber,
    /// The text after the digits is not a known unit.
    UnknownSuffix,
    /// The value does not fit in 64 bits.
    TooLarge,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeError::Empty => "empty size",
            SizeError::NotANumber => "size must start with a decimal number",
            SizeError::UnknownSuffix => "unknown size suffix (use K, M, G, T, P or E)",
            SizeError::TooLarge => "size too large",
        })
    }
}

impl core::error::Error for SizeError {}

impl From<SizeError> for Errno {
    fn from(error: SizeError) -> Errno {
        match error {
            SizeError::TooLarge => Errno::ERANGE,
            _ => Errno::EINVAL,
        }
    }
}

/// Power of the base each unit letter stands for.
fn unit_exponent(letter: char) -> Option<u32> {
    match letter.to_ascii_uppercase() {
        'K' => Some(1),
        'M' => Some(2),
        'G' => Some(3),
        'T' => Some(4),
        'P' => Some(5),
        'E' => Some(6),
        _ => None,
    }
}

/// The multiplier a suffix (the text after the digits) stands for.
fn suffix_multiplier(suffix: &str) -> Result<u64, SizeError> {
    let mut chars = suffix.chars();
    let Some(letter) = chars.next() else {
        return Ok(1);
    };
    let exponent = unit_exponent(letter).ok_or(SizeError::UnknownSuffix)?;
    let base: u64 = match chars.as_str() {
        "" | "iB" | "ib" | "IB" => 1024,
        "B" | "b" => 1000,
        _ => return Err(SizeError::UnknownSuffix),
    };
    base.checked_pow(exponent).ok_or(SizeError::TooLarge)
}

/// Parses a size such as `4096`, `512K`, `64M`, `1G` or `10MB` into bytes.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    if text.is_empty() {
        return Err(SizeError::Empty);
    }
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(SizeError::NotANumber);
    }
    let number = digits.parse::<u64>().map_err(|_| SizeError::TooLarge)?;
    number
        .checked_mul(suffix_multiplier(suffix)?)
        .ok_or(SizeError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_and_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size("1P"), Ok(1 << 50));
        assert_eq!(parse_size("15E"), Ok(15 << 60));
        assert_eq!(parse_size("4KiB"), Ok(4096));
    }

    #[test]
    fn decimal_units() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("1kB"), Ok(1000));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("M"), Err(SizeError::NotANumber));
        assert_eq!(parse_size("-1"), Err(SizeError::NotANumber));
        assert_eq!(parse_size(" 1"), Err(SizeError::NotANumber));
        assert_eq!(parse_size("1Q"), Err(SizeError::UnknownSuffix));
        assert_eq!(parse_size("1MM"), Err(SizeError::UnknownSuffix));
        assert_eq!(parse_size("1.5G"), Err(SizeError::UnknownSuffix));
        assert_eq!(parse_size("16E"), Err(SizeError::TooLarge));
        assert_eq!(parse_size("99999999999999999999"), Err(SizeError::TooLarge));
        assert_eq!(Errno::from(SizeError::TooLarge), Errno::ERANGE);
        assert_eq!(Errno::from(SizeError::UnknownSuffix), Errno::EINVAL);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,24}") {
            let _ = parse_size(&text);
        }

        #[test]
        fn numbers_round_trip(n in any::<u64>()) {
            prop_assert_eq!(parse_size(&alloc::format!("{n}")), Ok(n));
        }
    }
}
