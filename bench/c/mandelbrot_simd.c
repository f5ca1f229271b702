/* mandelbrot with 2-lane double vectors (GCC/Clang vector extensions, which clang lowers to
 * SSE2 on x86-64 and to simd128 on wasm32): eight pixels (one output byte) per step as four
 * f64x2 pairs, the escape test every five iterations, as the Benchmarks Game's vectorised
 * C programs do. Hashes the bitmap instead of printing it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef double f64x2 __attribute__((vector_size(16)));
typedef int64_t i64x2 __attribute__((vector_size(16)));

int main(int argc, char **argv) {
  int w = argc > 1 ? atoi(argv[1]) : 4000;
  w = (w + 7) & ~7; /* whole bytes per row */
  int h = w;
  const int iter = 50;
  const f64x2 four = {4.0, 4.0};
  uint64_t hash = 1469598103934665603ULL;
  for (int y = 0; y < h; y++) {
    double ci0 = 2.0 * y / h - 1.0;
    const f64x2 ci = {ci0, ci0};
    for (int x = 0; x < w; x += 8) {
      f64x2 cr[4], zr[4], zi[4], tr[4], ti[4];
      for (int k = 0; k < 4; k++) {
        cr[k] = (f64x2){2.0 * (x + 2 * k) / w - 1.5, 2.0 * (x + 2 * k + 1) / w - 1.5};
        zr[k] = zi[k] = tr[k] = ti[k] = (f64x2){0, 0};
      }
      for (int i = 0; i < iter; i += 5) {
        for (int j = 0; j < 5; j++)
          for (int k = 0; k < 4; k++) {
            zi[k] = 2.0 * zr[k] * zi[k] + ci;
            zr[k] = tr[k] - ti[k] + cr[k];
            tr[k] = zr[k] * zr[k];
            ti[k] = zi[k] * zi[k];
          }
        /* every lane escaped (NaN after overflow also counts: it is not <= 4) */
        i64x2 in = (tr[0] + ti[0] <= four) | (tr[1] + ti[1] <= four) |
                   (tr[2] + ti[2] <= four) | (tr[3] + ti[3] <= four);
        if (!(in[0] | in[1])) break;
      }
      unsigned byte = 0;
      for (int k = 0; k < 4; k++) {
        i64x2 in = tr[k] + ti[k] <= four;
        byte = byte << 2 | (in[0] ? 2u : 0u) | (in[1] ? 1u : 0u);
      }
      hash = (hash ^ byte) * 1099511628211ULL;
    }
  }
  printf("P4 %d %d %016llx\n", w, h, (unsigned long long)hash);
  return 0;
}
