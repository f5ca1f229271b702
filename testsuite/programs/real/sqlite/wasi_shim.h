/* Force-included into shell.c for wasm32-wasi. This wasi-libc has no chmod (WASI preview1 has
 * no permission bits; the shell's fileio extension calls it) and no system() (WASI cannot start
 * processes; `.system`, `.shell` and `.excel` call it). Both engines run the same wasm. */
#include <stdlib.h>
#include <sys/stat.h>
static inline int chmod(const char *path, mode_t mode) { (void)path; (void)mode; return 0; }
#define system(cmd) ((void)(cmd), -1)
