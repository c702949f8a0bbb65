//! Crate tests: synthetic ELF images for every rule, the real binaries on
//! the host for realism, and fuzzing for "never panics".

mod build;
mod parse;
mod plan;
mod real;
mod stack;
