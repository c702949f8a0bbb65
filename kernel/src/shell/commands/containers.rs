//! Container commands: `images` now; `oci-runtime` with issue 4.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
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

const USAGE: &str = "usage: oci-runtime <create|start|run|state|delete|list> ... (see `help oci-runtime`)";

/// `[--image NAME] ID [COMMAND...]` of create/run: the id, the image, and a
/// command replacing the image's (as `docker run IMAGE COMMAND` does).
/// runc's `--bundle` is not supported yet.
fn id_and_image(cmd: &str, args: &[String]) -> Result<(String, String, Vec<String>), String> {
    let mut image = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--image" => image = Some(it.next().ok_or_else(|| alloc::format!("{cmd}: --image needs a name"))?.clone()),
            "--bundle" | "-b" => return Err(alloc::format!("{cmd}: --bundle: runtime bundles are not supported yet; use --image NAME")),
            flag if flag.starts_with('-') => return Err(alloc::format!("{cmd}: unknown option '{flag}'")),
            id => {
                let image = image.ok_or_else(|| alloc::format!("{cmd}: --image NAME is required before the id (see `images`)"))?;
                return Ok((id.to_string(), image, it.cloned().collect()));
            }
        }
    }
    Err(alloc::format!("{cmd}: missing container id"))
}

fn one_id<'a>(cmd: &str, args: &'a [String]) -> Result<&'a str, String> {
    match args {
        [id] => Ok(id.as_str()),
        [] => Err(alloc::format!("{cmd}: missing container id")),
        _ => Err(alloc::format!("{cmd}: expected one container id")),
    }
}

fn report_exit(id: &str, status: crate::task::ExitStatus) -> CmdResult {
    match status {
        crate::task::ExitStatus::Exited(0) => Ok(()),
        crate::task::ExitStatus::Exited(code) => Err(alloc::format!("container '{id}' exited with status {code}")),
        crate::task::ExitStatus::Signaled(sig, _) => Err(alloc::format!("container '{id}' was killed by signal {sig}")),
    }
}

pub fn oci_runtime(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    use crate::container::runtime;
    let Some((verb, rest)) = args.split_first() else { return Err(String::from(USAGE)) };
    match verb.as_str() {
        "create" => {
            let (id, image, command) = id_and_image("create", rest)?;
            runtime::create(&id, &image, command)
        }
        "start" => {
            let id = one_id("start", rest)?;
            let status = runtime::start(id)?;
            report_exit(id, status)
        }
        "run" => {
            let (id, image, command) = id_and_image("run", rest)?;
            runtime::create(&id, &image, command)?;
            let status = runtime::start(&id)?;
            report_exit(&id, status)
        }
        "state" => {
            let id = one_id("state", rest)?;
            let _ = writeln!(out, "{}", runtime::state(id)?);
            Ok(())
        }
        "delete" => {
            let force = rest.first().is_some_and(|a| a == "--force" || a == "-f");
            let rest = if force { &rest[1..] } else { rest };
            runtime::delete(one_id("delete", rest)?, force)
        }
        "list" => {
            let _ = writeln!(out, "{:<16} {:>6} {:<10} IMAGE", "ID", "PID", "STATUS");
            for (id, pid, status, image) in runtime::list() {
                let _ = writeln!(out, "{id:<16} {pid:>6} {:<10} {image}", status.as_str());
            }
            Ok(())
        }
        "kill" | "exec" | "ps" => Err(alloc::format!(
            "{verb}: not yet: a container's process runs in the foreground until it exits (threads and a scheduler come next)"
        )),
        other => Err(alloc::format!("unknown verb '{other}'; {USAGE}")),
    }
}
