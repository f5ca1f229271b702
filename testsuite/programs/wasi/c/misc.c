/* args, environ, clocks, random, sched_yield, proc_raise, and the exit status (argv[1]). */
#include <time.h>
#include "common.h"

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_size_t argc2, argv_size, envc, env_size;
    E("args_sizes_get", __wasi_args_sizes_get(&argc2, &argv_size));
    printf("  argc=%lu size=%lu (libc argc=%d)\n", (unsigned long)argc2, (unsigned long)argv_size, argc);
    for (int i = 0; i < argc; i++) printf("  argv[%d]=%s\n", i, argv[i]);
    E("environ_sizes_get", __wasi_environ_sizes_get(&envc, &env_size));
    printf("  envc=%lu size=%lu\n", (unsigned long)envc, (unsigned long)env_size);
    char *envp[16], envbuf[512];
    if (envc <= 16 && env_size <= sizeof envbuf) {
        E("environ_get", __wasi_environ_get((uint8_t **)envp, (uint8_t *)envbuf));
        for (unsigned i = 0; i < envc; i++) printf("  env %s\n", envp[i]);
    }
    char *av[16], avbuf[512];
    if (argc2 <= 16 && argv_size <= sizeof avbuf) {
        E("args_get", __wasi_args_get((uint8_t **)av, (uint8_t *)avbuf));
        printf("  pointers into buffer: %s\n", yn(argc2 == 0 || (av[0] == avbuf)));
    }

    __wasi_timestamp_t res, t1, t2;
    const char *names[] = {"realtime", "monotonic"};
    for (__wasi_clockid_t id = 0; id < 2; id++) {
        char label[64];
        snprintf(label, sizeof label, "clock_res_get(%s)", names[id]);
        if (E(label, __wasi_clock_res_get(id, &res)) == 0)
            printf("  res>0: %s res<=1ms: %s\n", yn(res > 0), yn(res <= 1000000));
        snprintf(label, sizeof label, "clock_time_get(%s)", names[id]);
        E(label, __wasi_clock_time_get(id, 0, &t1));
        __wasi_clock_time_get(id, 1000000000ull, &t2);
        printf("  non-decreasing: %s\n", yn(t2 >= t1));
    }
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1);
    printf("realtime after 2020: %s\n", yn(t1 > 1577836800ull * 1000000000ull));
    struct timespec ts;
    printf("clock_gettime(CLOCK_MONOTONIC): %d\n", clock_gettime(CLOCK_MONOTONIC, &ts));
    printf("time(NULL) after 2020: %s\n", yn(time(NULL) > 1577836800));

    uint8_t a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    E("random_get", __wasi_random_get(a, sizeof a));
    E("random_get again", __wasi_random_get(b, sizeof b));
    printf("  differ: %s\n", yn(memcmp(a, b, sizeof a) != 0));
    E("random_get 0", __wasi_random_get(a, 0));
    static uint8_t big[1 << 20];
    E("random_get 1MiB", __wasi_random_get(big, sizeof big));
    E("sched_yield", __wasi_sched_yield());
    E("proc_raise(SIGTERM)", raw_proc_raise(15));
    E("proc_raise(0)", raw_proc_raise(0));
    fflush(stdout);
    fprintf(stderr, "to stderr via libc\n");
    int status = argc > 1 ? atoi(argv[argc - 1]) : 0;
    if (argc > 2 && strcmp(argv[1], "return") == 0) return status;
    __wasi_proc_exit(status);
}
