/* The WASI preview1 layer and `main` of the benchmarks' wasm2c executables.
 *
 * `scripts/bench` translates each benchmark module with `wasm2c -n bench` and compiles the
 * C with wabt's wasm-rt-impl.c and this file (`gcc -O2 -DW2C_HEADER='"x.h"'`). Only what
 * the benchmarks call is here, as the host sees it: stdout/stderr writes, stdin reads, the
 * program's arguments (no environment, no preopened directories), clocks, random bytes and
 * exit; the file functions SQLite imports fail as they must without preopens. Anything
 * else fails to link, naming the missing import. Not a sandbox: pointers
 * from the guest are checked against the memory's size only so that a bad one is an error,
 * not a crash, since a benchmark's output is checked against native.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "wasm-rt-impl.h"
#include W2C_HEADER

/* The instance the imports receive: the module's memory and the program's arguments. */
struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t* memory;
  int argc;
  char** argv;
};

enum { ERRNO_SUCCESS = 0, ERRNO_BADF = 8, ERRNO_FAULT = 21, ERRNO_INVAL = 28,
       ERRNO_IO = 29, ERRNO_NOTSUP = 58, ERRNO_SPIPE = 70 };

typedef struct Z_wasi_snapshot_preview1_instance_t wasi_t;

/* `len` bytes at guest address `p`, or NULL when they are not all inside the memory. */
static uint8_t* mem(wasi_t* w, uint64_t p, uint64_t len) {
  if (p + len > w->memory->size) return NULL;
  return w->memory->data + p;
}

static int put32(wasi_t* w, u32 p, u32 v) {
  uint8_t* d = mem(w, p, 4);
  if (!d) return 0;
  memcpy(d, &v, 4);
  return 1;
}

static int put64(wasi_t* w, u32 p, u64 v) {
  uint8_t* d = mem(w, p, 8);
  if (!d) return 0;
  memcpy(d, &v, 8);
  return 1;
}

u32 Z_wasi_snapshot_preview1Z_args_sizes_get(wasi_t* w, u32 argc_p, u32 size_p) {
  u32 size = 0;
  for (int i = 0; i < w->argc; i++) size += strlen(w->argv[i]) + 1;
  return put32(w, argc_p, w->argc) && put32(w, size_p, size) ? ERRNO_SUCCESS : ERRNO_FAULT;
}

