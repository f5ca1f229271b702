// Ends through proc_exit(3) directly, skipping libc's exit path (stdout flushed by hand).
#include <stdio.h>
#include <wasi/api.h>

int main(void) {
    printf("about to call proc_exit(3)\n");
    fflush(stdout);
    fprintf(stderr, "bye\n");
    __wasi_proc_exit(3);
    printf("unreachable\n");
    return 0;
}
