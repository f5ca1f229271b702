/* mandelbrot (Benchmarks Game algorithm): hashes the bitmap instead of printing it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int w = argc > 1 ? atoi(argv[1]) : 2500, h = w;
  uint64_t hash = 1469598103934665603ULL;
  const int iter = 50;
  const double limit = 2.0;
  for (int y = 0; y < h; y++) {
    int bit_num = 0;
    unsigned byte_acc = 0;
    double Ci = 2.0 * y / h - 1.0;
    for (int x = 0; x < w; x++) {
      double Zr = 0, Zi = 0, Tr = 0, Ti = 0, Cr = 2.0 * x / w - 1.5;
      for (int i = 0; i < iter && (Tr + Ti <= limit * limit); i++) {
        Zi = 2.0 * Zr * Zi + Ci;
        Zr = Tr - Ti + Cr;
        Tr = Zr * Zr;
        Ti = Zi * Zi;
      }
      byte_acc <<= 1;
      if (Tr + Ti <= limit * limit) byte_acc |= 1;
      bit_num++;
      if (bit_num == 8 || x == w - 1) {
        if (bit_num != 8) byte_acc <<= (8 - w % 8);
        hash = (hash ^ (byte_acc & 0xff)) * 1099511628211ULL;
        byte_acc = 0;
        bit_num = 0;
      }
    }
  }
  printf("P4 %d %d %016llx\n", w, h, (unsigned long long)hash);
  return 0;
}
