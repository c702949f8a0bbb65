//! System V IPC structs as x86_64 user space passes them (the `*64_ds`
//! layouts: on x86_64 `IPC_64` is not or-ed into the command).

/// `struct ipc64_perm`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct IpcPerm64 {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub pad2: u16,
    pub unused1: u64,
    pub unused2: u64,
}
abi_struct!(IpcPerm64, 48 { key, uid, gid, cuid, cgid, mode, seq, pad2, unused1, unused2 });

/// `struct shmid64_ds`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ShmidDs {
    pub shm_perm: IpcPerm64,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub unused4: u64,
    pub unused5: u64,
}
abi_struct!(ShmidDs, 112 { shm_perm, shm_segsz, shm_atime, shm_dtime, shm_ctime, shm_cpid, shm_lpid, shm_nattch, unused4, unused5 });

/// `struct semid64_ds`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SemidDs {
    pub sem_perm: IpcPerm64,
    pub sem_otime: i64,
    pub unused1: u64,
    pub sem_ctime: i64,
    pub unused2: u64,
    pub sem_nsems: u64,
    pub unused3: u64,
    pub unused4: u64,
}
abi_struct!(SemidDs, 104 { sem_perm, sem_otime, unused1, sem_ctime, unused2, sem_nsems, unused3, unused4 });

/// `struct msqid64_ds`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MsqidDs {
    pub msg_perm: IpcPerm64,
    pub msg_stime: i64,
    pub msg_rtime: i64,
    pub msg_ctime: i64,
    pub msg_cbytes: u64,
    pub msg_qnum: u64,
    pub msg_qbytes: u64,
    pub msg_lspid: i32,
    pub msg_lrpid: i32,
    pub unused4: u64,
    pub unused5: u64,
}
abi_struct!(MsqidDs, 120 {
    msg_perm, msg_stime, msg_rtime, msg_ctime, msg_cbytes, msg_qnum, msg_qbytes, msg_lspid, msg_lrpid, unused4, unused5,
});

/// `struct sembuf` (semop).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Sembuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}
abi_struct!(Sembuf, 6 { sem_num, sem_op, sem_flg });

/// `struct shminfo64` (shmctl IPC_INFO).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Shminfo64 {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub unused: [u64; 4],
}
abi_struct!(Shminfo64, 72 { shmmax, shmmin, shmmni, shmseg, shmall, unused });

/// `struct shm_info` (shmctl SHM_INFO).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ShmInfo {
    pub used_ids: i32,
    pub pad: i32,
    pub shm_tot: u64,
    pub shm_rss: u64,
    pub shm_swp: u64,
    pub swap_attempts: u64,
    pub swap_successes: u64,
}
abi_struct!(ShmInfo, 48 { used_ids, pad, shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes });

/// `struct seminfo` (semctl IPC_INFO, SEM_INFO).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Seminfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}
abi_struct!(Seminfo, 40 { semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem });

/// `struct msginfo` (msgctl IPC_INFO, MSG_INFO).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Msginfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
    pub pad: u16,
}
abi_struct!(Msginfo, 32 { msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, msgseg, pad });
