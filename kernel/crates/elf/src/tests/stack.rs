//! Auxiliary vector and initial stack layout.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::build::*;
use crate::*;
use errno::Errno;
use proptest::prelude::*;

const TOP: u64 = 0x7fff_ffff_f000;
const RANDOM: [u8; 16] = *b"0123456789abcdef";

/// Reads the finished image back the way a libc `_start` would.
struct Reader<'a> {
    image: &'a StackImage,
}

impl Reader<'_> {
    fn offset(&self, addr: u64) -> usize {
        usize::try_from(addr - self.image.rsp).unwrap()
    }

    fn word(&self, addr: u64) -> u64 {
        let at = self.offset(addr);
        u64::from_le_bytes(self.image.bytes[at..at + 8].try_into().unwrap())
    }

    fn c_string(&self, addr: u64) -> Vec<u8> {
        let at = self.offset(addr);
        let len = self.image.bytes[at..].iter().position(|&b| b == 0).unwrap();
        self.image.bytes[at..at + len].to_vec()
    }

    /// Pointers from `addr` up to the NULL, and the address after it.
    fn pointer_list(&self, mut addr: u64) -> (Vec<Vec<u8>>, u64) {
        let mut strings = Vec::new();
        loop {
            let ptr = self.word(addr);
            addr += 8;
            if ptr == 0 {
                return (strings, addr);
            }
            strings.push(self.c_string(ptr));
        }
    }

    fn auxv(&self, mut addr: u64) -> Vec<(u64, u64)> {
        let mut pairs = Vec::new();
        loop {
            let pair = (self.word(addr), self.word(addr + 8));
            pairs.push(pair);
            addr += 16;
            if pair.0 == AT_NULL {
                return pairs;
            }
        }
    }
}

fn plan() -> LoadPlan {
    let file = image(ET_EXEC, 0x40_1000, &static_exe_phdrs(), 0x3000);
    ElfFile::parse(&file).unwrap().load_plan(0).unwrap()
}

fn build(argv: &[&str], envp: &[&str]) -> (StackImage, Vec<(u64, u64)>, StackLayout) {
    let layout = StackLayout::new(TOP, argv, envp, b"/bin/prog", Some(b"x86_64"), RANDOM).unwrap();
    let params = AuxvParams {
        random: layout.random_address(),
        execfn: layout.execfn_address(),
        platform: layout.platform_address(),
        hwcap: 0x178b_fbff,
        uid: 1000,
        euid: 1000,
        gid: 100,
        egid: 100,
        ..AuxvParams::default()
    };
    let auxv = build_auxv(&plan(), &params);
    (layout.clone().finish(&auxv).unwrap(), auxv, layout)
}

#[test]
fn auxv_contents_and_order() {
    let params = AuxvParams {
        interp_base: 0x7f00_0000_0000,
        random: 0x7ffd_0010,
        execfn: 0x7ffd_0fe0,
        platform: Some(0x7ffd_0020),
        vdso: Some(0x7fff_f000_0000),
        min_signal_stack: Some(2048),
        hwcap: 0xbfeb_fbff,
        hwcap2: 2,
        secure: true,
        uid: 1,
        euid: 0,
        gid: 2,
        egid: 3,
        flags: 0,
    };
    let auxv = build_auxv(&plan(), &params);
    let expected = vec![
        (AT_SYSINFO_EHDR, 0x7fff_f000_0000),
        (AT_MINSIGSTKSZ, 2048),
        (AT_HWCAP, 0xbfeb_fbff),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_PHDR, 0x40_0040),
        (AT_PHENT, 56),
        (AT_PHNUM, 2),
        (AT_BASE, 0x7f00_0000_0000),
        (AT_FLAGS, 0),
        (AT_ENTRY, 0x40_1000),
        (AT_UID, 1),
        (AT_EUID, 0),
        (AT_GID, 2),
        (AT_EGID, 3),
        (AT_SECURE, 1),
        (AT_RANDOM, 0x7ffd_0010),
        (AT_HWCAP2, 2),
        (AT_EXECFN, 0x7ffd_0fe0),
        (AT_PLATFORM, 0x7ffd_0020),
        (AT_NULL, 0),
    ];
    assert_eq!(auxv, expected);
    // Optional entries disappear when absent.
    let minimal = build_auxv(&plan(), &AuxvParams::default());
    assert_eq!(minimal.len(), expected.len() - 3);
    assert_eq!(minimal.first(), Some(&(AT_HWCAP, 0)));
}

