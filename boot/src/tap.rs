//! A host tap device for the guest's network card: the host's own TCP stack
//! talks to the guest directly, without QEMU's user-mode network (slirp),
//! whose port forwarding takes one pending connection at a time (its listen
//! backlog is 1) and copies every byte through QEMU's event loop. Load tests
//! and the benchmark's network rows use it.
//!
//! [`Tap::create`] makes `cytN` (the first free N) with the host at
//! 10.211.N.1/30 and the guest at 10.211.N.2; dropping the [`Tap`] deletes the
//! device. Needs root (CAP_NET_ADMIN) and `ip` (iproute2). The guest has no
//! DHCP server there: `Machine::boot` sets its address with `ifconfig`.

use std::net::Ipv4Addr;
use std::process::Command;

/// The network of a tap device, as the QEMU command line and the guest need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapNet {
    /// The host's interface name (`-netdev tap,ifname=...`).
    pub ifname: String,
    /// The host's address on the link (the guest's gateway).
    pub host: Ipv4Addr,
    /// The guest's address.
    pub guest: Ipv4Addr,
    pub prefix_len: u8,
}

impl TapNet {
    /// The kernel shell command that gives the guest its address.
    pub fn guest_ifconfig(&self) -> String {
        format!("ifconfig eth0 {}/{} gw {}", self.guest, self.prefix_len, self.host)
    }
}

/// A tap device on the host, deleted on drop.
#[derive(Debug)]
pub struct Tap {
    net: TapNet,
}

/// How many `cytN` devices are tried.
const MAX_TAPS: u8 = 64;

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run ip (iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl Tap {
    /// Creates the first free `cytN` with its /30 and brings it up.
    pub fn create() -> Result<Tap, String> {
        let mut last = String::from("no tap device tried");
        for n in 0..MAX_TAPS {
            let ifname = format!("cyt{n}");
            // Creating the device is the lock on N: it fails if another run holds it.
            if let Err(e) = ip(&["tuntap", "add", "dev", &ifname, "mode", "tap"]) {
                last = e;
                continue;
            }
            let net = TapNet { ifname, host: Ipv4Addr::new(10, 211, n, 1), guest: Ipv4Addr::new(10, 211, n, 2), prefix_len: 30 };
            let tap = Tap { net };
            let n = &tap.net;
            ip(&["addr", "add", &format!("{}/{}", n.host, n.prefix_len), "dev", &n.ifname])?;
            ip(&["link", "set", &n.ifname, "up"])?;
            return Ok(tap);
        }
        Err(format!("cannot create a tap device (root and /dev/net/tun needed): {last}"))
    }

    pub fn net(&self) -> TapNet {
        self.net.clone()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = ip(&["tuntap", "del", "dev", &self.net.ifname, "mode", "tap"]);
    }
}
