//! Behaviour tests. Unless marked otherwise, the expected echo and read
//! results were recorded from Linux 6.18's n_tty through a pty with
//! `tools/pty_oracle.py` (same termios, same input chunks).

use alloc::vec;
use alloc::vec::Vec;

use crate::termios::*;
use crate::{Events, LineDiscipline, ReadCall, ReadResult, Signal, Wait, N_TTY_BUF_SIZE};

fn ld() -> LineDiscipline {
    LineDiscipline::new()
}

fn ld_with(change: impl FnOnce(&mut Termios)) -> LineDiscipline {
    let mut t = Termios::linux_default();
    change(&mut t);
    LineDiscipline::with_termios(t)
}

/// Echo of each chunk fed separately.
fn echoes(ld: &mut LineDiscipline, chunks: &[&[u8]]) -> Vec<Vec<u8>> {
    chunks.iter().map(|chunk| ld.receive(chunk).echo).collect()
}

/// One read(2) with a fresh call, as a non-blocking reader would see it.
fn read(ld: &mut LineDiscipline, size: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0; size];
    match ld.read(&mut ReadCall::new(), &mut buf) {
        ReadResult::Ready(n) => Some(buf[..n].to_vec()),
        ReadResult::Eof => Some(Vec::new()),
        ReadResult::WouldBlock(_) => None,
    }
}

fn raw(change: impl FnOnce(&mut Termios)) -> LineDiscipline {
    ld_with(|t| {
        t.c_lflag &= !(ICANON | ECHO);
        change(t);
    })
}

#[test]
fn canonical_line_is_readable_after_newline_only() {
    let mut l = ld();
    let ev = l.receive(b"abc");
    assert_eq!(ev.echo, b"abc");
    assert!(!ev.wake_readers);
    assert!(!l.readable());
    assert_eq!(l.available(), 0);
    assert_eq!(read(&mut l, 100), None);
    let ev = l.receive(b"\r");
    assert_eq!(ev.echo, b"\r\n"); // ICRNL, then ONLCR on the echo
    assert!(ev.wake_readers);
    assert!(l.readable());
    assert_eq!(l.available(), 4);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"abc\n"[..]));
    assert_eq!(read(&mut l, 100), None);
}

#[test]
fn one_line_per_read_and_short_buffers() {
    let mut l = ld();
    l.receive(b"ab\rcd\r");
    assert_eq!(read(&mut l, 2).as_deref(), Some(&b"ab"[..]));
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"\n"[..]));
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"cd\n"[..]));
    assert_eq!(read(&mut l, 0).as_deref(), Some(&b""[..]));
}

#[test]
fn erase() {
    let mut l = ld();
    assert_eq!(echoes(&mut l, &[b"abx\x7fc", b"\r"]), [&b"abx\x08 \x08c"[..], b"\r\n"]);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"abc\n"[..]));
}

#[test]
fn erase_stops_at_an_empty_line() {
    let mut l = ld();
    assert_eq!(l.receive(b"a\r\x7f\x7fb\r").echo, b"a\r\nb\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"a\n"[..]));
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"b\n"[..]));
}

#[test]
fn erase_without_echoe_echoes_the_erase_character() {
    let mut l = ld_with(|t| t.c_lflag &= !ECHOE);
    assert_eq!(l.receive(b"ab\x7f").echo, b"ab^?");
}

#[test]
fn erase_control_character_takes_two_columns() {
    let mut l = ld();
    assert_eq!(l.receive(b"a\x01\x7f\x7f").echo, b"a^A\x08 \x08\x08 \x08\x08 \x08");
    assert_eq!(read(&mut l, 100), None);
}

