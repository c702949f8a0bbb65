//! fcntl(2) commands and their argument values.

linux_consts! {
    /// Name of an fcntl(2) command, for logging unimplemented ones.
    pub fn fcntl_name(u32);
    F_DUPFD = 0;
    F_GETFD = 1;
    F_SETFD = 2;
    F_GETFL = 3;
    F_SETFL = 4;
    F_GETLK = 5;
    F_SETLK = 6;
    F_SETLKW = 7;
    F_SETOWN = 8;
    F_GETOWN = 9;
    F_SETSIG = 10;
    F_GETSIG = 11;
    F_SETOWN_EX = 15;
    F_GETOWN_EX = 16;
    F_OFD_GETLK = 36;
    F_OFD_SETLK = 37;
    F_OFD_SETLKW = 38;
    F_SETLEASE = 1024;
    F_GETLEASE = 1025;
    F_NOTIFY = 1026;
    F_DUPFD_CLOEXEC = 1030;
    F_SETPIPE_SZ = 1031;
    F_GETPIPE_SZ = 1032;
    F_ADD_SEALS = 1033;
    F_GET_SEALS = 1034;
}

/// The close-on-exec bit of `F_GETFD`/`F_SETFD`.
pub const FD_CLOEXEC: u32 = 1;

/// `l_type` of `struct flock`.
pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;
