/* Attempts to leave the /sandbox preopen, one named case per run (`sandbox CASE`). The host
 * directory beside the sandbox holds `outside.txt` and `outdir/`, which must stay out of
 * reach. */
#include "common.h"

static __wasi_fd_t sb;

static void try_open(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of) {
    __wasi_fd_t fd;
    char label[160];
    snprintf(label, sizeof label, "open %s%s%s", path, lf ? " follow" : "",
             of & __WASI_OFLAGS_CREAT ? " creat" : "");
    __wasi_errno_t e = E(label, open_at(sb, lf, path, of, RIGHTS_RW & ~(of ? 0 : __WASI_RIGHTS_FD_WRITE), 0, &fd));
    if (e == 0) {
        char buf[64];
        __wasi_size_t n;
        __wasi_errno_t r = get(fd, buf, sizeof buf, &n);
        printf("  read %s: %s\n", errname(r), r == 0 ? buf : "");
        __wasi_fd_close(fd);
    }
}

static void try_stat(const char *path, __wasi_lookupflags_t lf) {
    __wasi_filestat_t fs;
    char label[160];
    snprintf(label, sizeof label, "stat %s%s", path, lf ? " follow" : "");
    if (E(label, __wasi_path_filestat_get(sb, lf, path, &fs)) == 0)
        printf("  filetype=%u\n", fs.filetype);
}

