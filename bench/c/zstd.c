/* zstd (from the zstd-sys crate) compressing generated text-like data in memory at two
 * levels, then decompressing and verifying. Prints sizes and a hash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "zstd.h"

int main(int argc, char **argv) {
  size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 24) << 20;
  static const char *w[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ",
    "dog ", "wasm ", "kiln ", "compiler ", "native ", "memory ", "segment ", "table ", "\n"};
  char *src = malloc(n);
  uint32_t s = 7;
  size_t i = 0;
  while (i < n) {
    s = s * 1103515245u + 12345u;
    if ((s >> 28) == 0) { src[i++] = (char)('A' + (s >> 8) % 26); continue; }
    const char *p = w[(s >> 12) & 15];
    while (*p && i < n) src[i++] = *p++;
  }
  size_t cap = ZSTD_compressBound(n);
  char *dst = malloc(cap), *back = malloc(n);
  uint64_t h = 1469598103934665603ULL;
  int levels[] = {3, 9};
  for (int l = 0; l < 2; l++) {
    size_t c = ZSTD_compress(dst, cap, src, n, levels[l]);
    if (ZSTD_isError(c)) { printf("compress: %s\n", ZSTD_getErrorName(c)); return 1; }
    size_t d = ZSTD_decompress(back, n, dst, c);
    if (ZSTD_isError(d) || d != n || memcmp(back, src, n)) { printf("roundtrip failed\n"); return 1; }
    for (size_t k = 0; k < c; k += 61) h = (h ^ (uint8_t)dst[k]) * 1099511628211ULL;
    printf("level %d: %zu -> %zu\n", levels[l], n, c);
  }
  printf("hash %016llx\n", (unsigned long long)h);
  return 0;
}
