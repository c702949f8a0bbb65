//! Reading real GNU and PAX archives and hand-built corner cases.

use ocitar::builder::{header_block, set_checksum, HeaderSpec, TarBuilder};
use ocitar::{decompress, Archive, Entry, EntryKind, TarError, MAX_PATH};

const GNU: &[u8] = include_bytes!("data/gnu.tar.gz");
const PAX: &[u8] = include_bytes!("data/pax.tar.gz");

fn entries(tar: &[u8]) -> Vec<Entry<'_>> {
    Archive::new(tar).collect::<Result<Vec<_>, _>>().unwrap()
}

fn long_dir() -> String {
    "d".repeat(60)
}

/// Both fixtures were made by GNU tar from the same tree (`--owner=1000 --group=100
/// --mtime=@1700000000 --sort=name`), one with `--format=gnu`, one with `--format=pax`.
fn check_fixture(tar: &[u8]) {
    let all = entries(tar);
    let d = long_dir();
    let paths: Vec<&str> = all.iter().map(|e| e.path.as_str()).collect();
    let deep = format!("./{d}/{d}/file-with-a-long-name.txt");
    let link = format!("./link-{d}{d}");
    assert_eq!(
        paths,
        [
            "./",
            &format!("./{d}/"),
            &format!("./{d}/{d}/"),
            &deep,
            "./fifo",
            "./hard.txt",
            "./hello.txt",
            &link,
            "./sub/",
            "./sub/rel"
        ]
    );
    let by_path = |p: &str| all.iter().find(|e| e.path == p).unwrap();
    let file = by_path(&deep);
    assert_eq!(file.kind, EntryKind::File);
    assert_eq!(file.data, b"deep file\n");
    assert_eq!((file.uid, file.gid, file.mode, file.mtime), (1000, 100, 0o644, 1_700_000_000));
    let hard = by_path("./hard.txt");
    assert_eq!((hard.kind.clone(), hard.mode, hard.data), (EntryKind::File, 0o4755, &b"hello\n"[..]));
    assert_eq!(by_path("./hello.txt").kind, EntryKind::HardLink("./hard.txt".into()));
    assert_eq!(by_path("./hello.txt").data, b"");
    assert_eq!(by_path(&link).kind, EntryKind::Symlink(deep[2..].into()));
    assert_eq!(by_path("./sub/rel").kind, EntryKind::Symlink("../hello.txt".into()));
    assert_eq!(by_path("./fifo").kind, EntryKind::Fifo);
    assert_eq!(by_path("./sub/").kind, EntryKind::Dir);
}

#[test]
fn reads_gnu_format_with_long_names_and_links() {
    check_fixture(&decompress(GNU, 1 << 20).unwrap());
}

#[test]
fn reads_pax_format() {
    check_fixture(&decompress(PAX, 1 << 20).unwrap());
}

#[test]
fn builder_round_trip_with_devices_and_long_names() {
    let long = format!("{}/{}", "x".repeat(150), "y".repeat(150));
    let tar = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/passwd", 0o644, b"root:x:0:0::/root:/bin/sh\n")
        .entry(&HeaderSpec { dev: (1, 3), ..HeaderSpec::new("dev/null", b'3', 0o666) }, &[])
        .entry(&HeaderSpec { dev: (8, 1), ..HeaderSpec::new("dev/sda1", b'4', 0o660) }, &[])
        .file(&long, 0o600, b"x")
        .symlink("l", &long)
        .finish();
    let all = entries(&tar);
    assert_eq!(all[2].kind, EntryKind::CharDevice { major: 1, minor: 3 });
    assert_eq!(all[3].kind, EntryKind::BlockDevice { major: 8, minor: 1 });
    assert_eq!(all[4].path, long);
    assert_eq!(all[4].mode, 0o600);
    assert_eq!(all[5].kind, EntryKind::Symlink(long.clone()));
    assert_eq!(all.len(), 6);
}

#[test]
fn pax_overrides_header_fields() {
    let tar = TarBuilder::new()
        .pax(&[("uid", "4000000000"), ("gid", "7"), ("mtime", "-5.5"), ("path", "from/pax")])
        .file("ignored", 0o644, b"abc")
        .finish();
    let e = &entries(&tar)[0];
    assert_eq!((e.path.as_str(), e.uid, e.gid, e.mtime), ("from/pax", 4_000_000_000, 7, -6));
}

#[test]
fn pax_size_governs_data_length() {
    let mut b = TarBuilder::new();
    b.pax(&[("size", "3")]);
    // The ustar size field says 0; the PAX record says 3.
    b.raw(&header_block(&HeaderSpec::new("f", b'0', 0o644), 0), b"xyz");
    b.file("next", 0o644, b"n");
    let tar = b.finish();
    let all = entries(&tar);
    assert_eq!(all[0].data, b"xyz");
    assert_eq!(all[1].path, "next");
}

