//! Incoming frames, one at a time: the stack takes each frame from the
//! device and looks at it before smoltcp does, so a SYN for a listener can
//! find a listening socket ready (`Stack::tcp_syn`), or be dropped when the
//! listener's queue is full. One frame buffer is reused; nothing else is
//! copied.

use alloc::vec::Vec;
use smoltcp::phy::{self, Device, DeviceCapabilities, RxToken};
use smoltcp::time::Instant;

/// The device as smoltcp sees it during one `poll_ingress_single`: it
/// offers the frame taken already, replies go out through the real device.
pub(crate) struct Intake<'a, D: Device> {
    pub dev: &'a mut D,
    pub frame: &'a [u8],
    /// Set once smoltcp took the frame.
    pub taken: bool,
}

pub(crate) struct Frame<'a>(&'a [u8]);

impl phy::RxToken for Frame<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl<'a, D: Device> Device for Intake<'a, D> {
    type RxToken<'b>
        = Frame<'b>
    where
        Self: 'b;
    type TxToken<'b>
        = D::TxToken<'b>
    where
        Self: 'b;

    fn receive(&mut self, now: Instant) -> Option<(Frame<'_>, D::TxToken<'_>)> {
        if self.taken {
            return None;
        }
        let tx = self.dev.transmit(now)?;
        self.taken = true;
        Some((Frame(self.frame), tx))
    }

    fn transmit(&mut self, now: Instant) -> Option<D::TxToken<'_>> {
        self.dev.transmit(now)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.dev.capabilities()
    }
}

/// Takes the device's next frame into `buf` (replacing its contents).
pub(crate) fn take<D: Device>(dev: &mut D, now: Instant, buf: &mut Vec<u8>) -> bool {
    let Some((rx, _tx)) = dev.receive(now) else { return false };
    rx.consume(|bytes| {
        buf.clear();
        buf.extend_from_slice(bytes);
    });
    true
}

/// The destination port of a TCP SYN (without ACK) in an Ethernet/IPv4 frame.
pub(crate) fn syn_port(frame: &[u8]) -> Option<u16> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if ip.first()? >> 4 != 4 || ihl < 20 || *ip.get(9)? != 6 {
        return None;
    }
    // A fragment other than the first carries no TCP header.
    let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
    if frag & 0x1fff != 0 {
        return None;
    }
    let tcp = ip.get(ihl..)?;
    let flags = *tcp.get(13)?;
    (flags & 0x12 == 0x02).then(|| u16::from_be_bytes([tcp[2], tcp[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(flags: u8, port: u16) -> Vec<u8> {
        let mut f = alloc::vec![0u8; 14 + 20 + 20];
        f[12] = 0x08;
        f[14] = 0x45;
        f[14 + 9] = 6;
        f[34 + 2..34 + 4].copy_from_slice(&port.to_be_bytes());
        f[34 + 13] = flags;
        f
    }

    #[test]
    fn only_a_plain_syn_names_its_port() {
        assert_eq!(syn_port(&frame(0x02, 8080)), Some(8080));
        assert_eq!(syn_port(&frame(0x12, 8080)), None, "SYN-ACK");
        assert_eq!(syn_port(&frame(0x10, 8080)), None, "ACK");
        let mut udp = frame(0x02, 53);
        udp[14 + 9] = 17;
        assert_eq!(syn_port(&udp), None);
        assert_eq!(syn_port(&frame(0x02, 80)[..40]), None, "truncated");
        let mut later = frame(0x02, 80);
        later[14 + 7] = 8;
        assert_eq!(syn_port(&later), None, "a later fragment");
    }
}
