/* Shared helpers of Kiln's WASI conformance programs (built with clang-16 --target=wasm32-wasi).
 * Every program prints one line per observation; nothing host-specific (inode numbers,
 * timestamps, addresses) is printed raw, only relations between such values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const char *const ERRNO_NAMES[] = {
    "SUCCESS", "2BIG", "ACCES", "ADDRINUSE", "ADDRNOTAVAIL", "AFNOSUPPORT", "AGAIN", "ALREADY",
    "BADF", "BADMSG", "BUSY", "CANCELED", "CHILD", "CONNABORTED", "CONNREFUSED", "CONNRESET",
    "DEADLK", "DESTADDRREQ", "DOM", "DQUOT", "EXIST", "FAULT", "FBIG", "HOSTUNREACH", "IDRM",
    "ILSEQ", "INPROGRESS", "INTR", "INVAL", "IO", "ISCONN", "ISDIR", "LOOP", "MFILE", "MLINK",
    "MSGSIZE", "MULTIHOP", "NAMETOOLONG", "NETDOWN", "NETRESET", "NETUNREACH", "NFILE",
    "NOBUFS", "NODEV", "NOENT", "NOEXEC", "NOLCK", "NOLINK", "NOMEM", "NOMSG", "NOPROTOOPT",
    "NOSPC", "NOSYS", "NOTCONN", "NOTDIR", "NOTEMPTY", "NOTRECOVERABLE", "NOTSOCK", "NOTSUP",
    "NOTTY", "NXIO", "OVERFLOW", "OWNERDEAD", "PERM", "PIPE", "PROTO", "PROTONOSUPPORT",
    "PROTOTYPE", "RANGE", "ROFS", "SPIPE", "SRCH", "STALE", "TIMEDOUT", "TXTBSY", "XDEV",
    "NOTCAPABLE",
};

static const char *errname(__wasi_errno_t e) {
    static char buf[32];
    if (e < sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0]) return ERRNO_NAMES[e];
    snprintf(buf, sizeof buf, "errno-%u", (unsigned)e);
    return buf;
}

/* Prints `label: ERRNAME` and yields the errno. */
#define E(label, expr)                                            \
    ({                                                            \
        __wasi_errno_t e_ = (expr);                               \
        printf("%s: %s\n", (label), errname(e_));                 \
        e_;                                                       \
    })

/* A pointer far outside linear memory. */
#define BAD_PTR ((void *)0xfffffff0u)
/* A misaligned pointer for 4- and 8-byte results. */
static char misaligned_buf[64] __attribute__((aligned(8)));
#define MISALIGNED ((void *)(misaligned_buf + 1))

/* The fd of the preopen named `name`, or -1. */
static int preopen(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
        char buf[256];
        if (ps.u.dir.pr_name_len >= sizeof buf) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, ps.u.dir.pr_name_len) != 0) continue;
        buf[ps.u.dir.pr_name_len] = 0;
        if (strcmp(buf, name) == 0) return fd;
    }
    return -1;
}

static __wasi_fd_t sandbox(void) {
    int fd = preopen("/sandbox");
    if (fd < 0) {
        printf("no /sandbox preopen\n");
        exit(2);
    }
    return (__wasi_fd_t)fd;
}

static const __wasi_rights_t RIGHTS_RW =
    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
    __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
    __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC |
    __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |
    __WASI_RIGHTS_POLL_FD_READWRITE;
static const __wasi_rights_t RIGHTS_RO = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |
                                         __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
static const __wasi_rights_t RIGHTS_DIR = (__wasi_rights_t)0x1fffffff;

/* path_open relative to `dir` with a C string path. */
static __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path,
                              __wasi_oflags_t of, __wasi_rights_t base, __wasi_fdflags_t ff,
                              __wasi_fd_t *out) {
    return __wasi_path_open(dir, lf, path, of, base, base, ff, out);
}

/* Writes a whole C string to `fd`; the errno. */
static __wasi_errno_t put(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &iov, 1, &n);
}

/* Reads up to `cap - 1` bytes at the current position into `buf` (NUL-terminated). */
static __wasi_errno_t get(__wasi_fd_t fd, char *buf, size_t cap, __wasi_size_t *n) {
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};
    __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, n);
    buf[e == 0 ? *n : 0] = 0;
    return e;
}

/* Raw imports, for explicit (possibly bad) pointers and lengths. */
#define WASI_IMPORT(n) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#n)))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags,
                      int32_t out) WASI_IMPORT(path_open);
int32_t raw_path_create_directory(int32_t fd, int32_t path, int32_t len)
    WASI_IMPORT(path_create_directory);
int32_t raw_path_unlink_file(int32_t fd, int32_t path, int32_t len) WASI_IMPORT(path_unlink_file);
int32_t raw_path_remove_directory(int32_t fd, int32_t path, int32_t len)
    WASI_IMPORT(path_remove_directory);
int32_t raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t len, int32_t out)
    WASI_IMPORT(path_filestat_get);
int32_t raw_path_readlink(int32_t fd, int32_t path, int32_t len, int32_t buf, int32_t buf_len,
                          int32_t out) WASI_IMPORT(path_readlink);
int32_t raw_path_symlink(int32_t old, int32_t old_len, int32_t fd, int32_t path, int32_t len)
    WASI_IMPORT(path_symlink);
int32_t raw_path_rename(int32_t fd, int32_t old, int32_t old_len, int32_t fd2, int32_t path,
                        int32_t len) WASI_IMPORT(path_rename);
int32_t raw_path_link(int32_t fd, int32_t flags, int32_t old, int32_t old_len, int32_t fd2,
                      int32_t path, int32_t len) WASI_IMPORT(path_link);
int32_t raw_fd_readdir(int32_t fd, int32_t buf, int32_t len, int64_t cookie, int32_t used)
    WASI_IMPORT(fd_readdir);
int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nevents)
    WASI_IMPORT(poll_oneoff);
int32_t raw_proc_raise(int32_t sig) WASI_IMPORT(proc_raise);
#define P(x) ((int32_t)(uintptr_t)(x))

static const char *yn(int b) { return b ? "yes" : "no"; }
