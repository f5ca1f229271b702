// Returns 7 from main: wasi-libc flushes stdout and calls proc_exit(7).
#include <stdio.h>

int main(void) {
    printf("returning 7 from main\n");
    return 7;
}