#[test]
fn kill_line() {
    let mut l = ld();
    let rubout = b"\x08 \x08".repeat(5);
    let mut expected = b"hello".to_vec();
    expected.extend_from_slice(&rubout);
    expected.extend_from_slice(b"bye\r\n");
    assert_eq!(l.receive(b"hello\x15bye\r").echo, expected);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"bye\n"[..]));

    let mut l = ld_with(|t| t.c_lflag &= !ECHOKE);
    assert_eq!(l.receive(b"hello\x15bye\r").echo, b"hello^U\r\nbye\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"bye\n"[..]));

    let mut l = ld_with(|t| t.c_lflag &= !(ECHOKE | ECHOCTL));
    assert_eq!(l.receive(b"hello\x15").echo, b"hello\x15\r\n");
    assert_eq!(read(&mut l, 100), None);
}

#[test]
fn word_erase() {
    let mut l = ld();
    let mut expected = b"foo bar  ".to_vec();
    expected.extend_from_slice(&b"\x08 \x08".repeat(5));
    expected.extend_from_slice(b"baz\r\n");
    assert_eq!(l.receive(b"foo bar  \x17baz\r").echo, expected);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"foo baz\n"[..]));
}

#[test]
fn iexten_off_disables_werase_lnext_reprint() {
    let mut l = ld_with(|t| t.c_lflag &= !IEXTEN);
    assert_eq!(l.receive(b"ab \x17\x16\x12\r").echo, b"ab ^W^V^R\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab \x17\x16\x12\n"[..]));
}

#[test]
fn utf8_erase_removes_whole_characters() {
    let mut l = ld_with(|t| t.c_iflag |= IUTF8);
    assert_eq!(l.receive(b"x\xc3\xa9\x7f").echo, b"x\xc3\xa9\x08 \x08");
    l.receive(b"\r");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"x\n"[..]));

    let mut l = ld_with(|t| t.c_iflag |= IUTF8);
    assert_eq!(l.receive(b"x \xc3\xa9\xc3\xa9\x17").echo, b"x \xc3\xa9\xc3\xa9\x08 \x08\x08 \x08");
}

#[test]
fn eof_on_empty_line_and_after_text() {
    let mut l = ld();
    let ev = l.receive(b"\x04");
    assert_eq!(ev.echo, b""); // VEOF is never echoed
    assert!(ev.wake_readers);
    assert!(l.readable());
    assert_eq!(l.available(), 0);
    assert_eq!(l.read(&mut ReadCall::new(), &mut [0; 10]), ReadResult::Eof);
    assert_eq!(read(&mut l, 10), None); // the marker was consumed

    // ^D after text pushes the partial line out without a newline.
    let mut l = ld();
    assert_eq!(l.receive(b"abc\x04").echo, b"abc");
    assert_eq!(l.available(), 3);
    assert_eq!(read(&mut l, 10).as_deref(), Some(&b"abc"[..]));
    assert_eq!(read(&mut l, 10), None);
}

#[test]
fn eof_after_exactly_filled_buffer_is_skipped() {
    let mut l = ld();
    l.receive(b"abc\x04");
    assert_eq!(read(&mut l, 3).as_deref(), Some(&b"abc"[..]));
    assert_eq!(read(&mut l, 10), None); // not a spurious EOF

    let mut l = ld();
    l.receive(b"abc\x04");
    assert_eq!(read(&mut l, 2).as_deref(), Some(&b"ab"[..]));
    assert_eq!(read(&mut l, 10).as_deref(), Some(&b"c"[..]));
    assert_eq!(read(&mut l, 10), None);

    let mut l = ld();
    l.receive(b"ab\x04\x04cd\r");
    assert_eq!(read(&mut l, 1).as_deref(), Some(&b"a"[..]));
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"b"[..]));
    assert_eq!(l.read(&mut ReadCall::new(), &mut [0; 100]), ReadResult::Eof);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"cd\n"[..]));
}

#[test]
fn eol_characters_end_lines() {
    let mut l = ld_with(|t| t.c_cc[VEOL] = b'!');
    assert_eq!(l.receive(b"ab!cd\r").echo, b"ab!cd\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab!"[..]));
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"cd\n"[..]));
}

