//! A minimal tar writer (ustar headers, PAX records for long names), for tests and tools.
//!
//! It writes what [`crate::Archive`] reads; names longer than the 100-byte ustar field go
//! into a PAX `x` header. Writing is infallible: the output is a plain `Vec<u8>`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::header::BLOCK;

/// Header fields for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSpec<'a> {
    pub path: &'a str,
    /// The ustar type byte (`b'0'` file, `b'5'` dir, ...).
    pub typeflag: u8,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub link: &'a str,
    pub dev: (u32, u32),
}

impl<'a> HeaderSpec<'a> {
    /// A root-owned entry with mtime 0 and no link.
    pub fn new(path: &'a str, typeflag: u8, mode: u32) -> Self {
        HeaderSpec { path, typeflag, mode, uid: 0, gid: 0, mtime: 0, link: "", dev: (0, 0) }
    }
}

/// Accumulates an archive in memory.
#[derive(Debug, Clone, Default)]
pub struct TarBuilder {
    out: Vec<u8>,
}

impl TarBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a regular file.
    pub fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.entry(&HeaderSpec::new(path, b'0', mode), data)
    }

    /// Appends a directory.
    pub fn dir(&mut self, path: &str, mode: u32) -> &mut Self {
        self.entry(&HeaderSpec::new(path, b'5', mode), &[])
    }

    /// Appends a symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.entry(&HeaderSpec { link: target, ..HeaderSpec::new(path, b'2', 0o777) }, &[])
    }

    /// Appends a hard link to an earlier entry.
    pub fn hard_link(&mut self, path: &str, target: &str) -> &mut Self {
        self.entry(&HeaderSpec { link: target, ..HeaderSpec::new(path, b'1', 0o644) }, &[])
    }

    /// Appends an entry with `data`, preceded by a PAX header if a name does not fit.
    pub fn entry(&mut self, spec: &HeaderSpec<'_>, data: &[u8]) -> &mut Self {
        let mut records = Vec::new();
        if spec.path.len() > 100 {
            records.push(("path", spec.path));
        }
        if spec.link.len() > 100 {
            records.push(("linkpath", spec.link));
        }
        if !records.is_empty() {
            self.pax(&records);
        }
        let fits = |s: &str| s.len() <= 100;
        let path = if fits(spec.path) { spec.path } else { "" };
        let link = if fits(spec.link) { spec.link } else { "" };
        let header = header_block(&HeaderSpec { path, link, ..spec.clone() }, data.len());
        self.raw(&header, data)
    }

    /// Appends a PAX `x` header holding `records` for the next entry.
    pub fn pax(&mut self, records: &[(&str, &str)]) -> &mut Self {
        let mut body = Vec::new();
        for (key, value) in records {
            body.extend_from_slice(pax_record(key, value).as_bytes());
        }
        let header = header_block(&HeaderSpec::new("PaxHeaders/x", b'x', 0o644), body.len());
        self.raw(&header, &body)
    }

    /// Appends a header block as given (checksum not recomputed) and padded data.
    pub fn raw(&mut self, header: &[u8; BLOCK], data: &[u8]) -> &mut Self {
        self.out.extend_from_slice(header);
        self.out.extend_from_slice(data);
        let padding = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.resize(self.out.len() + padding, 0);
        self
    }

    /// Ends the archive with two zero blocks and returns its bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = core::mem::take(&mut self.out);
        out.resize(out.len() + 2 * BLOCK, 0);
        out
    }
}

/// A ustar header block for `spec` with a `size`-byte payload, checksum filled in.
pub fn header_block(spec: &HeaderSpec<'_>, size: usize) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], spec.path.as_bytes());
    put(&mut h[100..108], octal(u64::from(spec.mode), 7).as_bytes());
    put(&mut h[108..116], octal(u64::from(spec.uid), 7).as_bytes());
    put(&mut h[116..124], octal(u64::from(spec.gid), 7).as_bytes());
    put(&mut h[124..136], octal(size as u64, 11).as_bytes());
    put(&mut h[136..148], octal(spec.mtime, 11).as_bytes());
    h[156] = spec.typeflag;
    put(&mut h[157..257], spec.link.as_bytes());
    put(&mut h[257..265], b"ustar\x0000");
    put(&mut h[329..337], octal(u64::from(spec.dev.0), 7).as_bytes());
    put(&mut h[337..345], octal(u64::from(spec.dev.1), 7).as_bytes());
    set_checksum(&mut h);
    h
}

/// Recomputes the checksum field of a header block.
pub fn set_checksum(h: &mut [u8; BLOCK]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h[148..156], format!("{sum:06o}\0 ").as_bytes());
}

fn octal(value: u64, width: usize) -> String {
    format!("{value:0width$o}")
}

fn put(field: &mut [u8], bytes: &[u8]) {
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// One PAX record, its length prefix counting itself.
fn pax_record(key: &str, value: &str) -> String {
    let body_len = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body_len + 1;
    while len.to_string().len() + body_len != len {
        len += 1;
    }
    format!("{len} {key}={value}\n")
}
