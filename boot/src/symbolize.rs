//! Kernel stack traces turned into function names and source lines on the
//! host, with the unstripped kernel ELF (`CYRIUS_KERNEL_ELF`, built with line
//! tables) and the `addr2line` crate.
//!
//! The kernel prints a trace as a header naming its load base
//! (`stack trace (kernel loaded at 0x...; ...`) followed by frame lines
//! `  #N  0x<address>`; #0 is the faulting RIP, the others are return
//! addresses (looked up one byte earlier, inside the call). After each frame
//! line the symbolizer adds `      function at file:line` lines (inlined
//! callers too). `cargo run` does this on the live console ([`Filter`]); the
//! test harness does it on a failure's transcript ([`annotate_text`]).

use std::path::Path;

/// Looks up kernel addresses seen on the console.
pub struct Symbolizer {
    loader: addr2line::Loader,
    /// The load base of the last trace header seen.
    base: Option<u64>,
}

impl Symbolizer {
    /// A symbolizer for the kernel this runner was built with, if its ELF can be read.
    pub fn for_kernel() -> Option<Symbolizer> {
        Symbolizer::new(&crate::paths::kernel_elf())
    }

    pub fn new(elf: &Path) -> Option<Symbolizer> {
        let loader = addr2line::Loader::new(elf).ok()?;
        Some(Symbolizer { loader, base: None })
    }

    /// Looks at one console line (without its line end); returns the lines
    /// to print after it, if it is a frame of a trace.
    pub fn annotate_line(&mut self, line: &str) -> Option<Vec<String>> {
        if let Some(base) = parse_base(line) {
            self.base = Some(base);
            return None;
        }
        let (n, addr) = parse_frame(line)?;
        let offset = addr.checked_sub(self.base?)?;
        let probe = if n == 0 { offset } else { offset.saturating_sub(1) };
        let lines = self.lookup(probe);
        (!lines.is_empty()).then_some(lines)
    }

    /// `function at file:line` for `probe` (an offset into the ELF), the
    /// innermost inlined function first.
    pub fn lookup(&self, probe: u64) -> Vec<String> {
        // The symbol table names the outermost function where the line
        // tables (which name inlined functions only) do not.
        let symbol = self.loader.find_symbol(probe).map(rustc_demangle_lossy);
        let mut found: Vec<(Option<String>, Option<String>)> = Vec::new();
        if let Ok(mut frames) = self.loader.find_frames(probe) {
            while let Ok(Some(frame)) = frames.next() {
                let name = frame.function.as_ref().and_then(|f| f.demangle().ok().map(|s| s.into_owned()));
                let at = frame.location.as_ref().map(|l| {
                    format!("{}:{}", short_path(l.file.unwrap_or("??")), l.line.unwrap_or(0))
                });
                found.push((name, at));
            }
        }
        if let Some((name @ None, _)) = found.last_mut() {
            *name = symbol.clone();
        }
        if found.is_empty() {
            found.push((symbol, None));
        }
        found
            .into_iter()
            .filter(|(name, at)| name.is_some() || at.is_some())
            .map(|(name, at)| {
                let name = name.unwrap_or_else(|| String::from("??"));
                match at {
                    Some(at) => format!("      {} at {at}", strip_hash(&name)),
                    None => format!("      {}", strip_hash(&name)),
                }
            })
            .collect()
    }
}

fn rustc_demangle_lossy(sym: &str) -> String {
    addr2line::demangle_auto(std::borrow::Cow::Borrowed(sym), None).into_owned()
}

/// `core::fmt::write::h0123456789abcdef` -> `core::fmt::write`.
fn strip_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => head,
        _ => name,
    }
}

/// Paths into the repository or the toolchain, shortened for reading.
fn short_path(path: &str) -> &str {
    for marker in ["/kernel/", "/library/", "/.cargo/registry/src/"] {
        if let Some(at) = path.find(marker) {
            let rest = &path[at + 1..];
            return match marker {
                "/.cargo/registry/src/" => rest.splitn(3, '/').nth(2).unwrap_or(rest),
                _ => rest,
            };
        }
    }
    path
}

/// The base from `... kernel loaded at 0x...;`.
fn parse_base(line: &str) -> Option<u64> {
    let rest = line.split_once("kernel loaded at 0x")?.1;
    let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    u64::from_str_radix(&hex, 16).ok()
}

/// `  #N  0x...` -> (N, address).
fn parse_frame(line: &str) -> Option<(u32, u64)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (n, rest) = rest.split_once(' ')?;
    let n: u32 = n.parse().ok()?;
    let hex = rest.trim_start().strip_prefix("0x")?;
    let hex: String = hex.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    Some((n, u64::from_str_radix(&hex, 16).ok()?))
}

/// Adds the symbol lines after every frame line of `text`.
pub fn annotate_text(text: &str) -> String {
    let Some(mut sym) = Symbolizer::for_kernel() else { return text.to_string() };
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        if let Some(extra) = sym.annotate_line(line.trim_end_matches(['\r', '\n'])) {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            for e in extra {
                out.push_str(&e);
                out.push('\n');
            }
        }
    }
    out
}

/// A pass-through for the live console: bytes go out as they come; after a
/// frame line's end, its symbol lines follow (with `\r\n`, as the serial
/// console ends lines).
pub struct Filter {
    sym: Option<Symbolizer>,
    line: Vec<u8>,
}

impl Filter {
    pub fn for_kernel() -> Filter {
        Filter { sym: Symbolizer::for_kernel(), line: Vec::new() }
    }

    /// The bytes to write for `input`.
    pub fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        let Some(sym) = self.sym.as_mut() else { return input.to_vec() };
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            out.push(b);
            if b != b'\n' {
                if self.line.len() < 512 {
                    self.line.push(b);
                }
                continue;
            }
            let line = String::from_utf8_lossy(&self.line).into_owned();
            self.line.clear();
            if let Some(extra) = sym.annotate_line(line.trim_end_matches('\r')) {
                for e in extra {
                    out.extend_from_slice(e.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_trace_lines() {
        assert_eq!(parse_base("stack trace (kernel loaded at 0xffff800000000000; addr2line"), Some(0xffff_8000_0000_0000));
        assert_eq!(parse_frame("  #0  0xffff800000012345"), Some((0, 0xffff_8000_0001_2345)));
        assert_eq!(parse_frame("  #12 0x0000000000001000"), Some((12, 0x1000)));
        assert_eq!(parse_frame("cyrius# #1 hello"), None);
        assert_eq!(strip_hash("core::fmt::write::h0123456789abcdef"), "core::fmt::write");
        assert_eq!(strip_hash("a::hb"), "a::hb");
    }

    /// Addresses in the kernel's text map to functions in kernel/src with lines.
    #[test]
    fn finds_kernel_functions() {
        let sym = Symbolizer::for_kernel().expect("the kernel ELF is readable");
        let text = sym.loader.get_section_range(b".text").expect("the kernel has a .text section");
        let found = (text.begin..text.end)
            .step_by(0x100)
            .flat_map(|a| sym.lookup(a))
            .find(|l| l.contains(" at kernel/src/") && l.contains(".rs:"));
        assert!(found.is_some(), "no kernel address maps to a line in kernel/src");
    }
}
