/* fd_readdir: entries, cookies, buffers smaller than an entry, and libc's readdir. */
#include <dirent.h>
#include "common.h"

struct ent {
    unsigned long long next, ino;
    unsigned type;
    char name[64];
};

/* Reads every entry of `dir` with buffers of `cap` bytes, resuming from the cookies. */
static int list(__wasi_fd_t dir, size_t cap, struct ent *out, int max) {
    static uint8_t buf[4096];
    __wasi_dircookie_t cookie = 0;
    int n = 0, calls = 0;
    for (;;) {
        __wasi_size_t used;
        __wasi_errno_t e = __wasi_fd_readdir(dir, buf, cap, cookie, &used);
        if (e) {
            printf("  readdir: %s\n", errname(e));
            return n;
        }
        calls++;
        size_t off = 0, progressed = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            if (off + sizeof d + d.d_namlen > used) break; /* truncated name */
            if (n < max) {
                out[n].next = d.d_next;
                out[n].ino = d.d_ino;
                out[n].type = d.d_type;
                snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)d.d_namlen,
                         (char *)buf + off + sizeof d);
            }
            n++;
            cookie = d.d_next;
            off += sizeof d + d.d_namlen;
            progressed = 1;
        }
        if (used < cap) break;
        if (!progressed) {
            printf("  buffer of %zu too small for one entry (used=%lu)\n", cap, (unsigned long)used);
            break;
        }
        if (calls > 1000) break;
    }
    return n;
}

static int cmp(const void *a, const void *b) {
    return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static void show(const char *label, __wasi_fd_t dir, size_t cap) {
    struct ent e[64];
    int n = list(dir, cap, e, 64);
    printf("%s (cap %zu): %d entries\n", label, cap, n);
    if (n > 64) n = 64;
    /* The first two are . and .. with cookies 1 and 2; print their cookies, then the rest
     * sorted by name (host order is the file system's). */
    for (int i = 0; i < n && i < 2; i++)
        printf("  [%d] %s type=%u next=%llu ino==dot: %s\n", i, e[i].name, e[i].type, e[i].next,
               yn(e[i].ino == e[0].ino));
    int cookies_ok = 1;
    for (int i = 0; i < n; i++)
        if (e[i].next != (unsigned long long)i + 1) cookies_ok = 0;
    printf("  cookies are 1..n: %s\n", yn(cookies_ok));
    if (n > 2) qsort(e + 2, n - 2, sizeof e[0], cmp);
    for (int i = 2; i < n; i++)
        printf("  %s type=%u ino!=0: %s\n", e[i].name, e[i].type, yn(e[i].ino != 0));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_fd_t sb = sandbox(), fd, dir;
    E("mkdir r", __wasi_path_create_directory(sb, "r"));
    E("open r", open_at(sb, 0, "r", __WASI_OFLAGS_DIRECTORY, RIGHTS_RO | __WASI_RIGHTS_FD_READDIR, 0, &dir));
    show("empty", dir, 4096);
    const char *names[] = {"alpha", "b", "a-much-longer-file-name-than-the-others.txt", "zz", "ü-utf8"};
    for (int i = 0; i < 5; i++) {
        char p[80];
        snprintf(p, sizeof p, "r/%s", names[i]);
        open_at(sb, 0, p, __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &fd);
        __wasi_fd_close(fd);
    }
    __wasi_path_create_directory(sb, "r/sub");
    __wasi_path_symlink("alpha", sb, "r/link");
    show("full", dir, 4096);
    size_t caps[] = {0, 1, 23, 24, 25, 26, 30, 48, 60, 100};
    for (unsigned i = 0; i < sizeof caps / sizeof caps[0]; i++) show("small", dir, caps[i]);

    /* Raw output of a tiny buffer: the truncated header bytes. */
    uint8_t raw[40];
    memset(raw, 0xee, sizeof raw);
    __wasi_size_t used;
    E("readdir cap 10", __wasi_fd_readdir(dir, raw, 10, 0, &used));
    printf("  used=%lu bytes:", (unsigned long)used);
    for (int i = 0; i < 8; i++) printf(" %02x", raw[i]);
    printf(" untouched after used: %s", yn(raw[10] == 0xee && raw[11] == 0xee));
    printf("\n");
    E("readdir cookie past end", __wasi_fd_readdir(dir, raw, 40, 1000, &used));
    printf("  used=%lu\n", (unsigned long)used);
    E("readdir cookie 2", __wasi_fd_readdir(dir, raw, 40, 2, &used));
    printf("  used=%lu\n", (unsigned long)used);
    E("readdir huge cookie", __wasi_fd_readdir(dir, raw, 40, 0x8000000000000000ull, &used));
    E("readdir preopen", __wasi_fd_readdir(sb, raw, 40, 0, &used));
    printf("  used=%lu\n", (unsigned long)used);

    /* An entry removed while listing, and libc's readdir on a renamed file. */
    E("unlink r/b", __wasi_path_unlink_file(sb, "r/b"));
    show("after unlink", dir, 4096);
    E("close", __wasi_fd_close(dir));

    DIR *d = opendir("/sandbox/r");
    printf("opendir: %s\n", d ? "ok" : "failed");
    int count = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) count++;
    printf("libc readdir count=%d\n", count);
    if (d) closedir(d);
    printf("done\n");
    return 0;
}
