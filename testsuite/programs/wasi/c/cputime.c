/* Process and thread CPU-time clocks: Kiln serves them (wasmtime answers EBADF). */
#include "common.h"

int main(void) {
    for (__wasi_clockid_t id = 2; id <= 3; id++) {
        __wasi_timestamp_t res = 0, t1 = 0, t2 = 0;
        printf("clock %u: res %s", id, errname(__wasi_clock_res_get(id, &res)));
        printf(" time %s", errname(__wasi_clock_time_get(id, 1, &t1)));
        volatile unsigned x = 0;
        for (unsigned i = 0; i < 20000000; i++) x += i;
        __wasi_clock_time_get(id, 1, &t2);
        printf(" res>0: %s advances: %s\n", yn(res > 0), yn(t2 > t1));
    }
    return 0;
}
