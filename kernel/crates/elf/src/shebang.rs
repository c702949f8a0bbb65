//! `#!` script detection, following Linux's `binfmt_script` exactly.
//!
//! Only the first 256 bytes (`BINPRM_BUF_SIZE`) are looked at, zero-padded
//! when the file is shorter. The line ends at the first `\n` (a NUL before it
//! hides it); without one, the line is the first 255 bytes, accepted only if
//! the interpreter path visibly ends inside them (a space, tab or NUL follows
//! it), so a truncated path is never run. Trailing spaces/tabs are dropped,
//! the interpreter is the first space/tab/NUL-delimited word, and everything
//! after the blanks that follow it is one optional argument (internal blanks
//! kept; as a C string it stops at a NUL).

use alloc::string::String;

/// Bytes of a file Linux examines to choose a binary format.
pub const BINPRM_BUF_SIZE: usize = 256;

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

fn is_terminator(byte: u8) -> bool {
    is_blank(byte) || byte == 0
}

/// The bytes of a C string stored at the start of `bytes`.
fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// The first line of a `#!` script: `(interpreter, optional argument)`.
/// `None` when `file` is not a script Linux would run (no `#!`, no
/// interpreter, a truncated interpreter path) or a part is not UTF-8.
pub fn parse_shebang(file: &[u8]) -> Option<(String, Option<String>)> {
    let mut buf = [0u8; BINPRM_BUF_SIZE];
    let len = file.len().min(BINPRM_BUF_SIZE);
    buf.get_mut(..len)?.copy_from_slice(file.get(..len)?);
    if buf.get(..2)? != b"#!" {
        return None;
    }
    // strnchr stops at a NUL, so a newline after one is not seen.
    let newline = c_str(&buf).iter().position(|&b| b == b'\n');
    let line_end = match newline {
        Some(end) => end,
        None => {
            // The whole buffer is searched, then its last byte becomes the
            // line's terminating NUL.
            let after_bang = buf.get(2..)?;
            let name = after_bang.iter().position(|&b| !is_blank(b))?;
            after_bang
                .get(name..)?
                .iter()
                .position(|&b| is_terminator(b))?;
            BINPRM_BUF_SIZE - 1
        }
    };
    let line = buf.get(2..line_end)?;
    let line = match line.iter().rposition(|&b| !is_blank(b)) {
        Some(last) => line.get(..=last)?,
        None => return None,
    };
    let name_start = line.iter().position(|&b| !is_blank(b))?;
    let rest = line.get(name_start..)?;
    let name_len = rest
        .iter()
        .position(|&b| is_terminator(b))
        .unwrap_or(rest.len());
    let name = rest.get(..name_len)?;
    if name.is_empty() {
        return None;
    }
    let after = rest.get(name_len..)?;
    let argument = match after.iter().position(|&b| !is_blank(b)) {
        // The word ended at a NUL (or the line): no argument.
        _ if after.first().is_none_or(|&b| b == 0) => None,
        Some(start) => Some(c_str(after.get(start..)?)),
        None => None,
    };
    let interpreter = String::from(core::str::from_utf8(name).ok()?);
    let argument = match argument {
        Some(arg) if !arg.is_empty() => Some(String::from(core::str::from_utf8(arg).ok()?)),
        _ => None,
    };
    Some((interpreter, argument))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn shebang(file: &[u8]) -> Option<(String, Option<String>)> {
        parse_shebang(file)
    }

    fn pair(interp: &str, arg: Option<&str>) -> Option<(String, Option<String>)> {
        Some((interp.into(), arg.map(String::from)))
    }

    #[test]
    fn plain_interpreter() {
        assert_eq!(shebang(b"#!/bin/sh\necho hi\n"), pair("/bin/sh", None));
        assert_eq!(shebang(b"#!/bin/sh"), pair("/bin/sh", None));
        assert_eq!(shebang(b"#! \t/bin/sh \t \nx"), pair("/bin/sh", None));
    }

    #[test]
    fn one_argument_keeps_inner_blanks() {
        assert_eq!(
            shebang(b"#!/usr/bin/env python3\n"),
            pair("/usr/bin/env", Some("python3"))
        );
        assert_eq!(
            shebang(b"#!/usr/bin/env  -S a  b \n"),
            pair("/usr/bin/env", Some("-S a  b"))
        );
        assert_eq!(shebang(b"#!/bin/sh\t-e\r\n"), pair("/bin/sh", Some("-e\r")));
    }

    #[test]
    fn not_scripts() {
        assert_eq!(shebang(b""), None);
        assert_eq!(shebang(b"#"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
        assert_eq!(shebang(b"#!\n/bin/sh"), None);
        assert_eq!(shebang(b"#!   \t\n"), None);
        assert_eq!(shebang(b"# !/bin/sh\n"), None);
    }

    #[test]
    fn nul_ends_words() {
        assert_eq!(shebang(b"#!/bin/sh\0 -x\n"), pair("/bin/sh", None));
        assert_eq!(shebang(b"#!/bin/sh -x\0y z\n"), pair("/bin/sh", Some("-x")));
        // The NUL hides the newline, so blanks before it are not trimmed.
        assert_eq!(shebang(b"#!/bin/sh -x \0\n"), pair("/bin/sh", Some("-x ")));
    }

    #[test]
    fn long_lines() {
        // A newline anywhere in the first 256 bytes bounds the line.
        let mut file = Vec::from(&b"#!/bin/sh "[..]);
        file.resize(250, b'a');
        file.extend_from_slice(b"\nrest");
        let arg = "a".repeat(240);
        assert_eq!(shebang(&file), pair("/bin/sh", Some(&arg)));

        // No newline: the argument may be cut at byte 255...
        let mut file = Vec::from(&b"#!/bin/sh "[..]);
        file.resize(400, b'b');
        assert_eq!(shebang(&file), pair("/bin/sh", Some(&"b".repeat(245))));

        // ...but a path running to the end of the buffer is refused.
        let mut file = Vec::from(&b"#!/"[..]);
        file.resize(400, b'p');
        assert_eq!(shebang(&file), None);
        let mut file = Vec::from(&b"#!    "[..]);
        file.resize(300, b' ');
        assert_eq!(shebang(&file), None);
        // A blank in the very last buffer byte still ends the path.
        let mut file = Vec::from(&b"#!"[..]);
        file.resize(255, b'q');
        file.push(b' ');
        let path = "q".repeat(253);
        assert_eq!(shebang(&file), pair(&path, None));
    }

    #[test]
    fn non_utf8_is_refused() {
        assert_eq!(shebang(b"#!/bin/\xff\n"), None);
    }

    proptest! {
        #[test]
        fn never_panics(mut body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_shebang(&body);
            body.splice(0..0, *b"#!");
            if let Some((interp, arg)) = parse_shebang(&body) {
                prop_assert!(!interp.is_empty());
                prop_assert!(!interp.contains([' ', '\t', '\n', '\0']));
                if let Some(arg) = arg {
                    prop_assert!(!arg.is_empty() && !arg.starts_with([' ', '\t']));
                    prop_assert!(!arg.contains(['\n', '\0']));
                }
            }
        }
    }
}
