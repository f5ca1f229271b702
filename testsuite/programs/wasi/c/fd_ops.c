/* fd_* on stdio, files and directories: results, errno values and bad pointers. */
#include "common.h"

static void stdio(void) {
    for (__wasi_fd_t fd = 0; fd < 3; fd++) {
        __wasi_fdstat_t st;
        char label[64];
        snprintf(label, sizeof label, "fdstat_get(%u)", fd);
        if (E(label, __wasi_fd_fdstat_get(fd, &st)) == 0)
            printf("  filetype=%u flags=%u base=%llx inheriting=%llx\n", st.fs_filetype,
                   st.fs_flags, (unsigned long long)st.fs_rights_base,
                   (unsigned long long)st.fs_rights_inheriting);
        __wasi_filestat_t fs;
        snprintf(label, sizeof label, "filestat_get(%u)", fd);
        if (E(label, __wasi_fd_filestat_get(fd, &fs)) == 0)
            printf("  filetype=%u size=%llu nlink=%llu\n", fs.filetype,
                   (unsigned long long)fs.size, (unsigned long long)fs.nlink);
        __wasi_filesize_t pos;
        snprintf(label, sizeof label, "seek(%u)", fd);
        E(label, __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
        snprintf(label, sizeof label, "tell(%u)", fd);
        E(label, __wasi_fd_tell(fd, &pos));
        __wasi_prestat_t ps;
        snprintf(label, sizeof label, "prestat_get(%u)", fd);
        E(label, __wasi_fd_prestat_get(fd, &ps));
        snprintf(label, sizeof label, "sync(%u)", fd);
        E(label, __wasi_fd_sync(fd));
        snprintf(label, sizeof label, "datasync(%u)", fd);
        E(label, __wasi_fd_datasync(fd));
        snprintf(label, sizeof label, "advise(%u)", fd);
        E(label, __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL));
        snprintf(label, sizeof label, "allocate(%u)", fd);
        E(label, __wasi_fd_allocate(fd, 0, 1));
        snprintf(label, sizeof label, "set_size(%u)", fd);
        E(label, __wasi_fd_filestat_set_size(fd, 0));
        snprintf(label, sizeof label, "set_times(%u)", fd);
        E(label, __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        snprintf(label, sizeof label, "readdir(%u)", fd);
        char buf[64];
        __wasi_size_t used;
        E(label, __wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &used));
        snprintf(label, sizeof label, "pread(%u)", fd);
        __wasi_iovec_t iov = {(uint8_t *)buf, 4};
        E(label, __wasi_fd_pread(fd, &iov, 1, 0, &used));
        snprintf(label, sizeof label, "pwrite(%u)", fd);
        __wasi_ciovec_t ciov = {(const uint8_t *)"", 0};
        E(label, __wasi_fd_pwrite(fd, &ciov, 1, 0, &used));
        snprintf(label, sizeof label, "set_flags(%u, 0)", fd);
        E(label, __wasi_fd_fdstat_set_flags(fd, 0));
    }
    __wasi_size_t n;
    char buf[16];
    E("read(stdin /dev/null)", get(0, buf, sizeof buf, &n));
    printf("  n=%lu\n", n);
    fflush(stdout);
    E("write(stdin)", put(0, "x"));
    E("read(stdout)", get(1, buf, sizeof buf, &n));
    E("write(stderr)", put(2, "to stderr\n"));
}