u32 Z_wasi_snapshot_preview1Z_args_get(wasi_t* w, u32 argv_p, u32 buf_p) {
  for (int i = 0; i < w->argc; i++) {
    size_t n = strlen(w->argv[i]) + 1;
    uint8_t* d = mem(w, buf_p, n);
    if (!d || !put32(w, argv_p + 4 * i, buf_p)) return ERRNO_FAULT;
    memcpy(d, w->argv[i], n);
    buf_p += n;
  }
  return ERRNO_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_environ_sizes_get(wasi_t* w, u32 count_p, u32 size_p) {
  return put32(w, count_p, 0) && put32(w, size_p, 0) ? ERRNO_SUCCESS : ERRNO_FAULT;
}

u32 Z_wasi_snapshot_preview1Z_environ_get(wasi_t* w, u32 environ_p, u32 buf_p) {
  (void)w, (void)environ_p, (void)buf_p;
  return ERRNO_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_clock_time_get(wasi_t* w, u32 id, u64 precision, u32 out_p) {
  (void)precision;
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  struct timespec ts;
  if (id >= 4) return ERRNO_INVAL;
  if (clock_gettime(ids[id], &ts)) return ERRNO_INVAL;
  return put64(w, out_p, (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec) ? ERRNO_SUCCESS
                                                                          : ERRNO_FAULT;
}

u32 Z_wasi_snapshot_preview1Z_random_get(wasi_t* w, u32 buf_p, u32 len) {
  uint8_t* d = mem(w, buf_p, len);
  if (!d) return ERRNO_FAULT;
  for (u32 done = 0; done < len;) {
    ssize_t n = getrandom(d + done, len - done, 0);
    if (n < 0) return ERRNO_IO;
    done += (u32)n;
  }
  return ERRNO_SUCCESS;
}

/* Only the standard streams exist. */
static int is_stdio(u32 fd) { return fd <= 2; }

u32 Z_wasi_snapshot_preview1Z_fd_close(wasi_t* w, u32 fd) {
  (void)w;
  return is_stdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF;
}

/* Lua links it (freopen in luaL_loadfilex) but the benchmark never calls it; the standard
 * streams stay where they are. */
u32 Z_wasi_snapshot_preview1Z_fd_renumber(wasi_t* w, u32 fd, u32 to) {
  (void)w;
  return is_stdio(fd) && is_stdio(to) ? ERRNO_NOTSUP : ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_fdstat_get(wasi_t* w, u32 fd, u32 out_p) {
  /* fdstat: filetype u8 (2 = character device), flags u16, rights base u64, inheriting u64. */
  uint8_t* d = mem(w, out_p, 24);
  if (!is_stdio(fd)) return ERRNO_BADF;
  if (!d) return ERRNO_FAULT;
  memset(d, 0, 24);
  d[0] = 2;
  u64 all = ~(u64)0;
  memcpy(d + 8, &all, 8);
  memcpy(d + 16, &all, 8);
  return ERRNO_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_fdstat_set_flags(wasi_t* w, u32 fd, u32 flags) {
  (void)w, (void)flags;
  return is_stdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_seek(wasi_t* w, u32 fd, u64 offset, u32 whence, u32 out_p) {
  (void)w, (void)offset, (void)whence, (void)out_p;
  return is_stdio(fd) ? ERRNO_SPIPE : ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_prestat_get(wasi_t* w, u32 fd, u32 out_p) {
  (void)w, (void)fd, (void)out_p;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_prestat_dir_name(wasi_t* w, u32 fd, u32 p, u32 len) {
  (void)w, (void)fd, (void)p, (void)len;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_filestat_get(wasi_t* w, u32 fd, u32 out_p) {
  /* filestat: dev, ino u64, filetype u8 (2 = character device), nlink, size, 3 times u64. */
  uint8_t* d = mem(w, out_p, 64);
  if (!is_stdio(fd)) return ERRNO_BADF;
  if (!d) return ERRNO_FAULT;
  memset(d, 0, 64);
  d[16] = 2;
  return ERRNO_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_filestat_set_size(wasi_t* w, u32 fd, u64 size) {
  (void)w, (void)size;
  return is_stdio(fd) ? ERRNO_INVAL : ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_fd_sync(wasi_t* w, u32 fd) {
  (void)w;
  return is_stdio(fd) ? ERRNO_INVAL : ERRNO_BADF;
}

/* SQLite imports the file system but the benchmark's database is in memory. With no
 * preopened directory there is no directory descriptor to resolve a path against, so every
 * path function fails as WASI says it must, with EBADF. */
u32 Z_wasi_snapshot_preview1Z_path_open(wasi_t* w, u32 fd, u32 dirflags, u32 path, u32 len,
                                        u32 oflags, u64 base, u64 inheriting, u32 fdflags,
                                        u32 out_p) {
  (void)w, (void)fd, (void)dirflags, (void)path, (void)len, (void)oflags, (void)base;
  (void)inheriting, (void)fdflags, (void)out_p;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_path_filestat_get(wasi_t* w, u32 fd, u32 flags, u32 path,
                                                u32 len, u32 out_p) {
  (void)w, (void)fd, (void)flags, (void)path, (void)len, (void)out_p;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_path_filestat_set_times(wasi_t* w, u32 fd, u32 flags, u32 path,
                                                      u32 len, u64 atim, u64 mtim, u32 fst) {
  (void)w, (void)fd, (void)flags, (void)path, (void)len, (void)atim, (void)mtim, (void)fst;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_path_readlink(wasi_t* w, u32 fd, u32 path, u32 len, u32 buf,
                                            u32 buf_len, u32 out_p) {
  (void)w, (void)fd, (void)path, (void)len, (void)buf, (void)buf_len, (void)out_p;
  return ERRNO_BADF;
}

static u32 no_path(wasi_t* w, u32 fd, u32 path, u32 len) {
  (void)w, (void)fd, (void)path, (void)len;
  return ERRNO_BADF;
}

u32 Z_wasi_snapshot_preview1Z_path_create_directory(wasi_t* w, u32 fd, u32 path, u32 len) {
  return no_path(w, fd, path, len);
}

u32 Z_wasi_snapshot_preview1Z_path_remove_directory(wasi_t* w, u32 fd, u32 path, u32 len) {
  return no_path(w, fd, path, len);
}

u32 Z_wasi_snapshot_preview1Z_path_unlink_file(wasi_t* w, u32 fd, u32 path, u32 len) {
  return no_path(w, fd, path, len);
}

/* Only for sleeping, which no benchmark does. */
u32 Z_wasi_snapshot_preview1Z_poll_oneoff(wasi_t* w, u32 in, u32 out, u32 n, u32 out_p) {
  (void)w, (void)in, (void)out, (void)n, (void)out_p;
  return ERRNO_NOTSUP;
}

/* fd_write / fd_read: `iovs` is `n` (ptr u32, len u32) pairs; the count goes to `out_p`. */
static u32 rw(wasi_t* w, u32 fd, u32 iovs, u32 n, u32 out_p, int writing) {
  if (!is_stdio(fd) || (fd == 0) == writing) return ERRNO_BADF;
  u32 total = 0;
  for (u32 i = 0; i < n; i++) {
    uint8_t* iov = mem(w, (u64)iovs + 8 * i, 8);
    if (!iov) return ERRNO_FAULT;
    u32 p, len;
    memcpy(&p, iov, 4);
    memcpy(&len, iov + 4, 4);
    uint8_t* d = mem(w, p, len);
    if (!d) return ERRNO_FAULT;
    for (u32 done = 0; done < len;) {
      ssize_t r = writing ? write(fd, d + done, len - done) : read(fd, d + done, len - done);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ERRNO_IO;
      done += (u32)r;
      total += (u32)r;
      if (r == 0 || !writing) break; /* a read returns what one read(2) gave */
    }
    if (!writing && total < len) break;
  }
  return put32(w, out_p, total) ? ERRNO_SUCCESS : ERRNO_FAULT;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(wasi_t* w, u32 fd, u32 iovs, u32 n, u32 out_p) {
  return rw(w, fd, iovs, n, out_p, 1);
}

u32 Z_wasi_snapshot_preview1Z_fd_read(wasi_t* w, u32 fd, u32 iovs, u32 n, u32 out_p) {
  return rw(w, fd, iovs, n, out_p, 0);
}

u32 Z_wasi_snapshot_preview1Z_sched_yield(wasi_t* w) {
  (void)w;
  return ERRNO_SUCCESS;
}

/* Writes go straight to the descriptors, so there is nothing to flush. */
void Z_wasi_snapshot_preview1Z_proc_exit(wasi_t* w, u32 code) {
  (void)w;
  _exit((int)code);
}

int main(int argc, char** argv) {
  static Z_bench_instance_t inst;
  static wasi_t wasi;
  wasi.argc = argc;
  wasi.argv = argv;
  wasm_rt_init();
  Z_bench_init_module();
  Z_bench_instantiate(&inst, &wasi);
  wasi.memory = Z_benchZ_memory(&inst);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap) {
    fprintf(stderr, "wasm trap: %s\n", wasm_rt_strerror(trap));
    return 134;
  }
  Z_benchZ__start(&inst);
  return 0;
}