#[test]
fn interrupt_signals_flushes_and_echoes() {
    // One chunk: the echo of "abc" is discarded with the input.
    let mut l = ld();
    let ev = l.receive(b"abc\x03");
    assert_eq!(ev.signals, [Signal::SIGINT]);
    assert_eq!(ev.echo, b"^C");
    assert!(ev.flush_output);
    assert_eq!(l.available(), 0);
    l.receive(b"\r");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"\n"[..]));

    let mut l = ld();
    assert_eq!(echoes(&mut l, &[b"abc", b"\x03"]), [&b"abc"[..], b"^C"]);
    assert_eq!(read(&mut l, 100), None);

    // NOFLSH keeps the line.
    let mut l = ld_with(|t| t.c_lflag |= NOFLSH);
    let ev = l.receive(b"abc\x03");
    assert_eq!((ev.echo.as_slice(), ev.flush_output), (&b"abc^C"[..], false));
    l.receive(b"\r");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"abc\n"[..]));
}

#[test]
fn quit_and_suspend() {
    let mut l = ld();
    let ev = l.receive(b"\x1c\x1a");
    assert_eq!(ev.signals, [Signal::SIGQUIT, Signal::SIGTSTP]);
    assert_eq!(ev.echo, b"^Z"); // the second flush drops the first echo
    let ev = l.receive(b"\x1c");
    assert_eq!(ev.echo, b"^\\");
    // Without ECHOCTL the character itself is echoed.
    let mut l = ld_with(|t| t.c_lflag &= !ECHOCTL);
    assert_eq!(l.receive(b"a\x03").echo, b"\x03");
}

#[test]
fn signal_characters_work_in_raw_mode_and_can_be_disabled() {
    let mut l = raw(|_| {});
    assert_eq!(l.receive(b"\x03").signals, [Signal::SIGINT]);

    let mut l = ld_with(|t| t.c_lflag &= !ISIG);
    let ev = l.receive(b"a\x03\r");
    assert!(ev.signals.is_empty());
    assert_eq!(ev.echo, b"a^C\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"a\x03\n"[..]));

    // A c_cc entry of 0 is disabled: NUL is plain data.
    let mut l = ld_with(|t| t.c_cc[VINTR] = 0);
    let ev = l.receive(b"\x00\x03\r");
    assert!(ev.signals.is_empty());
    assert_eq!(ev.echo, b"^@^C\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"\x00\x03\n"[..]));
}

#[test]
fn literal_next() {
    let mut l = ld();
    let ev = l.receive(b"\x16\x03\r");
    assert!(ev.signals.is_empty());
    assert_eq!(ev.echo, b"^\x08^C\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"\x03\n"[..]));
    // A literal CR is not mapped and does not end the line.
    assert_eq!(l.receive(b"\x16\rx\r").echo, b"^\x08^Mx\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"\rx\n"[..]));
}

#[test]
fn reprint() {
    let mut l = ld();
    assert_eq!(l.receive(b"ab\x12").echo, b"ab^R\r\nab");
}

#[test]
fn echoprt_prints_erased_characters() {
    let mut l = ld_with(|t| t.c_lflag |= ECHOPRT);
    assert_eq!(l.receive(b"abc\x7f\x7fd\r").echo, b"abc\\cb/d\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ad\n"[..]));
}

#[test]
fn tab_erase_uses_the_prompt_column() {
    for (typed, backspaces) in [(&b"\t"[..], 6), (b"ab\t", 4), (b"ab\tc\t", 7)] {
        let mut l = ld();
        assert_eq!(l.write_output(b"$ "), b"$ ");
        assert_eq!(l.receive(typed).echo, typed);
        assert_eq!(l.receive(b"\x7f").echo, vec![0x08; backspaces], "{typed:?}");
    }
    let mut l = ld_with(|t| t.c_oflag |= XTABS);
    assert_eq!(echoes(&mut l, &[b"a\t\x7f"]), [&b"a       \x08\x08\x08\x08\x08\x08\x08"[..]]);
}

#[test]
fn echo_off_for_passwords() {
    let mut l = ld_with(|t| t.c_lflag &= !ECHO);
    let ev = l.receive(b"secret\x7fT\r");
    assert_eq!(ev.echo, b"");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"secreT\n"[..]));

    let mut l = ld_with(|t| {
        t.c_lflag &= !ECHO;
        t.c_lflag |= ECHONL;
    });
    assert_eq!(l.receive(b"pw\r").echo, b"\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"pw\n"[..]));
}

#[test]
fn carriage_return_mapping() {
    let mut l = ld_with(|t| t.c_iflag &= !ICRNL);
    assert_eq!(l.receive(b"ab\r\n").echo, b"ab^M\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab\r\n"[..]));

    let mut l = ld_with(|t| t.c_iflag |= IGNCR);
    assert_eq!(l.receive(b"a\rb\n").echo, b"ab\r\n");
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab\n"[..]));

    let mut l = ld_with(|t| t.c_iflag = (t.c_iflag | INLCR) & !ICRNL);
    assert_eq!(l.receive(b"a\nb\r").echo, b"a^Mb^M");
    assert_eq!(read(&mut l, 100), None);
}

#[test]
fn raw_mode_echo_of_newlines() {
    let mut l = ld_with(|t| t.c_lflag &= !ICANON);
    let ev = l.receive(b"a\n\r\x01");
    assert_eq!(ev.echo, b"a^J\r\n^A");
    assert!(ev.wake_readers);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"a\n\n\x01"[..]));
}

