//! Compression detection and whole-buffer gunzip (RFC 1952, multi-member) with an output limit.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use miniz_oxide::inflate::core::{decompress as inflate, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::crc32::crc32;
use crate::error::{GzipError, TarError};

/// The compression of a layer blob, told by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No recognised magic: assumed to be a plain tar.
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

/// Tells the compression of `data` by its leading magic bytes.
pub fn detect(data: &[u8]) -> Compression {
    if data.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if data.starts_with(b"BZh") {
        Compression::Bzip2
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compression::Xz
    } else {
        Compression::None
    }
}

/// Returns the tar bytes of a layer blob: gunzipped if gzip, borrowed as-is if plain.
/// The result is never larger than `limit` bytes.
pub fn decompress(data: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, TarError> {
    match detect(data) {
        Compression::Gzip => gunzip(data, limit).map(Cow::Owned),
        Compression::Zstd => Err(TarError::UnsupportedCompression("zstd")),
        Compression::Bzip2 => Err(TarError::UnsupportedCompression("bzip2")),
        Compression::Xz => Err(TarError::UnsupportedCompression("xz")),
        Compression::None if data.len() > limit => Err(TarError::TooLarge { limit }),
        Compression::None => Ok(Cow::Borrowed(data)),
    }
}

/// Decompresses a whole gzip file (all members, as `gzip -d` does), refusing to produce
/// more than `limit` bytes. Every member's CRC-32 and length are verified.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, TarError> {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = data;
    loop {
        let body = skip_member_header(rest)?;
        let room = limit.saturating_sub(out.len());
        let (member, used) = inflate_member(body, room).map_err(|e| match e {
            InflateError::TooLarge => TarError::TooLarge { limit },
            InflateError::Corrupt => GzipError::Corrupt.into(),
        })?;
        let trailer = body.get(used..).ok_or(GzipError::Corrupt)?;
        let (crc, size, after) = read_trailer(trailer)?;
        if crc32(&member) != crc {
            return Err(GzipError::CrcMismatch.into());
        }
        // ISIZE is the length modulo 2^32; truncation is the format's definition.
        if member.len() as u32 != size {
            return Err(GzipError::LengthMismatch.into());
        }
        if out.is_empty() {
            out = member;
        } else {
            out.extend_from_slice(&member);
        }
        if after.iter().all(|&b| b == 0) {
            return Ok(out);
        }
        if detect(after) != Compression::Gzip {
            return Err(GzipError::TrailingGarbage.into());
        }
        rest = after;
    }
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// Validates a member header and returns the bytes after it (the deflate stream onwards).
fn skip_member_header(data: &[u8]) -> Result<&[u8], GzipError> {
    let fixed = data.get(..10).ok_or(GzipError::BadHeader)?;
    if fixed[..3] != [0x1f, 0x8b, 8] || fixed[3] & FRESERVED != 0 {
        return Err(GzipError::BadHeader);
    }
    let flags = fixed[3];
    let mut rest = &data[10..];
    if flags & FEXTRA != 0 {
        let len_bytes = rest.get(..2).ok_or(GzipError::BadHeader)?;
        let xlen = usize::from(u16::from_le_bytes([len_bytes[0], len_bytes[1]]));
        rest = rest.get(2 + xlen..).ok_or(GzipError::BadHeader)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let nul = rest.iter().position(|&b| b == 0).ok_or(GzipError::BadHeader)?;
            rest = &rest[nul + 1..];
        }
    }
    if flags & FHCRC != 0 {
        rest = rest.get(2..).ok_or(GzipError::BadHeader)?;
    }
    Ok(rest)
}

/// Why one deflate stream could not be inflated.
enum InflateError {
    TooLarge,
    Corrupt,
}

/// Inflates one raw deflate stream from the start of `input` into at most `room` bytes.
/// Returns the data and the number of input bytes the stream occupied.
fn inflate_member(input: &[u8], room: usize) -> Result<(Vec<u8>, usize), InflateError> {
    // The decompressor state is ~11 KiB: keep it off the (small) kernel stack.
    let mut state: Box<DecompressorOxide> = Box::default();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    // The output buffer grows by doubling, up to `room`.
    let first = input.len().saturating_mul(4).clamp(4096, 1 << 24);
    let mut buf = vec![0u8; first.min(room)];
    let (mut in_pos, mut out_pos) = (0usize, 0usize);
    loop {
        let rest = input.get(in_pos..).ok_or(InflateError::Corrupt)?;
        let (status, read, written) = inflate(&mut state, rest, &mut buf, out_pos, flags);
        in_pos = in_pos.checked_add(read).ok_or(InflateError::Corrupt)?;
        out_pos = out_pos.checked_add(written).ok_or(InflateError::Corrupt)?;
        match status {
            TINFLStatus::Done => break,
            TINFLStatus::HasMoreOutput if buf.len() >= room => return Err(InflateError::TooLarge),
            TINFLStatus::HasMoreOutput => {
                let grown = buf.len().saturating_mul(2).max(1).min(room);
                buf.resize(grown, 0);
            }
            _ => return Err(InflateError::Corrupt),
        }
    }
    buf.truncate(out_pos);
    Ok((buf, in_pos))
}

