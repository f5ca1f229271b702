/* poll_oneoff: clocks (relative, absolute, several), fd readiness, bad subscriptions. */
#include "common.h"

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, uint64_t timeout,
                                       uint16_t flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 1;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, uint8_t tag, __wasi_fd_t fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = tag;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

/* Polls `subs` and prints what came back and how long it took, against a bound chosen so
 * the answer does not depend on the machine's load: a poll that must wait (a 20 ms clock)
 * is checked for at least 10 ms since `since` (taken before its clock's deadline was
 * computed), one that must not wait (a ready fd, a past deadline, an error) for less than
 * 1 s, where waiting for the 5 s clock beside it would be the bug. */
static void run_since(const char *label, __wasi_subscription_t *subs, int n,
                      __wasi_timestamp_t since, int waits) {
    __wasi_event_t ev[8];
    memset(ev, 0xcc, sizeof ev);
    __wasi_size_t got = 99;
    __wasi_timestamp_t t1;
    __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, n, &got);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
    printf("%s: %s", label, errname(e));
    if (e == 0) {
        printf(" nevents=%lu\n", (unsigned long)got);
        for (unsigned i = 0; i < got && i < 8; i++)
            printf("  userdata=%llu error=%s type=%u nbytes=%llu flags=%u\n",
                   (unsigned long long)ev[i].userdata, errname(ev[i].error), ev[i].type,
                   (unsigned long long)ev[i].fd_readwrite.nbytes, ev[i].fd_readwrite.flags);
    } else {
        printf("\n");
    }
    if (waits)
        printf("  took >= 10ms: %s\n", yn(t1 - since >= 10000000ull));
    else
        printf("  took >= 1s: %s\n", yn(t1 - since >= 1000000000ull));
}

static __wasi_timestamp_t monotonic(void) {
    __wasi_timestamp_t t;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    return t;
}

/* A poll that must wait (`waits`) or must not, timed from now. */
static void run(const char *label, __wasi_subscription_t *subs, int n, int waits) {
    run_since(label, subs, n, monotonic(), waits);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_fd_t sb = sandbox(), f, empty;
    __wasi_subscription_t s[8];
    __wasi_timestamp_t now;

    s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
    run("one relative 20ms", s, 1, 1);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
    s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now + 20000000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    run_since("one absolute monotonic +20ms", s, 1, now, 1);
    s[0] = clock_sub(9, __WASI_CLOCKID_MONOTONIC, 0, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    run("absolute in the past", s, 1, 0);
    __wasi_timestamp_t before = monotonic();
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    s[0] = clock_sub(10, __WASI_CLOCKID_REALTIME, now + 20000000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    s[1] = clock_sub(11, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    run_since("absolute realtime +20ms and 5s", s, 2, before, 1);
    s[0] = clock_sub(12, __WASI_CLOCKID_REALTIME, 20000000, 0);
    run("relative realtime", s, 1, 1);
    s[0] = clock_sub(13, __WASI_CLOCKID_MONOTONIC, 30000000, 0);
    s[1] = clock_sub(14, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    s[2] = clock_sub(15, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    run("three clocks", s, 3, 1);
    s[0] = clock_sub(16, __WASI_CLOCKID_PROCESS_CPUTIME_ID, 1000, 0);
    s[1] = clock_sub(17, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    run("cputime clock with another", s, 2, 0);
    s[0] = clock_sub(18, __WASI_CLOCKID_MONOTONIC, 0, 0);
    run("zero timeout", s, 1, 0);

    E("create", open_at(sb, 0, "data", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &f));
    put(f, "some bytes");
    E("create empty", open_at(sb, 0, "empty", __WASI_OFLAGS_CREAT, RIGHTS_RW, 0, &empty));
    s[0] = fd_sub(21, __WASI_EVENTTYPE_FD_WRITE, f);
    s[1] = clock_sub(22, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    run("file write+clock", s, 2, 0);
    __wasi_filesize_t pos;
    __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
    s[0] = fd_sub(23, __WASI_EVENTTYPE_FD_READ, f);
    run("file read at 0", s, 1, 0);
    s[0] = fd_sub(24, __WASI_EVENTTYPE_FD_READ, empty);
    run("empty file read", s, 1, 0);
    s[0] = fd_sub(25, __WASI_EVENTTYPE_FD_WRITE, 1);
    s[1] = fd_sub(26, __WASI_EVENTTYPE_FD_WRITE, 2);
    run("stdout+stderr write", s, 2, 0);
    s[0] = fd_sub(27, __WASI_EVENTTYPE_FD_READ, 0);
    run("stdin (/dev/null) read", s, 1, 0);
    s[0] = fd_sub(28, __WASI_EVENTTYPE_FD_READ, 77);
    s[1] = clock_sub(29, __WASI_CLOCKID_MONOTONIC, 10000000, 0);
    run("bad fd", s, 2, 0);
    s[0] = fd_sub(30, __WASI_EVENTTYPE_FD_READ, sb);
    run("dir fd read", s, 1, 0);
    s[0] = fd_sub(31, __WASI_EVENTTYPE_FD_WRITE, 0);
    run("stdin write", s, 1, 0);
    s[0] = fd_sub(32, __WASI_EVENTTYPE_FD_READ, 1);
    run("stdout read", s, 1, 0);
    s[0] = clock_sub(33, 7, 1000, 0);
    run("bad clock id", s, 1, 0);
    s[0] = clock_sub(34, __WASI_CLOCKID_THREAD_CPUTIME_ID, 1000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    s[1] = clock_sub(35, __WASI_CLOCKID_MONOTONIC, 1000, 0);
    run("thread cputime clock", s, 2, 0);
    printf("done\n");
    return 0;
}
