//! Behaviour of the struct codecs, the dirent encoder and the flag types.

use linux_abi::errno::Errno;
use linux_abi::flags::*;
use linux_abi::structs::*;
use linux_abi::{SyscallArgs, UserSlice};
use proptest::prelude::*;

#[test]
fn stat_image_matches_layout() {
    let stat = Stat {
        st_dev: 0x0102,
        st_ino: 7,
        st_mode: S_IFREG | 0o644,
        st_size: 1234,
        st_mtim: Timespec { tv_sec: 5, tv_nsec: 6 },
        ..Stat::default()
    };
    let bytes = stat.to_bytes();
    assert_eq!(bytes.len(), 144);
    assert_eq!(&bytes[0..8], &0x0102u64.to_le_bytes());
    assert_eq!(&bytes[24..28], &(S_IFREG | 0o644).to_le_bytes());
    assert_eq!(&bytes[48..56], &1234i64.to_le_bytes());
    assert_eq!(&bytes[88..96], &5i64.to_le_bytes());
    assert_eq!(Stat::from_bytes(&bytes), Ok(stat));
    assert_eq!(Stat::from_bytes(&bytes[..143]), Err(Errno::EINVAL));
    assert_eq!(stat.to_vec(), bytes.to_vec());
}

#[test]
fn epoll_event_is_packed() {
    let event = EpollEvent { events: EpollEvents::EPOLLIN.bits(), data: 0x1122_3344_5566_7788 };
    let bytes = event.to_bytes();
    assert_eq!(bytes[..4], [1, 0, 0, 0]);
    assert_eq!(bytes[4..], 0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(EpollEvent::from_bytes(&bytes), Ok(event));
}

#[test]
fn sockaddr_in_is_network_order() {
    let addr = SockaddrIn::new([127, 0, 0, 1], 8080);
    assert_eq!(addr.to_bytes()[..8], [2, 0, 0x1f, 0x90, 127, 0, 0, 1]);
    assert_eq!(addr.port(), 8080);
}

#[test]
fn termios_defaults_match_linux() {
    let t = Termios::linux_default();
    assert_eq!((t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag), (0o2400, 0o5, 0o2277, 0o105073));
    assert_eq!(t.c_cc[VINTR], 3);
    assert_eq!(t.c_cc[VMIN], 1);
    let bytes = t.to_bytes();
    assert_eq!(bytes.len(), 36);
    assert_eq!(bytes[17], 3); // c_cc starts after c_line at 16.
    assert_eq!(Termios::from_bytes(&bytes), Ok(t));
}

#[test]
fn utsname_fields_are_cut_and_terminated() {
    let long = "x".repeat(100);
    let uts = Utsname::new("Linux", &long, "6.1.0", "#1", "x86_64", "(none)");
    let bytes = uts.to_bytes();
    assert_eq!(&bytes[..6], b"Linux\0");
    assert!(bytes[65..129].iter().all(|&b| b == b'x'));
    assert_eq!(bytes[129], 0);
    assert_eq!(&bytes[4 * 65..4 * 65 + 7], b"x86_64\0");
}

#[test]
fn siginfo_constructors() {
    let info = Siginfo::fault(Signal::SIGSEGV, SEGV_MAPERR, 0xdead_beef);
    assert_eq!((info.si_signo, info.si_code, info.addr()), (11, 1, 0xdead_beef));
    let kill = Siginfo::kill(Signal::SIGTERM, SI_USER, 42, 1000);
    assert_eq!((kill.pid(), kill.uid()), (42, 1000));
    let q = Siginfo::queue(Signal::new(40).unwrap(), SI_QUEUE, 1, 2, 99);
    assert_eq!(q.value(), 99);
    let chld = Siginfo::child(CLD_EXITED, 7, 0, 3, 0, 0);
    assert_eq!((chld.si_signo, chld.pid(), chld.status()), (17, 7, 3));
    assert_eq!(Siginfo::from_bytes(&chld.to_bytes()), Ok(chld));
}

#[test]
fn signal_frame_geometry() {
    assert_eq!(RT_SIGFRAME_UC_OFFSET, 8);
    assert_eq!(RT_SIGFRAME_INFO_OFFSET, 312);
    assert_eq!(align_sigframe(0x7fff_0000_0000 - 440), Some(0x7ffe_ffff_fe40 - 8));
    assert_eq!(align_sigframe(0x1f) .map(|sp| (sp + 8) % 16), Some(0));
    assert_eq!(align_sigframe(7), None);
    let action = KernelSigaction { sa_flags: SaFlags::SA_SIGINFO.bits() | 0x0400_0000, sa_mask: 1 << 1, ..Default::default() };
    assert!(action.flags().contains(SaFlags::SA_RESTORER));
    assert!(action.mask().contains(Signal::SIGINT));
}

#[test]
fn dirent64_records() {
    let mut buf = [0xaau8; 64];
    let first = push_dirent64(&mut buf, 1, 1, DT_DIR, b".").unwrap();
    assert_eq!(first, 24);
    let second = push_dirent64(&mut buf[first..], 99, 2, DT_REG, b"hello.txt").unwrap();
    assert_eq!(second, 32);
    assert_eq!(&buf[16..19], &[24, 0, DT_DIR]);
    assert_eq!(&buf[19..24], &[b'.', 0, 0, 0, 0]);
    let entries: Vec<_> = Dirent64Reader::new(&buf[..first + second]).collect();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[1].ino, entries[1].off, entries[1].d_type, entries[1].name), (99, 2, DT_REG, &b"hello.txt"[..]));
    // Does not fit / invalid names.
    assert_eq!(push_dirent64(&mut buf[..23], 1, 1, DT_DIR, b"."), None);
    assert_eq!(push_dirent64(&mut buf, 1, 1, DT_REG, b""), None);
    assert_eq!(push_dirent64(&mut buf, 1, 1, DT_REG, b"a/b"), None);
    assert_eq!(push_dirent64(&mut [0u8; 512], 1, 1, DT_REG, &[b'a'; 256]), None);
    assert_eq!(dirent64_reclen(255), Some(280));
}

