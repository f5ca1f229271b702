//! Every `wasi_snapshot_preview1` constant the runtime uses, one module per WASI type and
//! named as in preview1's `typenames.witx`: errnos, rights, fd flags, open and lookup
//! flags, fst flags, file types, whence, advice, clock ids, subscription and event types,
//! socket flags, signals, preopen types. The rest of `wasi/` writes none of them as a bare
//! number.

/// `errno`: the result of every WASI call.
pub mod errno {
    /// A WASI errno (`__wasi_errno_t`).
    pub type Errno = u16;

    pub const SUCCESS: Errno = 0;
    pub const E2BIG: Errno = 1;
    pub const ACCES: Errno = 2;
    pub const ADDRINUSE: Errno = 3;
    pub const ADDRNOTAVAIL: Errno = 4;
    pub const AFNOSUPPORT: Errno = 5;
    pub const AGAIN: Errno = 6;
    pub const ALREADY: Errno = 7;
    pub const BADF: Errno = 8;
    pub const BADMSG: Errno = 9;
    pub const BUSY: Errno = 10;
    pub const CANCELED: Errno = 11;
    pub const CHILD: Errno = 12;
    pub const CONNABORTED: Errno = 13;
    pub const CONNREFUSED: Errno = 14;
    pub const CONNRESET: Errno = 15;
    pub const DEADLK: Errno = 16;
    pub const DESTADDRREQ: Errno = 17;
    pub const DOM: Errno = 18;
    pub const DQUOT: Errno = 19;
    pub const EXIST: Errno = 20;
    pub const FAULT: Errno = 21;
    pub const FBIG: Errno = 22;
    pub const HOSTUNREACH: Errno = 23;
    pub const IDRM: Errno = 24;
    pub const ILSEQ: Errno = 25;
    pub const INPROGRESS: Errno = 26;
    pub const INTR: Errno = 27;
    pub const INVAL: Errno = 28;
    pub const IO: Errno = 29;
    pub const ISCONN: Errno = 30;
    pub const ISDIR: Errno = 31;
    pub const LOOP: Errno = 32;
    pub const MFILE: Errno = 33;
    pub const MLINK: Errno = 34;
    pub const MSGSIZE: Errno = 35;
    pub const MULTIHOP: Errno = 36;
    pub const NAMETOOLONG: Errno = 37;
    pub const NETDOWN: Errno = 38;
    pub const NETRESET: Errno = 39;
    pub const NETUNREACH: Errno = 40;
    pub const NFILE: Errno = 41;
    pub const NOBUFS: Errno = 42;
    pub const NODEV: Errno = 43;
    pub const NOENT: Errno = 44;
    pub const NOEXEC: Errno = 45;
    pub const NOLCK: Errno = 46;
    pub const NOLINK: Errno = 47;
    pub const NOMEM: Errno = 48;
    pub const NOMSG: Errno = 49;
    pub const NOPROTOOPT: Errno = 50;
    pub const NOSPC: Errno = 51;
    pub const NOSYS: Errno = 52;
    pub const NOTCONN: Errno = 53;
    pub const NOTDIR: Errno = 54;
    pub const NOTEMPTY: Errno = 55;
    pub const NOTRECOVERABLE: Errno = 56;
    pub const NOTSOCK: Errno = 57;
    pub const NOTSUP: Errno = 58;
    pub const NOTTY: Errno = 59;
    pub const NXIO: Errno = 60;
    pub const OVERFLOW: Errno = 61;
    pub const OWNERDEAD: Errno = 62;
    pub const PERM: Errno = 63;
    pub const PIPE: Errno = 64;
    pub const PROTO: Errno = 65;
    pub const PROTONOSUPPORT: Errno = 66;
    pub const PROTOTYPE: Errno = 67;
    pub const RANGE: Errno = 68;
    pub const ROFS: Errno = 69;
    pub const SPIPE: Errno = 70;
    pub const SRCH: Errno = 71;
    pub const STALE: Errno = 72;
    pub const TIMEDOUT: Errno = 73;
    pub const TXTBSY: Errno = 74;
    pub const XDEV: Errno = 75;
    pub const NOTCAPABLE: Errno = 76;
}

