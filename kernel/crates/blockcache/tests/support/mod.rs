//! An in-memory [`Disk`] that records every request and can be told to fail.

#![allow(dead_code)]

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use blockcache::{Disk, DiskError, SECTOR_SIZE};

/// How the next writes fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFault {
    None,
    /// Write the first `n` sectors of each request, then report `Io`.
    AfterSectors(usize),
}

#[derive(Default)]
struct Log {
    /// `(lba, sectors)` of every read request.
    reads: Vec<(u64, usize)>,
    /// `(lba, sectors)` of every write request.
    writes: Vec<(u64, usize)>,
    flushes: usize,
}

pub struct MemDisk {
    data: Mutex<Vec<u8>>,
    log: Mutex<Log>,
    fail_reads: Mutex<bool>,
    write_fault: Mutex<WriteFault>,
    /// If set, the next read copies its data, then reports on `.0` and waits on `.1`.
    read_gate: Mutex<Option<(Sender<()>, Receiver<()>)>>,
}

impl MemDisk {
    /// A disk of `sectors` sectors; sector `s` byte `i` holds a recognisable pattern.
    pub fn new(sectors: u64) -> Self {
        let len = sectors as usize * SECTOR_SIZE;
        let data = (0..len).map(|i| pattern(i)).collect();
        MemDisk {
            data: Mutex::new(data),
            log: Mutex::new(Log::default()),
            fail_reads: Mutex::new(false),
            write_fault: Mutex::new(WriteFault::None),
            read_gate: Mutex::new(None),
        }
    }

    pub fn contents(&self) -> Vec<u8> {
        self.data.lock().unwrap().clone()
    }

    /// Changes the disk behind the cache's back.
    pub fn poke(&self, offset: usize, bytes: &[u8]) {
        self.data.lock().unwrap()[offset..offset + bytes.len()].copy_from_slice(bytes);
    }

    pub fn reads(&self) -> Vec<(u64, usize)> {
        self.log.lock().unwrap().reads.clone()
    }

    pub fn writes(&self) -> Vec<(u64, usize)> {
        self.log.lock().unwrap().writes.clone()
    }

    pub fn flushes(&self) -> usize {
        self.log.lock().unwrap().flushes
    }

    pub fn set_fail_reads(&self, fail: bool) {
        *self.fail_reads.lock().unwrap() = fail;
    }

    pub fn set_write_fault(&self, fault: WriteFault) {
        *self.write_fault.lock().unwrap() = fault;
    }

    /// Makes the next read pause after copying its data: returns (receives when the read
    /// has its data, send to let it finish).
    pub fn pause_next_read(&self) -> (Receiver<()>, Sender<()>) {
        let (reached_tx, reached_rx) = channel();
        let (resume_tx, resume_rx) = channel();
        *self.read_gate.lock().unwrap() = Some((reached_tx, resume_rx));
        (reached_rx, resume_tx)
    }

    fn range(&self, lba: u64, len: usize) -> Result<std::ops::Range<usize>, DiskError> {
        assert_eq!(len % SECTOR_SIZE, 0, "cache sent a partial sector");
        let start = lba as usize * SECTOR_SIZE;
        let end = start + len;
        if end > self.data.lock().unwrap().len() {
            return Err(DiskError::OutOfRange);
        }
        Ok(start..end)
    }
}

/// The initial byte at disk offset `i`: differs between neighbouring sectors and bytes.
pub fn pattern(i: usize) -> u8 {
    (i as u8) ^ ((i / SECTOR_SIZE) as u8).wrapping_mul(31)
}

impl Disk for MemDisk {
    fn read_sectors(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        self.log.lock().unwrap().reads.push((lba, buf.len() / SECTOR_SIZE));
        if *self.fail_reads.lock().unwrap() {
            return Err(DiskError::Io);
        }
        let range = self.range(lba, buf.len())?;
        buf.copy_from_slice(&self.data.lock().unwrap()[range]);
        let gate = self.read_gate.lock().unwrap().take();
        if let Some((reached, resume)) = gate {
            reached.send(()).unwrap();
            resume.recv().unwrap();
        }
        Ok(())
    }

    fn write_sectors(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError> {
        self.log.lock().unwrap().writes.push((lba, buf.len() / SECTOR_SIZE));
        let range = self.range(lba, buf.len())?;
        let written = match *self.write_fault.lock().unwrap() {
            WriteFault::None => buf.len(),
            WriteFault::AfterSectors(n) => (n * SECTOR_SIZE).min(buf.len()),
        };
        self.data.lock().unwrap()[range.start..range.start + written]
            .copy_from_slice(&buf[..written]);
        if written < buf.len() {
            return Err(DiskError::Io);
        }
        Ok(())
    }

    fn sector_count(&self) -> u64 {
        (self.data.lock().unwrap().len() / SECTOR_SIZE) as u64
    }

    fn flush(&self) -> Result<(), DiskError> {
        self.log.lock().unwrap().flushes += 1;
        Ok(())
    }
}