#[test]
fn old_dirent_records_put_the_type_in_the_last_byte() {
    let mut buf = [0xaau8; 64];
    // 18 + 1 + 2 = 21, rounded up to 24.
    let first = push_dirent(&mut buf, 7, 1, DT_DIR, b".").unwrap();
    assert_eq!(first, 24);
    assert_eq!(&buf[0..8], &7u64.to_le_bytes());
    assert_eq!(&buf[8..16], &1i64.to_le_bytes());
    assert_eq!(&buf[16..20], &[24, 0, b'.', 0]);
    assert_eq!(buf[23], DT_DIR);
    // 18 + 6 + 2 = 26 -> 32.
    let second = push_dirent(&mut buf[first..], 9, 2, DT_REG, b"abcdef").unwrap();
    assert_eq!(second, 32);
    assert_eq!(buf[first + 31], DT_REG);
    assert_eq!(push_dirent(&mut buf[..23], 1, 1, DT_DIR, b"."), None);
    assert_eq!(push_dirent(&mut buf, 1, 1, DT_REG, b""), None);
    assert_eq!(push_dirent(&mut [0u8; 512], 1, 1, DT_REG, &[b'a'; 256]), None);
}

#[test]
fn flag_debug_names() {
    let flags = OpenFlags::O_WRONLY | OpenFlags::O_CREAT | OpenFlags::O_CLOEXEC;
    assert_eq!(format!("{flags:?}"), "O_WRONLY|O_CREAT|O_CLOEXEC");
    assert_eq!(flags.access_mode(), AccessMode::WriteOnly);
    assert_eq!(format!("{:?}", OpenFlags::from_bits_retain(0x4000_0000)), "0x40000000");
    assert_eq!(format!("{:?}", OpenFlags::empty()), "0x0");
    assert_eq!(OpenFlags::from_bits(0x4000_0000), None);
    assert!(OpenFlags::O_SYNC.contains(OpenFlags::O_DSYNC));
    let clone = CloneFlags::CLONE_VM | CloneFlags::from_bits_retain(17);
    assert_eq!(clone.exit_signal(), 17);
    assert_eq!(clone.without_signal(), CloneFlags::CLONE_VM);
    assert_eq!(MapFlags::MAP_PRIVATE.map_type(), Some(MapType::Private));
    assert_eq!(MapFlags::MAP_FIXED.map_type(), None);
    assert_eq!(ioctl_name(TIOCGWINSZ), Some("TIOCGWINSZ"));
    assert_eq!(fcntl_name(F_DUPFD_CLOEXEC), Some("F_DUPFD_CLOEXEC"));
    assert_eq!(wait_status_exited(3), 0x300);
    assert_eq!(wait_status_signaled(9, true), 0x89);
    assert_eq!(wait_status_stopped(19), 0x137f);
}

