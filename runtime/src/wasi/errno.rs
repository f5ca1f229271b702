//! WASI preview1 errnos: the values (from [`super::constants::errno`], re-exported so a
//! host function needs one import), the one mapping from host errors, and the
//! end-the-program pseudo-errno [`TRAP`].

pub use super::constants::errno::*;

/// Not an errno: the call must end the program, as wasmtime's host errors do (a guest
/// pointer out of bounds or misaligned, an invalid enum or flag value, `proc_exit` with a
/// status of 126 or more). The message is kept by [`trap`] until [`take_trap`].
pub const TRAP: Errno = 0xffff;

thread_local! {
    static TRAP_INFO: std::cell::RefCell<Option<(String, Errno)>> =
        const { std::cell::RefCell::new(None) };
}

/// Records why the current call must end the program; `fallback` is the errno returned
/// instead when the call does not come from wasm (a host calling the function directly).
pub fn trap(message: String, fallback: Errno) -> Errno {
    TRAP_INFO.with(|t| *t.borrow_mut() = Some((message, fallback)));
    TRAP
}

/// The message and fallback errno recorded by [`trap`].
pub fn take_trap() -> (String, Errno) {
    TRAP_INFO
        .with(|t| t.borrow_mut().take())
        .unwrap_or_else(|| ("WASI call failed".to_string(), IO))
}

/// An invalid value for an enum or flags parameter, as wasmtime reports it.
pub fn invalid(kind: &str, what: &str) -> Errno {
    trap(format!("invalid {kind} value {what}"), INVAL)
}

/// Maps a Linux errno to WASI's numbering.
pub fn from_host(e: i32) -> Errno {
    match e {
        libc::E2BIG => E2BIG,
        libc::EACCES => ACCES,
        libc::EADDRINUSE => ADDRINUSE,
        libc::EADDRNOTAVAIL => ADDRNOTAVAIL,
        libc::EAFNOSUPPORT => AFNOSUPPORT,
        libc::EAGAIN => AGAIN,
        libc::EALREADY => ALREADY,
        libc::EBADF => BADF,
        libc::EBADMSG => BADMSG,
        libc::EBUSY => BUSY,
        libc::ECANCELED => CANCELED,
        libc::ECHILD => CHILD,
        libc::ECONNABORTED => CONNABORTED,
        libc::ECONNREFUSED => CONNREFUSED,
        libc::ECONNRESET => CONNRESET,
        libc::EDEADLK => DEADLK,
        libc::EDESTADDRREQ => DESTADDRREQ,
        libc::EDOM => DOM,
        libc::EDQUOT => DQUOT,
        libc::EEXIST => EXIST,
        libc::EFAULT => FAULT,
        libc::EFBIG => FBIG,
        libc::EHOSTUNREACH => HOSTUNREACH,
        libc::EIDRM => IDRM,
        libc::EILSEQ => ILSEQ,
        libc::EINPROGRESS => INPROGRESS,
        libc::EINTR => INTR,
        libc::EINVAL => INVAL,
        libc::EIO => IO,
        libc::EISCONN => ISCONN,
        libc::EISDIR => ISDIR,
        libc::ELOOP => LOOP,
        libc::EMFILE => MFILE,
        libc::EMLINK => MLINK,
        libc::EMSGSIZE => MSGSIZE,
        libc::EMULTIHOP => MULTIHOP,
        libc::ENAMETOOLONG => NAMETOOLONG,
        libc::ENETDOWN => NETDOWN,
        libc::ENETRESET => NETRESET,
        libc::ENETUNREACH => NETUNREACH,
        libc::ENFILE => NFILE,
        libc::ENOBUFS => NOBUFS,
        libc::ENODEV => NODEV,
        libc::ENOENT => NOENT,
        libc::ENOEXEC => NOEXEC,
        libc::ENOLCK => NOLCK,
        libc::ENOLINK => NOLINK,
        libc::ENOMEM => NOMEM,
        libc::ENOMSG => NOMSG,
        libc::ENOPROTOOPT => NOPROTOOPT,
        libc::ENOSPC => NOSPC,
        libc::ENOSYS => NOSYS,
        libc::ENOTCONN => NOTCONN,
        libc::ENOTDIR => NOTDIR,
        libc::ENOTEMPTY => NOTEMPTY,
        libc::ENOTRECOVERABLE => NOTRECOVERABLE,
        libc::ENOTSOCK => NOTSOCK,
        libc::ENOTSUP => NOTSUP,
        libc::ENOTTY => NOTTY,
        libc::ENXIO => NXIO,
        libc::EOVERFLOW => OVERFLOW,
        libc::EOWNERDEAD => OWNERDEAD,
        libc::EPERM => PERM,
        libc::EPIPE => PIPE,
        libc::EPROTO => PROTO,
        libc::EPROTONOSUPPORT => PROTONOSUPPORT,
        libc::EPROTOTYPE => PROTOTYPE,
        libc::ERANGE => RANGE,
        libc::EROFS => ROFS,
        libc::ESPIPE => SPIPE,
        libc::ESRCH => SRCH,
        libc::ESTALE => STALE,
        libc::ETIMEDOUT => TIMEDOUT,
        libc::ETXTBSY => TXTBSY,
        libc::EXDEV => XDEV,
        _ => IO,
    }
}

/// The errno of the last failed libc call, in WASI's numbering.
pub fn last() -> Errno {
    from_host(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}
