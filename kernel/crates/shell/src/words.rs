//! Splitting a command line into words, following POSIX `sh` quoting (no
//! expansions, pipes or redirections).
//!
//! - blanks (space, tab, newline) separate words;
//! - `'…'` is taken literally;
//! - `"…"` is literal except `\"`, `\\`, `\$`, `` \` `` (the backslash goes)
//!   and backslash-newline (both go); any other backslash stays;
//! - outside quotes a backslash takes the next character literally,
//!   backslash-newline joins lines, and a final lone backslash is kept (as
//!   `sh -c` does);
//! - `#` at the start of a word begins a comment running to the end;
//! - quotes glue to neighbouring text (`a"b c"d` is one word) and `""` is an
//!   empty word.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::iter::Peekable;
use core::str::Chars;

use errno::Errno;

/// Why a line could not be split into words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A `'` without its closing partner; `column` (1-based, in characters)
    /// is where it opened.
    UnterminatedSingleQuote { column: usize },
    /// A `"` without its closing partner.
    UnterminatedDoubleQuote { column: usize },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnterminatedSingleQuote { column } => {
                write!(
                    f,
                    "syntax error: unterminated single quote (') opened at column {column}"
                )
            }
            ParseError::UnterminatedDoubleQuote { column } => {
                write!(
                    f,
                    "syntax error: unterminated double quote (\") opened at column {column}"
                )
            }
        }
    }
}

impl core::error::Error for ParseError {}

impl From<ParseError> for Errno {
    fn from(_: ParseError) -> Errno {
        Errno::EINVAL
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

/// The characters of a line, counting columns for error messages.
struct Cursor<'a> {
    chars: Peekable<Chars<'a>>,
    column: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        self.column = self.column.saturating_add(1);
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }
}

/// Splits `line` into words the way `sh` would before running a command.
pub fn parse(line: &str) -> Result<Vec<String>, ParseError> {
    let mut input = Cursor {
        chars: line.chars().peekable(),
        column: 0,
    };
    let mut words = Vec::new();
    let mut word = String::new();
    // A word has started even if it is still empty (after `""`).
    let mut in_word = false;
    while let Some(c) = input.next() {
        match c {
            c if is_blank(c) => {
                if in_word {
                    words.push(core::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                let column = input.column;
                single_quoted(&mut input, &mut word)
                    .ok_or(ParseError::UnterminatedSingleQuote { column })?;
                in_word = true;
            }
            '"' => {
                let column = input.column;
                double_quoted(&mut input, &mut word)
                    .ok_or(ParseError::UnterminatedDoubleQuote { column })?;
                in_word = true;
            }
            '\\' => match input.next() {
                Some('\n') => {}
                Some(escaped) => {
                    word.push(escaped);
                    in_word = true;
                }
                None => {
                    word.push('\\');
                    in_word = true;
                }
            },
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Copies up to the closing `'`; `None` if there is none.
fn single_quoted(input: &mut Cursor<'_>, word: &mut String) -> Option<()> {
    loop {
        match input.next()? {
            '\'' => return Some(()),
            c => word.push(c),
        }
    }
}

/// Copies up to the closing `"`, resolving its few escapes; `None` if unclosed.
fn double_quoted(input: &mut Cursor<'_>, word: &mut String) -> Option<()> {
    loop {
        match input.next()? {
            '"' => return Some(()),
            '\\' => match input.peek() {
                Some('"' | '\\' | '$' | '`') => word.push(input.next()?),
                Some('\n') => {
                    input.next();
                }
                _ => word.push('\\'),
            },
            c => word.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(line: &str) -> Vec<String> {
        parse(line).unwrap()
    }

    #[test]
    fn blanks_separate() {
        assert_eq!(words("  ls\t -l  /tmp \n"), ["ls", "-l", "/tmp"]);
        assert!(words("").is_empty());
        assert!(words(" \t ").is_empty());
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(
            words(r#"echo 'a  b' '\n' '"' '$x'"#),
            ["echo", "a  b", r"\n", "\"", "$x"]
        );
    }

    #[test]
    fn double_quote_escapes() {
        assert_eq!(
            words(r#"echo "a \"b\" \\ \$HOME \` \n 'c'""#),
            ["echo", r#"a "b" \ $HOME ` \n 'c'"#]
        );
        assert_eq!(words("\"a\\\nb\""), ["ab"]);
    }

    #[test]
    fn backslash_outside_quotes() {
        assert_eq!(words(r#"a\ b \'c \\ d\"e"#), ["a b", "'c", "\\", "d\"e"]);
        assert_eq!(words("a\\\nb"), ["ab"]);
        assert_eq!(words(r"trailing\"), [r"trailing\"]);
    }

    #[test]
    fn quotes_glue_and_empty_words() {
        assert_eq!(words(r#"a"b c"d'e'"#), ["ab cde"]);
        assert_eq!(words(r#"x "" '' y"#), ["x", "", "", "y"]);
    }

    #[test]
    fn comments_only_at_word_start() {
        assert_eq!(words("echo a#b # rest 'of"), ["echo", "a#b"]);
        assert_eq!(words("# whole line"), Vec::<String>::new());
        assert_eq!(words(r##"echo "#" '#' \#x"##), ["echo", "#", "#", "#x"]);
    }

    #[test]
    fn unicode_passes_through() {
        assert_eq!(
            words("echo 'héllo wörld' 中文"),
            ["echo", "héllo wörld", "中文"]
        );
    }

    #[test]
    fn unterminated_quotes() {
        assert_eq!(
            parse("echo 'abc"),
            Err(ParseError::UnterminatedSingleQuote { column: 6 })
        );
        assert_eq!(
            parse(r#"é "a\""#),
            Err(ParseError::UnterminatedDoubleQuote { column: 3 })
        );
        let message = alloc::format!("{}", parse("'").unwrap_err());
        assert_eq!(
            message,
            "syntax error: unterminated single quote (') opened at column 1"
        );
        assert_eq!(Errno::from(parse("\"").unwrap_err()), Errno::EINVAL);
    }

    proptest! {
        #[test]
        fn never_panics(line in "[ a'\"\\\\#\\n\\t$`é]{0,40}") {
            let _ = parse(&line);
        }

        #[test]
        fn plain_words_round_trip(list in proptest::collection::vec("[a-z0-9_./-]{1,8}", 0..8)) {
            prop_assert_eq!(parse(&list.join(" ")).unwrap(), list.clone());
            // Single-quoting every word preserves it, whatever it contains.
            let quoted: Vec<String> = list.iter().map(|w| alloc::format!("'{w}'")).collect();
            prop_assert_eq!(parse(&quoted.join("  ")).unwrap(), list);
        }
    }
}
