//! Container commands: `images` now; `oci-runtime` with issue 4.

use alloc::string::String;
use core::fmt::Write;

use super::CmdResult;
use crate::container::images;
use crate::shell::{Out, Session};

pub fn images(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if let Some(a) = args.first() {
        return Err(alloc::format!("unexpected argument '{a}'"));
    }
    let found = images::list().map_err(|e| alloc::format!("{}: {e}", images::IMAGES_DIR))?;
    let _ = writeln!(out, "{:<16} {:<14} {:<8} {:>6} {:>10}", "NAME", "IMAGE ID", "ARCH", "LAYERS", "SIZE");
    for f in found {
        match f.image {
            Ok(img) => {
                let id = img.config_digest.hex();
                let short = id.get(..12).unwrap_or("");
                let size: u64 = img.layers.iter().map(|l| l.blob.map_or(0, |(_, s)| s)).sum();
                let _ = writeln!(
                    out,
                    "{:<16} {:<14} {:<8} {:>6} {:>7} KiB",
                    f.name,
                    short,
                    img.config.architecture,
                    img.layers.len(),
                    size / 1024
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{:<16} error: {e}", f.name);
            }
        }
    }
    Ok(())
}
