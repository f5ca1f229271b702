/* What this wasi-libc lacks and Lua's io/os libraries call: WASI preview1 can neither start
 * processes nor make anonymous temporary files. Both fail as they would on a system without
 * them (os.execute() reports no shell; io.tmpfile returns nil and a message). */
#include <errno.h>
#include <stdio.h>

int system(const char *command) {
    if (command == NULL)
        return 0; /* no command processor */
    errno = ENOSYS;
    return -1;
}

FILE *tmpfile(void) {
    errno = ENOTSUP;
    return NULL;
}