#[test]
fn iovec_and_time_checks() {
    let iov = Iovec { iov_base: 0x1000, iov_len: 10 };
    assert_eq!(iov.user_slice(), UserSlice::checked(0x1000, 10));
    assert_eq!(Iovec { iov_base: u64::MAX, iov_len: 2 }.user_slice(), Err(Errno::EFAULT));
    assert_eq!(Timespec { tv_sec: 1, tv_nsec: 1_000_000_000 }.validate(), Err(Errno::EINVAL));
    assert_eq!(Timespec { tv_sec: 1, tv_nsec: 5 }.as_nanos(), Some(1_000_000_005));
    assert_eq!(Timespec::from_nanos(2_500_000_000), Timespec { tv_sec: 2, tv_nsec: 500_000_000 });
    assert_eq!(Timeval::from_nanos(1_500_000), Timeval { tv_sec: 0, tv_usec: 1500 });
    assert_eq!(encode_dev(136, 0), 0x8800);
    assert_eq!(decode_dev(0x8800), (136, 0));
    assert_eq!(decode_dev(encode_dev(0xabc, 0x12345) as u32), (0xabc, 0x12345));
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Stat::from_bytes(&bytes);
        let _ = Statx::from_bytes(&bytes);
        let _ = RtSigframe::from_bytes(&bytes);
        let _ = <Sigcontext as Abi>::read_from(&bytes);
        for entry in Dirent64Reader::new(&bytes) {
            prop_assert!(entry.name.len() <= bytes.len());
        }
    }

    #[test]
    fn images_round_trip(words in proptest::array::uniform32(any::<u64>())) {
        let mut raw = Vec::new();
        for w in words.iter().chain(words.iter()) {
            raw.extend_from_slice(&w.to_le_bytes());
        }
        // Struct without implicit padding: bytes -> struct -> bytes is identity.
        let frame = Sigcontext::from_bytes(&raw[..256]).unwrap();
        prop_assert_eq!(&frame.to_bytes()[..], &raw[..256]);
        let statx = Statx::from_bytes(&raw[..256]).unwrap();
        prop_assert_eq!(Statx::from_bytes(&statx.to_bytes()).unwrap(), statx);
    }

    #[test]
    fn dirent_push_then_read(names in proptest::collection::vec("[a-z.]{1,40}", 1..10), cap in 0usize..400) {
        let mut buf = vec![0u8; cap];
        let mut used = 0;
        let mut pushed = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match push_dirent64(&mut buf[used..], i as u64, i as i64 + 1, DT_REG, name.as_bytes()) {
                Some(len) => { used += len; pushed.push(name.clone()); }
                None => break,
            }
        }
        let read: Vec<_> = Dirent64Reader::new(&buf[..used]).map(|e| String::from_utf8(e.name.to_vec()).unwrap()).collect();
        prop_assert_eq!(read, pushed);
    }

    #[test]
    fn args_never_panic(regs in proptest::array::uniform6(any::<u64>()), i in 0usize..8) {
        let args = SyscallArgs(regs);
        let _ = (args.fd(i), args.dirfd(i), args.usize(i), args.flags::<OpenFlags>(i));
        let _ = (args.flags::<WaitOptions>(i), args.flags_within(i, AtFlags::FSTATAT_VALID));
        let _ = args.buffer(i, (i + 1) % 8);
    }
}

