// Reads stdin and writes stdout, reporting results on stderr: run with fds 0 and 1 closed,
// a WASI runtime must show an empty stdin and a stdout that swallows writes (wasmtime).
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    char buf[16];
    ssize_t n = read(0, buf, sizeof buf);
    fprintf(stderr, "read(0) = %zd, errno %d\n", n, n < 0 ? errno : 0);
    n = write(1, "out\n", 4);
    fprintf(stderr, "write(1) = %zd, errno %d\n", n, n < 0 ? errno : 0);
    return 0;
}
