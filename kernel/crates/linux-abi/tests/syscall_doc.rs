//! `docs/syscalls.md` shows the table the kernel dispatches from: this
//! fails when the declaration (`linux_syscalls!`) changed and the doc was
//! not regenerated (`scripts/syscall-table`).

use linux_abi::syscalls::refresh_doc;

#[test]
fn docs_syscalls_md_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/syscalls.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fresh = refresh_doc(&doc).expect("docs/syscalls.md has the table's marker lines");
    assert!(doc == fresh, "docs/syscalls.md is stale: run scripts/syscall-table");
}
