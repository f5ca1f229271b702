// Tail calls (built with -mtail-call, so clang emits return_call and return_call_indirect):
// mutual recursion millions of calls deep, which only finishes when every tail call reuses
// its caller's stack space, and a tiny threaded interpreter whose handlers tail-call the
// next one through a table of function pointers.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Opaque to the optimiser, so that it cannot turn the recursion into a loop.
static volatile uint32_t one = 1;

__attribute__((noinline)) static int is_odd(uint32_t n, uint32_t *steps);

__attribute__((noinline)) static int is_even(uint32_t n, uint32_t *steps) {
    if (n == 0) return 1;
    *steps += one;
    __attribute__((musttail)) return is_odd(n - one, steps);
}

__attribute__((noinline)) static int is_odd(uint32_t n, uint32_t *steps) {
    if (n == 0) return 0;
    *steps += one;
    __attribute__((musttail)) return is_even(n - one, steps);
}

// A threaded interpreter: each handler does its work and tail-calls the next handler
// through `handlers` (return_call_indirect).
typedef int64_t (*handler)(const uint8_t *pc, int64_t acc, int64_t counter);
enum { OP_ADD, OP_MUL3, OP_DEC_JNZ, OP_HALT };
static handler handlers[4];

static int64_t next(const uint8_t *pc, int64_t acc, int64_t counter) {
    __attribute__((musttail)) return handlers[*pc](pc, acc, counter);
}

static int64_t op_add(const uint8_t *pc, int64_t acc, int64_t counter) {
    acc += pc[1];
    __attribute__((musttail)) return next(pc + 2, acc, counter);
}

static int64_t op_mul3(const uint8_t *pc, int64_t acc, int64_t counter) {
    acc = (acc * 3) % 1000000007;
    __attribute__((musttail)) return next(pc + 1, acc, counter);
}

static int64_t op_dec_jnz(const uint8_t *pc, int64_t acc, int64_t counter) {
    counter -= one;
    if (counter != 0) {
        __attribute__((musttail)) return next(pc - pc[1], acc, counter);
    }
    __attribute__((musttail)) return next(pc + 2, acc, counter);
}

static int64_t op_halt(const uint8_t *pc, int64_t acc, int64_t counter) {
    (void)pc;
    (void)counter;
    return acc;
}

int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 3000001;
    uint32_t steps = 0;
    int even = is_even(n, &steps);
    printf("%u is %s (%u tail calls)\n", n, even ? "even" : "odd", steps);
    steps = 0;
    even = is_even(n + 1, &steps);
    printf("%u is %s (%u tail calls)\n", n + 1, even ? "even" : "odd", steps);

    handlers[OP_ADD] = op_add;
    handlers[OP_MUL3] = op_mul3;
    handlers[OP_DEC_JNZ] = op_dec_jnz;
    handlers[OP_HALT] = op_halt;
    // loop 1000000 times: acc = (acc + 7) * 3
    static const uint8_t program[] = {OP_ADD, 7, OP_MUL3, OP_DEC_JNZ, 3, OP_HALT};
    int64_t acc = handlers[program[0]](program, 1, 1000000);
    printf("interpreter: %lld\n", (long long)acc);
    return 0;
}
