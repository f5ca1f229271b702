/* A TCP echo server on the listening socket the launcher hands over (KILN_TCPLISTEN): the
 * fd after the preopens. Accepts one connection, answers each message upper-cased, then
 * shuts down. */
#include <ctype.h>
#include "common.h"

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    __wasi_fd_t l = 0;
    for (__wasi_fd_t fd = 3; fd < 16; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM) {
            l = fd;
            printf("listener fd=%u accept right: %s\n", fd,
                   yn(st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT));
            break;
        }
    }
    if (!l) {
        printf("no listener\n");
        return 1;
    }
    __wasi_fd_t c;
    __wasi_size_t n;
    __wasi_roflags_t ro;
    char buf[256];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    E("recv on listener", __wasi_sock_recv(l, &iov, 1, 0, &n, &ro));
    E("sock_send on stdout", __wasi_sock_send(1, (__wasi_ciovec_t *)&iov, 1, 0, &n));
    E("accept", __wasi_sock_accept(l, 0, &c));
    __wasi_fdstat_t st;
    __wasi_fd_fdstat_get(c, &st);
    printf("connection filetype=%u\n", st.fs_filetype);
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = c;
    __wasi_event_t ev;
    E("poll readable", __wasi_poll_oneoff(&sub, &ev, 1, &n));
    E("recv peek", __wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro));
    for (;;) {
        __wasi_errno_t e = __wasi_sock_recv(c, &iov, 1, 0, &n, &ro);
        if (e || n == 0) {
            printf("recv end: %s n=%lu\n", errname(e), (unsigned long)n);
            break;
        }
        printf("got %lu bytes\n", (unsigned long)n);
        for (unsigned i = 0; i < n; i++) buf[i] = toupper((unsigned char)buf[i]);
        __wasi_ciovec_t out = {(const uint8_t *)buf, n};
        __wasi_size_t sent;
        E("send", __wasi_sock_send(c, &out, 1, 0, &sent));
        if (memchr(buf, '!', n)) break;
    }
    E("fd_write on connection", put(c, "BYE\n"));
    E("shutdown write", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR));
    E("close", __wasi_fd_close(c));
    printf("done\n");
    return 0;
}
