/* path_* functions: results and errno values for files, directories and symlinks. */
#include "common.h"

static __wasi_fd_t sb;

static void open_case(const char *label, __wasi_lookupflags_t lf, const char *path,
                      __wasi_oflags_t of, __wasi_rights_t rights, __wasi_fdflags_t ff) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(sb, lf, path, of, rights, ff, &fd);
    printf("open %s: %s", label, errname(e));
    if (e == 0) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf(" filetype=%u flags=%u base=%llx", st.fs_filetype, st.fs_flags,
               (unsigned long long)st.fs_rights_base);
        __wasi_fd_close(fd);
    }
    printf("\n");
}

static void stat_case(const char *label, __wasi_lookupflags_t lf, const char *path) {
    __wasi_filestat_t fs;
    __wasi_errno_t e = __wasi_path_filestat_get(sb, lf, path, &fs);
    printf("stat %s: %s", label, errname(e));
    if (e == 0)
        printf(" filetype=%u size=%llu nlink=%llu", fs.filetype,
               fs.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)fs.size,
               fs.filetype == __WASI_FILETYPE_DIRECTORY ? 0ull : (unsigned long long)fs.nlink);
    printf("\n");
}

static void readlink_case(const char *path, size_t cap) {
    char buf[128];
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_path_readlink(sb, path, (uint8_t *)buf, cap, &n);
    printf("readlink %s cap %zu: %s", path, cap, errname(e));
    if (e == 0) printf(" n=%lu target=%.*s", (unsigned long)n, (int)n, buf);
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sb = sandbox();
    __wasi_fd_t fd;
    /* Setup. */
    E("mkdir d", __wasi_path_create_directory(sb, "d"));
    E("mkdir d again", __wasi_path_create_directory(sb, "d"));
    E("mkdir d/e", __wasi_path_create_directory(sb, "d/e"));
    E("mkdir x/y (no x)", __wasi_path_create_directory(sb, "x/y"));
    E("mkdir trailing slash", __wasi_path_create_directory(sb, "t/"));
    E("mkdir empty", __wasi_path_create_directory(sb, ""));
    E("mkdir .", __wasi_path_create_directory(sb, "."));
    E("mkdir d/..", __wasi_path_create_directory(sb, "d/.."));
    E("create d/f", open_at(sb, 0, "d/f", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd));
    E("write d/f", put(fd, "0123456789"));
    E("close", __wasi_fd_close(fd));
    E("mkdir under file", __wasi_path_create_directory(sb, "d/f/g"));
    E("mkdir over file", __wasi_path_create_directory(sb, "d/f"));

    /* path_open flags. */
    open_case("d/f ro", 0, "d/f", 0, RIGHTS_RO, 0);
    open_case("d/f rw", 0, "d/f", 0, RIGHTS_RW, 0);
    open_case("d/f no rights", 0, "d/f", 0, 0, 0);
    open_case("d/f write only", 0, "d/f", 0, __WASI_RIGHTS_FD_WRITE, 0);
    open_case("d/f CREAT", 0, "d/f", __WASI_OFLAGS_CREAT, RIGHTS_RO, 0);
    open_case("d/f CREAT|EXCL", 0, "d/f", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_RW, 0);
    open_case("new EXCL only", 0, "d/new", __WASI_OFLAGS_EXCL, RIGHTS_RW, 0);
    open_case("new CREAT|EXCL", 0, "d/new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_RW, 0);
    open_case("missing", 0, "d/missing", 0, RIGHTS_RO, 0);
    open_case("missing dir", 0, "nodir/x", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    open_case("d/f DIRECTORY", 0, "d/f", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0);
    open_case("d DIRECTORY", 0, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0);
    open_case("d DIRECTORY no rights", 0, "d", __WASI_OFLAGS_DIRECTORY, 0, 0);
    open_case("d DIRECTORY dir rights", 0, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0);
    open_case("d DIRECTORY|CREAT", 0, "d", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, RIGHTS_RO, 0);
    open_case("newdir DIRECTORY|CREAT", 0, "newdir", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, RIGHTS_RO, 0);
    open_case("d DIRECTORY|TRUNC", 0, "d", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_TRUNC, RIGHTS_RO, 0);
    open_case("d DIRECTORY|EXCL", 0, "d", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_EXCL, RIGHTS_RO, 0);
    open_case("d no flags ro", 0, "d", 0, RIGHTS_RO, 0);
    open_case("d rw", 0, "d", 0, RIGHTS_RW, 0);
    open_case("d CREAT", 0, "d", __WASI_OFLAGS_CREAT, RIGHTS_RO, 0);
    open_case("d TRUNC", 0, "d", __WASI_OFLAGS_TRUNC, RIGHTS_RO, 0);
    open_case("d/ trailing", 0, "d/", 0, RIGHTS_RO, 0);
    open_case("d/f/ trailing", 0, "d/f/", 0, RIGHTS_RO, 0);
    open_case("d/f/. ", 0, "d/f/.", 0, RIGHTS_RO, 0);
    open_case("new/ CREAT", 0, "d/newslash/", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    open_case(".", 0, ".", 0, RIGHTS_RO, 0);
    open_case("empty path", 0, "", 0, RIGHTS_RO, 0);
    open_case("d/./e/..//f", 0, "d/./e/..//f", 0, RIGHTS_RO, 0);
    open_case("APPEND", 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_APPEND);
    open_case("NONBLOCK", 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_NONBLOCK);
    open_case("DSYNC", 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_DSYNC);
    open_case("SYNC", 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_SYNC);
    open_case("RSYNC", 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_RSYNC);
    open_case("TRUNC ro", 0, "d/new", __WASI_OFLAGS_TRUNC, RIGHTS_RO, 0);
    stat_case("d/new after TRUNC", 0, "d/new");

    /* O_TRUNC and O_APPEND effects. */
    E("open TRUNC", open_at(sb, 0, "d/f", __WASI_OFLAGS_TRUNC, RIGHTS_RW, 0, &fd));
    stat_case("d/f after TRUNC", 0, "d/f");
    E("write", put(fd, "abc"));
    E("close", __wasi_fd_close(fd));
    E("open APPEND", open_at(sb, 0, "d/f", 0, RIGHTS_RW, __WASI_FDFLAGS_APPEND, &fd));
    __wasi_filesize_t pos;
    E("tell", __wasi_fd_tell(fd, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("write", put(fd, "def"));
    E("tell", __wasi_fd_tell(fd, &pos));
    printf("  pos=%llu\n", (unsigned long long)pos);
    E("close", __wasi_fd_close(fd));
    stat_case("d/f after APPEND", 0, "d/f");

    /* Symlinks. */
    E("symlink f -> d/lf", __wasi_path_symlink("f", sb, "d/lf"));
    E("symlink again", __wasi_path_symlink("f", sb, "d/lf"));
    E("symlink dangling", __wasi_path_symlink("nothing", sb, "d/dangling"));
    E("symlink to dir", __wasi_path_symlink("e", sb, "d/le"));
    E("symlink loop a", __wasi_path_symlink("loopb", sb, "loopa"));
    E("symlink loop b", __wasi_path_symlink("loopa", sb, "loopb"));
    E("symlink self", __wasi_path_symlink("self", sb, "self"));
    E("symlink trailing slash", __wasi_path_symlink("f", sb, "d/ls/"));
    E("symlink empty target", __wasi_path_symlink("", sb, "d/lempty"));
    E("symlink in missing dir", __wasi_path_symlink("f", sb, "nodir/l"));
    stat_case("d/lf nofollow", 0, "d/lf");
    stat_case("d/lf follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/lf");
    stat_case("d/dangling nofollow", 0, "d/dangling");
    stat_case("d/dangling follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/dangling");
    stat_case("loopa follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loopa");
    stat_case("loopa nofollow", 0, "loopa");
    stat_case("d/le/ nofollow", 0, "d/le/");
    stat_case("missing", 0, "missing");
    stat_case("d/f/x", 0, "d/f/x");
    stat_case(".", 0, ".");
    stat_case("empty", 0, "");
    stat_case("d/..", 0, "d/..");
    open_case("d/lf nofollow", 0, "d/lf", 0, RIGHTS_RO, 0);
    open_case("d/lf follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/lf", 0, RIGHTS_RO, 0);
    open_case("d/le nofollow dir", 0, "d/le", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0);
    open_case("d/le follow dir", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/le", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0);
    open_case("d/le/ nofollow", 0, "d/le/", 0, RIGHTS_RO, 0);
    open_case("d/dangling follow CREAT", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/dangling", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    open_case("d/dangling nofollow CREAT", 0, "d/dangling", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0);
    open_case("loopa follow", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loopa", 0, RIGHTS_RO, 0);
    open_case("loopa nofollow", 0, "loopa", 0, RIGHTS_RO, 0);
    open_case("loopa/x", 0, "loopa/x", 0, RIGHTS_RO, 0);
    readlink_case("d/lf", 64);
    readlink_case("d/lf", 0);
    readlink_case("d/dangling", 3);
    readlink_case("d/f", 64);
    readlink_case("d", 64);
    readlink_case("missing", 64);
    readlink_case("d/le/", 64);

    /* Hard links. */
    E("link d/f -> hard", __wasi_path_link(sb, 0, "d/f", sb, "hard"));
    stat_case("hard", 0, "hard");
    E("link again", __wasi_path_link(sb, 0, "d/f", sb, "hard"));
    E("link dir", __wasi_path_link(sb, 0, "d", sb, "hardd"));
    E("link missing", __wasi_path_link(sb, 0, "missing", sb, "hm"));
    E("link symlink nofollow", __wasi_path_link(sb, 0, "d/lf", sb, "hardl"));
    E("link symlink follow", __wasi_path_link(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/lf", sb, "hardl2"));
    stat_case("hardl nofollow", 0, "hardl");
    stat_case("hardl2 nofollow", 0, "hardl2");
    E("link trailing slash", __wasi_path_link(sb, 0, "d/f", sb, "hs/"));

    /* Rename. */
    E("rename hard -> h2", __wasi_path_rename(sb, "hard", sb, "h2"));
    E("rename missing", __wasi_path_rename(sb, "hard", sb, "h3"));
    E("rename file over dir", __wasi_path_rename(sb, "h2", sb, "d/e"));
    E("rename dir over file", __wasi_path_rename(sb, "d/e", sb, "h2"));
    E("mkdir full", __wasi_path_create_directory(sb, "full"));
    E("mkdir full/x", __wasi_path_create_directory(sb, "full/x"));
    E("mkdir empty2", __wasi_path_create_directory(sb, "empty2"));
    E("rename dir over nonempty dir", __wasi_path_rename(sb, "empty2", sb, "full"));
    E("rename dir over empty dir", __wasi_path_rename(sb, "full", sb, "empty2"));
    E("rename dir into itself", __wasi_path_rename(sb, "empty2", sb, "empty2/x/y"));
    E("rename dir trailing slash", __wasi_path_rename(sb, "empty2/", sb, "moved/"));
    E("rename file trailing slash", __wasi_path_rename(sb, "h2/", sb, "h4"));
    E("rename file to trailing slash", __wasi_path_rename(sb, "h2", sb, "h4/"));
    E("rename file over itself", __wasi_path_rename(sb, "h2", sb, "h2"));
    E("rename symlink", __wasi_path_rename(sb, "d/dangling", sb, "dangling2"));
    E("rename .", __wasi_path_rename(sb, ".", sb, "dot"));
    E("rename to empty", __wasi_path_rename(sb, "h2", sb, ""));

    /* Unlink and rmdir. */
    E("unlink dir", __wasi_path_unlink_file(sb, "d/e"));
    E("unlink missing", __wasi_path_unlink_file(sb, "missing"));
    E("unlink trailing slash", __wasi_path_unlink_file(sb, "h2/"));
    E("unlink symlink to dir", __wasi_path_unlink_file(sb, "d/le"));
    E("unlink symlink to dir/", __wasi_path_unlink_file(sb, "d/lf/"));
    E("unlink h2", __wasi_path_unlink_file(sb, "h2"));
    E("unlink .", __wasi_path_unlink_file(sb, "."));
    E("rmdir file", __wasi_path_remove_directory(sb, "d/f"));
    E("rmdir nonempty", __wasi_path_remove_directory(sb, "moved"));
    E("rmdir missing", __wasi_path_remove_directory(sb, "missing"));
    E("rmdir symlink", __wasi_path_remove_directory(sb, "loopa"));
    E("rmdir .", __wasi_path_remove_directory(sb, "."));
    E("rmdir d/e/..", __wasi_path_remove_directory(sb, "d/e/.."));
    E("rmdir moved/x/", __wasi_path_remove_directory(sb, "moved/x/"));
    E("rmdir empty", __wasi_path_remove_directory(sb, ""));

    /* path_filestat_set_times. */
    __wasi_filestat_t fs;
    E("set_times explicit", __wasi_path_filestat_set_times(sb, 0, "d/f", 3000000000ull, 4000000000ull,
                                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_path_filestat_get(sb, 0, "d/f", &fs);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)fs.atim, (unsigned long long)fs.mtim);
    E("set_times mtim only", __wasi_path_filestat_set_times(sb, 0, "d/f", 0, 6000000000ull, __WASI_FSTFLAGS_MTIM));
    __wasi_path_filestat_get(sb, 0, "d/f", &fs);
    printf("  atim=%llu mtim=%llu\n", (unsigned long long)fs.atim, (unsigned long long)fs.mtim);
    E("set_times on symlink nofollow", __wasi_path_filestat_set_times(sb, 0, "d/lf", 7000000000ull, 8000000000ull,
                                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_path_filestat_get(sb, 0, "d/lf", &fs);
    printf("  link mtim=%llu\n", (unsigned long long)fs.mtim);
    __wasi_path_filestat_get(sb, 0, "d/f", &fs);
    printf("  target mtim=%llu\n", (unsigned long long)fs.mtim);
    E("set_times on symlink follow", __wasi_path_filestat_set_times(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/lf",
                                                          9000000000ull, 10000000000ull,
                                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_path_filestat_get(sb, 0, "d/f", &fs);
    printf("  target mtim=%llu\n", (unsigned long long)fs.mtim);
    E("set_times NOW", __wasi_path_filestat_set_times(sb, 0, "d/f", 0, 0,
                                                     __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_timestamp_t now;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    __wasi_path_filestat_get(sb, 0, "d/f", &fs);
    printf("  mtim near now: %s\n", yn(fs.mtim + 60000000000ull > now && fs.mtim < now + 60000000000ull));
    E("set_times ATIM|ATIM_NOW", __wasi_path_filestat_set_times(sb, 0, "d/f", 0, 0,
                                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    E("set_times missing", __wasi_path_filestat_set_times(sb, 0, "missing", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    E("set_times dir", __wasi_path_filestat_set_times(sb, 0, "d", 1000000000ull, 1000000000ull,
                                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    __wasi_path_filestat_get(sb, 0, "d", &fs);
    printf("  d mtim=%llu\n", (unsigned long long)fs.mtim);
    E("set_times .", __wasi_path_filestat_set_times(sb, 0, ".", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    E("set_times dangling follow", __wasi_path_filestat_set_times(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling2", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

    /* Opening through a directory fd obtained with path_open. */
    __wasi_fd_t dfd;
    E("open d", open_at(sb, 0, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR & ~__WASI_RIGHTS_FD_WRITE, 0, &dfd));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(dfd, &st);
    printf("  base=%llx inheriting=%llx\n", (unsigned long long)st.fs_rights_base,
           (unsigned long long)st.fs_rights_inheriting);
    E("open f via d", open_at(dfd, 0, "f", 0, RIGHTS_RO, 0, &fd));
    E("close", __wasi_fd_close(fd));
    E("stat f via d", __wasi_path_filestat_get(dfd, 0, "f", &fs));
    E("mkdir via d", __wasi_path_create_directory(dfd, "sub"));
    E("rename across dir fds", __wasi_path_rename(dfd, "sub", sb, "sub2"));
    E("link across dir fds", __wasi_path_link(sb, 0, "d/f", dfd, "f2"));
    E("symlink via d", __wasi_path_symlink("f2", dfd, "lf2"));
    readlink_case("d/lf2", 64);
    E("unlink via d", __wasi_path_unlink_file(dfd, "f2"));
    E("rmdir via sb", __wasi_path_remove_directory(sb, "sub2"));
    E("filestat_get dir fd", __wasi_fd_filestat_get(dfd, &fs));
    printf("  filetype=%u\n", fs.filetype);
    E("set_times dir fd", __wasi_fd_filestat_set_times(dfd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    E("close d", __wasi_fd_close(dfd));
    E("unlink d/lf2", __wasi_path_unlink_file(sb, "d/lf2"));
    E("unlink loopa", __wasi_path_unlink_file(sb, "loopa"));
    printf("done\n");
    return 0;
}
