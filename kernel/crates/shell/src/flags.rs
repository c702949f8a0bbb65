//! Command-line option parsing for shell commands, GNU `getopt_long` style:
//! short flags (`-l`, bundled `-la`), long flags (`--force`), options with a
//! value (`-n 5`, `-n5`, `--name v`, `--name=v`), `--` ending options, and a
//! lone `-` as an operand. Options and operands may be mixed in any order.
//! Errors carry GNU's wording (`ls: invalid option -- 'x'`). Long options
//! must be spelled out in full (no unique-prefix abbreviations).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use errno::Errno;

/// One option a command accepts. Build them as constants:
/// `const LONG: Flag = Flag::new('l', "long");`,
/// `const SIZE: Flag = Flag::long("size").with_value();`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    short: Option<char>,
    long: Option<&'static str>,
    takes_value: bool,
}

impl Flag {
    /// An option with both a short and a long name.
    pub const fn new(short: char, long: &'static str) -> Flag {
        Flag {
            short: Some(short),
            long: Some(long),
            takes_value: false,
        }
    }

    /// An option with only a short name (`-l`).
    pub const fn short(short: char) -> Flag {
        Flag {
            short: Some(short),
            long: None,
            takes_value: false,
        }
    }

    /// An option with only a long name (`--force`).
    pub const fn long(long: &'static str) -> Flag {
        Flag {
            short: None,
            long: Some(long),
            takes_value: false,
        }
    }

    /// The same option, requiring a value.
    pub const fn with_value(self) -> Flag {
        Flag {
            takes_value: true,
            ..self
        }
    }
}

/// A command line rejected by [`Flags::parse`]; `Display` gives the message
/// to print, prefixed with the command name as GNU tools do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlagError {
    /// `-x` is not an option of `command`.
    InvalidOption { command: String, option: char },
    /// `--name` is not an option of `command`.
    UnrecognizedOption { command: String, option: String },
    /// `-n` needs a value and none followed.
    ShortNeedsValue { command: String, option: char },
    /// `--name` needs a value and none followed.
    LongNeedsValue { command: String, option: String },
    /// `--name=value` given for an option without a value.
    LongTakesNoValue { command: String, option: String },
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagError::InvalidOption { command, option } => {
                write!(f, "{command}: invalid option -- '{option}'")
            }
            FlagError::UnrecognizedOption { command, option } => {
                write!(f, "{command}: unrecognized option '--{option}'")
            }
            FlagError::ShortNeedsValue { command, option } => {
                write!(f, "{command}: option requires an argument -- '{option}'")
            }
            FlagError::LongNeedsValue { command, option } => {
                write!(f, "{command}: option '--{option}' requires an argument")
            }
            FlagError::LongTakesNoValue { command, option } => {
                write!(
                    f,
                    "{command}: option '--{option}' doesn't allow an argument"
                )
            }
        }
    }
}

impl core::error::Error for FlagError {}

impl From<FlagError> for Errno {
    fn from(_: FlagError) -> Errno {
        Errno::EINVAL
    }
}

/// The options found on a command line and its remaining operands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Each option occurrence in order, with its value if it takes one.
    seen: Vec<(Flag, Option<String>)>,
    operands: Vec<String>,
}

