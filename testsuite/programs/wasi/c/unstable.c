/* A C program written for WASI snapshot 0, as an old SDK's program was: it declares
 * snapshot 0's structures (typenames.witx of `wasi_unstable`) and calls the functions whose
 * layout or numbering differs through its own imports, printing through wasi-libc. The
 * test renames all of its imports (libc's included) to `wasi_unstable`, so the whole
 * program runs on snapshot 0. Nothing host-specific is printed raw. */
#include "common.h"

#include <assert.h>

#define P0(n) __attribute__((import_module("wasi_unstable"), import_name(#n)))

/* Snapshot 0's filestat: a 32-bit nlink, 56 bytes. */
typedef struct {
    uint64_t dev, ino;
    uint8_t filetype;
    uint32_t nlink;
    uint64_t size, atim, mtim, ctim;
} filestat0;
static_assert(sizeof(filestat0) == 56, "filestat0");
static_assert(__builtin_offsetof(filestat0, size) == 24, "filestat0.size");

/* Snapshot 0's subscription: a clock starts with an `identifier`; 56 bytes. */
typedef struct {
    uint64_t userdata;
    uint8_t tag;
    union {
        struct {
            uint64_t identifier;
            uint32_t id;
            uint64_t timeout, precision;
            uint16_t flags;
        } clock;
        struct {
            uint32_t fd;
        } fd;
    } u;
} subscription0;
static_assert(sizeof(subscription0) == 56, "subscription0");

enum { WHENCE0_CUR = 0, WHENCE0_END = 1, WHENCE0_SET = 2 };

int32_t p0_fd_seek(int32_t fd, int64_t off, int32_t whence, uint64_t *out) P0(fd_seek);
int32_t p0_fd_filestat_get(int32_t fd, filestat0 *out) P0(fd_filestat_get);
int32_t p0_path_filestat_get(int32_t fd, int32_t flags, const char *path, int32_t len,
                             filestat0 *out) P0(path_filestat_get);
int32_t p0_fd_fdstat_get(int32_t fd, __wasi_fdstat_t *out) P0(fd_fdstat_get);
int32_t p0_poll_oneoff(const subscription0 *in, __wasi_event_t *out, int32_t n,
                       uint32_t *nevents) P0(poll_oneoff);

static void stat_line(const char *what, int32_t e, const filestat0 *st) {
    printf("%s: %s filetype=%u nlink=%u size=%llu dev,ino,mtim set: %s\n", what, errname(e),
           st->filetype, st->nlink, (unsigned long long)st->size,
           yn(st->dev && st->ino && st->mtim));
}

int main(void) {
    __wasi_fd_t dir = sandbox();
    __wasi_fd_t f;
    E("open f.txt", open_at(dir, 0, "f.txt", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &f));
    E("write", put(f, "hello, snapshot 0\n"));

    uint64_t pos = 99;
    int32_t e = p0_fd_seek(f, 7, WHENCE0_SET, &pos);
    printf("seek SET 7: %s -> %llu\n", errname(e), (unsigned long long)pos);
    e = p0_fd_seek(f, 2, WHENCE0_CUR, &pos);
    printf("seek CUR 2: %s -> %llu\n", errname(e), (unsigned long long)pos);
    char buf[32];
    __wasi_size_t n;
    E("read", get(f, buf, 9, &n));
    printf("read after seeks: \"%s\"\n", buf);
    e = p0_fd_seek(f, -3, WHENCE0_END, &pos);
    printf("seek END -3: %s -> %llu\n", errname(e), (unsigned long long)pos);

    filestat0 st;
    memset(&st, 0xaa, sizeof st);
    stat_line("fd_filestat_get f.txt", p0_fd_filestat_get(f, &st), &st);
    memset(&st, 0xaa, sizeof st);
    stat_line("path_filestat_get .", p0_path_filestat_get(dir, 1, ".", 1, &st), &st);

    __wasi_fdstat_t fs;
    e = p0_fd_fdstat_get(f, &fs);
    printf("fdstat f.txt: %s filetype=%u rights=%llx\n", errname(e), fs.fs_filetype,
           (unsigned long long)fs.fs_rights_base);

    subscription0 sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 42;
    sub.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.clock.identifier = 7;
    sub.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.clock.timeout = 2000000;
    __wasi_event_t ev;
    uint32_t nev = 0;
    e = p0_poll_oneoff(&sub, &ev, 1, &nev);
    printf("poll 2ms: %s events=%u userdata=%llu type=%u error=%u\n", errname(e), nev,
           (unsigned long long)ev.userdata, ev.type, ev.error);
    printf("subscription kept: identifier=%llu timeout=%llu\n",
           (unsigned long long)sub.u.clock.identifier, (unsigned long long)sub.u.clock.timeout);
    puts("done");
    return 0;
}
