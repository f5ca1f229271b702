/* Sorting generated ints: libc qsort, then a hand-written merge sort; prints checksums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
static void msort(int32_t *a, int32_t *tmp, size_t n) {
  if (n < 2) return;
  if (n <= 16) {
    for (size_t i = 1; i < n; i++) {
      int32_t v = a[i]; size_t j = i;
      while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
      a[j] = v;
    }
    return;
  }
  size_t h = n / 2;
  msort(a, tmp, h); msort(a + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}
static uint64_t check(const int32_t *a, size_t n) {
  uint64_t h = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && a[i - 1] > a[i]) { printf("unsorted at %zu\n", i); exit(1); }
    h = h * 31 + (uint32_t)a[i];
  }
  return h;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 2000000;
  int32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *tmp = malloc(n * sizeof *tmp);
  uint32_t s = 2463534242u;
  for (size_t i = 0; i < n; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; a[i] = (int32_t)s; }
  memcpy(b, a, n * sizeof *a);
  qsort(a, n, sizeof *a, cmp);
  msort(b, tmp, n);
  printf("%016llx %016llx\n", (unsigned long long)check(a, n), (unsigned long long)check(b, n));
  return 0;
}