#[test]
fn raw_mode_vmin_1() {
    let mut l = raw(|_| {});
    let mut call = ReadCall::new();
    let mut buf = [0u8; 16];
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::WouldBlock(Wait::Input));
    let ev = l.receive(b"x");
    assert!(ev.wake_readers && ev.echo.is_empty());
    assert!(l.readable());
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::Ready(1));
    assert_eq!(buf[0], b'x');
    // Editing characters are data; VEOF too.
    l.receive(b"\x7f\x15\x04\r");
    assert_eq!(read(&mut l, 16).as_deref(), Some(&b"\x7f\x15\x04\n"[..]));
}

#[test]
fn raw_mode_vmin_vtime_rules() {
    // MIN=0, TIME=0: polling read.
    let mut l = raw(|t| t.c_cc[VMIN] = 0);
    assert_eq!(l.read(&mut ReadCall::new(), &mut [0; 4]), ReadResult::Ready(0));

    // MIN=0, TIME=5: one overall timer; expiry returns 0.
    let mut l = raw(|t| {
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 5;
    });
    let mut call = ReadCall::new();
    let timer = Wait::InputOrTimeout { deciseconds: 5, restart_on_input: false };
    assert_eq!(l.read(&mut call, &mut [0; 4]), ReadResult::WouldBlock(timer));
    call.time_out();
    assert_eq!(l.read(&mut call, &mut [0; 4]), ReadResult::Ready(0));
    l.receive(b"ab");
    assert_eq!(l.read(&mut ReadCall::new(), &mut [0; 4]), ReadResult::Ready(2));

    // MIN=3, TIME=0: gathers until three bytes.
    let mut l = raw(|t| t.c_cc[VMIN] = 3);
    let mut call = ReadCall::new();
    let mut buf = [0u8; 8];
    l.receive(b"ab");
    assert!(!l.readable()); // poll wants VMIN bytes when VTIME is 0
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::WouldBlock(Wait::Input));
    assert_eq!(call.copied(), 2);
    // A flush after the bytes were gathered does not take them back.
    l.flush_input();
    l.receive(b"cd");
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::Ready(4));
    assert_eq!(&buf[..4], b"abcd");
    // A buffer shorter than VMIN is simply filled.
    l.receive(b"xy");
    assert_eq!(l.read(&mut ReadCall::new(), &mut buf[..2]), ReadResult::Ready(2));

    // MIN=3, TIME=2: no timer before the first byte, then an inter-byte one.
    let mut l = raw(|t| {
        t.c_cc[VMIN] = 3;
        t.c_cc[VTIME] = 2;
    });
    let mut call = ReadCall::new();
    let timer = Wait::InputOrTimeout { deciseconds: 2, restart_on_input: true };
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::WouldBlock(Wait::Input));
    l.receive(b"a");
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::WouldBlock(timer));
    call.time_out();
    l.receive(b"b"); // a byte arriving with the expiry restarts the timer
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::WouldBlock(timer));
    call.time_out();
    assert_eq!(l.read(&mut call, &mut buf), ReadResult::Ready(2));
    assert_eq!(&buf[..2], b"ab");
}