#[test]
fn socket_addresses_decode_like_linux() {
    let sin = SockaddrIn::new([10, 0, 2, 2], 80).to_bytes();
    assert_eq!(SocketAddress::decode(&sin), Ok(SocketAddress::Inet([10, 0, 2, 2], 80)));
    // Short, overlong, unknown family.
    assert_eq!(SocketAddress::decode(&sin[..15]), Err(Errno::EINVAL));
    assert_eq!(SocketAddress::decode(&[0u8; 129]), Err(Errno::EINVAL));
    assert_eq!(SocketAddress::decode(&[1]), Err(Errno::EINVAL));
    assert_eq!(SocketAddress::decode(&[99, 0, 0, 0]), Err(Errno::EAFNOSUPPORT));
    assert_eq!(SocketAddress::decode(&[10, 0, 0, 0]), Err(Errno::EINVAL));
    let mut sin6 = [0u8; 28];
    sin6[0] = 10;
    sin6[2..4].copy_from_slice(&6379u16.to_be_bytes());
    sin6[23] = 1;
    sin6[24] = 5;
    let lo6 = SocketAddress::Inet6 { addr: core::net::Ipv6Addr::LOCALHOST.octets(), port: 6379, flowinfo: 0, scope_id: 5 };
    assert_eq!(SocketAddress::decode(&sin6), Ok(lo6.clone()));
    assert_eq!(lo6.encode(), sin6.to_vec());
    // Without the scope id (RFC 2133's length) it is 0; shorter is EINVAL.
    assert!(matches!(SocketAddress::decode(&sin6[..24]), Ok(SocketAddress::Inet6 { scope_id: 0, port: 6379, .. })));
    assert_eq!(SocketAddress::decode(&sin6[..23]), Err(Errno::EINVAL));
    // AF_UNIX: path up to its NUL or the length, abstract, unnamed.
    let mut un = vec![1u8, 0];
    un.extend_from_slice(b"/dev/log\0garbage");
    assert_eq!(SocketAddress::decode(&un), Ok(SocketAddress::Unix(UnixName::Path(b"/dev/log".to_vec()))));
    assert_eq!(SocketAddress::decode(&un[..6]), Ok(SocketAddress::Unix(UnixName::Path(b"/dev".to_vec()))));
    assert_eq!(SocketAddress::decode(&[1, 0, 0, b'x', b'y']), Ok(SocketAddress::Unix(UnixName::Abstract(b"xy".to_vec()))));
    assert_eq!(SocketAddress::decode(&[1, 0]), Ok(SocketAddress::Unix(UnixName::Unnamed)));
    let mut long = vec![b'x'; 111];
    long[..2].copy_from_slice(&[1, 0]);
    assert_eq!(SocketAddress::decode(&long), Err(Errno::EINVAL));
}

#[test]
fn socket_addresses_encode_with_linux_lengths() {
    assert_eq!(SocketAddress::Inet([127, 0, 0, 1], 8080).encode(), SockaddrIn::new([127, 0, 0, 1], 8080).to_bytes().to_vec());
    assert_eq!(SocketAddress::Unix(UnixName::Unnamed).encode(), vec![1, 0]);
    assert_eq!(SocketAddress::Unix(UnixName::Path(b"/s".to_vec())).encode(), vec![1, 0, b'/', b's', 0]);
    assert_eq!(SocketAddress::Unix(UnixName::Abstract(b"a".to_vec())).encode(), vec![1, 0, 0, b'a']);
    for addr in [SocketAddress::Inet([1, 2, 3, 4], 5), SocketAddress::Unix(UnixName::Path(b"/tmp/x".to_vec()))] {
        assert_eq!(SocketAddress::decode(&addr.encode()), Ok(addr));
    }
}

#[test]
fn msghdr_layout() {
    let m = Msghdr { msg_name: 1, msg_namelen: 2, msg_iov: 3, msg_iovlen: 4, msg_control: 5, msg_controllen: 6, msg_flags: 7 };
    let b = m.to_bytes();
    assert_eq!(&b[8..12], &2u32.to_le_bytes());
    assert_eq!(&b[16..24], &3u64.to_le_bytes());
    assert_eq!(&b[48..52], &7i32.to_le_bytes());
    let mm = Mmsghdr { msg_hdr: m, msg_len: 9 };
    assert_eq!(&mm.to_bytes()[56..60], &9u32.to_le_bytes());
    assert_eq!(Mmsghdr::from_bytes(&mm.to_bytes()), Ok(mm));
}
