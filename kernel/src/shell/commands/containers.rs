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

const USAGE: &str = "usage: oci-runtime <create|start|run|state|kill|exec|ps|delete|list> ... (see `help oci-runtime`)";

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
            // Without a terminal the container runs on its own (runc start);
            // with process.terminal it owns the console until its init exits.
            let id = one_id("start", rest)?;
            let attach = if runtime::wants_terminal(id)? { runtime::Attach::Foreground } else { runtime::Attach::Background };
            match runtime::start(id, attach)? {
                Some(status) => report_exit(id, status),
                None => Ok(()),
            }
        }
        "run" => {
            let detach = rest.first().is_some_and(|a| a == "-d" || a == "--detach");
            let rest = if detach { &rest[1..] } else { rest };
            let (id, image, command) = id_and_image("run", rest)?;
            runtime::create(&id, &image, command)?;
            let attach = if detach { runtime::Attach::Background } else { runtime::Attach::Foreground };
            match runtime::start(&id, attach)? {
                Some(status) => report_exit(&id, status),
                None => Ok(()),
            }
        }
        "kill" => {
            let all = rest.first().is_some_and(|a| a == "--all" || a == "-a");
            let rest = if all { &rest[1..] } else { rest };
            let (id, sig) = match rest {
                [id] => (id, "TERM"),
                [id, sig] => (id, sig.as_str()),
                [] => return Err(String::from("kill: missing container id")),
                _ => return Err(String::from("kill: usage: kill [--all] <id> [SIGNAL]")),
            };
            let signo = runtime::parse_signal(sig).ok_or_else(|| alloc::format!("kill: unknown signal '{sig}'"))?;
            runtime::kill(id, signo, all)
        }
        "exec" => {
            let [id, cmd @ ..] = rest else { return Err(String::from("exec: missing container id")) };
            if cmd.is_empty() {
                return Err(String::from("exec: missing command"));
            }
            let status = runtime::exec(id, cmd)?;
            match status {
                crate::task::ExitStatus::Exited(0) => Ok(()),
                s => Err(alloc::format!("exec failed: exit status {}", s.shell_code())),
            }
        }
        "ps" => {
            let id = one_id("ps", rest)?;
            let _ = writeln!(out, "{:>6} {:>6} {} {:>8} CMD", "PID", "NSPID", "S", "TIME");
            for (pid, vpid, state, ticks, cmd) in runtime::ps(id)? {
                let _ = writeln!(out, "{pid:>6} {vpid:>6} {state} {:>8} {cmd}", crate::shell::commands::processes::cpu_time(ticks));
            }
            Ok(())
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
        other => Err(alloc::format!("unknown verb '{other}'; {USAGE}")),
    }
}