#[test]
fn raw_mode_queue_is_bounded() {
    let mut l = raw(|_| {});
    l.receive(&[b'a'; 5000]);
    assert_eq!(l.available(), N_TTY_BUF_SIZE - 1);
    assert_eq!(read(&mut l, 5000).map(|v| v.len()), Some(N_TTY_BUF_SIZE - 1));
}

#[test]
fn canonical_queue_is_bounded_but_accepts_newline() {
    let mut l = ld();
    let ev = l.receive(&[b'a'; 5000]);
    assert_eq!(ev.echo.len(), N_TTY_BUF_SIZE - 1); // dropped bytes are not echoed (Linux echoes them)
    l.receive(b"\r");
    let line = read(&mut l, 5000).unwrap();
    assert_eq!(line.len(), N_TTY_BUF_SIZE);
    assert_eq!(line.last(), Some(&b'\n'));
    // Editing still works on a full line.
    let mut l = ld();
    l.receive(&[b'a'; 5000]);
    assert_eq!(l.receive(b"\x7f").echo, b"\x08 \x08");
    assert_eq!(l.receive(b"\x03").signals, [Signal::SIGINT]);
}

#[test]
fn flow_control_holds_echo() {
    let mut l = ld();
    let ev = l.receive(b"\x13ab");
    assert_eq!((ev.output_stopped, ev.echo.as_slice()), (Some(true), &b""[..]));
    assert!(l.output_stopped());
    let ev = l.receive(b"\x11");
    assert_eq!((ev.output_stopped, ev.echo.as_slice()), (Some(false), &b"ab"[..]));
    assert_eq!(read(&mut l, 100), None); // ^S/^Q are not data
    // A signal character restarts output (our own check of n_tty's start_tty).
    l.receive(b"\x13");
    assert_eq!(l.receive(b"\x03").output_stopped, Some(false));
    // IXANY: any character restarts.
    let mut l = ld_with(|t| t.c_iflag |= IXANY);
    l.receive(b"\x13");
    assert_eq!(l.receive(b"z").output_stopped, Some(false));
    // Clearing IXON restarts.
    let mut l = ld();
    l.receive(b"\x13");
    let mut t = *l.termios();
    t.c_iflag &= !IXON;
    assert_eq!(l.set_termios(t).output_stopped, Some(false));
}

#[test]
fn switching_modes_keeps_pending_input() {
    let mut l = ld();
    l.receive(b"ab");
    let mut t = *l.termios();
    t.c_lflag &= !ICANON;
    assert!(l.set_termios(t).wake_readers);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab"[..]));

    let mut l = ld_with(|t| t.c_lflag &= !ICANON);
    l.receive(b"xy");
    let mut t = *l.termios();
    t.c_lflag |= ICANON;
    l.set_termios(t);
    assert!(l.readable());
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"xy"[..]));
    assert_eq!(read(&mut l, 100), None);

    // VEOF markers become NUL bytes when canonical mode is left (as Linux).
    let mut l = ld();
    l.receive(b"ab\x04cd");
    let mut t = *l.termios();
    t.c_lflag &= !ICANON;
    l.set_termios(t);
    assert_eq!(read(&mut l, 100).as_deref(), Some(&b"ab\x00cd"[..]));
}

