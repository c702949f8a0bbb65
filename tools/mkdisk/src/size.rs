//! Byte sizes: parsing `256M`-style arguments and printing sizes for people.

/// Parses a size: a whole number of bytes with an optional binary suffix `K`, `M`, `G` or
/// `T` (also `KiB`, `MB`...; case-insensitive). `None` if malformed or too large.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let suffix = suffix.to_ascii_uppercase();
    let unit = suffix.trim_end_matches("IB").trim_end_matches('B');
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    if unit.is_empty() && !suffix.is_empty() && suffix != "B" {
        return None;
    }
    number.checked_mul(1 << shift)
}

/// `bytes` in MiB with one decimal, e.g. `12.5 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("256M"), Some(256 << 20));
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("512KB"), Some(512 << 10));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("1000B"), Some(1000));
        assert_eq!(parse_size("1.5G"), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("12X"), None);
        assert_eq!(parse_size("99999999999T"), None);
        assert_eq!(mib(3 << 19), "1.5 MiB");
    }
}
