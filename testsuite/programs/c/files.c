// Preopened directories: lists the preopens, reads and writes files inside one, lists a
// directory, and shows what happens on attempts to leave the sandbox.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static void try_open(const char *path) {
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[128] = {0};
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        printf("open %s: ok, %zu bytes: %s", path, n, buf);
        if (n == 0 || buf[n - 1] != '\n') printf("\n");
    } else {
        printf("open %s: errno %d (%s)\n", path, errno, strerror(errno));
    }
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
        char name[256] = {0};
        size_t len = ps.u.dir.pr_name_len < 255 ? ps.u.dir.pr_name_len : 255;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len) != 0) return 2;
        printf("preopen fd %u: %s\n", fd, name);
    }

    try_open("/data/input.txt");
    FILE *out = fopen("/data/written.txt", "w");
    if (!out) { printf("create: errno %d (%s)\n", errno, strerror(errno)); return 1; }
    fprintf(out, "written by the program\n");
    fclose(out);
    try_open("/data/written.txt");
    try_open("/data/sub/nested.txt");
    try_open("/data/sub/../input.txt");
    try_open("/data/missing.txt");

    DIR *d = opendir("/data");
    if (!d) { printf("opendir: errno %d (%s)\n", errno, strerror(errno)); return 1; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    for (int i = 0; i < n; i++) printf("entry: %s\n", names[i]);

    // Ways out of the sandbox: all must fail.
    try_open("/data/../secret.txt");
    try_open("/data/sub/../../secret.txt");
    try_open("/secret.txt");
    try_open("/etc/passwd");
    try_open("/data/link_out");
    return 0;
}