impl Flags {
    /// Parses `args` (the words after the command name) against `spec`.
    /// `command` only prefixes error messages.
    pub fn parse<S: AsRef<str>>(
        command: &str,
        spec: &[Flag],
        args: &[S],
    ) -> Result<Flags, FlagError> {
        let mut flags = Flags::default();
        let mut args = args.iter().map(AsRef::as_ref);
        while let Some(arg) = args.next() {
            if arg == "--" {
                flags.operands.extend(args.by_ref().map(String::from));
            } else if let Some(long) = arg.strip_prefix("--") {
                flags.long_option(command, spec, long, &mut args)?;
            } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
                flags.short_options(command, spec, shorts, &mut args)?;
            } else {
                flags.operands.push(String::from(arg));
            }
        }
        Ok(flags)
    }

    fn long_option<'a>(
        &mut self,
        command: &str,
        spec: &[Flag],
        text: &'a str,
        rest: &mut impl Iterator<Item = &'a str>,
    ) -> Result<(), FlagError> {
        let (name, inline_value) = match text.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        let option = || String::from(name);
        let flag = spec
            .iter()
            .find(|f| f.long == Some(name))
            .copied()
            .ok_or_else(|| FlagError::UnrecognizedOption {
                command: String::from(command),
                option: option(),
            })?;
        let value = match (flag.takes_value, inline_value) {
            (false, None) => None,
            (false, Some(_)) => {
                return Err(FlagError::LongTakesNoValue {
                    command: String::from(command),
                    option: option(),
                })
            }
            (true, Some(value)) => Some(value),
            (true, None) => Some(rest.next().ok_or_else(|| FlagError::LongNeedsValue {
                command: String::from(command),
                option: option(),
            })?),
        };
        self.seen.push((flag, value.map(String::from)));
        Ok(())
    }

    fn short_options<'a>(
        &mut self,
        command: &str,
        spec: &[Flag],
        text: &'a str,
        rest: &mut impl Iterator<Item = &'a str>,
    ) -> Result<(), FlagError> {
        for (index, option) in text.char_indices() {
            let flag = spec
                .iter()
                .find(|f| f.short == Some(option))
                .copied()
                .ok_or_else(|| FlagError::InvalidOption {
                    command: String::from(command),
                    option,
                })?;
            if !flag.takes_value {
                self.seen.push((flag, None));
                continue;
            }
            // The value is the rest of this word, or else the next word.
            let attached = text
                .get(index + option.len_utf8()..)
                .filter(|s| !s.is_empty());
            let value =
                attached
                    .or_else(|| rest.next())
                    .ok_or_else(|| FlagError::ShortNeedsValue {
                        command: String::from(command),
                        option,
                    })?;
            self.seen.push((flag, Some(String::from(value))));
            return Ok(());
        }
        Ok(())
    }

    /// Whether `flag` was given at least once.
    pub fn has(&self, flag: Flag) -> bool {
        self.count(flag) > 0
    }

    /// How many times `flag` was given (`-vv` is 2).
    pub fn count(&self, flag: Flag) -> usize {
        self.seen.iter().filter(|(f, _)| *f == flag).count()
    }

    /// The value given to `flag` (the last one if repeated).
    pub fn value(&self, flag: Flag) -> Option<&str> {
        self.seen
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value given to `flag`, in order.
    pub fn values(&self, flag: Flag) -> impl Iterator<Item = &str> {
        self.seen
            .iter()
            .filter(move |(f, _)| *f == flag)
            .filter_map(|(_, v)| v.as_deref())
    }

    /// The words that are not options, in order.
    pub fn operands(&self) -> &[String] {
        &self.operands
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    const LONG: Flag = Flag::new('l', "long");
    const ALL: Flag = Flag::short('a');
    const FORCE: Flag = Flag::long("force");
    const VERBOSE: Flag = Flag::short('v');
    const SIZE: Flag = Flag::new('s', "size").with_value();
    const SPEC: &[Flag] = &[LONG, ALL, FORCE, VERBOSE, SIZE];

    fn parse(args: &[&str]) -> Result<Flags, FlagError> {
        Flags::parse("ls", SPEC, args)
    }

    fn message(args: &[&str]) -> String {
        format!("{}", parse(args).unwrap_err())
    }

    #[test]
    fn flags_and_operands_mix() {
        let f = parse(&["-la", "/tmp", "--force", "-", "x", "-vv"]).unwrap();
        assert!(f.has(LONG) && f.has(ALL) && f.has(FORCE));
        assert_eq!(f.count(VERBOSE), 2);
        assert!(!f.has(SIZE));
        assert_eq!(f.operands(), ["/tmp", "-", "x"]);
    }

    #[test]
    fn double_dash_ends_options() {
        let f = parse(&["-l", "--", "-a", "--force"]).unwrap();
        assert!(f.has(LONG) && !f.has(ALL));
        assert_eq!(f.operands(), ["-a", "--force"]);
    }

    #[test]
    fn values_in_every_spelling() {
        for args in [
            &["-s", "64M"][..],
            &["-s64M"],
            &["--size", "64M"],
            &["--size=64M"],
            &["-ls64M"],
        ] {
            let f = parse(args).unwrap();
            assert_eq!(f.value(SIZE), Some("64M"), "{args:?}");
            assert!(f.operands().is_empty());
        }
        let f = parse(&["--size=1", "-s", "2", "--size="]).unwrap();
        assert_eq!(f.values(SIZE).collect::<Vec<_>>(), ["1", "2", ""]);
        assert_eq!(f.value(SIZE), Some(""));
    }

    #[test]
    fn gnu_error_messages() {
        assert_eq!(message(&["-lx"]), "ls: invalid option -- 'x'");
        assert_eq!(message(&["--bogus"]), "ls: unrecognized option '--bogus'");
        assert_eq!(message(&["-s"]), "ls: option requires an argument -- 's'");
        assert_eq!(
            message(&["--size"]),
            "ls: option '--size' requires an argument"
        );
        assert_eq!(
            message(&["--force=yes"]),
            "ls: option '--force' doesn't allow an argument"
        );
        assert_eq!(Errno::from(parse(&["-x"]).unwrap_err()), Errno::EINVAL);
    }

    #[test]
    fn owned_strings_work_too() {
        let args = [String::from("-a"), String::from("file")];
        let f = Flags::parse("ls", SPEC, &args).unwrap();
        assert!(f.has(ALL));
        assert_eq!(f.operands(), ["file"]);
    }

    proptest! {
        #[test]
        fn never_panics(args in proptest::collection::vec("[-a-z=é0-9]{0,6}", 0..6)) {
            let _ = Flags::parse("cmd", SPEC, &args);
        }
    }
}