#[test]
fn output_processing() {
    let mut l = ld();
    assert_eq!(l.write_output(b"a\nb\n"), b"a\r\nb\r\n");
    let mut l = ld_with(|t| t.c_oflag &= !OPOST);
    assert_eq!(l.write_output(b"a\nb\t"), b"a\nb\t");
    let mut l = ld_with(|t| t.c_oflag &= !ONLCR);
    assert_eq!(l.write_output(b"a\n"), b"a\n");
    let mut l = ld_with(|t| t.c_oflag |= XTABS);
    assert_eq!(l.write_output(b"ab\tc"), b"ab      c");
    let mut l = ld_with(|t| t.c_oflag |= OCRNL);
    assert_eq!(l.write_output(b"a\r"), b"a\n");
    let mut l = ld_with(|t| t.c_oflag |= ONOCR);
    assert_eq!(l.write_output(b"\rab\r"), b"ab\r");
    let mut l = ld_with(|t| t.c_oflag |= OLCUC);
    assert_eq!(l.write_output(b"ab1"), b"AB1");
}

#[test]
fn termios_and_winsize_ioctls() {
    let l = ld();
    let bytes = l.termios().to_bytes();
    assert_eq!(bytes.len(), 36);
    assert_eq!(Termios::from_bytes(&bytes).as_ref(), Ok(l.termios()));
    let t = l.termios();
    assert_eq!(t.c_iflag, ICRNL | IXON);
    assert_eq!(t.c_oflag, OPOST | ONLCR);
    assert_eq!(t.c_cflag, B38400 | CS8 | CREAD | HUPCL);
    assert_eq!(t.c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
    let cc = [(VINTR, 3), (VQUIT, 28), (VERASE, 127), (VKILL, 21), (VEOF, 4), (VTIME, 0), (VMIN, 1),
        (VSTART, 17), (VSTOP, 19), (VSUSP, 26), (VREPRINT, 18), (VWERASE, 23), (VLNEXT, 22)];
    for (index, value) in cc {
        assert_eq!(t.c_cc[index], value, "c_cc[{index}]");
    }

    let mut l = ld();
    assert_eq!(l.winsize(), Winsize::default());
    let size = Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    assert_eq!(l.set_winsize(size), Some(Signal::SIGWINCH));
    assert_eq!(l.set_winsize(size), None);
    assert_eq!(l.winsize(), size);
}

#[test]
fn available_skips_eof_markers() {
    let mut l = ld();
    l.receive(b"ab\r\x04cd");
    assert_eq!(l.available(), 3);
    l.flush_input();
    assert_eq!(l.available(), 0);
    assert!(!l.readable());
}

#[test]
fn arbitrary_input_never_panics_and_stays_bounded() {
    // A small deterministic generator over every byte value and mode mix.
    let mut state = 0x1234_5678u32;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for round in 0..200 {
        let mut t = Termios::linux_default();
        t.c_iflag ^= next() & 0o77777;
        t.c_oflag ^= next() & 0o14077;
        t.c_lflag ^= next() & 0o107777;
        t.c_cc[VMIN] = (next() % 4) as u8;
        let mut l = LineDiscipline::with_termios(t);
        for _ in 0..20 {
            let len = (next() % 600) as usize;
            let input: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let ev: Events = l.receive(&input);
            assert!(ev.echo.len() <= 8 * input.len() + N_TTY_BUF_SIZE, "round {round}");
            assert!(l.available() <= N_TTY_BUF_SIZE);
            if next() % 3 == 0 {
                let mut buf = vec![0; (next() % 200) as usize];
                let mut call = ReadCall::new();
                if let ReadResult::Ready(n) = l.read(&mut call, &mut buf) {
                    assert!(n <= buf.len());
                }
            }
            if next() % 7 == 0 {
                let mut t2 = *l.termios();
                t2.c_lflag ^= ICANON;
                l.set_termios(t2);
            }
            l.write_output(&input);
        }
    }
}
