//! Threads hammering one namespace: no deadlock, consistent results.

use std::sync::Arc;
use std::thread;

use errno::Errno;
use vfs::{Cred, ManualClock, TmpFs, TmpFsOptions, Vfs};

use crate::common::T0;

fn shared_vfs() -> Arc<Vfs> {
    let clock = Arc::new(ManualClock::new(T0));
    Arc::new(Vfs::new(TmpFs::new(clock, TmpFsOptions::default())))
}

#[test]
fn parallel_create_write_rename_unlink_readdir() {
    let vfs = shared_vfs();
    let root = Cred::root();
    vfs.mkdir(&root, &vfs.root(), "/shared", 0o777).unwrap();
    vfs.mkdir(&root, &vfs.root(), "/other", 0o777).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let vfs = vfs.clone();
            thread::spawn(move || {
                let root = Cred::root();
                let cwd = vfs.root();
                let own = format!("/t{t}");
                vfs.mkdir(&root, &cwd, &own, 0o755).unwrap();
                for i in 0..200 {
                    let f = format!("{own}/f{i}");
                    vfs.write_file(&root, &cwd, &f, format!("{t}:{i}").as_bytes(), 0o644).unwrap();
                    assert_eq!(vfs.read_file(&root, &cwd, &f).unwrap(), format!("{t}:{i}").as_bytes());
                    // Shared names: every outcome must be a clean errno.
                    let shared = format!("/shared/s{}", i % 5);
                    let _ = vfs.write_file(&root, &cwd, &shared, b"x", 0o644);
                    match vfs.rename(&root, &cwd, &shared, &format!("/other/s{}", i % 3)) {
                        Ok(()) | Err(Errno::ENOENT) => {}
                        Err(e) => panic!("rename: {e:?}"),
                    }
                    let _ = vfs.open_dir_entries(&root, &cwd, "/shared").unwrap();
                    let _ = vfs.open_dir_entries(&root, &cwd, "/other").unwrap();
                    if i % 2 == 0 {
                        vfs.unlink(&root, &cwd, &f).unwrap();
                    }
                }
                let names = vfs.open_dir_entries(&root, &cwd, &own).unwrap();
                assert_eq!(names.len(), 2 + 100);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let root_entries = vfs.open_dir_entries(&root, &vfs.root(), "/").unwrap();
    assert_eq!(root_entries.len(), 2 + 2 + 4);
    assert_eq!(vfs.stat(&root, &vfs.root(), "/").unwrap().meta.nlink, 2 + 2 + 4);
}

#[test]
fn crossing_directory_renames_never_make_cycles() {
    for _ in 0..20 {
        let vfs = shared_vfs();
        let root = Cred::root();
        vfs.mkdir(&root, &vfs.root(), "/a", 0o755).unwrap();
        vfs.mkdir(&root, &vfs.root(), "/b", 0o755).unwrap();
        let moves = [("/a", "/b/a"), ("/b", "/a/b")];
        let threads: Vec<_> = moves
            .iter()
            .map(|&(from, to)| {
                let vfs = vfs.clone();
                thread::spawn(move || vfs.rename(&Cred::root(), &vfs.root(), from, to))
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(results.iter().filter(|r| r.is_ok()).count() <= 1, "{results:?}");
        // Everything is still reachable from the root: no detached cycle.
        let names = vfs.open_dir_entries(&root, &vfs.root(), "/").unwrap();
        assert_eq!(names.len(), 2 + results.iter().filter(|r| r.is_err()).count());
    }
}
