//! Container commands: `images` (with how each is cached: its store layers mounted, or
//! unpacked) and
//! `oci-runtime` (issue 4; containers from images or runtime bundles).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use super::CmdResult;
use crate::container::runtime::{Source, Volume};
use crate::container::{cache, images};
use crate::shell::{Out, Session};

pub fn images(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if let Some(a) = args.first() {
        return Err(alloc::format!("unexpected argument '{a}'"));
    }
    let found = images::list().map_err(|e| alloc::format!("{}: {e}", images::IMAGES_DIR))?;
    let _ = writeln!(out, "{:<16} {:<14} {:<8} {:>6} {:>10} CACHED", "NAME", "IMAGE ID", "ARCH", "LAYERS", "SIZE");
    for f in found {
        match f.image {
            Ok(img) => {
                let id = img.config_digest.hex();
                let short = id.get(..12).unwrap_or("");
                let size: u64 = img.layers.iter().map(|l| l.blob.map_or(0, |(_, s)| s)).sum();
                let _ = writeln!(
                    out,
                    "{:<16} {:<14} {:<8} {:>6} {:>7} KiB {}",
                    f.name,
                    short,
                    img.config.architecture,
                    img.layers.len(),
                    size / 1024,
                    cache::state(&f.name, &img)
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

/// `[--image NAME | --bundle PATH] ID [--image NAME | --bundle PATH] [COMMAND...]`
/// of create/run: the id, where the container comes from, and a command
/// replacing the bundle's args or following the image's Entrypoint in place of its Cmd (as `docker run IMAGE ARGS` does).
/// The options may stand before or right after the id (runc's order, or
/// `create ID --bundle DIR`).
fn parse_create(cmd: &str, args: &[String]) -> Result<(String, Source, Vec<String>, Vec<Volume>), String> {
    let mut source = None;
    let mut id: Option<String> = None;
    let mut volumes = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let kind = match a.as_str() {
            "--image" => "--image",
            "-v" | "--volume" => {
                let value = it.next().ok_or_else(|| alloc::format!("{cmd}: {a} needs HOST-DIR:CONTAINER-DIR"))?;
                volumes.push(Volume::parse(value).map_err(|e| alloc::format!("{cmd}: {a} {value}: {e}"))?);
                continue;
            }
            "--bundle" | "-b" => "--bundle",
            flag if flag.starts_with('-') && id.is_none() => return Err(alloc::format!("{cmd}: unknown option '{flag}'")),
            word if id.is_none() => {
                id = Some(word.to_string());
                continue;
            }
            _ => {
                // The command starts here; put the word back.
                let rest: Vec<String> = core::iter::once(a.clone()).chain(it.cloned()).collect();
                return finish(cmd, id, source, rest, volumes);
            }
        };
        let value = it.next().ok_or_else(|| alloc::format!("{cmd}: {kind} needs a value"))?.clone();
        if source.is_some() {
            return Err(alloc::format!("{cmd}: give one of --image NAME or --bundle PATH"));
        }
        source = Some(if kind == "--image" { Source::Image(value) } else { Source::Bundle(value) });
    }
    finish(cmd, id, source, Vec::new(), volumes)
}

fn finish(
    cmd: &str,
    id: Option<String>,
    source: Option<Source>,
    command: Vec<String>,
    volumes: Vec<Volume>,
) -> Result<(String, Source, Vec<String>, Vec<Volume>), String> {
    let id = id.ok_or_else(|| alloc::format!("{cmd}: missing container id"))?;
    let source = source.ok_or_else(|| alloc::format!("{cmd}: --image NAME or --bundle PATH is required (see `images`)"))?;
    if !volumes.is_empty() && !matches!(source, Source::Image(_)) {
        return Err(alloc::format!("{cmd}: -v is for --image containers (a bundle lists its mounts in config.json)"));
    }
    Ok((id, source, command, volumes))
}

/// runc update's flags: `--cpu-quota N --cpu-period N --cpu-shares N
/// --memory BYTES[k|m|g] --pids-limit N ID`.
fn parse_update(args: &[String]) -> Result<(crate::container::limits::Update, String), String> {
    let mut u = crate::container::limits::Update::default();
    let mut id = None;
    let mut it = args.iter();
    let num = |flag: &str, v: Option<&String>| -> Result<i64, String> {
        let v = v.ok_or_else(|| alloc::format!("update: {flag} needs a value"))?;
        v.parse::<i64>().map_err(|_| alloc::format!("update: {flag}: invalid number '{v}'"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cpu-quota" => u.cpu_quota = Some(num(a, it.next())?),
            "--cpu-period" => u.cpu_period = Some(num(a, it.next())?.max(0) as u64),
            "--cpu-shares" => u.cpu_shares = Some(num(a, it.next())?.max(0) as u64),
            "--pids-limit" => u.pids = Some(num(a, it.next())?),
            "--memory" | "-m" => {
                let v = it.next().ok_or_else(|| String::from("update: --memory needs a value"))?;
                u.memory = Some(if v == "-1" {
                    -1
                } else {
                    shell::parse_size(v).map_err(|e| alloc::format!("update: --memory: {e:?}"))? as i64
                });
            }
            flag if flag.starts_with('-') => return Err(alloc::format!("update: unknown option '{flag}'")),
            other => {
                if id.is_some() {
                    return Err(String::from("update: expected one container id"));
                }
                id = Some(other.to_string());
            }
        }
    }
    Ok((u, id.ok_or_else(|| String::from("update: missing container id"))?))
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

/// A relative `--bundle` path is taken from the shell's working directory, as runc does.
fn absolute(session: &Session, source: Source) -> Source {
    match source {
        Source::Bundle(p) if !p.starts_with('/') => {
            let cwd = session.cwd.path();
            Source::Bundle(alloc::format!("{}/{p}", cwd.trim_end_matches('/')))
        }
        other => other,
    }
}

pub fn oci_runtime(session: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    use crate::container::runtime;
    let Some((verb, rest)) = args.split_first() else { return Err(String::from(USAGE)) };
    match verb.as_str() {
        "create" => {
            let (id, source, command, volumes) = parse_create("create", rest)?;
            runtime::create_with(&id, absolute(session, source), command, &volumes)
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
            let (id, source, command, volumes) = parse_create("run", rest)?;
            runtime::create_with(&id, absolute(session, source), command, &volumes)?;
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
        "update" => {
            let (u, id) = parse_update(rest)?;
            runtime::update(&id, &u)
        }
        "events" => {
            let (stats, rest) = match rest.first() {
                Some(a) if a == "--stats" => (true, &rest[1..]),
                _ => (false, rest),
            };
            if !stats {
                return Err(String::from("events: only --stats is supported (events stream needs --stats)"));
            }
            let id = one_id("events", rest)?;
            let _ = writeln!(out, "{}", runtime::stats(id)?.to_json(id));
            Ok(())
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
