// C11 <stdatomic.h> and the __atomic/__sync builtins at every width, built with
// `-matomics -mbulk-memory` (so clang emits the threads proposal's atomic instructions on
// an unshared memory, as threads-capable toolchains do): fetch-and-op, exchange,
// compare-exchange (strong and weak, success and failure), loads and stores with each
// memory order, fences, atomic_flag, a spin lock, and a reference count.
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static _Atomic uint8_t a8 = 0xf0;
static _Atomic uint16_t a16 = 0xfff0;
static _Atomic uint32_t a32 = 0xfffffff0u;
static _Atomic uint64_t a64 = 0xfffffffffffffff0ull;
static _Atomic int32_t s32 = -5;
static _Atomic int64_t s64 = -5;
static atomic_flag flag = ATOMIC_FLAG_INIT;

// Adjacent narrow atomics: an operation on one must not touch its neighbours.
static struct {
    _Atomic uint8_t b[8];
} packed = {{1, 2, 3, 4, 5, 6, 7, 8}};

static _Atomic int lock;
static long shared_total;

static void spin_lock(void) {
    int expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
        expected = 0;
    }
}

static void spin_unlock(void) { atomic_store_explicit(&lock, 0, memory_order_release); }

struct object {
    _Atomic uint32_t refs;
    int freed;
};

static void release(struct object *o) {
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_release) == 1) {
        atomic_thread_fence(memory_order_acquire);
        o->freed = 1;
    }
}

#define SHOW(fmt, expr) printf("%-40s " fmt "\n", #expr, expr)

int main(void) {
    // fetch-and-op at each width: old value, then new
    SHOW("%u", (unsigned)atomic_fetch_add(&a8, 0x20));
    SHOW("%u", (unsigned)atomic_load(&a8));
    SHOW("%u", (unsigned)atomic_fetch_sub(&a16, 0xfff1));
    SHOW("%u", (unsigned)atomic_load(&a16));
    SHOW("%u", atomic_fetch_or(&a32, 0x0f));
    SHOW("%u", atomic_fetch_and(&a32, 0x0ff0ff0f));
    SHOW("%u", atomic_fetch_xor(&a32, 0xaaaaaaaa));
    SHOW("%u", atomic_load(&a32));
    SHOW("%llu", (unsigned long long)atomic_fetch_add(&a64, 0x20));
    SHOW("%llu", (unsigned long long)atomic_exchange(&a64, 0x123456789abcdefull));
    SHOW("%llu", (unsigned long long)atomic_load_explicit(&a64, memory_order_relaxed));
    SHOW("%d", atomic_fetch_add(&s32, 3));
    SHOW("%d", atomic_fetch_sub(&s32, 10));
    SHOW("%d", atomic_load(&s32));
    SHOW("%lld", (long long)atomic_fetch_sub(&s64, 0x7fffffffffffffffll));
    SHOW("%lld", (long long)atomic_load_explicit(&s64, memory_order_acquire));

    // compare-exchange: success then failure, at each width
    uint8_t e8 = 0x10;
    SHOW("%d", atomic_compare_exchange_strong(&a8, &e8, 0x99));
    SHOW("%d", atomic_compare_exchange_strong(&a8, &e8, 0x55));
    SHOW("%u", (unsigned)e8);
    uint16_t e16 = 0;
    SHOW("%d", atomic_compare_exchange_strong(&a16, &e16, 1));
    SHOW("%u", (unsigned)e16);
    SHOW("%d", atomic_compare_exchange_strong(&a16, &e16, 1));
    uint32_t e32 = 1;
    SHOW("%d", atomic_compare_exchange_strong(&a32, &e32, 2));
    SHOW("%u", e32);
    uint64_t e64 = 0x123456789abcdefull;
    SHOW("%d", atomic_compare_exchange_weak(&a64, &e64, ~0ull) ||
                   atomic_compare_exchange_strong(&a64, &e64, ~0ull));
    SHOW("%llu", (unsigned long long)atomic_load(&a64));

    // narrow neighbours
    atomic_fetch_add(&packed.b[3], 0xff);
    atomic_exchange(&packed.b[4], 0xee);
    uint8_t e = 7;
    atomic_compare_exchange_strong(&packed.b[6], &e, 0x77);
    for (int i = 0; i < 8; i++) {
        printf("%u ", (unsigned)atomic_load_explicit(&packed.b[i], memory_order_seq_cst));
    }
    printf("\n");

    // __atomic and __sync builtins on plain variables
    static uint16_t plain16 = 7;
    static uint64_t plain64 = 1;
    SHOW("%u", (unsigned)__atomic_add_fetch(&plain16, 5, __ATOMIC_SEQ_CST));
    SHOW("%u", (unsigned)__atomic_nand_fetch(&plain16, 0xff, __ATOMIC_SEQ_CST));
    SHOW("%llu", (unsigned long long)__atomic_fetch_or(&plain64, 1ull << 40, __ATOMIC_RELAXED));
    SHOW("%llu", (unsigned long long)__atomic_fetch_nand(&plain64, 3, __ATOMIC_ACQ_REL));
    SHOW("%llu", (unsigned long long)__sync_val_compare_and_swap(&plain64, plain64, 42));
    SHOW("%d", __sync_bool_compare_and_swap(&plain64, 41, 43));
    __atomic_store_n(&plain64, 99, __ATOMIC_RELEASE);
    SHOW("%llu", (unsigned long long)__atomic_load_n(&plain64, __ATOMIC_ACQUIRE));
    __sync_synchronize();

    // atomic_flag
    SHOW("%d", atomic_flag_test_and_set(&flag));
    SHOW("%d", atomic_flag_test_and_set(&flag));
    atomic_flag_clear(&flag);
    SHOW("%d", atomic_flag_test_and_set_explicit(&flag, memory_order_acquire));

    // a spin lock and a reference count
    for (int i = 0; i < 1000; i++) {
        spin_lock();
        shared_total += i;
        spin_unlock();
    }
    SHOW("%ld", shared_total);
    struct object o = {3, 0};
    release(&o);
    release(&o);
    SHOW("%d", o.freed);
    release(&o);
    SHOW("%d", o.freed);
    SHOW("%d", (int)atomic_is_lock_free(&a64));
    return 0;
}
