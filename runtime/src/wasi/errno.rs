//! WASI preview1 errno values and the one mapping from host errors.

/// A WASI errno (`__wasi_errno_t`).
pub type Errno = u16;

pub const SUCCESS: Errno = 0;
pub const E2BIG: Errno = 1;
pub const ACCES: Errno = 2;
pub const AGAIN: Errno = 6;
pub const BADF: Errno = 8;
pub const EXIST: Errno = 20;
pub const FAULT: Errno = 21;
pub const ILSEQ: Errno = 25;
pub const INVAL: Errno = 28;
pub const IO: Errno = 29;
pub const ISDIR: Errno = 31;
pub const LOOP: Errno = 32;
pub const NAMETOOLONG: Errno = 37;
pub const NOENT: Errno = 44;
pub const NOSYS: Errno = 52;
pub const NOTDIR: Errno = 54;
pub const NOTEMPTY: Errno = 55;
pub const NOTSUP: Errno = 58;
pub const OVERFLOW: Errno = 61;
pub const PERM: Errno = 63;
pub const SPIPE: Errno = 70;
pub const NOTCAPABLE: Errno = 76;
pub const NOMEM: Errno = 48;
pub const NOTSOCK: Errno = 57;

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
    use libc::*;
    match e {
        E2BIG => 1,
        EACCES => 2,
        EADDRINUSE => 3,
        EADDRNOTAVAIL => 4,
        EAFNOSUPPORT => 5,
        EAGAIN => 6,
        EALREADY => 7,
        EBADF => 8,
        EBADMSG => 9,
        EBUSY => 10,
        ECANCELED => 11,
        ECHILD => 12,
        ECONNABORTED => 13,
        ECONNREFUSED => 14,
        ECONNRESET => 15,
        EDEADLK => 16,
        EDESTADDRREQ => 17,
        EDOM => 18,
        EDQUOT => 19,
        EEXIST => 20,
        EFAULT => 21,
        EFBIG => 22,
        EHOSTUNREACH => 23,
        EIDRM => 24,
        EILSEQ => 25,
        EINPROGRESS => 26,
        EINTR => 27,
        EINVAL => 28,
        EIO => 29,
        EISCONN => 30,
        EISDIR => 31,
        ELOOP => 32,
        EMFILE => 33,
        EMLINK => 34,
        EMSGSIZE => 35,
        EMULTIHOP => 36,
        ENAMETOOLONG => 37,
        ENETDOWN => 38,
        ENETRESET => 39,
        ENETUNREACH => 40,
        ENFILE => 41,
        ENOBUFS => 42,
        ENODEV => 43,
        ENOENT => 44,
        ENOEXEC => 45,
        ENOLCK => 46,
        ENOLINK => 47,
        ENOMEM => 48,
        ENOMSG => 49,
        ENOPROTOOPT => 50,
        ENOSPC => 51,
        ENOSYS => 52,
        ENOTCONN => 53,
        ENOTDIR => 54,
        ENOTEMPTY => 55,
        ENOTRECOVERABLE => 56,
        ENOTSOCK => 57,
        ENOTSUP => 58,
        ENOTTY => 59,
        ENXIO => 60,
        EOVERFLOW => 61,
        EOWNERDEAD => 62,
        EPERM => 63,
        EPIPE => 64,
        EPROTO => 65,
        EPROTONOSUPPORT => 66,
        EPROTOTYPE => 67,
        ERANGE => 68,
        EROFS => 69,
        ESPIPE => 70,
        ESRCH => 71,
        ESTALE => 72,
        ETIMEDOUT => 73,
        ETXTBSY => 74,
        EXDEV => 75,
        _ => 29,
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
