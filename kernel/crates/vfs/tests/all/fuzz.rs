//! Fuzz-style tests: arbitrary paths and operation sequences never panic,
//! and tmpfs invariants hold afterwards.

use proptest::prelude::*;
use vfs::FileKind;

use crate::common::env;

fn path_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof!["/", "a", "b", "l", ".", "..", "//", "\u{0}", "é"], 0..12)
        .prop_map(|parts| parts.concat())
}

#[derive(Debug, Clone)]
enum Op {
    Mkdir(String),
    Write(String),
    Symlink(String, String),
    Link(String, String),
    Unlink(String),
    Rmdir(String),
    Rename(String, String),
    Truncate(String, u64),
    Stat(String),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let p = path_strategy;
    prop_oneof![
        p().prop_map(Op::Mkdir),
        p().prop_map(Op::Write),
        (p(), p()).prop_map(|(a, b)| Op::Symlink(a, b)),
        (p(), p()).prop_map(|(a, b)| Op::Link(a, b)),
        p().prop_map(Op::Unlink),
        p().prop_map(Op::Rmdir),
        (p(), p()).prop_map(|(a, b)| Op::Rename(a, b)),
        (p(), 0u64..20_000).prop_map(|(a, n)| Op::Truncate(a, n)),
        p().prop_map(Op::Stat),
    ]
}

/// Every directory's nlink is 2 plus its subdirectories, and the tree is
/// finite (no cycles).
fn check_tree(e: &crate::common::Env, path: &str, depth: usize) {
    assert!(depth < 64, "tree too deep: cycle?");
    let entries = e.vfs.open_dir_entries(&e.root, &e.cwd(), path).unwrap();
    let mut subdirs = 0;
    for entry in entries.iter().skip(2) {
        if entry.kind == FileKind::Directory {
            subdirs += 1;
            check_tree(e, &format!("{}/{}", path.trim_end_matches('/'), entry.name), depth + 1);
        }
    }
    assert_eq!(e.stat(path).meta.nlink, 2 + subdirs, "{path}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn resolution_never_panics(path in path_strategy(), follow in any::<bool>()) {
        let e = env();
        e.mkdir("/a");
        e.symlink("a/../l", "/l");
        e.symlink("/a", "/a/b");
        let _ = e.vfs.resolve(&e.cwd(), &path, follow);
        let _ = e.vfs.resolve_parent(&e.cwd(), &path);
    }

    #[test]
    fn operation_sequences_keep_invariants(ops in proptest::collection::vec(op_strategy(), 1..40)) {
        let e = env();
        let (r, c) = (&e.root, e.cwd());
        for op in ops {
            let _ = match op {
                Op::Mkdir(p) => e.vfs.mkdir(r, &c, &p, 0o755).map(drop),
                Op::Write(p) => e.vfs.write_file(r, &c, &p, b"data", 0o644),
                Op::Symlink(t, p) => e.vfs.symlink(r, &c, &t, &p).map(drop),
                Op::Link(a, b) => e.vfs.link(r, &c, &a, &b),
                Op::Unlink(p) => e.vfs.unlink(r, &c, &p),
                Op::Rmdir(p) => e.vfs.rmdir(r, &c, &p),
                Op::Rename(a, b) => e.vfs.rename(r, &c, &a, &b),
                Op::Truncate(p, n) => e.vfs.truncate(r, &c, &p, n),
                Op::Stat(p) => e.vfs.stat(r, &c, &p).map(drop),
            };
        }
        check_tree(&e, "/", 0);
    }
}