/// Reads the 8-byte trailer: (CRC-32, ISIZE, bytes after the trailer).
fn read_trailer(data: &[u8]) -> Result<(u32, u32, &[u8]), GzipError> {
    let t = data.get(..8).ok_or(GzipError::Corrupt)?;
    let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
    let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
    Ok((crc, size, &data[8..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use miniz_oxide::deflate::compress_to_vec;

    /// A minimal gzip member around raw deflate data.
    pub(crate) fn gzip_member(payload: &[u8], name: Option<&[u8]>) -> Vec<u8> {
        let mut v = vec![0x1f, 0x8b, 8, if name.is_some() { FNAME } else { 0 }, 0, 0, 0, 0, 0, 3];
        if let Some(n) = name {
            v.extend_from_slice(n);
            v.push(0);
        }
        v.extend_from_slice(&compress_to_vec(payload, 6));
        v.extend_from_slice(&crc32(payload).to_le_bytes());
        v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        v
    }

    #[test]
    fn detects_magics() {
        assert_eq!(detect(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(detect(b"BZh9"), Compression::Bzip2);
        assert_eq!(detect(b"ustar"), Compression::None);
        assert_eq!(detect(b""), Compression::None);
    }

    #[test]
    fn round_trip_single_and_multi_member() {
        let a = b"hello world, hello world, hello world".repeat(100);
        let mut gz = gzip_member(&a, Some(b"file.tar"));
        assert_eq!(gunzip(&gz, 1 << 20).unwrap(), a);
        gz.extend_from_slice(&gzip_member(b"tail", None));
        gz.extend_from_slice(&[0, 0, 0]);
        let mut expected = a.clone();
        expected.extend_from_slice(b"tail");
        assert_eq!(gunzip(&gz, 1 << 20).unwrap(), expected);
    }

    #[test]
    fn empty_payload() {
        assert_eq!(gunzip(&gzip_member(b"", None), 10).unwrap(), b"");
    }

    #[test]
    fn limit_stops_bombs() {
        let zeros = vec![0u8; 1 << 20];
        let gz = gzip_member(&zeros, None);
        assert!(gz.len() < 4096);
        assert_eq!(gunzip(&gz, 1000), Err(TarError::TooLarge { limit: 1000 }));
        assert_eq!(gunzip(&gz, 1 << 20).unwrap().len(), 1 << 20);
        assert_eq!(decompress(b"plain tar bytes", 3), Err(TarError::TooLarge { limit: 3 }));
    }

    #[test]
    fn detects_corruption() {
        let payload = b"some data that will be checked".repeat(10);
        let gz = gzip_member(&payload, None);
        let mut bad_crc = gz.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(gunzip(&bad_crc, 1 << 20), Err(TarError::Gzip(GzipError::CrcMismatch)));
        let mut bad_len = gz.clone();
        bad_len[n - 1] ^= 1;
        assert_eq!(gunzip(&bad_len, 1 << 20), Err(TarError::Gzip(GzipError::LengthMismatch)));
        assert_eq!(gunzip(&gz[..n - 3], 1 << 20), Err(TarError::Gzip(GzipError::Corrupt)));
        let mut garbage = gz.clone();
        garbage.extend_from_slice(b"junk");
        assert_eq!(gunzip(&garbage, 1 << 20), Err(TarError::Gzip(GzipError::TrailingGarbage)));
        assert_eq!(gunzip(&[0x1f, 0x8b, 7, 0], 10), Err(TarError::Gzip(GzipError::BadHeader)));
    }

    #[test]
    fn unsupported_formats_are_named() {
        assert_eq!(
            decompress(&[0x28, 0xb5, 0x2f, 0xfd], 10),
            Err(TarError::UnsupportedCompression("zstd"))
        );
    }

    proptest::proptest! {
        #[test]
        fn gunzip_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut input = vec![0x1f, 0x8b, 8, 0];
            input.extend_from_slice(&data);
            let _ = gunzip(&input, 1 << 16);
            let _ = gunzip(&data, 1 << 16);
        }

        #[test]
        fn gunzip_mutated_never_panics(pos in 0usize..200, byte in proptest::num::u8::ANY) {
            let mut gz = gzip_member(&b"mutate me please ".repeat(20), Some(b"x"));
            let i = pos % gz.len();
            gz[i] = byte;
            let _ = gunzip(&gz, 1 << 16);
        }
    }
}
