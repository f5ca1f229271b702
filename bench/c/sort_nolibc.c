/* sort.c without the C library's sort and memcpy: the same ints, sorted by a generic merge
 * sort written here (element size and comparator passed in, the comparator called through
 * a function pointer on every comparison, as qsort does), then by the hand-written merge
 * sort; prints the same checksums as sort.c.
 *
 * sort.c's qsort is glibc's natively (a merge sort) but wasi-libc's in wasm (musl's
 * smoothsort, several times the instructions on these inputs, with a memcpy call per
 * element move), and its memcpy is glibc's vector code natively but a C loop in wasm
 * without bulk memory; this row compares the compilers on the same algorithm.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*cmp_fn)(const void *, const void *);

static int cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Copies `n` elements of `size` bytes, by word where the size allows (as glibc's msort). */
static void copy(char *d, const char *s, size_t n, size_t size) {
  if (size == 4) {
    for (size_t i = 0; i < n; i++) ((uint32_t *)d)[i] = ((const uint32_t *)s)[i];
  } else if (size == 8) {
    for (size_t i = 0; i < n; i++) ((uint64_t *)d)[i] = ((const uint64_t *)s)[i];
  } else {
    for (size_t i = 0; i < n * size; i++) d[i] = s[i];
  }
}

/* Stable top-down merge sort of `n` elements at `b` through `tmp` (room for `n`). */
static void gsort_rec(char *b, char *tmp, size_t n, size_t size, cmp_fn f) {
  if (n < 2) return;
  size_t h = n / 2;
  char *m = b + h * size, *end = b + n * size;
  gsort_rec(b, tmp, h, size, f);
  gsort_rec(m, tmp, n - h, size, f);
  char *i = b, *j = m, *k = tmp;
  while (i < m && j < end) {
    if (f(j, i) < 0) { copy(k, j, 1, size); j += size; }
    else { copy(k, i, 1, size); i += size; }
    k += size;
  }
  copy(k, i, (size_t)(m - i) / size, size);
  copy(b, tmp, (size_t)(k - tmp) / size + (size_t)(m - i) / size, size);
}

static void gsort(void *base, size_t n, size_t size, cmp_fn f) {
  char *tmp = malloc(n * size);
  if (!tmp) { puts("out of memory"); exit(1); }
  gsort_rec(base, tmp, n, size, f);
  free(tmp);
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
  for (k = 0; k < n; k++) a[k] = tmp[k];
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
  if (!a || !b || !tmp) { puts("out of memory"); return 1; }
  uint32_t s = 2463534242u;
  for (size_t i = 0; i < n; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; a[i] = b[i] = (int32_t)s; }
  /* Read through a volatile so that no compiler inlines the comparator into gsort (it
   * cannot into the C library's qsort either). */
  static cmp_fn volatile comparator = cmp;
  gsort(a, n, sizeof *a, comparator);
  msort(b, tmp, n);
  printf("%016llx %016llx\n", (unsigned long long)check(a, n), (unsigned long long)check(b, n));
  return 0;
}