static void bad_fds(void) {
    __wasi_fdstat_t st;
    __wasi_filestat_t fs;
    __wasi_filesize_t pos;
    __wasi_size_t n;
    char buf[64];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_prestat_t ps;
    __wasi_fd_t fds[] = {7, 100, 0x7fffffff, 0xffffffff};
    for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        __wasi_fd_t fd = fds[i];
        printf("-- fd %u\n", fd);
        E("fdstat_get", __wasi_fd_fdstat_get(fd, &st));
        E("filestat_get", __wasi_fd_filestat_get(fd, &fs));
        E("read", __wasi_fd_read(fd, &iov, 1, &n));
        E("write", __wasi_fd_write(fd, &ciov, 1, &n));
        E("pread", __wasi_fd_pread(fd, &iov, 1, 0, &n));
        E("pwrite", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
        E("seek", __wasi_fd_seek(fd, 0, 0, &pos));
        E("tell", __wasi_fd_tell(fd, &pos));
        E("close", __wasi_fd_close(fd));
        E("sync", __wasi_fd_sync(fd));
        E("datasync", __wasi_fd_datasync(fd));
        E("advise", __wasi_fd_advise(fd, 0, 0, 0));
        E("allocate", __wasi_fd_allocate(fd, 0, 1));
        E("set_flags", __wasi_fd_fdstat_set_flags(fd, 0));
        E("set_rights", __wasi_fd_fdstat_set_rights(fd, 0, 0));
        E("set_size", __wasi_fd_filestat_set_size(fd, 0));
        E("set_times", __wasi_fd_filestat_set_times(fd, 0, 0, 0));
        E("prestat_get", __wasi_fd_prestat_get(fd, &ps));
        E("prestat_dir_name", __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, 8));
        E("readdir", __wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &n));
        E("renumber(bad, 1)", __wasi_fd_renumber(fd, 1));
        E("renumber(1, bad)", __wasi_fd_renumber(1, fd));
        __wasi_fd_t out;
        E("path_open", __wasi_path_open(fd, 0, "x", 0, 0, 0, 0, &out));
        E("path_create_directory", __wasi_path_create_directory(fd, "x"));
        E("path_filestat_get", __wasi_path_filestat_get(fd, 0, "x", &fs));
        E("path_filestat_set_times", __wasi_path_filestat_set_times(fd, 0, "x", 0, 0, 0));
        E("path_link", __wasi_path_link(fd, 0, "x", fd, "y"));
        E("path_readlink", __wasi_path_readlink(fd, "x", (uint8_t *)buf, 8, &n));
        E("path_remove_directory", __wasi_path_remove_directory(fd, "x"));
        E("path_rename", __wasi_path_rename(fd, "x", fd, "y"));
        E("path_symlink", __wasi_path_symlink("x", fd, "y"));
        E("path_unlink_file", __wasi_path_unlink_file(fd, "x"));
    }
}

