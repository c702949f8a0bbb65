//! File names: checking long names like Linux's vfat, ASCII case-insensitive comparison, 8.3
//! short names (display, checksum, and Windows-style generation with `~N` numeric tails).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use errno::{Errno, KResult};

/// Longest long name, in UTF-16 units.
pub(crate) const MAX_NAME_UNITS: usize = 255;

/// Short-entry case flag: the base name is displayed in lower case.
pub(crate) const CASE_LOWER_BASE: u8 = 0x08;
/// Short-entry case flag: the extension is displayed in lower case.
pub(crate) const CASE_LOWER_EXT: u8 = 0x10;

/// Whether `name` is `.` or `..`, which no directory entry may be created as.
pub(crate) fn is_dot_name(name: &str) -> bool {
    name == "." || name == ".."
}

/// A name to look up: trailing dots are ignored (as Linux vfat does). `ENOENT` if nothing is
/// left, `ENAMETOOLONG` past 255 UTF-16 units.
pub(crate) fn lookup_name(name: &str) -> KResult<&str> {
    let name = name.trim_end_matches('.');
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.encode_utf16().count() > MAX_NAME_UNITS {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(name)
}

/// A name for a new entry: as [`lookup_name`], and `EINVAL` for characters FAT cannot hold
/// (controls, `"*/:<>?\|`) or a trailing space.
pub(crate) fn new_name(name: &str) -> KResult<&str> {
    let name = lookup_name(name)?;
    let bad = |c: char| c < ' ' || "\"*/:<>?\\|".contains(c);
    if name.chars().any(bad) || name.ends_with(' ') {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

/// ASCII case-insensitive equality (non-ASCII letters compare exactly, as with Linux vfat
/// and `iocharset=utf8`).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// An 8.3 name as stored: 8 base bytes then 3 extension bytes, space padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ShortName(pub [u8; 11]);

impl ShortName {
    pub const DOT: ShortName = ShortName(*b".          ");
    pub const DOTDOT: ShortName = ShortName(*b"..         ");

    /// The checksum long-name entries carry to tie them to this short name.
    pub fn checksum(&self) -> u8 {
        self.0.iter().fold(0u8, |sum, &b| sum.rotate_right(1).wrapping_add(b))
    }

    /// The name as displayed: `BASE.EXT` (no dot without an extension), with `case` flags
    /// applied, the 0x05 lead byte read as 0xE5, and high bytes decoded as code page 437.
    pub fn display(&self, case: u8) -> String {
        let (base, ext) = self.0.split_at(8);
        let mut out = String::new();
        push_part(&mut out, base, case & CASE_LOWER_BASE != 0, true);
        if trimmed(ext).next().is_some() {
            out.push('.');
            push_part(&mut out, ext, case & CASE_LOWER_EXT != 0, false);
        }
        out
    }
}

fn trimmed(part: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let len = part.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
    part.iter().copied().enumerate().take(len)
}

fn push_part(out: &mut String, part: &[u8], lower: bool, is_base: bool) {
    for (i, b) in trimmed(part) {
        let b = if is_base && i == 0 && b == 0x05 { 0xE5 } else { b };
        let c = oem_char(b);
        out.push(if lower { c.to_ascii_lowercase() } else { c });
    }
}

/// How a long name is stored in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NameForm {
    /// A plain 8.3 name: one short entry, lower case recorded in the case flags.
    Short { name: ShortName, case: u8 },
    /// Long-name entries plus a short alias generated from `basis`.
    Long(Basis),
}

/// The raw material of a generated short alias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Basis {
    base: Vec<u8>,
    ext: Vec<u8>,
    /// Whether `base.ext` is the whole name upper-cased (then it is tried without a tail).
    lossless: bool,
}

/// Decides how `name` (already checked by [`new_name`]) is stored.
pub(crate) fn form(name: &str) -> NameForm {
    match exact_short(name) {
        Some((name, case)) => NameForm::Short { name, case },
        None => NameForm::Long(basis(name)),
    }
}

/// The short name of a name that is already valid 8.3 with each part in one case.
fn exact_short(name: &str) -> Option<(ShortName, u8)> {
    let (base, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (name, ""),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 || base.contains('.') {
        return None;
    }
    let mut short = [b' '; 11];
    let mut case = 0;
    let (base_dest, ext_dest) = short.split_at_mut(8);
    for (part, dest, flag) in [(base, base_dest, CASE_LOWER_BASE), (ext, ext_dest, CASE_LOWER_EXT)] {
        let has_lower = part.chars().any(|c| c.is_ascii_lowercase());
        if has_lower && part.chars().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        if has_lower {
            case |= flag;
        }
        for (d, c) in dest.iter_mut().zip(part.chars()) {
            *d = short_char(c)?;
        }
    }
    Some((ShortName(short), case))
}

/// Windows' basis-name rules: drop spaces and leading dots, split at the last dot, map each
/// character to its 8.3 form ('_' when it has none), keep 8 + 3.
fn basis(name: &str) -> Basis {
    let compact: String = name.chars().filter(|&c| c != ' ').collect();
    let stripped = compact.trim_start_matches('.');
    let mut lossless = stripped.len() == name.len();
    let (base_part, ext_part) = match stripped.rfind('.') {
        Some(i) => (&stripped[..i], &stripped[i + 1..]),
        None => (stripped, ""),
    };
    let mut convert = |part: &str, max: usize| {
        let mut out = Vec::new();
        for c in part.chars() {
            if c == '.' {
                lossless = false;
                continue;
            }
            let b = short_char(c).unwrap_or_else(|| {
                lossless = false;
                b'_'
            });
            if out.len() == max {
                lossless = false;
                break;
            }
            out.push(b);
        }
        out
    };
    let base = convert(base_part, 8);
    let ext = convert(ext_part, 3);
    let base = if base.is_empty() { Vec::from(*b"_") } else { base };
    Basis { base, ext, lossless }
}

impl Basis {
    /// Candidate `n`: the basis itself for 0, else the base cut to make room for `~n`.
    fn candidate(&self, n: u32) -> ShortName {
        let mut short = [b' '; 11];
        let tail = if n == 0 { String::new() } else { format!("~{n}") };
        let keep = self.base.len().min(8 - tail.len());
        let base = self.base.iter().take(keep).chain(tail.as_bytes());
        for (d, &b) in short.iter_mut().zip(base) {
            *d = b;
        }
        for (d, &b) in short[8..].iter_mut().zip(&self.ext) {
            *d = b;
        }
        ShortName(short)
    }

    /// The first candidate not `taken`; `EEXIST` if all a million are (Linux's answer when
    /// it runs out of aliases).
    pub fn pick(&self, taken: impl Fn(&ShortName) -> bool) -> KResult<ShortName> {
        let first = if self.lossless { 0 } else { 1 };
        (first..1_000_000)
            .map(|n| self.candidate(n))
            .find(|c| !taken(c))
            .ok_or(Errno::EEXIST)
    }
}

/// The 8.3 byte for `c`: letters upper-cased, digits and the punctuation 8.3 allows as is.
pub(crate) fn short_char(c: char) -> Option<u8> {
    match c {
        'a'..='z' => Some(c.to_ascii_uppercase() as u8),
        'A'..='Z' | '0'..='9' => Some(c as u8),
        '$' | '%' | '\'' | '-' | '_' | '@' | '~' | '`' | '!' | '(' | ')' | '{' | '}' | '^' | '#'
        | '&' => Some(c as u8),
        _ => None,
    }
}

/// A short-name byte as a character: ASCII as is, 0x80..=0xFF from code page 437.
fn oem_char(b: u8) -> char {
    match b.checked_sub(0x80) {
        Some(i) => CP437_HIGH.get(usize::from(i)).copied().unwrap_or('?'),
        None => char::from(b),
    }
}

const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    fn short(s: &str) -> ShortName {
        let mut b = [b' '; 11];
        b[..s.len()].copy_from_slice(s.as_bytes());
        ShortName(b)
    }

    #[test]
    fn checks_names_like_vfat() {
        assert_eq!(new_name("a.txt..."), Ok("a.txt"));
        assert_eq!(new_name("..."), Err(Errno::ENOENT));
        assert_eq!(new_name("a:b"), Err(Errno::EINVAL));
        assert_eq!(new_name("a\u{1}"), Err(Errno::EINVAL));
        assert_eq!(new_name("trailing "), Err(Errno::EINVAL));
        assert_eq!(new_name(" leading"), Ok(" leading"));
        assert_eq!(new_name(&"x".repeat(255)).map(str::len), Ok(255));
        assert_eq!(new_name(&"x".repeat(256)), Err(Errno::ENAMETOOLONG));
        assert_eq!(lookup_name("a*b"), Ok("a*b"));
        assert!(same_name("ReadMe.TXT", "readme.txt"));
        assert!(!same_name("é", "É"));
    }

    #[test]
    fn plain_short_names_use_case_flags() {
        assert_eq!(form("README.TXT"), NameForm::Short { name: short("README  TXT"), case: 0 });
        assert_eq!(
            form("readme.txt"),
            NameForm::Short { name: short("README  TXT"), case: CASE_LOWER_BASE | CASE_LOWER_EXT }
        );
        assert_eq!(form("Makefile"), NameForm::Long(Basis { base: b"MAKEFILE".to_vec(), ext: Vec::new(), lossless: true }));
        assert!(matches!(form("a b"), NameForm::Long(_)));
        assert!(matches!(form(".profile"), NameForm::Long(_)));
        assert!(matches!(form("a.b.c"), NameForm::Long(_)));
    }

    #[test]
    fn generates_numbered_aliases() {
        let taken = BTreeSet::from([short("LONGFI~1TXT")]);
        let NameForm::Long(b) = form("longfilename.txt") else { panic!() };
        assert_eq!(b.pick(|c| taken.contains(c)), Ok(short("LONGFI~2TXT")));
        let NameForm::Long(b) = form("Makefile") else { panic!() };
        assert_eq!(b.pick(|_| false), Ok(short("MAKEFILE")));
        let NameForm::Long(b) = form(".bash history.x+y") else { panic!() };
        assert_eq!(b.pick(|_| false), Ok(short("BASHHI~1X_Y")));
        let NameForm::Long(b) = form("日本語") else { panic!() };
        assert_eq!(b.pick(|_| false), Ok(short("___~1")));
        assert_eq!(b.candidate(123_456), short("_~123456"));
    }

    #[test]
    fn display_and_checksum() {
        assert_eq!(short("README  TXT").display(CASE_LOWER_EXT), "README.txt");
        assert_eq!(short("MAKEFILE").display(CASE_LOWER_BASE), "makefile");
        assert_eq!(ShortName(*b"\x05BC     \x82  ").display(0), "σBC.é");
        // Checksum from the FAT specification's algorithm, computed by hand for "FOO     BAR".
        let sum = short("FOO     BAR").0.iter().fold(0u8, |s, &b| ((s & 1) << 7).wrapping_add(s >> 1).wrapping_add(b));
        assert_eq!(short("FOO     BAR").checksum(), sum);
    }
}
