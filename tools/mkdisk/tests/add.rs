//! `mkdisk::add`: directories copied into a folder of an existing image made by mkfs.fat,
//! replacing entries of the same name, checked with mtools and fsck.fat.

use std::fs;
use std::path::Path;
use std::process::Command;

use mkdisk::{add, Error};

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name)
        .args(args)
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (run scripts/setup)"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn fsck_clean(image: &Path) {
    let out = Command::new("fsck.fat").arg("-n").arg(image).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let complaints = text.lines().filter(|l| !l.starts_with("fsck.fat ") && !l.contains(" files, ")).count();
    assert!(out.status.success() && complaints == 0, "fsck.fat -n: {text}");
}

fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (name, data) in files {
        let p = root.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }
}

fn listing(img: &str) -> Vec<String> {
    let out = String::from_utf8(tool("mdir", &["-/", "-b", "-i", img, "::/"])).unwrap();
    let mut names: Vec<String> = out.lines().map(|l| l.trim_start_matches("::/").to_string()).collect();
    names.sort();
    names
}

#[test]
fn adds_into_an_existing_image_and_replaces_same_names() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("disk.img");
    fs::File::create(&image).unwrap().set_len(40 << 20).unwrap();
    let img = image.to_str().unwrap();
    tool("mkfs.fat", &["-F", "32", "-s", "1", "-n", "TEST", img]);
    write_tree(&tmp.path().join("seed"), &[("keep.txt", b"user data\n"), ("images/old/x", b"old")]);
    tool("mcopy", &["-s", "-i", img, tmp.path().join("seed/keep.txt").to_str().unwrap(), tmp.path().join("seed/images").to_str().unwrap(), "::/"]);

    // 70 blobs, more than one readdir batch, with 64-hex long names.
    let first = tmp.path().join("first");
    let blobs: Vec<(String, Vec<u8>)> =
        (0..70).map(|i| (format!("app/blobs/sha256/{:064x}", i), vec![i as u8; 700 * i])).collect();
    let refs: Vec<(&str, &[u8])> = blobs.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    write_tree(&first, &refs);
    write_tree(&first, &[("app/index.json", b"{}")]);
    let stats = add(&image, "images", &[first], true).unwrap();
    assert_eq!(stats.files, 71);
    fsck_clean(&image);
    let names = listing(img);
    assert!(names.contains(&"keep.txt".to_string()) && names.contains(&"images/old/x".to_string()), "{names:?}");
    assert!(names.contains(&format!("images/app/blobs/sha256/{:064x}", 69)), "{names:?}");
    assert_eq!(tool("mtype", &["-i", img, &format!("::/images/app/blobs/sha256/{:064x}", 3)]), vec![3u8; 2100]);

    // Adding `app` again replaces the whole directory.
    let second = tmp.path().join("second");
    write_tree(&second, &[("app/index.json", b"{\"v\":2}"), ("app/oci-layout", b"{}")]);
    add(&image, "images", &[second], true).unwrap();
    fsck_clean(&image);
    let names = listing(img);
    let app: Vec<&String> = names.iter().filter(|n| n.starts_with("images/app/")).collect();
    assert_eq!(app, ["images/app/", "images/app/index.json", "images/app/oci-layout"], "old blobs gone");
    assert_eq!(tool("mtype", &["-i", img, "::/images/app/index.json"]), b"{\"v\":2}");
    assert_eq!(tool("mtype", &["-i", img, "::/keep.txt"]), b"user data\n");

    // A folder that does not exist yet is made.
    let third = tmp.path().join("third");
    write_tree(&third, &[("f", b"f")]);
    add(&image, "a/b", &[third], true).unwrap();
    assert_eq!(tool("mtype", &["-i", img, "::/a/b/f"]), b"f");
    fsck_clean(&image);
}

#[test]
fn refuses_what_does_not_fit_and_non_fat_images() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("disk.img");
    fs::File::create(&image).unwrap().set_len(34 << 20).unwrap();
    tool("mkfs.fat", &["-F", "32", "-s", "1", image.to_str().unwrap()]);
    let big = tmp.path().join("big");
    write_tree(&big, &[("huge", &vec![7u8; 40 << 20])]);
    let err = add(&image, "images", &[big], true).unwrap_err();
    assert!(matches!(err, Error::Full { .. }), "{err}");
    assert!(err.to_string().contains("needs about 40.0 MiB"), "{err}");
    fsck_clean(&image);

    let junk = tmp.path().join("junk.img");
    fs::write(&junk, vec![0u8; 1 << 20]).unwrap();
    let err = add(&junk, "images", &[tmp.path().join("big")], true).unwrap_err();
    assert!(err.to_string().contains("not a FAT32 image"), "{err}");
}