#[test]
fn stack_layout_follows_the_abi() {
    let argv = ["prog", "-v", "héllo wörld"];
    let envp = ["PATH=/bin", "HOME=/root"];
    let (image, auxv, layout) = build(&argv, &envp);
    let r = Reader { image: &image };
    assert_eq!(image.rsp % 16, 0, "rsp 16-byte aligned at entry");
    assert_eq!(image.rsp + image.bytes.len() as u64, TOP);
    assert_eq!(r.word(image.rsp), 3);
    assert_eq!(image.argc, 3);
    assert_eq!(image.argv, image.rsp + 8);
    let (args, after_argv) = r.pointer_list(image.argv);
    assert_eq!(args, argv.map(|s| s.as_bytes().to_vec()));
    assert_eq!(after_argv, image.envp);
    let (env, after_envp) = r.pointer_list(image.envp);
    assert_eq!(env, envp.map(|s| s.as_bytes().to_vec()));
    assert_eq!(after_envp, image.auxv);
    assert_eq!(r.auxv(image.auxv), auxv);

    // Strings ascend argv, envp, execfn, then 8 zero bytes up to the top.
    let all: Vec<u64> = layout
        .argv_addresses()
        .iter()
        .chain(layout.envp_addresses())
        .copied()
        .collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(layout.argv_addresses()[0], all[0]);
    let execfn = layout.execfn_address();
    assert_eq!(r.c_string(execfn), b"/bin/prog");
    assert_eq!(execfn + b"/bin/prog\0".len() as u64, TOP - 8);
    assert_eq!(r.word(TOP - 8), 0);
    // AT_RANDOM and AT_PLATFORM point at their bytes, below the strings.
    let random = layout.random_address();
    let at = r.offset(random);
    assert_eq!(image.bytes[at..at + 16], RANDOM);
    let platform = layout.platform_address().unwrap();
    assert_eq!(r.c_string(platform), b"x86_64");
    assert_eq!(platform, (all[0] & !15) - 7);
    assert_eq!(random, platform - 16);
    // The table ends below the random bytes.
    assert!(image.auxv + 16 * auxv.len() as u64 <= random);
}

#[test]
fn empty_argv_becomes_one_empty_string() {
    let (image, _, _) = build(&[], &[]);
    let r = Reader { image: &image };
    assert_eq!(image.argc, 1);
    let (args, _) = r.pointer_list(image.argv);
    assert_eq!(args, [Vec::<u8>::new()]);
    let (env, _) = r.pointer_list(image.envp);
    assert!(env.is_empty());
}

#[test]
fn auxv_terminator_is_added_when_missing() {
    let layout = StackLayout::new(TOP, &["a"], &[] as &[&str], b"a", None, RANDOM).unwrap();
    assert_eq!(layout.platform_address(), None);
    let image = layout.finish(&[(AT_PAGESZ, 4096)]).unwrap();
    let r = Reader { image: &image };
    assert_eq!(r.auxv(image.auxv), [(AT_PAGESZ, 4096), (AT_NULL, 0)]);
    assert_eq!(image.rsp % 16, 0);
}

#[test]
fn limits() {
    let none: &[&str] = &[];
    let long = String::from_utf8(vec![b'x'; MAX_ARG_STRLEN - 1]).unwrap();
    assert!(StackLayout::new(TOP, &[long.as_str()], none, b"p", None, RANDOM).is_ok());
    let too_long = String::from_utf8(vec![b'x'; MAX_ARG_STRLEN]).unwrap();
    let error = StackLayout::new(TOP, &[too_long.as_str()], none, b"p", None, RANDOM).unwrap_err();
    assert_eq!(error, StackError::ArgumentTooLong);
    assert_eq!(Errno::from(error), Errno::E2BIG);
    let many = vec![long.as_str(); ARG_LIMIT / MAX_ARG_STRLEN];
    assert_eq!(
        StackLayout::new(TOP, &many, none, b"p", None, RANDOM),
        Err(StackError::ArgumentsTooLarge)
    );
    assert_eq!(
        StackLayout::new(TOP, &["a\0b"], none, b"p", None, RANDOM),
        Err(StackError::EmbeddedNul)
    );
    assert_eq!(
        StackLayout::new(TOP, &["a"], none, b"p\0", None, RANDOM),
        Err(StackError::EmbeddedNul)
    );
    assert_eq!(
        StackLayout::new(24, &["abc"], none, b"prog", None, RANDOM),
        Err(StackError::NoRoom)
    );
    let layout = StackLayout::new(48, &["a"], none, b"p", None, RANDOM).unwrap();
    assert_eq!(layout.finish(&[(AT_NULL, 0)]), Err(StackError::NoRoom));
}

proptest! {
    #[test]
    fn any_arguments_lay_out_correctly(
        argv in proptest::collection::vec("[^\0]{0,12}", 1..6),
        envp in proptest::collection::vec("[^\0]{0,12}", 0..6),
        top_pages in 16u64..0x7_ffff_ffff,
        auxv_len in 0usize..30,
    ) {
        let top = top_pages * 4096;
        let layout = StackLayout::new(top, &argv, &envp, b"/x", None, RANDOM).unwrap();
        let auxv: Vec<(u64, u64)> = (0..auxv_len as u64).map(|i| (100 + i, i)).chain([(AT_NULL, 0)]).collect();
        let image = layout.finish(&auxv).unwrap();
        let r = Reader { image: &image };
        prop_assert_eq!(image.rsp % 16, 0);
        prop_assert_eq!(image.rsp + image.bytes.len() as u64, top);
        let (args, _) = r.pointer_list(image.argv);
        prop_assert_eq!(args, argv.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>());
        let (env, _) = r.pointer_list(image.envp);
        prop_assert_eq!(env, envp.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>());
        prop_assert_eq!(r.auxv(image.auxv), auxv);
    }
}
