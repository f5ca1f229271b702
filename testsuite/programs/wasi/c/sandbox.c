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
    } else {
        printf("unknown case %s\n", c);
        return 99;
    }
    printf("done\n");
    return 0;
}
