//! runc's command-line contract: global flags, commands and their flags
//! (both `--flag value` and `--flag=value`, one or two dashes, as Go's
//! urfave/cli takes them), errors as runc's log lines (`time=… level=error
//! msg=…`, or JSON with `--log-format json`) written to `--log` or stderr,
//! exit status 1 for an error and 3 for an unknown command ("No help topic").

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::commands;
use crate::state::DEFAULT_ROOT;

/// Global options.
pub struct Global {
    pub root: PathBuf,
    pub log: Option<PathBuf>,
    pub json_log: bool,
    /// `--debug`: phase timings of create/start as debug lines.
    pub debug: bool,
}

/// A command's parsed flags and positional arguments.
#[derive(Default, Debug)]
pub struct Parsed {
    pub flags: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl Parsed {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, v)| n == name && v != "false")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.flags.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// A flag a command takes: its names (the first is canonical) and whether it takes a value.
pub struct Flag {
    pub names: &'static [&'static str],
    pub value: bool,
}

const fn f(names: &'static [&'static str], value: bool) -> Flag {
    Flag { names, value }
}

pub const USAGE_ERROR: i32 = 1;

/// Parses `args` against `spec`; flags stop at the first positional
/// argument (as urfave/cli without interspersed flags) or `--`.
pub fn parse(args: &[String], spec: &[Flag]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            out.args.extend(args[i + 1..].iter().cloned());
            break;
        }
        if !a.starts_with('-') || a == "-" {
            out.args.extend(args[i..].iter().cloned());
            break;
        }
        let body = a.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let flag = spec.iter().find(|fl| fl.names.contains(&name)).ok_or_else(|| format!("flag provided but not defined: -{name}"))?;
        let canonical = flag.names[0].to_string();
        if flag.value {
            let v = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i).cloned().ok_or_else(|| format!("flag needs an argument: -{name}"))?
                }
            };
            out.flags.push((canonical, v));
        } else {
            out.flags.push((canonical, inline.unwrap_or_else(|| String::from("true"))));
        }
        i += 1;
    }
    Ok(out)
}

const GLOBAL_FLAGS: &[Flag] = &[
    f(&["root"], true),
    f(&["log"], true),
    f(&["log-format"], true),
    f(&["systemd-cgroup"], false),
    f(&["debug"], false),
    f(&["criu"], true),
    f(&["rootless"], true),
    f(&["help", "h"], false),
    f(&["version", "v"], false),
];

pub const HELP: &str = "NAME:
   cyrius-runtime - Open Container Initiative runtime that runs each container in a Cyrius microVM

USAGE:
   cyrius-runtime [global options] command [command options] [arguments...]

COMMANDS:
   create      create a container
   delete      delete any resources held by the container often used with detached container
   exec        execute new process inside the container
   features    show the enabled features
   kill        kill sends the specified signal (default: SIGTERM) to the container's init process
   list        lists containers started by cyrius-runtime with the given root
   ps          ps displays the processes running inside a container
   run         create and run a container
   start       executes the user defined process in a created container
   state       output the state of a container
   help, h     Shows a list of commands or help for one command

GLOBAL OPTIONS:
   --debug             enable debug logging
   --log value         set the log file to write runtime logs to (default is '/dev/stderr')
   --log-format value  set the log format ('text' (default), or 'json') (default: \"text\")
   --root value        root directory for storage of container state (default: \"/run/cyrius-runtime\")
   --systemd-cgroup    accepted for compatibility (the microVM is the boundary)
   --help, -h          show help
   --version, -v       print the version
";

/// RFC 3339 UTC time of now, as logrus prints it.
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    rfc3339(now.as_secs() as i64, None)
}

/// `secs` as RFC 3339 UTC, with `nanos` if given (Go's RFC3339Nano).
pub fn rfc3339(secs: i64, nanos: Option<u32>) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let frac = match nanos {
        Some(0) | None => String::new(),
        Some(n) => format!(".{:09}", n).trim_end_matches('0').to_string(),
    };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

impl Global {
    /// Writes an error as runc does (to `--log`, else stderr).
    pub fn error(&self, msg: &str) {
        self.log_line("error", msg);
    }

    /// A debug line (only with `--debug`).
    pub fn debug(&self, msg: &str) {
        if self.debug {
            self.log_line("debug", msg);
        }
    }

    fn log_line(&self, level: &str, msg: &str) {
        let line = if self.json_log {
            serde_json::json!({ "level": level, "msg": msg, "time": now_rfc3339() }).to_string()
        } else {
            format!("time=\"{}\" level={level} msg={}", now_rfc3339(), serde_json::Value::String(msg.to_string()))
        };
        if let Some(path) = &self.log {
            if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(f, "{line}");
                return;
            }
        }
        eprintln!("{line}");
    }
}

/// Runs the command line; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let parsed = match parse(args, GLOBAL_FLAGS) {
        Ok(p) => p,
        Err(e) => {
            println!("Incorrect Usage. {e}\n");
            print!("{HELP}");
            eprintln!("time=\"{}\" level=error msg=\"{e}\"", now_rfc3339());
            return USAGE_ERROR;
        }
    };
    let global = Global {
        root: PathBuf::from(parsed.get("root").unwrap_or(DEFAULT_ROOT)),
        log: parsed.get("log").map(PathBuf::from),
        json_log: parsed.get("log-format") == Some("json"),
        debug: parsed.has("debug"),
    };
    if let Some(fmt) = parsed.get("log-format") {
        if fmt != "json" && fmt != "text" {
            global.error(&format!("invalid log-format: {fmt}"));
            return USAGE_ERROR;
        }
    }
    if parsed.has("version") {
        println!("cyrius-runtime version {}\nspec: 1.0.2", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let Some((command, rest)) = parsed.args.split_first() else {
        print!("{HELP}");
        return 0;
    };
    if parsed.has("help") || command == "help" || command == "h" {
        print!("{HELP}");
        return 0;
    }
    match commands::run(&global, command, rest) {
        Ok(code) => code,
        Err(commands::Failure::Usage(msg)) => {
            global.error(&msg);
            USAGE_ERROR
        }
        Err(commands::Failure::UnknownCommand) => {
            global.error(&format!("No help topic for '{command}'"));
            3
        }
        Err(commands::Failure::Error(msg)) => {
            global.error(&msg);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_as_urfave_cli_takes_them() {
        let spec = [f(&["bundle", "b"], true), f(&["detach", "d"], false)];
        let p = parse(&strings(&["--bundle=/b", "-d", "c1", "--not-a-flag"]), &spec).unwrap();
        assert_eq!(p.get("bundle"), Some("/b"));
        assert!(p.has("detach"));
        assert_eq!(p.args, strings(&["c1", "--not-a-flag"]));
        let p = parse(&strings(&["-b", "/x", "--", "-d"]), &spec).unwrap();
        assert_eq!((p.get("bundle"), p.args.clone()), (Some("/x"), strings(&["-d"])));
        assert_eq!(parse(&strings(&["--bogus"]), &spec).unwrap_err(), "flag provided but not defined: -bogus");
        assert!(parse(&strings(&["--bundle"]), &spec).is_err());
    }

    #[test]
    fn times_as_go_prints_them() {
        assert_eq!(rfc3339(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000, Some(120_000_000)), "2023-11-14T22:13:20.12Z");
        assert_eq!(rfc3339(951_782_400, None), "2000-02-29T00:00:00Z");
    }
}
