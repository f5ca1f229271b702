/* Deep recursion in C whose every frame keeps many values alive across the recursive call.
 * At -O2 they are wasm locals, so each frame is large on the *native* stack (not on the
 * shadow stack in linear memory): the program ends in `call stack exhausted`, never a
 * segfault, whatever the native stack size. `recurse_big_frame N` stops at depth N. */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long long seed = 0x9e3779b97f4a7c15ull;

#define V(i) unsigned long long v##i = (n * (i + 3)) ^ (seed + i);
#define S(i) + v##i * (v##i + i)

__attribute__((noinline)) unsigned long long descend(unsigned long long n,
                                                     unsigned long long limit) {
    V(0) V(1) V(2) V(3) V(4) V(5) V(6) V(7) V(8) V(9) V(10) V(11)
    V(12) V(13) V(14) V(15) V(16) V(17) V(18) V(19) V(20) V(21) V(22) V(23)
    if (n >= limit)
        return n;
    unsigned long long r = descend(n + 1, limit);
    /* `r` used twice: no accumulator can turn the recursion into a loop. */
    return (r ^ (r >> 7)) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11)
        S(12) S(13) S(14) S(15) S(16) S(17) S(18) S(19) S(20) S(21) S(22) S(23);
}

int main(int argc, char **argv) {
    unsigned long long limit = argc > 1 ? strtoull(argv[1], NULL, 10) : ~0ull;
    printf("depth limit %llu\n", limit);
    fflush(stdout);
    printf("result %llu\n", descend(0, limit));
    return 0;
}