#[test]
fn ustar_prefix_and_v7_directory() {
    let mut h = header_block(&HeaderSpec::new("name", b'0', 0o644), 0);
    h[345..351].copy_from_slice(b"prefix");
    set_checksum(&mut h);
    let mut v7 = header_block(&HeaderSpec::new("olddir/", 0, 0o755), 0);
    v7[257..265].fill(0);
    set_checksum(&mut v7);
    let tar = TarBuilder::new().raw(&h, &[]).raw(&v7, &[]).finish();
    let all = entries(&tar);
    assert_eq!(all[0].path, "prefix/name");
    assert_eq!(all[1].kind, EntryKind::Dir);
}

#[test]
fn base256_numbers_in_headers() {
    let mut h = header_block(&HeaderSpec::new("big", b'0', 0o644), 0);
    h[108..116].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0x10, 0]);
    h[136..148].copy_from_slice(&[0xff; 12]);
    set_checksum(&mut h);
    let tar = TarBuilder::new().raw(&h, &[]).finish();
    let e = &entries(&tar)[0];
    assert_eq!((e.uid, e.mtime), (0x1000, -1));
}

#[test]
fn signed_checksum_is_accepted() {
    let mut h = header_block(&HeaderSpec::new("\u{e9}t\u{e9}", b'0', 0o644), 0);
    let signed: i64 = h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { i64::from(b as i8) }).sum();
    h[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    let tar = TarBuilder::new().raw(&h, &[]).finish();
    assert_eq!(entries(&tar)[0].path, "\u{e9}t\u{e9}");
}

#[test]
fn end_of_archive_variants() {
    assert!(entries(&[]).is_empty());
    let mut tar = TarBuilder::new().file("a", 0o644, b"1").finish();
    tar.truncate(1024); // no zero blocks at all
    assert_eq!(entries(&tar).len(), 1);
    tar.truncate(513); // data present, padding cut
    assert_eq!(entries(&tar).len(), 1);
}

#[test]
fn corruption_gives_typed_errors() {
    let good = TarBuilder::new().file("a", 0o644, b"hello").finish();
    let first_err = |tar: &[u8]| Archive::new(tar).find_map(Result::err);

    let mut bad_sum = good.clone();
    bad_sum[0] = b'b';
    assert_eq!(first_err(&bad_sum), Some(TarError::BadChecksum { offset: 0 }));

    assert_eq!(first_err(&good[..512 + 2]), Some(TarError::Truncated { offset: 0 }));
    assert_eq!(first_err(&good[..300]), Some(TarError::Truncated { offset: 0 }));

    let mut bad_mode = header_block(&HeaderSpec::new("m", b'0', 0), 0);
    bad_mode[100..108].copy_from_slice(b"0000x44\0");
    set_checksum(&mut bad_mode);
    let tar = TarBuilder::new().raw(&bad_mode, &[]).finish();
    assert_eq!(first_err(&tar), Some(TarError::BadNumber { field: "mode", offset: 0 }));

    let sparse = TarBuilder::new().raw(&header_block(&HeaderSpec::new("s", b'S', 0o644), 0), &[]).finish();
    assert_eq!(first_err(&sparse), Some(TarError::UnsupportedType { typeflag: b'S', offset: 0 }));

    // A meta header with nothing after it.
    let dangling = TarBuilder::new().pax(&[("path", "x")]).finish();
    assert_eq!(first_err(&dangling), Some(TarError::Truncated { offset: 0 }));

    let too_long = TarBuilder::new().pax(&[("path", &"p".repeat(MAX_PATH + 1))]).file("x", 0o644, b"").finish();
    assert_eq!(first_err(&too_long), Some(TarError::NameTooLong { offset: 0 }));

    let mut non_utf8 = header_block(&HeaderSpec::new("x", b'0', 0o644), 0);
    non_utf8[0] = 0xff;
    set_checksum(&mut non_utf8);
    let tar = TarBuilder::new().raw(&non_utf8, &[]).finish();
    assert_eq!(first_err(&tar), Some(TarError::BadName { offset: 0 }));
}

#[test]
fn iteration_stops_after_an_error() {
    let mut tar = TarBuilder::new().file("a", 0o644, b"1").file("b", 0o644, b"2").finish();
    tar[512 * 2] ^= 1; // corrupt the second header
    let results: Vec<_> = Archive::new(&tar).collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(results[1].is_err());
}
