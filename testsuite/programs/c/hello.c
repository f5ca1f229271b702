// Hello world: prints its arguments and a few environment variables, one line on stderr.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("hello from wasm\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *names[] = {"GREETING", "FROMHOST", "EMPTY", "NOT_GRANTED", "HOME", "PATH"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("env %s=%s\n", names[i], v ? v : "(unset)");
    }
    fprintf(stderr, "this line goes to stderr\n");
    return 0;
}