/// `rights`: what may be done with a descriptor (reported by `fd_fdstat_get`).
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right preview1 defines.
    pub const ALL: u64 = (1 << 30) - 1;

    /// What wasmtime reports for a preopened directory (a fixed set "expected by many
    /// userlands").
    pub const PREOPEN_BASE: u64 = 0x07b7_fe00;
    pub const PREOPEN_INHERITING: u64 = 0x0ff7_ffff;
    /// What wasmtime reports for a directory opened with `path_open`.
    pub const DIR: u64 =
        ALL & !(FD_SEEK | FD_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_SIZE) & !FD_WRITE;
    /// A listening socket (wasi-common's, as `--tcplisten` reported them).
    pub const LISTENER: u64 =
        SOCK_ACCEPT | POLL_FD_READWRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET;
    /// A connection accepted from a listener.
    pub const STREAM: u64 = FD_READ
        | FD_WRITE
        | SOCK_SHUTDOWN
        | POLL_FD_READWRITE
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET;
}

/// `fdflags`: a descriptor's flags (`fd_fdstat_set_flags`, `path_open`).
pub mod fdflags {
    pub const APPEND: u32 = 1 << 0;
    pub const DSYNC: u32 = 1 << 1;
    pub const NONBLOCK: u32 = 1 << 2;
    pub const RSYNC: u32 = 1 << 3;
    pub const SYNC: u32 = 1 << 4;
    pub const ALL: u32 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags`: how `path_open` opens.
pub mod oflags {
    pub const CREAT: u32 = 1 << 0;
    pub const DIRECTORY: u32 = 1 << 1;
    pub const EXCL: u32 = 1 << 2;
    pub const TRUNC: u32 = 1 << 3;
    pub const ALL: u32 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags`: how a path is resolved.
pub mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// `fstflags`: which timestamps `*_filestat_set_times` sets.
pub mod fstflags {
    pub const ATIM: u32 = 1 << 0;
    pub const ATIM_NOW: u32 = 1 << 1;
    pub const MTIM: u32 = 1 << 2;
    pub const MTIM_NOW: u32 = 1 << 3;
    pub const ALL: u32 = ATIM | ATIM_NOW | MTIM | MTIM_NOW;
}

/// `filetype` (`__wasi_filetype_t`).
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `whence`: what `fd_seek`'s offset is relative to.
pub mod whence {
    pub const SET: u32 = 0;
    pub const CUR: u32 = 1;
    pub const END: u32 = 2;
}

/// `advice` (`fd_advise`).
pub mod advice {
    pub const NORMAL: u32 = 0;
    pub const SEQUENTIAL: u32 = 1;
    pub const RANDOM: u32 = 2;
    pub const WILLNEED: u32 = 3;
    pub const DONTNEED: u32 = 4;
    pub const NOREUSE: u32 = 5;
}

/// `clockid`.
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `eventtype`: the tag of a subscription and of its event (`poll_oneoff`).
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`: a clock subscription's flags.
pub mod subclockflags {
    pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1 << 0;
}

/// `eventrwflags`: an fd event's flags.
pub mod eventrwflags {
    pub const FD_READWRITE_HANGUP: u16 = 1 << 0;
}

/// `riflags`: `sock_recv`'s input flags.
pub mod riflags {
    pub const RECV_PEEK: u32 = 1 << 0;
    pub const RECV_WAITALL: u32 = 1 << 1;
    pub const ALL: u32 = RECV_PEEK | RECV_WAITALL;
}

/// `sdflags`: which directions `sock_shutdown` shuts.
pub mod sdflags {
    pub const RD: u32 = 1 << 0;
    pub const WR: u32 = 1 << 1;
    pub const ALL: u32 = RD | WR;
}

/// `signal` (`proc_raise`).
pub mod signal {
    /// The last signal preview1 defines (`SIGSYS`); 0 is "no signal".
    pub const SYS: u32 = 30;
}

/// `preopentype` (`fd_prestat_get`).
pub mod preopentype {
    pub const DIR: u8 = 0;
}
