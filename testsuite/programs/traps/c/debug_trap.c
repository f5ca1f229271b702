/* Built with -g: the trap report shows file:line for each frame. Keep the line numbers of
 * the marked lines in sync with testsuite/tests/traps.rs. */
#include <stdio.h>

__attribute__((noinline)) int check_index(int i, int len) {
    if (i >= len) __builtin_trap(); /* LINE 6 */
    return i;
}

__attribute__((noinline)) int lookup(const int *table, int len, int i) {
    return table[check_index(i, len)]; /* LINE 11 */
}

int main(int argc, char **argv) {
    (void)argv;
    static const int table[4] = {10, 20, 30, 40};
    int sum = 0;
    for (int i = 0; i < 4 + argc; i++)
        sum += lookup(table, 4, i); /* LINE 19 */
    printf("%d\n", sum);
    return 0;
}
