// A 1 MiB initialised table (one big data segment), a mutable initialised array and a large
// zeroed one, checksummed.
#include <stdint.h>
#include <stdio.h>

// 2^18 distinct values: object-like macros are rescanned, so every V gets its own __COUNTER__.
#define V ((uint32_t)(__COUNTER__ * 2654435761u) ^ 0x5bd1e995u),
#define E2 V V
#define E4 E2 E2
#define E8 E4 E4
#define E16 E8 E8
#define E32 E16 E16
#define E64 E32 E32
#define E128 E64 E64
#define E256 E128 E128
#define E512 E256 E256
#define E1K E512 E512
#define E2K E1K E1K
#define E4K E2K E2K
#define E8K E4K E4K
#define E16K E8K E8K
#define E32K E16K E16K
#define E64K E32K E32K
#define E128K E64K E64K
#define E256K E128K E128K

static const uint32_t table[] = {E256K};
#define N (sizeof table / sizeof table[0])

static uint8_t mutable_data[4096] = {1, 2, 3, 4, 5, 6, 7, 8, [4095] = 0xee};
static uint32_t zeroed[1 << 18];

static uint64_t fnv1a(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

int main(void) {
    printf("table: %zu entries, %zu bytes\n", N, sizeof table);
    printf("table[0]=%08x table[1]=%08x table[%zu]=%08x\n", table[0], table[1], N - 1,
           table[N - 1]);
    printf("fnv1a(table)=%016llx\n", (unsigned long long)fnv1a(table, sizeof table));
    uint64_t sum = 0;
    for (size_t i = 0; i < N; i++) sum += table[i];
    printf("sum(table)=%llu\n", (unsigned long long)sum);

    printf("mutable before: %u %u %u\n", mutable_data[0], mutable_data[7], mutable_data[4095]);
    for (size_t i = 0; i < sizeof mutable_data; i++) mutable_data[i] += (uint8_t)i;
    printf("fnv1a(mutable)=%016llx\n",
           (unsigned long long)fnv1a(mutable_data, sizeof mutable_data));

    for (size_t i = 0; i < sizeof zeroed / sizeof zeroed[0]; i++) {
        if (zeroed[i] != 0) { printf("zeroed[%zu] is not zero\n", i); return 1; }
        zeroed[i] = table[i] * 3u;
    }
    printf("fnv1a(zeroed)=%016llx\n", (unsigned long long)fnv1a(zeroed, sizeof zeroed));
    return 0;
}