static void files(__wasi_fd_t sb) {
    __wasi_fd_t f, g;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    char buf[128];
    __wasi_fdstat_t st;
    __wasi_filestat_t fs;

    E("create f.txt", open_at(sb, 0, "f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                              RIGHTS_RW, 0, &f));
    if (E("fdstat_get(file)", __wasi_fd_fdstat_get(f, &st)) == 0)
        printf("  filetype=%u flags=%u base=%llx inheriting=%llx\n", st.fs_filetype, st.fs_flags,
               (unsigned long long)st.fs_rights_base,
               (unsigned long long)st.fs_rights_inheriting);
    E("write", put(f, "hello, world\n"));
    E("tell", __wasi_fd_tell(f, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("seek set 7", __wasi_fd_seek(f, 7, __WASI_WHENCE_SET, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("read", get(f, buf, sizeof buf, &n));
    printf("  n=%lu data=%s", n, buf);
    E("seek cur -6", __wasi_fd_seek(f, -6, __WASI_WHENCE_CUR, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("seek end -1", __wasi_fd_seek(f, -1, __WASI_WHENCE_END, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("seek end +10", __wasi_fd_seek(f, 10, __WASI_WHENCE_END, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("seek set -1", __wasi_fd_seek(f, -1, __WASI_WHENCE_SET, &pos));
    E("seek cur -1000", __wasi_fd_seek(f, -1000, __WASI_WHENCE_CUR, &pos));
    E("tell", __wasi_fd_tell(f, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("read at end+10", get(f, buf, sizeof buf, &n));
    printf("  n=%lu\n", n);

    /* pread / pwrite do not move the position. */
    E("seek set 2", __wasi_fd_seek(f, 2, __WASI_WHENCE_SET, &pos));
    __wasi_iovec_t iovs[2] = {{(uint8_t *)buf, 3}, {(uint8_t *)buf + 3, 4}};
    E("pread 2 iovs at 0", __wasi_fd_pread(f, iovs, 2, 0, &n));
    buf[n] = 0;
    printf("  n=%lu data=%s\n", (unsigned long)n, buf);
    E("pread past end", __wasi_fd_pread(f, iovs, 2, 1000, &n));
    printf("  n=%lu\n", n);
    __wasi_ciovec_t c2[2] = {{(const uint8_t *)"HE", 2}, {(const uint8_t *)"LLO", 3}};
    E("pwrite 2 iovs at 0", __wasi_fd_pwrite(f, c2, 2, 0, &n));
    printf("  n=%lu\n", n);
    E("pwrite at 20", __wasi_fd_pwrite(f, c2, 1, 20, &n));
    E("pread huge offset", __wasi_fd_pread(f, iovs, 1, 0x8000000000000000ull, &n));
    E("pwrite huge offset", __wasi_fd_pwrite(f, c2, 1, 0x8000000000000000ull, &n));
    E("tell", __wasi_fd_tell(f, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    if (E("filestat_get", __wasi_fd_filestat_get(f, &fs)) == 0)
        printf("  filetype=%u size=%llu nlink=%llu\n", fs.filetype,
               (unsigned long long)fs.size, (unsigned long long)fs.nlink);

    E("set_size 5", __wasi_fd_filestat_set_size(f, 5));
    E("set_size 9", __wasi_fd_filestat_set_size(f, 9));
    E("set_size huge", __wasi_fd_filestat_set_size(f, 0x8000000000000000ull));
    __wasi_fd_filestat_get(f, &fs);
    printf("  size=%llu\n", (unsigned long long)fs.size);
    E("sync", __wasi_fd_sync(f));
    E("datasync", __wasi_fd_datasync(f));
    for (int a = 0; a <= 5; a++) {
        char label[32];
        snprintf(label, sizeof label, "advise %d", a);
        E(label, __wasi_fd_advise(f, 0, 100, (__wasi_advice_t)a));
    }
    E("advise len 0", __wasi_fd_advise(f, 5, 0, 0));
    E("advise huge offset", __wasi_fd_advise(f, 0x8000000000000000ull, 1, 0));
    E("allocate 0 100", __wasi_fd_allocate(f, 0, 100));
    E("allocate len 0", __wasi_fd_allocate(f, 0, 0));
    __wasi_fd_filestat_get(f, &fs);
    printf("  size=%llu\n", (unsigned long long)fs.size);

    /* set_times */
    E("set_times explicit",
      __wasi_fd_filestat_set_times(f, 1000000000ull, 2000000000ull,
                                   __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_fd_filestat_get(f, &fs);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)fs.atim, (unsigned long long)fs.mtim);
    E("set_times atim only", __wasi_fd_filestat_set_times(f, 5000000000ull, 7, __WASI_FSTFLAGS_ATIM));
    __wasi_fd_filestat_get(f, &fs);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)fs.atim, (unsigned long long)fs.mtim);
    E("set_times none", __wasi_fd_filestat_set_times(f, 1, 1, 0));
    __wasi_fd_filestat_get(f, &fs);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)fs.atim, (unsigned long long)fs.mtim);
    E("set_times now",
      __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_timestamp_t now;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    __wasi_fd_filestat_get(f, &fs);
    printf("  mtim near now: %s atim near now: %s\n",
           yn(fs.mtim + 60000000000ull > now && fs.mtim < now + 60000000000ull),
           yn(fs.atim + 60000000000ull > now && fs.atim < now + 60000000000ull));
    E("set_times ATIM|ATIM_NOW",
      __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    E("set_times MTIM|MTIM_NOW",
      __wasi_fd_filestat_set_times(f, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
    E("set_times dir", __wasi_fd_filestat_set_times(sb, 3000000000ull, 4000000000ull,
                                                    __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));

    /* fdstat flags */
    E("set_flags APPEND", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
    __wasi_fd_fdstat_get(f, &st);
    printf("  flags=%u\n", st.fs_flags);
    E("seek set 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos));
    E("write appended", put(f, "<end>"));
    E("tell", __wasi_fd_tell(f, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("pwrite with APPEND", __wasi_fd_pwrite(f, c2, 1, 0, &n));
    E("set_flags NONBLOCK", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_NONBLOCK));
    __wasi_fd_fdstat_get(f, &st);
    printf("  flags=%u\n", st.fs_flags);
    E("set_flags DSYNC", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_DSYNC));
    E("set_flags RSYNC", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_RSYNC));
    E("set_flags SYNC", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC));
    E("set_flags 0", __wasi_fd_fdstat_set_flags(f, 0));
    __wasi_fd_fdstat_get(f, &st);
    printf("  flags=%u\n", st.fs_flags);
    E("set_flags dir", __wasi_fd_fdstat_set_flags(sb, __WASI_FDFLAGS_APPEND));

    /* rights */
    E("set_rights same", __wasi_fd_fdstat_set_rights(f, st.fs_rights_base, st.fs_rights_inheriting));
    E("set_rights fewer", __wasi_fd_fdstat_set_rights(f, __WASI_RIGHTS_FD_READ, 0));
    __wasi_fd_fdstat_get(f, &st);
    printf("  base=%llx inheriting=%llx\n", (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
    E("write after set_rights", put(f, "!"));
    E("set_rights more", __wasi_fd_fdstat_set_rights(f, RIGHTS_DIR, RIGHTS_DIR));
    E("set_rights dir", __wasi_fd_fdstat_set_rights(sb, 0, 0));

    /* A read-only file. */
    E("open ro", open_at(sb, 0, "f.txt", 0, RIGHTS_RO, 0, &g));
    if (E("fdstat_get(ro)", __wasi_fd_fdstat_get(g, &st)) == 0)
        printf("  filetype=%u flags=%u base=%llx inheriting=%llx\n", st.fs_filetype, st.fs_flags,
               (unsigned long long)st.fs_rights_base,
               (unsigned long long)st.fs_rights_inheriting);
    E("write ro", put(g, "nope"));
    E("pwrite ro", __wasi_fd_pwrite(g, c2, 1, 0, &n));
    E("set_size ro", __wasi_fd_filestat_set_size(g, 0));
    E("allocate ro", __wasi_fd_allocate(g, 0, 1));
    E("read ro", get(g, buf, sizeof buf, &n));
    printf("  n=%lu data=%s\n", (unsigned long)n, buf);
    E("readdir file", __wasi_fd_readdir(g, (uint8_t *)buf, sizeof buf, 0, &n));
    __wasi_fd_t h;
    E("path_open on file fd", __wasi_path_open(g, 0, "x", 0, 0, 0, 0, &h));
    E("create_directory on file fd", __wasi_path_create_directory(g, "x"));

    /* A write-only file. */
    __wasi_fd_t w;
    E("open wo", open_at(sb, 0, "f.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, &w));
    if (E("fdstat_get(wo)", __wasi_fd_fdstat_get(w, &st)) == 0)
        printf("  filetype=%u flags=%u base=%llx inheriting=%llx\n", st.fs_filetype, st.fs_flags,
               (unsigned long long)st.fs_rights_base,
               (unsigned long long)st.fs_rights_inheriting);
    E("read wo", get(w, buf, sizeof buf, &n));
    E("pread wo", __wasi_fd_pread(w, iovs, 1, 0, &n));
    E("write wo", put(w, "W"));

    /* Directory fds. */
    E("read dir", get(sb, buf, sizeof buf, &n));
    E("write dir", put(sb, "x"));
    E("pread dir", __wasi_fd_pread(sb, iovs, 1, 0, &n));
    E("seek dir", __wasi_fd_seek(sb, 0, 0, &pos));
    E("tell dir", __wasi_fd_tell(sb, &pos));
    E("set_size dir", __wasi_fd_filestat_set_size(sb, 0));
    E("sync dir", __wasi_fd_sync(sb));
    E("datasync dir", __wasi_fd_datasync(sb));
    E("advise dir", __wasi_fd_advise(sb, 0, 0, 0));
    E("allocate dir", __wasi_fd_allocate(sb, 0, 1));
    if (E("fdstat_get(dir)", __wasi_fd_fdstat_get(sb, &st)) == 0)
        printf("  filetype=%u flags=%u base=%llx inheriting=%llx\n", st.fs_filetype, st.fs_flags,
               (unsigned long long)st.fs_rights_base,
               (unsigned long long)st.fs_rights_inheriting);
    if (E("filestat_get(dir)", __wasi_fd_filestat_get(sb, &fs)) == 0)
        printf("  filetype=%u\n", fs.filetype);
    __wasi_prestat_t ps;
    if (E("prestat_get(sandbox)", __wasi_fd_prestat_get(sb, &ps)) == 0)
        printf("  tag=%u len=%u\n", ps.tag, (unsigned)ps.u.dir.pr_name_len);
    E("prestat_get(file)", __wasi_fd_prestat_get(f, &ps));

    /* renumber */
    printf("f=%u g=%u w=%u\n", f, g, w);
    E("renumber g -> w", __wasi_fd_renumber(g, w));
    E("read old g", get(g, buf, sizeof buf, &n));
    E("seek w 0", __wasi_fd_seek(w, 0, 0, &pos));
    E("read w (was g)", get(w, buf, sizeof buf, &n));
    printf("  n=%lu data=%s\n", (unsigned long)n, buf);
    E("renumber w -> w", __wasi_fd_renumber(w, w));
    E("renumber w -> closed", __wasi_fd_renumber(w, g));
    E("open another", open_at(sb, 0, "f.txt", 0, RIGHTS_RO, 0, &h));
    printf("  fd=%u (lowest free reused: %s)\n", h, yn(h == g));
    E("close h", __wasi_fd_close(h));
    E("close h again", __wasi_fd_close(h));
    E("close w", __wasi_fd_close(w));
    E("close f", __wasi_fd_close(f));
    E("read closed", get(f, buf, sizeof buf, &n));

    /* renumber a preopen over a file, then use it. */
    E("open for renumber", open_at(sb, 0, "f.txt", 0, RIGHTS_RO, 0, &h));
    __wasi_fd_t sb2;
    E("open dir .", open_at(sb, 0, ".", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &sb2));
    E("renumber dir -> file fd", __wasi_fd_renumber(sb2, h));
    E("prestat of renumbered", __wasi_fd_prestat_get(h, &ps));
    E("filestat via renumbered", __wasi_path_filestat_get(h, 0, "f.txt", &fs));
    printf("  size=%llu\n", (unsigned long long)fs.size);
    E("close renumbered", __wasi_fd_close(h));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_fd_t sb = sandbox();
    printf("== stdio\n");
    stdio();
    printf("== bad fds\n");
    bad_fds();
    printf("== files\n");
    files(sb);
    printf("== close stdout-ish\n");
    E("close stdin", __wasi_fd_close(0));
    E("fdstat_get(0) after close", __wasi_fd_fdstat_get(0, &(__wasi_fdstat_t){0}));
    E("renumber 2 -> 0 (closed)", __wasi_fd_renumber(2, 0));
    E("renumber 1 -> 2", __wasi_fd_renumber(2, 1));
    printf("done\n");
    return 0;
}
