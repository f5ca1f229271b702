/* Bad pointers and invalid enum/flag values, one case per run (`bad_args N`): wasmtime ends
 * the program for some (out-of-bounds or misaligned pointers) and returns an errno for
 * others. Prints "no such case" and exits 99 past the last case. */
#include "common.h"

int main(int argc, char **argv) {
    int c = argc > 1 ? atoi(argv[1]) : 0;
    __wasi_fd_t sb = sandbox();
    __wasi_fd_t f;
    if (open_at(sb, 0, "file", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &f) != 0) return 3;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_ciovec_t ciov = {(const uint8_t *)"ok\n", 3};
    __wasi_ciovec_t bad_buf = {(const uint8_t *)BAD_PTR, 8};
    __wasi_ciovec_t huge_buf = {(const uint8_t *)"x", 0xffffffffu};
    __wasi_iovec_t bad_rbuf = {(uint8_t *)BAD_PTR, 8};
    __wasi_filestat_t fs;
    __wasi_fdstat_t st;
    __wasi_timestamp_t ts;
    char buf[64];
    __wasi_ciovec_t empty[2] = {{(const uint8_t *)BAD_PTR, 0}, {(const uint8_t *)"e\n", 2}};
    printf("case %d\n", c);
    fflush(stdout);
    switch (c) {
    case 0: E("write bad iovs", __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD_PTR, 1, &n)); break;
    case 1: E("write bad buf", __wasi_fd_write(1, &bad_buf, 1, &n)); break;
    case 2: E("write huge len", __wasi_fd_write(1, &huge_buf, 1, &n)); break;
    case 3: E("write bad nwritten", __wasi_fd_write(1, &ciov, 1, (__wasi_size_t *)BAD_PTR)); break;
    case 4: E("write misaligned nwritten", __wasi_fd_write(1, &ciov, 1, (__wasi_size_t *)MISALIGNED)); break;
    case 5: E("write misaligned iovs", __wasi_fd_write(1, (const __wasi_ciovec_t *)MISALIGNED, 1, &n)); break;
    case 6: E("write bad iovs count 0", __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD_PTR, 0, &n)); break;
    case 7: E("write empty bad first", __wasi_fd_write(1, empty, 2, &n)); break;
    case 8: E("write bad fd bad iovs", __wasi_fd_write(77, (const __wasi_ciovec_t *)BAD_PTR, 1, &n)); break;
    case 9: E("read bad buf", __wasi_fd_read(f, &bad_rbuf, 1, &n)); break;
    case 10: E("read bad nread", __wasi_fd_read(f, &bad_rbuf, 0, (__wasi_size_t *)BAD_PTR)); break;
    case 11: E("pread bad buf", __wasi_fd_pread(f, &bad_rbuf, 1, 0, &n)); break;
    case 12: E("pwrite bad buf", __wasi_fd_pwrite(f, &bad_buf, 1, 0, &n)); break;
    case 13: E("fdstat_get bad", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)BAD_PTR)); break;
    case 14: E("fdstat_get misaligned", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)MISALIGNED)); break;
    case 15: E("filestat_get bad", __wasi_fd_filestat_get(f, (__wasi_filestat_t *)BAD_PTR)); break;
    case 16: E("tell bad", __wasi_fd_tell(f, (__wasi_filesize_t *)BAD_PTR)); break;
    case 17: E("seek bad", __wasi_fd_seek(f, 0, 0, (__wasi_filesize_t *)BAD_PTR)); break;
    case 18: E("seek misaligned", __wasi_fd_seek(f, 0, 0, (__wasi_filesize_t *)MISALIGNED)); break;
    case 19: E("seek whence 3", __wasi_fd_seek(f, 0, 3, &pos)); break;
    case 20: E("prestat_get bad", __wasi_fd_prestat_get(sb, (__wasi_prestat_t *)BAD_PTR)); break;
    case 21: E("prestat_dir_name bad", __wasi_fd_prestat_dir_name(sb, (uint8_t *)BAD_PTR, 8)); break;
    case 22: E("prestat_dir_name short", __wasi_fd_prestat_dir_name(sb, (uint8_t *)buf, 2)); break;
    case 23: E("args_sizes_get bad", __wasi_args_sizes_get((__wasi_size_t *)BAD_PTR, &n)); break;
    case 24: E("args_get bad", __wasi_args_get((uint8_t **)BAD_PTR, (uint8_t *)buf)); break;
    case 25: E("environ_get bad", __wasi_environ_get((uint8_t **)buf, (uint8_t *)BAD_PTR)); break;
    case 26: E("clock_time_get bad", __wasi_clock_time_get(0, 1, (__wasi_timestamp_t *)BAD_PTR)); break;
    case 27: E("clock_time_get misaligned", __wasi_clock_time_get(1, 1, (__wasi_timestamp_t *)MISALIGNED)); break;
    case 28: E("clock_time_get id 4", __wasi_clock_time_get(4, 1, &ts)); break;
    case 29: E("clock_res_get id 9", __wasi_clock_res_get(9, &ts)); break;
    case 30: E("random_get bad", __wasi_random_get((uint8_t *)BAD_PTR, 32)); break;
    case 31: E("random_get bad len 0", __wasi_random_get((uint8_t *)BAD_PTR, 0)); break;
    case 32: E("advise 6", __wasi_fd_advise(f, 0, 0, 6)); break;
    case 33: E("set_flags bit 7", __wasi_fd_fdstat_set_flags(f, 1 << 7)); break;
    case 34: E("set_times bit 4", __wasi_fd_filestat_set_times(f, 0, 0, 1 << 4)); break;
    case 35: E("path_open bad path", raw_path_open(sb, 0, P(BAD_PTR), 4, 0, 0, 0, 0, P(&f))); break;
    case 36: E("path_open bad out", raw_path_open(sb, 0, P("file"), 4, 0, 0, 0, 0, P(BAD_PTR))); break;
    case 37: E("path_open oflags bit 4", raw_path_open(sb, 0, P("file"), 4, 16, 0, 0, 0, P(&f))); break;
    case 38: E("path_open lookupflags bit 1", raw_path_open(sb, 2, P("file"), 4, 0, 0, 0, 0, P(&f))); break;
    case 39: E("path_open rights bit 40", raw_path_open(sb, 0, P("file"), 4, 0, 1ll << 40, 0, 0, P(&f))); break;
    case 40: E("path_open fdflags bit 6", raw_path_open(sb, 0, P("file"), 4, 0, 0, 0, 64, P(&f))); break;
    case 41: E("path_open invalid utf8", raw_path_open(sb, 0, P("fi\xffle"), 5, 0, 0, 0, 0, P(&f))); break;
    case 42: E("path_open embedded nul", raw_path_open(sb, 0, P("fi\0le"), 5, 0, 0, 0, 0, P(&f))); break;
    case 43: E("path_create_directory bad", raw_path_create_directory(sb, P(BAD_PTR), 3)); break;
    case 44: E("path_filestat_get bad out", raw_path_filestat_get(sb, 0, P("file"), 4, P(BAD_PTR))); break;
    case 45: E("path_readlink bad buf", raw_path_readlink(sb, P("file"), 4, P(BAD_PTR), 8, P(&n))); break;
    case 46: E("readdir bad buf", raw_fd_readdir(sb, P(BAD_PTR), 64, 0, P(&n))); break;
    case 47: E("readdir bad used", raw_fd_readdir(sb, P(buf), 64, 0, P(BAD_PTR))); break;
    case 48: E("poll bad in", raw_poll_oneoff(P(BAD_PTR), P(buf), 1, P(&n))); break;
    case 49: E("poll bad out", __wasi_poll_oneoff((void *)buf, (__wasi_event_t *)BAD_PTR, 1, &n)); break;
    case 50: E("poll zero subs", __wasi_poll_oneoff((void *)buf, (__wasi_event_t *)buf, 0, &n)); break;
    case 51: E("proc_raise 99", raw_proc_raise(99)); break;
    case 52: E("proc_raise 1", raw_proc_raise(1)); break;
    case 53: E("sock_shutdown bad how", __wasi_sock_shutdown(1, 7)); break;
    case 54: E("proc_exit 126", (__wasi_proc_exit(126), 0)); break;
    case 55: E("proc_exit 255", (__wasi_proc_exit(255), 0)); break;
    case 56: E("proc_exit 125", (__wasi_proc_exit(125), 0)); break;
    case 57: E("path_symlink bad old", raw_path_symlink(P(BAD_PTR), 3, sb, P("l"), 1)); break;
    case 58: E("path_unlink bad utf8", raw_path_unlink_file(sb, P("\xff"), 1)); break;
    case 59: E("fd_write stdout misaligned iovs count 0", __wasi_fd_write(1, (const __wasi_ciovec_t *)MISALIGNED, 0, &n)); break;
    case 60: E("fdstat_get bad fd bad ptr", __wasi_fd_fdstat_get(77, (__wasi_fdstat_t *)BAD_PTR)); break;
    case 61: E("filestat_set_times bad fd both flags", __wasi_fd_filestat_set_times(77, 0, 0, 3)); break;
    case 62: E("sock_recv bad fd", ({ __wasi_roflags_t ro; __wasi_sock_recv(77, &bad_rbuf, 1, 0, &n, &ro); })); break;
    case 63: E("sock_send stdout", __wasi_sock_send(1, &ciov, 1, 0, &n)); break;
    case 64: E("sock_accept stdout", __wasi_sock_accept(1, 0, &f)); break;
    case 65: E("sock_shutdown stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD)); break;
    case 66: E("sock_accept bad fd", __wasi_sock_accept(77, 0, &f)); break;
    default: printf("no such case\n"); return 99;
    }
    (void)st; (void)fs;
    printf("after\n");
    return 0;
}
