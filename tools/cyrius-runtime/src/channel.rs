//! The control channel to the guest agent (`userland/host/agent.c`),
//! protocol version 1: frames of `u32 length (LE, of what follows) | u8 type
//! | u32 stream (LE) | payload`. Requests are words separated by NUL; the
//! guest's reply to request tag T is an `R` frame on stream T. A process
//! has a handle H (0: the container's init); its standard streams are
//! H*4 + fd. See ARCHITECTURE.md, "The microVM runtime".

use std::io::{self, Read};

pub const VERSION_HELLO: &[u8] = b"cyrius-agent 1";
/// The largest payload either side sends.
pub const MAX_PAYLOAD: usize = 65536;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Hello,
    Request,
    Reply,
    Data,
    End,
    Exit,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Hello => b'H',
            Kind::Request => b'C',
            Kind::Reply => b'R',
            Kind::Data => b'D',
            Kind::End => b'E',
            Kind::Exit => b'X',
        }
    }

    fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            b'H' => Kind::Hello,
            b'C' => Kind::Request,
            b'R' => Kind::Reply,
            b'D' => Kind::Data,
            b'E' => Kind::End,
            b'X' => Kind::Exit,
            _ => return None,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub kind: Kind,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// Encodes one frame (payloads longer than [`MAX_PAYLOAD`] must be split by the caller).
pub fn encode(kind: Kind, stream: u32, payload: &[u8]) -> Vec<u8> {
    let total = (5 + payload.len()) as u32;
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&total.to_le_bytes());
    out.push(kind.byte());
    out.extend_from_slice(&stream.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads one frame; `Ok(None)` at a clean end of the stream.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 9];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "channel ended inside a frame")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let total = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if !(5..=5 + MAX_PAYLOAD).contains(&total) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad frame length {total}")));
    }
    let kind = Kind::from_byte(head[4])
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad frame type {:#x}", head[4])))?;
    let stream = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
    let mut payload = vec![0u8; total - 5];
    r.read_exact(&mut payload)?;
    Ok(Some(Frame { kind, stream, payload }))
}

/// A request's payload: its words joined by NUL.
pub fn request(words: &[&str]) -> Vec<u8> {
    words.join("\0").into_bytes()
}

/// A reply: `Ok(value)` or `Err(message)`.
pub fn parse_reply(payload: &[u8]) -> Result<String, String> {
    let mut parts = payload.split(|&b| b == 0);
    match parts.next() {
        Some(b"ok") => Ok(parts.next().map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default()),
        Some(b"err") => {
            let errno: i32 = parts.next().and_then(|e| std::str::from_utf8(e).ok()?.parse().ok()).unwrap_or(0);
            let verb = parts.next().map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default();
            Err(format!("{verb}: {} (errno {errno})", io::Error::from_raw_os_error(errno).kind_message(errno)))
        }
        _ => Err(String::from("malformed reply from the guest agent")),
    }
}

trait KindMessage {
    fn kind_message(&self, errno: i32) -> String;
}

impl KindMessage for io::Error {
    fn kind_message(&self, errno: i32) -> String {
        let text = io::Error::from_raw_os_error(errno).to_string();
        text.split(" (os error").next().unwrap_or(&text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = encode(Kind::Request, 7, &request(&["start", "c1", "0"]));
        buf.extend(encode(Kind::Data, 4, b"hello"));
        let mut r = &buf[..];
        let f = read_frame(&mut r).unwrap().unwrap();
        assert_eq!((f.kind, f.stream, f.payload.as_slice()), (Kind::Request, 7, &b"start\0c1\x000"[..]));
        let f = read_frame(&mut r).unwrap().unwrap();
        assert_eq!((f.kind, f.stream, f.payload.as_slice()), (Kind::Data, 4, &b"hello"[..]));
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut r = &[0u8, 0, 0, 0, b'C', 0, 0, 0, 0][..];
        assert!(read_frame(&mut r).is_err());
        let mut r = &[9u8, 0, 0, 0, b'Q', 0, 0, 0, 0, 1, 2, 3, 4][..];
        assert!(read_frame(&mut r).is_err());
        let mut r = &[9u8, 0, 0][..];
        assert!(read_frame(&mut r).is_err());
    }

    #[test]
    fn replies() {
        assert_eq!(parse_reply(b"ok\x0042"), Ok(String::from("42")));
        assert_eq!(parse_reply(b"ok"), Ok(String::new()));
        let e = parse_reply(b"err\x002\x00create").unwrap_err();
        assert!(e.starts_with("create: No such file or directory"), "{e}");
        assert!(parse_reply(b"what").is_err());
    }
}