static void setup(void) {
    __wasi_fd_t fd;
    __wasi_path_create_directory(sb, "d");
    __wasi_path_create_directory(sb, "d/e");
    if (open_at(sb, 0, "f", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd) == 0) {
        put(fd, "inside\n");
        __wasi_fd_close(fd);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sb = sandbox();
    setup();
    const char *c = argc > 1 ? argv[1] : "";
    __wasi_fd_t fd;
    if (!strcmp(c, "dotdot")) {
        try_open("../outside.txt", 0, 0);
        try_open("d/../../outside.txt", 0, 0);
        try_open("d/e/../../../outside.txt", 0, 0);
        try_open("..", 0, __WASI_OFLAGS_DIRECTORY);
        try_open("d/../..", 0, __WASI_OFLAGS_DIRECTORY);
        try_open("../sandbox/f", 0, 0);
        try_open("d/../f", 0, 0);
        try_open("../newfile", 0, __WASI_OFLAGS_CREAT);
        try_stat("..", 0);
        try_stat("../outside.txt", 0);
        try_stat("d/../..", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        E("mkdir ../newdir", __wasi_path_create_directory(sb, "../newdir"));
        E("rmdir ../outdir", __wasi_path_remove_directory(sb, "../outdir"));
        E("unlink ../outside.txt", __wasi_path_unlink_file(sb, "../outside.txt"));
        E("rmdir ..", __wasi_path_remove_directory(sb, ".."));
        E("set_times ../outside.txt", __wasi_path_filestat_set_times(sb, 0, "../outside.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    } else if (!strcmp(c, "absolute")) {
        try_open("/etc/passwd", 0, 0);
        try_open("/sandbox/f", 0, 0);
        try_open("/", 0, __WASI_OFLAGS_DIRECTORY);
        try_open("/tmp/kiln-absolute-escape", 0, __WASI_OFLAGS_CREAT);
        try_stat("/", 0);
        try_stat("/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        E("mkdir /tmp/x", __wasi_path_create_directory(sb, "/tmp/kiln-absolute-escape-dir"));
        E("unlink /etc/passwd", __wasi_path_unlink_file(sb, "/etc/passwd"));
        E("symlink at absolute path", __wasi_path_symlink("f", sb, "/tmp/kiln-absolute-link"));
    } else if (!strcmp(c, "symlink_absolute")) {
        E("symlink /etc/passwd -> abs", __wasi_path_symlink("/etc/passwd", sb, "abs"));
        E("symlink / -> root", __wasi_path_symlink("/", sb, "root"));
        try_open("abs", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("abs", 0, 0);
        try_open("root/etc/passwd", 0, 0);
        try_stat("abs", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("abs", 0);
        try_stat("root/etc", 0);
        char buf[64];
        __wasi_size_t n;
        if (E("readlink abs", __wasi_path_readlink(sb, "abs", (uint8_t *)buf, sizeof buf, &n)) == 0)
            printf("  target=%.*s\n", (int)n, buf);
    } else if (!strcmp(c, "symlink_relative")) {
        E("symlink ../outside.txt -> rel", __wasi_path_symlink("../outside.txt", sb, "rel"));
        E("symlink ../../outside.txt -> d/rel", __wasi_path_symlink("../../outside.txt", sb, "d/rel"));
        E("symlink .. -> up", __wasi_path_symlink("..", sb, "up"));
        E("symlink ../f -> d/ok", __wasi_path_symlink("../f", sb, "d/ok"));
        try_open("rel", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("d/rel", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("up/outside.txt", 0, 0);
        try_open("up/sandbox/f", 0, 0);
        try_open("d/ok", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_stat("rel", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("up", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("up/outside.txt", 0);
        E("mkdir up/newdir", __wasi_path_create_directory(sb, "up/newdir"));
        E("unlink up/outside.txt", __wasi_path_unlink_file(sb, "up/outside.txt"));
        E("set_times rel follow", __wasi_path_filestat_set_times(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "rel", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        E("set_times rel nofollow", __wasi_path_filestat_set_times(sb, 0, "rel", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    } else if (!strcmp(c, "symlink_loop")) {
        E("symlink a -> b", __wasi_path_symlink("b", sb, "a"));
        E("symlink b -> a", __wasi_path_symlink("a", sb, "b"));
        E("symlink self", __wasi_path_symlink("self/x", sb, "self"));
        try_open("a", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("a/x", 0, 0);
        try_open("self", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_stat("a", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("a", 0);
        E("mkdir a/x", __wasi_path_create_directory(sb, "a/x"));
        /* A long chain that stays inside. */
        char from[16], to[16];
        for (int i = 0; i < 50; i++) {
            snprintf(from, sizeof from, "c%d", i + 1);
            snprintf(to, sizeof to, "c%d", i);
            __wasi_path_symlink(i == 0 ? "f" : to, sb, from);
        }
        try_open("c5", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("c39", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("c40", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("c50", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
    } else if (!strcmp(c, "dangling")) {
        E("symlink ../created -> dang", __wasi_path_symlink("../created", sb, "dang"));
        E("symlink missing -> dang2", __wasi_path_symlink("missing", sb, "dang2"));
        E("symlink /tmp/kiln-dangling -> dang3", __wasi_path_symlink("/tmp/kiln-dangling-escape", sb, "dang3"));
        try_open("dang", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT);
        try_open("dang", 0, __WASI_OFLAGS_CREAT);
        try_open("dang2", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT);
        try_open("dang3", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT);
        try_stat("dang", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("dang2", 0);
        E("mkdir dang/", __wasi_path_create_directory(sb, "dang/"));
    } else if (!strcmp(c, "hardlink")) {
        E("link ../outside.txt -> h", __wasi_path_link(sb, 0, "../outside.txt", sb, "h"));
        E("link f -> ../h", __wasi_path_link(sb, 0, "f", sb, "../h"));
        E("link /etc/passwd -> h", __wasi_path_link(sb, 0, "/etc/passwd", sb, "h"));
        E("symlink ../outside.txt -> s", __wasi_path_symlink("../outside.txt", sb, "s"));
        E("link s follow -> h", __wasi_path_link(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "s", sb, "h"));
        E("link s nofollow -> h", __wasi_path_link(sb, 0, "s", sb, "h"));
        try_open("h", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        E("link up/x", __wasi_path_link(sb, 0, "f", sb, "d/../../h2"));
    } else if (!strcmp(c, "rename")) {
        E("rename f -> ../f", __wasi_path_rename(sb, "f", sb, "../f"));
        E("rename ../outside.txt -> in", __wasi_path_rename(sb, "../outside.txt", sb, "in"));
        E("rename d -> ../d", __wasi_path_rename(sb, "d", sb, "../d"));
        E("rename f -> /tmp/x", __wasi_path_rename(sb, "f", sb, "/tmp/kiln-rename-escape"));
        E("symlink .. -> up", __wasi_path_symlink("..", sb, "up"));
        E("rename f -> up/f", __wasi_path_rename(sb, "f", sb, "up/f"));
        E("rename up/outside.txt -> in", __wasi_path_rename(sb, "up/outside.txt", sb, "in"));
        E("rename d/e -> d/e2 (inside)", __wasi_path_rename(sb, "d/e", sb, "d/e2"));
    } else if (!strcmp(c, "trailing_slash")) {
        try_open("f/", 0, 0);
        try_open("d/", 0, 0);
        try_open("d//", 0, __WASI_OFLAGS_DIRECTORY);
        try_open("../", 0, __WASI_OFLAGS_DIRECTORY);
        try_open(".//..//", 0, __WASI_OFLAGS_DIRECTORY);
        try_open("d/e/../../../", 0, 0);
        try_open("new/", 0, __WASI_OFLAGS_CREAT);
        try_stat("f/", 0);
        try_stat("d/", 0);
        E("symlink f -> lf", __wasi_path_symlink("f", sb, "lf"));
        try_open("lf/", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_stat("lf/", 0);
        E("unlink f/", __wasi_path_unlink_file(sb, "f/"));
        E("rmdir d/e/", __wasi_path_remove_directory(sb, "d/e/"));
    } else if (!strcmp(c, "dirfd_dotdot")) {
        __wasi_fd_t dfd;
        E("open d", open_at(sb, 0, "d", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO | __WASI_RIGHTS_FD_READDIR, 0, &dfd));
        E("open ../f via d", open_at(dfd, 0, "../f", 0, RIGHTS_RO, 0, &fd));
        E("open e/../../f via d", open_at(dfd, 0, "e/../../f", 0, RIGHTS_RO, 0, &fd));
        E("open .. via d", open_at(dfd, 0, "..", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0, &fd));
        E("open e/.. via d", open_at(dfd, 0, "e/..", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0, &fd));
        if (fd != dfd) __wasi_fd_close(fd);
        E("open /sandbox/f via d", open_at(dfd, 0, "/sandbox/f", 0, RIGHTS_RO, 0, &fd));
        __wasi_filestat_t fs;
        E("stat .. via d", __wasi_path_filestat_get(dfd, 0, "..", &fs));
        E("mkdir ../x via d", __wasi_path_create_directory(dfd, "../x"));
        E("symlink ../f -> d/up via d", __wasi_path_symlink("../f", dfd, "up"));
        E("open up via d follow", open_at(dfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", 0, RIGHTS_RO, 0, &fd));
        E("open d/up via sandbox follow", open_at(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "d/up", 0, RIGHTS_RO, 0, &fd));
        E("rename e -> ../e2 via d", __wasi_path_rename(dfd, "e", dfd, "../e2"));
        E("close", __wasi_fd_close(dfd));
    } else if (!strcmp(c, "proc_self")) {
        /* The host's /proc/self reaches its root and cwd: absolute, through a guest's
         * symlink, and through `hostproc`, a symlink the host left in the sandbox. */
        try_open("/proc/self/root/etc/passwd", 0, 0);
        try_open("/proc/self/cwd/outside.txt", 0, 0);
        E("symlink /proc/self/root -> p", __wasi_path_symlink("/proc/self/root", sb, "p"));
        E("symlink ../../proc/self/cwd -> d/p", __wasi_path_symlink("../../proc/self/cwd", sb, "d/p"));
        try_open("p/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("d/p/outside.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("hostproc/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
        try_open("hostproc", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_DIRECTORY);
        try_stat("hostproc", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
        try_stat("hostproc/etc", 0);
        E("mkdir hostproc/tmp/x", __wasi_path_create_directory(sb, "hostproc/tmp/kiln-proc-escape"));
    } else if (!strcmp(c, "renumber")) {
        /* fd_renumber of a subdirectory, a file and stdio onto the preopen's fd: the
         * preopen's own rights and root do not come with the number. */
        __wasi_fd_t dfd, ffd;
        const __wasi_rights_t dir_rights = RIGHTS_RO | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |
                                           __WASI_RIGHTS_PATH_CREATE_FILE;
        E("open d", __wasi_path_open(sb, 0, "d", __WASI_OFLAGS_DIRECTORY, dir_rights, RIGHTS_DIR, 0, &dfd));
        E("renumber d -> sandbox", __wasi_fd_renumber(dfd, sb));
        E("open ../f via renumbered", open_at(sb, 0, "../f", 0, RIGHTS_RO, 0, &fd));
        E("open ../../outside.txt via renumbered", open_at(sb, 0, "../../outside.txt", 0, RIGHTS_RO, 0, &fd));
        E("open e via renumbered", open_at(sb, 0, "e", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO, 0, &fd));
        __wasi_prestat_t ps;
        E("prestat renumbered", __wasi_fd_prestat_get(sb, &ps));
        E("open x creat via renumbered", open_at(sb, 0, "x", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &ffd));
        E("renumber file -> sandbox", __wasi_fd_renumber(ffd, sb));
        E("open y via a file", open_at(sb, 0, "y", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd));
        E("renumber stderr -> sandbox", __wasi_fd_renumber(2, sb));
        E("open z via stderr", open_at(sb, 0, "z", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd));
        E("renumber to a free number", __wasi_fd_renumber(sb, 77));
    } else if (!strcmp(c, "rights")) {
        /* Asking for more rights than the descriptor had, after opening or through an
         * inheriting directory. */
        __wasi_fd_t ro, dfd, sub;
        E("open f read-only", open_at(sb, 0, "f", 0, RIGHTS_RO, 0, &ro));
        E("write read-only", put(ro, "x"));
        E("set_rights add write", __wasi_fd_fdstat_set_rights(ro, RIGHTS_RW, 0));
        E("write after set_rights", put(ro, "x"));
        E("set_rights drop to read", __wasi_fd_fdstat_set_rights(ro, __WASI_RIGHTS_FD_READ, 0));
        E("seek after dropping it", __wasi_fd_seek(ro, 0, __WASI_WHENCE_SET, &(__wasi_filesize_t){0}));
        E("set_rights re-add seek", __wasi_fd_fdstat_set_rights(ro, RIGHTS_RO, 0));
        E("open d read-only inheriting", __wasi_path_open(sb, 0, "d", __WASI_OFLAGS_DIRECTORY,
                                                  RIGHTS_RO | __WASI_RIGHTS_PATH_OPEN, RIGHTS_RO, 0, &dfd));
        E("create under it", open_at(dfd, 0, "new", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &sub));
        E("open e with more rights under it",
          __wasi_path_open(dfd, 0, "e", __WASI_OFLAGS_DIRECTORY,
                           RIGHTS_RO | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_CREATE_FILE, RIGHTS_RW, 0, &sub));
        E("create under e", open_at(sub, 0, "new2", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd));
        E("unlink ../f under it", __wasi_path_unlink_file(dfd, "../f"));
    } else if (!strcmp(c, "cross_preopen")) {
        /* Two preopens (/sandbox and /other): renames and links between them stay
         * between them, `..` in either leaves neither. */
        int other = preopen("/other");
        if (other < 0) {
            printf("no /other preopen\n");
            return 98;
        }
        E("rename f -> other/f", __wasi_path_rename(sb, "f", other, "f"));
        E("rename other/f -> ../outside.txt", __wasi_path_rename(other, "f", sb, "../outside.txt"));
        E("rename other/../outside.txt -> in", __wasi_path_rename(other, "../outside.txt", sb, "in"));
        E("rename other/.. -> up", __wasi_path_rename(other, "..", sb, "up"));
        E("link other/../outside.txt -> h", __wasi_path_link(other, 0, "../outside.txt", sb, "h"));
        E("symlink ../sandbox/f -> other/s", __wasi_path_symlink("../sandbox/f", other, "s"));
        E("open other/s follow", open_at(other, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "s", 0, RIGHTS_RO, 0, &fd));
        E("rename d -> other/d", __wasi_path_rename(sb, "d", other, "d"));
        try_open("d/e", 0, __WASI_OFLAGS_DIRECTORY);
    } else if (!strcmp(c, "swap")) {
        /* The host swaps the symlink `swap` between `inner` (inside) and `../outdir`
         * (outside) while this opens `swap/x` again and again, until it has seen both
         * states often: counts of what each open reached (racy, so compared by kind, not
         * byte for byte). */
        int inside = 0, outside = 0, refused = 0;
        for (int i = 0; i < 1000000 && (inside < 200 || refused < 200); i++) {
            char buf[64];
            __wasi_size_t n;
            if (open_at(sb, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "swap/x", 0, RIGHTS_RO, 0, &fd) != 0) {
                refused++;
                continue;
            }
            if (get(fd, buf, sizeof buf, &n) == 0 && !strcmp(buf, "outside\n"))
                outside++;
            else
                inside++;
            __wasi_fd_close(fd);
        }
        printf("inside %d outside %d refused %d\n", inside, outside, refused);
    } else {
        printf("unknown case %s\n", c);
        return 99;
    }
    printf("done\n");
    return 0;
}
