//! Random operation sequences on an overlay behave as on a plain tmpfs holding the same
//! merged tree: the same results (errno included) and the same tree afterwards. The one
//! known difference, renaming a directory with lower parts (`EXDEV` here), is skipped.

mod common;

use std::sync::Arc;

use common::*;
use errno::Errno;
use proptest::prelude::*;
use vfs::{Cred, DevId, FileKind, Location, ManualClock, OpenFlags, TmpFs, TmpFsOptions, Vfs};

const PATHS: [&str; 12] = ["/a", "/a/x", "/a/y", "/a/sub", "/a/sub/z", "/b", "/b/x", "/c", "/c/deep", "/c/deep/f", "/n", "/n/q"];

#[derive(Clone, Debug)]
enum Op {
    Write(usize, u8),
    Append(usize, u8),
    Unlink(usize),
    Mkdir(usize),
    Rmdir(usize),
    Rename(usize, usize),
    Chmod(usize, u32),
    Truncate(usize, u8),
    Symlink(usize, usize),
    Link(usize, usize),
    Hold(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATHS.len();
    prop_oneof![
        (p.clone(), any::<u8>()).prop_map(|(a, b)| Op::Write(a, b)),
        (p.clone(), any::<u8>()).prop_map(|(a, b)| Op::Append(a, b)),
        p.clone().prop_map(Op::Unlink),
        p.clone().prop_map(Op::Mkdir),
        p.clone().prop_map(Op::Rmdir),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        (p.clone(), 0u32..0o1000).prop_map(|(a, m)| Op::Chmod(a, m)),
        (p.clone(), any::<u8>()).prop_map(|(a, l)| Op::Truncate(a, l)),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Symlink(a, b)),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Link(a, b)),
        p.prop_map(Op::Hold),
    ]
}

fn lowers() -> Vec<Arc<dyn vfs::FileSystem>> {
    let bottom = layer(&[
        ("a/x", Spec::File(b"bottom x")),
        ("a/sub/z", Spec::File(b"z")),
        ("b/x", Spec::File(b"b x")),
        ("c/deep/f", Spec::File(b"deep f")),
        ("n/q", Spec::File(b"hidden by the opaque n")),
    ]);
    let top = layer(&[
        ("a/y", Spec::File(b"top y")),
        ("b", Spec::Opaque(0o755)),
        ("b/x", Spec::File(b"top b x")),
        ("c/deep/f", Spec::Whiteout),
        ("n", Spec::File(b"n is a file on top")),
    ]);
    vec![top, bottom]
}

/// A tmpfs holding a copy of `from`'s tree.
fn model_of(from: &Vfs, cred: &Cred) -> Vfs {
    let clock = Arc::new(ManualClock::new(T0));
    let model = Vfs::new(TmpFs::new(clock, TmpFsOptions { root_perm: 0o755, ..TmpFsOptions::default() }));
    for (path, (kind, perm, _, data)) in tree(from, cred) {
        match kind {
            FileKind::Directory => {
                model.mkdir(cred, &model.root(), &path, perm).unwrap();
            }
            FileKind::Regular => {
                model.write_file(cred, &model.root(), &path, &data, perm).unwrap();
                model.chmod(cred, &model.root(), &path, perm).unwrap();
            }
            FileKind::Symlink => {
                model.symlink(cred, &model.root(), std::str::from_utf8(&data).unwrap(), &path).unwrap();
            }
            other => panic!("unexpected {other:?} at {path}"),
        }
    }
    model
}

fn apply(ns: &Vfs, cred: &Cred, op: &Op, held: &mut Vec<Location>) -> Result<(), Errno> {
    let cwd = ns.root();
    let p = |i: &usize| PATHS[*i];
    match op {
        Op::Write(i, b) => ns.write_file(cred, &cwd, p(i), &vec![*b; usize::from(*b % 9)], 0o644),
        Op::Append(i, b) => {
            let f = ns.open(cred, &cwd, p(i), OpenFlags { write: true, ..OpenFlags::default() }, 0)?;
            let end = f.metadata()?.size;
            f.inode().write_at(end, &[*b]).map(|_| ())
        }
        Op::Unlink(i) => ns.unlink(cred, &cwd, p(i)),
        Op::Mkdir(i) => ns.mkdir(cred, &cwd, p(i), 0o755).map(|_| ()),
        Op::Rmdir(i) => ns.rmdir(cred, &cwd, p(i)),
        Op::Rename(a, b) => ns.rename(cred, &cwd, p(a), p(b)),
        Op::Chmod(i, m) => ns.chmod(cred, &cwd, p(i), *m),
        Op::Truncate(i, l) => ns.truncate(cred, &cwd, p(i), u64::from(*l % 12)),
        Op::Symlink(a, b) => ns.symlink(cred, &cwd, p(a), p(b)).map(|_| ()),
        Op::Link(a, b) => ns.link(cred, &cwd, p(a), p(b)),
        Op::Hold(i) => {
            held.push(ns.resolve(&cwd, p(i), false)?);
            Ok(())
        }
    }
}

#[test]
fn the_merged_start() {
    let e = env(lowers());
    let t = tree(&e.vfs, &e.root);
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(names, ["/a", "/a/sub", "/a/sub/z", "/a/x", "/a/y", "/b", "/b/x", "/c", "/c/deep", "/n"]);
    assert_eq!(t["/b/x"].3, b"top b x");
    let _ = DevId::NONE;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn behaves_like_a_plain_filesystem(ops in proptest::collection::vec(op(), 1..40)) {
        let e = env(lowers());
        let model = model_of(&e.vfs, &e.root);
        let (mut held_o, mut held_m) = (Vec::new(), Vec::new());
        for op in &ops {
            let got = apply(&e.vfs, &e.root, op, &mut held_o);
            if let (Op::Rename(a, _), Err(Errno::EXDEV)) = (op, &got) {
                let st = e.vfs.lstat(&e.root, &e.vfs.root(), PATHS[*a]).unwrap();
                prop_assert_eq!(st.meta.kind, FileKind::Directory, "EXDEV only for directories");
                continue;
            }
            let want = apply(&model, &e.root, op, &mut held_m);
            prop_assert_eq!(got, want, "{:?}", op);
        }
        let (a, b) = (tree(&e.vfs, &e.root), tree(&model, &e.root));
        prop_assert_eq!(a, b);
    }
}
